/** Shared fixtures for the tests: the project folder, known-good raw config, output capture. */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { GPU_TOLERATION, poolCapacity } from "../catalog/gpu";
import type { BlueGreenEksServiceArgs } from "../components/k8s/blueGreenEksService";
import { ConfigError } from "../environments/loader";
import type { ExportedResource, StackExport } from "../tools/engine/stackExport";

export const PROJECT_DIR = path.resolve(__dirname, "..");
/** The package's version (the pack reports it too). */
export const VERSION = (
    JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { version: string }
).version;

/** Raw config a valid stack of `tier` might have, as Pulumi hands it to the program. */
export function goodRawConfig(overrides: Record<string, string> = {}): Record<string, string> {
    return {
        "aws:region": "us-east-1",
        "llm-platform:owner": "ml-platform",
        "llm-platform:costCenter": "ml-research",
        ...overrides,
    };
}

/** The value of an Output, awaited (never assert inside apply). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** The resource with this type and logical name; fails loudly when it is missing. */
export function find(doc: StackExport | ExportedResource[], type: string, name: string): ExportedResource {
    const resources = Array.isArray(doc) ? doc : doc.deployment.resources;
    const r = resources.find((x) => x.type === type && x.urn.endsWith(`::${name}`));
    if (!r) throw new Error(`no ${type} named ${name} among ${resources.map((x) => x.urn).join("\n")}`);
    return r;
}

/** A copy of the project (without node_modules, which is linked) to break on purpose. */
export function scratchProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-test-"));
    const stackFiles = fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
    for (const entry of ["Pulumi.yaml", ...stackFiles, "package.json", "tsconfig.json"]) {
        fs.copyFileSync(path.join(PROJECT_DIR, entry), path.join(dir, entry));
    }
    for (const folder of ["catalog", "prices", "stacks", "components", "environments", "tools", "images", "evals"]) {
        fs.cpSync(path.join(PROJECT_DIR, folder), path.join(dir, folder), { recursive: true });
    }
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    return dir;
}

/** The stacks whose files are in `dir` (`Pulumi.<stack>.yaml`), as the tools list them: sorted, comma-separated. */
export function knownStacks(dir: string = PROJECT_DIR): string {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort()
        .join(", ");
}

/** What a finished process printed, as `spawnSync` reports it. */
export interface Finished {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** Set when the command could not be started (ENOENT: not installed). */
    readonly error?: NodeJS.ErrnoException;
}

/**
 * Runs a command to its end without blocking the test process (`spawnSync` would stall the engine
 * that serves the plans running in the background), so independent commands can run at once.
 */
export function run(
    command: string,
    args: readonly string[],
    options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Finished> {
    return new Promise((resolve) => {
        const child = spawn(command, args, {
            cwd: options.cwd ?? PROJECT_DIR,
            env: options.env ?? process.env,
            stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout!.on("data", (b: Buffer) => out.push(b));
        child.stderr!.on("data", (b: Buffer) => err.push(b));
        child.on("error", (error: NodeJS.ErrnoException) => resolve({ status: null, stdout: "", stderr: "", error }));
        child.on("close", (status) =>
            resolve({
                status,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
            }),
        );
        if (options.input !== undefined) {
            child.stdin!.on("error", () => undefined); // a child that exits without reading its input
            child.stdin!.end(options.input);
        }
    });
}

/** The project's TypeScript loader, as `npm run <command>` starts node with it. */
export const TS_LOADER = path.join(PROJECT_DIR, "tools", "typescript.cjs");

/** A command of tools/cli run as a user would, as `npm run <command>` runs it. */
export function runCli(script: string, args: readonly string[], cwd = PROJECT_DIR): Promise<Finished> {
    const command = script.replace(/\.ts$/, "");
    return run(
        process.execPath,
        ["--require", TS_LOADER, path.join(PROJECT_DIR, "tools", "cli", "main.ts"), command, ...args],
        {
            cwd,
        },
    );
}

/** The problem lines of a ConfigError thrown by `fn`. */
export function problemsOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e.problems.map((p) => `${p.key}: ${p.expected}, received ${p.received}`);
    }
    assert.fail("expected a ConfigError");
}

/** Like {@link problemsOf}, but [] when `fn` accepts the configuration. */
export function problemsIfAny(fn: () => unknown): string[] {
    try {
        fn();
        return [];
    } catch {
        return problemsOf(fn);
    }
}

/** What a BlueGreenEksService needs and nothing more: one g5.2xlarge pool, IRSA, the bucket, two releases of `image`. */
export function requiredServiceArgs(provider: k8s.Provider, image: string): BlueGreenEksServiceArgs {
    return {
        provider,
        pool: {
            capacity: poolCapacity(["g5.2xlarge"]),
            nodeSelector: { "llm-platform/pool": "inference" },
            tolerations: [GPU_TOLERATION],
        },
        oidcProviderArn: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
        oidcIssuerUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
        modelBucketName: "models",
        modelReadPolicyArn: "arn:aws:iam::111122223333:policy/read",
        blue: { image, modelVersion: "v1" },
        green: { image, modelVersion: "v2" },
    };
}

/**
 * A loopback JSON API (an MLflow registry's stand-in): `answer` gives each request's status and
 * body; every request is recorded as `<method> <url> <body>`.
 */
export async function jsonServer(
    answer: (method: string, url: string, body: string) => { status?: number; json: unknown },
): Promise<{ url: string; requests: string[]; close: () => void }> {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
            requests.push(`${req.method} ${req.url} ${body}`);
            const { status = 200, json } = answer(req.method ?? "", req.url ?? "", body);
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(json));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => server.close() };
}
