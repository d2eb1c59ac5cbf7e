/**
 * Scanner cases for kms-key-rotation, rds-instance-hardened, s3-bucket-hardened,
 * stateful-resources-protected and required-tags, translated from checkov (bridgecrewio/checkov
 * @ 03d5fdad) and trivy-checks (aquasecurity/trivy-checks @ 80e53822) into @pulumi/aws 7.48 inputs.
 *
 * Conventions:
 * - RDS: the policy holds an instance or cluster to five requirements at once. Each case sets the
 *   source's own fields, then the requirements its check is NOT about are completed to the
 *   standard (`dbInstanceCompleted` / `dbClusterCompleted`: storageEncrypted, publiclyAccessible
 *   false (instances only), backupRetentionPeriod 7, deletionProtection, skipFinalSnapshot false
 *   with a finalSnapshotIdentifier), overriding the source where it set them otherwise, in passing
 *   and failing cases alike, so a case passes or fails for its scanner's reason only. Inputs the SDK
 *   requires and the source omits (instanceClass, engine, clusterIdentifier) are added.
 * - S3: the judged resource is the bucket; configuration resources go in `also`, referring to it by
 *   name. Each bucket is named after its case id (the sources reuse "example", "bucket_good" …; in
 *   one stack the names must differ). `completeBucket` adds the requirements the check is not about
 *   (versioning Enabled, AES256 default encryption, a public access block with all four flags, a
 *   BucketLogging into "<bucket>-logs", a TLS-only bucket policy), except those listed as the case's
 *   subject.
 *
 * Skipped (not expressible, or no verdict):
 * - checkov results UNKNOWN (values from unresolved variables): KMSRotation unknown1/unknown2 (RSA
 *   keys), DBInstanceBackupRetentionPeriod aws_db_instance.unknown, S3BucketEncryption
 *   bucket_unknown*, S3BucketVersioning unknown_var/legacy_syntax/legacy_syntax_v4, S3PublicACLRead
 *   unknown_var/unknown_var_legacy/unknown_var_v4_legacy.
 * - checkov S3BucketEncryption / S3KMSEncryptedByDefault bucket_bad_4: its
 *   aws_s3_bucket_server_side_encryption_configuration sets apply_server_side_encryption_by_default
 *   without sse_algorithm, which the SDK requires.
 * - trivy AVD-AWS-0343 test_allow_deletion_protection_disabled_but_instances_orphaned: an
 *   unmanaged placeholder cluster of trivy's own model, not a resource.
 * - trivy _test.rego inputs that repeat the Terraform examples of the same check (AVD-AWS-0080,
 *   AVD-AWS-0079, AVD-AWS-0180's instance tests); those that add a shape (cluster instances,
 *   retention thresholds, checks without Terraform examples) are translated.
 */
import {
    checkovSource as checkov,
    craftedSource as crafted,
    trivySource as trivy,
    scannerCase,
    companion,
    type ArgsByType,
    type CaseSource,
    type CaseType,
    type Companion,
    type ScannerCase,
} from "./case";

const KMS_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const CANONICAL_USER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

/** A resource name from a case id (S3 bucket names, snapshot identifiers). */
const slug = (id: string): string => id.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");

// ---------------------------------------------------------------------------------------------
// RDS completion
// ---------------------------------------------------------------------------------------------

type DbRequirement =
    "storageEncrypted" | "publiclyAccessible" | "backupRetentionPeriod" | "deletionProtection" | "skipFinalSnapshot";

type InstanceArgs = ArgsByType["aws:rds/instance:Instance"];
type ClusterArgs = ArgsByType["aws:rds/cluster:Cluster"];

/** The requirements an instance case is not about, set to the standard. */
function dbInstanceCompleted(id: string, ...subject: DbRequirement[]): Partial<InstanceArgs> {
    const done: Partial<InstanceArgs> = {};
    if (!subject.includes("storageEncrypted")) done.storageEncrypted = true;
    if (!subject.includes("publiclyAccessible")) done.publiclyAccessible = false;
    if (!subject.includes("backupRetentionPeriod")) done.backupRetentionPeriod = 7;
    if (!subject.includes("deletionProtection")) done.deletionProtection = true;
    if (!subject.includes("skipFinalSnapshot")) {
        done.skipFinalSnapshot = false;
        done.finalSnapshotIdentifier = `${slug(id)}-final`;
    }
    return done;
}

/** The same for a cluster (an Aurora cluster has no publiclyAccessible: its instances do). */
function dbClusterCompleted(id: string, ...subject: DbRequirement[]): Partial<ClusterArgs> {
    const done: Partial<ClusterArgs> = {};
    if (!subject.includes("storageEncrypted")) done.storageEncrypted = true;
    if (!subject.includes("backupRetentionPeriod")) done.backupRetentionPeriod = 7;
    if (!subject.includes("deletionProtection")) done.deletionProtection = true;
    if (!subject.includes("skipFinalSnapshot")) {
        done.skipFinalSnapshot = false;
        done.finalSnapshotIdentifier = `${slug(id)}-final`;
    }
    return done;
}

const RDS = "rds-instance-hardened";
const rdsInstance = (
    id: string,
    expect: "fail" | "pass",
    source: CaseSource,
    props: InstanceArgs,
    ...subject: DbRequirement[]
): ScannerCase =>
    scannerCase({
        policy: RDS,
        id,
        expect,
        type: "aws:rds/instance:Instance",
        props: { ...props, ...dbInstanceCompleted(id, ...subject) },
        source,
    });
const rdsCluster = (
    id: string,
    expect: "fail" | "pass",
    source: CaseSource,
    props: ClusterArgs,
    ...subject: DbRequirement[]
): ScannerCase =>
    scannerCase({
        policy: RDS,
        id,
        expect,
        type: "aws:rds/cluster:Cluster",
        props: { ...props, ...dbClusterCompleted(id, ...subject) },
        source,
    });

// ---------------------------------------------------------------------------------------------
// S3 completion
// ---------------------------------------------------------------------------------------------

type S3Requirement = "versioning" | "encryption" | "publicAccessBlock" | "logging" | "tlsPolicy";
type BucketArgs = ArgsByType["aws:s3/bucket:Bucket"];
type Flags = Omit<ArgsByType["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"], "bucket">;

const versioningOf = (bucket: string, status: string, name = "versioning"): Companion =>
    companion({
        type: "aws:s3/bucketVersioning:BucketVersioning",
        name,
        props: { bucket, versioningConfiguration: { status } },
    });
const sseOf = (bucket: string, sseAlgorithm: string, name = "sse", kmsMasterKeyId?: string): Companion =>
    companion({
        type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        name,
        props: { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm, kmsMasterKeyId } }] },
    });
const publicAccessBlockOf = (bucket: string, flags: Flags, name = "public-access-block"): Companion =>
    companion({
        type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        name,
        props: { bucket, ...flags },
    });
const loggingOf = (bucket: string, targetBucket: string, name = "logging"): Companion =>
    companion({
        type: "aws:s3/bucketLogging:BucketLogging",
        name,
        props: { bucket, targetBucket, targetPrefix: "log/" },
    });
const aclOf = (bucket: string, acl: string, name = "acl"): Companion =>
    companion({ type: "aws:s3/bucketAcl:BucketAcl", name, props: { bucket, acl } });
const ALL_BLOCKED: Flags = {
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
};

/** The requirements a bucket case is not about, as configuration resources. */
function completeBucket(bucket: string, subject: S3Requirement[]): Companion[] {
    const done: Companion[] = [];
    if (!subject.includes("versioning")) done.push(versioningOf(bucket, "Enabled", "completed-versioning"));
    if (!subject.includes("encryption")) done.push(sseOf(bucket, "AES256", "completed-sse"));
    if (!subject.includes("publicAccessBlock"))
        done.push(publicAccessBlockOf(bucket, ALL_BLOCKED, "completed-public-access-block"));
    if (!subject.includes("logging")) done.push(loggingOf(bucket, `${bucket}-logs`, "completed-logging"));
    if (!subject.includes("tlsPolicy"))
        done.push(
            companion({
                type: "aws:s3/bucketPolicy:BucketPolicy",
                name: "completed-tls-policy",
                props: {
                    bucket,
                    policy: JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Sid: "DenyInsecureTransport",
                                Effect: "Deny",
                                Principal: "*",
                                Action: "s3:*",
                                Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
                                Condition: { Bool: { "aws:SecureTransport": "false" } },
                            },
                        ],
                    }),
                },
            }),
        );
    return done;
}

const S3 = "s3-bucket-hardened";
interface BucketShape {
    /** The bucket's inline inputs from the source (its name is the case's). */
    props?: Omit<BucketArgs, "bucket">;
    /** The source's configuration resources, given the bucket's name. */
    also?: (bucket: string) => Companion[];
    /** What the check is about: left as the source has it, not completed. */
    subject: S3Requirement[];
}
const s3Case = (id: string, expect: "fail" | "pass", source: CaseSource, shape: BucketShape): ScannerCase => {
    const bucket = slug(id);
    return scannerCase({
        policy: S3,
        id,
        expect,
        type: "aws:s3/bucket:Bucket",
        props: { bucket, ...shape.props },
        also: [...(shape.also?.(bucket) ?? []), ...completeBucket(bucket, shape.subject)],
        source,
    });
};

// ---------------------------------------------------------------------------------------------
// kms-key-rotation
// ---------------------------------------------------------------------------------------------

const KMS = "kms-key-rotation";
const CKV_KMS = "tests/terraform/checks/resource/aws/example_KMSRotation/main.tf";
const TRIVY_KMS = "checks/cloud/aws/kms/auto_rotate_keys.yaml";
const TRIVY_KMS_TEST = "checks/cloud/aws/kms/auto_rotate_keys_test.rego";
const kms = (id: string, expect: "fail" | "pass", source: CaseSource, props: ArgsByType["aws:kms/key:Key"]) =>
    scannerCase({ policy: KMS, id, expect, type: "aws:kms/key:Key", props, source });

const KMS_CASES: ScannerCase[] = [
    // checkov CKV_AWS_7: enable_key_rotation true on keys whose spec is unset, SYMMETRIC_DEFAULT or HMAC_* (others UNKNOWN).
    kms("checkov.CKV_AWS_7.pass1", "pass", checkov(CKV_KMS, "CKV_AWS_7", "aws_kms_key.pass1"), {
        description: "KMS key 1",
        deletionWindowInDays: 10,
        enableKeyRotation: true,
    }),
    kms("checkov.CKV_AWS_7.pass2", "pass", checkov(CKV_KMS, "CKV_AWS_7", "aws_kms_key.pass2"), {
        description: "KMS key 1",
        deletionWindowInDays: 10,
        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        enableKeyRotation: true,
    }),
    kms("checkov.CKV_AWS_7.fail1", "fail", checkov(CKV_KMS, "CKV_AWS_7", "aws_kms_key.fail1"), {
        description: "KMS key 1",
        deletionWindowInDays: 10,
    }),
    kms("checkov.CKV_AWS_7.fail2", "fail", checkov(CKV_KMS, "CKV_AWS_7", "aws_kms_key.fail2"), {
        description: "KMS key 1",
        deletionWindowInDays: 10,
        enableKeyRotation: false,
    }),
    kms("checkov.CKV_AWS_7.fail3", "fail", checkov(CKV_KMS, "CKV_AWS_7", "aws_kms_key.fail3"), {
        description: "KMS key 1",
        deletionWindowInDays: 10,
        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        enableKeyRotation: false,
    }),
    kms("checkov.CKV_AWS_7.fail4", "fail", checkov(CKV_KMS, "CKV_AWS_7", "aws_kms_key.fail4"), {
        description: "KMS key 1",
        deletionWindowInDays: 10,
        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
    }),
    // trivy AVD-AWS-0065 (auto-rotate-keys): rotation on every key whose usage is not SIGN_VERIFY.
    kms(
        "trivy.AVD-AWS-0065.good-0.good_example",
        "pass",
        trivy(TRIVY_KMS, "AVD-AWS-0065", "terraform.good[0]: aws_kms_key.good_example"),
        {
            enableKeyRotation: true,
        },
    ),
    // SIGN_VERIFY with the default SYMMETRIC_DEFAULT spec: AWS rejects this pair (signing keys are asymmetric).
    kms(
        "trivy.AVD-AWS-0065.good-1.good_example",
        "pass",
        trivy(TRIVY_KMS, "AVD-AWS-0065", "terraform.good[1]: aws_kms_key.good_example"),
        {
            enableKeyRotation: false,
            keyUsage: "SIGN_VERIFY",
        },
    ),
    kms(
        "trivy.AVD-AWS-0065.bad-0.bad_example",
        "fail",
        trivy(TRIVY_KMS, "AVD-AWS-0065", "terraform.bad[0]: aws_kms_key.bad_example"),
        {
            enableKeyRotation: false,
        },
    ),
    // The same check's rego tests set key usage explicitly.
    kms(
        "trivy.AVD-AWS-0065.test_allow_sign_verify_key_without_autorotate",
        "pass",
        trivy(TRIVY_KMS_TEST, "AVD-AWS-0065", "test_allow_sign_verify_key_without_autorotate"),
        {
            keyUsage: "SIGN_VERIFY",
            enableKeyRotation: false,
        },
    ),
    kms(
        "trivy.AVD-AWS-0065.test_allow_encrypt_decrypt_key_with_autorotate",
        "pass",
        trivy(TRIVY_KMS_TEST, "AVD-AWS-0065", "test_allow_encrypt_decrypt_key_with_autorotate"),
        {
            keyUsage: "ENCRYPT_DECRYPT",
            enableKeyRotation: true,
        },
    ),
    kms(
        "trivy.AVD-AWS-0065.test_deny_encrypt_decrypt_key_without_autorotate",
        "fail",
        trivy(TRIVY_KMS_TEST, "AVD-AWS-0065", "test_deny_encrypt_decrypt_key_without_autorotate"),
        {
            keyUsage: "ENCRYPT_DECRYPT",
            enableKeyRotation: false,
        },
    ),
    // Crafted: keys AWS cannot rotate (EnableKeyRotation: symmetric encryption keys in the AWS KMS key store only).
    kms("crafted.asymmetric-rsa-no-rotation", "pass", crafted("asymmetric RSA_2048 key without rotation"), {
        customerMasterKeySpec: "RSA_2048",
        keyUsage: "ENCRYPT_DECRYPT",
    }),
    kms("crafted.hmac-no-rotation", "pass", crafted("HMAC_256 key without rotation"), {
        customerMasterKeySpec: "HMAC_256",
        keyUsage: "GENERATE_VERIFY_MAC",
    }),
    kms(
        "crafted.custom-key-store-no-rotation",
        "pass",
        crafted("symmetric key in a CloudHSM custom key store, no rotation"),
        {
            customKeyStoreId: "cks-1234567890abcdef0",
        },
    ),
];

// ---------------------------------------------------------------------------------------------
// rds-instance-hardened
// ---------------------------------------------------------------------------------------------

const CKV_RDS = "tests/terraform/checks/resource/aws";
const TRIVY_RDS = "checks/cloud/aws/rds";
/** The aws_rds_cluster block checkov's inline tests repeat (availability zones, names, backup window). */
const CKV_CLUSTER: ClusterArgs = {
    clusterIdentifier: "aurora-cluster-demo",
    engine: "aurora-mysql", // added: the SDK requires engine
    availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"],
    databaseName: "mydb",
    masterUsername: "foo",
    masterPassword: "bar",
    backupRetentionPeriod: 5, // completed to 7 unless backups are the check's subject
    preferredBackupWindow: "07:00-09:00",
};
/** CKV_AWS_293's aws_db_instance blocks carry cluster arguments: cluster_identifier and
 * availability_zones are dropped (no such instance inputs), database_name → dbName,
 * master_username/master_password → username/password, preferred_backup_window → backupWindow. */
const CKV_293_INSTANCE: InstanceArgs = {
    dbName: "mydb",
    username: "foo",
    password: "bar",
    backupRetentionPeriod: 5, // completed to 7
    backupWindow: "07:00-09:00",
    instanceClass: "m4.large",
};
/** trivy AVD-AWS-0077's aws_db_instance examples (name → dbName; skip_final_snapshot completed to false). */
const TRIVY_0077_INSTANCE: InstanceArgs = {
    allocatedStorage: 10,
    engine: "mysql",
    engineVersion: "5.7",
    instanceClass: "db.t3.micro",
    dbName: "mydb",
    username: "foo",
    password: "foobarbaz",
    parameterGroupName: "default.mysql5.7",
    skipFinalSnapshot: true, // source; completed to false
};
const AURORA_INSTANCE = { clusterIdentifier: "id", engine: "aurora-mysql", instanceClass: "foo-bar" } as const;

const RDS_CASES: ScannerCase[] = [
    // checkov CKV_AWS_16: aws_db_instance storage_encrypted true (unset fails).
    ...(
        [
            ["enabled", "pass", true],
            ["default", "fail", undefined],
            ["disabled", "fail", false],
        ] as const
    ).map(([name, expect, storageEncrypted]) =>
        rdsInstance(
            `checkov.CKV_AWS_16.${name}`,
            expect,
            checkov(`${CKV_RDS}/example_RDSEncryption/main.tf`, "CKV_AWS_16", `aws_db_instance.${name}`),
            // name → dbName (the provider's v6 rename)
            { dbName: "name", engine: "mysql", instanceClass: "db.t3.micro", storageEncrypted },
            "storageEncrypted",
        ),
    ),
    // checkov CKV_AWS_17: publicly_accessible not true on aws_db_instance and aws_rds_cluster_instance (tests: cluster instances only).
    ...(
        [
            ["test_failure", "fail", true],
            ["test_success", "pass", false],
            ["test_success2", "pass", undefined],
        ] as const
    ).map(([test, expect, publiclyAccessible]) =>
        scannerCase({
            policy: RDS,
            id: `checkov.CKV_AWS_17.${test}.rds_cluster_public`,
            expect,
            type: "aws:rds/clusterInstance:ClusterInstance",
            // engine added: the SDK requires it
            props: { ...AURORA_INSTANCE, publiclyAccessible },
            source: checkov(
                `${CKV_RDS}/test_RDSPubliclyAccessible.py`,
                "CKV_AWS_17",
                `${test}: aws_rds_cluster_instance.rds_cluster_public`,
            ),
        }),
    ),
    // checkov CKV_AWS_133: aws_rds_cluster and aws_db_instance backup_retention_period in 1..35; unset passes ("default 1").
    ...(
        [
            ["pass", "pass", 35],
            ["pass2", "pass", undefined],
            ["fail2", "fail", 0],
            ["fail", "fail", 36],
        ] as const
    ).flatMap(([name, expect, backupRetentionPeriod]) => {
        const file = `${CKV_RDS}/example_DBInstanceBackupRetentionPeriod/main.tf`;
        return [
            rdsCluster(
                `checkov.CKV_AWS_133.aws_rds_cluster.${name}`,
                expect,
                checkov(file, "CKV_AWS_133", `aws_rds_cluster.${name}`),
                { engine: "aurora-mysql", backupRetentionPeriod }, // engine added: required by the SDK
                "backupRetentionPeriod",
            ),
            rdsInstance(
                `checkov.CKV_AWS_133.aws_db_instance.${name}`,
                expect,
                checkov(file, "CKV_AWS_133", `aws_db_instance.${name}`),
                { instanceClass: "db.t3.micro", backupRetentionPeriod }, // instanceClass added: required by the SDK
                "backupRetentionPeriod",
            ),
        ];
    }),
    // checkov CKV_AWS_293: aws_db_instance deletion_protection true (unset fails).
    ...(
        [
            ["fail", "fail", false],
            ["fail2", "fail", undefined],
            ["pass", "pass", true],
        ] as const
    ).map(([name, expect, deletionProtection]) =>
        rdsInstance(
            `checkov.CKV_AWS_293.${name}`,
            expect,
            checkov(
                `${CKV_RDS}/example_RDSInstanceDeletionProtection/main.tf`,
                "CKV_AWS_293",
                `aws_db_instance.${name}`,
            ),
            { ...CKV_293_INSTANCE, deletionProtection },
            "deletionProtection",
        ),
    ),
    // checkov CKV_AWS_96: aws_rds_cluster storage_encrypted true, or engine_mode serverless (always encrypted).
    ...(
        [
            ["test_success", "pass", { engineVersion: "5.7.mysql_aurora.2.03.2", storageEncrypted: true }],
            ["test_success_serverless_default", "pass", { engineMode: "serverless" }],
            ["test_success_serverless_enc_off", "pass", { engineMode: "serverless", storageEncrypted: false }],
            ["test_failure_explicit", "fail", { engineVersion: "5.7.mysql_aurora.2.03.2", storageEncrypted: false }],
            ["test_failure_default", "fail", { engineVersion: "5.7.mysql_aurora.2.03.2" }],
        ] as const
    ).map(([test, expect, extra]) =>
        rdsCluster(
            `checkov.CKV_AWS_96.${test}.test`,
            expect,
            checkov(`${CKV_RDS}/test_AuroraEncryption.py`, "CKV_AWS_96", `${test}: aws_rds_cluster.test`),
            // the serverless tests set no engine: aurora-mysql added (required by the SDK)
            { ...CKV_CLUSTER, ...extra },
            "storageEncrypted",
        ),
    ),
    // checkov CKV_AWS_139: aws_rds_cluster deletion_protection true (unset fails).
    ...(
        [
            ["test_failure", "fail", false],
            ["test_failure_missing_attribute", "fail", undefined],
            ["test_success", "pass", true],
        ] as const
    ).map(([test, expect, deletionProtection]) =>
        rdsCluster(
            `checkov.CKV_AWS_139.${test}.default`,
            expect,
            checkov(`${CKV_RDS}/test_RDSDeletionProtection.py`, "CKV_AWS_139", `${test}: aws_rds_cluster.default`),
            { ...CKV_CLUSTER, deletionProtection },
            "deletionProtection",
        ),
    ),
    // trivy AVD-AWS-0080 (encrypt-instance-storage-data): storage_encrypted on instances that are not replicas.
    rdsInstance(
        "trivy.AVD-AWS-0080.good-0.good_example",
        "pass",
        trivy(
            `${TRIVY_RDS}/encrypt_instance_storage_data.yaml`,
            "AVD-AWS-0080",
            "terraform.good[0]: aws_db_instance.good_example",
        ),
        { instanceClass: "db.t3.micro", storageEncrypted: true }, // instanceClass added: required by the SDK
        "storageEncrypted",
    ),
    rdsInstance(
        "trivy.AVD-AWS-0080.bad-0.bad_example",
        "fail",
        trivy(
            `${TRIVY_RDS}/encrypt_instance_storage_data.yaml`,
            "AVD-AWS-0080",
            "terraform.bad[0]: aws_db_instance.bad_example",
        ),
        { instanceClass: "db.t3.micro" },
        "storageEncrypted",
    ),
    // trivy AVD-AWS-0079 (encrypt-cluster-storage-data): storage_encrypted AND a customer-managed kms_key_id.
    // The examples' `name` is no aws_rds_cluster argument: read as clusterIdentifier; engine added (SDK).
    rdsCluster(
        "trivy.AVD-AWS-0079.good-0.good_example",
        "pass",
        trivy(
            `${TRIVY_RDS}/encrypt_cluster_storage_data.yaml`,
            "AVD-AWS-0079",
            "terraform.good[0]: aws_rds_cluster.good_example",
        ),
        { clusterIdentifier: "bar", engine: "aurora-mysql", kmsKeyId: KMS_ARN, storageEncrypted: true },
        "storageEncrypted",
    ),
    rdsCluster(
        "trivy.AVD-AWS-0079.bad-0.bad_example",
        "fail",
        trivy(
            `${TRIVY_RDS}/encrypt_cluster_storage_data.yaml`,
            "AVD-AWS-0079",
            "terraform.bad[0]: aws_rds_cluster.bad_example",
        ),
        { clusterIdentifier: "bar", engine: "aurora-mysql", kmsKeyId: "" },
        "storageEncrypted",
    ),
    // Encrypted with the AWS-managed key: trivy fails it for the missing customer-managed key.
    rdsCluster(
        "trivy.AVD-AWS-0079.bad-1.bad_example",
        "fail",
        trivy(
            `${TRIVY_RDS}/encrypt_cluster_storage_data.yaml`,
            "AVD-AWS-0079",
            "terraform.bad[1]: aws_rds_cluster.bad_example",
        ),
        { clusterIdentifier: "bar", engine: "aurora-mysql", storageEncrypted: true },
        "storageEncrypted",
    ),
    // trivy AVD-AWS-0180 (aws-rds-enable-public-access): publicly_accessible not true on instances and cluster instances.
    rdsInstance(
        "trivy.AVD-AWS-0180.good-0.good_example",
        "pass",
        trivy(
            `${TRIVY_RDS}/disable_public_access.yaml`,
            "AVD-AWS-0180",
            "terraform.good[0]: aws_db_instance.good_example",
        ),
        { instanceClass: "db.t3.micro", publiclyAccessible: false },
        "publiclyAccessible",
    ),
    rdsInstance(
        "trivy.AVD-AWS-0180.bad-0.bad_example",
        "fail",
        trivy(
            `${TRIVY_RDS}/disable_public_access.yaml`,
            "AVD-AWS-0180",
            "terraform.bad[0]: aws_db_instance.bad_example",
        ),
        { instanceClass: "db.t3.micro", publiclyAccessible: true },
        "publiclyAccessible",
    ),
    ...(
        [
            ["test_when_cluster_disabled", "pass", false],
            ["test_when_cluster_enabled", "fail", true],
        ] as const
    ).map(([test, expect, publiclyAccessible]) =>
        scannerCase({
            policy: RDS,
            id: `trivy.AVD-AWS-0180.${test}`,
            expect,
            type: "aws:rds/clusterInstance:ClusterInstance",
            props: { ...AURORA_INSTANCE, publiclyAccessible },
            source: trivy(`${TRIVY_RDS}/disable_public_access_test.rego`, "AVD-AWS-0180", test),
        }),
    ),
    // trivy AVD-AWS-0077 (specify-backup-retention): retention of at least 2 days (unset: 1) on non-replicas.
    rdsCluster(
        "trivy.AVD-AWS-0077.good-0.good_example",
        "pass",
        trivy(
            `${TRIVY_RDS}/specify_backup_retention.yaml`,
            "AVD-AWS-0077",
            "terraform.good[0]: aws_rds_cluster.good_example",
        ),
        { ...CKV_CLUSTER, engineVersion: "5.7.mysql_aurora.2.03.2", backupRetentionPeriod: 5 },
        "backupRetentionPeriod",
    ),
    rdsInstance(
        "trivy.AVD-AWS-0077.good-1.good_example",
        "pass",
        trivy(
            `${TRIVY_RDS}/specify_backup_retention.yaml`,
            "AVD-AWS-0077",
            "terraform.good[1]: aws_db_instance.good_example",
        ),
        { ...TRIVY_0077_INSTANCE, backupRetentionPeriod: 5 },
        "backupRetentionPeriod",
    ),
    rdsInstance(
        "trivy.AVD-AWS-0077.bad-0.bad_example",
        "fail",
        trivy(
            `${TRIVY_RDS}/specify_backup_retention.yaml`,
            "AVD-AWS-0077",
            "terraform.bad[0]: aws_db_instance.bad_example",
        ),
        { ...TRIVY_0077_INSTANCE, backupRetentionPeriod: 1 },
        "backupRetentionPeriod",
    ),
    rdsInstance(
        "trivy.AVD-AWS-0077.bad-1.bad_example",
        "fail",
        trivy(
            `${TRIVY_RDS}/specify_backup_retention.yaml`,
            "AVD-AWS-0077",
            "terraform.bad[1]: aws_db_instance.bad_example",
        ),
        { ...TRIVY_0077_INSTANCE },
        "backupRetentionPeriod",
    ),
    rdsCluster(
        "trivy.AVD-AWS-0077.bad-2.bad_example",
        "fail",
        trivy(
            `${TRIVY_RDS}/specify_backup_retention.yaml`,
            "AVD-AWS-0077",
            "terraform.bad[2]: aws_rds_cluster.bad_example",
        ),
        { ...CKV_CLUSTER, engineVersion: "5.7.mysql_aurora.2.03.2", backupRetentionPeriod: undefined },
        "backupRetentionPeriod",
    ),
    rdsCluster(
        "trivy.AVD-AWS-0077.test_deny_1_retention_period",
        "fail",
        trivy(`${TRIVY_RDS}/specify_backup_retention_test.rego`, "AVD-AWS-0077", "test_deny_1_retention_period"),
        { engine: "aurora-mysql", backupRetentionPeriod: 1 },
        "backupRetentionPeriod",
    ),
    rdsInstance(
        "trivy.AVD-AWS-0077.test_allow_2_retention_period",
        "pass",
        trivy(`${TRIVY_RDS}/specify_backup_retention_test.rego`, "AVD-AWS-0077", "test_allow_2_retention_period"),
        { instanceClass: "db.t3.micro", backupRetentionPeriod: 2 },
        "backupRetentionPeriod",
    ),
    // trivy AVD-AWS-0177 (enable-deletion-protection, instances) and AVD-AWS-0343 (clusters): no Terraform
    // examples, only rego tests.
    rdsInstance(
        "trivy.AVD-AWS-0177.test_detects_when_disabled",
        "fail",
        trivy(`${TRIVY_RDS}/enable_deletion_protection_test.rego`, "AVD-AWS-0177", "test_detects_when_disabled"),
        { instanceClass: "db.t3.micro", deletionProtection: false },
        "deletionProtection",
    ),
    rdsInstance(
        "trivy.AVD-AWS-0177.test_when_enabled",
        "pass",
        trivy(`${TRIVY_RDS}/enable_deletion_protection_test.rego`, "AVD-AWS-0177", "test_when_enabled"),
        { instanceClass: "db.t3.micro", deletionProtection: true },
        "deletionProtection",
    ),
    rdsCluster(
        "trivy.AVD-AWS-0343.test_deny_deletion_protection_disabled",
        "fail",
        trivy(
            `${TRIVY_RDS}/enable_cluster_deletion_protection_test.rego`,
            "AVD-AWS-0343",
            "test_deny_deletion_protection_disabled",
        ),
        { engine: "aurora-mysql", deletionProtection: false },
        "deletionProtection",
    ),
    rdsCluster(
        "trivy.AVD-AWS-0343.test_allow_deletion_protection_enabled",
        "pass",
        trivy(
            `${TRIVY_RDS}/enable_cluster_deletion_protection_test.rego`,
            "AVD-AWS-0343",
            "test_allow_deletion_protection_enabled",
        ),
        { engine: "aurora-mysql", deletionProtection: true },
        "deletionProtection",
    ),
];

// ---------------------------------------------------------------------------------------------
// s3-bucket-hardened
// ---------------------------------------------------------------------------------------------

const GRAPH = "tests/terraform/graph/checks/resources";
const CKV_S3 = "tests/terraform/checks/resource/aws";
const TRIVY_S3 = "checks/cloud/aws/s3";

const S3_CASES: ScannerCase[] = [
    // checkov CKV_AWS_18: a logging block on the bucket or an aws_s3_bucket_logging connected to it.
    s3Case(
        "checkov.CKV_AWS_18.bucket_good_1",
        "pass",
        checkov(`${GRAPH}/S3BucketLogging/main.tf`, "CKV_AWS_18", "aws_s3_bucket.bucket_good_1"),
        {
            also: (b) => [loggingOf(b, "log-bucket", "example")],
            subject: ["logging"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_18.bucket_good_2",
        "pass",
        checkov(`${GRAPH}/S3BucketLogging/main.tf`, "CKV_AWS_18", "aws_s3_bucket.bucket_good_2"),
        {
            props: { logging: { targetBucket: "log-bucket", targetPrefix: "log/" } },
            subject: ["logging"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_18.bucket_bad_1",
        "fail",
        checkov(`${GRAPH}/S3BucketLogging/main.tf`, "CKV_AWS_18", "aws_s3_bucket.bucket_bad_1"),
        {
            subject: ["logging"],
        },
    ),

    // checkov CKV_AWS_19: default encryption aws:kms or AES256, inline or connected; no configuration at all passes (S3's default SSE-S3).
    s3Case(
        "checkov.CKV_AWS_19.bucket_good_1",
        "pass",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.bucket_good_1"),
        {
            also: (b) => [sseOf(b, "aws:kms", "good_sse_1", KMS_ARN)],
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_19.bucket_good_2",
        "pass",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.bucket_good_2"),
        {
            also: (b) => [sseOf(b, "AES256", "good_sse_2", KMS_ARN)],
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_19.bucket_good_3",
        "pass",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.bucket_good_3"),
        {
            props: {
                serverSideEncryptionConfiguration: {
                    rule: { applyServerSideEncryptionByDefault: { kmsMasterKeyId: KMS_ARN, sseAlgorithm: "aws:kms" } },
                },
            },
            subject: ["encryption"],
        },
    ),
    // A dynamic block, as if its for_each variable were true.
    s3Case(
        "checkov.CKV_AWS_19.bucket_good_5",
        "pass",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.bucket_good_5"),
        {
            props: {
                serverSideEncryptionConfiguration: {
                    rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
                },
            },
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_19.bucket_good_6",
        "pass",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.bucket_good_6"),
        {
            also: (b) => [sseOf(b, "aws:kms", "good_sse_3")],
            subject: ["encryption"],
        },
    ),
    // No encryption configuration: checkov relies on S3's default encryption (SSE-S3 since January 2023).
    s3Case(
        "checkov.CKV_AWS_19.default_encryption_bucket",
        "pass",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.default_encryption_bucket"),
        {
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_19.bucket_bad_2",
        "fail",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.bucket_bad_2"),
        {
            props: {
                serverSideEncryptionConfiguration: {
                    rule: {
                        applyServerSideEncryptionByDefault: { kmsMasterKeyId: KMS_ARN, sseAlgorithm: "metallica" },
                    },
                },
            },
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_19.bucket_bad_3",
        "fail",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.bucket_bad_3"),
        {
            also: (b) => [sseOf(b, "iron maiden", "bad_sse_1", KMS_ARN)],
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_19.bucket_bad_5",
        "fail",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.bucket_bad_5"),
        {
            props: {
                serverSideEncryptionConfiguration: {
                    rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "jack daniels" } },
                },
            },
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_19.bucket_bad_6",
        "fail",
        checkov(`${GRAPH}/S3BucketEncryption/main.tf`, "CKV_AWS_19", "aws_s3_bucket.bucket_bad_6"),
        {
            also: (b) => [sseOf(b, "johnnie walker", "bad_sse_3")],
            subject: ["encryption"],
        },
    ),

    // checkov CKV_AWS_145: default encryption aws:kms (AES256 or none fails).
    s3Case(
        "checkov.CKV_AWS_145.bucket_good_1",
        "pass",
        checkov(`${GRAPH}/S3KMSEncryptedByDefault/main.tf`, "CKV_AWS_145", "aws_s3_bucket.bucket_good_1"),
        {
            also: (b) => [sseOf(b, "aws:kms", "good_sse_1", KMS_ARN)],
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_145.bucket_good_3",
        "pass",
        checkov(`${GRAPH}/S3KMSEncryptedByDefault/main.tf`, "CKV_AWS_145", "aws_s3_bucket.bucket_good_3"),
        {
            props: {
                serverSideEncryptionConfiguration: {
                    rule: { applyServerSideEncryptionByDefault: { kmsMasterKeyId: KMS_ARN, sseAlgorithm: "aws:kms" } },
                },
            },
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_145.bucket_good_6",
        "pass",
        checkov(`${GRAPH}/S3KMSEncryptedByDefault/main.tf`, "CKV_AWS_145", "aws_s3_bucket.bucket_good_6"),
        {
            also: (b) => [sseOf(b, "aws:kms", "good_sse_3")],
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_145.bucket_bad_1",
        "fail",
        checkov(`${GRAPH}/S3KMSEncryptedByDefault/main.tf`, "CKV_AWS_145", "aws_s3_bucket.bucket_bad_1"),
        {
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_145.bucket_bad_2",
        "fail",
        checkov(`${GRAPH}/S3KMSEncryptedByDefault/main.tf`, "CKV_AWS_145", "aws_s3_bucket.bucket_bad_2"),
        {
            props: {
                serverSideEncryptionConfiguration: {
                    rule: {
                        applyServerSideEncryptionByDefault: { kmsMasterKeyId: KMS_ARN, sseAlgorithm: "metallica" },
                    },
                },
            },
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_145.bucket_bad_3",
        "fail",
        checkov(`${GRAPH}/S3KMSEncryptedByDefault/main.tf`, "CKV_AWS_145", "aws_s3_bucket.bucket_bad_3"),
        {
            also: (b) => [sseOf(b, "iron maiden", "bad_sse_1", KMS_ARN)],
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_145.bucket_bad_5",
        "fail",
        checkov(`${GRAPH}/S3KMSEncryptedByDefault/main.tf`, "CKV_AWS_145", "aws_s3_bucket.bucket_bad_5"),
        {
            props: {
                serverSideEncryptionConfiguration: {
                    rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "jack daniels" } },
                },
            },
            subject: ["encryption"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_145.bucket_bad_6",
        "fail",
        checkov(`${GRAPH}/S3KMSEncryptedByDefault/main.tf`, "CKV_AWS_145", "aws_s3_bucket.bucket_bad_6"),
        {
            also: (b) => [sseOf(b, "johnnie walker", "bad_sse_3")],
            subject: ["encryption"],
        },
    ),

    // checkov CKV_AWS_21: versioning.enabled true inline, or a connected aws_s3_bucket_versioning with status Enabled.
    s3Case(
        "checkov.CKV_AWS_21.enabled",
        "pass",
        checkov(`${GRAPH}/S3BucketVersioning/main.tf`, "CKV_AWS_21", "aws_s3_bucket.enabled"),
        {
            props: { versioning: { enabled: true } },
            subject: ["versioning"],
        },
    ),
    // var.versioning_enabled defaults to true.
    s3Case(
        "checkov.CKV_AWS_21.enabled_var",
        "pass",
        checkov(`${GRAPH}/S3BucketVersioning/main.tf`, "CKV_AWS_21", "aws_s3_bucket.enabled_var"),
        {
            props: { versioning: { enabled: true } },
            subject: ["versioning"],
        },
    ),
    // Bucket and versioning share a name through a variable (and through a local).
    s3Case(
        "checkov.CKV_AWS_21.ref_by_name",
        "pass",
        checkov(`${GRAPH}/S3BucketVersioning/main.tf`, "CKV_AWS_21", "aws_s3_bucket.ref_by_name"),
        {
            also: (b) => [versioningOf(b, "Enabled", "aws_bucket_versioning")],
            subject: ["versioning"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_21.ref_by_name_local",
        "pass",
        checkov(`${GRAPH}/S3BucketVersioning/main.tf`, "CKV_AWS_21", "aws_s3_bucket.ref_by_name_local"),
        {
            also: (b) => [versioningOf(b, "Enabled", "aws_bucket_versioning_local")],
            subject: ["versioning"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_21.enabled_v4",
        "pass",
        checkov(`${GRAPH}/S3BucketVersioning/main.tf`, "CKV_AWS_21", "aws_s3_bucket.enabled_v4"),
        {
            also: (b) => [versioningOf(b, "Enabled", "enabled_v4")],
            subject: ["versioning"],
        },
    ),
    // for_each over two buckets, each with its versioning.
    ...["test-bucket1", "test-bucket2"].map((key) =>
        s3Case(
            `checkov.CKV_AWS_21.this.${key}`,
            "pass",
            checkov(`${GRAPH}/S3BucketVersioning/main.tf`, "CKV_AWS_21", `aws_s3_bucket.this["${key}"]`),
            {
                props: { tags: { Env: "DEV", Point_of_Contact: "CloudSec", Managed_by_Terraform: "true" } },
                also: (b) => [versioningOf(b, "Enabled", "this")],
                subject: ["versioning"],
            },
        ),
    ),
    s3Case(
        "checkov.CKV_AWS_21.default",
        "fail",
        checkov(`${GRAPH}/S3BucketVersioning/main.tf`, "CKV_AWS_21", "aws_s3_bucket.default"),
        {
            subject: ["versioning"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_21.disabled",
        "fail",
        checkov(`${GRAPH}/S3BucketVersioning/main.tf`, "CKV_AWS_21", "aws_s3_bucket.disabled"),
        {
            props: { versioning: { enabled: false } },
            subject: ["versioning"],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_21.disabled_v4",
        "fail",
        checkov(`${GRAPH}/S3BucketVersioning/main.tf`, "CKV_AWS_21", "aws_s3_bucket.disabled_v4"),
        {
            also: (b) => [versioningOf(b, "Suspended", "disabled_v4")],
            subject: ["versioning"],
        },
    ),

    // checkov CKV_AWS_20: no public-read, public-read-write, website or authenticated-read ACL and no AllUsers grant
    // (the public access block plays no part: completed everywhere).
    s3Case(
        "checkov.CKV_AWS_20.private_acl",
        "pass",
        checkov(`${GRAPH}/S3PublicACLRead/main.tf`, "CKV_AWS_20", "aws_s3_bucket.private_acl"),
        {
            props: { acl: "private" },
            subject: [],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_20.no_acl",
        "pass",
        checkov(`${GRAPH}/S3PublicACLRead/main.tf`, "CKV_AWS_20", "aws_s3_bucket.no_acl"),
        {
            subject: [],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_20.private_acl_v4",
        "pass",
        checkov(`${GRAPH}/S3PublicACLRead/main.tf`, "CKV_AWS_20", "aws_s3_bucket.private_acl_v4"),
        {
            also: (b) => [aclOf(b, "private", "private_acl_v4")],
            subject: [],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_20.no_grant",
        "pass",
        checkov(`${GRAPH}/S3PublicACLRead/main.tf`, "CKV_AWS_20", "aws_s3_bucket.no_grant"),
        {
            also: (b) => [
                companion({
                    type: "aws:s3/bucketAcl:BucketAcl",
                    name: "no_grant",
                    props: { bucket: b, accessControlPolicy: { owner: { id: CANONICAL_USER } } },
                }),
            ],
            subject: [],
        },
    ),
    s3Case(
        "checkov.CKV_AWS_20.grant_onwer",
        "pass",
        checkov(`${GRAPH}/S3PublicACLRead/main.tf`, "CKV_AWS_20", "aws_s3_bucket.grant_onwer"),
        {
            also: (b) => [
                companion({
                    type: "aws:s3/bucketAcl:BucketAcl",
                    name: "grant_onwer",
                    props: {
                        bucket: b,
                        accessControlPolicy: {
                            owner: { id: CANONICAL_USER },
                            grants: [{ grantee: { id: CANONICAL_USER, type: "CanonicalUser" }, permission: "READ" }],
                        },
                    },
                }),
            ],
            subject: [],
        },
    ),
    // A bucket with the same resource name as a failing one, in another module, with a private ACL.
    s3Case(
        "checkov.CKV_AWS_20.same_resource_name.public_read",
        "pass",
        checkov(`${GRAPH}/S3PublicACLRead/same_resource_name/main.tf`, "CKV_AWS_20", "aws_s3_bucket.public_read"),
        {
            also: (b) => [aclOf(b, "private", "this_is_me")],
            subject: [],
        },
    ),
    ...["public-read", "public-read-write", "website", "authenticated-read"].flatMap((acl) => {
        const name = acl.replace(/-/g, "_");
        return [
            s3Case(
                `checkov.CKV_AWS_20.${name}`,
                "fail",
                checkov(`${GRAPH}/S3PublicACLRead/main.tf`, "CKV_AWS_20", `aws_s3_bucket.${name}`),
                {
                    props: { acl },
                    subject: [],
                },
            ),
            s3Case(
                `checkov.CKV_AWS_20.${name}_v4`,
                "fail",
                checkov(`${GRAPH}/S3PublicACLRead/main.tf`, "CKV_AWS_20", `aws_s3_bucket.${name}_v4`),
                {
                    also: (b) => [aclOf(b, acl, `${name}_v4`)],
                    subject: [],
                },
            ),
        ];
    }),
    s3Case(
        "checkov.CKV_AWS_20.grant_public_read_all",
        "fail",
        checkov(`${GRAPH}/S3PublicACLRead/main.tf`, "CKV_AWS_20", "aws_s3_bucket.grant_public_read_all"),
        {
            also: (b) => [
                companion({
                    type: "aws:s3/bucketAcl:BucketAcl",
                    name: "grant_public_read_all",
                    props: {
                        bucket: b,
                        accessControlPolicy: {
                            owner: { id: CANONICAL_USER },
                            grants: [
                                { grantee: { id: CANONICAL_USER, type: "CanonicalUser" }, permission: "READ" },
                                {
                                    grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" },
                                    permission: "READ",
                                },
                            ],
                        },
                    },
                }),
            ],
            subject: [],
        },
    ),

    // checkov CKV_AWS_53 / 54 / 55 / 56: one flag each of aws_s3_bucket_public_access_block (bucket "foo", no
    // aws_s3_bucket in the source: the bucket is added as the judged resource).
    ...(
        [
            ["CKV_AWS_53", "S3BlockPublicACLs", "blockPublicAcls"],
            ["CKV_AWS_54", "S3BlockPublicPolicy", "blockPublicPolicy"],
            ["CKV_AWS_55", "S3IgnorePublicACLs", "ignorePublicAcls"],
            ["CKV_AWS_56", "S3RestrictPublicBuckets", "restrictPublicBuckets"],
        ] as const
    ).flatMap(([check, test, flag]) =>
        (
            [
                ["test_failure", "fail", false],
                ["test_success", "pass", true],
            ] as const
        ).map(([name, expect, value]) =>
            s3Case(
                `checkov.${check}.${name}`,
                expect,
                checkov(`${CKV_S3}/test_${test}.py`, check, `${name}: aws_s3_bucket_public_access_block (bucket foo)`),
                {
                    also: (b) => [publicAccessBlockOf(b, { ...ALL_BLOCKED, [flag]: value })],
                    subject: ["publicAccessBlock"],
                },
            ),
        ),
    ),

    // checkov CKV2_AWS_6: a connected aws_s3_bucket_public_access_block with block_public_acls and block_public_policy true.
    s3Case(
        "checkov.CKV2_AWS_6.bucket_good_1",
        "pass",
        checkov(`${GRAPH}/S3BucketHasPublicAccessBlock/main.tf`, "CKV2_AWS_6", "aws_s3_bucket.bucket_good_1"),
        {
            also: (b) => [publicAccessBlockOf(b, { blockPublicAcls: true, blockPublicPolicy: true }, "access_good_1")],
            subject: ["publicAccessBlock"],
        },
    ),
    s3Case(
        "checkov.CKV2_AWS_6.bucket_bad_1",
        "fail",
        checkov(`${GRAPH}/S3BucketHasPublicAccessBlock/main.tf`, "CKV2_AWS_6", "aws_s3_bucket.bucket_bad_1"),
        {
            also: (b) => [publicAccessBlockOf(b, {}, "access_bad_1")],
            subject: ["publicAccessBlock"],
        },
    ),
    s3Case(
        "checkov.CKV2_AWS_6.bucket_bad_2",
        "fail",
        checkov(`${GRAPH}/S3BucketHasPublicAccessBlock/main.tf`, "CKV2_AWS_6", "aws_s3_bucket.bucket_bad_2"),
        {
            also: (b) => [publicAccessBlockOf(b, { blockPublicAcls: false, blockPublicPolicy: false }, "access_bad_2")],
            subject: ["publicAccessBlock"],
        },
    ),
    s3Case(
        "checkov.CKV2_AWS_6.bucket_bad_3",
        "fail",
        checkov(`${GRAPH}/S3BucketHasPublicAccessBlock/main.tf`, "CKV2_AWS_6", "aws_s3_bucket.bucket_bad_3"),
        {
            also: (b) => [publicAccessBlockOf(b, { blockPublicAcls: false, blockPublicPolicy: true }, "access_bad_3")],
            subject: ["publicAccessBlock"],
        },
    ),
    s3Case(
        "checkov.CKV2_AWS_6.bucket_bad_4",
        "fail",
        checkov(`${GRAPH}/S3BucketHasPublicAccessBlock/main.tf`, "CKV2_AWS_6", "aws_s3_bucket.bucket_bad_4"),
        {
            subject: ["publicAccessBlock"],
        },
    ),

    // trivy AVD-AWS-0090 (enable-versioning): versioning enabled inline or by aws_s3_bucket_versioning.
    // Where a source bucket has no name, the case's name is given so its companions attach.
    s3Case(
        "trivy.AVD-AWS-0090.good-0.good_example",
        "pass",
        trivy(`${TRIVY_S3}/enable_versioning.yaml`, "AVD-AWS-0090", "terraform.good[0]: aws_s3_bucket.good_example"),
        {
            props: { versioning: { enabled: true } },
            subject: ["versioning"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0090.good-1.good_example",
        "pass",
        trivy(`${TRIVY_S3}/enable_versioning.yaml`, "AVD-AWS-0090", "terraform.good[1]: aws_s3_bucket.good_example"),
        {
            also: (b) => [versioningOf(b, "Enabled", "example")],
            subject: ["versioning"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0090.bad-0.bad_example",
        "fail",
        trivy(`${TRIVY_S3}/enable_versioning.yaml`, "AVD-AWS-0090", "terraform.bad[0]: aws_s3_bucket.bad_example"),
        {
            subject: ["versioning"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0090.bad-1.bad_example",
        "fail",
        trivy(`${TRIVY_S3}/enable_versioning.yaml`, "AVD-AWS-0090", "terraform.bad[1]: aws_s3_bucket.bad_example"),
        {
            props: { versioning: { enabled: false } },
            subject: ["versioning"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0090.bad-2.bad_example",
        "fail",
        trivy(`${TRIVY_S3}/enable_versioning.yaml`, "AVD-AWS-0090", "terraform.bad[2]: aws_s3_bucket.bad_example"),
        {
            also: (b) => [versioningOf(b, "Disabled", "example")],
            subject: ["versioning"],
        },
    ),

    // trivy AVD-AWS-0088 (enable-bucket-encryption): a default encryption rule with an algorithm.
    s3Case(
        "trivy.AVD-AWS-0088.good-0.good_example",
        "pass",
        trivy(
            `${TRIVY_S3}/enable_bucket_encryption.yaml`,
            "AVD-AWS-0088",
            "terraform.good[0]: aws_s3_bucket.good_example",
        ),
        {
            props: {
                serverSideEncryptionConfiguration: {
                    rule: { applyServerSideEncryptionByDefault: { kmsMasterKeyId: "arn", sseAlgorithm: "aws:kms" } },
                },
            },
            subject: ["encryption"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0088.good-1.good_example",
        "pass",
        trivy(
            `${TRIVY_S3}/enable_bucket_encryption.yaml`,
            "AVD-AWS-0088",
            "terraform.good[1]: aws_s3_bucket.good_example",
        ),
        {
            also: (b) => [sseOf(b, "aws:kms", "example", KMS_ARN)],
            subject: ["encryption"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0088.bad-0.bad_example",
        "fail",
        trivy(
            `${TRIVY_S3}/enable_bucket_encryption.yaml`,
            "AVD-AWS-0088",
            "terraform.bad[0]: aws_s3_bucket.bad_example",
        ),
        {
            subject: ["encryption"],
        },
    ),
    // An encryption configuration with an empty rule.
    s3Case(
        "trivy.AVD-AWS-0088.bad-1.bad_example",
        "fail",
        trivy(
            `${TRIVY_S3}/enable_bucket_encryption.yaml`,
            "AVD-AWS-0088",
            "terraform.bad[1]: aws_s3_bucket.bad_example",
        ),
        {
            also: (b) => [
                companion({
                    type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                    name: "example",
                    props: { bucket: b, rules: [{}] },
                }),
            ],
            subject: ["encryption"],
        },
    ),

    // trivy AVD-AWS-0089 (enable-logging): logging on, unless the bucket grants the log delivery group or
    // logging.s3.amazonaws.com write access (a log bucket).
    s3Case(
        "trivy.AVD-AWS-0089.good-0.this",
        "pass",
        trivy(`${TRIVY_S3}/enable_logging.yaml`, "AVD-AWS-0089", "terraform.good[0]: aws_s3_bucket.this"),
        {
            props: { logging: { targetBucket: "test-log-bucket", targetPrefix: "log/" } },
            subject: ["logging"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0089.good-1.this",
        "pass",
        trivy(`${TRIVY_S3}/enable_logging.yaml`, "AVD-AWS-0089", "terraform.good[1]: aws_s3_bucket.this"),
        {
            also: (b) => [loggingOf(b, "test-log-bucket", "this")],
            subject: ["logging"],
        },
    ),
    // The example's log bucket (no logging of its own, log-delivery-write ACL); the aws_s3_bucket_logging of
    // aws_s3_bucket.this that targets it is kept (the `this` bucket itself is the case above).
    s3Case(
        "trivy.AVD-AWS-0089.good-1.log_bucket",
        "pass",
        trivy(`${TRIVY_S3}/enable_logging.yaml`, "AVD-AWS-0089", "terraform.good[1]: aws_s3_bucket.log_bucket"),
        {
            also: (b) => [
                aclOf(b, "log-delivery-write", "log_bucket"),
                companion({
                    type: "aws:s3/bucketLogging:BucketLogging",
                    name: "this",
                    props: { bucket: slug("trivy.AVD-AWS-0089.good-1.this"), targetBucket: b, targetPrefix: "log/" },
                }),
            ],
            subject: ["logging"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0089.bad-0.this",
        "fail",
        trivy(`${TRIVY_S3}/enable_logging.yaml`, "AVD-AWS-0089", "terraform.bad[0]: aws_s3_bucket.this"),
        {
            subject: ["logging"],
        },
    ),

    // trivy AVD-AWS-0086 / 0087 / 0091 / 0093: a public access block with block_public_acls / block_public_policy /
    // ignore_public_acls / restrict_public_buckets true (no block fails). The blocks are kept as the source has them.
    ...(
        [
            ["AVD-AWS-0086", "block_public_acls", "blockPublicAcls"],
            ["AVD-AWS-0087", "block_public_policy", "blockPublicPolicy"],
            ["AVD-AWS-0091", "ignore_public_acls", "ignorePublicAcls"],
            ["AVD-AWS-0093", "no_public_buckets", "restrictPublicBuckets"],
        ] as const
    ).flatMap(([check, file, flag]) => {
        const yaml = `${TRIVY_S3}/${file}.yaml`;
        return [
            s3Case(`trivy.${check}.good-0`, "pass", trivy(yaml, check, "terraform.good[0]"), {
                also: (b) => [publicAccessBlockOf(b, { [flag]: true })],
                subject: ["publicAccessBlock"],
            }),
            s3Case(`trivy.${check}.bad-0`, "fail", trivy(yaml, check, "terraform.bad[0]"), {
                also: (b) => [publicAccessBlockOf(b, {})],
                subject: ["publicAccessBlock"],
            }),
            s3Case(`trivy.${check}.bad-1`, "fail", trivy(yaml, check, "terraform.bad[1]"), {
                also: (b) => [publicAccessBlockOf(b, { [flag]: false })],
                subject: ["publicAccessBlock"],
            }),
        ];
    }),

    // trivy AVD-AWS-0094 (specify-public-access-block): any public access block (its examples' ACL "private-read"
    // is no canned ACL S3 accepts; kept).
    s3Case(
        "trivy.AVD-AWS-0094.good-0.example",
        "pass",
        trivy(
            `${TRIVY_S3}/specify_public_access_block.yaml`,
            "AVD-AWS-0094",
            "terraform.good[0]: aws_s3_bucket.example",
        ),
        {
            props: { acl: "private-read" },
            also: (b) => [publicAccessBlockOf(b, { blockPublicAcls: true, blockPublicPolicy: true }, "example")],
            subject: ["publicAccessBlock"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0094.bad-0.example",
        "fail",
        trivy(
            `${TRIVY_S3}/specify_public_access_block.yaml`,
            "AVD-AWS-0094",
            "terraform.bad[0]: aws_s3_bucket.example",
        ),
        {
            props: { acl: "private-read" },
            subject: ["publicAccessBlock"],
        },
    ),

    // trivy AVD-AWS-0092 (no-public-access-with-acl): no public-read, public-read-write, website or authenticated-read
    // ACL unless a public access block blocks or ignores public ACLs. So the failing cases get no completed
    // public access block (it would turn trivy's verdict to pass).
    s3Case(
        "trivy.AVD-AWS-0092.good-0.good_example",
        "pass",
        trivy(
            `${TRIVY_S3}/no_public_access_with_acl.yaml`,
            "AVD-AWS-0092",
            "terraform.good[0]: aws_s3_bucket.good_example",
        ),
        {
            props: { acl: "private" },
            subject: [],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0092.good-1.good_example",
        "pass",
        trivy(
            `${TRIVY_S3}/no_public_access_with_acl.yaml`,
            "AVD-AWS-0092",
            "terraform.good[1]: aws_s3_bucket.good_example",
        ),
        {
            also: (b) => [aclOf(b, "private", "example")],
            subject: [],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0092.bad-0.bad_example",
        "fail",
        trivy(
            `${TRIVY_S3}/no_public_access_with_acl.yaml`,
            "AVD-AWS-0092",
            "terraform.bad[0]: aws_s3_bucket.bad_example",
        ),
        {
            props: { acl: "public-read" },
            subject: ["publicAccessBlock"],
        },
    ),
    s3Case(
        "trivy.AVD-AWS-0092.bad-1.bad_example",
        "fail",
        trivy(
            `${TRIVY_S3}/no_public_access_with_acl.yaml`,
            "AVD-AWS-0092",
            "terraform.bad[1]: aws_s3_bucket.bad_example",
        ),
        {
            also: (b) => [aclOf(b, "authenticated-read", "example")],
            subject: ["publicAccessBlock"],
        },
    ),
];

// ---------------------------------------------------------------------------------------------
// stateful-resources-protected (crafted: no scanner reads the protect option)
// ---------------------------------------------------------------------------------------------

const STATEFUL = "stateful-resources-protected";
/** One resource of a default type, unprotected (fail) and with protect: true (pass). */
const protectedOrNot = <T extends CaseType>(
    name: string,
    type: T,
    props: (suffix: string) => ArgsByType[T],
): ScannerCase[] => [
    scannerCase({
        policy: STATEFUL,
        id: `crafted.${name}.unprotected`,
        expect: "fail",
        type,
        props: props(""),
        source: crafted(`${type} without protect`),
    }),
    scannerCase({
        policy: STATEFUL,
        id: `crafted.${name}.protected`,
        expect: "pass",
        type,
        props: props("-protected"),
        protect: true,
        source: crafted(`${type} with protect: true`),
    }),
];

/** Each default type (aws:ecs/cluster:Cluster skipped: not in ArgsByType); names differ per case. */
const STATEFUL_CASES: ScannerCase[] = [
    ...protectedOrNot("s3-bucket", "aws:s3/bucket:Bucket", (s) => ({ bucket: `stateful-bucket${s}` })),
    ...protectedOrNot("s3-bucketv2", "aws:s3/bucketV2:BucketV2", (s) => ({ bucket: `stateful-bucket-v2${s}` })),
    ...protectedOrNot("ecr-repository", "aws:ecr/repository:Repository", (s) => ({ name: `models/llama${s}` })),
    ...protectedOrNot("kms-key", "aws:kms/key:Key", () => ({ enableKeyRotation: true })),
    ...protectedOrNot("eks-cluster", "aws:eks/cluster:Cluster", (s) => ({
        name: `inference${s}`,
        roleArn: "arn:aws:iam::111122223333:role/eks-cluster",
        vpcConfig: { subnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"] },
    })),
    ...protectedOrNot("rds-instance", "aws:rds/instance:Instance", (s) => ({
        identifier: `registry${s}`,
        instanceClass: "db.t3.micro",
        engine: "postgres",
    })),
    ...protectedOrNot("rds-cluster", "aws:rds/cluster:Cluster", (s) => ({
        clusterIdentifier: `registry-aurora${s}`,
        engine: "aurora-postgresql",
    })),
    ...protectedOrNot("dynamodb-table", "aws:dynamodb/table:Table", (s) => ({
        name: `locks${s}`,
        billingMode: "PAY_PER_REQUEST",
        hashKey: "id",
        attributes: [{ name: "id", type: "S" }],
    })),
    ...protectedOrNot("efs-file-system", "aws:efs/fileSystem:FileSystem", (s) => ({
        creationToken: `model-cache${s}`,
        encrypted: true,
    })),
    ...protectedOrNot("secretsmanager-secret", "aws:secretsmanager/secret:Secret", (s) => ({ name: `hf-token${s}` })),
];

// ---------------------------------------------------------------------------------------------
// required-tags (crafted; config requiredTags ["Owner", "CostCenter"])
// ---------------------------------------------------------------------------------------------

const TAGS = "required-tags";
const TAG_CASES: ScannerCase[] = [
    scannerCase({
        policy: TAGS,
        id: "crafted.ecr-repository.missing-costcenter",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        props: { name: "models/mistral", tags: { Owner: "ml-platform" } },
        source: crafted("taggable resource with Owner but no CostCenter"),
    }),
    scannerCase({
        policy: TAGS,
        id: "crafted.dynamodb-table.empty-tags",
        expect: "fail",
        type: "aws:dynamodb/table:Table",
        props: { billingMode: "PAY_PER_REQUEST", hashKey: "id", attributes: [{ name: "id", type: "S" }], tags: {} },
        source: crafted("taggable resource with an empty tags map"),
    }),
    scannerCase({
        policy: TAGS,
        id: "crafted.kms-key.no-tags-input",
        expect: "fail",
        type: "aws:kms/key:Key",
        props: { description: "model artifacts", enableKeyRotation: true },
        source: crafted("taggable resource (KMS key) with no tags input at all"),
    }),
    scannerCase({
        policy: TAGS,
        id: "crafted.ecr-repository.both-tags",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        props: { name: "models/qwen", tags: { Owner: "ml-platform", CostCenter: "cc-1234" } },
        source: crafted("taggable resource with Owner and CostCenter"),
    }),
];

export const CASES: ScannerCase[] = [...KMS_CASES, ...RDS_CASES, ...S3_CASES, ...STATEFUL_CASES, ...TAG_CASES];
