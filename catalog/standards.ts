/**
 * The production standards the platform holds, defined once: the alert thresholds (the reference
 * document's figures) and the tier minimums. The settings schema, the components, the alert rules
 * and the policy pack's tier configs take them from here (a test checks the pack's configs).
 */

import { READINESS_PATH } from "./vllm";
import { longestCronGapMinutes } from "./cron";

/** The fewest replicas of a serving Deployment that the prod tier accepts. */
export const PROD_MIN_REPLICAS = 2;

/** The production standards, as thresholds. */
export interface SloSettings {
    /** Availability objective, e.g. 0.999. */
    availability: number;
    /** p95 budget of the preset's `latency` (time to first token for vLLM), ms. */
    p95LatencyMs: number;
    /** Lowest success rate, e.g. 0.99. */
    minSuccessRate: number;
    /** Highest hallucination rate, e.g. 0.05. */
    maxHallucinationRate: number;
    /** GPU utilisation (percent) above which the service is saturated. */
    gpuHighUtilizationPercent: number;
    /** GPU utilisation (percent) below which GPUs sit idle and cost money. */
    gpuIdleUtilizationPercent: number;
    /** Pending requests per pod that mean the service cannot keep up. */
    maxQueueLength: number;
    /** Fraction of yesterday's token throughput (same time of day) below which a drop alerts. */
    tokenThroughputDropRatio: number;
    /** p95 gap between a stream's tokens at the promotion's load stage, ms. */
    p95InterTokenLatencyMs: number;
    /** Fewest output tokens per second over all streams at the promotion's load stage. */
    minTokensPerSecond: number;
}

export const REFERENCE_SLO: SloSettings = {
    availability: 0.999,
    p95LatencyMs: 500,
    minSuccessRate: 0.99,
    maxHallucinationRate: 0.05,
    gpuHighUtilizationPercent: 95,
    gpuIdleUtilizationPercent: 10,
    maxQueueLength: 50,
    tokenThroughputDropRatio: 0.5,
    // 10 tokens/s per stream at the least (faster than reading), at the 100 streams of the load stage.
    p95InterTokenLatencyMs: 100,
    minTokensPerSecond: 1000,
};

/** How a canary is analysed (Flagger), in the production standards' terms. */
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
    /** Highest p95 of the metric preset's latency (time to first token for vLLM), milliseconds. */
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

/**
 * Minutes ECS keeps the old colour after shifting production traffic, ready for an instant
 * rollback: the component's default and the prod tier's (staging bakes shorter).
 */
export const PROD_BAKE_TIME_MINUTES = 15;

/** Target 5xx responses per minute at which an ECS deployment rolls back (the default, both tiers). */
export const ROLLBACK_MAX_5XX_PER_MINUTE = 5;

/** Replicas of the active colour in prod (one per zone of three): the EKS service's default. */
export const PROD_SERVING_REPLICAS = 3;

/** The tags every AWS resource carries for cost allocation and ownership (the stacks set them). */
export const OWNERSHIP_TAG_KEYS = ["Owner", "CostCenter"] as const;

/**
 * Monthly on-demand GPU spend at maximum scale that each tier's gate accepts, USD: for the whole
 * stack (sized for the reference stacks: two models in staging, three in prod) and for any one model.
 */
export const GPU_BUDGET_USD = { staging: 3000, prod: 20000 } as const;
export const GPU_BUDGET_PER_MODEL_USD = { staging: 2500, prod: 10000 } as const;

/** What the inference autoscaler holds per replica (KEDA's Prometheus scaler on vLLM's gauges). */
export interface ScaleOn {
    /**
     * `waitingRequests`: requests queued in the engine per replica (KEDA's default `AverageValue`:
     * desired replicas = ceil(sum / target)). `kvCacheUsage`: the replicas' mean KV-cache usage,
     * a fraction (metric type `Value`: desired = ceil(replicas × mean / target)).
     */
    metric: "waitingRequests" | "kvCacheUsage";
    target: number;
}

/**
 * Scale out while more than 5 requests per replica wait for a slot in the engine: well before the
 * queue-length alert (REFERENCE_SLO.maxQueueLength, 50 per pod) fires.
 */
export const DEFAULT_SCALE_ON: ScaleOn = { metric: "waitingRequests", target: 5 };

/** How a release's colour is smoke-tested before and after the flip: the readiness route, within the latency SLO. */
export const DEFAULT_SMOKE_TEST = {
    path: READINESS_PATH,
    expectedStatus: 200,
    latencyBudgetMs: 500,
    attempts: 5,
} as const;

/** The quality gate's own settings (its thresholds but accuracy are the SLO's): the production standard's accuracy. */
export const DEFAULT_EVALUATION = { minAccuracy: 0.85, concurrency: 4, timeoutSeconds: 120, maxTokens: 256 } as const;

/** How the promotion's load stage loads the preview colour (its thresholds are the SLO's). */
export interface LoadStageSettings {
    enabled: boolean;
    concurrency: number;
    durationSeconds: number;
    rampSeconds: number;
    maxTokens: number;
    minTokens: number;
}

/**
 * The load stage per tier. Prod: the origin document's performance stage, a hundred concurrent
 * users, held two minutes after a ten-second ramp. Staging (one small replica): a tenth of that
 * load for a minute, enough to catch a release that degrades under load without a prod-sized bill.
 * Every answer streams at least 128 tokens (vLLM's `min_tokens`): the evaluation sets' answers are
 * often a word, and tokens/s over answers that short measures the prompts, not the server.
 */
export const DEFAULT_LOAD_STAGE: Readonly<Record<"staging" | "prod", LoadStageSettings>> = {
    staging: { enabled: true, concurrency: 10, durationSeconds: 60, rampSeconds: 5, maxTokens: 256, minTokens: 128 },
    prod: { enabled: true, concurrency: 100, durationSeconds: 120, rampSeconds: 10, maxTokens: 256, minTokens: 128 },
};

/** The aggregate output tokens/s the staging tier holds its load stage to: its 10 streams at 10 tokens/s each. */
export const STAGING_MIN_TOKENS_PER_SECOND = 100;

/**
 * Why a cooldown leaves the drift path nothing to start, or undefined. The cooldown counts from the
 * model's last run of either kind, so a schedule whose runs are never further apart than the
 * cooldown restarts it before it ends: drift would never start a run.
 */
export function cooldownStarvesDrift(schedule: string, cooldownHours: number): string | undefined {
    const gap = longestCronGapMinutes(schedule);
    if (gap === undefined || !Number.isInteger(cooldownHours) || cooldownHours * 60 < gap) return undefined;
    const hours = Math.ceil(gap / 60);
    return `expected an integer under ${hours}: the schedule (${schedule.trim()}) starts a run at least every ${Number((gap / 60).toFixed(2))} hours, and the cooldown counts from any run, so a drift alert could never start one`;
}

/**
 * Why a schedule runs too often for any cooldown (the shortest is an hour), or undefined: the
 * schedule is then the key to change, not the cooldown.
 */
export function scheduleTooFrequent(schedule: string): string | undefined {
    const gap = longestCronGapMinutes(schedule);
    if (gap === undefined || gap > 60) return undefined;
    return `expected runs more than an hour apart: this schedule starts one at least every ${Number(gap.toFixed(2))} minutes, so no cooldown (1 hour at the shortest) leaves a drift alert room to start a run`;
}

/**
 * Seconds a load balancer keeps an idle connection, and drains a target: a long generation
 * streams slowly (an ALB's default idle timeout is 60 s). The EKS entry point and the ECS load
 * balancer both use it.
 */
export const STREAM_IDLE_TIMEOUT_SECONDS = 300;

/**
 * Where the alerts' `runbook_url` links point by default: this project's alert page, whose heading
 * per alert (anchor `#<alert in lower case>`) says what it means and what to do first. Set
 * `runbookBaseUrl` (or `llm-platform:monitoring.runbookBaseUrl`) to your own copy to keep your notes.
 */
export const RUNBOOK_BASE_URL = "https://github.com/llm-platform/llm-platform/blob/main/docs/alerts.md";
