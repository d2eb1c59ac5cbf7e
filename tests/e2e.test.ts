/**
 * End to end, as a newcomer would: a clean copy of the repository, the README's commands run as
 * written, every exit code and the documented outputs checked; then the pull-request workflow's
 * offline script on it. The commands run in the background from the start of the suite
 * (tests/readmeRuns.ts); these tests read what they printed.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { COMMENT_MARKER } from "../tools/reports/comment";
import { renderMermaid } from "../tools/reports/mermaid";
import { parseStackExport } from "../tools/engine/stackExport";
import { HELP_URI } from "../tools/cli/policy";
import { POLICIES } from "../policies/pack";
import { PROJECT_DIR } from "./helpers";
import { docPages, e2eBlock, readmeRuns, runnableCommands, RUNNABLE, type Ran, type ReadmeRuns } from "./readmeRuns";

/** Asserts a command exited 0, naming it and its stderr otherwise. */
function succeeded(r: Ran): string {
    assert.equal(r.code, 0, `${r.command}\n${r.stderr}`);
    return r.stdout;
}

describe("end to end, from a clean copy", function () {
    this.timeout(180_000);
    let runs: ReadmeRuns;
    let dir: string;
    let readme: string;
    before(() => {
        runs = readmeRuns();
        ({ dir, readme } = runs);
    });
    after(async () => {
        await Promise.allSettled([runs.walkthrough, runs.others, runs.badInput, runs.workflow]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the copy holds what a clone holds, and nothing ignored", () => {
        for (const f of ["package.json", "package-lock.json", "README.md", "Pulumi.prod.yaml", ".ci/run"])
            assert.ok(fs.existsSync(path.join(dir, f)), f);
        for (const f of [".ci", "README.md", "node_modules", "package.json"]) assert.ok(runs.copied.includes(f), f);
        for (const f of ["coverage", "bin", "out", ".git"]) assert.ok(!runs.copied.includes(f), f);
    });

    it("every npm script the README and the docs pages mention exists", () => {
        const scripts = Object.keys(
            (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { scripts: object }).scripts,
        );
        const mentioned = [
            ...new Set(
                docPages(dir).flatMap((p) =>
                    [...p.text.matchAll(/npm run (?:--silent )?([a-z:-]+)/g)].map((m) => m[1]),
                ),
            ),
        ].sort();
        assert.deepEqual(
            mentioned.filter((m) => !scripts.includes(m)),
            [],
        );
        assert.deepEqual(mentioned, [
            "bench",
            "build",
            "cli",
            "comment",
            "deploy",
            "diff",
            "docs",
            "format",
            "lint",
            "plan",
            "policy",
            "promote",
            "test:compat",
        ]);
    });

    it("runs the README's pull-request block as written and prints what it says: plans with cost, diagram, diff, gate, comment", async () => {
        assert.equal(e2eBlock(readme).length, 6, "the README has the e2e block");
        const ran = await runs.walkthrough;
        assert.deepEqual(
            ran.map((r) => r.command),
            e2eBlock(readme),
        );
        const printed = ran.map(succeeded);
        // What the README says they print: the plan with its cost, the diff with its title and cost change.
        assert.ok(printed[1].includes("\nPreviewing update (staging) with the offline engine"));
        assert.ok(printed[1].includes("    GPU instances, on-demand: $0.00–$2,937.52 a month\n"));
        assert.ok(
            printed[3].includes(
                "### staging → prod\n\n**63 to add, 125 to change, 3 to replace, 5 to delete, 83 unchanged**\n",
            ),
        );
        assert.ok(
            printed[3].includes("| GPU instances, on-demand | $0.00–$2,937.52 | $1,472.26–$16,187.84 | +$13,250.32 |"),
        );
        // Each model's GPUs, before and after: prod adds a third model.
        assert.ok(
            printed[3].includes("| Model `router`: its GPUs, on-demand | $0.00 | $3,525.00–$4,112.50 | +$4,112.50 |"),
        );
        // Monitoring's retention, replicas and storage are reviewable: no secret hides the release's values.
        assert.ok(
            printed[3].includes('| `values.prometheus.prometheusSpec.retention` | `"7d"` | `"30d"` |\n'),
            printed[3],
        );
        const out = (f: string) => fs.readFileSync(path.join(dir, "out", f), "utf8");
        const staging = parseStackExport(out("head-staging.json"), "head-staging.json");
        const prod = parseStackExport(out("head-prod.json"), "head-prod.json");
        assert.equal(staging.deployment.resources.length, 219);
        assert.equal(prod.deployment.resources.length, 277);
        assert.equal(out("prod.mmd"), renderMermaid(prod));
        // The plans are previews, so the gate sees what `pulumi preview --policy-pack` sees: the image
        // built in the same update and the KMS key's ARN are unknown, and the policies that read
        // them say so, as advisories. Code scanning gets no result from them (issue 32): they are
        // notices of the tool's run, so an unchanged prod plan has results only for real findings.
        const sarif = JSON.parse(out("policy-prod.sarif")) as {
            version: string;
            runs: Array<{
                tool: { driver: { rules: Array<{ id: string; helpUri: string }> } };
                results: Array<{ level: string }>;
                invocations: Array<{ toolExecutionNotifications: Array<{ level: string }> }>;
            }>;
        };
        assert.equal(sarif.version, "2.1.0");
        // Each rule's help link lands on its section of docs/policies.md: a heading whose GitHub
        // anchor (lower case, punctuation but '-' dropped, spaces to '-') is the link's fragment.
        const anchors = new Set(
            [...fs.readFileSync(path.join(PROJECT_DIR, "docs", "policies.md"), "utf8").matchAll(/^#{1,6} (.+)$/gm)].map(
                (m) =>
                    m[1]
                        .toLowerCase()
                        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
                        .replace(/\s/g, "-"),
            ),
        );
        const rules = sarif.runs[0].tool.driver.rules;
        assert.equal(rules.length, POLICIES.length);
        for (const rule of rules) {
            assert.equal(rule.helpUri, `${HELP_URI}#${rule.id}`);
            assert.ok(anchors.has(rule.id), `docs/policies.md has no section for ${rule.id}`);
        }
        assert.deepEqual(sarif.runs[0].results, []);
        assert.deepEqual(
            sarif.runs[0].invocations[0].toolExecutionNotifications.map((n) => n.level),
            Array<string>(51).fill("note"),
        );
        const gate = JSON.parse(out("policy-prod.json")) as { violations: Array<{ level: string; message: string }> };
        assert.ok(gate.violations.every((v) => v.level === "advisory" && v.message.includes(" during preview: ")));
        const comment = out("comment.md");
        assert.ok(comment.startsWith(`${COMMENT_MARKER}\n## Offline plan, cost and policy gate\n`));
        assert.ok(
            comment.includes(
                "| `staging` (new) | 216 to add, 0 to change, 0 to replace, 0 to delete | $2,937.52 | $3,253.61 | not run |",
            ),
        );
        assert.ok(
            comment.includes(
                "| `prod` (new) | 274 to add, 0 to change, 0 to replace, 0 to delete | $16,187.84 | $16,639.71 | ✅ passed (51 advisory) |",
            ),
        );
    });

    it("runs every command block the README and docs mark runnable, as written; promote and deploy say they need the Pulumi CLI", async () => {
        const pages = docPages(dir);
        assert.deepEqual(
            pages.filter((p) => p.text.includes(RUNNABLE)).map((p) => p.file),
            ["docs/policies.md"],
        );
        assert.deepEqual(runnableCommands(pages, readme), [
            "npm run policy -- --stack prod",
            "npm run policy -- --file out/head-prod.json --config pack/config/prod.json --format sarif --output out/gate.sarif",
        ]);
        // A block the e2e block already runs is not run twice.
        assert.deepEqual(
            runnableCommands(
                [
                    {
                        file: "x.md",
                        text: `${RUNNABLE}\n\`\`\`sh\nnpm run plan -- --stack staging   # plan\nnpm run lint\n\`\`\`\n`,
                    },
                ],
                readme,
            ),
            ["npm run lint"],
        );
        // A marked block that would be skipped, in part or whole, is an error instead.
        assert.throws(
            () =>
                runnableCommands(
                    [{ file: "x.md", text: `${RUNNABLE}\n\`\`\`sh\nnpm run lint\nnpx llm-platform plan\n\`\`\`\n` }],
                    readme,
                ),
            { message: 'x.md: a runnable block holds `npm run` lines only, not "npx llm-platform plan"' },
        );
        assert.throws(
            () =>
                runnableCommands([{ file: "y.md", text: `${RUNNABLE}\n\n\`\`\`bash\nnpm run lint\n\`\`\`\n` }], readme),
            {
                message: "y.md: <!-- runnable --> must stand on the line before a ```sh block",
            },
        );
        const ran = await runs.others;
        assert.deepEqual(
            ran.map((r) => r.command),
            [
                ...runnableCommands(pages, readme),
                "npm run --silent promote -- --stack staging --rollback",
                "npm run --silent deploy -- --stack staging --preview",
            ],
        );
        const runnable = runnableCommands(pages, readme).length;
        ran.slice(0, runnable).forEach(succeeded);
        assert.equal(
            (JSON.parse(fs.readFileSync(path.join(dir, "out", "gate.sarif"), "utf8")) as { version: string }).version,
            "2.1.0",
        );
        for (const [r, name] of [
            [ran[runnable], "promote"],
            [ran[runnable + 1], "deploy"],
        ] as const)
            assert.deepEqual(
                [r.code, r.stderr.trimEnd().split("\n").pop()],
                [
                    2,
                    `${name}: the Pulumi CLI is not installed or not on PATH: promote and deploy drive real stacks through it (https://www.pulumi.com/docs/install/)`,
                ],
            );
    });

    it("exits 2 with a clear message on bad input, as the commands' table in docs/commands.md says", async () => {
        const [missing, comment] = await runs.badInput;
        assert.deepEqual([missing.code, missing.stderr], [2, `policy: cannot read document out/none.json: ENOENT\n`]);
        assert.equal(comment.code, 2);
        assert.match(
            comment.stderr,
            /^comment: .*head-ecs\.json is missing: write it with llm-platform plan --stack ecs --json /,
        );
    });

    it("the pull-request workflow's offline script passes on it, with the base equal to the head", async () => {
        const r = await runs.workflow;
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
        const comment = fs.readFileSync(path.join(dir, "gate", "comment.md"), "utf8");
        assert.ok(
            comment.includes(
                // 36 advisories: what a preview cannot know yet (IAM documents and attached ARNs, image
                // digests), and staging's registry database taking no final snapshot (protect is off there).
                "| `staging` | 0 to add, 0 to change, 0 to replace, 0 to delete | $2,937.52 → $2,937.52 | $3,253.61 → $3,253.61 | ✅ passed (36 advisory) |",
            ),
        );
        assert.ok(comment.includes("No changes."));
        assert.ok(!comment.includes("```mermaid"), "no diagram when the topology is unchanged");
        for (const f of ["sarif/staging.sarif", "policy-staging.json", "plan-staging.txt", "base-staging.json"])
            assert.ok(fs.existsSync(path.join(dir, "gate", f)), f);
    });
});
