import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GPU_TOLERATION, LABELS } from "../../catalog/gpu";
import { assertValid } from "../validation";

/** The chart version installed; bump deliberately, after reading its release notes. */
export const DEVICE_PLUGIN_CHART_VERSION = "0.18.0";
export const DEVICE_PLUGIN_REPO = "https://nvidia.github.io/k8s-device-plugin";

/** The arguments of `NvidiaDevicePlugin` (`new NvidiaDevicePlugin(name, args, opts)`). */
export interface NvidiaDevicePluginArgs {
    /** The Kubernetes provider of the cluster (EksCluster.provider). */
    provider: k8s.Provider;
    /**
     * Namespace created for the plugin.
     * @default "nvidia-device-plugin"
     */
    namespace?: string;
    /**
     * Chart version of nvidia-device-plugin.
     * @default DEVICE_PLUGIN_CHART_VERSION
     */
    chartVersion?: string;
    /**
     * Share each GPU between this many pods by time-slicing (no memory isolation). Unset: whole GPUs.
     * @default - no time-slicing
     */
    timeSlicingReplicas?: number;
}

/** The plugin's configuration file; time-slicing when `replicas` is set. */
export function devicePluginConfig(replicas: number | undefined): string {
    const lines = ["version: v1", "flags:", "  migStrategy: none"];
    if (replicas !== undefined) {
        lines.push(
            "sharing:",
            "  timeSlicing:",
            "    resources:",
            "      - name: nvidia.com/gpu",
            `        replicas: ${replicas}`,
        );
    }
    return `${lines.join("\n")}\n`;
}

/** Chart values: only on GPU nodes that need the DaemonSet, tolerating the GPU taint. */
export function devicePluginValues(replicas: number | undefined): Record<string, unknown> {
    return {
        nodeSelector: { [LABELS.devicePlugin]: "daemonset" },
        // The chart's default affinity requires node-feature-discovery labels our nodes never carry.
        // Helm merges a table into the chart's (so `{}` would keep it) and deletes a key set to null;
        // @pulumi/kubernetes >= 4.30 passes the null through (pulumi-kubernetes#4293). The node
        // selector above is then the only constraint. See docs/UPSTREAM.md.
        affinity: null,
        tolerations: [GPU_TOLERATION, { key: "CriticalAddonsOnly", operator: "Exists" }],
        priorityClassName: "system-node-critical",
        config: { map: { default: devicePluginConfig(replicas) } },
        gfd: { enabled: false },
    };
}

export function validateNvidiaDevicePluginArgs(args: Omit<NvidiaDevicePluginArgs, "provider">): string[] {
    const problems: string[] = [];
    const r = args.timeSlicingReplicas;
    if (r !== undefined && (!Number.isInteger(r) || r < 2 || r > 48)) {
        problems.push(`timeSlicingReplicas: expected an integer between 2 and 48, received ${JSON.stringify(r)}`);
    }
    if (args.chartVersion !== undefined && !/^\d+\.\d+\.\d+$/.test(args.chartVersion)) {
        problems.push(
            `chartVersion: expected an exact version such as ${DEVICE_PLUGIN_CHART_VERSION}, received ${JSON.stringify(args.chartVersion)}`,
        );
    }
    return problems;
}

/**
 * The NVIDIA device plugin, once per cluster, from its Helm chart at a pinned version: it makes
 * `nvidia.com/gpu` allocatable on GPU nodes (which pulumi-eks leaves to you). Scheduled only on
 * nodes labelled for it (AL2023 NVIDIA pools; Bottlerocket runs the plugin on the host).
 */
export class NvidiaDevicePlugin extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: NvidiaDevicePluginArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:NvidiaDevicePlugin", name, {}, opts);
        const problems = validateNvidiaDevicePluginArgs(args);
        assertValid(this, "NvidiaDevicePlugin", name, problems);
        const k8sOpts = { parent: this, provider: args.provider };

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace ?? "nvidia-device-plugin",
                    // The plugin mounts the kubelet's device-plugin socket directory (hostPath).
                    labels: {
                        "pod-security.kubernetes.io/enforce": "privileged",
                        "app.kubernetes.io/managed-by": "pulumi",
                    },
                },
            },
            k8sOpts,
        );
        new k8s.helm.v3.Release(
            `${name}`,
            {
                chart: "nvidia-device-plugin",
                version: args.chartVersion ?? DEVICE_PLUGIN_CHART_VERSION,
                repositoryOpts: { repo: DEVICE_PLUGIN_REPO },
                namespace: namespace.metadata.name,
                values: devicePluginValues(args.timeSlicingReplicas),
                atomic: true,
                cleanupOnFail: true,
            },
            k8sOpts,
        );
        this.namespace = namespace.metadata.name;
        this.registerOutputs({ namespace: this.namespace });
    }
}
