/**
 * The llm-platform stack program: reads and validates the stack's settings (before any resource
 * is registered), composes the platform components and returns the stack outputs.
 *
 * Shared by every stack: the network, the model artifact bucket, the registry and the image.
 * Then the serving platform: EKS (cluster, GPU pools, device plugin, blue-green service), ECS
 * (blue/green service with its own GPU capacity), or both, per `llm-platform:serving.platform`.
 */
import { ContainerRegistry } from "../components/aws/containerRegistry";
import { InferenceImage } from "../components/aws/inferenceImage";
import { ModelArtifactBucket } from "../components/aws/modelArtifactBucket";
import { Network } from "../components/aws/network";
import { ConfigError, loadSettings, type PlatformSettings } from "../environments/loader";
import { evaluationSetProblems, projectRoot } from "../tools/promote/evaluationSets";
import { ecsPlatform } from "./ecsPlatform";
import { eksPlatform } from "./eksPlatform";
import type { Shared } from "./shared";

/** Tags on every AWS resource: cost allocation and ownership first, then the stack's own. */
export function platformTags(settings: PlatformSettings): Record<string, string> {
    return {
        ...settings.tags,
        Project: "llm-platform",
        Stack: settings.stack,
        Tier: settings.tier,
        Owner: settings.owner,
        CostCenter: settings.costCenter,
        ManagedBy: "pulumi",
    };
}

export { modelRoute } from "./eksPlatform";

export async function program(): Promise<Record<string, unknown>> {
    const settings = loadSettings();
    // The files the settings name, read now: a missing or malformed set stops the plan, not a promotion.
    const sets = evaluationSetProblems(settings, projectRoot(process.cwd()));
    if (sets.length > 0) throw new ConfigError(settings.stack, sets);
    const tags = platformTags(settings);
    const protect = settings.protectStatefulResources;

    const network = new Network("network", { ...settings.network, protect, tags });
    const models = new ModelArtifactBucket("models", {
        noncurrentVersionExpirationDays: settings.modelBucket.noncurrentVersionExpirationDays,
        abortIncompleteMultipartUploadDays: settings.modelBucket.abortIncompleteMultipartUploadDays,
        accessLogRetentionDays: settings.modelBucket.accessLogRetentionDays,
        objectLockRetentionDays: settings.modelBucket.objectLockRetentionDays,
        forceDestroy: settings.modelBucket.forceDestroy,
        protect,
        tags,
    });
    const registry = new ContainerRegistry("inference", {
        untaggedExpireDays: settings.registry.untaggedExpireDays,
        keepTaggedImages: settings.registry.keepTaggedImages,
        forceDelete: settings.registry.forceDelete,
        protect,
        tags,
    });
    const image = new InferenceImage("inference", {
        imageReference: settings.image.reference,
        repositoryUrl: settings.image.reference === undefined ? registry.repositoryUrl : undefined,
        registryId: registry.registryId,
        platform: settings.image.platform,
        buildOnPreview: settings.image.buildOnPreview,
    });

    const shared: Shared = { settings, tags, protect, network, models, image };
    const platform = settings.serving.platform;
    return {
        tier: settings.tier,
        region: settings.region,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        modelBucketName: models.bucketName,
        modelBucketArn: models.bucketArn,
        modelBucketKmsKeyArn: models.kmsKeyArn,
        modelReadPolicyArn: models.readPolicyArn,
        modelWritePolicyArn: models.writePolicyArn,
        dvcRemoteUrl: models.dvcRemoteUrl,
        mlflowArtifactUri: models.mlflowArtifactUri,
        repositoryUrl: registry.repositoryUrl,
        inferenceImage: image.imageRef,
        servingReplicas: settings.serving.replicas,
        ...(platform === "eks" || platform === "both" ? eksPlatform(shared) : {}),
        ...(platform === "ecs" || platform === "both" ? ecsPlatform(shared) : {}),
    };
}
