/**
 * How many inference pods a GPU pool must hold, and how many fit on one of its nodes: the
 * arithmetic behind the stacks' config-time capacity check (a Pending pod that no node group can
 * ever hold is caught before `pulumi up`, not after an hour of Pending).
 */
import { allocatable, parseCpu, parseMemoryGiB, poolCapacity, type PoolCapacity } from "./gpu";

export interface PodRequest {
    gpus: number;
    cpuRequest: string;
    memoryRequest: string;
}

type Resource = "GPUs" | "CPU" | "memory";

/**
 * Inference pods one node of the pool holds: the fewest of GPUs (time-sliced GPUs count
 * `timeSlicingReplicas` times), CPU and memory of what the node offers pods (`allocatable`).
 * 0 when the pod fits no node; `limitedBy` says which resource binds, `offers` what a node has of it.
 */
export function podsPerNode(
    capacity: PoolCapacity,
    pod: PodRequest,
    timeSlicingReplicas?: number,
): { pods: number; limitedBy: Resource; offers: Record<Resource, number> } {
    const node = allocatable(capacity);
    const offers = { GPUs: capacity.gpusPerNode * (timeSlicingReplicas ?? 1), CPU: node.vcpus, memory: node.memoryGiB };
    const asks = {
        GPUs: pod.gpus,
        CPU: parseCpu(pod.cpuRequest) ?? Infinity,
        memory: parseMemoryGiB(pod.memoryRequest) ?? Infinity,
    };
    const fits = (r: Resource): number => Math.floor(offers[r] / asks[r]);
    const limitedBy = (["GPUs", "CPU", "memory"] as const).reduce((a, b) => (fits(b) < fits(a) ? b : a));
    return { pods: Math.max(0, fits(limitedBy)), limitedBy, offers };
}

/**
 * Nodes that hold the pods of several shapes, packed first-fit decreasing (the largest pods
 * first, each on the first node with room for its GPUs, CPU and memory): the figure the scheduler
 * reaches on a pool that several models share. `offers` is what one node has for pods
 * ({@link podsPerNode}); a pod that fits no node counts a node of its own.
 */
export function packPods(
    offers: Record<Resource, number>,
    groups: ReadonlyArray<{ request: PodRequest; count: number }>,
): number {
    const pods = groups
        .flatMap(({ request, count }) => {
            const ask: [number, number, number] = [
                request.gpus,
                parseCpu(request.cpuRequest) ?? Infinity,
                parseMemoryGiB(request.memoryRequest) ?? Infinity,
            ];
            return Array.from({ length: count }, () => ask);
        })
        .sort((a, b) => b[0] - a[0] || b[1] - a[1] || b[2] - a[2]);
    const free: Array<[number, number, number]> = [];
    for (const ask of pods) {
        const node = free.find((f) => f.every((v, i) => v >= ask[i]));
        if (node) ask.forEach((v, i) => (node[i] -= v));
        else free.push([offers.GPUs - ask[0], offers.CPU - ask[1], offers.memory - ask[2]]);
    }
    return free.length;
}

export interface ServingShape {
    replicas: number;
    maxReplicas: number;
    strategy: "blue-green" | "canary";
    scaleDownInactive: boolean;
}

/**
 * Inference pods at the configured replica counts and at the autoscalers' ceilings.
 * - blue-green: the active colour runs `replicas` up to `maxReplicas`; the inactive colour, kept
 *   warm for rollback, runs `replicas` and its autoscaler may not grow it (it serves no
 *   production traffic), or nothing when `scaleDownInactive`.
 * - canary: during an analysis Flagger runs the primary and the canary side by side, each
 *   autoscaled from `replicas` to `maxReplicas`.
 */
export function servingPods(s: ServingShape): { configured: number; peak: number; explain: string } {
    if (s.strategy === "canary") {
        return {
            configured: 2 * s.replicas,
            peak: 2 * s.maxReplicas,
            explain: `the primary and the canary of an analysis, each at ${s.replicas} to ${s.maxReplicas}`,
        };
    }
    const warm = s.scaleDownInactive ? 0 : s.replicas;
    return {
        configured: s.replicas + warm,
        peak: s.maxReplicas + warm,
        explain: s.scaleDownInactive
            ? `the active colour at ${s.replicas} to ${s.maxReplicas}, the inactive one scaled to zero`
            : `the active colour at ${s.replicas} to ${s.maxReplicas} and the inactive one warm at ${s.replicas}`,
    };
}

/**
 * Instances an ECS blue/green deployment needs at `maxTasks`: ECS starts the whole new colour
 * beside the old one (deploymentMaximumPercent 200) before it shifts traffic, so at the ceiling
 * both colours run `maxTasks` tasks at once. A task takes `gpus` whole GPUs of one instance (ECS
 * does not share a GPU between tasks). `undefined` when a task fits no instance of the types.
 */
export function ecsDeploymentInstances(
    instanceTypes: readonly string[],
    gpus: number,
    maxTasks: number,
): { needed: number; tasksPerInstance: number; explain: string } | undefined {
    const tasksPerInstance = Math.floor(poolCapacity(instanceTypes).gpusPerNode / gpus);
    if (tasksPerInstance < 1) return undefined;
    const needed = Math.ceil((2 * maxTasks) / tasksPerInstance);
    return {
        needed,
        tasksPerInstance,
        explain: `both colours at maxTasks (2 × ${maxTasks} tasks), ${tasksPerInstance} task(s) of ${gpus} GPU(s) per instance`,
    };
}
