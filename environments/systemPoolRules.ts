/**
 * The system node group's capacity check: the add-ons and system workloads the settings install
 * must fit on `cluster.systemNodes.maxSize` nodes of its smallest instance type (catalog/systemPool.ts).
 * Like the GPU pools' check, it reads the merged input and applies only where the values it needs
 * have the right types (wrong types are the schema's to report).
 */
import { parseCpu, parseMemoryGiB } from "../catalog/gpu";
import {
    SYSTEM_INSTANCE_TYPES,
    systemDaemonSets,
    systemNodeAllocatable,
    systemNodesNeeded,
    systemWorkloads,
    type SystemPoolPlan,
} from "../catalog/systemPool";
import { addOnsFor } from "./addOns";
import { rawModels } from "./models";
import type { CrossFieldProblem } from "./rules";

type Obj = Record<string, unknown> | undefined;

/** What the EKS stack installs on the system nodes, as `stacks/eksPlatform.ts` decides it. */
export function systemPoolPlan(input: Readonly<Record<string, unknown>>): SystemPoolPlan | undefined {
    const serving = input.serving as Obj;
    const monitoring = input.monitoring as Obj;
    const registry = input.modelRegistry as Obj;
    const prometheus = monitoring?.prometheusResources as Obj;
    const cpu = typeof prometheus?.cpuRequest === "string" ? parseCpu(prometheus.cpuRequest) : undefined;
    const memory = typeof prometheus?.memoryRequest === "string" ? parseMemoryGiB(prometheus.memoryRequest) : undefined;
    const replicas = monitoring?.replicas;
    const registryReplicas = registry?.enabled === true ? registry.replicas : 0;
    if (
        !serving ||
        cpu === undefined ||
        memory === undefined ||
        !Number.isInteger(replicas) ||
        !Number.isInteger(registryReplicas)
    )
        return undefined;
    const addOns = addOnsFor({
        strategy: serving.strategy,
        autoscaler: serving.autoscaler,
        entryPointEnabled: (serving.entryPoint as Obj)?.enabled,
        anyScaleToZero: rawModels(input).some((m) => (m.merged.scaleToZero as Obj)?.enabled === true),
    });
    return {
        ...addOns,
        prometheus: { replicas: replicas as number, cpuM: cpu * 1000, memoryMi: memory * 1024 },
        alertmanagerReplicas: replicas as number,
        modelRegistryReplicas: registryReplicas as number,
        traceCollectorReplicas:
            (monitoring?.tracing as Obj | undefined)?.enabled === true ? (input.tier === "prod" ? 2 : 1) : 0,
        logCollector: (monitoring?.logs as Obj | undefined)?.enabled === true,
    };
}

export function systemPoolProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    if (!["eks", "both"].includes((input.serving as Obj)?.platform as string)) return [];
    const nodes = (input.cluster as Record<string, Obj> | undefined)?.systemNodes;
    const types = nodes?.instanceTypes;
    const maxSize = nodes?.maxSize;
    if (!Array.isArray(types) || types.length === 0 || !Number.isInteger(maxSize)) return [];
    const known = types.map((t) => (typeof t === "string" ? SYSTEM_INSTANCE_TYPES.get(t) : undefined));
    // An instance type the catalog does not know is not checked.
    if (known.some((k) => k === undefined)) return [];
    const plan = systemPoolPlan(input);
    if (!plan) return [];
    // The smallest type decides: the node group may be given any of them.
    const smallest = types
        .map((t, i) => ({ type: t as string, spec: known[i]! }))
        .sort((a, b) => a.spec.vcpus - b.spec.vcpus || a.spec.memoryGiB - b.spec.memoryGiB)[0];
    const workloads = systemWorkloads(plan);
    const daemonSets = systemDaemonSets(plan);
    const needed = systemNodesNeeded(workloads, smallest.spec, daemonSets);
    const total = workloads.reduce(
        (t, w) => ({
            cpuM: t.cpuM + w.pods * w.cpuM,
            memoryMi: t.memoryMi + w.pods * w.memoryMi,
            pods: t.pods + w.pods,
        }),
        { cpuM: 0, memoryMi: 0, pods: 0 },
    );
    const node = systemNodeAllocatable(smallest.spec);
    const largest = [...workloads].sort((a, b) => b.pods * b.cpuM - a.pods * a.cpuM).slice(0, 3);
    const what = `the system pods request ${total.cpuM}m CPU, ${total.memoryMi} MiB and ${total.pods} pods (most: ${largest
        .map((w) => `${w.name} ${w.pods} × ${w.cpuM}m`)
        .join(", ")}), and one ${smallest.type} node offers ${node.cpuM - daemonSets.cpuM}m, ${
        node.memoryMi - daemonSets.memoryMi
    } MiB and ${node.pods - daemonSets.pods} pods beside its DaemonSets`;
    if (needed === undefined)
        return [
            {
                path: ["cluster", "systemNodes", "instanceTypes"],
                message: `expected an instance type that holds the largest system pod: ${what}; choose a larger type`,
                input: types,
            },
        ];
    if (needed <= (maxSize as number)) return [];
    return [
        {
            path: ["cluster", "systemNodes", "maxSize"],
            message: `expected an integer >= ${needed}: ${what}; every release waits for its pods (atomic), so raise maxSize or choose a larger instance type`,
            input: maxSize,
        },
    ];
}
