import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { logLifecycleRules } from "./bucketPolicies";
import { hardenedBucket } from "./hardenedBucket";
import { EcsMonitoring } from "./ecsMonitoring";
import { albLogBucketPolicy, buildContainerDefinitions, secretsReadPolicy, validateEcsContainer } from "./ecsTask";
import { GPU_INSTANCE_TYPES } from "../../catalog/gpu";
import { nodeLaunchTemplateArgs, serviceTrustPolicy } from "./iam";
import { CLOUDWATCH_RETENTION_DAYS } from "../../catalog/formats";
import { assertValid } from "../validation";
import { LIVENESS_PATH, READINESS_PATH } from "../../catalog/vllm";

/** The public SSM parameter of the ECS GPU-optimised AMI (Amazon Linux 2023). */
export const ECS_GPU_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id";

export interface BlueGreenEcsServiceArgs {
    vpcId: pulumi.Input<string>;
    /** Subnets of the load balancer (public ones when `internal` is false). */
    loadBalancerSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Private subnets of the GPU instances. */
    instanceSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Image by digest. */
    image: pulumi.Input<string>;
    /** @default "v1" */
    modelVersion?: string;
    modelBucketName: pulumi.Input<string>;
    /** Read-only policy of the model bucket, for the task role. */
    modelReadPolicyArn: pulumi.Input<string>;
    /** GPU instance types of the capacity provider. @default ["g5.2xlarge"] */
    instanceTypes?: string[];
    /** @default 1 */
    minInstances?: number;
    /** @default 4 */
    maxInstances?: number;
    /** Tasks; Application Auto Scaling moves between min and max. @default {min: 2, max: 4} */
    minTasks?: number;
    maxTasks?: number;
    /** ALB requests per target the autoscaler holds. @default 50 */
    requestsPerTarget?: number;
    /** @default 1 */
    gpus?: number;
    /** @default 4096 (4 vCPU) */
    cpuUnits?: number;
    /** @default 24576 (24 GiB) */
    memoryMiB?: number;
    /** @default 8000 */
    containerPort?: number;
    /** Container health check. @default "/health" */
    healthPath?: string;
    /** Target groups' health check. @default "/v1/models" (vLLM: the model is loaded and the API answers) */
    readyPath?: string;
    /** Environment name → Secrets Manager or SSM parameter ARN. @default {} */
    secrets?: Record<string, string>;
    /** ACM certificate: HTTPS on 443 and HTTP redirected; without one, HTTP on 80 only. @default - none */
    certificateArn?: pulumi.Input<string>;
    /** An internal load balancer. @default true */
    internal?: boolean;
    /** Who may reach the load balancer. @default ["10.0.0.0/8"] */
    allowedCidrs?: string[];
    /** Port of the test listener (the new colour before the shift). @default 8443 */
    testListenerPort?: number;
    /** Minutes ECS keeps the old colour after shifting traffic, ready for rollback. @default 10 */
    bakeTimeMinutes?: number;
    /** A Lambda that smoke-tests the test listener before production traffic shifts. @default - none */
    smokeTestLambdaArn?: pulumi.Input<string>;
    /** Roll back when target 5xx per minute exceed this. @default 5 */
    max5xxPerMinute?: number;
    /** Roll back when p95 target response time exceeds this. @default 500 */
    p95LatencyMs?: number;
    /** @default 30 */
    logRetentionDays?: number;
    /** Deletion protection of the load balancer. @default true */
    deletionProtection?: boolean;
    /** Protect the log buckets and the cluster. @default true */
    protect?: boolean;
    /** @default "public.ecr.aws/aws-cli/aws-cli:2.22.35" */
    modelSyncImage?: string;
    /** @default ECS_GPU_AMI_PARAMETER */
    amiParameter?: string;
    /** @default {} */
    tags?: Record<string, string>;
}

/**
 * Every optional argument's default, in one place; {@link withEcsServiceDefaults} applies them once
 * and the component and its validation read the result. (`max5xxPerMinute` and `p95LatencyMs`
 * default in {@link EcsMonitoring}, which owns the alarms.)
 */
export const ECS_SERVICE_DEFAULTS = {
    modelVersion: "v1",
    instanceTypes: ["g5.2xlarge"],
    minInstances: 1,
    maxInstances: 4,
    minTasks: 2,
    maxTasks: 4,
    requestsPerTarget: 50,
    gpus: 1,
    cpuUnits: 4096,
    memoryMiB: 24576,
    containerPort: 8000,
    healthPath: LIVENESS_PATH,
    readyPath: READINESS_PATH,
    secrets: {},
    internal: true,
    allowedCidrs: ["10.0.0.0/8"],
    testListenerPort: 8443,
    bakeTimeMinutes: 10,
    logRetentionDays: 30,
    deletionProtection: true,
    protect: true,
    modelSyncImage: "public.ecr.aws/aws-cli/aws-cli:2.22.35",
    amiParameter: ECS_GPU_AMI_PARAMETER,
    tags: {},
} satisfies Partial<BlueGreenEcsServiceArgs>;

type Defaulted = keyof typeof ECS_SERVICE_DEFAULTS;

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
    const problems = validateEcsContainer({
        modelVersion: args.modelVersion,
        gpus: args.gpus,
        cpuUnits: args.cpuUnits,
        memoryMiB: args.memoryMiB,
        containerPort: args.containerPort,
        healthPath: args.healthPath,
        runAsUser: 10001,
        logLevel: "INFO",
        secrets: args.secrets,
        modelSyncImage: args.modelSyncImage,
    });
    const types = args.instanceTypes;
    for (const t of types)
        if (!GPU_INSTANCE_TYPES.has(t))
            problems.push(
                `instanceTypes: ${JSON.stringify(t)} is not a supported NVIDIA GPU instance type (Fargate has no GPUs)`,
            );
    const smallest = Math.min(...types.map((t) => GPU_INSTANCE_TYPES.get(t)?.memoryGiB ?? Infinity));
    if (args.memoryMiB > (smallest - 1.5) * 1024)
        problems.push(
            `memoryMiB: ${args.memoryMiB} MiB does not fit an instance with ${smallest} GiB after the agent's reserve`,
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
    if (args.allowedCidrs.includes("0.0.0.0/0") && args.internal === false && args.certificateArn === undefined) {
        problems.push(
            "certificateArn: an internet-facing load balancer open to 0.0.0.0/0 must serve HTTPS; set a certificate",
        );
    }
    return problems;
}

/**
 * An inference service on ECS with native blue/green deployments: a GPU capacity provider on EC2
 * (Fargate has no GPUs), a hardened task definition, an ALB with a production and a test listener
 * and two target groups, BLUE_GREEN with a bake time, an optional smoke-test hook, the circuit
 * breaker and alarms that roll back, and request-based autoscaling.
 *
 * ECS owns the listener rules' target-group weights and swaps the service's target groups after
 * every deployment; those properties are ignored here so that `pulumi up` never fights it.
 */
export class BlueGreenEcsService extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** Production URL and the test listener's URL (the new colour during a deployment). */
    public readonly productionUrl: pulumi.Output<string>;
    public readonly testUrl: pulumi.Output<string>;
    /** The alarms that roll a deployment back. */
    public readonly alarmNames: pulumi.Output<string[]>;
    /** The KMS-encrypted SNS topic every alarm notifies. */
    public readonly alertTopicArn: pulumi.Output<string>;
    public readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, given: BlueGreenEcsServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:BlueGreenEcsService", name, {}, opts);
        assertValid(this, "BlueGreenEcsService", name, validateBlueGreenEcsServiceArgs(given));
        const args = withEcsServiceDefaults(given);
        const tags = args.tags;
        const protect = args.protect;
        const child = { parent: this };
        const port = args.containerPort;
        const region = aws.getRegionOutput({}, child).region;
        const accountId = aws.getCallerIdentityOutput({}, child).accountId;

        // Capacity: GPU instances in an Auto Scaling group that ECS scales and protects.
        const cluster = new aws.ecs.Cluster(
            `${name}-cluster`,
            { settings: [{ name: "containerInsights", value: "enhanced" }], tags },
            { parent: this, protect },
        );
        const instanceRole = new aws.iam.Role(
            `${name}-instance-role`,
            { assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"), tags },
            child,
        );
        new aws.iam.RolePolicyAttachment(
            `${name}-instance-policy`,
            {
                role: instanceRole.name,
                policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
            },
            child,
        );
        const profile = new aws.iam.InstanceProfile(
            `${name}-instance-profile`,
            { role: instanceRole.name, tags },
            child,
        );
        const albSg = new aws.ec2.SecurityGroup(
            `${name}-alb-sg`,
            {
                vpcId: args.vpcId,
                description: `${name} load balancer`,
                ingress: [
                    args.certificateArn ? 443 : 80,
                    args.testListenerPort,
                    ...(args.certificateArn ? [80] : []),
                ].map((p) => ({
                    protocol: "tcp",
                    fromPort: p,
                    toPort: p,
                    cidrBlocks: args.allowedCidrs,
                })),
                egress: [{ protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: ["0.0.0.0/0"] }],
                tags,
            },
            child,
        );
        const instanceSg = new aws.ec2.SecurityGroup(
            `${name}-instance-sg`,
            {
                vpcId: args.vpcId,
                description: `${name} GPU instances`,
                ingress: [{ protocol: "tcp", fromPort: port, toPort: port, securityGroups: [albSg.id] }],
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
                tags,
            },
            child,
        );
        const ami = aws.ssm.getParameterOutput({ name: args.amiParameter }, child).value;
        const template = new aws.ec2.LaunchTemplate(
            `${name}-launch-template`,
            {
                ...nodeLaunchTemplateArgs({
                    diskSizeGiB: 200,
                    deviceName: "/dev/xvda",
                    tags,
                    description: `${name} ECS GPU instances`,
                }),
                imageId: ami,
                iamInstanceProfile: { arn: profile.arn },
                vpcSecurityGroupIds: [instanceSg.id],
                userData: cluster.name.apply((c) =>
                    Buffer.from(
                        `#!/bin/bash\necho "ECS_CLUSTER=${c}" >> /etc/ecs/ecs.config\necho "ECS_ENABLE_GPU_SUPPORT=true" >> /etc/ecs/ecs.config\n`,
                    ).toString("base64"),
                ),
            },
            child,
        );
        const asg = new aws.autoscaling.Group(
            `${name}-instances`,
            {
                vpcZoneIdentifiers: args.instanceSubnetIds,
                minSize: args.minInstances,
                maxSize: args.maxInstances,
                mixedInstancesPolicy: {
                    launchTemplate: {
                        launchTemplateSpecification: { launchTemplateId: template.id, version: "$Latest" },
                        overrides: args.instanceTypes.map((instanceType) => ({ instanceType })),
                    },
                },
                protectFromScaleIn: true,
                tags: [
                    { key: "AmazonECSManaged", value: "true", propagateAtLaunch: true },
                    ...Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
                ],
            },
            // ECS managed scaling owns the desired capacity.
            { parent: this, ignoreChanges: ["desiredCapacity"] },
        );
        const capacityProvider = new aws.ecs.CapacityProvider(
            `${name}-gpu`,
            {
                autoScalingGroupProvider: {
                    autoScalingGroupArn: asg.arn,
                    managedTerminationProtection: "ENABLED",
                    managedDraining: "ENABLED",
                    managedScaling: {
                        status: "ENABLED",
                        targetCapacity: 100,
                        minimumScalingStepSize: 1,
                        maximumScalingStepSize: 2,
                        instanceWarmupPeriod: 300,
                    },
                },
                tags,
            },
            child,
        );
        new aws.ecs.ClusterCapacityProviders(
            `${name}-capacity`,
            {
                clusterName: cluster.name,
                capacityProviders: [capacityProvider.name],
                defaultCapacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
            },
            child,
        );

        // Task: roles, logs, definition.
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
            {
                role: executionRole.name,
                policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            },
            child,
        );
        const secretArns = Object.values(args.secrets);
        if (secretArns.length > 0)
            new aws.iam.RolePolicy(
                `${name}-execution-secrets`,
                { role: executionRole.id, policy: secretsReadPolicy(secretArns) },
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
        const taskDefinition = new aws.ecs.TaskDefinition(
            `${name}-task`,
            {
                family: name,
                networkMode: "bridge",
                requiresCompatibilities: ["EC2"],
                executionRoleArn: executionRole.arn,
                taskRoleArn: taskRole.arn,
                volumes: [{ name: "models" }, { name: "tmp" }],
                containerDefinitions: pulumi
                    .all([args.image, args.modelBucketName, logGroup.name, region])
                    .apply(([image, bucket, group, r]) =>
                        JSON.stringify(
                            buildContainerDefinitions({
                                image,
                                modelVersion: args.modelVersion,
                                modelSource: `s3://${bucket}/models`,
                                gpus: args.gpus,
                                cpuUnits: args.cpuUnits,
                                memoryMiB: args.memoryMiB,
                                containerPort: port,
                                healthPath: args.healthPath,
                                runAsUser: 10001,
                                logLevel: "INFO",
                                logGroupName: group,
                                region: r,
                                secrets: args.secrets,
                                modelSyncImage: args.modelSyncImage,
                            }),
                        ),
                    ),
                tags,
            },
            child,
        );

        // Load balancer: access logs, production and test listeners, blue and green target groups.
        const elbAccount = aws.elb.getServiceAccountOutput({}, child).arn;
        const logBucket = hardenedBucket(
            this,
            `${name}-alb-logs`,
            `${name}-alb-logs`,
            {
                forceDestroy: !protect,
                tags,
                policy: (bucketArn) =>
                    pulumi
                        .all([bucketArn, elbAccount, accountId])
                        .apply(([b, e, a]) => albLogBucketPolicy(b, e, a, "alb")),
                rules: logLifecycleRules(args.logRetentionDays),
            },
            { protect, retainOnDelete: protect },
        );
        const alb = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: args.internal,
                subnets: args.loadBalancerSubnetIds,
                securityGroups: [albSg.id],
                dropInvalidHeaderFields: true,
                enableDeletionProtection: args.deletionProtection,
                accessLogs: { bucket: logBucket.name, prefix: "alb", enabled: true },
                tags,
            },
            { parent: this, dependsOn: [logBucket.bucket] },
        );
        const targetGroup = (color: string): aws.lb.TargetGroup =>
            new aws.lb.TargetGroup(
                `${name}-${color}`,
                {
                    vpcId: args.vpcId,
                    port,
                    protocol: "HTTP",
                    targetType: "instance",
                    deregistrationDelay: 60,
                    healthCheck: {
                        path: args.readyPath,
                        matcher: "200",
                        interval: 15,
                        timeout: 5,
                        healthyThreshold: 2,
                        unhealthyThreshold: 3,
                    },
                    tags,
                },
                child,
            );
        const [blue, green] = [targetGroup("blue"), targetGroup("green")];
        const https = args.certificateArn !== undefined;
        const listener = (suffix: string, listenerPort: number): aws.lb.Listener =>
            new aws.lb.Listener(
                `${name}-${suffix}`,
                {
                    loadBalancerArn: alb.arn,
                    port: listenerPort,
                    protocol: https ? "HTTPS" : "HTTP",
                    certificateArn: args.certificateArn,
                    sslPolicy: https ? "ELBSecurityPolicy-TLS13-1-2-2021-06" : undefined,
                    defaultActions: [
                        {
                            type: "fixed-response",
                            fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "not found" },
                        },
                    ],
                    tags,
                },
                child,
            );
        const production = listener("production", https ? 443 : 80);
        const test = listener("test", args.testListenerPort);
        if (https) {
            new aws.lb.Listener(
                `${name}-http-redirect`,
                {
                    loadBalancerArn: alb.arn,
                    port: 80,
                    protocol: "HTTP",
                    defaultActions: [
                        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
                    ],
                    tags,
                },
                child,
            );
        }
        // ECS rewrites the forward weights during every deployment: never reset them from here.
        const rule = (suffix: string, listenerArn: pulumi.Input<string>): aws.lb.ListenerRule =>
            new aws.lb.ListenerRule(
                `${name}-${suffix}`,
                {
                    listenerArn,
                    priority: 100,
                    conditions: [{ pathPattern: { values: ["/*"] } }],
                    actions: [
                        {
                            type: "forward",
                            forward: {
                                targetGroups: [
                                    { arn: blue.arn, weight: 100 },
                                    { arn: green.arn, weight: 0 },
                                ],
                            },
                        },
                    ],
                    tags,
                },
                { parent: this, ignoreChanges: ["actions"] },
            );
        const productionRule = rule("production-rule", production.arn);
        const testRule = rule("test-rule", test.arn);

        // Deployment safety: alarms, the role ECS uses to shift traffic, the service.
        // The alarms that gate deployments come from the service's monitoring (with its dashboard and topic).
        const monitoring = new EcsMonitoring(
            `${name}-monitoring`,
            {
                clusterName: cluster.name,
                loadBalancerArnSuffix: alb.arnSuffix,
                targetGroupArnSuffixes: [blue.arnSuffix, green.arnSuffix],
                p95LatencyMs: args.p95LatencyMs,
                max5xxPerMinute: args.max5xxPerMinute,
                tags,
            },
            child,
        );
        const infrastructureRole = new aws.iam.Role(
            `${name}-infrastructure-role`,
            { assumeRolePolicy: serviceTrustPolicy("ecs.amazonaws.com"), tags },
            child,
        );
        new aws.iam.RolePolicyAttachment(
            `${name}-infrastructure-role`,
            {
                role: infrastructureRole.name,
                policyArn: "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
            },
            child,
        );
        let hookRole: aws.iam.Role | undefined;
        if (args.smokeTestLambdaArn !== undefined) {
            hookRole = new aws.iam.Role(
                `${name}-hook-role`,
                { assumeRolePolicy: serviceTrustPolicy("ecs.amazonaws.com"), tags },
                child,
            );
            new aws.iam.RolePolicy(
                `${name}-hook-invoke`,
                {
                    role: hookRole.id,
                    policy: pulumi.output(args.smokeTestLambdaArn).apply((fn) =>
                        JSON.stringify({
                            Version: "2012-10-17",
                            Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: fn }],
                        }),
                    ),
                },
                child,
            );
        }
        const service = new aws.ecs.Service(
            `${name}-service`,
            {
                cluster: cluster.arn,
                taskDefinition: taskDefinition.arn,
                desiredCount: args.minTasks,
                capacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
                deploymentController: { type: "ECS" },
                deploymentConfiguration: {
                    strategy: "BLUE_GREEN",
                    bakeTimeInMinutes: String(args.bakeTimeMinutes),
                    lifecycleHooks:
                        args.smokeTestLambdaArn !== undefined && hookRole
                            ? [
                                  {
                                      hookTargetArn: args.smokeTestLambdaArn,
                                      roleArn: hookRole.arn,
                                      lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"],
                                  },
                              ]
                            : [],
                },
                deploymentCircuitBreaker: { enable: true, rollback: true },
                alarms: { alarmNames: monitoring.deploymentAlarmNames, enable: true, rollback: true },
                deploymentMinimumHealthyPercent: 100,
                deploymentMaximumPercent: 200,
                healthCheckGracePeriodSeconds: 600,
                loadBalancers: [
                    {
                        targetGroupArn: blue.arn,
                        containerName: "inference",
                        containerPort: port,
                        advancedConfiguration: {
                            alternateTargetGroupArn: green.arn,
                            productionListenerRule: productionRule.arn,
                            testListenerRule: testRule.arn,
                            roleArn: infrastructureRole.arn,
                        },
                    },
                ],
                orderedPlacementStrategies: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
                propagateTags: "SERVICE",
                enableEcsManagedTags: true,
                waitForSteadyState: false,
                tags,
            },
            {
                parent: this,
                dependsOn: [production, test],
                // After each deployment ECS swaps which target group is primary; the autoscaler owns the count.
                ignoreChanges: [
                    "desiredCount",
                    "loadBalancers[0].targetGroupArn",
                    "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn",
                ],
            },
        );

        const resourceId = pulumi.interpolate`service/${cluster.name}/${service.name}`;
        const scaling = new aws.appautoscaling.Target(
            `${name}-scaling`,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId,
                minCapacity: args.minTasks,
                maxCapacity: args.maxTasks,
                tags,
            },
            child,
        );
        new aws.appautoscaling.Policy(
            `${name}-requests-per-target`,
            {
                policyType: "TargetTrackingScaling",
                serviceNamespace: scaling.serviceNamespace,
                scalableDimension: scaling.scalableDimension,
                resourceId: scaling.resourceId,
                targetTrackingScalingPolicyConfiguration: {
                    targetValue: args.requestsPerTarget,
                    predefinedMetricSpecification: {
                        predefinedMetricType: "ALBRequestCountPerTarget",
                        resourceLabel: pulumi.interpolate`${alb.arnSuffix}/${blue.arnSuffix}`,
                    },
                    scaleInCooldown: 600,
                    scaleOutCooldown: 120,
                },
            },
            child,
        );

        const scheme = https ? "https" : "http";
        this.clusterName = cluster.name;
        this.serviceName = service.name;
        this.loadBalancerDnsName = alb.dnsName;
        this.productionUrl = pulumi.interpolate`${scheme}://${alb.dnsName}`;
        this.testUrl = pulumi.interpolate`${scheme}://${alb.dnsName}:${args.testListenerPort}`;
        this.alarmNames = monitoring.deploymentAlarmNames;
        this.alertTopicArn = monitoring.topicArn;
        this.dashboardName = monitoring.dashboardName;
        this.registerOutputs({
            clusterName: this.clusterName,
            serviceName: this.serviceName,
            loadBalancerDnsName: this.loadBalancerDnsName,
            productionUrl: this.productionUrl,
            testUrl: this.testUrl,
            alarmNames: this.alarmNames,
            alertTopicArn: this.alertTopicArn,
            dashboardName: this.dashboardName,
        });
    }
}
