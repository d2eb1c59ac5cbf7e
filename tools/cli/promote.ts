/**
 * `llm-platform promote --stack <name> [--model <name> | --all] [--to blue|green] [--image <repo@sha256:…>] [--model-version <v>] [--rollback] [--pack <dir>]... [--config <file>]...`
 *
 * Promotes the inactive colour of one model's EKS blue-green service (deploy it, smoke-test the
 * preview, hold it to the quality gate and the load stage when the model has an evaluation set, flip, verify, roll
 * back on failure), or flips back with --rollback; the other models are not touched. Without
 * --image or --model-version it flips to what the inactive colour runs (the previous release, after
 * a release): a smoke-tested rollback. --all does that for each model in turn (exit: the worst).
 * A commit's release is `llm-platform deploy`'s to promote. What it knows of the stack is the release
 * contract its program exports (the output `llmPlatformReleases`, components/release.ts) and the
 * release objects in its config that the contract points at; every `pulumi up` runs with the
 * policy packs (--pack, each with its --config, or the production-standards pack). Each release is a
 * transaction (tools/promote/machine.ts): a journal beside the model's lock says what it began,
 * and the next run finishes or undoes an interrupted one before anything else. SIGINT/SIGTERM end
 * the step under way and undo the release; a second stops at once. Needs the Pulumi CLI and
 * credentials for the stack. Exit 0 promoted or rolled back; 1 held or rolled back as planned (smoke,
 * the quality gate or the load stage failed, or reverted after the flip); 2 refused before any change (bad input
 * or a state that forbids it); 3 failed (an error, a signal, or a rollback that failed), with what
 * serves and the command that recovers reported.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DIGEST_REFERENCE, isModelVersion, MODEL_VERSION_HELP, registryReference } from "../../catalog/formats";
import { AwsCliWeightsStore } from "../promote/copy";
import { MlflowRegistryClient } from "../promote/registry";
import { AutomationStack, HttpProber, type PolicyPacks } from "../promote/automation";
import { DEFAULT_PACK_DIR } from "../policy/packProcess";
import { HttpChatClient, loadEvaluationSet, renderGateMarkdown, type ChatClient } from "../promote/evaluation";
import { renderLoadMarkdown, type LoadClient } from "../promote/load";
import {
    describeState,
    OUTCOME_EXIT,
    promote,
    PromotionError,
    type PromoteOptions,
    type PromotionResult,
    type QualityGate,
} from "../promote/machine";
import { parseCommandLine, UsageError } from "./cli";

export const PROMOTE_USAGE =
    "llm-platform promote --stack <name> [--model <name> | --all] [--to blue|green] [--image <repository@sha256:…>] [--model-version <version | models:/<name>/<version> | models:/<name>@<alias>>] [--copy-from <registry url>] [--rollback | --recover] [--pack <dir>]... [--config <policy-config.json>]... [--report <dir>] [--registry-url <url>] [--settle-seconds <s>] [--drain-seconds <s>] [--state-dir <dir>] [--log-format text|json] [--project <dir>]";

/** A registry URL flag's value: undefined, or an http(s) URL; anything else is a UsageError. */
export function requireHttpUrl(flag: string, value: string | undefined): void {
    if (value !== undefined && !/^https?:\/\/[^\s/]+/.test(value))
        throw new UsageError(`--${flag}: expected an http(s) URL such as http://mlflow.internal, received "${value}"`);
}

/** `--pack` folders and their `--config` files, absolute, checked to exist and to pair up (one config per pack, or none). */
export function existingPolicyFiles(packArgs: string[], configArgs: string[]): { packs: string[]; configs: string[] } {
    const packs = packArgs.map((d) => path.resolve(d));
    const configs = configArgs.map((f) => path.resolve(f));
    if (configs.length > 0 && configs.length !== Math.max(packs.length, 1))
        throw new UsageError(
            `give one --config per --pack, in the same order, or none: received ${configs.length} --config for ${Math.max(packs.length, 1)} pack${packs.length > 1 ? "s" : ""}`,
        );
    for (const dir of packs)
        if (!fs.existsSync(path.join(dir, "PulumiPolicy.yaml")))
            throw new UsageError(`--pack ${dir}: not a policy pack folder (no PulumiPolicy.yaml)`);
    for (const file of configs) if (!fs.existsSync(file)) throw new UsageError(`--config ${file}: no such file`);
    return { packs, configs };
}

/**
 * Throws a UsageError when `--report` cannot be the folder the gate's reports are written to: a
 * file there, or a file where one of its parent folders would be. Checked before anything changes.
 */
export function reportFolderProblem(dir: string): void {
    for (let at = dir; ; at = path.dirname(at)) {
        if (fs.existsSync(at)) {
            if (!fs.statSync(at).isDirectory())
                throw new UsageError(
                    `--report ${dir}: ${at === dir ? "is a file" : `${at} is a file`}, not a folder; the quality gate writes gate-<model>.json and .md into a folder (it is created if missing)`,
                );
            try {
                fs.accessSync(at, fs.constants.W_OK);
            } catch {
                throw new UsageError(`--report ${dir}: ${at} is not writable`);
            }
            return;
        }
        if (path.dirname(at) === at) return;
    }
}

/** A `--<flag> <seconds>` value: undefined, or a whole number from 0 to `max`; anything else is a UsageError. */
export function secondsFlag(flag: string, value: string | undefined, max: number): number | undefined {
    if (value === undefined) return undefined;
    if (!/^\d{1,5}$/.test(value) || Number(value) > max)
        throw new UsageError(`--${flag}: expected a whole number of seconds from 0 to ${max}, received "${value}"`);
    return Number(value);
}

/**
 * `--state-dir`, or the environment's LLM_PLATFORM_STATE_DIR: an absolute folder that exists or can
 * be created, and is writable; undefined for neither. Checked before anything changes.
 */
export function stateDirFlag(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
    const given = flag ?? (env.LLM_PLATFORM_STATE_DIR || undefined);
    if (given === undefined) return undefined;
    const name = flag !== undefined ? "--state-dir" : "LLM_PLATFORM_STATE_DIR";
    if (given.trim() === "" || given !== given.trim())
        throw new UsageError(`${name}: expected a folder such as /mnt/llm-platform, received ${JSON.stringify(given)}`);
    const dir = path.resolve(given);
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory())
        throw new UsageError(`${name} ${given}: is a file, not a folder; the promotion locks and journals live there`);
    try {
        fs.mkdirSync(dir, { recursive: true });
        fs.accessSync(dir, fs.constants.W_OK);
    } catch (e) {
        throw new UsageError(
            `${name} ${given}: not a folder this process can write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the promotion locks and journals live there`,
        );
    }
    return dir;
}

/** `--settle-seconds` and `--drain-seconds` as a promotion's timing; undefined for neither. */
export function timingOf(settle: string | undefined, drain: string | undefined): PromoteOptions["timing"] {
    const settleSeconds = secondsFlag("settle-seconds", settle, 3600);
    const drainSeconds = secondsFlag("drain-seconds", drain, 4000);
    if (settleSeconds === undefined && drainSeconds === undefined) return undefined;
    return {
        ...(settleSeconds !== undefined ? { settleSeconds } : {}),
        ...(drainSeconds !== undefined ? { drainSeconds } : {}),
    };
}

/** Parses the command line into promotion options; every mistake is a UsageError. */
export function parsePromoteArgs(argv: string[]): {
    stack: string;
    project: string;
    /** The model to release; undefined: the stack's only one (or every one with `all`). */
    model: string | undefined;
    all: boolean;
    /** Where the quality gate's reports go (gate-<model>.json and .md). */
    report: string | undefined;
    /** The model registry's URL; unset: the stack output modelRegistryUrl. */
    registryUrl: string | undefined;
    /** Another stage's registry to copy the registered version from. */
    copyFrom: string | undefined;
    /** The shared folder of locks and journals (`--state-dir`, or LLM_PLATFORM_STATE_DIR); unset: the project's. */
    stateDir: string | undefined;
    /** The packs every update runs with: --pack, or the production-standards pack. */
    policy: PolicyPacks;
    /** How each step is written: a line of text (`- …`), or a JSON object a line. */
    logFormat: LogFormat;
    options: PromoteOptions;
} {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            stack: { type: "string" },
            to: { type: "string" },
            image: { type: "string" },
            "model-version": { type: "string" },
            project: { type: "string" },
            model: { type: "string" },
            all: { type: "boolean" },
            rollback: { type: "boolean" },
            recover: { type: "boolean" },
            report: { type: "string" },
            "registry-url": { type: "string" },
            "copy-from": { type: "string" },
            "settle-seconds": { type: "string" },
            "state-dir": { type: "string" },
            "drain-seconds": { type: "string" },
            "log-format": { type: "string" },
            pack: { type: "string", multiple: true },
            config: { type: "string", multiple: true },
        },
        PROMOTE_USAGE,
    );
    if (positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals[0]}"\nusage: ${PROMOTE_USAGE}`);
    if (!values.stack) throw new UsageError(`--stack is required\nusage: ${PROMOTE_USAGE}`);
    if (values.to !== undefined && values.to !== "blue" && values.to !== "green")
        throw new UsageError(`--to: expected blue or green, received "${values.to}"`);
    if (values.image !== undefined && !DIGEST_REFERENCE.test(values.image)) {
        throw new UsageError(
            `--image: expected an image pinned by digest (repository@sha256:<64 hex>), received "${values.image}"`,
        );
    }
    // An alias is taken here: promote resolves it to the version it names before anything changes.
    const version = values["model-version"];
    if (version !== undefined && !isModelVersion(version) && registryReference(version) === undefined)
        throw new UsageError(`--model-version: ${MODEL_VERSION_HELP}, received "${version}"`);
    for (const flag of ["registry-url", "copy-from"] as const) requireHttpUrl(flag, values[flag]);
    if (values["copy-from"] !== undefined && (version === undefined || registryReference(version) === undefined))
        throw new UsageError(
            "--copy-from copies a registered version from another stage's registry: give it with --model-version models:/<name>/<version> (or @<alias>)",
        );
    if (values.model !== undefined && !/^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/.test(values.model))
        throw new UsageError(
            `--model: expected a model name (lower-case letters, digits and '-', as the stack's llmPlatformReleases name it), received "${values.model}"`,
        );
    const { packs, configs } = existingPolicyFiles(values.pack ?? [], values.config ?? []);
    if (values.all && values.model !== undefined) throw new UsageError("--all releases every model; leave out --model");
    if (values.recover && (values.rollback || values.to || values.image || values["model-version"]))
        throw new UsageError(
            "--recover only finishes or undoes a release a run left unfinished (of --model, or of each model with --all); it takes no --rollback, --to, --image or --model-version",
        );
    if (values.all && (values.to || values.image || values["model-version"]))
        throw new UsageError(
            "--all releases each model's own inactive colour; --to, --image and --model-version name one model's release: use --model",
        );
    const logFormat = values["log-format"] ?? "text";
    if (logFormat !== "text" && logFormat !== "json")
        throw new UsageError(
            `--log-format: expected text (a line per step, the default) or json (a JSON object per line), received "${logFormat}"`,
        );
    if (values.report !== undefined) reportFolderProblem(path.resolve(values.report));
    const stateDir = stateDirFlag(values["state-dir"]);
    const timing = timingOf(values["settle-seconds"], values["drain-seconds"]);
    return {
        stack: values.stack,
        project: path.resolve(values.project ?? process.cwd()),
        model: values.model,
        all: values.all ?? false,
        report: values.report === undefined ? undefined : path.resolve(values.report),
        registryUrl: values["registry-url"],
        copyFrom: values["copy-from"],
        stateDir,
        policy: { packs: packs.length > 0 ? packs : [DEFAULT_PACK_DIR], configs },
        logFormat,
        options: {
            to: values.to as PromoteOptions["to"],
            image: values.image,
            modelVersion: values["model-version"],
            rollback: values.rollback ?? false,
            ...(values.recover ? { recover: true } : {}),
            ...(timing ? { timing } : {}),
        },
    };
}

export type LogFormat = "text" | "json";

/** One line of `--log-format json`: a step of a model's release, or a line of the command's. */
export interface LogRecord {
    time: string;
    level: "info" | "warn" | "error";
    stack: string;
    model?: string;
    /** The colour released to. */
    colour?: string;
    modelVersion?: string;
    image?: string;
    step: string;
    /** The outcome and exit code, on a release's last line. */
    outcome?: string;
    exit?: number;
    /** The load stage's failed requests named by the line (their X-Request-Id), to search the server's logs for. */
    requestIds?: string[];
}

/** The request ids the load stage gives (tools/promote/load.ts: `load-<8 hex>-<n>`) a line names. */
const REQUEST_ID = /\bload-[0-9a-f]{8}-\d+\b/g;

/** `say` for `--log-format json`: each line a {@link LogRecord} of the command (no model). */
export function jsonSay(stack: string, write: (line: string) => void, clock: () => Date = () => new Date()) {
    return (line: string, fields: Partial<LogRecord> = {}): void =>
        write(JSON.stringify({ time: clock().toISOString(), level: "info", stack, ...fields, step: line }));
}

/** How {@link promoteEach} writes: text lines through `say`, or JSON records of `stack`'s releases. */
export interface EachLog {
    format: LogFormat;
    stack: string;
    write: (line: string) => void;
    clock?: () => Date;
}

/** Releases `models` of a stack one after another; the exit code is the worst of theirs. */
export async function promoteEach(
    models: ReadonlyArray<string | undefined>,
    release: (model: string | undefined) => Promise<PromotionResult & { model: string }>,
    say: (line: string) => void,
    /** Set once a signal asked to stop: the models after it are not started. */
    stopped: () => boolean = () => false,
    /** `--log-format json`: each line a JSON record instead. @default - text through `say` */
    log?: EachLog,
): Promise<number> {
    let worst = 0;
    const json = log?.format === "json" ? jsonSay(log.stack, log.write, log.clock) : undefined;
    for (const model of models) {
        if (stopped()) {
            if (json) json(`model ${model ?? "?"}: not started (stopped by a signal)`, { level: "error", model });
            else say(`model ${model ?? "?"}: not started (stopped by a signal)`);
            worst = Math.max(worst, 3);
            continue;
        }
        try {
            const result = await release(model);
            if (json) {
                writeJson(json, result);
                worst = Math.max(worst, OUTCOME_EXIT[result.outcome]);
                continue;
            }
            for (const line of result.log) say(`- ${line}`);
            // A colour is named only when the run knows it serves.
            say(
                result.serving
                    ? `${result.outcome}: ${result.serving.activeColor} is the active colour of model ${result.model}`
                    : `${result.outcome}: which colour serves model ${result.model} is unknown (the last update did not finish)`,
            );
            say(
                result.serving
                    ? `serving: model ${result.model}: ${describeState(result.serving)}`
                    : `serving: model ${result.model}: unknown, the last update failed`,
            );
            if (result.recover) say(`to recover: ${result.recover}`);
            worst = Math.max(worst, OUTCOME_EXIT[result.outcome]);
        } catch (e) {
            if (!(e instanceof PromotionError)) throw e;
            if (models.length === 1) throw new UsageError(e.message);
            if (json) json(`model ${model ?? "?"}: ${e.message}`, { level: "error", model });
            else say(`model ${model ?? "?"}: ${e.message}`);
            worst = Math.max(worst, 2);
        }
    }
    return worst;
}

/** A release as JSON records: each step at its time, then the outcome, what serves and how to recover. */
function writeJson(json: ReturnType<typeof jsonSay>, result: PromotionResult & { model: string }): void {
    const about: Partial<LogRecord> = {
        model: result.model,
        ...(result.target
            ? {
                  colour: result.target.colour,
                  modelVersion: result.target.modelVersion,
                  ...(result.target.image !== undefined ? { image: result.target.image } : {}),
              }
            : {}),
    };
    result.log.forEach((line, i) => {
        const ids = [...line.matchAll(REQUEST_ID)].map((m) => m[0]);
        json(line, {
            ...(result.times?.[i] !== undefined ? { time: result.times[i] } : {}),
            level: /^\s*FAIL /.test(line) ? "warn" : "info",
            ...about,
            ...(ids.length > 0 ? { requestIds: ids } : {}),
        });
    });
    const exit = OUTCOME_EXIT[result.outcome];
    const level = exit === 0 ? "info" : exit === 1 ? "warn" : "error";
    json(
        result.serving
            ? `${result.outcome}: ${describeState(result.serving)}`
            : `${result.outcome}: which colour serves model ${result.model} is unknown (the last update did not finish)`,
        { level, ...about, outcome: result.outcome, exit },
    );
    if (result.recover) json(`to recover: ${result.recover}`, { level, ...about });
}

/**
 * SIGINT and SIGTERM while `run` runs: the first asks the release to end its step and undo
 * (`stop`), the second to stop at once (`now`, which also cancels the `pulumi up` under way).
 */
export async function withSignals<T>(
    run: (signals: { stop: AbortSignal; now: AbortSignal }) => Promise<T>,
    say: (line: string) => void,
): Promise<T> {
    // Inside another (deploy's, around its update and its releases): the same signals.
    if (activeSignals) return run(activeSignals);
    const stop = new AbortController();
    const now = new AbortController();
    const handler = (signal: NodeJS.Signals): void => {
        if (!stop.signal.aborted) {
            say(`${signal} received: ending the step under way, then undoing the release (again to stop at once)`);
            stop.abort(signal);
        } else if (!now.signal.aborted) {
            say(`${signal} received again: stopping at once; the next run recovers what is left`);
            now.abort(signal);
        }
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
    activeSignals = { stop: stop.signal, now: now.signal };
    try {
        return await run(activeSignals);
    } finally {
        activeSignals = undefined;
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
    }
}

/** The signals of the {@link withSignals} running, if any. */
let activeSignals: { stop: AbortSignal; now: AbortSignal } | undefined;

/** The stack the CLI releases models of, and where it reports. */
export interface StackRun {
    project: string;
    stack: string;
    policy: PolicyPacks;
    /** The shared folder of locks and journals; unset: the project's. */
    stateDir: string | undefined;
    /** The model registry's URL; unset: the stack output modelRegistryUrl. */
    registryUrl: string | undefined;
    say: (line: string) => void;
    /** How each release's steps are written. @default - text through `say` */
    log?: EachLog;
}

/**
 * Releases `models` of `run`'s stack one after another under the signal handlers (no model starts
 * after a signal): each against its own {@link AutomationStack}, recorded in the stack's registry,
 * with the options `optionsFor` gives it. `after` sees each result with its stack. The worst exit code.
 */
export function releaseEach(
    run: StackRun,
    models: ReadonlyArray<string | undefined>,
    optionsFor: (model: string | undefined, signals: PromoteOptions["signals"]) => PromoteOptions,
    quality?: QualityGate,
    after?: (target: AutomationStack, result: PromotionResult) => void,
): Promise<number> {
    return withSignals(
        (signals) =>
            promoteEach(
                models,
                async (model) => {
                    const target = await AutomationStack.select(
                        run.project,
                        run.stack,
                        run.policy,
                        run.say,
                        model,
                        run.stateDir,
                    );
                    const url = run.registryUrl ?? (await target.outputs()).modelRegistryUrl ?? undefined;
                    const result = await promote(
                        target,
                        new HttpProber(),
                        optionsFor(model, signals),
                        quality,
                        url ? new MlflowRegistryClient(url) : undefined,
                    );
                    after?.(target, result);
                    return { ...result, model: target.modelName ?? model ?? "?" };
                },
                run.say,
                () => signals.stop.aborted,
                run.log,
            ),
        run.say,
    );
}

/**
 * The quality gate and load stage as the CLI runs them: sets read from the project, reports
 * written to `reportDir` (gate-<model>.json and .md, load-<model>.json and .md).
 */
export function qualityGate(
    project: string,
    reportDir: string | undefined,
    client: ChatClient = new HttpChatClient(),
    loadClient?: LoadClient,
): QualityGate {
    return {
        load: (set) => loadEvaluationSet(path.join(project, set)),
        client,
        ...(loadClient ? { loadClient } : {}),
        report: async (r) => {
            if (reportDir === undefined) return;
            fs.mkdirSync(reportDir, { recursive: true });
            fs.writeFileSync(path.join(reportDir, `gate-${r.model}.json`), `${JSON.stringify(r, null, 2)}\n`);
            fs.writeFileSync(path.join(reportDir, `gate-${r.model}.md`), renderGateMarkdown(r));
        },
        loadReport: async (r) => {
            if (reportDir === undefined) return;
            fs.mkdirSync(reportDir, { recursive: true });
            fs.writeFileSync(path.join(reportDir, `load-${r.model}.json`), `${JSON.stringify(r, null, 2)}\n`);
            fs.writeFileSync(path.join(reportDir, `load-${r.model}.md`), renderLoadMarkdown(r));
        },
    };
}

/** The command as `llm-platform promote` runs it: releases each model asked for; resolves to the exit code. */
export async function promoteCommand(argv: string[]): Promise<number> {
    const { stack, project, model, all, report, registryUrl, copyFrom, policy, options, stateDir, logFormat } =
        parsePromoteArgs(argv);
    const write = (line: string): void => void process.stdout.write(`${line}\n`);
    const say = logFormat === "json" ? jsonSay(stack, write) : write;
    let models: Array<string | undefined> = [model];
    if (all) {
        try {
            models = await (await AutomationStack.select(project, stack, policy, say, undefined, stateDir)).models();
        } catch (e) {
            throw e instanceof PromotionError ? new UsageError(e.message) : e;
        }
    }
    const run: StackRun = {
        project,
        stack,
        policy,
        stateDir,
        registryUrl,
        say,
        log: { format: logFormat, stack, write },
    };
    return releaseEach(
        run,
        models,
        (_model, signals) => ({
            ...options,
            signals,
            ...(copyFrom
                ? {
                      copyFrom: {
                          registry: new MlflowRegistryClient(copyFrom),
                          url: copyFrom,
                          store: new AwsCliWeightsStore(),
                      },
                  }
                : {}),
        }),
        qualityGate(project, report),
        // A release given here lives on the runner alone: say what to commit, or the next deploy
        // refuses the stack file (its serving colour's release differs from what serves).
        (target, result) => {
            if (result.release && target.releaseKey)
                for (const [field, value] of Object.entries(result.release).filter(([k]) => k !== "colour"))
                    say(
                        `commit this release: pulumi config set --path '${target.releaseKey}.${result.release.colour}.${field}' '${value}' --type string --stack ${stack}`,
                    );
        },
    );
}
