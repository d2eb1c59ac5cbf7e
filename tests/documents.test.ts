import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { diff } from "../tools/cli/diff";
import { policy } from "../tools/cli/policy";
import { diffExports, renderDiffMarkdown } from "../tools/reports/diff";
import { parseStackExport, SECRET_SIG, SECRET_SIG_VALUE, UNKNOWN_VALUE } from "../tools/engine/stackExport";
import { analyzerProperties, explainHiddenSecret } from "../tools/policy/decode";
import { startPack, type PackProcess } from "../tools/policy/gate";
import { runCli, VERSION } from "./helpers";

type Obj = Record<string, unknown>;
const REF = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const STACK = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev";
const urn = (type: string, name: string) => `urn:pulumi:dev::proj::${type}::${name}`;
const TAGS = { Owner: "ml", CostCenter: "42" };

/** A hardened bucket as pulumi-eks-era CLIs record it, the configuration resources naming it by resource reference. */
function bucketDocument(): { version: number; deployment: { manifest: Obj; resources: Obj[] } } {
    const bucket = urn("aws:s3/bucket:Bucket", "models");
    const ref = { [SECRET_SIG]: REF, urn: bucket, id: "models-123", packageVersion: "7.48.0" };
    const conf = (type: string, name: string, inputs: Obj) => ({
        urn: urn(type, name),
        custom: true,
        type,
        inputs: { bucket: ref, ...inputs },
        outputs: { bucket: "models-123", ...inputs },
        parent: STACK,
    });
    const tls = JSON.stringify({
        Statement: [{ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }],
    });
    return {
        version: 3,
        deployment: {
            manifest: { time: "2026-11-01T00:00:00Z", magic: "", version: "v3.137.0" },
            resources: [
                { urn: STACK, custom: false, type: "pulumi:pulumi:Stack", outputs: { tier: "prod" } },
                {
                    urn: bucket,
                    custom: true,
                    id: "models-123",
                    type: "aws:s3/bucket:Bucket",
                    inputs: { bucket: "models-123", tags: TAGS, __defaults: ["bucket"] },
                    outputs: { bucket: "models-123", id: "models-123", tags: TAGS },
                    parent: STACK,
                    protect: true,
                },
                conf("aws:s3/bucketVersioning:BucketVersioning", "v", {
                    versioningConfiguration: { status: "Enabled" },
                }),
                conf("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "e", {
                    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
                }),
                conf("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "p", {
                    blockPublicAcls: true,
                    blockPublicPolicy: true,
                    ignorePublicAcls: true,
                    restrictPublicBuckets: true,
                }),
                conf("aws:s3/bucketPolicy:BucketPolicy", "tls", { policy: tls }),
                conf("aws:s3/bucketLogging:BucketLogging", "l", { targetBucket: "logs" }),
            ],
        },
    };
}

describe("documents read as Pulumi reads them", () => {
    let pack: PackProcess;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-"));
    const write = (name: string, doc: unknown): string => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, JSON.stringify(doc));
        return file;
    };
    async function gate(argv: string[]) {
        let stdout = "";
        let stderr = "";
        const shared = (): Promise<PackProcess> => Promise.resolve({ ...pack, stop: () => undefined });
        const code = await policy(
            [...argv, "--format", "json"],
            (s) => void (stdout += s),
            () => Promise.reject(new Error("no plan")),
            shared,
            (s) => void (stderr += s),
        );
        return { code, stderr, result: JSON.parse(stdout) as { resources: number; violations: Array<Obj> } };
    }
    before(async () => {
        pack = await startPack();
    });
    after(() => pack.stop());

    it("decodes resource references, output values, secrets and internal keys as the engine marshals them", () => {
        const hidden = { [SECRET_SIG]: SECRET_SIG_VALUE, ciphertext: "AAAA" };
        assert.deepEqual(
            analyzerProperties({
                __defaults: ["name"],
                __meta: "{}",
                role: { [SECRET_SIG]: REF, urn: "urn:a", id: "role-1" },
                component: { [SECRET_SIG]: REF, urn: "urn:c" },
                known: { [SECRET_SIG]: OUTPUT, value: "x", dependencies: ["urn:a"] },
                unknown: { [SECRET_SIG]: OUTPUT },
                secretOutput: { [SECRET_SIG]: OUTPUT, value: 1, secret: true },
                shown: { [SECRET_SIG]: SECRET_SIG_VALUE, plaintext: '{"k":"v"}' },
                nested: { __keep: 1, list: [hidden] },
            }),
            {
                properties: {
                    role: "role-1",
                    component: "urn:c",
                    known: "x",
                    unknown: UNKNOWN_VALUE,
                    secretOutput: { [SECRET_SIG]: SECRET_SIG_VALUE, value: 1 },
                    shown: { [SECRET_SIG]: SECRET_SIG_VALUE, value: { k: "v" } },
                    nested: { __keep: 1, list: [{ [SECRET_SIG]: SECRET_SIG_VALUE, value: UNKNOWN_VALUE }] },
                },
                hiddenSecrets: ["nested.list.0"],
            },
        );
        assert.equal(
            explainHiddenSecret(
                "can't run policy 'required-tags' from policy pack 'p@v1' during preview: string value at .tags.Owner can't be known during preview",
                ["tags"],
            ),
            "can't run policy 'required-tags' from policy pack 'p@v1': the value at .tags.Owner is a secret this document holds only encrypted (export the stack with --show-secrets to check it)",
        );
    });

    it("gates a stack whose outputs hold resource references instead of crashing; analyses the root stack as Pulumi does", async () => {
        const r = await gate(["--file", write("refs.json", bucketDocument())]);
        assert.deepEqual(r.result.violations, []);
        assert.equal(r.code, 0);
        assert.equal(r.result.resources, 7, "the root stack is analysed too");
    });

    it("reads version 4 exports and refuses features it cannot honour, as the CLI does", async () => {
        const v4 = { ...bucketDocument(), version: 4, features: ["refreshBeforeUpdate", "hooks"] };
        assert.equal((await gate(["--file", write("v4.json", v4)])).code, 0);
        assert.equal(parseStackExport(JSON.stringify(v4), "v4.json").version, 4);
        const file = write("v4-new.json", { ...v4, features: ["hooks", "teleport"] });
        await assert.rejects(gate(["--file", file]), {
            name: "UsageError",
            message: `${file}: this stack's deployment needs support for the following features: teleport (this tool reads refreshBeforeUpdate, views, hooks, taint, replaceWith, snippets-prototype, extensionParameterization, byteString, as the Pulumi CLI v3.248.0 does)`,
        });
        const v5 = write("v5.json", { ...v4, version: 5 });
        await assert.rejects(gate(["--file", v5]), {
            message: `${v5}: deployment version 5 is not one this tool reads (3 and 4, as the Pulumi CLI v3.248.0 writes them)`,
        });
    });

    it("refuses a preview written without --show-sames instead of gating part of the stack", async () => {
        const doc = bucketDocument();
        const step = (op: string, r: Obj) => ({ op, urn: r.urn, newState: r });
        const [, bucket, ...rest] = doc.deployment.resources;
        const partial = write("partial.json", {
            steps: [step("same", doc.deployment.resources[0]), step("update", bucket)],
            changeSummary: { same: 6, update: 1 },
        });
        await assert.rejects(gate(["--file", partial, "--tier", "prod"]), {
            name: "UsageError",
            message: `${partial}: the preview leaves out 5 unchanged resources (changeSummary.same is 6), so policies would see part of the stack; write it with \`pulumi preview --json --show-sames\``,
        });
        const full = write("full.json", {
            steps: [
                step("same", doc.deployment.resources[0]),
                step("update", bucket),
                ...rest.map((x) => step("same", x)),
            ],
            changeSummary: { same: 6, update: 1 },
        });
        assert.equal((await gate(["--file", full, "--tier", "prod"])).code, 0);
    });

    it("skips the old copy awaiting deletion and warns about pending operations", async () => {
        const doc = bucketDocument() as ReturnType<typeof bucketDocument> & {
            deployment: { pending_operations?: Obj[] };
        };
        const old = structuredClone(doc.deployment.resources[1]);
        Object.assign(old, { delete: true, inputs: { bucket: "models-old" }, outputs: { bucket: "models-old" } });
        doc.deployment.resources.push(old);
        doc.deployment.pending_operations = [
            { resource: { urn: urn("aws:s3/bucket:Bucket", "models") }, type: "updating" },
        ];
        const file = write("pending.json", doc);
        const r = await gate(["--file", file]);
        assert.deepEqual(r.result.violations, [], "the old copy's missing tags and settings are not findings");
        assert.equal(r.result.resources, 7);
        assert.equal(
            r.stderr,
            `policy: warning: ${file}: a pending updating of ${urn("aws:s3/bucket:Bucket", "models")}: the deployment stopped during it, so its state may not match the cloud (pulumi refresh settles it)\n`,
        );
    });

    it("gives policies what Pulumi gives them for a secret the document holds only encrypted, and says so", async () => {
        const doc = bucketDocument();
        const bucket = doc.deployment.resources[1] as { inputs: Obj; outputs: Obj };
        bucket.inputs.tags = { [SECRET_SIG]: SECRET_SIG_VALUE, ciphertext: "v1:AAAA" };
        const r = await gate(["--file", write("secret.json", doc)]);
        assert.equal(r.code, 0, "no mandatory finding from a value the gate cannot read");
        assert.deepEqual(
            r.result.violations.map((v) => `${String(v.level)} ${String(v.policy)}: ${String(v.message)}`),
            [
                `advisory required-tags: can't run policy 'required-tags' from policy pack 'llm-production-standards@v${VERSION}': the value at .tags is a secret this document holds only encrypted (export the stack with --show-secrets to check it)`,
            ],
        );
    });

    it("refuses a special value Pulumi does not define with exit 2, naming the resource", async () => {
        const doc = bucketDocument();
        (doc.deployment.resources[1] as { inputs: Obj }).inputs.odd = { [SECRET_SIG]: "nope" };
        const file = write("odd.json", doc);
        await assert.rejects(gate(["--file", file]), {
            name: "UsageError",
            message: `${file}: ${urn("aws:s3/bucket:Bucket", "models")}: the value at .odd has the special-value signature "nope", which Pulumi does not define`,
        });
    });

    it("stack policies see outputs only, as AnalyzeStack receives them: a setting the cloud dropped is found", async () => {
        // The inputs still ask for the block; the recorded outputs (after a refresh) no longer have
        // it. Inputs merged under outputs (what the gate sent before) would have hidden that.
        const doc = bucketDocument();
        const pab = doc.deployment.resources[4] as { inputs: Obj; outputs: Obj };
        assert.equal(pab.inputs.blockPublicAcls, true);
        delete pab.outputs.blockPublicAcls;
        const r = await gate(["--file", write("drift.json", doc)]);
        assert.deepEqual(
            r.result.violations.map((v) => `${String(v.policy)}: ${String(v.message)}`),
            ["s3-bucket-hardened: public access is not fully blocked (all four public access block settings)"],
        );
    });
});

describe("the diff reads documents as Pulumi reads them", () => {
    const load = (doc: unknown) => parseStackExport(JSON.stringify(doc), "doc.json");

    it("leaves out the old copy awaiting deletion: a document compared with itself has no changes", () => {
        const doc = bucketDocument();
        const old = structuredClone(doc.deployment.resources[1]);
        Object.assign(old, { delete: true });
        doc.deployment.resources.push(old);
        const d = diffExports(load(doc), load(doc));
        assert.deepEqual(d.counts, { add: 0, remove: 0, replace: 0, update: 0 });
        assert.equal(d.unchanged, 7, "the root stack and six resources");
    });

    it("ignores Pulumi's internal keys; reads version 4", () => {
        const base = bucketDocument();
        const head = { ...bucketDocument(), version: 4, features: ["views"] };
        (head.deployment.resources[1] as { inputs: Obj }).inputs.__defaults = [];
        (head.deployment.resources[1] as { inputs: Obj }).inputs.__meta = '{"schemaVersion":"1"}';
        assert.deepEqual(diffExports(load(base), load(head)).counts, { add: 0, remove: 0, replace: 0, update: 0 });
    });

    it("a secret encrypted again is not a change, and the comment says it cannot be known", () => {
        const base = bucketDocument();
        const head = bucketDocument();
        (base.deployment.resources[1] as { inputs: Obj }).inputs.token = {
            [SECRET_SIG]: SECRET_SIG_VALUE,
            ciphertext: "v1:AAA",
        };
        (head.deployment.resources[1] as { inputs: Obj }).inputs.token = {
            [SECRET_SIG]: SECRET_SIG_VALUE,
            ciphertext: "v1:BBB",
        };
        const d = diffExports(load(base), load(head));
        assert.deepEqual(d.counts, { add: 0, remove: 0, replace: 0, update: 0 });
        assert.deepEqual(d.unknowableSecrets, ["models: token"]);
        assert.ok(
            renderDiffMarkdown(d).includes(
                "> [!NOTE]\n> 1 secret value is held only encrypted, with different ciphertexts: whether it changed cannot be known from these documents (`pulumi stack export --show-secrets` can tell): `models: token`",
            ),
        );
    });

    it("a read or retained resource that disappears is dropped or left, not destroyed", () => {
        const base = bucketDocument();
        const read: Obj = { ...structuredClone(base.deployment.resources[1]), protect: false, external: true };
        read.urn = urn("aws:s3/bucket:Bucket", "shared");
        const kept: Obj = { ...structuredClone(base.deployment.resources[1]), protect: false, retainOnDelete: true };
        kept.urn = urn("aws:s3/bucket:Bucket", "archive");
        base.deployment.resources.push(read, kept);
        const d = diffExports(load(base), load(bucketDocument()));
        assert.deepEqual(d.dangers, []);
        assert.deepEqual(
            d.changes.map((c) => `${c.kind} ${c.name}: ${c.fate ?? ""}`),
            [
                "remove shared: dropped from the state (read, never managed)",
                "remove archive: left in the account (retainOnDelete)",
            ],
        );
    });

    it("warns about pending operations", async () => {
        const doc = bucketDocument() as ReturnType<typeof bucketDocument> & {
            deployment: { pending_operations?: Obj[] };
        };
        doc.deployment.pending_operations = [{ resource: { urn: "urn:x" }, type: "creating" }];
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "diff-"));
        const file = path.join(dir, "a.json");
        fs.writeFileSync(file, JSON.stringify(doc));
        let warned = "";
        await diff(
            [file, file],
            () => undefined,
            (s) => void (warned += s),
        );
        const line = `diff: warning: ${file}: a pending creating of urn:x: the deployment stopped during it, so its state may not match the cloud (pulumi refresh settles it)\n`;
        assert.equal(warned, line + line);
    });
});

describe("policy --file as a process on well-formed documents of every shape", () => {
    it("ends with an exit code from the table, never a stack trace", async function () {
        this.timeout(120_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-proc-"));
        const gate = (doc: unknown) => {
            const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
            fs.writeFileSync(file, JSON.stringify(doc));
            return runCli("policy.ts", ["--file", file]);
        };
        const odd = bucketDocument();
        (odd.deployment.resources[1] as { inputs: Obj }).inputs.odd = { [SECRET_SIG]: "nope" };
        const weird = bucketDocument();
        Object.assign(weird.deployment.resources[2], { inputs: null, outputs: null, provider: "no-separator" });
        (weird.deployment.resources[1] as { inputs: Obj }).inputs.tags = {
            [SECRET_SIG]: SECRET_SIG_VALUE,
            plaintext: "not json",
        };
        const cases = [
            [bucketDocument(), 0],
            [odd, 2],
            [weird, 1],
        ] as const;
        const finished = await Promise.all(cases.map(([doc]) => gate(doc)));
        cases.forEach(([, status], i) => {
            assert.equal(finished[i].status, status, finished[i].stderr);
            assert.doesNotMatch(finished[i].stderr, /\n\s+at /, "no stack trace");
        });
    });
});
