import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { settingsSchema } from "../environments/schema";

const TOP_LEVEL_KEYS = Object.keys(settingsSchema.shape).join(", ");
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { diff } from "../tools/cli/diff";
import { plan } from "../tools/cli/plan";
import { UsageError } from "../tools/errors";

import { parseStackExport, type StackExport } from "../tools/engine/stackExport";
import { knownStacks, PROJECT_DIR, runCli, scratchProject } from "./helpers";
import { planOf, sharedRunner, stagingWithEscAndSecret } from "./plans";

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-cli-"));

/** Runs a command's function in-process, collecting what it prints. */
async function collect(fn: (out: (s: string) => void, err: (s: string) => void) => Promise<number>) {
    let stdout = "";
    let stderr = "";
    const code = await fn(
        (s) => (stdout += s),
        (s) => (stderr += s),
    );
    return { code, stdout, stderr };
}

/** Runs a command as a user would, through node and the project's TypeScript loader, from `cwd`. */
async function spawnCli(script: string, args: string[], cwd = PROJECT_DIR) {
    const r = await runCli(script, args, cwd);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("plan command", () => {
    it("prints the staging tree, outputs and counts and exits 0", async () => {
        const r = await collect((out, err) =>
            plan(["--stack", "staging", "--mode", "update", "--project", PROJECT_DIR], out, err, sharedRunner),
        );
        assert.equal(r.code, 0);
        assert.equal(r.stderr, "");
        const lines = r.stdout.split("\n");
        assert.equal(
            lines[0],
            "Planning update (staging) with the offline engine: no cloud calls, every resource is a create; outputs are what `pulumi up` would leave",
        );
        assert.match(r.stdout, /\n \+ {3}pulumi:pulumi:Stack +llm-platform-staging +create\n/);
        assert.match(r.stdout, /\n \+ {3}[├└]─ llm-platform:aws:ModelArtifactBucket +models +create\n/);
        assert.match(r.stdout, /\n \+ {3}[│ ] {2}├─ aws:s3:Bucket +models-bucket +create\n/);
        assert.match(
            r.stdout,
            /\n \+ {3}[│ ] {2}[├└]─ aws:s3:BucketLifecycleConfiguration +models-lifecycle +create\n/,
        );
        const created = (await planOf("staging")).export.deployment.resources.filter(
            (x) => !(x.type.startsWith("pulumi:providers:") && !x.parent),
        ).length;
        assert.ok(r.stdout.includes(`\nResources:\n    + ${created} to create\n`), r.stdout);
        assert.match(r.stdout, /\n {4}modelBucketName: +"models-bucket-[0-9a-f]{7}"\n/);
        assert.match(r.stdout, /\n {4}modelBucketArn: +"arn:aws:s3:::models-bucket-[0-9a-f]{7}"\n/);
        assert.match(r.stdout, /\n {6}3 {2}aws:kms:Key\n/);
    });

    it("previews by default: names Pulumi gives are known, what AWS computes is output<string>", async () => {
        const r = await collect((out, err) =>
            plan(["--stack", "staging", "--project", PROJECT_DIR], out, err, sharedRunner),
        );
        assert.equal(r.code, 0);
        assert.equal(
            r.stdout.split("\n")[0],
            "Previewing update (staging) with the offline engine: no cloud calls, every resource is a create; outputs of new resources are unknown, as in a first `pulumi preview`",
        );
        assert.match(r.stdout, /\n {4}modelBucketName: +"models-bucket-[0-9a-f]{7}"\n/);
        assert.match(r.stdout, /\n {4}modelBucketKmsKeyArn: +output<string>\n/);
        assert.match(r.stdout, /\n {4}privateSubnetIds: +output<string>\n/);
    });

    it("marks protected resources in prod and writes a stack export with --json", async () => {
        const file = path.join(tmp(), "prod.json");
        const r = await collect((out, err) =>
            plan(["--stack", "prod", "--json", file, "--project", PROJECT_DIR], out, err, sharedRunner),
        );
        assert.equal(r.code, 0);
        assert.match(r.stdout, /aws:s3:Bucket +models-bucket +create \(protected\)\n/);
        const doc0 = (await planOf("prod", "preview")).export.deployment.resources;
        const created = doc0.filter((x) => !(x.type.startsWith("pulumi:providers:") && !x.parent)).length;
        const protectedCount = doc0.filter((x) => x.protect).length;
        assert.ok(r.stdout.includes(`+ ${created} to create (${protectedCount} protected)\n`), r.stdout);
        assert.ok(r.stdout.endsWith(`Wrote the stack export document to ${file}\n`));
        const doc = parseStackExport(fs.readFileSync(file, "utf8"), file);
        const bucket = doc.deployment.resources.find((x) => x.type === "aws:s3/bucket:Bucket")!;
        assert.match(bucket.parent!, /^urn:pulumi:prod::llm-platform::llm-platform:aws:ModelArtifactBucket::models$/);
        const policy = doc.deployment.resources.find((x) => x.type === "aws:s3/bucketPolicy:BucketPolicy")!;
        assert.ok(policy.dependencies!.includes(bucket.urn));
    });

    it("warns that ESC environments are not opened offline", async () => {
        const dir = stagingWithEscAndSecret();
        const r = await collect((out, err) =>
            plan(["--stack", "staging", "--mode", "update", "--project", dir], out, err, sharedRunner),
        );
        assert.equal(r.code, 0);
        assert.equal(
            r.stderr,
            "warning: Pulumi.staging.yaml imports ESC environments (llm-platform/staging); they cannot be opened offline, so values they provide are missing from this plan\n",
        );
    });

    it("rejects bad arguments with the usage line", async () => {
        await assert.rejects(
            plan(
                [],
                () => undefined,
                () => undefined,
            ),
            {
                message:
                    "--stack is required\nusage: llm-platform plan --stack <name> [--mode preview|update] [--format text|mermaid] [--json <file>] [--project <dir>]",
            },
        );
        await assert.rejects(
            plan(
                ["--stack", "staging", "--mode", "apply"],
                () => undefined,
                () => undefined,
            ),
            { name: "UsageError", message: '--mode: expected preview or update, received "apply"' },
        );
        await assert.rejects(
            plan(
                ["--stack", "staging", "extra"],
                () => undefined,
                () => undefined,
            ),
            /unexpected argument "extra"/,
        );
        await assert.rejects(
            plan(
                ["--stak", "x"],
                () => undefined,
                () => undefined,
            ),
            (e: unknown) => e instanceof UsageError && /Unknown option '--stak'/.test(e.message),
        );
        await assert.rejects(
            plan(
                ["--stack", "staging", "--json", "/no/such/dir/p.json"],
                () => undefined,
                () => undefined,
            ),
            { message: "--json: folder /no/such/dir does not exist" },
        );
    });
});

describe("plan and diff as processes: exit codes", () => {
    it("exits 0 for a stack and 2 for an unknown one; the program runs in stacks/ from any working folder", async () => {
        // From a subfolder, as a user might: the program still runs where the Pulumi CLI runs it.
        const file = path.join(tmp(), "staging.json");
        // Both at once: neither needs the other.
        const [ok, unknown] = await Promise.all([
            spawnCli(
                "plan.ts",
                ["--stack", "staging", "--project", PROJECT_DIR, "--json", file],
                path.join(PROJECT_DIR, "components"),
            ),
            spawnCli("plan.ts", ["--stack", "qa"]),
        ]);
        assert.equal(ok.code, 0, ok.stderr);
        const image = (doc: StackExport) =>
            doc.deployment.resources.find((r) => r.type === "docker:index/image:Image")?.inputs?.build;
        const inProcess = image((await planOf("staging")).export);
        assert.deepEqual(image(parseStackExport(fs.readFileSync(file, "utf8"), file)), inProcess);
        assert.equal((inProcess as { context: string }).context, "../images/inference");
        assert.equal(unknown.code, 2);
        assert.equal(unknown.stderr, `plan: unknown stack "qa": no Pulumi.qa.yaml; known stacks: ${knownStacks()}\n`);
        assert.match(
            knownStacks(),
            /^(.+, )?ecs, (.+, )?prod, (.+, )?staging(, .+)?$/,
            "the reference stacks are listed",
        );
        assert.equal(unknown.stdout, "");
    });

    it("exits 2 with every problem for bad config, and 2 for an invalid stack file", async () => {
        const dir = scratchProject();
        fs.writeFileSync(
            path.join(dir, "Pulumi.prod.yaml"),
            "config:\n  aws:region: us-east-1\n  llm-platform:tier: prod\n  llm-platform:owner: ml\n  llm-platform:costCenter: cc\n  llm-platform:serving:\n    replicas: 1\n  llm-platform:protect: true\n",
        );
        fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config: {aws:region: [\n");
        const [bad, invalid] = await Promise.all([
            spawnCli("plan.ts", ["--stack", "prod", "--project", dir]),
            spawnCli("plan.ts", ["--stack", "staging", "--project", dir]),
        ]);
        assert.equal(bad.code, 2);
        assert.equal(
            bad.stderr,
            [
                'plan: Invalid configuration for stack "prod" (2 problems):',
                `  llm-platform:protect: unknown key; expected one of ${TOP_LEVEL_KEYS}, received true`,
                "  llm-platform:serving.replicas: expected an integer >= 2 in the prod tier (one replica cannot survive a node drain), received 1",
                "Fix the values in Pulumi.prod.yaml or with `pulumi config set` (see docs/configuration.md).",
                "",
            ].join("\n"),
        );
        assert.equal(invalid.code, 2);
        assert.match(invalid.stderr, /^plan: .*Pulumi\.staging\.yaml is not valid YAML: /);
    });

    it("diff exits 2 on unreadable or non-export input", async () => {
        const dir = tmp();
        const notJson = path.join(dir, "a.json");
        fs.writeFileSync(notJson, "{");
        const [r, missing] = await Promise.all([
            spawnCli("diff.ts", [notJson, notJson]),
            spawnCli("diff.ts", [path.join(dir, "none.json"), notJson]),
        ]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^diff: .*a\.json is not JSON: /);
        assert.equal(missing.code, 2);
        assert.equal(missing.stderr, `diff: cannot read ${path.join(dir, "none.json")}: ENOENT\n`);
    });
});

describe("diff command", () => {
    let basePath: string;
    let headPath: string;
    before(async () => {
        const dir = tmp();
        basePath = path.join(dir, "base.json");
        headPath = path.join(dir, "head.json");
        await plan(
            ["--stack", "prod", "--json", basePath, "--project", PROJECT_DIR],
            () => undefined,
            () => undefined,
            sharedRunner,
        );
        const doc = JSON.parse(fs.readFileSync(basePath, "utf8"));
        doc.deployment.resources = doc.deployment.resources.filter(
            (r: { urn: string }) => !r.urn.endsWith("::models-bucket"),
        );
        fs.writeFileSync(headPath, JSON.stringify(doc));
    });

    it("prints Markdown by default, flagging the removed bucket", async () => {
        const r = await collect((out) => diff([basePath, headPath, "--title", "prod"], out));
        assert.equal(r.code, 0);
        assert.ok(r.stdout.startsWith("### prod\n\n**0 to add, 0 to change, 0 to replace, 1 to delete, "), r.stdout);
    });

    it("prints JSON with --format json", async () => {
        const r = await collect((out) => diff([basePath, headPath, "--format", "json"], out));
        const parsed = JSON.parse(r.stdout);
        assert.deepEqual(parsed.counts, { add: 0, remove: 1, replace: 0, update: 0 });
        assert.equal(parsed.dangers.length, 1);
    });

    it("rejects a wrong file count, an unknown format and a document that is not an export", async () => {
        await assert.rejects(
            diff([basePath], () => undefined),
            /^UsageError: expected two files, base and head; received 1\nusage: llm-platform diff/,
        );
        await assert.rejects(
            diff([basePath, headPath, "--format", "html"], () => undefined),
            { message: '--format: expected markdown or json, received "html"' },
        );
        const other = path.join(tmp(), "other.json");
        fs.writeFileSync(other, '{"version": 2}');
        await assert.rejects(
            diff([basePath, other], () => undefined),
            {
                message: `${other} is not a stack export: expected {"version": 3, "deployment": {...}} as written by \`pulumi stack export\` or \`llm-platform plan --json\``,
            },
        );
    });
});

describe("the command line's start-up", () => {
    it("writes its pid where LLM_PLATFORM_PID_FILE says (for a supervisor above npm), removes it at exit, and survives a reader that went away", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-startup-"));
        const file = path.join(dir, "cli.pid");
        const script = [
            'require("./tools/cli/startup").startup();',
            'const fs = require("node:fs");',
            "fs.writeFileSync(process.env.SEEN, fs.readFileSync(process.env.LLM_PLATFORM_PID_FILE, 'utf8').trim() + ' ' + process.pid);",
            // Its reader (head) is gone after one byte: every later write fails with EPIPE.
            "for (let i = 0; i < 2000; i++) process.stdout.write('x'.repeat(1000) + '\\n');",
            "setTimeout(() => fs.writeFileSync(process.env.SEEN + '.done', 'ran on'), 200);",
        ].join("\n");
        const r = spawnSync(
            "bash",
            [
                "-c",
                `node --require ./tools/typescript.cjs -e '${script.replace(/'/g, "'\\''")}' | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`,
            ],
            {
                cwd: PROJECT_DIR,
                encoding: "utf8",
                env: { ...process.env, LLM_PLATFORM_PID_FILE: file, SEEN: path.join(dir, "seen") },
            },
        );
        assert.equal(r.stdout.trim(), "0", r.stderr);
        const [written, pid] = fs.readFileSync(path.join(dir, "seen"), "utf8").split(" ");
        assert.equal(written, pid);
        assert.equal(fs.readFileSync(path.join(dir, "seen.done"), "utf8"), "ran on");
        assert.equal(fs.existsSync(file), false, "removed at exit");
    });
});
