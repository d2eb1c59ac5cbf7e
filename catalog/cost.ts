/**
 * An estimate of a stack's monthly compute cost from its resources and the price table in
 * prices/aws-us-east-1.json: instances of node groups, Auto Scaling groups and plain instances
 * (at their minimum and maximum counts), NAT gateways, load balancers and EKS control planes.
 * Data transfer, storage and per-request charges are not included. Used by `npm run plan`, the
 * plan diff and the `gpu-budget` policy alike, so all three agree.
 */
import { GPU_INSTANCE_TYPES } from "./gpu";
import { modelGpuCosts, type ModelCost } from "./modelCost";
import PRICES from "../prices/aws-us-east-1.json";

export const PRICE_TABLE = "prices/aws-us-east-1.json";

export interface PriceTable {
    region: string;
    currency: string;
    hoursPerMonth: number;
    compiled: string;
    sources: string[];
    spot: { discount: number; note: string };
    instances: Record<string, { onDemand: number; gpus?: number }>;
    services: Record<"natGateway" | "applicationLoadBalancer" | "networkLoadBalancer" | "eksCluster", number>;
}

export const DEFAULT_PRICES: PriceTable = PRICES;

/** What the estimate reads of a resource: plan exports and policy resources both fit. */
export interface CostedResource {
    type: string;
    urn: string;
    props: Record<string, unknown>;
}

export interface CostLine {
    urn: string;
    /** The resource's name (the last URN segment). */
    name: string;
    type: string;
    /** What is billed, for people: an instance type, "NAT gateway", … */
    item: string;
    /** The instance type priced (the dearest of a pool's); absent for services. */
    instanceType?: string;
    /** GPU instances. */
    gpu: boolean;
    /** Runs on spot capacity. */
    spot: boolean;
    minCount: number;
    maxCount: number;
    /** Monthly cost of one unit on-demand. */
    unitMonthly: number;
    /** Monthly cost of one unit at the spot estimate (instances only; otherwise the on-demand figure). */
    unitMonthlySpot: number;
}

export interface Range {
    min: number;
    max: number;
}

export interface CostEstimate {
    lines: CostLine[];
    /**
     * Compute whose instance types have no price (types empty: the resource does not name one);
     * `gpu` when any of them is a GPU type.
     */
    unpriced: Array<{ urn: string; name: string; types: string[]; gpu: boolean }>;
    /** Every line on-demand, at minimum and maximum counts. */
    onDemand: Range;
    /** As configured: spot lines at the spot estimate. */
    configured: Range;
    /** GPU lines only, every node on-demand (what the GPU budget policy caps). */
    gpuOnDemand: Range;
    /** The GPUs each model's pods hold, priced on-demand (see modelCost.ts). */
    models: ModelCost[];
    prices: PriceTable;
}

export type { ModelCost } from "./modelCost";

type Props = Record<string, unknown>;

const nameOf = (urn: string): string => urn.split("::").pop() ?? urn;
const int = (v: unknown, fallback: number): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback);

/** The instance types a compute resource may launch and its counts, or undefined for other types. */
function compute(r: CostedResource): { types: string[]; min: number; max: number; spot: boolean } | undefined {
    const p = r.props;
    switch (r.type) {
        case "aws:eks/nodeGroup:NodeGroup": {
            const sc = (p.scalingConfig ?? {}) as Props;
            return {
                types: Array.isArray(p.instanceTypes) ? p.instanceTypes.map(String) : ["t3.medium"], // EKS's default
                min: int(sc.minSize, 0),
                max: int(sc.maxSize, int(sc.minSize, 0)),
                spot: p.capacityType === "SPOT",
            };
        }
        case "aws:autoscaling/group:Group": {
            const mixed = (p.mixedInstancesPolicy ?? {}) as Props;
            const overrides = (((mixed.launchTemplate ?? {}) as Props).overrides ?? []) as Props[];
            const distribution = (mixed.instancesDistribution ?? {}) as Props;
            const types = overrides.map((o) => o.instanceType).filter((t): t is string => typeof t === "string");
            return {
                types,
                min: int(p.minSize, 0),
                max: int(p.maxSize, int(p.minSize, 0)),
                spot: distribution.onDemandPercentageAboveBaseCapacity === 0,
            };
        }
        case "aws:ec2/instance:Instance":
            return { types: typeof p.instanceType === "string" ? [p.instanceType] : [], min: 1, max: 1, spot: false };
        default:
            return undefined;
    }
}

function service(r: CostedResource, prices: PriceTable): { item: string; hourly: number } | undefined {
    switch (r.type) {
        case "aws:ec2/natGateway:NatGateway":
            return r.props.connectivityType === "private"
                ? { item: "NAT gateway (private)", hourly: prices.services.natGateway }
                : { item: "NAT gateway", hourly: prices.services.natGateway };
        case "aws:lb/loadBalancer:LoadBalancer":
            return r.props.loadBalancerType === "network"
                ? { item: "Network Load Balancer", hourly: prices.services.networkLoadBalancer }
                : r.props.loadBalancerType === "gateway"
                  ? undefined
                  : { item: "Application Load Balancer", hourly: prices.services.applicationLoadBalancer };
        case "aws:eks/cluster:Cluster":
            return { item: "EKS control plane", hourly: prices.services.eksCluster };
        default:
            return undefined;
    }
}

/**
 * A GPU instance type even without a price: one the node pools know, or of AWS's accelerated G
 * and P families (g4ad, g5g, p3 …).
 */
export function isGpuInstanceType(type: string): boolean {
    return GPU_INSTANCE_TYPES.has(type) || /^[gp]\d/.test(type);
}

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * Estimates the monthly cost of `resources`. A node that may launch several instance types is
 * priced at the dearest of them.
 */
export function estimateCost(resources: readonly CostedResource[], prices: PriceTable = DEFAULT_PRICES): CostEstimate {
    const lines: CostLine[] = [];
    const unpriced: CostEstimate["unpriced"] = [];
    const month = prices.hoursPerMonth;
    for (const r of resources) {
        const name = nameOf(r.urn);
        const svc = service(r, prices);
        if (svc) {
            const unit = round(svc.hourly * month);
            lines.push({
                urn: r.urn,
                name,
                type: r.type,
                item: svc.item,
                gpu: false,
                spot: false,
                minCount: 1,
                maxCount: 1,
                unitMonthly: unit,
                unitMonthlySpot: unit,
            });
            continue;
        }
        const c = compute(r);
        if (!c) continue;
        if (c.types.length === 0) {
            unpriced.push({ urn: r.urn, name, types: [], gpu: false });
            continue;
        }
        const missing = c.types.filter((t) => !prices.instances[t]);
        if (missing.length > 0) {
            unpriced.push({ urn: r.urn, name, types: missing, gpu: missing.some(isGpuInstanceType) });
            continue;
        }
        const dearest = c.types.reduce((a, b) => (prices.instances[b].onDemand > prices.instances[a].onDemand ? b : a));
        const price = prices.instances[dearest];
        lines.push({
            urn: r.urn,
            name,
            type: r.type,
            item: c.types.length > 1 ? `${dearest} (dearest of ${c.types.join(", ")})` : dearest,
            instanceType: dearest,
            gpu: c.types.some((t) => (prices.instances[t].gpus ?? 0) > 0),
            spot: c.spot,
            minCount: c.min,
            maxCount: c.max,
            unitMonthly: round(price.onDemand * month),
            unitMonthlySpot: round(price.onDemand * (1 - prices.spot.discount) * month),
        });
    }
    const sum = (pick: (l: CostLine) => number, filter: (l: CostLine) => boolean = () => true): Range => ({
        min: round(lines.filter(filter).reduce((n, l) => n + pick(l) * l.minCount, 0)),
        max: round(lines.filter(filter).reduce((n, l) => n + pick(l) * l.maxCount, 0)),
    });
    return {
        lines,
        unpriced,
        onDemand: sum((l) => l.unitMonthly),
        configured: sum((l) => (l.spot ? l.unitMonthlySpot : l.unitMonthly)),
        gpuOnDemand: sum(
            (l) => l.unitMonthly,
            (l) => l.gpu,
        ),
        models: modelGpuCosts(resources, lines, prices),
        prices,
    };
}

/** `$1,234.50` */
export const usd = (n: number): string =>
    `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** A change in dollars: `+$1.50`, `−$2.00`, `±$0.00` (rounded to cents first). */
export function signedUsd(n: number): string {
    const cents = Math.round(n * 100) / 100;
    return cents > 0 ? `+${usd(cents)}` : cents < 0 ? `−${usd(-cents)}` : "±$0.00";
}

/** `$10.00` or `$10.00–$60.00` */
export const usdRange = (r: Range): string => (r.min === r.max ? usd(r.min) : `${usd(r.min)}–${usd(r.max)}`);

/** The estimate as text lines, for the plan. */
export function renderCost(estimate: CostEstimate): string[] {
    const p = estimate.prices;
    const out = [
        `Estimated monthly cost (${p.region} list prices, ${p.hoursPerMonth} h a month; ${PRICE_TABLE}, compiled ${p.compiled}):`,
    ];
    if (estimate.lines.length === 0 && estimate.unpriced.length === 0) {
        out.push("    no priced compute in this stack");
        return out;
    }
    const rows = estimate.lines.map((l) => [
        l.name,
        l.item,
        l.minCount === l.maxCount ? String(l.minCount) : `${l.minCount}–${l.maxCount}`,
        usdRange({ min: l.unitMonthly * l.minCount, max: l.unitMonthly * l.maxCount }),
        l.instanceType === undefined
            ? "—"
            : `${usdRange({ min: l.unitMonthlySpot * l.minCount, max: l.unitMonthlySpot * l.maxCount })}${l.spot ? " (runs spot)" : ""}`,
    ]);
    const header = ["Resource", "Billed as", "Count", "On-demand", "Spot estimate"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
    const fmt = (cells: string[]): string => `    ${cells.map((c, i) => c.padEnd(widths[i])).join("")}`.trimEnd();
    out.push(fmt(header), ...rows.map(fmt));
    out.push(
        `    Total, all on-demand: ${usdRange(estimate.onDemand)} a month (minimum–maximum scale)`,
        `    Total as configured (spot pools at the spot estimate): ${usdRange(estimate.configured)} a month`,
        `    GPU instances, on-demand: ${usdRange(estimate.gpuOnDemand)} a month`,
    );
    if (estimate.models.length > 0) out.push(...renderModelCosts(estimate.models));
    for (const u of estimate.unpriced)
        out.push(
            u.types.length > 0
                ? `    not priced: ${u.name} (${u.types.join(", ")} not in ${PRICE_TABLE})`
                : `    not priced: ${u.name} (its instance type is not set on the resource)`,
        );
    return out;
}

/** The GPU cost per model, as text lines: its GPUs and their on-demand cost at minimum and maximum scale. */
export function renderModelCosts(models: readonly ModelCost[]): string[] {
    const rows = models.map((m) => [
        m.model,
        m.pool ?? "—",
        m.gpus.min === m.gpus.max ? String(m.gpus.min) : `${m.gpus.min}–${m.gpus.max}`,
        m.monthly ? usdRange(m.monthly) : "not priced (no node group of its pool)",
    ]);
    const header = ["Model", "GPU pool", "GPUs", "On-demand"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
    const fmt = (cells: string[]): string => `        ${cells.map((c, i) => c.padEnd(widths[i])).join("")}`.trimEnd();
    return [
        "    GPU cost per model (its pods' GPUs at the autoscalers' floor–ceiling, on-demand):",
        fmt(header),
        ...rows.map(fmt),
    ];
}
