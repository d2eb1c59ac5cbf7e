/**
 * The task half of {@link BlueGreenEcsService}: its log group, the execution role (pulls the image,
 * reads the secrets), the task role (reads the model bucket) and the task definition.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    buildContainerDefinitions,
    ECS_TASK_VOLUMES,
    registerTaskDefinitionProblems,
    secretsReadPolicy,
    type EcsContainerSpec,
} from "./ecsTask";
import { serviceTrustPolicy } from "./iam";
import { INFERENCE_UID } from "../../catalog/vllm";
import type { ResolvedEcsServiceArgs } from "./blueGreenEcsServiceArgs";

export const ECS_EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

export interface EcsTask {
    readonly logGroup: aws.cloudwatch.LogGroup;
    readonly executionRole: aws.iam.Role;
    /** The role the containers run as: attach policies here for what the model server calls. */
    readonly taskRole: aws.iam.Role;
    readonly taskDefinition: aws.ecs.TaskDefinition;
}

/** The container spec of the service's arguments, less what is only known once resources exist. */
export function containerSpecOf(
    args: ResolvedEcsServiceArgs,
): Omit<EcsContainerSpec, "image" | "modelSource" | "logGroupName" | "region" | "metricsService"> {
    return {
        modelVersion: args.modelVersion,
        gpus: args.gpus,
        cpuUnits: args.cpuUnits,
        memoryMiB: args.memoryMiB,
        containerPort: args.containerPort,
        healthPath: args.healthPath,
        runAsUser: INFERENCE_UID,
        logLevel: "INFO",
        secrets: args.secrets,
        modelSyncImage: args.modelSyncImage,
        ttftBudgetMs: args.p95LatencyMs,
    };
}

/**
 * The task and its roles. `metricsService` is the `Service` dimension of the tasks' TTFT metrics
 * (unique in the account and region: BlueGreenEcsService passes `<cluster name>/<name>`).
 */
export function createEcsTask(
    parent: pulumi.Resource,
    name: string,
    args: ResolvedEcsServiceArgs,
    metricsService: pulumi.Input<string>,
): EcsTask {
    const { tags } = args;
    const child = { parent };
    const region = aws.getRegionOutput({}, child).region;
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-logs`,
        { retentionInDays: args.logRetentionDays, tags },
        child,
    );
    const executionRole = new aws.iam.Role(
        `${name}-execution-role`,
        { assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com"), tags },
        child,
    );
    new aws.iam.RolePolicyAttachment(
        `${name}-execution-policy`,
        { role: executionRole.name, policyArn: ECS_EXECUTION_POLICY_ARN },
        child,
    );
    const secretArns = Object.values(args.secrets);
    if (secretArns.length > 0)
        new aws.iam.RolePolicy(
            `${name}-execution-secrets`,
            {
                role: executionRole.id,
                policy: secretsReadPolicy(secretArns, args.secretsKmsKeyArns),
            },
            child,
        );
    const taskRole = new aws.iam.Role(
        `${name}-task-role`,
        { assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com"), tags },
        child,
    );
    new aws.iam.RolePolicyAttachment(
        `${name}-task-read`,
        { role: taskRole.name, policyArn: args.modelReadPolicyArn },
        child,
    );
    const spec = containerSpecOf(args);
    const taskDefinition = new aws.ecs.TaskDefinition(
        `${name}-task`,
        {
            family: name,
            networkMode: "bridge",
            requiresCompatibilities: ["EC2"],
            executionRoleArn: executionRole.arn,
            taskRoleArn: taskRole.arn,
            volumes: ECS_TASK_VOLUMES,
            containerDefinitions: pulumi
                .all([args.image, args.modelBucketName, logGroup.name, region, metricsService])
                .apply(([image, bucket, group, r, service]) => {
                    const containers = buildContainerDefinitions({
                        ...spec,
                        image,
                        modelSource: `s3://${bucket}/models`,
                        logGroupName: group,
                        region: r,
                        metricsService: service,
                    });
                    // What RegisterTaskDefinition would refuse fails the preview, not the update.
                    const problems = registerTaskDefinitionProblems(containers, { networkMode: "bridge" });
                    if (problems.length > 0)
                        throw new Error(`${name}: ECS would refuse the task definition:\n  ${problems.join("\n  ")}`);
                    return JSON.stringify(containers);
                }),
            tags,
        },
        child,
    );
    return { logGroup, executionRole, taskRole, taskDefinition };
}
