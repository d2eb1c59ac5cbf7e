/**
 * The promotion's real stack and prober: the Pulumi Automation API (LocalWorkspace over this
 * project, which needs the Pulumi CLI on PATH) and HTTP requests with a timeout.
 */
import * as automation from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { RELEASES_OUTPUT, type ReleaseContract } from "../../components/release";
import { chooseContract, contractsOf, stateOf, withConfigValue } from "./contract";
import { ConfigError, resolveSettings } from "../../environments/loader";
import { evaluationSetProblems } from "./evaluationSets";
import { locateRelease, planDeploy, type ConfigPin } from "./deploy";
import { PromotionError, type Prober, type PromotionStack, type ServingState } from "./machine";

/** The stack outputs a promotion reads besides the release contracts: the registry's URL. */
export interface PromotionOutputs {
    modelRegistryUrl?: string | null;
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
 * that two models of a stack can be released at once (their `pulumi up`s queue: see `up`).
 */
export function lockFileFor(projectDir: string, stackName: string, model: string): string {
    return path.join(projectDir, `.promote-${shortStackName(stackName)}.${model}.lock`);
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

/** The policy packs every update of a promotion runs with, and their configs (none, or one per pack). */
export interface PolicyPacks {
    packs: string[];
    configs: string[];
}

/**
 * Every update a promotion makes runs with the policy packs, as `pulumi up --policy-pack <dir>
 * --policy-pack-config <file>` does in CI: a release that breaks a standard stops there.
 */
export function promotionUpOptions(
    policy: PolicyPacks,
    message: string,
): { policyPacks: string[]; policyPackConfigs?: string[]; message: string } {
    return {
        policyPacks: [...policy.packs],
        ...(policy.configs.length > 0 ? { policyPackConfigs: [...policy.configs] } : {}),
        message,
    };
}

/** `pulumi config set --path <key> <value> --type bool`: a boolean in the stack file, not the string "false". */
export function typedConfigArgs(key: string, value: boolean, stackName: string): string[] {
    return ["config", "set", "--path", key, String(value), "--type", "bool", "--stack", stackName, "--non-interactive"];
}

/** `pulumi config set --path <key> <value> --type string`: a string in the stack file, whatever it looks like. */
export function stringConfigArgs(key: string, value: string, stackName: string): string[] {
    return ["config", "set", "--path", key, value, "--type", "string", "--stack", stackName, "--non-interactive"];
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
 * What the promotion uses of an Automation API stack: its config and outputs, `pulumi up` and
 * `preview`, and the CLI it runs: every config value is written by `pulumi config set --path
 * --type`, which the API's untyped setConfig cannot express.
 */
export type AutomationTarget = Pick<automation.Stack, "name" | "getAllConfig" | "outputs" | "up" | "preview"> & {
    readonly workspace: { readonly pulumiCommand: { readonly command: string } };
};

export class AutomationStack implements PromotionStack {
    private configKey: string | undefined;
    private model: string | undefined;
    /** Pins {@link readState} found, written before the first change ({@link setServing} or {@link up}), never before {@link check}. */
    private pending: ConfigPin[] = [];

    /** Use {@link AutomationStack.select}; the constructor takes any {@link AutomationTarget} (tests pass a fake). */
    constructor(
        readonly name: string,
        private readonly stack: AutomationTarget,
        private readonly projectDir: string,
        private readonly requested: string | undefined,
        private readonly policy: PolicyPacks,
        private readonly onOutput: (line: string) => void,
    ) {}

    /** Selects an existing stack of the project in `projectDir` to release `model` of; clear errors when it or the CLI is missing. */
    static async select(
        projectDir: string,
        stackName: string,
        policy: PolicyPacks,
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
                    "the Pulumi CLI is not installed or not on PATH: promote and deploy drive real stacks through it (https://www.pulumi.com/docs/install/)",
                );
            }
            throw e;
        }
        return new AutomationStack(shortStackName(stackName), stack, projectDir, model, policy, onOutput);
    }

    /** The stack's configuration values (objects JSON-encoded, as `pulumi config --json` gives them). */
    async config(): Promise<Record<string, string>> {
        const all = await this.stack.getAllConfig();
        return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
    }

    /** Every output of the stack's last update, plain. */
    private async allOutputs(): Promise<Record<string, unknown>> {
        return Object.fromEntries(Object.entries(await this.stack.outputs()).map(([k, v]) => [k, v.value]));
    }

    /** The outputs a promotion reads besides the contracts (none before the stack's first update). */
    async outputs(): Promise<PromotionOutputs> {
        return { modelRegistryUrl: (await this.allOutputs()).modelRegistryUrl as string | null | undefined };
    }

    /** The models the stack's release contracts name, in order (what --all releases). */
    async models(): Promise<string[]> {
        return contractsOf(await this.allOutputs(), this.name).map((c) => c.model);
    }

    /** The release contracts of the stack's last update; none before its first, or when the program exports none. */
    async contracts(): Promise<ReleaseContract[]> {
        const outputs = await this.allOutputs();
        return outputs[RELEASES_OUTPUT] === undefined ? [] : contractsOf(outputs, this.name);
    }

    /**
     * Writes `pins` over this checkout's copy of the stack config (the runner's, never committed):
     * what the next update must keep as the stack runs it.
     */
    async pin(pins: readonly ConfigPin[]): Promise<void> {
        if (pins.length === 0) return;
        await withFileLock(path.join(this.projectDir, `.promote-${this.name}.config.lock`), async () => {
            // The CLI with --type string: `config set --path` would store a version such as 3 as a number.
            for (const p of pins)
                await runPulumi(
                    this.stack.workspace.pulumiCommand.command,
                    p.type === "bool"
                        ? typedConfigArgs(`${p.configKey}.${p.path}`, p.value === "true", this.stack.name)
                        : stringConfigArgs(`${p.configKey}.${p.path}`, p.value, this.stack.name),
                    this.projectDir,
                );
        });
    }

    /**
     * `pulumi up` with the policy packs, for the deploy's own update (not one model's). `prepare`
     * runs before each attempt, so that what it pins is read again after another update held the
     * stack (a manual release that flipped a model meanwhile).
     */
    async update(
        message: string,
        prepare: () => Promise<void> = async () => {},
        queue: UpdateQueue = DEFAULT_QUEUE,
    ): Promise<void> {
        this.onOutput(`pulumi up (${message}) with the policy packs ${this.policy.packs.join(", ")}`);
        await queuedUpdate(
            async () => {
                await prepare();
                await this.stack.up({
                    ...promotionUpOptions(this.policy, message),
                    onOutput: (l) => this.onOutput(l.trimEnd()),
                });
            },
            this.name,
            this.onOutput,
            queue,
        );
    }

    /**
     * `pulumi preview --diff --refresh` with the policy packs, in plain text: what {@link update}
     * would do, drift included.
     */
    async previewUpdate(message: string): Promise<void> {
        this.onOutput(`pulumi preview (${message}) with the policy packs ${this.policy.packs.join(", ")}`);
        await this.stack.preview({
            ...promotionUpOptions(this.policy, message),
            diff: true,
            refresh: true,
            color: "never",
            onOutput: (l) => this.onOutput(l.trimEnd()),
        });
    }

    /**
     * The model's serving state. Every blue-green model, this one included, is first pinned to
     * what it runs (tools/promote/deploy.ts): its serving colour and both colours' releases. So
     * this promotion's updates change nothing the stack file or its defaults say, and it flips to
     * what its inactive colour runs unless it is given a release (`image`, `modelVersion`); a
     * rollback flips to exactly what ran before. The model is found in the file by its name.
     */
    async readState(): Promise<ServingState> {
        const contracts = contractsOf(await this.allOutputs(), this.name);
        const contract = chooseContract(contracts, this.name, this.requested);
        const values = await this.config();
        const configKey = locateRelease(values, contract);
        if (configKey === undefined)
            throw new PromotionError(
                `model ${contract.model} of stack ${this.name} is no longer in the stack file's list: deploy the file first (it removes the model), or put it back`,
            );
        this.model = contract.model;
        const pins = planDeploy(contracts, values, this.name).pins;
        // Written before the first change: a refusal before it leaves the stack file as it was.
        this.pending = [
            ...pins.filter((p) => p.model !== contract.model),
            ...pins.filter((p) => p.model === contract.model && !p.type),
        ];
        const { configKey: located, ...state } = stateOf({ ...contract, configKey }, this.pinned(values, this.pending));
        this.configKey = located;
        return state;
    }

    /** `values` with `pins` applied, in memory. */
    private pinned(values: Readonly<Record<string, string>>, pins: readonly ConfigPin[]): Record<string, string> {
        return pins.reduce<Record<string, string>>(
            (v, p) => withConfigValue(v, `${p.configKey}.${p.path}`, p.type === "bool" ? p.value === "true" : p.value),
            { ...values },
        );
    }

    /**
     * The settings the promotion will produce, checked as the stack's program checks them, before
     * anything is written: the stack's config with the pins and `changes` applied in memory. A
     * problem is a PromotionError naming each key.
     */
    async check(changes: ReadonlyArray<{ path: string; value: string | boolean }>): Promise<void> {
        if (!this.configKey) throw new Error("check before readState");
        const all = await this.stack.getAllConfig();
        const values = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
        const secretKeys = Object.entries(all)
            .filter(([, v]) => v.secret)
            .map(([k]) => k);
        const after = changes.reduce(
            (v, c) => withConfigValue(v, `${this.configKey}.${c.path}`, c.value),
            this.pinned(values, this.pending),
        );
        try {
            const settings = resolveSettings(this.name, after, { secretKeys });
            // The files the settings name, as the program reads them at its `up`.
            const sets = evaluationSetProblems(settings, this.projectDir);
            if (sets.length > 0) throw new ConfigError(this.name, sets);
        } catch (e) {
            if (!(e instanceof ConfigError)) throw e;
            throw new PromotionError(
                `the stack's settings after this promotion would be refused by its program, so nothing was changed:\n${e.problems.map((p) => `  ${p.key}: ${p.expected}, received ${p.received}`).join("\n")}`,
            );
        }
    }

    /** Writes the pins {@link readState} found, once. */
    private async flush(): Promise<void> {
        const pins = this.pending;
        this.pending = [];
        await this.pin(pins);
    }

    /** Pins every other model to what it runs now (before each of this promotion's updates). */
    private async pinOthers(): Promise<void> {
        const contracts = contractsOf(await this.allOutputs(), this.name);
        await this.pin(
            planDeploy(contracts, await this.config(), this.name).pins.filter((p) => p.model !== this.model),
        );
    }

    /** The model released (after {@link readState}). */
    get modelName(): string | undefined {
        return this.model;
    }

    /** Where the model's release object is in the stack file (after {@link readState}). */
    get releaseKey(): string | undefined {
        return this.configKey;
    }

    async setServing(key: string, value: string | boolean): Promise<void> {
        if (!this.configKey) throw new Error("setServing before readState");
        await this.flush();
        const configKey = `${this.configKey}.${key}`;
        // The CLI, typed: the Automation API stores every value untyped, and `--path` would store a
        // version such as 3 as a number, or true as a string.
        await withFileLock(path.join(this.projectDir, `.promote-${this.name}.config.lock`), () =>
            runPulumi(
                this.stack.workspace.pulumiCommand.command,
                typeof value === "boolean"
                    ? typedConfigArgs(configKey, value, this.stack.name)
                    : stringConfigArgs(configKey, value, this.stack.name),
                this.projectDir,
            ),
        );
    }

    async up(reason: string): Promise<void> {
        if (!this.model) throw new Error("up before readState");
        await this.flush();
        const what = `${reason} of model ${this.model}`;
        this.onOutput(`pulumi up (${what}) with the policy packs ${this.policy.packs.join(", ")}`);
        const upOptions = promotionUpOptions(this.policy, `promote: ${what}`);
        await queuedUpdate(
            async () => {
                // Another model may have been released or rolled back since the last update.
                await this.pinOthers();
                await this.stack.up({ ...upOptions, onOutput: (line) => this.onOutput(line.trimEnd()) });
            },
            this.name,
            this.onOutput,
        );
    }

    lock(): Promise<() => Promise<void>> {
        if (!this.model) throw new Error("lock before readState");
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
