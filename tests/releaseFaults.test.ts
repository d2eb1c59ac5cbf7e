/**
 * Fault injection for `llm-platform promote` (issue 35), through its public entry points: a fake
 * Pulumi CLI first on PATH (tests/fakePulumi/pulumi: a backend folder, a stack file per checkout,
 * Pulumi's update lock, faults on chosen calls) and a loopback cluster answering each colour from
 * what the fake last deployed. Every step of a staging promotion (scale the preview up with the
 * new release, flip, scale the old colour down, and the stack file writes before each) is hit with
 * an error, SIGKILL, SIGINT, a held update lock and expired credentials, and two releases run at
 * once; after each: what serves passed its check, the next promote recovers, no lock is left, and
 * the exit code and the report say what serves.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promoteCommand } from "../tools/cli/promote";
import { deployCommand } from "../tools/cli/deploy";
import { UsageError } from "../tools/errors";
import { goodRawConfig, PROJECT_DIR, TS_LOADER } from "./helpers";
import { referenceContract } from "./promoteFakes";
import { FakePulumiBackend, type Fault } from "./fakePulumi/backend";
import { pidNamespace, tryLock } from "../tools/promote/locks";

const FAKE_BIN = path.join(PROJECT_DIR, "tests", "fakePulumi");

interface Release {
    image?: string;
    modelVersion: string;
}
interface State {
    activeColor: "blue" | "green";
    scaleDownInactive: boolean;
    releases: { blue: Release; green: Release };
}

/** What the stack runs before a release of green v2 (staging: green at zero), and after it. */
const BLUE_V1: State = {
    activeColor: "blue",
    scaleDownInactive: true,
    releases: { blue: { modelVersion: "v1" }, green: { modelVersion: "v1" } },
};
const GREEN_V2: State = {
    activeColor: "green",
    scaleDownInactive: true,
    releases: { blue: { modelVersion: "v1" }, green: { modelVersion: "v2" } },
};

/** A stack served by the fake CLI and the loopback cluster: its backend, one checkout, the environment. */
interface World {
    project: string;
    backend: string;
    env: NodeJS.ProcessEnv;
    deployed(): Record<string, State>;
    close(): Promise<void>;
}

/** Answers each colour of each model from deployed.json: the active port serves the active colour. */
async function cluster(backend: string): Promise<{ active: string; preview: string; close: () => Promise<void> }> {
    const serve = (role: "active" | "preview") =>
        http.createServer((req, res) => {
            const deployed = JSON.parse(fs.readFileSync(path.join(backend, "deployed.json"), "utf8")) as Record<
                string,
                State
            >;
            const model = String(req.headers["x-llm-model"] ?? Object.keys(deployed)[0]);
            const s = deployed[model];
            const colour = role === "active" ? s.activeColor : s.activeColor === "blue" ? "green" : "blue";
            const down = role === "preview" && s.scaleDownInactive;
            res.statusCode = down ? 503 : s.releases[colour].modelVersion.startsWith("bad") ? 500 : 200;
            res.end(`${colour} ${s.releases[colour].modelVersion}`);
        });
    const servers = [serve("active"), serve("preview")];
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve))));
    const url = (i: number): string => `http://127.0.0.1:${(servers[i].address() as AddressInfo).port}`;
    return {
        active: url(0),
        preview: url(1),
        close: async () => {
            await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
        },
    };
}

/** A staging stack serving `models` (one: `inference` from serving), deployed once: blue serves v1, green is at zero. */
async function world(models: string[] = ["inference"]): Promise<World> {
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "fake-backend-"));
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "fake-checkout-"));
    const loop = await cluster(backend);
    const fake = await new FakePulumiBackend(backend).listen();
    const config = goodRawConfig({
        "llm-platform:tier": "staging",
        ...(models.length > 1
            ? {
                  "llm-platform:models": JSON.stringify(
                      models.map((name) => ({ name, maxReplicas: 1, blue: { modelVersion: "v1" } })),
                  ),
                  "llm-platform:gpuNodePools": JSON.stringify([
                      { name: "inference", instanceTypes: ["g5.xlarge"], maxSize: 2 * models.length },
                  ]),
              }
            : {}),
    });
    const template = [];
    for (const model of models) {
        const c = await referenceContract("staging", config, model, { active: loop.active, preview: loop.preview });
        template.push({
            ...c,
            smoke: { ...c.smoke, headers: { "x-llm-model": model }, attempts: 2 },
            defaults: {
                activeColor: c.activeColor,
                scaleDownInactive: c.scaleDownInactive,
                blue: { modelVersion: c.releases.blue.modelVersion, image: c.releases.blue.image ?? undefined },
                green: { modelVersion: c.releases.green.modelVersion, image: c.releases.green.image ?? undefined },
            },
        });
    }
    fs.writeFileSync(path.join(backend, "template.json"), JSON.stringify(template));
    fs.writeFileSync(path.join(project, ".fake-config.staging.json"), JSON.stringify(config));
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: fake-project\nruntime: nodejs\n");
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${FAKE_BIN}:${process.env.PATH}`,
        FAKE_PULUMI_PORT: String(fake.port),
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        STACK_LOCK_POLL_SECONDS: "1",
        STACK_LOCK_WAIT_SECONDS: "2",
    };
    // The stack's first update, as `pulumi up` made it.
    await new Promise<void>((resolve, reject) =>
        spawn(path.join(FAKE_BIN, "pulumi"), ["up", "--yes", "--stack", "staging"], { cwd: project, env }).on(
            "exit",
            (code) => (code === 0 ? resolve() : reject(new Error(`first up: ${code}`))),
        ),
    );
    return {
        project,
        backend,
        env,
        deployed: () => JSON.parse(fs.readFileSync(path.join(backend, "deployed.json"), "utf8")),
        close: async () => {
            await loop.close();
            await fake.close();
        },
    };
}

const ARGS = ["--stack", "staging", "--settle-seconds", "0", "--drain-seconds", "0"];

/** `llm-platform promote` in this process (the fake CLI on PATH): its exit code and what it printed. */
async function promoteHere(
    w: World,
    args: string[],
    command: (argv: string[]) => Promise<number> = promoteCommand,
): Promise<{ code: number; out: string }> {
    const saved = { ...process.env };
    Object.assign(process.env, w.env);
    const write = process.stdout.write.bind(process.stdout);
    let out = "";
    process.stdout.write = ((chunk: string) => {
        out += chunk;
        return true;
    }) as typeof process.stdout.write;
    try {
        return { code: await command([...ARGS, "--project", w.project, ...args]), out };
    } catch (e) {
        if (e instanceof UsageError) return { code: 2, out: `${out}${e.message}\n` };
        throw e;
    } finally {
        process.stdout.write = write;
        for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
        Object.assign(process.env, saved);
    }
}

/** `llm-platform promote` as its own process, in a process group of its own: the exit code or the signal that ended it. */
function promoteProcess(
    w: World,
    args: string[],
    /** Runs while the promotion does, given its pid (to signal it). */
    during?: (pid: number) => Promise<void>,
    command: "promote" | "deploy" = "promote",
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
    return new Promise((resolve) => {
        const child = spawn(
            process.execPath,
            ["--require", TS_LOADER, "tools/cli/main.ts", command, ...ARGS, "--project", w.project, ...args],
            { cwd: PROJECT_DIR, env: w.env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString()));
        child.stderr.on("data", (c: Buffer) => (out += c.toString()));
        child.on("exit", (code, signal) => resolve({ code, signal, out }));
        void during?.(child.pid!);
    });
}

/** Resolves once the fake CLI has been called with a line containing `text`. */
async function calledWith(w: World, text: string): Promise<void> {
    for (let i = 0; i < 600; i++) {
        const log = fs.existsSync(path.join(w.backend, "calls.log"))
            ? fs.readFileSync(path.join(w.backend, "calls.log"), "utf8")
            : "";
        if (log.includes(text)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the fake CLI was never called with ${text}`);
}

const setFaults = (w: World, faults: Fault[]): void => {
    fs.writeFileSync(path.join(w.backend, "faults.json"), JSON.stringify(faults));
    fs.rmSync(path.join(w.backend, "counts.json"), { force: true });
};
const locks = (w: World): string[] => fs.readdirSync(w.project).filter((f) => f.endsWith(".lock"));
const journal = (w: World, model = "inference"): { current?: { steps: string[] } } => {
    const f = path.join(w.project, `.promote-staging.${model}.journal.json`);
    return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : {};
};

/** The `serving:` line promote printed, checked against what the cluster runs. */
function checkReport(w: World, out: string, model = "inference"): void {
    const line = out.split("\n").find((l) => l.startsWith(`serving: model ${model}: `));
    assert.ok(line, `a serving line in:\n${out}`);
    // What serves is unknown only when the last update failed: then the run names how to recover.
    if (line.endsWith("unknown, the last update failed")) {
        assert.match(
            out,
            new RegExp(`^to recover: llm-platform promote --stack staging --model ${model} --recover$`, "m"),
        );
        return;
    }
    const s = w.deployed()[model];
    const inactive = s.activeColor === "blue" ? "green" : "blue";
    assert.ok(
        line.startsWith(
            `serving: model ${model}: ${s.activeColor} serves (model ${s.releases[s.activeColor].modelVersion}, image built by the stack); ${inactive} runs model ${s.releases[inactive].modelVersion}`,
        ),
        `${line}\nvs the cluster: ${JSON.stringify(s)}`,
    );
}

/** After any run: production serves a release that passed its check (v1, or v2 once its preview passed), never a bad one. */
function checkServing(w: World, model = "inference"): State {
    const s = w.deployed()[model];
    assert.ok(["v1", "v2"].includes(s.releases[s.activeColor].modelVersion), JSON.stringify(s));
    return s;
}

/** The steps of a staging promotion of green to v2 and the fake CLI call that begins each. */
const STEPS: Array<[string, Pick<Fault, "on" | "match">]> = [
    ["the stack file write before the preview", { on: "config", match: "set-all" }],
    ["the preview's update", { on: "up", match: "deploy green as the preview colour" }],
    ["the flip's update", { on: "up", match: "make green the active colour" }],
    ["the old colour's scale-down", { on: "up", match: "scale blue down again" }],
];

describe("promote under faults: a fake Pulumi CLI that fails, is killed and is refused at every step (issue 35)", function () {
    this.timeout(120_000);

    it("a promotion of green to v2 with no fault: scale up, smoke, flip, verify, scale down; exit 0, no lock, the journal closed", async () => {
        const w = await world();
        try {
            const r = await promoteHere(w, ["--model-version", "v2"]);
            assert.equal(r.code, 0, r.out);
            assert.deepEqual(w.deployed().inference, GREEN_V2);
            checkReport(w, r.out);
            assert.deepEqual(locks(w), []);
            assert.equal(journal(w).current, undefined);
            assert.deepEqual(
                fs
                    .readFileSync(path.join(w.backend, "updates.log"), "utf8")
                    .split("\n")
                    .filter((l) => l !== ""),
                [
                    "promote: deploy green as the preview colour of model inference",
                    "promote: make green the active colour of model inference",
                    "promote: scale blue down again of model inference",
                ],
            );
        } finally {
            await w.close();
        }
    });

    for (const [step, at] of STEPS) {
        it(`an error at ${step}: undone (or, once verified, left standing), exit 3 or 0 with what serves; the next promote recovers`, async () => {
            const w = await world();
            try {
                setFaults(w, [{ ...at, action: "fail" }]);
                const r = await promoteHere(w, ["--model-version", "v2"]);
                const s = checkServing(w);
                checkReport(w, r.out);
                assert.deepEqual(locks(w), []);
                if (at.match.startsWith("scale blue down")) {
                    // The release stands (verified); the old colour is left up for the next run.
                    assert.equal(r.code, 0, r.out);
                    assert.equal(s.activeColor, "green");
                    assert.match(r.out, /to recover: llm-platform promote --stack staging --model inference --recover/);
                } else {
                    assert.equal(r.code, 3, r.out);
                    assert.deepEqual(s, BLUE_V1);
                    assert.equal(journal(w).current, undefined);
                }
                // The command it names recovers (the scale-down, and nothing else), or the same release goes out again.
                setFaults(w, []);
                const again = await promoteHere(
                    w,
                    s.activeColor === "green" ? ["--model", "inference", "--recover"] : ["--model-version", "v2"],
                );
                assert.equal(again.code, 0, again.out);
                checkReport(w, again.out);
                assert.deepEqual(w.deployed().inference, GREEN_V2);
                assert.deepEqual(locks(w), []);
                assert.equal(journal(w).current, undefined);
            } finally {
                await w.close();
            }
        });

        it(`expired credentials from ${step} on: nothing can be undone; exit 3 with the command that recovers, which does once they are back`, async () => {
            const w = await world();
            try {
                // Every call from the step on is refused, as with a token that expired.
                setFaults(w, [{ ...at, action: "expired" }]);
                const r = await promoteHere(w, ["--model-version", "v2"]);
                checkServing(w);
                checkReport(w, r.out);
                assert.deepEqual(locks(w), []);
                if (!at.match.startsWith("scale blue down")) {
                    assert.equal(r.code, 3, r.out);
                    assert.match(r.out, /No credentials provided or are invalid/);
                }
                // New credentials: the recovery command finishes or undoes it.
                setFaults(w, []);
                fs.rmSync(path.join(w.backend, "expired"));
                const recovered = await promoteHere(w, ["--model", "inference", "--recover"]);
                assert.equal(recovered.code, 0, recovered.out);
                checkServing(w);
                checkReport(w, recovered.out);
                assert.equal(journal(w).current, undefined);
                assert.deepEqual(locks(w), []);
            } finally {
                await w.close();
            }
        });

        it(`${at.on === "up" ? "another update holding the stack" : "a stack file lock left by a dead process"} at ${step}: waited out or taken over, then the release goes on (exit 0)`, async () => {
            const w = await world();
            try {
                if (at.on === "up") setFaults(w, [{ ...at, action: "conflict" }]);
                else
                    fs.writeFileSync(
                        path.join(w.project, ".promote-staging@config.lock"),
                        JSON.stringify({
                            pid: 999_999_999,
                            host: os.hostname(),
                            since: "x",
                            purpose: "promote: stack file",
                            pidns: pidNamespace(),
                        }),
                    );
                const r = await promoteHere(w, ["--model-version", "v2"]);
                if (at.on === "up") assert.match(r.out, /stack staging is being updated by someone else; waiting/);
                assert.equal(r.code, 0, r.out);
                assert.equal(checkServing(w).releases.green.modelVersion, "v2");
                checkReport(w, r.out);
                assert.deepEqual(locks(w), []);
            } finally {
                await w.close();
            }
        });
    }

    for (const kill of ["SIGKILL", "SIGINT"] as const)
        it(`${kill} of the promotion at each step: what serves passed its check; the next promote finishes or undoes it, taking over what the dead run held`, async () => {
            // The four steps at once, each its own stack and checkout: the promotions are processes.
            const worlds = await Promise.all(STEPS.map(() => world()));
            try {
                const runs = await Promise.all(
                    STEPS.map(([, at], i) => {
                        const phase = at.on === "up" ? "applied" : "after";
                        setFaults(worlds[i], [
                            kill === "SIGKILL"
                                ? { ...at, action: "kill", phase }
                                : { ...at, action: "signal", signal: "SIGINT", phase },
                        ]);
                        return promoteProcess(worlds[i], ["--model-version", "v2"]);
                    }),
                );
                for (const [i, [step]] of STEPS.entries()) {
                    const w = worlds[i];
                    const r = runs[i];
                    const s = checkServing(w);
                    if (kill === "SIGKILL") {
                        assert.equal(r.signal, "SIGKILL", `${step}: ${r.out}`);
                        // Killed with the journal open and its locks held: the next run reads it first.
                        assert.ok(journal(w).current, `${step}: the journal keeps the release`);
                        assert.ok(locks(w).includes(".promote-staging.inference.lock"), step);
                    } else {
                        // The step under way ended, then the release was undone (or stood, once verified).
                        assert.ok(r.code === 3 || (r.code === 0 && s.activeColor === "green"), `${step}: ${r.out}`);
                        assert.match(r.out, /SIGINT received: ending the step under way/, step);
                        checkReport(w, r.out);
                        assert.deepEqual(locks(w), [], step);
                    }
                    setFaults(w, []);
                    const recovered = await promoteHere(w, ["--model", "inference", "--recover"]);
                    assert.equal(recovered.code, 0, `${step}: ${recovered.out}`);
                    if (kill === "SIGKILL")
                        assert.match(
                            recovered.out,
                            /took over the promotion lock from promote staging\/inference/,
                            step,
                        );
                    checkServing(w);
                    checkReport(w, recovered.out);
                    assert.equal(journal(w).current, undefined, step);
                    assert.deepEqual(locks(w), [], step);
                }
            } finally {
                await Promise.all(worlds.map((w) => w.close()));
            }
        });

    it("a promotion killed after its preview deployed, its journal lost with its runner: --rollback from another checkout returns the other colour to the stack's record of the last flip", async () => {
        const w = await world();
        try {
            const first = await promoteHere(w, ["--model-version", "v2"]);
            assert.equal(first.code, 0, first.out);
            // blue is given v3, and the runner dies once its preview is deployed.
            setFaults(w, [{ on: "up", match: "deploy blue as the preview colour", action: "kill", phase: "applied" }]);
            const killed = await promoteProcess(w, ["--model-version", "v3"]);
            assert.equal(killed.signal, "SIGKILL", killed.out);
            assert.equal(w.deployed().inference.releases.blue.modelVersion, "v3");
            // Another runner: none of the dead one's journal or locks.
            for (const f of fs.readdirSync(w.project).filter((f) => f.startsWith(".promote-")))
                fs.rmSync(path.join(w.project, f));
            setFaults(w, []);
            const r = await promoteHere(w, ["--model", "inference", "--rollback"]);
            assert.equal(r.code, 0, r.out);
            assert.match(
                r.out,
                /^- blue runs model v3 \(image built by the stack\), not what it ran at the last flip \(a release that never passed its gate, left by a failed or killed promotion, or changed by hand\); the rollback returns it to model v1 \(image built by the stack\), which served before that flip$/m,
            );
            // green stays warm: the dead run's warm-up (scaleDownInactive off) is what the stack
            // says, and no journal says it was temporary; the next deploy applies the file's setting.
            assert.deepEqual(w.deployed().inference, {
                activeColor: "blue",
                scaleDownInactive: false,
                releases: { blue: { modelVersion: "v1" }, green: { modelVersion: "v2" } },
            });
            checkReport(w, r.out);
            assert.deepEqual(locks(w), []);
        } finally {
            await w.close();
        }
    });

    it("an update that applied the flip and then failed: the stack's outputs say green serves v2, unchecked; undone to blue (exit 3)", async () => {
        const w = await world();
        try {
            setFaults(w, [{ on: "up", match: "make green the active colour", action: "fail", phase: "applied" }]);
            const r = await promoteHere(w, ["--model-version", "v2"]);
            assert.equal(r.code, 3, r.out);
            assert.deepEqual(w.deployed().inference, BLUE_V1);
            checkReport(w, r.out);
            assert.deepEqual(locks(w), []);
        } finally {
            await w.close();
        }
    });

    it("SIGKILL of the whole group mid-update leaves Pulumi's own lock: recovery waits, reports it, and recovers after `pulumi cancel`", async () => {
        const w = await world();
        try {
            setFaults(w, [
                { on: "up", match: "make green the active colour", action: "kill", phase: "applied", group: true },
            ]);
            const r = await promoteProcess(w, ["--model-version", "v2"]);
            assert.equal(r.signal, "SIGKILL", r.out);
            assert.ok(fs.existsSync(path.join(w.backend, "update.lock")), "the killed update's lock stays");
            setFaults(w, []);
            const blocked = await promoteHere(w, ["--model", "inference", "--recover"]);
            assert.equal(blocked.code, 3, blocked.out);
            assert.match(blocked.out, /stack staging has been updated by someone else for 0 minutes/);
            assert.match(blocked.out, /to recover: llm-platform promote --stack staging --model inference --recover/);
            assert.ok(journal(w).current, "the journal still holds the release");
            // The runbook: check no update runs, then `pulumi cancel`, then recover.
            await new Promise<void>((resolve) =>
                spawn(path.join(FAKE_BIN, "pulumi"), ["cancel", "--yes", "--stack", "staging"], {
                    cwd: w.project,
                    env: w.env,
                }).on("exit", () => resolve()),
            );
            const recovered = await promoteHere(w, ["--model", "inference", "--recover"]);
            assert.equal(recovered.code, 0, recovered.out);
            const s = checkServing(w);
            assert.equal(s.activeColor, "blue");
            checkReport(w, recovered.out);
            assert.deepEqual(locks(w), []);
            assert.equal(journal(w).current, undefined);
        } finally {
            await w.close();
        }
    });

    it("an update that hangs, and Ctrl-C twice: the first waits for the step, the second cancels it and stops at once; --recover undoes it", async () => {
        const w = await world();
        try {
            setFaults(w, [{ on: "up", match: "make green the active colour", action: "hang", ms: 30_000 }]);
            const r = await promoteProcess(w, ["--model-version", "v2"], async (pid) => {
                await calledWith(w, "promote: make green the active colour");
                process.kill(pid, "SIGINT");
                await new Promise((resolve) => setTimeout(resolve, 300));
                process.kill(pid, "SIGINT");
            });
            assert.equal(r.code, 3, r.out);
            assert.match(r.out, /SIGINT received: ending the step under way/);
            assert.match(r.out, /SIGINT received again: stopping at once/);
            assert.match(r.out, /stopped at once \(a second signal\): the journal keeps the release/);
            assert.match(r.out, /serving: model inference: unknown, the last update failed/);
            assert.match(r.out, /to recover: llm-platform promote --stack staging --model inference --recover/);
            assert.deepEqual(locks(w), [], "released on the way out");
            assert.deepEqual(journal(w).current?.steps.at(-1), "flip");
            checkServing(w);
            setFaults(w, []);
            const recovered = await promoteHere(w, ["--model", "inference", "--recover"]);
            assert.equal(recovered.code, 0, recovered.out);
            assert.equal(checkServing(w).activeColor, "blue");
            checkReport(w, recovered.out);
            assert.equal(journal(w).current, undefined);
        } finally {
            await w.close();
        }
    });

    it("a deploy's own update, hung: a CI cancel's two signals at once (pulumi-stack.sh) cancel it gracefully, no release starts, nothing is left held", async () => {
        const w = await world();
        try {
            setFaults(w, [{ on: "up", match: "deploy of abc", action: "hang", ms: 30_000 }]);
            const r = await promoteProcess(
                w,
                ["--message", "deploy of abc"],
                async (pid) => {
                    await calledWith(w, "deploy of abc");
                    process.kill(pid, "SIGINT");
                    process.kill(pid, "SIGTERM");
                },
                "deploy",
            );
            // Exited by itself (not killed by a signal), after the update was cancelled: 3, said
            // plainly, no stack trace.
            assert.equal(r.signal, null, r.out);
            assert.equal(r.code, 3, r.out);
            assert.match(r.out, /SIG(INT|TERM) received again: stopping at once; the next run recovers what is left/);
            assert.match(
                r.out,
                /^stopped at once: the update was cancelled \(Pulumi finishes the steps under way\), so the stack runs part of the commit; no release started\. The next deploy applies it again\.$/m,
            );
            assert.doesNotMatch(r.out, /CommandError|\n\s+at /);
            assert.doesNotMatch(r.out, /the commit's new release/);
            assert.deepEqual(locks(w), []);
            // The stack is free: the next deploy runs.
            setFaults(w, []);
            const again = await promoteHere(w, [], deployCommand);
            assert.equal(again.code, 0, again.out);
        } finally {
            await w.close();
        }
    });

    it("waiting for the stack's update lock, Ctrl-C twice stops at once instead of waiting out the 30 minutes", async () => {
        const w = await world();
        w.env.STACK_LOCK_WAIT_SECONDS = "1800";
        const held = tryLock(path.join(w.project, ".promote-staging@update.lock"), "another job");
        assert.ok(held);
        try {
            const started = Date.now();
            const r = await promoteProcess(w, ["--model-version", "v2"], async (pid) => {
                await calledWith(w, "config --show-secrets --json");
                await new Promise((resolve) => setTimeout(resolve, 1500));
                process.kill(pid, "SIGINT");
                await new Promise((resolve) => setTimeout(resolve, 200));
                process.kill(pid, "SIGINT");
            });
            assert.equal(r.code, 3, r.out);
            assert.ok(Date.now() - started < 60_000, "it did not wait the lock out");
            assert.match(r.out, /stopped while waiting for the stack/);
            assert.match(r.out, /to recover: llm-platform promote --stack staging --model inference --recover/);
            held.release();
            const recovered = await promoteHere(w, ["--model", "inference", "--recover"]);
            assert.equal(recovered.code, 0, recovered.out);
            assert.equal(checkServing(w).activeColor, "blue");
            assert.deepEqual(locks(w), []);
        } finally {
            held.release();
            await w.close();
        }
    });

    it("a deploy after a killed promotion recovers it first, then releases the commit: the old release stays as the way back", async () => {
        const w = await world();
        try {
            setFaults(w, [{ on: "up", match: "make green the active colour", action: "kill", phase: "applied" }]);
            const committed = fs.readFileSync(path.join(w.project, ".fake-config.staging.json"), "utf8");
            const killed = await promoteProcess(w, ["--model-version", "v2"]);
            assert.equal(killed.signal, "SIGKILL", killed.out);
            setFaults(w, []);
            // The checkout as CI makes it again: the commit, which gives green v2.
            const config = JSON.parse(committed) as Record<string, string>;
            config["llm-platform:serving"] = JSON.stringify({ green: { modelVersion: "v2" } });
            fs.writeFileSync(path.join(w.project, ".fake-config.staging.json"), JSON.stringify(config));
            const r = await promoteHere(w, [], deployCommand);
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, /models with a release left unfinished, recovered before the deploy: inference/);
            assert.match(r.out, /model inference: the commit's new release for green \(v2\)/);
            assert.deepEqual(w.deployed().inference, GREEN_V2);
            assert.equal(journal(w).current, undefined);
            assert.deepEqual(locks(w), []);
        } finally {
            await w.close();
        }
    });

    it("a deploy leaves a promotion that is still running (its lock held) to finish, and closes the journal of a model the commit removes", async () => {
        const w = await world(["chat", "embed"]);
        try {
            const unfinished = (model: string) =>
                fs.writeFileSync(
                    path.join(w.project, `.promote-staging.${model}.journal.json`),
                    JSON.stringify({
                        current: {
                            id: "x",
                            kind: "promote",
                            before: w.deployed()[model],
                            target: w.deployed()[model],
                            steps: ["deploy preview"],
                        },
                    }),
                );
            unfinished("chat");
            unfinished("embed");
            const held = tryLock(path.join(w.project, ".promote-staging.chat.lock"), "promote staging/chat");
            assert.ok(held);
            // That promotion has warmed its preview up: the stack says scaleDownInactive false.
            const outputs = path.join(w.backend, "outputs.json");
            const o = JSON.parse(fs.readFileSync(outputs, "utf8")) as {
                llmPlatformReleases: Array<{ model: string; scaleDownInactive: boolean }>;
            };
            for (const c of o.llmPlatformReleases) if (c.model === "chat") c.scaleDownInactive = false;
            fs.writeFileSync(outputs, JSON.stringify(o));
            assert.equal(w.deployed().chat.scaleDownInactive, true, "staging's default, before the warm-up");
            // The commit removes embed.
            const file = path.join(w.project, ".fake-config.staging.json");
            const config = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
            config["llm-platform:models"] = JSON.stringify([{ name: "chat", maxReplicas: 1 }]);
            fs.writeFileSync(file, JSON.stringify(config));
            const r = await promoteHere(w, [], deployCommand);
            held.release();
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, /model chat: a promotion is in progress \(promote staging\/chat/);
            assert.match(
                r.out,
                /model embed: a release left unfinished, and the commit removes the model: its journal is closed/,
            );
            assert.ok(journal(w, "chat").current, "chat's is its running promotion's");
            // The update kept the promotion's warm-up: the commit's setting waits for its end.
            assert.match(
                r.out,
                /model chat: its promotion is running; the update keeps its scaleDownInactive as the promotion set it/,
            );
            assert.equal(w.deployed().chat.scaleDownInactive, false);
            assert.equal(journal(w, "embed").current, undefined);
        } finally {
            await w.close();
        }
    });

    it("--all --recover (a cancelled deploy's recovery step) recovers each model's unfinished release and checks the others", async () => {
        const w = await world(["chat", "embed"]);
        try {
            const before = w.deployed().chat;
            const target = { ...before, releases: { ...before.releases, green: { modelVersion: "v2" } } };
            fs.writeFileSync(
                path.join(w.project, ".promote-staging.chat.journal.json"),
                JSON.stringify({
                    current: { id: "x", kind: "promote", before, target, steps: ["deploy preview"] },
                }),
            );
            const r = await promoteHere(w, ["--all", "--recover"]);
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, /^- the promote begun x did not finish \(last step: deploy preview\); undoing it/m);
            assert.match(r.out, /^recovered: \w+ is the active colour of model chat$/m);
            assert.match(r.out, /^- no release of model embed was left unfinished in this journal/m);
            assert.match(r.out, /^recovered: \w+ is the active colour of model embed$/m);
            assert.equal(journal(w, "chat").current, undefined);
            assert.deepEqual(w.deployed().chat, before);
            assert.deepEqual(locks(w), []);
        } finally {
            await w.close();
        }
    });

    it("a bad release (its preview fails) never serves, whatever fails after: exit 1, the old release serves", async () => {
        const w = await world();
        try {
            const r = await promoteHere(w, ["--model-version", "bad-v3"]);
            assert.equal(r.code, 1, r.out);
            const s = checkServing(w);
            assert.deepEqual(s.releases.green, { modelVersion: "v1" });
            checkReport(w, r.out);
            // The stack file holds no value the schema refuses (no image "").
            assert.doesNotMatch(
                fs.readFileSync(path.join(w.project, ".fake-config.staging.json"), "utf8"),
                /"image":""/,
            );
        } finally {
            await w.close();
        }
    });

    it("two releases of different models at once from two checkouts sharing a state folder (two CI jobs on one runner host): neither undoes the other", async () => {
        const w = await world(["chat", "embed"]);
        const second = fs.mkdtempSync(path.join(os.tmpdir(), "fake-checkout-"));
        for (const f of [".fake-config.staging.json", "Pulumi.yaml"])
            fs.copyFileSync(path.join(w.project, f), path.join(second, f));
        const shared = fs.mkdtempSync(path.join(os.tmpdir(), "release-state-"));
        w.env.LLM_PLATFORM_STATE_DIR = shared;
        try {
            // The stack's update lock is the shared folder's: one held there holds every checkout.
            fs.mkdirSync(path.join(shared, "fake-project"));
            const held = tryLock(path.join(shared, "fake-project", ".promote-staging@update.lock"), "another job");
            assert.ok(held);
            const blocked = await promoteHere({ ...w, project: second }, ["--model", "embed", "--model-version", "v2"]);
            held.release();
            // Its first update never began: refused (2), nothing changed, no second wait to undo.
            assert.equal(blocked.code, 2, blocked.out);
            assert.match(
                blocked.out,
                /release-state-\w+\/fake-project\/\.promote-staging@update\.lock has been held for \d+ s by another job .*, which is still running; nothing was changed: blue serves/,
            );
            assert.equal(w.deployed().embed.releases.green.modelVersion, "v1", "nothing deployed");
            w.env.STACK_LOCK_WAIT_SECONDS = "120";
            const [a, b] = await Promise.all([
                promoteProcess(w, ["--model", "chat", "--model-version", "v2"]),
                promoteProcess({ ...w, project: second }, ["--model", "embed", "--model-version", "v2"]),
            ]);
            assert.equal(a.code, 0, a.out);
            assert.equal(b.code, 0, b.out);
            for (const model of ["chat", "embed"]) {
                const s = w.deployed()[model];
                assert.equal(s.activeColor, "green", `${model}: ${JSON.stringify(s)}`);
                assert.equal(s.releases.green.modelVersion, "v2");
            }
            // The locks and journals in the shared folder, under the project's name; none left.
            const dir = path.join(shared, "fake-project");
            assert.deepEqual(fs.readdirSync(dir).sort(), [
                ".promote-staging.chat.journal.json",
                ".promote-staging.embed.journal.json",
            ]);
            assert.deepEqual(locks(w), []);
        } finally {
            await w.close();
        }
    });

    it("two releases of different models at once from one checkout: neither undoes the other", async () => {
        const w = await world(["chat", "embed"]);
        // Each waits for the other's updates (the stack's update lock in the checkout).
        w.env.STACK_LOCK_WAIT_SECONDS = "120";
        try {
            const [a, b] = await Promise.all([
                promoteProcess(w, ["--model", "chat", "--model-version", "v2"]),
                promoteProcess(w, ["--model", "embed", "--model-version", "v2"]),
            ]);
            assert.equal(a.code, 0, a.out);
            assert.equal(b.code, 0, b.out);
            for (const model of ["chat", "embed"]) {
                const s = w.deployed()[model];
                assert.equal(s.activeColor, "green", `${model}: ${JSON.stringify(s)}`);
                assert.equal(s.releases.green.modelVersion, "v2");
                assert.equal(s.scaleDownInactive, true);
            }
            assert.deepEqual(locks(w), []);
        } finally {
            await w.close();
        }
    });
});
