/**
 * The release contract between a program and `llm-platform promote`: where a model's release lives
 * in the stack's config (an object with `activeColor`, `blue` and `green`), and what the promotion
 * needs to know about the deployed model, exported by the program as the stack output
 * `llmPlatformReleases`. Any program can export it; the promotion reads nothing else of the stack.
 *
 *     const { lastFlip, ...release } = readReleaseConfig(config, "chat");  // { activeColor, blue, green }
 *     const chat = new BlueGreenEksService("chat", { ...release, ... });
 *     export const llmPlatformReleases = [releaseContract({ model: "chat", configKey: "my-project:chat", service: chat, lastFlip })];
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_ERROR_PREFIX } from "../catalog/configErrors";
import { DIGEST_REFERENCE, isModelVersion, MODEL_VERSION_HELP } from "../catalog/formats";
import { DEFAULT_EVALUATION, DEFAULT_SMOKE_TEST, REFERENCE_SLO } from "../catalog/standards";
import type { BlueGreenEksService } from "./k8s/blueGreenEksService";
import type { Color } from "./k8s/inferenceWorkload";

/** The stack output `llm-platform promote` reads: one {@link ReleaseContract} per model. */
export const RELEASES_OUTPUT = "llmPlatformReleases";

/** One colour's release in config: the model version, and the image when it is not the default. */
export interface ReleaseConfigColor {
    /** By digest. @default - the service's default image */
    image?: string;
    /**
     * The model version: a folder under the model's prefix of the bucket, or a registered version by
     * number (`models:/<name>/<version>`, its source a folder there). Never an alias: promote resolves one.
     */
    modelVersion: string;
}

/** A model's release as it lives in the stack's config; promote sets its paths. */
export interface ReleaseConfig {
    /** @default "blue" */
    activeColor?: Color;
    /** Scale the inactive colour to zero. @default false */
    scaleDownInactive?: boolean;
    blue: ReleaseConfigColor;
    green: ReleaseConfigColor;
    /**
     * What each colour ran at the last flip: written by `llm-platform promote` and `deploy` with
     * each update they make, never by hand. `--rollback` returns the inactive colour to it.
     * @default - none: a rollback flips to what the inactive colour runs
     */
    lastFlip?: LastFlipConfig;
}

/** What each colour of a model ran at its last flip (the release object's `lastFlip`). */
export interface LastFlipConfig {
    activeColor: Color;
    blue: ReleaseConfigColor;
    green: ReleaseConfigColor;
}

const COLOR_KEYS = new Set(["image", "modelVersion"]);
const RELEASE_KEYS = new Set(["activeColor", "scaleDownInactive", "blue", "green", "lastFlip"]);

/** Every problem with a release object read from config key `key`, each naming its path. */
export function releaseConfigProblems(key: string, value: unknown): string[] {
    if (typeof value !== "object" || value === null || Array.isArray(value))
        return [
            `${key}: expected an object {activeColor, blue: {modelVersion, image?}, green: {modelVersion, image?}}, received ${JSON.stringify(value)}`,
        ];
    const v = value as Record<string, unknown>;
    const problems = Object.keys(v)
        .filter((k) => !RELEASE_KEYS.has(k))
        .map((k) => `${key}.${k}: unknown key; a release has activeColor, scaleDownInactive, blue, green and lastFlip`);
    if (v.activeColor !== undefined && v.activeColor !== "blue" && v.activeColor !== "green")
        problems.push(`${key}.activeColor: expected blue or green, received ${JSON.stringify(v.activeColor)}`);
    if (v.scaleDownInactive !== undefined && typeof v.scaleDownInactive !== "boolean")
        problems.push(
            `${key}.scaleDownInactive: expected true or false, received ${JSON.stringify(v.scaleDownInactive)}`,
        );
    problems.push(...colourProblems(key, v));
    if (v.lastFlip !== undefined) {
        const f = v.lastFlip as Record<string, unknown> | null;
        if (typeof f !== "object" || f === null || Array.isArray(f))
            problems.push(
                `${key}.lastFlip: expected {activeColor, blue: {modelVersion, image?}, green: {modelVersion, image?}}, received ${JSON.stringify(f)}`,
            );
        else {
            problems.push(
                ...Object.keys(f)
                    .filter((k) => !["activeColor", "blue", "green"].includes(k))
                    .map((k) => `${key}.lastFlip.${k}: unknown key; lastFlip has activeColor, blue and green`),
            );
            if (f.activeColor !== "blue" && f.activeColor !== "green")
                problems.push(
                    `${key}.lastFlip.activeColor: expected blue or green, received ${JSON.stringify(f.activeColor ?? null)}`,
                );
            problems.push(...colourProblems(`${key}.lastFlip`, f));
        }
    }
    return problems;
}

/** The problems of the `blue` and `green` releases of object `v` at `key`. */
function colourProblems(key: string, v: Record<string, unknown>): string[] {
    const problems: string[] = [];
    for (const color of ["blue", "green"] as const) {
        const c = v[color];
        if (typeof c !== "object" || c === null || Array.isArray(c)) {
            problems.push(`${key}.${color}: expected {modelVersion, image?}, received ${JSON.stringify(c ?? null)}`);
            continue;
        }
        const r = c as Record<string, unknown>;
        for (const k of Object.keys(r).filter((k) => !COLOR_KEYS.has(k)))
            problems.push(`${key}.${color}.${k}: unknown key; a colour's release has modelVersion and image`);
        if (typeof r.modelVersion !== "string" || !isModelVersion(r.modelVersion))
            problems.push(
                `${key}.${color}.modelVersion: ${MODEL_VERSION_HELP}, received ${JSON.stringify(r.modelVersion ?? null)}`,
            );
        if (r.image !== undefined && (typeof r.image !== "string" || !DIGEST_REFERENCE.test(r.image)))
            problems.push(
                `${key}.${color}.image: expected an image pinned by digest (repository@sha256:<64 hex>), received ${JSON.stringify(r.image)}`,
            );
    }
    return problems;
}

/**
 * A model's release from the stack's config (`<project>:<key>` as an object), checked before
 * anything is created: every problem, each with its path, in one error.
 */
export function readReleaseConfig(config: pulumi.Config, key: string): ReleaseConfig {
    const full = `${config.name}:${key}`;
    const value = config.requireObject<unknown>(key);
    const problems = releaseConfigProblems(full, value);
    if (problems.length > 0)
        throw new pulumi.RunError(
            `${CONFIG_ERROR_PREFIX}${pulumi.getStack()}: the release at ${full} is not usable:\n  ${problems.join("\n  ")}\nSet it with \`pulumi config set --path '${key}.blue.modelVersion' v1\` and the like.`,
        );
    return value as ReleaseConfig;
}

/** How promote smoke-tests a colour: one request, retried, against its URL. */
export interface SmokeTestSettings {
    /** @default "/v1/models" */
    path?: string;
    /** @default 200 */
    expectedStatus?: number;
    /** @default 500 */
    latencyBudgetMs?: number;
    /** @default 5 */
    attempts?: number;
    /** Headers every smoke request sends (a model's route on a shared load balancer). @default {} */
    headers?: Record<string, string>;
    /** Where the colours answer. @default - the service's entry point URLs (`urls`), if it has one */
    previewUrl?: pulumi.Input<string>;
    activeUrl?: pulumi.Input<string>;
}

/** What the promotion's load stage sends, and the SLO it judges against (the model's, at that load; tools/promote/load.ts). */
export interface LoadSettings {
    /** Concurrent streams once the ramp is over. */
    concurrency: number;
    /** Seconds the load holds, the ramp included; no request begins after. */
    durationSeconds: number;
    /** Seconds over which the workers start, one after another; 0: all at once. */
    rampSeconds: number;
    /** Each request's `max_tokens`. */
    maxTokens: number;
    /** Each request's `min_tokens` (vLLM's sampling parameter), so that every answer streams that many tokens; 0: not sent. */
    minTokens: number;
    /** The SLO: p95 time to first token (monitoring.slo.p95LatencyMs), ms. */
    p95TimeToFirstTokenMs: number;
    /** The SLO: p95 gap between streamed tokens (monitoring.slo.p95InterTokenLatencyMs), ms. */
    p95InterTokenLatencyMs: number;
    /** The SLO: highest share of failed requests (1 - monitoring.slo.minSuccessRate). */
    maxErrorRate: number;
    /** The SLO: fewest output tokens per second over all streams (monitoring.slo.minTokensPerSecond). */
    minTokensPerSecond: number;
}

/** The quality gate promote holds the preview colour to before the flip (an evaluation set). */
export interface EvaluationSettings {
    /** The evaluation set: a JSON Lines file, relative to the project folder. */
    set: string;
    /** @default 0.85 */
    minAccuracy?: number;
    /** @default REFERENCE_SLO.maxHallucinationRate */
    maxHallucinationRate?: number;
    /** @default REFERENCE_SLO.availability */
    minSuccessRate?: number;
    /** @default REFERENCE_SLO.p95LatencyMs */
    p95LatencyMs?: number;
    /** ttft: time to the first streamed token (vLLM's); total: the whole answer. @default "ttft" */
    latency?: "ttft" | "total";
    /** @default 4 */
    concurrency?: number;
    /** @default 120000 */
    timeoutMs?: number;
    /** @default 256 */
    maxTokens?: number;
    /**
     * A model that grades the items with `expect.judge` (an OpenAI-compatible endpoint): its base
     * URL, its model name, and the environment variable of promote's process holding its API key.
     * @default - none: a set with judged items is refused
     */
    judge?: { url: string; model: string; apiKeyEnv?: string };
    /**
     * The load stage after the set, before the flip: what it sends and the SLO it is judged by at
     * that load (tools/promote/load.ts).
     * @default - none: no load stage
     */
    load?: LoadSettings;
}

/** What `llm-platform promote` reads of one model (the output's JSON; unset values are null). */
export interface ReleaseContract {
    model: string;
    /** The full config key of the model's release object (`<namespace>:<key>`, a `--path` allowed). */
    configKey: string;
    platform: "eks" | "ecs";
    strategy: "blue-green" | "canary";
    activeColor: Color;
    scaleDownInactive: boolean;
    releases: Record<Color, { image: string | null; modelVersion: string }>;
    /** What each colour ran at the last flip (the release object's `lastFlip`); null: no record (absent from stacks updated before it existed). */
    lastFlip?: { activeColor: Color; releases: Record<Color, { image: string | null; modelVersion: string }> } | null;
    servedModelName: string | null;
    /** `s3://<bucket>/<prefix>` of the model's weights: a registered version is released only when its source is under it. */
    modelSource: string | null;
    smoke: {
        path: string;
        expectedStatus: number;
        latencyBudgetMs: number;
        attempts: number;
        previewUrl: string | null;
        activeUrl: string | null;
        headers: Record<string, string>;
    };
    gate:
        | (Required<Omit<EvaluationSettings, "judge" | "load">> & {
              judge: { url: string; model: string; apiKeyEnv: string | null } | null;
              /** The load stage; null: none (absent from stacks updated before it existed). */
              load?: LoadSettings | null;
          })
        | null;
}

/** The arguments of `releaseContract`. */
export interface ReleaseContractArgs {
    /** The model's name, as `llm-platform promote --model` names it. */
    model: string;
    /** The full config key of the model's release object, e.g. `my-project:chat` or `my-project:models[0]`. */
    configKey: string;
    service: BlueGreenEksService;
    /** @default - DEFAULT_SMOKE_TEST against the service's entry point URLs */
    smokeTest?: SmokeTestSettings;
    /** @default - no quality gate: the smoke test alone */
    evaluation?: EvaluationSettings;
    /** The release object's `lastFlip` (from {@link readReleaseConfig}). @default - none */
    lastFlip?: LastFlipConfig;
}

/** The contract of one model on EKS, to export in the stack output {@link RELEASES_OUTPUT}. */
export function releaseContract(args: ReleaseContractArgs): pulumi.Output<ReleaseContract> {
    const { service } = args;
    if (!/^[A-Za-z0-9_.-]+:[A-Za-z0-9_.[\]-]+$/.test(args.configKey))
        throw new pulumi.RunError(
            `releaseContract "${args.model}": configKey: expected a full config key such as my-project:chat, received ${JSON.stringify(args.configKey)}`,
        );
    const smoke = { ...DEFAULT_SMOKE_TEST, ...args.smokeTest };
    const e = args.evaluation;
    return pulumi
        .all([
            service.releases.blue.image,
            service.releases.green.image,
            smoke.previewUrl ?? service.urls?.preview,
            smoke.activeUrl ?? service.urls?.active,
            service.modelSource,
        ])
        .apply(([blueImage, greenImage, previewUrl, activeUrl, modelSource]) => ({
            model: args.model,
            configKey: args.configKey,
            platform: "eks" as const,
            strategy: service.strategy,
            activeColor: service.activeColor,
            scaleDownInactive: service.scaleDownInactive,
            releases: {
                blue: { image: blueImage ?? null, modelVersion: service.releases.blue.modelVersion },
                green: { image: greenImage ?? null, modelVersion: service.releases.green.modelVersion },
            },
            lastFlip: args.lastFlip
                ? {
                      activeColor: args.lastFlip.activeColor,
                      releases: {
                          blue: {
                              image: args.lastFlip.blue.image ?? null,
                              modelVersion: args.lastFlip.blue.modelVersion,
                          },
                          green: {
                              image: args.lastFlip.green.image ?? null,
                              modelVersion: args.lastFlip.green.modelVersion,
                          },
                      },
                  }
                : null,
            servedModelName: service.servedModelName ?? null,
            modelSource: modelSource ?? null,
            smoke: {
                path: smoke.path,
                expectedStatus: smoke.expectedStatus,
                latencyBudgetMs: smoke.latencyBudgetMs,
                attempts: smoke.attempts,
                previewUrl: previewUrl ?? null,
                activeUrl: activeUrl ?? null,
                headers: smoke.headers ?? {},
            },
            gate: e
                ? {
                      set: e.set,
                      minAccuracy: e.minAccuracy ?? DEFAULT_EVALUATION.minAccuracy,
                      maxHallucinationRate: e.maxHallucinationRate ?? REFERENCE_SLO.maxHallucinationRate,
                      minSuccessRate: e.minSuccessRate ?? REFERENCE_SLO.availability,
                      p95LatencyMs: e.p95LatencyMs ?? REFERENCE_SLO.p95LatencyMs,
                      latency: e.latency ?? "ttft",
                      concurrency: e.concurrency ?? DEFAULT_EVALUATION.concurrency,
                      timeoutMs: e.timeoutMs ?? DEFAULT_EVALUATION.timeoutSeconds * 1000,
                      maxTokens: e.maxTokens ?? DEFAULT_EVALUATION.maxTokens,
                      judge: e.judge
                          ? { url: e.judge.url, model: e.judge.model, apiKeyEnv: e.judge.apiKeyEnv ?? null }
                          : null,
                      load: e.load ? { ...e.load } : null,
                  }
                : null,
        }));
}
