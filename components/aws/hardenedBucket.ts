/**
 * One S3 bucket with every guard the platform requires, shared by the components that keep data
 * or logs: versioning, default encryption, all public access blocked, owner-enforced objects, a
 * bucket policy and lifecycle rules.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface HardenedBucketOptions {
    readonly forceDestroy: boolean;
    readonly tags: Record<string, string>;
    readonly objectLockEnabled?: boolean;
    /** KMS key ARN, or SSE-S3 when absent (S3 server access logs cannot be written to SSE-KMS buckets). */
    readonly kmsKeyArn?: pulumi.Input<string>;
    readonly policy: (bucketArn: string) => pulumi.Input<string>;
    readonly rules: aws.types.input.s3.BucketLifecycleConfigurationRule[];
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
): aws.s3.Bucket {
    const child = { parent };
    const bucket = new aws.s3.Bucket(
        bucketName,
        { forceDestroy: options.forceDestroy, objectLockEnabled: options.objectLockEnabled, tags: options.tags },
        { ...stateful, parent },
    );
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
        { bucket: bucket.id, policy: bucket.arn.apply((arn) => pulumi.output(options.policy(arn))) },
        { parent, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        { bucket: bucket.id, rules: options.rules },
        { parent, dependsOn: [versioning] },
    );
    return bucket;
}
