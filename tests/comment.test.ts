import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { comment } from "../tools/cli/comment";
import { COMMENT_LIMIT, COMMENT_MARKER, renderComment } from "../tools/reports/comment";
import { renderMermaid } from "../tools/reports/mermaid";

import type { StackExport } from "../tools/engine/stackExport";
import type { GateResult } from "../tools/policy/gate";
import { find } from "./helpers";
import { planOf } from "./plans";

const gate = (violations: GateResult["violations"]): GateResult => ({
    packs: [{ name: "llm-production-standards", version: "1.2.3" }],
    policies: [],
    violations,
    resources: 100,
});

describe("pull-request comment", () => {
    let staging: StackExport;
    let prod: StackExport;
    const copy = (d: StackExport): StackExport => JSON.parse(JSON.stringify(d)) as StackExport;
    before(async () => {
        staging = (await planOf("staging")).export;
        prod = (await planOf("prod")).export;
    });

    it("summarizes each stack: changes, GPU and total cost at maximum scale, the gate's verdict", () => {
        const head = copy(prod);
        const pool = find(head, "aws:eks/nodeGroup:NodeGroup", "gpu-inference-node-group");
        (pool.inputs!.scalingConfig as { maxSize: number }).maxSize = 12;
        const body = renderComment([
            { stack: "staging", head: staging, base: staging, policy: gate([]) },
            {
                stack: "prod",
                head,
                base: prod,
                policy: gate([
                    {
                        pack: "llm-production-standards",
                        policy: "gpu-budget",
                        level: "mandatory",
                        severity: "medium",
                        description: "",
                        message: "GPU instances could cost | too much",
                        urn: pool.urn,
                    },
                    {
                        pack: "llm-production-standards",
                        policy: "kms-key-rotation",
                        level: "advisory",
                        severity: "medium",
                        description: "",
                        message: "key rotation is off",
                        urn: "",
                    },
                ]),
            },
        ]);
        const lines = body.split("\n");
        assert.deepEqual(lines.slice(0, 7), [
            COMMENT_MARKER,
            "## Offline plan, cost and policy gate",
            "",
            "| Stack | Changes | GPU, on-demand at maximum scale | All compute, on-demand at maximum scale | Policy gate |",
            "|---|---|---|---|---|",
            "| `staging` | 0 to add, 0 to change, 0 to replace, 0 to delete | $2,937.52 → $2,937.52 | $3,253.61 → $3,253.61 | ✅ passed |",
            "| `prod` | 0 to add, 1 to change, 0 to replace, 0 to delete | $16,187.84 → $18,842.12 (+$2,654.28) | $16,639.71 → $19,293.99 (+$2,654.28) | ❌ 1 mandatory, 1 advisory |",
        ]);
        assert.ok(body.includes("### `prod`: plan diff against the base branch"));
        assert.ok(
            body.includes("| GPU instances, on-demand | $1,472.26–$16,187.84 | $1,472.26–$18,842.12 | +$2,654.28 |"),
        );
        // Each model's GPUs: a larger pool ceiling gives no model more pods.
        assert.ok(
            body.includes("| Model `chat`: its GPUs, on-demand | $5,308.56–$7,962.84 | $5,308.56–$7,962.84 | ±$0.00 |"),
        );
        assert.ok(
            body.includes(
                "| Model `router`: its GPUs, on-demand | $3,525.00–$4,112.50 | $3,525.00–$4,112.50 | ±$0.00 |",
            ),
        );
        assert.ok(
            body.includes(
                "- **mandatory** `gpu-budget` (medium) on `gpu-inference-node-group`: GPU instances could cost \\| too much",
            ),
        );
        assert.ok(body.includes("- **advisory** `kms-key-rotation` (medium) on `the stack`: key rotation is off"));
        // Same topology: no diagram.
        assert.ok(!body.includes("```mermaid"));
    });

    it("shows the diagram when the topology changes, and for a new stack", () => {
        const head = copy(staging);
        head.deployment.resources = head.deployment.resources.filter((r) => !r.urn.endsWith("::chat-preview"));
        const body = renderComment([
            { stack: "staging", head, base: staging },
            { stack: "prod", head: prod },
        ]);
        assert.ok(body.includes("<details><summary><code>staging</code>: architecture (changed)</summary>"));
        assert.ok(body.includes(`\`\`\`mermaid\n${renderMermaid(head)}\`\`\``));
        assert.ok(body.includes("<details><summary><code>prod</code>: architecture (new stack)</summary>"));
        assert.ok(
            body.includes(
                "| `prod` (new) | 274 to add, 0 to change, 0 to replace, 0 to delete | $16,187.84 | $16,639.71 | not run |",
            ),
        );
    });

    it("stays within GitHub's comment size: property details go first, then the text is cut", () => {
        const head = copy(prod);
        for (const r of head.deployment.resources)
            for (let i = 0; i < 10; i++) if (r.inputs) r.inputs[`added${i}`] = "x".repeat(100);
        const body = renderComment([{ stack: "prod", head, base: prod }]);
        assert.ok(body.length <= COMMENT_LIMIT);
        assert.ok(!body.includes("<summary>Property changes</summary>"));
        assert.ok(body.includes("_Property changes left out to fit GitHub's comment size"));

        const many = Array.from({ length: 40 }, (_, i) => ({ stack: `s${i}`, head: prod }));
        const cut = renderComment(many);
        assert.equal(cut.length <= COMMENT_LIMIT, true);
        assert.ok(
            cut.endsWith("_Truncated to fit GitHub's comment size; the plans are in the workflow's artifacts._\n"),
        );
    });

    it("is written by `npm run comment` from the plans and gate results in a folder", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-comment-"));
        fs.writeFileSync(path.join(dir, "head-staging.json"), JSON.stringify(staging));
        fs.writeFileSync(path.join(dir, "base-staging.json"), JSON.stringify(staging));
        fs.writeFileSync(path.join(dir, "policy-staging.json"), JSON.stringify(gate([])));
        const output = path.join(dir, "comment.md");
        assert.equal(
            await comment(["--dir", dir, "--stacks", "staging", "--output", output, "--footer", "commit abc"], () =>
                assert.fail("writes to the file"),
            ),
            0,
        );
        const body = fs.readFileSync(output, "utf8");
        assert.equal(
            body,
            renderComment([{ stack: "staging", head: staging, base: staging, policy: gate([]) }], {
                footer: "commit abc",
            }),
        );
        assert.ok(body.endsWith("\ncommit abc\n"));

        const usage = (message: string) => ({ name: "UsageError", message });
        await assert.rejects(
            comment(["--dir", dir, "--stacks", "prod"], () => undefined),
            usage(
                `${path.join(dir, "head-prod.json")} is missing: write it with llm-platform plan --stack prod --json ${path.join(dir, "head-prod.json")}`,
            ),
        );
        fs.writeFileSync(path.join(dir, "policy-staging.json"), "{}");
        await assert.rejects(
            comment(["--dir", dir, "--stacks", "staging"], () => undefined),
            usage(
                `${path.join(dir, "policy-staging.json")} is not the policy gate's JSON result (llm-platform policy --format json)`,
            ),
        );
        await assert.rejects(
            comment(["--dir", dir, "--stacks", "../etc"], () => undefined),
            usage('--stacks: "../etc" is not a stack name'),
        );
        await assert.rejects(
            comment(["--dir", path.join(dir, "nope"), "--stacks", "staging"], () => undefined),
            usage(`--dir: folder ${path.join(dir, "nope")} does not exist`),
        );
        await assert.rejects(
            comment(["--stacks", "staging"], () => undefined),
            usage(
                "--dir is required\nusage: llm-platform comment --dir <dir> --stacks <a,b,...> [--output <file>] [--title <text>] [--footer <text>]",
            ),
        );
    });
});
