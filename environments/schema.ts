/**
 * The typed configuration surface of the llm-platform stacks: one zod schema for every
 * `llm-platform:*` key. The tier defaults that fill in what a stack file leaves out are in
 * defaults.ts, the rules that span keys in rules.ts.
 *
 * Each key's `.describe()` text is the single source of its documentation: Pulumi.yaml and
 * docs/configuration.md's table are checked against it by the tests.
 */
import { z } from "zod";
import { CLOUDWATCH_RETENTION_DAYS, DIGEST_REFERENCE } from "../catalog/formats";
import {
    gpuNodePoolSchema,
    instanceType,
    intIn,
    ipv4Cidr,
    TAG_CHARACTERS,
    TAG_CHARACTERS_HELP,
    tagKey,
    tagValue,
} from "./schemaParts";
import { modelsSchema } from "./modelSchema";
import { modelRegistrySchema, retrainingSchema } from "./loopSchema";
import { ecsSchema, monitoringSchema, servingSchema } from "./servingSchema";

export {
    CAPACITY_TYPES,
    gpuNodePoolSchema,
    TAG_CHARACTERS,
    TAG_CHARACTERS_HELP,
    type GpuNodePoolSettings,
} from "./schemaParts";

export const CONFIG_NAMESPACE = "llm-platform";

export const TIERS = ["staging", "prod"] as const;
export type Tier = (typeof TIERS)[number];

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
                .array(ipv4Cidr)
                .describe("CIDRs allowed to reach the public API endpoint; empty keeps it private."),
            privateAccessCidrs: z
                .array(ipv4Cidr)
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
            name: z
                .string({ error: "expected a string" })
                .regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, {
                    error: "expected an EKS cluster name (letters, digits, - and _, at most 100)",
                })
                .optional()
                .describe(
                    "The new cluster's name in EKS, given before its first `pulumi up`: the stack then creates the control plane's log group /aws/eks/<name>/cluster with monitoring.logs' retention and key before the cluster. Unset: Pulumi's auto-name, and the control plane logs to the group EKS makes, whose events never expire until you give it a retention (aws logs put-retention-policy). Leave it unset on a stack deployed without it: a new name replaces the cluster, and its own name meets the group EKS already made.",
                ),
            systemNodes: z
                .strictObject({
                    instanceTypes: z.array(instanceType).min(1, { error: "expected at least one instance type" }),
                    minSize: intIn(1, 100),
                    maxSize: intIn(1, 100),
                })
                .describe(
                    "Untainted nodes for cluster services: {instanceTypes, minSize, maxSize}. maxSize must hold the add-ons the stack installs at their requests (checked for the general-purpose types the catalog knows; each tier needs three m6i.large); the cluster autoscaler grows the group to it.",
                ),
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
    serving: servingSchema,
    models: modelsSchema,
    modelRegistry: modelRegistrySchema,
    retraining: retrainingSchema,
    monitoring: monitoringSchema,
    ecs: ecsSchema,
    gpuNodePools: z
        .array(gpuNodePoolSchema, { error: "expected an array of GPU node pools" })
        .min(1, { error: "expected at least one GPU node pool" })
        .describe(
            "GPU node pools (a list; it replaces the default list). Each entry is merged over the tier's pool defaults.",
        ),
});

export type Settings = z.infer<typeof settingsSchema>;
