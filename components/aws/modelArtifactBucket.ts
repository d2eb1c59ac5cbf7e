import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

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
     * Let `pulumi destroy` delete the bucket while it still holds objects.
     * @default false
     */
    forceDestroy?: boolean;
    /**
     * Protect the bucket and its key from deletion and replacement.
     * @default true
     */
    protect?: boolean;
    /**
     * Tags for every AWS resource of the component.
     * @default {}
     */
    tags?: Record<string, string>;
}

/** Lifecycle rules: expire non-current versions, abort stale multipart uploads. */
export function lifecycleRules(
    noncurrentDays: number,
    abortDays: number,
): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    return [
        {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: noncurrentDays },
        },
        {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: abortDays },
        },
    ];
}

/** A bucket policy that denies every request made without TLS. */
export function tlsOnlyPolicy(bucketArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

/** Problems with the arguments known at construction, each naming the argument. */
export function validateModelArtifactBucketArgs(args: ModelArtifactBucketArgs): string[] {
    const problems: string[] = [];
    const checkDays = (field: keyof ModelArtifactBucketArgs, value: number | undefined, max: number): void => {
        if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) {
            problems.push(`${field}: expected an integer between 1 and ${max}, received ${value}`);
        }
    };
    checkDays("noncurrentVersionExpirationDays", args.noncurrentVersionExpirationDays, 3650);
    checkDays("abortIncompleteMultipartUploadDays", args.abortIncompleteMultipartUploadDays, 365);
    return problems;
}

/**
 * S3 for model weights, the DVC remote and MLflow artifacts: versioned, encrypted with a
 * customer-managed KMS key (rotation on), public access blocked, owner-enforced, TLS only, and
 * with lifecycle rules for old versions. Protected at its defaults.
 */
export class ModelArtifactBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;

    constructor(name: string, args: ModelArtifactBucketArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:ModelArtifactBucket", name, args, opts);
        const problems = validateModelArtifactBucketArgs(args);
        if (problems.length > 0) {
            throw new Error(`ModelArtifactBucket "${name}": invalid arguments:\n  ${problems.join("\n  ")}`);
        }
        const noncurrentDays = args.noncurrentVersionExpirationDays ?? 90;
        const abortDays = args.abortIncompleteMultipartUploadDays ?? 7;
        const forceDestroy = args.forceDestroy ?? false;
        const protect = args.protect ?? true;
        const tags = args.tags ?? {};

        const stateful: pulumi.CustomResourceOptions = { parent: this, protect };
        const child: pulumi.CustomResourceOptions = { parent: this };

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
        const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy, tags }, stateful);

        const versioning = new aws.s3.BucketVersioning(
            `${name}-versioning`,
            { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
            child,
        );
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket: bucket.id,
                rules: [
                    {
                        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
                        bucketKeyEnabled: true,
                    },
                ],
            },
            child,
        );
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            {
                bucket: bucket.id,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            },
            child,
        );
        new aws.s3.BucketOwnershipControls(
            `${name}-ownership`,
            { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
            child,
        );
        new aws.s3.BucketPolicy(
            `${name}-policy`,
            { bucket: bucket.id, policy: bucket.arn.apply(tlsOnlyPolicy) },
            { parent: this, dependsOn: [publicAccess] },
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            { bucket: bucket.id, rules: lifecycleRules(noncurrentDays, abortDays) },
            { parent: this, dependsOn: [versioning] },
        );

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.kmsKeyArn = key.arn;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, kmsKeyArn: this.kmsKeyArn });
    }
}
