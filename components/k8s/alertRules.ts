/**
 * Prometheus rules for the production standards of LLM serving, built from settings by a pure
 * function: latency, success rate, availability as multi-window error-budget burn rates,
 * hallucination rate, GPU saturation and idleness, GPU memory pressure, XID errors, queue length,
 * token throughput, model drift and scrape health. Rendered to a rules file, they are checked and
 * unit-tested with promtool; deployed, they become a PrometheusRule.
 */
import { dump } from "js-yaml";
import type { SloSettings } from "../../catalog/standards";
import { VLLM_METRIC_NAMES } from "../../catalog/vllm";

/** The metrics the rules read; each is a setting. */
export interface MetricNames {
    /** Counter of requests with a status label. */
    requestsTotal: string;
    /**
     * Extra label matchers that keep `requestsTotal` to inference requests (e.g. not the readiness
     * probe's), written as inside braces; "" for none.
     */
    requestMatchers: string;
    /** Label of `requestsTotal` that holds the status. */
    statusLabel: string;
    /** Regex of `statusLabel` values that count as errors. */
    errorStatusRegex: string;
    /**
     * Histogram, in seconds, that the p95 latency standard applies to (the `_bucket` series are
     * read): for an LLM, the time to the first token — a whole generation's duration grows with the
     * answer's length, so no fixed budget fits it.
     */
    latency: string;
    /** What `latency` measures, in words, for alert summaries and docs/alerts.md. */
    latencyName: string;
    /** Gauge 0..1 of hallucinated responses. */
    hallucinationRate: string;
    /** Counter of tokens. */
    tokensTotal: string;
    /** Gauge of GPU utilisation, percent. */
    gpuUtilization: string;
    /**
     * The labels of `gpuUtilization` that name the namespace and pod holding the GPU, when the gauge
     * comes from an exporter of its own (DCGM's, which Prometheus renames `exported_*` beside its own
     * pod's labels): the alerts then join it to the serving pods' scrape. @default - the gauge is
     * scraped from the serving pods themselves, and carries their `service` label
     */
    gpuPodLabels?: { namespace: string; pod: string };
    /** Gauge of pending requests. */
    queueLength: string;
    /** Gauge 1 while the drift job detects drift (the reference app's; unused where `tokenHistograms` are). */
    driftDetected: string;
    /**
     * Histograms of prompt and generated tokens per request: where the server exports them, drift
     * is measured in Prometheus from them (`llm:model_drift_score:1h`, per model) instead of read
     * from a drift job's gauge.
     */
    tokenHistograms?: { prompt: string; generation: string };
}

/** The reference document's metric names (prometheus_client in the serving app). */
export const REFERENCE_METRICS: MetricNames = {
    requestsTotal: "llm_requests_total",
    requestMatchers: "",
    statusLabel: "status",
    errorStatusRegex: "5..|error",
    latency: "llm_request_duration_seconds",
    latencyName: "request duration",
    hallucinationRate: "llm_hallucination_rate",
    tokensTotal: "llm_tokens_used_total",
    gpuUtilization: "llm_gpu_utilization",
    queueLength: "llm_inference_queue_length",
    driftDetected: "llm_model_drift_detected",
};

/**
 * vLLM's own metric names at the image's version (components/vllm.ts; sources in
 * docs/UPSTREAM.md): its OpenAI server exports `vllm:*` and, through
 * prometheus-fastapi-instrumentator, `http_requests_total{handler, method, status="2xx"|"5xx"…}`,
 * which also counts the readiness probe's `/v1/models`, hence the handler matcher.
 */
export const VLLM_METRICS: MetricNames = {
    requestsTotal: "http_requests_total",
    requestMatchers: 'handler=~"/v1/(chat/completions|completions|embeddings)"',
    statusLabel: "status",
    errorStatusRegex: "5..|5xx",
    latency: "vllm:time_to_first_token_seconds",
    latencyName: "time to first token",
    hallucinationRate: "llm_hallucination_rate",
    tokensTotal: "vllm:generation_tokens_total",
    gpuUtilization: "DCGM_FI_DEV_GPU_UTIL",
    // dcgm-exporter 3.4.2 labels a GPU with the pod holding it; its ServiceMonitor does not honour
    // labels, so they arrive as exported_namespace and exported_pod (docs/UPSTREAM.md).
    gpuPodLabels: { namespace: "exported_namespace", pod: "exported_pod" },
    queueLength: VLLM_METRIC_NAMES.waitingRequests,
    driftDetected: "llm_model_drift_detected",
    tokenHistograms: { prompt: "vllm:request_prompt_tokens", generation: "vllm:request_generation_tokens" },
};

/** The metric presets `monitoring.metricsPreset` chooses from; the image is vLLM, so `vllm` is the default. */
export const METRIC_PRESETS = { reference: REFERENCE_METRICS, vllm: VLLM_METRICS } as const;
export type MetricPreset = keyof typeof METRIC_PRESETS;

export interface Rule {
    record?: string;
    alert?: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

export interface RuleGroup {
    name: string;
    interval?: string;
    rules: Rule[];
}

export type Severity = "critical" | "warning" | "info";

export interface RuleOptions {
    metrics: MetricNames;
    slo: SloSettings;
    /** Prometheus `job` of the inference service's scrape. */
    job: string;
    /** Namespace of the inference service (its autoscalers live there). @default job */
    namespace?: string;
    /** Base URL of the runbooks; each alert links `<base>#<alert>`. */
    runbookBaseUrl: string;
    /**
     * `all`: the service's groups and the platform's (GPUs, drift); `service`: the service's alone,
     * for every model after the first on a shared Prometheus. @default "all"
     */
    scope?: "all" | "service";
    /**
     * Where the service's traces are (TraceCollector to X-Ray): LLMHighP95Latency then carries
     * `traces_url`, the console's trace search, and `traces_filter`, the filter expression of this
     * service's requests slower than the latency objective to their first token. @default - none
     */
    traces?: { consoleUrl: string };
}

/**
 * X-Ray's filter expression for one service's requests slower to their first token than `seconds`:
 * the span's service name is OTEL_SERVICE_NAME (the service's name), and TraceCollector indexes
 * `gen_ai.latency.time_to_first_token` as the annotation `gen_ai_latency_time_to_first_token` (its
 * exporter runs with the `exporter.xray.allowDot` gate off, so dots become '_'; docs/UPSTREAM.md, "Traces").
 */
export function slowTracesFilter(service: string, seconds: number): string {
    return `service("${service}") AND annotation.gen_ai_latency_time_to_first_token > ${fmt(seconds)}`;
}

/** The CloudWatch console's X-Ray trace search in a region (its filter is pasted from `traces_filter`). */
export function xrayTracesConsoleUrl(region: string): string {
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#xray:traces/query`;
}

/** Window pairs of the multi-window, multi-burn-rate alerts (Google SRE workbook, ch. 5). */
export const BURN_RATE_WINDOWS = [
    { severity: "critical" as Severity, long: "1h", short: "5m", factor: 14.4, for: "2m" },
    { severity: "critical" as Severity, long: "6h", short: "30m", factor: 6, for: "15m" },
    { severity: "warning" as Severity, long: "3d", short: "6h", factor: 1, for: "1h" },
];

/** The drift window, its reference (the same window yesterday), the least requests per window and the alerting distance. */
export const DRIFT_WINDOW = "1h";
export const DRIFT_REFERENCE_OFFSET = "1d";
export const DRIFT_MIN_REQUESTS = 100;
/**
 * Above the two-sample KS critical value at α = 0.01 for 100 requests in each window
 * (1.628 · √(2/100) ≈ 0.23); binned on vLLM's 1-2-5 buckets the distance can only be smaller,
 * so the test errs towards quiet.
 */
export const DRIFT_KS_THRESHOLD = 0.25;
/**
 * The pod label naming the model version a pod serves, as Prometheus stores it: the
 * ServiceMonitor copies `llm-platform/model-version` onto every series (`podTargetLabels`, its
 * name sanitised by prometheus-operator). Drift compares each version with itself only, so a
 * release, whose new weights answer at other lengths, is not drift.
 */
export const MODEL_VERSION_POD_LABEL = "llm-platform/model-version";
export const MODEL_VERSION_SERIES_LABEL = "llm_platform_model_version";

const fmt = (n: number): string => String(Number(n.toPrecision(6)));

/** Every rule group; alerts carry `severity` and `runbook_url`. */
export function buildRuleGroups(options: RuleOptions): RuleGroup[] {
    const { metrics: m, slo, job } = options;
    const sel = `job="${job}"`;
    const errors = `${m.statusLabel}=~"${m.errorStatusRegex}"`;
    const requests = [sel, m.requestMatchers].filter(Boolean).join(",");
    const alert = (
        name: string,
        expr: string,
        forDuration: string,
        severity: Severity,
        summary: string,
        description: string,
    ): Rule => ({
        alert: name,
        expr,
        ...(forDuration ? { for: forDuration } : {}),
        labels: { severity, service: job, model: job },
        annotations: { summary, description, runbook_url: `${options.runbookBaseUrl}#${name.toLowerCase()}` },
    });
    const windows = [...new Set(BURN_RATE_WINDOWS.flatMap((w) => [w.long, w.short]))];
    const budget = 1 - slo.availability;
    // Recorded per job, so that every model's rules on one Prometheus record series of their own.
    const ratio = (w: string): string => `llm:request_error_ratio:rate${w}{${sel}}`;
    const service = options.scope === "service";
    // The serving pods are those behind the active Service (Flagger's primary under canary); the
    // inactive colour, kept warm for a rollback, is behind the preview (or canary) Service.
    const serving = 'service=~".+-(active|primary)"';
    const warm = 'service=~".+-(preview|canary)"';
    const activeEndpoint = `endpoint=~"${job}-(active|primary)"`;
    const gpus = gpuSeries(m);
    const groups: RuleGroup[] = [
        {
            name: "llm-serving-recording",
            rules: windows.map((w) => ({
                record: `llm:request_error_ratio:rate${w}`,
                expr: `sum by (job) (rate(${m.requestsTotal}{${requests},${errors}}[${w}])) / sum by (job) (rate(${m.requestsTotal}{${requests}}[${w}]))`,
            })),
        },
        {
            name: "llm-serving-slo",
            rules: [
                alert(
                    "LLMHighP95Latency",
                    `histogram_quantile(0.95, sum by (le) (rate(${m.latency}_bucket{${sel}}[5m]))) > ${fmt(slo.p95LatencyMs / 1000)}`,
                    "10m",
                    "warning",
                    `p95 ${m.latencyName} over ${slo.p95LatencyMs} ms`,
                    `The 95th percentile of ${m.latencyName} has been above ${slo.p95LatencyMs} ms for 10 minutes.`,
                ),
                alert(
                    "LLMLowSuccessRate",
                    `(1 - ${ratio("5m")}) < ${fmt(slo.minSuccessRate)}`,
                    "10m",
                    "critical",
                    `success rate below ${fmt(slo.minSuccessRate * 100)} %`,
                    `Fewer than ${fmt(slo.minSuccessRate * 100)} % of requests have succeeded for 10 minutes.`,
                ),
                ...BURN_RATE_WINDOWS.map((w) =>
                    alert(
                        `LLMErrorBudgetBurn${w.long}`,
                        `${ratio(w.long)} > ${fmt(w.factor * budget)} and ${ratio(w.short)} > ${fmt(w.factor * budget)}`,
                        w.for,
                        w.severity,
                        `error budget of the ${fmt(slo.availability * 100)} % availability objective burning ${w.factor}x too fast`,
                        `Errors over ${w.long} and ${w.short} exceed ${w.factor} times the budget of ${fmt(budget * 100)} %; at this rate the 30-day budget is gone in ${fmt(30 / w.factor)} days.`,
                    ),
                ),
            ],
        },
        {
            name: "llm-model-quality",
            rules: [
                alert(
                    "LLMHallucinationRateHigh",
                    `max(${m.hallucinationRate}{${sel}}) > ${fmt(slo.maxHallucinationRate)}`,
                    "15m",
                    "critical",
                    `hallucination rate over ${fmt(slo.maxHallucinationRate * 100)} %`,
                    `The evaluated share of hallucinated responses has been above ${fmt(slo.maxHallucinationRate * 100)} % for 15 minutes.`,
                ),
                ...(m.tokenHistograms
                    ? []
                    : [
                          alert(
                              "LLMModelDriftDetected",
                              `max(${m.driftDetected}) > 0`,
                              "0m",
                              "warning",
                              "model drift detected",
                              "The drift job reports a significant shift of the model's inputs or outputs; review and retrain.",
                          ),
                      ]),
                alert(
                    "LLMTokenThroughputDrop",
                    `sum(rate(${m.tokensTotal}{${sel}}[30m])) < ${fmt(slo.tokenThroughputDropRatio)} * sum(rate(${m.tokensTotal}{${sel}}[30m] offset 1d))`,
                    "30m",
                    "warning",
                    `token throughput below ${fmt(slo.tokenThroughputDropRatio * 100)} % of yesterday`,
                    "Tokens generated per second have dropped sharply against the same time yesterday.",
                ),
            ],
        },
        {
            name: "llm-capacity",
            rules: [
                alert(
                    "LLMGPUSaturated",
                    `avg(${gpus.of(`${sel},${serving}`)}) > ${fmt(slo.gpuHighUtilizationPercent)}`,
                    "30m",
                    "warning",
                    `GPU utilisation over ${slo.gpuHighUtilizationPercent} %`,
                    "The GPUs of the model's serving pods have been saturated for 30 minutes; add replicas or nodes before latency suffers.",
                ),
                alert(
                    "LLMGPUIdle",
                    `avg(${gpus.except(warm)}) < ${fmt(slo.gpuIdleUtilizationPercent)}`,
                    "2h",
                    "info",
                    `GPU utilisation under ${slo.gpuIdleUtilizationPercent} %`,
                    "GPUs have been nearly idle for two hours: they cost money; lower the pool's minimum or scale to zero.",
                ),
                alert(
                    "LLMGPUMemoryPressure",
                    "max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)) > 0.95",
                    "15m",
                    "warning",
                    "GPU memory over 95 %",
                    "A GPU's framebuffer has been over 95 % full for 15 minutes; out-of-memory errors are near.",
                ),
                alert(
                    "LLMGPUXidErrors",
                    "max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS) > 0",
                    "0m",
                    "critical",
                    "GPU XID error",
                    "The GPU driver reported an XID error (value is the last XID code); drain the node if it repeats.",
                ),
                alert(
                    "LLMInferenceQueueLong",
                    `max(${m.queueLength}{${sel}}) > ${fmt(slo.maxQueueLength)}`,
                    "10m",
                    "warning",
                    `more than ${slo.maxQueueLength} requests waiting`,
                    "Requests queue faster than the service serves them; scale out.",
                ),
                alert(
                    "LLMAutoscalerBlind",
                    // At zero replicas the HPA reports ScalingActive false by design (ScalingDisabled) and
                    // KEDA's own triggers wake the Deployment: only an autoscaler with pods is blind.
                    `max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_condition{namespace="${options.namespace ?? job}",condition="ScalingActive",status="false"}) == 1 and on (horizontalpodautoscaler) max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{namespace="${options.namespace ?? job}"}) > 0`,
                    "15m",
                    "warning",
                    "an inference autoscaler cannot read its metric",
                    "The autoscaler has no valid metric (KEDA's Prometheus query, the KEDA metrics server or the metrics adapter fails), so capacity no longer follows load; check the ScaledObject's status and the KEDA operator's logs.",
                ),
                alert(
                    "LLMTargetDown",
                    // Prometheus scrapes pods that are not Ready yet (a cold start: weights syncing,
                    // the model loading, vLLM not listening), so only a Ready pod that cannot be
                    // scraped is down; a pod that never turns Ready is its rollout's to report.
                    `max by (namespace, pod) (up{${sel}} == 0) and on (namespace, pod) (kube_pod_status_ready{condition="true"} == 1)`,
                    "5m",
                    "critical",
                    "inference target down",
                    "Prometheus cannot scrape a Ready inference pod for 5 minutes.",
                ),
                alert(
                    "LLMServingUnavailable",
                    // Pods behind the active Service and not one Ready (crash-looping, failing its
                    // readiness after a release, hung): every request fails, and vLLM's own series
                    // are gone with it. A model scaled to zero has no address at all, and a cold
                    // start (image pull, weights, load) ends well within the `for`.
                    `(count by (namespace, endpoint) (kube_endpoint_address{${activeEndpoint},ready="false"}) > 0) unless on (namespace, endpoint) (count by (namespace, endpoint) (kube_endpoint_address{${activeEndpoint},ready="true"}) > 0)`,
                    "30m",
                    "critical",
                    "no Ready pod serves the model",
                    "The model's active Service has pods and none of them has been Ready for 30 minutes, longer than a cold start: every request fails. Check the pods' events and logs (kubectl describe, the readiness probe, vLLM's startup).",
                ),
            ],
        },
    ];
    // The slow-request alert links to the service's slow traces.
    if (options.traces) {
        const latency = groups.flatMap((g) => g.rules).find((r) => r.alert === "LLMHighP95Latency")!;
        latency.annotations = {
            ...latency.annotations,
            traces_url: options.traces.consoleUrl,
            traces_filter: slowTracesFilter(job, slo.p95LatencyMs / 1000),
        };
    }
    // Production's traffic only: the preview colour answers the quality gate's set before a flip.
    if (m.tokenHistograms) groups.push(driftGroup(m.tokenHistograms, sel, serving, alert));
    // Measured per model from its own token histograms, drift is the model's, not the platform's.
    const platform = PLATFORM_ALERTS.filter((a) => !(m.tokenHistograms && a === "LLMModelDriftDetected"));
    // The platform's alerts (GPUs, drift) belong to no model: once per Prometheus, without a model label.
    // Group names unique on the Prometheus, whether the operator writes a rule file per PrometheusRule or not.
    return groups
        .map((g) => ({
            ...g,
            name: service ? `${g.name}-${job}` : g.name,
            rules: g.rules
                .filter((r) => !(service && platform.includes(r.alert ?? "")))
                .map((r) =>
                    platform.includes(r.alert ?? "") ? { ...r, labels: { severity: r.labels!.severity } } : r,
                ),
        }))
        .filter((g) => g.rules.length > 0);
}

/**
 * Drift of a model's traffic, measured in Prometheus: for prompt and for generated tokens per
 * request, the Kolmogorov–Smirnov distance between the last hour's distribution and the same hour
 * yesterday's — the largest gap between the two cumulative distributions, which a Prometheus
 * histogram's cumulative buckets are, so no job has to export them. Recorded only when both hours
 * saw at least DRIFT_MIN_REQUESTS requests. Sources: docs/UPSTREAM.md, "Drift".
 */
function driftGroup(
    h: { prompt: string; generation: string },
    sel: string,
    serving: string,
    alert: (n: string, e: string, f: string, s: Severity, summary: string, d: string) => Rule,
): RuleGroup {
    const window = DRIFT_WINDOW;
    const traffic = `${sel},${serving}`;
    // Per model version: a version is compared with itself yesterday, never with the one it replaced.
    const by = `job, ${MODEL_VERSION_SERIES_LABEL}`;
    const cdf = (metric: string, offset: string): string =>
        `sum by (${by}, le) (increase(${metric}_bucket{${traffic}}[${window}]${offset})) / ignoring (le) group_left () sum by (${by}) (increase(${metric}_count{${traffic}}[${window}]${offset}))`;
    const enough = (metric: string, offset: string): string =>
        `sum by (${by}) (increase(${metric}_count{${traffic}}[${window}]${offset})) >= ${DRIFT_MIN_REQUESTS}`;
    const score = (metric: string, signal: string): Rule => ({
        record: "llm:model_drift_score:1h",
        expr: `max by (job) (max by (${by}) (abs(${cdf(metric, "")} - ${cdf(metric, ` offset ${DRIFT_REFERENCE_OFFSET}`)})) and on (${by}) (${enough(metric, "")}) and on (${by}) (${enough(metric, ` offset ${DRIFT_REFERENCE_OFFSET}`)}))`,
        labels: { signal },
    });
    return {
        name: "llm-model-drift",
        rules: [
            score(h.prompt, "prompt_tokens"),
            score(h.generation, "generation_tokens"),
            alert(
                "LLMModelDriftDetected",
                `max by (job) (llm:model_drift_score:1h{${sel}}) > ${DRIFT_KS_THRESHOLD}`,
                "30m",
                "warning",
                "model drift detected",
                `The distribution of prompt or generated tokens per request over the last hour differs from the same hour yesterday, for the same model version, by a Kolmogorov–Smirnov distance over ${DRIFT_KS_THRESHOLD} (with at least ${DRIFT_MIN_REQUESTS} requests in each): what users ask, or what the model answers, has changed; review and re-evaluate. A release starts its version's comparison a day later.`,
            ),
        ],
    };
}

/**
 * The GPU utilisation series as the alerts read them: `of(matchers)`, the GPUs of the pods whose
 * scrape matches; `except(matchers)`, every GPU but those of such pods (GPUs no pod holds stay in:
 * they are paid for). An exporter's series are joined to the pods' scrape (`up`) by the pod they name.
 */
function gpuSeries(m: MetricNames): { of: (matchers: string) => string; except: (matchers: string) => string } {
    const labels = m.gpuPodLabels;
    if (!labels)
        return {
            of: (matchers) => `${m.gpuUtilization}{${matchers}}`,
            except: (matchers) => `${m.gpuUtilization} unless on (namespace, pod) up{${matchers}}`,
        };
    const renamed = (filter: string) =>
        `label_replace(label_replace(${m.gpuUtilization}${filter}, "namespace", "$1", "${labels.namespace}", "(.+)"), "pod", "$1", "${labels.pod}", "(.+)")`;
    return {
        of: (matchers) => `${renamed(`{${labels.pod}!=""}`)} and on (namespace, pod) up{${matchers}}`,
        except: (matchers) => `${renamed("")} unless on (namespace, pod) up{${matchers}}`,
    };
}

/** Alerts about the platform rather than one model: in the first model's rules only, labelled by severity alone. */
export const PLATFORM_ALERTS: readonly string[] = [
    "LLMModelDriftDetected",
    "LLMGPUIdle",
    "LLMGPUMemoryPressure",
    "LLMGPUXidErrors",
];

/** The rules file promtool and Prometheus read. */
export function renderRulesFile(groups: RuleGroup[]): string {
    return dump({ groups }, { lineWidth: 200, noRefs: true });
}

/** Every alert with what docs/alerts.md lists about it. */
export function alertCatalogue(
    groups: RuleGroup[],
): Array<{ alert: string; severity: string; for: string; expr: string; summary: string; description: string }> {
    return groups.flatMap((g) =>
        g.rules
            .filter((r): r is Rule & { alert: string } => r.alert !== undefined)
            .map((r) => ({
                alert: r.alert,
                severity: r.labels?.severity ?? "",
                for: r.for ?? "0m",
                expr: r.expr,
                summary: r.annotations?.summary ?? "",
                description: r.annotations?.description ?? "",
            })),
    );
}

const RELEASE_RUNBOOK =
    "the runbook on releasing a model (`llm-platform promote --rollback`, back to the previous colour)";
const ERRORS_FIRST = `Open the service dashboard's errors by handler and the pods' logs (\`kubectl logs -n inference -l app.kubernetes.io/component=inference\`); if the errors began with a release, roll back per ${RELEASE_RUNBOOK}; if pods restart, look for LLMGPUMemoryPressure and LLMGPUXidErrors.`;

/** What the person paged does first, per alert; docs/alerts.md's runbooks print it under each alert. */
export const FIRST_STEPS: Readonly<Record<string, string>> = {
    LLMHighP95Latency: `Compare the queue (\`vllm:num_requests_waiting\`) and GPU utilisation on the service dashboard: a long queue on busy GPUs means too few replicas — check whether the autoscaler is at \`serving.maxReplicas\` or pods are Pending for a GPU node (the pool's \`maxSize\`); a short queue means slower prefill — if it began with a release, roll back per ${RELEASE_RUNBOOK}.`,
    LLMLowSuccessRate: ERRORS_FIRST,
    LLMErrorBudgetBurn1h: `${ERRORS_FIRST} The 1h window means the month's budget goes in about two days: act now.`,
    LLMErrorBudgetBurn6h: `${ERRORS_FIRST} The 6h window means the month's budget goes in about five days.`,
    LLMErrorBudgetBurn3d: `${ERRORS_FIRST} The slow burn can wait for working hours; find the source before it becomes a fast one.`,
    LLMHallucinationRateHigh: `Compare the colours on the model-quality dashboard; if the new release raised the rate, roll back per ${RELEASE_RUNBOOK}; otherwise check the evaluation job that reports \`llm_hallucination_rate\`.`,
    LLMModelDriftDetected:
        "Compare `llm:model_drift_score:1h` by `signal` (prompt_tokens: what users send changed; generation_tokens: what the model answers changed) with `histogram_quantile(0.5, sum by (le) (rate(vllm:request_prompt_tokens_bucket{job=\"<model>\"}[1h])))` now and `offset 1d` (and the same for `vllm:request_generation_tokens`), find what changed (a new client, a prompt template, a release), and re-run the model's evaluation set against the new traffic; serving needs no action. With the reference metrics, read the drift job's report.",
    LLMTokenThroughputDrop:
        "Check whether traffic fell (requests on the dashboard: then nothing is wrong with serving) or tokens per request did; a drop with steady requests and rising latency points at the GPUs (LLMGPUSaturated, LLMGPUXidErrors).",
    LLMGPUSaturated:
        "It measures the GPUs of the model's serving pods only (those behind its active Service), not the warm inactive colour's. Confirm the queue is growing too (LLMInferenceQueueLong); if the autoscaler is at `serving.maxReplicas` or the pool at its `maxSize`, raise them (the capacity check and the gpu-budget policy say what fits); otherwise wait for the new pods.",
    LLMGPUIdle:
        "GPUs are paid for and unused: lower `serving.replicas` (prod keeps at least two) or the pool's `minSize`, or in staging let `scaleDownInactive` take the inactive colour to zero.",
    LLMGPUMemoryPressure:
        "Find the pod on the node (`kubectl get pods -o wide`); vLLM preallocates most GPU memory, so pressure from elsewhere means another process on the GPU (time slicing) or a model too large for the GPU: move it to a pool with more GPU memory.",
    LLMGPUXidErrors:
        "Look up the XID code (NVIDIA's XID table); for hardware codes (e.g. 48, 79) cordon and drain the node (`kubectl drain <node> --ignore-daemonsets`) and let the node group replace it.",
    LLMInferenceQueueLong:
        "Requests wait faster than they are served: check that the autoscaler is scaling (LLMAutoscalerBlind, pods Pending for GPU nodes) and whether it is capped at `serving.maxReplicas` or the pool's `maxSize`.",
    LLMAutoscalerBlind:
        "It fires only for an autoscaler with pods (at zero replicas, scale-to-zero, the HPA reports ScalingActive false by design). `kubectl describe scaledobject -n inference` and `kubectl describe hpa -n inference` say why the metric is missing; check the KEDA operator's logs (`kubectl logs -n keda deploy/keda-operator`) and that Prometheus answers at `prometheus-operated.monitoring:9090`.",
    LLMTargetDown:
        "The pod is Ready (it serves) but Prometheus cannot scrape it, so its load and errors are invisible to the autoscaler and the alerts: check the NetworkPolicy admits the `monitoring` namespace (`kubectl get networkpolicy -n <model> -o yaml`) and that `/metrics` answers (`kubectl exec` into another pod of the namespace and fetch it). A pod still starting (weights syncing, model loading) is not Ready and never fires this.",
    LLMServingUnavailable:
        "`kubectl get pods -n <model> -l app.kubernetes.io/component=inference` and `kubectl describe pod` the active colour's: CrashLoopBackOff or OOMKilled (read `kubectl logs --previous`: a flag the image's vLLM refuses, GPU memory), a failing readiness probe (vLLM up but the model not loaded), or waiting on a readiness gate (the load balancer's health check fails: the NetworkPolicy, the target group's health). If a release caused it, roll back per " +
        RELEASE_RUNBOOK +
        "; the warm colour serves at once.",
    LLMRegistryUnavailable:
        "`kubectl get pods -n mlflow` and the pods' logs (`kubectl logs -n mlflow deploy/mlflow`): a pod that never turns ready cannot reach the database (its readiness reads the Default experiment) — check the RDS instance's status and events and the `registry-db` security group; a crash at start is often a schema migration after an image change. Serving pods already running are not affected; new ones of models released from the registry wait in their init container.",
    LLMRegistryErrors:
        "Read the server's logs for the failing requests (`kubectl logs -n mlflow deploy/mlflow`); errors on artifact requests point at S3 or KMS (the `registry-artifacts` role policy), errors everywhere at the database (RDS CPU, connections, free storage in CloudWatch).",
};
