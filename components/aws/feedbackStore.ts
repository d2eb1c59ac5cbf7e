/**
 * Where production feedback lands: an Amazon Data Firehose stream that writes the records, batched
 * and gzipped, under the model bucket's `feedback/` prefix (encrypted with the bucket's key,
 * versioned, under its lifecycle rules and access logs), partitioned by arrival date. Firehose
 * rather than SQS + S3: it batches, compresses, retries and delivers to S3 by itself, so nothing of
 * ours has to run to move records from a queue to the bucket; what it gives up, reading a record
 * back before it is delivered, feedback does not need. Who may write: only a role given
 * `writePolicyArn` (the serving pods' roles and the feedback edge's), and only the stream's own role
 * writes the objects. Records are checked at the edge with `parseFeedback` (components/feedback.ts).
 */
import { FEEDBACK_BUCKET_PREFIX, FEEDBACK_ERROR_BUCKET_PREFIX } from "../../catalog/reserved";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValid } from "../validation";

/** Where delivered records go, by arrival date (Firehose's timestamp namespace, UTC). */
export const FEEDBACK_PREFIX = `${FEEDBACK_BUCKET_PREFIX}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`;
/** Records Firehose could not deliver, by failure type (required with an expression in the prefix). */
export const FEEDBACK_ERROR_PREFIX = `${FEEDBACK_ERROR_BUCKET_PREFIX}/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`;

/** The arguments of `FeedbackStore` (`new FeedbackStore(name, args, opts)`). */
export interface FeedbackStoreArgs {
    /** The model bucket and its key (ModelArtifactBucket's bucketArn and kmsKeyArn). */
    bucketArn: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    /** Seconds Firehose buffers records before it writes an object. @default 300 */
    bufferSeconds?: number;
    /** Days the stream's delivery errors are kept in CloudWatch Logs. @default 90 */
    logRetentionDays?: number;
    tags?: Record<string, string>;
    /** Protect the delivery log group (stateful); the records themselves live in the model bucket. @default false */
    protect?: boolean;
}

export function validateFeedbackStoreArgs(args: FeedbackStoreArgs): string[] {
    const buffer = args.bufferSeconds ?? 300;
    return Number.isInteger(buffer) && buffer >= 0 && buffer <= 900
        ? []
        : [`bufferSeconds: expected an integer from 0 to 900 (Firehose's buffering interval), received ${buffer}`];
}

/** What the stream's role may do: write the bucket's feedback prefixes with the bucket's key, and log. */
export function firehoseDeliveryPolicy(bucketArn: string, keyArn: string, logGroupArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DeliverFeedback",
                Effect: "Allow",
                Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
                Resource: [`${bucketArn}/feedback/*`, `${bucketArn}/feedback-errors/*`],
            },
            {
                Sid: "FindTheBucket",
                Effect: "Allow",
                Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                Resource: bucketArn,
            },
            {
                Sid: "EncryptWithTheBucketKey",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                Resource: keyArn,
            },
            { Sid: "LogDeliveryErrors", Effect: "Allow", Action: "logs:PutLogEvents", Resource: `${logGroupArn}:*` },
        ],
    });
}

/** What a writer may do: put records on this stream, nothing else. */
export function feedbackWritePolicy(streamArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "PutFeedback",
                Effect: "Allow",
                Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
                Resource: streamArn,
            },
        ],
    });
}

/**
 * Firehose may assume the role only for this account's streams: the trust policy of the Firehose
 * developer guide ("Allow Firehose to assume an IAM role"), whose guard is `sts:ExternalId` equal
 * to the account ID, which Firehose passes when it assumes the role. `aws:SourceAccount`, which the
 * guide does not document for this role, would refuse Firehose if it did not send it.
 */
export function firehoseTrustPolicy(accountId: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: "firehose.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "sts:ExternalId": accountId } },
            },
        ],
    });
}

/** Where production feedback lands: an Amazon Data Firehose stream writing the records, batched and gzipped, under the model bucket's `feedback/` prefix, partitioned by arrival date; with the IAM policy a service needs to write to it. */
export class FeedbackStore extends pulumi.ComponentResource {
    public readonly streamName: pulumi.Output<string>;
    public readonly streamArn: pulumi.Output<string>;
    /** Attach to the roles that may send feedback (the serving pods', the feedback edge's). */
    public readonly writePolicyArn: pulumi.Output<string>;
    public readonly stream: aws.kinesis.FirehoseDeliveryStream;

    constructor(name: string, args: FeedbackStoreArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:FeedbackStore", name, {}, opts);
        assertValid(this, "FeedbackStore", name, validateFeedbackStoreArgs(args));
        const child = { parent: this };
        const tags = args.tags ?? {};
        const accountId = aws.getCallerIdentityOutput({}, child).accountId;
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-delivery`,
            // Firehose's own naming, made unique: two stacks in one account (staging and prod) each get theirs.
            { namePrefix: `/aws/kinesisfirehose/${name}-`, retentionInDays: args.logRetentionDays ?? 90, tags },
            { parent: this, protect: args.protect ?? false },
        );
        const logStream = new aws.cloudwatch.LogStream(
            `${name}-delivery`,
            { logGroupName: logGroup.name, name: "S3Delivery" },
            child,
        );
        const role = new aws.iam.Role(
            `${name}-firehose`,
            {
                description: `${name}: Firehose delivers feedback to the model bucket`,
                assumeRolePolicy: accountId.apply(firehoseTrustPolicy),
                tags,
            },
            child,
        );
        const delivery = new aws.iam.RolePolicy(
            `${name}-firehose-delivery`,
            {
                role: role.id,
                policy: pulumi
                    .all([args.bucketArn, args.kmsKeyArn, logGroup.arn])
                    .apply(([b, k, l]) => firehoseDeliveryPolicy(b, k, l)),
            },
            child,
        );
        this.stream = new aws.kinesis.FirehoseDeliveryStream(
            name,
            {
                destination: "extended_s3",
                serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
                extendedS3Configuration: {
                    roleArn: role.arn,
                    bucketArn: args.bucketArn,
                    prefix: FEEDBACK_PREFIX,
                    errorOutputPrefix: FEEDBACK_ERROR_PREFIX,
                    bufferingInterval: args.bufferSeconds ?? 300,
                    bufferingSize: 5,
                    compressionFormat: "GZIP",
                    kmsKeyArn: args.kmsKeyArn,
                    cloudwatchLoggingOptions: {
                        enabled: true,
                        logGroupName: logGroup.name,
                        logStreamName: logStream.name,
                    },
                },
                tags,
            },
            { parent: this, dependsOn: [delivery] },
        );
        const write = new aws.iam.Policy(
            `${name}-write`,
            {
                description: `Send feedback records to the ${name} stream`,
                policy: this.stream.arn.apply(feedbackWritePolicy),
                tags,
            },
            child,
        );
        this.streamName = this.stream.name;
        this.streamArn = this.stream.arn;
        this.writePolicyArn = write.arn;
        this.registerOutputs({
            streamName: this.streamName,
            streamArn: this.streamArn,
            writePolicyArn: this.writePolicyArn,
        });
    }
}
