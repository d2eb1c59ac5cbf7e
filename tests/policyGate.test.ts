import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import AjvDraft04 from "ajv-draft-04";
import { POLICIES } from "../policies/pack";
import { EXIT, policy, POLICY_USAGE, processesFor, SHARD_THRESHOLD } from "../tools/cli/policy";
import { runStack, type RunOptions, type RunResult } from "../tools/engine/run";

import type { ExportedResource, StackExport } from "../tools/engine/stackExport";
import { Analysis, analyze, startPack, type PackProcess, type PolicyConfigFile } from "../tools/policy/gate";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { H2Channel } from "../tools/policy/h2";
import { packCommand, readPackFolder } from "../tools/policy/packProcess";
import {
    findingFingerprint,
    renderSarif,
    repositoryPrefix,
    sourceLocationOf,
    violationLocator,
} from "../tools/policy/report";
import { BAD_STACK_POLICIES, badStack } from "./badStack";
import { find, PROJECT_DIR, run, runCli, TS_LOADER, VERSION } from "./helpers";
import { COMMANDS } from "../tools/cli/main";
import { ecsWithPrebuiltImage, NO_COVERAGE, planOf, sharedRunner } from "./plans";

/**
 * What GitHub's code scanning would refuse in a SARIF file: the SARIF Multitool's GitHub ingestion
 * rules (rule kinds Gh and Ghas, all enabled by tests/fixtures/sarif-github-rules.xml) over it, as
 * `<rule> <arguments>` lines; an engine failure of the tool counts as a problem too.
 */
function githubIngestionProblems(file: string): string[] {
    const out = `${file}.validation.sarif`;
    const tool = path.join(
        path.dirname(require.resolve("@microsoft/sarif-multitool-linux/package.json")),
        "Sarif.Multitool",
    );
    // Its package's postinstall only sets this bit, which the tarball already has (allowScripts: false).
    fs.chmodSync(tool, 0o755);
    const r = spawnSync(
        tool,
        [
            "validate",
            "--rule-kind",
            "Gh;Ghas",
            "-c",
            fixture("sarif-github-rules.xml"),
            "--level",
            "Error;Warning;Note",
            "-o",
            out,
            file,
        ],
        { encoding: "utf8", env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: "1" } },
    );
    if (r.error) assert.fail(`the SARIF Multitool did not start: ${r.error.message}`);
    const crashed = r.stdout.split("\n").filter((l) => /\bERR\d+|error [A-Z]+\d+/.test(l));
    const log = JSON.parse(fs.readFileSync(out, "utf8")) as {
        runs: Array<{ results?: Array<{ ruleId: string; message: { text?: string; arguments?: string[] } }> }>;
    };
    return [
        ...crashed,
        ...(log.runs[0].results ?? []).map(
            (x) => `${x.ruleId} ${x.message.text ?? (x.message.arguments ?? []).join(" ")}`,
        ),
    ];
}

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "gate-"));
const fixture = (name: string): string => path.join(PROJECT_DIR, "tests", "fixtures", name);
const prodConfig = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "pack", "config", "prod.json"), "utf8"));

let pack: PackProcess;

/** Runs the command in-process with the shared plans and the suite's pack (which it must not stop). */
async function collect(argv: string[], run: (o: RunOptions) => Promise<RunResult> = sharedRunner) {
    let stdout = "";
    const shared = (): Promise<PackProcess> => Promise.resolve({ ...pack, stop: () => undefined });
    const code = await policy(argv, (s) => void (stdout += s), run, shared);
    return { code, stdout };
}

describe("the offline policy gate over the analyzer protocol", () => {
    let prod: StackExport;
    before(async () => {
        pack = await startPack();
        prod = (await planOf("prod")).export;
    });
    after(() => pack.stop());

    it("reports the pack's policies with the tier config's levels and no violation for prod", async () => {
        const result = await analyze(pack.port, prod.deployment.resources, prodConfig);
        assert.deepEqual(result.packs, [{ name: "llm-production-standards", version: VERSION }]);
        assert.deepEqual(
            result.policies.map((p) => p.name),
            POLICIES.map((p) => p.name),
        );
        assert.ok(result.policies.every((p) => p.level === "mandatory"));
        assert.deepEqual(result.violations, []);
    });

    it("gates a stack whose AnalyzeStack message is larger than an HTTP/2 session's default 10 MB buffer", async () => {
        // 60 resources of 200 KB each: one AnalyzeStack request of about 12 MB (Node refused it with
        // NGHTTP2_ENHANCE_YOUR_CALM before the client lifted maxSessionMemory).
        const big = Array.from({ length: 60 }, (_, i) => ({
            urn: `urn:pulumi:prod::llm-platform::aws:ssm/parameter:Parameter::big-${i}`,
            custom: true,
            type: "aws:ssm/parameter:Parameter",
            inputs: { value: "x".repeat(200_000), tags: { Owner: "o", CostCenter: "c" } },
        }));
        const result = await analyze(pack.port, big, prodConfig);
        assert.equal(result.resources, 60);
        assert.deepEqual(result.violations, []);
    });

    it("applies config defaults and levels as the CLI does: staging is advisory, critical ones stay mandatory", async () => {
        const bad = JSON.parse(JSON.stringify(prod)) as StackExport;
        find(bad, "aws:kms/key:Key", "models-key").inputs!.enableKeyRotation = false;
        const spec = find(bad, "kubernetes:apps/v1:Deployment", "chat-blue").inputs!.spec as {
            template: { spec: { hostNetwork?: boolean } };
        };
        spec.template.spec.hostNetwork = true;
        const staging = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "pack", "config", "staging.json"), "utf8"));
        const result = await analyze(pack.port, bad.deployment.resources, staging);
        // Sorted by URN, as the gate sorts; prod's GPU pool at maximum scale is over staging's budget.
        const expected: Array<[string, string]> = [
            // On one resource the gate keeps the order the pack reported in (here the stack policy's finding first).
            [
                find(bad, "kubernetes:apps/v1:Deployment", "chat-blue").urn,
                "mandatory gpu-budget: model chat's GPUs could cost $7,962.84 a month on-demand at maximum scale (9 GPUs on pool gpu-inference), over its budget of $2,500.00",
            ],
            [
                find(bad, "kubernetes:apps/v1:Deployment", "chat-blue").urn,
                "mandatory k8s-no-host-namespaces: the pod sets hostNetwork: true",
            ],
            [find(bad, "aws:kms/key:Key", "models-key").urn, "advisory kms-key-rotation: key rotation is off"],
            [
                find(bad, "aws:eks/nodeGroup:NodeGroup", "gpu-small-node-group").urn,
                "mandatory gpu-budget: GPU instances could cost $16,187.84 a month on-demand at maximum scale (gpu-small-node-group: 14 × g6.xlarge at $587.50; gpu-inference-node-group: 9 × g5.2xlarge at $884.76), over the budget of $3,000.00",
            ],
            // Each model over staging's cap per model, reported on its first Deployment.
            [
                find(bad, "kubernetes:apps/v1:Deployment", "embed-blue").urn,
                "mandatory gpu-budget: model embed's GPUs could cost $4,112.50 a month on-demand at maximum scale (7 GPUs on pool gpu-small), over its budget of $2,500.00",
            ],
            [
                find(bad, "kubernetes:apps/v1:Deployment", "router-blue").urn,
                "mandatory gpu-budget: model router's GPUs could cost $4,112.50 a month on-demand at maximum scale (7 GPUs on pool gpu-small), over its budget of $2,500.00",
            ],
        ];
        assert.deepEqual(
            result.violations.map((v) => `${v.level} ${v.policy}: ${v.message}`),
            expected.sort((a, b) => a[0].localeCompare(b[0], "en")).map(([, text]) => text),
        );
        assert.equal(result.violations[0].urn !== "", true);
    });

    it("reads a real stack export and a preview --json, secrets included", async () => {
        const fromExport = await collect([
            "--file",
            fixture("stack-export.json"),
            "--tier",
            "prod",
            "--format",
            "json",
        ]);
        assert.equal(fromExport.code, 1);
        const exp = JSON.parse(fromExport.stdout) as { violations: Array<{ policy: string; message: string }> };
        assert.deepEqual(
            exp.violations.map((v) => `${v.policy}: ${v.message}`),
            [
                "launch-template-imdsv2: IMDSv2 is not required (metadataOptions.httpTokens must be required)",
                "launch-template-imdsv2: the metadata hop limit is 2; it must be 1",
            ],
        );
        const fromPreview = await collect(["--file", fixture("preview.json"), "--tier", "prod", "--format", "json"]);
        assert.equal(fromPreview.code, 1);
        const prev = JSON.parse(fromPreview.stdout) as {
            resources: number;
            violations: Array<{ policy: string; message: string }>;
        };
        assert.equal(prev.resources, 2, "the deleted key is not analyzed");
        assert.deepEqual([...new Set(prev.violations.map((v) => v.policy))].sort(), [
            "ecr-repository-hardened",
            "s3-bucket-hardened",
            "stateful-resources-protected",
        ]);
    });

    it("writes SARIF 2.1.0 that validates against the schema, mandatory at error", async () => {
        const file = path.join(tmp(), "gate.sarif");
        const r = await collect([
            "--file",
            fixture("stack-export.json"),
            "--tier",
            "prod",
            "--format",
            "sarif",
            "--output",
            file,
        ]);
        assert.equal(r.code, 1);
        const sarif = JSON.parse(fs.readFileSync(file, "utf8")) as {
            runs: Array<{
                results: Array<{ ruleId: string; level: string }>;
                tool: { driver: { name: string; rules: Array<{ id: string; help: { text: string } }> } };
                automationDetails: { id: string };
            }>;
        };
        // One run per pack, in the stack's own code-scanning category (code scanning refuses two runs
        // of one tool and category in an upload: codeql-action v4.32.2, areAllRunsUnique).
        assert.deepEqual(
            sarif.runs.map((run) => [run.tool.driver.name, run.automationDetails.id]),
            [["llm-production-standards", "llm-platform-gate/prod/"]],
        );
        const schema = JSON.parse(
            fs.readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
        );
        // The SARIF 2.1.0 schema is draft-04 and has a pattern that is invalid in unicode mode.
        const ajv = new AjvDraft04({ strict: false, allErrors: true, unicodeRegExp: false, validateFormats: false });
        const validate = ajv.compile(schema);
        assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
        assert.deepEqual(
            sarif.runs[0].results.map((x: { ruleId: string; level: string }) => `${x.ruleId} ${x.level}`),
            ["launch-template-imdsv2 error", "launch-template-imdsv2 error"],
        );
        const rule = sarif.runs[0].tool.driver.rules.find((x) => x.id === "launch-template-imdsv2")!;
        assert.equal(rule.help.text, "Set metadataOptions {httpTokens: required, httpPutResponseHopLimit: 1}.");
        assert.deepEqual(
            renderSarif(
                { packs: [{ name: "p", version: "1" }], policies: [], violations: [], resources: 0 },
                "https://x",
                () => ({ uri: "Pulumi.yaml", startLine: 1 }),
            ).version,
            "2.1.0",
        );
        // A result points at its rule by index only where the run lists the rule.
        const described = {
            pack: "p",
            name: "listed",
            description: "d",
            severity: "low",
            level: "advisory" as const,
            remediation: "",
            url: "",
        };
        const violation = { pack: "p", level: "advisory" as const, severity: "low", description: "d", urn: "" };
        const indexed = renderSarif(
            {
                packs: [{ name: "p", version: "1" }],
                policies: [described],
                violations: [
                    { ...violation, policy: "listed", message: "m" },
                    { ...violation, policy: "unlisted", message: "m" },
                ],
                resources: 0,
            },
            "https://x",
            () => ({ uri: "Pulumi.yaml", startLine: 1 }),
        ) as { runs: Array<{ results: Array<{ ruleId: string; ruleIndex?: number }> }> };
        assert.deepEqual(
            indexed.runs[0].results.map((r) => [r.ruleId, r.ruleIndex]),
            [
                ["listed", 0],
                ["unlisted", undefined],
            ],
        );
    });

    it("fingerprints each finding, ranks it for GitHub by severity, and reports a policy that could not run as a notice (issue 32)", () => {
        const policy = (name: string, severity: string) => ({
            pack: "p",
            name,
            description: "d",
            severity,
            level: "mandatory" as const,
            remediation: "",
            url: "",
        });
        const urn = "urn:pulumi:prod::p::aws:s3/bucket:Bucket::b";
        const v = { pack: "p", level: "mandatory" as const, severity: "high", description: "d", urn, policy: "two" };
        const sarif = renderSarif(
            {
                packs: [{ name: "p", version: "1" }],
                policies: [policy("two", "high"), policy("crit", "critical"), policy("lo", "low")],
                violations: [
                    { ...v, message: "container a runs as root" },
                    { ...v, message: "container b runs as root" },
                    {
                        ...v,
                        message:
                            "can't run policy 'two' from policy pack 'p' during preview: string value at .x can't be known during preview",
                    },
                ],
                resources: 1,
            },
            "https://x",
            () => ({ uri: "Pulumi.yaml", startLine: 1 }),
        ) as {
            runs: Array<{
                tool: { driver: { rules: Array<{ properties: Record<string, unknown> }> } };
                results: Array<{ partialFingerprints: Record<string, string> }>;
                invocations: Array<{
                    executionSuccessful: boolean;
                    toolExecutionNotifications: Array<Record<string, unknown>>;
                }>;
            }>;
        };
        const run = sarif.runs[0];
        // Two findings of one policy on one resource: two alerts, not one merged by GitHub.
        const prints = run.results.map((r) => r.partialFingerprints["llmPlatformFinding/v2"]);
        assert.equal(prints.length, 2);
        assert.notEqual(prints[0], prints[1]);
        assert.match(prints[0], /^two:urn:pulumi:prod::p::aws:s3\/bucket:Bucket::b:[0-9a-f]{16}$/);
        assert.equal(prints[0], findingFingerprint({ policy: "two", urn, message: "container a runs as root" }));
        // GitHub's thresholds read security-severity: critical > 9, high >= 7, low < 4.
        assert.deepEqual(
            run.tool.driver.rules.map((r) => r.properties["security-severity"]),
            ["8.0", "9.5", "2.0"],
        );
        assert.deepEqual(run.invocations[0].executionSuccessful, true);
        assert.deepEqual(
            run.invocations[0].toolExecutionNotifications.map((n) => [
                n.level,
                (n.associatedRule as { id: string }).id,
            ]),
            [["note", "two"]],
        );
    });

    it("writes SARIF GitHub's code scanning ingests: every result at a file and line of the repository (the SARIF Multitool's GitHub rules)", async () => {
        const dir = tmp();
        // Prod's preview (advisories on what is unknown yet) and a stack export with mandatory violations.
        const preview = path.join(dir, "prod.json");
        fs.writeFileSync(preview, JSON.stringify((await planOf("prod", "preview")).export));
        for (const [input, tier] of [
            [preview, "prod"],
            [fixture("stack-export.json"), "prod"],
        ] as const) {
            const file = path.join(dir, `${path.basename(input)}.sarif`);
            await collect(["--file", input, "--tier", tier, "--sarif", file]);
            const sarif = JSON.parse(fs.readFileSync(file, "utf8")) as {
                runs: Array<{
                    results: Array<{
                        ruleId: string;
                        message: { text: string };
                        locations: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
                    }>;
                    invocations: Array<{
                        toolExecutionNotifications: Array<{ level: string; message: { text: string } }>;
                    }>;
                }>;
            };
            const results = sarif.runs[0].results;
            const notices = sarif.runs[0].invocations[0].toolExecutionNotifications;
            // Results are findings only: a policy that could not run in a preview is a notice of
            // the run (issue 32), so an unchanged prod plan shows no "can't run" result.
            for (const r of results) assert.doesNotMatch(r.message.text, /^can't run policy/);
            if (input === preview) {
                assert.ok(notices.length > 0, "the preview's unknowns are notices");
                for (const n of notices) {
                    assert.equal(n.level, "note");
                    assert.match(n.message.text, /^can't run policy '/);
                }
            } else assert.ok(results.length > 0, input);
            for (const r of results) {
                const physical = r.locations[0].physicalLocation as {
                    artifactLocation: { uri: string };
                    region: { startLine: number };
                };
                // A reviewer can open it: a file of this repository, and a line it has.
                const lines = fs
                    .readFileSync(path.join(PROJECT_DIR, physical.artifactLocation.uri), "utf8")
                    .split("\n");
                assert.ok(
                    physical.region.startLine >= 1 && physical.region.startLine <= lines.length,
                    JSON.stringify(r),
                );
                assert.equal(r.locations[0].logicalLocations[0].kind, "resource");
            }
            assert.deepEqual(githubIngestionProblems(file), [], input);
        }
        // Where each lands: the line that created the resource (a component's file for its child), or
        // the stack file when the document records no position (this export, as older CLIs write it).
        type Located = {
            message: { text: string };
            locations: Array<{
                physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
            }>;
        };
        const at = (name: string): { uri: string; line: string } => {
            const doc = JSON.parse(fs.readFileSync(name, "utf8")) as {
                runs: Array<{
                    results: Located[];
                    invocations: Array<{ toolExecutionNotifications: Located[] }>;
                }>;
            };
            // Results and the notices of policies that could not run are located alike.
            const all = [...doc.runs[0].results, ...doc.runs[0].invocations[0].toolExecutionNotifications];
            const r = all.find((x) => x.message.text.endsWith("(chat-model-read)")) ?? all[0];
            const { artifactLocation, region } = r.locations[0].physicalLocation;
            const text = fs.readFileSync(path.join(PROJECT_DIR, artifactLocation.uri), "utf8").split("\n")[
                region.startLine - 1
            ];
            return { uri: artifactLocation.uri, line: text.trim() };
        };
        assert.deepEqual(at(path.join(dir, "prod.json.sarif")), {
            uri: "components/aws/modelArtifactBucket.ts",
            line: "return new aws.iam.Policy(",
        });
        assert.equal(at(path.join(dir, "stack-export.json.sarif")).uri, "Pulumi.prod.yaml");
        assert.deepEqual(sourceLocationOf("project:///components/k8s/modelRegistry.ts#42,9"), {
            uri: "components/k8s/modelRegistry.ts",
            startLine: 42,
            startColumn: 9,
        });
        for (const bad of [undefined, "file:///etc/passwd#1,1", "project:///../x.ts#3,1", "project:///a.ts#0,1"])
            assert.equal(sourceLocationOf(bad), undefined, String(bad));
        assert.deepEqual(violationLocator([])("urn:x"), { uri: "Pulumi.yaml", startLine: 1 });
        // Code scanning reads paths from the repository's root: a project in infra/ prefixes them.
        const repo = tmp();
        fs.mkdirSync(path.join(repo, ".git"));
        fs.mkdirSync(path.join(repo, "infra", "stack"), { recursive: true });
        assert.deepEqual(
            [repo, path.join(repo, "infra"), path.join(repo, "infra", "stack"), tmp()].map(repositoryPrefix),
            ["", "infra/", "infra/stack/", ""],
        );
        const registry = {
            urn: "urn:pulumi:prod::p::aws:iam/policy:Policy::registry",
            sourcePosition: "project:///components/k8s/modelRegistry.ts#42,9",
        } as ExportedResource;
        assert.deepEqual(violationLocator([registry], "infra/")(registry.urn), {
            uri: "infra/components/k8s/modelRegistry.ts",
            startLine: 42,
            startColumn: 9,
        });
        assert.deepEqual(violationLocator([registry], "infra/")("urn:other"), {
            uri: "infra/Pulumi.prod.yaml",
            startLine: 1,
        });
        // What the reports were before: only a logical location (the URN). GitHub refuses it.
        const logicalOnly = path.join(dir, "logical-only.sarif");
        const before = JSON.parse(fs.readFileSync(path.join(dir, "stack-export.json.sarif"), "utf8"));
        for (const r of before.runs[0].results) r.locations = [{ logicalLocations: r.locations[0].logicalLocations }];
        fs.writeFileSync(logicalOnly, JSON.stringify(before));
        assert.notDeepEqual(githubIngestionProblems(logicalOnly), []);
    });

    it("also writes the SARIF and JSON reports to files with --sarif and --json, from one evaluation", async () => {
        const dir = tmp();
        const r = await collect([
            "--file",
            fixture("stack-export.json"),
            "--tier",
            "prod",
            "--sarif",
            path.join(dir, "gate.sarif"),
            "--json",
            path.join(dir, "gate.json"),
        ]);
        assert.equal(r.code, 1);
        assert.match(r.stdout, /^Policy pack llm-production-standards@\d+\.\d+\.\d+: /);
        const json = JSON.parse(fs.readFileSync(path.join(dir, "gate.json"), "utf8")) as {
            violations: Array<{ policy: string }>;
        };
        assert.deepEqual(
            json.violations.map((v) => v.policy),
            ["launch-template-imdsv2", "launch-template-imdsv2"],
        );
        const sarif = JSON.parse(fs.readFileSync(path.join(dir, "gate.sarif"), "utf8")) as {
            version: string;
            runs: Array<{ results: unknown[] }>;
        };
        assert.equal(sarif.version, "2.1.0");
        assert.equal(sarif.runs[0].results.length, 2);
        await assert.rejects(
            collect([
                "--file",
                fixture("stack-export.json"),
                "--tier",
                "prod",
                "--json",
                path.join(dir, "no", "x.json"),
            ]),
            {
                name: "UsageError",
                message: `--json: folder ${path.join(dir, "no")} does not exist`,
            },
        );
    });

    it("gates the shipped stacks: prod exits 0; text names the pack and counts", async () => {
        const r = await collect(["--stack", "prod", "--mode", "update", "--project", PROJECT_DIR]);
        assert.equal(r.code, 0);
        assert.match(r.stdout, /^Policy pack llm-production-standards@\d+\.\d+\.\d+: \d+ resources analyzed\n/);
        assert.ok(r.stdout.endsWith("0 mandatory and 0 advisory violations\n"));
    });

    it("gates the preview by default, as `pulumi preview --policy-pack` does: what is unknown cannot be checked yet", async () => {
        const r = await collect(["--stack", "prod", "--format", "json", "--project", PROJECT_DIR]);
        assert.equal(r.code, 0);
        const result = JSON.parse(r.stdout) as {
            violations: Array<{ policy: string; level: string; message: string; urn: string }>;
        };
        // Only what depends on values AWS computes on create: the built images' digests (the image
        // policies), the KMS key's, the feedback stream's and its log group's ARNs in the IAM
        // documents, and the ARNs of the policies attached by ARN (iam-no-admin-policy). Every workload's probes, resources and security context are
        // known, so the Kubernetes policies run in the preview.
        assert.deepEqual(
            result.violations.map((v) => `${v.level} ${v.policy} ${v.urn.split("::").pop()}`),
            [
                "advisory iam-no-privilege-escalation chat-model-read",
                "advisory iam-no-unscoped-writes chat-model-read",
                "advisory iam-no-wildcard-actions chat-model-read",
                "advisory iam-no-privilege-escalation embed-model-read",
                "advisory iam-no-unscoped-writes embed-model-read",
                "advisory iam-no-wildcard-actions embed-model-read",
                "advisory iam-no-privilege-escalation router-model-read",
                "advisory iam-no-unscoped-writes router-model-read",
                "advisory iam-no-wildcard-actions router-model-read",
                "advisory iam-no-privilege-escalation feedback-write",
                "advisory iam-no-unscoped-writes feedback-write",
                "advisory iam-no-wildcard-actions feedback-write",
                "advisory iam-no-privilege-escalation feedback-firehose-delivery",
                "advisory iam-no-unscoped-writes feedback-firehose-delivery",
                "advisory iam-no-wildcard-actions feedback-firehose-delivery",
                "advisory iam-no-privilege-escalation models-read-policy",
                "advisory iam-no-unscoped-writes models-read-policy",
                "advisory iam-no-wildcard-actions models-read-policy",
                "advisory iam-no-privilege-escalation models-write-policy",
                "advisory iam-no-unscoped-writes models-write-policy",
                "advisory iam-no-wildcard-actions models-write-policy",
                "advisory iam-no-admin-policy chat-feedback-write",
                "advisory iam-no-admin-policy chat-irsa-read",
                "advisory iam-no-admin-policy embed-feedback-write",
                "advisory iam-no-admin-policy embed-irsa-read",
                "advisory iam-no-admin-policy router-feedback-write",
                "advisory iam-no-admin-policy router-irsa-read",
                "advisory k8s-allowed-registries chat-blue",
                "advisory k8s-image-pinned chat-blue",
                "advisory k8s-allowed-registries chat-green",
                "advisory k8s-image-pinned chat-green",
                "advisory k8s-allowed-registries embed-blue",
                "advisory k8s-image-pinned embed-blue",
                "advisory k8s-allowed-registries embed-green",
                "advisory k8s-image-pinned embed-green",
                "advisory k8s-allowed-registries router-blue",
                "advisory k8s-image-pinned router-blue",
                "advisory k8s-allowed-registries router-green",
                "advisory k8s-image-pinned router-green",
                "advisory iam-no-admin-policy cluster-autoscaler-policy",
                "advisory iam-no-privilege-escalation logs-write",
                "advisory iam-no-unscoped-writes logs-write",
                "advisory iam-no-wildcard-actions logs-write",
                "advisory iam-no-privilege-escalation registry-artifacts",
                "advisory iam-no-unscoped-writes registry-artifacts",
                "advisory iam-no-wildcard-actions registry-artifacts",
                "advisory k8s-allowed-registries registry-server",
                "advisory k8s-image-pinned registry-server",
                "advisory iam-no-privilege-escalation retraining-read",
                "advisory iam-no-unscoped-writes retraining-read",
                "advisory iam-no-wildcard-actions retraining-read",
            ],
        );
        for (const v of result.violations)
            assert.match(
                v.message,
                /^can't run policy '[\w-]+' from policy pack 'llm-production-standards@v\d+\.\d+\.\d+' during preview: string value at \.[\w.]+ can't be known during preview$/,
            );
    });

    it("checks an ECS task in a preview when its image is prebuilt (nothing in it waits for the update)", async () => {
        const ecs = await ecsWithPrebuiltImage();
        const staging = JSON.parse(
            fs.readFileSync(path.join(PROJECT_DIR, "pack", "config", "staging.json"), "utf8"),
        ) as PolicyConfigFile;
        const result = await analyze(pack.port, ecs.export.deployment.resources, staging);
        assert.deepEqual(
            result.violations.filter((v) => v.policy === "ecs-task-hardened"),
            [],
        );
        const bad = structuredClone(ecs.export);
        const task = find(bad, "aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task");
        const containers = JSON.parse(String(task.inputs!.containerDefinitions)) as Array<Record<string, unknown>>;
        containers[0].user = "0";
        task.inputs!.containerDefinitions = JSON.stringify(containers);
        const broken = await analyze(pack.port, bad.deployment.resources, staging);
        assert.deepEqual(
            broken.violations.filter((v) => v.policy === "ecs-task-hardened").map((v) => v.level),
            ["advisory"],
        );
    });

    it("reports a broken workload in a preview", async () => {
        const preview = structuredClone((await planOf("prod", "preview")).export);
        const container = (
            find(preview, "kubernetes:apps/v1:Deployment", "chat-green").inputs!.spec as {
                template: { spec: { containers: Array<Record<string, unknown>> } };
            }
        ).template.spec.containers[0];
        delete container.readinessProbe;
        (container.securityContext as Record<string, unknown>).privileged = true;
        const result = await analyze(pack.port, preview.deployment.resources, prodConfig);
        assert.deepEqual(
            result.violations
                .filter((v) => v.urn.endsWith("::chat-green") && !v.message.startsWith("can't run"))
                .map((v) => `${v.level} ${v.policy}`)
                .sort(),
            ["mandatory k8s-not-privileged", "mandatory k8s-probes"],
        );
    });

    it("fails a deliberately bad stack export with exit 1, naming each expected policy", async () => {
        const bad = badStack(prod);
        const file = path.join(tmp(), "bad.json");
        fs.writeFileSync(file, JSON.stringify(bad));
        const r = await collect([
            "--file",
            file,
            "--config",
            path.join(PROJECT_DIR, "pack", "config", "prod.json"),
            "--format",
            "json",
        ]);
        assert.equal(r.code, 1);
        const result = JSON.parse(r.stdout) as { violations: Array<{ policy: string; level: string }> };
        assert.deepEqual([...new Set(result.violations.map((v) => v.policy))].sort(), BAD_STACK_POLICIES);
        assert.ok(result.violations.every((v) => v.level === "mandatory"));
    });

    it("chooses the policy config by the stack's tier, not its name: a prod-tier stack named production", async () => {
        const dir = tmp();
        fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), path.join(dir, "Pulumi.production.yaml"));
        fs.cpSync(path.join(PROJECT_DIR, "pack", "config"), path.join(dir, "pack", "config"), {
            recursive: true,
        });
        const bad = badStack(prod);
        const stacks: string[] = [];
        const run = async (o: RunOptions): Promise<RunResult> => {
            stacks.push(`${o.stack} in ${o.projectDir}`);
            return { ...(await planOf("prod", "update")), export: bad };
        };
        const { code, stdout } = await collect(["--stack", "production", "--project", dir, "--format", "json"], run);
        assert.deepEqual(stacks, [`production in ${dir}`]);
        assert.equal(code, EXIT.mandatoryViolation);
        const byTier = (await analyze(pack.port, bad.deployment.resources, prodConfig)).violations;
        const gated = (JSON.parse(stdout) as { violations: unknown[] }).violations;
        assert.deepEqual(gated, byTier);
        assert.equal(gated.length, 7, "prod's config: every policy mandatory");
        // A document says its tier through the Stack's `tier` output; a document without one needs --tier.
        const file = path.join(dir, "bad.json");
        fs.writeFileSync(file, JSON.stringify(bad));
        const fromFile = await collect(["--file", file, "--format", "json"]);
        assert.deepEqual((JSON.parse(fromFile.stdout) as { violations: unknown[] }).violations, byTier);
        // Without a tier or a config, each pack runs at its own levels and defaults (as the CLI
        // runs a pack without --policy-pack-config), and says so.
        let warned = "";
        let untiered = "";
        const untieredCode = await policy(
            ["--file", fixture("stack-export.json"), "--format", "json"],
            (s) => void (untiered += s),
            sharedRunner,
            () => Promise.resolve({ ...pack, stop: () => undefined }),
            (s) => void (warned += s),
        );
        assert.equal(untieredCode, EXIT.mandatoryViolation);
        assert.equal(
            warned,
            "policy: no policy config (--config, --tier, or llm-platform:tier in the stack): each pack runs at its own levels and defaults\n",
        );
        assert.deepEqual(
            (JSON.parse(untiered) as { policies: Array<{ name: string; level: string }> }).policies.map(
                (p) => `${p.name} ${p.level}`,
            ),
            POLICIES.map((p) => `${p.name} ${p.enforcementLevel}`),
        );
        await assert.rejects(collect(["--file", file, "--tier", "production"]), {
            name: "UsageError",
            message:
                '--tier is "production", which has no policy config: expected staging or prod (or give --config <file>)',
        });
        await assert.rejects(collect(["--file", file, "--tier", "prod", "--config", file]), {
            name: "UsageError",
            message: `give --tier or --config, not both\nusage: ${POLICY_USAGE}`,
        });
    });

    it("refuses a policy config with a typo before anything runs, and writes no report", async () => {
        const dir = tmp();
        const config = path.join(dir, "typo.json");
        fs.writeFileSync(config, JSON.stringify({ all: "advisroy", "gpu-budget": { maxMonthlyUsd: -5 } }));
        const started: string[] = [];
        const code = policy(
            ["--stack", "prod", "--config", config, "--json", path.join(dir, "gate.json"), "--project", PROJECT_DIR],
            () => undefined,
            (o) => (started.push("plan"), sharedRunner(o)),
            () => (started.push("pack"), Promise.reject(new Error("not expected"))),
        );
        await assert.rejects(code, {
            name: "PolicyConfigError",
            message: `${config}: the policy config is not usable:\n  - all: "advisroy" is not an enforcement level; use one of advisory, mandatory, disabled\n  - gpu-budget.maxMonthlyUsd: must be >= 0`,
        });
        assert.deepEqual(started, []);
        assert.deepEqual(fs.readdirSync(dir), ["typo.json"]);
        // The gate's API checks the config it is given against the pack it talks to.
        await assert.rejects(analyze(pack.port, prod.deployment.resources, { all: "fatal" } as never), {
            name: "PolicyConfigError",
            message:
                'policy config: the policy config is not usable:\n  - all: "fatal" is not an enforcement level; use one of advisory, mandatory, disabled',
        });
    });

    it("writes its reports all or none: an output that names a folder is refused before the gate runs", async () => {
        const dir = tmp();
        fs.mkdirSync(path.join(dir, "reports"));
        await assert.rejects(
            collect([
                "--file",
                fixture("stack-export.json"),
                "--tier",
                "prod",
                "--sarif",
                path.join(dir, "gate.sarif"),
                "--json",
                path.join(dir, "reports"),
            ]),
            { name: "UsageError", message: `--json: ${path.join(dir, "reports")} is a folder; name a file` },
        );
        assert.deepEqual(fs.readdirSync(dir), ["reports"]);
    });

    it("exits 3, not 1, when the gate itself fails: 1 means a mandatory violation only", async () => {
        assert.deepEqual(EXIT, { clean: 0, mandatoryViolation: 1, unusableInput: 2, internalError: 3 });
        const crash = await run(process.execPath, [
            "--require",
            TS_LOADER,
            "-e",
            'require("./tools/cli/cli").runCommand("policy", () => Promise.reject(new Error("boom")), 3)',
        ]);
        assert.equal(crash.status, 3);
        assert.match(crash.stderr, /^policy: failed: Error: boom\n/);
        assert.equal(COMMANDS.policy.failure, EXIT.internalError);
        // A folder that is no pack is unusable input, named with what a pack folder holds.
        const notAPack = tmp();
        const refusal = () => {
            try {
                readPackFolder(notAPack);
                return "";
            } catch (e) {
                return `${(e as Error).name}: ${(e as Error).message}`;
            }
        };
        const holds = "a pack folder holds PulumiPolicy.yaml, a package.json with a version, and its entry point";
        assert.match(refusal(), /^UsageError: --pack .*: not a policy pack folder \(no PulumiPolicy.yaml in /);
        fs.writeFileSync(path.join(notAPack, "PulumiPolicy.yaml"), "runtime: python\n");
        assert.equal(
            refusal(),
            `UsageError: --pack ${notAPack}: ${path.join(notAPack, "PulumiPolicy.yaml")} has runtime "python"; the offline gate runs Node.js packs (runtime: nodejs)`,
        );
        fs.writeFileSync(path.join(notAPack, "PulumiPolicy.yaml"), "runtime: nodejs\n");
        assert.equal(refusal(), `UsageError: --pack ${notAPack}: no package.json in ${notAPack}; ${holds}`);
        fs.writeFileSync(path.join(notAPack, "package.json"), "{");
        assert.match(refusal(), new RegExp(`package.json is not JSON \\(.*\\); ${holds}$`));
        fs.writeFileSync(path.join(notAPack, "package.json"), '{"main": "index.js"}');
        assert.equal(
            refusal(),
            `UsageError: --pack ${notAPack}: ${path.join(notAPack, "package.json")} has no version; @pulumi/policy's PolicyPack needs one ("version": "0.1.0")`,
        );
        // A pack that does not start is the gate failing, not a verdict.
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ version: "1.0.0", main: "index.js" }));
        fs.writeFileSync(path.join(dir, "index.js"), 'throw new Error("the pack is broken");\n');
        const orphan = await runCli("policy", ["--file", fixture("stack-export.json"), "--pack", dir]);
        assert.equal(orphan.status, 3);
        assert.match(
            orphan.stderr,
            new RegExp(
                `\\npolicy: the gate failed: the policy pack in ${dir} cannot start: It looks like the Pulumi SDK has not been installed. Have you run npm install in ${dir}\\?\\n$`,
            ),
        );
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
        // As the language host runs a pack: the script, then the pack's nodeargs (which go to the
        // script, not to node), the engine's address, the folder.
        fs.writeFileSync(
            path.join(dir, "PulumiPolicy.yaml"),
            "runtime:\n  name: nodejs\n  options:\n    nodeargs: --max-old-space-size=512\n",
        );
        assert.deepEqual(packCommand(dir), {
            argv: [
                require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] }),
                "--max-old-space-size=512",
                "127.0.0.1:0",
                dir,
            ],
            cwd: dir,
        });
        const broken = await runCli("policy", ["--file", fixture("stack-export.json"), "--pack", dir]);
        assert.equal(broken.status, 3);
        assert.match(
            broken.stderr,
            new RegExp(
                `\\npolicy: the gate failed: the policy pack in ${dir} exited with \\d+ before serving: .*the pack is broken`,
                "s",
            ),
        );
    });

    it("shards the per-resource calls over several pack processes with the same findings, AnalyzeStack once", async () => {
        const bad = badStack(prod);
        const second = await startPack();
        try {
            const one = await analyze(pack.port, bad.deployment.resources, prodConfig);
            const two = await analyze([pack.port, second.port], bad.deployment.resources, prodConfig);
            assert.deepEqual(two, one);
            assert.equal(
                one.violations.filter((v) => v.policy === "s3-bucket-hardened").length,
                1,
                "a stack policy's finding appears once, not once per process",
            );
        } finally {
            second.stop();
        }
        assert.equal(processesFor(SHARD_THRESHOLD - 1, undefined), 1);
        assert.equal(processesFor(SHARD_THRESHOLD, undefined), Math.min(os.availableParallelism(), 4));
        assert.equal(processesFor(10, "3"), 3);
        for (const bad of ["0", "17", "two", "1.5"])
            assert.throws(() => processesFor(10, bad), {
                name: "UsageError",
                message: `--processes: expected a whole number from 1 to 16, received "${bad}"`,
            });
        const r = await collect(["--stack", "prod", "--mode", "update", "--processes", "2", "--project", PROJECT_DIR]);
        assert.equal(r.code, 0);
        // A document: its processes start together, before any is configured; the same report.
        const doc = path.join(tmp(), "bad.json");
        fs.writeFileSync(doc, JSON.stringify(bad));
        const args = ["--file", doc, "--tier", "prod", "--format", "json"];
        const sharded = await collect([...args, "--processes", "3"]);
        const single = await collect([...args, "--processes", "1"]);
        assert.equal(sharded.code, 1);
        assert.equal(sharded.stdout, single.stdout);
    });

    it("analyses each resource as it arrives, before the stack is finished, with the same findings (policy --stack during the program's run)", async () => {
        const bad = badStack(prod);
        const resources = bad.deployment.resources;
        const whole = await analyze(pack.port, resources, prodConfig);
        const analysis = await Analysis.open(pack.port, prodConfig);
        try {
            for (const r of resources) analysis.add(r);
            analysis.add(resources[0]); // a resource handed over twice is analysed once
            for (let i = 0; i < 400 && analysis.answered < resources.length; i++)
                await new Promise((r) => setTimeout(r, 25));
            assert.equal(analysis.answered, resources.length, "every Analyze call answered before finish");
            assert.deepEqual(await analysis.finish(resources), whole);
            assert.equal(analysis.answered, resources.length);
        } finally {
            analysis.close();
        }
        // The command hands the run a sink and feeds the pack from it: every resource the run
        // hands over is analysed as it arrives, and the report is the one of the finished plan.
        const handed: string[] = [];
        const streamed = await collect(["--stack", "prod", "--format", "json", "--project", PROJECT_DIR], async (o) => {
            assert.ok(o.sink, "policy --stack gives the run a sink");
            const plan = await planOf("prod", o.mode);
            for (const r of plan.export.deployment.resources) {
                handed.push(r.urn);
                o.sink.push(r);
            }
            return plan;
        });
        const unstreamed = await collect(["--stack", "prod", "--format", "json", "--project", PROJECT_DIR], async (o) =>
            planOf("prod", o.mode),
        );
        assert.equal(streamed.code, 0);
        assert.equal(handed.length, prod.deployment.resources.length);
        assert.equal(streamed.stdout, unstreamed.stdout);
    });

    it("answers Analyze calls while the program is still registering resources", async () => {
        const staging = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "pack", "config", "staging.json"), "utf8"));
        const analysis = await Analysis.open(pack.port, staging);
        try {
            const plan = await runStack({
                projectDir: PROJECT_DIR,
                stack: "ecs",
                env: NO_COVERAGE,
                sink: { push: (r) => analysis.add(r) },
            });
            const answeredDuringRun = analysis.answered;
            const found = await analysis.finish(plan.export.deployment.resources);
            assert.ok(answeredDuringRun > 0, "no Analyze call was answered before the program ended");
            assert.equal(found.resources, plan.export.deployment.resources.length);
            assert.equal(analysis.answered, found.resources);
        } finally {
            analysis.close();
        }
    });

    it("speaks gRPC over plain HTTP/2 for the per-resource calls: a call's status reaches the caller", async () => {
        await analyze(pack.port, [], {}); // configured, as the engine configures a pack first
        const channel = new H2Channel(`127.0.0.1:${pack.port}`);
        try {
            await assert.rejects(channel.unary("/pulumirpc.Analyzer/NoSuchMethod", Buffer.alloc(0)), {
                name: "GrpcStatusError",
                code: 12,
                path: "/pulumirpc.Analyzer/NoSuchMethod",
            });
            // A resource of a type no policy knows: no diagnostic, every policy not applicable (field 3).
            const request = new pb.AnalyzeRequest();
            request.setType("x");
            request.setProperties(new Struct());
            request.setOptions(new pb.AnalyzerResourceOptions());
            const response = await channel.unary("/pulumirpc.Analyzer/Analyze", request.serializeBinary());
            assert.equal(response[0], (3 << 3) | 2, "the response starts with a not-applicable entry");
        } finally {
            channel.close();
        }
    });

    it("exits 2 on unusable input, as a process", async () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "bad.json"), "{nope");
        fs.writeFileSync(path.join(dir, "other.json"), '{"hello": 1}');
        fs.writeFileSync(path.join(dir, "null.json"), "null");
        // All at once: each is a process of its own.
        const [missing, bad, other, both, folder, nullConfig, format] = await Promise.all(
            [
                ["--file", path.join(dir, "none.json")],
                ["--file", path.join(dir, "bad.json")],
                ["--file", path.join(dir, "other.json")],
                ["--stack", "prod", "--file", "x"],
                ["--file", dir, "--tier", "prod"],
                ["--file", fixture("stack-export.json"), "--config", path.join(dir, "null.json")],
                ["--stack", "prod", "--format", "html"],
            ].map((args) => runCli("policy.ts", args)),
        );
        assert.equal(missing.status, 2);
        assert.equal(missing.stderr, `policy: cannot read document ${path.join(dir, "none.json")}: ENOENT\n`);
        assert.match(bad.stderr, /^policy: .*bad\.json is not JSON/);
        assert.equal(other.status, 2);
        assert.match(other.stderr, /unknown format; expected a `pulumi stack export` document/);
        assert.equal(both.status, 2);
        assert.equal(folder.status, 2);
        assert.equal(folder.stderr, `policy: cannot read document ${dir}: EISDIR\n`);
        assert.equal(nullConfig.status, 2);
        assert.equal(
            nullConfig.stderr,
            `policy: ${path.join(dir, "null.json")}: the policy config is not usable:\n  - expected a JSON object of policy names to levels or settings, received null\n`,
        );
        assert.match(format.stderr, /--format: expected text, json or sarif, received "html"/);
    });
});
