/**
 * The promotion's real stack and prober: the Pulumi Automation API (LocalWorkspace over this
 * project, which needs the Pulumi CLI on PATH) and HTTP requests with a timeout.
 */
import * as automation from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { MODEL_ROUTE_HEADER } from "../../components/k8s/entryPoint";
import { resolveSettings } from "../../environments/loader";
import { servedModels, type ServedModel } from "../../environments/models";
import type { Settings } from "../../environments/schema";
import { PromotionError, type Prober, type PromotionStack, type ServingState } from "./machine";

/** The model of a stack that a promotion releases: the one named, or the stack's only one. */
export function chooseModel(stackName: string, settings: Settings, model: string | undefined): ServedModel {
    const models = servedModels(settings);
    const names = models.map((m) => m.name).join(", ");
    if (model === undefined) {
        if (models.length === 1) return models[0];
        throw new PromotionError(
            `stack ${stackName} serves ${models.length} models (${names}): choose one with --model, or promote each in turn with --all`,
        );
    }
    const found = models.find((m) => m.name === model);
    if (!found) throw new PromotionError(`--model: stack ${stackName} serves no model "${model}" (it serves ${names})`);
    return found;
}

/** The stack outputs a promotion reads: each model's entry-point URLs, and the registry's. */
export interface PromotionOutputs {
    models?: Array<{ name?: string; activeUrl?: string | null; previewUrl?: string | null }>;
    modelRegistryUrl?: string | null;
}

/**
 * Where a model's colours answer, by the stack's outputs (the entry point's load balancer, known
 * after the first `pulumi up`): used unless `smokeTest.activeUrl`/`previewUrl` are set.
 */
export function entryUrlsFromOutputs(
    outputs: PromotionOutputs | undefined,
    model: string,
): { activeUrl?: string; previewUrl?: string } {
    const entry = (outputs?.models ?? []).find((m) => m.name === model);
    return {
        ...(typeof entry?.activeUrl === "string" ? { activeUrl: entry.activeUrl } : {}),
        ...(typeof entry?.previewUrl === "string" ? { previewUrl: entry.previewUrl } : {}),
    };
}

/** One model's serving state from a stack's configuration, validated like the program does, and its outputs. */
export function servingStateFromConfig(
    stackName: string,
    config: Record<string, string>,
    secretKeys: string[] = [],
    model?: string,
    outputs?: PromotionOutputs,
): ServingState & { keyPath: (key: string) => string; listed: boolean; tier: string } {
    const settings = resolveSettings(stackName, config, { secretKeys });
    const m = chooseModel(stackName, settings, model);
    const entry = settings.serving.entryPoint;
    // On the shared load balancer without a domain, a listed model's requests carry its route header.
    const headers =
        m.listed && entry.enabled && entry.domain === undefined ? { [MODEL_ROUTE_HEADER]: m.name } : undefined;
    const fromOutputs = entryUrlsFromOutputs(outputs, m.name);
    return {
        model: m.name,
        keyPath: m.keyPath,
        listed: m.listed,
        tier: settings.tier,
        activeColor: m.activeColor,
        strategy: settings.serving.strategy,
        platform: settings.serving.platform,
        scaleDownInactive: m.scaleDownInactive,
        releases: { blue: { ...m.blue, image: m.blue.image }, green: { ...m.green, image: m.green.image } },
        smoke: {
            ...m.smokeTest,
            previewUrl: m.smokeTest.previewUrl ?? fromOutputs.previewUrl,
            activeUrl: m.smokeTest.activeUrl ?? fromOutputs.activeUrl,
            ...(headers ? { headers } : {}),
        },
        ...(m.servedModelName !== undefined ? { servedModelName: m.servedModelName } : {}),
        ...(m.evaluation.set !== undefined
            ? {
                  gate: {
                      set: m.evaluation.set,
                      minAccuracy: m.evaluation.minAccuracy,
                      maxHallucinationRate: settings.monitoring.slo.maxHallucinationRate,
                      minSuccessRate: m.slo.availability,
                      p95LatencyMs: m.slo.p95LatencyMs,
                      // The latency SLO: vLLM's time to first token, or the reference app's request duration.
                      latency: settings.monitoring.metricsPreset === "vllm" ? ("ttft" as const) : ("total" as const),
                      concurrency: m.evaluation.concurrency,
                      timeoutMs: m.evaluation.timeoutSeconds * 1000,
                      maxTokens: m.evaluation.maxTokens,
                  },
              }
            : {}),
    };
}

/** The models `--all` promotes, in order. */
export function modelNamesFromConfig(
    stackName: string,
    config: Record<string, string>,
    secretKeys: string[] = [],
): string[] {
    return servedModels(resolveSettings(stackName, config, { secretKeys })).map((m) => m.name);
}

/**
 * The stack's own name: Pulumi Cloud names may be qualified (`org/stack`, `org/project/stack`);
 * the program, its config file and the tier default see only the last part.
 */
export function shortStackName(stackName: string): string {
    return stackName.split("/").pop() ?? stackName;
}

/**
 * Where the promotion lock of a model lives: beside the project, one file per stack and model, so
 * that two models of a stack can be released at once (their `pulumi up`s queue: see `up`). The
 * one model of a stack without `llm-platform:models` keeps the stack's file.
 */
export function lockFileFor(projectDir: string, stackName: string, model?: string): string {
    const suffix = model === undefined ? "" : `.${model}`;
    return path.join(projectDir, `.promote-${shortStackName(stackName)}${suffix}.lock`);
}

/**
 * A lock file beside the project, held for the whole promotion: a second promotion of the same
 * stack from this checkout stops at once. (Across machines, CI's per-stack concurrency group and
 * Pulumi's own update lock serialize promotions.)
 */
export async function takeLockFile(file: string, stackName: string): Promise<() => Promise<void>> {
    if (!createExclusive(file, { pid: process.pid, since: new Date().toISOString() }))
        throw new PromotionError(
            `a promotion of stack ${stackName} is already in progress (${file}: ${fs.readFileSync(file, "utf8")}); if it died, delete the file`,
        );
    return async () => fs.rmSync(file, { force: true });
}

/** Creates `file` holding `owner`; false when it exists already (another holder). */
function createExclusive(file: string, owner: Record<string, unknown>): boolean {
    try {
        fs.writeFileSync(file, JSON.stringify(owner), { flag: "wx" });
        return true;
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw e;
    }
}

/** How long `up` waits for another update of the stack (another model's promotion) to finish. */
export interface UpdateQueue {
    /** Longest wait in all. @default 30 minutes */
    waitMs: number;
    /** Between attempts. @default 20 seconds */
    pollMs: number;
    sleep(ms: number): Promise<void>;
}

const DEFAULT_QUEUE: UpdateQueue = {
    waitMs: 30 * 60_000,
    pollMs: 20_000,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Runs `fn` holding `file` (created exclusively, removed after), waiting up to `queue.waitMs` for
 * another holder: the short lock around a config write, which two promotions of different models
 * of one stack would otherwise race on (each rewrites Pulumi.<stack>.yaml).
 */
export async function withFileLock<T>(
    file: string,
    fn: () => Promise<T>,
    queue: UpdateQueue = DEFAULT_QUEUE,
): Promise<T> {
    for (let waited = 0; !createExclusive(file, { pid: process.pid }); waited += queue.pollMs) {
        if (waited >= queue.waitMs)
            throw new PromotionError(
                `${file} has been held for ${Math.round(waited / 1000)} s; if its process died, delete it`,
            );
        await queue.sleep(queue.pollMs);
    }
    try {
        return await fn();
    } finally {
        fs.rmSync(file, { force: true });
    }
}

/**
 * `fn` (a `pulumi up`), again while Pulumi refuses it because another update of the stack runs
 * (a promotion of another model): each update applies the stack's whole config, this model's
 * changes included, so waiting for the other one is all it takes.
 */
export async function queuedUpdate(
    fn: () => Promise<void>,
    stackName: string,
    onOutput: (line: string) => void,
    queue: UpdateQueue = DEFAULT_QUEUE,
): Promise<void> {
    for (let waited = 0; ; waited += queue.pollMs) {
        try {
            return await fn();
        } catch (e) {
            if (!(e instanceof automation.ConcurrentUpdateError)) throw e;
            if (waited >= queue.waitMs)
                throw new PromotionError(
                    `stack ${stackName} has been updated by someone else for ${Math.round(waited / 60_000)} minutes; try again when it is done`,
                );
            onOutput(`stack ${stackName} is being updated by someone else; waiting`);
            await queue.sleep(queue.pollMs);
        }
    }
}

/**
 * Every update a promotion makes runs the production pack with the stack's tier config, as
 * `pulumi up --policy-pack policies --policy-pack-config pack/config/<tier>.json` does in CI.
 */
export function promotionUpOptions(
    projectDir: string,
    tier: string,
    message: string,
): { policyPacks: string[]; policyPackConfigs: string[]; message: string } {
    return {
        policyPacks: [path.join(projectDir, "policies")],
        policyPackConfigs: [path.join(projectDir, "pack", "config", `${tier}.json`)],
        message,
    };
}

/** `pulumi config set --path <key> <value> --type bool`: a boolean in the stack file, not the string "false". */
export function typedConfigArgs(key: string, value: boolean, stackName: string): string[] {
    return ["config", "set", "--path", key, String(value), "--type", "bool", "--stack", stackName, "--non-interactive"];
}

/** Runs the Pulumi CLI; rejects with its stderr. */
function runPulumi(command: string, args: string[], cwd: string): Promise<void> {
    return new Promise((resolve, reject) => {
        execFile(command, args, { cwd }, (error, _stdout, stderr) =>
            error ? reject(new Error(`pulumi ${args.join(" ")}: ${stderr.trim() || error.message}`)) : resolve(),
        );
    });
}

/**
 * What the promotion uses of an Automation API stack: its config and outputs, `pulumi up`, and
 * the CLI it runs (for config `set --type bool`, which the API cannot express).
 */
export type AutomationTarget = Pick<automation.Stack, "name" | "getAllConfig" | "outputs" | "setConfig" | "up"> & {
    readonly workspace: { readonly pulumiCommand: { readonly command: string } };
};

export class AutomationStack implements PromotionStack {
    private keyPath: ((key: string) => string) | undefined;
    private model: string | undefined;
    private tier: string | undefined;

    /** Use {@link AutomationStack.select}; the constructor takes any {@link AutomationTarget} (tests pass a fake). */
    constructor(
        readonly name: string,
        private readonly stack: AutomationTarget,
        private readonly projectDir: string,
        private readonly requested: string | undefined,
        private readonly onOutput: (line: string) => void,
    ) {}

    /** Selects an existing stack of the project in `projectDir` to release `model` of; clear errors when it or the CLI is missing. */
    static async select(
        projectDir: string,
        stackName: string,
        onOutput: (line: string) => void,
        model?: string,
    ): Promise<AutomationStack> {
        let stack: automation.Stack;
        try {
            stack = await automation.LocalWorkspace.selectStack({ stackName, workDir: projectDir });
        } catch (e) {
            if (e instanceof automation.StackNotFoundError)
                throw new PromotionError(
                    `stack ${stackName} does not exist in this backend (pulumi stack ls lists the stacks)`,
                );
            const message = (e as Error).message;
            if (/ENOENT|not found|Could not find/i.test(message) && /pulumi/i.test(message)) {
                throw new PromotionError(
                    "the Pulumi CLI is not installed or not on PATH: promote drives real stacks through it (https://www.pulumi.com/docs/install/)",
                );
            }
            throw e;
        }
        return new AutomationStack(shortStackName(stackName), stack, projectDir, model, onOutput);
    }

    /** The stack's configuration and which of its keys are secret. */
    async config(): Promise<{ values: Record<string, string>; secrets: string[] }> {
        const all = await this.stack.getAllConfig();
        const values = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
        const secrets = Object.entries(all)
            .filter(([, v]) => v.secret)
            .map(([k]) => k);
        return { values, secrets };
    }

    /** The outputs a promotion reads (none before the stack's first update). */
    async outputs(): Promise<PromotionOutputs> {
        const all = await this.stack.outputs();
        return {
            models: all.models?.value as PromotionOutputs["models"],
            modelRegistryUrl: all.modelRegistryUrl?.value as string | null | undefined,
        };
    }

    async readState(): Promise<ServingState> {
        const { values, secrets } = await this.config();
        const { keyPath, listed, tier, ...state } = servingStateFromConfig(
            this.name,
            values,
            secrets,
            this.requested,
            await this.outputs(),
        );
        this.keyPath = keyPath;
        this.tier = tier;
        // A listed model has a lock of its own; the one model of a stack without the list keeps the stack's.
        this.model = listed ? state.model : undefined;
        return state;
    }

    async setServing(key: string, value: string | boolean): Promise<void> {
        if (!this.keyPath) throw new Error("setServing before readState");
        const configKey = `llm-platform:${this.keyPath(key)}`;
        await withFileLock(path.join(this.projectDir, `.promote-${this.name}.config.lock`), () =>
            typeof value === "boolean"
                ? // The Automation API stores every value as a string; the CLI's --type bool stores a boolean.
                  runPulumi(
                      this.stack.workspace.pulumiCommand.command,
                      typedConfigArgs(configKey, value, this.stack.name),
                      this.projectDir,
                  )
                : this.stack.setConfig(configKey, { value }, true),
        );
    }

    async up(reason: string): Promise<void> {
        if (!this.tier) throw new Error("up before readState");
        const what = this.model ? `${reason} of model ${this.model}` : reason;
        this.onOutput(`pulumi up (${what}) with the policy pack`);
        const upOptions = promotionUpOptions(this.projectDir, this.tier, `promote: ${what}`);
        await queuedUpdate(
            () =>
                this.stack
                    .up({ ...upOptions, onOutput: (line) => this.onOutput(line.trimEnd()) })
                    .then(() => undefined),
            this.name,
            this.onOutput,
        );
    }

    lock(): Promise<() => Promise<void>> {
        return takeLockFile(lockFileFor(this.projectDir, this.name, this.model), this.name);
    }
}

/** GET with a timeout, measuring latency. */
export class HttpProber implements Prober {
    constructor(private readonly timeoutMs = 10_000) {}

    async get(url: string, headers?: Record<string, string>): Promise<{ status: number; latencyMs: number }> {
        const started = performance.now();
        const response = await fetch(url, {
            signal: AbortSignal.timeout(this.timeoutMs),
            redirect: "manual",
            headers,
        });
        await response.arrayBuffer();
        return { status: response.status, latencyMs: performance.now() - started };
    }
}
