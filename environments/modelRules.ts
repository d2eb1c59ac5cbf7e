/**
 * The cross-key rules of the models a stack serves (`llm-platform:models`, or the one model of
 * `serving`): each model's replicas, pool, tensor parallelism and scaling target, the catalogue's
 * isolation (names, prefixes), and whether the GPU pools hold every model's pods at once. A problem
 * is reported where its value was set: the model's entry, or `serving` when the model inherits it.
 */
import { packPods, podsPerNode, servingPods } from "../catalog/capacity";
import { RESERVED_NAMESPACES } from "../catalog/reserved";
import { GPU_INSTANCE_TYPES, poolCapacity } from "../catalog/gpu";
import { PROD_MIN_REPLICAS } from "../catalog/standards";
import { DEFAULT_MODEL_NAME, defaultModelPrefix, rawModels } from "./models";
import type { CrossFieldProblem } from "./rules";

const isInt = (v: unknown): v is number => Number.isInteger(v);

type RawModel = ReturnType<typeof rawModels>[number];

/** Where a model's `key` was set: its entry (`models[i].key`) or `serving.key`. */
function pathOf(m: RawModel, ...key: string[]): Array<string | number> {
    return m.index !== undefined && m.entry[key[0]] !== undefined ? ["models", m.index, ...key] : ["serving", ...key];
}

const nameOf = (m: RawModel): string => (m.index === undefined ? DEFAULT_MODEL_NAME : String(m.entry.name));

/** Every model's own rules and the catalogue's. */
export function modelProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const problems: CrossFieldProblem[] = [];
    const models = rawModels(input);
    const serving = (input.serving ?? {}) as Record<string, unknown>;
    const pools = Array.isArray(input.gpuNodePools) ? (input.gpuNodePools as Array<Record<string, unknown>>) : [];
    const poolNames = pools.map((p) => p?.name);
    // Namespaces the models' NetworkPolicies admit callers from: a model there could call every model.
    const callers = [
        ...(Array.isArray(serving.ingressNamespaces) ? serving.ingressNamespaces : []),
        serving.prometheusNamespace,
    ].filter((n): n is string => typeof n === "string");
    for (const m of models) {
        if (
            m.index !== undefined &&
            typeof m.entry.name === "string" &&
            callers.includes(m.entry.name) &&
            !(RESERVED_NAMESPACES as readonly string[]).includes(m.entry.name)
        )
            problems.push({
                path: ["models", m.index, "name"],
                message: `expected a name that is not a namespace every model admits callers from (serving.ingressNamespaces and prometheusNamespace: ${callers.join(", ")}): its pods would reach every other model`,
                input: m.entry.name,
            });
        const { replicas, maxReplicas, gpus, gpuPool, scaleOn } = m.merged;
        if (input.tier === "prod" && isInt(replicas) && replicas < PROD_MIN_REPLICAS) {
            problems.push({
                path: pathOf(m, "replicas"),
                message: `expected an integer >= ${PROD_MIN_REPLICAS} in the prod tier (one replica cannot survive a node drain)`,
                input: replicas,
            });
        }
        if (isInt(replicas) && isInt(maxReplicas) && maxReplicas < replicas) {
            problems.push({
                path: pathOf(m, m.entry.maxReplicas !== undefined ? "maxReplicas" : "replicas"),
                message:
                    m.entry.maxReplicas !== undefined || m.index === undefined
                        ? `expected an integer >= replicas (${replicas})`
                        : `expected an integer <= maxReplicas (${String(maxReplicas)})`,
                input: m.entry.maxReplicas !== undefined || m.index === undefined ? maxReplicas : replicas,
            });
        }
        if (typeof gpuPool === "string" && pools.length > 0 && !poolNames.includes(gpuPool)) {
            problems.push({
                path: pathOf(m, "gpuPool"),
                message: `expected the name of a GPU pool in gpuNodePools (${poolNames.map((n) => JSON.stringify(n)).join(", ")})`,
                input: gpuPool,
            });
        }
        const tp = m.entry.tensorParallelSize;
        if (m.index !== undefined && isInt(tp) && isInt(gpus) && (tp > gpus || gpus % tp !== 0)) {
            problems.push({
                path: ["models", m.index, "tensorParallelSize"],
                message: `expected a divisor of the model's GPUs per pod (${gpus}): vLLM shards the model over that many of them`,
                input: tp,
            });
        }
        const on = scaleOn as { metric?: unknown; target?: unknown } | undefined;
        if (on?.metric === "waitingRequests" && typeof on.target === "number" && !Number.isInteger(on.target)) {
            problems.push({
                path: pathOf(m, "scaleOn", "target"),
                message: "expected an integer (waiting requests per replica)",
                input: on.target,
            });
        }
        if (on?.metric === "kvCacheUsage" && typeof on.target === "number" && on.target > 1) {
            problems.push({
                path: pathOf(m, "scaleOn", "target"),
                message: "expected a fraction <= 1 of the KV cache in use",
                input: on.target,
            });
        }
        problems.push(...loadStageProblems(m));
    }
    problems.push(...scaleToZeroProblems(input, models));
    if (!Array.isArray(input.models)) return problems;

    // Isolation: a model's name is its namespace and route, its prefix the only weights it reads.
    const seen = new Map<string, Map<unknown, number>>();
    for (const m of models) {
        const ownPrefix =
            m.entry.modelPrefix ?? (typeof m.entry.name === "string" ? defaultModelPrefix(m.entry.name) : undefined);
        const values: Record<string, unknown> = {
            name: m.entry.name,
            servedModelName: m.entry.servedModelName ?? m.entry.name,
            modelPrefix: ownPrefix,
        };
        for (const [key, value] of Object.entries(values)) {
            if (typeof value !== "string") continue;
            const earlier = seen.get(key) ?? new Map<unknown, number>();
            seen.set(key, earlier);
            const first = earlier.get(value);
            if (first !== undefined) {
                problems.push({
                    path: ["models", m.index!, key],
                    message: `expected a ${key} no other model has (models[${first}] has it${key === "modelPrefix" ? "; each model reads only its own prefix" : ""})`,
                    input: value,
                });
            } else earlier.set(value, m.index!);
        }
        const prefix = typeof ownPrefix === "string" ? ownPrefix : undefined;
        const held = models.find((other) => {
            const otherPrefix = other.entry.modelPrefix ?? defaultModelPrefix(other.entry.name);
            return (
                other !== m &&
                prefix !== undefined &&
                typeof otherPrefix === "string" &&
                otherPrefix.startsWith(`${prefix}/`)
            );
        });
        if (held)
            problems.push({
                path: ["models", m.index!, "modelPrefix"],
                message: `expected a prefix that does not hold another model's (models[${held.index}] reads ${String(held.entry.modelPrefix ?? defaultModelPrefix(held.entry.name))})`,
                input: prefix,
            });
    }
    if (serving.platform === "ecs" || serving.platform === "both") {
        problems.push({
            path: ["models"],
            message: `the ECS service serves one model (serving.platform "${String(serving.platform)}"): remove llm-platform:models and configure the model in llm-platform:serving, or serve the list on EKS (serving.platform "eks")`,
            input: input.models,
        });
    }
    if (serving.strategy === "canary" && models.length > 1) {
        problems.push({
            path: ["models"],
            message: `the canary strategy serves one model (its gateway routes one Canary's traffic): list one model, or release the list blue-green (serving.strategy "blue-green")`,
            input: input.models,
        });
    }
    return problems;
}

/**
 * The GPU pools must hold every model's pods (see `servingPods`) at the configured replicas and at
 * maxReplicas, or pods stay Pending whatever the node autoscaler does. A pool serving one model is
 * counted exactly (pods per node); one serving several is packed first-fit, pod by pod, on each
 * pod's GPUs, CPU and memory. EKS only (ECS has its own capacity provider).
 */
export function capacityProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const serving = input.serving as Record<string, unknown> | undefined;
    const pools = input.gpuNodePools;
    if (!serving || !Array.isArray(pools) || !["eks", "both"].includes(serving.platform as string)) return [];
    const { strategy } = serving;
    if (strategy !== "blue-green" && strategy !== "canary") return [];
    const slicing = (input.devicePlugin as Record<string, unknown> | undefined)?.timeSlicingReplicas;
    if (slicing !== undefined && !Number.isInteger(slicing)) return [];
    const firstPool = (pools[0] as { name?: unknown } | null)?.name;
    const problems: CrossFieldProblem[] = [];
    pools.forEach((raw, index) => {
        const pool = raw as Record<string, unknown> | null;
        const instanceTypes = pool?.instanceTypes;
        if (
            !pool ||
            !Number.isInteger(pool.maxSize) ||
            (Number.isInteger(pool.minSize) && (pool.maxSize as number) < (pool.minSize as number)) ||
            !Array.isArray(instanceTypes) ||
            instanceTypes.length === 0 ||
            !instanceTypes.every((t) => typeof t === "string" && GPU_INSTANCE_TYPES.has(t))
        )
            return;
        const onPool = rawModels(input).filter((m) => (m.merged.gpuPool ?? firstPool) === pool.name);
        const shaped = onPool.flatMap((m) => {
            const { replicas, maxReplicas, gpus, scaleDownInactive } = m.merged;
            const resources = m.merged.resources as Record<string, unknown> | undefined;
            if (
                !isInt(replicas) ||
                !isInt(maxReplicas) ||
                maxReplicas < replicas ||
                !isInt(gpus) ||
                gpus < 1 ||
                typeof scaleDownInactive !== "boolean" ||
                typeof resources?.cpuRequest !== "string" ||
                typeof resources.memoryRequest !== "string"
            )
                return [];
            const request = { gpus, cpuRequest: resources.cpuRequest, memoryRequest: resources.memoryRequest };
            const pods = servingPods({ replicas, maxReplicas, strategy, scaleDownInactive });
            return [
                {
                    m,
                    request,
                    pods,
                    perNode: podsPerNode(
                        poolCapacity(instanceTypes as string[]),
                        request,
                        slicing as number | undefined,
                    ),
                },
            ];
        });
        // Every model must be checkable, or the pool's total is unknown.
        if (shaped.length !== onPool.length || shaped.length === 0) return;
        const types = (instanceTypes as string[]).join(" / ");
        const maxSize = pool.maxSize as number;
        const misfits = shaped.filter((s) => s.perNode.pods === 0);
        for (const { m, request, perNode } of misfits) {
            const offered = perNode.offers[perNode.limitedBy];
            const free = {
                GPUs: `${offered} GPU${offered === 1 ? "" : "s"}`,
                CPU: `${offered} vCPU`,
                memory: `${offered} GiB`,
            }[perNode.limitedBy];
            const asked = {
                GPUs: `${request.gpus} GPUs`,
                CPU: `${request.cpuRequest} CPU`,
                memory: request.memoryRequest,
            }[perNode.limitedBy];
            const gpuBound = perNode.limitedBy === "GPUs";
            problems.push({
                path: gpuBound ? pathOf(m, "gpus") : pathOf(m, "resources"),
                message: `expected a pod that fits a node of GPU pool "${String(pool.name)}": ${m.index === undefined ? "it" : `model ${nameOf(m)}`} asks for ${asked} but a ${types} node has ${free} for pods (after the kubelet's reserve and the DaemonSets)`,
                input: gpuBound ? m.merged.gpus : m.merged.resources,
            });
        }
        if (misfits.length > 0) return;
        if (shaped.length === 1) {
            const [{ m, request, pods, perNode }] = shaped;
            const key = m.index === undefined ? "llm-platform:serving" : `llm-platform:models[${m.index}]`;
            const nodesFor = (n: number): number => Math.ceil(n / perNode.pods);
            const shape = `${request.gpus} GPU${request.gpus === 1 ? "" : "s"}, ${request.cpuRequest} CPU and ${request.memoryRequest} each`;
            const holds = `a ${types} node holds ${perNode.pods} (${shape}; limited by ${perNode.limitedBy})`;
            const warm = strategy === "blue-green" && m.merged.scaleDownInactive === false;
            if (nodesFor(pods.configured) > maxSize)
                problems.push({
                    path: ["gpuNodePools", index, "maxSize"],
                    message: `expected an integer >= ${nodesFor(pods.peak)}: at ${key}.replicas (${String(m.merged.replicas)}) serving already runs ${pods.configured} pods (${pods.explain}) and ${holds}; raise it, or lower ${key}.replicas${warm ? ` or set ${key}.scaleDownInactive` : ""}`,
                    input: maxSize,
                });
            else if (nodesFor(pods.peak) > maxSize)
                problems.push({
                    path: ["gpuNodePools", index, "maxSize"],
                    message: `expected an integer >= ${nodesFor(pods.peak)}: at ${key}.maxReplicas (${String(m.merged.maxReplicas)}) serving runs ${pods.peak} pods (${pods.explain}) and ${holds}; raise it, or lower ${key}.maxReplicas`,
                    input: maxSize,
                });
            return;
        }
        const offers = shaped[0].perNode.offers;
        const nodes = (at: "configured" | "peak"): number =>
            packPods(
                offers,
                shaped.map((s) => ({ request: s.request, count: s.pods[at] })),
            );
        const list = (at: "configured" | "peak"): string =>
            shaped
                .map(
                    (s) =>
                        `${nameOf(s.m)} ${s.pods[at]} pod${s.pods[at] === 1 ? "" : "s"} of ${s.request.gpus} GPU${s.request.gpus === 1 ? "" : "s"}`,
                )
                .join(", ");
        const needed = { configured: nodes("configured"), peak: nodes("peak") };
        const at = needed.configured > maxSize ? "configured" : needed.peak > maxSize ? "peak" : undefined;
        if (at)
            problems.push({
                path: ["gpuNodePools", index, "maxSize"],
                message: `expected an integer >= ${needed.peak}: at their ${at === "configured" ? "replicas" : "maxReplicas"} the models on GPU pool "${String(pool.name)}" run ${list(at)}, which take ${needed[at]} ${types} nodes packed first-fit (${offers.GPUs} GPU${offers.GPUs === 1 ? "" : "s"}, ${offers.CPU} vCPU and ${offers.memory} GiB for pods each); raise it, or lower the models' ${at === "configured" ? "replicas" : "maxReplicas"}`,
                input: maxSize,
            });
    });
    return problems;
}

/** Scale-to-zero: staging only, and only where KEDA, blue-green and the entry point carry it. */
function scaleToZeroProblems(input: Readonly<Record<string, unknown>>, models: RawModel[]): CrossFieldProblem[] {
    const problems: CrossFieldProblem[] = [];
    const enabled = models.filter((m) => (m.merged.scaleToZero as { enabled?: unknown } | undefined)?.enabled === true);
    if (enabled.length === 0) return problems;
    const where = (m: RawModel): Array<string | number> =>
        m.index !== undefined && (m.entry.scaleToZero as { enabled?: unknown } | undefined)?.enabled !== undefined
            ? ["models", m.index, "scaleToZero", "enabled"]
            : ["serving", "scaleToZero", "enabled"];
    if (input.tier === "prod") {
        const seen = new Set<string>();
        for (const m of enabled) {
            const path = where(m);
            if (seen.has(path.join("."))) continue;
            seen.add(path.join("."));
            problems.push({
                path,
                message: `expected false in the prod tier: prod keeps at least ${PROD_MIN_REPLICAS} replicas of every model, and a model at zero answers its first request minutes late; scale to zero in staging`,
                input: true,
            });
        }
        return problems;
    }
    const serving = (input.serving ?? {}) as Record<string, unknown>;
    const names = enabled.map(nameOf).join(", ");
    const needs: Array<[Array<string | number>, boolean, string, unknown]> = [
        [
            ["serving", "autoscaler"],
            serving.autoscaler === "keda",
            `expected "keda": KEDA takes a model to zero and back (scaleToZero on ${names})`,
            serving.autoscaler,
        ],
        [
            ["serving", "strategy"],
            serving.strategy === "blue-green",
            `expected "blue-green": the add-on's interceptor sends to the active colour's Service (scaleToZero on ${names})`,
            serving.strategy,
        ],
        [
            ["serving", "platform"],
            serving.platform !== "ecs",
            `expected "eks" or "both": scale-to-zero is built for EKS, an ECS service keeps its desired count (scaleToZero on ${names})`,
            serving.platform,
        ],
        [
            ["serving", "entryPoint", "enabled"],
            (serving.entryPoint as { enabled?: unknown } | undefined)?.enabled === true,
            `expected true: a model at zero is woken by its requests, which must come through the load balancer to the add-on's interceptor (scaleToZero on ${names})`,
            (serving.entryPoint as { enabled?: unknown } | undefined)?.enabled,
        ],
    ];
    for (const [path, ok, message, value] of needs) if (!ok) problems.push({ path, message, input: value });
    return problems;
}

/** Where a model's `evaluation.load.<key>` was set: its entry, or `serving`. */
function loadPathOf(m: RawModel, key: string): Array<string | number> {
    const own = (m.entry.evaluation as { load?: Record<string, unknown> } | undefined)?.load?.[key];
    return m.index !== undefined && own !== undefined
        ? ["models", m.index, "evaluation", "load", key]
        : ["serving", "evaluation", "load", key];
}

/** A model's load stage: the ramp ends before the load does, and minTokens fits in maxTokens. */
function loadStageProblems(m: RawModel): CrossFieldProblem[] {
    const load = (m.merged.evaluation as { load?: Record<string, unknown> } | undefined)?.load;
    if (!load) return [];
    const problems: CrossFieldProblem[] = [];
    const { durationSeconds, rampSeconds, minTokens, maxTokens } = load;
    if (isInt(durationSeconds) && isInt(rampSeconds) && rampSeconds >= durationSeconds)
        problems.push({
            path: loadPathOf(m, "rampSeconds"),
            message: `expected fewer seconds than evaluation.load.durationSeconds (${durationSeconds}) of model ${nameOf(m)}: only the requests begun after the ramp are judged, so the ramp must end before the load does; shorten the ramp or lengthen durationSeconds`,
            input: rampSeconds,
        });
    if (isInt(minTokens) && isInt(maxTokens) && minTokens > maxTokens)
        problems.push({
            path: loadPathOf(m, "minTokens"),
            message: `expected at most evaluation.load.maxTokens (${maxTokens}) of model ${nameOf(m)}: vLLM refuses a request whose min_tokens exceeds its max_tokens`,
            input: minTokens,
        });
    return problems;
}
