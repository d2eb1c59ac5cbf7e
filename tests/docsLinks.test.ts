import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildRuleGroups, METRIC_PRESETS } from "../components/k8s/alertRules";
import { registryRuleGroups } from "../components/registry/monitoring";
import { REFERENCE_SLO } from "../catalog/standards";
import { TIER_DEFAULTS } from "../environments/defaults";
import { PACK_NAME, POLICIES } from "../policies/pack";
import { HELP_URI } from "../tools/cli/policy";
import { checkLinks, formatProblems, htmlAnchors, markdownFiles, REPOSITORY } from "../tools/docs/links";
import type { GateResult } from "../tools/policy/gate";
import { renderSarif } from "../tools/policy/report";
import { PROJECT_DIR, VERSION } from "./helpers";

const scratch: string[] = [];

/** `files` written into a fresh folder (removed after the tests); returns the folder. */
function tree(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "links-"));
    scratch.push(dir);
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}

/** The problems of `a.md` among `files`, as `line:column: message`. */
async function problemsOf(files: Record<string, string>, virtual?: Array<{ path: string; contents: string }>) {
    const root = tree(files);
    const problems = await checkLinks({ root, files: ["a.md"], virtual });
    return problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
}

const OTHER = "# Real heading\n\nText.\n";
const BLOB = `https://github.com/${REPOSITORY}/blob/main`;

describe("dead links and anchors (issue 38)", () => {
    after(() => scratch.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

    describe("checkLinks", () => {
        it("reports a link to a missing file with its file, line, column and the file it names", async () => {
            const root = tree({
                "docs/a.md": "# A\n\nSee [the guide](../guide.md) and [b](b.md).\n",
                "docs/b.md": "# B\n",
            });
            assert.deepEqual(await checkLinks({ root, files: ["docs/a.md", "docs/b.md"] }), [
                { file: "docs/a.md", line: 3, column: 5, message: "Cannot find file `../guide.md`" },
            ]);
        });

        it("reports a dead anchor in the same file", async () => {
            assert.deepEqual(await problemsOf({ "a.md": "# Title\n\n[up](#title) [gone](#nope)\n" }), [
                "a.md:3:14: Cannot find heading for `#nope`",
            ]);
        });

        it("reports a dead anchor in another file and accepts a live one", async () => {
            assert.deepEqual(
                await problemsOf({
                    "a.md": "[good](other.md#real-heading)\n[bad](other.md#nope)\n",
                    "other.md": OTHER,
                }),
                ["a.md:2:1: Cannot find heading for `#nope` in `other.md`"],
            );
        });

        it("slugs headings as GitHub does: punctuation dropped, backticks' text kept, duplicates numbered", async () => {
            const a = [
                "# Hello, `world`!",
                "## Dup",
                "## Dup",
                "## 2. Credentials (with Pulumi ESC) or without",
                "",
                "[1](#hello-world) [2](#dup) [3](#dup-1) [4](#2-credentials-with-pulumi-esc-or-without)",
                "[5](#dup-2) [6](#hello-world-)",
                "",
            ].join("\n");
            assert.deepEqual(await problemsOf({ "a.md": a }), [
                "a.md:7:1: Cannot find heading for `#dup-2`; did you mean `dup-1`",
                "a.md:7:13: Cannot find heading for `#hello-world-`; did you mean `hello-world`",
            ]);
        });

        it("accepts raw HTML anchors (`<a id>`, `<a name>`, any element's id) as targets, here and from other files", async () => {
            assert.deepEqual(htmlAnchors(`<a id="x"></a><a name='y'></a><span id=z></span><div name="no">`), [
                "x",
                "y",
                "z",
            ]);
            const a = [
                '<a id="custom"></a>',
                "",
                '## Title <a name="Inline"></a>',
                "",
                "[1](#custom) [2](#inline) [3](b.md#functions) [4](b.md#sp) [5](b.md#missing)",
                "",
            ].join("\n");
            const b = '# B\n\n<a id="functions"></a><span id="sp"></span>\n\n### run()\n';
            assert.deepEqual(await problemsOf({ "a.md": a, "b.md": b }), [
                "a.md:5:60: Cannot find heading for `#missing` in `b.md`",
            ]);
        });

        it("checks absolute links to this repository's files on GitHub as local files", async () => {
            const a = [
                `[1](${BLOB}/other.md#real-heading) [2](${BLOB}/other.md#nope)`,
                `[3](${BLOB}/gone.md)`,
                `[4](https://github.com/${REPOSITORY}/tree/main/gone)`,
                "",
            ].join("\n");
            assert.deepEqual(await problemsOf({ "a.md": a, "other.md": OTHER }), [
                "a.md:1:83: Cannot find heading for `#nope` in `other.md`",
                "a.md:2:1: Cannot find file `gone.md`",
                "a.md:3:1: Cannot find file `gone`",
            ]);
            // A missing file's anchor is not reported on top of the file.
            assert.deepEqual(await problemsOf({ "a.md": "[x](gone.md#nope)\n" }), [
                "a.md:1:1: Cannot find file `gone.md`",
            ]);
        });

        it("does not fetch links to other hosts", async () => {
            assert.deepEqual(
                await problemsOf({
                    "a.md": "[x](https://example.com/x) [y](https://github.com/other/repo/blob/main/gone.md#nope)\n",
                }),
                [],
            );
        });

        it("checks the links of in-memory files placed at the root", async () => {
            const root = tree({ "docs/other.md": OTHER });
            const problems = await checkLinks({
                root,
                files: [],
                virtual: [
                    {
                        path: "urls.md",
                        contents: `[a](${BLOB}/docs/other.md#real-heading)\n[b](${BLOB}/docs/other.md#gone)\n[c](docs/none.md)\n`,
                    },
                ],
            });
            assert.deepEqual(formatProblems(problems).split("\n"), [
                "urls.md:2:1: Cannot find heading for `#gone` in `docs/other.md`",
                "urls.md:3:1: Cannot find file `docs/none.md`",
            ]);
            assert.deepEqual(fs.readdirSync(root), ["docs"], "nothing written");
        });
    });

    it("markdownFiles lists the repository's Markdown, sorted, without node_modules or test fixtures", () => {
        const files = markdownFiles(PROJECT_DIR);
        assert.ok(files.includes("README.md") && files.includes("CHANGELOG.md"), files.join("\n"));
        assert.deepEqual([...files].sort(), files);
        assert.ok(
            files.every((f) => f.endsWith(".md") && !f.includes("node_modules") && !f.startsWith("tests/fixtures/")),
        );
    });

    it("every relative link and anchor in the repository's Markdown resolves", async () => {
        const problems = await checkLinks({ root: PROJECT_DIR, files: markdownFiles(PROJECT_DIR) });
        assert.equal(formatProblems(problems), "", "dead links");
    });

    it("every alert's runbook_url and every SARIF rule's help link lead to a file and anchor that exist", async () => {
        const links: Array<{ url: string; from: string }> = [];
        // Alerts: each tier's default runbook base, each metric preset, the platform's and the registry's rules.
        for (const tier of Object.keys(TIER_DEFAULTS) as Array<keyof typeof TIER_DEFAULTS>) {
            const runbookBaseUrl = TIER_DEFAULTS[tier].monitoring.runbookBaseUrl;
            assert.ok(runbookBaseUrl, `${tier} has a runbook base URL`);
            const groups = [
                ...Object.values(METRIC_PRESETS).flatMap((metrics) =>
                    buildRuleGroups({
                        metrics,
                        slo: REFERENCE_SLO,
                        job: "inference",
                        runbookBaseUrl,
                        traces: { consoleUrl: "https://console.example" },
                    }),
                ),
                ...registryRuleGroups("mlflow", runbookBaseUrl),
            ];
            for (const rule of groups.flatMap((g) => g.rules).filter((r) => r.alert)) {
                const url = rule.annotations?.runbook_url;
                assert.ok(url, `${rule.alert} has a runbook_url`);
                links.push({ url, from: `alert ${rule.alert}, tier ${tier}` });
            }
        }
        // The links stacks deployed before the runbooks moved carry (README.md#<alert>): the alerts of
        // that README (bb5d6c4), frozen here, so that renaming or dropping an alert cannot break them unseen.
        for (const alert of [
            "LLMHighP95Latency",
            "LLMLowSuccessRate",
            "LLMErrorBudgetBurn1h",
            "LLMErrorBudgetBurn6h",
            "LLMErrorBudgetBurn3d",
            "LLMHallucinationRateHigh",
            "LLMTokenThroughputDrop",
            "LLMGPUSaturated",
            "LLMGPUIdle",
            "LLMGPUMemoryPressure",
            "LLMGPUXidErrors",
            "LLMInferenceQueueLong",
            "LLMAutoscalerBlind",
            "LLMTargetDown",
            "LLMServingUnavailable",
            "LLMModelDriftDetected",
            "LLMRegistryUnavailable",
            "LLMRegistryErrors",
        ])
            links.push({
                url: `https://github.com/${REPOSITORY}/blob/main/README.md#${alert.toLowerCase()}`,
                from: `alert ${alert} as deployed before issue 38`,
            });
        // SARIF: the rules `policy --format sarif` writes for every policy of the pack.
        const result: GateResult = {
            packs: [{ name: PACK_NAME, version: VERSION }],
            policies: POLICIES.map((p) => ({
                pack: PACK_NAME,
                name: p.name,
                description: p.description,
                severity: "high",
                level: "mandatory",
                remediation: p.remediationSteps ?? "",
                url: p.url ?? "",
            })),
            violations: [],
            resources: 0,
        };
        const sarif = renderSarif(result, HELP_URI, () => ({ uri: "Pulumi.yaml", startLine: 1 })) as {
            runs: Array<{
                tool: { driver: { informationUri: string; rules: Array<{ id: string; helpUri: string }> } };
            }>;
        };
        for (const run of sarif.runs) {
            links.push({ url: run.tool.driver.informationUri, from: "SARIF informationUri" });
            for (const rule of run.tool.driver.rules) links.push({ url: rule.helpUri, from: `SARIF rule ${rule.id}` });
        }
        assert.ok(links.filter((l) => l.from.startsWith("SARIF rule")).length === POLICIES.length);

        const unique = links.filter((l, i) => links.findIndex((m) => m.url === l.url) === i);
        // Offline, only links into this repository can be checked: any other would pass unseen.
        const elsewhere = unique.filter((l) => !l.url.startsWith(`https://github.com/${REPOSITORY}/blob/`));
        assert.deepEqual(elsewhere, [], "links outside this repository cannot be checked offline");
        // One link a line, so a problem's line names its URL.
        const problems = await checkLinks({
            root: PROJECT_DIR,
            files: [],
            virtual: [{ path: "runbook-and-help-links.md", contents: unique.map((l) => `<${l.url}>\n`).join("\n") }],
        });
        const dead = problems.map((p) => {
            const link = unique[(p.line - 1) / 2];
            return `${link.url} (${link.from}): ${p.message}`;
        });
        assert.deepEqual(dead, [], `dead runbook or help links:\n${dead.join("\n")}`);
    });
});
