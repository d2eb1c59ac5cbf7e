/**
 * Scanner cases for the EC2 / security group / load balancer policies: launch-template-imdsv2,
 * ec2-no-public-ip, security-group-restricted, alb-hardened, alb-listener-https, lb-listener-tls-policy.
 *
 * Translation notes and what was left out:
 * - `expect` is the source scanner's verdict, never ours. Resources a scanner leaves UNKNOWN (checkov's
 *   egress `aws_security_group_rule.unknown`, network/gateway LBs in CKV_AWS_131/91, CKV_AWS_2's redirect
 *   without protocol and its `var.lb_protocol` case, trivy's tokens-unresolvable case) have no verdict: skipped.
 * - trivy's `test_allow_not_managed` cases (a listener whose LB is not in the configuration) have no Pulumi
 *   equivalent: skipped.
 * - checkov CKV_AWS_88 `aws_instance.public_foreach_loop_list["k"|"v"]` set associate_public_ip_address to
 *   the strings "k"/"v": not a boolean, cannot be expressed; skipped. The module for_each test
 *   (example_EC2PublicIP_foreach) repeats public_foreach's two shapes four times: skipped as duplicates.
 *   trivy AWS-0009's _test.rego repeats its yaml examples: skipped as duplicates.
 * - checkov's CKV_AWS_341 launch templates set elastic_gpu_specifications and elastic_inference_accelerator,
 *   which @pulumi/aws 7 no longer has; `lifecycle` and `user_data = filebase64(...)` are dropped too.
 * - Pulumi requires inputs some sources omit: listener defaultActions (a forward to TG_ARN is added where the
 *   source has none), security group rule ports/protocol/securityGroupId, launch configuration imageId and
 *   instanceType, redirect statusCode. Such additions never touch what the check inspects.
 * - trivy _test.rego inputs (its cloud schema) are translated to the Terraform shape the adapter reads.
 * - CKV2_AWS_20 judges the aws_lb / aws_alb; here the judged resource is its only listener (our policy
 *   judges listeners) and the LB is a companion referred to by ARN.
 */
import type * as aws from "@pulumi/aws";
import {
    scannerCase,
    companion,
    type ScannerCase,
    checkovSource as ck,
    craftedSource as crafted,
    trivySource as tv,
} from "./case";

const CK_RES = "tests/terraform/checks/resource/aws";
const TV_EC2 = "checks/cloud/aws/ec2";
const TV_ELB = "checks/cloud/aws/elb";

const VPC_ID = "vpc-0a1b2c3d4e5f60789";
const SG_ID = "sg-0a1b2c3d4e5f60789";
const OTHER_SG_ID = "sg-0f9e8d7c6b5a40321";
const ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/front-end/50dc6c495c0c9188";
const NLB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/front-end/60dc6c495c0c9189";
const GWLB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/example/70dc6c495c0c9190";
const TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/73e2d6bc24d8a067";
const CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
const HTTP_LISTENER_ARN =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/front-end/50dc6c495c0c9188/f2f7dc8efc522ab2";
const HTTPS_LISTENER_ARN =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/front-end/50dc6c495c0c9188/a1b2c3d4e5f60718";
const SUBNETS = ["subnet-0a1b2c3d4e5f60781", "subnet-0a1b2c3d4e5f60782"];
const LOG_BUCKET = "lb-access-logs-123456789012";

const forward = { type: "forward", targetGroupArn: TG_ARN };
const redirectHttps = { type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } };
/** checkov's egress block `0.0.0.0/0` on all protocols, repeated in most of its security group examples. */
const egressAll = { fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: ["0.0.0.0/0"] };

/** The launch template checkov's CKV_AWS_341 test repeats three times, minus metadata_options. */
const ltHopBase = {
    name: "foo",
    blockDeviceMappings: [{ deviceName: "/dev/sdf", ebs: { volumeSize: 20 } }],
    capacityReservationSpecification: { capacityReservationPreference: "open" },
    cpuOptions: { coreCount: 4, threadsPerCore: 2 },
    creditSpecification: { cpuCredits: "standard" },
    disableApiStop: true,
    disableApiTermination: true,
    ebsOptimized: "true",
    iamInstanceProfile: { name: "test" },
    imageId: "ami-test",
    instanceInitiatedShutdownBehavior: "terminate",
    instanceMarketOptions: { marketType: "spot" },
    instanceType: "t2.micro",
    kernelId: "test",
    keyName: "test",
    licenseSpecifications: [
        {
            licenseConfigurationArn:
                "arn:aws:license-manager:eu-west-1:123456789012:license-configuration:lic-0123456789abcdef0123456789abcdef",
        },
    ],
    monitoring: { enabled: true },
    networkInterfaces: [{ associatePublicIpAddress: "true" }],
    placement: { availabilityZone: "us-west-2a" },
    ramDiskId: "test",
    vpcSecurityGroupIds: ["sg-12345678"],
    tagSpecifications: [{ resourceType: "instance", tags: { Name: "test" } }],
};

const IMDS = "launch-template-imdsv2";
const PUBIP = "ec2-no-public-ip";
const SGR = "security-group-restricted";
const ALB = "alb-hardened";
const HTTPS = "alb-listener-https";
const TLS = "lb-listener-tls-policy";

export const CASES: ScannerCase[] = [
    // ───────────────────────────── launch-template-imdsv2 ─────────────────────────────
    // checkov CKV_AWS_79 (IMDSv1Disabled): metadata_options.http_tokens == "required", or http_endpoint "disabled";
    // no metadata_options block fails. Instances, launch templates, launch configurations.
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_79.aws_instance.defaults",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { metadataOptions: {} },
        source: ck(`${CK_RES}/example_IMDSv1Disabled/main.tf`, "CKV_AWS_79", "aws_instance.defaults"),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_79.aws_instance.optional_token",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { metadataOptions: { httpEndpoint: "enabled", httpPutResponseHopLimit: 1, httpTokens: "optional" } },
        source: ck(`${CK_RES}/example_IMDSv1Disabled/main.tf`, "CKV_AWS_79", "aws_instance.optional_token"),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_79.aws_instance.disabled",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: { metadataOptions: { httpEndpoint: "disabled" } },
        source: ck(`${CK_RES}/example_IMDSv1Disabled/main.tf`, "CKV_AWS_79", "aws_instance.disabled"),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_79.aws_instance.required",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: { metadataOptions: { httpTokens: "required" } },
        source: ck(`${CK_RES}/example_IMDSv1Disabled/main.tf`, "CKV_AWS_79", "aws_instance.required"),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_79.aws_launch_configuration.required_lc",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: { metadataOptions: { httpEndpoint: "enabled", httpTokens: "required" }, imageId: "", instanceType: "" },
        source: ck(`${CK_RES}/example_IMDSv1Disabled/main.tf`, "CKV_AWS_79", "aws_launch_configuration.required_lc"),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_79.aws_launch_configuration.optional_lc",
        expect: "fail",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: { metadataOptions: { httpEndpoint: "enabled", httpTokens: "optional" }, imageId: "", instanceType: "" },
        source: ck(`${CK_RES}/example_IMDSv1Disabled/main.tf`, "CKV_AWS_79", "aws_launch_configuration.optional_lc"),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_79.aws_launch_template.optional_lt",
        expect: "fail",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: { metadataOptions: { httpTokens: "optional" } },
        source: ck(`${CK_RES}/example_IMDSv1Disabled/main.tf`, "CKV_AWS_79", "aws_launch_template.optional_lt"),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_79.aws_launch_template.default_lt",
        expect: "fail",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: { metadataOptions: { httpEndpoint: "enabled" } },
        source: ck(`${CK_RES}/example_IMDSv1Disabled/main.tf`, "CKV_AWS_79", "aws_launch_template.default_lt"),
    }),

    // checkov CKV_AWS_341 (LaunchTemplateMetadataHop): http_put_response_hop_limit == 1; no metadata_options
    // block, or no hop limit in it, passes. Launch templates and launch configurations.
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_341.aws_launch_configuration.pass",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: {
            imageId: "ami-0123456789abcdef0",
            instanceType: "m4.large",
            spotPrice: "0.001",
            metadataOptions: { httpPutResponseHopLimit: 1 },
        },
        source: ck(
            `${CK_RES}/example_LaunchTemplateMetadataHop/main.tf`,
            "CKV_AWS_341",
            "aws_launch_configuration.pass",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_341.aws_launch_configuration.pass2",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: { imageId: "ami-0123456789abcdef0", instanceType: "m4.large", spotPrice: "0.001" },
        source: ck(
            `${CK_RES}/example_LaunchTemplateMetadataHop/main.tf`,
            "CKV_AWS_341",
            "aws_launch_configuration.pass2",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_341.aws_launch_configuration.fail",
        expect: "fail",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: {
            imageId: "ami-0123456789abcdef0",
            instanceType: "m4.large",
            spotPrice: "0.001",
            metadataOptions: { httpPutResponseHopLimit: 2 },
        },
        source: ck(
            `${CK_RES}/example_LaunchTemplateMetadataHop/main.tf`,
            "CKV_AWS_341",
            "aws_launch_configuration.fail",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_341.aws_launch_template.pass",
        expect: "pass",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: {
            ...ltHopBase,
            metadataOptions: {
                httpEndpoint: "enabled",
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
                instanceMetadataTags: "enabled",
            },
        },
        source: ck(`${CK_RES}/example_LaunchTemplateMetadataHop/main.tf`, "CKV_AWS_341", "aws_launch_template.pass"),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_341.aws_launch_template.pass2",
        expect: "pass",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: {
            ...ltHopBase,
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", instanceMetadataTags: "enabled" },
        },
        source: ck(`${CK_RES}/example_LaunchTemplateMetadataHop/main.tf`, "CKV_AWS_341", "aws_launch_template.pass2"),
    }),
    scannerCase({
        policy: IMDS,
        id: "checkov.CKV_AWS_341.aws_launch_template.fail",
        expect: "fail",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: {
            ...ltHopBase,
            metadataOptions: {
                httpEndpoint: "enabled",
                httpTokens: "required",
                httpPutResponseHopLimit: 2,
                instanceMetadataTags: "enabled",
            },
        },
        source: ck(`${CK_RES}/example_LaunchTemplateMetadataHop/main.tf`, "CKV_AWS_341", "aws_launch_template.fail"),
    }),

    // trivy AWS-0028 (enforce-http-token-imds): instances must set http_tokens "required" unless http_endpoint
    // is "disabled".
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0028.good0",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-005e54dee72cc1d00", instanceType: "t2.micro", metadataOptions: { httpTokens: "required" } },
        source: tv(`${TV_EC2}/enforce_http_token_imds.yaml`, "AVD-AWS-0028", "good[0] aws_instance.good_example"),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0028.bad0",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-005e54dee72cc1d00", instanceType: "t2.micro" },
        source: tv(`${TV_EC2}/enforce_http_token_imds.yaml`, "AVD-AWS-0028", "bad[0] aws_instance.bad_example"),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0028.test_allow_instance_with_tokens",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: { metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" } },
        source: tv(`${TV_EC2}/enforce_http_token_imds_test.rego`, "AVD-AWS-0028", "test_allow_instance_with_tokens"),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0028.test_deny_instance_without_tokens",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { metadataOptions: { httpTokens: "disabled", httpEndpoint: "enabled" } },
        source: tv(`${TV_EC2}/enforce_http_token_imds_test.rego`, "AVD-AWS-0028", "test_deny_instance_without_tokens"),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0028.test_allow_instance_with_endpoint_disabled",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: { metadataOptions: { httpTokens: "disabled", httpEndpoint: "disabled" } },
        source: tv(
            `${TV_EC2}/enforce_http_token_imds_test.rego`,
            "AVD-AWS-0028",
            "test_allow_instance_with_endpoint_disabled",
        ),
    }),

    // trivy AWS-0130 (enforce-launch-config-http-token-imds): the same for launch configurations and templates.
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0130.good0",
        expect: "pass",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: {
            imageId: "ami-005e54dee72cc1d00",
            instanceType: "t2.micro",
            metadataOptions: { httpTokens: "required" },
        },
        source: tv(
            `${TV_EC2}/as_enforce_http_token_imds.yaml`,
            "AVD-AWS-0130",
            "good[0] aws_launch_template.good_example",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0130.good1",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: {
            imageId: "ami-005e54dee72cc1d00",
            instanceType: "t2.micro",
            metadataOptions: { httpTokens: "required" },
        },
        source: tv(
            `${TV_EC2}/as_enforce_http_token_imds.yaml`,
            "AVD-AWS-0130",
            "good[1] aws_launch_configuration.good_example",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0130.bad0",
        expect: "fail",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: { imageId: "ami-005e54dee72cc1d00", instanceType: "t2.micro" },
        source: tv(
            `${TV_EC2}/as_enforce_http_token_imds.yaml`,
            "AVD-AWS-0130",
            "bad[0] aws_launch_template.bad_example",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0130.bad1",
        expect: "fail",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: {
            imageId: "ami-005e54dee72cc1d00",
            instanceType: "t2.micro",
            metadataOptions: { httpTokens: "optional" },
        },
        source: tv(
            `${TV_EC2}/as_enforce_http_token_imds.yaml`,
            "AVD-AWS-0130",
            "bad[1] aws_launch_configuration.bad_example",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0130.test_allow_launch_config_with_tokens",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: {
            imageId: "ami-0123456789abcdef0",
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
        },
        source: tv(
            `${TV_EC2}/as_enforce_http_token_imds_test.rego`,
            "AVD-AWS-0130",
            "test_allow_launch_config_with_tokens",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0130.test_allow_launch_template_with_tokens",
        expect: "pass",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: { metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" } },
        source: tv(
            `${TV_EC2}/as_enforce_http_token_imds_test.rego`,
            "AVD-AWS-0130",
            "test_allow_launch_template_with_tokens",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0130.test_allow_launch_config_without_tokens_but_endpoint_disabled",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: {
            imageId: "ami-0123456789abcdef0",
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "optional", httpEndpoint: "disabled" },
        },
        source: tv(
            `${TV_EC2}/as_enforce_http_token_imds_test.rego`,
            "AVD-AWS-0130",
            "test_allow_launch_config_without_tokens_but_endpoint_disabled",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0130.test_deny_launch_config_without_tokens",
        expect: "fail",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: {
            imageId: "ami-0123456789abcdef0",
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "disabled", httpEndpoint: "enabled" },
        },
        source: tv(
            `${TV_EC2}/as_enforce_http_token_imds_test.rego`,
            "AVD-AWS-0130",
            "test_deny_launch_config_without_tokens",
        ),
    }),
    scannerCase({
        policy: IMDS,
        id: "trivy.AVD-AWS-0130.test_deny_launch_template_without_tokens",
        expect: "fail",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: { metadataOptions: { httpTokens: "disabled", httpEndpoint: "enabled" } },
        source: tv(
            `${TV_EC2}/as_enforce_http_token_imds_test.rego`,
            "AVD-AWS-0130",
            "test_deny_launch_template_without_tokens",
        ),
    }),

    // crafted: endpoint disabled passes; a missing metadataOptions fails; tokens + hop limit 1 is the goal.
    scannerCase({
        policy: IMDS,
        id: "crafted.lt-endpoint-disabled",
        expect: "pass",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: { imageId: "ami-0123456789abcdef0", metadataOptions: { httpEndpoint: "disabled" } },
        source: crafted("launch template with the metadata endpoint disabled"),
    }),
    scannerCase({
        policy: IMDS,
        id: "crafted.lc-endpoint-disabled",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: {
            imageId: "ami-0123456789abcdef0",
            instanceType: "t3.micro",
            metadataOptions: { httpEndpoint: "disabled" },
        },
        source: crafted("launch configuration with the metadata endpoint disabled"),
    }),
    scannerCase({
        policy: IMDS,
        id: "crafted.lt-no-metadata-options",
        expect: "fail",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: { imageId: "ami-0123456789abcdef0", instanceType: "t3.micro" },
        source: crafted("launch template without metadataOptions"),
    }),
    scannerCase({
        policy: IMDS,
        id: "crafted.instance-no-metadata-options",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-0123456789abcdef0", instanceType: "t3.micro" },
        source: crafted("instance without metadataOptions"),
    }),
    scannerCase({
        policy: IMDS,
        id: "crafted.lc-no-metadata-options",
        expect: "fail",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: { imageId: "ami-0123456789abcdef0", instanceType: "t3.micro" },
        source: crafted("launch configuration without metadataOptions"),
    }),
    scannerCase({
        policy: IMDS,
        id: "crafted.lt-required-hop1",
        expect: "pass",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: { metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 } },
        source: crafted("launch template requiring IMDSv2 with hop limit 1"),
    }),
    scannerCase({
        policy: IMDS,
        id: "crafted.instance-required-hop1",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: {
            ami: "ami-0123456789abcdef0",
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
        },
        source: crafted("instance requiring IMDSv2 with hop limit 1"),
    }),
    scannerCase({
        policy: IMDS,
        id: "crafted.lc-required-hop1",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: {
            imageId: "ami-0123456789abcdef0",
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
        },
        source: crafted("launch configuration requiring IMDSv2 with hop limit 1"),
    }),
    scannerCase({
        policy: IMDS,
        id: "crafted.instance-required-hop2",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: {
            ami: "ami-0123456789abcdef0",
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
        },
        source: crafted("instance requiring IMDSv2 but with hop limit 2 (containers reach IMDS)"),
    }),

    // ───────────────────────────── ec2-no-public-ip ─────────────────────────────
    // checkov CKV_AWS_88 (EC2PublicIP): aws_instance.associate_public_ip_address, or a launch template's
    // network_interfaces[0].associate_public_ip_address, must not be true.
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_instance.default",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-12345", instanceType: "t3.micro" },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", "aws_instance.default"),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_instance.private",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-12345", instanceType: "t3.micro", associatePublicIpAddress: false },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", "aws_instance.private"),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_launch_template.default",
        expect: "pass",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: { imageId: "ami-12345", instanceType: "t3.micro" },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", "aws_launch_template.default"),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_launch_template.private",
        expect: "pass",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: {
            imageId: "ami-12345",
            instanceType: "t3.micro",
            networkInterfaces: [{ associatePublicIpAddress: "false" }],
        },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", "aws_launch_template.private"),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_instance.public",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-12345", instanceType: "t3.micro", associatePublicIpAddress: true },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", "aws_instance.public"),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_launch_template.public",
        expect: "fail",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: {
            imageId: "ami-12345",
            instanceType: "t3.micro",
            networkInterfaces: [{ associatePublicIpAddress: "true" }],
        },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", "aws_launch_template.public"),
    }),
    // for_each instances, each expanded to its resolved value
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_instance.public_foreach.key1",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-12345", instanceType: "t3.micro", associatePublicIpAddress: true },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", 'aws_instance.public_foreach["key1"]'),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_instance.public_foreach.key2",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-12345", instanceType: "t3.micro", associatePublicIpAddress: false },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", 'aws_instance.public_foreach["key2"]'),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_instance.public_foreach_loop.key3",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-12345", instanceType: "t3.micro", associatePublicIpAddress: true },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", 'aws_instance.public_foreach_loop["key3"]'),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_instance.public_foreach_loop.key4",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-12345", instanceType: "t3.micro", associatePublicIpAddress: true },
        source: ck(`${CK_RES}/example_EC2PublicIP/main.tf`, "CKV_AWS_88", 'aws_instance.public_foreach_loop["key4"]'),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_instance.public_foreach_loop_list_of_dicts.public",
        expect: "fail",
        type: "aws:ec2/instance:Instance",
        props: { associatePublicIpAddress: true },
        source: ck(
            `${CK_RES}/example_EC2PublicIP/main.tf`,
            "CKV_AWS_88",
            'aws_instance.public_foreach_loop_list_of_dicts["public"]',
        ),
    }),
    scannerCase({
        policy: PUBIP,
        id: "checkov.CKV_AWS_88.aws_instance.public_foreach_loop_list_of_dicts.private",
        expect: "pass",
        type: "aws:ec2/instance:Instance",
        props: { associatePublicIpAddress: false },
        source: ck(
            `${CK_RES}/example_EC2PublicIP/main.tf`,
            "CKV_AWS_88",
            'aws_instance.public_foreach_loop_list_of_dicts["private"]',
        ),
    }),

    // trivy AWS-0009 (no-public-ip): launch configurations must not associate a public IP address.
    scannerCase({
        policy: PUBIP,
        id: "trivy.AVD-AWS-0009.good0",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: { imageId: "ami-123456", instanceType: "t2.small", associatePublicIpAddress: false },
        source: tv(`${TV_EC2}/no_public_ip.yaml`, "AVD-AWS-0009", "good[0] aws_launch_configuration.good_example"),
    }),
    scannerCase({
        policy: PUBIP,
        id: "trivy.AVD-AWS-0009.bad0",
        expect: "fail",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: { imageId: "ami-123456", instanceType: "t2.small", associatePublicIpAddress: true },
        source: tv(`${TV_EC2}/no_public_ip.yaml`, "AVD-AWS-0009", "bad[0] aws_launch_configuration.bad_example"),
    }),

    // crafted
    scannerCase({
        policy: PUBIP,
        id: "crafted.lt-second-interface-public",
        expect: "fail",
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        props: {
            imageId: "ami-0123456789abcdef0",
            networkInterfaces: [
                { deviceIndex: 0, associatePublicIpAddress: "false" },
                { deviceIndex: 1, associatePublicIpAddress: "true" },
            ],
        },
        source: crafted("launch template whose second network interface gets a public IP (checkov reads [0] only)"),
    }),
    scannerCase({
        policy: PUBIP,
        id: "crafted.lc-no-public-ip-set",
        expect: "pass",
        type: "aws:ec2/launchConfiguration:LaunchConfiguration",
        props: { imageId: "ami-0123456789abcdef0", instanceType: "t3.micro" },
        source: crafted("launch configuration leaving associatePublicIpAddress unset"),
    }),

    // ───────────────────────────── security-group-restricted ─────────────────────────────
    // checkov CKV_AWS_24 (SecurityGroupUnrestrictedIngress22): no ingress from 0.0.0.0/0 or ::/0 to port 22
    // (a rule without any source counts as open; self = true passes; 0-0 reads as every port).
    ...sgChecks("CKV_AWS_24", "example_SecurityGroupUnrestrictedIngress22", [
        [
            "aws_security_group.fail",
            "fail",
            sg([{ fromPort: 22, toPort: 22, protocol: "tcp", cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"] }]),
        ],
        [
            "aws_security_group.fail2",
            "fail",
            sg([{ fromPort: 0, toPort: 0, protocol: "tcp", cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"] }]),
        ],
        [
            "aws_security_group.fail3",
            "fail",
            sg([
                {
                    fromPort: 22,
                    toPort: 22,
                    protocol: "tcp",
                    securityGroups: [OTHER_SG_ID],
                    cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"],
                },
            ]),
        ],
        [
            "aws_security_group.fail4",
            "fail",
            {
                kind: "sg",
                props: {
                    description: "SG with inline rules",
                    ingress: [
                        {
                            cidrBlocks: ["0.0.0.0/0"],
                            description: "Wide Open",
                            fromPort: 0,
                            ipv6CidrBlocks: [],
                            prefixListIds: [],
                            securityGroups: [],
                            protocol: "-1",
                            self: false,
                            toPort: 65535,
                        },
                    ],
                },
            },
        ],
        [
            "aws_security_group.fail-ipv6",
            "fail",
            sg([{ fromPort: 22, toPort: 22, protocol: "tcp", ipv6CidrBlocks: ["192.168.0.0/16", "::/0"] }]),
        ],
        [
            "aws_security_group_rule.fail",
            "fail",
            sgRule(22, 22, "tcp", { cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"] }),
        ],
        ["aws_vpc_security_group_ingress_rule.fail", "fail", vpcRule(22, 22, "tcp", { cidrIpv4: "0.0.0.0/0" })],
        ["aws_vpc_security_group_ingress_rule.fail2", "fail", vpcRule(22, 22, "tcp", {})],
        [
            "aws_security_group.not_self",
            "fail",
            sg([{ description: "Self", fromPort: 0, toPort: 0, protocol: "-1", self: false }], false),
        ],
        [
            "aws_security_group.pass",
            "pass",
            sg([{ fromPort: 222, toPort: 222, protocol: "tcp", cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"] }]),
        ],
        [
            "aws_security_group.pass2",
            "pass",
            sg([{ fromPort: 22, toPort: 22, protocol: "tcp", securityGroups: [OTHER_SG_ID] }]),
        ],
        [
            "aws_security_group.pass3",
            "pass",
            {
                kind: "sg",
                props: {
                    name: "sg-bar",
                    vpcId: VPC_ID,
                    ingress: [
                        {
                            fromPort: 22,
                            toPort: 22,
                            protocol: "tcp",
                            securityGroups: [OTHER_SG_ID],
                            description: "foo",
                        },
                    ],
                    egress: [{ fromPort: 0, toPort: 0, protocol: "-1" }],
                },
            },
        ],
        [
            "aws_security_group.pass4",
            "pass",
            sg([{ fromPort: 22, toPort: 22, protocol: "tcp", cidrBlocks: ["192.168.0.0/16"] }]),
        ],
        [
            "aws_security_group.pass5",
            "pass",
            sg([
                {
                    fromPort: 22,
                    toPort: 22,
                    protocol: "tcp",
                    securityGroups: [OTHER_SG_ID],
                    cidrBlocks: ["192.168.0.0/16"],
                },
            ]),
        ],
        ["aws_security_group.pass6", "pass", sg([])],
        ["aws_security_group.pass7", "pass", { kind: "sg", props: { name: "sg-bar", vpcId: VPC_ID } }],
        [
            "aws_security_group.pass-ipv6",
            "pass",
            {
                kind: "sg",
                props: {
                    name: "sg-bar",
                    vpcId: VPC_ID,
                    ingress: [
                        {
                            fromPort: 22,
                            toPort: 22,
                            protocol: "tcp",
                            securityGroups: [OTHER_SG_ID],
                            description: "foo",
                        },
                    ],
                    egress: [{ fromPort: 0, toPort: 0, protocol: "-1" }],
                },
            },
        ],
        ["aws_security_group_rule.pass", "pass", sgRule(222, 222, "tcp", { cidrBlocks: ["0.0.0.0/0"] })],
        ["aws_security_group_rule.pass2", "pass", sgRule(22, 22, "tcp", { cidrBlocks: ["192.168.0.0/16"] })],
        ["aws_security_group_rule.pass3", "pass", sgRule(22, 22, "tcp", { sourceSecurityGroupId: "sg-123456" })],
        ["aws_security_group_rule.pass4", "pass", sgRule(22, 22, "tcp", { self: true })],
        ["aws_vpc_security_group_ingress_rule.pass", "pass", vpcRule(80, 8080, "tcp", { cidrIpv4: "10.0.0.0/8" })],
        [
            "aws_security_group.pass_self",
            "pass",
            sg([{ description: "Self", fromPort: 0, toPort: 0, protocol: "-1", self: true }], false),
        ],
        [
            "aws_security_group.pass_self2",
            "pass",
            {
                kind: "sg",
                props: {
                    description: "SG with inline rules",
                    ingress: [
                        {
                            cidrBlocks: ["0.0.0.0/0"],
                            description: "Wide Open",
                            fromPort: 0,
                            ipv6CidrBlocks: [],
                            prefixListIds: [],
                            securityGroups: [],
                            protocol: "-1",
                            self: true,
                            toPort: 65535,
                        },
                    ],
                },
            },
        ],
    ]),

    // checkov CKV_AWS_25 (SecurityGroupUnrestrictedIngress3389): the same for port 3389.
    ...sgChecks("CKV_AWS_25", "example_SecurityGroupUnrestrictedIngress3389", [
        [
            "aws_security_group.pass",
            "pass",
            {
                kind: "sg",
                props: {
                    name: "example",
                    vpcId: VPC_ID,
                    ingress: [
                        { cidrBlocks: ["0.0.0.0/0"], fromPort: 80, toPort: 80, protocol: "tcp" },
                        { cidrBlocks: ["0.0.0.0/0"], fromPort: 443, toPort: 443, protocol: "tcp" },
                    ],
                    egress: [egressAll],
                },
            },
        ],
        ["aws_security_group_rule.pass", "pass", sgRule(80, 80, "tcp", { cidrBlocks: ["0.0.0.0/0"] }, "sg-12345")],
        ["aws_vpc_security_group_ingress_rule.pass", "pass", vpcRule(80, 80, "tcp", { cidrIpv4: "10.0.0.0/8" })],
        [
            "aws_security_group.fail",
            "fail",
            {
                kind: "sg",
                props: {
                    name: "example",
                    vpcId: VPC_ID,
                    ingress: [
                        { cidrBlocks: ["0.0.0.0/0"], fromPort: 3389, toPort: 3389, protocol: "tcp" },
                        { cidrBlocks: ["0.0.0.0/0"], fromPort: 443, toPort: 443, protocol: "tcp" },
                    ],
                    egress: [egressAll],
                },
            },
        ],
        ["aws_security_group_rule.fail", "fail", sgRule(3389, 3389, "tcp", { cidrBlocks: ["0.0.0.0/0"] }, "sg-12345")],
        ["aws_vpc_security_group_ingress_rule.fail", "fail", vpcRule(3389, 3389, "tcp", { cidrIpv4: "0.0.0.0/0" })],
    ]),

    // checkov CKV_AWS_277 (SecurityGroupUnrestrictedIngressAny): no ingress from 0.0.0.0/0 to "port -1"
    // (from/to -1, or protocol -1 over 0-0 / 0-65535).
    ...sgChecks("CKV_AWS_277", "example_SecurityGroupUnrestrictedIngressAny", [
        [
            "aws_security_group.pass",
            "pass",
            {
                kind: "sg",
                props: {
                    name: "example",
                    vpcId: VPC_ID,
                    ingress: [
                        { cidrBlocks: ["0.0.0.0/0"], fromPort: 80, toPort: 80, protocol: "tcp" },
                        { cidrBlocks: ["0.0.0.0/0"], fromPort: 443, toPort: 443, protocol: "tcp" },
                    ],
                    egress: [egressAll],
                },
            },
        ],
        ["aws_security_group_rule.pass", "pass", sgRule(80, 80, "tcp", { cidrBlocks: ["0.0.0.0/0"] }, "sg-12345")],
        ["aws_vpc_security_group_ingress_rule.pass", "pass", vpcRule(80, 80, "tcp", { cidrIpv4: "0.0.0.0/0" })],
        [
            "aws_security_group.fail",
            "fail",
            {
                kind: "sg",
                props: {
                    name: "allow-all-ingress",
                    description: "unfettered access",
                    vpcId: "test_vpc",
                    ingress: [
                        {
                            fromPort: -1,
                            toPort: -1,
                            protocol: "tcp",
                            cidrBlocks: ["0.0.0.0/0"],
                            description: "Test unfettered access",
                        },
                    ],
                },
            },
        ],
        [
            "aws_security_group_rule.fail",
            "fail",
            sgRule(-1, -1, "tcp", { cidrBlocks: ["0.0.0.0/0"], description: "Test unfettered access" }, "sg-12345"),
        ],
        [
            "aws_security_group_rule.fail2",
            "fail",
            sgRule(0, 0, "-1", { cidrBlocks: ["0.0.0.0/0"], description: "Test unfettered access" }, "sg-123456"),
        ],
        ["aws_vpc_security_group_ingress_rule.fail", "fail", vpcRule(-1, -1, "tcp", { cidrIpv4: "0.0.0.0/0" })],
    ]),

    // checkov CKV_AWS_260 (SecurityGroupUnrestrictedIngress80): the same for port 80 (our policy allows 80 on
    // purpose; catalogued all the same).
    ...sgChecks("CKV_AWS_260", "example_SecurityGroupUnrestrictedIngress80", [
        [
            "aws_security_group.fail",
            "fail",
            sg([{ fromPort: 80, toPort: 80, protocol: "tcp", cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"] }]),
        ],
        [
            "aws_security_group.fail2",
            "fail",
            sg([{ fromPort: 0, toPort: 0, protocol: "tcp", cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"] }]),
        ],
        [
            "aws_security_group.fail3",
            "fail",
            sg([{ fromPort: 80, toPort: 80, protocol: "tcp", ipv6CidrBlocks: ["192.168.0.0/16", "::/0"] }]),
        ],
        [
            "aws_security_group.fail4",
            "fail",
            sg([
                {
                    fromPort: 80,
                    toPort: 80,
                    protocol: "tcp",
                    securityGroups: [OTHER_SG_ID],
                    cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"],
                },
            ]),
        ],
        [
            "aws_security_group.fail5",
            "fail",
            {
                kind: "sg",
                props: {
                    description: "SG with inline rules",
                    ingress: [
                        {
                            cidrBlocks: ["0.0.0.0/0"],
                            description: "Wide Open",
                            fromPort: 0,
                            ipv6CidrBlocks: [],
                            prefixListIds: [],
                            securityGroups: [],
                            protocol: "-1",
                            self: false,
                            toPort: 65535,
                        },
                    ],
                },
            },
        ],
        [
            "aws_security_group.pass",
            "pass",
            sg([{ fromPort: 222, toPort: 222, protocol: "tcp", cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"] }]),
        ],
        [
            "aws_security_group.pass2",
            "pass",
            sg([{ fromPort: 80, toPort: 80, protocol: "tcp", securityGroups: [OTHER_SG_ID] }]),
        ],
        [
            "aws_security_group.pass3",
            "pass",
            {
                kind: "sg",
                props: {
                    name: "sg-bar",
                    vpcId: VPC_ID,
                    ingress: [
                        {
                            fromPort: 80,
                            toPort: 80,
                            protocol: "tcp",
                            securityGroups: [OTHER_SG_ID],
                            description: "foo",
                        },
                    ],
                    egress: [{ fromPort: 0, toPort: 0, protocol: "-1" }],
                },
            },
        ],
        [
            "aws_security_group.pass4",
            "pass",
            sg([{ fromPort: 80, toPort: 80, protocol: "tcp", cidrBlocks: ["192.168.0.0/16"] }]),
        ],
        [
            "aws_security_group.pass5",
            "pass",
            sg([
                {
                    fromPort: 80,
                    toPort: 80,
                    protocol: "tcp",
                    securityGroups: [OTHER_SG_ID],
                    cidrBlocks: ["192.168.0.0/16"],
                },
            ]),
        ],
        ["aws_security_group.pass6", "pass", sg([])],
        ["aws_security_group.pass7", "pass", { kind: "sg", props: { name: "sg-bar", vpcId: VPC_ID } }],
        [
            "aws_security_group.pass-ipv6",
            "pass",
            {
                kind: "sg",
                props: {
                    name: "sg-bar",
                    vpcId: VPC_ID,
                    ingress: [
                        {
                            fromPort: 80,
                            toPort: 80,
                            protocol: "tcp",
                            securityGroups: [OTHER_SG_ID],
                            description: "foo",
                        },
                    ],
                    egress: [{ fromPort: 0, toPort: 0, protocol: "-1" }],
                },
            },
        ],
        [
            "aws_security_group_rule.fail",
            "fail",
            sgRule(80, 80, "tcp", { cidrBlocks: ["192.168.0.0/16", "0.0.0.0/0"] }),
        ],
        ["aws_security_group_rule.pass", "pass", sgRule(80, 80, "tcp", { cidrBlocks: ["192.168.0.0/16"] })],
        ["aws_security_group_rule.pass2", "pass", sgRule(80, 80, "tcp", { sourceSecurityGroupId: "sg-123456" })],
        ["aws_security_group_rule.pass3", "pass", sgRule(222, 222, "tcp", { cidrBlocks: ["0.0.0.0/0"] })],
        ["aws_vpc_security_group_ingress_rule.fail", "fail", vpcRule(80, 80, "tcp", { cidrIpv4: "0.0.0.0/0" })],
        ["aws_vpc_security_group_ingress_rule.fail2", "fail", vpcRule(80, 80, "tcp", {})],
        // source writes `prefix_list_ids = "some_id"` and no security_group_id; the real argument is prefix_list_id
        [
            "aws_vpc_security_group_ingress_rule.pass_prefix_list",
            "pass",
            vpcRule(80, 80, "tcp", { prefixListId: "pl-0123456789abcdef0" }),
        ],
        ["aws_vpc_security_group_ingress_rule.pass", "pass", vpcRule(80, 80, "tcp", { cidrIpv4: "10.0.0.0/8" })],
    ]),

    // trivy AWS-0107 (no-public-ingress-sgr): no ingress from any IP to SSH (22) or RDP (3389) over
    // tcp/udp/all protocols; protocol -1 counts as every port.
    scannerCase({
        policy: SGR,
        id: "trivy.AVD-AWS-0107.good0",
        expect: "pass",
        type: "aws:ec2/securityGroupRule:SecurityGroupRule",
        // the source sets no ports, protocol nor group; placeholders added (the CIDR is private anyway)
        props: {
            type: "ingress",
            cidrBlocks: ["10.0.0.0/16"],
            fromPort: 22,
            toPort: 22,
            protocol: "tcp",
            securityGroupId: SG_ID,
        },
        source: tv(
            `${TV_EC2}/no_public_ingress_sgr.yaml`,
            "AVD-AWS-0107",
            "good[0] aws_security_group_rule.good_example",
        ),
    }),
    scannerCase({
        policy: SGR,
        id: "trivy.AVD-AWS-0107.good1",
        expect: "pass",
        type: "aws:ec2/securityGroupRule:SecurityGroupRule",
        props: {
            type: "ingress",
            securityGroupId: "sg-123456",
            fromPort: 22,
            toPort: 22,
            protocol: "tcp",
            cidrBlocks: ["1.2.3.4/32", "4.5.6.7/32"],
        },
        source: tv(`${TV_EC2}/no_public_ingress_sgr.yaml`, "AVD-AWS-0107", "good[1] aws_security_group_rule.example"),
    }),
    scannerCase({
        policy: SGR,
        id: "trivy.AVD-AWS-0107.bad0",
        expect: "fail",
        type: "aws:ec2/securityGroupRule:SecurityGroupRule",
        props: {
            type: "ingress",
            fromPort: 22,
            toPort: 22,
            protocol: "tcp",
            cidrBlocks: ["0.0.0.0/0"],
            securityGroupId: SG_ID,
        },
        source: tv(
            `${TV_EC2}/no_public_ingress_sgr.yaml`,
            "AVD-AWS-0107",
            "bad[0] aws_security_group_rule.bad_example",
        ),
    }),
    ...(
        [
            ["test_deny_ingress_sq_all_ips_for_ssh_port_and_tcp", "fail", "tcp", "0.0.0.0/0", 22, 22],
            ["test_deny_ingress_sq_all_ips_for_ssh_port_and_uppercase_tcp", "fail", "TCP", "0.0.0.0/0", 22, 22],
            ["test_deny_ingress_sq_all_ips_for_ssh_port_and_int_tcp", "fail", "6", "0.0.0.0/0", 22, 22],
            ["test_deny_ingress_sq_all_ips_for_rdp_port_and_udp", "fail", "udp", "0.0.0.0/0", 3389, 3389],
            ["test_deny_ingress_sq_all_ips_for_all_ports_and_all_protocols", "fail", "-1", "0.0.0.0/0", 0, 0],
            ["test_allow_ingress_sg_restrictive_cidr_range", "pass", "tcp", "10.0.0.0/16", 22, 22],
        ] as const
    ).map(([name, expect, protocol, cidr, fromPort, toPort]) =>
        scannerCase({
            policy: SGR,
            id: `trivy.AVD-AWS-0107.${name}`,
            expect,
            type: "aws:ec2/securityGroup:SecurityGroup",
            props: { vpcId: VPC_ID, ingress: [{ protocol, cidrBlocks: [cidr], fromPort, toPort }] },
            source: tv(`${TV_EC2}/no_public_ingress_sgr_test.rego`, "AVD-AWS-0107", name),
        }),
    ),

    // crafted
    scannerCase({
        policy: SGR,
        id: "crafted.sg-ipv6-any-22",
        expect: "fail",
        type: "aws:ec2/securityGroup:SecurityGroup",
        props: { vpcId: VPC_ID, ingress: [{ fromPort: 22, toPort: 22, protocol: "tcp", ipv6CidrBlocks: ["::/0"] }] },
        source: crafted("security group ingress from ::/0 to 22"),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.sgr-all-protocols",
        expect: "fail",
        type: "aws:ec2/securityGroupRule:SecurityGroupRule",
        props: {
            type: "ingress",
            fromPort: 0,
            toPort: 0,
            protocol: "-1",
            cidrBlocks: ["0.0.0.0/0"],
            securityGroupId: SG_ID,
        },
        source: crafted('security group rule, protocol "-1" from 0.0.0.0/0'),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.sg-all-protocols-port-443",
        expect: "fail",
        type: "aws:ec2/securityGroup:SecurityGroup",
        props: {
            vpcId: VPC_ID,
            ingress: [{ fromPort: 443, toPort: 443, protocol: "-1", cidrBlocks: ["0.0.0.0/0"] }],
        },
        source: crafted('protocol "-1" with ports 443-443 (AWS ignores the ports: every port is open)'),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.sg-range-0-65535",
        expect: "fail",
        type: "aws:ec2/securityGroup:SecurityGroup",
        props: { vpcId: VPC_ID, ingress: [{ fromPort: 0, toPort: 65535, protocol: "tcp", cidrBlocks: ["0.0.0.0/0"] }] },
        source: crafted("tcp range 0-65535 from 0.0.0.0/0"),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.sg-range-80-443",
        expect: "fail",
        type: "aws:ec2/securityGroup:SecurityGroup",
        props: { vpcId: VPC_ID, ingress: [{ fromPort: 80, toPort: 443, protocol: "tcp", cidrBlocks: ["0.0.0.0/0"] }] },
        source: crafted("tcp range 80-443 from 0.0.0.0/0 (covers ports other than 80 and 443)"),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.sg-80-and-443",
        expect: "pass",
        type: "aws:ec2/securityGroup:SecurityGroup",
        props: {
            vpcId: VPC_ID,
            ingress: [
                { fromPort: 80, toPort: 80, protocol: "tcp", cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
                { fromPort: 443, toPort: 443, protocol: "tcp", cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
            ],
            egress: [egressAll],
        },
        source: crafted("ingress from anywhere to 80 and 443 only"),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.sg-self-but-public-cidr",
        expect: "fail",
        type: "aws:ec2/securityGroup:SecurityGroup",
        props: {
            vpcId: VPC_ID,
            ingress: [{ fromPort: 0, toPort: 0, protocol: "-1", self: true, cidrBlocks: ["0.0.0.0/0"] }],
        },
        source: crafted("self = true next to a 0.0.0.0/0 CIDR on all protocols (checkov passes any self rule)"),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.sgr-egress-all",
        expect: "pass",
        type: "aws:ec2/securityGroupRule:SecurityGroupRule",
        props: {
            type: "egress",
            fromPort: 0,
            toPort: 0,
            protocol: "-1",
            cidrBlocks: ["0.0.0.0/0"],
            securityGroupId: SG_ID,
        },
        source: crafted("egress rule to 0.0.0.0/0 (not ingress)"),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.vpc-ingress-ipv4-22",
        expect: "fail",
        type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        props: { securityGroupId: SG_ID, cidrIpv4: "0.0.0.0/0", fromPort: 22, toPort: 22, ipProtocol: "tcp" },
        source: crafted("vpc ingress rule from 0.0.0.0/0 to 22"),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.vpc-ingress-ipv6-all",
        expect: "fail",
        type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        props: { securityGroupId: SG_ID, cidrIpv6: "::/0", ipProtocol: "-1" },
        source: crafted('vpc ingress rule from ::/0, ipProtocol "-1" (no ports)'),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.vpc-ingress-443",
        expect: "pass",
        type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        props: { securityGroupId: SG_ID, cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443, ipProtocol: "tcp" },
        source: crafted("vpc ingress rule from 0.0.0.0/0 to 443"),
    }),
    scannerCase({
        policy: SGR,
        id: "crafted.vpc-ingress-referenced-sg-22",
        expect: "pass",
        type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        props: {
            securityGroupId: SG_ID,
            referencedSecurityGroupId: OTHER_SG_ID,
            fromPort: 22,
            toPort: 22,
            ipProtocol: "tcp",
        },
        source: crafted("vpc ingress rule to 22 from another security group"),
    }),

    // ───────────────────────────── alb-hardened ─────────────────────────────
    // checkov CKV_AWS_131 (ALBDropHttpHeaders): drop_invalid_header_fields = true on aws_lb / aws_alb
    // (network and gateway LBs are UNKNOWN: skipped).
    ...(
        [
            ["aws:lb/loadBalancer:LoadBalancer", "aws_lb", "enabled", "pass", true],
            ["aws:alb/loadBalancer:LoadBalancer", "aws_alb", "enabled", "pass", true],
            ["aws:lb/loadBalancer:LoadBalancer", "aws_lb", "default", "fail", undefined],
            ["aws:alb/loadBalancer:LoadBalancer", "aws_alb", "default", "fail", undefined],
            ["aws:lb/loadBalancer:LoadBalancer", "aws_lb", "disabled", "fail", false],
            ["aws:alb/loadBalancer:LoadBalancer", "aws_alb", "disabled", "fail", false],
        ] as const
    ).map(([type, tf, name, expect, drop]) =>
        scannerCase({
            policy: ALB,
            id: `checkov.CKV_AWS_131.${tf}.${name}`,
            expect,
            type,
            props: {
                internal: false,
                loadBalancerType: "application",
                name: "alb",
                subnets: SUBNETS,
                // Completed: access logs on (alb-hardened's other requirement, not this check's subject).
                accessLogs: { bucket: LOG_BUCKET, enabled: true },
                ...(drop === undefined ? {} : { dropInvalidHeaderFields: drop }),
            },
            source: ck(`${CK_RES}/example_ALBDropHttpHeaders/main.tf`, "CKV_AWS_131", `${tf}.${name}`),
        }),
    ),

    // checkov CKV_AWS_91 (ELBv2AccessLogs): access_logs.enabled = true on aws_lb / aws_alb, network LBs
    // included (gateway is UNKNOWN: skipped).
    ...(
        [
            ["aws:lb/loadBalancer:LoadBalancer", "aws_lb", "enabled", "pass", "network", { enabled: true }],
            ["aws:alb/loadBalancer:LoadBalancer", "aws_alb", "enabled", "pass", "application", { enabled: true }],
            ["aws:lb/loadBalancer:LoadBalancer", "aws_lb", "default", "fail", "network", undefined],
            ["aws:alb/loadBalancer:LoadBalancer", "aws_alb", "default", "fail", "application", undefined],
            ["aws:lb/loadBalancer:LoadBalancer", "aws_lb", "only_bucket", "fail", "network", {}],
            ["aws:alb/loadBalancer:LoadBalancer", "aws_alb", "only_bucket", "fail", "application", {}],
            ["aws:lb/loadBalancer:LoadBalancer", "aws_lb", "disabled", "fail", "network", { enabled: false }],
            ["aws:alb/loadBalancer:LoadBalancer", "aws_alb", "disabled", "fail", "application", { enabled: false }],
        ] as const
    ).map(([type, tf, name, expect, lbType, logs]) =>
        scannerCase({
            policy: ALB,
            id: `checkov.CKV_AWS_91.${tf}.${name}`,
            expect,
            type,
            props: {
                loadBalancerType: lbType,
                name: lbType === "network" ? "nlb" : "alb",
                subnets: SUBNETS,
                // Completed: invalid headers dropped (alb-hardened's other requirement, not this check's subject).
                dropInvalidHeaderFields: true,
                ...(logs === undefined ? {} : { accessLogs: { bucket: LOG_BUCKET, ...logs } }),
            },
            source: ck(`${CK_RES}/example_ELBv2AccessLogs/main.tf`, "CKV_AWS_91", `${tf}.${name}`),
        }),
    ),

    // trivy AWS-0052 (drop-invalid-headers): application LBs (type unset = application) must drop invalid headers.
    scannerCase({
        policy: ALB,
        id: "trivy.AVD-AWS-0052.good0",
        expect: "pass",
        type: "aws:alb/loadBalancer:LoadBalancer",
        props: { dropInvalidHeaderFields: true, accessLogs: { bucket: LOG_BUCKET, enabled: true } }, // completed: access logs
        source: tv(`${TV_ELB}/drop_invalid_headers.yaml`, "AVD-AWS-0052", "good[0] aws_alb.good_example"),
    }),
    scannerCase({
        policy: ALB,
        id: "trivy.AVD-AWS-0052.bad0",
        expect: "fail",
        type: "aws:alb/loadBalancer:LoadBalancer",
        props: { dropInvalidHeaderFields: false },
        source: tv(`${TV_ELB}/drop_invalid_headers.yaml`, "AVD-AWS-0052", "bad[0] aws_alb.bad_example"),
    }),
    scannerCase({
        policy: ALB,
        id: "trivy.AVD-AWS-0052.test_allow_drop_invalid_headers",
        expect: "pass",
        type: "aws:lb/loadBalancer:LoadBalancer",
        props: {
            loadBalancerType: "application",
            dropInvalidHeaderFields: true,
            accessLogs: { bucket: LOG_BUCKET, enabled: true },
        }, // completed: access logs
        source: tv(`${TV_ELB}/drop_invalid_headers_test.rego`, "AVD-AWS-0052", "test_allow_drop_invalid_headers"),
    }),
    scannerCase({
        policy: ALB,
        id: "trivy.AVD-AWS-0052.test_allow_without_drop_invalid_headers_but_no_application",
        expect: "pass",
        type: "aws:lb/loadBalancer:LoadBalancer",
        props: { loadBalancerType: "gateway", dropInvalidHeaderFields: false },
        source: tv(
            `${TV_ELB}/drop_invalid_headers_test.rego`,
            "AVD-AWS-0052",
            "test_allow_without_drop_invalid_headers_but_no_application",
        ),
    }),
    scannerCase({
        policy: ALB,
        id: "trivy.AVD-AWS-0052.test_deny_without_drop_invalid_headers_and_application",
        expect: "fail",
        type: "aws:lb/loadBalancer:LoadBalancer",
        props: { loadBalancerType: "application", dropInvalidHeaderFields: false },
        source: tv(
            `${TV_ELB}/drop_invalid_headers_test.rego`,
            "AVD-AWS-0052",
            "test_deny_without_drop_invalid_headers_and_application",
        ),
    }),

    // crafted
    scannerCase({
        policy: ALB,
        id: "crafted.alb-type-unset-hardened",
        expect: "pass",
        type: "aws:lb/loadBalancer:LoadBalancer",
        props: {
            subnets: SUBNETS,
            dropInvalidHeaderFields: true,
            accessLogs: { bucket: LOG_BUCKET, enabled: true },
        },
        source: crafted("loadBalancerType unset (application) with both settings"),
    }),
    scannerCase({
        policy: ALB,
        id: "crafted.alb-type-unset-bare",
        expect: "fail",
        type: "aws:lb/loadBalancer:LoadBalancer",
        props: { subnets: SUBNETS },
        source: crafted("loadBalancerType unset (application) with neither setting"),
    }),
    scannerCase({
        policy: ALB,
        id: "crafted.alb-logs-bucket-only",
        expect: "fail",
        type: "aws:alb/loadBalancer:LoadBalancer",
        props: { subnets: SUBNETS, dropInvalidHeaderFields: true, accessLogs: { bucket: LOG_BUCKET } },
        source: crafted("accessLogs with a bucket but enabled unset (the provider's default is false)"),
    }),
    scannerCase({
        policy: ALB,
        id: "crafted.nlb-bare",
        expect: "pass",
        type: "aws:lb/loadBalancer:LoadBalancer",
        props: { loadBalancerType: "network", subnets: SUBNETS },
        source: crafted("network load balancer without either setting (not an ALB)"),
    }),

    // ───────────────────────────── alb-listener-https ─────────────────────────────
    // checkov CKV_AWS_2 (ALBListenerHTTPS): protocol HTTPS/TLS/TCP/UDP/TCP_UDP pass, HTTP passes only with a
    // default redirect to HTTPS, anything else (no protocol included) fails. Test confs inline in the .py,
    // without default_action: a forward is added (our inputs require one).
    scannerCase({
        policy: HTTPS,
        id: "checkov.CKV_AWS_2.test_success_redirect",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        props: { loadBalancerArn: ALB_ARN, port: 80, protocol: "HTTP", defaultActions: [redirectHttps] },
        source: ck(`${CK_RES}/test_ALBListenerHTTPS.py`, "CKV_AWS_2", "test_success_redirect"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "checkov.CKV_AWS_2.test_success_1",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        props: {
            loadBalancerArn: ALB_ARN,
            port: 443,
            protocol: "HTTPS",
            certificateArn: CERT_ARN,
            defaultActions: [forward],
        },
        source: ck(`${CK_RES}/test_ALBListenerHTTPS.py`, "CKV_AWS_2", "test_success_1"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "checkov.CKV_AWS_2.test_success_2",
        expect: "pass",
        type: "aws:alb/listener:Listener",
        props: {
            loadBalancerArn: ALB_ARN,
            port: 443,
            protocol: "HTTPS",
            certificateArn: CERT_ARN,
            defaultActions: [forward],
        },
        source: ck(`${CK_RES}/test_ALBListenerHTTPS.py`, "CKV_AWS_2", "test_success_2"),
    }),
    ...(
        [
            ["test_nlb_tcp_success", 22, "TCP"],
            ["test_nlb_udp_success", 53, "UDP"],
            ["test_nlb_tcp_udp_success", 53, "TCP_UDP"],
        ] as const
    ).map(([name, port, protocol]) =>
        scannerCase({
            policy: HTTPS,
            id: `checkov.CKV_AWS_2.${name}`,
            expect: "pass",
            type: "aws:lb/listener:Listener",
            props: { loadBalancerArn: NLB_ARN, port, protocol, defaultActions: [forward] },
            source: ck(`${CK_RES}/test_ALBListenerHTTPS.py`, "CKV_AWS_2", name),
        }),
    ),
    scannerCase({
        policy: HTTPS,
        id: "checkov.CKV_AWS_2.test_failure_1",
        expect: "fail",
        type: "aws:lb/listener:Listener",
        props: { loadBalancerArn: ALB_ARN, port: 80, protocol: "HTTP", defaultActions: [forward] },
        source: ck(`${CK_RES}/test_ALBListenerHTTPS.py`, "CKV_AWS_2", "test_failure_1"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "checkov.CKV_AWS_2.test_failure_2",
        expect: "fail",
        type: "aws:alb/listener:Listener",
        props: { loadBalancerArn: ALB_ARN, port: 80, protocol: "HTTP", defaultActions: [forward] },
        source: ck(`${CK_RES}/test_ALBListenerHTTPS.py`, "CKV_AWS_2", "test_failure_2"),
    }),

    // checkov CKV2_AWS_20 (ALBRedirectsHTTPToHTTPS, graph): an aws_lb/aws_alb fails when a listener on port 80
    // with protocol HTTP does not redirect to HTTPS on 443. Judged here: the LB's only listener.
    ...(
        [
            ["aws_lb.lb_good_1", "pass", "lb", 443, "HTTPS", { type: "action" }],
            ["aws_lb.lb_good_2", "pass", "lb", 80, "HTTP", redirectHttps],
            ["aws_lb.lb_good_3", "pass", "lb", 80, "HTTP", redirectHttps],
            ["aws_alb.alb_good_1", "pass", "alb", 80, "HTTP", redirectHttps],
            ["aws_lb.lb_bad_1", "fail", "lb", 80, "HTTP", { type: "some-action" }],
            ["aws_lb.lb_bad_2", "fail", "lb", 80, "HTTP", { type: "some-action" }],
            ["aws_alb.alb_bad_1", "fail", "alb", 80, "HTTP", { type: "some-action" }],
        ] as const
    ).map(([name, expect, kind, port, protocol, action]) => {
        const lbArn = `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/${name.split(".")[1]}/50dc6c495c0c9188`;
        return scannerCase({
            policy: HTTPS,
            id: `checkov.CKV2_AWS_20.${name}`,
            expect,
            type: kind === "lb" ? "aws:lb/listener:Listener" : "aws:alb/listener:Listener",
            props: { loadBalancerArn: lbArn, port, protocol, defaultActions: [action] },
            also: [
                kind === "lb"
                    ? companion({
                          type: "aws:lb/loadBalancer:LoadBalancer",
                          name: "lb",
                          props: {},
                          outputs: { arn: lbArn },
                      })
                    : companion({
                          type: "aws:alb/loadBalancer:LoadBalancer",
                          name: "lb",
                          props: {},
                          outputs: { arn: lbArn },
                      }),
            ],
            source: ck(
                "tests/terraform/graph/checks/resources/ALBRedirectsHTTPToHTTPS/main.tf",
                "CKV2_AWS_20",
                `${name} (its listener)`,
            ),
        });
    }),

    // trivy AWS-0054 (http-not-used): listeners of application LBs must not use HTTP unless a default action
    // is a redirect (any redirect: its protocol is not read).
    scannerCase({
        policy: HTTPS,
        id: "trivy.AVD-AWS-0054.good0",
        expect: "pass",
        type: "aws:alb/listener:Listener",
        props: { loadBalancerArn: ALB_ARN, protocol: "HTTPS", certificateArn: CERT_ARN, defaultActions: [forward] },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "example",
                props: {},
                outputs: { arn: ALB_ARN },
            }),
        ],
        source: tv(`${TV_ELB}/http_not_used.yaml`, "AVD-AWS-0054", "good[0] aws_alb_listener.good_example"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "trivy.AVD-AWS-0054.bad0",
        expect: "fail",
        type: "aws:alb/listener:Listener",
        props: { loadBalancerArn: ALB_ARN, protocol: "HTTP", defaultActions: [forward] },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "example",
                props: {},
                outputs: { arn: ALB_ARN },
            }),
        ],
        source: tv(`${TV_ELB}/http_not_used.yaml`, "AVD-AWS-0054", "bad[0] aws_alb_listener.bad_example"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "trivy.AVD-AWS-0054.test_allow_https",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        props: { loadBalancerArn: ALB_ARN, protocol: "HTTPS", certificateArn: CERT_ARN, defaultActions: [forward] },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "lb",
                props: { loadBalancerType: "application" },
                outputs: { arn: ALB_ARN },
            }),
        ],
        source: tv(`${TV_ELB}/http_not_used_test.rego`, "AVD-AWS-0054", "test_allow_https"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "trivy.AVD-AWS-0054.test_allow_http_with_redirect",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        // the test gives a redirect action and nothing else: no target protocol (AWS keeps #{protocol}, HTTP)
        props: {
            loadBalancerArn: ALB_ARN,
            protocol: "HTTP",
            defaultActions: [{ type: "redirect", redirect: { statusCode: "HTTP_301" } }],
        },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "lb",
                props: { loadBalancerType: "application" },
                outputs: { arn: ALB_ARN },
            }),
        ],
        source: tv(`${TV_ELB}/http_not_used_test.rego`, "AVD-AWS-0054", "test_allow_http_with_redirect"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "trivy.AVD-AWS-0054.test_allow_http_mixed_actions",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        props: {
            loadBalancerArn: ALB_ARN,
            protocol: "HTTP",
            defaultActions: [
                { ...redirectHttps, order: 1 },
                { ...forward, order: 2 },
            ],
        },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "lb",
                props: { loadBalancerType: "application" },
                outputs: { arn: ALB_ARN },
            }),
        ],
        source: tv(`${TV_ELB}/http_not_used_test.rego`, "AVD-AWS-0054", "test_allow_http_mixed_actions"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "trivy.AVD-AWS-0054.test_allow_http_but_not_application",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        props: { loadBalancerArn: NLB_ARN, protocol: "HTTP", defaultActions: [forward] },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "lb",
                props: { loadBalancerType: "network" },
                outputs: { arn: NLB_ARN },
            }),
        ],
        source: tv(`${TV_ELB}/http_not_used_test.rego`, "AVD-AWS-0054", "test_allow_http_but_not_application"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "trivy.AVD-AWS-0054.test_deny_http_without_redirect",
        expect: "fail",
        type: "aws:lb/listener:Listener",
        props: { loadBalancerArn: ALB_ARN, protocol: "HTTP", defaultActions: [forward] },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "lb",
                props: { loadBalancerType: "application" },
                outputs: { arn: ALB_ARN },
            }),
        ],
        source: tv(`${TV_ELB}/http_not_used_test.rego`, "AVD-AWS-0054", "test_deny_http_without_redirect"),
    }),

    // crafted
    scannerCase({
        policy: HTTPS,
        id: "crafted.tcp-listener",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        props: { loadBalancerArn: NLB_ARN, port: 443, protocol: "TCP", defaultActions: [forward] },
        source: crafted("NLB TCP listener (TLS passthrough)"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "crafted.gwlb-listener",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        props: { loadBalancerArn: GWLB_ARN, defaultActions: [forward] },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "gwlb",
                props: { loadBalancerType: "gateway", subnetMappings: [{ subnetId: SUBNETS[0] }] },
                outputs: { arn: GWLB_ARN },
            }),
        ],
        source: crafted("Gateway Load Balancer listener: no protocol, no port"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "crafted.alb-listener-protocol-unset",
        expect: "fail",
        type: "aws:alb/listener:Listener",
        props: { loadBalancerArn: ALB_ARN, port: 80, defaultActions: [forward] },
        source: crafted("ALB listener with protocol unset (the provider sends HTTP) forwarding"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "crafted.http-redirect-without-protocol",
        expect: "fail",
        type: "aws:lb/listener:Listener",
        props: {
            loadBalancerArn: ALB_ARN,
            port: 80,
            protocol: "HTTP",
            defaultActions: [{ type: "redirect", redirect: { host: "example.com", statusCode: "HTTP_302" } }],
        },
        source: crafted("HTTP listener redirecting to another host, protocol unset (#{protocol} keeps HTTP)"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "crafted.rule-forward-over-http-redirect",
        expect: "fail",
        type: "aws:lb/listenerRule:ListenerRule",
        props: {
            listenerArn: HTTP_LISTENER_ARN,
            priority: 10,
            actions: [forward],
            conditions: [{ pathPattern: { values: ["/api/*"] } }],
        },
        also: [
            companion({
                type: "aws:lb/listener:Listener",
                name: "http",
                props: { loadBalancerArn: ALB_ARN, port: 80, protocol: "HTTP", defaultActions: [redirectHttps] },
                outputs: { arn: HTTP_LISTENER_ARN },
            }),
        ],
        source: crafted("HTTP listener redirecting by default, with a rule forwarding /api/* over HTTP"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "crafted.alb-rule-forward-over-http-redirect",
        expect: "fail",
        type: "aws:alb/listenerRule:ListenerRule",
        props: {
            listenerArn: HTTP_LISTENER_ARN,
            priority: 10,
            actions: [{ type: "forward", forward: { targetGroups: [{ arn: TG_ARN }] } }],
            conditions: [{ hostHeader: { values: ["api.example.com"] } }],
        },
        also: [
            companion({
                type: "aws:alb/listener:Listener",
                name: "http",
                props: { loadBalancerArn: ALB_ARN, port: 80, protocol: "HTTP", defaultActions: [redirectHttps] },
                outputs: { arn: HTTP_LISTENER_ARN },
            }),
        ],
        source: crafted("aws:alb types: HTTP redirect listener with a rule forwarding (forward block) over HTTP"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "crafted.rule-redirect-https-over-http",
        expect: "pass",
        type: "aws:lb/listenerRule:ListenerRule",
        props: {
            listenerArn: HTTP_LISTENER_ARN,
            priority: 10,
            actions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
            conditions: [{ hostHeader: { values: ["old.example.com"] } }],
        },
        also: [
            companion({
                type: "aws:lb/listener:Listener",
                name: "http",
                props: { loadBalancerArn: ALB_ARN, port: 80, protocol: "HTTP", defaultActions: [redirectHttps] },
                outputs: { arn: HTTP_LISTENER_ARN },
            }),
        ],
        source: crafted("rule on an HTTP listener redirecting to HTTPS"),
    }),
    scannerCase({
        policy: HTTPS,
        id: "crafted.rule-forward-over-https",
        expect: "pass",
        type: "aws:lb/listenerRule:ListenerRule",
        props: {
            listenerArn: HTTPS_LISTENER_ARN,
            priority: 10,
            actions: [forward],
            conditions: [{ pathPattern: { values: ["/api/*"] } }],
        },
        also: [
            companion({
                type: "aws:lb/listener:Listener",
                name: "https",
                props: {
                    loadBalancerArn: ALB_ARN,
                    port: 443,
                    protocol: "HTTPS",
                    certificateArn: CERT_ARN,
                    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    defaultActions: [forward],
                },
                outputs: { arn: HTTPS_LISTENER_ARN },
            }),
        ],
        source: crafted("rule forwarding on an HTTPS listener"),
    }),

    // ───────────────────────────── lb-listener-tls-policy ─────────────────────────────
    // checkov CKV_AWS_103 (AppLoadBalancerTLS12, graph): TCP/UDP/TCP_UDP pass; HTTPS/TLS pass when ssl_policy
    // starts with ELBSecurityPolicy-FS-1-2, -TLS-1-2 or -TLS13; an HTTP listener passes only when it redirects
    // to HTTPS; a listener of a gateway LB passes; everything else (HTTP, no protocol) fails.
    ...(
        [
            ["aws_lb_listener.http_redirect", "pass", "lb", ALB_ARN, "HTTP", 80, undefined, [redirectHttps]],
            ["aws_lb_listener.tcp", "pass", "lb", NLB_ARN, "TCP", 8080, undefined, [forward]],
            ["aws_lb_listener.udp", "pass", "lb", NLB_ARN, "UDP", 8080, undefined, [forward]],
            ["aws_lb_listener.tcp_udp", "pass", "lb", NLB_ARN, "TCP_UDP", 8080, undefined, [forward]],
            [
                "aws_lb_listener.tls_1_3",
                "pass",
                "lb",
                NLB_ARN,
                "TLS",
                8080,
                "ELBSecurityPolicy-TLS13-1-2-2021-06",
                [forward],
            ],
            [
                "aws_lb_listener.tls_fs_1_2",
                "pass",
                "lb",
                NLB_ARN,
                "TLS",
                8080,
                "ELBSecurityPolicy-FS-1-2-Res-2019-08",
                [forward],
            ],
            [
                "aws_lb_listener.https_fs_1_2",
                "pass",
                "lb",
                ALB_ARN,
                "HTTPS",
                443,
                "ELBSecurityPolicy-FS-1-2-Res-2019-08",
                [forward],
            ],
            [
                "aws_alb_listener.https_fs_1_2",
                "pass",
                "alb",
                ALB_ARN,
                "HTTPS",
                443,
                "ELBSecurityPolicy-FS-1-2-Res-2019-08",
                [forward],
            ],
            ["aws_lb_listener.http", "fail", "lb", ALB_ARN, "HTTP", 80, undefined, [forward]],
            ["aws_lb_listener.https_2016", "fail", "lb", ALB_ARN, "HTTPS", 443, "ELBSecurityPolicy-2016-08", [forward]],
            [
                "aws_lb_listener.tls_fs_1_1",
                "fail",
                "lb",
                NLB_ARN,
                "TLS",
                8080,
                "ELBSecurityPolicy-FS-1-1-2019-08",
                [forward],
            ],
            [
                "aws_alb_listener.tls_fs_1_1",
                "fail",
                "alb",
                NLB_ARN,
                "TLS",
                8080,
                "ELBSecurityPolicy-FS-1-1-2019-08",
                [forward],
            ],
            [
                "aws_lb_listener.cognito",
                "fail",
                "lb",
                ALB_ARN,
                "HTTP",
                80,
                undefined,
                // the source's empty `redirect {}` (a plan-output artefact) cannot be expressed; the Cognito
                // block's required inputs are added instead
                [
                    {
                        type: "authenticate-cognito",
                        authenticateCognito: {
                            userPoolArn: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI",
                            userPoolClientId: "1example23456789",
                            userPoolDomain: "auth.example.com",
                        },
                    },
                ],
            ],
            [
                "aws_lb_listener.wrong_redirect",
                "fail",
                "lb",
                ALB_ARN,
                "HTTP",
                80,
                undefined,
                [{ type: "redirect", redirect: { protocol: "HTTP", statusCode: "HTTP_301" } }],
            ],
        ] as const
    ).map(([name, expect, kind, lbArn, protocol, port, sslPolicy, actions]) =>
        scannerCase({
            policy: TLS,
            id: `checkov.CKV_AWS_103.${name}`,
            expect,
            type: kind === "lb" ? "aws:lb/listener:Listener" : "aws:alb/listener:Listener",
            props: {
                loadBalancerArn: lbArn,
                protocol,
                port,
                ...(sslPolicy === undefined ? {} : { sslPolicy, certificateArn: CERT_ARN }),
                defaultActions: [...actions],
            },
            source: ck("tests/terraform/graph/checks/resources/AppLoadBalancerTLS12/main.tf", "CKV_AWS_103", name),
        }),
    ),
    scannerCase({
        policy: TLS,
        id: "checkov.CKV_AWS_103.aws_lb_listener.gateway_listener",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        props: { loadBalancerArn: GWLB_ARN, defaultActions: [forward] },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "gateway_lb",
                props: { loadBalancerType: "gateway", name: "example" },
                outputs: { arn: GWLB_ARN, id: GWLB_ARN },
            }),
        ],
        source: ck(
            "tests/terraform/graph/checks/resources/AppLoadBalancerTLS12/main.tf",
            "CKV_AWS_103",
            "aws_lb_listener.gateway_listener",
        ),
    }),
    scannerCase({
        policy: TLS,
        id: "checkov.CKV_AWS_103.aws_lb_listener.not_gateway_listener",
        expect: "fail",
        type: "aws:lb/listener:Listener",
        props: { loadBalancerArn: ALB_ARN, defaultActions: [forward] },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "not_gateway_lb",
                props: { loadBalancerType: "not gateway", name: "example" },
                outputs: { arn: ALB_ARN, id: ALB_ARN },
            }),
        ],
        source: ck(
            "tests/terraform/graph/checks/resources/AppLoadBalancerTLS12/main.tf",
            "CKV_AWS_103",
            "aws_lb_listener.not_gateway_listener",
        ),
    }),

    // trivy AWS-0047 (use-secure-tls-policy): fails a listener whose ssl_policy is in a deny-list of ten
    // outdated names (rego outdated_ssl_policies); any other value, unset included, passes.
    scannerCase({
        policy: TLS,
        id: "trivy.AVD-AWS-0047.good0",
        expect: "pass",
        type: "aws:alb/listener:Listener",
        props: {
            loadBalancerArn: ALB_ARN,
            sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
            protocol: "HTTPS",
            certificateArn: CERT_ARN,
            defaultActions: [forward],
        },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "example",
                props: {},
                outputs: { arn: ALB_ARN },
            }),
        ],
        source: tv(`${TV_ELB}/use_secure_tls_policy.yaml`, "AVD-AWS-0047", "good[0] aws_alb_listener.good_example"),
    }),
    scannerCase({
        policy: TLS,
        id: "trivy.AVD-AWS-0047.bad0",
        expect: "fail",
        type: "aws:alb/listener:Listener",
        props: {
            loadBalancerArn: ALB_ARN,
            sslPolicy: "ELBSecurityPolicy-TLS-1-1-2017-01",
            protocol: "HTTPS",
            certificateArn: CERT_ARN,
            defaultActions: [forward],
        },
        also: [
            companion({
                type: "aws:lb/loadBalancer:LoadBalancer",
                name: "example",
                props: {},
                outputs: { arn: ALB_ARN },
            }),
        ],
        source: tv(`${TV_ELB}/use_secure_tls_policy.yaml`, "AVD-AWS-0047", "bad[0] aws_alb_listener.bad_example"),
    }),
    scannerCase({
        policy: TLS,
        id: "trivy.AVD-AWS-0047.test_deny_with_outdated_tls_policy",
        expect: "fail",
        type: "aws:lb/listener:Listener",
        // the test sets no protocol; HTTPS is the one that takes a policy on an ALB
        props: {
            loadBalancerArn: ALB_ARN,
            protocol: "HTTPS",
            sslPolicy: "ELBSecurityPolicy-TLS-1-0-2015-04",
            certificateArn: CERT_ARN,
            defaultActions: [forward],
        },
        also: [
            companion({ type: "aws:lb/loadBalancer:LoadBalancer", name: "lb", props: {}, outputs: { arn: ALB_ARN } }),
        ],
        source: tv(`${TV_ELB}/use_secure_tls_policy_test.rego`, "AVD-AWS-0047", "test_deny_with_outdated_tls_policy"),
    }),
    scannerCase({
        policy: TLS,
        id: "trivy.AVD-AWS-0047.test_allow_with_actual_tls_policy",
        expect: "pass",
        type: "aws:lb/listener:Listener",
        props: {
            loadBalancerArn: ALB_ARN,
            protocol: "HTTPS",
            sslPolicy: "ELBSecurityPolicy-TLS-1-2-2017-01",
            certificateArn: CERT_ARN,
            defaultActions: [forward],
        },
        also: [
            companion({ type: "aws:lb/loadBalancer:LoadBalancer", name: "lb", props: {}, outputs: { arn: ALB_ARN } }),
        ],
        source: tv(`${TV_ELB}/use_secure_tls_policy_test.rego`, "AVD-AWS-0047", "test_allow_with_actual_tls_policy"),
    }),

    // crafted: AWS applies ELBSecurityPolicy-2016-08 (TLS 1.0+) when a listener made through the API, hence
    // Terraform/Pulumi, sets no policy (provider docs; AWS ALB/NLB "Security policies" pages).
    ...(
        [
            ["https-policy-unset", "fail", "HTTPS", undefined, "HTTPS listener, sslPolicy unset (AWS applies 2016-08)"],
            ["tls-policy-unset", "fail", "TLS", undefined, "NLB TLS listener, sslPolicy unset (AWS applies 2016-08)"],
            [
                "https-tls13-1-0",
                "fail",
                "HTTPS",
                "ELBSecurityPolicy-TLS13-1-0-2021-06",
                "TLS13-1-0 allows TLS 1.0 (checkov's TLS13 prefix passes it)",
            ],
            [
                "https-tls13-1-1-fips",
                "fail",
                "HTTPS",
                "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
                "TLS13-1-1 FIPS allows TLS 1.1 (neither scanner flags it)",
            ],
            ["https-fs-2018", "fail", "HTTPS", "ELBSecurityPolicy-FS-2018-06", "FS-2018-06 allows TLS 1.0"],
            [
                "https-tls13-1-2-ext2",
                "pass",
                "HTTPS",
                "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
                "TLS13-1-2-Ext2: TLS 1.2 minimum (trivy's list flags it)",
            ],
            [
                "https-tls13-1-2-res-pq",
                "pass",
                "HTTPS",
                "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
                "post-quantum TLS 1.2+ policy, the console default",
            ],
            ["https-tls-1-2-ext", "pass", "HTTPS", "ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "TLS-1-2-Ext-2018-06"],
            ["tls-tls13-1-3", "pass", "TLS", "ELBSecurityPolicy-TLS13-1-3-2021-06", "NLB TLS listener, TLS 1.3 only"],
            ["http-no-policy", "pass", "HTTP", undefined, "HTTP listener: no TLS policy applies (alb-listener-https)"],
        ] as const
    ).map(([id, expect, protocol, sslPolicy, name]) =>
        scannerCase({
            policy: TLS,
            id: `crafted.${id}`,
            expect,
            type: "aws:lb/listener:Listener",
            props: {
                loadBalancerArn: protocol === "TLS" ? NLB_ARN : ALB_ARN,
                protocol,
                port: protocol === "HTTP" ? 80 : 443,
                ...(protocol === "HTTP" ? {} : { certificateArn: CERT_ARN }),
                ...(sslPolicy === undefined ? {} : { sslPolicy }),
                defaultActions: [forward],
            },
            source: crafted(name),
        }),
    ),
    scannerCase({
        policy: TLS,
        id: "crafted.alb-type-https-tls13-1-2",
        expect: "pass",
        type: "aws:alb/listener:Listener",
        props: {
            loadBalancerArn: ALB_ARN,
            protocol: "HTTPS",
            port: 443,
            certificateArn: CERT_ARN,
            sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
            defaultActions: [forward],
        },
        source: crafted("aws:alb/listener HTTPS with TLS13-1-2-2021-06"),
    }),
];

// ───────────────────────────── helpers for checkov's security group examples ─────────────────────────────

type SgIngress =
    NonNullable<aws.ec2.SecurityGroupArgs["ingress"]> extends infer T
        ? T extends readonly (infer E)[]
            ? E
            : never
        : never;

type SgShape =
    | { kind: "sg"; props: aws.ec2.SecurityGroupArgs }
    | { kind: "rule"; props: aws.ec2.SecurityGroupRuleArgs }
    | { kind: "vpc"; props: aws.vpc.SecurityGroupIngressRuleArgs };

/** checkov's usual `aws_security_group` with name sg-bar, the given ingress blocks and (unless off) egressAll. */
function sg(ingress: SgIngress[], withEgress = true): SgShape {
    return {
        kind: "sg",
        props: {
            name: "sg-bar",
            vpcId: VPC_ID,
            ingress: ingress.map((i) => ({ description: "foo", ...i })),
            ...(withEgress ? { egress: [egressAll] } : {}),
        },
    };
}

/** An `aws_security_group_rule` of type ingress. */
function sgRule(
    fromPort: number,
    toPort: number,
    protocol: string,
    rest: Partial<aws.ec2.SecurityGroupRuleArgs>,
    securityGroupId = SG_ID,
): SgShape {
    return { kind: "rule", props: { type: "ingress", fromPort, toPort, protocol, securityGroupId, ...rest } };
}

/** An `aws_vpc_security_group_ingress_rule`. */
function vpcRule(
    fromPort: number,
    toPort: number,
    ipProtocol: string,
    rest: Partial<aws.vpc.SecurityGroupIngressRuleArgs>,
): SgShape {
    return { kind: "vpc", props: { securityGroupId: SG_ID, fromPort, toPort, ipProtocol, ...rest } };
}

/** One case per `[resource address, checkov verdict, shape]` of a checkov security group example. */
function sgChecks(check: string, dir: string, rows: [string, "pass" | "fail", SgShape][]): ScannerCase[] {
    return rows.map(([name, expect, shape]) => {
        const base = {
            policy: SGR,
            id: `checkov.${check}.${name}`,
            expect,
            source: ck(`${CK_RES}/${dir}/main.tf`, check, name),
        };
        switch (shape.kind) {
            case "sg":
                return scannerCase({ ...base, type: "aws:ec2/securityGroup:SecurityGroup", props: shape.props });
            case "rule":
                return scannerCase({
                    ...base,
                    type: "aws:ec2/securityGroupRule:SecurityGroupRule",
                    props: shape.props,
                });
            case "vpc":
                return scannerCase({
                    ...base,
                    type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                    props: shape.props,
                });
        }
    });
}
