import * as aws from "@pulumi/aws";
import { coversInternet, ipv4CidrError, ipv4CidrProblem } from "../../catalog/cidr";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createAddons, createControlPlane, createSystemNodes } from "./eksClusterParts";
import { CLOUDWATCH_RETENTION_DAYS } from "../../catalog/formats";
import { assertValid } from "../validation";

/** `EksCluster`'s `systemNodes`: the managed node group for the cluster's own workloads. */
export interface SystemNodesArgs {
    /** @default ["m6i.large"] */
    instanceTypes?: string[];
    /** @default 2 */
    minSize?: number;
    /** @default 4 */
    maxSize?: number;
}

/** `EksCluster`'s `controlPlaneLogs`: the group `/aws/eks/<clusterName>/cluster`, made before the cluster. */
export interface ControlPlaneLogsArgs {
    /** Days the control plane's events are kept: a CloudWatch retention period (1, 3, 5, 7, 14, 30, … 3653). */
    retentionInDays: number;
    /** A KMS key CloudWatch Logs may use for the group (LogEncryptionKey). @default - CloudWatch Logs' own key */
    kmsKeyArn?: pulumi.Input<string>;
}

/** The arguments of `EksCluster` (`new EksCluster(name, args, opts)`). */
export interface EksClusterArgs {
    /**
     * Use this existing cluster (by name) instead of creating one: its endpoint, certificate
     * and OIDC provider are looked up, and a Kubernetes provider is made for it.
     * @default - a new cluster
     */
    existingClusterName?: string;
    /**
     * The new cluster's name in EKS. Required with `controlPlaneLogs`: EKS writes the control
     * plane's logs to `/aws/eks/<name>/cluster`, and that group must exist before the cluster to
     * carry a retention and a key. A cluster created without it keeps its name when you give the
     * name it has (`pulumi stack output clusterName`): the input is the same, nothing is replaced.
     * @default - Pulumi's auto-name, `<name>-cluster-<random suffix>`
     */
    clusterName?: string;
    /**
     * Keep the control plane's logs (every log type) in a log group this component creates before
     * the cluster, `/aws/eks/<clusterName>/cluster`: events expire after `retentionInDays`, encrypted
     * with `kmsKeyArn` when given (LogEncryptionKey). The log group is protected with the cluster.
     * @default - no group of ours: EKS creates it when the cluster first logs, and its events never expire
     */
    controlPlaneLogs?: ControlPlaneLogsArgs;
    /** Kubernetes version, e.g. "1.33". Required for a new cluster. */
    kubernetesVersion?: string;
    /** VPC of the cluster. Required for a new cluster. */
    vpcId?: pulumi.Input<string>;
    /** Private subnets for the control plane's network interfaces and the system nodes. Required for a new cluster. */
    subnetIds?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * CIDRs that may reach the public API endpoint. Empty: the endpoint is private only.
     * @default []
     */
    publicAccessCidrs?: string[];
    /**
     * CIDRs inside the VPC (or peered with it) that may reach the private API endpoint on 443, such
     * as the subnet of a self-hosted CI runner: ingress rules on the cluster security group, which
     * otherwise admits only the cluster's own nodes.
     * @default []
     */
    privateAccessCidrs?: string[];
    /**
     * IAM roles granted cluster admin through EKS access entries.
     * @default []
     */
    adminRoleArns?: string[];
    /**
     * The untainted node group for cluster services (CoreDNS, controllers), which GPU taints keep off GPU nodes.
     * @default {instanceTypes: ["m6i.large"], minSize: 2, maxSize: 4}
     */
    systemNodes?: SystemNodesArgs;
    /**
     * Install metrics-server (the EKS add-on), which serves the resource metrics API a
     * HorizontalPodAutoscaler on CPU or memory reads: EKS does not ship it, and without it such an
     * autoscaler is blind. @default false
     */
    metricsServer?: boolean;
    /**
     * A KMS key of yours to envelope-encrypt Kubernetes secrets with (its policy must let the
     * cluster role use it). @default - a key with rotation on is created
     */
    secretsKmsKeyArn?: pulumi.Input<string>;
    /**
     * Protect the cluster and its secrets key from deletion and replacement.
     * @default true
     */
    protect?: boolean;
    /**
     * Tags for every AWS resource of the component.
     * @default {}
     */
    tags?: Record<string, string>;
}

export { CONTROL_PLANE_LOG_TYPES } from "./eksClusterParts";

/** A kubeconfig that authenticates with `aws eks get-token` (no static credentials). */
export function buildKubeconfig(
    clusterName: string,
    endpoint: string,
    certificateAuthorityData: string,
    region: string,
): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name: clusterName,
                cluster: { server: endpoint, "certificate-authority-data": certificateAuthorityData },
            },
        ],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [
            {
                name: clusterName,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            clusterName,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                    },
                },
            },
        ],
    });
}

export function validateEksClusterArgs(args: EksClusterArgs): string[] {
    const problems: string[] = [];
    if (args.existingClusterName !== undefined) {
        if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(args.existingClusterName)) {
            problems.push(
                `existingClusterName: expected an EKS cluster name, received ${JSON.stringify(args.existingClusterName)}`,
            );
        }
        if (args.secretsKmsKeyArn !== undefined)
            problems.push("secretsKmsKeyArn: an existing cluster keeps its own encryption; leave secretsKmsKeyArn out");
        if (args.clusterName !== undefined)
            problems.push("clusterName: names a new cluster; an existing one is named by existingClusterName alone");
        if (args.controlPlaneLogs !== undefined)
            problems.push(
                "controlPlaneLogs: an existing cluster's control plane logs to the group EKS made for it; leave controlPlaneLogs out",
            );
        return problems;
    }
    if (!args.kubernetesVersion || !/^1\.\d{2}$/.test(args.kubernetesVersion)) {
        problems.push(
            `kubernetesVersion: expected a version like "1.33", received ${JSON.stringify(args.kubernetesVersion)}`,
        );
    }
    if (args.clusterName !== undefined && !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(args.clusterName))
        problems.push(
            `clusterName: expected an EKS cluster name (1 to 100 letters, digits, - and _, starting with a letter or digit), received ${JSON.stringify(args.clusterName)}`,
        );
    if (args.controlPlaneLogs !== undefined) {
        if (args.clusterName === undefined)
            problems.push(
                "controlPlaneLogs: needs clusterName: EKS logs to /aws/eks/<clusterName>/cluster, which must exist before the cluster (for a cluster made without one, give the name it has)",
            );
        const days = args.controlPlaneLogs.retentionInDays;
        if (!CLOUDWATCH_RETENTION_DAYS.includes(days))
            problems.push(
                `controlPlaneLogs.retentionInDays: expected a CloudWatch retention period (${CLOUDWATCH_RETENTION_DAYS.join(", ")}), received ${JSON.stringify(days)}`,
            );
    }
    if (args.vpcId === undefined) problems.push("vpcId: required for a new cluster");
    if (args.subnetIds === undefined) problems.push("subnetIds: required for a new cluster");
    (args.publicAccessCidrs ?? []).forEach((cidr, i) => {
        if (ipv4CidrProblem(cidr) !== undefined) problems.push(`publicAccessCidrs[${i}]: ${ipv4CidrError(cidr)}`);
    });
    if (coversInternet(args.publicAccessCidrs ?? []))
        problems.push(
            "publicAccessCidrs: 0.0.0.0/0 (or blocks that add up to it) opens the API endpoint to the internet; list your networks instead",
        );
    (args.privateAccessCidrs ?? []).forEach((cidr, i) => {
        if (ipv4CidrProblem(cidr) !== undefined) problems.push(`privateAccessCidrs[${i}]: ${ipv4CidrError(cidr)}`);
    });
    if (coversInternet(args.privateAccessCidrs ?? []))
        problems.push(
            "privateAccessCidrs: 0.0.0.0/0 (or blocks that add up to it) admits every address; list the runners' subnets instead",
        );
    if (
        typeof args.secretsKmsKeyArn === "string" &&
        !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(args.secretsKmsKeyArn)
    )
        problems.push(`secretsKmsKeyArn: expected a KMS key ARN, received ${JSON.stringify(args.secretsKmsKeyArn)}`);
    for (const role of args.adminRoleArns ?? []) {
        if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(role))
            problems.push(`adminRoleArns: expected IAM role ARNs, received ${JSON.stringify(role)}`);
    }
    const sys = args.systemNodes ?? {};
    const [min, max] = [sys.minSize ?? 2, sys.maxSize ?? 4];
    if (!Number.isInteger(min) || min < 1)
        problems.push(`systemNodes.minSize: expected an integer >= 1 (cluster services need a node), received ${min}`);
    if (!Number.isInteger(max) || max < min)
        problems.push(`systemNodes.maxSize: expected an integer >= minSize (${min}), received ${max}`);
    return problems;
}

/**
 * An EKS cluster for GPU inference, or an existing one: secrets encrypted with its own KMS key,
 * every control-plane log type, a private endpoint (public only from listed CIDRs), access
 * entries for admin roles, the OIDC provider for IRSA, core add-ons with the EBS CSI driver on
 * IRSA, an untainted system node group, and a Kubernetes provider for the other components.
 */
export class EksCluster extends pulumi.ComponentResource {
    /** The cluster's name (the existing cluster's with `existingClusterName`). */
    public readonly clusterName: pulumi.Output<string>;
    /** The Kubernetes API server's endpoint. */
    public readonly endpoint: pulumi.Output<string>;
    /** ARN of the cluster's IAM OIDC provider, for IRSA roles (`oidcProviderArn` of the components that make one). */
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** `https://oidc.eks.<region>.amazonaws.com/id/<id>`. */
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    /** Secret: authenticates through `aws eks get-token`. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** Pass as `provider` to every Kubernetes resource on this cluster. */
    public readonly provider: k8s.Provider;

    // The children a user extends; absent for an existing cluster (`existingClusterName`).
    /** The EKS cluster; absent for an existing cluster. */
    public readonly cluster: aws.eks.Cluster | undefined;
    /** The key that envelope-encrypts Kubernetes secrets; absent with `secretsKmsKeyArn`. */
    public readonly secretsKey: aws.kms.Key | undefined;
    /** The untainted system node group (`systemNodes`); absent for an existing cluster. */
    public readonly systemNodeGroup: aws.eks.NodeGroup | undefined;
    /** The system nodes' role. */
    public readonly systemNodeRole: aws.iam.Role | undefined;
    /** `/aws/eks/<clusterName>/cluster`, with `controlPlaneLogs`; undefined otherwise. */
    public readonly controlPlaneLogGroup: aws.cloudwatch.LogGroup | undefined;
    /** The managed add-ons by name (vpc-cni, kube-proxy, eks-pod-identity-agent, coredns, aws-ebs-csi-driver). */
    public readonly addons: Readonly<Record<string, aws.eks.Addon>> = {};

    constructor(name: string, args: EksClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:EksCluster", name, {}, opts);
        const problems = validateEksClusterArgs(args);
        assertValid(this, "EksCluster", name, problems);
        const child = { parent: this };
        const region = aws.getRegionOutput({}, { parent: this }).region;

        let caData: pulumi.Output<string>;
        if (args.existingClusterName !== undefined) {
            const existing = aws.eks.getClusterOutput({ name: args.existingClusterName }, { parent: this });
            this.clusterName = existing.name;
            this.endpoint = existing.endpoint;
            caData = existing.certificateAuthorities.apply((c) => c[0].data);
            this.oidcIssuerUrl = existing.identities.apply((i) => i[0].oidcs[0].issuer);
            this.oidcProviderArn = aws.iam.getOpenIdConnectProviderOutput(
                { url: this.oidcIssuerUrl },
                { parent: this },
            ).arn;
        } else {
            const plane = createControlPlane(this, name, args);
            const system = createSystemNodes(this, name, args, plane.cluster);
            this.addons = createAddons(this, name, args, { ...plane, systemNodes: system.nodeGroup });
            this.cluster = plane.cluster;
            this.secretsKey = plane.secretsKey;
            this.controlPlaneLogGroup = plane.logGroup;
            this.systemNodeGroup = system.nodeGroup;
            this.systemNodeRole = system.role;
            const cluster = plane.cluster;
            const oidc = plane.oidcProvider;
            this.clusterName = cluster.name;
            this.endpoint = cluster.endpoint;
            caData = cluster.certificateAuthority.data;
            this.oidcIssuerUrl = cluster.identities.apply((i) => i[0].oidcs[0].issuer);
            this.oidcProviderArn = oidc.arn;
        }

        this.kubeconfig = pulumi.secret(
            pulumi
                .all([this.clusterName, this.endpoint, caData, region])
                .apply(([n, e, ca, r]) => buildKubeconfig(n, e, ca, r)),
        );
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true },
            child,
        );
        this.registerOutputs({
            clusterName: this.clusterName,
            endpoint: this.endpoint,
            oidcProviderArn: this.oidcProviderArn,
            oidcIssuerUrl: this.oidcIssuerUrl,
            kubeconfig: this.kubeconfig,
        });
    }
}
