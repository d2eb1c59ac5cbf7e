/**
 * The Kubernetes cluster-autoscaler for the GPU pools: it adds a node to a managed node group when
 * a pod is Pending for want of one, and removes idle nodes. Chosen over Karpenter for this
 * library because the GPU pools stay EKS managed node groups — the pool definition the cost
 * estimate, the `gpu-budget` policy and the capacity check read is the node group's own min/max —
 * and because a managed node group's Auto Scaling group is all cluster-autoscaler needs: no
 * interruption queue, no EC2NodeClass or NodePool to keep in step with the pools. Sources of every
 * flag, tag and permission are in docs/UPSTREAM.md ("cluster-autoscaler").
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_AUTOSCALER_IMAGES } from "../../catalog/versions";
import { irsaTrustPolicy } from "../aws/iam";
import { assertValid } from "../validation";

/** The chart (kubernetes/autoscaler, `charts/cluster-autoscaler`); its appVersion is 1.33.0. */
export const CLUSTER_AUTOSCALER_CHART_VERSION = "9.51.0";
export const CLUSTER_AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler";

/** Where it runs and as whom; the IRSA trust policy names exactly this service account. */
export const CLUSTER_AUTOSCALER_NAMESPACE = "kube-system";
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler";

/** The arguments of `ClusterAutoscaler` (`new ClusterAutoscaler(name, args, opts)`). */
export interface ClusterAutoscalerArgs {
    provider: k8s.Provider;
    clusterName: pulumi.Input<string>;
    /** The cluster's AWS region (the autoscaler does not ask the instance metadata service: IMDS hop limit 1). */
    region: pulumi.Input<string>;
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** The cluster's Kubernetes version, "1.33"; picks the image. */
    kubernetesVersion: string;
    /**
     * How long a node must be unneeded before it is removed.
     * @default "10m"
     */
    scaleDownUnneededTime?: string;
    /** @default CLUSTER_AUTOSCALER_CHART_VERSION */
    chartVersion?: string;
    /** Tags for the IAM role and policy. @default {} */
    tags?: Record<string, string>;
}

export function validateClusterAutoscalerArgs(args: Omit<ClusterAutoscalerArgs, "provider">): string[] {
    const problems: string[] = [];
    if (!(args.kubernetesVersion in CLUSTER_AUTOSCALER_IMAGES)) {
        problems.push(
            `kubernetesVersion: expected one of ${Object.keys(CLUSTER_AUTOSCALER_IMAGES).join(", ")} (a cluster-autoscaler release line exists for each), received ${JSON.stringify(args.kubernetesVersion)}`,
        );
    }
    if (args.scaleDownUnneededTime !== undefined && !/^\d+[smh]$/.test(args.scaleDownUnneededTime)) {
        problems.push(
            `scaleDownUnneededTime: expected a duration such as 10m, received ${JSON.stringify(args.scaleDownUnneededTime)}`,
        );
    }
    if (args.chartVersion !== undefined && !/^\d+\.\d+\.\d+$/.test(args.chartVersion)) {
        problems.push(
            `chartVersion: expected an exact version such as ${CLUSTER_AUTOSCALER_CHART_VERSION}, received ${JSON.stringify(args.chartVersion)}`,
        );
    }
    return problems;
}

/**
 * The permissions of the upstream README's auto-discovery policy, with scaling limited to Auto
 * Scaling groups tagged as this cluster's (`k8s.io/cluster-autoscaler/<cluster>: owned`).
 */
export function clusterAutoscalerPolicy(clusterName: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Discover",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                Resource: "*",
            },
            {
                Sid: "ScaleThisClustersGroups",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: "*",
                Condition: {
                    StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" },
                },
            },
        ],
    });
}

/** The chart's values (inputs may be outputs: a preview then shows all but those leaves). */
export function clusterAutoscalerValues(options: {
    clusterName: pulumi.Input<string>;
    region: pulumi.Input<string>;
    roleArn: pulumi.Input<string>;
    imageTag: string;
    scaleDownUnneededTime: string;
}): Record<string, unknown> {
    return {
        cloudProvider: "aws",
        awsRegion: options.region,
        // Finds every Auto Scaling group tagged k8s.io/cluster-autoscaler/enabled and .../<cluster>.
        autoDiscovery: { clusterName: options.clusterName },
        image: { tag: options.imageTag },
        rbac: {
            serviceAccount: {
                create: true,
                name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
                annotations: { "eks.amazonaws.com/role-arn": options.roleArn },
            },
        },
        extraArgs: {
            // Pools of one shape in several zones grow evenly.
            "balance-similar-node-groups": true,
            // Of the pools that fit a Pending pod, grow the one that wastes the least CPU and memory.
            expander: "least-waste",
            // Inference pods keep model weights in an emptyDir; without this no GPU node is ever removed.
            "skip-nodes-with-local-storage": false,
            "scale-down-unneeded-time": options.scaleDownUnneededTime,
        },
        resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { memory: "600Mi" } },
        // The chart's own suggested hardening (values.yaml comments); fsGroup lets the non-root
        // process read the projected IRSA token.
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 65534,
            runAsGroup: 65534,
            fsGroup: 65534,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containerSecurityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        },
    };
}

/**
 * cluster-autoscaler from its Helm chart at a pinned version, on the system nodes, with an IRSA
 * role that may scale only this cluster's Auto Scaling groups. Together with the tags GpuNodePool
 * puts on its Auto Scaling group, a GPU pool grows from zero when an inference pod is Pending.
 */
export class ClusterAutoscaler extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: ClusterAutoscalerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:ClusterAutoscaler", name, {}, opts);
        assertValid(this, "ClusterAutoscaler", name, validateClusterAutoscalerArgs(args));
        const tags = args.tags ?? {};

        const role = new aws.iam.Role(
            `${name}-irsa`,
            {
                description: "cluster-autoscaler: scale this cluster's node groups",
                assumeRolePolicy: pulumi
                    .all([args.oidcProviderArn, args.oidcIssuerUrl])
                    .apply(([arn, url]) =>
                        irsaTrustPolicy(arn, url, CLUSTER_AUTOSCALER_NAMESPACE, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT),
                    ),
                tags,
            },
            { parent: this },
        );
        const policy = new aws.iam.Policy(
            `${name}-policy`,
            {
                description: "cluster-autoscaler: discover node groups, scale those tagged as this cluster's",
                policy: pulumi.output(args.clusterName).apply(clusterAutoscalerPolicy),
                tags,
            },
            { parent: this },
        );
        new aws.iam.RolePolicyAttachment(
            `${name}-policy`,
            { role: role.name, policyArn: policy.arn },
            { parent: this },
        );

        new k8s.helm.v3.Release(
            name,
            {
                chart: "cluster-autoscaler",
                version: args.chartVersion ?? CLUSTER_AUTOSCALER_CHART_VERSION,
                repositoryOpts: { repo: CLUSTER_AUTOSCALER_REPO },
                namespace: CLUSTER_AUTOSCALER_NAMESPACE,
                values: clusterAutoscalerValues({
                    clusterName: args.clusterName,
                    region: args.region,
                    roleArn: role.arn,
                    imageTag: CLUSTER_AUTOSCALER_IMAGES[args.kubernetesVersion],
                    scaleDownUnneededTime: args.scaleDownUnneededTime ?? "10m",
                }),
                atomic: true,
                cleanupOnFail: true,
            },
            { parent: this, provider: args.provider },
        );
        this.roleArn = role.arn;
        this.registerOutputs({ roleArn: this.roleArn });
    }
}
