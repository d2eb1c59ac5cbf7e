/**
 * The llm-platform stack program: reads and validates the stack's settings (before any resource
 * is registered), composes the platform components and returns the stack outputs.
 */
import { ContainerRegistry } from "../components/aws/containerRegistry";
import { EksCluster } from "../components/aws/eksCluster";
import { GpuNodePool } from "../components/aws/gpuNodePool";
import { Network } from "../components/aws/network";
import { BlueGreenEksService } from "../components/k8s/blueGreenEksService";
import { NvidiaDevicePlugin } from "../components/k8s/nvidiaDevicePlugin";
import { PROD_MIN_REPLICAS } from "../environments/schema";
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
    const protect = settings.protectStatefulResources;

    const network = new Network("network", { ...settings.network, protect, tags });
    const cluster = new EksCluster("llm", {
        existingClusterName: settings.cluster.existingClusterName,
        kubernetesVersion: settings.cluster.kubernetesVersion,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        publicAccessCidrs: settings.cluster.publicAccessCidrs,
        adminRoleArns: settings.cluster.adminRoleArns,
        systemNodes: settings.cluster.systemNodes,
        protect,
        tags,
    });
    const pools = settings.gpuNodePools.map(
        (pool) =>
            new GpuNodePool(`gpu-${pool.name}`, {
                clusterName: cluster.clusterName,
                subnetIds: network.privateSubnetIds,
                instanceTypes: [...pool.instanceTypes],
                amiType: pool.amiType,
                capacityType: pool.capacityType,
                minSize: pool.minSize,
                desiredSize: pool.desiredSize,
                maxSize: pool.maxSize,
                diskSizeGiB: pool.diskSizeGiB,
                tags,
            }),
    );
    new NvidiaDevicePlugin("nvidia-device-plugin", {
        provider: cluster.provider,
        timeSlicingReplicas: settings.devicePlugin.timeSlicingReplicas,
    });

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

    const serving = settings.serving;
    const servingOutputs: Record<string, unknown> = {};
    if (serving.platform === "eks" || serving.platform === "both") {
        const poolName = serving.gpuPool ?? settings.gpuNodePools[0].name;
        const pool = pools[settings.gpuNodePools.findIndex((p) => p.name === poolName)];
        const release = (color: "blue" | "green") => ({
            image: serving[color].image ?? image.imageRef,
            modelVersion: serving[color].modelVersion,
        });
        const service = new BlueGreenEksService("inference", {
            provider: cluster.provider,
            pool,
            oidcProviderArn: cluster.oidcProviderArn,
            oidcIssuerUrl: cluster.oidcIssuerUrl,
            modelBucketName: models.bucketName,
            modelReadPolicyArn: models.readPolicyArn,
            blue: release("blue"),
            green: release("green"),
            activeColor: serving.activeColor,
            scaleDownInactive: serving.scaleDownInactive,
            strategy: serving.strategy,
            canary: serving.canary,
            replicas: serving.replicas,
            maxReplicas: serving.maxReplicas,
            minReplicas: settings.tier === "prod" ? PROD_MIN_REPLICAS : 1,
            gpus: serving.gpus,
            resources: serving.resources,
            containerPort: serving.containerPort,
            healthPath: serving.healthPath,
            readyPath: serving.readyPath,
            startupTimeoutSeconds: serving.startupTimeoutSeconds,
            targetCpuUtilization: serving.targetCpuUtilization,
            queueLengthMetric: serving.queueLengthMetric,
            ingressNamespaces: [...serving.ingressNamespaces],
            ingressCidrs: [...serving.ingressCidrs],
            prometheusNamespace: serving.prometheusNamespace,
            tags,
        });
        Object.assign(servingOutputs, {
            eksNamespace: service.namespace,
            eksActiveService: service.activeService,
            eksPreviewService: service.previewService,
            eksActiveColor: service.activeColor,
        });
    }

    return {
        ...servingOutputs,
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
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        clusterName: cluster.clusterName,
        oidcProviderArn: cluster.oidcProviderArn,
        kubeconfig: cluster.kubeconfig,
        servingReplicas: settings.serving.replicas,
        gpuNodePools: pools.map((p, i) => ({
            name: settings.gpuNodePools[i].name,
            nodeGroupName: p.nodeGroupName,
            capacityType: settings.gpuNodePools[i].capacityType,
            gpusPerNode: p.capacity.gpusPerNode,
            gpuMemoryGiB: p.capacity.gpuMemoryGiB,
            gpuTypes: p.capacity.gpuTypes,
        })),
    };
}
