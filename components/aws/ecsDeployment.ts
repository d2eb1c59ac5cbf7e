/**
 * The deployment half of {@link BlueGreenEcsService}: the ECS service with native BLUE_GREEN
 * deployments (bake time, optional smoke-test hook, circuit breaker and alarm rollback), the roles
 * ECS uses to shift traffic and call the hook, and request-based autoscaling of the task count.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STREAM_IDLE_TIMEOUT_SECONDS } from "../../catalog/standards";
import { serviceTrustPolicy } from "./iam";
import type { ResolvedEcsServiceArgs } from "./blueGreenEcsServiceArgs";
import type { EcsCapacity } from "./ecsCapacity";
import type { EcsLoadBalancer } from "./ecsLoadBalancer";

export const ECS_INFRASTRUCTURE_POLICY_ARN =
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers";

export interface EcsDeployment {
    readonly service: aws.ecs.Service;
    /** The role ECS assumes to move listener-rule weights between the target groups. */
    readonly infrastructureRole: aws.iam.Role;
    readonly scalingTarget: aws.appautoscaling.Target;
    readonly scalingPolicy: aws.appautoscaling.Policy;
}

/** The IAM policy that lets ECS invoke the smoke-test Lambda. */
export function hookInvokePolicy(functionArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: functionArn }],
    });
}

type MetricQuery =
    aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetric;

/**
 * Requests per running task per minute, over both target groups: what the autoscaler holds at
 * `requestsPerTarget`. The predefined `ALBRequestCountPerTarget` names one target group, and ECS
 * moves production traffic to the other one at every blue/green deployment, after which that
 * metric would read zero and scale the service in to its minimum. `RunningTaskCount` is a
 * Container Insights metric (the cluster enables it). During a deployment both colours run and
 * the figure halves, but Application Auto Scaling does not scale in while an ECS deployment is in
 * progress.
 */
export function requestsPerTaskMetrics(on: {
    loadBalancer: pulumi.Input<string>;
    targetGroups: [pulumi.Input<string>, pulumi.Input<string>];
    clusterName: pulumi.Input<string>;
    serviceName: pulumi.Input<string>;
}): MetricQuery[] {
    const requests = (id: string, targetGroup: pulumi.Input<string>): MetricQuery => ({
        id,
        metricStat: {
            metric: {
                namespace: "AWS/ApplicationELB",
                metricName: "RequestCount",
                dimensions: [
                    { name: "LoadBalancer", value: on.loadBalancer },
                    { name: "TargetGroup", value: targetGroup },
                ],
            },
            stat: "Sum",
        },
        returnData: false,
    });
    return [
        requests("blue", on.targetGroups[0]),
        requests("green", on.targetGroups[1]),
        {
            id: "tasks",
            metricStat: {
                metric: {
                    namespace: "ECS/ContainerInsights",
                    metricName: "RunningTaskCount",
                    dimensions: [
                        { name: "ClusterName", value: on.clusterName },
                        { name: "ServiceName", value: on.serviceName },
                    ],
                },
                stat: "Average",
            },
            returnData: false,
        },
        {
            id: "requestsPerTask",
            label: "Requests per running task",
            expression: "(FILL(blue, 0) + FILL(green, 0)) / tasks",
            returnData: true,
        },
    ];
}

/**
 * Minutes `pulumi up` waits for a deployment to become steady: a GPU instance launched and warmed
 * (the capacity provider's 5-minute warm-up), the weights synced and vLLM started within the
 * startup grace, the smoke-test hook and the bake time, the old tasks drained (the target groups'
 * 5-minute deregistration delay), and 10 minutes of margin. The provider's own default (20 minutes)
 * is shorter than a bake time alone in prod, so without this a healthy deployment would be
 * reported failed.
 */
export function serviceTimeoutMinutes(args: { bakeTimeMinutes: number; startupGraceSeconds: number }): number {
    return 5 + Math.ceil(args.startupGraceSeconds / 60) + args.bakeTimeMinutes + STREAM_IDLE_TIMEOUT_SECONDS / 60 + 10;
}

export function createEcsDeployment(
    parent: pulumi.Resource,
    name: string,
    args: ResolvedEcsServiceArgs,
    parts: {
        capacity: EcsCapacity;
        loadBalancer: EcsLoadBalancer;
        taskDefinitionArn: pulumi.Input<string>;
        rollbackAlarmNames: pulumi.Input<pulumi.Input<string>[]>;
    },
): EcsDeployment {
    const { tags } = args;
    const child = { parent };
    const { capacity, loadBalancer: lb } = parts;
    const infrastructureRole = new aws.iam.Role(
        `${name}-infrastructure-role`,
        { assumeRolePolicy: serviceTrustPolicy("ecs.amazonaws.com"), tags },
        child,
    );
    const infrastructurePolicy = new aws.iam.RolePolicyAttachment(
        `${name}-infrastructure-role`,
        { role: infrastructureRole.name, policyArn: ECS_INFRASTRUCTURE_POLICY_ARN },
        child,
    );
    const hooks: aws.types.input.ecs.ServiceDeploymentConfigurationLifecycleHook[] = [];
    const hookPolicies: aws.iam.RolePolicy[] = [];
    if (args.smokeTestLambdaArn !== undefined) {
        const hookRole = new aws.iam.Role(
            `${name}-hook-role`,
            { assumeRolePolicy: serviceTrustPolicy("ecs.amazonaws.com"), tags },
            child,
        );
        const hookPolicy = new aws.iam.RolePolicy(
            `${name}-hook-invoke`,
            { role: hookRole.id, policy: pulumi.output(args.smokeTestLambdaArn).apply(hookInvokePolicy) },
            child,
        );
        hookPolicies.push(hookPolicy);
        hooks.push({
            hookTargetArn: args.smokeTestLambdaArn,
            roleArn: hookRole.arn,
            lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"],
        });
    }
    const service = new aws.ecs.Service(
        `${name}-service`,
        {
            cluster: capacity.cluster.arn,
            taskDefinition: parts.taskDefinitionArn,
            desiredCount: args.minTasks,
            capacityProviderStrategies: [{ capacityProvider: capacity.capacityProvider.name, weight: 1, base: 0 }],
            deploymentController: { type: "ECS" },
            deploymentConfiguration: {
                strategy: "BLUE_GREEN",
                bakeTimeInMinutes: String(args.bakeTimeMinutes),
                lifecycleHooks: hooks,
            },
            deploymentCircuitBreaker: { enable: true, rollback: true },
            alarms: { alarmNames: parts.rollbackAlarmNames, enable: true, rollback: true },
            deploymentMinimumHealthyPercent: 100,
            deploymentMaximumPercent: 200,
            healthCheckGracePeriodSeconds: args.startupGraceSeconds,
            loadBalancers: [
                {
                    targetGroupArn: lb.blueTargetGroup.arn,
                    containerName: "inference",
                    containerPort: args.containerPort,
                    advancedConfiguration: {
                        alternateTargetGroupArn: lb.greenTargetGroup.arn,
                        productionListenerRule: lb.productionRule.arn,
                        testListenerRule: lb.testRule.arn,
                        roleArn: infrastructureRole.arn,
                    },
                },
            ],
            orderedPlacementStrategies: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
            propagateTags: "SERVICE",
            enableEcsManagedTags: true,
            // `up` waits for the deployment it started (the provider's wait ends at SUCCESSFUL, after the
            // bake time) and fails when ECS rolls it back (circuit breaker, alarms) instead of
            // reporting success; the state may still name the new task definition: refresh after one.
            waitForSteadyState: true,
            tags,
        },
        {
            parent,
            // The capacity provider must be the cluster's before a service names it (ECS refuses "capacity
            // provider not associated", which the provider does not retry); the role's policy before
            // ECS assumes it to move the listener rules (as AWS's blue/green samples order them).
            dependsOn: [
                lb.productionListener,
                lb.testListener,
                capacity.clusterCapacityProviders,
                infrastructurePolicy,
                ...hookPolicies,
            ],
            // A deployment waits for GPU instances, the weights, vLLM's start, the bake time and the
            // draining of the old tasks.
            customTimeouts: { create: `${serviceTimeoutMinutes(args)}m`, update: `${serviceTimeoutMinutes(args)}m` },
            // After each deployment ECS swaps which target group is primary; the autoscaler owns the count.
            ignoreChanges: [
                "desiredCount",
                "loadBalancers[0].targetGroupArn",
                "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn",
            ],
        },
    );
    const scalingTarget = new aws.appautoscaling.Target(
        `${name}-scaling`,
        {
            serviceNamespace: "ecs",
            scalableDimension: "ecs:service:DesiredCount",
            resourceId: pulumi.interpolate`service/${capacity.cluster.name}/${service.name}`,
            minCapacity: args.minTasks,
            maxCapacity: args.maxTasks,
            tags,
        },
        child,
    );
    const scalingPolicy = new aws.appautoscaling.Policy(
        `${name}-requests-per-target`,
        {
            policyType: "TargetTrackingScaling",
            serviceNamespace: scalingTarget.serviceNamespace,
            scalableDimension: scalingTarget.scalableDimension,
            resourceId: scalingTarget.resourceId,
            targetTrackingScalingPolicyConfiguration: {
                targetValue: args.requestsPerTarget,
                customizedMetricSpecification: {
                    metrics: requestsPerTaskMetrics({
                        loadBalancer: lb.arnSuffix,
                        targetGroups: [lb.blueTargetGroup.arnSuffix, lb.greenTargetGroup.arnSuffix],
                        clusterName: capacity.cluster.name,
                        serviceName: service.name,
                    }),
                },
                scaleInCooldown: 600,
                scaleOutCooldown: 120,
            },
        },
        child,
    );
    return { service, infrastructureRole, scalingTarget, scalingPolicy };
}
