import * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterAutoscaler, validateClusterAutoscalerArgs } from "../k8s/clusterAutoscaler";
import { NvidiaDevicePlugin, validateNvidiaDevicePluginArgs } from "../k8s/nvidiaDevicePlugin";
import { GpuNodePool, validateGpuNodePoolArgs, type GpuNodePoolArgs } from "./gpuNodePool";
import { assertValid } from "../validation";

/** A pool of GpuPlatform: GpuNodePool's arguments but those the platform gives every pool. */
export type GpuPlatformPoolArgs = Omit<GpuNodePoolArgs, "clusterName" | "subnetIds" | "tags" | "timeSlicingReplicas">;

/** The arguments of `GpuPlatform` (`new GpuPlatform(name, args, opts)`). */
export interface GpuPlatformArgs<P extends string = string> {
    /**
     * The cluster: an EksCluster, or the same facts of a cluster the program does not build (its
     * Kubernetes provider, name and IRSA OIDC provider).
     */
    cluster: {
        provider: k8s.Provider;
        clusterName: pulumi.Input<string>;
        oidcProviderArn: pulumi.Input<string>;
        oidcIssuerUrl: pulumi.Input<string>;
    };
    /** The cluster's Kubernetes minor version, e.g. "1.33": cluster-autoscaler's release line must match it. */
    kubernetesVersion: string;
    /**
     * The cluster's AWS region (where cluster-autoscaler finds the node groups' Auto Scaling groups).
     * @default - the stack's `aws:region`, the region of the default AWS provider
     */
    region?: pulumi.Input<string>;
    /** Private subnets for the GPU nodes. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * The GPU node pools by name (each a GpuNodePool named `<name>-<pool>`, its nodes labelled
     * `llm-platform/pool=<name>-<pool>`).
     */
    pools: Record<P, GpuPlatformPoolArgs>;
    /**
     * Time-slice every GPU into this many schedulable `nvidia.com/gpu` (the device plugin's
     * sharing; pods then share a GPU's memory and compute without isolation).
     * @default - no time slicing: one pod per GPU
     */
    timeSlicingReplicas?: number;
    /**
     * Tags for every AWS resource of the component.
     * @default {}
     */
    tags?: Record<string, string>;
}

const POOL_NAME = /^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/;

/** Problems with the arguments known at construction, each naming the argument. */
export function validateGpuPlatformArgs(args: Omit<GpuPlatformArgs, "cluster">): string[] {
    const names = Object.keys(args.pools ?? {});
    const problems: string[] = [];
    if (names.length === 0)
        problems.push('pools: expected at least one pool, e.g. { inference: { instanceTypes: ["g5.xlarge"] } }');
    for (const pool of names) {
        if (!POOL_NAME.test(pool))
            problems.push(
                `pools.${pool}: a pool name is lower-case letters, digits and '-', starting with a letter, at most 32 characters`,
            );
        problems.push(
            ...validateGpuNodePoolArgs({ ...args.pools[pool], clusterName: "", subnetIds: [] }).map(
                (p) => `pools.${pool}.${p}`,
            ),
        );
    }
    if (args.region === undefined && !aws.config.region)
        problems.push(
            "region: required when the stack sets no aws:region (the region cluster-autoscaler finds the pools' Auto Scaling groups in)",
        );
    problems.push(
        ...validateClusterAutoscalerArgs({
            clusterName: "",
            region: "",
            oidcProviderArn: "",
            oidcIssuerUrl: "",
            kubernetesVersion: args.kubernetesVersion,
        }),
        ...validateNvidiaDevicePluginArgs({ timeSlicingReplicas: args.timeSlicingReplicas }),
    );
    return problems;
}

/**
 * GPU capacity on EKS that follows the pods, from zero: the node pools, the NVIDIA device plugin
 * that advertises `nvidia.com/gpu` on their nodes (without it no GPU pod is ever scheduled), and
 * cluster-autoscaler, which adds a pool's nodes when GPU pods are Pending and removes idle ones
 * (without it a pool at its minimum of 0 never gets a node). The three only work together, so they
 * come as one: a BlueGreenEksService takes one of `pools` as its `pool`.
 *
 * The class wires; each child is a component of its own (GpuNodePool, NvidiaDevicePlugin,
 * ClusterAutoscaler), parented here.
 */
export class GpuPlatform<P extends string = string> extends pulumi.ComponentResource {
    /** The pools by name (typed: a misspelt pool is a compile error): pass one as a service's `pool`. */
    public readonly pools: Readonly<Record<P, GpuNodePool>>;
    public readonly devicePlugin: NvidiaDevicePlugin;
    public readonly autoscaler: ClusterAutoscaler;

    constructor(name: string, args: GpuPlatformArgs<P>, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:GpuPlatform", name, {}, opts);
        assertValid(this, "GpuPlatform", name, validateGpuPlatformArgs(args));
        const { cluster } = args;
        const tags = args.tags ?? {};

        this.devicePlugin = new NvidiaDevicePlugin(
            `${name}-nvidia-device-plugin`,
            { provider: cluster.provider, timeSlicingReplicas: args.timeSlicingReplicas },
            { parent: this },
        );
        this.autoscaler = new ClusterAutoscaler(
            `${name}-cluster-autoscaler`,
            {
                provider: cluster.provider,
                clusterName: cluster.clusterName,
                region: args.region ?? (aws.config.region as string),
                oidcProviderArn: cluster.oidcProviderArn,
                oidcIssuerUrl: cluster.oidcIssuerUrl,
                kubernetesVersion: args.kubernetesVersion,
                tags,
            },
            { parent: this },
        );
        const pools = Object.entries<GpuPlatformPoolArgs>(args.pools);
        this.pools = Object.fromEntries(
            pools.map(([pool, poolArgs]) => [
                pool,
                new GpuNodePool(
                    `${name}-${pool}`,
                    {
                        ...poolArgs,
                        clusterName: cluster.clusterName,
                        subnetIds: args.subnetIds,
                        timeSlicingReplicas: args.timeSlicingReplicas,
                        tags,
                    },
                    { parent: this },
                ),
            ]),
        ) as Record<P, GpuNodePool>;
        this.registerOutputs({
            pools: Object.fromEntries(Object.entries<GpuNodePool>(this.pools).map(([p, n]) => [p, n.nodeGroupName])),
        });
    }
}
