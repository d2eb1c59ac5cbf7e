/**
 * Policy documents and lifecycle rules for S3 buckets, as pure functions (tested without the
 * engine): TLS-only access, the log delivery grant, least-privilege read and write.
 */
import type * as aws from "@pulumi/aws";

export interface Statement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Principal?: unknown;
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

const document = (statements: Statement[]): string => JSON.stringify({ Version: "2012-10-17", Statement: statements });

/** The statement that denies every request to the bucket made without TLS. */
export const denyInsecureTransport = (bucketArn: string): Statement => ({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
});

/** A bucket policy that denies every request made without TLS. */
export function tlsOnlyPolicy(bucketArn: string): string {
    return document([denyInsecureTransport(bucketArn)]);
}

/**
 * The access-log bucket's policy: TLS only, and S3's log delivery service may write under the
 * prefix, only for the source bucket in this account.
 */
export function logBucketPolicy(logBucketArn: string, sourceBucketArn: string, accountId: string): string {
    return document([
        denyInsecureTransport(logBucketArn),
        {
            Sid: "AllowS3ServerAccessLogs",
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `${logBucketArn}/${ACCESS_LOG_PREFIX}*`,
            Condition: {
                ArnLike: { "aws:SourceArn": sourceBucketArn },
                StringEquals: { "aws:SourceAccount": accountId },
            },
        },
    ]);
}

export const ACCESS_LOG_PREFIX = "s3-access/";

/** Serving: read objects and versions, list the bucket, decrypt with its key. Nothing else. */
export function readOnlyPolicy(bucketArn: string, keyArn: string): string {
    return document([
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
}

/**
 * Serving one model: read objects and versions under `prefix` only, list only that prefix, decrypt
 * with the bucket's key. (The key cannot be narrowed to a prefix: the bucket uses S3 Bucket Keys,
 * whose encryption context is the bucket's ARN, not the object's.)
 */
export function prefixReadOnlyPolicy(bucketArn: string, keyArn: string, prefix: string): string {
    return document([
        {
            Sid: "ListModelPrefix",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: bucketArn,
            Condition: { StringLike: { "s3:prefix": [`${prefix}/*`] } },
        },
        { Sid: "LocateModelBucket", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: bucketArn },
        {
            Sid: "ReadModelPrefix",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:GetObjectVersion"],
            Resource: `${bucketArn}/${prefix}/*`,
        },
        { Sid: "DecryptModelObjects", Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn },
    ]);
}

/** A key prefix of the model bucket: path segments of letters, digits, `.`, `_`, `-`, no leading or trailing `/`. */
export { MODEL_PREFIX } from "../../catalog/formats";

/**
 * Training and CI: read, plus write and delete objects and finish multipart uploads; everything but
 * the feedback prefixes, which only the feedback stream writes (FeedbackStore) and training only reads.
 */
export function readWritePolicy(bucketArn: string, keyArn: string): string {
    return document([
        {
            Sid: "ListModelBucket",
            Effect: "Allow",
            Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
            Resource: bucketArn,
        },
        {
            Sid: "ReadWriteModelObjects",
            Effect: "Allow",
            Action: [
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            Resource: `${bucketArn}/*`,
        },
        {
            Sid: "FeedbackIsWrittenByItsStreamOnly",
            Effect: "Deny",
            Action: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
            Resource: [`${bucketArn}/feedback/*`, `${bucketArn}/feedback-errors/*`],
        },
        {
            Sid: "EncryptModelObjects",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt*", "kms:DescribeKey"],
            Resource: keyArn,
        },
    ]);
}

type Rule = aws.types.input.s3.BucketLifecycleConfigurationRule;

/** Lifecycle rules: expire non-current versions, abort stale multipart uploads. */
export function lifecycleRules(noncurrentDays: number, abortDays: number): Rule[] {
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

/** Access logs expire after `days`. */
export function logLifecycleRules(days: number): Rule[] {
    return [{ id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days } }];
}
