import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ReleaseContract } from "../components/release";
import { parseDeployArgs } from "../tools/cli/deploy";
import { UsageError } from "../tools/errors";
import { AutomationStack, type AutomationTarget } from "../tools/promote/automation";
import { planDeploy } from "../tools/promote/deploy";
import { DEFAULT_PACK_DIR } from "../tools/policy/packProcess";
import { goodRawConfig } from "./helpers";
import { referenceContract } from "./promoteFakes";

const DIGEST_A = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"a".repeat(64)}`;
const DIGEST_B = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"b".repeat(64)}`;

/** A model's contract as the last update wrote it: green serves v2, blue keeps v1. */
function served(overrides: Partial<ReleaseContract> = {}): ReleaseContract {
    return {
        model: "chat",
        configKey: "acme:chat",
        platform: "eks",
        strategy: "blue-green",
        activeColor: "green",
        scaleDownInactive: false,
        releases: { blue: { image: DIGEST_A, modelVersion: "v1" }, green: { image: DIGEST_A, modelVersion: "v2" } },
        servedModelName: null,
        modelSource: null,
        smoke: {
            path: "/v1/models",
            expectedStatus: 200,
            latencyBudgetMs: 500,
            attempts: 5,
            previewUrl: "http://alb:8443",
            activeUrl: "http://alb",
            headers: {},
        },
        gate: null,
        ...overrides,
    };
}

/** The stack file's release object, as `pulumi config --json` gives it. */
const file = (release: Record<string, unknown>): Record<string, string> => ({ "acme:chat": JSON.stringify(release) });

describe("deploy: what a commit does to a stack that serves", () => {
    it("keeps the colour the stack serves over the stack file's, and has nothing to release when the file matches what runs", () => {
        // The stack file still says blue: the promotion that made green serve was never committed.
        const plan = planDeploy(
            [served()],
            file({ activeColor: "blue", blue: { modelVersion: "v1" }, green: { modelVersion: "v2" } }),
            "prod",
        );
        assert.deepEqual(plan, {
            pins: [{ configKey: "acme:chat", path: "activeColor", value: "green" }],
            pending: [],
            problems: [],
            notices: [
                "model chat: green serves (stack prod's llmPlatformReleases output), the stack file says activeColor blue: the deploy keeps green; the file's activeColor only seeds a new stack",
            ],
        });
    });

    it("releases a new version committed to the inactive colour by promotion, leaving that colour as it runs for the update", () => {
        const plan = planDeploy(
            [served()],
            file({ activeColor: "green", blue: { modelVersion: "v3" }, green: { modelVersion: "v2" } }),
            "prod",
        );
        assert.deepEqual(plan.pins, [{ configKey: "acme:chat", path: "blue.modelVersion", value: "v1" }]);
        assert.deepEqual(plan.pending, [{ model: "chat", colour: "blue", modelVersion: "v3" }]);
        assert.deepEqual([plan.problems, plan.notices], [[], []]);
    });

    it("releases a new image of the inactive colour with its version, pinning the image that runs meanwhile", () => {
        const plan = planDeploy(
            [served()],
            file({ blue: { modelVersion: "v1", image: DIGEST_B }, green: { modelVersion: "v2" } }),
            "prod",
        );
        assert.deepEqual(plan.pins.slice(1), [{ configKey: "acme:chat", path: "blue.image", value: DIGEST_A }]);
        assert.deepEqual(plan.pending, [{ model: "chat", colour: "blue", modelVersion: "v1", image: DIGEST_B }]);
    });

    it("refuses a commit that changes what the serving colour runs, naming the colour to use instead", () => {
        const plan = planDeploy(
            [served()],
            file({ activeColor: "green", blue: { modelVersion: "v1" }, green: { modelVersion: "v3" } }),
            "prod",
        );
        assert.deepEqual(plan.problems, [
            "model chat: the commit changes the release of green (modelVersion v2 → v3), the colour serving production on stack prod; an update would replace its pods in place, untested. Put the new release in acme:chat.blue, the inactive colour, and keep green as it is: the deploy then smoke-tests blue and flips to it",
        ]);
        assert.deepEqual(plan.pending, []);
    });

    it("is a no-op on its second run: after the promotion the new release serves and the file matches the stack", () => {
        const committed = file({ activeColor: "blue", blue: { modelVersion: "v3" }, green: { modelVersion: "v2" } });
        const before = planDeploy([served()], committed, "prod");
        assert.deepEqual(before.pending, [{ model: "chat", colour: "blue", modelVersion: "v3" }]);
        // What the stack outputs once the promotion flipped to blue with v3.
        const after = served({
            activeColor: "blue",
            releases: { blue: { image: DIGEST_A, modelVersion: "v3" }, green: { image: DIGEST_A, modelVersion: "v2" } },
        });
        assert.deepEqual(planDeploy([after], committed, "prod"), {
            pins: [],
            pending: [],
            problems: [],
            notices: [],
        });
    });

    it("leaves ECS and canary models to their update, and pins a model the file gives no release object (its defaults) to the colour that serves", () => {
        const plan = planDeploy(
            [
                served({ model: "a", platform: "ecs" }),
                served({ model: "b", strategy: "canary" }),
                served({ model: "c", configKey: "acme:other" }),
            ],
            file({ blue: { modelVersion: "v9" }, green: { modelVersion: "v9" } }),
            "prod",
        );
        assert.deepEqual(plan, {
            pins: [{ configKey: "acme:other", path: "activeColor", value: "green" }],
            pending: [],
            problems: [],
            notices: [
                "model c: green serves (stack prod's llmPlatformReleases output), the stack file says activeColor blue: the deploy keeps green; the file's activeColor only seeds a new stack",
            ],
        });
        // A model whose colours the file leaves unset (the reference stacks' defaults) is kept as it runs.
        const defaults = planDeploy([served()], file({ activeColor: "green" }), "prod");
        assert.deepEqual([defaults.pending, defaults.problems], [[], []]);
    });

    it("reads a reference stack's models by their config paths (llm-platform:models[i])", async () => {
        const config = goodRawConfig({ "llm-platform:tier": "staging" });
        const contract = await referenceContract("staging", config, "inference");
        const flipped = { ...contract, activeColor: contract.activeColor === "blue" ? "green" : "blue" } as const;
        const plan = planDeploy([flipped], config, "staging");
        assert.deepEqual(plan.pins, [
            { configKey: contract.configKey, path: "activeColor", value: flipped.activeColor },
        ]);
        assert.deepEqual([plan.pending, plan.problems], [[], []]);
    });
});

describe("deploy: the command", () => {
    it("parses its arguments, with the production pack by default and one config per pack", () => {
        const parsed = parseDeployArgs(["--stack", "acme/prod", "--message", "deploy 0123abc", "--report", "out/q"]);
        assert.equal(parsed.stack, "acme/prod");
        assert.equal(parsed.preview, false);
        assert.equal(parseDeployArgs(["--stack", "prod", "--preview"]).preview, true);
        assert.equal(parsed.message, "deploy 0123abc");
        assert.equal(parsed.report, path.resolve("out/q"));
        assert.deepEqual(parsed.policy.packs, [DEFAULT_PACK_DIR]);
        assert.deepEqual(parsed.policy.configs, []);
        assert.throws(() => parseDeployArgs([]), {
            name: "UsageError",
            message: /^--stack is required\nusage: llm-platform deploy --stack <name>/,
        });
        assert.throws(() => parseDeployArgs(["--stack", "prod", "extra"]), UsageError);
        assert.throws(() => parseDeployArgs(["--stack", "prod", "--registry-url", "mlflow"]), {
            message: '--registry-url: expected an http(s) URL such as http://mlflow.internal, received "mlflow"',
        });
        assert.throws(() => parseDeployArgs(["--stack", "prod", "--config", "a.json", "--config", "b.json"]), {
            message: "give one --config per --pack, in the same order, or none: received 2 --config for 1 pack",
        });
    });

    it("pins the serving colours over the runner's config, then runs one update with the packs", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-"));
        const calls: string[] = [];
        const target: AutomationTarget = {
            name: "acme/prod",
            workspace: { pulumiCommand: { command: "pulumi" } },
            getAllConfig: async () => ({
                "acme:chat": {
                    value: JSON.stringify({ activeColor: "blue", blue: { modelVersion: "v1" } }),
                    secret: false,
                },
            }),
            outputs: async () => ({ llmPlatformReleases: { value: [served()], secret: false } }),
            setConfig: async (key, value, usePath) =>
                void calls.push(`setConfig ${key}=${value.value} path=${String(usePath)}`),
            up: async (opts) => {
                calls.push(`up ${String(opts?.message)} packs=${String(opts?.policyPacks)}`);
                return {} as Awaited<ReturnType<AutomationTarget["up"]>>;
            },
            preview: async (opts) => {
                const { onOutput, ...rest } = opts ?? {};
                calls.push(`preview ${JSON.stringify(rest)} ${typeof onOutput}`);
                return {} as Awaited<ReturnType<AutomationTarget["preview"]>>;
            },
        };
        const stack = new AutomationStack(
            "prod",
            target,
            dir,
            undefined,
            { packs: ["/p"], configs: [] },
            () => undefined,
        );
        const plan = planDeploy(await stack.contracts(), await stack.config(), stack.name);
        await stack.pin(plan.pins);
        await stack.update("deploy 0123abc");
        assert.deepEqual(calls, ["setConfig acme:chat.activeColor=green path=true", "up deploy 0123abc packs=/p"]);
        // The preview of the same pinned config: a diff against what runs (refreshed), in plain text.
        calls.length = 0;
        await stack.previewUpdate("deploy 0123abc");
        assert.deepEqual(calls, [
            'preview {"policyPacks":["/p"],"message":"deploy 0123abc","diff":true,"refresh":true,"color":"never"} function',
        ]);
        // A promotion pins every model's serving colour before it reads its own state.
        calls.length = 0;
        await stack.readState();
        assert.deepEqual(calls, ["setConfig acme:chat.activeColor=green path=true"]);
        // Before the stack's first update there is no contract: the update alone.
        const fresh = new AutomationStack(
            "prod",
            { ...target, outputs: async () => ({}) },
            dir,
            undefined,
            { packs: ["/p"], configs: [] },
            () => undefined,
        );
        assert.deepEqual(await fresh.contracts(), []);
    });
});
