/**
 * The fake Pulumi CLI's backend, for the release fault-injection suite (tests/releaseFaults.test.ts):
 * it answers what the Automation API and promote call (version, stack select, config --json,
 * config set/rm --path, config set-all --json, stack output --json, stack history, up, cancel) over
 * a backend folder, and fails, refuses or kills its caller where the folder's faults.json says.
 * The CLI itself is tests/fakePulumi/pulumi, a bash client of this server. It shares no code with
 * what it tests.
 *
 * The backend folder:
 *   template.json   the release contracts the program exports, less what the release config sets
 *   deployed.json   what runs ({model: release state}): the loopback cluster answers from it
 *   outputs.json    the stack's outputs as the last update left them (merged over even when it fails)
 *   update.lock     Pulumi's update lock while an update runs (a second update gets the 409)
 *   faults.json     [{on: "up"|"config", match, nth, times, action, phase}] (see act())
 *   expired         present: every call is refused as with expired credentials
 *   calls.log, updates.log
 * The stack file of a checkout: <cwd>/.fake-config.<stack>.json ({key: value}, objects JSON-encoded).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** A fault of faults.json: on the `nth` call (and `times` after) of `on` whose arguments contain `match`. */
export interface Fault {
    on: "up" | "config";
    match: string;
    action: "fail" | "conflict" | "expired" | "kill" | "signal" | "hang";
    /** hang: how long, unless the CLI is interrupted first. */
    ms?: number;
    phase?: "before" | "applied" | "after";
    nth?: number;
    times?: number;
    signal?: NodeJS.Signals;
    group?: boolean;
}
type Release = { image?: string; modelVersion: string };
interface Contract {
    model: string;
    configKey: string;
    defaults: {
        activeColor: string;
        scaleDownInactive: boolean;
        blue: Release;
        green: Release;
    };
    [key: string]: unknown;
}

/** How a call ended: its exit code and what it printed. */
interface Answer {
    code: number;
    stdout: string;
    stderr: string;
}

/** A call that ends the CLI with an exit code (thrown from anywhere in a handler). */
class Exit extends Error {
    constructor(
        readonly code: number,
        readonly stderr: string,
    ) {
        super(stderr);
    }
}
/** The CLI was killed with its caller's group: no answer, and nothing after it runs. */
class Killed extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FakePulumiBackend {
    constructor(readonly dir: string) {}

    private file(name: string): string {
        return path.join(this.dir, name);
    }
    private readJson<T>(name: string, fallback: T): T {
        try {
            return JSON.parse(fs.readFileSync(this.file(name), "utf8")) as T;
        } catch {
            return fallback;
        }
    }
    private writeJson(f: string, value: unknown): void {
        fs.writeFileSync(`${f}.tmp`, JSON.stringify(value, null, 2));
        fs.renameSync(`${f}.tmp`, f);
    }

    /** The fault for this call, if any: the nth call matching `match`, `times` times in a row. */
    private faultFor(kind: Fault["on"], argv: string[]): Fault | undefined {
        const faults = this.readJson<Fault[]>("faults.json", []);
        const counts = this.readJson<Record<number, number>>("counts.json", {});
        const line = argv.join(" ");
        let found: Fault | undefined;
        faults.forEach((f, i) => {
            if (f.on !== kind || !line.includes(f.match)) return;
            counts[i] = (counts[i] ?? 0) + 1;
            const nth = f.nth ?? 1;
            if (!found && counts[i] >= nth && counts[i] < nth + (f.times ?? 1)) found = f;
        });
        this.writeJson(this.file("counts.json"), counts);
        return found;
    }

    /** Carries out `fault` at `phase`: throws Exit or Killed, or returns when the call goes on. */
    private async act(
        fault: Fault | undefined,
        phase: NonNullable<Fault["phase"]>,
        ppid: number,
        gone?: AbortSignal,
    ): Promise<void> {
        if (!fault || (fault.phase ?? "before") !== phase) return;
        switch (fault.action) {
            case "fail":
                throw new Exit(
                    255,
                    `error: update failed: the Kubernetes API server answered 500 (injected, ${phase})`,
                );
            case "conflict":
                throw new Exit(255, "error: [409] Conflict: Another update is currently in progress.");
            case "expired":
                // From here on every call is refused, until the test renews the credentials.
                fs.writeFileSync(this.file("expired"), "");
                throw new Exit(255, "error: [401] Unauthorized: No credentials provided or are invalid.");
            case "kill":
                // SIGKILL of the promotion: its process, or its whole group (spawned detached, its
                // pid is the group's), this CLI included, which then never answers.
                process.kill(fault.group ? -ppid : ppid, "SIGKILL");
                if (fault.group) throw new Killed();
                return;
            case "hang":
                // An update that does not end (a rollout that never becomes ready): until the CLI is
                // interrupted (SIGINT: Pulumi cancels, applying nothing more) or `ms` pass.
                await new Promise<void>((resolve) => {
                    const timer = setTimeout(resolve, fault.ms ?? 60_000);
                    gone?.addEventListener("abort", () => {
                        clearTimeout(timer);
                        resolve();
                    });
                });
                if (gone?.aborted) throw new Exit(255, "error: update canceled");
                return;
            case "signal":
                // SIGINT/SIGTERM to the promotion (CI's cancel, or Ctrl-C): this call goes on.
                process.kill(ppid, fault.signal ?? "SIGINT");
                await sleep(200);
                return;
        }
    }

    /** Answers one call of the CLI. */
    async handle(ppid: number, cwd: string, argv: string[], gone?: AbortSignal): Promise<Answer | undefined> {
        fs.appendFileSync(this.file("calls.log"), `${argv.filter((a) => a !== "--non-interactive").join(" ")}\n`);
        const out: string[] = [];
        let holdsUpdateLock = false;
        try {
            await this.run(ppid, cwd, argv, out, () => (holdsUpdateLock = true), gone);
            if (holdsUpdateLock) fs.rmSync(this.file("update.lock"), { force: true });
            return { code: 0, stdout: out.join(""), stderr: "" };
        } catch (e) {
            // Killed with its group: Pulumi's lock stays, as after a real kill.
            if (e instanceof Killed) return undefined;
            if (holdsUpdateLock) fs.rmSync(this.file("update.lock"), { force: true });
            if (e instanceof Exit) return { code: e.code, stdout: out.join(""), stderr: `${e.stderr}\n` };
            return { code: 99, stdout: "", stderr: `fake pulumi: ${(e as Error).stack}\n` };
        }
    }

    private async run(
        ppid: number,
        cwd: string,
        argv: string[],
        out: string[],
        locked: () => void,
        gone?: AbortSignal,
    ): Promise<void> {
        const flag = (name: string): string | undefined => {
            const i = argv.indexOf(name);
            return i < 0 ? undefined : argv[i + 1];
        };
        const [command, sub] = argv;
        const stack = flag("--stack") ?? "";
        // Expired credentials: the backend refuses everything (config and outputs live behind it too).
        if (command !== "version" && fs.existsSync(this.file("expired")))
            throw new Exit(255, "error: [401] Unauthorized: No credentials provided or are invalid.");
        const configFile = path.join(cwd, `.fake-config.${stack}.json`);
        switch (command) {
            case "version":
                out.push("v3.248.0\n");
                return;
            case "stack":
                if (sub === "select") return;
                if (sub === "output") {
                    out.push(JSON.stringify(this.readJson("outputs.json", {})));
                    return;
                }
                if (sub === "history") {
                    out.push("[]");
                    return;
                }
                throw new Exit(99, `fake pulumi: stack ${sub} is not answered`);
            case "cancel":
                fs.rmSync(this.file("update.lock"), { force: true });
                return;
            case "config":
                return this.config(ppid, argv, sub, configFile, out, flag);
            case "up":
                return this.up(ppid, argv, configFile, stack, out, flag, locked, gone);
            default:
                throw new Exit(99, `fake pulumi: ${command} is not answered`);
        }
    }

    private async config(
        ppid: number,
        argv: string[],
        sub: string | undefined,
        configFile: string,
        out: string[],
        flag: (name: string) => string | undefined,
    ): Promise<void> {
        let config: Record<string, string>;
        try {
            config = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, string>;
        } catch {
            config = {};
        }
        if (sub === "--show-secrets" || sub === "--json" || sub === undefined) {
            out.push(
                JSON.stringify(
                    Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v, secret: false }])),
                ),
            );
            return;
        }
        const fault = this.faultFor("config", argv);
        await this.act(fault, "before", ppid);
        if (sub === "set-all") {
            // --json: {key: {value, objectValue?, secret}}; an object is read from `value` only
            // when `objectValue` marks it one (otherwise the CLI stores the JSON text as a string).
            const json = JSON.parse(flag("--json") ?? "{}") as Record<
                string,
                { value?: string; objectValue?: unknown; secret?: boolean }
            >;
            for (const [key, entry] of Object.entries(json)) {
                if (entry.value === undefined || entry.value === null)
                    throw new Exit(255, `error: value for --json object key "${key}" is nil`);
                if ((entry.objectValue === undefined || entry.objectValue === null) && /^[{[]/.test(entry.value))
                    throw new Exit(
                        98,
                        `fake pulumi: ${key} is JSON without objectValue: it would be stored as a string`,
                    );
                config[key] = entry.value;
            }
        } else if (sub === "set" || sub === "rm") {
            if (!argv.includes("--path")) throw new Exit(99, "fake pulumi: config without --path is not answered");
            const k = argv[argv.indexOf("--path") + 1];
            const m = /^([^:]+:[^.[]+)(.*)$/.exec(k);
            if (!m) throw new Exit(255, `error: invalid configuration key: ${k}`);
            const steps = [...m[2].matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((p) =>
                p[2] !== undefined ? Number(p[2]) : p[1],
            );
            let root: unknown = config[m[1]] === undefined ? {} : JSON.parse(config[m[1]]);
            let node = root as Record<string | number, unknown>;
            for (const [i, s] of steps.slice(0, -1).entries()) {
                if (typeof node[s] !== "object" || node[s] === null) {
                    if (sub === "rm") break;
                    node[s] = typeof steps[i + 1] === "number" ? [] : {};
                }
                node = node[s] as Record<string | number, unknown>;
            }
            const last = steps[steps.length - 1];
            if (sub === "set") {
                const value = argv[argv.indexOf("--path") + 2];
                const typed = flag("--type") === "bool" ? value === "true" : value;
                if (steps.length === 0) root = typed;
                else node[last] = typed;
            } else if (steps.length > 0) delete node[last];
            config[m[1]] = typeof root === "string" ? root : JSON.stringify(root);
        } else throw new Exit(99, `fake pulumi: config ${sub} is not answered`);
        this.writeJson(configFile, config);
        await this.act(fault, "after", ppid);
    }

    /** The release state of a model from the stack's config (the program's reading of it). */
    private releaseFrom(config: Record<string, string>, contract: Contract): Record<string, unknown> {
        const m = /^([^:]+:[^.[]+)(.*)$/.exec(contract.configKey)!;
        const steps = [...m[2].matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((p) =>
            p[2] !== undefined ? Number(p[2]) : p[1],
        );
        let node: unknown = config[m[1]] === undefined ? {} : JSON.parse(config[m[1]]);
        // A list entry is found by its name, as the program finds it.
        for (const s of steps)
            node =
                typeof s === "number" && Array.isArray(node)
                    ? (node.find((e: { name?: string }) => e?.name === contract.model) ?? node[s])
                    : (node as Record<string | number, unknown> | undefined)?.[s];
        const release = (node ?? {}) as Record<string, unknown>;
        const colour = (c: "blue" | "green"): Release => {
            const r = (release[c] ?? {}) as { image?: unknown; modelVersion?: unknown };
            if (r.image !== undefined && !(typeof r.image === "string" && /@sha256:[0-9a-f]{64}$/.test(r.image)))
                throw new Exit(
                    1,
                    `error: ${contract.configKey}.${c}.image: expected an image pinned by digest (repository@sha256:<64 hex>), received ${JSON.stringify(r.image)}`,
                );
            if (r.modelVersion !== undefined && (typeof r.modelVersion !== "string" || r.modelVersion === ""))
                throw new Exit(1, `error: ${contract.configKey}.${c}.modelVersion: expected a string`);
            return {
                ...(r.image !== undefined || contract.defaults[c].image !== undefined
                    ? { image: (r.image as string | undefined) ?? contract.defaults[c].image }
                    : {}),
                modelVersion: (r.modelVersion as string | undefined) ?? contract.defaults[c].modelVersion,
            };
        };
        const activeColor = release.activeColor ?? contract.defaults.activeColor;
        if (activeColor !== "blue" && activeColor !== "green")
            throw new Exit(1, `error: ${contract.configKey}.activeColor: expected blue or green`);
        const scaleDownInactive = release.scaleDownInactive ?? contract.defaults.scaleDownInactive;
        if (typeof scaleDownInactive !== "boolean")
            throw new Exit(1, `error: ${contract.configKey}.scaleDownInactive: expected a boolean`);
        // The record of the last flip, exported as the program exports it (images null when unset).
        const flip = release.lastFlip as
            | {
                  activeColor: string;
                  blue: { image?: string; modelVersion: string };
                  green: { image?: string; modelVersion: string };
              }
            | undefined;
        return {
            activeColor,
            scaleDownInactive,
            releases: { blue: colour("blue"), green: colour("green") },
            lastFlip:
                flip === undefined
                    ? null
                    : {
                          activeColor: flip.activeColor,
                          releases: {
                              blue: { image: flip.blue.image ?? null, modelVersion: flip.blue.modelVersion },
                              green: { image: flip.green.image ?? null, modelVersion: flip.green.modelVersion },
                          },
                      },
        };
    }

    private async up(
        ppid: number,
        argv: string[],
        configFile: string,
        stack: string,
        out: string[],
        flag: (name: string) => string | undefined,
        locked: () => void,
        gone?: AbortSignal,
    ): Promise<void> {
        const fault = this.faultFor("up", argv);
        // Pulumi's own update lock: one update of the stack at a time.
        try {
            fs.writeFileSync(this.file("update.lock"), String(ppid), { flag: "wx" });
        } catch {
            throw new Exit(255, "error: [409] Conflict: Another update is currently in progress.");
        }
        locked();
        await this.act(fault, "before", ppid, gone);
        let config: Record<string, string>;
        try {
            config = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, string>;
        } catch {
            config = {};
        }
        const template = this.readJson<Contract[]>("template.json", []);
        const deployed = this.readJson<Record<string, unknown>>("deployed.json", {});
        const contracts = template.map((c) => {
            const { lastFlip, ...release } = this.releaseFrom(config, c) as {
                activeColor: string;
                scaleDownInactive: boolean;
                releases: Record<"blue" | "green", Release>;
                lastFlip: unknown;
            };
            deployed[c.model] = release;
            const { defaults: _defaults, ...contract } = c;
            return {
                ...contract,
                activeColor: release.activeColor,
                scaleDownInactive: release.scaleDownInactive,
                lastFlip,
                releases: {
                    blue: {
                        image: release.releases.blue.image ?? null,
                        modelVersion: release.releases.blue.modelVersion,
                    },
                    green: {
                        image: release.releases.green.image ?? null,
                        modelVersion: release.releases.green.modelVersion,
                    },
                },
            };
        });
        // The resources change first (the cluster runs the new state), then the outputs: merged
        // over the old ones even when the update then fails, as the engine does.
        this.writeJson(this.file("deployed.json"), deployed);
        this.writeJson(this.file("outputs.json"), {
            ...this.readJson<Record<string, unknown>>("outputs.json", {}),
            llmPlatformReleases: contracts,
        });
        await this.act(fault, "applied", ppid);
        fs.appendFileSync(this.file("updates.log"), `${flag("--message") ?? ""}\n`);
        out.push(`Updating (${stack})\n\nResources:\n    ${contracts.length} changed\n`);
        await this.act(fault, "after", ppid);
    }

    /** Serves the bash client on a loopback port; resolves to the port and a close function. */
    async listen(): Promise<{ port: number; close: () => Promise<void> }> {
        const server = net.createServer((socket) => {
            let buffer = Buffer.alloc(0);
            let done = false;
            // The client gone before its answer (killed or interrupted).
            const gone = new AbortController();
            socket.on("close", () => gone.abort());
            socket.on("data", (chunk: Buffer) => {
                buffer = Buffer.concat([buffer, chunk]);
                const newline = buffer.indexOf(10);
                if (done || newline < 0) return;
                const count = Number(buffer.subarray(0, newline).toString());
                const fields = buffer
                    .subarray(newline + 1)
                    .toString("utf8")
                    .split("\0");
                if (fields.length <= count) return;
                done = true;
                const [ppid, cwd, ...argv] = fields.slice(0, count);
                void this.handle(Number(ppid), cwd, argv, gone.signal).then((answer) => {
                    if (!answer) return socket.destroy();
                    const stdout = Buffer.from(answer.stdout);
                    socket.end(
                        Buffer.concat([
                            Buffer.from(`${answer.code}\n${stdout.length}\n`),
                            stdout,
                            Buffer.from(answer.stderr),
                        ]),
                    );
                });
            });
            socket.on("error", () => undefined);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return {
            port: (server.address() as net.AddressInfo).port,
            close: () => new Promise((resolve) => server.close(() => resolve())),
        };
    }
}
