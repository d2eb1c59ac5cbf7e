/**
 * Saved CloudWatch Logs Insights queries, one per question an alert's first steps ask of the logs,
 * over the records {@link LogPipeline} writes: Fluent Bit's `kubernetes` filter puts each
 * container's metadata under `kubernetes.*` (`namespace_name`, `pod_name`, `container_name`,
 * `labels`), and a line that is a JSON object is merged into the record (vLLM's, with the logging
 * configuration of {@link vllmLoggingConfig}: `ts`, `level`, `logger`, `message`); any other line
 * stays in `log`. The control plane's audit log is in its own group (streams `kube-apiserver-audit-*`).
 * Field and command names: docs/UPSTREAM.md, "Logs".
 */

/** Which log group a query reads. */
export type LogGroupKind = "containers" | "control-plane";

export interface LogQuery {
    /** Its key: the saved query is `<folder>/<key>`. */
    key: string;
    /** What it shows, for the runbook. */
    title: string;
    groups: LogGroupKind[];
    /** CloudWatch Logs Insights query language. */
    query: string;
}

export interface LogQueryOptions {
    /** The namespaces of the served models (each model's own). */
    servingNamespaces: string[];
    /** The model registry's namespace. @default "mlflow" */
    registryNamespace?: string;
    /** KEDA's namespace. @default "keda" */
    kedaNamespace?: string;
}

/** The pod label naming the model version (inferenceWorkload.ts) as CloudWatch flattens it: backquoted, for its `/`. */
const VERSION_FIELD = "`kubernetes.labels.llm-platform/model-version`";

const quoted = (names: string[]): string => `[${names.map((n) => JSON.stringify(n)).join(", ")}]`;

/** Every saved query, by key. */
export function buildLogQueries(options: LogQueryOptions): LogQuery[] {
    const ns = `kubernetes.namespace_name in ${quoted(options.servingNamespaces)}`;
    const registry = options.registryNamespace ?? "mlflow";
    const keda = options.kedaNamespace ?? "keda";
    const line = "coalesce(message, log) as line";
    return [
        {
            key: "engine-load",
            title: "vLLM's engine statistics per pod and minute: requests running and waiting, KV cache in use",
            groups: ["containers"],
            query: [
                `filter ${ns} and message like /Avg prompt throughput/`,
                "parse message /Running: (?<running>\\d+) reqs, Waiting: (?<waiting>\\d+) reqs, GPU KV cache usage: (?<kv_cache_percent>[\\d.]+)%/",
                "stats max(waiting) as most_waiting, max(running) as most_running, max(kv_cache_percent) as most_kv_cache_percent by bin(1m), kubernetes.namespace_name, kubernetes.pod_name",
                "sort most_waiting desc",
            ].join("\n| "),
        },
        {
            key: "errors",
            title: "The serving pods' errors, newest first: vLLM's ERROR lines and every answer with a 5xx status",
            groups: ["containers"],
            query: [
                `fields @timestamp, kubernetes.namespace_name, kubernetes.pod_name, ${VERSION_FIELD}, level, ${line}`,
                `filter ${ns} and (level in ["ERROR", "CRITICAL"] or message like /" 5\\d\\d$/ or log like /Traceback/)`,
                "sort @timestamp desc",
                "limit 200",
            ].join("\n| "),
        },
        {
            key: "startup-failures",
            title: "Why serving pods do not start: the weights' sync, vLLM's start-up errors, lines before its logging starts",
            groups: ["containers"],
            query: [
                `fields @timestamp, kubernetes.namespace_name, kubernetes.pod_name, kubernetes.container_name, ${line}`,
                `filter ${ns} and (kubernetes.container_name = "model-sync" or level in ["ERROR", "CRITICAL"] or log like /Error|Traceback|refused|denied/)`,
                "sort @timestamp desc",
                "limit 200",
            ].join("\n| "),
        },
        {
            key: "gpu-errors",
            title: "GPU failures the serving pods report: CUDA and NCCL errors, out of GPU memory (an XID itself is the kernel's, on the node: `kubectl debug node/<node> -it --image=busybox -- dmesg`)",
            groups: ["containers"],
            query: [
                `fields @timestamp, kubernetes.namespace_name, kubernetes.pod_name, kubernetes.host, ${line}`,
                `filter ${ns} and @message like /CUDA error|out of memory|OutOfMemoryError|NCCL error|Xid/`,
                "sort @timestamp desc",
                "limit 200",
            ].join("\n| "),
        },
        {
            key: "traffic-by-version",
            title: "Requests per hour by model version, and the max_tokens they ask: what changed, and when",
            groups: ["containers"],
            query: [
                `filter ${ns} and message like /Received request/`,
                "parse message /max_tokens=(?<max_tokens>\\d+)/",
                `stats count(*) as requests, avg(max_tokens) as mean_max_tokens by bin(1h), kubernetes.namespace_name, ${VERSION_FIELD}`,
                "sort requests desc",
            ].join("\n| "),
        },
        {
            key: "autoscaler-decisions",
            title: "cluster-autoscaler's decisions: pods it could not place, node groups it grew or could not grow",
            groups: ["containers"],
            query: [
                "fields @timestamp, kubernetes.pod_name, log",
                'filter kubernetes.container_name = "cluster-autoscaler" and log like /(?i)scale-up|NotTriggerScaleUp|unschedulable|failed|max node group size/',
                "sort @timestamp desc",
                "limit 200",
            ].join("\n| "),
        },
        {
            key: "keda-errors",
            title: "KEDA's errors: scalers that cannot read their metric",
            groups: ["containers"],
            query: [
                `fields @timestamp, kubernetes.pod_name, kubernetes.container_name, coalesce(msg, message, log) as line, error`,
                `filter kubernetes.namespace_name = ${JSON.stringify(keda)} and (level = "error" or @message like /(?i)error/)`,
                "sort @timestamp desc",
                "limit 200",
            ].join("\n| "),
        },
        {
            key: "registry-errors",
            title: "The model registry's errors: its server's and its database connection's",
            groups: ["containers"],
            query: [
                `fields @timestamp, kubernetes.pod_name, ${line}`,
                `filter kubernetes.namespace_name = ${JSON.stringify(registry)} and @message like /(?i)error|exception|traceback| 5\\d\\d /`,
                "sort @timestamp desc",
                "limit 200",
            ].join("\n| "),
        },
        {
            key: "changes-by-hand",
            title: "Who changed the serving namespaces' objects through the Kubernetes API (the audit log), newest first",
            groups: ["control-plane"],
            query: [
                "fields @timestamp, user.username, verb, objectRef.resource, objectRef.namespace, objectRef.name, responseStatus.code",
                `filter @logStream like /^kube-apiserver-audit/ and objectRef.namespace in ${quoted(options.servingNamespaces)} and verb in ["create", "update", "patch", "delete"]`,
                "sort @timestamp desc",
                "limit 200",
            ].join("\n| "),
        },
    ];
}

/** The saved query an alert's first steps point at. */
export const ALERT_LOG_QUERY: Readonly<Record<string, string>> = {
    LLMHighP95Latency: "engine-load",
    LLMLowSuccessRate: "errors",
    LLMErrorBudgetBurn1h: "errors",
    LLMErrorBudgetBurn6h: "errors",
    LLMErrorBudgetBurn3d: "errors",
    LLMHallucinationRateHigh: "traffic-by-version",
    LLMModelDriftDetected: "traffic-by-version",
    LLMTokenThroughputDrop: "traffic-by-version",
    LLMGPUSaturated: "engine-load",
    LLMGPUIdle: "traffic-by-version",
    LLMGPUMemoryPressure: "gpu-errors",
    LLMGPUXidErrors: "gpu-errors",
    LLMInferenceQueueLong: "autoscaler-decisions",
    LLMAutoscalerBlind: "keda-errors",
    LLMTargetDown: "changes-by-hand",
    LLMServingUnavailable: "startup-failures",
    LLMRegistryUnavailable: "registry-errors",
    LLMRegistryErrors: "registry-errors",
};

/** The folder the saved queries are in, per cluster: `llm-platform/<cluster>`. */
export function logQueryFolder(clusterName: string): string {
    return `llm-platform/${clusterName}`;
}
