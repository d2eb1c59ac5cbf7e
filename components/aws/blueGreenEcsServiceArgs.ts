/**
 * What {@link BlueGreenEcsService} takes: its arguments, their defaults (one table, applied once by
 * {@link withEcsServiceDefaults}) and the checks it runs before it creates anything.
 */
import { coversInternet, ipv4CidrError, ipv4CidrProblem } from "../../catalog/cidr";
import type * as pulumi from "@pulumi/pulumi";
import { CLOUDWATCH_RETENTION_DAYS, KMS_KEY_ARN } from "../../catalog/formats";
import { ecsDeploymentInstances, ecsTaskFitProblem } from "../../catalog/capacity";
import { GPU_INSTANCE_TYPES } from "../../catalog/gpu";
import {
    PROD_BAKE_TIME_MINUTES,
    PROD_MIN_REPLICAS,
    REFERENCE_SLO,
    ROLLBACK_MAX_5XX_PER_MINUTE,
} from "../../catalog/standards";
import { MODEL_SYNC_IMAGE } from "../../catalog/versions";
import { LIVENESS_PATH, READINESS_PATH, VLLM_IMAGE } from "../../catalog/vllm";
import { ECS_HEALTH_START_PERIOD_SECONDS, validateEcsContainer } from "./ecsTask";
import { containerSpecOf } from "./ecsTaskDefinition";

/** The public SSM parameter of the ECS GPU-optimised AMI (Amazon Linux 2023). */
export const ECS_GPU_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id";

/** The arguments of `BlueGreenEcsService` (`new BlueGreenEcsService(name, args, opts)`). */
export interface BlueGreenEcsServiceArgs {
    /** The VPC of the load balancer, the target groups and the GPU instances (Network.vpcId). */
    vpcId: pulumi.Input<string>;
    /** Subnets of the load balancer (public ones when `internal` is false). */
    loadBalancerSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Private subnets of the GPU instances. */
    instanceSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * The inference image, by digest: vLLM's OpenAI server as its entry point (the stock image, or
     * `llm-platform/image`'s InferenceImage); the task passes the model and port as its flags.
     * @default VLLM_IMAGE (vllm/vllm-openai:v0.11.0, by digest)
     */
    image?: pulumi.Input<string>;
    /** The model version the task serves: weights at `s3://<modelBucketName>/models/<modelVersion>`. @default "v1" */
    modelVersion?: string;
    /** The model bucket's name (ModelArtifactBucket.bucketName). */
    modelBucketName: pulumi.Input<string>;
    /** Read-only policy of the model bucket, for the task role. */
    modelReadPolicyArn: pulumi.Input<string>;
    /** GPU instance types of the capacity provider. @default ["g5.2xlarge"] */
    instanceTypes?: string[];
    /** Fewest GPU instances of the capacity provider's Auto Scaling group. @default 1 */
    minInstances?: number;
    /** Enough for both colours at `maxTasks` during a deployment (checked). @default 8 */
    maxInstances?: number;
    /** Fewest tasks; Application Auto Scaling moves between `minTasks` and `maxTasks`. @default PROD_MIN_REPLICAS (2) */
    minTasks?: number;
    /** Most tasks. @default 4 */
    maxTasks?: number;
    /** ALB requests per target the autoscaler holds. @default 50 */
    requestsPerTarget?: number;
    /** GPUs per task. @default 1 */
    gpus?: number;
    /** CPU units per task (1024 per vCPU). @default 4096 (4 vCPU) */
    cpuUnits?: number;
    /** Memory per task, MiB. @default 24576 (24 GiB) */
    memoryMiB?: number;
    /** Port the vLLM server listens on. @default 8000 */
    containerPort?: number;
    /** Container health check. @default "/health" */
    healthPath?: string;
    /** Target groups' health check. @default "/v1/models" (vLLM: the model is loaded and the API answers) */
    readyPath?: string;
    /**
     * Environment name → Secrets Manager or SSM parameter ARN. A Secrets Manager reference may end in
     * `:<json-key>:<version-stage>:<version-id>` to take one key of a JSON secret. @default {}
     */
    secrets?: Record<string, string>;
    /**
     * ARNs of the customer managed KMS keys the `secrets` are encrypted with: the execution role may
     * decrypt with them through Secrets Manager and SSM (secrets under AWS managed keys need none).
     * @default []
     */
    secretsKmsKeyArns?: string[];
    /** ACM certificate: HTTPS on 443 and HTTP redirected; without one, HTTP on 80 only. @default - none */
    certificateArn?: pulumi.Input<string>;
    /** An internal load balancer. @default true */
    internal?: boolean;
    /** Who may reach the load balancer. @default ["10.0.0.0/8"] */
    allowedCidrs?: string[];
    /** Port of the test listener (the new colour before the shift). @default 8443 */
    testListenerPort?: number;
    /**
     * Seconds from a task's start in which ECS ignores failed health checks (the service's
     * `healthCheckGracePeriodSeconds`): the weights' sync from S3 and vLLM's load must fit in it.
     * The container's own health check can wait only 300 s (`startPeriod`'s ceiling), so a large
     * model needs this. `pulumi up` waits for it in every deployment. @default 1200
     */
    startupGraceSeconds?: number;
    /** Minutes ECS keeps the old colour after shifting traffic, ready for rollback. @default PROD_BAKE_TIME_MINUTES (15) */
    bakeTimeMinutes?: number;
    /**
     * A Lambda that smoke-tests the new revision through the test listener (`testUrl`) before
     * production traffic shifts: ECS invokes it at POST_TEST_TRAFFIC_SHIFT with `serviceArn`,
     * `targetServiceRevisionArn`, `testTrafficWeights` and `productionTrafficWeights`, and it must
     * return `{"hookStatus": "SUCCEEDED"}` to go on, `"FAILED"` to roll back, or `"IN_PROGRESS"`
     * (with an optional `callBackDelay`, seconds, default 30) to be invoked again; no `hookStatus`,
     * or an error, rolls back. The service's wait (`startupGraceSeconds`, bake time) budgets 10
     * minutes of margin for it. @default - none
     */
    smokeTestLambdaArn?: pulumi.Input<string>;
    /** Roll back when the targets' or the load balancer's 5xx per minute exceed this. @default 5 */
    max5xxPerMinute?: number;
    /**
     * Roll back when p95 time to first token exceeds this, ms: more than 5 % of a minute's requests
     * (of at least 20) over it, from vLLM's TTFT histogram, whose bucket bounds it must be one of
     * (1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1000, 2500, 5000 …).
     * @default REFERENCE_SLO.p95LatencyMs (500)
     */
    p95LatencyMs?: number;
    /** Days the task's CloudWatch log group and the load balancer's access logs are kept. @default 30 */
    logRetentionDays?: number;
    /** Deletion protection of the load balancer. @default true */
    deletionProtection?: boolean;
    /** Protect the log buckets, the cluster and the alert topic's KMS key. @default true */
    protect?: boolean;
    /** Image of the container that syncs the weights from S3 before the server starts. @default MODEL_SYNC_IMAGE */
    modelSyncImage?: string;
    /** SSM parameter of the GPU instances' AMI (ECS's GPU-optimised AMI). @default ECS_GPU_AMI_PARAMETER */
    amiParameter?: string;
    /**
     * An Application Load Balancer you already run, to add the listeners, target groups and rules
     * to. The component then creates no load balancer, security group or log bucket:
     * `internal`, `allowedCidrs`, `deletionProtection` and `loadBalancerSubnetIds` are yours to set
     * on it, and its security group must admit clients on the listener ports. @default - one is built
     */
    loadBalancer?: ExistingLoadBalancer;
    /**
     * An existing bucket for the load balancer's access logs (its policy must let the regional ELB
     * account write under `alb/`). @default - a hardened bucket `<name>-alb-logs` is built
     */
    accessLogBucketName?: pulumi.Input<string>;
    /** Tags for AWS resources. @default {} */
    tags?: Record<string, string>;
}

/** A load balancer the service adds its listeners to (e.g. from `aws.lb.getLoadBalancerOutput`). */
export interface ExistingLoadBalancer {
    arn: pulumi.Input<string>;
    /** `app/<name>/<id>`: the CloudWatch dimension of its metrics. */
    arnSuffix: pulumi.Input<string>;
    dnsName: pulumi.Input<string>;
    /**
     * A security group of the load balancer: the GPU instances admit traffic from it on the tasks'
     * dynamic host ports (32768–65535, `ECS_DYNAMIC_HOST_PORTS`), so its egress must allow them.
     */
    securityGroupId: pulumi.Input<string>;
}

/**
 * Every optional argument's default, in one place; {@link withEcsServiceDefaults} applies them once
 * and the component and its validation read the result.
 */
export const ECS_SERVICE_DEFAULTS = {
    image: VLLM_IMAGE,
    modelVersion: "v1",
    instanceTypes: ["g5.2xlarge"],
    minInstances: 1,
    maxInstances: 8,
    minTasks: PROD_MIN_REPLICAS,
    maxTasks: 4,
    requestsPerTarget: 50,
    gpus: 1,
    cpuUnits: 4096,
    memoryMiB: 24576,
    containerPort: 8000,
    healthPath: LIVENESS_PATH,
    readyPath: READINESS_PATH,
    secrets: {},
    secretsKmsKeyArns: [] as string[],
    internal: true,
    allowedCidrs: ["10.0.0.0/8"],
    testListenerPort: 8443,
    startupGraceSeconds: 1200,
    bakeTimeMinutes: PROD_BAKE_TIME_MINUTES,
    max5xxPerMinute: ROLLBACK_MAX_5XX_PER_MINUTE,
    p95LatencyMs: REFERENCE_SLO.p95LatencyMs,
    logRetentionDays: 30,
    deletionProtection: true,
    protect: true,
    modelSyncImage: MODEL_SYNC_IMAGE,
    amiParameter: ECS_GPU_AMI_PARAMETER,
    tags: {},
} satisfies Partial<BlueGreenEcsServiceArgs>;

type Defaulted = keyof typeof ECS_SERVICE_DEFAULTS;

/** The argument that asks each resource of an instance. */
const ECS_TASK_ARGUMENT = { GPUs: "gpus", CPU: "cpuUnits", memory: "memoryMiB" } as const;

/** The arguments with every default applied (an argument set to `undefined` takes its default). */
export type ResolvedEcsServiceArgs = Omit<BlueGreenEcsServiceArgs, Defaulted> & {
    [K in Defaulted]-?: NonNullable<BlueGreenEcsServiceArgs[K]>;
};

export function withEcsServiceDefaults(args: BlueGreenEcsServiceArgs): ResolvedEcsServiceArgs {
    const given = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined && v !== null));
    return { ...ECS_SERVICE_DEFAULTS, ...given } as ResolvedEcsServiceArgs;
}

export function validateBlueGreenEcsServiceArgs(given: BlueGreenEcsServiceArgs): string[] {
    const args = withEcsServiceDefaults(given);
    const problems = validateEcsContainer(containerSpecOf(args));
    const t = args.testListenerPort;
    if (!Number.isInteger(t) || t < 1 || t > 65535 || t === 80 || t === 443)
        problems.push(
            `testListenerPort: expected a port from 1 to 65535 other than 80 and 443 (the production listeners'), received ${t}`,
        );
    const grace = args.startupGraceSeconds;
    if (!Number.isInteger(grace) || grace < ECS_HEALTH_START_PERIOD_SECONDS || grace > 3600)
        problems.push(
            `startupGraceSeconds: expected an integer from ${ECS_HEALTH_START_PERIOD_SECONDS} (the container health check's start period) to 3600, received ${grace}`,
        );
    for (const key of args.secretsKmsKeyArns)
        if (!KMS_KEY_ARN.test(key))
            problems.push(
                `secretsKmsKeyArns: expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), received ${JSON.stringify(key)}`,
            );
    const types = args.instanceTypes;
    for (const t of types)
        if (!GPU_INSTANCE_TYPES.has(t))
            problems.push(
                `instanceTypes: ${JSON.stringify(t)} is not a supported NVIDIA GPU instance type (Fargate has no GPUs)`,
            );
    const [minT, maxT] = [args.minTasks, args.maxTasks];
    if (!Number.isInteger(minT) || minT < 1 || maxT < minT)
        problems.push(`maxTasks: expected an integer >= minTasks (${minT}), received ${maxT}`);
    if (args.maxInstances < args.minInstances)
        problems.push(
            `maxInstances: expected an integer >= minInstances (${args.minInstances}), received ${args.maxInstances}`,
        );
    const days = args.logRetentionDays;
    if (!CLOUDWATCH_RETENTION_DAYS.includes(days))
        problems.push(`logRetentionDays: expected a CloudWatch retention period, received ${days}`);
    args.allowedCidrs.forEach((cidr, i) => {
        if (ipv4CidrProblem(cidr) !== undefined) problems.push(`allowedCidrs[${i}]: ${ipv4CidrError(cidr)}`);
    });
    // 0.0.0.0/0, or blocks that add up to it (two /1s).
    if (coversInternet(args.allowedCidrs) && args.internal === false && args.certificateArn === undefined) {
        problems.push(
            "certificateArn: an internet-facing load balancer open to the whole internet (0.0.0.0/0, or blocks that add up to it) must serve HTTPS; set a certificate",
        );
    }
    if (args.loadBalancer !== undefined && args.accessLogBucketName !== undefined)
        problems.push(
            "accessLogBucketName: a load balancer you bring keeps its own access-log settings; set them on it and leave accessLogBucketName out",
        );
    if (
        types.length > 0 &&
        types.every((t) => GPU_INSTANCE_TYPES.has(t)) &&
        Number.isInteger(args.gpus) &&
        args.gpus >= 1 &&
        args.cpuUnits > 0 &&
        args.memoryMiB > 0
    ) {
        const deployment = ecsDeploymentInstances(types, args, maxT);
        if (deployment === undefined) {
            const why = ecsTaskFitProblem(types, args);
            problems.push(`${ECS_TASK_ARGUMENT[why.limitedBy]}: ${why.message}`);
        } else if (args.maxInstances < deployment.needed)
            problems.push(
                `maxInstances: expected at least ${deployment.needed} for a blue/green deployment at maxTasks (${deployment.explain}), received ${args.maxInstances}`,
            );
    }
    return problems;
}
