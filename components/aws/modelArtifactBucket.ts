import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { hardenedBucket } from "./hardenedBucket";
import {
    MODEL_PREFIX,
    prefixReadOnlyPolicy,
    ACCESS_LOG_PREFIX,
    lifecycleRules,
    logBucketPolicy,
    logLifecycleRules,
    readOnlyPolicy,
    readWritePolicy,
    tlsOnlyPolicy,
} from "./bucketPolicies";
import { s3BucketNameProblem } from "../../catalog/formats";
import { assertValid } from "../validation";

export { lifecycleRules, tlsOnlyPolicy } from "./bucketPolicies";

/** The arguments of `ModelArtifactBucket` (`new ModelArtifactBucket(name, args, opts)`). */
export interface ModelArtifactBucketArgs {
    /**
     * The bucket's name (S3's rules: 3 to 63 lower-case letters, digits, '.' and '-', globally
     * unique). Changing it replaces the bucket.
     * @default - Pulumi's auto-name: `<name>-bucket-` and a random suffix
     */
    bucketName?: string;
    /**
     * A prefix for the bucket's auto-name instead (at most 37 characters; S3 adds 26).
     * @default - `<name>-bucket-`
     */
    bucketNamePrefix?: string;
    /**
     * A bucket you already run, instead of building one: the component then creates only the
     * serving and training policies (and prefix policies with createPrefixReadPolicy) on it. Its
     * versioning, encryption, public-access block, TLS-only policy, lifecycle and logging stay
     * yours, outside the stack, where the policy pack cannot see them. The bucket must be
     * encrypted with the given KMS key (SSE-KMS), which the policies grant decrypt on.
     * @default - a bucket is built
     */
    existing?: {
        /** The bucket's name. */
        bucketName: string;
        /** The KMS key its objects are encrypted with (SSE-KMS): the policies grant decrypt on it. */
        kmsKeyArn: pulumi.Input<string>;
    };
    /**
     * Days after which non-current object versions (overwritten or deleted weights) expire.
     * @default 90
     */
    noncurrentVersionExpirationDays?: number;
    /**
     * Days after which incomplete multipart uploads are aborted.
     * @default 7
     */
    abortIncompleteMultipartUploadDays?: number;
    /**
     * Days the S3 server access logs are kept in the log bucket.
     * @default 365
     */
    accessLogRetentionDays?: number;
    /**
     * Object lock in GOVERNANCE mode with this default retention, so that released weights
     * cannot be overwritten or deleted for that long. Can only be chosen when the bucket is
     * created (changing it replaces the bucket).
     * @default - no object lock
     */
    objectLockRetentionDays?: number;
    /**
     * Let `pulumi destroy` delete the buckets while they still hold objects.
     * @default false
     */
    forceDestroy?: boolean;
    /**
     * Protect the buckets and the key from deletion and replacement.
     * @default true
     */
    protect?: boolean;
    /**
     * Keep the buckets and the key in AWS when they leave the stack.
     * @default - the value of `protect`
     */
    retainOnDelete?: boolean;
    /**
     * Tags for every AWS resource of the component.
     * @default {}
     */
    tags?: Record<string, string>;
}

/** Problems with the arguments known at construction, each naming the argument. */
export function validateModelArtifactBucketArgs(args: ModelArtifactBucketArgs): string[] {
    const problems: string[] = [];
    const checkDays = (field: keyof ModelArtifactBucketArgs, max: number): void => {
        const value = args[field];
        if (
            value !== undefined &&
            (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max)
        ) {
            problems.push(`${field}: expected an integer between 1 and ${max}, received ${JSON.stringify(value)}`);
        }
    };
    checkDays("noncurrentVersionExpirationDays", 3650);
    checkDays("abortIncompleteMultipartUploadDays", 365);
    checkDays("accessLogRetentionDays", 3650);
    checkDays("objectLockRetentionDays", 36500);
    const given = (["bucketName", "bucketNamePrefix", "existing"] as const).filter((k) => args[k] !== undefined);
    if (given.length > 1) problems.push(`${given.join(", ")}: give at most one of them`);
    for (const [field, name] of [
        ["bucketName", args.bucketName],
        ["existing.bucketName", args.existing?.bucketName],
    ] as const) {
        const problem = name === undefined ? undefined : s3BucketNameProblem(name);
        if (problem) problems.push(`${field}: ${JSON.stringify(name)} ${problem} (S3's bucket naming rules)`);
    }
    // A bucket this component creates is in the global namespace; `-an` ends the names of an
    // account's regional namespace (S3 User Guide, "Namespaces for general purpose buckets").
    if (args.bucketName?.endsWith("-an") && !s3BucketNameProblem(args.bucketName))
        problems.push(
            `bucketName: ${JSON.stringify(args.bucketName)} must not end with -an, which S3 keeps for buckets in an account regional namespace; the component creates buckets in the global namespace`,
        );
    const prefix = args.bucketNamePrefix;
    if (prefix !== undefined) {
        // The provider appends 26 characters: the prefix is checked as the start of a full name.
        const problem =
            prefix.length > 37
                ? `is ${prefix.length} characters long; a prefix has at most 37 (S3 adds 26)`
                : s3BucketNameProblem(`${prefix}${"0".repeat(26)}`)?.replace(/^is \d+ characters long.*$/, "");
        if (problem) problems.push(`bucketNamePrefix: ${JSON.stringify(prefix)} ${problem} (S3's bucket naming rules)`);
    }
    if (args.existing && args.objectLockRetentionDays !== undefined)
        problems.push(
            "objectLockRetentionDays: object lock is chosen when a bucket is created; an existing bucket keeps its own",
        );
    return problems;
}

/** The bucket a ModelArtifactBucket serves from: built here, or one you run. */
interface BucketParts {
    bucketName: pulumi.Output<string>;
    bucketArn: pulumi.Output<string>;
    kmsKeyArn: pulumi.Output<string>;
    logBucketName: pulumi.Output<string | undefined>;
}

/** The key, the hardened bucket, its log bucket, access logging and optional object lock. */
function createBuckets(parent: pulumi.Resource, name: string, args: ModelArtifactBucketArgs): BucketParts {
    const forceDestroy = args.forceDestroy ?? false;
    const protect = args.protect ?? true;
    const retainOnDelete = args.retainOnDelete ?? protect;
    const tags = args.tags ?? {};
    const stateful: pulumi.CustomResourceOptions = { parent, protect, retainOnDelete };
    const accountId = aws.getCallerIdentityOutput({}, { parent }).accountId;

    const key = new aws.kms.Key(
        `${name}-key`,
        {
            description: `Encrypts the ${name} model artifact bucket`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            tags,
        },
        stateful,
    );
    const bucket = hardenedBucket(
        parent,
        name,
        `${name}-bucket`,
        {
            forceDestroy,
            tags,
            bucketName: args.bucketName,
            bucketNamePrefix: args.bucketNamePrefix,
            objectLockEnabled: args.objectLockRetentionDays !== undefined ? true : undefined,
            kmsKeyArn: key.arn,
            policy: (arn) => arn.apply(tlsOnlyPolicy),
            rules: lifecycleRules(
                args.noncurrentVersionExpirationDays ?? 90,
                args.abortIncompleteMultipartUploadDays ?? 7,
            ),
        },
        stateful,
    );
    const logBucket = hardenedBucket(
        parent,
        `${name}-logs`,
        `${name}-logs`,
        {
            forceDestroy,
            tags,
            policy: (logArn) =>
                pulumi
                    .all([logArn, bucket.arn, accountId])
                    .apply(([log, src, acct]) => logBucketPolicy(log, src, acct)),
            rules: logLifecycleRules(args.accessLogRetentionDays ?? 365),
        },
        stateful,
    );
    new aws.s3.BucketLogging(
        `${name}-access-logging`,
        { bucket: bucket.name, targetBucket: logBucket.name, targetPrefix: ACCESS_LOG_PREFIX },
        { parent },
    );
    if (args.objectLockRetentionDays !== undefined) {
        new aws.s3.BucketObjectLockConfiguration(
            `${name}-object-lock`,
            {
                bucket: bucket.name,
                objectLockEnabled: "Enabled",
                rule: { defaultRetention: { mode: "GOVERNANCE", days: args.objectLockRetentionDays } },
            },
            { parent },
        );
    }
    return { bucketName: bucket.name, bucketArn: bucket.arn, kmsKeyArn: key.arn, logBucketName: logBucket.name };
}

/** A bucket you run: its name and ARN (from the partition, known in a preview) and its key. */
function existingBucket(
    parent: pulumi.Resource,
    existing: NonNullable<ModelArtifactBucketArgs["existing"]>,
): BucketParts {
    const partition = aws.getPartitionOutput({}, { parent }).partition;
    return {
        bucketName: pulumi.output(existing.bucketName),
        bucketArn: pulumi.interpolate`arn:${partition}:s3:::${existing.bucketName}`,
        kmsKeyArn: pulumi.output(existing.kmsKeyArn),
        logBucketName: pulumi.output(undefined),
    };
}

/**
 * S3 for model weights, the DVC remote and MLflow artifacts: versioned, encrypted with a
 * customer-managed KMS key (rotation on), public access blocked, owner-enforced, TLS only,
 * lifecycle rules for old versions, server access logs to a hardened log bucket, optional object
 * lock, and two least-privilege IAM policies (read for serving, read-write for training and CI).
 * Protected and retained on delete at its defaults. Named by Pulumi, by you (`bucketName`,
 * `bucketNamePrefix`), or a bucket you already run (`existing`: the policies only).
 */
export class ModelArtifactBucket extends pulumi.ComponentResource {
    /** The model bucket's name (the `existing` one's, when given). */
    public readonly bucketName: pulumi.Output<string>;
    /** The model bucket's ARN. */
    public readonly bucketArn: pulumi.Output<string>;
    /** ARN of the KMS key that encrypts the bucket's objects (the `existing` one's, when given). */
    public readonly kmsKeyArn: pulumi.Output<string>;
    /** Where the bucket's access logs go (undefined for an `existing` bucket, whose logging is yours). */
    public readonly logBucketName: pulumi.Output<string | undefined>;
    /** `s3://<bucket>/dvc`: the DVC remote. */
    public readonly dvcRemoteUrl: pulumi.Output<string>;
    /** `s3://<bucket>/mlflow`: the MLflow artifact root. */
    public readonly mlflowArtifactUri: pulumi.Output<string>;
    /** Read objects and decrypt: for serving. */
    public readonly readPolicyArn: pulumi.Output<string>;
    /** Read, write and delete objects: for training and CI. */
    public readonly writePolicyArn: pulumi.Output<string>;

    constructor(name: string, args: ModelArtifactBucketArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:ModelArtifactBucket", name, args, opts);
        assertValid(this, "ModelArtifactBucket", name, validateModelArtifactBucketArgs(args));
        const tags = args.tags ?? {};
        const bucket = args.existing ? existingBucket(this, args.existing) : createBuckets(this, name, args);

        const readPolicy = new aws.iam.Policy(
            `${name}-read-policy`,
            {
                description: `Read the ${name} model artifacts (serving)`,
                policy: pulumi.all([bucket.bucketArn, bucket.kmsKeyArn]).apply(([b, k]) => readOnlyPolicy(b, k)),
                tags,
            },
            { parent: this },
        );
        const writePolicy = new aws.iam.Policy(
            `${name}-write-policy`,
            {
                description: `Read and write the ${name} model artifacts (training, CI)`,
                policy: pulumi.all([bucket.bucketArn, bucket.kmsKeyArn]).apply(([b, k]) => readWritePolicy(b, k)),
                tags,
            },
            { parent: this },
        );

        this.bucketName = bucket.bucketName;
        this.bucketArn = bucket.bucketArn;
        this.kmsKeyArn = bucket.kmsKeyArn;
        this.logBucketName = bucket.logBucketName;
        this.dvcRemoteUrl = pulumi.interpolate`s3://${bucket.bucketName}/dvc`;
        this.mlflowArtifactUri = pulumi.interpolate`s3://${bucket.bucketName}/mlflow`;
        this.readPolicyArn = readPolicy.arn;
        this.writePolicyArn = writePolicy.arn;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            kmsKeyArn: this.kmsKeyArn,
            logBucketName: this.logBucketName,
            dvcRemoteUrl: this.dvcRemoteUrl,
            mlflowArtifactUri: this.mlflowArtifactUri,
            readPolicyArn: this.readPolicyArn,
            writePolicyArn: this.writePolicyArn,
        });
    }
}

/**
 * A read-only policy for one prefix of a model bucket (e.g. `models/chat`): what a model's pods
 * get, so that each model reads only its own weights. Attach it instead of `readPolicyArn`.
 */
export function createPrefixReadPolicy(
    name: string,
    args: {
        bucketArn: pulumi.Input<string>;
        kmsKeyArn: pulumi.Input<string>;
        prefix: string;
        tags?: Record<string, string>;
    },
    opts: pulumi.CustomResourceOptions = {},
): aws.iam.Policy {
    if (!MODEL_PREFIX.test(args.prefix))
        throw new Error(
            `createPrefixReadPolicy "${name}": prefix: expected path segments of letters, digits, '.', '_' and '-' without a leading or trailing '/', received ${JSON.stringify(args.prefix)}`,
        );
    return new aws.iam.Policy(
        name,
        {
            description: `Read the model artifacts under ${args.prefix}/ (serving one model)`,
            policy: pulumi
                .all([args.bucketArn, args.kmsKeyArn])
                .apply(([b, k]) => prefixReadOnlyPolicy(b, k, args.prefix)),
            tags: args.tags ?? {},
        },
        opts,
    );
}
