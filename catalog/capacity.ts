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

export type Resource = "GPUs" | "CPU" | "memory";

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
    const { count, limitedBy } = fewestFits(offers, asks);
    return { pods: count, limitedBy, offers };
}

/**
 * How many of `asks` fit in `offers`, resource by resource, and the resource that binds: the count
 * a scheduler can place on one node or instance (0 when one resource is short).
 */
export function fewestFits(
    offers: Record<Resource, number>,
    asks: Record<Resource, number>,
): { count: number; limitedBy: Resource } {
    const fits = (r: Resource): number => Math.floor(offers[r] / asks[r]);
    const limitedBy = (["GPUs", "CPU", "memory"] as const).reduce((a, b) => (fits(b) < fits(a) ? b : a));
    return { count: Math.max(0, fits(limitedBy)), limitedBy };
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
 *   production traffic). With `scaleDownInactive` it runs nothing, except while `promote` warms
 *   it to `replicas` (it lifts scaleDownInactive until the flip holds): the peak counts that, for
 *   every model at once (promotions of different models may run side by side: the lock is per model).
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
        peak: s.maxReplicas + s.replicas,
        explain: s.scaleDownInactive
            ? `the active colour at ${s.replicas} to ${s.maxReplicas} and the inactive one at ${s.replicas} while a promotion warms it, at zero otherwise`
            : `the active colour at ${s.replicas} to ${s.maxReplicas} and the inactive one warm at ${s.replicas}`,
    };
}

/** The weights sync's memory on ECS: reserved for placement, and its hard limit (MiB). */
export const MODEL_SYNC_MEMORY_RESERVATION_MIB = 256;
export const MODEL_SYNC_MEMORY_MIB = 1024;
/** The time-to-first-token exporter's (a Python loop on the server's image). */
export const TTFT_EXPORTER_MEMORY_RESERVATION_MIB = 64;
export const TTFT_EXPORTER_MEMORY_MIB = 256;
/** What a task's sidecars reserve besides the server's memory. */
export const ECS_SIDECARS_MEMORY_RESERVATION_MIB =
    MODEL_SYNC_MEMORY_RESERVATION_MIB + TTFT_EXPORTER_MEMORY_RESERVATION_MIB;

/**
 * Memory of an ECS GPU instance its tasks cannot have, MiB: the ECS agent registers the memory
 * the kernel reports (`MemTotal`, amazon-ecs-agent `getHostMemoryInMiB`), which is below the
 * instance's nominal memory by a share that grows with it (the kernel's page tables and reserves;
 * AWS's m4.large example registers 207 MiB less than 8 GiB), and the agent, the NVIDIA driver and
 * the OS use some of what is registered. 3 % of the nominal, and at least 1.5 GiB.
 */
export function ecsInstanceMemoryReserveMiB(memoryGiB: number): number {
    return Math.max(1536, Math.ceil(memoryGiB * 1024 * 0.03));
}

/** What one inference task asks of an instance: the server's GPUs, CPU units and memory limit. */
export interface EcsTaskShape {
    gpus: number;
    /** CPU units (1024 per vCPU). */
    cpuUnits: number;
    /** The server container's memory, MiB (the sidecars' reservations are added). */
    memoryMiB: number;
}

/**
 * Tasks one instance of the types holds: the fewest of its GPUs (ECS gives a task whole GPUs of
 * one instance), CPU units (1024 per vCPU) and memory (less the instance reserve) over what a
 * task reserves — the server's memory plus its sidecars' reservations. 0 when a task fits no
 * instance; `limitedBy` says which resource binds.
 */
export function ecsTasksPerInstance(
    instanceTypes: readonly string[],
    task: EcsTaskShape,
): { tasks: number; limitedBy: Resource } {
    const capacity = poolCapacity(instanceTypes);
    const { count, limitedBy } = fewestFits(
        {
            GPUs: capacity.gpusPerNode,
            CPU: capacity.vcpus * 1024,
            memory: capacity.memoryGiB * 1024 - ecsInstanceMemoryReserveMiB(capacity.memoryGiB),
        },
        { GPUs: task.gpus, CPU: task.cpuUnits, memory: task.memoryMiB + ECS_SIDECARS_MEMORY_RESERVATION_MIB },
    );
    return { tasks: count, limitedBy };
}

/**
 * Instances an ECS blue/green deployment needs at `maxTasks`: ECS starts the whole new colour
 * beside the old one (deploymentMaximumPercent 200) before it shifts traffic, so at the ceiling
 * both colours run `maxTasks` tasks at once, packed {@link ecsTasksPerInstance} to an instance.
 * `undefined` when a task fits no instance of the types (`limitedBy` then names the resource).
 */
export function ecsDeploymentInstances(
    instanceTypes: readonly string[],
    task: EcsTaskShape,
    maxTasks: number,
): { needed: number; tasksPerInstance: number; limitedBy: Resource; explain: string } | undefined {
    const { tasks, limitedBy } = ecsTasksPerInstance(instanceTypes, task);
    if (tasks < 1) return undefined;
    const needed = Math.ceil((2 * maxTasks) / tasks);
    return {
        needed,
        tasksPerInstance: tasks,
        limitedBy,
        explain: `both colours at maxTasks (2 × ${maxTasks} tasks), ${tasks} task(s) of ${task.gpus} GPU(s) per instance, bound by ${limitedBy}`,
    };
}

/** Why a task fits no instance of the types: the resource that binds, and what a task asks of it (the caller names the setting). */
export function ecsTaskFitProblem(
    instanceTypes: readonly string[],
    task: EcsTaskShape,
): { limitedBy: Resource; message: string } {
    const { limitedBy } = ecsTasksPerInstance(instanceTypes, task);
    const capacity = poolCapacity(instanceTypes);
    const message = {
        GPUs: `a task asks ${task.gpus} GPUs, more than an instance of the instance types has (${capacity.gpusPerNode})`,
        CPU: `a task asks ${task.cpuUnits} CPU units, more than an instance of the instance types has (${capacity.vcpus * 1024}: 1024 per vCPU)`,
        memory: `a task's ${task.memoryMiB} MiB and its sidecars' ${ECS_SIDECARS_MEMORY_RESERVATION_MIB} MiB do not fit an instance of the instance types (${capacity.memoryGiB} GiB, less ${ecsInstanceMemoryReserveMiB(capacity.memoryGiB)} MiB for the system)`,
    }[limitedBy];
    return { limitedBy, message };
}
