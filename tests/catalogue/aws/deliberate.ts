/**
 * Where a policy disagrees with a scanner's verdict on purpose, keyed `<policy>/<case id>`: a
 * passing case it flags (stricter) or a failing case outside its scope, with the reason the README
 * prints. measure.ts applies these over the translated cases, which stay as the scanners wrote them.
 */
const IMDS_HOP =
    "the hop limit must be 1 on every instance, not only on launch templates: containers (pods, bridge-mode ECS tasks) must not reach the instance role's credentials";
const SG_WEB =
    "80 and 443 may be open to the internet (a public load balancer's listeners; `publicPorts` configures them)";
const SG_EVERY_PORT = "every port but the configured web ports counts, not only the scanner's one port (22, 3389, 80)";
const ALB_NLB = "network load balancers are outside the policy (their access logs record TLS listeners only)";
const TLS_HTTP = "plain-HTTP listeners belong to alb-listener-https";
const KMS_CMK =
    "a customer-managed key is not required: KMS (or the service's own encryption) meets FSBP, and which data needs its own key policy is the account's choice";
const LOG_KMS =
    "CloudWatch Logs encrypts every log group at rest; a customer-managed key is required only with `requireKms: true`";
const RDS_BACKUP = "backups must be kept at least 7 days (FSBP RDS.11), whatever the scanner's own minimum";
const S3_ALL_FOUR =
    "all four public access block settings are one requirement: the scanner splits them into four checks";
const IAM_SERVICE_STAR = "any `<service>:*` is a wildcard (FSBP IAM.21), not only `*`";

export const DELIBERATE: Readonly<Record<string, string>> = {
    // ECR
    "ecr-repository-hardened/trivy.AVD-AWS-0033.bad_example.2": KMS_CMK,
    // ECS: checkov reads fields ECS does not have (a container's `privilege`, a container-level `pidMode`).
    "ecs-task-hardened/checkov.CKV_AWS_334.fail":
        "the case sets `privilege`, a key ECS does not read (the crafted case sets the real `privileged`)",
    "ecs-task-hardened/checkov.CKV_AWS_335.fail":
        "the case sets pidMode on a container, where ECS does not read it (the crafted case sets the task's)",
    // EFS
    "efs-encrypted/checkov.CKV_AWS_184.fail": KMS_CMK,
    // Log groups
    "log-group-hardened/checkov.CKV_AWS_158.fail": LOG_KMS,
    "log-group-hardened/trivy.AVD-AWS-0017.bad_example": LOG_KMS,
    "log-group-hardened/trivy.AVD-AWS-0017.test_deny_log_group_without_cmk": LOG_KMS,
    "log-group-hardened/checkov.CKV_AWS_338.pass_0":
        "a log group that never expires its events fails: keeping them forever is a cost and a retention decision nobody made",
    "log-group-hardened/checkov.CKV_AWS_338.fail":
        "the minimum retention is `minRetentionDays` (1 by default; 365 for CloudWatch.16's default), a compliance regime's choice",
    // IMDS
    "launch-template-imdsv2/checkov.CKV_AWS_79.aws_instance.required": IMDS_HOP,
    "launch-template-imdsv2/checkov.CKV_AWS_79.aws_launch_configuration.required_lc": IMDS_HOP,
    "launch-template-imdsv2/checkov.CKV_AWS_341.aws_launch_configuration.pass":
        "IMDSv1 left on fails (CKV_AWS_341 checks the hop limit alone; CKV_AWS_79 fails the same case)",
    "launch-template-imdsv2/checkov.CKV_AWS_341.aws_launch_configuration.pass2":
        "IMDSv1 left on fails (CKV_AWS_341 checks the hop limit alone; CKV_AWS_79 fails the same case)",
    "launch-template-imdsv2/checkov.CKV_AWS_341.aws_launch_template.pass2": IMDS_HOP,
    "launch-template-imdsv2/trivy.AVD-AWS-0028.good0": IMDS_HOP,
    "launch-template-imdsv2/trivy.AVD-AWS-0028.test_allow_instance_with_tokens": IMDS_HOP,
    "launch-template-imdsv2/trivy.AVD-AWS-0130.good0": IMDS_HOP,
    "launch-template-imdsv2/trivy.AVD-AWS-0130.good1": IMDS_HOP,
    "launch-template-imdsv2/trivy.AVD-AWS-0130.test_allow_launch_config_with_tokens": IMDS_HOP,
    "launch-template-imdsv2/trivy.AVD-AWS-0130.test_allow_launch_template_with_tokens": IMDS_HOP,
    // Security groups
    "security-group-restricted/checkov.CKV_AWS_24.aws_vpc_security_group_ingress_rule.fail2":
        "a rule with no source admits nobody (AWS refuses it): nothing is open to the internet",
    "security-group-restricted/checkov.CKV_AWS_24.aws_security_group.not_self":
        "a rule with no source admits nobody (AWS refuses it): nothing is open to the internet",
    "security-group-restricted/checkov.CKV_AWS_24.aws_security_group.pass": SG_EVERY_PORT,
    "security-group-restricted/checkov.CKV_AWS_24.aws_security_group_rule.pass": SG_EVERY_PORT,
    "security-group-restricted/checkov.CKV_AWS_260.aws_security_group.pass": SG_EVERY_PORT,
    "security-group-restricted/checkov.CKV_AWS_260.aws_security_group_rule.pass3": SG_EVERY_PORT,
    "security-group-restricted/checkov.CKV_AWS_24.aws_security_group.pass_self2":
        "0.0.0.0/0 on every port opens the group to the internet even when the rule also names self",
    "security-group-restricted/checkov.CKV_AWS_260.aws_security_group.fail": SG_WEB,
    "security-group-restricted/checkov.CKV_AWS_260.aws_security_group.fail3": SG_WEB,
    "security-group-restricted/checkov.CKV_AWS_260.aws_security_group.fail4": SG_WEB,
    "security-group-restricted/checkov.CKV_AWS_260.aws_security_group_rule.fail": SG_WEB,
    "security-group-restricted/checkov.CKV_AWS_260.aws_vpc_security_group_ingress_rule.fail": SG_WEB,
    "security-group-restricted/checkov.CKV_AWS_260.aws_vpc_security_group_ingress_rule.fail2": SG_WEB,
    // Load balancers
    "alb-hardened/checkov.CKV_AWS_91.aws_lb.default": ALB_NLB,
    "alb-hardened/checkov.CKV_AWS_91.aws_lb.only_bucket": ALB_NLB,
    "alb-hardened/checkov.CKV_AWS_91.aws_lb.disabled": ALB_NLB,
    "alb-listener-https/trivy.AVD-AWS-0054.test_allow_http_with_redirect":
        "a redirect that does not name HTTPS keeps the request's protocol: the listener still serves HTTP",
    "alb-listener-https/trivy.AVD-AWS-0054.test_allow_http_but_not_application":
        "AWS refuses an HTTP listener on a network load balancer; the listener is read as written",
    "lb-listener-tls-policy/checkov.CKV_AWS_103.aws_lb_listener.http": TLS_HTTP,
    "lb-listener-tls-policy/checkov.CKV_AWS_103.aws_lb_listener.cognito": TLS_HTTP,
    "lb-listener-tls-policy/checkov.CKV_AWS_103.aws_lb_listener.wrong_redirect": TLS_HTTP,
    "lb-listener-tls-policy/checkov.CKV_AWS_103.aws_lb_listener.not_gateway_listener": TLS_HTTP,
    // RDS
    "rds-instance-hardened/checkov.CKV_AWS_133.aws_rds_cluster.pass2": RDS_BACKUP,
    "rds-instance-hardened/checkov.CKV_AWS_133.aws_db_instance.pass2": RDS_BACKUP,
    "rds-instance-hardened/trivy.AVD-AWS-0077.good-0.good_example": RDS_BACKUP,
    "rds-instance-hardened/trivy.AVD-AWS-0077.good-1.good_example": RDS_BACKUP,
    "rds-instance-hardened/trivy.AVD-AWS-0077.test_allow_2_retention_period": RDS_BACKUP,
    "rds-instance-hardened/checkov.CKV_AWS_133.aws_rds_cluster.fail":
        "AWS refuses a retention over 35 days; the policy sets no upper bound",
    "rds-instance-hardened/checkov.CKV_AWS_133.aws_db_instance.fail":
        "AWS refuses a retention over 35 days; the policy sets no upper bound",
    "rds-instance-hardened/trivy.AVD-AWS-0079.bad-1.bad_example": KMS_CMK,
    // S3
    "s3-bucket-hardened/checkov.CKV_AWS_19.default_encryption_bucket":
        "default encryption must be configured explicitly, though S3 applies SSE-S3 to new buckets since January 2023",
    "s3-bucket-hardened/checkov.CKV_AWS_20.website":
        "`website` is not a canned ACL AWS accepts; the policy reads the public ones",
    "s3-bucket-hardened/checkov.CKV_AWS_20.website_v4":
        "`website` is not a canned ACL AWS accepts; the policy reads the public ones",
    "s3-bucket-hardened/checkov.CKV2_AWS_6.bucket_good_1": S3_ALL_FOUR,
    "s3-bucket-hardened/trivy.AVD-AWS-0086.good-0": S3_ALL_FOUR,
    "s3-bucket-hardened/trivy.AVD-AWS-0087.good-0": S3_ALL_FOUR,
    "s3-bucket-hardened/trivy.AVD-AWS-0091.good-0": S3_ALL_FOUR,
    "s3-bucket-hardened/trivy.AVD-AWS-0093.good-0": S3_ALL_FOUR,
    "s3-bucket-hardened/trivy.AVD-AWS-0094.good-0.example": S3_ALL_FOUR,
    // IAM
    "iam-no-wildcard-actions/checkov.CKV_AWS_63.test_success_service_star": IAM_SERVICE_STAR,
    "iam-no-wildcard-actions/checkov.CKV_AWS_49.aws_iam_policy_document.pass": IAM_SERVICE_STAR,
    "iam-no-wildcard-actions/trivy.AVD-AWS-0345.test_with_allow_s3_full_access_overriden_by_deny":
        "a Deny elsewhere does not make s3:* less of a wildcard: the grant is reported as written",
    "iam-no-privilege-escalation/trivy.AVD-AWS-0342.test_with_allow_iam_pass_role":
        "iam:PassRole on named roles is the remediation; the policy reads grants on every resource",
    "iam-no-unscoped-writes/checkov.CKV_AWS_355.aws_iam_policy.fail":
        "read and list actions on every resource are outside the policy (CKV_AWS_355 counts every access level)",
    "iam-no-unscoped-writes/checkov.CKV_AWS_355.aws_iam_role_policy.fail":
        "read and list actions on every resource are outside the policy (CKV_AWS_355 counts every access level)",
    "iam-no-unscoped-writes/checkov.CKV_AWS_355.aws_iam_user_policy.fail":
        "read and list actions on every resource are outside the policy (CKV_AWS_355 counts every access level)",
    "iam-no-unscoped-writes/checkov.CKV_AWS_355.aws_iam_group_policy.fail":
        "read and list actions on every resource are outside the policy (CKV_AWS_355 counts every access level)",
};

/** Cases translated under one policy that belong to another, keyed `<policy>/<case id>`. */
export const REASSIGNED: Readonly<Record<string, string>> = {
    "alb-listener-https/crafted.rule-forward-over-http-redirect": "alb-listener-rule-https",
    "alb-listener-https/crafted.alb-rule-forward-over-http-redirect": "alb-listener-rule-https",
    "alb-listener-https/crafted.rule-redirect-https-over-http": "alb-listener-rule-https",
    "alb-listener-https/crafted.rule-forward-over-https": "alb-listener-rule-https",
};
