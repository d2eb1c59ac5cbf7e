/**
 * A policy pack as a process of its own, started the way the Pulumi CLI (v3.248) starts a local
 * `--policy-pack <dir>` (docs/UPSTREAM.md, "How the Pulumi CLI starts a policy pack from
 * `node_modules`"): `PulumiPolicy.yaml` read for its runtime and `nodeargs`, the SDK's
 * `@pulumi/pulumi/cmd/run-policy-pack` found by Node's resolution from the pack folder, then
 * `node <run-policy-pack> <nodeargs> <engine> <dir>` in the pack folder — for a pack the language
 * host puts `nodeargs` after the script, where run-policy-pack's argument parser takes them as its
 * own options, so they never reach node — which registers ts-node (so a TypeScript pack outside
 * node_modules runs as it does under the CLI) and requires the folder (its package.json `main`,
 * else `index`). The pack prints the port of its analyzer server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { readYaml, isObject } from "../engine/project";
import { splitArgs } from "../engine/host";
import { UsageError } from "../errors";

/** This package's root: the folder of its package.json, from the sources or from dist/. */
export function packageRoot(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    return dir;
}

/**
 * The production-standards pack: `pack/` (compiled, what the package ships) when this module runs
 * compiled, `policies/` (the TypeScript sources, started through ts-node as the CLI would) when it
 * runs from this repository's sources.
 */
export const DEFAULT_PACK_DIR = path.join(packageRoot(), path.extname(__filename) === ".js" ? "pack" : "policies");

/** A running pack process and its port. */
export interface PackProcess {
    port: number;
    /** The pack folder it was started from. */
    dir: string;
    stop(): void;
}

/** A pack that did not start: not a verdict on the resources, so the gate exits 3. */
export class PackStartError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PackStartError";
    }
}

/** What the CLI reads of a pack folder before it starts it; bad input is a {@link UsageError}. */
export function readPackFolder(dir: string): { dir: string; nodeargs: string[] } {
    const abs = path.resolve(dir);
    const file = path.join(abs, "PulumiPolicy.yaml");
    if (!fs.existsSync(file))
        throw new UsageError(
            `--pack ${dir}: not a policy pack folder (no PulumiPolicy.yaml in ${abs}); a pack folder holds PulumiPolicy.yaml, package.json and its entry point`,
        );
    const project = readYaml(file);
    const runtime = isObject(project) ? project.runtime : undefined;
    const name = isObject(runtime) ? runtime.name : runtime;
    if (name !== "nodejs")
        throw new UsageError(
            `--pack ${dir}: ${file} has runtime ${JSON.stringify(name ?? null)}; the offline gate runs Node.js packs (runtime: nodejs)`,
        );
    // @pulumi/policy's PolicyPack reads the version from the folder's package.json (policy.js:
    // "Version must be defined in the package.json file."): a pack without one never starts.
    const manifest = path.join(abs, "package.json");
    let version: unknown;
    try {
        version = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version?: unknown }).version;
    } catch (e) {
        throw new UsageError(
            `--pack ${dir}: ${fs.existsSync(manifest) ? `${manifest} is not JSON (${(e as Error).message})` : `no package.json in ${abs}`}; a pack folder holds PulumiPolicy.yaml, a package.json with a version, and its entry point`,
        );
    }
    if (typeof version !== "string" || version === "")
        throw new UsageError(
            `--pack ${dir}: ${manifest} has no version; @pulumi/policy's PolicyPack needs one ("version": "0.1.0")`,
        );
    const options = isObject(runtime) && isObject(runtime.options) ? runtime.options : {};
    const nodeargs = typeof options.nodeargs === "string" ? splitArgs(options.nodeargs) : [];
    return { dir: abs, nodeargs };
}

/** The argv the Node.js language host runs a pack with (`RunPlugin` for an analyzer). */
export function packCommand(dir: string): { argv: string[]; cwd: string } {
    const pack = readPackFolder(dir);
    let runPath: string;
    try {
        runPath = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [pack.dir] });
    } catch {
        throw new PackStartError(
            `the policy pack in ${pack.dir} cannot start: It looks like the Pulumi SDK has not been installed. Have you run npm install in ${pack.dir}?`,
        );
    }
    // As the language host: the script, the pack's nodeargs, the engine address (which
    // run-policy-pack drops; the gate needs no engine), the folder.
    return { argv: [runPath, ...pack.nodeargs, "127.0.0.1:0", pack.dir], cwd: pack.dir };
}

export interface PackContext {
    /** The project and stack the pack is told about (`pulumi.getProject()`/`getStack()` in a policy). */
    project?: string;
    stack?: string;
    /** Whether the resources are a preview's. */
    dryRun?: boolean;
}

/** Starts the pack in `dir` and waits for its port; a pack that exits or stays silent is a {@link PackStartError}. */
export function startPack(dir = DEFAULT_PACK_DIR, context: PackContext = {}): Promise<PackProcess> {
    let command: { argv: string[]; cwd: string };
    try {
        command = packCommand(dir);
    } catch (e) {
        return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
        const child: ChildProcess = spawn(process.execPath, command.argv, {
            cwd: command.cwd,
            stdio: ["ignore", "pipe", "pipe"],
            env: {
                ...process.env,
                // Not the CLI's (it passes the environment's NODE_OPTIONS on): a larger young
                // generation for speed, since the SDK decodes every resource's properties once per
                // policy; it changes no verdict.
                NODE_OPTIONS: "--max-semi-space-size=32",
                // What the language host's PolicyProxy exports before it spawns a pack.
                ...(context.project !== undefined ? { PULUMI_NODEJS_PROJECT: context.project } : {}),
                ...(context.stack !== undefined ? { PULUMI_NODEJS_STACK: context.stack } : {}),
                PULUMI_NODEJS_DRY_RUN: String(context.dryRun ?? false),
            },
        });
        let out = "";
        let err = "";
        const timer = setTimeout(() => {
            child.kill();
            reject(new PackStartError(`the policy pack in ${command.cwd} did not start within 60 s: ${err.trim()}`));
        }, 60_000);
        child.stdout?.on("data", (d: Buffer) => {
            out += d.toString();
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ port: Number(m[1]), dir: command.cwd, stop: () => void child.kill() });
            }
        });
        child.stderr?.on("data", (d: Buffer) => void (err += d.toString()));
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(
                new PackStartError(
                    `the policy pack in ${command.cwd} exited with ${code} before serving: ${`${err}${out}`.trim()}`,
                ),
            );
        });
    });
}
