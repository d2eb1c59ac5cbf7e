import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import * as grpc from "@grpc/grpc-js";
import * as aws from "@pulumi/aws";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as respb from "@pulumi/pulumi/proto/resource_pb";
import { EARLY_METHODS, listen } from "../tools/engine/listen";
import {
    call,
    fakeCertificate,
    newResource,
    OFFLINE_ACCOUNT_ID,
    renderPolicyDocument,
    type CloudContext,
} from "../tools/engine/mocks";
import { readProject } from "../tools/engine/project";
import { releaseStateDir } from "../tools/promote/automation";
import { readStackConfig } from "../tools/engine/stackConfig";
import { UsageError } from "../tools/errors";
import { annotateSecrets, goDurationSeconds } from "../tools/engine/monitor";
import { ProgramError, runProgram, runStack, type RunResult } from "../tools/engine/run";
import { diffExports, renderDiffMarkdown, STATEFUL_TYPES } from "../tools/reports/diff";
import {
    parseStackExport,
    SECRET_SIG,
    SECRET_SIG_VALUE,
    secretFingerprint,
    type ExportedResource,
} from "../tools/engine/stackExport";
import { withheldSecret } from "../catalog/configErrors";
import { renderAlertmanagerConfig } from "../components/k8s/alertmanagerConfig";
import { find, knownStacks, PROJECT_DIR, scratchProject } from "./helpers";
import { planOf, sharedRunner, stagingWithEscAndSecret } from "./plans";

const ctx: CloudContext = {
    project: "llm-platform",
    stack: "staging",
    region: "eu-west-1",
    accountId: OFFLINE_ACCOUNT_ID,
};
const BUCKET = "llm-platform:aws:ModelArtifactBucket";

describe("offline engine: runStack", () => {
    let staging: RunResult;
    let prod: RunResult;
    before(async () => {
        [staging, prod] = await Promise.all([planOf("staging"), planOf("prod")]);
    });

    it("captures the root stack, the default provider, components and their children", () => {
        const resources = staging.export.deployment.resources;
        assert.equal(resources[0].type, "pulumi:pulumi:Stack");
        assert.equal(resources[0].urn, "urn:pulumi:staging::llm-platform::pulumi:pulumi:Stack::llm-platform-staging");
        assert.equal(resources.filter((r) => r.type === "pulumi:providers:aws").length, 1);
        assert.ok(resources.some((r) => r.type === BUCKET && !r.custom));
        const urns = new Set(resources.map((r) => r.urn));
        assert.equal(urns.size, resources.length, "URNs are unique");
        for (const r of resources.slice(1)) {
            if (!r.type.startsWith("pulumi:providers:"))
                assert.ok(r.parent && urns.has(r.parent), `${r.urn} has a captured parent`);
        }
    });

    it("records parents and providers before the resources that name them, as an export does", () => {
        const seen = new Set<string>();
        for (const r of staging.export.deployment.resources) {
            if (r.parent) assert.ok(seen.has(r.parent), `${r.urn} comes after its parent`);
            if (r.provider)
                assert.ok(
                    seen.has(r.provider.split("::").slice(0, -1).join("::")),
                    `${r.urn} comes after its provider`,
                );
            seen.add(r.urn);
        }
    });

    it("builds URNs as the Pulumi engine does: stack-rooted, parent types qualified", () => {
        const stackUrn = "urn:pulumi:staging::llm-platform::pulumi:pulumi:Stack::llm-platform-staging";
        const component = find(staging.export, BUCKET, "models");
        assert.equal(component.urn, `urn:pulumi:staging::llm-platform::${BUCKET}::models`);
        assert.equal(component.parent, stackUrn);
        const bucket = find(staging.export, "aws:s3/bucket:Bucket", "models-bucket");
        assert.equal(bucket.urn, `urn:pulumi:staging::llm-platform::${BUCKET}$aws:s3/bucket:Bucket::models-bucket`);
        assert.equal(bucket.parent, component.urn);
    });

    it("records dependencies, property dependencies and the provider reference", () => {
        const bucket = find(staging.export, "aws:s3/bucket:Bucket", "models-bucket");
        const policy = find(staging.export, "aws:s3/bucketPolicy:BucketPolicy", "models-policy");
        const pab = find(
            staging.export,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "models-public-access",
        );
        assert.deepEqual([...(policy.dependencies ?? [])].sort(), [bucket.urn, pab.urn].sort());
        assert.deepEqual(policy.propertyDependencies?.bucket, [bucket.urn]);
        assert.deepEqual(policy.propertyDependencies?.policy, [bucket.urn]);
        const provider = find(staging.export, "pulumi:providers:aws", "default_7_48_0");
        assert.equal(bucket.provider, `${provider.urn}::${provider.id}`);
        assert.deepEqual(provider.inputs, { region: "us-east-1", version: "7.48.0" });
    });

    it("returns realistic outputs: bucket names, ARNs and KMS key ids in AWS formats", () => {
        const bucket = find(staging.export, "aws:s3/bucket:Bucket", "models-bucket");
        assert.match(bucket.id ?? "", /^models-bucket-[0-9a-f]{7}$/);
        assert.equal(bucket.outputs?.arn, `arn:aws:s3:::${bucket.id}`);
        assert.equal(bucket.outputs?.bucketRegionalDomainName, `${bucket.id}.s3.us-east-1.amazonaws.com`);
        const key = find(staging.export, "aws:kms/key:Key", "models-key");
        assert.match(
            String(key.outputs?.arn),
            /^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        assert.equal(staging.outputs.modelBucketArn, bucket.outputs?.arn);
        assert.equal(staging.outputs.modelBucketKmsKeyArn, key.outputs?.arn);
    });

    it("protects every stateful resource in prod and none in staging", () => {
        const stateful = (r: RunResult): ExportedResource[] =>
            r.export.deployment.resources.filter((x) => STATEFUL_TYPES.has(x.type));
        assert.ok(stateful(prod).length >= 3);
        assert.deepEqual(
            stateful(prod)
                .filter((x) => !x.protect)
                .map((x) => x.urn),
            [],
        );
        assert.deepEqual(
            staging.export.deployment.resources.filter((x) => x.protect || x.retainOnDelete).map((x) => x.urn),
            [],
        );
    });

    it("writes a document that parses as a stack export", () => {
        const doc = parseStackExport(JSON.stringify(prod.export), "prod.json");
        assert.equal(doc.version, 3);
        assert.equal(doc.deployment.resources.length, prod.export.deployment.resources.length);
        for (const r of doc.deployment.resources) {
            if (r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"))
                assert.ok(r.parent, `${r.urn} has a parent`);
        }
    });

    it("stops on bad config before any resource but the root stack is registered", async () => {
        const sink: ExportedResource[] = [];
        await assert.rejects(
            runStack({
                projectDir: PROJECT_DIR,
                stack: "prod",
                configOverrides: { "llm-platform:serving": '{"replicas":"three"}' },
                sink,
            }),
            (e: unknown) =>
                e instanceof ProgramError &&
                e.configuration &&
                e.message ===
                    [
                        'Invalid configuration for stack "prod" (1 problem):',
                        '  llm-platform:serving.replicas: expected an integer between 1 and 100, received "three"',
                        "Fix the values in Pulumi.prod.yaml or with `pulumi config set` (see docs/configuration.md).",
                    ].join("\n") &&
                e.resources.every((r) => r.type === "pulumi:pulumi:Stack"),
        );
        assert.deepEqual(
            sink.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.urn),
            [],
        );
    });

    it("hands secure config to the program as its ciphertext's marker, never the ciphertext, and exports each secret with a fingerprint", async () => {
        const result = await sharedRunner({ projectDir: stagingWithEscAndSecret(), stack: "staging", mode: "update" });
        const text = JSON.stringify(result.export);
        for (const ciphertext of ["v1:abcdef==", "v1:webhook-a==", "v1:topic=="]) assert.ok(!text.includes(ciphertext));
        assert.ok(!text.includes(withheldSecret("v1:webhook-a==")), "the marker itself stays inside secrets");
        const provider = find(result.export, "pulumi:providers:aws", "default_7_48_0");
        assert.deepEqual(provider.inputs?.secretKey, {
            [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
            ciphertext: "[secret]",
            fingerprint: secretFingerprint(withheldSecret("v1:abcdef==")),
        });
        // Another ciphertext (the value set again, or another value): another marker, so another fingerprint.
        assert.notEqual(withheldSecret("v1:webhook-b=="), withheldSecret("v1:webhook-a=="));
        assert.equal(withheldSecret("v1:abcdef=="), "[secret d02b607a119528c1]"); // sha256 of the ciphertext, first 16 hex
    });

    it("plans a secure value whose format cannot be known offline (an SNS topic ARN) by its type alone", async () => {
        const result = await sharedRunner({ projectDir: stagingWithEscAndSecret(), stack: "staging", mode: "update" });
        const secret = find(result.export, "kubernetes:core/v1:Secret", "monitoring-alertmanager-config");
        // The fingerprint is of the configuration built around both markers: the SNS topic passed
        // the check and reached its receiver, as the webhook did.
        const expected = renderAlertmanagerConfig({
            slackWebhookUrl: withheldSecret("v1:webhook-a=="),
            snsTopicArn: withheldSecret("v1:topic=="),
            region: "us-east-1",
        });
        assert.match(expected, /topic_arn: '?\[secret [0-9a-f]{16}\]/);
        assert.equal(
            (secret.inputs?.stringData as Record<string, string>).fingerprint,
            secretFingerprint({ "alertmanager.yaml": expected }),
        );
    });

    it("shows a change of secure values, and only that, as a secret changed", async () => {
        // The reference staging stack has no receivers; the copy sets two, both secure.
        const [a, b] = await Promise.all([
            planOf("staging", "update"),
            sharedRunner({ projectDir: stagingWithEscAndSecret(), stack: "staging", mode: "update" }),
        ]);
        const diff = diffExports(a.export, b.export);
        assert.deepEqual(
            diff.changes.map((c) => [c.kind, c.name, c.properties]),
            [
                [
                    "update",
                    "monitoring-alertmanager-config",
                    [{ path: "stringData", old: "[secret]", new: "[secret]", secret: true }],
                ],
            ],
        );
        const markdown = renderDiffMarkdown(diff);
        assert.ok(
            markdown.includes(
                "| `~` | `monitoring-alertmanager-config` | `kubernetes:core/v1:Secret` | `stringData` changed (secret) |",
            ),
            markdown,
        );
        assert.ok(markdown.includes("| `stringData` | _secret_ | _changed (secret)_ |"), markdown);
        assert.deepEqual(diffExports(a.export, a.export).changes, []);
    });
});

describe("offline engine: secretness of outputs", () => {
    it("marks an output secret where its input held a secret, recurring into objects as the engine's annotateSecrets does", () => {
        const secret = (value: unknown) => ({ [SECRET_SIG]: SECRET_SIG_VALUE, value });
        const outs: Record<string, unknown> = {
            values: { a: { key: "k", plain: 1 }, list: ["x", "y"] },
            name: "n",
            token: "t",
        };
        annotateSecrets(outs, {
            values: { a: { key: secret("k"), plain: 1 }, list: ["x", secret("y")] },
            name: "n",
            token: secret("t"),
            absent: secret("z"),
        });
        assert.deepEqual(outs, {
            values: { a: { key: secret("k"), plain: 1 }, list: secret(["x", "y"]) },
            name: "n",
            token: secret("t"),
        });
    });
});

describe("offline engine: resource options", () => {
    it("captures protect, retainOnDelete, ignoreChanges, replaceOnChanges, aliases and explicit providers", async () => {
        const result = await runProgram({
            project: "p",
            stack: "s",
            config: { "aws:region": "us-west-2" },
            program: () => {
                const provider = new aws.Provider("west", { region: "us-west-2" });
                new aws.s3.Bucket(
                    "kept",
                    { tags: { a: "1" } },
                    {
                        provider,
                        protect: true,
                        retainOnDelete: true,
                        ignoreChanges: ["tags"],
                        replaceOnChanges: ["bucket"],
                        aliases: ["urn:pulumi:s::p::aws:s3/bucket:Bucket::old"],
                        customTimeouts: { create: "1h30m", delete: "90s" },
                    },
                );
                return {};
            },
        });
        const provider = find(result.export, "pulumi:providers:aws", "west");
        const bucket = find(result.export, "aws:s3/bucket:Bucket", "kept");
        assert.equal(bucket.provider, `${provider.urn}::${provider.id}`);
        assert.equal(bucket.protect, true);
        assert.equal(bucket.retainOnDelete, true);
        assert.deepEqual(bucket.ignoreChanges, ["tags"]);
        assert.deepEqual(bucket.replaceOnChanges, ["bucket"]);
        assert.deepEqual(bucket.aliases, ["urn:pulumi:s::p::aws:s3/bucket:Bucket::old"]);
        // In seconds, as the engine stores them (time.ParseDuration).
        assert.deepEqual(bucket.customTimeouts, { create: 5400, delete: 90 });
        assert.equal(
            result.export.deployment.resources.filter((r) => r.type.startsWith("pulumi:providers:aws")).length,
            1,
            "no default provider is recorded when an explicit one is used",
        );
    });

    it("refuses a custom timeout Go cannot parse, as the engine does", async () => {
        assert.deepEqual(["40m", "1h30m", "1.5h", "90s", "250ms", "soon", "10"].map(goDurationSeconds), [
            2400,
            5400,
            5400,
            90,
            0.25,
            undefined,
            undefined,
        ]);
        await assert.rejects(
            runProgram({
                project: "p",
                stack: "s",
                config: { "aws:region": "us-west-2" },
                program: () => {
                    new aws.s3.Bucket("b", {}, { customTimeouts: { create: "soon" } });
                    return {};
                },
            }),
            /unable to parse customTimeout Value soon/,
        );
    });

    it("gives EKS clusters a PEM certificate authority and an OIDC issuer", () => {
        const eks = newResource(
            { type: "aws:eks/cluster:Cluster", name: "c", inputs: {}, custom: true, provider: "", id: "" },
            ctx,
        );
        const pem = Buffer.from(String((eks.state.certificateAuthority as { data: string }).data), "base64").toString(
            "utf8",
        );
        assert.match(pem, /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
        assert.equal(fakeCertificate("x"), fakeCertificate("x"));
    });
});

describe("offline engine: project and stack files", () => {
    it("reads the project's name, main and declared config", () => {
        const project = readProject(PROJECT_DIR);
        assert.equal(project.name, "llm-platform");
        assert.equal(project.main, path.join(PROJECT_DIR, "stacks", "index.ts"));
    });

    it("turns stack values into the strings a program sees, and secure values into placeholders", () => {
        const dir = scratchProject();
        fs.writeFileSync(
            path.join(dir, "Pulumi.dev.yaml"),
            "environment:\n  - llm-platform/staging\nconfig:\n  aws:region: eu-west-1\n  tier: staging\n  owner: team\n  costCenter: 42\n  llm-platform:serving:\n    replicas: 2\n  llm-platform:tags:\n    Token:\n      secure: v1:xyz\n",
        );
        const cfg = readStackConfig(dir, readProject(dir), "dev");
        assert.deepEqual(cfg.values, {
            "aws:region": "eu-west-1",
            "llm-platform:costCenter": "42",
            "llm-platform:owner": "team",
            "llm-platform:serving": '{"replicas":2}',
            "llm-platform:tags": '{"Token":"[secret d25e0eba7a2aea95]"}', // the ciphertext's fingerprint, never decrypted
            "llm-platform:tier": "staging",
        });
        assert.deepEqual(cfg.secretKeys, ["llm-platform:tags"]);
        assert.deepEqual(cfg.environments, ["llm-platform/staging"]);
    });

    it("applies project-level declared defaults under the stack's values", () => {
        const dir = scratchProject();
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            "name: llm-platform\nruntime: nodejs\nconfig:\n  aws:profile: ci\n  llm-platform:owner:\n    type: string\n    default: nobody\n  costCenter:\n    type: string\n    default: shared\n",
        );
        const cfg = readStackConfig(dir, readProject(dir), "staging");
        assert.equal(cfg.values["aws:profile"], "ci");
        assert.equal(cfg.values["llm-platform:owner"], "ml-platform");
        assert.equal(cfg.values["llm-platform:costCenter"], "ml-research");
    });

    it("finds the project file as the CLI does (Pulumi.json, .yaml, .yml) and the stack files beside it, in stackConfigDir", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-project-"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.yml"),
            "name: yml-project\nruntime: nodejs\nmain: src/index.ts\nstackConfigDir: stacks\n",
        );
        fs.mkdirSync(path.join(dir, "stacks"));
        fs.writeFileSync(path.join(dir, "stacks", "Pulumi.dev.yml"), "config:\n  aws:region: eu-west-1\n");
        const yml = readProject(dir);
        assert.equal(yml.name, "yml-project");
        assert.equal(yml.file, path.join(dir, "Pulumi.yml"));
        assert.equal(yml.stackConfigDir, path.join(dir, "stacks"));
        assert.deepEqual(readStackConfig(dir, yml, "dev").values, { "aws:region": "eu-west-1" });
        assert.throws(
            () => readStackConfig(dir, yml, "prod"),
            (e: unknown) =>
                e instanceof UsageError && e.message === 'unknown stack "prod": no Pulumi.prod.yml; known stacks: dev',
        );
        // Pulumi.json comes first; its stack files are JSON too.
        fs.writeFileSync(path.join(dir, "Pulumi.json"), '{"name": "json-project", "runtime": "nodejs"}');
        fs.writeFileSync(path.join(dir, "Pulumi.dev.json"), '{"config": {"aws:region": "us-east-2"}}');
        const json = readProject(dir);
        assert.equal(json.name, "json-project");
        assert.equal(json.stackConfigDir, dir);
        assert.deepEqual(readStackConfig(dir, json, "dev").values, { "aws:region": "us-east-2" });
        assert.equal(path.basename(releaseStateDir(dir, path.join(dir, "state"))), "json-project");
        fs.writeFileSync(path.join(dir, "Pulumi.json"), '{"name": "x", "stackConfigDir": 3}');
        assert.throws(
            () => readProject(dir),
            (e: unknown) =>
                e instanceof UsageError &&
                e.message ===
                    `${path.join(dir, "Pulumi.json")}: "stackConfigDir" must be a string (a folder relative to the project)`,
        );
    });

    it("names the problem with an unknown stack, invalid YAML or a bad shape", () => {
        const dir = scratchProject();
        const project = readProject(dir);
        assert.throws(
            () => readStackConfig(dir, project, "qa"),
            (e: unknown) =>
                e instanceof UsageError &&
                e.message === `unknown stack "qa": no Pulumi.qa.yaml; known stacks: ${knownStacks(dir)}`,
        );
        assert.throws(() => readStackConfig(dir, project, "../x"), /invalid stack name "\.\.\/x"/);
        fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config: [unclosed\n");
        assert.throws(() => readStackConfig(dir, project, "bad"), /Pulumi\.bad\.yaml is not valid YAML/);
        fs.writeFileSync(path.join(dir, "Pulumi.list.yaml"), "config:\n  - a\n");
        assert.throws(() => readStackConfig(dir, project, "list"), /"config" must be a mapping of keys to values/);
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "- not a project\n");
        assert.throws(() => readProject(dir), /Pulumi\.yaml: expected a mapping with a string "name"/);
    });
});

describe("offline engine: provider answers", () => {
    it("models IAM roles, ECR repositories and EKS clusters in AWS formats", () => {
        const role = newResource(
            { type: "aws:iam/role:Role", name: "node", inputs: {}, custom: true, provider: "", id: "" },
            ctx,
        );
        assert.match(String(role.state.arn), /^arn:aws:iam::111122223333:role\/node-[0-9a-f]{7}$/);
        const repo = newResource(
            {
                type: "aws:ecr/repository:Repository",
                name: "r",
                inputs: { name: "inference" },
                custom: true,
                provider: "",
                id: "",
            },
            ctx,
        );
        assert.equal(repo.state.repositoryUrl, "111122223333.dkr.ecr.eu-west-1.amazonaws.com/inference");
        const eks = newResource(
            { type: "aws:eks/cluster:Cluster", name: "c", inputs: { name: "llm" }, custom: true, provider: "", id: "" },
            ctx,
        );
        assert.match(String(eks.state.endpoint), /^https:\/\/[0-9A-F]{32}\.gr7\.eu-west-1\.eks\.amazonaws\.com$/);
        assert.match(
            String((eks.state.identities as Array<{ oidcs: Array<{ issuer: string }> }>)[0].oidcs[0].issuer),
            /^https:\/\/oidc\.eks\.eu-west-1\.amazonaws\.com\/id\/[0-9A-F]{32}$/,
        );
    });

    it("gives Kubernetes objects a generated name, a namespace and an id", () => {
        const dep = newResource(
            { type: "kubernetes:apps/v1:Deployment", name: "web", inputs: {}, custom: true, provider: "", id: "" },
            ctx,
        );
        assert.match(String(dep.id), /^default\/web-[0-9a-f]{8}$/);
        const ns = newResource(
            {
                type: "kubernetes:core/v1:Namespace",
                name: "ns",
                inputs: { metadata: { name: "serving" } },
                custom: true,
                provider: "",
                id: "",
            },
            ctx,
        );
        assert.equal(ns.id, "serving");
    });

    it("answers the invokes components make", () => {
        assert.equal(
            call({ token: "aws:index/getCallerIdentity:getCallerIdentity", inputs: {}, provider: "" }, ctx).accountId,
            "111122223333",
        );
        assert.deepEqual(
            call({ token: "aws:index/getAvailabilityZones:getAvailabilityZones", inputs: {}, provider: "" }, ctx)
                .zoneIds,
            ["euw1-az1", "euw1-az2", "euw1-az3"],
        );
        const ami = call(
            {
                token: "aws:ssm/getParameter:getParameter",
                inputs: {
                    name: "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/nvidia/recommended/image_id",
                },
                provider: "",
            },
            ctx,
        );
        assert.match(String(ami.value), /^ami-0[0-9a-f]{16}$/);
    });

    it("renders IAM policy documents as AWS does", () => {
        const json = renderPolicyDocument({
            statements: [
                {
                    effect: "Allow",
                    actions: ["s3:GetObject"],
                    resources: ["arn:aws:s3:::b/*"],
                    principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }],
                    conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["true"] }],
                },
            ],
        });
        assert.deepEqual(JSON.parse(json), {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Action: "s3:GetObject",
                    Resource: "arn:aws:s3:::b/*",
                    Principal: { Service: "ec2.amazonaws.com" },
                    Condition: { Bool: { "aws:SecureTransport": "true" } },
                },
            ],
        });
    });

    it("fails clearly on an invoke or SSM parameter it does not know", () => {
        assert.throws(
            () => call({ token: "aws:rds/getEngineVersion:getEngineVersion", inputs: {}, provider: "" }, ctx),
            {
                message:
                    'offline engine: no answer for invoke "aws:rds/getEngineVersion:getEngineVersion"; add one to tools/engine/invokes.ts (call) so the plan can run offline',
            },
        );
        assert.throws(
            () =>
                call(
                    { token: "aws:ssm/getParameter:getParameter", inputs: { name: "/team/db-password" }, provider: "" },
                    ctx,
                ),
            /no value for SSM parameter "\/team\/db-password"/,
        );
    });
});

describe("offline engine: the port opens before the engine loads (issue 36)", () => {
    it("routes every method of the SDK's ResourceMonitor and Engine services from the start", () => {
        const paths = [ResourceMonitorService, EngineService].flatMap((service) =>
            Object.values(service as unknown as Record<string, { path: string }>).map((m) => m.path),
        );
        assert.deepEqual([...EARLY_METHODS].sort(), paths.sort());
    });

    it("holds a call that arrives before the services are served and answers it once they are", async () => {
        const listening = await listen();
        const client = new grpc.Client(listening.address, grpc.credentials.createInsecure());
        try {
            const request = new respb.SupportsFeatureRequest().setId("resourceReferences");
            const answered = new Promise<respb.SupportsFeatureResponse>((resolve, reject) =>
                client.makeUnaryRequest(
                    "/pulumirpc.ResourceMonitor/SupportsFeature",
                    (r: respb.SupportsFeatureRequest) => Buffer.from(r.serializeBinary()),
                    (b: Buffer) => respb.SupportsFeatureResponse.deserializeBinary(b),
                    request,
                    (e, r) => (e ? reject(e) : resolve(r!)),
                ),
            );
            let done = false;
            void answered.then(() => (done = true));
            await new Promise((r) => setTimeout(r, 200));
            assert.equal(done, false, "answered before any service was served");
            const seen: string[] = [];
            listening.serve([
                [
                    ResourceMonitorService,
                    {
                        supportsFeature: (
                            call: grpc.ServerUnaryCall<respb.SupportsFeatureRequest, unknown>,
                            callback: grpc.sendUnaryData<respb.SupportsFeatureResponse>,
                        ) => {
                            seen.push(call.request.getId());
                            callback(null, new respb.SupportsFeatureResponse().setHassupport(true));
                        },
                    },
                ],
            ] as never);
            assert.equal((await answered).getHassupport(), true);
            assert.deepEqual(seen, ["resourceReferences"]);
            // A method the services leave out is refused as gRPC refuses it.
            await assert.rejects(
                new Promise((resolve, reject) =>
                    client.makeUnaryRequest(
                        "/pulumirpc.ResourceMonitor/Call",
                        (b: Buffer) => b,
                        (b: Buffer) => b,
                        Buffer.alloc(0),
                        (e, r) => (e ? reject(e) : resolve(r)),
                    ),
                ),
                { code: grpc.status.UNIMPLEMENTED, details: "The server does not implement the method call" },
            );
            assert.throws(() => listening.serve([]), /already served/);
        } finally {
            client.close();
            listening.stop();
        }
    });
});
