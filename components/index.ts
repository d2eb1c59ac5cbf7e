/**
 * `llm-platform`: the component library's public surface (semver applies to every name here and
 * to every component's type token and child names; see CHANGELOG.md). Components, their
 * arguments and the types those arguments name, each component's pure `validate…Args`, and the
 * few helpers a program calls beside them. The builders the components use inside are not part
 * of it; GPU and version facts are in `llm-platform/catalog`, the image build in
 * `llm-platform/image`, the policy pack in `llm-platform/policies`, unit-test mocks in
 * `llm-platform/testing`.
 *
 * @module llm-platform
 */

// Network and cluster
export { Network, validateNetworkArgs, type ExistingNetwork, type NetworkArgs } from "./aws/network";
export {
    EksCluster,
    validateEksClusterArgs,
    type ControlPlaneLogsArgs,
    type EksClusterArgs,
    type SystemNodesArgs,
} from "./aws/eksCluster";

// GPU capacity
export {
    GpuPlatform,
    validateGpuPlatformArgs,
    type GpuPlatformArgs,
    type GpuPlatformPoolArgs,
} from "./aws/gpuPlatform";
export { GpuNodePool, validateGpuNodePoolArgs, type GpuNodePoolArgs } from "./aws/gpuNodePool";
export {
    NvidiaDevicePlugin,
    validateNvidiaDevicePluginArgs,
    type NvidiaDevicePluginArgs,
} from "./k8s/nvidiaDevicePlugin";
export { ClusterAutoscaler, validateClusterAutoscalerArgs, type ClusterAutoscalerArgs } from "./k8s/clusterAutoscaler";

// Model artifacts, registry and images
export {
    ModelArtifactBucket,
    createPrefixReadPolicy,
    validateModelArtifactBucketArgs,
    type ModelArtifactBucketArgs,
} from "./aws/modelArtifactBucket";
export { ContainerRegistry, validateContainerRegistryArgs, type ContainerRegistryArgs } from "./aws/containerRegistry";

// Serving on EKS
export {
    BlueGreenEksService,
    validateBlueGreenEksServiceArgs,
    type BlueGreenEksServiceArgs,
    type ColorRelease,
    type PoolPlacement,
    type QueueLengthMetric,
    type ScaleToZero,
    type ServiceEndpoints,
} from "./k8s/blueGreenEksService";
export { COLORS, fittedResources, type Color, type Resources, type TargetPool } from "./k8s/inferenceWorkload";
export type { ColorParts } from "./k8s/eksServiceParts";
export type { EntryPoint } from "./k8s/entryPoint";
export type { ScaleOn } from "./k8s/scaling";
export { Keda, KedaHttpAddOn, validateKedaHttpAddOnArgs, type KedaArgs, type KedaHttpAddOnArgs } from "./k8s/keda";
export { LoadBalancerController, type LoadBalancerControllerArgs } from "./k8s/loadBalancerController";
export {
    CanaryDelivery,
    prometheusUrl,
    validateCanaryDeliveryArgs,
    type CanaryDeliveryArgs,
} from "./k8s/canaryDelivery";
export { WorkloadIdentity, createWorkloadIdentity, type WorkloadIdentityArgs } from "./k8s/workloadIdentity";

// Serving on ECS
export {
    BlueGreenEcsService,
    validateBlueGreenEcsServiceArgs,
    type BlueGreenEcsServiceArgs,
    type ExistingLoadBalancer,
} from "./aws/blueGreenEcsService";
export { EcsMonitoring, validateEcsMonitoringArgs, type EcsMonitoringArgs } from "./aws/ecsMonitoring";
// ECS's RegisterTaskDefinition rules, for a team's own task definitions (and its tests).
export { registerTaskDefinitionProblems } from "./aws/ecsTask";
// The tasks' time-to-first-token metrics, for a team's own dashboards and alarms.
export { TTFT_METRIC_NAMESPACE, TTFT_OVER_BUDGET_METRIC, TTFT_REQUESTS_METRIC } from "./aws/ttftExporter";

// Monitoring
export {
    MonitoringStack,
    validateMonitoringStackArgs,
    type MonitoringStackArgs,
    type ScrapedService,
} from "./k8s/monitoringStack";
export { METRIC_PRESETS, REFERENCE_METRICS, VLLM_METRICS, type MetricNames, type MetricPreset } from "./k8s/alertRules";
export type { AlertReceivers } from "./k8s/alertmanagerConfig";
export { containerLogGroupName, LogPipeline, validateLogPipelineArgs, type LogPipelineArgs } from "./k8s/logPipeline";
export {
    ALERT_LOG_QUERY,
    buildLogQueries,
    logQueryFolder,
    type LogGroupKind,
    type LogQuery,
    type LogQueryOptions,
} from "./k8s/logQueries";
export {
    LogEncryptionKey,
    logEncryptionKeyPolicy,
    validateLogEncryptionKeyArgs,
    type LogEncryptionKeyArgs,
} from "./aws/logEncryptionKey";
export { slowTracesFilter, xrayTracesConsoleUrl } from "./k8s/alertRules";
export {
    TraceCollector,
    validateTraceCollectorArgs,
    type TraceCollectorArgs,
    type TraceExporter,
    type TraceSampling,
} from "./k8s/traceCollector";

// Releases: the contract `llm-platform promote` reads from a stack
export {
    readReleaseConfig,
    releaseConfigProblems,
    releaseContract,
    RELEASES_OUTPUT,
    type EvaluationSettings,
    type LastFlipConfig,
    type LoadSettings,
    type ReleaseConfig,
    type ReleaseConfigColor,
    type ReleaseContract,
    type ReleaseContractArgs,
    type SmokeTestSettings,
} from "./release";

// The model loop
export {
    ModelRegistry,
    validateModelRegistryArgs,
    type ModelRegistryArgs,
    type RegistryDatabase,
} from "./registry/modelRegistry";
export {
    RetrainingTrigger,
    validateRetrainingTriggerArgs,
    type RetrainedModel,
    type RetrainingTriggerArgs,
} from "./k8s/retraining";
export { FeedbackStore, validateFeedbackStoreArgs, type FeedbackStoreArgs } from "./aws/feedbackStore";
export { parseFeedback, type Feedback } from "./feedback";

// Types of the catalogue that component arguments and outputs name
export type { CanaryAnalysis, SloSettings } from "../catalog/standards";
export type { GpuAmiType, PoolCapacity } from "../catalog/gpu";
