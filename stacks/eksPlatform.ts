/**
 * The EKS serving platform of the stack program: a thin function that wires named parts, each
 * building one concern from the settings (the cluster; GPU capacity; the add-ons serving needs; the
 * model registry; a service per model; feedback and retraining; monitoring; the outputs). Logical
 * names are those of the single function this replaced, so every URN is too (tests/fixtures/urns).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ContainerRegistry } from "../components/aws/containerRegistry";
import { EksCluster } from "../components/aws/eksCluster";
import { FeedbackStore } from "../components/aws/feedbackStore";
import { GpuNodePool } from "../components/aws/gpuNodePool";
import { InferenceImage, REGISTRY_IMAGE_CONTEXT } from "../components/aws/inferenceImage";
import { createPrefixReadPolicy } from "../components/aws/modelArtifactBucket";
import { METRIC_PRESETS, xrayTracesConsoleUrl } from "../components/k8s/alertRules";
import { BlueGreenEksService } from "../components/k8s/blueGreenEksService";
import { CanaryDelivery, prometheusUrl } from "../components/k8s/canaryDelivery";
import { ClusterAutoscaler } from "../components/k8s/clusterAutoscaler";
import { MODEL_ROUTE_HEADER, type EntryPoint } from "../components/k8s/entryPoint";
import { Keda, KEDA_NAMESPACE, KedaHttpAddOn } from "../components/k8s/keda";
import { LoadBalancerController } from "../components/k8s/loadBalancerController";
import { LogEncryptionKey } from "../components/aws/logEncryptionKey";
import { controlPlaneLogGroupName } from "../components/aws/eksClusterParts";
import { LogPipeline } from "../components/k8s/logPipeline";
import { TraceCollector } from "../components/k8s/traceCollector";
import { collectorUrl, OTLP_GRPC_PORT } from "../components/k8s/traceCollectorConfig";
import { TRACING_NAMESPACE } from "../catalog/reserved";
import { buildLogQueries, logQueryFolder } from "../components/k8s/logQueries";
import { ModelRegistry } from "../components/registry/modelRegistry";
import { MonitoringStack } from "../components/k8s/monitoringStack";
import { NvidiaDevicePlugin } from "../components/k8s/nvidiaDevicePlugin";
import { RETRAINING_NAMESPACE, RetrainingTrigger } from "../components/k8s/retraining";
import { PROD_MIN_REPLICAS } from "../catalog/standards";
import { servedModelUri } from "../catalog/formats";
import { addOnsFor } from "../environments/addOns";
import { DEFAULT_MODEL_NAME, servedModels, type ServedModel } from "../environments/models";
import { referenceReleases } from "./releases";
import { releaseOf, type Shared } from "./shared";

/** The add-ons serving needs, each present only when the settings call for it. */
interface ServingAddOns {
    canaryDelivery: CanaryDelivery | undefined;
    keda: Keda | undefined;
    lbController: LoadBalancerController | undefined;
    httpAddOn: KedaHttpAddOn | undefined;
}

interface ModelService {
    model: ServedModel;
    service: BlueGreenEksService;
}

export function eksPlatform(shared: Shared): Record<string, unknown> {
    // The key's policy names the cluster's log groups: by the name the settings give, else by the
    // auto-name (a new cluster's name is known in a preview; the key then follows the cluster).
    let cluster: EksCluster;
    let logKey: LogEncryptionKey | undefined;
    const named = plainClusterName(shared.settings);
    if (named !== undefined) {
        logKey = logsKey(shared, named);
        cluster = eksCluster(shared, logKey);
    } else {
        cluster = eksCluster(shared, undefined);
        logKey = logsKey(shared, cluster.clusterName);
    }
    const pools = gpuCapacity(shared, cluster);
    const served = servedModels(shared.settings);
    const addOns = servingAddOns(shared, cluster, served);
    const registry = modelRegistry(shared, cluster, served, addOns);
    const tracing = traceCollector(shared, cluster, served);
    const services = modelServices(shared, cluster, pools, served, addOns, registry, tracing);
    const feedback = feedbackStore(shared, services);
    const retraining = retrainingTrigger(shared, cluster, pools, services, addOns, registry);
    const monitoring = monitoringStack(shared, cluster, services);
    const logs = logPipeline(shared, cluster, served, logKey);
    return eksOutputs(shared, { cluster, pools, addOns, registry, services, feedback, retraining, monitoring, logs });
}

/**
 * The cluster's name in EKS when the settings say it: the existing cluster's, or `cluster.name`.
 * Unset, a new cluster keeps Pulumi's auto-name (a stack deployed before `cluster.name` existed
 * keeps its cluster) and the name is known once the cluster is.
 */
function plainClusterName(settings: Shared["settings"]): string | undefined {
    return settings.cluster.existingClusterName ?? settings.cluster.name;
}

/** The key of the platform's log groups, when `monitoring.logs.kms` asks for one. */
function logsKey(shared: Shared, clusterName: pulumi.Input<string>): LogEncryptionKey | undefined {
    const { settings, protect, tags } = shared;
    const logs = settings.monitoring.logs;
    if (!logs.enabled || !logs.kms) return undefined;
    return new LogEncryptionKey("logs", {
        logGroupPatterns: [pulumi.interpolate`/aws/eks/${clusterName}/*`],
        protect,
        tags,
    });
}

/** The cluster: built, or the one `cluster.existingClusterName` names. */
function eksCluster(shared: Shared, key: LogEncryptionKey | undefined): EksCluster {
    const { settings, tags, protect, network } = shared;
    const existing = settings.cluster.existingClusterName !== undefined;
    const logs = settings.monitoring.logs;
    const name = existing ? undefined : settings.cluster.name;
    return new EksCluster("llm", {
        existingClusterName: settings.cluster.existingClusterName,
        clusterName: name,
        // Only for a cluster named before it exists: an auto-named or existing cluster's control
        // plane logs to the group EKS made for it (which a group of ours would collide with).
        controlPlaneLogs:
            name !== undefined && logs.enabled
                ? { retentionInDays: logs.retentionDays, kmsKeyArn: key?.keyArn }
                : undefined,
        kubernetesVersion: settings.cluster.kubernetesVersion,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        publicAccessCidrs: settings.cluster.publicAccessCidrs,
        privateAccessCidrs: settings.cluster.privateAccessCidrs,
        adminRoleArns: settings.cluster.adminRoleArns,
        systemNodes: settings.cluster.systemNodes,
        // A HorizontalPodAutoscaler on CPU reads the resource metrics API, which EKS does not ship.
        metricsServer: addOnsOf(settings).metricsServer,
        protect,
        tags,
    });
}

/** GPU capacity that follows the pods: the pools, cluster-autoscaler and the NVIDIA device plugin. */
function gpuCapacity(shared: Shared, cluster: EksCluster): GpuNodePool[] {
    const { settings, tags, network } = shared;
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
    return pools;
}

/** The add-ons the settings choose (the system node group's capacity check counts the same). */
function addOnsOf(settings: Shared["settings"], served: readonly ServedModel[] = servedModels(settings)) {
    return addOnsFor({
        strategy: settings.serving.strategy,
        autoscaler: settings.serving.autoscaler,
        entryPointEnabled: settings.serving.entryPoint.enabled,
        anyScaleToZero: served.some((m) => m.scaleToZero.enabled),
    });
}

/** Canary delivery, KEDA, the load balancer controller and the HTTP add-on, as the settings ask. */
function servingAddOns(shared: Shared, cluster: EksCluster, served: readonly ServedModel[]): ServingAddOns {
    const { settings, tags, network } = shared;
    const serving = settings.serving;
    // The serving namespace: BlueGreenEksService names it after the service (args.namespace unset).
    const servingName = served[0].name;
    const choice = addOnsOf(settings, served);
    const canaryDelivery = choice.canaryDelivery
        ? new CanaryDelivery("canary-delivery", {
              provider: cluster.provider,
              servingNamespace: servingName,
              prometheusNamespace: serving.prometheusNamespace,
          })
        : undefined;
    // KEDA scales the inference Deployments on vLLM's own load, read from the platform's Prometheus.
    const keda = choice.keda ? new Keda("keda", { provider: cluster.provider }) : undefined;
    // The way in from outside (blue-green; under canary it is the gateway): an ALB from the controller.
    const lbController = choice.loadBalancerController
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
        keda && lbController && choice.httpAddOn
            ? new KedaHttpAddOn("keda-http-add-on", {
                  provider: cluster.provider,
                  keda,
                  // The ALBs sit in the public subnets (modelServices): only they may call the interceptor.
                  sourceCidrs: network.publicSubnetCidrs,
                  // In-cluster callers of the models: through the interceptor, so that they wake them.
                  clientNamespaces: serving.ingressNamespaces,
              })
            : undefined;
    return { canaryDelivery, keda, lbController, httpAddOn };
}

/** The model registry (MLflow): releases may name a registered version; retraining registers candidates there. */
function modelRegistry(
    shared: Shared,
    cluster: EksCluster,
    served: readonly ServedModel[],
    { lbController }: ServingAddOns,
): ModelRegistry | undefined {
    const { settings, tags, protect, network, models } = shared;
    const serving = settings.serving;
    const entry = serving.entryPoint;
    return settings.modelRegistry.enabled
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
                            // In the public subnets, which hold no pods: the NetworkPolicy admits them alone.
                            subnetIds: network.publicSubnetIds,
                            sourceCidrs: network.publicSubnetCidrs,
                        }
                      : undefined,
              runbookBaseUrl: settings.monitoring.runbookBaseUrl,
              tags,
          })
        : undefined;
}

/** A blue-green service per served model, on its pool, behind the shared entry point. */
function modelServices(
    shared: Shared,
    cluster: EksCluster,
    pools: readonly GpuNodePool[],
    served: readonly ServedModel[],
    { canaryDelivery, keda, lbController, httpAddOn }: ServingAddOns,
    registry: ModelRegistry | undefined,
    tracing: TraceCollector | undefined,
): ModelService[] {
    const { settings, tags, network, models } = shared;
    const serving = settings.serving;
    const entry = serving.entryPoint;
    const metrics = METRIC_PRESETS[settings.monitoring.metricsPreset];
    return served.map((model) => {
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
            tracing: tracing && { otlpEndpoint: collectorUrl(TRACING_NAMESPACE, OTLP_GRPC_PORT) },
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
                          addOn: {
                              namespace: KEDA_NAMESPACE,
                              ready: httpAddOn.ready,
                              longestResponseSeconds: httpAddOn.longestResponseSeconds,
                          },
                          idleMinutes: model.scaleToZero.idleMinutes,
                          targetConcurrency: model.scaleToZero.targetConcurrency,
                      }
                    : undefined,
            ingressNamespaces: [...serving.ingressNamespaces],
            ingressCidrs: [...serving.ingressCidrs],
            entryPoint: lbController && {
                internetFacing: entry.internetFacing,
                certificateArn: entry.certificateArn,
                allowedCidrs: [...entry.allowedCidrs],
                previewPort: entry.previewPort,
                deletionProtection: entry.deletionProtection,
                ready: lbController.ready,
                // In the public subnets, which hold no pods: the ALB sends to the pods' IPs from
                // addresses there, which the NetworkPolicy admits without admitting other pods.
                subnetIds: network.publicSubnetIds,
                sourceCidrs: network.publicSubnetCidrs,
                // Every model behind one load balancer (the group of the stack's first, single-model shape).
                group: DEFAULT_MODEL_NAME,
                route: model.listed ? modelRoute(model.name, entry.domain) : undefined,
            },
            prometheusNamespace: serving.prometheusNamespace,
            tags,
        });
        return { model, service };
    });
}

/** Production feedback: a stream into the model bucket's feedback/ prefix; each model's pods may send to it. */
function feedbackStore(shared: Shared, services: readonly ModelService[]): FeedbackStore {
    const { tags, protect, models } = shared;
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
    return feedback;
}

/** Retraining runs per model: weekly and on its drift alert, ending in a registry version aliased candidate. */
function retrainingTrigger(
    shared: Shared,
    cluster: EksCluster,
    pools: readonly GpuNodePool[],
    services: readonly ModelService[],
    { keda }: ServingAddOns,
    registry: ModelRegistry | undefined,
): RetrainingTrigger | undefined {
    const { settings, tags, models } = shared;
    const serving = settings.serving;
    return settings.retraining.enabled && registry && keda
        ? new RetrainingTrigger("retraining", {
              provider: cluster.provider,
              image: settings.retraining.image!,
              models: services.map(({ model, service }) => {
                  const pool = pools[settings.gpuNodePools.findIndex((p) => p.name === model.gpuPool)];
                  // A run starts from what the model serves now: its active colour's release.
                  const served = service.releases[service.activeColor].modelVersion;
                  return {
                      name: model.name,
                      gpus: settings.retraining.gpus,
                      pool,
                      modelPrefix: model.modelPrefix,
                      baseModelUri: service.modelSource.apply((source) => servedModelUri(served, source)),
                  };
              }),
              schedule: settings.retraining.schedule,
              dataWindowDays: settings.retraining.dataWindowDays,
              cooldownHours: settings.retraining.cooldownHours,
              timeoutHours: settings.retraining.timeoutHours,
              trackingUri: registry.trackingUri,
              registryReady: registry.ready,
              feedbackUri: pulumi.interpolate`s3://${models.bucketName}/feedback/`,
              bucketName: models.bucketName,
              bucketArn: models.bucketArn,
              kmsKeyArn: models.kmsKeyArn,
              oidcProviderArn: cluster.oidcProviderArn,
              oidcIssuerUrl: cluster.oidcIssuerUrl,
              keda: { ready: keda.ready, prometheusUrl: prometheusUrl(serving.prometheusNamespace) },
              namespace: RETRAINING_NAMESPACE,
              tags,
          })
        : undefined;
}

/**
 * The OpenTelemetry Collector the served models send their spans to, when `monitoring.tracing.enabled`:
 * every failed or slow request's trace and `samplePercent` of the rest, to X-Ray or `otlpEndpoint`.
 */
function traceCollector(
    shared: Shared,
    cluster: EksCluster,
    served: readonly ServedModel[],
): TraceCollector | undefined {
    const { settings, tags } = shared;
    const tracing = settings.monitoring.tracing;
    if (!tracing.enabled) return undefined;
    return new TraceCollector("tracing", {
        provider: cluster.provider,
        region: settings.region,
        oidcProviderArn: cluster.oidcProviderArn,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        namespace: TRACING_NAMESPACE,
        clientNamespaces: served.map((m) => m.name),
        sampling: {
            percentage: tracing.samplePercent,
            // One threshold for the collector: the strictest model's objective.
            slowTimeToFirstTokenSeconds: Math.min(...served.map((m) => m.slo.p95LatencyMs)) / 1000,
        },
        exporter:
            tracing.otlpEndpoint !== undefined
                ? { kind: "otlp", endpoint: tracing.otlpEndpoint, header: tracing.otlpHeader }
                : { kind: "xray" },
        replicas: settings.tier === "prod" ? 2 : 1,
        tags,
    });
}

/** Prometheus, Alertmanager, Grafana and the rules of every served model. */
function monitoringStack(shared: Shared, cluster: EksCluster, services: readonly ModelService[]): MonitoringStack {
    const { settings } = shared;
    const serving = settings.serving;
    const metrics = METRIC_PRESETS[settings.monitoring.metricsPreset];
    return new MonitoringStack("monitoring", {
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
        traces:
            settings.monitoring.tracing.enabled && settings.monitoring.tracing.otlpEndpoint === undefined
                ? { consoleUrl: xrayTracesConsoleUrl(settings.region) }
                : undefined,
    });
}

/**
 * Every container's logs in CloudWatch Logs beside the control plane's, and the saved queries the
 * alerts' runbooks name, when `monitoring.logs.enabled`.
 */
function logPipeline(
    shared: Shared,
    cluster: EksCluster,
    served: readonly ServedModel[],
    key: LogEncryptionKey | undefined,
): LogPipeline | undefined {
    const { settings, tags, protect } = shared;
    const logs = settings.monitoring.logs;
    if (!logs.enabled) return undefined;
    const clusterName = plainClusterName(settings) ?? cluster.clusterName;
    return new LogPipeline("logs", {
        provider: cluster.provider,
        clusterName,
        region: settings.region,
        oidcProviderArn: cluster.oidcProviderArn,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        retentionInDays: logs.retentionDays,
        kmsKeyArn: key?.keyArn,
        queries: buildLogQueries({ servingNamespaces: served.map((m) => m.name) }),
        controlPlaneLogGroupName: pulumi.output(clusterName).apply(controlPlaneLogGroupName),
        protect,
        tags,
    });
}

/** The stack outputs of the EKS platform. */
function eksOutputs(
    shared: Shared,
    parts: {
        cluster: EksCluster;
        pools: readonly GpuNodePool[];
        addOns: ServingAddOns;
        registry: ModelRegistry | undefined;
        services: readonly ModelService[];
        feedback: FeedbackStore;
        retraining: RetrainingTrigger | undefined;
        monitoring: MonitoringStack;
        logs: LogPipeline | undefined;
    },
): Record<string, unknown> {
    const { settings } = shared;
    const { cluster, pools, registry, services, feedback, retraining, monitoring, logs } = parts;
    const { lbController } = parts.addOns;
    const entry = settings.serving.entryPoint;
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
        ...(logs
            ? {
                  containerLogGroup: logs.logGroupName,
                  controlPlaneLogGroup: pulumi
                      .output(plainClusterName(settings) ?? cluster.clusterName)
                      .apply(controlPlaneLogGroupName),
                  logQueryFolder: pulumi
                      .output(plainClusterName(settings) ?? cluster.clusterName)
                      .apply(logQueryFolder),
              }
            : {}),
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
