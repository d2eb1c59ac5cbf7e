/**
 * The promotion's real stack and prober: the Pulumi Automation API (LocalWorkspace over this
 * project, which needs the Pulumi CLI on PATH) and HTTP requests with a timeout.
 */
import * as automation from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { RELEASES_OUTPUT, type ReleaseContract } from "../../components/release";
import { chooseContract, contractsOf, splitConfigKey, stateOf, withConfigValue, withoutConfigValue } from "./contract";
import { ConfigError, resolveSettings } from "../../environments/loader";
import { evaluationSetProblems } from "./evaluationSets";
import { locateRelease, planDeploy, type ConfigPin } from "./deploy";
import { readProject } from "../engine/project";
import { describeHolder, tryLock } from "./locks";
import {
    abortable,
    PromotionError,
    type FlipRecord,
    type Held,
    StackBusyError,
    type Journal,
    type JournalStore,
    type Prober,
    type PromotionStack,
    type ReleaseState,
    type ServingState,
} from "./machine";

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
 * Takes the promotion lock of a model for the whole release: a second promotion of it from this
 * checkout stops at once; a lock left by a process that died is taken over (tools/promote/locks.ts).
 * (Across machines, CI's concurrency group and Pulumi's own update lock serialize promotions.)
 */
export async function takeLockFile(file: string, stackName: string, purpose = `promote ${stackName}`): Promise<Held> {
    const held = tryLock(file, purpose);
    if (!held)
        throw new PromotionError(
            `a promotion of stack ${stackName} is already in progress: ${describeHolder(file)} holds ${file}`,
        );
    return {
        release: async () => held.release(),
        ...(held.tookOver !== undefined ? { tookOver: held.tookOver } : {}),
    };
}

/** How long `up` waits for another update of the stack (another model's promotion) to finish. */
export interface UpdateQueue {
    /** Longest wait in all. @default 30 minutes */
    waitMs: number;
    /** Between attempts. @default 20 seconds */
    pollMs: number;
    sleep(ms: number): Promise<void>;
}

/**
 * The wait for another update of the stack, as ci/pulumi-stack.sh waits: STACK_LOCK_WAIT_SECONDS
 * (1800) in all, every STACK_LOCK_POLL_SECONDS (20). A value that is not a whole number of
 * seconds is refused with its name.
 */
export function updateQueueFrom(env: NodeJS.ProcessEnv): UpdateQueue {
    const seconds = (name: string, fallback: number): number => {
        const raw = env[name];
        if (raw === undefined || raw === "") return fallback;
        if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1)
            throw new PromotionError(`${name}: expected a whole number of seconds, at least 1, received "${raw}"`);
        return Number(raw);
    };
    return {
        waitMs: seconds("STACK_LOCK_WAIT_SECONDS", 1800) * 1000,
        pollMs: seconds("STACK_LOCK_POLL_SECONDS", 20) * 1000,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
}

const DEFAULT_QUEUE: UpdateQueue = {
    waitMs: 30 * 60_000,
    pollMs: 20_000,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Runs `fn` holding `file`, waiting up to `queue.waitMs` for a live holder (a lock left by a dead
 * one is taken over at once): the short lock around a write of the stack file, and the stack's
 * update lock, which two promotions of different models from one checkout would otherwise race on.
 */
export async function withFileLock<T>(
    file: string,
    fn: () => Promise<T>,
    queue: UpdateQueue = DEFAULT_QUEUE,
    purpose = "promote: stack file",
): Promise<T> {
    let held = tryLock(file, purpose);
    for (let waited = 0; !held; waited += queue.pollMs) {
        if (waited >= queue.waitMs)
            throw new StackBusyError(
                `${file} has been held for ${Math.round(waited / 1000)} s by ${describeHolder(file)}, which is still running`,
            );
        await queue.sleep(queue.pollMs);
        held = tryLock(file, purpose);
    }
    try {
        return await fn();
    } finally {
        held.release();
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
                throw new StackBusyError(
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

/** `pulumi config rm --path <key>`: the key gone, so the program's default applies (a colour's image: the stack's build). */
export function removeConfigArgs(key: string, stackName: string): string[] {
    return ["config", "rm", "--path", key, "--stack", stackName, "--non-interactive"];
}

/**
 * `pulumi config set-all --json <values>` for the top-level `keys` of `values` (as `pulumi config
 * --json` gives them: objects JSON-encoded): each written whole, its types kept (the CLI reads an
 * object from `value` when `objectValue` is given; pulumi/pulumi v3.248.0
 * pkg/cmd/pulumi/config/config.go newConfigSetAllCmd).
 */
export function setAllConfigArgs(
    values: Readonly<Record<string, string>>,
    keys: readonly string[],
    stackName: string,
): string[] {
    const json = Object.fromEntries(
        keys
            .filter((k) => values[k] !== undefined)
            .map((k) => {
                let object: unknown;
                try {
                    object = JSON.parse(values[k]);
                } catch {
                    object = undefined;
                }
                return [
                    k,
                    typeof object === "object" && object !== null
                        ? { value: values[k], objectValue: object, secret: false }
                        : { value: values[k], secret: false },
                ];
            }),
    );
    return ["config", "set-all", "--json", JSON.stringify(json), "--stack", stackName, "--non-interactive"];
}

/**
 * The folder of a project's release state (promotion locks, the stack's update lock, journals):
 * the project folder, or `<stateDir>/<project name>` (created) when a shared folder is given, so
 * that every checkout on a machine (each CI job's, each runner's) takes the same locks and reads
 * the same journal, and two projects with a stack of the same name do not meet there.
 */
export function releaseStateDir(projectDir: string, stateDir: string | undefined, stackName = ""): string {
    if (stateDir === undefined || stateDir === "") return projectDir;
    let name = path.basename(projectDir);
    try {
        name = readProject(projectDir).name;
    } catch {
        // No readable Pulumi.yaml: the Automation API reports that itself; the folder's name meanwhile.
    }
    // The stack as given (org/project/stack on Pulumi Cloud): two organisations' `prod` differ.
    const dir = path.join(
        path.resolve(stateDir),
        name,
        ...(stackName.includes("/") ? [stackName.replace(/\//g, "+")] : []),
    );
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

/**
 * Why a run naming `stackName` without its organization would miss the release state the
 * workflows keep under its qualified name (`acme/prod` → `<stateDir>/<project>/acme+prod/`), or
 * undefined: its journals and locks would be others, and a recovery would find nothing to recover.
 */
export function stateDirProblem(
    projectDir: string,
    stateDir: string | undefined,
    stackName: string,
): string | undefined {
    if (stateDir === undefined || stateDir === "" || stackName.includes("/")) return undefined;
    const base = releaseStateDir(projectDir, stateDir);
    const qualified = fs
        .readdirSync(base, { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name.endsWith(`+${stackName}`))
        .filter((d) => fs.readdirSync(path.join(base, d.name)).some((f) => f.startsWith(`.promote-${stackName}.`)))
        .map((d) => d.name.replace(/\+/g, "/"));
    return qualified.length === 0
        ? undefined
        : `--stack ${stackName}: the release state folder ${base} keeps the journals and locks of ${qualified.join(" and ")} under the stack's full name (as the workflows name it): run with --stack ${qualified[0]}, so that this run takes the same locks and reads the same journals`;
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
    /** The other models' pins {@link readState} found: what {@link check} applies in memory (each {@link deploy} pins them again, as they run then). */
    private pending: ConfigPin[] = [];

    /** Use {@link AutomationStack.select}; the constructor takes any {@link AutomationTarget} (tests pass a fake). */
    constructor(
        readonly name: string,
        private readonly stack: AutomationTarget,
        private readonly projectDir: string,
        private readonly requested: string | undefined,
        private readonly policy: PolicyPacks,
        private readonly onOutput: (line: string) => void,
        /** How long an update waits for another of the stack (and a write for the stack file's lock). */
        private readonly queue: UpdateQueue = DEFAULT_QUEUE,
        /** Where the promotion locks, the stack's update lock and the journals live (see {@link releaseStateDir}). */
        private readonly stateDir: string = projectDir,
        /** The stack as the run named it (see {@link PromotionStack.given}). */
        readonly given?: string,
    ) {}

    /** Selects an existing stack of the project in `projectDir` to release `model` of; clear errors when it or the CLI is missing. */
    static async select(
        projectDir: string,
        stackName: string,
        policy: PolicyPacks,
        onOutput: (line: string) => void,
        model?: string,
        /** A folder shared by the runs that release this stack (`--state-dir`); unset: the project's. */
        stateDir?: string,
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
        const problem = stateDirProblem(projectDir, stateDir, stackName);
        if (problem !== undefined) throw new PromotionError(problem);
        return new AutomationStack(
            shortStackName(stackName),
            stack,
            projectDir,
            model,
            policy,
            onOutput,
            updateQueueFrom(process.env),
            releaseStateDir(projectDir, stateDir, stackName),
            stackName,
        );
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
        await this.writeConfig(
            pins.map((p) => [`${p.configKey}.${p.path}`, p.type === "bool" ? p.value === "true" : p.value] as const),
        );
    }

    /**
     * Writes `changes` (config key with its path → value; undefined removes it) over this
     * checkout's copy of the stack config, under the stack file's lock, typed: a boolean stays one,
     * a version such as 3 stays a string. One `pulumi config set-all --json` for every object they
     * touch (read, changed in memory, written whole); `config set --path --type` and `config rm
     * --path`, key by key, for an object holding a secret (which --json would write back in plain text).
     */
    async writeConfig(changes: ReadonlyArray<readonly [string, string | boolean | undefined]>): Promise<void> {
        if (changes.length === 0) return;
        const command = this.stack.workspace.pulumiCommand.command;
        await withFileLock(
            path.join(this.projectDir, `.promote-${this.name}@config.lock`),
            async () => {
                const all = await this.stack.getAllConfig();
                const touched = [...new Set(changes.map(([k]) => splitConfigKey(k).key))];
                if (touched.some((k) => all[k]?.secret)) {
                    for (const [key, value] of changes)
                        await runPulumi(
                            command,
                            value === undefined
                                ? removeConfigArgs(key, this.stack.name)
                                : typeof value === "boolean"
                                  ? typedConfigArgs(key, value, this.stack.name)
                                  : stringConfigArgs(key, value, this.stack.name),
                            this.projectDir,
                        );
                    return;
                }
                let values: Record<string, string> = Object.fromEntries(
                    Object.entries(all).map(([k, v]) => [k, v.value]),
                );
                for (const [key, value] of changes)
                    values =
                        value === undefined ? withoutConfigValue(values, key) : withConfigValue(values, key, value);
                await runPulumi(command, setAllConfigArgs(values, touched, this.stack.name), this.projectDir);
            },
            this.queue,
        );
    }

    /**
     * `pulumi up` with the policy packs, for the deploy's own update (not one model's). `prepare`
     * runs before each attempt, so that what it pins is read again after another update held the
     * stack (a manual release that flipped a model meanwhile).
     */
    async update(
        message: string,
        prepare: () => Promise<void> = async () => {},
        queue: UpdateQueue = this.queue,
        /** Cancels the update (the CLI's second signal: a graceful cancel) and ends a wait for the stack. */
        signal?: AbortSignal,
    ): Promise<void> {
        this.onOutput(`pulumi up (${message}) with the policy packs ${this.policy.packs.join(", ")}`);
        const waiting: UpdateQueue = signal ? { ...queue, sleep: this.abortableSleep(queue, signal) } : queue;
        // Under the stack's update lock, as each promotion's update: the pins and the update are one step.
        await withFileLock(
            path.join(this.stateDir, `.promote-${this.name}@update.lock`),
            () =>
                queuedUpdate(
                    async () => {
                        await prepare();
                        if (signal?.aborted)
                            throw new StackBusyError("stopped before the update began (a second signal)");
                        await this.stack.up({
                            ...promotionUpOptions(this.policy, message),
                            ...(signal ? { signal } : {}),
                            onOutput: (l) => this.onOutput(l.trimEnd()),
                        });
                    },
                    this.name,
                    this.onOutput,
                    waiting,
                ),
            waiting,
            `deploy ${this.name}`,
        );
    }

    /** `queue`'s sleep, ended by `signal` (a wait for the stack stops at the second signal too). */
    private abortableSleep(queue: UpdateQueue, signal: AbortSignal | undefined): UpdateQueue["sleep"] {
        return (ms) =>
            abortable(
                () => queue.sleep(ms),
                signal,
                () => new StackBusyError("stopped while waiting for the stack"),
            );
    }

    /**
     * `pulumi preview --diff --refresh` with the policy packs, in plain text: what {@link update}
     * would do, drift included.
     */
    async previewUpdate(message: string, signal?: AbortSignal): Promise<void> {
        this.onOutput(`pulumi preview (${message}) with the policy packs ${this.policy.packs.join(", ")}`);
        await this.stack.preview({
            ...promotionUpOptions(this.policy, message),
            ...(signal ? { signal } : {}),
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
        // This model's own release object is written whole by each deploy: only the others are pinned.
        this.pending = pins.filter((p) => p.model !== contract.model);
        // The state is what the stack runs (the contract, every pin of this model), never what the
        // runner's copy of the stack file says: an earlier run may have left it anywhere.
        const { configKey: located, ...state } = stateOf({ ...contract, configKey }, this.pinned(values, pins));
        this.configKey = located;
        // A colour the contract shows without an image runs the stack's own build: never the image
        // the runner's copy of the stack file may name.
        for (const c of ["blue", "green"] as const)
            if (contract.releases[c].image === null) state.releases[c] = { ...state.releases[c], image: undefined };
        return state;
    }

    /** `values` with `pins` applied, in memory. */
    private pinned(values: Readonly<Record<string, string>>, pins: readonly ConfigPin[]): Record<string, string> {
        return pins.reduce<Record<string, string>>(
            (v, p) =>
                p.value === undefined
                    ? withoutConfigValue(v, `${p.configKey}.${p.path}`)
                    : withConfigValue(v, `${p.configKey}.${p.path}`, p.type === "bool" ? p.value === "true" : p.value),
            { ...values },
        );
    }

    /** The stack's config values with the model's release object set to `state`, in memory. */
    private withRelease(values: Readonly<Record<string, string>>, state: ReleaseState): Record<string, string> {
        return releaseKeys(state).reduce(
            (v, [key, value]) =>
                value === undefined
                    ? withoutConfigValue(v, `${this.configKey}.${key}`)
                    : withConfigValue(v, `${this.configKey}.${key}`, value),
            { ...values },
        );
    }

    /**
     * The release states the promotion will deploy, checked as the stack's program checks them,
     * before anything is written: the stack's config with the pins and each state applied in
     * memory. A problem is a PromotionError naming each key.
     */
    async check(states: ReadonlyArray<ReleaseState>): Promise<void> {
        if (!this.configKey) throw new Error("check before readState");
        const all = await this.stack.getAllConfig();
        const values = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
        const secretKeys = Object.entries(all)
            .filter(([, v]) => v.secret)
            .map(([k]) => k);
        const pinned = this.pinned(values, this.pending);
        for (const state of states) {
            try {
                const settings = resolveSettings(this.name, this.withRelease(pinned, state), { secretKeys });
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

    /** Writes the model's whole release object: every key, an unset image removed. */
    private async writeRelease(state: ReleaseState): Promise<void> {
        await this.writeConfig(releaseKeys(state).map(([key, value]) => [`${this.configKey}.${key}`, value] as const));
    }

    /**
     * Deploys `state` as the model's release: under the stack's update lock (one update of the
     * stack at a time from this checkout), every other model pinned to what it runs, this model's
     * whole release object written, then `pulumi up` with the policy packs, waiting while another
     * update of the stack runs. `signal` stops the update (the CLI's SIGINT: a graceful cancel).
     */
    async deploy(state: ReleaseState, reason: string, signal?: AbortSignal): Promise<void> {
        if (!this.model || !this.configKey) throw new Error("deploy before readState");
        const what = `${reason} of model ${this.model}`;
        this.onOutput(`pulumi up (${what}) with the policy packs ${this.policy.packs.join(", ")}`);
        const upOptions = promotionUpOptions(this.policy, `promote: ${what}`);
        // A wait for the stack (another update, another job's lock) ends at the second signal too.
        const queue: UpdateQueue = { ...this.queue, sleep: this.abortableSleep(this.queue, signal) };
        await withFileLock(
            path.join(this.stateDir, `.promote-${this.name}@update.lock`),
            () =>
                queuedUpdate(
                    async () => {
                        // Another model may have been released or rolled back since the last update.
                        await this.pinOthers();
                        await this.writeRelease(state);
                        // An abort before up() began never reaches it (the API only listens for one).
                        if (signal?.aborted)
                            throw new StackBusyError("stopped before the update began (a second signal)");
                        await this.stack.up({
                            ...upOptions,
                            ...(signal ? { signal } : {}),
                            onOutput: (line) => this.onOutput(line.trimEnd()),
                        });
                    },
                    this.name,
                    this.onOutput,
                    queue,
                ),
            queue,
            `promote ${this.name}: ${what}`,
        );
    }

    lock(): Promise<Held> {
        if (!this.model) throw new Error("lock before readState");
        return takeLockFile(
            lockFileFor(this.stateDir, this.name, this.model),
            this.name,
            `promote ${this.name}/${this.model}`,
        );
    }

    /** The model's release journal: a file beside its lock, replaced atomically. */
    get journal(): JournalStore {
        if (!this.model) throw new Error("journal before readState");
        return fileJournal(journalFileFor(this.stateDir, this.name, this.model));
    }
}

/** Where a model's release journal lives: beside its promotion lock. */
export function journalFileFor(projectDir: string, stackName: string, model: string): string {
    return path.join(projectDir, `.promote-${shortStackName(stackName)}.${model}.journal.json`);
}

/** A journal kept in `file`: missing is empty; written to a temporary file and renamed over it. */
export function fileJournal(file: string): JournalStore {
    return {
        read: async () => {
            let text: string;
            try {
                text = fs.readFileSync(file, "utf8");
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
                throw e;
            }
            const refuse = (why: string): PromotionError =>
                new PromotionError(
                    `${file} is not a release journal (${why}): restore it, or delete it once the stack is checked to serve what it should (promote --recover then checks it)`,
                );
            let journal: unknown;
            try {
                journal = JSON.parse(text);
            } catch {
                throw refuse(`not JSON: ${text.slice(0, 60)}`);
            }
            const problem = journalProblem(journal);
            if (problem !== undefined) throw refuse(problem);
            return journal as Journal;
        },
        write: async (journal) => {
            const temporary = `${file}.${process.pid}.tmp`;
            // On disk before it replaces the old one (a host that crashes leaves one or the other whole).
            const fd = fs.openSync(temporary, "w");
            try {
                fs.writeFileSync(fd, `${JSON.stringify(journal, null, 2)}\n`);
                fs.fsyncSync(fd);
            } finally {
                fs.closeSync(fd);
            }
            fs.renameSync(temporary, file);
            const dir = fs.openSync(path.dirname(file), "r");
            try {
                fs.fsyncSync(dir);
            } finally {
                fs.closeSync(dir);
            }
        },
    };
}

/** Why `value` is not a release journal as {@link fileJournal} writes it, or undefined. */
export function journalProblem(value: unknown): string | undefined {
    const isRecord = (s: unknown): boolean => {
        const r = s as FlipRecord | undefined;
        return (
            typeof r === "object" &&
            r !== null &&
            (r.activeColor === "blue" || r.activeColor === "green") &&
            (["blue", "green"] as const).every(
                (c) =>
                    typeof r.releases?.[c]?.modelVersion === "string" &&
                    (r.releases[c].image === undefined || typeof r.releases[c].image === "string"),
            )
        );
    };
    const isState = (s: unknown): boolean => {
        const r = s as ReleaseState | undefined;
        return (
            isRecord(r) &&
            typeof r?.scaleDownInactive === "boolean" &&
            (r.lastFlip === undefined || isRecord(r.lastFlip))
        );
    };
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
    const j = value as Journal;
    if (j.good !== undefined && !isState(j.good.state)) return "good.state is not a release state";
    if (j.current !== undefined) {
        const c = j.current;
        if (c.kind !== "promote" && c.kind !== "rollback") return "current.kind is not promote or rollback";
        if (!isState(c.before) || !isState(c.target)) return "current.before or current.target is not a release state";
        if (!Array.isArray(c.steps) || c.steps.some((s) => typeof s !== "string"))
            return "current.steps is not a list of steps";
    }
    return undefined;
}

/** The config keys of a release state, under the model's release object: undefined removes the key. */
export function releaseKeys(state: ReleaseState): Array<[string, string | boolean | undefined]> {
    const flip = state.lastFlip;
    return [
        ["activeColor", state.activeColor],
        ["scaleDownInactive", state.scaleDownInactive],
        ...(["blue", "green"] as const).flatMap((c): Array<[string, string | undefined]> => [
            [`${c}.modelVersion`, state.releases[c].modelVersion],
            [`${c}.image`, state.releases[c].image],
        ]),
        // The record of the last flip goes with every state (removed whole when there is none).
        ...(flip === undefined
            ? [["lastFlip", undefined] as [string, undefined]]
            : [
                  ["lastFlip.activeColor", flip.activeColor] as [string, string],
                  ...(["blue", "green"] as const).flatMap((c): Array<[string, string | undefined]> => [
                      [`lastFlip.${c}.modelVersion`, flip.releases[c].modelVersion],
                      [`lastFlip.${c}.image`, flip.releases[c].image],
                  ]),
              ]),
    ];
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
