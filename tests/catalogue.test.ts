import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ADMINISTRATOR_ACCESS } from "../policies/awsIam";
import { POLICIES, POLICY_NAMES } from "../policies/pack";
import { runResourcePolicy, runStackPolicy, UNKNOWN, type TestResource } from "../policies/testing";
import { TIER_POLICY_CONFIG } from "../policies/tiers";
import type { ScannerCase } from "./catalogue/aws/case";
import {
    CATALOGUE,
    catalogueExports,
    caseUrn,
    measureCatalogue,
    scores,
    unmatchedNotes,
    type Outcome,
} from "./catalogue/measure";

describe("the AWS half of the pack against other scanners' catalogues (issue 33)", () => {
    let outcomes: Outcome[];
    before(async () => {
        outcomes = await measureCatalogue();
    });

    it("names real policies, unique case ids, one source commit per scanner, and no stale note", () => {
        const names = new Set<string>(POLICY_NAMES);
        for (const c of CATALOGUE) assert.ok(names.has(c.policy), `${c.id}: no policy ${c.policy}`);
        const urns = CATALOGUE.map(caseUrn);
        assert.equal(new Set(urns).size, urns.length, "two cases share a policy and id");
        for (const c of CATALOGUE) {
            assert.match(c.id, /^[A-Za-z0-9._-]+$/, c.id);
            if (c.source.scanner === "checkov" || c.source.scanner === "trivy") {
                assert.match(c.source.commit ?? "", /^[0-9a-f]{40}$/, `${c.id}: commit`);
                assert.ok(c.source.file && c.source.check, `${c.id}: file and check`);
            }
        }
        assert.deepEqual(unmatchedNotes(), []);
        // A case with a registry-wide companion runs alone, so its scanning covers no other case.
        assert.ok(catalogueExports().length > 1);
    });

    it("flags at least 95 % of each policy's in-scope failing cases and no passing case without a reason", () => {
        for (const s of scores(outcomes)) {
            assert.ok(s.failing > 0, `${s.policy} has no failing case in scope`);
            assert.ok(s.caught / s.failing >= 0.95, `${s.policy}: ${s.caught}/${s.failing} failing cases flagged`);
            assert.equal(s.wrong, 0, `${s.policy}: ${s.wrong} passing cases flagged without a reason`);
        }
        const wrong = outcomes
            .filter((o) => !o.case.deliberate && (o.case.expect === "fail") !== o.flagged)
            .map((o) => `${o.case.policy}/${o.case.id}: expected ${o.case.expect}, ${JSON.stringify(o.messages)}`);
        assert.deepEqual(wrong, []);
    });

    it("judges every crafted shape as stated, and every deliberate difference still differs", () => {
        const crafted = outcomes.filter((o) => o.case.source.scanner === "crafted");
        assert.ok(crafted.length >= 60, `${crafted.length} crafted shapes`);
        assert.deepEqual(
            crafted.filter((o) => (o.case.expect === "fail") !== o.flagged).map((o) => o.case.id),
            [],
        );
        assert.deepEqual(
            outcomes
                .filter((o) => o.case.deliberate && (o.case.expect === "fail") === o.flagged)
                .map((o) => `${o.case.policy}/${o.case.id}`),
            [],
            "a deliberate difference the policy no longer makes: drop its note",
        );
    });

    it("covers every AWS policy of the pack", () => {
        const measured = new Set(scores(outcomes).map((s) => s.policy));
        const aws = POLICY_NAMES.filter((n) => !n.startsWith("k8s-") && n !== "gpu-budget");
        assert.deepEqual(
            aws.filter((n) => !measured.has(n)),
            [],
        );
        assert.ok(ADMINISTRATOR_ACCESS.test("arn:aws-us-gov:iam::aws:policy/AdministratorAccess"));
    });

    it("never reports a value unknown in a preview: every property path of every passing case, set unknown", async () => {
        /** Every path into an object's values (objects and arrays walked), leaves and branches alike. */
        const paths = (value: unknown, at: Array<string | number> = []): Array<Array<string | number>> =>
            value !== null && typeof value === "object"
                ? Object.entries(value).flatMap(([k, v]) => {
                      const here = [...at, Array.isArray(value) ? Number(k) : k];
                      return [here, ...paths(v, here)];
                  })
                : [];
        const withUnknown = (props: unknown, path: Array<string | number>): Record<string, unknown> => {
            const copy = JSON.parse(JSON.stringify(props)) as Record<string, unknown>;
            let node: Record<string | number, unknown> = copy;
            for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
            node[path[path.length - 1]] = UNKNOWN;
            return copy;
        };
        const config = (name: string): Record<string, unknown> => {
            const entry = TIER_POLICY_CONFIG.prod[name];
            if (typeof entry !== "object") return {};
            const { enforcementLevel: _level, ...settings } = entry;
            return settings;
        };
        const resources = (c: ScannerCase, props: Record<string, unknown>): TestResource[] => [
            { type: c.type, name: c.id, props: { ...props, ...(c.outputs ?? {}) }, protect: c.protect ?? false },
            ...(c.also ?? []).map((a) => ({
                type: a.type,
                name: `${c.id}.${a.name}`,
                props: { ...(a.props as Record<string, unknown>), ...(a.outputs ?? {}) },
                protect: a.protect ?? false,
            })),
        ];
        const judge = async (c: ScannerCase, list: TestResource[]): Promise<string[]> => {
            const policy = POLICIES.find((p) => p.name === c.policy)!;
            return "validateStack" in policy
                ? (await runStackPolicy(policy as StackValidationPolicy, list, config(c.policy))).violations.filter(
                      (v) => v.includes(`::${c.id}:`) || v.includes(`::${c.id}.`),
                  )
                : (await runResourcePolicy(policy as ResourceValidationPolicy, list[0], config(c.policy))).violations;
        };
        let runs = 0;
        const reported: string[] = [];
        const policies = new Set<string>();
        for (const c of CATALOGUE.filter((x) => x.expect === "pass")) {
            const props = c.props as Record<string, unknown>;
            if ((await judge(c, resources(c, props))).length > 0) continue; // flagged on purpose
            policies.add(c.policy);
            for (const path of paths(props)) {
                runs++;
                const found = await judge(c, resources(c, withUnknown(props, path)));
                if (found.length > 0) reported.push(`${c.policy}/${c.id} ${path.join(".")}: ${found.join("; ")}`);
            }
            for (const [i, a] of (c.also ?? []).entries())
                for (const path of paths(a.props)) {
                    runs++;
                    const found = await judge(
                        c,
                        resources(c, props).map((r, j) =>
                            j === i + 1 ? { ...r, props: { ...withUnknown(a.props, path), ...(a.outputs ?? {}) } } : r,
                        ),
                    );
                    if (found.length > 0)
                        reported.push(`${c.policy}/${c.id} ${a.name}.${path.join(".")}: ${found.join("; ")}`);
                }
        }
        assert.deepEqual(reported, []);
        assert.ok(runs > 1000, `${runs} runs`);
        // Every AWS policy took part.
        assert.deepEqual(
            POLICY_NAMES.filter((n) => !n.startsWith("k8s-") && n !== "gpu-budget" && !policies.has(n)),
            [],
        );
    });
});
