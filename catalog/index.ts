/**
 * `llm-platform/catalog`: the facts the components, the configuration checks and the policy pack
 * share — NVIDIA GPU instance types and what a node of a pool holds, the capacity arithmetic, the
 * production standards' figures, the vLLM routes and metrics the probes and alerts use, the chart
 * and image versions the platform pins, and the formats it checks.
 *
 * @module llm-platform/catalog
 */
export {
    allocatable,
    fitsOnNode,
    GPU_AMI_TYPES,
    GPU_INSTANCE_TYPES,
    GPU_TAINT,
    GPU_TOLERATION,
    LABELS,
    poolCapacity,
    type GpuAmiType,
    type GpuInstanceType,
    type PoolCapacity,
} from "./gpu";
export { podsPerNode, servingPods, type PodRequest, type Resource, type ServingShape } from "./capacity";
export {
    DEFAULT_CANARY,
    DEFAULT_SCALE_ON,
    GPU_BUDGET_PER_MODEL_USD,
    GPU_BUDGET_USD,
    OWNERSHIP_TAG_KEYS,
    PROD_MIN_REPLICAS,
    PROD_SERVING_REPLICAS,
    REFERENCE_SLO,
    RUNBOOK_BASE_URL,
    type CanaryAnalysis,
    type ScaleOn,
    type SloSettings,
} from "./standards";
export {
    INFERENCE_UID,
    LIVENESS_PATH,
    READINESS_PATH,
    UVICORN_LOG_LEVELS,
    VLLM_ENTRYPOINT,
    VLLM_ENVIRONMENT,
    VLLM_IMAGE,
    VLLM_METRIC_NAMES,
    VLLM_ROUTES,
    VLLM_SERVER_FLAGS,
    VLLM_VERSION,
    VLLM_WRITABLE_DIR,
} from "./vllm";
export {
    CLUSTER_AUTOSCALER_IMAGES,
    KEDA_CHART_VERSION,
    KEDA_HTTP_ADD_ON_CHART_VERSION,
    LOAD_BALANCER_CONTROLLER_CHART_VERSION,
    MODEL_SYNC_IMAGE,
} from "./versions";
export {
    DIGEST_REFERENCE,
    isModelVersion,
    MODEL_VERSION_HELP,
    registeredSourceProblem,
    s3BucketNameProblem,
    servedModelUri,
} from "./formats";
export {
    cronScheduleProblem,
    longestCronGapMinutes,
    parseCronSchedule,
    type CronFields,
    type CronSchedule,
} from "./cron";
export { coversInternet, ipv4CidrProblem } from "./cidr";
export {
    SYSTEM_DAEMONSETS,
    SYSTEM_INSTANCE_TYPES,
    systemNodeAllocatable,
    systemNodesNeeded,
    systemWorkloads,
    type SystemPoolPlan,
    type SystemWorkload,
} from "./systemPool";
