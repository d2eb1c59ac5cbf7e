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
import { assertValid } from "../validation";

export { lifecycleRules, tlsOnlyPolicy } from "./bucketPolicies";

export interface ModelArtifactBucketArgs {
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
    return problems;
}

/**
 * S3 for model weights, the DVC remote and MLflow artifacts: versioned, encrypted with a
 * customer-managed KMS key (rotation on), public access blocked, owner-enforced, TLS only,
 * lifecycle rules for old versions, server access logs to a hardened log bucket, optional object
 * lock, and two least-privilege IAM policies (read for serving, read-write for training and CI).
 * Protected and retained on delete at its defaults.
 */
export class ModelArtifactBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    public readonly logBucketName: pulumi.Output<string>;
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
        const problems = validateModelArtifactBucketArgs(args);
        assertValid(this, "ModelArtifactBucket", name, problems);
        const noncurrentDays = args.noncurrentVersionExpirationDays ?? 90;
        const abortDays = args.abortIncompleteMultipartUploadDays ?? 7;
        const logDays = args.accessLogRetentionDays ?? 365;
        const forceDestroy = args.forceDestroy ?? false;
        const protect = args.protect ?? true;
        const retainOnDelete = args.retainOnDelete ?? protect;
        const tags = args.tags ?? {};

        const stateful: pulumi.CustomResourceOptions = { parent: this, protect, retainOnDelete };
        const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

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
            this,
            name,
            `${name}-bucket`,
            {
                forceDestroy,
                tags,
                objectLockEnabled: args.objectLockRetentionDays !== undefined ? true : undefined,
                kmsKeyArn: key.arn,
                policy: (arn) => arn.apply(tlsOnlyPolicy),
                rules: lifecycleRules(noncurrentDays, abortDays),
            },
            stateful,
        );

        const logBucket = hardenedBucket(
            this,
            `${name}-logs`,
            `${name}-logs`,
            {
                forceDestroy,
                tags,
                policy: (logArn) =>
                    pulumi
                        .all([logArn, bucket.arn, accountId])
                        .apply(([log, src, acct]) => logBucketPolicy(log, src, acct)),
                rules: logLifecycleRules(logDays),
            },
            stateful,
        );
        new aws.s3.BucketLogging(
            `${name}-access-logging`,
            { bucket: bucket.name, targetBucket: logBucket.name, targetPrefix: ACCESS_LOG_PREFIX },
            { parent: this },
        );
        if (args.objectLockRetentionDays !== undefined) {
            new aws.s3.BucketObjectLockConfiguration(
                `${name}-object-lock`,
                {
                    bucket: bucket.name,
                    objectLockEnabled: "Enabled",
                    rule: { defaultRetention: { mode: "GOVERNANCE", days: args.objectLockRetentionDays } },
                },
                { parent: this },
            );
        }
        const readPolicy = new aws.iam.Policy(
            `${name}-read-policy`,
            {
                description: `Read the ${name} model artifacts (serving)`,
                policy: pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => readOnlyPolicy(b, k)),
                tags,
            },
            { parent: this },
        );
        const writePolicy = new aws.iam.Policy(
            `${name}-write-policy`,
            {
                description: `Read and write the ${name} model artifacts (training, CI)`,
                policy: pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => readWritePolicy(b, k)),
                tags,
            },
            { parent: this },
        );

        this.bucketName = bucket.name;
        this.bucketArn = bucket.arn;
        this.kmsKeyArn = key.arn;
        this.logBucketName = logBucket.name;
        this.dvcRemoteUrl = pulumi.interpolate`s3://${bucket.name}/dvc`;
        this.mlflowArtifactUri = pulumi.interpolate`s3://${bucket.name}/mlflow`;
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
