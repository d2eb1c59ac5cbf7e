/**
 * The llm-platform stack program: reads and validates the stack's settings (before any resource
 * is registered), composes the platform components and returns the stack outputs.
 */
import { ContainerRegistry } from "../components/aws/containerRegistry";
import { InferenceImage } from "../components/aws/inferenceImage";
import { ModelArtifactBucket } from "../components/aws/modelArtifactBucket";
import { loadSettings, type PlatformSettings } from "../environments/loader";

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

export async function program(): Promise<Record<string, unknown>> {
    const settings = loadSettings();
    const tags = platformTags(settings);

    const models = new ModelArtifactBucket("models", {
        noncurrentVersionExpirationDays: settings.modelBucket.noncurrentVersionExpirationDays,
        abortIncompleteMultipartUploadDays: settings.modelBucket.abortIncompleteMultipartUploadDays,
        accessLogRetentionDays: settings.modelBucket.accessLogRetentionDays,
        objectLockRetentionDays: settings.modelBucket.objectLockRetentionDays,
        forceDestroy: settings.modelBucket.forceDestroy,
        protect: settings.protectStatefulResources,
        tags,
    });

    const registry = new ContainerRegistry("inference", {
        untaggedExpireDays: settings.registry.untaggedExpireDays,
        keepTaggedImages: settings.registry.keepTaggedImages,
        forceDelete: settings.registry.forceDelete,
        protect: settings.protectStatefulResources,
        tags,
    });
    const image = new InferenceImage("inference", {
        imageReference: settings.image.reference,
        repositoryUrl: settings.image.reference === undefined ? registry.repositoryUrl : undefined,
        registryId: registry.registryId,
        platform: settings.image.platform,
        buildOnPreview: settings.image.buildOnPreview,
    });

    return {
        tier: settings.tier,
        region: settings.region,
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
        gpuNodePools: settings.gpuNodePools.map((p) => ({
            name: p.name,
            capacityType: p.capacityType,
            minSize: p.minSize,
            maxSize: p.maxSize,
        })),
    };
}
