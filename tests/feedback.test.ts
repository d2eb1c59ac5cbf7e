import * as assert from "node:assert/strict";
import {
    FEEDBACK_ERROR_PREFIX,
    FEEDBACK_PREFIX,
    feedbackWritePolicy,
    firehoseDeliveryPolicy,
    firehoseTrustPolicy,
    validateFeedbackStoreArgs,
} from "../components/aws/feedbackStore";
import { parseFeedback } from "../components/feedback";
import { find } from "./helpers";
import { planOf } from "./plans";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("feedback capture: a Firehose stream into the model bucket's feedback/ prefix", () => {
    it("delivers gzipped batches under feedback/ by arrival date, with the bucket's key, failures apart", async () => {
        const prod = await planOf("prod");
        const stream = find(prod.export, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "feedback");
        const inputs = stream.inputs as Inputs;
        const key = find(prod.export, "aws:kms/key:Key", "models-key");
        const bucket = find(prod.export, "aws:s3/bucket:Bucket", "models-bucket");
        assert.equal(inputs.destination, "extended_s3");
        assert.deepEqual(inputs.serverSideEncryption, { enabled: true, keyType: "AWS_OWNED_CMK" });
        const s3 = inputs.extendedS3Configuration as Inputs;
        assert.equal(s3.prefix, "feedback/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/");
        assert.equal(
            s3.errorOutputPrefix,
            "feedback-errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
        );
        assert.equal(s3.prefix, FEEDBACK_PREFIX);
        assert.equal(s3.errorOutputPrefix, FEEDBACK_ERROR_PREFIX);
        assert.equal(s3.bufferingInterval, 300);
        assert.equal(s3.bufferingSize, 5);
        assert.equal(s3.compressionFormat, "GZIP");
        assert.equal(s3.kmsKeyArn, (key.outputs as Inputs).arn);
        assert.equal(s3.bucketArn, `arn:aws:s3:::${(bucket.outputs as Inputs).bucket}`);
        assert.equal(s3.cloudwatchLoggingOptions.enabled, true);
        const delivery = find(prod.export, "aws:iam/rolePolicy:RolePolicy", "feedback-firehose-delivery");
        assert.ok(stream.dependencies?.includes(delivery.urn), "the role may write before the stream starts");
        assert.deepEqual(
            JSON.parse((delivery.inputs as Inputs).policy as string),
            JSON.parse(
                firehoseDeliveryPolicy(
                    s3.bucketArn as string,
                    s3.kmsKeyArn as string,
                    (find(prod.export, "aws:cloudwatch/logGroup:LogGroup", "feedback-delivery").outputs as Inputs)
                        .arn as string,
                ),
            ),
        );
        const role = find(prod.export, "aws:iam/role:Role", "feedback-firehose").inputs as Inputs;
        assert.deepEqual(JSON.parse(role.assumeRolePolicy as string), JSON.parse(firehoseTrustPolicy("111122223333")));
        // The guard the Firehose guide documents: the account as the external ID Firehose passes.
        assert.deepEqual(JSON.parse(firehoseTrustPolicy("111122223333")).Statement[0].Condition, {
            StringEquals: { "sts:ExternalId": "111122223333" },
        });
        // Its log group is named per stack: staging and prod in one account do not collide.
        const logGroup = find(prod.export, "aws:cloudwatch/logGroup:LogGroup", "feedback-delivery").inputs as Inputs;
        assert.equal(logGroup.name, undefined);
        assert.equal(logGroup.namePrefix, "/aws/kinesisfirehose/feedback-");
    });

    it("lets each model's pods put records on the stream, and nothing else", async () => {
        const prod = await planOf("prod");
        const stream = find(prod.export, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "feedback");
        const write = find(prod.export, "aws:iam/policy:Policy", "feedback-write");
        assert.deepEqual(JSON.parse((write.inputs as Inputs).policy as string), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "PutFeedback",
                    Effect: "Allow",
                    Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
                    Resource: (stream.outputs as Inputs).arn,
                },
            ],
        });
        for (const model of ["chat", "embed", "router"]) {
            const attachment = find(
                prod.export,
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                `${model}-feedback-write`,
            ).inputs as Inputs;
            const role = find(prod.export, "aws:iam/role:Role", `${model}-irsa`).outputs as Inputs;
            assert.equal(attachment.role, role.name);
            assert.equal(attachment.policyArn, (write.outputs as Inputs).arn);
        }
        assert.equal(
            prod.export.deployment.resources.filter(
                (r) => r.urn.endsWith("-feedback-write") && r.type.includes("rolePolicyAttachment"),
            ).length,
            3,
        );
        assert.equal(feedbackWritePolicy("arn:s").includes("s3:"), false);
        assert.equal(prod.outputs.feedbackStreamName, (stream.outputs as Inputs).name);
    });

    it("accepts a well-formed record at the edge and names every problem of a bad one", () => {
        const good = {
            requestId: "chatcmpl-8f2a9c",
            model: "chat",
            modelVersion: "v2",
            rating: -1,
            text: "The dosage it gave is wrong.",
            createdAt: "2026-11-30T08:00:00Z",
        };
        assert.deepEqual(parseFeedback(good), { record: `${JSON.stringify(good)}\n` });
        assert.deepEqual(parseFeedback({ ...good, text: undefined }), {
            record: `${JSON.stringify({ ...good, text: undefined })}\n`,
        });
        assert.deepEqual(
            parseFeedback({
                requestId: "",
                model: "Chat",
                modelVersion: "v 2",
                rating: 5,
                createdAt: "yesterday",
                extra: 1,
            }),
            {
                problems: [
                    "requestId: expected the completion's id (letters, digits, '.', '_', ':', '-')",
                    "model: expected a model name: lower-case letters, digits and '-', starting with a letter, at most 32 characters",
                    "modelVersion: expected a version name of letters, digits, '.', '_' and '-', or a registered model version as models:/<name>/<version> (an alias such as models:/<name>@candidate moves: `npm run promote -- --model-version models:/<name>@<alias>` resolves it and writes the version it names)",
                    "rating: expected -1, 0 or 1",
                    "createdAt: expected an ISO 8601 time in UTC, such as 2026-11-30T08:00:00Z",
                    '(record): Unrecognized key: "extra"',
                ],
            },
        );
        assert.deepEqual(parseFeedback({ ...good, text: "x".repeat(4001) }), {
            problems: ["text: expected at most 4000 characters"],
        });
    });

    it("refuses a buffering interval Firehose does not take", () => {
        assert.deepEqual(validateFeedbackStoreArgs({ bucketArn: "b", kmsKeyArn: "k", bufferSeconds: 901 }), [
            "bufferSeconds: expected an integer from 0 to 900 (Firehose's buffering interval), received 901",
        ]);
        assert.deepEqual(validateFeedbackStoreArgs({ bucketArn: "b", kmsKeyArn: "k" }), []);
    });
});
