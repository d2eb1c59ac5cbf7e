import * as assert from "node:assert/strict";
import {
    lifecycleRules,
    ModelArtifactBucket,
    tlsOnlyPolicy,
    validateModelArtifactBucketArgs,
} from "../components/aws/modelArtifactBucket";
import { logBucketPolicy, readWritePolicy } from "../components/aws/bucketPolicies";
import { runProgram } from "../tools/engine/run";
import type { ExportedResource } from "../tools/engine/stackExport";
import { find, promiseOf } from "./helpers";
import { planOf } from "./plans";

describe("ModelArtifactBucket: pure builders", () => {
    it("denies every request without TLS on the bucket and its objects", () => {
        assert.deepEqual(JSON.parse(tlsOnlyPolicy("arn:aws:s3:::m")), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: ["arn:aws:s3:::m", "arn:aws:s3:::m/*"],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        });
    });

    it("expires non-current versions and aborts stale multipart uploads", () => {
        assert.deepEqual(lifecycleRules(45, 3), [
            {
                id: "expire-noncurrent-versions",
                status: "Enabled",
                filter: {},
                noncurrentVersionExpiration: { noncurrentDays: 45 },
            },
            {
                id: "abort-incomplete-multipart-uploads",
                status: "Enabled",
                filter: {},
                abortIncompleteMultipartUpload: { daysAfterInitiation: 3 },
            },
        ]);
    });

    it("reports every bad argument with its name and value", () => {
        assert.deepEqual(
            validateModelArtifactBucketArgs({
                noncurrentVersionExpirationDays: 0,
                abortIncompleteMultipartUploadDays: 2.5,
                accessLogRetentionDays: 4000,
                objectLockRetentionDays: -3,
            }),
            [
                "noncurrentVersionExpirationDays: expected an integer between 1 and 3650, received 0",
                "abortIncompleteMultipartUploadDays: expected an integer between 1 and 365, received 2.5",
                "accessLogRetentionDays: expected an integer between 1 and 3650, received 4000",
                "objectLockRetentionDays: expected an integer between 1 and 36500, received -3",
            ],
        );
        assert.deepEqual(validateModelArtifactBucketArgs({}), []);
    });
});

describe("ModelArtifactBucket under the offline engine", () => {
    let resources: ExportedResource[];
    const type = (t: string, n: string): ExportedResource => find(resources, t, n);

    before(async () => {
        resources = (await planOf("prod")).export.deployment.resources;
    });

    it("creates exactly its documented children, named from the component name", () => {
        const component = type("llm-platform:aws:ModelArtifactBucket", "models");
        assert.deepEqual(
            resources
                .filter((r) => r.parent === component.urn)
                .map((r) => `${r.type} ${r.urn.split("::").pop()}`)
                .sort(),
            [
                "aws:iam/policy:Policy models-read-policy",
                "aws:iam/policy:Policy models-write-policy",
                "aws:kms/key:Key models-key",
                "aws:s3/bucket:Bucket models-bucket",
                "aws:s3/bucket:Bucket models-logs",
                "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration models-lifecycle",
                "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration models-logs-lifecycle",
                "aws:s3/bucketLogging:BucketLogging models-access-logging",
                "aws:s3/bucketOwnershipControls:BucketOwnershipControls models-logs-ownership",
                "aws:s3/bucketOwnershipControls:BucketOwnershipControls models-ownership",
                "aws:s3/bucketPolicy:BucketPolicy models-logs-policy",
                "aws:s3/bucketPolicy:BucketPolicy models-policy",
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock models-logs-public-access",
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock models-public-access",
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration models-encryption",
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration models-logs-encryption",
                "aws:s3/bucketVersioning:BucketVersioning models-logs-versioning",
                "aws:s3/bucketVersioning:BucketVersioning models-versioning",
            ],
        );
    });

    it("encrypts with its own rotating KMS key and blocks all public access", () => {
        const key = type("aws:kms/key:Key", "models-key");
        assert.equal(key.inputs?.enableKeyRotation, true);
        assert.equal(key.inputs?.deletionWindowInDays, 30);
        assert.deepEqual(
            type(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "models-encryption",
            ).inputs?.rules,
            [
                {
                    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.outputs?.arn },
                    bucketKeyEnabled: true,
                },
            ],
        );
        const pab = type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "models-public-access").inputs;
        assert.deepEqual(
            [pab?.blockPublicAcls, pab?.blockPublicPolicy, pab?.ignorePublicAcls, pab?.restrictPublicBuckets],
            [true, true, true, true],
        );
        assert.deepEqual(
            type("aws:s3/bucketVersioning:BucketVersioning", "models-versioning").inputs?.versioningConfiguration,
            { status: "Enabled" },
        );
        assert.deepEqual(
            type("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "models-ownership").inputs?.rule,
            { objectOwnership: "BucketOwnerEnforced" },
        );
    });

    it("tags resources with ownership and cost allocation from the settings", () => {
        assert.deepEqual(type("aws:s3/bucket:Bucket", "models-bucket").inputs?.tags, {
            CostCenter: "ml-serving",
            ManagedBy: "pulumi",
            Owner: "ml-platform",
            Project: "llm-platform",
            Stack: "prod",
            Tier: "prod",
        });
    });

    it("uses the prod lifecycle and applies the policy after the public access block", () => {
        assert.deepEqual(
            type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "models-lifecycle").inputs?.rules,
            JSON.parse(JSON.stringify(lifecycleRules(90, 7))),
        );
        const bucket = type("aws:s3/bucket:Bucket", "models-bucket");
        const policy = type("aws:s3/bucketPolicy:BucketPolicy", "models-policy");
        assert.deepEqual(
            JSON.parse(String(policy.inputs?.policy)),
            JSON.parse(tlsOnlyPolicy(String(bucket.outputs?.arn))),
        );
        assert.ok(
            policy.dependencies?.includes(
                type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "models-public-access").urn,
            ),
        );
    });
});

describe("ModelArtifactBucket access logs and IAM policies", () => {
    let resources: ExportedResource[];
    before(async () => {
        resources = (await planOf("prod")).export.deployment.resources;
    });

    it("logs server access to a hardened SSE-S3 log bucket that only S3 log delivery may write", () => {
        const bucket = find(resources, "aws:s3/bucket:Bucket", "models-bucket");
        const logs = find(resources, "aws:s3/bucket:Bucket", "models-logs");
        assert.deepEqual(find(resources, "aws:s3/bucketLogging:BucketLogging", "models-access-logging").inputs, {
            bucket: bucket.id,
            targetBucket: logs.id,
            targetPrefix: "s3-access/",
        });
        assert.deepEqual(
            find(
                resources,
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "models-logs-encryption",
            ).inputs?.rules,
            [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        );
        const policy = JSON.parse(
            String(find(resources, "aws:s3/bucketPolicy:BucketPolicy", "models-logs-policy").inputs?.policy),
        );
        assert.deepEqual(
            policy,
            JSON.parse(logBucketPolicy(String(logs.outputs?.arn), String(bucket.outputs?.arn), "111122223333")),
        );
        assert.deepEqual(policy.Statement[1].Condition, {
            ArnLike: { "aws:SourceArn": bucket.outputs?.arn },
            StringEquals: { "aws:SourceAccount": "111122223333" },
        });
        assert.deepEqual(
            find(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "models-logs-lifecycle")
                .inputs?.rules,
            [{ id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days: 365 } }],
        );
    });

    it("grants serving read-only access to this bucket and key, and training read-write", () => {
        const bucketArn = String(find(resources, "aws:s3/bucket:Bucket", "models-bucket").outputs?.arn);
        const keyArn = String(find(resources, "aws:kms/key:Key", "models-key").outputs?.arn);
        const read = JSON.parse(String(find(resources, "aws:iam/policy:Policy", "models-read-policy").inputs?.policy));
        assert.deepEqual(read.Statement, [
            {
                Sid: "ListModelBucket",
                Effect: "Allow",
                Action: ["s3:ListBucket", "s3:GetBucketLocation"],
                Resource: bucketArn,
            },
            {
                Sid: "ReadModelObjects",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:GetObjectVersion"],
                Resource: `${bucketArn}/*`,
            },
            { Sid: "DecryptModelObjects", Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn },
        ]);
        const write = JSON.parse(
            String(find(resources, "aws:iam/policy:Policy", "models-write-policy").inputs?.policy),
        );
        assert.deepEqual(write, JSON.parse(readWritePolicy(bucketArn, keyArn)));
        const actions = write.Statement.flatMap((st: { Action: string | string[] }) => st.Action);
        assert.ok(actions.includes("s3:PutObject") && actions.includes("kms:GenerateDataKey"));
        // Training reads feedback but never writes it: only the feedback stream does.
        assert.deepEqual(
            write.Statement.find((st: { Sid: string }) => st.Sid === "FeedbackIsWrittenByItsStreamOnly"),
            {
                Sid: "FeedbackIsWrittenByItsStreamOnly",
                Effect: "Deny",
                Action: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                Resource: [`${bucketArn}/feedback/*`, `${bucketArn}/feedback-errors/*`],
            },
        );
        assert.ok(
            !actions.some((a: string) => a === "s3:*" || a === "kms:*" || a.startsWith("s3:PutBucket")),
            "no bucket administration",
        );
    });

    it("creates object lock only when a retention is configured", async () => {
        assert.equal(
            resources.filter((r) => r.type === "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
                .length,
            0,
        );
        const locked = await runProgram({
            project: "lib-user",
            stack: "dev",
            config: {},
            program: () => new ModelArtifactBucket("weights", { objectLockRetentionDays: 30 }),
        });
        assert.equal(find(locked.export, "aws:s3/bucket:Bucket", "weights-bucket").inputs?.objectLockEnabled, true);
        assert.deepEqual(
            find(
                locked.export,
                "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
                "weights-object-lock",
            ).inputs?.rule,
            { defaultRetention: { mode: "GOVERNANCE", days: 30 } },
        );
    });

    it("exports the DVC remote, the MLflow artifact root and the policy ARNs", async () => {
        const outputs = (await planOf("staging")).outputs;
        assert.equal(outputs.dvcRemoteUrl, `s3://${String(outputs.modelBucketName)}/dvc`);
        assert.equal(outputs.mlflowArtifactUri, `s3://${String(outputs.modelBucketName)}/mlflow`);
        assert.match(
            String(outputs.modelReadPolicyArn),
            /^arn:aws:iam::111122223333:policy\/models-read-policy-[0-9a-f]{7}$/,
        );
        assert.match(
            String(outputs.modelWritePolicyArn),
            /^arn:aws:iam::111122223333:policy\/models-write-policy-[0-9a-f]{7}$/,
        );
    });
});

describe("ModelArtifactBucket defaults", () => {
    it("is protected, keeps objects on destroy, and uses the documented lifecycle at its defaults", async () => {
        let bucket: ModelArtifactBucket | undefined;
        const result = await runProgram({
            project: "lib-user",
            stack: "dev",
            config: { "aws:region": "eu-west-1" },
            program: () => {
                bucket = new ModelArtifactBucket("defaults");
                return { name: bucket.bucketName };
            },
        });
        const resources = result.export.deployment.resources;
        assert.deepEqual(
            resources.filter((r) => r.protect && r.retainOnDelete).map((r) => r.urn.split("::").pop()),
            ["defaults-key", "defaults-bucket", "defaults-logs"],
        );
        assert.equal(find(resources, "aws:s3/bucket:Bucket", "defaults-bucket").inputs?.forceDestroy, false);
        assert.deepEqual(find(resources, "aws:s3/bucket:Bucket", "defaults-bucket").inputs?.tags, {});
        assert.deepEqual(
            find(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "defaults-lifecycle")
                .inputs?.rules,
            JSON.parse(JSON.stringify(lifecycleRules(90, 7))),
        );
        assert.match(String(result.outputs.name), /^defaults-bucket-[0-9a-f]{7}$/);
        assert.equal(await promiseOf(bucket!.bucketArn), `arn:aws:s3:::${String(result.outputs.name)}`);
        assert.match(await promiseOf(bucket!.kmsKeyArn), /^arn:aws:kms:eu-west-1:111122223333:key\//);
    });

    it("throws on bad arguments before creating children", async () => {
        const sink: ExportedResource[] = [];
        await assert.rejects(
            runProgram({
                project: "lib-user",
                stack: "dev",
                config: {},
                sink,
                program: () => new ModelArtifactBucket("bad", { noncurrentVersionExpirationDays: -1 }),
            }),
            {
                message:
                    'ModelArtifactBucket "bad": invalid arguments:\n  noncurrentVersionExpirationDays: expected an integer between 1 and 3650, received -1',
            },
        );
        assert.deepEqual(
            sink.filter((r) => r.custom).map((r) => r.urn),
            [],
        );
    });
});
