/**
 * Promotion and rollback of the blue-green EKS service, as a small state machine over two
 * interfaces: the stack (read the serving state, change settings, deploy) and the prober (one
 * HTTP request). The CLI runs it against a real stack through the Pulumi Automation API; the
 * tests run it against a fake stack on every path.
 *
 *   promote: deploy to inactive → smoke preview → quality gate → flip → verify active → done
 *                                     │ fail             │ fail          │ fail
 *                                     ▼                  ▼               ▼
 *                          restore inactive, stop (production untouched)  flip back → verify → rolled back
 *                                                                 │ fail
 *                                                                 ▼
 *                                                          rollback failed
 *   rollback: flip to the other (warm) colour → verify active (→ flip back if that fails)
 *   where the inactive colour is scaled to zero (scaleDownInactive), both first scale it up (the
 *   promotion with its new release) and smoke-test it as the preview, and scale the old colour
 *   down in an update of its own once the flip holds
 *   after each flip: wait FLIP_SETTLE_SECONDS for the load balancer to move its weights, then verify
 *   after a flip that holds: a release naming a registered model is recorded in the registry
 */

import { registeredSourceProblem, registryReference } from "../../catalog/formats";
import { ENTRY_IDLE_TIMEOUT_SECONDS } from "../../components/k8s/entryPoint";
import { modelPathOf } from "../../components/k8s/inferenceWorkload";
import { copyVersion, CopyError, type WeightsStore } from "./copy";
import { RegistryError, SERVING_ALIAS, type ModelRegistryClient, type RegisteredVersion } from "./registry";
import {
    EvaluationSetError,
    renderGateText,
    judgeProblem,
    runQualityGate,
    type ChatClient,
    type EvalItem,
    type GateReport,
    type GateSettings,
} from "./evaluation";

export type Color = "blue" | "green";
const sleep = (seconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

export const otherColor = (c: Color): Color => (c === "blue" ? "green" : "blue");

export interface Release {
    image: string | undefined;
    modelVersion: string;
}

export interface SmokeSettings {
    path: string;
    expectedStatus: number;
    latencyBudgetMs: number;
    attempts: number;
    previewUrl: string | undefined;
    activeUrl: string | undefined;
    /** Headers every smoke request sends (the model's route on a shared load balancer). */
    headers?: Record<string, string>;
}

/** What the promotion needs to know about the stack: one model's serving state. */
export interface ServingState {
    /** The model promoted, as the stack's release contract names it. */
    model: string;
    activeColor: Color;
    strategy: "blue-green" | "canary";
    platform: "eks" | "ecs" | "both";
    scaleDownInactive: boolean;
    releases: Record<Color, Release>;
    smoke: SmokeSettings;
    /** The name clients send as `model` (vLLM's --served-model-name); unset: vLLM's default, the weights' path. */
    servedModelName?: string;
    /** The quality gate on the preview colour; unset: the smoke test alone. */
    gate?: GateSettings;
    /** `s3://<bucket>/<prefix>` of the model's weights: where a registered version's source must be. */
    modelSource?: string;
}

/** What the quality gate needs: the evaluation set, a client of the API, and where its report goes. */
export interface QualityGate {
    /** Reads the set (`GateSettings.set`); throws EvaluationSetError when it is unusable. */
    load(set: string): EvalItem[];
    client: ChatClient;
    /** Receives the report (written as JSON and Markdown by the CLI), passed or not. */
    report?(report: GateReport): Promise<void>;
}

/** A stack the promotion can drive. */
export interface PromotionStack {
    readonly name: string;
    readState(): Promise<ServingState>;
    /**
     * Sets one of the model's release keys (e.g. `activeColor`, `green.image`, `scaleDownInactive`)
     * under the config key its release contract names. A boolean is stored as one.
     */
    setServing(path: string, value: string | boolean): Promise<void>;
    /**
     * Checks the settings the promotion's {@link setServing} calls would produce, writing nothing;
     * rejects with a PromotionError naming each problem. Called once, before the first change.
     * Unset: the stack's own `pulumi up` is the first check.
     */
    check?(changes: ReadonlyArray<{ path: string; value: string | boolean }>): Promise<void>;
    /** `pulumi up`; rejects on failure. */
    up(reason: string): Promise<void>;
    /** Takes the model's promotion lock; rejects with PromotionError when another promotion of it holds it. */
    lock(): Promise<() => Promise<void>>;
}

export interface ProbeResult {
    status: number;
    latencyMs: number;
}

export interface Prober {
    /** One GET with `headers`; rejects when the request fails (connection refused, timeout). */
    get(url: string, headers?: Record<string, string>): Promise<ProbeResult>;
    /** Waits `seconds` (the settling after a flip). @default - a timer */
    wait?(seconds: number): Promise<void>;
}

/**
 * Seconds between a flip's `pulumi up` and the check of the active endpoint, and before the old
 * colour may be scaled down: Pulumi's update of the Ingress returns at once, and the load balancer
 * controller then reconciles the ingress group and moves the listener's weights. Until then the
 * old colour still takes production's requests, so it must still be there (and the check would
 * test it, not the new one). Not measured on a real account: no AWS here.
 */
export const FLIP_SETTLE_SECONDS = 30;

/**
 * Seconds the old colour keeps running after a flip before a promotion scales it to zero
 * (`scaleDownInactive`): at weight 0 it takes no new request, and the streams it serves finish
 * (the load balancer's idle timeout; a scaled-down pod then has only its drain and grace period).
 */
export const OLD_COLOUR_DRAIN_SECONDS = ENTRY_IDLE_TIMEOUT_SECONDS;

export interface PromoteOptions {
    /** Colour to promote; by default the inactive one. */
    to?: Color;
    /** New image (by digest) for the colour being promoted. */
    image?: string;
    modelVersion?: string;
    /**
     * Another stage's registry the registered `modelVersion` is copied from (tools/promote/copy.ts):
     * its weights copied into this model's prefix and checked object by object, then registered here.
     */
    copyFrom?: { registry: ModelRegistryClient; url: string; store: WeightsStore };
    /** Flip back to the other colour instead. */
    rollback?: boolean;
}

/**
 * promoted: the new colour serves. rolled-back: an explicit --rollback succeeded. smoke-failed:
 * the preview failed, production untouched. gate-failed: the preview answered the evaluation set
 * below the standards, production untouched. reverted: the check after the flip failed and the
 * old colour serves again. rollback-failed: the way back failed too; act by hand.
 */
export type Outcome = "promoted" | "rolled-back" | "smoke-failed" | "gate-failed" | "reverted" | "rollback-failed";

export interface PromotionResult {
    outcome: Outcome;
    activeColor: Color;
    /** A new release that now serves (promoted with an image or model version, the version by number). */
    release?: { colour: Color; image?: string; modelVersion?: string };
    /** What happened, in order, one line each. */
    log: string[];
}

/** Bad input or a state that forbids the promotion; nothing was changed. */
export class PromotionError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PromotionError";
    }
}

/** Checks `url + path` up to `attempts` times; the reason of the last failure, or undefined on success. */
export async function smokeTest(prober: Prober, baseUrl: string, smoke: SmokeSettings): Promise<string | undefined> {
    const url = `${baseUrl.replace(/\/$/, "")}${smoke.path}`;
    let reason = "";
    for (let attempt = 1; attempt <= smoke.attempts; attempt++) {
        try {
            const r = await prober.get(url, smoke.headers);
            if (r.status !== smoke.expectedStatus)
                reason = `${url} answered ${r.status}, expected ${smoke.expectedStatus}`;
            else if (r.latencyMs > smoke.latencyBudgetMs)
                reason = `${url} took ${Math.round(r.latencyMs)} ms, over the budget of ${smoke.latencyBudgetMs} ms`;
            else return undefined;
        } catch (e) {
            reason = `${url} failed: ${(e as Error).message}`;
        }
    }
    return `${reason} (${smoke.attempts} attempt${smoke.attempts === 1 ? "" : "s"})`;
}

function requireUrl(url: string | undefined, key: "previewUrl" | "activeUrl"): string {
    if (!url) {
        throw new PromotionError(
            `no ${key === "previewUrl" ? "preview" : "active"} URL: the model's release contract (the stack output llmPlatformReleases) has no smoke.${key}: give the service an entry point, or releaseContract a smokeTest.${key} reachable from here (the reference stacks: llm-platform:serving.smokeTest.${key}), then pulumi up`,
        );
    }
    return url;
}

/**
 * What a `--model-version` naming a registered model releases: the version number an alias names
 * now (a release never records an alias, which the next retraining moves), once its source is
 * checked to be a folder of the model's prefix, which the pods read from S3 directly. Undefined
 * for a version in the bucket.
 */
async function resolveRegistered(
    modelVersion: string,
    state: ServingState,
    registry: ModelRegistryClient | undefined,
    copyFrom?: PromoteOptions["copyFrom"],
): Promise<{ pinned: string; note: string } | undefined> {
    const ref = registryReference(modelVersion);
    if (!ref) {
        if (copyFrom)
            throw new PromotionError(
                `--copy-from copies a registered version: --model-version must name one (models:/<name>/<version> or models:/<name>@<alias>), received ${modelVersion}`,
            );
        return undefined;
    }
    if (!registry)
        throw new PromotionError(
            `--model-version ${modelVersion}: a registered version is resolved and checked in the model registry before it is released, and there is none: pass --registry-url, or have the stack export modelRegistryUrl`,
        );
    if (state.modelSource === undefined)
        throw new PromotionError(
            `--model-version ${modelVersion}: the release contract of model ${state.model} does not say where its weights are (modelSource): run pulumi up with this version of llm-platform first`,
        );
    if (copyFrom) {
        try {
            return await copyVersion({
                ref,
                source: copyFrom,
                target: registry,
                store: copyFrom.store,
                modelSource: state.modelSource,
            });
        } catch (e) {
            if (e instanceof CopyError || e instanceof RegistryError)
                throw new PromotionError(`--model-version ${modelVersion} --copy-from ${copyFrom.url}: ${e.message}`);
            throw e;
        }
    }
    let found: RegisteredVersion;
    try {
        found = await registry.resolve(ref);
    } catch (e) {
        throw new PromotionError(`--model-version ${modelVersion}: ${(e as Error).message}`);
    }
    const problem = registeredSourceProblem(found.source, state.modelSource);
    if (problem !== undefined)
        throw new PromotionError(
            `--model-version ${modelVersion}: version ${found.version} cannot be released: ${problem}`,
        );
    const pinned = `models:/${ref.name}/${found.version}`;
    return {
        pinned,
        note: `resolved ${modelVersion} to ${pinned} (source ${found.source})${ref.alias !== undefined ? `; the release records the version, not the alias ${ref.alias}` : ""}`,
    };
}

/** Runs a promotion (or rollback) to completion; throws PromotionError before changing anything when it cannot start. */
export async function promote(
    stack: PromotionStack,
    prober: Prober,
    options: PromoteOptions,
    quality?: QualityGate,
    /** Where a release that names a registered model is recorded; unset: not recorded (said in the log). */
    registry?: ModelRegistryClient,
): Promise<PromotionResult> {
    const state = await stack.readState();
    if (state.platform === "ecs") {
        throw new PromotionError(
            `model ${state.model} of stack ${stack.name} is served by ECS, whose blue/green deployments are ECS's own: release it with pulumi up`,
        );
    }
    if (state.strategy === "canary") {
        throw new PromotionError(
            `model ${state.model} of stack ${stack.name} releases by canary (strategy canary); Flagger promotes it, not this command`,
        );
    }
    if (options.rollback && (options.to || options.image || options.modelVersion)) {
        throw new PromotionError(
            "--rollback flips back to the other colour; it takes no --to, --image or --model-version",
        );
    }
    const from = state.activeColor;
    const to = options.rollback ? otherColor(from) : (options.to ?? otherColor(from));
    if (to === from) throw new PromotionError(`${to} is already the active colour of stack ${stack.name}`);
    // Every value this promotion may write, checked together before the first is (before a
    // registered version is copied from another stage, too: a refusal leaves no copy behind). An alias
    // is checked as given; the version it resolves to differs only in its number.
    await stack.check?.(
        options.rollback
            ? [
                  ...(state.scaleDownInactive ? [{ path: "scaleDownInactive", value: false }] : []),
                  { path: "activeColor", value: to },
              ]
            : [
                  ...(options.image ? [{ path: `${to}.image`, value: options.image }] : []),
                  ...(options.modelVersion ? [{ path: `${to}.modelVersion`, value: options.modelVersion }] : []),
                  ...(state.scaleDownInactive ? [{ path: "scaleDownInactive", value: false }] : []),
                  { path: "activeColor", value: to },
              ],
    );

    // A registered version is resolved and checked before anything changes, and released by number.
    const resolved = options.modelVersion
        ? await resolveRegistered(options.modelVersion, state, registry, options.copyFrom)
        : undefined;
    if (resolved) options = { ...options, modelVersion: resolved.pinned };
    // A colour scaled to zero is brought back up (with its new release, when promoting) and
    // smoke-tested before production flips to it, and the old one is scaled down once the flip holds.
    const warmUp = state.scaleDownInactive;
    const activeUrl = requireUrl(state.smoke.activeUrl, "activeUrl");
    const previewUrl = options.rollback && !warmUp ? "" : requireUrl(state.smoke.previewUrl, "previewUrl");
    // The evaluation set is read before anything changes: a bad one stops the promotion here.
    let items: EvalItem[] | undefined;
    if (!options.rollback && state.gate) {
        if (!quality) throw new PromotionError(`model ${state.model} has a quality gate but no client was given`);
        try {
            items = quality.load(state.gate.set);
            const problem = judgeProblem(items, state.gate);
            if (problem !== undefined) throw new PromotionError(problem);
        } catch (e) {
            if (e instanceof EvaluationSetError) throw new PromotionError(e.message);
            throw e;
        }
    }

    const unlock = await stack.lock();
    const log: string[] = [];
    const step = (line: string): void => {
        log.push(line);
    };
    if (resolved?.note) step(resolved.note);
    /** Waits `seconds` (the prober's clock when it has one) and says why. */
    const pause = async (seconds: number, why: string): Promise<void> => {
        await (prober.wait ? prober.wait(seconds) : sleep(seconds));
        step(`waited ${seconds} s ${why}`);
    };
    /** Lets the load balancer take the new weights before the active endpoint is checked or the old colour goes. */
    const settle = (): Promise<void> =>
        pause(FLIP_SETTLE_SECONDS, "for the load balancer to move production's weights");
    /** Turns scaleDownInactive back on after a rollback warmed `colour`; a failure here leaves the release standing. */
    const scaleDownAgain = async (colour: Color): Promise<void> => {
        try {
            await stack.setServing("scaleDownInactive", true);
            await stack.up(`scale ${colour} down again`);
            step(`scaled ${colour} down again (scaleDownInactive on)`);
        } catch (e) {
            step(
                `could not scale ${colour} down again: ${(e as Error).message}; run \`pulumi up\` once the stack is free`,
            );
        }
    };
    /** Records the release `colour` now serves in the model registry, when it names a registered model. */
    const recordRelease = async (colour: Color): Promise<void> => {
        const version =
            colour === to && options.modelVersion ? options.modelVersion : state.releases[colour].modelVersion;
        const ref = registryReference(version);
        if (!ref) return;
        if (!registry) {
            step(
                `${version} is not recorded in the model registry: no registry URL (the stack output modelRegistryUrl, or --registry-url)`,
            );
            return;
        }
        try {
            // Releases name versions by number (an alias was resolved before the deploy).
            const number = ref.version ?? (await registry.resolve(ref)).version;
            await registry.recordDeployment(ref.name, number, {
                stack: stack.name,
                model: state.model,
                colour,
                at: new Date().toISOString(),
            });
            step(`recorded in the model registry: ${ref.name} version ${number} is now aliased ${SERVING_ALIAS}`);
        } catch (e) {
            step(
                `could not record ${version} in the model registry: ${(e as Error).message}; the release itself stands`,
            );
        }
    };
    try {
        const before = state.releases[to];
        if (!options.rollback) {
            if (options.image) await stack.setServing(`${to}.image`, options.image);
            if (options.modelVersion) await stack.setServing(`${to}.modelVersion`, options.modelVersion);
            if (warmUp) await stack.setServing("scaleDownInactive", false);
            // The preview colour runs with its new release while production stays on `from`.
            await stack.up(`deploy ${to} as the preview colour`);
            step(
                `deployed ${to} (image ${options.image ?? before.image ?? "built by the stack"}, model ${options.modelVersion ?? before.modelVersion})${warmUp ? ", scaled up from zero (scaleDownInactive off while promoting)" : ""}`,
            );
            const restore = async (outcome: "smoke-failed" | "gate-failed"): Promise<PromotionResult> => {
                if (options.image) await stack.setServing(`${to}.image`, before.image ?? "");
                if (options.modelVersion) await stack.setServing(`${to}.modelVersion`, before.modelVersion);
                if (warmUp) await stack.setServing("scaleDownInactive", true);
                const changed = options.image !== undefined || options.modelVersion !== undefined;
                if (changed || warmUp) {
                    await stack.up(changed ? `restore ${to} to its previous release` : `scale ${to} down again`);
                    step(
                        `${changed ? `restored ${to} to its previous release` : `scaled ${to} down again`}${changed && warmUp ? " and scaled it down again" : ""}; ${from} kept serving throughout`,
                    );
                }
                return { outcome, activeColor: from, log };
            };
            const smokeFailure = await smokeTest(prober, previewUrl, state.smoke);
            if (smokeFailure) {
                step(`smoke test of the preview failed: ${smokeFailure}`);
                return await restore("smoke-failed");
            }
            step(`smoke test of the preview passed (${state.smoke.path} → ${state.smoke.expectedStatus})`);
            if (items && state.gate && quality) {
                const report = await runQualityGate(quality.client, previewUrl, items, state.gate, {
                    model: state.model,
                    colour: to,
                    servedModelName: state.servedModelName ?? modelPathOf(options.modelVersion ?? before.modelVersion),
                    headers: state.smoke.headers ?? {},
                });
                await quality.report?.(report);
                for (const line of renderGateText(report)) step(line);
                if (!report.passed) return await restore("gate-failed");
            } else step(`no quality gate: model ${state.model} has no evaluation set (evaluation.set)`);
        }
        if (warmUp && options.rollback) {
            await stack.setServing("scaleDownInactive", false);
            await stack.up(`scale ${to} up again for the rollback`);
            step(`scaled ${to} up again (scaleDownInactive off while rolling back); ${from} kept serving`);
            const failure = await smokeTest(prober, previewUrl, state.smoke);
            if (failure) {
                step(`smoke test of ${to} failed: ${failure}`);
                await scaleDownAgain(to);
                return { outcome: "smoke-failed", activeColor: from, log };
            }
            step(`smoke test of ${to} passed (${state.smoke.path} → ${state.smoke.expectedStatus})`);
        }

        await stack.setServing("activeColor", to);
        await stack.up(`make ${to} the active colour`);
        step(`flipped the active Service from ${from} to ${to}`);
        await settle();
        const verifyFailure = await smokeTest(prober, activeUrl, state.smoke);
        if (!verifyFailure) {
            step(`verified the active endpoint`);
            if (warmUp) {
                await pause(OLD_COLOUR_DRAIN_SECONDS, `for ${from}'s open streams to finish`);
                await scaleDownAgain(from);
            }
            await recordRelease(to);
            const released = !options.rollback && (options.image !== undefined || options.modelVersion !== undefined);
            return {
                outcome: options.rollback ? "rolled-back" : "promoted",
                activeColor: to,
                log,
                ...(released
                    ? {
                          release: {
                              colour: to,
                              ...(options.image ? { image: options.image } : {}),
                              ...(options.modelVersion ? { modelVersion: options.modelVersion } : {}),
                          },
                      }
                    : {}),
            };
        }

        step(`check after the flip failed: ${verifyFailure}; rolling back to ${from}`);
        try {
            await stack.setServing("activeColor", from);
            await stack.up(`roll back to ${from}`);
        } catch (e) {
            step(`rollback failed: ${(e as Error).message}`);
            return { outcome: "rollback-failed", activeColor: to, log };
        }
        await settle();
        const afterRollback = await smokeTest(prober, activeUrl, state.smoke);
        if (afterRollback) {
            step(`the active endpoint still fails after the rollback: ${afterRollback}`);
            return { outcome: "rollback-failed", activeColor: from, log };
        }
        step(`rolled back: ${from} serves again and passes the check`);
        // The release that failed leaves the stack too, as after a failed smoke test: the colour
        // runs its previous release again, and a deploy of the same commit tries it again.
        const changed = !options.rollback && (options.image !== undefined || options.modelVersion !== undefined);
        if (changed) {
            try {
                if (options.image) await stack.setServing(`${to}.image`, state.releases[to].image ?? "");
                if (options.modelVersion) await stack.setServing(`${to}.modelVersion`, state.releases[to].modelVersion);
                await stack.up(`restore ${to} to its previous release`);
                step(`restored ${to} to its previous release`);
            } catch (e) {
                step(`could not restore ${to} to its previous release: ${(e as Error).message}`);
            }
        }
        if (warmUp) await scaleDownAgain(to);
        return { outcome: "reverted", activeColor: from, log };
    } finally {
        await unlock();
    }
}
