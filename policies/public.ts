/**
 * `llm-platform/policies`: the production-standards pack as a library. Every policy by name (and
 * by domain), the pack's definition and its tier configs, the factory that builds a team's own
 * pack from them ({@link productionStandards}), and the check a policy config must pass. The
 * ready-to-run pack is the folder `pack/` of the package:
 * `pulumi preview --policy-pack node_modules/llm-platform/pack --policy-pack-config node_modules/llm-platform/pack/config/prod.json`.
 *
 * @module llm-platform/policies
 */
export {
    k8sAllowedRegistries,
    k8sGpuRequestsEqualLimits,
    k8sNoBarePods,
    k8sServiceExposure,
    k8sImagePinned,
    k8sMinReplicas,
    k8sProbes,
    k8sResources,
    k8sRollingUpdate,
    k8sWorkloadsVisible,
    KUBERNETES_POLICIES,
} from "./kubernetes";
export {
    k8sAppArmor,
    k8sBaselineCapabilities,
    k8sDropAllCapabilities,
    k8sNoHostNamespaces,
    k8sNoHostPath,
    k8sNoHostPorts,
    k8sNoPrivilegeEscalation,
    k8sNotPrivileged,
    k8sProcMount,
    k8sReadOnlyRootFilesystem,
    k8sRunAsNonRoot,
    k8sSeccompNotUnconfined,
    k8sSeccompProfile,
    k8sSelinux,
    k8sSysctls,
    k8sVolumeTypes,
    k8sWindowsHostProcess,
    POD_SECURITY_POLICIES,
    PSS_LEVELS,
} from "./podSecurity";
export {
    albHardened,
    albListenerHttps,
    AWS_POLICIES,
    ecrRepositoryHardened,
    ecsTaskHardened,
    efsEncrypted,
    eksClusterHardened,
    iamNoWildcardActions,
    kmsKeyRotation,
    launchTemplateImdsv2,
    logGroupHardened,
    providerDefaultTags,
    rdsInstanceHardened,
    requiredTags,
} from "./aws";
export { albListenerRuleHttps, ec2NoPublicIp, lbListenerTlsPolicy, securityGroupRestricted } from "./awsNetwork";
export { iamNoAdminPolicy, iamNoPrivilegeEscalation, iamNoUnscopedWrites } from "./awsIam";
export {
    gpuBudget,
    k8sMonitoredServing,
    k8sNetworkPolicyForServing,
    k8sPdbForServing,
    s3BucketHardened,
    STACK_POLICIES,
    statefulResourcesProtected,
} from "./stack";
export { PACK_NAME, POLICIES, POLICY_NAMES, type PolicyName } from "./pack";
export { TIER_POLICY_CONFIG } from "./tiers";
export {
    checkPolicyConfig,
    CONFIG_LEVELS,
    PolicyConfigError,
    type ConfigLevel,
    type ConfigurablePolicy,
    type PolicyConfig,
} from "./config";
export {
    productionStandards,
    type PolicyEntry,
    type PolicySettings,
    type ProductionStandards,
    type ProductionStandardsArgs,
} from "./productionStandards";
// Building blocks for a team's own policies: pod specs found in every workload kind (built-in,
// Argo Rollouts, KEDA ScaledJobs …), every container with its role, and a type filter the SDK honours.
export {
    allContainers,
    effective,
    forTypes,
    forWorkloads,
    podSpecOf,
    type Container,
    type ContainerRole,
    type PodSite,
    type PodSpec,
} from "./util";
