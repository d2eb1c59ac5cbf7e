import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { parsePromoteArgs } from "../tools/cli/promote";
import { UsageError } from "../tools/errors";
import {
    HttpProber,
    lockFileFor,
    servingStateFromConfig,
    shortStackName,
    takeLockFile,
} from "../tools/promote/automation";
import { promote, PromotionError, smokeTest, type ProbeResult, type ServingState } from "../tools/promote/machine";
import { goodRawConfig } from "./helpers";
import { ACTIVE, FakeProber, FakeStack, PREVIEW, state } from "./promoteFakes";

const DIGEST = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"c".repeat(64)}`;

const ok: ProbeResult = { status: 200, latencyMs: 120 };

describe("promote: the state machine", () => {
    it("deploys the inactive colour, smoke-tests the preview, flips and verifies", async () => {
        const stack = new FakeStack(state());
        const prober = new FakeProber(() => ok, stack);
        const result = await promote(stack, prober, { image: DIGEST, modelVersion: "v2" });
        assert.equal(result.outcome, "promoted");
        assert.equal(result.activeColor, "green");
        assert.deepEqual(stack.calls, [
            `set green.image=${DIGEST}`,
            "set green.modelVersion=v2",
            "up: deploy green as the preview colour",
            "set activeColor=green",
            "up: make green the active colour",
        ]);
        assert.deepEqual(prober.requests, [`${PREVIEW}/health`, `${ACTIVE}/health`]);
        assert.equal(stack.locked, false, "the lock is released");
    });

    it("stops before the flip when the preview fails its smoke test, and restores the preview colour", async () => {
        const stack = new FakeStack(state());
        const prober = new FakeProber((url) => (url.startsWith(PREVIEW) ? { status: 503, latencyMs: 10 } : ok), stack);
        const result = await promote(stack, prober, { image: DIGEST });
        assert.equal(result.outcome, "smoke-failed");
        assert.equal(result.activeColor, "blue");
        assert.deepEqual(stack.calls, [
            `set green.image=${DIGEST}`,
            "up: deploy green as the preview colour",
            "set green.image=",
            "up: restore green to its previous release",
        ]);
        assert.equal(
            result.log[1],
            `smoke test of the preview failed: ${PREVIEW}/health answered 503, expected 200 (2 attempts)`,
        );
        assert.ok(!stack.calls.includes("set activeColor=green"));
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
        assert.deepEqual(stack.calls, [
            "up: deploy green as the preview colour",
            "set activeColor=green",
            "up: make green the active colour",
            "set activeColor=blue",
            "up: roll back to blue",
        ]);
        assert.equal(result.log.at(-1), "rolled back: blue serves again and passes the check");
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
        assert.deepEqual(stack.calls, ["set activeColor=blue", "up: make blue the active colour"]);
    });

    it("refuses, changing nothing, when it cannot start", async () => {
        const cases: Array<[Partial<ServingState>, Parameters<typeof promote>[2], string]> = [
            [
                { platform: "ecs" },
                {},
                'stack prod has no EKS service (llm-platform:serving.platform is "ecs"); ECS blue/green is promoted by ECS itself',
            ],
            [
                { strategy: "canary" },
                {},
                "stack prod releases by canary (llm-platform:serving.strategy); Flagger promotes it, not this command",
            ],
            [{}, { to: "blue" }, "blue is already the active colour of stack prod"],
            [
                { scaleDownInactive: true },
                { rollback: true },
                "stack prod scales the inactive colour to zero (llm-platform:serving.scaleDownInactive), so green is not warm: promote it with --to green instead, which deploys and smoke-tests it first",
            ],
            [
                {},
                { rollback: true, image: DIGEST },
                "--rollback flips back to the other colour; it takes no --to, --image or --model-version",
            ],
            [
                { smoke: { ...state().smoke, previewUrl: undefined } },
                {},
                "llm-platform:serving.smokeTest.previewUrl is not set: set it to where the preview Service is reachable from here (pulumi config set --path 'llm-platform:serving.smokeTest.previewUrl' https://…)",
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
        assert.equal(lockFileFor("/repo", "acme/prod"), path.join("/repo", ".promote-prod.lock"));
        assert.equal(lockFileFor("/repo", "staging"), path.join("/repo", ".promote-staging.lock"));
    });

    it("reads the serving state from stack config with the platform's validation", () => {
        const s = servingStateFromConfig(
            "prod",
            goodRawConfig({
                "llm-platform:serving": JSON.stringify({
                    activeColor: "green",
                    smokeTest: { previewUrl: PREVIEW, path: "/ready" },
                    green: { image: DIGEST, modelVersion: "v2" },
                }),
            }),
        );
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
        assert.throws(
            () => servingStateFromConfig("prod", goodRawConfig({ "llm-platform:serving": '{"activeColor":"red"}' })),
            /llm-platform:serving\.activeColor: expected one of "blue", "green", received "red"/,
        );
    });

    it("takes a lock file that a second promotion cannot take until released", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lock-")), ".promote-prod.lock");
        const release = await takeLockFile(file, "prod");
        await assert.rejects(
            takeLockFile(file, "prod"),
            (e: unknown) =>
                e instanceof PromotionError &&
                e.message.startsWith(`a promotion of stack prod is already in progress (${file}: {"pid":`),
        );
        await release();
        await (
            await takeLockFile(file, "prod")
        )();
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
