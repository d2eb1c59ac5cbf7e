/**
 * One S3 bucket with every guard the platform requires, shared by the components that keep data
 * or logs: versioning, default encryption, all public access blocked, owner-enforced objects, a
 * bucket policy and lifecycle rules.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface HardenedBucketOptions {
    readonly forceDestroy: boolean;
    /** The bucket's name. @default - Pulumi's auto-name from the logical name */
    readonly bucketName?: string;
    /** A prefix for the bucket's name, which the provider completes. @default - none */
    readonly bucketNamePrefix?: string;
    readonly tags: Record<string, string>;
    readonly objectLockEnabled?: boolean;
    /** KMS key ARN, or SSE-S3 when absent (S3 server access logs cannot be written to SSE-KMS buckets). */
    readonly kmsKeyArn?: pulumi.Input<string>;
    /**
     * The bucket policy, from the bucket's ARN. Every output it uses must be combined with the ARN
     * in one `pulumi.all`, so that the policy depends on them even in a preview.
     */
    readonly policy: (bucketArn: pulumi.Output<string>) => pulumi.Input<string>;
    readonly rules: aws.types.input.s3.BucketLifecycleConfigurationRule[];
}

export interface HardenedBucket {
    readonly bucket: aws.s3.Bucket;
    /** Its policy: what a writer that needs the policy's grant (ELB's log delivery) must wait for. */
    readonly policy: aws.s3.BucketPolicy;
    /**
     * The bucket's name. Pulumi names the bucket before it creates it, so this is known in a
     * preview (the bucket's id is not): its configuration resources and policies use it, and the
     * policy pack can match them to the bucket before anything exists.
     */
    readonly name: pulumi.Output<string>;
    /** `arn:<partition>:s3:::<name>`, from the name, so known in a preview too. */
    readonly arn: pulumi.Output<string>;
}

/**
 * One bucket with every guard: versioning, default encryption, all public access blocked,
 * owner-enforced objects, a bucket policy and lifecycle rules. The bucket is `bucketName`; its
 * configuration resources are `<name>-versioning`, `<name>-encryption` and so on.
 */
export function hardenedBucket(
    parent: pulumi.Resource,
    name: string,
    bucketName: string,
    options: HardenedBucketOptions,
    stateful: pulumi.CustomResourceOptions,
): HardenedBucket {
    const child = { parent };
    const bucket = new aws.s3.Bucket(
        bucketName,
        {
            forceDestroy: options.forceDestroy,
            objectLockEnabled: options.objectLockEnabled,
            tags: options.tags,
            ...(options.bucketName !== undefined ? { bucket: options.bucketName } : {}),
            ...(options.bucketNamePrefix !== undefined ? { bucketPrefix: options.bucketNamePrefix } : {}),
        },
        { ...stateful, parent },
    );
    const partition = aws.getPartitionOutput({}, child).partition;
    const arn = pulumi.interpolate`arn:${partition}:s3:::${bucket.bucket}`;
    const versioning = new aws.s3.BucketVersioning(
        `${name}-versioning`,
        { bucket: bucket.bucket, versioningConfiguration: { status: "Enabled" } },
        child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
            bucket: bucket.bucket,
            rules: [
                options.kmsKeyArn
                    ? {
                          applyServerSideEncryptionByDefault: {
                              sseAlgorithm: "aws:kms",
                              kmsMasterKeyId: options.kmsKeyArn,
                          },
                          bucketKeyEnabled: true,
                      }
                    : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
            ],
        },
        child,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access`,
        {
            bucket: bucket.bucket,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        child,
    );
    new aws.s3.BucketOwnershipControls(
        `${name}-ownership`,
        { bucket: bucket.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
        child,
    );
    const policy = new aws.s3.BucketPolicy(
        `${name}-policy`,
        { bucket: bucket.bucket, policy: options.policy(arn) },
        { parent, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        { bucket: bucket.bucket, rules: options.rules },
        { parent, dependsOn: [versioning] },
    );
    return { bucket, name: bucket.bucket, arn, policy };
}
