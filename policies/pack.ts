/**
 * The pack `llm-production-standards`: its policies and their default enforcement. The entry point
 * (index.ts) only hands this to `new PolicyPack`; tests import this module, never the entry point
 * (constructing a PolicyPack starts a server that never exits).
 */
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { AWS_POLICIES } from "./aws";
import { KUBERNETES_POLICIES } from "./kubernetes";
import { STACK_POLICIES } from "./stack";

export const PACK_NAME = "llm-production-standards";

/** Every policy's name, in the pack's order (a test holds it equal to {@link POLICIES}). */
export const POLICY_NAMES = [
    "k8s-run-as-non-root",
    "k8s-no-privilege-escalation",
    "k8s-not-privileged",
    "k8s-read-only-root-filesystem",
    "k8s-drop-all-capabilities",
    "k8s-baseline-capabilities",
    "k8s-seccomp-profile",
    "k8s-seccomp-not-unconfined",
    "k8s-no-host-namespaces",
    "k8s-no-host-path",
    "k8s-no-host-ports",
    "k8s-apparmor",
    "k8s-selinux",
    "k8s-proc-mount",
    "k8s-sysctls",
    "k8s-windows-host-process",
    "k8s-volume-types",
    "k8s-probes",
    "k8s-resource-requests-limits",
    "k8s-gpu-requests-equal-limits",
    "k8s-image-pinned",
    "k8s-allowed-registries",
    "k8s-min-replicas",
    "k8s-rolling-update-max-unavailable-zero",
    "k8s-workloads-visible",
    "k8s-service-exposure",
    "k8s-no-bare-pods",
    "ecr-repository-hardened",
    "ecs-task-hardened",
    "eks-cluster-hardened",
    "launch-template-imdsv2",
    "ec2-no-public-ip",
    "security-group-restricted",
    "alb-hardened",
    "alb-listener-https",
    "alb-listener-rule-https",
    "lb-listener-tls-policy",
    "kms-key-rotation",
    "efs-encrypted",
    "log-group-hardened",
    "rds-instance-hardened",
    "iam-no-wildcard-actions",
    "iam-no-admin-policy",
    "iam-no-privilege-escalation",
    "iam-no-unscoped-writes",
    "required-tags",
    "s3-bucket-hardened",
    "k8s-pdb-for-serving",
    "k8s-networkpolicy-for-serving",
    "k8s-monitored-serving",
    "stateful-resources-protected",
    "gpu-budget",
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** Every policy, with a default enforcement of mandatory (the tier configs in config/ lower some). */
export const POLICIES: Array<ResourceValidationPolicy | StackValidationPolicy> = [
    ...KUBERNETES_POLICIES,
    ...AWS_POLICIES,
    ...STACK_POLICIES,
].map((p) => ({
    ...p,
    enforcementLevel: p.enforcementLevel ?? ("mandatory" as EnforcementLevel),
}));
