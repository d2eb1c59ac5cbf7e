/**
 * Scanner cases for the container-platform policies: ecr-repository-hardened, ecs-task-hardened,
 * eks-cluster-hardened, efs-encrypted and log-group-hardened.
 *
 * Completion rule: these policies check several requirements at once, while a scanner's case is
 * about one of them. So a PASSING case gets the fields our other requirements need (marked
 * "completed:" in a comment), and a FAILING case gets them too where the source leaves them out,
 * so it fails only for the scanner's reason (the comment names the requirement it fails).
 *
 * Skipped (cannot be expressed, or no verdict):
 * - trivy AVD-AWS-0039 (encrypt-secrets) second bad example: encryption_config with resources
 *   ["secrets"] and no provider block. @pulumi/aws requires encryptionConfig.provider.keyArn (so does
 *   the Terraform schema), so the shape cannot be written.
 * - checkov CKV_AWS_338 "unknown": retention_in_days = var.retention, checkov returns UNKNOWN.
 * - checkov has no ECS environment-secrets check at this commit (no aws_ecs_task_definition check
 *   reads `environment`; CKV_AWS_45/46 cover Lambda env and EC2 user data only): no cases.
 * - trivy _test.rego inputs that repeat a yaml example's shape are not repeated.
 */
import {
    scannerCase,
    companion,
    type ArgsByType,
    type ScannerCase,
    checkovSource,
    craftedSource as crafted,
    trivySource,
} from "./case";

type RepositoryArgs = ArgsByType["aws:ecr/repository:Repository"];
type ClusterArgs = ArgsByType["aws:eks/cluster:Cluster"];
type LogGroupArgs = ArgsByType["aws:cloudwatch/logGroup:LogGroup"];

const CKV_TESTS = "tests/terraform/checks/resource/aws";
const TRIVY_AWS = "checks/cloud/aws";

const checkov = (file: string, check: string, name: string) => checkovSource(`${CKV_TESTS}/${file}`, check, name);
const trivy = (file: string, check: string, name: string) => trivySource(`${TRIVY_AWS}/${file}`, check, name);

const KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

// ---------------------------------------------------------------------------------------------
// ecr-repository-hardened: IMMUTABLE tags, scan on push (or registry-wide scanning covering the
// repository), KMS encryption.
// ---------------------------------------------------------------------------------------------

/** completed: the requirements a single-requirement ECR case leaves out. */
const ECR_IMMUTABLE = { imageTagMutability: "IMMUTABLE" } satisfies RepositoryArgs;
const ECR_SCAN = { imageScanningConfiguration: { scanOnPush: true } } satisfies RepositoryArgs;
const ECR_KMS = { encryptionConfigurations: [{ encryptionType: "KMS" }] } satisfies RepositoryArgs;

const ecr: ScannerCase[] = [
    // checkov CKV_AWS_51: image_tag_mutability must equal "IMMUTABLE" (IMMUTABLE_WITH_EXCLUSION fails too).
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "checkov.CKV_AWS_51.enabled",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        // completed: scanOnPush and KMS.
        props: { name: "example", imageTagMutability: "IMMUTABLE", ...ECR_SCAN, ...ECR_KMS },
        source: checkov("example_ECRImmutableTags/main.tf", "CKV_AWS_51", "aws_ecr_repository.enabled"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "checkov.CKV_AWS_51.default",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        // Fails our immutable-tags requirement (default MUTABLE); completed: scanOnPush and KMS.
        props: { name: "example", ...ECR_SCAN, ...ECR_KMS },
        source: checkov("example_ECRImmutableTags/main.tf", "CKV_AWS_51", "aws_ecr_repository.default"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "checkov.CKV_AWS_51.disabled",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        // Fails our immutable-tags requirement; completed: scanOnPush and KMS.
        props: { name: "example", imageTagMutability: "MUTABLE", ...ECR_SCAN, ...ECR_KMS },
        source: checkov("example_ECRImmutableTags/main.tf", "CKV_AWS_51", "aws_ecr_repository.disabled"),
    }),

    // checkov CKV_AWS_163: image_scanning_configuration[0].scan_on_push must be true.
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "checkov.CKV_AWS_163.test_failure",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        // Fails our scan requirement. The source sets MUTABLE: set IMMUTABLE (and KMS) so it fails only on scanning.
        props: { name: "bar", ...ECR_IMMUTABLE, ...ECR_KMS },
        source: checkov("test_ECRImageScanning.py", "CKV_AWS_163", "test_failure"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "checkov.CKV_AWS_163.test_success",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        // completed: the source sets MUTABLE, replaced by IMMUTABLE; KMS added.
        props: { name: "bar", ...ECR_IMMUTABLE, imageScanningConfiguration: { scanOnPush: true }, ...ECR_KMS },
        source: checkov("test_ECRImageScanning.py", "CKV_AWS_163", "test_success"),
    }),

    // checkov CKV_AWS_136: encryption_configuration[0].encryption_type must be "KMS" (AWS managed key is enough).
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "checkov.CKV_AWS_136.test_failure",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        // Fails our KMS requirement. Source MUTABLE replaced by IMMUTABLE so it fails only on encryption.
        props: { name: "bar", ...ECR_IMMUTABLE, imageScanningConfiguration: { scanOnPush: true } },
        source: checkov("test_ECRRepositoryEncrypted.py", "CKV_AWS_136", "test_failure"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "checkov.CKV_AWS_136.test_success",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        // completed: the source sets MUTABLE, replaced by IMMUTABLE.
        props: {
            name: "bar",
            ...ECR_IMMUTABLE,
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS" }],
        },
        source: checkov("test_ECRRepositoryEncrypted.py", "CKV_AWS_136", "test_success"),
    }),

    // trivy AVD-AWS-0030 enable-image-scans: image_scanning_configuration.scan_on_push must be true.
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "trivy.AVD-AWS-0030.good_example",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        // completed: IMMUTABLE and KMS.
        props: { name: "bar", imageScanningConfiguration: { scanOnPush: true }, ...ECR_IMMUTABLE, ...ECR_KMS },
        source: trivy("ecr/enable_image_scans.yaml", "AVD-AWS-0030", "good_example"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "trivy.AVD-AWS-0030.bad_example",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        // Fails our scan requirement; completed: IMMUTABLE and KMS.
        props: { name: "bar", imageScanningConfiguration: { scanOnPush: false }, ...ECR_IMMUTABLE, ...ECR_KMS },
        source: trivy("ecr/enable_image_scans.yaml", "AVD-AWS-0030", "bad_example"),
    }),

    // trivy AVD-AWS-0031 enforce-immutable-repository: only image_tag_mutability "IMMUTABLE" counts as immutable.
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "trivy.AVD-AWS-0031.good_example",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        // completed: scanOnPush and KMS.
        props: { name: "bar", imageTagMutability: "IMMUTABLE", ...ECR_SCAN, ...ECR_KMS },
        source: trivy("ecr/enforce_immutable_repository.yaml", "AVD-AWS-0031", "good_example"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "trivy.AVD-AWS-0031.bad_example",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        // Fails our immutable-tags requirement; completed: scanOnPush and KMS.
        props: { name: "bar", imageTagMutability: "MUTABLE", ...ECR_SCAN, ...ECR_KMS },
        source: trivy("ecr/enforce_immutable_repository.yaml", "AVD-AWS-0031", "bad_example"),
    }),

    // trivy AVD-AWS-0033 repository-customer-key: encryption type KMS AND a customer managed kms_key.
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "trivy.AVD-AWS-0033.good_example",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        // kms_key = aws_kms_key.ecr_kms.key_id; completed: IMMUTABLE and scanOnPush.
        props: {
            name: "bar",
            encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: "1234abcd-12ab-34cd-56ef-1234567890ab" }],
            ...ECR_IMMUTABLE,
            ...ECR_SCAN,
        },
        also: [
            companion({
                type: "aws:kms/key:Key",
                name: "ecr_kms",
                props: { enableKeyRotation: true },
                outputs: { arn: KMS_KEY_ARN, keyId: "1234abcd-12ab-34cd-56ef-1234567890ab" },
            }),
        ],
        source: trivy("ecr/repository_customer_key.yaml", "AVD-AWS-0033", "good_example"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "trivy.AVD-AWS-0033.bad_example.1",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        // Fails our KMS requirement (default AES256); completed: IMMUTABLE and scanOnPush.
        props: { name: "bar", ...ECR_IMMUTABLE, ...ECR_SCAN },
        source: trivy("ecr/repository_customer_key.yaml", "AVD-AWS-0033", "bad_example (1st bad example)"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "trivy.AVD-AWS-0033.bad_example.2",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        // KMS with the AWS managed key (no kms_key): trivy wants a CMK; our policy asks only for encryptionType KMS.
        // completed: IMMUTABLE and scanOnPush.
        props: { name: "bar", encryptionConfigurations: [{ encryptionType: "KMS" }], ...ECR_IMMUTABLE, ...ECR_SCAN },
        source: trivy("ecr/repository_customer_key.yaml", "AVD-AWS-0033", "bad_example (2nd bad example)"),
    }),

    // crafted: registry-wide scanning instead of the repository's own scanOnPush.
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "crafted.registry-enhanced-wildcard-all",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        props: { name: "models", ...ECR_IMMUTABLE, ...ECR_KMS },
        also: [
            companion({
                type: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
                name: "registry-scanning",
                props: {
                    scanType: "ENHANCED",
                    rules: [
                        {
                            scanFrequency: "CONTINUOUS_SCAN",
                            repositoryFilters: [{ filter: "*", filterType: "WILDCARD" }],
                        },
                    ],
                },
            }),
        ],
        source: crafted("no scanOnPush; registry-wide ENHANCED scanning with a '*' filter covers it"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "crafted.registry-enhanced-prefix-match",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        props: { name: "llm-models", ...ECR_IMMUTABLE, ...ECR_KMS },
        also: [
            companion({
                type: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
                name: "registry-scanning",
                props: {
                    scanType: "ENHANCED",
                    rules: [
                        {
                            scanFrequency: "SCAN_ON_PUSH",
                            repositoryFilters: [{ filter: "llm-*", filterType: "WILDCARD" }],
                        },
                    ],
                },
            }),
        ],
        source: crafted("no scanOnPush; registry-wide ENHANCED scanning with an 'llm-*' filter matching 'llm-models'"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "crafted.registry-enhanced-filter-no-match",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        props: { name: "models", ...ECR_IMMUTABLE, ...ECR_KMS },
        also: [
            companion({
                type: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
                name: "registry-scanning",
                props: {
                    scanType: "ENHANCED",
                    rules: [
                        {
                            scanFrequency: "CONTINUOUS_SCAN",
                            repositoryFilters: [{ filter: "prod-*", filterType: "WILDCARD" }],
                        },
                    ],
                },
            }),
        ],
        source: crafted("no scanOnPush; registry-wide ENHANCED scanning whose 'prod-*' filter does not match 'models'"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "crafted.registry-basic-scan-on-push",
        expect: "pass",
        type: "aws:ecr/repository:Repository",
        props: { name: "models", ...ECR_IMMUTABLE, ...ECR_KMS },
        also: [
            companion({
                type: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
                name: "registry-scanning",
                props: {
                    scanType: "BASIC",
                    rules: [
                        { scanFrequency: "SCAN_ON_PUSH", repositoryFilters: [{ filter: "*", filterType: "WILDCARD" }] },
                    ],
                },
            }),
        ],
        source: crafted("no scanOnPush; registry-wide BASIC scanning with a SCAN_ON_PUSH rule filtered '*'"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "crafted.registry-basic-manual-only",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        props: { name: "models", ...ECR_IMMUTABLE, ...ECR_KMS },
        also: [
            companion({
                type: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
                name: "registry-scanning",
                props: {
                    scanType: "BASIC",
                    rules: [{ scanFrequency: "MANUAL", repositoryFilters: [{ filter: "*", filterType: "WILDCARD" }] }],
                },
            }),
        ],
        source: crafted("no scanOnPush; registry-wide BASIC scanning with only a MANUAL rule"),
    }),
    scannerCase({
        policy: "ecr-repository-hardened",
        id: "crafted.immutable-with-exclusion",
        expect: "fail",
        type: "aws:ecr/repository:Repository",
        // checkov CKV_AWS_51 (exact "IMMUTABLE") and trivy AVD-AWS-0031 (only "IMMUTABLE" is true) both fail it.
        props: {
            name: "models",
            imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters: [{ filter: "latest*", filterType: "WILDCARD" }],
            ...ECR_SCAN,
            ...ECR_KMS,
        },
        source: crafted("IMMUTABLE_WITH_EXCLUSION with a 'latest*' exclusion: some tags stay mutable"),
    }),
];

// ---------------------------------------------------------------------------------------------
// ecs-task-hardened: per container numeric non-root user, read-only root, healthCheck when
// serving, logConfiguration, no secrets in environment, not privileged; task pidMode not host;
// EFS volumes with transitEncryption ENABLED.
// ---------------------------------------------------------------------------------------------

const LOGS = {
    logDriver: "awslogs",
    options: { "awslogs-group": "/ecs/service", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
};
const HEALTH = {
    command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
    interval: 30,
    timeout: 5,
    retries: 3,
};
/** completed: user, logConfiguration (read-only root added separately where a check is not about it). */
const RUN_AS = { user: "1000", logConfiguration: LOGS };
/** completed: user, read-only root and logConfiguration. */
const HARDENED = { user: "1000", readonlyRootFilesystem: true, logConfiguration: LOGS };

/** A container standing in for `file("task-definitions/service.json")`, completed to our requirements. */
const SERVICE_JSON = JSON.stringify([
    { name: "service", image: "service", cpu: 10, memory: 512, essential: true, ...HARDENED },
]);

/** The two-container task of checkov's ECSContainer* examples (name, image, cpu, memory, port). */
const first = { name: "first", image: "service-first", cpu: 10, memory: 512, essential: true };
const second = { name: "second", image: "service-second", cpu: 10, memory: 256, essential: true };
const port80 = { portMappings: [{ containerPort: 80, hostPort: 80 }] };
const port443 = { portMappings: [{ containerPort: 443, hostPort: 443 }] };
const HOST_VOLUME = [{ name: "service-storage", hostPath: "/ecs/service-storage" }];
const PLACEMENT = [{ type: "memberOf", expression: "attribute:ecs.availability-zone in [us-west-2a, us-west-2b]" }];

const ecs: ScannerCase[] = [
    // checkov CKV_AWS_97: the first volume with an efs_volume_configuration must set transit_encryption "ENABLED".
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_97.test_success_no_volume",
        expect: "pass",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // container_definitions = file(...): completed container (SERVICE_JSON).
        props: {
            family: "service",
            containerDefinitions: SERVICE_JSON,
            volumes: HOST_VOLUME,
            placementConstraints: PLACEMENT,
        },
        source: checkov("test_ECSTaskDefinitionEFSVolumeEncryption.py", "CKV_AWS_97", "test_success_no_volume"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_97.test_success",
        expect: "pass",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // container_definitions = file(...): completed container (SERVICE_JSON).
        props: {
            family: "service",
            containerDefinitions: SERVICE_JSON,
            volumes: [
                {
                    name: "service-storage",
                    efsVolumeConfiguration: {
                        fileSystemId: "fs-12345678",
                        rootDirectory: "/opt/data",
                        transitEncryption: "ENABLED",
                        transitEncryptionPort: 2999,
                        authorizationConfig: { accessPointId: "fsap-1234567890abcdef0", iam: "ENABLED" },
                    },
                },
            ],
        },
        source: checkov("test_ECSTaskDefinitionEFSVolumeEncryption.py", "CKV_AWS_97", "test_success"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_97.test_failure",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // Fails our EFS transit-encryption requirement (unset); container completed (SERVICE_JSON).
        props: {
            family: "service",
            containerDefinitions: SERVICE_JSON,
            volumes: [
                {
                    name: "service-storage",
                    efsVolumeConfiguration: {
                        fileSystemId: "fs-12345678",
                        rootDirectory: "/opt/data",
                        transitEncryptionPort: 2999,
                        authorizationConfig: { accessPointId: "fsap-1234567890abcdef0", iam: "ENABLED" },
                    },
                },
            ],
        },
        source: checkov("test_ECSTaskDefinitionEFSVolumeEncryption.py", "CKV_AWS_97", "test_failure"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_97.test_failure_explicit",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // Fails our EFS transit-encryption requirement (DISABLED); container completed (SERVICE_JSON).
        props: {
            family: "service",
            containerDefinitions: SERVICE_JSON,
            volumes: [
                {
                    name: "service-storage",
                    efsVolumeConfiguration: {
                        fileSystemId: "fs-12345678",
                        rootDirectory: "/opt/data",
                        transitEncryption: "DISABLED",
                        transitEncryptionPort: 2999,
                        authorizationConfig: { accessPointId: "fsap-1234567890abcdef0", iam: "ENABLED" },
                    },
                },
            ],
        },
        source: checkov("test_ECSTaskDefinitionEFSVolumeEncryption.py", "CKV_AWS_97", "test_failure_explicit"),
    }),

    // checkov CKV_AWS_334: fails a container with a truthy "privilege" key (sic: the ECS key is "privileged").
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_334.pass",
        expect: "pass",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // completed: user, readonlyRootFilesystem, logConfiguration, healthCheck (essential + portMappings).
        props: {
            family: "service",
            containerDefinitions: JSON.stringify([
                { ...first, ...port80, ...HARDENED, healthCheck: HEALTH },
                { ...second, ...port443, ...HARDENED, healthCheck: HEALTH },
            ]),
            volumes: HOST_VOLUME,
            placementConstraints: PLACEMENT,
        },
        source: checkov("example_ECSContainerPrivilege/main.tf", "CKV_AWS_334", "aws_ecs_task_definition.pass"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_334.fail",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // Meant for our privileged requirement, but kept as written: `privilege: true` is not an ECS
        // container field (ECS reads `privileged`), so the container is not privileged on AWS.
        // completed: user, readonlyRootFilesystem, logConfiguration, healthCheck.
        props: {
            family: "service",
            containerDefinitions: JSON.stringify([
                { ...first, ...port80, ...HARDENED, healthCheck: HEALTH },
                { ...second, privilege: true, ...port443, ...HARDENED, healthCheck: HEALTH },
            ]),
            volumes: HOST_VOLUME,
            placementConstraints: PLACEMENT,
        },
        source: checkov("example_ECSContainerPrivilege/main.tf", "CKV_AWS_334", "aws_ecs_task_definition.fail"),
    }),

    // checkov CKV_AWS_335: fails a CONTAINER with pidMode "host" (ECS's pidMode is a task-level field).
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_335.pass",
        expect: "pass",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // completed: user, readonlyRootFilesystem, logConfiguration, healthCheck.
        props: {
            family: "service",
            containerDefinitions: JSON.stringify([
                { ...first, ...port80, ...HARDENED, healthCheck: HEALTH },
                { ...second, ...port443, ...HARDENED, healthCheck: HEALTH },
            ]),
            volumes: HOST_VOLUME,
            placementConstraints: PLACEMENT,
        },
        source: checkov("example_ECSContainerHostProcess/main.tf", "CKV_AWS_335", "aws_ecs_task_definition.pass"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_335.pass2",
        expect: "pass",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // container-level pidMode "task" kept as written; completed: user, readonlyRootFilesystem, logConfiguration, healthCheck.
        props: {
            family: "service",
            containerDefinitions: JSON.stringify([
                { ...first, pidMode: "task", ...port80, ...HARDENED, healthCheck: HEALTH },
                { ...second, ...port443, ...HARDENED, healthCheck: HEALTH },
            ]),
            volumes: HOST_VOLUME,
            placementConstraints: PLACEMENT,
        },
        source: checkov("example_ECSContainerHostProcess/main.tf", "CKV_AWS_335", "aws_ecs_task_definition.pass2"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_335.fail",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // Meant for our pidMode-host requirement, but kept as written: pidMode and `privilege` sit in the
        // container, where ECS ignores them (the task's own pidMode is unset).
        // completed: user, readonlyRootFilesystem, logConfiguration, healthCheck.
        props: {
            family: "service",
            containerDefinitions: JSON.stringify([
                { ...first, ...port80, ...HARDENED, healthCheck: HEALTH },
                { ...second, privilege: true, pidMode: "host", ...port443, ...HARDENED, healthCheck: HEALTH },
            ]),
            volumes: HOST_VOLUME,
            placementConstraints: PLACEMENT,
        },
        source: checkov("example_ECSContainerHostProcess/main.tf", "CKV_AWS_335", "aws_ecs_task_definition.fail"),
    }),

    // checkov CKV_AWS_336: every container must set readonlyRootFilesystem true.
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_336.pass",
        expect: "pass",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // completed: user, logConfiguration, healthCheck.
        props: {
            family: "service",
            containerDefinitions: JSON.stringify([
                { ...first, readonlyRootFilesystem: true, ...port80, ...RUN_AS, healthCheck: HEALTH },
                { ...second, readonlyRootFilesystem: true, ...port443, ...RUN_AS, healthCheck: HEALTH },
            ]),
            volumes: HOST_VOLUME,
            placementConstraints: PLACEMENT,
        },
        source: checkov("example_ECSContainerReadOnlyRoot/main.tf", "CKV_AWS_336", "aws_ecs_task_definition.pass"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_336.fail",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // Fails our read-only-root requirement (container "second" leaves it unset).
        // completed: user, logConfiguration, healthCheck.
        props: {
            family: "service",
            containerDefinitions: JSON.stringify([
                { ...first, pidMode: "task", readonlyRootFilesystem: true, ...port80, ...RUN_AS, healthCheck: HEALTH },
                { ...second, ...port443, ...RUN_AS, healthCheck: HEALTH },
            ]),
            volumes: HOST_VOLUME,
            placementConstraints: PLACEMENT,
        },
        source: checkov("example_ECSContainerReadOnlyRoot/main.tf", "CKV_AWS_336", "aws_ecs_task_definition.fail"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "checkov.CKV_AWS_336.fail2",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // Fails our read-only-root requirement (both false); `privilege`/container pidMode kept as written.
        // completed: user, logConfiguration, healthCheck.
        props: {
            family: "service",
            containerDefinitions: JSON.stringify([
                { ...first, readonlyRootFilesystem: false, ...port80, ...RUN_AS, healthCheck: HEALTH },
                {
                    ...second,
                    privilege: true,
                    pidMode: "host",
                    readonlyRootFilesystem: false,
                    ...port443,
                    ...RUN_AS,
                    healthCheck: HEALTH,
                },
            ]),
            volumes: HOST_VOLUME,
            placementConstraints: PLACEMENT,
        },
        source: checkov("example_ECSContainerReadOnlyRoot/main.tf", "CKV_AWS_336", "aws_ecs_task_definition.fail2"),
    }),

    // trivy AVD-AWS-0036 no-plaintext-secrets: env names containing password/secret/token/api_key/...
    // (or values squealer flags as secrets) fail.
    scannerCase({
        policy: "ecs-task-hardened",
        id: "trivy.AVD-AWS-0036.good_example",
        expect: "pass",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // family added (required by the SDK); completed: image, user, readonlyRootFilesystem, logConfiguration.
        props: {
            family: "my_service",
            containerDefinitions: JSON.stringify([
                {
                    name: "my_service",
                    image: "my_service",
                    environment: [{ name: "ENVIRONMENT", value: "development" }],
                    ...HARDENED,
                },
            ]),
        },
        source: trivy("ecs/no_plaintext_secrets.yaml", "AVD-AWS-0036", "good_example"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "trivy.AVD-AWS-0036.bad_example",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // Fails our no-secrets-in-environment requirement (DATABASE_PASSWORD).
        // family added (required by the SDK); completed: image, user, readonlyRootFilesystem, logConfiguration.
        props: {
            family: "my_service",
            containerDefinitions: JSON.stringify([
                {
                    name: "my_service",
                    image: "my_service",
                    environment: [
                        { name: "ENVIRONMENT", value: "development" },
                        { name: "DATABASE_PASSWORD", value: "oh no D:" },
                    ],
                    ...HARDENED,
                },
            ]),
        },
        source: trivy("ecs/no_plaintext_secrets.yaml", "AVD-AWS-0036", "bad_example"),
    }),

    // trivy AVD-AWS-0035 enable-in-transit-encryption: every EFS volume needs transit_encryption "ENABLED".
    scannerCase({
        policy: "ecs-task-hardened",
        id: "trivy.AVD-AWS-0035.good_example",
        expect: "pass",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // family added (required by the SDK); container_definitions = file(...): completed container (SERVICE_JSON).
        props: {
            family: "service",
            containerDefinitions: SERVICE_JSON,
            volumes: [
                {
                    name: "service-storage",
                    efsVolumeConfiguration: { fileSystemId: "fs-12345678", transitEncryption: "ENABLED" },
                },
            ],
        },
        source: trivy("ecs/enable_in_transit_encryption.yaml", "AVD-AWS-0035", "good_example"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "trivy.AVD-AWS-0035.bad_example",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // Fails our EFS transit-encryption requirement; family added; container completed (SERVICE_JSON).
        props: {
            family: "service",
            containerDefinitions: SERVICE_JSON,
            volumes: [
                {
                    name: "service-storage",
                    efsVolumeConfiguration: { fileSystemId: "fs-12345678", rootDirectory: "/opt/data" },
                },
            ],
        },
        source: trivy("ecs/enable_in_transit_encryption.yaml", "AVD-AWS-0035", "bad_example"),
    }),

    // crafted: the real ECS fields behind checkov's CKV_AWS_334/335 and a gap of CKV_AWS_97.
    scannerCase({
        policy: "ecs-task-hardened",
        id: "crafted.container-privileged",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        props: {
            family: "service",
            containerDefinitions: JSON.stringify([
                { name: "agent", image: "agent", essential: true, privileged: true, ...HARDENED },
            ]),
        },
        source: crafted("container with privileged: true (the ECS field checkov's CKV_AWS_334 means)"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "crafted.task-pid-mode-host",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        props: {
            family: "service",
            pidMode: "host",
            containerDefinitions: JSON.stringify([{ name: "agent", image: "agent", essential: true, ...HARDENED }]),
        },
        source: crafted("task-level pidMode host (the ECS field checkov's CKV_AWS_335 means)"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "crafted.task-pid-mode-task",
        expect: "pass",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        props: {
            family: "service",
            pidMode: "task",
            containerDefinitions: JSON.stringify([{ name: "agent", image: "agent", essential: true, ...HARDENED }]),
        },
        source: crafted("task-level pidMode task (shared within the task only)"),
    }),
    scannerCase({
        policy: "ecs-task-hardened",
        id: "crafted.second-efs-volume-unencrypted",
        expect: "fail",
        type: "aws:ecs/taskDefinition:TaskDefinition",
        // checkov CKV_AWS_97 looks only at the first EFS volume and passes this; trivy AVD-AWS-0035 fails it.
        props: {
            family: "service",
            containerDefinitions: SERVICE_JSON,
            volumes: [
                {
                    name: "models",
                    efsVolumeConfiguration: { fileSystemId: "fs-12345678", transitEncryption: "ENABLED" },
                },
                { name: "cache", efsVolumeConfiguration: { fileSystemId: "fs-87654321" } },
            ],
        },
        source: crafted("two EFS volumes, only the first with transitEncryption ENABLED"),
    }),
];

// ---------------------------------------------------------------------------------------------
// eks-cluster-hardened: secrets encryption, endpoint private or restricted, all five log types.
// ---------------------------------------------------------------------------------------------

const ROLE_ARN = "arn:aws:iam::123456789012:role/eks-cluster";
const ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
/** completed: secrets encryption. */
const EKS_SECRETS = {
    encryptionConfig: { provider: { keyArn: KMS_KEY_ARN }, resources: ["secrets"] },
} satisfies Partial<ClusterArgs>;
/** completed: all five control-plane log types. */
const EKS_LOGS = { enabledClusterLogTypes: ALL_LOGS } satisfies Partial<ClusterArgs>;
/** completed: a private endpoint (vpc_config is required by the SDK). */
const EKS_PRIVATE = {
    vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: false },
} satisfies Partial<ClusterArgs>;

const eks: ScannerCase[] = [
    // checkov CKV_AWS_58: encryption_config[0].resources must be ["secrets"].
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_58.test_failure",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our secrets-encryption requirement (resources []).
        // completed: publicAccessCidrs (the source's endpoint is public), all log types.
        props: {
            name: "bad-eks",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: [], endpointPublicAccess: true, publicAccessCidrs: ["10.0.0.0/16"] },
            encryptionConfig: { provider: { keyArn: KMS_KEY_ARN }, resources: [] },
            ...EKS_LOGS,
        },
        source: checkov("test_EKSSecretsEncryption.py", "CKV_AWS_58", "test_failure"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_58.test_failure2",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our secrets-encryption requirement (no encryption_config). completed: publicAccessCidrs, log types.
        props: {
            name: "bad-eks2",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: [], endpointPublicAccess: true, publicAccessCidrs: ["10.0.0.0/16"] },
            ...EKS_LOGS,
        },
        source: checkov("test_EKSSecretsEncryption.py", "CKV_AWS_58", "test_failure2"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_58.test_success",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // completed: publicAccessCidrs (the source's endpoint is public), all log types.
        props: {
            name: "good-eks2",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: [], endpointPublicAccess: true, publicAccessCidrs: ["10.0.0.0/16"] },
            encryptionConfig: { provider: { keyArn: KMS_KEY_ARN }, resources: ["secrets"] },
            ...EKS_LOGS,
        },
        source: checkov("test_EKSSecretsEncryption.py", "CKV_AWS_58", "test_success"),
    }),

    // checkov CKV_AWS_39: vpc_config[0].endpoint_public_access must be false (public+restricted CIDRs still fails).
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_39.disabled",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // completed: secrets encryption, log types.
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: false },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: checkov("example_EKSPublicAccess/main.tf", "CKV_AWS_39", "aws_eks_cluster.disabled"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_39.default",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our endpoint requirement (public by default, open to 0.0.0.0/0). completed: encryption, log types.
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"] },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: checkov("example_EKSPublicAccess/main.tf", "CKV_AWS_39", "aws_eks_cluster.default"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_39.enabled",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our endpoint requirement (public, no CIDRs). completed: encryption, log types.
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: true },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: checkov("example_EKSPublicAccess/main.tf", "CKV_AWS_39", "aws_eks_cluster.enabled"),
    }),

    // checkov CKV_AWS_38: a public endpoint needs a non-empty public_access_cidrs without "0.0.0.0/0".
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_38.disabled",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // completed: encryption, log types.
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: false },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: checkov("example_EKSPublicAccessCIDR/main.tf", "CKV_AWS_38", "aws_eks_cluster.disabled"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_38.restricted",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // completed: encryption, log types.
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], publicAccessCidrs: ["10.0.0.0/16"] },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: checkov("example_EKSPublicAccessCIDR/main.tf", "CKV_AWS_38", "aws_eks_cluster.restricted"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_38.default",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our endpoint requirement. completed: encryption, log types.
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"] },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: checkov("example_EKSPublicAccessCIDR/main.tf", "CKV_AWS_38", "aws_eks_cluster.default"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_38.empty",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our endpoint requirement (empty list = 0.0.0.0/0). completed: encryption, log types.
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], publicAccessCidrs: [] },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: checkov("example_EKSPublicAccessCIDR/main.tf", "CKV_AWS_38", "aws_eks_cluster.empty"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_38.open",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our endpoint requirement. completed: encryption, log types.
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], publicAccessCidrs: ["0.0.0.0/0"] },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: checkov("example_EKSPublicAccessCIDR/main.tf", "CKV_AWS_38", "aws_eks_cluster.open"),
    }),

    // checkov CKV_AWS_37: enabled_cluster_log_types must hold all five types.
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_37.fully_enabled",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // completed: private endpoint (vpc_config), encryption.
        props: { name: "example", roleArn: ROLE_ARN, enabledClusterLogTypes: ALL_LOGS, ...EKS_PRIVATE, ...EKS_SECRETS },
        source: checkov("example_EKSControlPlaneLogging/main.tf", "CKV_AWS_37", "aws_eks_cluster.fully_enabled"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_37.fully_enabled_with_dynamic_block",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // The dynamic encryption_config block becomes a plain encryptionConfig (key_arn kept as written).
        // completed: private endpoint (vpc_config).
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            enabledClusterLogTypes: ALL_LOGS,
            encryptionConfig: { provider: { keyArn: "aws/kms/key" }, resources: ["secrets"] },
            ...EKS_PRIVATE,
        },
        source: checkov(
            "example_EKSControlPlaneLogging/main.tf",
            "CKV_AWS_37",
            "aws_eks_cluster.fully_enabled_with_dynamic_block",
        ),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_37.partially_enabled",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our logging requirement. completed: private endpoint, encryption.
        props: {
            name: "example",
            roleArn: ROLE_ARN,
            enabledClusterLogTypes: ["api", "audit"],
            ...EKS_PRIVATE,
            ...EKS_SECRETS,
        },
        source: checkov("example_EKSControlPlaneLogging/main.tf", "CKV_AWS_37", "aws_eks_cluster.partially_enabled"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "checkov.CKV_AWS_37.not_configured",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our logging requirement. completed: private endpoint, encryption.
        props: { name: "example", roleArn: ROLE_ARN, ...EKS_PRIVATE, ...EKS_SECRETS },
        source: checkov("example_EKSControlPlaneLogging/main.tf", "CKV_AWS_37", "aws_eks_cluster.not_configured"),
    }),

    // trivy AVD-AWS-0039 encrypt-secrets: resources contains "secrets" AND provider.key_arn is set.
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0039.good_example",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // key_arn = aws_kms_key.eks.arn; completed: roleArn, private endpoint, log types.
        props: {
            roleArn: ROLE_ARN,
            encryptionConfig: { resources: ["secrets"], provider: { keyArn: KMS_KEY_ARN } },
            ...EKS_PRIVATE,
            ...EKS_LOGS,
        },
        also: [
            companion({
                type: "aws:kms/key:Key",
                name: "eks",
                props: { enableKeyRotation: true },
                outputs: { arn: KMS_KEY_ARN },
            }),
        ],
        source: trivy("eks/encrypt_secrets.yaml", "AVD-AWS-0039", "good_example"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0039.bad_example",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our secrets-encryption requirement; completed: roleArn, private endpoint, log types.
        props: { name: "bad_example_cluster", roleArn: ROLE_ARN, ...EKS_PRIVATE, ...EKS_LOGS },
        source: trivy("eks/encrypt_secrets.yaml", "AVD-AWS-0039", "bad_example (1st bad example)"),
    }),

    // trivy AVD-AWS-0038 enable-control-plane-logging: all five log types.
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0038.good_example",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // completed: roleArn, private endpoint, encryption.
        props: {
            roleArn: ROLE_ARN,
            enabledClusterLogTypes: ["api", "authenticator", "audit", "scheduler", "controllerManager"],
            ...EKS_PRIVATE,
            ...EKS_SECRETS,
        },
        source: trivy("eks/enable_control_plane_logging.yaml", "AVD-AWS-0038", "good_example"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0038.bad_example",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our logging requirement; completed: roleArn, private endpoint, encryption.
        props: { roleArn: ROLE_ARN, ...EKS_PRIVATE, ...EKS_SECRETS },
        source: trivy("eks/enable_control_plane_logging.yaml", "AVD-AWS-0038", "bad_example"),
    }),

    // trivy AVD-AWS-0040 no-public-cluster-access: endpoint_public_access must be false (default true).
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0040.good_example",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // completed: roleArn, subnetIds, encryption, log types.
        props: {
            name: "good_example_cluster",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: false },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: trivy("eks/no_public_cluster_access.yaml", "AVD-AWS-0040", "good_example"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0040.bad_example",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our endpoint requirement (public, no CIDRs); completed: roleArn, subnetIds, encryption, log types.
        props: {
            name: "bad_example_cluster",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: true },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: trivy("eks/no_public_cluster_access.yaml", "AVD-AWS-0040", "bad_example"),
    }),

    // trivy AVD-AWS-0041 no-public-cluster-access-to-cidr: a public endpoint may not list any public CIDR
    // (unset/empty counts as 0.0.0.0/0).
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0041.good_example.1",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // completed: roleArn, subnetIds, encryption, log types.
        props: {
            name: "good_example_cluster",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: false, publicAccessCidrs: ["0.0.0.0/0"] },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: trivy("eks/no_public_cluster_access_to_cidr.yaml", "AVD-AWS-0041", "good_example (1st good example)"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0041.good_example.2",
        expect: "pass",
        type: "aws:eks/cluster:Cluster",
        // "10.2.0.0/8" kept as written (host bits set: it is 10.0.0.0/8). completed: roleArn, subnetIds, encryption, log types.
        props: {
            name: "good_example_cluster",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: true, publicAccessCidrs: ["10.2.0.0/8"] },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: trivy("eks/no_public_cluster_access_to_cidr.yaml", "AVD-AWS-0041", "good_example (2nd good example)"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0041.bad_example",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our endpoint requirement; completed: roleArn, subnetIds, encryption, log types.
        props: {
            name: "bad_example_cluster",
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: true },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: trivy("eks/no_public_cluster_access_to_cidr.yaml", "AVD-AWS-0041", "bad_example"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "trivy.AVD-AWS-0041.test_deny_public_cidr",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        // Fails our endpoint requirement (explicit 0.0.0.0/0); completed: roleArn, subnetIds, encryption, log types.
        props: {
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: trivy(
            "eks/no_public_cluster_access_to_cidr_test.rego",
            "AVD-AWS-0041",
            "test_deny_eks_cluster_with_public_access_enabled_and_public_cidr",
        ),
    }),

    // crafted: publicAccessCidrs shapes that still open the endpoint to the internet.
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "crafted.public-empty-cidrs",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        props: {
            roleArn: ROLE_ARN,
            vpcConfig: { subnetIds: ["subnet-12345"], endpointPublicAccess: true, publicAccessCidrs: [] },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: crafted("public endpoint with publicAccessCidrs [] (EKS opens it to 0.0.0.0/0)"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "crafted.public-two-slash-one",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        props: {
            roleArn: ROLE_ARN,
            vpcConfig: {
                subnetIds: ["subnet-12345"],
                endpointPublicAccess: true,
                publicAccessCidrs: ["0.0.0.0/1", "128.0.0.0/1"],
            },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: crafted("public endpoint with 0.0.0.0/1 + 128.0.0.0/1 (together the whole IPv4 internet)"),
    }),
    scannerCase({
        policy: "eks-cluster-hardened",
        id: "crafted.public-ipv6-any",
        expect: "fail",
        type: "aws:eks/cluster:Cluster",
        props: {
            roleArn: ROLE_ARN,
            vpcConfig: {
                subnetIds: ["subnet-12345"],
                endpointPublicAccess: true,
                publicAccessCidrs: ["203.0.113.0/24", "::/0"],
            },
            ...EKS_SECRETS,
            ...EKS_LOGS,
        },
        source: crafted("public endpoint listing ::/0 next to a restricted IPv4 block"),
    }),
];

// ---------------------------------------------------------------------------------------------
// efs-encrypted: aws:efs/fileSystem encrypted true.
// ---------------------------------------------------------------------------------------------

const efs: ScannerCase[] = [
    // checkov CKV_AWS_42: encrypted must be true.
    scannerCase({
        policy: "efs-encrypted",
        id: "checkov.CKV_AWS_42.enabled",
        expect: "pass",
        type: "aws:efs/fileSystem:FileSystem",
        props: { creationToken: "example", encrypted: true },
        source: checkov("example_EFSEncryptionEnabled/main.tf", "CKV_AWS_42", "aws_efs_file_system.enabled"),
    }),
    scannerCase({
        policy: "efs-encrypted",
        id: "checkov.CKV_AWS_42.default",
        expect: "fail",
        type: "aws:efs/fileSystem:FileSystem",
        props: { creationToken: "example" },
        source: checkov("example_EFSEncryptionEnabled/main.tf", "CKV_AWS_42", "aws_efs_file_system.default"),
    }),
    scannerCase({
        policy: "efs-encrypted",
        id: "checkov.CKV_AWS_42.disabled",
        expect: "fail",
        type: "aws:efs/fileSystem:FileSystem",
        props: { creationToken: "example", encrypted: false },
        source: checkov("example_EFSEncryptionEnabled/main.tf", "CKV_AWS_42", "aws_efs_file_system.disabled"),
    }),

    // checkov CKV_AWS_184: kms_key_id must be set (a customer managed key).
    scannerCase({
        policy: "efs-encrypted",
        id: "checkov.CKV_AWS_184.pass",
        expect: "pass",
        type: "aws:efs/fileSystem:FileSystem",
        // kms_key_id = aws_kms_key.test.arn
        props: { encrypted: true, kmsKeyId: KMS_KEY_ARN },
        also: [companion({ type: "aws:kms/key:Key", name: "test", props: {}, outputs: { arn: KMS_KEY_ARN } })],
        source: checkov(
            "example_EFSFileSystemEncryptedWithCMK/aws_efs_file_system.tf",
            "CKV_AWS_184",
            "aws_efs_file_system.pass",
        ),
    }),
    scannerCase({
        policy: "efs-encrypted",
        id: "checkov.CKV_AWS_184.fail",
        expect: "fail",
        type: "aws:efs/fileSystem:FileSystem",
        // Encrypted with the AWS managed key (aws/elasticfilesystem): our policy asks only encrypted true.
        props: { encrypted: true },
        source: checkov(
            "example_EFSFileSystemEncryptedWithCMK/aws_efs_file_system.tf",
            "CKV_AWS_184",
            "aws_efs_file_system.fail",
        ),
    }),

    // trivy AVD-AWS-0037 enable-at-rest-encryption: encrypted must be true.
    scannerCase({
        policy: "efs-encrypted",
        id: "trivy.AVD-AWS-0037.good_example",
        expect: "pass",
        type: "aws:efs/fileSystem:FileSystem",
        // `name = "bar"` is not an aws_efs_file_system argument: dropped.
        props: { encrypted: true },
        source: trivy("efs/enable_at_rest_encryption.yaml", "AVD-AWS-0037", "good_example"),
    }),
    scannerCase({
        policy: "efs-encrypted",
        id: "trivy.AVD-AWS-0037.bad_example",
        expect: "fail",
        type: "aws:efs/fileSystem:FileSystem",
        // `name = "bar"` is not an aws_efs_file_system argument: dropped.
        props: { encrypted: false },
        source: trivy("efs/enable_at_rest_encryption.yaml", "AVD-AWS-0037", "bad_example"),
    }),
];

// ---------------------------------------------------------------------------------------------
// log-group-hardened: kmsKeyId set and retentionInDays set (not 0 = never expire).
// ---------------------------------------------------------------------------------------------

const LOG_KMS = { kmsKeyId: KMS_KEY_ARN } satisfies LogGroupArgs;

const logGroups: ScannerCase[] = [
    // checkov CKV_AWS_158: kms_key_id must be set (any value).
    scannerCase({
        policy: "log-group-hardened",
        id: "checkov.CKV_AWS_158.pass",
        expect: "pass",
        type: "aws:cloudwatch/logGroup:LogGroup",
        props: { retentionInDays: 1, kmsKeyId: "someKey" },
        source: checkov("example_CloudWatchLogGroupKMSKey/main.tf", "CKV_AWS_158", "aws_cloudwatch_log_group.pass"),
    }),
    scannerCase({
        policy: "log-group-hardened",
        id: "checkov.CKV_AWS_158.fail",
        expect: "fail",
        type: "aws:cloudwatch/logGroup:LogGroup",
        // Fails our KMS requirement.
        props: { retentionInDays: 1 },
        source: checkov("example_CloudWatchLogGroupKMSKey/main.tf", "CKV_AWS_158", "aws_cloudwatch_log_group.fail"),
    }),

    // checkov CKV_AWS_66: retention_in_days must be set (any value, 0 included).
    scannerCase({
        policy: "log-group-hardened",
        id: "checkov.CKV_AWS_66.pass",
        expect: "pass",
        type: "aws:cloudwatch/logGroup:LogGroup",
        // completed: kmsKeyId.
        props: { retentionInDays: 3, ...LOG_KMS },
        source: checkov("example_CloudWatchLogGroupRetention/main.tf", "CKV_AWS_66", "aws_cloudwatch_log_group.pass"),
    }),
    scannerCase({
        policy: "log-group-hardened",
        id: "checkov.CKV_AWS_66.fail",
        expect: "fail",
        type: "aws:cloudwatch/logGroup:LogGroup",
        // Fails our retention requirement; completed: kmsKeyId.
        props: { ...LOG_KMS },
        source: checkov("example_CloudWatchLogGroupRetention/main.tf", "CKV_AWS_66", "aws_cloudwatch_log_group.fail"),
    }),

    // checkov CKV_AWS_338: retention_in_days must be 0 (never expire) or >= 365.
    scannerCase({
        policy: "log-group-hardened",
        id: "checkov.CKV_AWS_338.pass_365",
        expect: "pass",
        type: "aws:cloudwatch/logGroup:LogGroup",
        // completed: kmsKeyId.
        props: { retentionInDays: 365, ...LOG_KMS },
        source: checkov(
            "example_CloudWatchLogGroupRetentionYear/main.tf",
            "CKV_AWS_338",
            "aws_cloudwatch_log_group.pass_365",
        ),
    }),
    scannerCase({
        policy: "log-group-hardened",
        id: "checkov.CKV_AWS_338.pass_0",
        expect: "pass",
        type: "aws:cloudwatch/logGroup:LogGroup",
        // 0 = never expire: checkov passes it, our retention requirement does not. completed: kmsKeyId.
        props: { retentionInDays: 0, ...LOG_KMS },
        source: checkov(
            "example_CloudWatchLogGroupRetentionYear/main.tf",
            "CKV_AWS_338",
            "aws_cloudwatch_log_group.pass_0",
        ),
    }),
    scannerCase({
        policy: "log-group-hardened",
        id: "checkov.CKV_AWS_338.fail",
        expect: "fail",
        type: "aws:cloudwatch/logGroup:LogGroup",
        // 5 days: under checkov's one-year floor; our policy asks only for a set, non-zero retention.
        // completed: kmsKeyId.
        props: { retentionInDays: 5, ...LOG_KMS },
        source: checkov(
            "example_CloudWatchLogGroupRetentionYear/main.tf",
            "CKV_AWS_338",
            "aws_cloudwatch_log_group.fail",
        ),
    }),

    // trivy AVD-AWS-0017 log-group-customer-key: kms_key_id must be non-empty.
    scannerCase({
        policy: "log-group-hardened",
        id: "trivy.AVD-AWS-0017.good_example",
        expect: "pass",
        type: "aws:cloudwatch/logGroup:LogGroup",
        // kms_key_id = aws_kms_alias.cloudwatch.arn; completed: retentionInDays.
        props: {
            name: "good_example",
            kmsKeyId: "arn:aws:kms:us-east-1:123456789012:alias/cloudwatch",
            retentionInDays: 365,
        },
        also: [
            companion({
                type: "aws:kms/key:Key",
                name: "cloudwatch",
                props: { enableKeyRotation: true },
                outputs: { arn: KMS_KEY_ARN },
            }),
        ],
        source: trivy("cloudwatch/log_group_customer_key.yaml", "AVD-AWS-0017", "good_example"),
    }),
    scannerCase({
        policy: "log-group-hardened",
        id: "trivy.AVD-AWS-0017.bad_example",
        expect: "fail",
        type: "aws:cloudwatch/logGroup:LogGroup",
        // Fails our KMS requirement; completed: retentionInDays.
        props: { name: "bad_example", retentionInDays: 365 },
        source: trivy("cloudwatch/log_group_customer_key.yaml", "AVD-AWS-0017", "bad_example"),
    }),
    scannerCase({
        policy: "log-group-hardened",
        id: "trivy.AVD-AWS-0017.test_deny_log_group_without_cmk",
        expect: "fail",
        type: "aws:cloudwatch/logGroup:LogGroup",
        // Fails our KMS requirement (kmsKeyId ""); completed: retentionInDays.
        props: { kmsKeyId: "", retentionInDays: 365 },
        source: trivy("cloudwatch/log_group_customer_key_test.rego", "AVD-AWS-0017", "test_deny_log_group_without_cmk"),
    }),
];

export const CASES: ScannerCase[] = [...ecr, ...ecs, ...eks, ...efs, ...logGroups];
