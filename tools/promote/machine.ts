/**
 * Promotion and rollback of the blue-green EKS service as a transaction, over two interfaces: the
 * stack (read the serving state, deploy a whole release state of the model, keep a journal) and
 * the prober (one HTTP request). The CLI runs it against a real stack through the Pulumi
 * Automation API; the tests run it against a fake stack on every path, and against a fake Pulumi
 * CLI that fails, hangs and is killed at every step (tests/releaseFaults.test.ts).
 *
 * Every update deploys a whole release state of the model (which colour serves, whether the
 * inactive one is scaled to zero, and each colour's image and model version), never one key on
 * top of whatever the stack file holds: the states are
 *   before   what served when the release began (it passed its gate)
 *   preview  before, with the new release on the inactive colour (scaled up when it was at zero)
 *   flipped  preview, serving the new colour
 *   final    flipped, the old colour scaled to zero again (scaleDownInactive)
 *
 *   promote: deploy preview → smoke → quality gate → load stage → deploy flipped → settle → verify → deploy final → done
 *                               │ fail     │ fail          │ fail                               │ fail
 *                               ▼          ▼               ▼                                    ▼
 *                          deploy before (production untouched)                 deploy before → settle → verify → reverted
 *                                                                                         │ fail
 *                                                                                         ▼
 *                                                                                  rollback failed
 *   rollback: the same, to the other colour with the last release that passed its gate there
 *   any other error, or SIGINT/SIGTERM: deploy before (→ settle → verify once the flip began), and
 *   stop with outcome failed and the state reported; a second signal stops at once.
 *
 * The journal (the stack's {@link JournalStore}) holds the release under way: its before and
 * target states and each step begun and done, written before each step. The next run reads it
 * first, under the lock: a release that was verified is finished (rolled forward), any other is
 * undone (before is deployed again and checked), so a kill at any point is recovered from a state
 * that passed its gate, never guessed from the stack file. It also keeps the last state that
 * passed (`good`): what `--rollback` returns to.
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
import { HttpLoadClient, renderLoadText, runLoadStage, type LoadClient, type LoadReport } from "./load";

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
    /** What each colour ran at the model's last flip (the release object's `lastFlip`); unset: no record. */
    lastFlip?: FlipRecord;
}

/**
 * What each colour of a model ran at its last flip: the release that passed its gate and serves,
 * and the one that served before it. Every update a release makes carries it in the model's
 * release object (`lastFlip`), so it lives in the stack itself and any runner reads it.
 */
export interface FlipRecord {
    activeColor: Color;
    releases: Record<Color, Release>;
}

/** What the quality gate needs: the evaluation set, a client of the API, and where its report goes. */
export interface QualityGate {
    /** Reads the set (`GateSettings.set`); throws EvaluationSetError when it is unusable. */
    load(set: string): EvalItem[];
    client: ChatClient;
    /** Receives the report (written as JSON and Markdown by the CLI), passed or not. */
    report?(report: GateReport): Promise<void>;
    /** Streams the load stage's requests. @default - an {@link HttpLoadClient} */
    loadClient?: LoadClient;
    /** Receives the load stage's report (written as JSON and Markdown by the CLI), passed or not. */
    loadReport?(report: LoadReport): Promise<void>;
}

/** What one model's release is in the stack: which colour serves, scaled-down inactive colour, each colour's release. */
export interface ReleaseState {
    activeColor: Color;
    scaleDownInactive: boolean;
    releases: Record<Color, Release>;
    /** The record of the last flip this state carries (written with it). */
    lastFlip?: FlipRecord;
}

const releasesOf = (r: Record<Color, Release>): Record<Color, Release> => ({
    blue: { image: r.blue.image, modelVersion: r.blue.modelVersion },
    green: { image: r.green.image, modelVersion: r.green.modelVersion },
});

/** The record of a flip to `s`: what each colour runs in it. */
export const flipRecordOf = (s: { activeColor: Color; releases: Record<Color, Release> }): FlipRecord => ({
    activeColor: s.activeColor,
    releases: releasesOf(s.releases),
});

/** The release state of a serving state (a copy). */
export const releaseStateOf = (s: ReleaseState): ReleaseState => ({
    activeColor: s.activeColor,
    scaleDownInactive: s.scaleDownInactive,
    releases: releasesOf(s.releases),
    ...(s.lastFlip ? { lastFlip: flipRecordOf(s.lastFlip) } : {}),
});

/** Whether two records of the last flip are the same (both absent included). */
export const sameFlip = (a: FlipRecord | undefined, b: FlipRecord | undefined): boolean =>
    a === undefined || b === undefined
        ? a === b
        : a.activeColor === b.activeColor &&
          sameRelease(a.releases.blue, b.releases.blue) &&
          sameRelease(a.releases.green, b.releases.green);

/** Whether two releases of a colour are the same (an unset image is the stack's own). */
export const sameRelease = (a: Release, b: Release): boolean =>
    a.modelVersion === b.modelVersion && (a.image ?? "") === (b.image ?? "");

/** One line of a record of the last flip: `green served model v2 (image …), blue model v1 (image …)`. */
export function describeFlip(f: FlipRecord): string {
    const r = (c: Color): string =>
        `model ${f.releases[c].modelVersion} (image ${f.releases[c].image ?? "built by the stack"})`;
    return `${f.activeColor} served ${r(f.activeColor)}, ${otherColor(f.activeColor)} ${r(otherColor(f.activeColor))}`;
}

/** One line: `green serves (model v2, image …); blue runs v1 (scaled to zero)`. */
export function describeState(s: ReleaseState): string {
    const r = (c: Color): string =>
        `model ${s.releases[c].modelVersion}, image ${s.releases[c].image ?? "built by the stack"}`;
    const inactive = otherColor(s.activeColor);
    return `${s.activeColor} serves (${r(s.activeColor)}); ${inactive} runs ${r(inactive)}${s.scaleDownInactive ? ", scaled to zero" : ""}`;
}

/** A release under way, as the journal keeps it. */
export interface JournalEntry {
    /** `<ISO time>/<pid>`: which run began it. */
    id: string;
    kind: "promote" | "rollback";
    /** What served when it began: where an interrupted release is undone to. */
    before: ReleaseState;
    /** Where it leads. */
    target: ReleaseState;
    /** Each step as begun (`flip…`) and done (`flipped`), in order. */
    steps: string[];
}

/** A model's release journal: the release under way, and the last state that passed its gate. */
export interface Journal {
    current?: JournalEntry;
    good?: { state: ReleaseState; at: string; id: string };
}

/** Where the journal lives (the CLI: a file beside the model's promotion lock). */
export interface JournalStore {
    read(): Promise<Journal>;
    /** Replaces it whole (atomically: the file is renamed into place). */
    write(journal: Journal): Promise<void>;
}

/** A lock held: released once, on every way out. */
export interface Held {
    release(): Promise<void>;
    /** Set when the lock was taken over from a holder that died: who, and why. */
    tookOver?: string;
}

/** A stack the promotion can drive. */
export interface PromotionStack {
    readonly name: string;
    /** The stack as the run was given it (`acme/prod` on Pulumi Cloud): what the recovery command names. @default name */
    readonly given?: string;
    readState(): Promise<ServingState>;
    /**
     * Checks that every release state the promotion may deploy is one the stack's program accepts,
     * writing nothing; rejects with a PromotionError naming each problem. Called once, before the
     * first change. Unset: the stack's own `pulumi up` is the first check.
     */
    check?(states: ReadonlyArray<ReleaseState>): Promise<void>;
    /**
     * Writes the model's whole release state (every key of its release object; a colour without
     * an image has the key removed, never set to "") and runs `pulumi up`; rejects on failure.
     */
    deploy(state: ReleaseState, reason: string, signal?: AbortSignal): Promise<void>;
    /** Takes the model's promotion lock; rejects with PromotionError while another live promotion of it holds it. */
    lock(): Promise<Held>;
    /** The model's release journal. */
    readonly journal: JournalStore;
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
    /** Only finish or undo the release an earlier run left unfinished (the journal's), then stop. */
    recover?: boolean;
    /**
     * How long the load balancer takes: `settleSeconds` after each flip (default
     * {@link FLIP_SETTLE_SECONDS}; also the longest wait between smoke attempts, at most
     * {@link SMOKE_RETRY_SECONDS}), `drainSeconds` before the old colour is scaled to zero (default
     * {@link OLD_COLOUR_DRAIN_SECONDS}).
     */
    timing?: { settleSeconds?: number; drainSeconds?: number };
    /**
     * `stop` (the first SIGINT or SIGTERM): end the step under way, undo the release, report. `now`
     * (the second): stop at once, leaving the journal for the next run to undo.
     */
    signals?: { stop: AbortSignal; now?: AbortSignal };
}

/** Thrown inside a release when a signal asks it to stop. */
export class Interrupted extends Error {
    constructor(readonly signalName: string) {
        super(`stopped by ${signalName}`);
        this.name = "Interrupted";
    }
}

/**
 * promoted: the new colour serves. rolled-back: a --rollback succeeded (or undid an interrupted
 * release, which is what it asked for). smoke-failed: the preview failed, production untouched.
 * gate-failed: the preview answered the evaluation set below the standards, production untouched.
 * load-failed: the preview missed the model's SLO under the load stage's load, production untouched.
 * reverted: the check after the flip failed and the old colour serves again. recovered: --recover
 * finished or undid an interrupted release (or found none) and the active endpoint passes. failed: an error or a
 * signal stopped the release (the report says what it restored). rollback-failed: the way back
 * failed too; act by hand.
 */
export type Outcome =
    | "promoted"
    | "rolled-back"
    | "smoke-failed"
    | "gate-failed"
    | "load-failed"
    | "reverted"
    | "recovered"
    | "failed"
    | "rollback-failed";

/** The exit code of each outcome: 0 done, 1 held or rolled back as planned, 3 failed (the report says the state). */
export const OUTCOME_EXIT: Record<Outcome, 0 | 1 | 3> = {
    promoted: 0,
    "rolled-back": 0,
    "smoke-failed": 1,
    "gate-failed": 1,
    "load-failed": 1,
    reverted: 1,
    recovered: 0,
    failed: 3,
    "rollback-failed": 3,
};

export interface PromotionResult {
    outcome: Outcome;
    /** The colour serving as far as the run knows (see {@link serving}). */
    activeColor: Color;
    /** The model's release state at the end, when the last update succeeded; undefined when it is unknown (the last update failed). */
    serving?: ReleaseState;
    /** The command that recovers, when the run left the release unfinished (its journal says what to undo). */
    recover?: string;
    /** A new release that now serves (promoted with an image or model version, the version by number). */
    release?: { colour: Color; image?: string; modelVersion?: string };
    /** What happened, in order, one line each. */
    log: string[];
    /** When each line of `log` was said (ISO times, one per line). */
    times?: string[];
    /** The colour the run released to, and what it was asked to run there (a version as given, before any alias is resolved). */
    target?: { colour: Color; image?: string; modelVersion: string };
}

/** Bad input or a state that forbids the promotion; nothing was changed. */
export class PromotionError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PromotionError";
    }
}

/**
 * An update that never began: the stack stayed held (another update, another job's lock) for as
 * long as the run waits. Nothing of it was applied.
 */
export class StackBusyError extends PromotionError {
    constructor(message: string) {
        super(message);
        this.name = "StackBusyError";
    }
}

/**
 * Seconds between two failed attempts of a smoke test: the load balancer controller's default
 * health check interval (`alb.ingress.kubernetes.io/healthcheck-interval-seconds`, 15). A colour
 * just scaled up from zero is Ready before its target passes its first health check (readiness
 * gates are off for scale-to-zero models), and until it does the load balancer answers 503.
 */
export const SMOKE_RETRY_SECONDS = 15;

/** Checks `url + path` up to `attempts` times, {@link SMOKE_RETRY_SECONDS} apart; the reason of the last failure, or undefined on success. */
export async function smokeTest(
    prober: Prober,
    baseUrl: string,
    smoke: SmokeSettings,
    retrySeconds = SMOKE_RETRY_SECONDS,
): Promise<string | undefined> {
    const url = `${baseUrl.replace(/\/$/, "")}${smoke.path}`;
    let reason = "";
    for (let attempt = 1; attempt <= smoke.attempts; attempt++) {
        if (attempt > 1 && retrySeconds > 0) await (prober.wait ? prober.wait(retrySeconds) : sleep(retrySeconds));
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

/** The command that undoes (or finishes) an interrupted release: every run reads the journal first. */
export const recoverCommand = (stackName: string, model: string): string =>
    `llm-platform promote --stack ${stackName} --model ${model} --recover`;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * `work`, or a rejection with `stopped()` as soon as `signal` aborts (at once when it has already):
 * a wait a signal may end. Without a signal, `work` itself.
 */
export function abortable<T>(
    work: () => Promise<T>,
    signal: AbortSignal | undefined,
    stopped: () => Error,
): Promise<T> {
    if (!signal) return work();
    if (signal.aborted) return Promise.reject(stopped());
    return new Promise<T>((resolve, reject) => {
        const stop = (): void => reject(stopped());
        signal.addEventListener("abort", stop, { once: true });
        work().then(
            (value) => {
                signal.removeEventListener("abort", stop);
                resolve(value);
            },
            (e: unknown) => {
                signal.removeEventListener("abort", stop);
                reject(e instanceof Error ? e : new Error(String(e)));
            },
        );
    });
}

/** Waits `seconds`, or until `signal` aborts (then rejects with Interrupted). */
function waitFor(prober: Prober, seconds: number, signal: AbortSignal | undefined): Promise<void> {
    return abortable(
        () => (prober.wait ? prober.wait(seconds) : sleep(seconds)),
        signal,
        () => new Interrupted(String(signal?.reason ?? "a signal")),
    );
}

const sameState = (a: ReleaseState, b: ReleaseState): boolean =>
    JSON.stringify(releaseStateOf(a)) === JSON.stringify(releaseStateOf(b));

/**
 * Whether the stack running `now` may have been left so by the release `entry` (killed at some
 * step), by its steps: before its flip began the stack serves as *before* did, with *before*'s
 * record of the last flip; once the flip was verified, as the target does, with its record;
 * between, either (the flip may or may not have applied, or have been reverted). Each colour runs
 * *before*'s release or the target's (the states in between mix the two).
 */
export function leftBy(entry: JournalEntry, now: ReleaseState): boolean {
    const flipBegun = entry.steps.includes("flip");
    const made = !flipBegun
        ? [entry.before]
        : entry.steps.includes("verified")
          ? [entry.target]
          : [entry.before, entry.target];
    // A program whose contract carries no record (releaseContract not given lastFlip) says nothing
    // of flips: its colours alone tell.
    const flips = now.lastFlip !== undefined;
    return (
        made.some((s) => s.activeColor === now.activeColor && (!flips || sameFlip(s.lastFlip, now.lastFlip))) &&
        (["blue", "green"] as const).every((c) =>
            [entry.before, entry.target].some((s) => sameRelease(s.releases[c], now.releases[c])),
        )
    );
}

/**
 * Runs a promotion (or rollback) to completion under the model's lock: first finishes or undoes a
 * release an earlier run left in the journal, then releases. Throws PromotionError, having changed
 * nothing (beyond that recovery, which its message reports), when the release cannot start.
 */
export async function promote(
    stack: PromotionStack,
    prober: Prober,
    options: PromoteOptions,
    quality?: QualityGate,
    /** Where a release that names a registered model is recorded; unset: not recorded (said in the log). */
    registry?: ModelRegistryClient,
): Promise<PromotionResult> {
    // Which model, and so which lock; its state is read again under the lock.
    const first = await stack.readState();
    const held = await stack.lock();
    const log: string[] = [];
    const times: string[] = [];
    const step = (line: string): void => {
        log.push(line);
        times.push(new Date().toISOString());
    };
    const colour = options.to ?? otherColor(first.activeColor);
    const image = options.rollback ? undefined : (options.image ?? first.releases[colour].image);
    const target = {
        colour,
        ...(image !== undefined ? { image } : {}),
        modelVersion: options.rollback
            ? first.releases[colour].modelVersion
            : (options.modelVersion ?? first.releases[colour].modelVersion),
    };
    if (held.tookOver) step(`took over the promotion lock from ${held.tookOver}`);
    try {
        const result = await release(stack, prober, options, quality, registry, step, log);
        return { ...result, times: times.slice(0, result.log.length), target };
    } catch (e) {
        // A refusal before any change, after a lock takeover: its line first.
        if (e instanceof PromotionError && log.length > 0)
            throw new PromotionError(`${log.map((l) => `- ${l}`).join("\n")}\n${e.message}`);
        throw e;
    } finally {
        await held.release();
    }
}

/** The waits and checks of a release, with its timing and signals. */
function releaseHelpers(prober: Prober, options: PromoteOptions, step: (line: string) => void) {
    const signals = options.signals;
    const now = signals?.now;
    const settleSeconds = options.timing?.settleSeconds ?? FLIP_SETTLE_SECONDS;
    const drainSeconds = options.timing?.drainSeconds ?? OLD_COLOUR_DRAIN_SECONDS;
    const retrySeconds = Math.min(SMOKE_RETRY_SECONDS, settleSeconds);
    /** The smoke test of `url`, its failed attempts spaced by the settle time (at most {@link SMOKE_RETRY_SECONDS}). */
    const check = (url: string, smoke: SmokeSettings): Promise<string | undefined> =>
        smokeTest(prober, url, smoke, retrySeconds);
    /** Waits `seconds` and says why; a signal (`stop`, or `now` once stopping) ends the wait. */
    const pause = async (seconds: number, why: string, signal: AbortSignal | undefined): Promise<void> => {
        await waitFor(prober, seconds, signal);
        step(`waited ${seconds} s ${why}`);
    };
    /** Lets the load balancer take the new weights before the active endpoint is checked or the old colour goes. */
    const settle = (signal: AbortSignal | undefined): Promise<void> =>
        pause(settleSeconds, "for the load balancer to move production's weights", signal);
    return { signals, now, drainSeconds, check, pause, settle };
}

async function release(
    stack: PromotionStack,
    prober: Prober,
    options: PromoteOptions,
    quality: QualityGate | undefined,
    registry: ModelRegistryClient | undefined,
    step: (line: string) => void,
    log: string[],
): Promise<PromotionResult> {
    const { now, settle, check, pause, drainSeconds } = releaseHelpers(prober, options, step);

    let journal = await stack.journal.read();
    let state = await stack.readState();
    const model = state.model;

    // 1. A release an earlier run left unfinished (killed, or stopped before it could undo itself).
    let interrupted = journal.current;
    // Only while the stack still runs one of the states it deploys: a stack changed since (a
    // rollback from another runner, an update by hand) is never taken back to the journal's.
    if (interrupted && !leftBy(interrupted, releaseStateOf(state))) {
        step(
            `the ${interrupted.kind} begun ${interrupted.id} did not finish (last step: ${interrupted.steps.at(-1) ?? "none"}), but the stack has been changed since (it runs ${describeState(releaseStateOf(state))}, a state that ${interrupted.kind} never deployed): its journal entry is closed and nothing of it is redone`,
        );
        journal = journal.good ? { good: journal.good } : {};
        await stack.journal.write(journal);
        interrupted = undefined;
    }
    let recovered: ReleaseState | undefined;
    if (interrupted) {
        const forward = interrupted.steps.includes("verified");
        const goal = forward ? interrupted.target : interrupted.before;
        step(
            `the ${interrupted.kind} begun ${interrupted.id} did not finish (last step: ${interrupted.steps.at(-1) ?? "none"}); ${forward ? "it was verified: finishing it" : `undoing it: ${describeState(goal)}`}`,
        );
        const recover = recoverCommand(stack.given ?? stack.name, model);
        try {
            // Killed while the old colour drained: it drains again before it goes (the streams
            // it served then may still run).
            if (forward && goal.scaleDownInactive && !interrupted.steps.includes("scaled down"))
                await pause(drainSeconds, `for ${otherColor(goal.activeColor)}'s open streams to finish`, now);
            await stack.deploy(goal, `${forward ? "finish" : "undo"} the interrupted ${interrupted.kind}`, now);
        } catch (e) {
            step(`could not ${forward ? "finish" : "undo"} it: ${messageOf(e)}`);
            return { outcome: "failed", activeColor: interrupted.before.activeColor, log, recover };
        }
        try {
            if (state.smoke.activeUrl) {
                await settle(now);
                const failure = await check(state.smoke.activeUrl, state.smoke);
                if (failure) {
                    step(`the active endpoint fails after it: ${failure}`);
                    return { outcome: "rollback-failed", activeColor: goal.activeColor, serving: goal, log, recover };
                }
            } else step("not checked: the release contract has no active URL (smoke.activeUrl)");
            journal = { good: { state: goal, at: new Date().toISOString(), id: interrupted.id } };
            await stack.journal.write(journal);
            step(`${forward ? "finished" : "undone"}: ${describeState(goal)}`);
            if (forward)
                await recordRelease(
                    registry,
                    stack.name,
                    model,
                    goal.activeColor,
                    goal.releases[goal.activeColor],
                    step,
                );
            state = await stack.readState();
        } catch (e) {
            step(`${messageOf(e)}: the recovery was not checked`);
            return { outcome: "failed", activeColor: goal.activeColor, serving: goal, log, recover };
        }
        recovered = goal;
        // --recover asks for no more. A --rollback is done when the recovery undid a promotion
        // (what served before it is back) or finished a rollback; after an undone rollback (the
        // release it left serves again) or a finished promotion it goes on and rolls back.
        const rolledBack = (interrupted.kind === "promote" && !forward) || (interrupted.kind === "rollback" && forward);
        if (options.recover || (options.rollback && rolledBack))
            return {
                outcome: options.rollback ? "rolled-back" : "recovered",
                activeColor: goal.activeColor,
                serving: goal,
                log,
            };
    }
    if (options.recover) {
        // No journal here (another runner's, or none): check what the stack says serves.
        step(
            `no release of model ${model} was left unfinished in this journal; the stack's outputs say ${describeState(releaseStateOf(state))}`,
        );
        if (!state.smoke.activeUrl) {
            step("not checked: the release contract has no active URL (smoke.activeUrl)");
            return { outcome: "recovered", activeColor: state.activeColor, serving: releaseStateOf(state), log };
        }
        const failure = await check(state.smoke.activeUrl, state.smoke);
        if (failure) {
            step(`the active endpoint fails: ${failure}`);
            return { outcome: "failed", activeColor: state.activeColor, serving: releaseStateOf(state), log };
        }
        step("the active endpoint passes the check");
        return { outcome: "recovered", activeColor: state.activeColor, serving: releaseStateOf(state), log };
    }
    try {
        return await releaseNow(stack, state, journal, prober, options, quality, registry, step, log);
    } catch (e) {
        // After a recovery changed the stack, any refusal or error is a failure (3) with its lines.
        if (recovered) {
            step(`then ${e instanceof PromotionError ? "refused" : "failed"}: ${messageOf(e)}`);
            return { outcome: "failed", activeColor: recovered.activeColor, serving: recovered, log };
        }
        throw e;
    }
}

/** The release this run was asked for, after any recovery: checked, then carried out step by step. */
async function releaseNow(
    stack: PromotionStack,
    state: ServingState,
    journal: Journal,
    prober: Prober,
    options: PromoteOptions,
    quality: QualityGate | undefined,
    registry: ModelRegistryClient | undefined,
    step: (line: string) => void,
    log: string[],
): Promise<PromotionResult> {
    const model = state.model;
    const { now, settle, check, pause, signals, drainSeconds } = releaseHelpers(prober, options, step);
    // 2. What this run releases, checked before anything changes.
    if (state.platform === "ecs") {
        throw new PromotionError(
            `model ${model} of stack ${stack.name} is served by ECS, whose blue/green deployments are ECS's own: release it with pulumi up`,
        );
    }
    if (state.strategy === "canary") {
        throw new PromotionError(
            `model ${model} of stack ${stack.name} releases by canary (strategy canary); Flagger promotes it, not this command`,
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
    const before = releaseStateOf(state);
    const warmUp = before.scaleDownInactive;
    // A rollback returns the other colour to what it ran at the last flip: the release that served
    // before it (gated when promote or deploy released it; a rollback is smoke-tested only). The stack's
    // record (lastFlip, which every runner's flips update) first; else this runner's journal, while
    // it still describes what serves (releases from elsewhere do not update it).
    const journalGood = journal.good?.state;
    const good =
        before.lastFlip ??
        (journalGood &&
        journalGood.activeColor === from &&
        sameRelease(journalGood.releases[from], before.releases[from])
            ? journalGood
            : undefined);
    let next: Release = before.releases[to];
    const runs = (r: Release): string => `model ${r.modelVersion} (image ${r.image ?? "built by the stack"})`;
    // Said once the checks pass (a refusal says only why).
    const targetNotes: string[] = [];
    const note = (line: string): void => void targetNotes.push(line);
    if (options.rollback && good) {
        if (!sameRelease(good.releases[to], before.releases[to])) {
            next = good.releases[to];
            note(
                `${to} runs ${runs(before.releases[to])}, not what it ran at the last flip (a release that never passed its gate, left by a failed or killed promotion, or changed by hand); the rollback returns it to ${runs(next)}, which served before that flip`,
            );
        }
    } else if (options.rollback)
        note(
            `no record of the last flip (the release object's lastFlip, written by promote and deploy)${journalGood ? ", and this runner's journal describes another state than what serves" : " and no journal here"}: the rollback flips to what ${to} runs, ${runs(next)}`,
        );
    if (!options.rollback)
        next = {
            image: options.image ?? before.releases[to].image,
            modelVersion: options.modelVersion ?? before.releases[to].modelVersion,
        };
    const statesFor = (r: Release): { preview: ReleaseState; flipped: ReleaseState; final: ReleaseState } => {
        const preview: ReleaseState = {
            activeColor: from,
            scaleDownInactive: false,
            releases: { ...before.releases, [to]: r },
            ...(before.lastFlip ? { lastFlip: before.lastFlip } : {}),
        };
        if (!warmUp) preview.scaleDownInactive = before.scaleDownInactive;
        // The flip records itself: from then on a rollback returns to what the colours run in it.
        const moved = { ...preview, activeColor: to };
        const flipped: ReleaseState = { ...moved, lastFlip: flipRecordOf(moved) };
        return { preview, flipped, final: { ...flipped, scaleDownInactive: before.scaleDownInactive } };
    };
    let planned = statesFor(next);
    // Every state this release may deploy, checked together before the first is (and before a
    // registered version is copied from another stage: a refusal leaves no copy behind). An alias
    // is checked as given; the version it resolves to differs only in its number.
    const previewNeeded = !options.rollback || !sameState(planned.preview, before);
    await stack.check?.(
        [...(previewNeeded ? [planned.preview] : []), planned.flipped, planned.final].filter(
            (s, i, all) => all.findIndex((x) => sameState(x, s)) === i,
        ),
    );
    // A registered version is resolved and checked before anything changes, and released by number.
    const resolved =
        !options.rollback && options.modelVersion
            ? await resolveRegistered(options.modelVersion, state, registry, options.copyFrom)
            : undefined;
    if (resolved) {
        next = { ...next, modelVersion: resolved.pinned };
        planned = statesFor(next);
        step(resolved.note);
    }
    const { preview, flipped, final } = planned;
    const activeUrl = requireUrl(state.smoke.activeUrl, "activeUrl");
    const previewUrl = previewNeeded ? requireUrl(state.smoke.previewUrl, "previewUrl") : "";
    // The evaluation set is read before anything changes: a bad one stops the promotion here.
    let items: EvalItem[] | undefined;
    if (!options.rollback && state.gate) {
        if (!quality) throw new PromotionError(`model ${model} has a quality gate but no client was given`);
        try {
            items = quality.load(state.gate.set);
            const problem = judgeProblem(items, state.gate);
            if (problem !== undefined) throw new PromotionError(problem);
        } catch (e) {
            if (e instanceof EvaluationSetError) throw new PromotionError(e.message);
            throw e;
        }
    }

    // 3. The release, each step in the journal before it begins and once it is done.
    for (const line of targetNotes) step(line);
    const kind = options.rollback ? "rollback" : "promote";
    const current: JournalEntry = {
        id: `${new Date().toISOString()}/${process.pid}`,
        kind,
        before,
        target: final,
        steps: [],
    };
    const mark = async (name: string): Promise<void> => {
        current.steps.push(name);
        await stack.journal.write({ ...journal, current });
    };
    /** Ends the release: the journal keeps `good` (the state that passed) and no release under way. */
    const close = async (goodState: ReleaseState | undefined): Promise<void> => {
        journal = goodState
            ? { good: { state: goodState, at: new Date().toISOString(), id: current.id } }
            : { ...(journal.good ? { good: journal.good } : {}) };
        await stack.journal.write(journal);
    };
    const checkpoint = (): void => {
        if (signals?.stop.aborted) throw new Interrupted(String(signals.stop.reason ?? "a signal"));
    };
    const changesRelease = !sameRelease(next, before.releases[to]);
    const recover = recoverCommand(stack.given ?? stack.name, model);

    /** Puts `before` back after a planned failure before the flip: production never moved. */
    const undo = async (outcome: "smoke-failed" | "gate-failed" | "load-failed"): Promise<PromotionResult> => {
        if (!sameState(preview, before)) {
            await mark("undo");
            try {
                await stack.deploy(
                    before,
                    changesRelease ? `restore ${to} to its previous release` : `scale ${to} down again`,
                    now,
                );
            } catch (e) {
                step(`could not put ${to} back: ${messageOf(e)}; the journal keeps the release for \`${recover}\``);
                return { outcome: "failed", activeColor: from, log, recover };
            }
            step(
                `${changesRelease ? `restored ${to} to its previous release` : `scaled ${to} down again`}${changesRelease && warmUp ? " and scaled it down again" : ""}; ${from} kept serving throughout`,
            );
        }
        await close(journal.good?.state);
        return { outcome, activeColor: from, serving: before, log };
    };

    /** After an error or a signal: put `before` back (and check it once the flip had begun), and report. */
    const abandon = async (e: unknown): Promise<PromotionResult> => {
        const what = e instanceof Interrupted ? e.message : `failed: ${messageOf(e)}`;
        const at = current.steps.at(-1);
        step(`${at === undefined ? "before its first step" : `after "${at}"`}, the ${kind} ${what}`);
        if (current.steps.length === 0) {
            await close(journal.good?.state);
            step(`nothing was changed: ${describeState(before)}`);
            return { outcome: "failed", activeColor: from, serving: before, log };
        }
        if (now?.aborted) {
            step(`stopped at once (a second signal): the journal keeps the release; \`${recover}\` undoes it`);
            return { outcome: "failed", activeColor: from, log, recover };
        }
        // Its first update never began (the stack stayed held): nothing to undo, and no second wait.
        if (
            e instanceof StackBusyError &&
            current.steps.filter((s) => s !== "gate passed" && s !== "load passed").length === 1
        ) {
            await close(journal.good?.state);
            throw new PromotionError(`${e.message}; nothing was changed: ${describeState(before)}`);
        }
        const flipBegun = current.steps.includes("flip");
        try {
            await mark("undo");
            await stack.deploy(before, `undo the ${kind} of ${to}`, now);
        } catch (e2) {
            step(
                `could not put back what served (${describeState(before)}): ${messageOf(e2)}; the journal keeps the release: \`${recover}\` undoes it`,
            );
            return { outcome: "failed", activeColor: flipBegun ? to : from, log, recover };
        }
        if (flipBegun) {
            try {
                await settle(now);
            } catch (e3) {
                step(`${messageOf(e3)}: the check after the undo was not made`);
                return { outcome: "failed", activeColor: from, serving: before, log, recover };
            }
            const failure = await check(activeUrl, state.smoke);
            if (failure) {
                step(`the active endpoint still fails after the undo: ${failure}`);
                return { outcome: "rollback-failed", activeColor: from, serving: before, log, recover };
            }
        }
        await close(journal.good?.state);
        step(`put back what served: ${describeState(before)}`);
        return { outcome: "failed", activeColor: from, serving: before, log };
    };

    await stack.journal.write({ ...journal, current });
    try {
        if (previewNeeded) {
            checkpoint();
            await mark("deploy preview");
            await stack.deploy(
                preview,
                options.rollback ? `scale ${to} up for the rollback` : `deploy ${to} as the preview colour`,
                now,
            );
            await mark("preview deployed");
            step(
                options.rollback
                    ? `deployed ${to} (model ${next.modelVersion}, image ${next.image ?? "built by the stack"})${warmUp ? ", scaled up from zero (scaleDownInactive off while rolling back)" : ""}; ${from} kept serving`
                    : `deployed ${to} (image ${next.image ?? "built by the stack"}, model ${next.modelVersion})${warmUp ? ", scaled up from zero (scaleDownInactive off while promoting)" : ""}`,
            );
            checkpoint();
            const smokeFailure = await check(previewUrl, state.smoke);
            if (smokeFailure) {
                step(`smoke test of ${options.rollback ? to : "the preview"} failed: ${smokeFailure}`);
                return await undo("smoke-failed");
            }
            step(
                `smoke test of ${options.rollback ? to : "the preview"} passed (${state.smoke.path} → ${state.smoke.expectedStatus})`,
            );
        }
        if (!options.rollback) {
            if (items && state.gate && quality) {
                checkpoint();
                const report = await runQualityGate(quality.client, previewUrl, items, state.gate, {
                    model,
                    colour: to,
                    servedModelName: state.servedModelName ?? modelPathOf(next.modelVersion),
                    headers: state.smoke.headers ?? {},
                });
                await quality.report?.(report);
                for (const line of renderGateText(report)) step(line);
                if (!report.passed) return await undo("gate-failed");
            } else step(`no quality gate: model ${model} has no evaluation set (evaluation.set)`);
            await mark("gate passed");
            // The load stage: its own mark, so a journal read after "gate passed" alone shows a
            // release whose load was never judged (a recovery undoes it: nothing before
            // "verified" is finished forward, and the next promote runs every stage again).
            const load = state.gate?.load;
            if (items && state.gate && quality && load) {
                checkpoint();
                const report = await runLoadStage(
                    quality.loadClient ?? new HttpLoadClient(),
                    previewUrl,
                    items,
                    load,
                    {
                        model,
                        colour: to,
                        set: state.gate.set,
                        servedModelName: state.servedModelName ?? modelPathOf(next.modelVersion),
                        headers: state.smoke.headers ?? {},
                        timeoutMs: state.gate.timeoutMs,
                    },
                    signals?.stop,
                );
                await quality.loadReport?.(report);
                for (const line of renderLoadText(report)) step(line);
                checkpoint();
                if (!report.passed) return await undo("load-failed");
                await mark("load passed");
            } else
                step(
                    items
                        ? `no load stage: model ${model} has its evaluation set but no load stage (evaluation.load.enabled false, or a release contract from before the load stage)`
                        : `no load stage: model ${model} has no evaluation set for its prompts (evaluation.set)`,
                );
        }

        checkpoint();
        await mark("flip");
        await stack.deploy(flipped, `make ${to} the active colour`, now);
        await mark("flipped");
        step(`flipped the active Service from ${from} to ${to}`);
        await settle(signals?.stop);
        const verifyFailure = await check(activeUrl, state.smoke);
        if (verifyFailure) {
            step(`check after the flip failed: ${verifyFailure}; rolling back to ${from}`);
            await mark("revert");
            try {
                await stack.deploy(before, `roll back to ${from}`, now);
            } catch (e) {
                step(`rollback failed: ${messageOf(e)}`);
                return { outcome: "rollback-failed", activeColor: to, log, recover };
            }
            await settle(now);
            const afterRollback = await check(activeUrl, state.smoke);
            if (afterRollback) {
                step(`the active endpoint still fails after the rollback: ${afterRollback}`);
                return { outcome: "rollback-failed", activeColor: from, serving: before, log, recover };
            }
            await close(journal.good?.state);
            step(
                `rolled back: ${from} serves again and passes the check${changesRelease ? `; ${to} runs its previous release again` : ""}${warmUp ? ` and is scaled down again` : ""}`,
            );
            return { outcome: "reverted", activeColor: from, serving: before, log };
        }
        await mark("verified");
        step(`verified the active endpoint`);
        let endState = warmUp ? flipped : final;
        if (warmUp) {
            // From here the release stands: a failure only leaves the old colour up, which the
            // next run (reading the journal) scales down.
            try {
                await pause(drainSeconds, `for ${from}'s open streams to finish`, signals?.stop);
                await mark("scale down");
                await stack.deploy(final, `scale ${from} down again`, now);
                await mark("scaled down");
                step(`scaled ${from} down again (scaleDownInactive on)`);
                endState = final;
            } catch (e) {
                step(
                    `could not scale ${from} down again: ${messageOf(e)}; the release stands, and the next promote of model ${model} scales it down (\`${recover}\` does only that)`,
                );
            }
        }
        await recordRelease(registry, stack.name, model, to, next, step);
        if (endState === final) await close(final);
        return {
            outcome: options.rollback ? "rolled-back" : "promoted",
            activeColor: to,
            serving: endState,
            log,
            ...(endState === final ? {} : { recover }),
            ...(!options.rollback && (options.image !== undefined || options.modelVersion !== undefined)
                ? {
                      release: {
                          colour: to,
                          ...(options.image ? { image: options.image } : {}),
                          ...(options.modelVersion ? { modelVersion: next.modelVersion } : {}),
                      },
                  }
                : {}),
        };
    } catch (e) {
        return await abandon(e);
    }
}

/**
 * Records the release `colour` now serves in the model registry, when it names a registered
 * model by number (a release never names an alias: it is resolved before the deploy; one left in
 * the stack file is not recorded, since what it names now may not be what runs).
 */
async function recordRelease(
    registry: ModelRegistryClient | undefined,
    stackName: string,
    model: string,
    colour: Color,
    serving: Release,
    step: (line: string) => void,
): Promise<void> {
    const ref = registryReference(serving.modelVersion);
    if (!ref) return;
    if (ref.version === undefined) {
        step(
            `${serving.modelVersion} is not recorded in the model registry: it names an alias, which may name another version than the one running; release versions by number`,
        );
        return;
    }
    if (!registry) {
        step(
            `${serving.modelVersion} is not recorded in the model registry: no registry URL (the stack output modelRegistryUrl, or --registry-url)`,
        );
        return;
    }
    try {
        await registry.recordDeployment(ref.name, ref.version, {
            stack: stackName,
            model,
            colour,
            at: new Date().toISOString(),
        });
        step(`recorded in the model registry: ${ref.name} version ${ref.version} is now aliased ${SERVING_ALIAS}`);
    } catch (e) {
        step(
            `could not record ${serving.modelVersion} in the model registry: ${messageOf(e)}; the release itself stands`,
        );
    }
}
