/**
 * S3 buckets with their configuration resources, as one standard: versioning, default encryption
 * with an algorithm S3 accepts, all public access blocked, no public ACL or grant, TLS-only policy,
 * server access logging — whether set inline on the bucket (Bucket, BucketV2) or by separate
 * configuration resources (and their V2 aliases), matched to the bucket by name.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";

type Props = Record<string, unknown>;

const ofType = (resources: PolicyResource[], type: string): PolicyResource[] =>
    resources.filter((r) => r.type === type);

/** The bucket a configuration resource refers to, by name. */
const bucketRef = (r: PolicyResource): unknown => r.props.bucket;
const bucketName = (b: PolicyResource): unknown => b.props.bucket ?? b.props.id;

/** Bucket types: v7's Bucket and the deprecated BucketV2 (the same bucket, list-shaped inline arguments). */
export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
/** Each bucket configuration resource, with its V2 alias. */
const CONFIG_TYPES = {
    versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
    encryption: [
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    ],
    logging: ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"],
    acl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
    publicAccess: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
    policy: ["aws:s3/bucketPolicy:BucketPolicy"],
};
/** Default encryption algorithms S3 accepts (PutBucketEncryption: AES256, aws:kms, aws:kms:dsse). */
export const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];
/** Canned ACLs that open a bucket to everyone or to every AWS account. */
const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEES = /\/groups\/global\/(AllUsers|AuthenticatedUsers)$/;

const list = (v: unknown): Props[] =>
    (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).filter(
        (x): x is Props => typeof x === "object" && x !== null,
    );

/** Every default-encryption algorithm a bucket's inline arguments or configuration resources set. */
function sseAlgorithms(bucket: PolicyResource, configs: PolicyResource[]): unknown[] {
    const inline = [
        // Bucket: serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault
        ...list(bucket.props.serverSideEncryptionConfiguration).flatMap((c) => list(c.rule)),
        // BucketV2: serverSideEncryptionConfigurations[].rules[].applyServerSideEncryptionByDefaults[]
        ...list(bucket.props.serverSideEncryptionConfigurations).flatMap((c) => list(c.rules)),
    ].flatMap((rule) => [
        ...list(rule.applyServerSideEncryptionByDefault),
        ...list(rule.applyServerSideEncryptionByDefaults),
    ]);
    const separate = configs
        .flatMap((c) => list(c.props.rules))
        .flatMap((rule) => list(rule.applyServerSideEncryptionByDefault));
    return [...inline, ...separate].map((d) => d.sseAlgorithm);
}

export const s3BucketHardened: StackValidationPolicy = {
    name: "s3-bucket-hardened",
    description:
        "Checks whether every S3 bucket (Bucket or BucketV2, inline arguments or configuration resources) is versioned, encrypted with a valid algorithm, blocks all public access, grants nothing public, denies requests without TLS and logs access (log buckets themselves excepted).",
    severity: "high",
    framework: {
        name: "AWS Foundational Security Best Practices",
        version: "1.0",
        reference: "S3.1, S3.5, S3.8, S3.9, S3.14, S3.17",
        specification: "https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html",
    },
    remediationSteps:
        "Use ModelArtifactBucket (or hardenedBucket) which adds versioning, encryption, all four public access blocks, a TLS-only policy and access logging; remove public canned ACLs and grants to AllUsers or AuthenticatedUsers.",
    validateStack: (args, report) => {
        const byBucket = (types: string[]): Map<unknown, PolicyResource[]> => {
            const map = new Map<unknown, PolicyResource[]>();
            for (const r of args.resources.filter((x) => types.includes(x.type)))
                map.set(bucketRef(r), [...(map.get(bucketRef(r)) ?? []), r]);
            return map;
        };
        const versioning = byBucket(CONFIG_TYPES.versioning);
        const encryption = byBucket(CONFIG_TYPES.encryption);
        const logging = byBucket(CONFIG_TYPES.logging);
        const acls = byBucket(CONFIG_TYPES.acl);
        const publicAccess = byBucket(CONFIG_TYPES.publicAccess);
        const policies = byBucket(CONFIG_TYPES.policy);
        const logTargets = new Set([
            ...args.resources.filter((r) => CONFIG_TYPES.logging.includes(r.type)).map((r) => r.props.targetBucket),
            ...args.resources
                .filter((r) => BUCKET_TYPES.includes(r.type))
                .flatMap((b) => [
                    ...list(b.props.logging).map((l) => l.targetBucket),
                    ...list(b.props.loggings).map((l) => l.targetBucket),
                ]),
            ...ofType(args.resources, "aws:lb/loadBalancer:LoadBalancer").map(
                (r) => (r.props.accessLogs as Props | undefined)?.bucket,
            ),
        ]);
        for (const bucket of args.resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
            const name = bucketName(bucket);
            const p = bucket.props;
            const versioned =
                list(p.versioning).some((v) => v.enabled === true) ||
                list(p.versionings).some((v) => v.enabled === true) ||
                (versioning.get(name) ?? []).some(
                    (v) => (v.props.versioningConfiguration as Props | undefined)?.status === "Enabled",
                );
            if (!versioned) report("versioning is not enabled", bucket.urn);

            const algorithms = sseAlgorithms(bucket, encryption.get(name) ?? []);
            if (algorithms.length === 0) report("no default encryption configuration", bucket.urn);
            for (const a of algorithms)
                if (!SSE_ALGORITHMS.includes(String(a)))
                    report(
                        `default encryption uses ${JSON.stringify(a)}; use ${SSE_ALGORITHMS.join(", ")}`,
                        bucket.urn,
                    );

            const pab = (publicAccess.get(name) ?? [])[0]?.props ?? {};
            if (
                !["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every(
                    (k) => pab[k] === true,
                )
            ) {
                report("public access is not fully blocked (all four public access block settings)", bucket.urn);
            }

            const cannedAcls = [p.acl, ...(acls.get(name) ?? []).map((a) => a.props.acl)];
            for (const acl of cannedAcls)
                if (PUBLIC_ACLS.includes(String(acl)))
                    report(`the canned ACL "${String(acl)}" opens the bucket to the public`, bucket.urn);
            const grants = [
                ...list(p.grants).map((g) => ({ uri: g.uri, permission: g.permissions })),
                ...(acls.get(name) ?? []).flatMap((a) =>
                    list((a.props.accessControlPolicy as Props | undefined)?.grants).map((g) => ({
                        uri: (g.grantee as Props | undefined)?.uri,
                        permission: g.permission,
                    })),
                ),
            ];
            for (const g of grants)
                if (typeof g.uri === "string" && PUBLIC_GRANTEES.test(g.uri))
                    report(
                        `a grant gives ${Array.isArray(g.permission) ? g.permission.join(", ") : String(g.permission)} to ${g.uri.split("/").pop()}`,
                        bucket.urn,
                    );

            const policy = [p.policy, ...(policies.get(name) ?? []).map((x) => x.props.policy)]
                .map((x) => (typeof x === "string" ? x : JSON.stringify(x ?? "")))
                .join("\n");
            if (!/"aws:SecureTransport"\s*:\s*"false"/.test(policy))
                report("the bucket policy does not deny requests without TLS", bucket.urn);
            const logs =
                (logging.get(name) ?? []).length > 0 ||
                list(p.logging).some((l) => l.targetBucket !== undefined) ||
                list(p.loggings).some((l) => l.targetBucket !== undefined);
            if (!logs && !logTargets.has(name)) report("server access logging is off", bucket.urn);
        }
    },
};
