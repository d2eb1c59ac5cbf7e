/**
 * NVIDIA GPU instance types the platform supports, with what a scheduler needs to know about a
 * node: GPUs, GPU model and memory, vCPUs and memory.
 *
 * Source: the AWS EC2 accelerated computing instance type pages (G4dn, G5, G6, G6e, P4d/P4de,
 * P5/P5e), as of 2026. Memory figures are GiB as AWS lists them.
 */

export interface GpuInstanceType {
    /** GPUs per instance. */
    readonly gpus: number;
    /** GPU model, lower case, used in node labels: t4, a10g, l4, l40s, a100, h100, h200. */
    readonly gpuType: string;
    /** Memory of one GPU, GiB. */
    readonly gpuMemoryGiB: number;
    readonly vcpus: number;
    readonly memoryGiB: number;
}

type Row = [size: string, gpus: number, vcpus: number, memoryGiB: number];

function family(prefix: string, gpuType: string, gpuMemoryGiB: number, rows: Row[]): Array<[string, GpuInstanceType]> {
    return rows.map(([size, gpus, vcpus, memoryGiB]) => [
        `${prefix}.${size}`,
        { gpus, gpuType, gpuMemoryGiB, vcpus, memoryGiB },
    ]);
}

const G_SIZES: Row[] = [
    ["xlarge", 1, 4, 16],
    ["2xlarge", 1, 8, 32],
    ["4xlarge", 1, 16, 64],
    ["8xlarge", 1, 32, 128],
    ["12xlarge", 4, 48, 192],
    ["16xlarge", 1, 64, 256],
];

export const GPU_INSTANCE_TYPES: ReadonlyMap<string, GpuInstanceType> = new Map([
    ...family("g4dn", "t4", 16, [...G_SIZES, ["metal", 8, 96, 384]]),
    ...family("g5", "a10g", 24, [...G_SIZES, ["24xlarge", 4, 96, 384], ["48xlarge", 8, 192, 768]]),
    ...family("g6", "l4", 24, [...G_SIZES, ["24xlarge", 4, 96, 384], ["48xlarge", 8, 192, 768]]),
    ...family("g6e", "l40s", 48, [
        ["xlarge", 1, 4, 32],
        ["2xlarge", 1, 8, 64],
        ["4xlarge", 1, 16, 128],
        ["8xlarge", 1, 32, 256],
        ["12xlarge", 4, 48, 384],
        ["16xlarge", 1, 64, 512],
        ["24xlarge", 4, 96, 768],
        ["48xlarge", 8, 192, 1536],
    ]),
    ...family("p4d", "a100", 40, [["24xlarge", 8, 96, 1152]]),
    ...family("p4de", "a100", 80, [["24xlarge", 8, 96, 1152]]),
    ...family("p5", "h100", 80, [["48xlarge", 8, 192, 2048]]),
    ...family("p5e", "h200", 141, [["48xlarge", 8, 192, 2048]]),
]);

/** What every node of a pool is guaranteed to have: the minimum over its instance types. */
export interface PoolCapacity {
    readonly gpusPerNode: number;
    readonly gpuMemoryGiB: number;
    readonly gpuTypes: string[];
    readonly vcpus: number;
    readonly memoryGiB: number;
}

/** The guaranteed per-node capacity of a pool that may launch any of `instanceTypes`. */
export function poolCapacity(instanceTypes: readonly string[]): PoolCapacity {
    const specs = instanceTypes.map((t) => {
        const spec = GPU_INSTANCE_TYPES.get(t);
        if (!spec) throw new Error(`unsupported GPU instance type ${t}`);
        return spec;
    });
    return {
        gpusPerNode: Math.min(...specs.map((s) => s.gpus)),
        gpuMemoryGiB: Math.min(...specs.map((s) => s.gpuMemoryGiB)),
        gpuTypes: [...new Set(specs.map((s) => s.gpuType))],
        vcpus: Math.min(...specs.map((s) => s.vcpus)),
        memoryGiB: Math.min(...specs.map((s) => s.memoryGiB)),
    };
}

/**
 * Whether a pod asking for `gpus` GPUs (and optionally CPU and memory) fits on one node of the
 * pool; the reason when it does not.
 */
export function fitsOnNode(
    capacity: PoolCapacity,
    request: { gpus: number; vcpus?: number; memoryGiB?: number },
): string | undefined {
    if (request.gpus > capacity.gpusPerNode) {
        return `requests ${request.gpus} GPUs but a node of the pool has ${capacity.gpusPerNode}`;
    }
    if (request.vcpus !== undefined && request.vcpus > capacity.vcpus) {
        return `requests ${request.vcpus} vCPUs but a node of the pool has ${capacity.vcpus} vCPUs`;
    }
    if (request.memoryGiB !== undefined && request.memoryGiB > capacity.memoryGiB) {
        return `requests ${request.memoryGiB} GiB of memory but a node of the pool has ${capacity.memoryGiB} GiB`;
    }
    return undefined;
}

/** What the EKS AMIs reserve for the system and the kubelet on these sizes (a conservative round figure). */
export const KUBELET_RESERVE = { vcpus: 0.5, memoryGiB: 1.5 } as const;

/**
 * CPU and memory the DaemonSets of a GPU node request (VPC CNI, kube-proxy, EBS CSI node, device
 * plugin, DCGM and node exporters): a round, conservative figure.
 */
export const DAEMONSET_RESERVE = { vcpus: 0.25, memoryGiB: 0.5 } as const;

/**
 * What a node of the pool can hand to an inference pod: capacity less the kubelet's reserve and
 * what the node's DaemonSets request. The one figure both a component's fit check and the
 * stacks' capacity check use.
 */
export function allocatable(capacity: PoolCapacity): PoolCapacity {
    return {
        ...capacity,
        vcpus: capacity.vcpus - KUBELET_RESERVE.vcpus - DAEMONSET_RESERVE.vcpus,
        memoryGiB: capacity.memoryGiB - KUBELET_RESERVE.memoryGiB - DAEMONSET_RESERVE.memoryGiB,
    };
}

/** Kubernetes quantities as numbers: CPU in cores ("500m" → 0.5), memory in GiB ("16Gi" → 16). */
export function parseCpu(quantity: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity);
    return m ? Number(m[1]) / (m[2] ? 1000 : 1) : undefined;
}

export function parseMemoryGiB(quantity: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(quantity);
    if (!m) return undefined;
    const factor: Record<string, number> = {
        Ki: 2 ** -20,
        Mi: 2 ** -10,
        Gi: 1,
        Ti: 1024,
        K: 1e3 / 2 ** 30,
        M: 1e6 / 2 ** 30,
        G: 1e9 / 2 ** 30,
        T: 1e12 / 2 ** 30,
    };
    return Number(m[1]) * (m[2] ? factor[m[2]] : 1 / 2 ** 30);
}

/** The EKS-optimised NVIDIA AMI families a GPU pool may run. */
export const GPU_AMI_TYPES = ["AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"] as const;
export type GpuAmiType = (typeof GPU_AMI_TYPES)[number];

/** The taint that keeps everything but GPU workloads off GPU nodes. */
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" } as const;
/** The same taint as a pod toleration. */
export const GPU_TOLERATION = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" } as const;

/** Node labels the platform sets and selects on. */
export const LABELS = {
    accelerator: "llm-platform/accelerator",
    gpuType: "llm-platform/gpu-type",
    pool: "llm-platform/pool",
    /** `daemonset` where the NVIDIA device plugin must run as a DaemonSet; Bottlerocket runs it on the host. */
    devicePlugin: "llm-platform/nvidia-device-plugin",
    /**
     * cluster-autoscaler's GPU label on AWS: a node carrying it counts as a GPU node that is still
     * starting until the device plugin advertises `nvidia.com/gpu`, so one Pending pod does not
     * add node after node.
     */
    autoscalerGpu: "k8s.amazonaws.com/accelerator",
} as const;
