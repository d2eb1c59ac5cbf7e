import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    GPU_AMI_TYPES,
    GPU_INSTANCE_TYPES,
    GPU_TAINT,
    GPU_TOLERATION,
    LABELS,
    poolCapacity,
    type GpuAmiType,
    type PoolCapacity,
} from "../../catalog/gpu";
import { nodeLaunchTemplateArgs, nodeRole } from "./iam";
import { assertValid } from "../validation";

/** The arguments of `GpuNodePool` (`new GpuNodePool(name, args, opts)`). */
export interface GpuNodePoolArgs {
    /** The EKS cluster's name. */
    clusterName: pulumi.Input<string>;
    /** Private subnets for the nodes. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** GPU instance types (see the table in catalog/gpu.ts); every type must be an NVIDIA GPU type. */
    instanceTypes: string[];
    /**
     * The EKS-optimised NVIDIA AMI family.
     * @default "AL2023_x86_64_NVIDIA"
     */
    amiType?: GpuAmiType;
    /**
     * ON_DEMAND or SPOT.
     * @default "ON_DEMAND"
     */
    capacityType?: "ON_DEMAND" | "SPOT";
    /**
     * Fewest nodes; 0 lets the pool scale to zero when no GPU pod is pending.
     * @default 0
     */
    minSize?: number;
    /**
     * Nodes at creation; afterwards the autoscaler owns it (ignored in later updates).
     * @default - minSize
     */
    desiredSize?: number;
    /**
     * Most nodes the autoscaler adds. Services placed on the pool are checked to fit it.
     * @default 9 (a BlueGreenEksService at its defaults on one-GPU nodes: 3 active replicas up to 6, and 3 warm for rollback)
     */
    maxSize?: number;
    /**
     * Encrypted gp3 volume for images and model weights.
     * @default 200
     */
    diskSizeGiB?: number;
    /**
     * Taint the nodes `nvidia.com/gpu=true:NoSchedule`, so that only GPU workloads land there.
     * @default true
     */
    taint?: boolean;
    /**
     * Extra node labels.
     * @default {}
     */
    labels?: Record<string, string>;
    /**
     * GPUs a node advertises per physical GPU, when the cluster's NVIDIA device plugin time-slices
     * them (its `timeSlicingReplicas`): only for the capacity check of the services placed on the
     * pool. GpuPlatform sets it. @default 1
     */
    timeSlicingReplicas?: number;
    /**
     * Tags for every AWS resource of the component.
     * @default {}
     */
    tags?: Record<string, string>;
}

/** The defaults the pool's arguments take. */
export const GPU_NODE_POOL_DEFAULTS = {
    amiType: "AL2023_x86_64_NVIDIA",
    capacityType: "ON_DEMAND",
    minSize: 0,
    maxSize: 9,
    diskSizeGiB: 200,
    taint: true,
} as const;

export function validateGpuNodePoolArgs(args: GpuNodePoolArgs): string[] {
    const problems: string[] = [];
    if (!Array.isArray(args.instanceTypes) || args.instanceTypes.length === 0) {
        problems.push("instanceTypes: expected at least one GPU instance type, received []");
    }
    for (const t of args.instanceTypes ?? []) {
        if (!GPU_INSTANCE_TYPES.has(t)) {
            const families = [...new Set([...GPU_INSTANCE_TYPES.keys()].map((k) => k.split(".")[0]))].join(", ");
            problems.push(
                `instanceTypes: ${JSON.stringify(t)} is not a supported NVIDIA GPU instance type; use one of the ${families} families (e.g. g5.xlarge)`,
            );
        }
    }
    if (args.amiType !== undefined && !(GPU_AMI_TYPES as readonly string[]).includes(args.amiType)) {
        problems.push(`amiType: expected one of ${GPU_AMI_TYPES.join(", ")}, received ${JSON.stringify(args.amiType)}`);
    }
    const min = args.minSize ?? GPU_NODE_POOL_DEFAULTS.minSize;
    const max = args.maxSize ?? GPU_NODE_POOL_DEFAULTS.maxSize;
    const desired = args.desiredSize ?? min;
    if (!Number.isInteger(min) || min < 0) problems.push(`minSize: expected an integer >= 0, received ${min}`);
    if (!Number.isInteger(max) || max < Math.max(1, min))
        problems.push(`maxSize: expected an integer >= minSize (${min}) and >= 1, received ${max}`);
    if (!Number.isInteger(desired) || desired < min || desired > max) {
        problems.push(
            `desiredSize: expected an integer between minSize (${min}) and maxSize (${max}), received ${desired}`,
        );
    }
    const disk = args.diskSizeGiB ?? GPU_NODE_POOL_DEFAULTS.diskSizeGiB;
    const slicing = args.timeSlicingReplicas;
    if (slicing !== undefined && (!Number.isInteger(slicing) || slicing < 1 || slicing > 48))
        problems.push(`timeSlicingReplicas: expected an integer from 1 to 48, received ${slicing}`);
    if (!Number.isInteger(disk) || disk < 20 || disk > 16384)
        problems.push(`diskSizeGiB: expected an integer between 20 and 16384, received ${disk}`);
    return problems;
}

/** The node labels of a pool. */
export function poolLabels(
    poolName: string,
    capacity: PoolCapacity,
    amiType: GpuAmiType,
    extra: Record<string, string> = {},
): Record<string, string> {
    const gpuType = capacity.gpuTypes.length === 1 ? capacity.gpuTypes[0] : "mixed";
    return {
        ...extra,
        [LABELS.accelerator]: "nvidia",
        [LABELS.gpuType]: gpuType,
        [LABELS.pool]: poolName,
        [LABELS.devicePlugin]: amiType === "BOTTLEROCKET_x86_64_NVIDIA" ? "host" : "daemonset",
        [LABELS.autoscalerGpu]: `nvidia-${gpuType}`,
    };
}

const NODE_TEMPLATE = "k8s.io/cluster-autoscaler/node-template";

/**
 * Tags cluster-autoscaler reads on an Auto Scaling group to scale it up from zero: the labels,
 * taint and `nvidia.com/gpu` count its nodes will advertise (the GPUs times the device plugin's
 * time-slicing replicas). EKS does not copy node group tags to the Auto Scaling
 * group, so GpuNodePool puts each on the group itself (docs/UPSTREAM.md).
 */
export function autoscalerTags(labels: Record<string, string>, gpus: number, tainted: boolean): Record<string, string> {
    return {
        ...Object.fromEntries(Object.entries(labels).map(([k, v]) => [`${NODE_TEMPLATE}/label/${k}`, v])),
        ...(tainted ? { [`${NODE_TEMPLATE}/taint/${GPU_TAINT.key}`]: `${GPU_TAINT.value}:NoSchedule` } : {}),
        [`${NODE_TEMPLATE}/resources/nvidia.com/gpu`]: String(gpus),
    };
}

/** The logical name of the tag resource for an Auto Scaling group tag key: stable, readable. */
export function asgTagResourceName(pool: string, key: string): string {
    const slug = key
        .replace(`${NODE_TEMPLATE}/`, "")
        .replace(/[^A-Za-z0-9]+/g, "-")
        .replace(/^-|-$/g, "")
        .toLowerCase();
    return `${pool}-asg-${slug}`;
}

/**
 * An EKS managed node group of NVIDIA GPU nodes: the NVIDIA AMI, instance types checked against
 * the GPU table, on-demand or spot, scale to zero, a launch template with IMDSv2 (hop limit 1)
 * and an encrypted gp3 volume for weights, the GPU taint and labels, and its own node role.
 * It reports what one node holds, so that serving components can check a GPU request fits.
 */
export class GpuNodePool extends pulumi.ComponentResource {
    /** The EKS managed node group's name. */
    public readonly nodeGroupName: pulumi.Output<string>;
    /** ARN of the nodes' IAM role. */
    public readonly nodeRoleArn: pulumi.Output<string>;
    /** Guaranteed per node, whatever instance type is launched. */
    public readonly capacity: PoolCapacity;
    /** Labels to select this pool's nodes. */
    public readonly nodeSelector: Record<string, string>;
    /** Tolerations a pod needs to run on this pool. */
    public readonly tolerations: Array<typeof GPU_TOLERATION>;
    /** Most nodes: services placed on the pool are checked against it. */
    public readonly maxSize: number;
    /** GPUs a node advertises per physical GPU (time slicing). */
    public readonly timeSlicingReplicas: number | undefined;
    /** Each node's disk (images, model caches, scratch). */
    public readonly diskSizeGiB: number;

    constructor(name: string, args: GpuNodePoolArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:GpuNodePool", name, {}, opts);
        const problems = validateGpuNodePoolArgs(args);
        assertValid(this, "GpuNodePool", name, problems);

        const amiType = args.amiType ?? GPU_NODE_POOL_DEFAULTS.amiType;
        const minSize = args.minSize ?? GPU_NODE_POOL_DEFAULTS.minSize;
        const maxSize = args.maxSize ?? GPU_NODE_POOL_DEFAULTS.maxSize;
        const taint = args.taint ?? GPU_NODE_POOL_DEFAULTS.taint;
        const tags = args.tags ?? {};
        this.capacity = poolCapacity(args.instanceTypes);
        this.diskSizeGiB = args.diskSizeGiB ?? GPU_NODE_POOL_DEFAULTS.diskSizeGiB;
        const labels = poolLabels(name, this.capacity, amiType, args.labels);

        const role = nodeRole(this, name, tags);
        // Bottlerocket keeps its OS on /dev/xvda and containers and weights on the data volume /dev/xvdb.
        const deviceName = amiType === "BOTTLEROCKET_x86_64_NVIDIA" ? "/dev/xvdb" : "/dev/xvda";
        const template = new aws.ec2.LaunchTemplate(
            `${name}-launch-template`,
            nodeLaunchTemplateArgs({
                diskSizeGiB: this.diskSizeGiB,
                deviceName,
                tags,
                description: `GPU node pool ${name}`,
            }),
            { parent: this },
        );
        const nodeGroup = new aws.eks.NodeGroup(
            `${name}-node-group`,
            {
                clusterName: args.clusterName,
                nodeRoleArn: role.arn,
                subnetIds: args.subnetIds,
                amiType,
                capacityType: args.capacityType ?? GPU_NODE_POOL_DEFAULTS.capacityType,
                instanceTypes: args.instanceTypes,
                scalingConfig: { minSize, desiredSize: args.desiredSize ?? minSize, maxSize },
                launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
                taints: taint ? [GPU_TAINT] : [],
                labels,
                updateConfig: { maxUnavailable: 1 },
                tags,
            },
            { parent: this, ignoreChanges: ["scalingConfig.desiredSize"] },
        );

        // The Auto Scaling group EKS made for the node group, tagged for cluster-autoscaler: the
        // auto-discovery tags (`--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,
        // k8s.io/cluster-autoscaler/<cluster>`), and what a node will look like while the group is at 0.
        // EKS reports the group once the node group exists. Where a node group reports none (a unit
        // test's mocks that echo the inputs), the tags get no group name: the provider would refuse
        // them on a real update, and a warning says why.
        const asgName = nodeGroup.resources.apply((r) => {
            const asg = r?.[0]?.autoscalingGroups?.[0]?.name;
            if (!asg && !pulumi.runtime.isDryRun())
                void pulumi.log.warn(
                    `GpuNodePool "${name}": the node group reports no Auto Scaling group, so cluster-autoscaler's tags cannot be put on it`,
                    this,
                );
            return asg as string;
        });
        const tagAsg = (resourceName: string, key: pulumi.Input<string>, value: string): void => {
            new aws.autoscaling.Tag(
                resourceName,
                { autoscalingGroupName: asgName, tag: { key, value, propagateAtLaunch: false } },
                { parent: this },
            );
        };
        tagAsg(`${name}-asg-discovery-enabled`, "k8s.io/cluster-autoscaler/enabled", "true");
        tagAsg(
            `${name}-asg-discovery-cluster`,
            pulumi.interpolate`k8s.io/cluster-autoscaler/${args.clusterName}`,
            "owned",
        );
        // With time-slicing the device plugin advertises each GPU that many times, and the
        // autoscaler's template must say what a node will advertise, or a pod asking for more
        // slices than physical GPUs never scales a group up from zero.
        const advertised = this.capacity.gpusPerNode * (args.timeSlicingReplicas ?? 1);
        for (const [key, value] of Object.entries(autoscalerTags(labels, advertised, taint))) {
            tagAsg(asgTagResourceName(name, key), key, value);
        }

        this.nodeGroupName = nodeGroup.nodeGroupName;
        this.nodeRoleArn = role.arn;
        this.nodeSelector = { [LABELS.pool]: name };
        this.tolerations = taint ? [GPU_TOLERATION] : [];
        this.maxSize = maxSize;
        this.timeSlicingReplicas = args.timeSlicingReplicas;
        this.registerOutputs({
            nodeGroupName: this.nodeGroupName,
            nodeRoleArn: this.nodeRoleArn,
            capacity: this.capacity,
        });
    }
}
