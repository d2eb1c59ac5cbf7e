/**
 * The llm-platform stack program: reads and validates the stack's settings (before any resource
 * is registered), composes the platform components and returns the stack outputs.
 *
 * Shared by every stack: the network, the model artifact bucket, the registry and the image.
 * Then the serving platform: EKS (cluster, GPU pools, device plugin, blue-green service), ECS
 * (blue/green service with its own GPU capacity), or both, per `llm-platform:serving.platform`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ContainerRegistry } from "../components/aws/containerRegistry";
import { EksCluster } from "../components/aws/eksCluster";
import { GpuNodePool } from "../components/aws/gpuNodePool";
import { InferenceImage, REGISTRY_IMAGE_CONTEXT } from "../components/aws/inferenceImage";
import { ModelRegistry } from "../components/k8s/modelRegistry";
import { RETRAINING_NAMESPACE, RetrainingTrigger } from "../components/k8s/retraining";
import { FeedbackStore } from "../components/aws/feedbackStore";
import { ModelArtifactBucket } from "../components/aws/modelArtifactBucket";
import { Network } from "../components/aws/network";
import { METRIC_PRESETS } from "../components/k8s/alertRules";
import { BlueGreenEksService } from "../components/k8s/blueGreenEksService";
import { CanaryDelivery, prometheusUrl } from "../components/k8s/canaryDelivery";
import { ClusterAutoscaler } from "../components/k8s/clusterAutoscaler";
import { Keda, KEDA_NAMESPACE, KedaHttpAddOn } from "../components/k8s/keda";
import { LoadBalancerController } from "../components/k8s/loadBalancerController";
import { MonitoringStack } from "../components/k8s/monitoringStack";
import { NvidiaDevicePlugin } from "../components/k8s/nvidiaDevicePlugin";
import { loadSettings, type PlatformSettings } from "../environments/loader";
import { DEFAULT_MODEL_NAME, servedModels } from "../environments/models";
import { createPrefixReadPolicy } from "../components/aws/modelArtifactBucket";
import { MODEL_ROUTE_HEADER, type EntryPoint } from "../components/k8s/entryPoint";
import { PROD_MIN_REPLICAS } from "../catalog/standards";
import { ecsPlatform } from "./ecsPlatform";
import { referenceReleases } from "./releases";
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
                // The services' capacity check counts what the device plugin advertises per GPU.
                timeSlicingReplicas: settings.devicePlugin.timeSlicingReplicas,
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
    const served = servedModels(settings);
    const servingName = served[0].name;
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
    // Models that may go to zero are woken through KEDA's HTTP add-on (the rules refuse it without KEDA and the ALB).
    const httpAddOn =
        keda && lbController && served.some((m) => m.scaleToZero.enabled)
            ? new KedaHttpAddOn("keda-http-add-on", { provider: cluster.provider, keda })
            : undefined;
    // The model registry (MLflow): releases may name a registered version; retraining registers candidates there.
    const registry = settings.modelRegistry.enabled
        ? new ModelRegistry("registry", {
              provider: cluster.provider,
              vpcId: network.vpcId,
              subnetIds: network.privateSubnetIds,
              vpcCidr: network.cidrBlock,
              bucketName: models.bucketName,
              bucketArn: models.bucketArn,
              kmsKeyArn: models.kmsKeyArn,
              oidcProviderArn: cluster.oidcProviderArn,
              oidcIssuerUrl: cluster.oidcIssuerUrl,
              image: registryImage(shared),
              clientNamespaces: [
                  ...served.map((m) => m.name),
                  ...(settings.retraining.enabled ? [RETRAINING_NAMESPACE] : []),
              ],
              prometheusNamespace: serving.prometheusNamespace,
              replicas: settings.modelRegistry.replicas,
              database: {
                  instanceClass: settings.modelRegistry.instanceClass,
                  allocatedStorageGiB: settings.modelRegistry.allocatedStorageGiB,
                  maxAllocatedStorageGiB: settings.modelRegistry.maxAllocatedStorageGiB,
                  backupRetentionDays: settings.modelRegistry.backupRetentionDays,
                  multiAz: settings.modelRegistry.multiAz,
              },
              deletionProtection: protect,
              protect,
              entryPoint:
                  lbController && settings.modelRegistry.entryPoint
                      ? {
                            allowedCidrs: [...entry.allowedCidrs],
                            certificateArn: entry.certificateArn,
                            host: entry.domain !== undefined ? `registry.${entry.domain}` : undefined,
                            ready: lbController.ready,
                        }
                      : undefined,
              runbookBaseUrl: settings.monitoring.runbookBaseUrl,
              tags,
          })
        : undefined;
    const services = served.map((model) => {
        const readPolicy = model.listed
            ? createPrefixReadPolicy(`${model.name}-model-read`, {
                  bucketArn: models.bucketArn,
                  kmsKeyArn: models.kmsKeyArn,
                  prefix: model.modelPrefix,
                  tags,
              })
            : undefined;
        const service = new BlueGreenEksService(model.name, {
            provider: cluster.provider,
            pool: pools[settings.gpuNodePools.findIndex((p) => p.name === model.gpuPool)],
            oidcProviderArn: cluster.oidcProviderArn,
            oidcIssuerUrl: cluster.oidcIssuerUrl,
            modelBucketName: models.bucketName,
            // A listed model reads only its own prefix; the one model of a stack without the list, the bucket's models/.
            modelReadPolicyArn: readPolicy ? readPolicy.arn : models.readPolicyArn,
            modelPrefix: model.modelPrefix,
            registry: registry && { image: registry.image, trackingUri: registry.trackingUri },
            servedModelName: model.servedModelName,
            tensorParallelSize: model.tensorParallelSize,
            blue: releaseOf(shared, model.blue),
            green: releaseOf(shared, model.green),
            activeColor: model.activeColor,
            scaleDownInactive: model.scaleDownInactive,
            strategy: serving.strategy,
            canary: serving.canary,
            canaryDelivery,
            metrics,
            replicas: model.replicas,
            maxReplicas: model.maxReplicas,
            minReplicas: settings.tier === "prod" ? PROD_MIN_REPLICAS : 1,
            gpus: model.gpus,
            resources: model.resources,
            containerPort: serving.containerPort,
            healthPath: model.healthPath,
            readyPath: model.readyPath,
            startupTimeoutSeconds: model.startupTimeoutSeconds,
            targetCpuUtilization: serving.targetCpuUtilization,
            queueLengthMetric: serving.queueLengthMetric,
            keda: keda && {
                ready: keda.ready,
                prometheusUrl: prometheusUrl(serving.prometheusNamespace),
                scaleOn: { ...model.scaleOn },
            },
            scaleToZero:
                httpAddOn && model.scaleToZero.enabled
                    ? {
                          addOn: { namespace: KEDA_NAMESPACE, ready: httpAddOn.ready },
                          idleMinutes: model.scaleToZero.idleMinutes,
                          targetConcurrency: model.scaleToZero.targetConcurrency,
                      }
                    : undefined,
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
                // Every model behind one load balancer (the group of the stack's first, single-model shape).
                group: DEFAULT_MODEL_NAME,
                route: model.listed ? modelRoute(model.name, entry.domain) : undefined,
            },
            prometheusNamespace: serving.prometheusNamespace,
            tags,
        });
        return { model, service };
    });
    // Production feedback: a stream into the model bucket's feedback/ prefix; each model's pods may send to it.
    const feedback = new FeedbackStore("feedback", {
        bucketArn: models.bucketArn,
        kmsKeyArn: models.kmsKeyArn,
        protect,
        tags,
    });
    for (const { model, service } of services)
        new aws.iam.RolePolicyAttachment(
            `${model.name}-feedback-write`,
            { role: service.role.name, policyArn: feedback.writePolicyArn },
            { parent: service },
        );
    // Retraining runs per model: weekly and on its drift alert, ending in a registry version aliased candidate.
    const retraining =
        settings.retraining.enabled && registry && keda
            ? new RetrainingTrigger("retraining", {
                  provider: cluster.provider,
                  image: settings.retraining.image!,
                  models: services.map(({ model }) => {
                      const pool = pools[settings.gpuNodePools.findIndex((p) => p.name === model.gpuPool)];
                      return { name: model.name, gpus: settings.retraining.gpus, pool };
                  }),
                  schedule: settings.retraining.schedule,
                  dataWindowDays: settings.retraining.dataWindowDays,
                  cooldownHours: settings.retraining.cooldownHours,
                  timeoutHours: settings.retraining.timeoutHours,
                  trackingUri: registry.trackingUri,
                  registryReady: registry.ready,
                  feedbackUri: pulumi.interpolate`s3://${models.bucketName}/feedback/`,
                  bucketArn: models.bucketArn,
                  kmsKeyArn: models.kmsKeyArn,
                  oidcProviderArn: cluster.oidcProviderArn,
                  oidcIssuerUrl: cluster.oidcIssuerUrl,
                  keda: { ready: keda.ready, prometheusUrl: prometheusUrl(serving.prometheusNamespace) },
                  namespace: RETRAINING_NAMESPACE,
                  tags,
              })
            : undefined;
    const monitoring = new MonitoringStack("monitoring", {
        provider: cluster.provider,
        namespace: serving.prometheusNamespace,
        services: services.map(({ model, service }) => ({
            name: model.name,
            namespace: service.namespace,
            selector: service.metricsSelector,
            slo: model.slo,
        })),
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
        feedbackStreamName: feedback.streamName,
        ...(registry
            ? {
                  modelRegistryUri: registry.trackingUri,
                  modelRegistryUrl: registry.url ?? null,
                  modelRegistryCredentialsSecretArn: registry.credentialsSecretArn,
              }
            : {}),
        ...(retraining ? { retrainingNamespace: retraining.namespace } : {}),
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
        ...legacyServiceOutputs(services[0].service),
        models: services.map(({ model, service }) => ({
            name: model.name,
            servedModelName: model.servedModelName ?? null,
            namespace: service.namespace,
            activeService: service.activeService,
            previewService: service.previewService,
            activeColor: service.activeColor,
            route: model.listed && lbController ? describeRoute(modelRoute(model.name, entry.domain)) : "every request",
            // Where npm run promote reaches each colour (from inside the network), unless smokeTest sets URLs.
            activeUrl: service.urls?.active ?? null,
            previewUrl: service.urls?.preview ?? null,
        })),
        // What `llm-platform promote` reads (components/release.ts).
        llmPlatformReleases: referenceReleases(settings, services),
    };
}

/** The registry's image: a prebuilt one by digest, or images/mlflow built into its own ECR repository. */
function registryImage(shared: Shared): pulumi.Input<string> {
    const { settings, protect, tags } = shared;
    if (settings.modelRegistry.image !== undefined) return settings.modelRegistry.image;
    const repository = new ContainerRegistry("mlflow", {
        untaggedExpireDays: settings.registry.untaggedExpireDays,
        keepTaggedImages: settings.registry.keepTaggedImages,
        forceDelete: settings.registry.forceDelete,
        protect,
        tags,
    });
    return new InferenceImage("mlflow", {
        context: REGISTRY_IMAGE_CONTEXT,
        repositoryUrl: repository.repositoryUrl,
        registryId: repository.registryId,
        platform: settings.image.platform,
        buildOnPreview: settings.image.buildOnPreview,
    }).imageRef;
}

/** How a listed model is reached on the shared load balancer: by host under `domain`, or by header. */
export function modelRoute(model: string, domain: string | undefined): NonNullable<EntryPoint["route"]> {
    return domain !== undefined
        ? { host: `${model}.${domain}` }
        : { header: { name: MODEL_ROUTE_HEADER, value: model } };
}

function describeRoute(route: NonNullable<EntryPoint["route"]>): string {
    return route.host !== undefined ? `host ${route.host}` : `header ${route.header!.name}: ${route.header!.value}`;
}

/** The single-service outputs of the shape before the model list: the first model's. */
function legacyServiceOutputs(service: BlueGreenEksService): Record<string, unknown> {
    return {
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
