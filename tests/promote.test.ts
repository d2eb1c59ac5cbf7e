import * as assert from "node:assert/strict";
import type * as automation from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import type { AddressInfo } from "node:net";
import { parsePromoteArgs } from "../tools/cli/promote";
import { UsageError } from "../tools/errors";
import {
    AutomationStack,
    HttpProber,
    lockFileFor,
    promotionUpOptions,
    shortStackName,
    takeLockFile,
    typedConfigArgs,
    type AutomationTarget,
} from "../tools/promote/automation";
import { releaseObjectAt, splitConfigKey, stateOf } from "../tools/promote/contract";
import { pidNamespace, removeStale, STALE_AFTER_MS, staleReason, tryLock } from "../tools/promote/locks";
import type { ReleaseContract } from "../components/release";
import { readProject } from "../tools/engine/project";
import { readStackConfig } from "../tools/engine/stackConfig";
import { promote, smokeTest, type ProbeResult, type Prober, type ServingState } from "../tools/promote/machine";
import type { ModelRegistryClient, RegisteredVersion } from "../tools/promote/registry";
import { goodRawConfig, PROJECT_DIR } from "./helpers";
import { planOf } from "./plans";
import { ACTIVE, FakeProber, FakeStack, PREVIEW, referenceContract, referenceState, state } from "./promoteFakes";

const DIGEST = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"c".repeat(64)}`;

const ok: ProbeResult = { status: 200, latencyMs: 120 };

describe("promote: the state machine", () => {
    it("deploys the inactive colour, smoke-tests the preview, flips and verifies", async () => {
        const stack = new FakeStack(state());
        const prober = new FakeProber(() => ok, stack);
        const result = await promote(stack, prober, { image: DIGEST, modelVersion: "v2" });
        assert.equal(result.outcome, "promoted");
        assert.equal(result.activeColor, "green");
        // The release that now serves, for the command to say what to commit.
        assert.deepEqual(result.release, { colour: "green", image: DIGEST, modelVersion: "v2" });
        assert.deepEqual(stack.calls, ["up: deploy green as the preview colour", "up: make green the active colour"]);
        // Each update deploys the model's whole release state, never one key over the stack file.
        const v1 = { image: undefined, modelVersion: "v1" };
        assert.deepEqual(stack.deployed, [
            {
                activeColor: "blue",
                scaleDownInactive: false,
                releases: { blue: v1, green: { image: DIGEST, modelVersion: "v2" } },
            },
            {
                activeColor: "green",
                scaleDownInactive: false,
                releases: { blue: v1, green: { image: DIGEST, modelVersion: "v2" } },
                // The flip records itself in the stack: what each colour ran when green took over.
                lastFlip: {
                    activeColor: "green",
                    releases: { blue: v1, green: { image: DIGEST, modelVersion: "v2" } },
                },
            },
        ]);
        // The check after the flip waits for the load balancer to move production's weights.
        assert.deepEqual(prober.requests, [`${PREVIEW}/health`, "wait 30 s", `${ACTIVE}/health`]);
        assert.equal(stack.locked, false, "the lock is released");
        // The journal ends with no release under way, and the state that passed as the last good one.
        assert.equal(stack.journalData.current, undefined);
        assert.deepEqual(stack.journalData.good?.state, stack.deployed[1]);
        assert.deepEqual(result.serving, stack.deployed[1]);
    });

    it("promotes on a stack that scales the inactive colour to zero: scale it up with its release, flip, settle, verify, scale the old one down", async () => {
        const stack = new FakeStack(state({ scaleDownInactive: true }));
        const prober = new FakeProber(() => ok, stack);
        const result = await promote(stack, prober, { modelVersion: "v2" });
        assert.equal(result.outcome, "promoted");
        assert.deepEqual(stack.calls, [
            "up: deploy green as the preview colour",
            "up: make green the active colour",
            "up: scale blue down again",
        ]);
        assert.deepEqual(
            stack.deployed.map((s) => [s.activeColor, s.scaleDownInactive, s.releases.green.modelVersion]),
            [
                ["blue", false, "v2"],
                ["green", false, "v2"],
                ["green", true, "v2"],
            ],
        );
        // The old colour stays, at weight 0, while its open streams finish.
        assert.deepEqual(prober.requests, [`${PREVIEW}/health`, "wait 30 s", `${ACTIVE}/health`, "wait 300 s"]);
        assert.deepEqual(result.log, [
            "deployed green (image built by the stack, model v2), scaled up from zero (scaleDownInactive off while promoting)",
            "smoke test of the preview passed (/health → 200)",
            "no quality gate: model inference has no evaluation set (evaluation.set)",
            "no load stage: model inference has no evaluation set for its prompts (evaluation.set)",
            "flipped the active Service from blue to green",
            "waited 30 s for the load balancer to move production's weights",
            "verified the active endpoint",
            "waited 300 s for blue's open streams to finish",
            "scaled blue down again (scaleDownInactive on)",
        ]);
    });

    it("scales the preview down again with its old release when a promotion from zero fails its smoke test", async () => {
        const stack = new FakeStack(state({ scaleDownInactive: true }));
        const prober = new FakeProber((url) => (url.startsWith(PREVIEW) ? { status: 503, latencyMs: 10 } : ok), stack);
        const result = await promote(stack, prober, { modelVersion: "v2" });
        assert.equal(result.outcome, "smoke-failed");
        assert.equal(result.activeColor, "blue");
        assert.deepEqual(stack.calls, [
            "up: deploy green as the preview colour",
            "up: restore green to its previous release",
        ]);
        // What served before, whole: green back on v1 and at zero.
        assert.deepEqual(stack.deployed[1], {
            activeColor: "blue",
            scaleDownInactive: true,
            releases: {
                blue: { image: undefined, modelVersion: "v1" },
                green: { image: undefined, modelVersion: "v1" },
            },
        });
        assert.equal(
            result.log.at(-1),
            "restored green to its previous release and scaled it down again; blue kept serving throughout",
        );
    });

    it("stops before the flip when the preview fails its smoke test, and restores the preview colour", async () => {
        const stack = new FakeStack(state());
        const prober = new FakeProber((url) => (url.startsWith(PREVIEW) ? { status: 503, latencyMs: 10 } : ok), stack);
        const result = await promote(stack, prober, { image: DIGEST });
        assert.equal(result.outcome, "smoke-failed");
        assert.equal(result.activeColor, "blue");
        assert.deepEqual(stack.calls, [
            "up: deploy green as the preview colour",
            "up: restore green to its previous release",
        ]);
        // The stack's own image again: no image key (never image "", which the schema refuses).
        assert.equal(stack.deployed[1].releases.green.image, undefined);
        assert.equal(
            result.log[1],
            `smoke test of the preview failed: ${PREVIEW}/health answered 503, expected 200 (2 attempts)`,
        );
        // The attempts are a health check interval apart: a colour just scaled up has no healthy target yet.
        assert.deepEqual(prober.requests, [`${PREVIEW}/health`, "wait 15 s", `${PREVIEW}/health`]);
    });

    it("fails a smoke test over the latency budget and retries failed connections", async () => {
        const slow = new FakeStack(state());
        const r = await smokeTest(
            new FakeProber(() => ({ status: 200, latencyMs: 900 }), slow),
            PREVIEW,
            slow.state.smoke,
        );
        assert.equal(r, `${PREVIEW}/health took 900 ms, over the budget of 500 ms (2 attempts)`);
        let calls = 0;
        const flaky = new FakeProber(() => (++calls === 1 ? new Error("connect ECONNREFUSED") : ok), slow);
        assert.equal(await smokeTest(flaky, PREVIEW, slow.state.smoke), undefined);
        assert.equal(calls, 2);
    });

    it("rolls back on its own when the check after the flip fails", async () => {
        const stack = new FakeStack(state());
        const prober = new FakeProber(
            (url, s) =>
                url.startsWith(ACTIVE) && s.state.activeColor === "green" ? { status: 500, latencyMs: 5 } : ok,
            stack,
        );
        const result = await promote(stack, prober, {});
        assert.equal(result.outcome, "reverted");
        assert.equal(result.activeColor, "blue");
        assert.equal(result.release, undefined);
        assert.deepEqual(stack.calls, [
            "up: deploy green as the preview colour",
            "up: make green the active colour",
            "up: roll back to blue",
        ]);
        assert.equal(result.log.at(-1), "rolled back: blue serves again and passes the check");
    });

    it("after rolling back, puts the colour's previous release back, so the same release is tried again", async () => {
        const stack = new FakeStack(state());
        const prober = new FakeProber(
            (url, s) =>
                url.startsWith(ACTIVE) && s.state.activeColor === "green" ? { status: 500, latencyMs: 5 } : ok,
            stack,
        );
        const before = state().releases.green;
        const result = await promote(stack, prober, { modelVersion: "v9", image: DIGEST });
        assert.equal(result.outcome, "reverted");
        // One update: production back on blue, green back on its previous release.
        assert.deepEqual(stack.calls.at(-1), "up: roll back to blue");
        assert.deepEqual(stack.deployed.at(-1)?.releases.green, before);
        assert.equal(stack.deployed.at(-1)?.activeColor, "blue");
        assert.equal(
            result.log.at(-1),
            "rolled back: blue serves again and passes the check; green runs its previous release again",
        );
    });

    it("reports a rollback that fails itself, so that someone acts", async () => {
        const stack = new FakeStack(state());
        stack.upFails = (reason) => reason === "roll back to blue";
        const prober = new FakeProber(
            (url, s) =>
                url.startsWith(ACTIVE) && s.state.activeColor === "green" ? { status: 500, latencyMs: 5 } : ok,
            stack,
        );
        const result = await promote(stack, prober, {});
        assert.equal(result.outcome, "rollback-failed");
        assert.equal(result.log.at(-1), "rollback failed: update failed: roll back to blue");
        assert.equal(stack.locked, false);
        // The journal keeps the release: the next run undoes it first.
        assert.deepEqual(stack.journalData.current?.steps, [
            "deploy preview",
            "preview deployed",
            "gate passed",
            "flip",
            "flipped",
            "revert",
        ]);
        assert.equal(result.recover, "llm-platform promote --stack prod --model inference --recover");
    });

    it("reports a rollback whose check still fails", async () => {
        const stack = new FakeStack(state());
        const prober = new FakeProber((url) => (url.startsWith(ACTIVE) ? { status: 500, latencyMs: 5 } : ok), stack);
        const result = await promote(stack, prober, {});
        assert.equal(result.outcome, "rollback-failed");
        assert.equal(result.activeColor, "blue");
    });

    it("flips back to the warm colour with --rollback", async () => {
        const stack = new FakeStack(state({ activeColor: "green" }));
        const result = await promote(stack, new FakeProber(() => ok, stack), { rollback: true });
        assert.equal(result.outcome, "rolled-back");
        assert.equal(result.activeColor, "blue");
        assert.deepEqual(stack.calls, ["up: make blue the active colour"]);
    });

    it("refuses, changing nothing, when it cannot start", async () => {
        const cases: Array<[Partial<ServingState>, Parameters<typeof promote>[2], string]> = [
            [
                { platform: "ecs" },
                {},
                "model inference of stack prod is served by ECS, whose blue/green deployments are ECS's own: release it with pulumi up",
            ],
            [
                { strategy: "canary" },
                {},
                "model inference of stack prod releases by canary (strategy canary); Flagger promotes it, not this command",
            ],
            [{}, { to: "blue" }, "blue is already the active colour of stack prod"],
            [
                // A colour scaled to zero is smoke-tested as the preview before a rollback flips to it.
                { scaleDownInactive: true, smoke: { ...state().smoke, previewUrl: undefined } },
                { rollback: true },
                "no preview URL: the model's release contract (the stack output llmPlatformReleases) has no smoke.previewUrl: give the service an entry point, or releaseContract a smokeTest.previewUrl reachable from here (the reference stacks: llm-platform:serving.smokeTest.previewUrl), then pulumi up",
            ],
            [
                {},
                { rollback: true, image: DIGEST },
                "--rollback flips back to the other colour; it takes no --to, --image or --model-version",
            ],
            [
                { smoke: { ...state().smoke, previewUrl: undefined } },
                {},
                "no preview URL: the model's release contract (the stack output llmPlatformReleases) has no smoke.previewUrl: give the service an entry point, or releaseContract a smokeTest.previewUrl reachable from here (the reference stacks: llm-platform:serving.smokeTest.previewUrl), then pulumi up",
            ],
        ];
        for (const [overrides, options, message] of cases) {
            const stack = new FakeStack(state(overrides));
            await assert.rejects(promote(stack, new FakeProber(() => ok, stack), options), {
                name: "PromotionError",
                message,
            });
            assert.deepEqual(stack.calls, []);
        }
    });

    it("rolls back a stack that scales the inactive colour to zero: scale it up, smoke-test it, flip, scale the other down", async () => {
        const stack = new FakeStack(state({ scaleDownInactive: true }));
        const prober = new FakeProber(() => ok, stack);
        const result = await promote(stack, prober, { rollback: true });
        assert.equal(result.outcome, "rolled-back");
        assert.equal(result.activeColor, "green");
        assert.deepEqual(stack.calls, [
            "up: scale green up for the rollback",
            "up: make green the active colour",
            "up: scale blue down again",
        ]);
        assert.deepEqual(prober.requests, [`${PREVIEW}/health`, "wait 30 s", `${ACTIVE}/health`, "wait 300 s"]);
        assert.deepEqual(result.log, [
            // A stack no release of this version has flipped: nothing to check the other colour against.
            "no record of the last flip (the release object's lastFlip, written by promote and deploy) and no journal here: the rollback flips to what green runs, model v1 (image built by the stack)",
            "deployed green (model v1, image built by the stack), scaled up from zero (scaleDownInactive off while rolling back); blue kept serving",
            "smoke test of green passed (/health → 200)",
            "flipped the active Service from blue to green",
            "waited 30 s for the load balancer to move production's weights",
            "verified the active endpoint",
            "waited 300 s for blue's open streams to finish",
            "scaled blue down again (scaleDownInactive on)",
        ]);
        assert.deepEqual(
            stack.deployed.map((s) => [s.activeColor, s.scaleDownInactive]),
            [
                ["blue", false],
                ["green", false],
                ["green", true],
            ],
        );
    });

    it("keeps production where it was when the colour it rolls back to fails its smoke test, and scales it down again", async () => {
        const stack = new FakeStack(state({ scaleDownInactive: true }));
        const prober = new FakeProber((url) => (url.startsWith(PREVIEW) ? { status: 503, latencyMs: 10 } : ok), stack);
        const result = await promote(stack, prober, { rollback: true });
        assert.equal(result.outcome, "smoke-failed");
        assert.equal(result.activeColor, "blue");
        assert.deepEqual(stack.calls, ["up: scale green up for the rollback", "up: scale green down again"]);
        assert.equal(
            result.log[2],
            `smoke test of green failed: ${PREVIEW}/health answered 503, expected 200 (2 attempts)`,
        );
    });

    it("releases a registered version by number: an alias is resolved and its source checked before anything changes", async () => {
        const SOURCE = "s3://models-bucket/models/chat";
        const calls: string[] = [];
        const versions: Record<string, RegisteredVersion> = {
            "@candidate": { version: "7", source: `${SOURCE}/retrained-abc123` },
            "3": { version: "3", source: `${SOURCE}/v3` },
            "4": { version: "4", source: "mlflow-artifacts:/1/abc/artifacts/weights" },
            "5": { version: "5", source: "s3://models-bucket/models/embed/v5" },
        };
        const registry: ModelRegistryClient = {
            resolve: async (ref) => {
                const key = ref.version ?? `@${ref.alias}`;
                calls.push(`resolve ${ref.name} ${key}`);
                const found = versions[key];
                if (!found) throw new Error(`models:/${ref.name}/${key} names no version`);
                return found;
            },
            recordDeployment: async (name, version, record) => {
                calls.push(`record ${name} ${version} ${record.stack} ${record.model} ${record.colour}`);
                assert.match(record.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
            },
            createVersion: async () => assert.fail("nothing is copied here"),
        };
        const stack = new FakeStack(state({ modelSource: SOURCE }));
        const result = await promote(
            stack,
            new FakeProber(() => ok, stack),
            { modelVersion: "models:/chat@candidate" },
            undefined,
            registry,
        );
        assert.equal(result.outcome, "promoted");
        // The config holds version 7, never the alias the next retraining moves.
        assert.equal(stack.deployed[0].releases.green.modelVersion, "models:/chat/7");
        assert.deepEqual(calls, ["resolve chat @candidate", "record chat 7 prod inference green"]);
        assert.equal(
            result.log[0],
            `resolved models:/chat@candidate to models:/chat/7 (source ${SOURCE}/retrained-abc123); the release records the version, not the alias candidate`,
        );
        assert.equal(result.log.at(-1), "recorded in the model registry: chat version 7 is now aliased serving");

        // Weights logged through the registry's proxy, or another model's prefix: refused, nothing changed.
        for (const [version, why] of [
            [
                "models:/chat/4",
                "version 4 cannot be released: its source is mlflow-artifacts:/1/abc/artifacts/weights, outside s3://models-bucket/models/chat/ (it was logged through the registry's artifact proxy, which carries no multi-GB weights)",
            ],
            [
                "models:/chat/5",
                "version 5 cannot be released: its source is s3://models-bucket/models/embed/v5, outside s3://models-bucket/models/chat/ (the model's pods read only their own prefix of the bucket)",
            ],
            ["models:/chat/9", "models:/chat/9 names no version"],
        ]) {
            const refused = new FakeStack(state({ modelSource: SOURCE }));
            await assert.rejects(
                promote(refused, new FakeProber(() => ok, refused), { modelVersion: version }, undefined, registry),
                {
                    name: "PromotionError",
                    message: `--model-version ${version}: ${why}${why.includes("outside") ? ': upload the weights to a folder under s3://models-bucket/models/chat/ and register that folder (docs/releasing.md, "Releasing a model version")' : ""}`,
                },
            );
            assert.deepEqual(refused.calls, [], `${version}: nothing changed`);
        }
        // No registry to resolve it with: refused too.
        const none = new FakeStack(state({ modelSource: SOURCE }));
        await assert.rejects(promote(none, new FakeProber(() => ok, none), { modelVersion: "models:/chat/3" }), {
            message:
                "--model-version models:/chat/3: a registered version is resolved and checked in the model registry before it is released, and there is none: pass --registry-url, or have the stack export modelRegistryUrl",
        });
        assert.deepEqual(none.calls, []);

        // A failure to record leaves the release standing, and says so.
        const failing: ModelRegistryClient = {
            resolve: registry.resolve,
            createVersion: registry.createVersion,
            recordDeployment: async () => {
                throw new Error("POST http://mlflow/api/2.0/mlflow/registered-models/alias answered 503: unavailable");
            },
        };
        const again = new FakeStack(state({ modelSource: SOURCE }));
        const r2 = await promote(
            again,
            new FakeProber(() => ok, again),
            { modelVersion: "models:/chat/3" },
            undefined,
            failing,
        );
        assert.equal(r2.outcome, "promoted");
        assert.equal(
            r2.log.at(-1),
            "could not record models:/chat/3 in the model registry: POST http://mlflow/api/2.0/mlflow/registered-models/alias answered 503: unavailable; the release itself stands",
        );
        // A version in the bucket is not looked up and has nothing to record.
        calls.length = 0;
        const bucket = new FakeStack(state({ modelSource: SOURCE }));
        const r4 = await promote(bucket, new FakeProber(() => ok, bucket), { modelVersion: "v3" }, undefined, registry);
        assert.equal(r4.log.at(-1), "verified the active endpoint");
        assert.deepEqual(calls, []);
    });

    it("refuses while another promotion holds the lock", async () => {
        const stack = new FakeStack(state());
        stack.locked = true;
        await assert.rejects(promote(stack, new FakeProber(() => ok, stack), {}), {
            message: "a promotion of stack prod is already in progress",
        });
        assert.deepEqual(stack.calls, []);
    });
});

describe("promote: the real adapters", () => {
    it("takes Pulumi Cloud's qualified stack names, as CI passes them (org/stack)", () => {
        assert.equal(shortStackName("acme/prod"), "prod");
        assert.equal(shortStackName("acme/llm-platform/staging"), "staging");
        assert.equal(shortStackName("prod"), "prod");
        assert.equal(lockFileFor("/repo", "acme/prod", "chat"), path.join("/repo", ".promote-prod.chat.lock"));
        assert.equal(
            lockFileFor("/repo", "staging", "inference"),
            path.join("/repo", ".promote-staging.inference.lock"),
        );
    });

    it("reads a model's state from its release contract, with the release its config holds now over it", async () => {
        const raw = goodRawConfig({
            "llm-platform:serving": JSON.stringify({
                activeColor: "green",
                smokeTest: { previewUrl: PREVIEW, path: "/ready" },
                green: { image: DIGEST, modelVersion: "v2" },
            }),
        });
        const s = await referenceState("prod", raw, "inference");
        assert.equal(s.activeColor, "green");
        assert.deepEqual(s.releases.green, { image: DIGEST, modelVersion: "v2" });
        assert.deepEqual(s.smoke, {
            path: "/ready",
            expectedStatus: 200,
            latencyBudgetMs: 500,
            attempts: 5,
            previewUrl: PREVIEW,
            activeUrl: undefined,
        });
        // The config changed since the last update (a flip by hand): the config is what the next update applies.
        const contract = await referenceContract("prod", raw, "inference");
        const flipped = {
            ...raw,
            "llm-platform:serving": JSON.stringify({ activeColor: "blue", green: { modelVersion: "v3" } }),
        };
        const now = stateOf(contract, flipped);
        assert.equal(now.activeColor, "blue");
        assert.deepEqual(now.releases.green, { image: DIGEST, modelVersion: "v3" });
        // A contract's key, with its path, names the object in the config.
        assert.deepEqual(splitConfigKey("llm-platform:models[1]"), { key: "llm-platform:models", path: [1] });
        assert.deepEqual(splitConfigKey("app:chat.release"), { key: "app:chat", path: ["release"] });
        assert.deepEqual(
            releaseObjectAt(
                { "llm-platform:models": '[{"name":"a"},{"name":"b","activeColor":"green"}]' },
                "llm-platform:models[1]",
            ),
            { name: "b", activeColor: "green" },
        );
        assert.equal(releaseObjectAt({}, "app:chat"), undefined);
    });

    it("takes a lock file that a second promotion cannot take until released, and takes over one whose holder died", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lock-")), ".promote-prod.lock");
        const held = await takeLockFile(file, "prod");
        const owner = JSON.parse(fs.readFileSync(file, "utf8"));
        assert.deepEqual(Object.keys(owner), ["pid", "host", "since", "purpose", "pidns"]);
        assert.equal(owner.pidns, pidNamespace());
        assert.deepEqual([owner.pid, owner.host, owner.purpose], [process.pid, os.hostname(), "promote prod"]);
        await assert.rejects(takeLockFile(file, "prod"), {
            name: "PromotionError",
            message: `a promotion of stack prod is already in progress: promote prod (process ${process.pid} on ${os.hostname()}, since ${owner.since}) holds ${file}`,
        });
        await held.release();
        assert.equal(fs.existsSync(file), false);

        // A holder killed (SIGKILL, a cancelled CI job): its pid is gone on this host.
        const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
        fs.writeFileSync(
            file,
            JSON.stringify({
                pid: dead,
                host: os.hostname(),
                since: "2026-01-01T00:00:00.000Z",
                purpose: "promote prod/chat",
                pidns: pidNamespace(),
            }),
        );
        const taken = await takeLockFile(file, "prod");
        // ... but not a lock of the same pid in another PID namespace (a container with this hostname): only its heartbeat tells there.
        const other = tryLock(`${file}.ns`, "x");
        other?.release();
        fs.writeFileSync(
            `${file}.ns`,
            JSON.stringify({
                pid: dead,
                host: os.hostname(),
                since: "t",
                purpose: "promote prod/chat",
                pidns: "pid:[1]",
            }),
        );
        assert.equal(staleReason(`${file}.ns`), undefined);
        assert.equal(
            taken.tookOver,
            `promote prod/chat (process ${dead} on ${os.hostname()}, since 2026-01-01T00:00:00.000Z): its process ${dead} on ${os.hostname()} is gone`,
        );
        await taken.release();

        // A holder on another machine that stopped refreshing its lock for longer than STALE_AFTER_MS.
        fs.writeFileSync(file, JSON.stringify({ pid: 1, host: "runner-9", since: "x", purpose: "promote prod/chat" }));
        assert.equal(staleReason(file), undefined, "a fresh lock of another host is held");
        const old = new Date(Date.now() - STALE_AFTER_MS - 60_000);
        fs.utimesSync(file, old, old);
        assert.equal(staleReason(file), "its holder (process 1 on runner-9) has not refreshed it for 11 minutes");
        await (await takeLockFile(file, "prod")).release();
        // Released only by its holder: a lock taken over meanwhile is not removed.
        const mine = await takeLockFile(file, "prod");
        fs.writeFileSync(
            file,
            JSON.stringify({ pid: process.pid, host: os.hostname(), since: "later", purpose: "other" }),
        );
        await mine.release();
        assert.equal(fs.existsSync(file), true);
    });

    it("removes a stale lock only while it is the one judged stale: a taker killed mid-takeover leaves a gate, and two takers cannot both pass it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lock-"));
        const file = path.join(dir, ".promote-prod.chat.lock");
        const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
        const holder = (pid: number, since: string) => ({
            pid,
            host: os.hostname(),
            since,
            purpose: "promote prod/chat",
            pidns: pidNamespace(),
        });
        // A dead holder, and the gate of a taker that died mid-takeover: both taken over.
        fs.writeFileSync(file, JSON.stringify(holder(dead, "a")));
        fs.writeFileSync(`${file}.takeover`, JSON.stringify(holder(dead, "b")));
        const taken = tryLock(file, "promote prod/chat");
        assert.ok(taken?.tookOver?.endsWith(`its process ${dead} on ${os.hostname()} is gone`));
        assert.equal(fs.existsSync(`${file}.takeover`), false);
        taken?.release();
        // Another taker replaced the stale lock between the judgement and the removal: it stands.
        fs.writeFileSync(file, JSON.stringify(holder(process.pid, "fresh")));
        assert.equal(removeStale(file, holder(dead, "a")), false);
        assert.equal(JSON.parse(fs.readFileSync(file, "utf8")).since, "fresh");
        assert.deepEqual(
            fs.readdirSync(dir).filter((f) => f.endsWith(".aside")),
            [],
            "nothing left aside",
        );
        // The one judged: removed; already gone: nothing to do.
        fs.writeFileSync(file, JSON.stringify(holder(dead, "a")));
        assert.equal(removeStale(file, holder(dead, "a")), true);
        assert.equal(fs.existsSync(file), false);
        assert.equal(removeStale(file, holder(dead, "a")), true);
    });

    it("probes HTTP status and latency against a local server", async () => {
        const server = http.createServer((req, res) => {
            res.statusCode = req.url === "/health" ? 200 : 404;
            res.end("ok");
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        try {
            const prober = new HttpProber(2000);
            const r = await prober.get(`${base}/health`);
            assert.equal(r.status, 200);
            assert.ok(r.latencyMs >= 0 && r.latencyMs < 2000);
            assert.equal((await prober.get(`${base}/nope`)).status, 404);
            assert.equal(await smokeTest(prober, base, state().smoke), undefined);
        } finally {
            server.close();
        }
        await assert.rejects(new HttpProber(500).get(`${base}/health`));
    });

    it("parses the command line, rejecting what it cannot use", () => {
        assert.deepEqual(
            parsePromoteArgs(["--stack", "prod", "--to", "green", "--image", DIGEST, "--model-version", "v2"]).options,
            {
                to: "green",
                image: DIGEST,
                modelVersion: "v2",
                rollback: false,
            },
        );
        assert.equal(parsePromoteArgs(["--stack", "prod", "--rollback"]).options.rollback, true);
        assert.throws(
            () => parsePromoteArgs(["--to", "green"]),
            (e: unknown) => e instanceof UsageError && e.message.startsWith("--stack is required"),
        );
        assert.throws(() => parsePromoteArgs(["--stack", "prod", "--to", "red"]), {
            message: '--to: expected blue or green, received "red"',
        });
        assert.throws(() => parsePromoteArgs(["--stack", "prod", "--image", "inference:v2"]), {
            message:
                '--image: expected an image pinned by digest (repository@sha256:<64 hex>), received "inference:v2"',
        });
    });
});

describe("promote: what it runs against on a real stack", () => {
    it("reaches both colours of the reference stacks through the entry point's outputs, with no URL configured", async () => {
        // embed has no evaluation set (the gate's client is tested in qualityGate.test.ts).
        // The deploy job's runner is inside the VPC (the cluster's endpoint is private): it reaches the
        // internal ALB the stack outputs. Here the ALB's name is mapped to a loopback server.
        for (const stackName of ["staging", "prod"] as const) {
            const plan = await planOf(stackName);
            const { values } = readStackConfig(PROJECT_DIR, readProject(PROJECT_DIR), stackName);
            const contract = (plan.outputs.llmPlatformReleases as ReleaseContract[]).find((c) => c.model === "embed")!;
            const { configKey, ...s } = stateOf(contract, values);
            assert.equal(configKey, "llm-platform:models[1]");
            const outputs = (
                plan.outputs.models as Array<{ name: string; activeUrl: string; previewUrl: string }>
            ).find((m) => m.name === "embed")!;
            assert.match(
                outputs.activeUrl,
                /^http:\/\/internal-k8s-inferenc-[0-9a-f]{10}-\d+\.us-east-1\.elb\.amazonaws\.com$/,
            );
            assert.equal(s.smoke.activeUrl, outputs.activeUrl);
            assert.equal(s.smoke.previewUrl, `${outputs.activeUrl}:8443`);
            assert.deepEqual(s.smoke.headers, { "x-llm-model": "embed" });

            const seen: string[] = [];
            const server = http.createServer((req, res) => {
                seen.push(`${req.headers["x-forwarded-port"] ?? ""}${req.url} ${String(req.headers["x-llm-model"])}`);
                res.statusCode = req.url === s.smoke.path && req.headers["x-llm-model"] === "embed" ? 200 : 404;
                res.end();
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            const loopback = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            const alb = new URL(outputs.activeUrl).host;
            const real = new HttpProber(2000);
            const prober: Prober = {
                get: (url, headers) => {
                    const u = new URL(url);
                    assert.equal(u.hostname, alb, "only the stack's load balancer is called");
                    return real.get(`${loopback}${u.pathname}`, { ...headers, "x-forwarded-port": u.port || "80" });
                },
                wait: async () => {},
            };
            try {
                const stack = new FakeStack(s);
                const result = await promote(stack, prober, {});
                assert.equal(result.outcome, "promoted", result.log.join("\n"));
                assert.deepEqual(seen, [`8443${s.smoke.path} embed`, `80${s.smoke.path} embed`]);
            } finally {
                server.close();
            }
        }
    });

    it("drives a real stack through the Automation API: contract and config read, every value typed by the CLI, every up with the packs", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "automation-"));
        const cli = path.join(dir, "pulumi");
        fs.writeFileSync(cli, `#!/bin/bash\necho "$PWD $*" >> "${dir}/cli"\n`, { mode: 0o755 });
        const calls: string[] = [];
        const upOptions: Array<Record<string, unknown>> = [];
        const config = goodRawConfig({ "llm-platform:tier": "staging" });
        const contract = await referenceContract("staging", config, "inference", {
            active: "http://alb",
            preview: "http://alb:8443",
        });
        const target: AutomationTarget & Pick<automation.Stack, "setConfig"> = {
            name: "acme/staging",
            workspace: { pulumiCommand: { command: cli } },
            getAllConfig: async () =>
                Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v, secret: false }])),
            outputs: async () => ({ llmPlatformReleases: { value: [contract], secret: false } }),
            setConfig: async (key, value, usePath) =>
                void calls.push(`setConfig ${key}=${value.value} path=${String(usePath)}`),
            up: async (opts) => {
                upOptions.push({ ...opts, onOutput: typeof opts?.onOutput });
                return {} as Awaited<ReturnType<AutomationTarget["up"]>>;
            },
            preview: async () => assert.fail("a promotion never previews"),
        };
        const policy = { packs: [path.join(dir, "pack")], configs: [path.join(dir, "pack", "config", "staging.json")] };
        const stack = new AutomationStack("staging", target, dir, undefined, policy, () => undefined);
        assert.deepEqual(await stack.models(), ["inference"]);
        const state = await stack.readState();
        assert.deepEqual([state.smoke.activeUrl, state.smoke.previewUrl], ["http://alb", "http://alb:8443"]);
        await stack.deploy(
            { ...state, activeColor: "green", scaleDownInactive: false },
            "make green the active colour",
        );
        // Every value through the CLI, typed: the Automation API's setConfig stores none.
        assert.deepEqual(calls, []);
        // The model's whole release object in one `config set-all --json`, typed: the flip a string,
        // the boolean a boolean, a version a string; a colour without an image has no image key.
        const written = fs.readFileSync(path.join(dir, "cli"), "utf8").trim().split("\n");
        assert.equal(written.length, 1);
        const m = new RegExp(`^${dir} config set-all --json (\\S+) --stack acme/staging --non-interactive$`).exec(
            written[0],
        );
        assert.ok(m, written[0]);
        const release = {
            activeColor: "green",
            scaleDownInactive: false,
            blue: { modelVersion: "v1" },
            green: { modelVersion: "v1" },
        };
        assert.deepEqual(JSON.parse(m[1]), {
            "llm-platform:serving": { value: JSON.stringify(release), objectValue: release, secret: false },
        });
        assert.deepEqual(upOptions, [
            {
                policyPacks: policy.packs,
                policyPackConfigs: policy.configs,
                message: "promote: make green the active colour of model inference",
                onOutput: "function",
            },
        ]);
        const held = await stack.lock();
        assert.ok(fs.existsSync(path.join(dir, ".promote-staging.inference.lock")));
        // A journal that is not one is refused, naming why.
        fs.writeFileSync(path.join(dir, ".promote-staging.inference.journal.json"), '{"current":{"kind":"deploy"}}');
        await assert.rejects(stack.journal.read(), {
            name: "PromotionError",
            message: `${path.join(dir, ".promote-staging.inference.journal.json")} is not a release journal (current.kind is not promote or rollback): restore it, or delete it once the stack is checked to serve what it should (promote --recover then checks it)`,
        });
        // The journal beside it, replaced whole.
        await stack.journal.write({ good: { state, at: "t", id: "i" } });
        assert.deepEqual(await stack.journal.read(), {
            good: { state: JSON.parse(JSON.stringify(state)), at: "t", id: "i" },
        });
        assert.deepEqual(
            fs
                .readdirSync(dir)
                .filter((f) => f.startsWith(".promote"))
                .sort(),
            [".promote-staging.inference.journal.json", ".promote-staging.inference.lock"],
        );
        await held.release();
    });

    it("runs every update with the policy packs it is given, each with its config, and stores booleans as booleans", () => {
        assert.deepEqual(
            promotionUpOptions({ packs: ["/repo/policies"], configs: ["/repo/pack/config/prod.json"] }, "promote: x"),
            {
                policyPacks: ["/repo/policies"],
                policyPackConfigs: ["/repo/pack/config/prod.json"],
                message: "promote: x",
            },
        );
        // Without configs, the packs run at their own levels, as `pulumi up --policy-pack` alone does.
        assert.deepEqual(promotionUpOptions({ packs: ["/p"], configs: [] }, "m"), {
            policyPacks: ["/p"],
            message: "m",
        });
        assert.deepEqual(typedConfigArgs("llm-platform:models[0].scaleDownInactive", false, "acme/staging"), [
            "config",
            "set",
            "--path",
            "llm-platform:models[0].scaleDownInactive",
            "false",
            "--type",
            "bool",
            "--stack",
            "acme/staging",
            "--non-interactive",
        ]);
    });
});
