/**
 * The llm-platform stack program: reads and validates the stack's settings (before any resource
 * is registered), composes the platform components and returns the stack outputs.
 *
 * Shared by every stack: the network, the model artifact bucket, the registry and the image.
 * Then the serving platform: EKS (cluster, GPU pools, device plugin, blue-green service), ECS
 * (blue/green service with its own GPU capacity), or both, per `llm-platform:serving.platform`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ContainerRegistry } from "../components/aws/containerRegistry";
import { EksCluster } from "../components/aws/eksCluster";
import { GpuNodePool } from "../components/aws/gpuNodePool";
import { InferenceImage } from "../components/aws/inferenceImage";
import { ModelArtifactBucket } from "../components/aws/modelArtifactBucket";
import { Network } from "../components/aws/network";
import { METRIC_PRESETS } from "../components/k8s/alertRules";
import { BlueGreenEksService } from "../components/k8s/blueGreenEksService";
import { CanaryDelivery, prometheusUrl } from "../components/k8s/canaryDelivery";
import { ClusterAutoscaler } from "../components/k8s/clusterAutoscaler";
import { Keda } from "../components/k8s/keda";
import { LoadBalancerController } from "../components/k8s/loadBalancerController";
import { MonitoringStack } from "../components/k8s/monitoringStack";
import { NvidiaDevicePlugin } from "../components/k8s/nvidiaDevicePlugin";
import { loadSettings, type PlatformSettings } from "../environments/loader";
import { PROD_MIN_REPLICAS } from "../catalog/standards";
import { ecsPlatform } from "./ecsPlatform";
import { releaseOf, type Shared } from "./shared";

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

function eksPlatform(shared: Shared): Record<string, unknown> {
    const { settings, tags, protect, network, models } = shared;
    const cluster = new EksCluster("llm", {
        existingClusterName: settings.cluster.existingClusterName,
        kubernetesVersion: settings.cluster.kubernetesVersion,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        publicAccessCidrs: settings.cluster.publicAccessCidrs,
        privateAccessCidrs: settings.cluster.privateAccessCidrs,
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
    new ClusterAutoscaler("cluster-autoscaler", {
        provider: cluster.provider,
        clusterName: cluster.clusterName,
        region: settings.region,
        oidcProviderArn: cluster.oidcProviderArn,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        kubernetesVersion: settings.cluster.kubernetesVersion,
        tags,
    });
    new NvidiaDevicePlugin("nvidia-device-plugin", {
        provider: cluster.provider,
        timeSlicingReplicas: settings.devicePlugin.timeSlicingReplicas,
    });

    const serving = settings.serving;
    const metrics = METRIC_PRESETS[settings.monitoring.metricsPreset];
    // The serving namespace: BlueGreenEksService names it after the service (args.namespace unset).
    const servingName = "inference";
    const canaryDelivery =
        serving.strategy === "canary"
            ? new CanaryDelivery("canary-delivery", {
                  provider: cluster.provider,
                  servingNamespace: servingName,
                  prometheusNamespace: serving.prometheusNamespace,
              })
            : undefined;
    // KEDA scales the inference Deployments on vLLM's own load, read from the platform's Prometheus.
    const keda = serving.autoscaler === "keda" ? new Keda("keda", { provider: cluster.provider }) : undefined;
    // The way in from outside (blue-green; under canary it is the gateway): an ALB from the controller.
    const entry = serving.entryPoint;
    const lbController =
        entry.enabled && serving.strategy === "blue-green"
            ? new LoadBalancerController("aws-load-balancer-controller", {
                  provider: cluster.provider,
                  clusterName: cluster.clusterName,
                  region: settings.region,
                  vpcId: network.vpcId,
                  oidcProviderArn: cluster.oidcProviderArn,
                  oidcIssuerUrl: cluster.oidcIssuerUrl,
                  tags,
              })
            : undefined;
    const poolName = serving.gpuPool ?? settings.gpuNodePools[0].name;
    const service = new BlueGreenEksService(servingName, {
        provider: cluster.provider,
        pool: pools[settings.gpuNodePools.findIndex((p) => p.name === poolName)],
        oidcProviderArn: cluster.oidcProviderArn,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        modelBucketName: models.bucketName,
        modelReadPolicyArn: models.readPolicyArn,
        blue: releaseOf(shared, "blue"),
        green: releaseOf(shared, "green"),
        activeColor: serving.activeColor,
        scaleDownInactive: serving.scaleDownInactive,
        strategy: serving.strategy,
        canary: serving.canary,
        canaryDelivery,
        metrics,
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
        keda: keda && {
            ready: keda.ready,
            prometheusUrl: prometheusUrl(serving.prometheusNamespace),
            scaleOn: { ...serving.scaleOn },
        },
        ingressNamespaces: [...serving.ingressNamespaces],
        // The ALB sends to the pods' IPs from its own addresses in the VPC.
        ingressCidrs: lbController ? [...serving.ingressCidrs, network.cidrBlock] : [...serving.ingressCidrs],
        entryPoint: lbController && {
            internetFacing: entry.internetFacing,
            certificateArn: entry.certificateArn,
            allowedCidrs: [...entry.allowedCidrs],
            previewPort: entry.previewPort,
            deletionProtection: entry.deletionProtection,
            ready: lbController.ready,
        },
        prometheusNamespace: serving.prometheusNamespace,
        tags,
    });
    const monitoring = new MonitoringStack("monitoring", {
        provider: cluster.provider,
        namespace: serving.prometheusNamespace,
        services: [{ name: "inference", namespace: service.namespace, selector: service.metricsSelector }],
        metrics,
        slo: settings.monitoring.slo,
        receivers: pulumi.secret({ ...settings.monitoring.alerting, region: settings.region }),
        retentionDays: settings.monitoring.retentionDays,
        storageGiB: settings.monitoring.storageGiB,
        replicas: settings.monitoring.replicas,
        prometheusResources: settings.monitoring.prometheusResources,
        runbookBaseUrl: settings.monitoring.runbookBaseUrl,
    });
    return {
        monitoringNamespace: monitoring.namespace,
        grafanaAdminPassword: monitoring.grafanaAdminPassword,
        clusterName: cluster.clusterName,
        oidcProviderArn: cluster.oidcProviderArn,
        kubeconfig: cluster.kubeconfig,
        gpuNodePools: pools.map((p, i) => ({
            name: settings.gpuNodePools[i].name,
            nodeGroupName: p.nodeGroupName,
            capacityType: settings.gpuNodePools[i].capacityType,
            gpusPerNode: p.capacity.gpusPerNode,
            gpuMemoryGiB: p.capacity.gpuMemoryGiB,
            gpuTypes: p.capacity.gpuTypes,
        })),
        eksNamespace: service.namespace,
        eksActiveService: service.activeService,
        eksPreviewService: service.previewService,
        eksActiveColor: service.activeColor,
    };
}

export async function program(): Promise<Record<string, unknown>> {
    const settings = loadSettings();
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
