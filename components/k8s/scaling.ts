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
    /** Scale to zero: the requests the HTTP add-on's interceptor sees wake the Deployment. */
    wake?: Wake;
}): Record<string, unknown> {
    const { scaleOn, wake } = options;
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: options.deployment },
        minReplicaCount: wake ? 0 : options.min,
        maxReplicaCount: options.max,
        pollingInterval: 15,
        ...(wake ? { cooldownPeriod: wake.idleMinutes * 60 } : {}),
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
            ...(wake
                ? [
                      {
                          type: "external-push",
                          name: WAKE_TRIGGER,
                          metadata: { scalerAddress: wake.scalerAddress, interceptorRoute: wake.interceptorRoute },
                      },
                  ]
                : []),
        ],
    };
}

/** The add-on's trigger in a model's ScaledObject. */
export const WAKE_TRIGGER = "requests";

/** How a model scaled to zero is woken: by the requests KEDA's HTTP add-on counts for it. */
export interface Wake {
    /** The add-on's external scaler (`httpScalerAddress`). */
    scalerAddress: string;
    /** The model's InterceptorRoute, in the ScaledObject's namespace. */
    interceptorRoute: string;
    /** Minutes without a request or a waiting one before the model goes to zero (KEDA's cooldownPeriod). */
    idleMinutes: number;
}

/**
 * Seconds the interceptor holds a request while its model scales up from zero: under the load
 * balancer's idle timeout, so the client gets the interceptor's 504 rather than the ALB's cut.
 * A cold start that needs a new GPU node takes longer; the request that woke it fails, and the model
 * serves the ones after.
 */
export function holdSeconds(idleTimeoutSeconds: number): number {
    return idleTimeoutSeconds - 20;
}

/**
 * The `InterceptorRoute` of one model (http.keda.sh/v1beta1): which requests the interceptor sends
 * to its active Service — those for its host, or with its header, or for a model without a route
 * every request (the host `*`, the add-on's catch-all) — and the concurrency it reports for them.
 * A route always has a rule: at v0.15.0 the routing table adds a route only through its rules
 * (pkg/routing/tablememory.go), so a route without one is Ready yet never matched, and the
 * interceptor answers every request 404 without counting it (docs/UPSTREAM.md). The ScaledObject
 * refers to it with its `requests` trigger; the add-on's operator creates no ScaledObject for an
 * InterceptorRoute.
 */
export function buildInterceptorRouteSpec(options: {
    service: string;
    port: number;
    route?: { host?: string; header?: { name: string; value: string } };
    targetConcurrency: number;
    holdSeconds: number;
}): Record<string, unknown> {
    const { route } = options;
    const rule =
        route?.host !== undefined
            ? { hosts: [route.host] }
            : route?.header !== undefined
              ? { headers: [{ name: route.header.name, value: route.header.value }] }
              : { hosts: ["*"] };
    return {
        target: { service: options.service, port: options.port },
        rules: [rule],
        scalingMetric: { concurrency: { targetValue: options.targetConcurrency } },
        timeouts: { readiness: `${options.holdSeconds}s` },
    };
}
