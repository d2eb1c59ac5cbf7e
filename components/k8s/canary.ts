/**
 * The Flagger canary used instead of blue-green when the strategy is `canary`: traffic moves to
 * the new release in steps while Flagger's analysis holds the production standards (request
 * success rate ≥ 99 %, request duration ≤ 500 ms), and rolls back after `threshold` failures.
 */

export interface CanaryAnalysis {
    /** How often the analysis runs, e.g. "1m". */
    interval: string;
    /** Failed checks before rollback. */
    threshold: number;
    /** Highest share of traffic the canary gets before promotion, percent. */
    maxWeight: number;
    /** Traffic added per passing step, percent. */
    stepWeight: number;
    /** Lowest request success rate, percent. */
    minSuccessRatePercent: number;
    /** Highest request duration (Flagger's P99 by default), milliseconds. */
    maxRequestDurationMs: number;
}

/** The reference figures: 1m interval, 5 failures, up to 50 % in steps of 10, ≥ 99 %, ≤ 500 ms. */
export const DEFAULT_CANARY: CanaryAnalysis = {
    interval: "1m",
    threshold: 5,
    maxWeight: 50,
    stepWeight: 10,
    minSuccessRatePercent: 99,
    maxRequestDurationMs: 500,
};

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

/** The Canary's spec for a Deployment named `deployment` serving on `port`. */
export function buildCanarySpec(
    name: string,
    namespace: string,
    deployment: string,
    port: number,
    healthPath: string,
    overrides: Partial<CanaryAnalysis> = {},
): Record<string, unknown> {
    const a = { ...DEFAULT_CANARY, ...overrides };
    return {
        targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment },
        autoscalerRef: { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", name: deployment },
        progressDeadlineSeconds: 900,
        service: { port: 80, targetPort: port, name },
        analysis: {
            interval: a.interval,
            threshold: a.threshold,
            maxWeight: a.maxWeight,
            stepWeight: a.stepWeight,
            metrics: [
                {
                    name: "request-success-rate",
                    thresholdRange: { min: a.minSuccessRatePercent },
                    interval: a.interval,
                },
                { name: "request-duration", thresholdRange: { max: a.maxRequestDurationMs }, interval: a.interval },
            ],
            webhooks: [
                {
                    name: "smoke-test",
                    type: "pre-rollout",
                    url: "http://flagger-loadtester.flagger-system/",
                    timeout: "30s",
                    metadata: { type: "bash", cmd: `curl -sf http://${name}-canary.${namespace}${healthPath}` },
                },
            ],
        },
    };
}
