/**
 * The KMS key the platform's log groups are encrypted with: the control plane's, the containers'.
 * CloudWatch Logs always encrypts at rest with a key of its own; a customer-managed key lets the
 * account decide who may read the logs (a key's policy, CloudTrail of every decrypt) and lets a
 * compliance review say so. CloudWatch Logs uses the key as the `logs.<region>.amazonaws.com`
 * service principal, limited by the encryption context to the log groups it names (AWS, "Encrypt
 * log data in CloudWatch Logs using AWS KMS"; docs/UPSTREAM.md, "Logs").
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValid } from "../validation";

/** The arguments of `LogEncryptionKey` (`new LogEncryptionKey(name, args, opts)`). */
export interface LogEncryptionKeyArgs {
    /**
     * The log groups the key may encrypt, as name patterns (`*` matches any run of characters), e.g.
     * `/aws/eks/<cluster>/*`: the `kms:EncryptionContext:aws:logs:arn` condition of the key's policy.
     */
    logGroupPatterns: pulumi.Input<string>[];
    /** Protect the key from deletion: without it every event of its groups is unreadable. @default true */
    protect?: boolean;
    /** @default {} */
    tags?: Record<string, string>;
}

/**
 * The key's policy: the account administers it through IAM (the default key policy's statement),
 * and CloudWatch Logs of this region may use it for the named log groups only.
 */
export function logEncryptionKeyPolicy(on: {
    partition: string;
    region: string;
    accountId: string;
    logGroupPatterns: string[];
}): string {
    const { partition, region, accountId } = on;
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministers",
                Effect: "Allow",
                Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "CloudWatchLogsEncrypts",
                Effect: "Allow",
                Principal: { Service: `logs.${region}.amazonaws.com` },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                Resource: "*",
                Condition: {
                    ArnLike: {
                        "kms:EncryptionContext:aws:logs:arn": on.logGroupPatterns.map(
                            (p) => `arn:${partition}:logs:${region}:${accountId}:log-group:${p}`,
                        ),
                    },
                },
            },
        ],
    });
}

export function validateLogEncryptionKeyArgs(args: LogEncryptionKeyArgs): string[] {
    const problems: string[] = [];
    if (args.logGroupPatterns.length === 0)
        problems.push("logGroupPatterns: expected at least one log group name pattern, such as /aws/eks/<cluster>/*");
    args.logGroupPatterns.forEach((p, i) => {
        if (typeof p === "string" && !/^[\w\-./#*]{1,512}$/.test(p))
            problems.push(
                `logGroupPatterns[${i}]: expected a log group name (letters, digits, _ - . / # and * as a wildcard), received ${JSON.stringify(p)}`,
            );
    });
    return problems;
}

/** A symmetric KMS key, rotated yearly, that CloudWatch Logs may use for the named log groups. */
export class LogEncryptionKey extends pulumi.ComponentResource {
    public readonly keyArn: pulumi.Output<string>;
    public readonly key: aws.kms.Key;

    constructor(name: string, args: LogEncryptionKeyArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:LogEncryptionKey", name, {}, opts);
        assertValid(this, "LogEncryptionKey", name, validateLogEncryptionKeyArgs(args));
        const child = { parent: this };
        const policy = pulumi
            .all([
                aws.getPartitionOutput({}, child).partition,
                aws.getRegionOutput({}, child).region,
                aws.getCallerIdentityOutput({}, child).accountId,
                pulumi.all(args.logGroupPatterns),
            ])
            .apply(([partition, region, accountId, logGroupPatterns]) =>
                logEncryptionKeyPolicy({ partition, region, accountId, logGroupPatterns }),
            );
        this.key = new aws.kms.Key(
            `${name}-key`,
            {
                description: `Encrypts the ${name} log groups`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy,
                tags: args.tags ?? {},
            },
            { ...child, protect: args.protect ?? true },
        );
        this.keyArn = this.key.arn;
        this.registerOutputs({ keyArn: this.keyArn });
    }
}
