/**
 * The pack as a library: productionStandards() for a team's own pack, the config the gate
 * reconciles as the CLI does (initialConfig included), the provider's default tags, and a team's
 * pack with two of ours and one of its own run by the gate beside ours.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requiredTags } from "../policies/aws";
import { PolicyConfigError } from "../policies/config";
import { POLICIES, POLICY_NAMES, type PolicyName } from "../policies/pack";
import { productionStandards } from "../policies/productionStandards";
import { gpuBudget } from "../policies/stack";
import { runResourcePolicy, runStackPolicy } from "../policies/testing";
import { TIER_POLICY_CONFIG } from "../policies/tiers";
import { policy } from "../tools/cli/policy";
import { reconcileConfig } from "../tools/policy/gate";
import { PROJECT_DIR } from "./helpers";
import { badStack } from "./badStack";
import { planOf } from "./plans";

const bucket = (tags: Record<string, string>) => ({ type: "aws:s3/bucket:Bucket", props: { tags } });

describe("productionStandards(): the pack's policies for a team's own pack", () => {
    it("at its defaults: every policy at its own level, no settings", () => {
        const { policies, initialConfig } = productionStandards();
        assert.deepEqual(
            policies.map((p) => p.name),
            [...POLICY_NAMES],
        );
        assert.deepEqual(
            initialConfig,
            Object.fromEntries(POLICIES.map((p) => [p.name, { enforcementLevel: p.enforcementLevel }])),
        );
    });

    it("starts from a tier, takes `all` over the tier's levels (keeping its settings) and each policy over both", () => {
        const { initialConfig } = productionStandards({
            tier: "prod",
            all: "advisory",
            policies: {
                "k8s-probes": "mandatory",
                "gpu-budget": { maxMonthlyUsd: 5000 },
                "k8s-min-replicas": { enforcementLevel: "disabled" },
            },
        });
        assert.deepEqual(initialConfig["k8s-probes"], { enforcementLevel: "mandatory" });
        assert.deepEqual(initialConfig["gpu-budget"], {
            enforcementLevel: "advisory",
            maxMonthlyUsd: 5000,
            maxMonthlyUsdPerModel: 10000,
        });
        assert.deepEqual(initialConfig["k8s-min-replicas"], { enforcementLevel: "disabled", minReplicas: 2 });
        assert.deepEqual(initialConfig["k8s-image-pinned"], {
            ...(TIER_POLICY_CONFIG.prod["k8s-image-pinned"] as object),
            enforcementLevel: "advisory",
        });
        assert.deepEqual(initialConfig["k8s-run-as-non-root"], { enforcementLevel: "advisory" });
        // Every entry carries its level: the CLI reads an entry without one as advisory.
        assert.ok(Object.values(initialConfig).every((e) => typeof e === "object" && e.enforcementLevel));
    });

    it("a staging tier keeps its mandatory baseline under no `all`", () => {
        const { initialConfig } = productionStandards({ tier: "staging" });
        assert.deepEqual(initialConfig["k8s-run-as-non-root"], { enforcementLevel: "mandatory" });
        assert.deepEqual(initialConfig["k8s-probes"], { enforcementLevel: "advisory" });
        assert.deepEqual(initialConfig["stateful-resources-protected"], { enforcementLevel: "disabled" });
    });

    it("chooses policies with include and exclude", () => {
        assert.deepEqual(
            productionStandards({ include: ["k8s-probes", "gpu-budget"] }).policies.map((p) => p.name),
            ["k8s-probes", "gpu-budget"],
        );
        const without = productionStandards({ exclude: ["required-tags"] });
        assert.equal(without.policies.length, POLICY_NAMES.length - 1);
        assert.equal(without.initialConfig["required-tags"], undefined);
    });

    it("refuses every bad argument at once, naming it", () => {
        assert.throws(
            () =>
                productionStandards({
                    include: ["k8s-probe" as PolicyName],
                    exclude: ["nope" as PolicyName],
                }),
            (e: unknown) =>
                e instanceof PolicyConfigError &&
                e.message ===
                    'productionStandards: the policy config is not usable:\n  - include: no policy "k8s-probe" in the pack\n  - exclude: no policy "nope" in the pack',
        );
        assert.throws(
            () =>
                productionStandards({
                    all: "advisroy" as "advisory",
                    policies: {
                        "gpu-budget": { maxMonthlyUsd: -5 },
                        "k8s-probes": { enforcementLevel: "mandatory", period: 3 } as never,
                        ["k8s-probe" as PolicyName]: "mandatory",
                    },
                }),
            (e: unknown) =>
                e instanceof PolicyConfigError &&
                e.message ===
                    [
                        "productionStandards: the policy config is not usable:",
                        '  - all: "advisroy" is not an enforcement level; use one of advisory, mandatory, disabled',
                        "  - gpu-budget.maxMonthlyUsd: must be >= 0",
                        '  - k8s-probes.period: k8s-probes has no setting "period"; it takes none',
                        "  - k8s-probe: no policy of this name in the pack (did you mean k8s-probes?)",
                    ].join("\n"),
        );
        assert.throws(
            () => productionStandards({ exclude: ["gpu-budget"], policies: { "gpu-budget": "advisory" } }),
            (e: unknown) =>
                e instanceof PolicyConfigError &&
                e.problems.join() === "policies.gpu-budget: configured, but include/exclude leaves the policy out",
        );
    });
});

describe("the config a pack runs with, reconciled as the Pulumi CLI does", () => {
    const policies = [
        { name: "a", level: "mandatory" as const, defaults: { x: 1, y: 2 } },
        { name: "b", level: "advisory" as const, defaults: {} },
    ];
    it("layers the policy's defaults, then initialConfig, then the file", () => {
        const r = reconcileConfig(
            policies,
            { a: { level: "disabled", properties: { x: 5 } } },
            { a: { y: 7 }, b: "mandatory" },
        );
        assert.deepEqual(Object.fromEntries(r), {
            a: { level: "disabled", properties: { x: 5, y: 7 } },
            b: { level: "mandatory", properties: {} },
        });
    });

    it("lets the file's `all` override every level initialConfig set, before its named entries", () => {
        const r = reconcileConfig(
            policies,
            { a: { level: "mandatory", properties: {} }, b: { level: "mandatory", properties: {} } },
            { all: "advisory", b: "disabled" },
        );
        assert.deepEqual(
            [...r].map(([n, c]) => `${n} ${c.level}`),
            ["a advisory", "b disabled"],
        );
    });

    it("ignores names the pack does not have (the CLI carries them along, to no effect)", () => {
        const r = reconcileConfig(policies, { c: { level: "mandatory", properties: {} } }, {});
        assert.deepEqual([...r.keys()], ["a", "b"]);
    });
});

describe("required-tags and the AWS provider's default tags", () => {
    it("counts the provider's defaultTags (JSON-encoded, as the AWS SDK sends them) under the resource's own", async () => {
        const provider = (defaultTags: unknown) => ({ type: "pulumi:providers:aws", props: { defaultTags } });
        const tagged = JSON.stringify({ tags: { Owner: "ml", CostCenter: "42" } });
        assert.deepEqual(
            (await runResourcePolicy(requiredTags, { ...bucket({}), provider: provider(tagged) })).violations,
            [],
        );
        assert.deepEqual(
            (await runResourcePolicy(requiredTags, { ...bucket({}), provider: provider({ tags: { Owner: "ml" } }) }))
                .violations,
            ["missing tags: CostCenter"],
        );
        assert.deepEqual((await runResourcePolicy(requiredTags, bucket({ Owner: "ml" }))).violations, [
            "missing tags: CostCenter",
        ]);
        // Another provider's settings are not AWS default tags.
        assert.deepEqual(
            (
                await runResourcePolicy(requiredTags, {
                    ...bucket({}),
                    provider: { type: "pulumi:providers:kubernetes", props: { defaultTags: tagged } },
                })
            ).violations,
            ["missing tags: Owner, CostCenter"],
        );
    });
});

describe("the testing kit runs a policy only the way it can run", () => {
    it("refuses a stack policy in runResourcePolicy and a resource policy in runStackPolicy", async () => {
        await assert.rejects(runResourcePolicy(gpuBudget as never, bucket({})), {
            name: "TypeError",
            message:
                'runResourcePolicy: "gpu-budget" has no validateResource (it is a stack policy); run a stack policy with runStackPolicy',
        });
        await assert.rejects(runStackPolicy(requiredTags as never, [bucket({})]), {
            name: "TypeError",
            message:
                'runStackPolicy: "required-tags" has no validateStack (it is a resource policy); run a resource policy with runResourcePolicy',
        });
    });
});

describe("a team's own pack beside ours, through the gate", () => {
    it("runs both packs, each with its own config, and reports which pack each violation is from", async () => {
        const team = path.join(PROJECT_DIR, "tests", "fixtures", "packs", "team");
        const bad = badStack((await planOf("prod")).export);
        const file = path.join(PROJECT_DIR, "tests", "fixtures", "packs", "bad-prod.json");
        fs.writeFileSync(file, JSON.stringify(bad));
        try {
            let out = "";
            const code = await policy(
                [
                    "--file",
                    file,
                    "--pack",
                    team,
                    "--pack",
                    path.join(PROJECT_DIR, "policies"),
                    "--config",
                    path.join(team, "config.json"),
                    "--config",
                    path.join(PROJECT_DIR, "pack", "config", "prod.json"),
                    "--format",
                    "json",
                ],
                (s) => void (out += s),
            );
            assert.equal(code, 1);
            const result = JSON.parse(out) as {
                packs: Array<{ name: string }>;
                policies: Array<{ pack: string; name: string; level: string }>;
                violations: Array<{ pack: string; policy: string; level: string }>;
            };
            assert.deepEqual(
                result.packs.map((p) => p.name),
                ["acme-llm", "llm-production-standards"],
            );
            // The team's pack: two of ours (its levels from productionStandards) and its own policy.
            assert.deepEqual(
                result.policies.filter((p) => p.pack === "acme-llm").map((p) => `${p.name} ${p.level}`),
                ["k8s-probes mandatory", "launch-template-imdsv2 advisory", "acme-owner-is-a-team mandatory"],
            );
            assert.deepEqual(
                [
                    ...new Set(
                        result.violations.filter((v) => v.pack === "acme-llm").map((v) => `${v.policy} ${v.level}`),
                    ),
                ].sort(),
                ["acme-owner-is-a-team mandatory", "k8s-probes mandatory", "launch-template-imdsv2 advisory"],
            );
            assert.ok(result.violations.some((v) => v.pack === "llm-production-standards" && v.level === "mandatory"));
        } finally {
            fs.rmSync(file, { force: true });
        }
    });

    it("names the config file and its pack when a pack's config does not fit the policies it reports", async () => {
        const team = path.join(PROJECT_DIR, "tests", "fixtures", "packs", "team");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "team-config-"));
        const typo = path.join(dir, "team.json");
        fs.writeFileSync(typo, JSON.stringify({ "acme-owner-is-team": "mandatory" }));
        const ours = path.join(PROJECT_DIR, "pack", "config", "prod.json");
        const fixture = path.join(PROJECT_DIR, "tests", "fixtures", "stack-export.json");
        await assert.rejects(
            policy(
                [
                    "--file",
                    fixture,
                    "--pack",
                    path.join(PROJECT_DIR, "policies"),
                    "--pack",
                    team,
                    "--config",
                    ours,
                    "--config",
                    typo,
                ],
                () => undefined,
            ),
            {
                name: "PolicyConfigError",
                message: `${typo} (for the pack in ${team}): the policy config is not usable:\n  - acme-owner-is-team: no policy of this name in the pack`,
            },
        );
    });
});
