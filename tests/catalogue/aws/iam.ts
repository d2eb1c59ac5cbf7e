/**
 * IAM: other scanners' cases for iam-no-wildcard-actions, iam-no-admin-policy,
 * iam-no-privilege-escalation and iam-no-unscoped-writes, plus crafted Pulumi shapes.
 *
 * Translation notes:
 * - checkov's `aws_iam_policy_document` data-source cases (CKV_AWS_1, 49, 109, 110, 111) become an
 *   aws:iam/policy:Policy holding the JSON that Terraform renders for the data source (Effect
 *   defaults to "Allow", single-element lists render as strings).
 * - A Principal in trivy's rendered documents is dropped: AWS rejects it in an identity policy.
 * Skipped:
 * - aws_ssoadmin_permission_set_inline_policy / aws_ssoadmin_managed_policy_attachment cases
 *   (CKV_AWS_62 sso pass1/fail1, CKV_AWS_63 test_sso_*, CKV_AWS_355 sso pass/fail, CKV_AWS_274
 *   fail6/pass7): type not in ArgsByType and outside our policies' resource types.
 * - CKV_AWS_274 pass6 (aws_iam_role_policy_attachment without policy_arn): policyArn is required.
 * - CKV_AWS_274's data-source cases (data "aws_iam_policy" lookups): no resource to judge.
 * - CKV_AWS_1 "list" and CKV_AWS_49 "flatten"/"unknown": statements come from unresolved
 *   flatten(...) of other documents / variables; nothing concrete to render.
 */
import { CHECKOV, CRAFTED, TRIVY, scannerCase, companion, type ScannerCase } from "./case";

const CK_RES = "tests/terraform/checks/resource/aws";
const CK_DATA = "tests/terraform/checks/data/aws";

/** A policy document as a JSON string (what a heredoc or jsonencode(...) yields). */
const doc = (...Statement: Record<string, unknown>[]): string => JSON.stringify({ Version: "2012-10-17", Statement });

/** What Terraform renders for a one-statement aws_iam_policy_document (Effect defaults to Allow). */
const rendered = (actions: string[], resources: string[], effect = "Allow"): string =>
    JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: effect,
                Action: actions.length === 1 ? actions[0] : actions,
                Resource: resources.length === 1 ? resources[0] : resources,
            },
        ],
    });

const ASSUME_EC2 = doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" });
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

const W = "iam-no-wildcard-actions";
const A = "iam-no-admin-policy";
const P = "iam-no-privilege-escalation";
const U = "iam-no-unscoped-writes";

export const CASES: ScannerCase[] = [
    // ─────────────────────────── iam-no-wildcard-actions ───────────────────────────
    // checkov CKV_AWS_62: fails an Allow (or Effect-less) statement with Action "*" AND Resource "*".
    ...(
        [
            [
                "pass1",
                "pass",
                doc(
                    {
                        Action: ["s3:ListBucket*", "s3:HeadBucket", "s3:Get*"],
                        Effect: "Allow",
                        Resource: ["arn:aws:s3:::b1", "arn:aws:s3:::b1/*", "arn:aws:s3:::b2", "arn:aws:s3:::b2/*"],
                        Sid: "",
                    },
                    { Action: "s3:PutObject*", Effect: "Allow", Resource: "arn:aws:s3:::b1/*", Sid: "" },
                ),
            ],
            [
                "fail1",
                "fail",
                doc({
                    Action: ["s3:HeadBucket", "*"],
                    Effect: "Allow",
                    Resource: ["arn:aws:s3:::b1", "arn:aws:s3:::b1/*", "*"],
                    Sid: "",
                }),
            ],
            ["fail2", "fail", doc({ Action: ["*"], Effect: "Allow", Resource: ["*"], Sid: "" })],
            ["fail3", "fail", doc({ Action: "*", Effect: "Allow", Resource: "*", Sid: "" })],
            ["fail4", "fail", doc({ Action: "*", Resource: "*", Sid: "" })],
            ["pass2", "pass", doc({ Action: "*", Effect: "Deny", Resource: "*", Sid: "" })],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: W,
            id: `checkov.CKV_AWS_62.aws_iam_policy.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { name, path: "/", policy },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/example_IAMAdminPolicyDocument/iam.tf`,
                check: "CKV_AWS_62",
                name: `aws_iam_policy.${name}`,
            },
        }),
    ),
    // checkov CKV_AWS_63: fails an Allow statement whose Action list contains "*" (any Resource); "ec2:*" passes.
    ...(
        [
            ["test_success", "pass", doc({ Action: ["ec2:Describe*"], Effect: "Allow", Resource: "abc*" })],
            ["test_failure", "fail", doc({ Action: ["*"], Effect: "Allow", Resource: "abc*" })],
            [
                "test_failure_multiple_statements",
                "fail",
                doc(
                    {
                        Sid: "SqsAllow",
                        Effect: "Allow",
                        Action: [
                            "sqs:GetQueueAttributes",
                            "sqs:GetQueueUrl",
                            "sqs:ListDeadLetterSourceQueues",
                            "sqs:ListQueues",
                            "sqs:ReceiveMessage",
                            "sqs:SendMessage",
                            "sqs:SendMessageBatch",
                        ],
                        Resource: "*",
                    },
                    {
                        Sid: "ALL",
                        Effect: "Allow",
                        Action: ["*"],
                        Resource: ["arn:aws:sqs:us-east-1:123456789012:my-queue"],
                    },
                ),
            ],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: W,
            id: `checkov.CKV_AWS_63.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { name: "test", policy },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/test_IAMStarActionPolicyDocument.py`,
                check: "CKV_AWS_63",
                name,
            },
        }),
    ),
    scannerCase({
        policy: W,
        id: "checkov.CKV_AWS_63.test_success_service_star",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        // the test passes the document as an object (a plan's parsed JSON)
        props: {
            name: "test",
            policy: { Version: "2012-10-17", Statement: [{ Action: "ec2:*", Effect: "Allow", Resource: "abc*" }] },
        },
        source: {
            ...CHECKOV,
            file: `${CK_RES}/test_IAMStarActionPolicyDocument.py`,
            check: "CKV_AWS_63",
            name: "test_success_service_star",
        },
    }),
    // checkov CKV_AWS_1 (data aws_iam_policy_document): Allow with actions "*" and resources "*".
    ...(
        [
            ["pass", "pass", rendered(["s3:Describe*"], ["*"])],
            ["fail", "fail", rendered(["*"], ["*"])],
            ["no_effect", "fail", rendered(["*"], ["*"])],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: W,
            id: `checkov.CKV_AWS_1.aws_iam_policy_document.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { policy },
            source: {
                ...CHECKOV,
                file: `${CK_DATA}/example_AdminPolicyDocument/main.tf`,
                check: "CKV_AWS_1",
                name: `aws_iam_policy_document.${name}`,
            },
        }),
    ),
    // checkov CKV_AWS_49 (data aws_iam_policy_document): Allow with actions "*" (any resource); "s3:*" passes.
    ...(
        [
            ["pass", "pass", rendered(["s3:*"], ["arn:aws:s3:::my_corporate_bucket/*"])],
            ["fail", "fail", rendered(["*"], ["arn:aws:s3:::my_corporate_bucket/*"])],
            ["no_effect", "fail", rendered(["*"], ["arn:aws:s3:::my_corporate_bucket/*"])],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: W,
            id: `checkov.CKV_AWS_49.aws_iam_policy_document.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { policy },
            source: {
                ...CHECKOV,
                file: `${CK_DATA}/example_StarActionPolicyDocument/main.tf`,
                check: "CKV_AWS_49",
                name: `aws_iam_policy_document.${name}`,
            },
        }),
    ),
    // trivy AVD-AWS-0057 (deprecated, rule body removed; the examples still state good/bad): wildcards in actions/resources.
    ...(
        [
            ["good", "pass", rendered(["s3:GetObject"], ["arn:aws:s3:::example-bucket"])],
            ["bad", "fail", rendered(["s3:*"], ["*"])],
        ] as const
    ).map(([kind, expect, policy]) =>
        scannerCase({
            policy: W,
            id: `trivy.AVD-AWS-0057.terraform.${kind}.0`,
            expect,
            type: "aws:iam/rolePolicy:RolePolicy",
            props: { name: "test_policy", role: "test_role", policy },
            also: [
                companion({
                    type: "aws:iam/role:Role",
                    name: "test_role",
                    props: {
                        name: "test_role",
                        assumeRolePolicy: doc({
                            Action: "sts:AssumeRole",
                            Effect: "Allow",
                            Sid: "",
                            Principal: { Service: "s3.amazonaws.com" },
                        }),
                    },
                }),
            ],
            source: {
                ...TRIVY,
                file: "checks/cloud/aws/iam/no_policy_wildcards.yaml",
                check: "AVD-AWS-0057",
                name: `terraform.${kind}[0] aws_iam_role_policy.test_policy`,
            },
        }),
    ),
    // trivy AVD-AWS-0345: an Allow of exactly "s3:*" (case-insensitive), unless a Deny names "s3:*" too.
    ...(
        [
            [
                "terraform.good[0] aws_iam_policy.good_policy",
                "yaml.good",
                "pass",
                doc({
                    Effect: "Allow",
                    Action: ["s3:GetObject", "s3:PutObject"],
                    Resource: "arn:aws:s3:::examplebucket/*",
                }),
                "checks/cloud/aws/iam/limit_s3_full_access.yaml",
            ],
            [
                "terraform.bad[0] aws_iam_policy.bad_policy",
                "yaml.bad",
                "fail",
                doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }),
                "checks/cloud/aws/iam/limit_s3_full_access.yaml",
            ],
            [
                "test_with_allow_s3_full_access",
                "test_with_allow_s3_full_access",
                "fail",
                doc({ Effect: "Allow", Action: ["s3:*"], Resource: ["*"] }),
                "checks/cloud/aws/iam/limit_s3_full_access_test.rego",
            ],
            [
                "test_with_allow_s3_full_access_with_verb_non_mixed",
                "test_with_allow_s3_full_access_with_verb_non_mixed",
                "fail",
                doc(
                    { Effect: "Deny", Action: ["s3:get*"], Resource: ["*"] },
                    { Effect: "Allow", Action: ["s3:*"], Resource: ["*"] },
                ),
                "checks/cloud/aws/iam/limit_s3_full_access_test.rego",
            ],
            [
                "test_with_allow_s3_full_access_overriden_by_deny",
                "test_with_allow_s3_full_access_overriden_by_deny",
                "pass",
                doc(
                    { Effect: "Deny", Action: ["s3:*"], Resource: ["*"] },
                    { Effect: "Allow", Action: ["s3:*"], Resource: ["*"] },
                ),
                "checks/cloud/aws/iam/limit_s3_full_access_test.rego",
            ],
            [
                "test_with_deny_s3_full_access",
                "test_with_deny_s3_full_access",
                "pass",
                doc({ Effect: "Deny", Action: ["s3:*"] }),
                "checks/cloud/aws/iam/limit_s3_full_access_test.rego",
            ],
            [
                "test_with_no_s3_full_access",
                "test_with_no_s3_full_access",
                "pass",
                doc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::examplebucket/*"] }),
                "checks/cloud/aws/iam/limit_s3_full_access_test.rego",
            ],
        ] as const
    ).map(([name, id, expect, policy, file]) =>
        scannerCase({
            policy: W,
            id: `trivy.AVD-AWS-0345.${id}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { name: "policy_with_s3_full_access", policy },
            source: { ...TRIVY, file, check: "AVD-AWS-0345", name },
        }),
    ),
    ...(
        [
            [
                "test_with_role_using_amazon_s3_full_access_policy",
                "fail",
                doc({ Effect: "Allow", Action: ["s3:*"], Resource: ["*"] }),
            ],
            [
                "test_with_role_not_using_amazon_s3_full_access_policy",
                "pass",
                doc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::examplebucket"] }),
            ],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: W,
            id: `trivy.AVD-AWS-0345.${name}`,
            expect,
            type: "aws:iam/role:Role",
            props: { assumeRolePolicy: ASSUME_EC2, inlinePolicies: [{ name: "s3", policy }] },
            source: {
                ...TRIVY,
                file: "checks/cloud/aws/iam/limit_s3_full_access_test.rego",
                check: "AVD-AWS-0345",
                name,
            },
        }),
    ),
    // crafted
    scannerCase({
        policy: W,
        id: "crafted.iam-star-on-specific-resource",
        expect: "fail",
        type: "aws:iam/policy:Policy",
        props: { policy: doc({ Effect: "Allow", Action: ["iam:*"], Resource: "arn:aws:iam::123456789012:role/app" }) },
        source: { ...CRAFTED, name: 'Action ["iam:*"] on one role ARN' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.uppercase-service-star-string",
        expect: "fail",
        type: "aws:iam/policy:Policy",
        props: { policy: doc({ Effect: "Allow", Action: "S3:*", Resource: "arn:aws:s3:::bucket/*" }) },
        source: { ...CRAFTED, name: 'Action "S3:*" (uppercase service, string)' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.service-star-in-list",
        expect: "fail",
        type: "aws:iam/policy:Policy",
        props: {
            policy: doc({ Effect: "Allow", Action: ["s3:GetObject", "dynamodb:*"], Resource: "arn:aws:s3:::bucket/*" }),
        },
        source: { ...CRAFTED, name: 'Action list with one "dynamodb:*" among specific actions' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.allow-not-action",
        expect: "fail",
        type: "aws:iam/policy:Policy",
        props: { policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) },
        source: { ...CRAFTED, name: 'Allow with NotAction "iam:*"' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.allow-not-action-object",
        expect: "fail",
        type: "aws:iam/userPolicy:UserPolicy",
        props: {
            user: "alice",
            policy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", NotAction: ["s3:DeleteBucket"], Resource: "arn:aws:s3:::bucket" }],
            },
        },
        source: { ...CRAFTED, name: "userPolicy, document object, Allow with NotAction list" },
    }),
    scannerCase({
        policy: W,
        id: "crafted.deny-not-action",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        props: { policy: doc({ Effect: "Deny", NotAction: ["s3:GetObject"], Resource: "*" }) },
        source: { ...CRAFTED, name: "Deny with NotAction" },
    }),
    scannerCase({
        policy: W,
        id: "crafted.object-document-iam-star",
        expect: "fail",
        type: "aws:iam/policy:Policy",
        props: {
            policy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "arn:aws:iam::123456789012:user/*" }],
            },
        },
        source: { ...CRAFTED, name: 'Policy document as object, Action "iam:*" string' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.user-policy-star",
        expect: "fail",
        type: "aws:iam/userPolicy:UserPolicy",
        props: { user: "alice", policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) },
        source: { ...CRAFTED, name: 'userPolicy with Action "*"' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.group-policy-service-star",
        expect: "fail",
        type: "aws:iam/groupPolicy:GroupPolicy",
        props: {
            group: "developers",
            policy: doc({ Effect: "Allow", Action: ["sqs:*"], Resource: "arn:aws:sqs:us-east-1:123456789012:q" }),
        },
        source: { ...CRAFTED, name: 'groupPolicy with Action ["sqs:*"]' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.role-policy-object-star",
        expect: "fail",
        type: "aws:iam/rolePolicy:RolePolicy",
        props: {
            role: "app",
            policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["kms:*"], Resource: "*" }] },
        },
        source: { ...CRAFTED, name: 'rolePolicy, document object, Action ["kms:*"]' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.role-inline-iam-star",
        expect: "fail",
        type: "aws:iam/role:Role",
        props: {
            assumeRolePolicy: ASSUME_EC2,
            inlinePolicies: [
                { name: "ok", policy: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }) },
                { name: "bad", policy: doc({ Effect: "Allow", Action: "iam:*", Resource: "*" }) },
            ],
        },
        source: { ...CRAFTED, name: 'Role inlinePolicies, second one "iam:*"' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.role-inline-specific",
        expect: "pass",
        type: "aws:iam/role:Role",
        props: {
            assumeRolePolicy: ASSUME_EC2,
            inlinePolicies: [
                {
                    name: "ok",
                    policy: doc({ Effect: "Allow", Action: ["s3:Get*", "s3:List*"], Resource: "arn:aws:s3:::b/*" }),
                },
            ],
        },
        source: { ...CRAFTED, name: 'Role inlinePolicies with partial wildcards "s3:Get*"' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.assume-role-policy-not-judged",
        expect: "pass",
        type: "aws:iam/role:Role",
        props: {
            assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:*" }),
        },
        source: { ...CRAFTED, name: 'trust policy with "sts:*" is not an identity policy' },
    }),
    scannerCase({
        policy: W,
        id: "crafted.deny-service-star-object",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        props: {
            policy: {
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Deny", Action: "s3:*", Resource: "*" },
                    { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" },
                ],
            },
        },
        source: { ...CRAFTED, name: 'document object, "s3:*" only under Deny' },
    }),

    // ─────────────────────────── iam-no-admin-policy ───────────────────────────
    // checkov CKV_AWS_274: AdministratorAccess ARN in aws_iam_role.managed_policy_arns or an attachment's policy_arn.
    ...(
        [
            ["fail1", "fail", ADMIN],
            ["pass1", "pass", S3_READ],
        ] as const
    ).map(([name, expect, arn]) =>
        scannerCase({
            policy: A,
            id: `checkov.CKV_AWS_274.aws_iam_role.${name}`,
            expect,
            type: "aws:iam/role:Role",
            props: { name, assumeRolePolicy: ASSUME_EC2, managedPolicyArns: [arn] },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/example_IAMManagedAdminPolicy/IAMManagedAdminPolicy.tf`,
                check: "CKV_AWS_274",
                name: `aws_iam_role.${name}`,
            },
        }),
    ),
    ...(
        [
            ["fail2", "fail", ADMIN, "fail1"],
            // the source writes `role = ...` (not an aws_iam_policy_attachment argument); roles here
            ["pass2", "pass", S3_READ, "pass1"],
        ] as const
    ).map(([name, expect, policyArn, role]) =>
        scannerCase({
            policy: A,
            id: `checkov.CKV_AWS_274.aws_iam_policy_attachment.${name}`,
            expect,
            type: "aws:iam/policyAttachment:PolicyAttachment",
            props: { name, roles: [role], policyArn },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/example_IAMManagedAdminPolicy/IAMManagedAdminPolicy.tf`,
                check: "CKV_AWS_274",
                name: `aws_iam_policy_attachment.${name}`,
            },
        }),
    ),
    ...(
        [
            ["fail3", "fail", ADMIN],
            ["pass3", "pass", S3_READ],
        ] as const
    ).map(([name, expect, policyArn]) =>
        scannerCase({
            policy: A,
            id: `checkov.CKV_AWS_274.aws_iam_role_policy_attachment.${name}`,
            expect,
            type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            props: { role: "fail1", policyArn },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/example_IAMManagedAdminPolicy/IAMManagedAdminPolicy.tf`,
                check: "CKV_AWS_274",
                name: `aws_iam_role_policy_attachment.${name}`,
            },
        }),
    ),
    ...(
        [
            ["fail4", "fail", ADMIN],
            ["pass4", "pass", S3_READ],
        ] as const
    ).map(([name, expect, policyArn]) =>
        scannerCase({
            policy: A,
            id: `checkov.CKV_AWS_274.aws_iam_user_policy_attachment.${name}`,
            expect,
            type: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            props: { user: "user", policyArn },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/example_IAMManagedAdminPolicy/IAMManagedAdminPolicy.tf`,
                check: "CKV_AWS_274",
                name: `aws_iam_user_policy_attachment.${name}`,
            },
        }),
    ),
    ...(
        [
            ["fail5", "fail", ADMIN],
            ["pass5", "pass", S3_READ],
        ] as const
    ).map(([name, expect, policyArn]) =>
        scannerCase({
            policy: A,
            id: `checkov.CKV_AWS_274.aws_iam_group_policy_attachment.${name}`,
            expect,
            type: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
            props: { group: "group", policyArn },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/example_IAMManagedAdminPolicy/IAMManagedAdminPolicy.tf`,
                check: "CKV_AWS_274",
                name: `aws_iam_group_policy_attachment.${name}`,
            },
        }),
    ),
    // crafted
    scannerCase({
        policy: A,
        id: "crafted.role-managed-arns-admin-among-others",
        expect: "fail",
        type: "aws:iam/role:Role",
        props: { assumeRolePolicy: ASSUME_EC2, managedPolicyArns: [S3_READ, ADMIN] },
        source: { ...CRAFTED, name: "Role.managedPolicyArns with AdministratorAccess second" },
    }),
    scannerCase({
        policy: A,
        id: "crafted.policy-attachment-users-groups",
        expect: "fail",
        type: "aws:iam/policyAttachment:PolicyAttachment",
        props: { users: ["alice"], groups: ["admins"], policyArn: ADMIN },
        source: { ...CRAFTED, name: "policyAttachment to users and groups only" },
    }),
    scannerCase({
        policy: A,
        id: "crafted.govcloud-partition",
        expect: "fail",
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        props: { role: "app", policyArn: "arn:aws-us-gov:iam::aws:policy/AdministratorAccess" },
        source: { ...CRAFTED, name: "AdministratorAccess in the aws-us-gov partition" },
    }),
    scannerCase({
        policy: A,
        id: "crafted.admin-amplify-lookalike",
        expect: "pass",
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        props: { role: "app", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess-Amplify" },
        source: { ...CRAFTED, name: "AdministratorAccess-Amplify is another managed policy" },
    }),
    scannerCase({
        policy: A,
        id: "crafted.customer-managed-same-name",
        expect: "pass",
        type: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        props: { user: "alice", policyArn: "arn:aws:iam::123456789012:policy/AdministratorAccess" },
        source: { ...CRAFTED, name: "customer-managed policy named AdministratorAccess (not the AWS one)" },
    }),
    scannerCase({
        policy: A,
        id: "crafted.role-empty-managed-arns",
        expect: "pass",
        type: "aws:iam/role:Role",
        props: { assumeRolePolicy: ASSUME_EC2, managedPolicyArns: [] },
        source: { ...CRAFTED, name: "Role.managedPolicyArns empty" },
    }),

    // ─────────────────────────── iam-no-privilege-escalation ───────────────────────────
    // checkov CKV_AWS_286: cloudsplaining allows_privilege_escalation (Rhino method action sets, all unconstrained).
    ...(
        [
            [
                "privilege_escalation",
                "fail",
                doc({ Effect: "Allow", Action: ["iam:UpdateLoginProfile"], Resource: "*" }),
            ],
            ["passing", "pass", doc({ Effect: "Allow", Action: ["lambda:CreateFunction"], Resource: "s3" })],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: P,
            id: `checkov.CKV_AWS_286.aws_iam_policy.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { name: "privilege_escalation", policy },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/example_IAMPrivilegeEscalation/main.tf`,
                check: "CKV_AWS_286",
                name: `aws_iam_policy.${name}`,
            },
        }),
    ),
    // checkov CKV_AWS_110 (data aws_iam_policy_document): same analysis.
    ...(
        [
            ["pass", "pass", ["lambda:CreateFunction", "lambda:CreateEventSourceMapping", "dynamodb:CreateTable"]],
            [
                "fail",
                "fail",
                [
                    "iam:PassRole",
                    "lambda:CreateFunction",
                    "lambda:CreateEventSourceMapping",
                    "dynamodb:CreateTable",
                    "dynamodb:PutItem",
                ],
            ],
        ] as const
    ).map(([name, expect, actions]) =>
        scannerCase({
            policy: P,
            id: `checkov.CKV_AWS_110.aws_iam_policy_document.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { policy: rendered([...actions], ["*"]) },
            source: {
                ...CHECKOV,
                file: `${CK_DATA}/example_CloudSplainingPrivilegeEscalation/main.tf`,
                check: "CKV_AWS_110",
                name: `aws_iam_policy_document.${name}`,
            },
        }),
    ),
    // trivy AVD-AWS-0342: any Allow of exactly "iam:PassRole" (any Resource) unless a Deny names it.
    ...(
        [
            [
                "test_with_allow_iam_pass_role",
                "fail",
                "Allow",
                "iam:PassRole",
                "arn:aws:iam::193063503752:role/atc-node",
            ],
            ["test_with_deny_iam_pass_role", "pass", "Deny", "iam:PassRole", "arn:aws:iam::193063503752:role/atc-node"],
            ["test_with_no_iam_pass_role", "pass", "Allow", "s3:GetObject", "arn:aws:s3:::examplebucket/*"],
        ] as const
    ).map(([name, expect, Effect, action, resource]) =>
        scannerCase({
            policy: P,
            id: `trivy.AVD-AWS-0342.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: {
                name: "policy_with_iam_pass_role",
                policy: JSON.stringify({
                    Version: "2012-10-17",
                    Id: "",
                    Statement: [{ Sid: "", Effect, Action: [action], Resource: [resource], Condition: {} }],
                }),
            },
            source: {
                ...TRIVY,
                file: "checks/cloud/aws/iam/filter_iam_pass_role_test.rego",
                check: "AVD-AWS-0342",
                name,
            },
        }),
    ),
    // crafted
    ...(
        [
            ["passrole-star", "fail", "iam:PassRole", '"iam:PassRole" alone on "*"'],
            ["create-policy-version-star", "fail", "iam:CreatePolicyVersion", '"iam:CreatePolicyVersion" on "*"'],
            ["set-default-version-star", "fail", "iam:SetDefaultPolicyVersion", '"iam:SetDefaultPolicyVersion" on "*"'],
            ["attach-user-policy-star", "fail", "iam:AttachUserPolicy", '"iam:AttachUserPolicy" on "*"'],
            ["iam-put-wildcard-star", "fail", "iam:Put*", '"iam:Put*" on "*" (covers PutUserPolicy)'],
            ["iam-star-star", "fail", "iam:*", '"iam:*" on "*"'],
            ["uppercase-passrole-star", "fail", "IAM:PASSROLE", '"IAM:PASSROLE" (case-insensitive) on "*"'],
        ] as const
    ).map(([id, expect, action, name]) =>
        scannerCase({
            policy: P,
            id: `crafted.${id}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { policy: doc({ Effect: "Allow", Action: action, Resource: "*" }) },
            source: { ...CRAFTED, name },
        }),
    ),
    scannerCase({
        policy: P,
        id: "crafted.passrole-specific-role",
        expect: "pass",
        type: "aws:iam/rolePolicy:RolePolicy",
        props: {
            role: "deployer",
            policy: doc({
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: "arn:aws:iam::123456789012:role/app-task",
            }),
        },
        source: { ...CRAFTED, name: '"iam:PassRole" on one role ARN' },
    }),
    scannerCase({
        policy: P,
        id: "crafted.passrole-star-with-condition",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        props: {
            policy: doc({
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: "*",
                Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
            }),
        },
        source: { ...CRAFTED, name: '"iam:PassRole" on "*" with an iam:PassedToService Condition' },
    }),
    scannerCase({
        policy: P,
        id: "crafted.deny-passrole-star",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        props: { policy: doc({ Effect: "Deny", Action: "iam:PassRole", Resource: "*" }) },
        source: { ...CRAFTED, name: 'Deny "iam:PassRole" on "*"' },
    }),
    scannerCase({
        policy: P,
        id: "crafted.user-policy-object-attach-user-policy",
        expect: "fail",
        type: "aws:iam/userPolicy:UserPolicy",
        props: {
            user: "alice",
            policy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: ["iam:AttachUserPolicy", "iam:ListPolicies"], Resource: ["*"] }],
            },
        },
        source: { ...CRAFTED, name: 'userPolicy, document object, iam:AttachUserPolicy on ["*"]' },
    }),
    scannerCase({
        policy: P,
        id: "crafted.role-inline-create-policy-version",
        expect: "fail",
        type: "aws:iam/role:Role",
        props: {
            assumeRolePolicy: ASSUME_EC2,
            inlinePolicies: [
                { name: "esc", policy: doc({ Effect: "Allow", Action: "iam:CreatePolicyVersion", Resource: "*" }) },
            ],
        },
        source: { ...CRAFTED, name: 'Role inlinePolicies with iam:CreatePolicyVersion on "*"' },
    }),
    scannerCase({
        policy: P,
        id: "crafted.group-policy-read-only-iam",
        expect: "pass",
        type: "aws:iam/groupPolicy:GroupPolicy",
        props: {
            group: "auditors",
            policy: doc({ Effect: "Allow", Action: ["iam:Get*", "iam:List*"], Resource: "*" }),
        },
        source: { ...CRAFTED, name: 'groupPolicy "iam:Get*","iam:List*" on "*"' },
    }),

    // ─────────────────────────── iam-no-unscoped-writes ───────────────────────────
    // checkov CKV_AWS_290: cloudsplaining write_actions_without_constraints ("Write" level, Resource "*", no Condition).
    ...(
        [
            ["restrictable", "pass", doc({ Effect: "Allow", Action: ["s3:*"], Resource: "arn:aws:s3:::bucket" })],
            [
                "unrestrictable",
                "pass",
                doc({ Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" }),
            ],
            ["fail", "fail", doc({ Effect: "Allow", Action: ["s3:*"], Resource: "*" })],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: U,
            id: `checkov.CKV_AWS_290.aws_iam_policy.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { policy },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/example_IAMWriteAccess/main.tf`,
                check: "CKV_AWS_290",
                name: `aws_iam_policy.${name}`,
            },
        }),
    ),
    // checkov CKV_AWS_111 (data aws_iam_policy_document): same as CKV_AWS_290.
    ...(
        [
            ["restrictable", "pass", rendered(["s3:*"], ["arn:aws:s3:::bucket"])],
            ["unrestrictable", "pass", rendered(["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"])],
            ["fail", "fail", rendered(["s3:*"], ["*"])],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: U,
            id: `checkov.CKV_AWS_111.aws_iam_policy_document.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { policy },
            source: {
                ...CHECKOV,
                file: `${CK_DATA}/example_CloudsplainingIAMWrite/main.tf`,
                check: "CKV_AWS_111",
                name: `aws_iam_policy_document.${name}`,
            },
        }),
    ),
    // checkov CKV_AWS_289: cloudsplaining permissions_management_without_constraints.
    ...(
        [
            ["pass", "pass", doc({ Effect: "Allow", Action: ["s3:*"], Resource: "arn:aws:s3:::example" })],
            ["fail", "fail", doc({ Effect: "Allow", Action: ["iam:*"], Resource: "*" })],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: U,
            id: `checkov.CKV_AWS_289.aws_iam_policy.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { policy },
            source: {
                ...CHECKOV,
                file: `${CK_RES}/example_IAMPermissionsManagement/main.tf`,
                check: "CKV_AWS_289",
                name: `aws_iam_policy.${name}`,
            },
        }),
    ),
    // checkov CKV_AWS_109 (data aws_iam_policy_document): same as CKV_AWS_289.
    ...(
        [
            ["pass", "pass", rendered(["s3:*"], ["arn:aws:s3:::example"])],
            ["fail", "fail", rendered(["iam:*"], ["*"])],
        ] as const
    ).map(([name, expect, policy]) =>
        scannerCase({
            policy: U,
            id: `checkov.CKV_AWS_109.aws_iam_policy_document.${name}`,
            expect,
            type: "aws:iam/policy:Policy",
            props: { policy },
            source: {
                ...CHECKOV,
                file: `${CK_DATA}/example_CloudsplainingPermissionsManagement/main.tf`,
                check: "CKV_AWS_109",
                name: `aws_iam_policy_document.${name}`,
            },
        }),
    ),
    // checkov CKV_AWS_355: cloudsplaining all_allowed_unrestricted_actions (ANY access level, restrictable, "*", no Condition).
    ...(
        [
            ["fail", "fail", "*"],
            ["pass", "pass", "arn:aws:ec2:us-east-1:123456789012:instance/*"],
        ] as const
    ).flatMap(([name, expect, Resource]) => {
        const policy = doc({ Action: ["ec2:Describe*"], Effect: "Allow", Resource });
        const source = (tf: string) => ({
            ...CHECKOV,
            file: `${CK_RES}/example_IAMStarResourcePolicyDocument/main.tf`,
            check: "CKV_AWS_355",
            name: `${tf}.${name}`,
        });
        return [
            scannerCase({
                policy: U,
                id: `checkov.CKV_AWS_355.aws_iam_policy.${name}`,
                expect,
                type: "aws:iam/policy:Policy",
                props: { name: "test_policy", path: "/", description: "My test policy", policy },
                source: source("aws_iam_policy"),
            }),
            scannerCase({
                policy: U,
                id: `checkov.CKV_AWS_355.aws_iam_role_policy.${name}`,
                expect,
                type: "aws:iam/rolePolicy:RolePolicy",
                props: { name: "test_policy", role: "test_role", policy },
                source: source("aws_iam_role_policy"),
            }),
            scannerCase({
                policy: U,
                id: `checkov.CKV_AWS_355.aws_iam_user_policy.${name}`,
                expect,
                type: "aws:iam/userPolicy:UserPolicy",
                props: { name: "test", user: "lb", policy },
                source: source("aws_iam_user_policy"),
            }),
            scannerCase({
                policy: U,
                id: `checkov.CKV_AWS_355.aws_iam_group_policy.${name}`,
                expect,
                type: "aws:iam/groupPolicy:GroupPolicy",
                props: { name: "my_developer_policy", group: "my_developers", policy },
                source: source("aws_iam_group_policy"),
            }),
        ];
    }),
    scannerCase({
        policy: U,
        id: "checkov.CKV_AWS_355.aws_iam_policy.pass_unrestrictable",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        props: {
            name: "test_policy",
            path: "/",
            description: "My test policy",
            policy: doc({ Action: ["s3:ListAllMyBuckets"], Effect: "Allow", Resource: "*" }),
        },
        source: {
            ...CHECKOV,
            file: `${CK_RES}/example_IAMStarResourcePolicyDocument/main.tf`,
            check: "CKV_AWS_355",
            name: "aws_iam_policy.pass_unrestrictable",
        },
    }),
    // crafted
    scannerCase({
        policy: U,
        id: "crafted.s3-put-star",
        expect: "fail",
        type: "aws:iam/policy:Policy",
        props: { policy: doc({ Effect: "Allow", Action: "s3:PutObject", Resource: "*" }) },
        source: { ...CRAFTED, name: '"s3:PutObject" on "*", no Condition' },
    }),
    scannerCase({
        policy: U,
        id: "crafted.s3-put-star-with-condition",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        props: {
            policy: doc({
                Effect: "Allow",
                Action: "s3:PutObject",
                Resource: "*",
                Condition: { StringEquals: { "aws:ResourceAccount": "123456789012" } },
            }),
        },
        source: { ...CRAFTED, name: '"s3:PutObject" on "*" with a Condition' },
    }),
    scannerCase({
        policy: U,
        id: "crafted.s3-put-bucket-arn",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        props: { policy: doc({ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::bucket/*" }) },
        source: { ...CRAFTED, name: '"s3:PutObject" on a bucket ARN' },
    }),
    scannerCase({
        policy: U,
        id: "crafted.star-among-resources",
        expect: "fail",
        type: "aws:iam/policy:Policy",
        props: {
            policy: doc({
                Effect: "Allow",
                Action: ["sqs:SendMessage"],
                Resource: ["arn:aws:sqs:us-east-1:123456789012:q", "*"],
            }),
        },
        source: { ...CRAFTED, name: 'Resource list holding "*" next to an ARN' },
    }),
    scannerCase({
        policy: U,
        id: "crafted.read-only-star",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        props: { policy: doc({ Effect: "Allow", Action: ["ec2:DescribeInstances", "s3:GetObject"], Resource: "*" }) },
        source: { ...CRAFTED, name: 'read/list actions only on "*"' },
    }),
    scannerCase({
        policy: U,
        id: "crafted.unrestrictable-write-star",
        expect: "pass",
        type: "aws:iam/policy:Policy",
        props: {
            policy: doc({
                Effect: "Allow",
                Action: ["xray:PutTraceSegments", "cloudwatch:PutMetricData"],
                Resource: "*",
            }),
        },
        source: { ...CRAFTED, name: 'write actions without resource-level support on "*"' },
    }),
    scannerCase({
        policy: U,
        id: "crafted.role-inline-dynamodb-put-star",
        expect: "fail",
        type: "aws:iam/role:Role",
        props: {
            assumeRolePolicy: ASSUME_EC2,
            inlinePolicies: [
                { name: "ddb", policy: doc({ Effect: "Allow", Action: ["dynamodb:PutItem"], Resource: "*" }) },
            ],
        },
        source: { ...CRAFTED, name: 'Role inlinePolicies "dynamodb:PutItem" on "*"' },
    }),
    scannerCase({
        policy: U,
        id: "crafted.object-create-user-star",
        expect: "fail",
        type: "aws:iam/userPolicy:UserPolicy",
        props: {
            user: "alice",
            policy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: "iam:CreateUser", Resource: "*" }],
            },
        },
        source: { ...CRAFTED, name: 'userPolicy, document object, permissions-management "iam:CreateUser" on "*"' },
    }),
    scannerCase({
        policy: U,
        id: "crafted.group-allow-not-action-star",
        expect: "fail",
        type: "aws:iam/groupPolicy:GroupPolicy",
        props: { group: "developers", policy: doc({ Effect: "Allow", NotAction: ["iam:*"], Resource: "*" }) },
        source: { ...CRAFTED, name: 'groupPolicy Allow NotAction ["iam:*"] on "*"' },
    }),
    scannerCase({
        policy: U,
        id: "crafted.deny-write-star",
        expect: "pass",
        type: "aws:iam/rolePolicy:RolePolicy",
        props: { role: "app", policy: doc({ Effect: "Deny", Action: ["s3:DeleteBucket", "iam:*"], Resource: "*" }) },
        source: { ...CRAFTED, name: 'Deny of write actions on "*"' },
    }),
];
