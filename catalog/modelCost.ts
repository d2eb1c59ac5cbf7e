/**
 * The GPU cost of each model a stack serves, from the same resources as the stack's estimate: a
 * model's inference Deployments (labelled `app.kubernetes.io/name: <model>`, component
 * `inference`), how many pods each may run (its KEDA ScaledObject's or HorizontalPodAutoscaler's
 * bounds, else its replicas; twice the ceiling under a Flagger Canary, whose analysis runs the
 * primary beside the canary), the GPUs each pod requests, and the price of a GPU on the node group
 * its pods select (`llm-platform/pool`): the node's on-demand price over its GPUs. A model's share
 * of a pool, not the pool's bill: a node a model leaves half-used still costs whole.
 */
import { LABELS } from "./gpu";
import type { CostLine, CostedResource, PriceTable, Range } from "./cost";

export interface ModelCost {
    /** The model (the Deployments' `app.kubernetes.io/name`). */
    model: string;
    /** The GPU pool its pods run on (`llm-platform/pool`). */
    pool: string | undefined;
    /** GPUs its pods hold at the autoscalers' floors and ceilings. */
    gpus: Range;
    /** Monthly on-demand cost of those GPUs; undefined when its pool has no priced node group. */
    monthly: Range | undefined;
    /** URN of its first Deployment (where a policy reports). */
    urn: string;
}

type Props = Record<string, unknown>;
const obj = (v: unknown): Props => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Props) : {});
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const round = (n: number): number => Math.round(n * 100) / 100;

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
/**
 * Each autoscaler's bounds and their defaults (docs/UPSTREAM.md): KEDA v2.20.2 scales an idle target
 * to 0 without `minReplicaCount` and caps it at 100 without `maxReplicaCount`; an HPA's
 * `minReplicas` defaults to 1 and its `maxReplicas` is required.
 */
const SCALERS: Record<string, { min: string; max: string; defaultMin: number; defaultMax?: number }> = {
    "kubernetes:keda.sh/v1alpha1:ScaledObject": {
        min: "minReplicaCount",
        max: "maxReplicaCount",
        defaultMin: 0,
        defaultMax: 100,
    },
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": { min: "minReplicas", max: "maxReplicas", defaultMin: 1 },
};
const CANARY = "kubernetes:flagger.app/v1beta1:Canary";

/** GPU cost per model, in the order the models' first Deployments appear. */
export function modelGpuCosts(
    resources: readonly CostedResource[],
    lines: readonly CostLine[],
    prices: PriceTable,
): ModelCost[] {
    // What a GPU of each pool costs a month: its node group's priced line over the node's GPUs.
    const gpuMonthly = new Map<string, number>();
    for (const r of resources) {
        if (r.type !== "aws:eks/nodeGroup:NodeGroup") continue;
        const pool = obj(r.props.labels)[LABELS.pool];
        const line = lines.find((l) => l.urn === r.urn);
        const gpus = line?.instanceType ? prices.instances[line.instanceType]?.gpus : undefined;
        if (typeof pool === "string" && line && gpus) gpuMonthly.set(pool, line.unitMonthly / gpus);
    }
    const scalers = new Map<string, { min: number; max: number }>();
    const canaries = new Set<string>();
    for (const r of resources) {
        const spec = obj(r.props.spec);
        const kind = SCALERS[r.type];
        if (kind) {
            const target = obj(spec.scaleTargetRef).name;
            const max = num(spec[kind.max]) ?? kind.defaultMax;
            if (typeof target === "string" && max !== undefined)
                scalers.set(target, { min: num(spec[kind.min]) ?? kind.defaultMin, max });
        }
        if (r.type === CANARY) {
            const target = obj(spec.targetRef).name;
            if (typeof target === "string") canaries.add(target);
        }
    }
    const byModel = new Map<string, ModelCost & { perGpu: number | undefined }>();
    for (const r of resources) {
        if (r.type !== DEPLOYMENT) continue;
        const metadata = obj(r.props.metadata);
        const labels = obj(metadata.labels);
        const model = labels["app.kubernetes.io/name"];
        if (labels["app.kubernetes.io/component"] !== "inference" || typeof model !== "string") continue;
        const spec = obj(r.props.spec);
        const pod = obj(obj(spec.template).spec);
        const gpusPerPod = (Array.isArray(pod.containers) ? pod.containers : []).reduce(
            (n: number, c) => n + Number(obj(obj(obj(c).resources).requests)["nvidia.com/gpu"] ?? 0),
            0,
        );
        if (!(gpusPerPod > 0)) continue;
        const name = typeof metadata.name === "string" ? metadata.name : undefined;
        const replicas = num(spec.replicas) ?? 1;
        const scaled = name !== undefined ? scalers.get(name) : undefined;
        const double = name !== undefined && canaries.has(name) ? 2 : 1;
        const pods = scaled ? { min: scaled.min, max: scaled.max * double } : { min: replicas, max: replicas * double };
        const pool = obj(pod.nodeSelector)[LABELS.pool];
        const poolName = typeof pool === "string" ? pool : undefined;
        const entry = byModel.get(model) ?? {
            model,
            pool: poolName,
            gpus: { min: 0, max: 0 },
            monthly: undefined,
            urn: r.urn,
            perGpu: poolName !== undefined ? gpuMonthly.get(poolName) : undefined,
        };
        entry.gpus = { min: entry.gpus.min + pods.min * gpusPerPod, max: entry.gpus.max + pods.max * gpusPerPod };
        byModel.set(model, entry);
    }
    return [...byModel.values()].map(({ perGpu, ...cost }) => ({
        ...cost,
        monthly:
            perGpu === undefined
                ? undefined
                : { min: round(cost.gpus.min * perGpu), max: round(cost.gpus.max * perGpu) },
    }));
}
