/**
 * The Node.js language host's part of a run, done the way Pulumi does it (sources in
 * docs/UPSTREAM.md):
 *
 * - {@link launchProgram}: what `pulumi-language-nodejs` does for `pulumi preview`/`up` — start
 *   `node` with Pulumi.yaml's `nodeargs` on the SDK's `cmd/run` entry, found from the program
 *   folder, with the language host's flags (`--monitor`, `--engine`, `--project`, `--stack`,
 *   `--pwd`, `--dry-run` …), the config in `PULUMI_CONFIG` and its secret keys in
 *   `PULUMI_CONFIG_SECRET_KEYS`.
 * - {@link runInline}: what the Automation API does for an inline program — the SDK's own
 *   language server runs a function in this process against the same monitor. Component tests
 *   use it; stacks always run as a process.
 */
import { spawn } from "node:child_process";
import * as os from "node:os";
import type { ProjectFile } from "./project";
import { UsageError } from "../errors";
import { programLocation } from "./project";

/** The organization the CLI passes for a self-managed backend. */
export const ORGANIZATION = "organization";

/** `pulumi up`'s default parallelism: four per CPU (GOMAXPROCS × 4). */
export const DEFAULT_PARALLEL = os.availableParallelism() * 4;

/**
 * Splits `nodeargs` as the language host does (google/shlex): words separated by blanks, quotes
 * group, a backslash escapes the next character outside single quotes.
 */
export function splitArgs(text: string): string[] {
    const words: string[] = [];
    let word: string | undefined;
    let quote: "'" | '"' | undefined;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quote === "'") {
            if (c === "'") quote = undefined;
            else word += c;
        } else if (c === "\\" && i + 1 < text.length && (quote === undefined || '"\\$`'.includes(text[i + 1]))) {
            word = (word ?? "") + text[++i];
        } else if (quote === '"') {
            if (c === '"') quote = undefined;
            else word += c;
        } else if (c === "'" || c === '"') {
            quote = c;
            word ??= "";
        } else if (/\s/.test(c)) {
            if (word !== undefined) words.push(word);
            word = undefined;
        } else {
            word = (word ?? "") + c;
        }
    }
    if (quote !== undefined) throw new UsageError(`nodeargs: unclosed ${quote} in ${JSON.stringify(text)}`);
    if (word !== undefined) words.push(word);
    return words;
}

/** What a program run needs, however it is started. */
interface RunContext {
    readonly stack: string;
    /** Full keys (`namespace:name`) to values. */
    readonly config: Readonly<Record<string, string>>;
    readonly secretKeys: readonly string[];
    /** Where the ResourceMonitor and Engine services listen. */
    readonly address: string;
    readonly dryRun: boolean;
}

export interface LaunchOptions extends RunContext {
    readonly project: ProjectFile;
    readonly parallel?: number;
    /** Extra environment for the program (tests). */
    readonly env?: Readonly<Record<string, string>>;
    /** Kills the program after this long. @default 180000 */
    readonly timeoutMs?: number;
}

export interface Launch {
    /** The command line, as the language host would run it. */
    readonly argv: readonly string[];
    readonly cwd: string;
    readonly env: Readonly<Record<string, string>>;
}

/** The command the language host runs: `node <nodeargs> <cmd/run> <flags> <entry point>`. */
export function languageHostCommand(options: LaunchOptions): Launch {
    const { project } = options;
    const { pwd, entryPoint } = programLocation(project);
    let runPath: string;
    try {
        runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [pwd] });
    } catch {
        throw new UsageError(
            `It looks like the Pulumi SDK has not been installed in ${pwd}. Have you run npm ci (pulumi install)?`,
        );
    }
    const flag = (name: string, value: string): string[] => (value ? [`--${name}`, value] : []);
    const argv = [
        ...splitArgs(project.runtime.nodeargs),
        runPath,
        ...flag("monitor", options.address),
        ...flag("engine", options.address),
        ...flag("organization", ORGANIZATION),
        ...flag("project", project.name),
        ...flag("root-directory", project.root),
        ...flag("stack", options.stack),
        ...flag("pwd", pwd),
        ...(options.dryRun ? ["--dry-run"] : []),
        ...flag("parallel", String(options.parallel ?? DEFAULT_PARALLEL)),
        entryPoint,
    ];
    // The language host's config encoding: `namespace:config:name` keys (its back-compatible form).
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.config)) {
        const at = key.indexOf(":");
        config[`${key.slice(0, at)}:config:${key.slice(at + 1)}`] = value;
    }
    const env: Record<string, string> = {
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(options.secretKeys),
        ...(project.runtime.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
        ...(project.runtime.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: project.runtime.tsconfig } : {}),
        ...options.env,
    };
    // The language host runs in the program folder (the CLI starts language plugins there), and so does node.
    return { argv, cwd: pwd, env };
}

export interface ProgramExit {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
    /** Wall time of the program process, in milliseconds. */
    readonly ms: number;
}

/** Runs the program as the language host does and waits for it to exit. */
export function launchProgram(options: LaunchOptions): Promise<ProgramExit> {
    const launch = languageHostCommand(options);
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...launch.argv], {
            cwd: launch.cwd,
            env: { ...stripPulumiRunEnv(process.env), ...launch.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()));
        const timeoutMs = options.timeoutMs ?? 180_000;
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            stderr += `\noffline engine: the program did not finish within ${timeoutMs / 1000} s and was stopped\n`;
        }, timeoutMs);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
        });
    });
}

/**
 * The settings `cmd/run` hands to later copies of the SDK through the environment: a program
 * started from inside another Pulumi program (a test, a command) must not inherit them. A user's
 * own setting passes, as the language host passes the CLI's environment on:
 * `PULUMI_NODEJS_TRANSPILE_ONLY=true` runs a TypeScript program through ts-node without its
 * type-check (cmd/run/run.ts), for a program a build step type-checks already.
 */
export function stripPulumiRunEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const out: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(env)) {
        const runSetting = k.startsWith("PULUMI_NODEJS_") && k !== "PULUMI_NODEJS_TRANSPILE_ONLY";
        if (runSetting || k === "PULUMI_CONFIG" || k === "PULUMI_CONFIG_SECRET_KEYS") continue;
        out[k] = v;
    }
    return out;
}

export interface InlineOptions extends RunContext {
    readonly project: string;
    /** The program: registers resources and returns the stack outputs. */
    readonly program: () => unknown;
}

interface RunRequestLike {
    setProject(v: string): unknown;
    setStack(v: string): unknown;
    setMonitorAddress(v: string): unknown;
    setDryrun(v: boolean): unknown;
    setParallel(v: number): unknown;
    setOrganization(v: string): unknown;
    setArgsList(v: string[]): unknown;
    setConfigsecretkeysList(v: string[]): unknown;
    getConfigMap(): { set(k: string, v: string): unknown };
}

/**
 * Runs `program` in this process the way the Automation API runs an inline program: the SDK's
 * own language server (`@pulumi/pulumi/automation/server`) resets the runtime, connects to the
 * monitor and engine at `address`, and runs it in a root stack. Rejects with what the program
 * threw.
 */
export function runInline(options: InlineOptions): Promise<void> {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { LanguageServer } = require("@pulumi/pulumi/automation/server") as {
        LanguageServer: new (program: () => unknown) => {
            run(call: { request: unknown }, callback: (err: unknown, resp: unknown) => void): Promise<void>;
        };
    };
    const { RunRequest } = require("@pulumi/pulumi/proto/language_pb") as { RunRequest: new () => RunRequestLike };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const request = new RunRequest();
    request.setProject(options.project);
    request.setStack(options.stack);
    request.setMonitorAddress(options.address);
    request.setDryrun(options.dryRun);
    request.setParallel(DEFAULT_PARALLEL);
    request.setOrganization(ORGANIZATION);
    // The language server takes the engine's address as its first argument.
    request.setArgsList([options.address]);
    for (const [k, v] of Object.entries(options.config)) request.getConfigMap().set(k, v);
    request.setConfigsecretkeysList([...options.secretKeys]);
    return new Promise((resolve, reject) => {
        let settled = false;
        void new LanguageServer(options.program).run({ request }, (err) => {
            // The server may answer twice when the program throws (the error, then a response).
            if (settled) return;
            settled = true;
            if (err) reject(err);
            else resolve();
        });
    });
}
