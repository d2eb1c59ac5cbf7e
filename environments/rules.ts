/**
 * Rules that span keys (the prod minimums, the pod that must fit its node, tag keys …), checked
 * on the merged input beside the schema so one run reports every problem.
 */
import { GPU_INSTANCE_TYPES } from "../catalog/gpu";
import { REGISTRY_MODEL_URI } from "../catalog/formats";
import { capacityProblems, modelProblems } from "./modelRules";
import { ecsProblems, servingProblems } from "./servingRules";
import { limitProblems } from "./limitRules";
import { systemPoolProblems } from "./systemPoolRules";
import { cooldownStarvesDrift, scheduleTooFrequent } from "../catalog/standards";
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
export function crossFieldProblems(input: Readonly<Record<string, unknown>>, region?: string): CrossFieldProblem[] {
    const problems: CrossFieldProblem[] = [];
    const isInt = (v: unknown): v is number => Number.isInteger(v);

    const serving = input.serving as Record<string, unknown> | undefined;
    problems.push(...modelProblems(input));

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

    problems.push(...servingProblems(serving));
    problems.push(...loopProblems(input));
    problems.push(...ecsProblems(input));
    problems.push(...limitProblems(input, region));

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
    problems.push(...systemPoolProblems(input));

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
    // Models that inherit one bad serving value report it once.
    const seen = new Set<string>();
    return problems.filter((p) => {
        const id = JSON.stringify([p.path, p.message]);
        return !seen.has(id) && seen.add(id) !== undefined;
    });
}

/** The model registry and retraining (issue 18): what each needs of the rest of the stack. */
export function loopProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const problems: CrossFieldProblem[] = [];
    const obj = (v: unknown): Record<string, unknown> | undefined =>
        typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    const registry = obj(input.modelRegistry);
    const retraining = obj(input.retraining);
    const serving = obj(input.serving);
    const platform = serving?.platform;
    const registryOn = registry?.enabled === true && platform !== "ecs";
    const tooFrequent = typeof retraining?.schedule === "string" ? scheduleTooFrequent(retraining.schedule) : undefined;
    if (tooFrequent)
        problems.push({ path: ["retraining", "schedule"], message: tooFrequent, input: retraining!.schedule });
    else if (typeof retraining?.schedule === "string" && typeof retraining.cooldownHours === "number") {
        const starved = cooldownStarvesDrift(retraining.schedule, retraining.cooldownHours);
        if (starved)
            problems.push({ path: ["retraining", "cooldownHours"], message: starved, input: retraining.cooldownHours });
    }
    // Releases that name a registered model need the registry, on EKS.
    const releases: Array<[Array<string | number>, unknown]> = [];
    for (const color of ["blue", "green"])
        releases.push([["serving", color, "modelVersion"], obj(serving?.[color])?.modelVersion]);
    if (Array.isArray(input.models))
        (input.models as unknown[]).forEach((m, i) => {
            for (const color of ["blue", "green"])
                releases.push([["models", i, color, "modelVersion"], obj(obj(m)?.[color])?.modelVersion]);
        });
    for (const [path, version] of releases) {
        if (typeof version !== "string" || !REGISTRY_MODEL_URI.test(version)) continue;
        if (platform === "ecs")
            problems.push({
                path,
                message: "expected a version in the bucket: ECS releases cannot name a registered model",
                input: version,
            });
        else if (registry?.enabled !== true)
            problems.push({
                path,
                message: "names a registered model; set modelRegistry.enabled: true",
                input: version,
            });
    }
    if (retraining?.enabled === true) {
        if (retraining.image === undefined)
            problems.push({
                path: ["retraining", "image"],
                message:
                    "required when retraining.enabled: the team's training image, by digest (repository@sha256:<64 hex>)",
                input: undefined,
            });
        if (platform === "ecs")
            problems.push({
                path: ["retraining", "enabled"],
                message: "expected false on ECS: runs are Kubernetes Jobs",
                input: true,
            });
        else if (!registryOn)
            problems.push({
                path: ["retraining", "enabled"],
                message:
                    "expected false without the model registry (runs register their candidate there): set modelRegistry.enabled: true",
                input: true,
            });
        if (serving?.autoscaler !== undefined && serving.autoscaler !== "keda")
            problems.push({
                path: ["retraining", "enabled"],
                message: "expected false without serving.autoscaler keda (the drift path is a KEDA ScaledJob)",
                input: true,
            });
    }
    return problems;
}
