/**
 * The cross-key rules of the inference service's settings: how it scales (KEDA or an HPA), its way
 * in, and on ECS the task bounds, the prod minimum and the instances a blue/green deployment needs.
 */
import { coversInternet } from "../catalog/cidr";
import { ecsDeploymentInstances, ecsTaskFitProblem } from "../catalog/capacity";
import { GPU_INSTANCE_TYPES } from "../catalog/gpu";
import { PROD_MIN_REPLICAS } from "../catalog/standards";
import { ttftBudgetProblem } from "../catalog/vllm";
import type { CrossFieldProblem } from "./rules";

const isInt = (v: unknown): v is number => Number.isInteger(v);
const GPU_FAMILIES = [...new Set([...GPU_INSTANCE_TYPES.keys()].map((k) => k.split(".")[0]))].join(", ");

/** `serving`: the autoscaler and what it holds, the entry point. */
export function servingProblems(serving: Record<string, unknown> | undefined): CrossFieldProblem[] {
    const problems: CrossFieldProblem[] = [];
    if (serving?.queueLengthMetric !== undefined) {
        problems.push({
            path: ["serving", "queueLengthMetric"],
            message:
                'scales a HorizontalPodAutoscaler on a Pods metric, which needs a custom metrics adapter the platform does not install (KEDA serves external metrics only): remove it, and scale on vLLM\'s queue with serving.autoscaler "keda" and serving.scaleOn',
            input: serving.queueLengthMetric,
        });
    }
    const entry = serving?.entryPoint as
        | { internetFacing?: unknown; allowedCidrs?: unknown; certificateArn?: unknown; previewPort?: unknown }
        | undefined;
    if (
        entry?.internetFacing === true &&
        Array.isArray(entry.allowedCidrs) &&
        entry.allowedCidrs.every((c) => typeof c === "string") &&
        coversInternet(entry.allowedCidrs as string[]) &&
        entry.certificateArn === undefined
    ) {
        problems.push({
            path: ["serving", "entryPoint", "certificateArn"],
            message:
                "required: an internet-facing load balancer open to the whole internet (0.0.0.0/0, or blocks that add up to it) must serve HTTPS",
            input: entry.certificateArn,
        });
    }
    const ingressCidrs = serving?.ingressCidrs;
    if (Array.isArray(ingressCidrs) && ingressCidrs.every((c) => typeof c === "string") && coversInternet(ingressCidrs))
        problems.push({
            path: ["serving", "ingressCidrs"],
            message:
                "expected address ranges inside the network (load balancers with IP targets, other VPCs): these add up to the whole internet, so the NetworkPolicy would admit every address to the models' pods; list the callers' CIDRs",
            input: ingressCidrs,
        });
    if (entry?.previewPort === 80 || entry?.previewPort === 443) {
        problems.push({
            path: ["serving", "entryPoint", "previewPort"],
            message: "expected a port other than the production listener's (80, 443)",
            input: entry.previewPort,
        });
    }
    return problems;
}

/** `ecs`, with the serving platform and GPUs it runs. */
export function ecsProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const problems: CrossFieldProblem[] = [];
    const serving = input.serving as Record<string, unknown> | undefined;
    const ecs = input.ecs as Record<string, unknown> | undefined;
    if (Array.isArray(ecs?.instanceTypes)) {
        ecs.instanceTypes.forEach((t, j) => {
            if (typeof t === "string" && /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(t) && !GPU_INSTANCE_TYPES.has(t)) {
                problems.push({
                    path: ["ecs", "instanceTypes", j],
                    message: `expected an NVIDIA GPU instance type (${GPU_FAMILIES}); Fargate has no GPUs`,
                    input: t,
                });
            }
        });
    }
    if (isInt(ecs?.minTasks) && isInt(ecs?.maxTasks) && ecs.maxTasks < ecs.minTasks) {
        problems.push({
            path: ["ecs", "maxTasks"],
            message: `expected an integer >= minTasks (${ecs.minTasks})`,
            input: ecs.maxTasks,
        });
    }
    const ecsTypes = Array.isArray(ecs?.instanceTypes) ? (ecs.instanceTypes as unknown[]) : [];
    if (
        serving?.platform === "ecs" &&
        ecsTypes.length > 0 &&
        ecsTypes.every((t) => typeof t === "string" && GPU_INSTANCE_TYPES.has(t)) &&
        isInt(serving?.gpus) &&
        serving.gpus >= 1 &&
        isInt(ecs?.cpuUnits) &&
        ecs.cpuUnits > 0 &&
        isInt(ecs?.memoryMiB) &&
        ecs.memoryMiB > 0 &&
        isInt(ecs?.maxTasks) &&
        isInt(ecs?.maxInstances)
    ) {
        const types = ecsTypes as string[];
        const task = { gpus: serving.gpus, cpuUnits: ecs.cpuUnits, memoryMiB: ecs.memoryMiB };
        const deployment = ecsDeploymentInstances(types, task, ecs.maxTasks);
        if (deployment === undefined) {
            const why = ecsTaskFitProblem(types, task);
            const path = { GPUs: ["serving", "gpus"], CPU: ["ecs", "cpuUnits"], memory: ["ecs", "memoryMiB"] }[
                why.limitedBy
            ];
            problems.push({
                path,
                message: `${why.message} (ecs.instanceTypes)`,
                input: { GPUs: task.gpus, CPU: task.cpuUnits, memory: task.memoryMiB }[why.limitedBy],
            });
        } else if (ecs.maxInstances < deployment.needed) {
            problems.push({
                path: ["ecs", "maxInstances"],
                message: `expected at least ${deployment.needed} for a blue/green deployment at maxTasks (${deployment.explain})`,
                input: ecs.maxInstances,
            });
        }
    }
    const slo = (input.monitoring as { slo?: { p95LatencyMs?: unknown } } | undefined)?.slo;
    if ((serving?.platform === "ecs" || serving?.platform === "both") && isInt(slo?.p95LatencyMs)) {
        const why = ttftBudgetProblem(slo.p95LatencyMs);
        if (why !== undefined)
            problems.push({
                path: ["monitoring", "slo", "p95LatencyMs"],
                message: `on ECS, ${why}`,
                input: slo.p95LatencyMs,
            });
    }
    if (input.tier === "prod" && isInt(ecs?.minTasks) && ecs.minTasks < PROD_MIN_REPLICAS) {
        problems.push({
            path: ["ecs", "minTasks"],
            message: `expected an integer >= ${PROD_MIN_REPLICAS} in the prod tier`,
            input: ecs.minTasks,
        });
    }
    return problems;
}
