import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePromoteArgs } from "../tools/cli/promote";
import { UsageError } from "../tools/cli/cli";
import {
    AwsCliWeightsStore,
    manifestDigest,
    splitS3Uri,
    type WeightsObject,
    type WeightsStore,
} from "../tools/promote/copy";
import { promote } from "../tools/promote/machine";
import { MlflowRegistryClient, type ModelRegistryClient, type RegisteredVersion } from "../tools/promote/registry";
import { jsonServer } from "./helpers";
import { FakeProber, FakeStack, state } from "./promoteFakes";

const STAGING = "http://mlflow.staging.internal";
const PROD_SOURCE = "s3://prod-models/models/chat";
const STAGING_FOLDER = "s3://staging-models/models/chat/retrained/run-abc";
const WEIGHTS: WeightsObject[] = [
    { key: "config.json", size: 700, checksum: "CRC64NVME:AAAAAAAAAAE=" },
    { key: "model-00001-of-00002.safetensors", size: 4_976_698_672, checksum: "CRC64NVME:AAAAAAAAAAI=" },
    { key: "model-00002-of-00002.safetensors", size: 1_168_138_808, checksum: "CRC64NVME:AAAAAAAAAAM=" },
];

/** S3 as folders of objects; `corrupt` changes what a copy writes. */
class FakeStore implements WeightsStore {
    readonly folders = new Map<string, WeightsObject[]>([[STAGING_FOLDER, WEIGHTS]]);
    readonly copies: Array<[string, string]> = [];
    corrupt: (o: WeightsObject) => WeightsObject | undefined = (o) => o;
    async list(folder: string): Promise<WeightsObject[]> {
        return this.folders.get(folder) ?? [];
    }
    async copy(from: string, to: string): Promise<void> {
        this.copies.push([from, to]);
        this.folders.set(
            to,
            (this.folders.get(from) ?? []).map((o) => this.corrupt(o)).filter((o): o is WeightsObject => !!o),
        );
    }
}

function registries(): { staging: ModelRegistryClient; prod: ModelRegistryClient; calls: string[] } {
    const calls: string[] = [];
    const staging: ModelRegistryClient = {
        resolve: async (ref): Promise<RegisteredVersion> => {
            calls.push(`staging resolve ${ref.version ?? `@${ref.alias}`}`);
            return { version: "7", source: STAGING_FOLDER };
        },
        recordDeployment: async () => assert.fail("staging is not recorded"),
        createVersion: async () => assert.fail("nothing is registered in staging"),
    };
    const prod: ModelRegistryClient = {
        resolve: async () => assert.fail("the copy is released by the number it was registered under"),
        recordDeployment: async (name, version) => void calls.push(`prod record ${name} ${version}`),
        createVersion: async (name, source, tags) => {
            calls.push(`prod create ${name} ${source} ${JSON.stringify(tags)}`);
            return "3";
        },
    };
    return { staging, prod, calls };
}

const ok = { status: 200, latencyMs: 50 };

describe("carrying a verified version to the next stage: copied by content, registered with its provenance", () => {
    it("copies staging's version into prod's prefix, checks every object and releases it by prod's number", async () => {
        const store = new FakeStore();
        const { staging, prod, calls } = registries();
        const stack = new FakeStack(state({ modelSource: PROD_SOURCE }));
        const result = await promote(
            stack,
            new FakeProber(() => ok, stack),
            { modelVersion: "models:/chat@candidate", copyFrom: { registry: staging, url: STAGING, store } },
            undefined,
            prod,
        );
        const digest = manifestDigest(WEIGHTS);
        assert.match(digest, /^sha256:[0-9a-f]{64}$/);
        const destination = `${PROD_SOURCE}/copied/chat-v7-${digest.slice(7, 19)}`;
        assert.equal(result.outcome, "promoted");
        assert.deepEqual(store.copies, [[STAGING_FOLDER, destination]]);
        assert.deepEqual(calls, [
            "staging resolve @candidate",
            `prod create chat ${destination} ${JSON.stringify({
                "llm-platform.copied-from": `${STAGING} models:/chat/7`,
                "llm-platform.copied-source": STAGING_FOLDER,
                "llm-platform.weights-digest": digest,
            })}`,
            "prod record chat 3",
        ]);
        assert.equal(stack.deployed[0].releases.green.modelVersion, "models:/chat/3");
        assert.equal(
            result.log[0],
            `copied models:/chat@candidate (version 7 of ${STAGING}, 3 objects, ${digest}) to ${destination} and registered it as models:/chat/3`,
        );
    });

    it("registers and deploys nothing when the copy differs from its source, and says which objects", async () => {
        const store = new FakeStore();
        store.corrupt = (o) =>
            o.key === "config.json"
                ? undefined
                : o.key.startsWith("model-00002")
                  ? { ...o, checksum: "CRC64NVME:AAAAAAAAAAQ=" }
                  : o;
        const { staging, prod, calls } = registries();
        const stack = new FakeStack(state({ modelSource: PROD_SOURCE }));
        const copyFrom = { registry: staging, url: STAGING, store };
        await assert.rejects(
            promote(
                stack,
                new FakeProber(() => ok, stack),
                { modelVersion: "models:/chat/7", copyFrom },
                undefined,
                prod,
            ),
            (e: Error) => {
                assert.equal(e.name, "PromotionError");
                assert.equal(
                    e.message,
                    [
                        `--model-version models:/chat/7 --copy-from ${STAGING}: the copy of models:/chat/7 at ${store.copies[0][1]} differs from its source ${STAGING_FOLDER}, so it is not registered:`,
                        "  config.json: missing from the copy",
                        "  model-00002-of-00002.safetensors: checksum CRC64NVME:AAAAAAAAAAQ=, the source's CRC64NVME:AAAAAAAAAAM=",
                    ].join("\n"),
                );
                return true;
            },
        );
        assert.deepEqual(calls, ["staging resolve 7"]);
        assert.deepEqual(stack.calls, [], "nothing deployed");
        // A version whose weights are not an S3 folder, or an empty one, is refused the same way.
        const proxied: ModelRegistryClient = {
            ...staging,
            resolve: async () => ({ version: "8", source: "mlflow-artifacts:/1/abc/artifacts/weights" }),
        };
        await assert.rejects(
            promote(
                stack,
                new FakeProber(() => ok, stack),
                { modelVersion: "models:/chat/8", copyFrom: { ...copyFrom, registry: proxied } },
                undefined,
                prod,
            ),
            {
                message: `--model-version models:/chat/8 --copy-from ${STAGING}: models:/chat/8 in ${STAGING} (version 8) has its weights at mlflow-artifacts:/1/abc/artifacts/weights, not in S3: only a version registered by its s3:// folder can be copied`,
            },
        );
        await assert.rejects(
            promote(stack, new FakeProber(() => ok, stack), { modelVersion: "v3", copyFrom }, undefined, prod),
            {
                message:
                    "--copy-from copies a registered version: --model-version must name one (models:/<name>/<version> or models:/<name>@<alias>), received v3",
            },
        );
        assert.deepEqual(stack.calls, []);
    });

    it("takes an alias and --copy-from on the command line, and refuses them where they cannot work", () => {
        const parsed = parsePromoteArgs([
            "--stack",
            "prod",
            "--model",
            "chat",
            "--model-version",
            "models:/chat@candidate",
            "--copy-from",
            STAGING,
        ]);
        assert.equal(parsed.options.modelVersion, "models:/chat@candidate");
        assert.equal(parsed.copyFrom, STAGING);
        assert.throws(() => parsePromoteArgs(["--stack", "prod", "--copy-from", STAGING]), {
            name: "UsageError",
            message:
                "--copy-from copies a registered version from another stage's registry: give it with --model-version models:/<name>/<version> (or @<alias>)",
        });
        assert.throws(
            () => parsePromoteArgs(["--stack", "prod", "--model-version", "models:/chat/1", "--copy-from", "staging"]),
            new UsageError('--copy-from: expected an http(s) URL such as http://mlflow.internal, received "staging"'),
        );
        assert.throws(() => parsePromoteArgs(["--stack", "prod", "--model-version", "models:/chat@"]), UsageError);
    });

    it("lists, checks and copies through the AWS CLI's own commands", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-aws-"));
        const log = path.join(dir, "calls.log");
        const s3 = path.join(dir, "s3");
        // A stand-in for `aws` on disk: buckets are folders; the checksum is the content's (sha256 here).
        const aws = path.join(dir, "aws");
        fs.writeFileSync(
            aws,
            `#!/usr/bin/env node
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + "\\n");
const opt = (n) => args[args.indexOf(n) + 1];
const root = ${JSON.stringify(s3)};
const walk = (d) => fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]) : [];
if (args[0] === "s3api" && args[1] === "list-objects-v2") {
  const b = path.join(root, opt("--bucket"));
  const keys = walk(b).map((f) => path.relative(b, f)).filter((k) => k.startsWith(opt("--prefix")));
  process.stdout.write(keys.length ? JSON.stringify({ Contents: keys.map((k) => ({ Key: k, Size: fs.statSync(path.join(b, k)).size })) }) : "");
} else if (args[0] === "s3api" && args[1] === "head-object") {
  const f = path.join(root, opt("--bucket"), opt("--key"));
  const head = { ContentLength: fs.statSync(f).size };
  if (f.endsWith(".crc32")) { head.ChecksumCRC32 = "AAAAAA=="; head.ChecksumType = "COMPOSITE"; }
  else if (!f.endsWith(".old")) head.ChecksumCRC64NVME = crypto.createHash("sha256").update(fs.readFileSync(f)).digest("base64");
  process.stdout.write(JSON.stringify(head));
} else if (args[0] === "s3" && args[1] === "cp") {
  const [from, to] = args.slice(-2).map((u) => path.join(root, u.replace("s3://", "")));
  for (const f of walk(from)) { const t = path.join(to, path.relative(from, f)); fs.mkdirSync(path.dirname(t), { recursive: true }); fs.copyFileSync(f, t); }
} else { process.stderr.write("unknown command"); process.exit(2); }
`,
        );
        fs.chmodSync(aws, 0o755);
        const put = (key: string, body: string) => {
            fs.mkdirSync(path.dirname(path.join(s3, key)), { recursive: true });
            fs.writeFileSync(path.join(s3, key), body);
        };
        put("staging-models/models/chat/retrained/run-abc/config.json", '{"architectures":["LlamaForCausalLM"]}');
        put("staging-models/models/chat/retrained/run-abc/model.safetensors", "weights");
        put("staging-models/models/chat/retrained/run-abcdef/other.json", "a neighbour's folder is not listed");
        const store = new AwsCliWeightsStore(aws);
        const listed = await store.list(STAGING_FOLDER);
        const sum = (s: string) => `CRC64NVME:${createHash("sha256").update(s).digest("base64")}`;
        assert.deepEqual(listed, [
            { key: "config.json", size: 38, checksum: sum('{"architectures":["LlamaForCausalLM"]}') },
            { key: "model.safetensors", size: 7, checksum: sum("weights") },
        ]);
        await store.copy(`${STAGING_FOLDER}/`, "s3://prod-models/models/chat/copied/chat-v7-x");
        assert.deepEqual(await store.list("s3://prod-models/models/chat/copied/chat-v7-x"), listed);
        const calls = fs
            .readFileSync(log, "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as string[]);
        assert.deepEqual(calls[0], [
            "s3api",
            "list-objects-v2",
            "--bucket",
            "staging-models",
            "--prefix",
            "models/chat/retrained/run-abc/",
            "--output",
            "json",
        ]);
        assert.deepEqual(calls[1], [
            "s3api",
            "head-object",
            "--bucket",
            "staging-models",
            "--key",
            "models/chat/retrained/run-abc/config.json",
            "--checksum-mode",
            "ENABLED",
            "--output",
            "json",
        ]);
        assert.deepEqual(calls[3], [
            "s3",
            "cp",
            "--recursive",
            "--only-show-errors",
            "--checksum-algorithm",
            "CRC64NVME",
            "--copy-props",
            "none",
            `${STAGING_FOLDER}/`,
            "s3://prod-models/models/chat/copied/chat-v7-x/",
        ]);
        // An object without S3's CRC64NVME (boto3 and MLflow upload with CRC32) is refused, with what to do.
        const fix =
            'not S3\'s CRC64NVME, so its copy cannot be compared with it: rewrite the folder with one (aws s3 cp --recursive --checksum-algorithm CRC64NVME <folder>/ <new folder>/), register the new folder and copy that; upload with AWS CLI v2, or boto3 with ChecksumAlgorithm="CRC64NVME", to have it from the start';
        put("old-models/models/chat/v1/model.crc32", "w");
        await assert.rejects(store.list("s3://old-models/models/chat/v1"), {
            name: "CopyError",
            message: `s3://old-models/models/chat/v1/model.crc32 has a CRC32 checksum (COMPOSITE), ${fix}`,
        });
        put("older-models/models/chat/v1/model.old", "w");
        await assert.rejects(store.list("s3://older-models/models/chat/v1"), {
            name: "CopyError",
            message: `s3://older-models/models/chat/v1/model.old has no checksum, ${fix}`,
        });
        await assert.rejects(new AwsCliWeightsStore(path.join(dir, "missing")).list(STAGING_FOLDER), {
            name: "CopyError",
        });
        assert.deepEqual(splitS3Uri("s3://b"), { bucket: "b", prefix: "" });
        assert.throws(() => splitS3Uri("gs://b/x"), { message: "gs://b/x is not an s3:// URI" });
    });

    it("registers a copy over MLflow's REST API, creating the registered model when it is missing", async () => {
        const { url, requests, close } = await jsonServer((_method, path) =>
            path === "/api/2.0/mlflow/registered-models/create"
                ? {
                      status: 400,
                      json: {
                          error_code: "RESOURCE_ALREADY_EXISTS",
                          message: "Registered Model (name=chat) already exists.",
                      },
                  }
                : { json: { model_version: { name: "chat", version: "3" } } },
        );
        try {
            const client = new MlflowRegistryClient(url);
            assert.equal(await client.createVersion("chat", "s3://b/models/chat/copied/x", { k: "v" }), "3");
            assert.deepEqual(requests, [
                'POST /api/2.0/mlflow/registered-models/create {"name":"chat"}',
                'POST /api/2.0/mlflow/model-versions/create {"name":"chat","source":"s3://b/models/chat/copied/x","tags":[{"key":"k","value":"v"}]}',
            ]);
        } finally {
            close();
        }
    });
});
