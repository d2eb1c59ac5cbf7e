/**
 * The typed configuration surface of the llm-platform stacks: one zod schema for every
 * `llm-platform:*` key. The tier defaults that fill in what a stack file leaves out are in
 * defaults.ts, the rules that span keys in rules.ts.
 *
 * Each key's `.describe()` text is the single source of its documentation: Pulumi.yaml and
 * the README's config table are checked against it by the tests.
 */
import { z } from "zod";
import { CLOUDWATCH_RETENTION_DAYS, DIGEST_REFERENCE, SECRET_REFERENCE } from "../catalog/formats";
import { GPU_AMI_TYPES } from "../catalog/gpu";

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
export const TAG_CHARACTERS_HELP = "letters, digits, spaces and _ . : / = + - @ only (what AWS accepts in tags)";
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
