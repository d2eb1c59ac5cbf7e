/**
 * The parts of a new {@link EksCluster}, each built by a function with the cluster component as
 * parent and keeping the names it had when the component built them inline: the control plane
 * (secrets key, role, cluster, API ingress, OIDC provider, admin access), the system node group,
 * and the managed add-ons.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { EksClusterArgs } from "./eksCluster";
import { irsaTrustPolicy, nodeLaunchTemplateArgs, nodeRole, serviceTrustPolicy } from "./iam";

/** Every control-plane log type EKS offers. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export const EKS_CLUSTER_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";
export const EKS_CLUSTER_ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
export const EBS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy";

export interface ControlPlane {
    readonly cluster: aws.eks.Cluster;
    /** The key that envelope-encrypts Kubernetes secrets; absent when `secretsKmsKeyArn` was given. */
    readonly secretsKey?: aws.kms.Key;
    readonly clusterRole: aws.iam.Role;
    readonly oidcProvider: aws.iam.OpenIdConnectProvider;
    /** The control plane's log group, with `controlPlaneLogs`. */
    readonly logGroup?: aws.cloudwatch.LogGroup;
}

/** Where EKS writes a cluster's control-plane logs (EKS User Guide, "Send control plane logs to CloudWatch Logs"). */
export function controlPlaneLogGroupName(clusterName: string): string {
    return `/aws/eks/${clusterName}/cluster`;
}

export function createControlPlane(parent: pulumi.Resource, name: string, args: EksClusterArgs): ControlPlane {
    const tags = args.tags ?? {};
    const child = { parent };
    const protect = args.protect ?? true;
    const publicCidrs = args.publicAccessCidrs ?? [];
    const secretsKey =
        args.secretsKmsKeyArn === undefined
            ? new aws.kms.Key(
                  `${name}-secrets-key`,
                  {
                      description: `Envelope encryption of ${name} Kubernetes secrets`,
                      enableKeyRotation: true,
                      deletionWindowInDays: 30,
                      tags,
                  },
                  { parent, protect },
              )
            : undefined;
    const clusterRole = new aws.iam.Role(
        `${name}-cluster-role`,
        { assumeRolePolicy: serviceTrustPolicy("eks.amazonaws.com"), tags },
        child,
    );
    const clusterPolicy = new aws.iam.RolePolicyAttachment(
        `${name}-cluster-policy`,
        { role: clusterRole.name, policyArn: EKS_CLUSTER_POLICY_ARN },
        child,
    );
    // Made before the cluster, whose first log line would otherwise create it without a retention.
    const logs = args.controlPlaneLogs;
    const logGroup =
        logs && args.clusterName
            ? new aws.cloudwatch.LogGroup(
                  `${name}-control-plane-logs`,
                  {
                      name: controlPlaneLogGroupName(args.clusterName),
                      retentionInDays: logs.retentionInDays,
                      kmsKeyId: logs.kmsKeyArn,
                      tags,
                  },
                  { parent, protect },
              )
            : undefined;
    const cluster = new aws.eks.Cluster(
        `${name}-cluster`,
        {
            ...(args.clusterName !== undefined ? { name: args.clusterName } : {}),
            version: args.kubernetesVersion,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: args.subnetIds as pulumi.Input<pulumi.Input<string>[]>,
                endpointPrivateAccess: true,
                endpointPublicAccess: publicCidrs.length > 0,
                publicAccessCidrs: publicCidrs.length > 0 ? publicCidrs : undefined,
            },
            encryptionConfig: {
                provider: { keyArn: secretsKey ? secretsKey.arn : args.secretsKmsKeyArn! },
                resources: ["secrets"],
            },
            enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            bootstrapSelfManagedAddons: false,
            tags,
        },
        { parent, protect, dependsOn: logGroup ? [clusterPolicy, logGroup] : [clusterPolicy] },
    );
    for (const cidr of args.privateAccessCidrs ?? []) {
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-api-from-${cidr.replace(/[./]/g, "-")}`,
            {
                securityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
                description: `Kubernetes API from ${cidr}`,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: cidr,
                tags,
            },
            child,
        );
    }
    const oidcProvider = new aws.iam.OpenIdConnectProvider(
        `${name}-oidc`,
        { url: cluster.identities.apply((i) => i[0].oidcs[0].issuer), clientIdLists: ["sts.amazonaws.com"], tags },
        child,
    );
    (args.adminRoleArns ?? []).forEach((principalArn, i) => {
        const entry = new aws.eks.AccessEntry(
            `${name}-admin-${i}`,
            { clusterName: cluster.name, principalArn, type: "STANDARD", tags },
            child,
        );
        new aws.eks.AccessPolicyAssociation(
            `${name}-admin-${i}`,
            {
                clusterName: cluster.name,
                principalArn,
                policyArn: EKS_CLUSTER_ADMIN_POLICY_ARN,
                accessScope: { type: "cluster" },
            },
            { parent, dependsOn: [entry] },
        );
    });
    return { cluster, secretsKey, clusterRole, oidcProvider, logGroup };
}

export interface SystemNodes {
    readonly role: aws.iam.Role;
    readonly nodeGroup: aws.eks.NodeGroup;
}

/** The untainted node group for cluster services; the node autoscaler owns its desired size. */
export function createSystemNodes(
    parent: pulumi.Resource,
    name: string,
    args: EksClusterArgs,
    cluster: aws.eks.Cluster,
): SystemNodes {
    const tags = args.tags ?? {};
    const sys = args.systemNodes ?? {};
    const role = nodeRole(parent, `${name}-system`, tags);
    const template = new aws.ec2.LaunchTemplate(
        `${name}-system`,
        nodeLaunchTemplateArgs({ diskSizeGiB: 50, deviceName: "/dev/xvda", tags, description: `${name} system nodes` }),
        { parent },
    );
    const nodeGroup = new aws.eks.NodeGroup(
        `${name}-system`,
        {
            clusterName: cluster.name,
            nodeRoleArn: role.arn,
            subnetIds: args.subnetIds as pulumi.Input<pulumi.Input<string>[]>,
            amiType: "AL2023_x86_64_STANDARD",
            capacityType: "ON_DEMAND",
            instanceTypes: sys.instanceTypes ?? ["m6i.large"],
            scalingConfig: { minSize: sys.minSize ?? 2, desiredSize: sys.minSize ?? 2, maxSize: sys.maxSize ?? 4 },
            launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
            labels: { "llm-platform/pool": "system" },
            updateConfig: { maxUnavailable: 1 },
            tags,
        },
        { parent, ignoreChanges: ["scalingConfig.desiredSize"] },
    );
    return { role, nodeGroup };
}

/**
 * The managed add-ons: VPC CNI, kube-proxy, Pod Identity agent, CoreDNS and the EBS CSI driver
 * (on its IRSA role); the last two wait for the system nodes they run on.
 */
export function createAddons(
    parent: pulumi.Resource,
    name: string,
    args: EksClusterArgs,
    parts: { cluster: aws.eks.Cluster; oidcProvider: aws.iam.OpenIdConnectProvider; systemNodes: aws.eks.NodeGroup },
): Record<string, aws.eks.Addon> {
    const tags = args.tags ?? {};
    const child = { parent };
    const oidc = parts.oidcProvider;
    const ebsRole = new aws.iam.Role(
        `${name}-ebs-csi-role`,
        {
            assumeRolePolicy: pulumi
                .all([oidc.arn, oidc.url])
                .apply(([arn, url]) => irsaTrustPolicy(arn, url, "kube-system", "ebs-csi-controller-sa")),
            tags,
        },
        child,
    );
    new aws.iam.RolePolicyAttachment(
        `${name}-ebs-csi-policy`,
        { role: ebsRole.name, policyArn: EBS_CSI_POLICY_ARN },
        child,
    );
    const addon = (
        addonName: string,
        extra: Partial<aws.eks.AddonArgs> = {},
        dependsOn: pulumi.Resource[] = [],
    ): aws.eks.Addon =>
        new aws.eks.Addon(
            `${name}-${addonName}`,
            {
                clusterName: parts.cluster.name,
                addonName,
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "PRESERVE",
                tags,
                ...extra,
            },
            { parent, dependsOn },
        );
    return {
        // NetworkPolicies are enforced only with the VPC CNI's network policy agent switched on
        // (a string, per the add-on's configuration schema; docs/UPSTREAM.md).
        "vpc-cni": addon("vpc-cni", { configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }) }),
        "kube-proxy": addon("kube-proxy"),
        "eks-pod-identity-agent": addon("eks-pod-identity-agent"),
        coredns: addon("coredns", {}, [parts.systemNodes]),
        "aws-ebs-csi-driver": addon("aws-ebs-csi-driver", { serviceAccountRoleArn: ebsRole.arn }, [parts.systemNodes]),
        // The resource metrics API a CPU HorizontalPodAutoscaler reads (KEDA's cpu scaler too).
        ...(args.metricsServer ? { "metrics-server": addon("metrics-server", {}, [parts.systemNodes]) } : {}),
    };
}
