/**
 * `promote` validates before it changes anything (issue 34): every argument, and the settings the
 * promotion would produce, are checked before the first `pulumi config set`; after a refusal the
 * stack file is as it was (the fake Pulumi CLI, which logs every call, was never run).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePromoteArgs, promoteCommand } from "../tools/cli/promote";
import { UsageError } from "../tools/errors";
import { AutomationStack, type AutomationTarget } from "../tools/promote/automation";
import { withConfigValue } from "../tools/promote/contract";
import { promote, PromotionError } from "../tools/promote/machine";
import type { ModelRegistryClient } from "../tools/promote/registry";
import { goodRawConfig } from "./helpers";
import type { ReleaseContract } from "../components/release";
import { FakeProber, FakeStack, referenceContract, state } from "./promoteFakes";

const DIGEST = `123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm@sha256:${"b".repeat(64)}`;

/** A folder with a fake `pulumi` first on PATH that logs each call; the log is absent while it never ran. */
function fakePulumi(): { dir: string; cli: string; log: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-dry-"));
    const cli = path.join(dir, "pulumi");
    const log = path.join(dir, "cli.log");
    fs.writeFileSync(cli, `#!/bin/bash\necho "$*" >> "${log}"\nexit 1\n`, { mode: 0o755 });
    return { dir, cli, log };
}

/** The staging stack `acme/staging` through the Automation API adapter, its config and contract given, its CLI `cli`: it never updates or previews. */
function stagingStack(
    config: Record<string, string>,
    contract: ReleaseContract,
    cli: string,
    dir: string,
): AutomationStack {
    const target = {
        name: "acme/staging",
        workspace: { pulumiCommand: { command: cli } },
        getAllConfig: async () =>
            Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v, secret: false }])),
        outputs: async () => ({ llmPlatformReleases: { value: [contract], secret: false } }),
        up: async () => assert.fail("no update"),
        preview: async () => assert.fail("no preview"),
    } as unknown as AutomationTarget;
    return new AutomationStack("staging", target, dir, undefined, { packs: ["/p"], configs: [] }, () => undefined);
}

async function usageErrorOf(run: () => Promise<unknown>): Promise<string> {
    try {
        await run();
    } catch (e) {
        assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
        return e.message;
    }
    return assert.fail("expected a UsageError");
}

describe("promote checks every argument and the settings it will write before the first change (issue 34)", () => {
    it("refuses each bad argument before the Pulumi CLI is run at all: the stack is untouched", async () => {
        const { dir, log } = fakePulumi();
        const file = path.join(dir, "report.json");
        fs.writeFileSync(file, "{}");
        const pathBefore = process.env.PATH;
        process.env.PATH = `${dir}:${pathBefore}`;
        try {
            const table: Array<[string[], string]> = [
                [["--to", "blue"], "--stack is required"],
                [["--stack", "prod", "--to", "purple"], '--to: expected blue or green, received "purple"'],
                [
                    ["--stack", "prod", "--image", "vllm:latest"],
                    '--image: expected an image pinned by digest (repository@sha256:<64 hex>), received "vllm:latest"',
                ],
                [["--stack", "prod", "--model-version", "../v1"], "--model-version: expected"],
                [
                    ["--stack", "prod", "--registry-url", "mlflow.internal"],
                    '--registry-url: expected an http(s) URL such as http://mlflow.internal, received "mlflow.internal"',
                ],
                [
                    ["--stack", "prod", "--copy-from", "http://mlflow.staging", "--model-version", "v3"],
                    "--copy-from copies a registered version from another stage's registry",
                ],
                [["--stack", "prod", "--model", "Chat"], "--model: expected a model name"],
                [["--stack", "prod", "--pack", dir], `--pack ${dir}: not a policy pack folder (no PulumiPolicy.yaml)`],
                [["--stack", "prod", "--all", "--model", "chat"], "--all releases every model; leave out --model"],
                [
                    ["--stack", "prod", "--report", file],
                    `--report ${file}: is a file, not a folder; the quality gate writes gate-<model>.json and .md into a folder (it is created if missing)`,
                ],
                [
                    ["--stack", "prod", "--report", path.join(file, "gates")],
                    `--report ${path.join(file, "gates")}: ${file} is a file, not a folder;`,
                ],
                [["--stack", "prod", "stray"], 'unexpected argument "stray"'],
                [
                    ["--stack", "prod", "--recover", "--rollback"],
                    "--recover only finishes or undoes a release a run left unfinished (of --model, or of each model with --all); it takes no --rollback, --to, --image or --model-version",
                ],
                [
                    ["--stack", "prod", "--state-dir", file],
                    `--state-dir ${file}: is a file, not a folder; the promotion locks and journals live there`,
                ],
                [
                    ["--stack", "prod", "--state-dir", " "],
                    '--state-dir: expected a folder such as /mnt/llm-platform, received " "',
                ],
                [
                    ["--stack", "prod", "--settle-seconds", "30s"],
                    '--settle-seconds: expected a whole number of seconds from 0 to 3600, received "30s"',
                ],
                [
                    ["--stack", "prod", "--drain-seconds", "9999"],
                    '--drain-seconds: expected a whole number of seconds from 0 to 4000, received "9999"',
                ],
            ];
            for (const [argv, message] of table) {
                const got = await usageErrorOf(() => promoteCommand(argv));
                assert.ok(got.startsWith(message), `${argv.join(" ")}: ${got}`);
            }
            assert.equal(fs.existsSync(log), false, "the Pulumi CLI never ran");
        } finally {
            process.env.PATH = pathBefore;
        }
        // A report folder that does not exist yet is fine: the gate creates it.
        assert.equal(
            parsePromoteArgs(["--stack", "prod", "--report", path.join(dir, "new", "gates")]).report,
            path.join(dir, "new", "gates"),
        );
    });

    it("checks every release state it will deploy, together, before writing one", async () => {
        const stack = new FakeStack(state({ gate: undefined }));
        await promote(stack, new FakeProber(() => ({ status: 200, latencyMs: 10 }), stack), { image: DIGEST });
        const releases = {
            blue: { image: undefined, modelVersion: "v1" },
            green: { image: DIGEST, modelVersion: "v1" },
        };
        // The preview and the flip (the final state is the flip's when no colour is scaled to zero).
        assert.deepEqual(stack.checked, [
            [
                { activeColor: "blue", scaleDownInactive: false, releases },
                {
                    activeColor: "green",
                    scaleDownInactive: false,
                    releases,
                    lastFlip: { activeColor: "green", releases },
                },
            ],
        ]);
        assert.deepEqual(stack.deployed, stack.checked[0]);
        const refused = new FakeStack(state({ gate: undefined }));
        refused.refuse = "llm-platform:serving.green.image: refused";
        await assert.rejects(
            () => promote(refused, new FakeProber(() => ({ status: 200, latencyMs: 10 }), refused), { image: DIGEST }),
            {
                name: "PromotionError",
                message: "llm-platform:serving.green.image: refused",
            },
        );
        assert.deepEqual(refused.calls, [], "nothing set, nothing deployed");
        assert.equal(refused.locked, false);
        assert.deepEqual(refused.journalData, {}, "no release begun");
    });

    it("refuses a registered version on a stack whose settings have no registry, with the stack file untouched", async () => {
        const { dir, cli, log } = fakePulumi();
        const config = goodRawConfig({
            "llm-platform:tier": "staging",
            "llm-platform:modelRegistry": JSON.stringify({ enabled: false }),
        });
        const contract = {
            ...(await referenceContract("staging", config, "inference", {
                active: "http://alb",
                preview: "http://alb:8443",
            })),
            modelSource: "s3://acme-models/models/inference",
        };
        const stack = stagingStack(config, contract, cli, dir);
        // --registry-url given, so the version resolves; the stack's own settings would refuse it at `up`.
        const registry: ModelRegistryClient = {
            resolve: async () => ({
                name: "chat",
                version: "3",
                source: "s3://acme-models/models/inference/v3",
                aliases: [],
            }),
            recordDeployment: async () => assert.fail("nothing recorded"),
        } as unknown as ModelRegistryClient;
        await assert.rejects(
            () =>
                promote(
                    stack,
                    { get: async () => assert.fail("nothing probed") },
                    { modelVersion: "models:/chat/3" },
                    undefined,
                    registry,
                ),
            (e: unknown) => {
                assert.ok(e instanceof PromotionError, String(e));
                assert.match(
                    e.message,
                    /^the stack's settings after this promotion would be refused by its program, so nothing was changed:\n {2}llm-platform:serving\.green\.modelVersion: names a registered model; set modelRegistry\.enabled: true, received "models:\/chat\/3"$/,
                );
                return true;
            },
        );
        assert.equal(fs.existsSync(log), false, "no pulumi config set, no pin written");
    });

    it("reads the evaluation sets the settings name, as the program's `up` would, before writing", async () => {
        const { dir, cli, log } = fakePulumi();
        const config = goodRawConfig({
            "llm-platform:tier": "staging",
            "llm-platform:serving": JSON.stringify({ evaluation: { set: "evals/gone.jsonl" } }),
        });
        const contract = await referenceContract("staging", config, "inference", {
            active: "http://alb",
            preview: "http://alb:8443",
        });
        const stack = stagingStack(config, contract, cli, dir);
        const state = await stack.readState();
        await assert.rejects(() => stack.check([{ ...state, activeColor: "green" }]), {
            name: "PromotionError",
            message: `the stack's settings after this promotion would be refused by its program, so nothing was changed:\n  llm-platform:serving.evaluation.set: expected an evaluation set in the project (a JSON Lines file, path relative to ${dir}): cannot be read (ENOENT), received "evals/gone.jsonl"`,
        });
        assert.equal(fs.existsSync(log), false, "nothing written");
    });

    it("sets a value at a config path in memory as `pulumi config set --path` would", () => {
        const values = { "llm-platform:serving": JSON.stringify({ blue: { modelVersion: "v1" } }) };
        assert.deepEqual(withConfigValue(values, "llm-platform:serving.green.image", DIGEST), {
            "llm-platform:serving": JSON.stringify({ blue: { modelVersion: "v1" }, green: { image: DIGEST } }),
        });
        assert.deepEqual(withConfigValue({}, "llm-platform:models[1].scaleDownInactive", false), {
            "llm-platform:models": JSON.stringify([null, { scaleDownInactive: false }]),
        });
        assert.deepEqual(withConfigValue({}, "llm-platform:tier", "prod"), { "llm-platform:tier": "prod" });
    });
});
