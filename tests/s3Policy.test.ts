import * as assert from "node:assert/strict";
import { s3BucketHardened } from "../policies/stack";
import { runStackPolicy, type TestResource } from "../policies/testing";
import { find } from "./helpers";
import { planOf } from "./plans";

type Props = Record<string, unknown>;
const NAME = "models";
const TLS_ONLY = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
        {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [`arn:aws:s3:::${NAME}`, `arn:aws:s3:::${NAME}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
    ],
});
const ALL_BLOCKED = {
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
};

const r = (type: string, name: string, props: Props): TestResource => ({ type, name, props });
const bucket = (type: string, props: Props = {}) => r(type, NAME, { bucket: NAME, ...props });
const separate = (suffix = "") => [
    r(`aws:s3/bucketVersioning${suffix}:BucketVersioning${suffix}`, "v", {
        bucket: NAME,
        versioningConfiguration: { status: "Enabled" },
    }),
    r(`aws:s3/bucketServerSideEncryptionConfiguration${suffix}:BucketServerSideEncryptionConfiguration${suffix}`, "e", {
        bucket: NAME,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
    }),
    r(`aws:s3/bucketLogging${suffix}:BucketLogging${suffix}`, "l", { bucket: NAME, targetBucket: "logs" }),
];
const always = () => [
    r("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", { bucket: NAME, ...ALL_BLOCKED }),
    r("aws:s3/bucketPolicy:BucketPolicy", "p", { bucket: NAME, policy: TLS_ONLY }),
];
const urn = (type: string) => `urn:pulumi:test::test::${type}::${NAME}`;

async function violations(resources: TestResource[]): Promise<string[]> {
    return (await runStackPolicy(s3BucketHardened, resources)).violations;
}

describe("s3-bucket-hardened: every bucket shape", () => {
    it("passes the shipped stacks' buckets", async () => {
        const prod = (await planOf("prod", "update")).export.deployment.resources;
        const run = await runStackPolicy(
            s3BucketHardened,
            prod.map((x) => ({ type: x.type, urn: x.urn, props: { ...x.inputs, ...x.outputs } })),
        );
        assert.deepEqual(run.violations, []);
        assert.ok(find((await planOf("prod", "update")).export, "aws:s3/bucket:Bucket", "models-bucket"));
    });

    for (const suffix of ["", "V2"])
        it(`Bucket with the separate configuration resources${suffix ? " (their V2 types)" : ""}`, async () => {
            const type = "aws:s3/bucket:Bucket";
            assert.deepEqual(await violations([bucket(type), ...separate(suffix), ...always()]), []);
            assert.deepEqual(await violations([bucket(type), ...always()]), [
                `${urn(type)}: versioning is not enabled`,
                `${urn(type)}: no default encryption configuration`,
                `${urn(type)}: server access logging is off`,
            ]);
        });

    it("Bucket with inline versioning, encryption and logging", async () => {
        const type = "aws:s3/bucket:Bucket";
        const inline = {
            versioning: { enabled: true },
            serverSideEncryptionConfiguration: {
                rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
            },
            logging: { targetBucket: "logs" },
        };
        assert.deepEqual(await violations([bucket(type, inline), ...always()]), []);
    });

    it("BucketV2, checked at all, with its list-shaped inline arguments", async () => {
        const type = "aws:s3/bucketV2:BucketV2";
        assert.deepEqual(await violations([bucket(type)]), [
            `${urn(type)}: versioning is not enabled`,
            `${urn(type)}: no default encryption configuration`,
            `${urn(type)}: public access is not fully blocked (all four public access block settings)`,
            `${urn(type)}: the bucket policy does not deny requests without TLS`,
            `${urn(type)}: server access logging is off`,
        ]);
        const inline = {
            versionings: [{ enabled: true }],
            serverSideEncryptionConfigurations: [
                { rules: [{ applyServerSideEncryptionByDefaults: [{ sseAlgorithm: "aws:kms:dsse" }] }] },
            ],
            loggings: [{ targetBucket: "logs" }],
            policy: TLS_ONLY,
        };
        assert.deepEqual(await violations([bucket(type, inline), always()[0]]), [], "inline policy counts too");
    });

    it("accepts only the algorithms S3 accepts", async () => {
        const type = "aws:s3/bucket:Bucket";
        const [v, , l] = separate();
        const none = r("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "e", {
            bucket: NAME,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "none" } }],
        });
        assert.deepEqual(await violations([bucket(type), v, none, l, ...always()]), [
            `${urn(type)}: default encryption uses "none"; use AES256, aws:kms, aws:kms:dsse`,
        ]);
    });

    it("reads ACLs and grants: canned public ACLs and grants to everyone", async () => {
        const type = "aws:s3/bucket:Bucket";
        const good = [...separate(), ...always()];
        assert.deepEqual(await violations([bucket(type, { acl: "private" }), ...good]), []);
        assert.deepEqual(await violations([bucket(type, { acl: "public-read" }), ...good]), [
            `${urn(type)}: the canned ACL "public-read" opens the bucket to the public`,
        ]);
        assert.deepEqual(
            await violations([
                bucket(type, {
                    grants: [
                        {
                            type: "Group",
                            uri: "http://acs.amazonaws.com/groups/global/AllUsers",
                            permissions: ["READ"],
                        },
                    ],
                }),
                ...good,
            ]),
            [`${urn(type)}: a grant gives READ to AllUsers`],
        );
        assert.deepEqual(
            await violations([
                bucket(type),
                ...good,
                r("aws:s3/bucketAclV2:BucketAclV2", "acl", {
                    bucket: NAME,
                    accessControlPolicy: {
                        owner: { id: "o" },
                        grants: [
                            {
                                grantee: {
                                    type: "Group",
                                    uri: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                                },
                                permission: "WRITE",
                            },
                        ],
                    },
                }),
                r("aws:s3/bucketAcl:BucketAcl", "acl2", { bucket: NAME, acl: "public-read-write" }),
            ]),
            [
                `${urn(type)}: the canned ACL "public-read-write" opens the bucket to the public`,
                `${urn(type)}: a grant gives WRITE to AuthenticatedUsers`,
            ],
        );
    });
});
