/**
 * The offline engine: runs a stack's program the way the Pulumi CLI does and captures every
 * registered resource as `pulumi stack export` would record it.
 *
 * {@link runStack} is `pulumi preview` / `pulumi up` without a cloud: it reads and validates the
 * project and stack config as the CLI does, serves the ResourceMonitor and Engine services itself
 * ({@link OfflineMonitor}), and launches the program as the Node.js language host does (a `node`
 * process on the SDK's `cmd/run` entry, with Pulumi.yaml's `nodeargs`). Only the provider answers
 * are the engine's own. {@link runProgram} runs a function (a component under test) against the
 * same monitor, in this process, as the Automation API runs an inline program.
 */
import * as path from "node:path";
import { isConfigErrorMessage } from "../../catalog/configErrors";
import { launchProgram, runInline, type ProgramExit } from "./host";
import { OFFLINE_ACCOUNT_ID, type CloudContext } from "./mocks";
import { listen } from "./listen";
import type { OfflineMonitor } from "./monitor";
import { ProgramError, type Diagnostic, type PlanMode } from "./outcome";
import { readProject } from "./project";
import { readStackConfig } from "./stackConfig";
import { SECRET_SIG, SECRET_SIG_VALUE, type ResourceSink, type StackExport } from "./stackExport";

export { ProgramError, type Diagnostic, type PlanMode };

export interface RunOptions {
    /** Folder holding Pulumi.yaml. */
    readonly projectDir: string;
    readonly stack: string;
    /**
     * `preview`: what a first `pulumi preview` knows (computed outputs unknown); `update`: what
     * `pulumi up` leaves behind (realistic outputs).
     * @default "preview"
     */
    readonly mode?: PlanMode;
    /** Overrides or adds config values (full keys) after the stack file, as `pulumi config set` would. */
    readonly configOverrides?: Readonly<Record<string, string>>;
    readonly accountId?: string;
    /** Receives every captured resource as it registers, also when the program then fails. */
    readonly sink?: ResourceSink;
    /** Environment variables for the program process, over this process's own. */
    readonly env?: Readonly<Record<string, string>>;
}

export interface RunResult {
    readonly project: string;
    readonly stack: string;
    readonly mode: PlanMode;
    readonly export: StackExport;
    /** Stack outputs, secrets replaced by `[secret]`. */
    readonly outputs: Record<string, unknown>;
    /** ESC environments named by the stack file, which offline runs cannot open. */
    readonly environments: readonly string[];
    /** What the program logged through the engine (warnings, errors). */
    readonly diagnostics: readonly Diagnostic[];
    /** The invokes (data source tokens) the program sent, in order. */
    readonly invokes: readonly string[];
    /** What the program process printed (stdout, then stderr); empty for an inline program. */
    readonly output: string;
}

/** The Pulumi CLI version whose export format this mirrors. */
const EXPORT_VERSION = "v3.248.0";

function context(project: string, stack: string, config: Readonly<Record<string, string>>, accountId?: string) {
    const ctx: CloudContext = {
        project,
        stack,
        region: config["aws:region"] ?? "us-east-1",
        accountId: accountId ?? OFFLINE_ACCOUNT_ID,
    };
    return ctx;
}

/**
 * Runs the project's program for `stack` as `pulumi preview` (or `up`) would and returns the
 * captured deployment. Project and stack files the CLI would refuse are a UsageError; a failing
 * program is a {@link ProgramError} carrying what it logged.
 */
export async function runStack(options: RunOptions): Promise<RunResult> {
    const projectDir = path.resolve(options.projectDir);
    const mode = options.mode ?? "preview";
    const project = readProject(projectDir);
    const stackConfig = readStackConfig(projectDir, project, options.stack, options.configOverrides);
    // The program starts as soon as the engine's port is open; the engine loads while the program
    // loads its SDKs (its first call waits for the engine, never fails for being early).
    const listening = await listen();
    let exited: Promise<ProgramExit> | undefined;
    try {
        exited = launchProgram({
            project,
            stack: options.stack,
            config: stackConfig.values,
            secretKeys: stackConfig.secretKeys,
            address: listening.address,
            dryRun: mode === "preview",
            env: options.env,
        });
        // Awaited below; a spawn failure while the engine loads is reported there, not unhandled.
        exited.catch(() => undefined);
        const { OfflineMonitor } = await import("./monitor");
        const monitor = new OfflineMonitor({
            ctx: context(project.name, options.stack, stackConfig.values, options.accountId),
            mode,
            config: stackConfig.values,
            secretKeys: stackConfig.secretKeys,
            sink: options.sink,
            root: project.root,
        });
        monitor.serveOn(listening);
        const exit = await exited;
        const errors = monitor.diagnostics.filter((d) => d.severity === "error");
        if (exit.code !== 0 || errors.length > 0) {
            const output = `${exit.stdout}${exit.stderr}`;
            const message =
                errors.length > 0
                    ? errors.map((d) => stripAnsi(d.message)).join("\n")
                    : `the program exited with ${exit.signal ?? `code ${exit.code}`}${output.trim() ? `:\n${output.trim()}` : ""}`;
            throw new ProgramError(
                message,
                errors.length > 0 && errors.every((d) => isConfigErrorMessage(d.message)),
                monitor.diagnostics,
                monitor.resources(),
                output,
            );
        }
        return {
            ...result(project.name, options.stack, monitor),
            environments: stackConfig.environments,
            output: `${exit.stdout}${exit.stderr}`,
        };
    } finally {
        listening.stop();
        // Had the engine failed to load, the program, its engine gone, ends at its next call.
        await exited?.catch(() => undefined);
    }
}

export interface ProgramOptions {
    readonly project: string;
    readonly stack: string;
    /** Full config keys to the strings the program sees. */
    readonly config: Readonly<Record<string, string>>;
    readonly secretKeys?: readonly string[];
    /** The program: registers resources and returns the stack outputs. */
    readonly program: () => unknown;
    /** @default "update" */
    readonly mode?: PlanMode;
    readonly accountId?: string;
    readonly sink?: ResourceSink;
}

/**
 * Runs a function (a component under test, a library user's program) in this process against
 * the offline monitor, as an Automation API inline program, and returns what it registered.
 * Rejects with what the program threw.
 */
export async function runProgram(options: ProgramOptions): Promise<Omit<RunResult, "environments">> {
    const mode = options.mode ?? "update";
    const secretKeys = options.secretKeys ?? [];
    const { OfflineMonitor } = await import("./monitor");
    const monitor = new OfflineMonitor({
        ctx: context(options.project, options.stack, options.config, options.accountId),
        mode,
        config: options.config,
        secretKeys,
        sink: options.sink,
    });
    const address = await monitor.start();
    try {
        await runInline({
            project: options.project,
            stack: options.stack,
            config: options.config,
            secretKeys,
            address,
            dryRun: mode === "preview",
            program: options.program,
        });
    } finally {
        monitor.stop();
    }
    return { ...result(options.project, options.stack, monitor), output: "" };
}

function result(project: string, stack: string, monitor: OfflineMonitor): Omit<RunResult, "environments" | "output"> {
    return {
        project,
        stack,
        mode: monitor.mode,
        export: {
            version: 3,
            deployment: {
                manifest: { time: new Date().toISOString(), magic: "", version: EXPORT_VERSION },
                resources: monitor.resources(),
            },
        },
        outputs: reveal(monitor.stackOutputs()) as Record<string, unknown>,
        diagnostics: monitor.diagnostics,
        invokes: monitor.invokes,
    };
}

/** The SDK colours the errors it reports for a terminal; messages here are plain text. */
function stripAnsi(text: string): string {
    return text.replace(/\u001b\[[0-9;]*m/g, "");
}

/** Replaces secret outputs with `[secret]` for display. */
function reveal(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(reveal);
    if (typeof value === "object" && value !== null) {
        const obj = value as Record<string, unknown>;
        if (obj[SECRET_SIG] === SECRET_SIG_VALUE) return "[secret]";
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, reveal(v)]));
    }
    return value;
}
