/**
 * The shape of the project: which folder may import which (docs/development.md, "Project layout"), and the
 * reference stacks' URNs, which are public API — a refactoring must not rename a resource (Pulumi
 * would replace it) without an alias.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROD_MIN_REPLICAS } from "../catalog/standards";
import { TIER_DEFAULTS } from "../environments/defaults";
import { PROJECT_DIR } from "./helpers";
import { planOf, REFERENCE_STACKS, singleModelProd } from "./plans";

/** The project's own files (outside tests and node_modules) and the project files each imports. */
function projectImports(): Map<string, string[]> {
    const imports = new Map<string, string[]>();
    const visit = (dir: string): void => {
        for (const entry of fs.readdirSync(path.join(PROJECT_DIR, dir), { withFileTypes: true })) {
            const rel = path.join(dir, entry.name);
            if (entry.isDirectory()) visit(rel);
            else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
                const text = fs.readFileSync(path.join(PROJECT_DIR, rel), "utf8");
                const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*|^import\s+)"(\.[^"]+)"/gm)].map(
                    (m) => path.normalize(path.join(path.dirname(rel), m[1])),
                );
                imports.set(rel, specs);
            }
        }
    };
    for (const folder of ["catalog", "components", "environments", "policies", "stacks", "tools"]) visit(folder);
    return imports;
}

const top = (file: string): string => file.split(path.sep)[0];

describe("project layout", () => {
    const imports = projectImports();
    const offending = (from: (f: string) => boolean, allowed: (target: string) => boolean): string[] =>
        [...imports]
            .filter(([file]) => from(file))
            .flatMap(([file, targets]) => targets.filter((t) => !allowed(t)).map((t) => `${file} -> ${t}`));

    it("catalog/ is the ground floor: it imports nothing from the project but the price table", () => {
        assert.ok([...imports.keys()].some((f) => top(f) === "catalog"));
        assert.deepEqual(
            offending(
                (f) => top(f) === "catalog",
                (t) => top(t) === "catalog" || top(t) === "prices",
            ),
            [],
        );
    });

    it("the settings (schema, defaults, rules, loader) import catalog/ only", () => {
        assert.deepEqual(
            offending(
                (f) => top(f) === "environments",
                (t) => ["environments", "catalog"].includes(top(t)),
            ),
            [],
        );
    });

    it("the policy pack imports catalog/, never components/, environments/, stacks/ or tools/", () => {
        assert.deepEqual(
            offending(
                (f) => top(f) === "policies",
                (t) => ["policies", "catalog", "prices"].includes(top(t)),
            ),
            [],
        );
    });

    it("components/ import only catalog/ and each other; the offline engine imports neither the pack nor the reports", () => {
        assert.deepEqual(
            offending(
                (f) => top(f) === "components",
                (t) => ["components", "catalog"].includes(top(t)),
            ),
            [],
        );
        assert.deepEqual(
            offending(
                (f) => f.startsWith(path.join("tools", "engine")),
                (t) => top(t) !== "policies" && !t.startsWith(path.join("tools", "reports")),
            ),
            [],
            "the engine runs programs; the reports read what it writes",
        );
    });

    it("tools/ reach into policies/ only to run and configure the pack, and to document it", () => {
        const importers = [...imports]
            .filter(([file]) => top(file) === "tools")
            .flatMap(([file, targets]) => targets.filter((t) => top(t) === "policies").map((t) => `${file} -> ${t}`))
            .sort();
        assert.deepEqual(importers, [
            path.join("tools", "cli", "docs.ts") + " -> " + path.join("policies", "pack"),
            path.join("tools", "cli", "docs.ts") + " -> " + path.join("policies", "tiers"),
            path.join("tools", "cli", "policy.ts") + " -> " + path.join("policies", "config"),
            path.join("tools", "cli", "policy.ts") + " -> " + path.join("policies", "pack"),
            path.join("tools", "policy", "gate.ts") + " -> " + path.join("policies", "config"),
            // Generates the policies' data (the escalation actions' resource needs).
            path.join("tools", "policyData", "iamActions.ts") + " -> " + path.join("policies", "iamEscalation"),
        ]);
    });

    it("defines the prod minimum of replicas once: the settings, the program and the pack's tier configs agree", () => {
        const minReplicas = (tier: string) =>
            (
                JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "pack", "config", `${tier}.json`), "utf8")) as {
                    "k8s-min-replicas": { minReplicas: number };
                }
            )["k8s-min-replicas"].minReplicas;
        assert.equal(minReplicas("prod"), PROD_MIN_REPLICAS);
        assert.equal(minReplicas("staging"), 1);
        assert.ok(TIER_DEFAULTS.prod.serving.replicas >= PROD_MIN_REPLICAS);
    });

    for (const stack of REFERENCE_STACKS) {
        it(`keeps every URN of the ${stack} stack (tests/fixtures/urns/${stack}.txt)`, async () => {
            const urns = (await planOf(stack)).export.deployment.resources.map((r) => r.urn).sort();
            const expected = fs
                .readFileSync(path.join(PROJECT_DIR, "tests", "fixtures", "urns", `${stack}.txt`), "utf8")
                .trim()
                .split("\n");
            assert.deepEqual(urns, expected);
        });
    }

    it("keeps every URN of a stack without llm-platform:models: its one model is still `inference` (tests/fixtures/urns/single-model-prod.txt)", async () => {
        const result = await singleModelProd();
        const urns = result.export.deployment.resources.map((r) => r.urn).sort();
        const expected = fs
            .readFileSync(path.join(PROJECT_DIR, "tests", "fixtures", "urns", "single-model-prod.txt"), "utf8")
            .trim()
            .split("\n");
        assert.deepEqual(urns, expected);
        // Its single-model outputs are unchanged, and the list names the one model.
        assert.equal(result.outputs.eksActiveService, "inference-active");
        assert.deepEqual(
            (result.outputs.models as Array<{ name: string; route: string; servedModelName: unknown }>).map((m) => [
                m.name,
                m.route,
                m.servedModelName,
            ]),
            [["inference", "every request", null]],
        );
    });
});
