/**
 * The promotion's real stack and prober: the Pulumi Automation API (LocalWorkspace over this
 * project, which needs the Pulumi CLI on PATH) and HTTP requests with a timeout.
 */
import * as automation from "@pulumi/pulumi/automation";
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

/** One model's serving state from a stack's configuration, validated like the program does. */
export function servingStateFromConfig(
    stackName: string,
    config: Record<string, string>,
    secretKeys: string[] = [],
    model?: string,
): ServingState & { keyPath: (key: string) => string; listed: boolean } {
    const settings = resolveSettings(stackName, config, { secretKeys });
    const m = chooseModel(stackName, settings, model);
    const entry = settings.serving.entryPoint;
    // On the shared load balancer without a domain, a listed model's requests carry its route header.
    const headers =
        m.listed && entry.enabled && entry.domain === undefined ? { [MODEL_ROUTE_HEADER]: m.name } : undefined;
    return {
        model: m.name,
        keyPath: m.keyPath,
        listed: m.listed,
        activeColor: m.activeColor,
        strategy: settings.serving.strategy,
        platform: settings.serving.platform,
        scaleDownInactive: m.scaleDownInactive,
        releases: { blue: { ...m.blue, image: m.blue.image }, green: { ...m.green, image: m.green.image } },
        smoke: {
            ...m.smokeTest,
            previewUrl: m.smokeTest.previewUrl,
            activeUrl: m.smokeTest.activeUrl,
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

export class AutomationStack implements PromotionStack {
    private keyPath: ((key: string) => string) | undefined;
    private model: string | undefined;

    private constructor(
        readonly name: string,
        private readonly stack: automation.Stack,
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

    async readState(): Promise<ServingState> {
        const { values, secrets } = await this.config();
        const { keyPath, listed, ...state } = servingStateFromConfig(this.name, values, secrets, this.requested);
        this.keyPath = keyPath;
        // A listed model has a lock of its own; the one model of a stack without the list keeps the stack's.
        this.model = listed ? state.model : undefined;
        return state;
    }

    async setServing(key: string, value: string): Promise<void> {
        if (!this.keyPath) throw new Error("setServing before readState");
        const configKey = `llm-platform:${this.keyPath(key)}`;
        await withFileLock(path.join(this.projectDir, `.promote-${this.name}.config.lock`), () =>
            this.stack.setConfig(configKey, { value }, true),
        );
    }

    async up(reason: string): Promise<void> {
        const what = this.model ? `${reason} of model ${this.model}` : reason;
        this.onOutput(`pulumi up (${what})`);
        await queuedUpdate(
            () =>
                this.stack
                    .up({ onOutput: (line) => this.onOutput(line.trimEnd()), message: `promote: ${what}` })
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
