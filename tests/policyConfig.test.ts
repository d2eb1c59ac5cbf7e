import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkPolicyConfig, PolicyConfigError } from "../policies/config";
import { POLICIES } from "../policies/pack";
import { PROJECT_DIR } from "./helpers";

/** The problems checkPolicyConfig reports for `raw`, or [] when it accepts it. */
function problems(raw: unknown): string[] {
    try {
        checkPolicyConfig(raw, POLICIES, "x.json");
        return [];
    } catch (e) {
        assert.ok(e instanceof PolicyConfigError);
        assert.equal(
            e.message,
            `x.json: the policy config is not usable:\n${e.problems.map((p) => `  - ${p}`).join("\n")}`,
        );
        return e.problems;
    }
}

const LEVELS = "use one of advisory, mandatory, disabled";

describe("the policy config check (fail closed)", () => {
    it("accepts the shipped tier configs", () => {
        for (const tier of ["staging", "prod"]) {
            const file = path.join(PROJECT_DIR, "pack", "config", `${tier}.json`);
            assert.deepEqual(problems(JSON.parse(fs.readFileSync(file, "utf8"))), [], tier);
        }
    });

    it("refuses enforcement levels that are not advisory, mandatory or disabled, wherever they are", () => {
        assert.deepEqual(problems({ all: "advisroy" }), [`all: "advisroy" is not an enforcement level; ${LEVELS}`]);
        assert.deepEqual(problems({ all: "fatal" }), [`all: "fatal" is not an enforcement level; ${LEVELS}`]);
        assert.deepEqual(problems({ all: { enforcementLevel: "mandatry" } }), [
            `all.enforcementLevel: "mandatry" is not an enforcement level; ${LEVELS}`,
        ]);
        assert.deepEqual(problems({ "k8s-probes": 42 }), [
            "k8s-probes: 42 is neither an enforcement level nor an object of settings",
        ]);
        assert.deepEqual(problems({ "k8s-min-replicas": { enforcementLevel: "remediate" } }), [
            `k8s-min-replicas.enforcementLevel: "remediate" is not an enforcement level; ${LEVELS}`,
        ]);
        assert.deepEqual(problems({ all: { enforcementLevel: "advisory", minReplicas: 2 } }), [
            "all: only an enforcementLevel can apply to every policy",
        ]);
    });

    it("refuses unknown policies and settings, wrong types and values out of range, all at once", () => {
        assert.deepEqual(
            problems({
                "k8s-probs": "mandatory",
                "gpu-budget": { maxMonthlyUsd: -5 },
                "k8s-image-pinned": { requireDigest: "yes", digestExemption: [] },
                "k8s-min-replicas": { minReplicas: 0 },
                "k8s-probes": { periodSeconds: 10 },
            }),
            [
                "k8s-probs: no policy of this name in the pack (did you mean k8s-probes?)",
                "gpu-budget.maxMonthlyUsd: must be >= 0",
                'k8s-image-pinned.digestExemption: k8s-image-pinned has no setting "digestExemption"; it has requireDigest, digestExemptions',
                "k8s-image-pinned.requireDigest: must be boolean",
                "k8s-min-replicas.minReplicas: must be >= 1",
                'k8s-probes.periodSeconds: k8s-probes has no setting "periodSeconds"; it takes none',
            ],
        );
    });

    it("refuses a config that is not an object instead of crashing", () => {
        for (const [raw, shown] of [
            [null, "null"],
            [[], "an array"],
            ["mandatory", '"mandatory"'],
        ] as const)
            assert.deepEqual(problems(raw), [
                `expected a JSON object of policy names to levels or settings, received ${shown}`,
            ]);
    });
});
