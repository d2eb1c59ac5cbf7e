/**
 * End to end, as a newcomer would: a clean copy of the repository (the files git would clone, with
 * the installed node_modules linked in), the README's commands run as written, every exit code and
 * the documented outputs checked; then the pull-request workflow's offline script on it.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { COMMENT_MARKER } from "../tools/engine/comment";
import { renderMermaid } from "../tools/engine/mermaid";
import { parseStackExport } from "../tools/engine/stackExport";
import { PROJECT_DIR } from "./helpers";

/** The repository's files as a clone would have them: tracked and new, never ignored ones. */
function cleanCopy(): string {
    const listed = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
    });
    if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-e2e-"));
    for (const file of listed.stdout.split("\0").filter(Boolean)) {
        if (!fs.existsSync(path.join(PROJECT_DIR, file))) continue; // deleted, not yet committed
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(dir, file));
    }
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    return dir;
}

/**
 * Runs a command line as a user would. Not under coverage: these processes run code the other tests
 * cover in-process, and each would add megabytes of V8 coverage for c8 to merge.
 */
const sh = (command: string, cwd: string) => {
    // Empty, not absent: Node passes its own NODE_V8_COVERAGE on to children that do not set one.
    const env = { ...process.env, NODE_OPTIONS: "", NODE_V8_COVERAGE: "" };
    const r = spawnSync("bash", ["-c", command], { cwd, encoding: "utf8", env });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/**
 * Starts a command line in the background, its output to `<log>` in `cwd` (files, not pipes: the
 * other tests block this process while they run theirs). Resolves to its exit code and output.
 */
function background(command: string, cwd: string, log: string): Promise<{ code: number | null; output: string }> {
    const fd = fs.openSync(path.join(cwd, log), "w");
    const child = spawn("bash", ["-c", command], {
        cwd,
        env: { ...process.env, NODE_OPTIONS: "", NODE_V8_COVERAGE: "" },
        stdio: ["ignore", fd, fd],
    });
    return new Promise((resolve) =>
        child.on("close", (code) => {
            fs.closeSync(fd);
            resolve({ code, output: fs.readFileSync(path.join(cwd, log), "utf8") });
        }),
    );
}

describe("end to end, from a clean copy", function () {
    this.timeout(120_000);
    let dir: string;
    let readme: string;
    let workflow: Promise<{ code: number | null; output: string }>;
    before(() => {
        dir = cleanCopy();
        readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
        // The workflow's script needs nothing the README's commands make: it runs beside them.
        workflow = background("bash .github/scripts/offline-gate.sh . . gate staging", dir, "gate.log");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("the copy holds what a clone holds, and nothing ignored", () => {
        for (const f of ["package.json", "package-lock.json", "README.md", "Pulumi.prod.yaml", ".ci/run"])
            assert.ok(fs.existsSync(path.join(dir, f)), f);
        for (const f of ["coverage", "bin", "out"]) assert.ok(!fs.existsSync(path.join(dir, f)), f);
    });

    it("every npm script the README mentions exists", () => {
        const scripts = Object.keys(
            (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { scripts: object }).scripts,
        );
        const mentioned = [
            ...new Set([...readme.matchAll(/npm run (?:--silent )?([a-z-]+)/g)].map((m) => m[1])),
        ].sort();
        assert.deepEqual(
            mentioned.filter((m) => !scripts.includes(m)),
            [],
        );
        assert.deepEqual(mentioned, [
            "bench",
            "build",
            "comment",
            "diff",
            "docs",
            "format",
            "lint",
            "plan",
            "policy",
            "promote",
        ]);
    });

    it("runs the README's pull-request block as written and prints what it says: plans with cost, diagram, diff, gate, comment", () => {
        const block = /<!-- e2e:start -->\n```sh\n([\s\S]*?)```\n<!-- e2e:end -->/.exec(readme)?.[1];
        assert.ok(block, "the README has the e2e block");
        const commands = block.trim().split("\n");
        assert.equal(commands.length, 6);
        const printed = commands.map((command) => {
            const r = sh(command, dir);
            assert.equal(r.code, 0, `${command}\n${r.stderr}`);
            return r.stdout;
        });
        // What the README says they print: the plan with its cost, the diff with its title and cost change.
        assert.ok(printed[1].includes("\nPreviewing update (staging) with the offline engine"));
        assert.ok(printed[1].includes("    GPU instances, on-demand: $0.00–$1,468.76 a month\n"));
        assert.ok(
            printed[3].includes(
                "### staging → prod\n\n**10 to add, 76 to change, 0 to replace, 0 to delete, 40 unchanged**\n",
            ),
        );
        assert.ok(
            printed[3].includes("| GPU instances, on-demand | $0.00–$1,468.76 | $884.76–$7,962.84 | +$6,494.08 |"),
        );
        // Monitoring's retention, replicas and storage are reviewable: no secret hides the release's values.
        assert.ok(
            printed[3].includes('| `values.prometheus.prometheusSpec.retention` | `"7d"` | `"30d"` |\n'),
            printed[3],
        );
        const out = (f: string) => fs.readFileSync(path.join(dir, "out", f), "utf8");
        const staging = parseStackExport(out("head-staging.json"), "head-staging.json");
        const prod = parseStackExport(out("head-prod.json"), "head-prod.json");
        assert.equal(staging.deployment.resources.length, 119);
        assert.equal(prod.deployment.resources.length, 129);
        assert.equal(out("prod.mmd"), renderMermaid(prod));
        // The plans are previews, so the gate sees what `pulumi preview --policy-pack` sees: the image
        // built in the same update and the KMS key's ARN are unknown, and the policies that read
        // them say so, as advisories; nothing else is reported.
        const sarif = JSON.parse(out("policy-prod.sarif")) as {
            version: string;
            runs: Array<{ results: Array<{ level: string }> }>;
        };
        assert.equal(sarif.version, "2.1.0");
        assert.deepEqual(
            sarif.runs[0].results.map((r) => r.level),
            ["warning", "warning", "warning", "warning"],
        );
        const gate = JSON.parse(out("policy-prod.json")) as { violations: Array<{ level: string; message: string }> };
        assert.ok(gate.violations.every((v) => v.level === "advisory" && v.message.includes(" during preview: ")));
        const comment = out("comment.md");
        assert.ok(comment.startsWith(`${COMMENT_MARKER}\n## Offline plan, cost and policy gate\n`));
        assert.ok(
            comment.includes(
                "| `staging` (new) | 116 to add, 0 to change, 0 to replace, 0 to delete | $1,468.76 | $1,784.85 | not run |",
            ),
        );
        assert.ok(
            comment.includes(
                "| `prod` (new) | 126 to add, 0 to change, 0 to replace, 0 to delete | $7,962.84 | $8,414.71 | ✅ passed (4 advisory) |",
            ),
        );
    });

    it("runs every other offline npm command of the README as written; promote says it needs the Pulumi CLI", () => {
        const lines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
            .flatMap((m) => m[1].split("\n"))
            .map((l) => /(npm run .*?)(\s{2,}#.*)?$/.exec(l.trim())?.[1])
            .filter((l): l is string => l !== undefined);
        // Build, lint, format and docs are the developer's (and change files); bench measures for minutes.
        const skipped = /^npm run (build|lint|format|docs|bench)\b/;
        const alreadyRun = new Set(
            /<!-- e2e:start -->\n```sh\n([\s\S]*?)```/
                .exec(readme)![1]
                .split("\n")
                .map((l) => l.replace(/\s{2,}#.*$/, "").trim()),
        );
        const offline = lines.filter((l) => !skipped.test(l) && !l.startsWith("npm run promote") && !alreadyRun.has(l));
        assert.deepEqual(offline, [
            "npm run plan -- --stack staging",
            "npm run policy -- --stack prod",
            "npm run policy -- --file out/head-prod.json --config policies/config/prod.json --format sarif --output out/gate.sarif",
            "npm run policy -- --file preview.json --tier prod",
        ]);
        // The last needs `pulumi preview --json` first, on the same line of the README.
        for (const command of offline.slice(0, 3)) {
            const r = sh(command, dir);
            assert.equal(r.code, 0, `${command}\n${r.stderr}`);
        }
        assert.equal(
            (JSON.parse(fs.readFileSync(path.join(dir, "out", "gate.sarif"), "utf8")) as { version: string }).version,
            "2.1.0",
        );
        const promote = sh("npm run --silent promote -- --stack staging --rollback", dir);
        assert.deepEqual(
            [promote.code, promote.stderr.trimEnd().split("\n").pop()],
            [
                2,
                "promote: the Pulumi CLI is not installed or not on PATH: promote drives real stacks through it (https://www.pulumi.com/docs/install/)",
            ],
        );
    });

    it("exits 2 with a clear message on bad input, as the README's table says", () => {
        const missing = sh("npm run --silent policy -- --file out/none.json", dir);
        assert.deepEqual([missing.code, missing.stderr], [2, `policy: cannot read document out/none.json: ENOENT\n`]);
        const comment = sh("npm run --silent comment -- --dir out --stacks ecs", dir);
        assert.equal(comment.code, 2);
        assert.match(
            comment.stderr,
            /^comment: .*head-ecs\.json is missing: write it with npm run plan -- --stack ecs --json /,
        );
    });

    it("the pull-request workflow's offline script passes on it, with the base equal to the head", async () => {
        const r = await workflow;
        assert.equal(r.code, 0, r.output);
        const comment = fs.readFileSync(path.join(dir, "gate", "comment.md"), "utf8");
        assert.ok(
            comment.includes(
                "| `staging` | 0 to add, 0 to change, 0 to replace, 0 to delete | $1,468.76 → $1,468.76 | $1,784.85 → $1,784.85 | ✅ passed (4 advisory) |",
            ),
        );
        assert.ok(comment.includes("No changes."));
        assert.ok(!comment.includes("```mermaid"), "no diagram when the topology is unchanged");
        for (const f of ["policy-staging.sarif", "policy-staging.json", "plan-staging.txt", "base-staging.json"])
            assert.ok(fs.existsSync(path.join(dir, "gate", f)), f);
    });
});
