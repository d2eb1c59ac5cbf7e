/**
 * Rules that span keys (the prod minimums, the pod that must fit its node, tag keys …), checked
 * on the merged input beside the schema so one run reports every problem.
 */
import { PROD_MIN_REPLICAS } from "../catalog/standards";
import { GPU_INSTANCE_TYPES, poolCapacity } from "../catalog/gpu";
import { podsPerNode, servingPods } from "../catalog/capacity";
import { ecsProblems, servingProblems } from "./servingRules";
import { CLUSTER_AUTOSCALER_IMAGES } from "../catalog/versions";
import { TAG_CHARACTERS, TAG_CHARACTERS_HELP } from "./schema";

const GPU_FAMILIES = [...new Set([...GPU_INSTANCE_TYPES.keys()].map((k) => k.split(".")[0]))].join(", ");

/** A rule that spans keys, found by {@link crossFieldProblems}. */
export interface CrossFieldProblem {
    path: Array<string | number>;
    message: string;
    input: unknown;
}

/**
 * Rules that span keys, checked on the merged input whether or not the rest is valid (so that
 * one run reports every problem). Each rule applies only where its own values have the right
 * types; wrong types are the schema's to report.
 */
export function crossFieldProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const problems: CrossFieldProblem[] = [];
    const isInt = (v: unknown): v is number => Number.isInteger(v);

    const serving = input.serving as Record<string, unknown> | undefined;
    if (input.tier === "prod" && isInt(serving?.replicas) && serving.replicas < PROD_MIN_REPLICAS) {
        problems.push({
            path: ["serving", "replicas"],
            message: `expected an integer >= ${PROD_MIN_REPLICAS} in the prod tier (one replica cannot survive a node drain)`,
            input: serving.replicas,
        });
    }

    const network = input.network as Record<string, unknown> | undefined;
    if (
        input.tier === "prod" &&
        network?.existing === undefined &&
        isInt(network?.availabilityZoneCount) &&
        network.availabilityZoneCount < 3
    ) {
        problems.push({
            path: ["network", "availabilityZoneCount"],
            message: "expected an integer >= 3 in the prod tier (a zone outage must leave two)",
            input: network.availabilityZoneCount,
        });
    }
    const systemNodes = (input.cluster as Record<string, Record<string, unknown>> | undefined)?.systemNodes;
    if (isInt(systemNodes?.minSize) && isInt(systemNodes.maxSize) && systemNodes.maxSize < systemNodes.minSize) {
        problems.push({
            path: ["cluster", "systemNodes", "maxSize"],
            message: `expected an integer >= minSize (${systemNodes.minSize})`,
            input: systemNodes.maxSize,
        });
    }

    if (isInt(serving?.replicas) && isInt(serving?.maxReplicas) && serving.maxReplicas < serving.replicas) {
        problems.push({
            path: ["serving", "maxReplicas"],
            message: `expected an integer >= replicas (${serving.replicas})`,
            input: serving.maxReplicas,
        });
    }
    problems.push(...servingProblems(serving));
    if (typeof serving?.gpuPool === "string" && Array.isArray(input.gpuNodePools)) {
        const poolNames = (input.gpuNodePools as Array<Record<string, unknown>>).map((p) => p?.name);
        if (!poolNames.includes(serving.gpuPool)) {
            problems.push({
                path: ["serving", "gpuPool"],
                message: `expected the name of a GPU pool in gpuNodePools (${poolNames.map((n) => JSON.stringify(n)).join(", ")})`,
                input: serving.gpuPool,
            });
        }
    }

    problems.push(...ecsProblems(input));

    const tags = input.tags;
    if (typeof tags === "object" && tags !== null && !Array.isArray(tags)) {
        for (const key of Object.keys(tags)) {
            if (key.length < 1 || key.length > 128 || key.toLowerCase().startsWith("aws:")) {
                problems.push({
                    path: ["tags"],
                    message: "expected tag names of 1-128 characters that do not start with the reserved prefix 'aws:'",
                    input: key,
                });
            } else if (!TAG_CHARACTERS.test(key)) {
                problems.push({ path: ["tags"], message: `expected tag names of ${TAG_CHARACTERS_HELP}`, input: key });
            }
        }
    }

    const pools = Array.isArray(input.gpuNodePools) ? (input.gpuNodePools as unknown[]) : [];
    const names = new Set<unknown>();
    pools.forEach((raw, i) => {
        if (typeof raw !== "object" || raw === null) return;
        const pool = raw as Record<string, unknown>;
        const { minSize, maxSize, desiredSize } = pool;
        if (isInt(minSize) && isInt(maxSize) && maxSize < minSize) {
            problems.push({
                path: ["gpuNodePools", i, "maxSize"],
                message: `expected an integer >= minSize (${minSize})`,
                input: maxSize,
            });
        }
        if (
            isInt(minSize) &&
            isInt(maxSize) &&
            isInt(desiredSize) &&
            (desiredSize < minSize || desiredSize > maxSize)
        ) {
            problems.push({
                path: ["gpuNodePools", i, "desiredSize"],
                message: `expected an integer between minSize (${minSize}) and maxSize (${maxSize})`,
                input: desiredSize,
            });
        }
        if (Array.isArray(pool.instanceTypes)) {
            pool.instanceTypes.forEach((t, j) => {
                if (typeof t === "string" && /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(t) && !GPU_INSTANCE_TYPES.has(t)) {
                    problems.push({
                        path: ["gpuNodePools", i, "instanceTypes", j],
                        message: `expected an NVIDIA GPU instance type (${GPU_FAMILIES}), such as g5.xlarge`,
                        input: t,
                    });
                }
            });
        }
        if (typeof pool.name === "string" && names.has(pool.name)) {
            problems.push({
                path: ["gpuNodePools", i, "name"],
                message: "expected a pool name not used by an earlier pool",
                input: pool.name,
            });
        }
        names.add(pool.name);
    });
    problems.push(...capacityProblems(input));

    const kubernetesVersion = (input.cluster as Record<string, unknown> | undefined)?.kubernetesVersion;
    if (typeof kubernetesVersion === "string" && /^1\.\d{2}$/.test(kubernetesVersion)) {
        if (!(kubernetesVersion in CLUSTER_AUTOSCALER_IMAGES)) {
            problems.push({
                path: ["cluster", "kubernetesVersion"],
                message: `expected one of ${Object.keys(CLUSTER_AUTOSCALER_IMAGES).join(", ")} (the versions the pinned cluster-autoscaler has a release line for)`,
                input: kubernetesVersion,
            });
        }
    }
    return problems;
}

/**
 * The serving GPU pool must hold every inference pod the autoscalers may run (see
 * `servingPods`): at the configured replicas and at maxReplicas, or the pods stay Pending no
 * matter what the node autoscaler does. EKS only (ECS has its own capacity provider).
 */
function capacityProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const serving = input.serving as Record<string, unknown> | undefined;
    const pools = input.gpuNodePools;
    if (!serving || !Array.isArray(pools) || !["eks", "both"].includes(serving.platform as string)) return [];
    const { replicas, maxReplicas, gpus, strategy, scaleDownInactive } = serving;
    const resources = serving.resources as Record<string, unknown> | undefined;
    const poolName = typeof serving.gpuPool === "string" ? serving.gpuPool : (pools[0] as { name?: unknown })?.name;
    const index = pools.findIndex((p) => (p as { name?: unknown } | null)?.name === poolName);
    const pool = pools[index] as Record<string, unknown> | undefined;
    const instanceTypes = pool?.instanceTypes;
    const slicing = (input.devicePlugin as Record<string, unknown> | undefined)?.timeSlicingReplicas;
    if (
        !pool ||
        !Number.isInteger(replicas) ||
        !Number.isInteger(maxReplicas) ||
        (maxReplicas as number) < (replicas as number) ||
        !Number.isInteger(gpus) ||
        (gpus as number) < 1 ||
        (strategy !== "blue-green" && strategy !== "canary") ||
        typeof scaleDownInactive !== "boolean" ||
        typeof resources?.cpuRequest !== "string" ||
        typeof resources.memoryRequest !== "string" ||
        !Number.isInteger(pool.maxSize) ||
        (Number.isInteger(pool.minSize) && (pool.maxSize as number) < (pool.minSize as number)) ||
        !Array.isArray(instanceTypes) ||
        instanceTypes.length === 0 ||
        !instanceTypes.every((t) => typeof t === "string" && GPU_INSTANCE_TYPES.has(t)) ||
        (slicing !== undefined && !Number.isInteger(slicing))
    ) {
        return [];
    }
    const capacity = poolCapacity(instanceTypes as string[]);
    const request = { gpus: gpus as number, cpuRequest: resources.cpuRequest, memoryRequest: resources.memoryRequest };
    const perNode = podsPerNode(capacity, request, slicing as number | undefined);
    const shape = `${request.gpus} GPU${request.gpus === 1 ? "" : "s"}, ${request.cpuRequest} CPU and ${request.memoryRequest} each`;
    if (perNode.pods === 0) {
        const offered = perNode.offers[perNode.limitedBy];
        const free = {
            GPUs: `${offered} GPU${offered === 1 ? "" : "s"}`,
            CPU: `${offered} vCPU`,
            memory: `${offered} GiB`,
        }[perNode.limitedBy];
        const asked = { GPUs: `${request.gpus} GPUs`, CPU: `${request.cpuRequest} CPU`, memory: request.memoryRequest }[
            perNode.limitedBy
        ];
        return [
            {
                path: perNode.limitedBy === "GPUs" ? ["serving", "gpus"] : ["serving", "resources"],
                message: `expected a pod that fits a node of GPU pool "${String(poolName)}": it asks for ${asked} but a ${(instanceTypes as string[]).join(" / ")} node has ${free} for pods (after the kubelet's reserve and the DaemonSets)`,
                input: perNode.limitedBy === "GPUs" ? gpus : resources,
            },
        ];
    }
    const pods = servingPods({
        replicas: replicas as number,
        maxReplicas: maxReplicas as number,
        strategy,
        scaleDownInactive,
    });
    const nodesFor = (n: number): number => Math.ceil(n / perNode.pods);
    const maxSize = pool.maxSize as number;
    const holds = `a ${(instanceTypes as string[]).join(" / ")} node holds ${perNode.pods} (${shape}; limited by ${perNode.limitedBy})`;
    if (nodesFor(pods.configured) > maxSize) {
        return [
            {
                path: ["gpuNodePools", index, "maxSize"],
                message: `expected an integer >= ${nodesFor(pods.peak)}: at llm-platform:serving.replicas (${String(replicas)}) serving already runs ${pods.configured} pods (${pods.explain}) and ${holds}; raise it, or lower llm-platform:serving.replicas${strategy === "blue-green" && !scaleDownInactive ? " or set llm-platform:serving.scaleDownInactive" : ""}`,
                input: maxSize,
            },
        ];
    }
    if (nodesFor(pods.peak) > maxSize) {
        return [
            {
                path: ["gpuNodePools", index, "maxSize"],
                message: `expected an integer >= ${nodesFor(pods.peak)}: at llm-platform:serving.maxReplicas (${String(maxReplicas)}) serving runs ${pods.peak} pods (${pods.explain}) and ${holds}; raise it, or lower llm-platform:serving.maxReplicas`,
                input: maxSize,
            },
        ];
    }
    return [];
}
