import * as assert from "node:assert/strict";
import { diffExports, diffProperties, identity, renderDiffMarkdown } from "../tools/reports/diff";

import {
    displayType,
    secretFingerprint,
    secretValue,
    type ExportedResource,
    type StackExport,
} from "../tools/engine/stackExport";
import { find } from "./helpers";
import { planOf } from "./plans";

const LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";
const BUCKET = "aws:s3/bucket:Bucket";

describe("diff: two plans", () => {
    let base: StackExport;
    /** A fresh deep copy of the prod plan to change. */
    const head = (): StackExport => JSON.parse(JSON.stringify(base)) as StackExport;
    const without = (doc: StackExport, pred: (r: ExportedResource) => boolean): StackExport => {
        doc.deployment.resources = doc.deployment.resources.filter((r) => !pred(r));
        return doc;
    };

    /** Resources a diff compares: all but the engine's default providers. */
    let total: number;
    before(async () => {
        base = (await planOf("prod")).export;
        total = base.deployment.resources.filter((r) => !(r.type.startsWith("pulumi:providers:") && !r.parent)).length;
    });

    it("reports no changes for identical plans", () => {
        const d = diffExports(base, head());
        assert.deepEqual(d.changes, []);
        assert.equal(d.unchanged, total);
        assert.equal(
            renderDiffMarkdown(d),
            `### Plan diff\n\n**0 to add, 0 to change, 0 to replace, 0 to delete, ${total} unchanged**\n\nNo changes.\n`,
        );
    });

    it("reports exactly the one property that changed, with old and new values", () => {
        const h = head();
        (
            find(h, LIFECYCLE, "models-lifecycle").inputs!.rules as Array<{
                noncurrentVersionExpiration: { noncurrentDays: number };
            }>
        )[0].noncurrentVersionExpiration.noncurrentDays = 60;
        const d = diffExports(base, h);
        assert.deepEqual(d.counts, { add: 0, remove: 0, replace: 0, update: 1 });
        assert.equal(d.changes[0].name, "models-lifecycle");
        assert.deepEqual(d.changes[0].properties, [
            { path: "rules[0].noncurrentVersionExpiration.noncurrentDays", old: 90, new: 60 },
        ]);
        assert.deepEqual(d.dangers, []);
        const md = renderDiffMarkdown(d);
        assert.ok(
            md.includes(
                "| `~` | `models-lifecycle` | `aws:s3:BucketLifecycleConfiguration` | `rules[0].noncurrentVersionExpiration.noncurrentDays` |",
            ),
            md,
        );
        assert.ok(md.includes("| `rules[0].noncurrentVersionExpiration.noncurrentDays` | `90` | `60` |"), md);
        assert.ok(!md.includes("CAUTION"));
    });

    it("flags a removed bucket as stateful and protected", () => {
        const d = diffExports(
            base,
            without(head(), (r) => r.urn.endsWith("::models-bucket")),
        );
        assert.deepEqual(d.counts, { add: 0, remove: 1, replace: 0, update: 0 });
        // Prod retains the bucket on delete: Pulumi would refuse (protected), then leave it in the account.
        assert.deepEqual(d.dangers, [
            "`aws:s3:Bucket` **models-bucket** is removed from the program: protected: Pulumi refuses to remove it until it is unprotected; then it is left in the account (retainOnDelete)",
        ]);
        const md = renderDiffMarkdown(d);
        assert.ok(
            md.startsWith(
                `### Plan diff\n\n**0 to add, 0 to change, 0 to replace, 1 to delete, ${total - 1} unchanged**\n\n> [!CAUTION]\n> **Stateful or protected resources would be destroyed:**\n`,
            ),
            md,
        );
        assert.ok(md.includes("| `-` | `models-bucket` | `aws:s3:Bucket` | left in the account (retainOnDelete) |"));
    });

    it("treats a rename as a replacement and says how to avoid it", () => {
        const h = head();
        const b = find(h, BUCKET, "models-bucket");
        b.urn = b.urn.replace(/models-bucket$/, "weights-bucket");
        const d = diffExports(base, h);
        assert.deepEqual(d.counts, { add: 0, remove: 0, replace: 1, update: 0 });
        assert.equal(d.changes[0].reason, "renamed from models-bucket (add an alias to keep it)");
        assert.equal(d.changes[0].oldUrn, find(base, BUCKET, "models-bucket").urn);
        assert.equal(d.dangers.length, 1);
        assert.match(d.dangers[0], /^`aws:s3:Bucket` \*\*models-bucket\*\* is replaced \(renamed from models-bucket/);
    });

    it("matches a renamed resource through its alias: no replacement", () => {
        const h = head();
        const b = find(h, BUCKET, "models-bucket");
        const oldUrn = b.urn;
        b.urn = b.urn.replace(/models-bucket$/, "weights-bucket");
        b.aliases = [oldUrn];
        const d = diffExports(base, h);
        assert.deepEqual(d.changes, []);
    });

    it("treats a type change under the same name as a replacement", () => {
        const h = head();
        const b = find(h, BUCKET, "models-bucket");
        b.type = "aws:s3/bucketV2:BucketV2";
        b.urn = b.urn.replace("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2");
        const d = diffExports(base, h);
        assert.equal(d.changes.length, 1);
        assert.equal(d.changes[0].kind, "replace");
        assert.equal(d.changes[0].reason, "type changed from aws:s3:Bucket to aws:s3:BucketV2");
    });

    it("treats a change to a create-only property as a replacement", () => {
        const h = head();
        find(h, BUCKET, "models-bucket").inputs!.bucket = "fixed-name";
        const d = diffExports(base, h);
        assert.equal(d.changes[0].kind, "replace");
        assert.equal(d.changes[0].reason, "bucket cannot change in place");
    });

    it("reports added resources and protection changes", () => {
        const h = head();
        const extra = { ...find(h, LIFECYCLE, "models-lifecycle") };
        extra.urn = extra.urn.replace(/models-lifecycle$/, "logs-lifecycle");
        h.deployment.resources.push(extra);
        find(h, "aws:kms/key:Key", "models-key").protect = false;
        const d = diffExports(base, h);
        assert.deepEqual(d.counts, { add: 1, remove: 0, replace: 0, update: 1 });
        assert.deepEqual(d.changes.find((c) => c.kind === "update")?.properties, [
            { path: "[protect]", old: true, new: false },
        ]);
    });

    it("renders a JSON-friendly structure", () => {
        const d = diffExports(
            base,
            without(head(), (r) => r.urn.endsWith("::models-lifecycle")),
        );
        assert.deepEqual(JSON.parse(JSON.stringify(d.changes)), [
            {
                kind: "remove",
                urn: find(base, LIFECYCLE, "models-lifecycle").urn,
                type: LIFECYCLE,
                name: "models-lifecycle",
                stateful: false,
                protected: false,
                properties: [],
            },
        ]);
    });
});

describe("diff: across stacks", () => {
    it("matches resources of two stacks by type and name, not by stack-specific URN", async () => {
        const prod = (await planOf("prod")).export;
        const staging = (await planOf("staging")).export;
        assert.equal(
            identity(find(prod, BUCKET, "models-bucket").urn),
            identity(find(staging, BUCKET, "models-bucket").urn),
        );
        const d = diffExports(prod, staging);
        const gone = d.changes
            .filter((c) => c.kind !== "update")
            .map((c) => `${c.kind} ${displayType(c.type)} ${c.name}`);
        // prod's third model (router) and the pool it shares with embed are prod's alone.
        const prodOnly = (line: string) => /\b(router|gpu-small)(-|$)|-router\b|rules-router/.test(line);
        assert.ok(gone.filter(prodOnly).every((l) => l.startsWith("remove ")));
        assert.ok(gone.includes("remove kubernetes:apps/v1:Deployment router-blue"));
        assert.ok(gone.includes("remove aws:eks:NodeGroup gpu-small-node-group"));
        // Otherwise the tiers differ in zones (3 vs 2), NAT gateways (one per zone vs one) and
        // scale-to-zero (staging's models are woken through KEDA's HTTP add-on): only those come and go.
        assert.deepEqual(gone.filter((l) => !prodOnly(l)).sort(), [
            "add kubernetes:helm.sh/v3:Release keda-http-add-on",
            "add kubernetes:http.keda.sh/v1beta1:InterceptorRoute chat-interceptor-route",
            "add kubernetes:http.keda.sh/v1beta1:InterceptorRoute embed-interceptor-route",
            "add kubernetes:networking.k8s.io/v1:NetworkPolicy keda-http-add-on-interceptor-ingress",
            "add llm-platform:k8s:KedaHttpAddOn keda-http-add-on",
            "remove aws:ec2:Eip network-nat-1",
            "remove aws:ec2:Eip network-nat-2",
            "remove aws:ec2:NatGateway network-nat-1",
            "remove aws:ec2:NatGateway network-nat-2",
            "remove aws:ec2:RouteTable network-private-rt-2",
            "remove aws:ec2:RouteTableAssociation network-private-2",
            "remove aws:ec2:RouteTableAssociation network-public-2",
            "remove aws:ec2:Subnet network-private-2",
            "remove aws:ec2:Subnet network-public-2",
            // prod retrains its models (a training image is named); staging does not
            "remove aws:iam:Role retraining-irsa",
            "remove aws:iam:RolePolicy retraining-read",
            "remove kubernetes:batch/v1:CronJob retraining-chat-schedule",
            "remove kubernetes:batch/v1:CronJob retraining-embed-schedule",
            "remove kubernetes:core/v1:Namespace retraining-namespace",
            "remove kubernetes:core/v1:ServiceAccount retraining-service-account",
            "remove kubernetes:keda.sh/v1alpha1:ScaledJob retraining-chat-drift",
            "remove kubernetes:keda.sh/v1alpha1:ScaledJob retraining-embed-drift",
            // staging scales the inactive colour to zero: it has no autoscaler
            "remove kubernetes:keda.sh/v1alpha1:ScaledObject chat-green",
            "remove kubernetes:keda.sh/v1alpha1:ScaledObject embed-green",
            "remove llm-platform:k8s:RetrainingTrigger retraining",
            // each stack names its cluster (cluster.name), and its log groups after it
            "replace aws:cloudwatch:LogGroup llm-control-plane-logs",
            "replace aws:cloudwatch:LogGroup logs-containers",
            "replace aws:eks:Cluster llm-cluster",
        ]);
        // Those are the only stateful resources the two stacks hold apart, and rightly flagged.
        assert.deepEqual(d.dangers, [
            "`aws:cloudwatch:LogGroup` **llm-control-plane-logs** is replaced (name cannot change in place): stateful, protected: Pulumi refuses to delete it until it is unprotected",
            "`aws:eks:Cluster` **llm-cluster** is replaced (name cannot change in place): stateful, protected: Pulumi refuses to delete it until it is unprotected",
            "`aws:cloudwatch:LogGroup` **logs-containers** is replaced (name cannot change in place): stateful, protected: Pulumi refuses to delete it until it is unprotected",
        ]);
        const policy = d.changes.find((c) => c.name === "models-policy")!;
        assert.deepEqual(
            policy.properties.map((p) => p.path),
            ["bucket", "policy(json).Statement[0].Resource[0]", "policy(json).Statement[0].Resource[1]"],
        );
    });
});

describe("diff: properties", () => {
    it("looks inside JSON documents held as strings", () => {
        const before = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject" }] });
        const after = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*" }] });
        assert.deepEqual(diffProperties({ policy: before }, { policy: after }), [
            { path: "policy(json).Statement[0].Action", old: "s3:GetObject", new: "s3:*" },
        ]);
        assert.deepEqual(diffProperties({ name: "{not json" }, { name: "{still not" }), [
            { path: "name", old: "{not json", new: "{still not" },
        ]);
    });

    it("walks objects and arrays and quotes odd keys", () => {
        assert.deepEqual(diffProperties({ tags: { "a:b": "1" }, list: [1, 2] }, { tags: { "a:b": "2" }, list: [1] }), [
            { path: "list[1]", old: 2, new: undefined },
            { path: 'tags."a:b"', old: "1", new: "2" },
        ]);
    });

    it("masks secrets and reports a changed secret without its value", () => {
        const a = secretValue();
        const b = { ...secretValue(), ciphertext: "other" };
        // Two ciphertexts: the same value encrypted again, or another value; it cannot be known.
        const unknowable: string[] = [];
        assert.deepEqual(
            diffProperties({ password: a }, { password: b }, "", (p) => void unknowable.push(p)),
            [],
        );
        assert.deepEqual(unknowable, ["password"]);
        // With the plaintext (stack export --show-secrets), the value decides.
        const shown = (v: string) => ({ ...secretValue(), plaintext: JSON.stringify(v) });
        assert.deepEqual(
            diffProperties({ password: shown("x") }, { password: { ...shown("x"), ciphertext: "re" } }),
            [],
        );
        assert.deepEqual(diffProperties({ password: shown("x") }, { password: shown("y") }), [
            { path: "password", old: "[secret]", new: "[secret]", secret: true },
        ]);
        // The offline engine's fingerprints decide when both sides have one.
        const printed = (v: unknown) => secretValue(secretFingerprint(v));
        assert.deepEqual(
            diffProperties(
                { key: printed("[secret 0123456789abcdef]") },
                { key: printed("[secret 0123456789abcdef]") },
            ),
            [],
        );
        assert.deepEqual(diffProperties({ key: printed({ a: 1, b: 2 }) }, { key: printed({ b: 2, a: 1 }) }), []);
        assert.deepEqual(
            diffProperties(
                { key: printed("[secret 0123456789abcdef]") },
                { key: printed("[secret fedcba9876543210]") },
            ),
            [{ path: "key", old: "[secret]", new: "[secret]", secret: true }],
        );
        // A real export against an offline one: only ciphertexts to compare.
        const unknown: string[] = [];
        assert.deepEqual(
            diffProperties({ key: printed("x") }, { key: a }, "", (p) => void unknown.push(p)),
            [],
        );
        assert.deepEqual(unknown, ["key"]);
        assert.deepEqual(diffProperties({ password: a }, { password: secretValue() }), []);
        assert.deepEqual(diffProperties({ password: "plain" }, { password: a }), [
            { path: "password", old: "plain", new: "[secret]" },
        ]);
    });
});
