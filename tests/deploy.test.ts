import * as assert from "node:assert/strict";
import type * as automation from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ReleaseContract } from "../components/release";
import { parseDeployArgs } from "../tools/cli/deploy";
import { UsageError } from "../tools/errors";
import { ConcurrentUpdateError } from "@pulumi/pulumi/automation";
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

/** A plan's pins as `<config key>.<path>=<value>`, in order. */
const pinned = (plan: ReturnType<typeof planDeploy>): string[] =>
    plan.pins.map((p) => `${p.configKey}.${p.path}${p.value === undefined ? " removed" : `=${p.value}`}`);

/** What the stack of {@link served} runs, pinned: green serving v2, blue v1, both colours' image. */
const KEEP_SERVED = [
    "acme:chat.activeColor=green",
    "acme:chat.scaleDownInactive=false",
    "acme:chat.blue.modelVersion=v1",
    `acme:chat.blue.image=${DIGEST_A}`,
    "acme:chat.green.modelVersion=v2",
    `acme:chat.green.image=${DIGEST_A}`,
    // No record of a flip in the stack: none in the file either.
    "acme:chat.lastFlip removed",
];

describe("deploy: what a commit does to a stack that serves", () => {
    it("pins every model to what it runs, so the update flips nothing and changes no release: the stack's colour over the file's", () => {
        // The stack file still says blue: the promotion that made green serve was never committed.
        const plan = planDeploy(
            [served()],
            file({ activeColor: "blue", blue: { modelVersion: "v1" }, green: { modelVersion: "v2" } }),
            "prod",
        );
        assert.deepEqual(pinned(plan), KEEP_SERVED);
        assert.deepEqual(plan.pins[0], {
            model: "chat",
            colour: "activeColor",
            configKey: "acme:chat",
            path: "activeColor",
            value: "green",
        });
        assert.deepEqual([plan.pending, plan.problems], [[], []]);
        assert.deepEqual(plan.notices, [
            "model chat: green serves (stack prod's llmPlatformReleases output), the stack file says activeColor blue: the deploy keeps green; the file's activeColor only seeds a new stack",
        ]);
    });

    it("releases a new version committed to the inactive colour by promotion, leaving that colour as it runs for the update", () => {
        const plan = planDeploy(
            [served()],
            file({ activeColor: "green", blue: { modelVersion: "v3" }, green: { modelVersion: "v2" } }),
            "prod",
        );
        assert.deepEqual(pinned(plan), KEEP_SERVED);
        assert.deepEqual(plan.pending, [{ model: "chat", colour: "blue", modelVersion: "v3" }]);
        assert.deepEqual([plan.problems, plan.notices], [[], []]);
    });

    it("releases a new image of the inactive colour with its version, pinning the image that runs meanwhile", () => {
        const plan = planDeploy(
            [served()],
            file({ blue: { modelVersion: "v1", image: DIGEST_B }, green: { modelVersion: "v2" } }),
            "prod",
        );
        assert.deepEqual(pinned(plan), KEEP_SERVED);
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
        // (the flip recorded itself: blue v3 over green v2, green's image the stack's own).
        const after = served({
            activeColor: "blue",
            releases: { blue: { image: DIGEST_A, modelVersion: "v3" }, green: { image: DIGEST_A, modelVersion: "v2" } },
            lastFlip: {
                activeColor: "blue",
                releases: { blue: { image: DIGEST_A, modelVersion: "v3" }, green: { image: null, modelVersion: "v2" } },
            },
        });
        const again = planDeploy([after], committed, "prod");
        assert.deepEqual([again.pending, again.problems, again.notices], [[], [], []]);
        assert.deepEqual(pinned(again), [
            "acme:chat.activeColor=blue",
            "acme:chat.scaleDownInactive=false",
            "acme:chat.blue.modelVersion=v3",
            `acme:chat.blue.image=${DIGEST_A}`,
            "acme:chat.green.modelVersion=v2",
            `acme:chat.green.image=${DIGEST_A}`,
            // The stack's record of the flip is kept through the update, an image it lacks removed.
            "acme:chat.lastFlip.activeColor=blue",
            "acme:chat.lastFlip.blue.modelVersion=v3",
            `acme:chat.lastFlip.blue.image=${DIGEST_A}`,
            "acme:chat.lastFlip.green.modelVersion=v2",
            "acme:chat.lastFlip.green.image removed",
        ]);
    });

    it("leaves ECS and canary models to their update, and pins a model the file gives no release object (its defaults) to what it runs", () => {
        const plan = planDeploy(
            [
                served({ model: "a", platform: "ecs" }),
                served({ model: "b", strategy: "canary" }),
                served({ model: "c", configKey: "acme:other" }),
            ],
            file({ blue: { modelVersion: "v9" }, green: { modelVersion: "v9" } }),
            "prod",
        );
        assert.deepEqual(
            pinned(plan),
            KEEP_SERVED.map((p) => p.replace("acme:chat", "acme:other")),
        );
        assert.deepEqual([plan.pending, plan.problems, plan.notices], [[], [], []]);
    });

    it("finds a model of a list by its name when a commit reorders the list, and drops one the list no longer has", () => {
        // The stack served chat as models[0]; the commit puts router first and removes embed.
        const values = {
            "acme:models": JSON.stringify([
                { name: "router" },
                { name: "chat", activeColor: "blue", blue: { modelVersion: "v3" }, green: { modelVersion: "v2" } },
            ]),
        };
        const plan = planDeploy(
            [served({ configKey: "acme:models[0]" }), served({ model: "embed", configKey: "acme:models[1]" })],
            values,
            "prod",
        );
        assert.deepEqual(
            pinned(plan),
            KEEP_SERVED.map((p) => p.replace("acme:chat", "acme:models[1]")),
        );
        assert.deepEqual(plan.pending, [{ model: "chat", colour: "blue", modelVersion: "v3" }]);
        assert.deepEqual(plan.notices, [
            "model chat: green serves (stack prod's llmPlatformReleases output), the stack file says activeColor blue: the deploy keeps green; the file's activeColor only seeds a new stack",
            "model embed: no longer in the stack file; the update removes it",
        ]);
    });

    it("keeps a reference stack's models as they run, whatever llm-platform:serving now says for them all", async () => {
        const config = goodRawConfig({ "llm-platform:tier": "staging" });
        const contract = await referenceContract("staging", config, "inference");
        const flipped = { ...contract, activeColor: contract.activeColor === "blue" ? "green" : "blue" } as const;
        // A commit that changes the release every model inherits, and the seed colour.
        const changed = {
            ...config,
            [contract.configKey]: JSON.stringify({ activeColor: "blue", blue: { modelVersion: "v9" } }),
        };
        const plan = planDeploy([flipped], changed, "staging");
        assert.deepEqual(pinned(plan), [
            `${contract.configKey}.activeColor=${flipped.activeColor}`,
            `${contract.configKey}.scaleDownInactive=${String(contract.scaleDownInactive)}`,
            `${contract.configKey}.blue.modelVersion=${contract.releases.blue.modelVersion}`,
            `${contract.configKey}.green.modelVersion=${contract.releases.green.modelVersion}`,
            `${contract.configKey}.lastFlip removed`,
        ]);
        // green serves, so v9 in blue, the inactive colour, is a release for the promotion.
        assert.equal(flipped.activeColor, "green");
        assert.deepEqual(plan.pending, [{ model: "inference", colour: "blue", modelVersion: "v9" }]);
    });
});

/** The top-level values a logged `pulumi config set-all --json <json> --stack …` call writes, as objects. */
function setAllOf(line: string): Record<string, unknown> {
    const m = /^config set-all --json (\S+) --stack /.exec(line);
    assert.ok(m, `a config set-all --json call: ${line}`);
    const json = JSON.parse(m[1]) as Record<string, { value: string; objectValue?: unknown; secret: boolean }>;
    return Object.fromEntries(
        Object.entries(json).map(([k, v]) => {
            assert.equal(v.secret, false);
            assert.deepEqual(JSON.parse(v.value), v.objectValue, "value and objectValue agree");
            return [k, v.objectValue];
        }),
    );
}

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

    it("pins through the CLI as strings, plans again before each attempt of its update, and previews the same config", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-"));
        const cli = path.join(dir, "pulumi");
        fs.writeFileSync(cli, `#!/bin/bash\necho "$*" >> "${dir}/cli"\n`, { mode: 0o755 });
        const cliCalls = (): string[] => {
            const lines = fs.readFileSync(path.join(dir, "cli"), "utf8").trim().split("\n");
            fs.rmSync(path.join(dir, "cli"));
            return lines.map((l) => l.split(" --type string")[0]);
        };
        const calls: string[] = [];
        let live = served();
        let ups = 0;
        const target: AutomationTarget & Pick<automation.Stack, "setConfig"> = {
            name: "acme/prod",
            workspace: { pulumiCommand: { command: cli } },
            getAllConfig: async () => ({
                "acme:chat": {
                    value: JSON.stringify({
                        activeColor: "blue",
                        blue: { modelVersion: "3" },
                        green: { modelVersion: "v2" },
                    }),
                    secret: false,
                },
            }),
            outputs: async () => ({ llmPlatformReleases: { value: [live], secret: false } }),
            setConfig: async () => assert.fail("pins go through the CLI with --type string"),
            up: async (opts) => {
                calls.push(`up ${String(opts?.message)} packs=${String(opts?.policyPacks)}`);
                // The first attempt meets another update holding the stack: a manual rollback to blue.
                if (ups++ === 0) {
                    live = served({ activeColor: "blue" });
                    throw new ConcurrentUpdateError(new Error("conflict") as never);
                }
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
        const committed = await stack.config();
        const plan = planDeploy(await stack.contracts(), committed, stack.name);
        assert.deepEqual(plan.pending, [{ model: "chat", colour: "blue", modelVersion: "3" }]);
        let planned = plan;
        await stack.update(
            "deploy 0123abc",
            async () => {
                planned = planDeploy(await stack.contracts(), committed, stack.name);
                await stack.pin(planned.pins.filter((p) => !p.type));
            },
            { waitMs: 60_000, pollMs: 1, sleep: async () => {} },
        );
        assert.deepEqual(calls, ["up deploy 0123abc packs=/p", "up deploy 0123abc packs=/p"]);
        // Pinned to green first, then, after the rollback held the stack, to blue, which now serves:
        // its version "3" is a change of the serving colour, refused by the second plan.
        // Each pin is one `config set-all --json` of the release object, written whole and typed.
        assert.deepEqual(cliCalls().slice(0, 2).map(setAllOf), [
            {
                "acme:chat": {
                    activeColor: "green",
                    blue: { modelVersion: "v1", image: DIGEST_A },
                    green: { modelVersion: "v2", image: DIGEST_A },
                },
            },
            {
                "acme:chat": {
                    activeColor: "blue",
                    blue: { modelVersion: "v1", image: DIGEST_A },
                    green: { modelVersion: "v2", image: DIGEST_A },
                },
            },
        ]);
        assert.equal(planned.pins[0].value, "blue");
        assert.equal(planned.problems.length, 1);
        // The preview of the same pinned config: a diff against what runs (refreshed), in plain text.
        calls.length = 0;
        await stack.previewUpdate("deploy 0123abc");
        assert.deepEqual(calls, [
            'preview {"policyPacks":["/p"],"message":"deploy 0123abc","diff":true,"refresh":true,"color":"never"} function',
        ]);
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

    it("a promotion or rollback pins every model to what it runs, itself included, finding it by name in a reordered list", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-"));
        const cli = path.join(dir, "pulumi");
        fs.writeFileSync(cli, `#!/bin/bash\necho "$*" >> "${dir}/cli"\n`, { mode: 0o755 });
        const embed = served({ model: "embed", configKey: "acme:embed", activeColor: "blue" });
        const target: AutomationTarget & Pick<automation.Stack, "setConfig"> = {
            name: "acme/prod",
            workspace: { pulumiCommand: { command: cli } },
            getAllConfig: async () => ({
                "acme:models": { value: JSON.stringify([{ name: "router" }, { name: "chat" }]), secret: false },
            }),
            outputs: async () => ({
                llmPlatformReleases: { value: [served({ configKey: "acme:models[0]" }), embed], secret: false },
            }),
            setConfig: async () => assert.fail("pins go through the CLI"),
            up: async () => ({}) as Awaited<ReturnType<AutomationTarget["up"]>>,
            preview: async () => assert.fail("no preview here"),
        };
        const stack = new AutomationStack("prod", target, dir, "chat", { packs: ["/p"], configs: [] }, () => undefined);
        const state = await stack.readState();
        // Reading writes nothing: the pins go out with the first change, after promote's checks.
        assert.equal(fs.existsSync(path.join(dir, "cli")), false);
        const image = `img@sha256:${"c".repeat(64)}`;
        await stack.deploy(
            { ...state, releases: { ...state.releases, green: { ...state.releases.green, image } } },
            "deploy green as the preview colour",
        );
        const written = fs.readFileSync(path.join(dir, "cli"), "utf8").trim().split("\n").map(setAllOf);
        const chat = served();
        const release = (c: ReleaseContract) => ({
            activeColor: c.activeColor,
            scaleDownInactive: c.scaleDownInactive,
            blue: { modelVersion: c.releases.blue.modelVersion, image: c.releases.blue.image },
            green: { modelVersion: c.releases.green.modelVersion, image: c.releases.green.image },
        });
        assert.deepEqual(written, [
            // The other model pinned, its warm-up setting too (a boolean): its own promotion may be warming a colour.
            { "acme:embed": release(embed) },
            // chat was models[0] at the last update; the file now lists it second: its whole
            // release object, what runs with the new image on green; the list written whole.
            {
                "acme:models": [
                    { name: "router" },
                    {
                        name: "chat",
                        ...release({
                            ...chat,
                            releases: { ...chat.releases, green: { ...chat.releases.green, image } },
                        }),
                    },
                ],
            },
        ]);
        assert.equal(stack.releaseKey, "acme:models[1]");
    });
});
