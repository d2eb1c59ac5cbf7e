/**
 * The Flagger canary used instead of blue-green when the strategy is `canary`: traffic moves to
 * the new release in steps while Flagger's analysis holds the production standards (success rate
 * ≥ 99 %, p95 latency ≤ 500 ms — time to first token for vLLM), and rolls back after `threshold`
 * failures. What it runs on (Flagger, Envoy Gateway, the load tester) is `CanaryDelivery`.
 */
import { DEFAULT_CANARY, type CanaryAnalysis } from "../../catalog/standards";
import { deploymentPodsSelector } from "./inferenceWorkload";
import { SCALER_TRIGGER } from "./scaling";
import type { MetricNames } from "./alertRules";

/** Problems with canary settings, naming the setting. */
export function validateCanary(analysis: CanaryAnalysis): string[] {
    const problems: string[] = [];
    if (!/^\d+[smh]$/.test(analysis.interval))
        problems.push(
            `canary.interval: expected a duration such as "1m", received ${JSON.stringify(analysis.interval)}`,
        );
    if (!Number.isInteger(analysis.threshold) || analysis.threshold < 1)
        problems.push(`canary.threshold: expected an integer >= 1, received ${analysis.threshold}`);
    if (!(analysis.stepWeight > 0 && analysis.stepWeight <= analysis.maxWeight && analysis.maxWeight <= 100)) {
        problems.push(
            `canary.stepWeight: expected 0 < stepWeight <= maxWeight <= 100, received stepWeight ${analysis.stepWeight} and maxWeight ${analysis.maxWeight}`,
        );
    }
    return problems;
}

/** What a Canary refers to: its Deployment, the gateway, the load tester, Prometheus and the metric names. */
export interface CanaryTargets {
    /** The service name: the Canary, its Services (`<name>`, `-primary`, `-canary`) and MetricTemplates. */
    name: string;
    namespace: string;
    /** The Deployment Flagger takes over (`targetRef`). */
    deployment: string;
    /** The container port the Services forward to. */
    port: number;
    /** A route the canary answers once its model is loaded (the smoke test). */
    readyPath: string;
    /** The model name the canary's server answers to (vLLM's default: the `--model` path). */
    modelName: string;
    /** The Gateway the HTTPRoute attaches to. */
    gateway: { name: string; namespace: string };
    /** Flagger's load tester, e.g. http://flagger-loadtester.flagger-system/ */
    loadtesterUrl: string;
    /** Prometheus, for the MetricTemplates. */
    metricsServer: string;
    /** The metric names the image emits (the monitoring preset). */
    metrics: MetricNames;
    /** Label put on Flagger's primary and canary Services, which the ServiceMonitor selects. */
    metricsLabel: Record<string, string>;
    /**
     * With KEDA: the scaler query for Flagger's primary pods. The Deployment then scales by a
     * ScaledObject of its name, which Flagger copies for the primary with this query.
     */
    primaryScalerQuery?: string;
}

/**
 * The canary's own pods in a Flagger query: `<target>-<replicaset hash>-<pod hash>`, which the
 * primary's `<target>-primary-…-…` never matches (Prometheus anchors the regex).
 */
const CANARY_PODS = deploymentPodsSelector("{{ namespace }}", "{{ target }}");

/**
 * The MetricTemplates the analysis uses, on the metrics the image really emits (Flagger's
 * built-in `request-success-rate` and `request-duration` read a mesh's or ingress's series, or
 * for Gateway API `http_request_duration_seconds_count` with `kubernetes_pod_name`, which our
 * scrape does not produce). Success rate in percent; latency p95 in milliseconds.
 */
export function buildMetricTemplates(t: CanaryTargets): Array<{ name: string; spec: Record<string, unknown> }> {
    const m = t.metrics;
    const requests = [CANARY_PODS, m.requestMatchers].filter(Boolean).join(",");
    const errors = `${m.statusLabel}=~"${m.errorStatusRegex}"`;
    const provider = { type: "prometheus", address: t.metricsServer };
    return [
        {
            name: `${t.name}-success-rate`,
            spec: {
                provider,
                // No error series at all is a 100 % success rate, not "no data".
                query: `100 * (1 - ((sum(rate(${m.requestsTotal}{${requests},${errors}}[{{ interval }}])) or vector(0)) / sum(rate(${m.requestsTotal}{${requests}}[{{ interval }}]))))`,
            },
        },
        {
            name: `${t.name}-latency`,
            spec: {
                provider,
                query: `1000 * histogram_quantile(0.95, sum by (le) (rate(${m.latency}_bucket{${CANARY_PODS}}[{{ interval }}])))`,
            },
        },
    ];
}

/**
 * The Canary's spec: Flagger's Gateway API provider shifts the gateway's traffic to the canary
 * in steps; each step the load tester sends real completions to the canary, and the analysis
 * holds the production standards on the canary's own pods (success rate, p95 of the preset's
 * latency — time to first token for vLLM), rolling back after `threshold` failed checks.
 */
export function buildCanarySpec(t: CanaryTargets, overrides: Partial<CanaryAnalysis> = {}): Record<string, unknown> {
    const a = { ...DEFAULT_CANARY, ...overrides };
    const canaryUrl = `http://${t.name}-canary.${t.namespace}`;
    const body = JSON.stringify({ model: t.modelName, prompt: "Reply with OK.", max_tokens: 16 });
    return {
        provider: "gatewayapi:v1",
        targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: t.deployment },
        autoscalerRef:
            t.primaryScalerQuery === undefined
                ? { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", name: t.deployment }
                : {
                      apiVersion: "keda.sh/v1alpha1",
                      kind: "ScaledObject",
                      name: t.deployment,
                      primaryScalerQueries: { [SCALER_TRIGGER]: t.primaryScalerQuery },
                  },
        progressDeadlineSeconds: 1800,
        service: {
            name: t.name,
            port: 80,
            targetPort: t.port,
            gatewayRefs: [{ name: t.gateway.name, namespace: t.gateway.namespace }],
            primary: { labels: t.metricsLabel },
            canary: { labels: t.metricsLabel },
        },
        analysis: {
            interval: a.interval,
            threshold: a.threshold,
            maxWeight: a.maxWeight,
            stepWeight: a.stepWeight,
            metrics: [
                {
                    name: "success-rate",
                    templateRef: { name: `${t.name}-success-rate`, namespace: t.namespace },
                    thresholdRange: { min: a.minSuccessRatePercent },
                    interval: a.interval,
                },
                {
                    name: "latency-p95",
                    templateRef: { name: `${t.name}-latency`, namespace: t.namespace },
                    thresholdRange: { max: a.maxRequestDurationMs },
                    interval: a.interval,
                },
            ],
            webhooks: [
                {
                    name: "smoke-test",
                    type: "pre-rollout",
                    url: t.loadtesterUrl,
                    timeout: "30s",
                    metadata: { type: "bash", cmd: `curl -sf --max-time 10 ${canaryUrl}${t.readyPath}` },
                },
                {
                    name: "load-test",
                    type: "rollout",
                    url: t.loadtesterUrl,
                    timeout: "5s",
                    metadata: {
                        type: "cmd",
                        cmd: `hey -z ${a.interval} -q 1 -c 2 -m POST -T application/json -d '${body}' ${canaryUrl}/v1/completions`,
                    },
                },
            ],
        },
    };
}
