/**
 * The typed configuration surface of the llm-platform stacks: one zod schema for every
 * `llm-platform:*` key, and the tier defaults that fill in what a stack file leaves out.
 *
 * Each key's `.describe()` text is the single source of its documentation: Pulumi.yaml and
 * the README's config table are checked against it by the tests.
 */
import { z } from "zod";
import { CLOUDWATCH_RETENTION_DAYS, DIGEST_REFERENCE, SECRET_REFERENCE } from "../catalog/formats";
import { PROD_MIN_REPLICAS, REFERENCE_SLO } from "../catalog/standards";
import { DEFAULT_CANARY } from "../components/k8s/canary";
import { GPU_AMI_TYPES, GPU_INSTANCE_TYPES, poolCapacity } from "../catalog/gpu";
import { podsPerNode, servingPods } from "../catalog/capacity";
import { CLUSTER_AUTOSCALER_IMAGES } from "../components/k8s/clusterAutoscaler";
import { LIVENESS_PATH, READINESS_PATH } from "../components/vllm";

export const CONFIG_NAMESPACE = "llm-platform";

export const TIERS = ["staging", "prod"] as const;
export type Tier = (typeof TIERS)[number];

export const CAPACITY_TYPES = ["ON_DEMAND", "SPOT"] as const;

/** An integer in [min, max] with messages that say so. */
function intIn(min: number, max: number): z.ZodInt {
    return z
        .int({ error: `expected an integer between ${min} and ${max}` })
        .min(min, { error: `expected an integer >= ${min}` })
        .max(max, { error: `expected an integer <= ${max}` });
}

const dnsLabel = z.string({ error: "expected a string" }).regex(/^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/, {
    error: "expected a lower-case DNS label of 1-32 characters (a-z, 0-9, '-'), starting with a letter",
});

/** Tag keys are checked by {@link crossFieldProblems}, which can name the bad key. */
/**
 * What AWS accepts in tags (the Resource Groups Tagging API and the services' TagResource calls):
 * letters, numbers and spaces in UTF-8 and `_ . : / = + - @`; keys 1–128 characters and not
 * starting with `aws:`, values up to 256. An emoji or another symbol fails the first create.
 */
export const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_CHARACTERS_HELP = "letters, digits, spaces and _ . : / = + - @ only (what AWS accepts in tags)";
const tagKey = z.string();
const tagValue = z
    .string({ error: "expected a string" })
    .max(256, { error: "expected at most 256 characters" })
    .regex(TAG_CHARACTERS, { error: `expected ${TAG_CHARACTERS_HELP}` });

const instanceType = z.string({ error: "expected a string" }).regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, {
    error: "expected an EC2 instance type such as g5.xlarge",
});

const quantity = z
    .string({ error: "expected a string" })
    .regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/, { error: 'expected a Kubernetes quantity such as "4", "500m" or "16Gi"' });
const baseUrl = z.string({ error: "expected a string" }).regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, {
    error: "expected an http(s) URL such as https://preview.llm.example.com",
});
const httpPath = z
    .string({ error: "expected a string" })
    .regex(/^\/[\w\-./]*$/, { error: "expected an absolute path such as /health" });
const releaseSchema = z.strictObject({
    image: z
        .string({ error: "expected a string" })
        .regex(DIGEST_REFERENCE, { error: "expected an image pinned by digest (repository@sha256:<64 hex>)" })
        .optional(),
    modelVersion: z.string({ error: "expected a string" }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
        error: "expected a version name of letters, digits, '.', '_' and '-'",
    }),
});

export const gpuNodePoolSchema = z.strictObject({
    name: dnsLabel.describe("Pool name; becomes part of the node group and label names."),
    instanceTypes: z
        .array(instanceType, { error: "expected an array of EC2 instance types" })
        .min(1, { error: "expected at least one instance type" })
        .describe("GPU instance types the pool may launch."),
    capacityType: z.enum(CAPACITY_TYPES).describe("ON_DEMAND or SPOT."),
    minSize: intIn(0, 1000).describe("Minimum node count; 0 lets the pool scale to zero."),
    desiredSize: intIn(0, 1000)
        .optional()
        .describe("Initial node count (defaults to minSize); afterwards left to the autoscaler."),
    maxSize: intIn(1, 1000).describe("Maximum node count."),
    diskSizeGiB: intIn(20, 16384).describe("Root volume size for images and model weights."),
    amiType: z.enum(GPU_AMI_TYPES).describe("EKS NVIDIA AMI: AL2023_x86_64_NVIDIA or BOTTLEROCKET_x86_64_NVIDIA."),
});
export type GpuNodePoolSettings = z.infer<typeof gpuNodePoolSchema>;

/**
 * Every `llm-platform:*` key. Keys are top-level properties; their values may be scalars or
 * structured (objects and arrays are set with `pulumi config set --path` or in the stack file).
 */
export const settingsSchema = z.strictObject({
    tier: z.enum(TIERS).describe("Production tier whose defaults apply (staging or prod). Required."),
    owner: z
        .string({ error: "expected a string" })
        .min(1, { error: "expected a non-empty string" })
        .max(256, { error: "expected at most 256 characters" })
        .regex(TAG_CHARACTERS, { error: `expected ${TAG_CHARACTERS_HELP}` })
        .describe("Team that owns the stack; tagged on every AWS resource as Owner. Required."),
    costCenter: z
        .string({ error: "expected a string" })
        .min(1, { error: "expected a non-empty string" })
        .max(256, { error: "expected at most 256 characters" })
        .regex(TAG_CHARACTERS, { error: `expected ${TAG_CHARACTERS_HELP}` })
        .describe("Cost center tagged on every AWS resource as CostCenter. Required."),
    tags: z
        .record(tagKey, tagValue, { error: "expected an object of tag names to string values" })
        .describe("Extra tags for every AWS resource."),
    protectStatefulResources: z
        .boolean({ error: "expected a boolean (true or false)" })
        .describe("Protect buckets, keys, registries and clusters from deletion and replacement."),
    network: z
        .strictObject({
            cidrBlock: z
                .string({ error: "expected a string" })
                .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|20)$/, {
                    error: "expected an IPv4 range from /16 to /20 such as 10.0.0.0/16",
                })
                .describe("IPv4 range of the new VPC (/16 to /20)."),
            availabilityZoneCount: intIn(2, 4).describe("Availability zones the VPC spans (prod needs 3 or more)."),
            natGateways: z
                .enum(["perAz", "single"])
                .describe("NAT gateways: perAz (zone-redundant) or single (cheaper)."),
            flowLogRetentionDays: z
                .int({ error: "expected an integer" })
                .refine((d) => CLOUDWATCH_RETENTION_DAYS.includes(d), {
                    error: `expected a CloudWatch retention period (${CLOUDWATCH_RETENTION_DAYS.join(", ")})`,
                })
                .describe("Days VPC flow logs are kept."),
            existing: z
                .strictObject({
                    vpcId: z
                        .string({ error: "expected a string" })
                        .regex(/^vpc-[0-9a-f]{8,17}$/, { error: "expected a VPC id like vpc-0abc12345" }),
                    publicSubnetIds: z
                        .array(
                            z.string().regex(/^subnet-[0-9a-f]{8,17}$/, {
                                error: "expected a subnet id like subnet-0abc12345",
                            }),
                        )
                        .min(2, { error: "expected at least two subnets (EKS needs two zones)" }),
                    privateSubnetIds: z
                        .array(
                            z.string().regex(/^subnet-[0-9a-f]{8,17}$/, {
                                error: "expected a subnet id like subnet-0abc12345",
                            }),
                        )
                        .min(2, { error: "expected at least two subnets (EKS needs two zones)" }),
                })
                .optional()
                .describe(
                    "Use this VPC and subnets ({vpcId, publicSubnetIds, privateSubnetIds}) instead of creating a VPC.",
                ),
        })
        .describe("The VPC."),
    cluster: z
        .strictObject({
            kubernetesVersion: z
                .string({ error: "expected a string" })
                .regex(/^1\.\d{2}$/, { error: 'expected a Kubernetes version such as "1.33"' })
                .describe(
                    "Kubernetes version of the EKS cluster (1.30 to 1.33: the cluster-autoscaler image follows it).",
                ),
            publicAccessCidrs: z
                .array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, { error: "expected an IPv4 CIDR" }))
                .describe("CIDRs allowed to reach the public API endpoint; empty keeps it private."),
            privateAccessCidrs: z
                .array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, { error: "expected an IPv4 CIDR" }))
                .describe(
                    "CIDRs inside the VPC that may reach the private API endpoint on 443, such as a self-hosted CI runner's subnet.",
                ),
            adminRoleArns: z
                .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { error: "expected an IAM role ARN" }))
                .describe("IAM roles given cluster admin through EKS access entries."),
            existingClusterName: z
                .string({ error: "expected a string" })
                .regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, { error: "expected an EKS cluster name" })
                .optional()
                .describe("Use this existing EKS cluster instead of creating one."),
            systemNodes: z
                .strictObject({
                    instanceTypes: z.array(instanceType).min(1, { error: "expected at least one instance type" }),
                    minSize: intIn(1, 100),
                    maxSize: intIn(1, 100),
                })
                .describe("Untainted nodes for cluster services: {instanceTypes, minSize, maxSize}."),
        })
        .describe("The EKS cluster."),
    devicePlugin: z
        .strictObject({
            timeSlicingReplicas: intIn(2, 48)
                .optional()
                .describe("Share each GPU between this many pods (time-slicing). Unset: whole GPUs."),
        })
        .describe("The NVIDIA device plugin."),
    modelBucket: z
        .strictObject({
            noncurrentVersionExpirationDays: intIn(1, 3650).describe(
                "Days after which non-current object versions expire.",
            ),
            abortIncompleteMultipartUploadDays: intIn(1, 365).describe(
                "Days after which incomplete multipart uploads are aborted.",
            ),
            accessLogRetentionDays: intIn(1, 3650).describe("Days the bucket's S3 server access logs are kept."),
            objectLockRetentionDays: intIn(1, 36500)
                .optional()
                .describe(
                    "Object lock (GOVERNANCE) with this default retention; only at bucket creation. Unset: no object lock.",
                ),
            forceDestroy: z
                .boolean({ error: "expected a boolean (true or false)" })
                .describe("Let `pulumi destroy` delete a bucket that still holds objects."),
        })
        .describe("The model artifact bucket (weights, DVC remote, MLflow artifacts)."),
    registry: z
        .strictObject({
            untaggedExpireDays: intIn(1, 365).describe("Days after which untagged images expire."),
            keepTaggedImages: intIn(1, 1000).describe("Tagged images kept; older ones expire."),
            forceDelete: z
                .boolean({ error: "expected a boolean (true or false)" })
                .describe("Let `pulumi destroy` delete the repository while it holds images."),
        })
        .describe("The ECR repository of the inference image."),
    image: z
        .strictObject({
            reference: z
                .string({ error: "expected a string" })
                .regex(DIGEST_REFERENCE, { error: "expected an image pinned by digest (repository@sha256:<64 hex>)" })
                .optional()
                .describe("Deploy this prebuilt image (by digest) instead of building images/inference. Unset: build."),
            platform: z
                .enum(["linux/amd64", "linux/arm64"])
                .describe("Platform the image is built for (GPU nodes are linux/amd64)."),
            buildOnPreview: z
                .boolean({ error: "expected a boolean (true or false)" })
                .describe("Build and push during `pulumi preview` too."),
        })
        .describe("The inference image."),
    serving: z
        .strictObject({
            platform: z.enum(["eks", "ecs", "both"]).describe("Where the inference service runs: eks, ecs or both."),
            strategy: z
                .enum(["blue-green", "canary"])
                .describe("Release strategy on EKS: blue-green or canary (Flagger)."),
            activeColor: z
                .enum(["blue", "green"])
                .describe("The colour that serves production traffic; promotion flips it."),
            scaleDownInactive: z
                .boolean({ error: "expected a boolean (true or false)" })
                .describe("Scale the inactive colour to zero instead of keeping it warm for rollback."),
            blue: releaseSchema.describe(
                "What the blue colour runs: {image (by digest; default the built image), modelVersion}.",
            ),
            green: releaseSchema.describe("What the green colour runs: {image, modelVersion}."),
            replicas: intIn(1, 100).describe("Replicas of the active colour (the autoscaler's floor)."),
            maxReplicas: intIn(1, 200).describe("The autoscaler's ceiling."),
            gpuPool: dnsLabel
                .optional()
                .describe("Name of the GPU pool (from gpuNodePools) the service runs on. Unset: the first pool."),
            gpus: intIn(1, 8).describe("GPUs per pod (requests equal limits)."),
            resources: z
                .strictObject({
                    cpuRequest: quantity,
                    cpuLimit: quantity,
                    memoryRequest: quantity,
                    memoryLimit: quantity,
                })
                .describe("CPU and memory per pod: {cpuRequest, cpuLimit, memoryRequest, memoryLimit}."),
            containerPort: intIn(1, 65535).describe("Port the server listens on."),
            healthPath: httpPath.describe("Liveness and startup probe path."),
            readyPath: httpPath.describe("Readiness probe path (also the load balancer health check)."),
            startupTimeoutSeconds: intIn(30, 3600).describe("Longest model load before liveness applies."),
            targetCpuUtilization: intIn(10, 100).describe(
                "CPU utilisation the autoscaler holds, when no queue metric is set.",
            ),
            queueLengthMetric: z
                .strictObject({ name: z.string().min(1), averageValue: quantity })
                .optional()
                .describe(
                    "Scale on this per-pod metric instead of CPU (needs a custom metrics adapter): {name, averageValue}.",
                ),
            ingressNamespaces: z.array(dnsLabel).describe("Namespaces whose pods may call the service."),
            ingressCidrs: z
                .array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, { error: "expected an IPv4 CIDR" }))
                .describe("Address ranges that may call the service (load balancers with IP targets)."),
            prometheusNamespace: dnsLabel.describe("Namespace of Prometheus, allowed to scrape."),
            canary: z
                .strictObject({
                    interval: z.string().regex(/^\d+[smh]$/, { error: 'expected a duration such as "1m"' }),
                    threshold: intIn(1, 100),
                    maxWeight: intIn(1, 100),
                    stepWeight: intIn(1, 100),
                    minSuccessRatePercent: z.number().min(0).max(100),
                    maxRequestDurationMs: intIn(1, 600000),
                })
                .describe(
                    "Flagger analysis: {interval, threshold, maxWeight, stepWeight, minSuccessRatePercent, maxRequestDurationMs}.",
                ),
            smokeTest: z
                .strictObject({
                    path: httpPath,
                    expectedStatus: intIn(100, 599),
                    latencyBudgetMs: intIn(1, 600000),
                    attempts: intIn(1, 100),
                    previewUrl: baseUrl.optional(),
                    activeUrl: baseUrl.optional(),
                })
                .describe(
                    "What `npm run promote` checks: {path, expectedStatus, latencyBudgetMs, attempts, previewUrl, activeUrl} (where the preview and active Services are reachable).",
                ),
        })
        .describe("Inference serving."),
    monitoring: z
        .strictObject({
            metricsPreset: z
                .enum(["reference", "vllm"])
                .describe(
                    "Metric names the rules and dashboards read: vLLM's own (the shipped image; the latency standard applies to time to first token) or the reference app's `llm_*` (request duration).",
                ),
            retentionDays: intIn(1, 3650).describe("Days Prometheus keeps metrics."),
            storageGiB: intIn(10, 16384).describe("Size of each Prometheus volume (gp3, encrypted)."),
            replicas: intIn(1, 5).describe("Prometheus and Alertmanager replicas."),
            prometheusResources: z
                .strictObject({ cpuRequest: quantity, memoryRequest: quantity, memoryLimit: quantity })
                .describe("Prometheus's CPU and memory: {cpuRequest, memoryRequest, memoryLimit}."),
            slo: z
                .strictObject({
                    availability: z.number().gt(0.9).lt(1),
                    p95LatencyMs: intIn(1, 600000),
                    minSuccessRate: z.number().gt(0).lt(1),
                    maxHallucinationRate: z.number().gt(0).lt(1),
                    gpuHighUtilizationPercent: intIn(1, 100),
                    gpuIdleUtilizationPercent: intIn(0, 99),
                    maxQueueLength: intIn(1, 100000),
                    tokenThroughputDropRatio: z.number().gt(0).lt(1),
                })
                .describe(
                    "The production standards the alerts hold (availability 0.999, p95 500 ms, success 99 %, hallucinations 5 % …).",
                ),
            alerting: z
                .strictObject({
                    slackWebhookUrl: z
                        .string()
                        .regex(/^https:\/\/\S+$/, { error: "expected an https URL (a Slack incoming webhook)" })
                        .optional(),
                    slackChannel: z.string().min(1).optional(),
                    pagerdutyRoutingKey: z.string().min(1).optional(),
                    snsTopicArn: z
                        .string()
                        .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/, { error: "expected an SNS topic ARN" })
                        .optional(),
                })
                .describe(
                    "Alert receivers: {slackWebhookUrl, slackChannel, pagerdutyRoutingKey, snsTopicArn}; set the webhook and key with `pulumi config set --secret --path`.",
                ),
            runbookBaseUrl: z
                .string()
                .regex(/^https?:\/\/\S+$/, { error: "expected an http(s) URL" })
                .describe("Where each alert's runbook link points (an anchor per alert is appended)."),
        })
        .describe("Prometheus, Alertmanager, Grafana and the alert rules (EKS)."),
    ecs: z
        .strictObject({
            instanceTypes: z
                .array(instanceType)
                .min(1, { error: "expected at least one instance type" })
                .describe("GPU instance types of the ECS capacity provider."),
            minInstances: intIn(0, 100).describe("Fewest GPU instances."),
            maxInstances: intIn(1, 100).describe("Most GPU instances."),
            minTasks: intIn(1, 100).describe("Fewest tasks (the autoscaler's floor)."),
            maxTasks: intIn(1, 200).describe("Most tasks."),
            requestsPerTarget: intIn(1, 100000).describe("ALB requests per target the autoscaler holds."),
            cpuUnits: intIn(256, 196608).describe("CPU units per task (1024 per vCPU)."),
            memoryMiB: intIn(512, 2097152).describe("Memory per task, MiB."),
            certificateArn: z
                .string()
                .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/.+$/, {
                    error: "expected an ACM certificate ARN",
                })
                .optional()
                .describe("ACM certificate: HTTPS on 443 with HTTP redirected. Unset: HTTP on 80."),
            internal: z.boolean({ error: "expected a boolean (true or false)" }).describe("An internal load balancer."),
            allowedCidrs: z
                .array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, { error: "expected an IPv4 CIDR" }))
                .describe("Who may reach the load balancer."),
            testListenerPort: intIn(1, 65535).describe("Port of the test listener."),
            bakeTimeMinutes: intIn(0, 1440).describe("Minutes ECS keeps the old colour after the shift, for rollback."),
            smokeTestLambdaArn: z
                .string()
                .regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:.+$/, {
                    error: "expected a Lambda function ARN",
                })
                .optional()
                .describe("Lambda that smoke-tests the test listener before production traffic shifts."),
            max5xxPerMinute: intIn(0, 100000).describe("Target 5xx per minute that roll a deployment back."),
            logRetentionDays: z
                .int({ error: "expected an integer" })
                .refine((d) => CLOUDWATCH_RETENTION_DAYS.includes(d), {
                    error: "expected a CloudWatch retention period",
                })
                .describe("Days the task logs are kept."),
            deletionProtection: z
                .boolean({ error: "expected a boolean (true or false)" })
                .describe("Deletion protection of the load balancer."),
            secrets: z
                .record(
                    z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: "expected an environment variable name" }),
                    z
                        .string()
                        .regex(SECRET_REFERENCE, { error: "expected a Secrets Manager secret or SSM parameter ARN" }),
                )
                .describe("Environment name → Secrets Manager or SSM parameter ARN (never plain values)."),
        })
        .describe("The inference service on ECS (serving.platform ecs or both)."),
    gpuNodePools: z
        .array(gpuNodePoolSchema, { error: "expected an array of GPU node pools" })
        .min(1, { error: "expected at least one GPU node pool" })
        .describe(
            "GPU node pools (a list; it replaces the default list). Each entry is merged over the tier's pool defaults.",
        ),
});

export type Settings = z.infer<typeof settingsSchema>;

/** What a stack gets for a key it does not set, per tier. `owner` and `costCenter` have none. */
export interface TierDefaults {
    tags: Record<string, string>;
    protectStatefulResources: boolean;
    network: Settings["network"];
    cluster: Settings["cluster"];
    devicePlugin: Settings["devicePlugin"];
    modelBucket: Settings["modelBucket"];
    registry: Settings["registry"];
    image: Settings["image"];
    serving: Settings["serving"];
    ecs: Settings["ecs"];
    monitoring: Settings["monitoring"];
    /** Merged under every entry of `gpuNodePools`. */
    gpuNodePool: Omit<GpuNodePoolSettings, "name" | "instanceTypes" | "desiredSize">;
    gpuNodePools: Array<Pick<GpuNodePoolSettings, "name" | "instanceTypes">>;
}

const MONITORING_DEFAULTS: Omit<
    Settings["monitoring"],
    "retentionDays" | "storageGiB" | "replicas" | "prometheusResources"
> = {
    metricsPreset: "vllm",
    slo: { ...REFERENCE_SLO },
    alerting: {},
    runbookBaseUrl: "https://github.com/llm-platform/llm-platform/blob/main/README.md",
};

const ECS_DEFAULTS: Omit<
    Settings["ecs"],
    | "instanceTypes"
    | "cpuUnits"
    | "memoryMiB"
    | "bakeTimeMinutes"
    | "logRetentionDays"
    | "deletionProtection"
    | "minTasks"
    | "maxTasks"
> = {
    minInstances: 1,
    maxInstances: 4,
    requestsPerTarget: 50,
    internal: true,
    allowedCidrs: ["10.0.0.0/8"],
    testListenerPort: 8443,
    max5xxPerMinute: 5,
    secrets: {},
};

/** Serving settings both tiers share (the reference deployment's probes, port and canary figures). */
const SERVING_DEFAULTS: Omit<Settings["serving"], "scaleDownInactive" | "replicas" | "maxReplicas" | "resources"> = {
    platform: "eks",
    strategy: "blue-green",
    activeColor: "blue",
    blue: { modelVersion: "v1" },
    green: { modelVersion: "v1" },
    gpus: 1,
    containerPort: 8000,
    healthPath: LIVENESS_PATH,
    readyPath: READINESS_PATH,
    startupTimeoutSeconds: 600,
    targetCpuUtilization: 70,
    ingressNamespaces: ["ingress-nginx"],
    ingressCidrs: [],
    prometheusNamespace: "monitoring",
    canary: { ...DEFAULT_CANARY },
    smokeTest: { path: READINESS_PATH, expectedStatus: 200, latencyBudgetMs: 500, attempts: 5 },
};

export const TIER_DEFAULTS: Readonly<Record<Tier, TierDefaults>> = {
    staging: {
        tags: {},
        protectStatefulResources: false,
        network: {
            cidrBlock: "10.0.0.0/16",
            availabilityZoneCount: 2,
            natGateways: "single",
            flowLogRetentionDays: 30,
        },
        cluster: {
            kubernetesVersion: "1.33",
            publicAccessCidrs: [],
            privateAccessCidrs: [],
            adminRoleArns: [],
            systemNodes: { instanceTypes: ["m6i.large"], minSize: 1, maxSize: 3 },
        },
        devicePlugin: {},
        modelBucket: {
            noncurrentVersionExpirationDays: 30,
            abortIncompleteMultipartUploadDays: 7,
            accessLogRetentionDays: 90,
            forceDestroy: false,
        },
        registry: { untaggedExpireDays: 1, keepTaggedImages: 10, forceDelete: true },
        image: { platform: "linux/amd64", buildOnPreview: false },
        serving: {
            ...SERVING_DEFAULTS,
            scaleDownInactive: true,
            replicas: 1,
            maxReplicas: 2,
            // g5.xlarge / g6.xlarge: 4 vCPU and 16 GiB per node.
            resources: { cpuRequest: "2", cpuLimit: "4", memoryRequest: "10Gi", memoryLimit: "14Gi" },
        },
        monitoring: {
            ...MONITORING_DEFAULTS,
            retentionDays: 7,
            storageGiB: 50,
            replicas: 1,
            prometheusResources: { cpuRequest: "500m", memoryRequest: "2Gi", memoryLimit: "4Gi" },
        },
        ecs: {
            ...ECS_DEFAULTS,
            instanceTypes: ["g5.xlarge"],
            cpuUnits: 2048,
            memoryMiB: 12288,
            minTasks: 1,
            maxTasks: 2,
            bakeTimeMinutes: 5,
            logRetentionDays: 30,
            deletionProtection: false,
        },
        gpuNodePool: {
            capacityType: "SPOT",
            minSize: 0,
            maxSize: 2,
            diskSizeGiB: 200,
            amiType: "AL2023_x86_64_NVIDIA",
        },
        gpuNodePools: [{ name: "inference", instanceTypes: ["g5.xlarge", "g6.xlarge"] }],
    },
    prod: {
        tags: {},
        protectStatefulResources: true,
        network: {
            cidrBlock: "10.0.0.0/16",
            availabilityZoneCount: 3,
            natGateways: "perAz",
            flowLogRetentionDays: 365,
        },
        cluster: {
            kubernetesVersion: "1.33",
            publicAccessCidrs: [],
            privateAccessCidrs: [],
            adminRoleArns: [],
            systemNodes: { instanceTypes: ["m6i.large"], minSize: 2, maxSize: 4 },
        },
        devicePlugin: {},
        modelBucket: {
            noncurrentVersionExpirationDays: 90,
            abortIncompleteMultipartUploadDays: 7,
            accessLogRetentionDays: 365,
            forceDestroy: false,
        },
        registry: { untaggedExpireDays: 1, keepTaggedImages: 30, forceDelete: false },
        image: { platform: "linux/amd64", buildOnPreview: false },
        serving: {
            ...SERVING_DEFAULTS,
            scaleDownInactive: false,
            replicas: 3,
            maxReplicas: 6,
            resources: { cpuRequest: "4", cpuLimit: "8", memoryRequest: "16Gi", memoryLimit: "24Gi" },
        },
        monitoring: {
            ...MONITORING_DEFAULTS,
            retentionDays: 30,
            storageGiB: 200,
            replicas: 2,
            prometheusResources: { cpuRequest: "1", memoryRequest: "4Gi", memoryLimit: "12Gi" },
        },
        ecs: {
            ...ECS_DEFAULTS,
            instanceTypes: ["g5.2xlarge"],
            cpuUnits: 4096,
            memoryMiB: 24576,
            minTasks: 2,
            maxTasks: 6,
            bakeTimeMinutes: 15,
            logRetentionDays: 90,
            deletionProtection: true,
        },
        gpuNodePool: {
            capacityType: "ON_DEMAND",
            minSize: 1,
            // The capacity check's figure: 6 active pods at maxReplicas and 3 warm, one per g5.2xlarge.
            maxSize: 9,
            diskSizeGiB: 200,
            amiType: "AL2023_x86_64_NVIDIA",
        },
        gpuNodePools: [{ name: "inference", instanceTypes: ["g5.2xlarge"] }],
    },
};

const GPU_FAMILIES = [...new Set([...GPU_INSTANCE_TYPES.keys()].map((k) => k.split(".")[0]))].join(", ");

/** A rule that spans keys, found by {@link crossFieldProblems}. */
export interface CrossFieldProblem {
    path: Array<string | number>;
    message: string;
    input: unknown;
}

/**
 * Rules that span keys, checked on the merged input whether or not the rest is valid (so that
 * one run reports every problem). Each rule applies only where its own values have the right
 * types; wrong types are the schema's to report.
 */
export function crossFieldProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const problems: CrossFieldProblem[] = [];
    const isInt = (v: unknown): v is number => Number.isInteger(v);

    const serving = input.serving as Record<string, unknown> | undefined;
    if (input.tier === "prod" && isInt(serving?.replicas) && serving.replicas < PROD_MIN_REPLICAS) {
        problems.push({
            path: ["serving", "replicas"],
            message: `expected an integer >= ${PROD_MIN_REPLICAS} in the prod tier (one replica cannot survive a node drain)`,
            input: serving.replicas,
        });
    }

    const network = input.network as Record<string, unknown> | undefined;
    if (
        input.tier === "prod" &&
        network?.existing === undefined &&
        isInt(network?.availabilityZoneCount) &&
        network.availabilityZoneCount < 3
    ) {
        problems.push({
            path: ["network", "availabilityZoneCount"],
            message: "expected an integer >= 3 in the prod tier (a zone outage must leave two)",
            input: network.availabilityZoneCount,
        });
    }
    const systemNodes = (input.cluster as Record<string, Record<string, unknown>> | undefined)?.systemNodes;
    if (isInt(systemNodes?.minSize) && isInt(systemNodes.maxSize) && systemNodes.maxSize < systemNodes.minSize) {
        problems.push({
            path: ["cluster", "systemNodes", "maxSize"],
            message: `expected an integer >= minSize (${systemNodes.minSize})`,
            input: systemNodes.maxSize,
        });
    }

    if (isInt(serving?.replicas) && isInt(serving?.maxReplicas) && serving.maxReplicas < serving.replicas) {
        problems.push({
            path: ["serving", "maxReplicas"],
            message: `expected an integer >= replicas (${serving.replicas})`,
            input: serving.maxReplicas,
        });
    }
    if (typeof serving?.gpuPool === "string" && Array.isArray(input.gpuNodePools)) {
        const poolNames = (input.gpuNodePools as Array<Record<string, unknown>>).map((p) => p?.name);
        if (!poolNames.includes(serving.gpuPool)) {
            problems.push({
                path: ["serving", "gpuPool"],
                message: `expected the name of a GPU pool in gpuNodePools (${poolNames.map((n) => JSON.stringify(n)).join(", ")})`,
                input: serving.gpuPool,
            });
        }
    }

    const ecs = input.ecs as Record<string, unknown> | undefined;
    if (Array.isArray(ecs?.instanceTypes)) {
        ecs.instanceTypes.forEach((t, j) => {
            if (typeof t === "string" && /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(t) && !GPU_INSTANCE_TYPES.has(t)) {
                problems.push({
                    path: ["ecs", "instanceTypes", j],
                    message: `expected an NVIDIA GPU instance type (${GPU_FAMILIES}); Fargate has no GPUs`,
                    input: t,
                });
            }
        });
    }
    if (isInt(ecs?.minTasks) && isInt(ecs?.maxTasks) && ecs.maxTasks < ecs.minTasks) {
        problems.push({
            path: ["ecs", "maxTasks"],
            message: `expected an integer >= minTasks (${ecs.minTasks})`,
            input: ecs.maxTasks,
        });
    }
    if (input.tier === "prod" && isInt(ecs?.minTasks) && ecs.minTasks < PROD_MIN_REPLICAS) {
        problems.push({
            path: ["ecs", "minTasks"],
            message: `expected an integer >= ${PROD_MIN_REPLICAS} in the prod tier`,
            input: ecs.minTasks,
        });
    }

    const tags = input.tags;
    if (typeof tags === "object" && tags !== null && !Array.isArray(tags)) {
        for (const key of Object.keys(tags)) {
            if (key.length < 1 || key.length > 128 || key.toLowerCase().startsWith("aws:")) {
                problems.push({
                    path: ["tags"],
                    message: "expected tag names of 1-128 characters that do not start with the reserved prefix 'aws:'",
                    input: key,
                });
            } else if (!TAG_CHARACTERS.test(key)) {
                problems.push({ path: ["tags"], message: `expected tag names of ${TAG_CHARACTERS_HELP}`, input: key });
            }
        }
    }

    const pools = Array.isArray(input.gpuNodePools) ? (input.gpuNodePools as unknown[]) : [];
    const names = new Set<unknown>();
    pools.forEach((raw, i) => {
        if (typeof raw !== "object" || raw === null) return;
        const pool = raw as Record<string, unknown>;
        const { minSize, maxSize, desiredSize } = pool;
        if (isInt(minSize) && isInt(maxSize) && maxSize < minSize) {
            problems.push({
                path: ["gpuNodePools", i, "maxSize"],
                message: `expected an integer >= minSize (${minSize})`,
                input: maxSize,
            });
        }
        if (
            isInt(minSize) &&
            isInt(maxSize) &&
            isInt(desiredSize) &&
            (desiredSize < minSize || desiredSize > maxSize)
        ) {
            problems.push({
                path: ["gpuNodePools", i, "desiredSize"],
                message: `expected an integer between minSize (${minSize}) and maxSize (${maxSize})`,
                input: desiredSize,
            });
        }
        if (Array.isArray(pool.instanceTypes)) {
            pool.instanceTypes.forEach((t, j) => {
                if (typeof t === "string" && /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(t) && !GPU_INSTANCE_TYPES.has(t)) {
                    problems.push({
                        path: ["gpuNodePools", i, "instanceTypes", j],
                        message: `expected an NVIDIA GPU instance type (${GPU_FAMILIES}), such as g5.xlarge`,
                        input: t,
                    });
                }
            });
        }
        if (typeof pool.name === "string" && names.has(pool.name)) {
            problems.push({
                path: ["gpuNodePools", i, "name"],
                message: "expected a pool name not used by an earlier pool",
                input: pool.name,
            });
        }
        names.add(pool.name);
    });
    problems.push(...capacityProblems(input));

    const kubernetesVersion = (input.cluster as Record<string, unknown> | undefined)?.kubernetesVersion;
    if (typeof kubernetesVersion === "string" && /^1\.\d{2}$/.test(kubernetesVersion)) {
        if (!(kubernetesVersion in CLUSTER_AUTOSCALER_IMAGES)) {
            problems.push({
                path: ["cluster", "kubernetesVersion"],
                message: `expected one of ${Object.keys(CLUSTER_AUTOSCALER_IMAGES).join(", ")} (the versions the pinned cluster-autoscaler has a release line for)`,
                input: kubernetesVersion,
            });
        }
    }
    return problems;
}

/**
 * The serving GPU pool must hold every inference pod the autoscalers may run (see
 * `servingPods`): at the configured replicas and at maxReplicas, or the pods stay Pending no
 * matter what the node autoscaler does. EKS only (ECS has its own capacity provider).
 */
function capacityProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const serving = input.serving as Record<string, unknown> | undefined;
    const pools = input.gpuNodePools;
    if (!serving || !Array.isArray(pools) || !["eks", "both"].includes(serving.platform as string)) return [];
    const { replicas, maxReplicas, gpus, strategy, scaleDownInactive } = serving;
    const resources = serving.resources as Record<string, unknown> | undefined;
    const poolName = typeof serving.gpuPool === "string" ? serving.gpuPool : (pools[0] as { name?: unknown })?.name;
    const index = pools.findIndex((p) => (p as { name?: unknown } | null)?.name === poolName);
    const pool = pools[index] as Record<string, unknown> | undefined;
    const instanceTypes = pool?.instanceTypes;
    const slicing = (input.devicePlugin as Record<string, unknown> | undefined)?.timeSlicingReplicas;
    if (
        !pool ||
        !Number.isInteger(replicas) ||
        !Number.isInteger(maxReplicas) ||
        (maxReplicas as number) < (replicas as number) ||
        !Number.isInteger(gpus) ||
        (gpus as number) < 1 ||
        (strategy !== "blue-green" && strategy !== "canary") ||
        typeof scaleDownInactive !== "boolean" ||
        typeof resources?.cpuRequest !== "string" ||
        typeof resources.memoryRequest !== "string" ||
        !Number.isInteger(pool.maxSize) ||
        (Number.isInteger(pool.minSize) && (pool.maxSize as number) < (pool.minSize as number)) ||
        !Array.isArray(instanceTypes) ||
        instanceTypes.length === 0 ||
        !instanceTypes.every((t) => typeof t === "string" && GPU_INSTANCE_TYPES.has(t)) ||
        (slicing !== undefined && !Number.isInteger(slicing))
    ) {
        return [];
    }
    const capacity = poolCapacity(instanceTypes as string[]);
    const request = { gpus: gpus as number, cpuRequest: resources.cpuRequest, memoryRequest: resources.memoryRequest };
    const perNode = podsPerNode(capacity, request, slicing as number | undefined);
    const shape = `${request.gpus} GPU${request.gpus === 1 ? "" : "s"}, ${request.cpuRequest} CPU and ${request.memoryRequest} each`;
    if (perNode.pods === 0) {
        const offered = perNode.offers[perNode.limitedBy];
        const free = {
            GPUs: `${offered} GPU${offered === 1 ? "" : "s"}`,
            CPU: `${offered} vCPU`,
            memory: `${offered} GiB`,
        }[perNode.limitedBy];
        const asked = { GPUs: `${request.gpus} GPUs`, CPU: `${request.cpuRequest} CPU`, memory: request.memoryRequest }[
            perNode.limitedBy
        ];
        return [
            {
                path: perNode.limitedBy === "GPUs" ? ["serving", "gpus"] : ["serving", "resources"],
                message: `expected a pod that fits a node of GPU pool "${String(poolName)}": it asks for ${asked} but a ${(instanceTypes as string[]).join(" / ")} node has ${free} for pods (after the kubelet's reserve and the DaemonSets)`,
                input: perNode.limitedBy === "GPUs" ? gpus : resources,
            },
        ];
    }
    const pods = servingPods({
        replicas: replicas as number,
        maxReplicas: maxReplicas as number,
        strategy,
        scaleDownInactive,
    });
    const nodesFor = (n: number): number => Math.ceil(n / perNode.pods);
    const maxSize = pool.maxSize as number;
    const holds = `a ${(instanceTypes as string[]).join(" / ")} node holds ${perNode.pods} (${shape}; limited by ${perNode.limitedBy})`;
    if (nodesFor(pods.configured) > maxSize) {
        return [
            {
                path: ["gpuNodePools", index, "maxSize"],
                message: `expected an integer >= ${nodesFor(pods.peak)}: at llm-platform:serving.replicas (${String(replicas)}) serving already runs ${pods.configured} pods (${pods.explain}) and ${holds}; raise it, or lower llm-platform:serving.replicas${strategy === "blue-green" && !scaleDownInactive ? " or set llm-platform:serving.scaleDownInactive" : ""}`,
                input: maxSize,
            },
        ];
    }
    if (nodesFor(pods.peak) > maxSize) {
        return [
            {
                path: ["gpuNodePools", index, "maxSize"],
                message: `expected an integer >= ${nodesFor(pods.peak)}: at llm-platform:serving.maxReplicas (${String(maxReplicas)}) serving runs ${pods.peak} pods (${pods.explain}) and ${holds}; raise it, or lower llm-platform:serving.maxReplicas`,
                input: maxSize,
            },
        ];
    }
    return [];
}
