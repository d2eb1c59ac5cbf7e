/**
 * Scaling an inference Deployment on the load an LLM server really has, through KEDA's Prometheus
 * scaler: requests waiting for a slot in the engine (`vllm:num_requests_waiting`), or KV-cache
 * usage (`vllm:kv_cache_usage_perc`). CPU says little about a GPU-bound server. Sources:
 * docs/UPSTREAM.md, "KEDA".
 */
import type { ScaleOn } from "../../catalog/standards";
import { VLLM_METRIC_NAMES } from "../../catalog/vllm";
import { deploymentPodsSelector } from "./inferenceWorkload";

export type { ScaleOn } from "../../catalog/standards";

/** The trigger's name; Flagger maps primary queries by it. */
export const SCALER_TRIGGER = "vllm";

/** The PromQL the scaler evaluates for one Deployment's pods. */
export function scalerQuery(scaleOn: ScaleOn, namespace: string, deployment: string): string {
    return scaleOn.metric === "waitingRequests"
        ? `sum(${VLLM_METRIC_NAMES.waitingRequests}{${deploymentPodsSelector(namespace, deployment)}})`
        : `avg(${VLLM_METRIC_NAMES.kvCacheUsage}{${deploymentPodsSelector(namespace, deployment)}})`;
}

/** Problems with a `scaleOn`, each naming the field. */
export function validateScaleOn(scaleOn: ScaleOn, field = "scaleOn"): string[] {
    if (scaleOn.metric === "waitingRequests" && !(Number.isInteger(scaleOn.target) && scaleOn.target >= 1))
        return [`${field}.target: expected an integer >= 1 (waiting requests per replica), received ${scaleOn.target}`];
    if (scaleOn.metric === "kvCacheUsage" && !(scaleOn.target > 0 && scaleOn.target <= 1))
        return [`${field}.target: expected a fraction in (0, 1] of KV cache in use, received ${scaleOn.target}`];
    return [];
}

/**
 * The `ScaledObject` spec for one Deployment: between `min` and `max` replicas, polled every 15 s,
 * scaling down as slowly as the CPU autoscaler did (GPU pods take minutes to start). KEDA makes
 * and owns the HorizontalPodAutoscaler (`keda-hpa-<name>`).
 */
export function buildScaledObjectSpec(options: {
    deployment: string;
    namespace: string;
    min: number;
    max: number;
    scaleOn: ScaleOn;
    prometheusUrl: string;
}): Record<string, unknown> {
    const { scaleOn } = options;
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: options.deployment },
        minReplicaCount: options.min,
        maxReplicaCount: options.max,
        pollingInterval: 15,
        advanced: {
            horizontalPodAutoscalerConfig: {
                behavior: {
                    scaleDown: {
                        stabilizationWindowSeconds: 600,
                        policies: [{ type: "Pods", value: 1, periodSeconds: 300 }],
                    },
                },
            },
        },
        triggers: [
            {
                type: "prometheus",
                name: SCALER_TRIGGER,
                ...(scaleOn.metric === "kvCacheUsage" ? { metricType: "Value" } : {}),
                metadata: {
                    serverAddress: options.prometheusUrl,
                    query: scalerQuery(scaleOn, options.namespace, options.deployment),
                    threshold: String(scaleOn.target),
                },
            },
        ],
    };
}
