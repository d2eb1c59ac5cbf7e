import * as assert from "node:assert/strict";
import { GPU_INSTANCE_TYPES } from "../catalog/gpu";
import {
    DEFAULT_PRICES,
    estimateCost,
    isGpuInstanceType,
    renderCost,
    renderModelCosts,
    signedUsd,
    usd,
    usdRange,
    type CostedResource,
} from "../catalog/cost";
import { gpuBudget } from "../policies/stack";
import { runStackPolicy } from "../policies/testing";
import { renderCostChange } from "../tools/reports/diff";

import { exportCost } from "../tools/reports/render";

import { planOf } from "./plans";

const urn = (type: string, name: string): string => `urn:pulumi:prod::llm-platform::${type}::${name}`;
const res = (type: string, name: string, props: Record<string, unknown>): CostedResource => ({
    type,
    urn: urn(type, name),
    props,
});
const nodeGroup = (name: string, instanceTypes: string[] | undefined, min: number, max: number, spot = false) =>
    res("aws:eks/nodeGroup:NodeGroup", name, {
        ...(instanceTypes ? { instanceTypes } : {}),
        scalingConfig: { minSize: min, maxSize: max, desiredSize: min },
        capacityType: spot ? "SPOT" : "ON_DEMAND",
    });

describe("cost estimate", () => {
    it("keeps a price table with its sources and date, priced for every GPU type the node pools accept but p5e", () => {
        assert.equal(DEFAULT_PRICES.region, "us-east-1");
        assert.equal(DEFAULT_PRICES.hoursPerMonth, 730);
        assert.match(DEFAULT_PRICES.compiled, /^\d{4}-\d{2}-\d{2}$/);
        assert.ok(DEFAULT_PRICES.sources.length >= 3);
        for (const s of DEFAULT_PRICES.sources) assert.match(s, /https:\/\//);
        const unpriced: string[] = [];
        for (const [type, spec] of GPU_INSTANCE_TYPES) {
            const price = DEFAULT_PRICES.instances[type];
            if (!price) unpriced.push(type);
            else assert.equal(price.gpus, spec.gpus, `${type}: GPUs in the price table`);
        }
        // AWS sells p5e through capacity blocks; there is no on-demand list price to record.
        assert.deepEqual(unpriced, ["p5e.48xlarge"]);
    });

    it("prices instances at minimum and maximum counts, the dearest of several types, spot at the estimate", () => {
        const e = estimateCost([
            nodeGroup("gpu", ["g6.xlarge", "g5.xlarge"], 1, 3, true),
            nodeGroup("system", ["m6i.large"], 2, 2),
            res("aws:autoscaling/group:Group", "ecs", {
                minSize: 0,
                maxSize: 2,
                mixedInstancesPolicy: {
                    launchTemplate: { overrides: [{ instanceType: "g4dn.xlarge" }] },
                    instancesDistribution: { onDemandPercentageAboveBaseCapacity: 0 },
                },
            }),
            res("aws:ec2/instance:Instance", "bastion", { instanceType: "t3.medium" }),
            res("aws:ec2/natGateway:NatGateway", "nat", {}),
            res("aws:lb/loadBalancer:LoadBalancer", "alb", { loadBalancerType: "application" }),
            res("aws:lb/loadBalancer:LoadBalancer", "nlb", { loadBalancerType: "network" }),
            res("aws:eks/cluster:Cluster", "cluster", {}),
            res("aws:s3/bucket:Bucket", "models", {}),
        ]);
        assert.deepEqual(
            e.lines.map((l) => [
                l.name,
                l.item,
                l.instanceType,
                l.gpu,
                l.spot,
                l.minCount,
                l.maxCount,
                l.unitMonthly,
                l.unitMonthlySpot,
            ]),
            [
                ["gpu", "g5.xlarge (dearest of g6.xlarge, g5.xlarge)", "g5.xlarge", true, true, 1, 3, 734.38, 293.75],
                ["system", "m6i.large", "m6i.large", false, false, 2, 2, 70.08, 28.03],
                ["ecs", "g4dn.xlarge", "g4dn.xlarge", true, true, 0, 2, 383.98, 153.59],
                ["bastion", "t3.medium", "t3.medium", false, false, 1, 1, 30.37, 12.15],
                ["nat", "NAT gateway", undefined, false, false, 1, 1, 32.85, 32.85],
                ["alb", "Application Load Balancer", undefined, false, false, 1, 1, 16.43, 16.43],
                ["nlb", "Network Load Balancer", undefined, false, false, 1, 1, 16.43, 16.43],
                ["cluster", "EKS control plane", undefined, false, false, 1, 1, 73, 73],
            ],
        );
        assert.deepEqual(e.unpriced, []);
        assert.deepEqual(e.gpuOnDemand, { min: 734.38, max: 2971.1 });
        assert.deepEqual(e.onDemand, { min: 1043.62, max: 3280.34 });
        assert.deepEqual(e.configured, { min: 602.99, max: 1497.67 });
    });

    it("lists compute it cannot price instead of guessing", () => {
        const e = estimateCost([
            nodeGroup("h200", ["p5e.48xlarge"], 0, 1),
            res("aws:autoscaling/group:Group", "lt-only", { minSize: 1, maxSize: 1 }),
        ]);
        assert.deepEqual(e.lines, []);
        assert.deepEqual(e.unpriced, [
            { urn: urn("aws:eks/nodeGroup:NodeGroup", "h200"), name: "h200", types: ["p5e.48xlarge"], gpu: true },
            { urn: urn("aws:autoscaling/group:Group", "lt-only"), name: "lt-only", types: [], gpu: false },
        ]);
        assert.deepEqual(renderCost(e).slice(-2), [
            "    not priced: h200 (p5e.48xlarge not in prices/aws-us-east-1.json)",
            "    not priced: lt-only (its instance type is not set on the resource)",
        ]);
    });

    it("prices a node group without instance types as EKS's default t3.medium", () => {
        assert.equal(estimateCost([nodeGroup("default", undefined, 1, 1)]).lines[0].item, "t3.medium");
    });

    it("knows GPU instance types without a price: the pools' table and AWS's G and P families", () => {
        assert.deepEqual(
            ["p5e.48xlarge", "g5g.xlarge", "p3.2xlarge", "m6i.large", "c7gn.large", "inf2.xlarge"].map(
                isGpuInstanceType,
            ),
            [true, true, true, false, false, false],
        );
    });

    it("formats dollars and ranges", () => {
        assert.equal(usd(5308.56), "$5,308.56");
        assert.equal(usd(0), "$0.00");
        assert.equal(usdRange({ min: 10, max: 10 }), "$10.00");
        assert.equal(usdRange({ min: 0, max: 1468.76 }), "$0.00–$1,468.76");
        assert.equal(signedUsd(7078.08 - 5308.56), "+$1,769.52");
        assert.equal(signedUsd(-49.5), "−$49.50");
        assert.equal(signedUsd(0.001), "±$0.00");
    });

    it("shows in the prod plan: three NAT gateways, the control plane, system and GPU nodes, and each model's GPUs", async () => {
        const prod = await planOf("prod");
        const text = renderCost(exportCost(prod.export));
        assert.deepEqual(text, [
            "Estimated monthly cost (us-east-1 list prices, 730 h a month; prices/aws-us-east-1.json, compiled 2026-11-26):",
            "    Resource                  Billed as          Count  On-demand          Spot estimate",
            "    llm-cluster               EKS control plane  1      $73.00             —",
            "    llm-system                m6i.large          2–4    $140.16–$280.32    $56.06–$112.12",
            "    gpu-inference-node-group  g5.2xlarge         1–9    $884.76–$7,962.84  $353.90–$3,185.10",
            "    gpu-small-node-group      g6.xlarge          1–14   $587.50–$8,225.00  $235.00–$3,290.00",
            "    network-nat-0             NAT gateway        1      $32.85             —",
            "    network-nat-1             NAT gateway        1      $32.85             —",
            "    network-nat-2             NAT gateway        1      $32.85             —",
            "    Total, all on-demand: $1,783.97–$16,639.71 a month (minimum–maximum scale)",
            "    Total as configured (spot pools at the spot estimate): $1,783.97–$16,639.71 a month",
            "    GPU instances, on-demand: $1,472.26–$16,187.84 a month",
            "    GPU cost per model (its pods' GPUs at the autoscalers' floor–ceiling, on-demand):",
            "        Model   GPU pool       GPUs  On-demand",
            // chat: 3 active to 6 and 3 warm (prod keeps the inactive colour for rollback), $884.76 a g5.2xlarge GPU.
            "        chat    gpu-inference  6–9   $5,308.56–$7,962.84",
            // embed and router: 3 to 4 active and 3 warm on g6.xlarge, $587.50 a GPU.
            "        embed   gpu-small      6–7   $3,525.00–$4,112.50",
            "        router  gpu-small      6–7   $3,525.00–$4,112.50",
        ]);
    });

    it("prices a model's GPUs from its Deployments, autoscalers and pool; doubles a canary's ceiling; names an unpriced pool", () => {
        const nodeGroup = {
            type: "aws:eks/nodeGroup:NodeGroup",
            urn: "urn:pulumi:s::p::aws:eks/nodeGroup:NodeGroup::gpu-big",
            props: {
                instanceTypes: ["g5.12xlarge"],
                scalingConfig: { minSize: 0, maxSize: 4 },
                labels: { "llm-platform/pool": "gpu-big" },
            },
        };
        const deployment = (name: string, model: string, gpus: number, pool: string, replicas?: number) => ({
            type: "kubernetes:apps/v1:Deployment",
            urn: `urn:pulumi:s::p::kubernetes:apps/v1:Deployment::${name}`,
            props: {
                metadata: {
                    name,
                    labels: { "app.kubernetes.io/name": model, "app.kubernetes.io/component": "inference" },
                },
                spec: {
                    ...(replicas !== undefined ? { replicas } : {}),
                    template: {
                        spec: {
                            nodeSelector: { "llm-platform/pool": pool },
                            containers: [{ resources: { requests: { "nvidia.com/gpu": String(gpus) } } }],
                        },
                    },
                },
            },
        });
        const scaled = (target: string, min: number | undefined, max: number | undefined) => ({
            type: "kubernetes:keda.sh/v1alpha1:ScaledObject",
            urn: `urn:pulumi:s::p::kubernetes:keda.sh/v1alpha1:ScaledObject::${target}`,
            props: {
                spec: {
                    scaleTargetRef: { name: target },
                    ...(min !== undefined ? { minReplicaCount: min } : {}),
                    maxReplicaCount: max,
                },
            },
        });
        const estimate = estimateCost([
            nodeGroup,
            deployment("big-blue", "big", 2, "gpu-big"),
            scaled("big-blue", 1, 3),
            deployment("big-green", "big", 2, "gpu-big", 1),
            deployment("tiny", "tiny", 1, "gpu-big"),
            scaled("tiny", undefined, 2),
            {
                type: "kubernetes:flagger.app/v1beta1:Canary",
                urn: "urn:c",
                props: { spec: { targetRef: { name: "tiny" } } },
            },
            deployment("lost", "lost", 1, "gpu-none", 2),
            // KEDA without a ceiling caps the target at 100 replicas.
            deployment("open", "open", 1, "gpu-big"),
            scaled("open", 1, undefined),
        ]);
        // A g5.12xlarge holds 4 GPUs: $5.672 × 730 / 4 a GPU.
        const perGpu = estimate.lines[0].unitMonthly / 4;
        assert.deepEqual(
            estimate.models.map((m) => [m.model, m.pool, m.gpus, m.monthly]),
            [
                // 1–3 active pods and 1 warm, 2 GPUs each.
                [
                    "big",
                    "gpu-big",
                    { min: 4, max: 8 },
                    { min: Math.round(4 * perGpu * 100) / 100, max: Math.round(8 * perGpu * 100) / 100 },
                ],
                // KEDA's floor defaults to 0; Flagger runs the primary beside the canary: twice the ceiling.
                ["tiny", "gpu-big", { min: 0, max: 4 }, { min: 0, max: Math.round(4 * perGpu * 100) / 100 }],
                ["lost", "gpu-none", { min: 2, max: 2 }, undefined],
                [
                    "open",
                    "gpu-big",
                    { min: 1, max: 100 },
                    { min: Math.round(perGpu * 100) / 100, max: Math.round(100 * perGpu * 100) / 100 },
                ],
            ],
        );
        assert.deepEqual(renderModelCosts(estimate.models).slice(-2, -1), [
            "        lost   gpu-none  2      not priced (no node group of its pool)",
        ]);
    });

    it("shows the change in the diff, and nothing when the estimate is unchanged", () => {
        const base = {
            onDemand: { min: 100, max: 200 },
            configured: { min: 50, max: 100 },
            gpuOnDemand: { min: 0, max: 100 },
            models: [],
        };
        assert.deepEqual(renderCostChange(base, base), []);
        assert.deepEqual(
            renderCostChange(base, { ...base, onDemand: { min: 100, max: 150.5 }, gpuOnDemand: { min: 0, max: 50.5 } }),
            [
                "**Estimated monthly cost** (minimum–maximum scale, prices/aws-us-east-1.json):",
                "",
                "| | Before | After | Change at maximum scale |",
                "|---|---|---|---|",
                "| All compute, on-demand | $100.00–$200.00 | $100.00–$150.50 | −$49.50 |",
                "| As configured (spot pools at the spot estimate) | $50.00–$100.00 | $50.00–$100.00 | ±$0.00 |",
                "| GPU instances, on-demand | $0.00–$100.00 | $0.00–$50.50 | −$49.50 |",
                "",
            ],
        );
    });
});

describe("gpu-budget policy", () => {
    const asTest = (r: CostedResource) => ({ type: r.type, name: r.urn.split("::").pop(), props: r.props });

    it("passes GPU pools within the budget (default $10,000 a month)", async () => {
        const run = await runStackPolicy(gpuBudget, [
            asTest(nodeGroup("gpu-inference-node-group", ["g5.2xlarge"], 1, 6)),
        ]);
        assert.deepEqual(run, { applicable: true, violations: [] });
    });

    it("reports the worst case on the dearest pool, pricing spot pools on-demand", async () => {
        const run = await runStackPolicy(
            gpuBudget,
            [
                asTest(nodeGroup("small", ["g6.xlarge"], 0, 2, true)),
                asTest(nodeGroup("big", ["g5.12xlarge"], 0, 2)),
                asTest(nodeGroup("system", ["m6i.large"], 2, 20)),
            ],
            { maxMonthlyUsd: 5000 },
        );
        assert.deepEqual(run.violations, [
            "urn:pulumi:test::test::aws:eks/nodeGroup:NodeGroup::big: GPU instances could cost $9,456.12 a month on-demand at maximum scale (big: 2 × g5.12xlarge at $4,140.56; small: 2 × g6.xlarge at $587.50), over the budget of $5,000.00",
        ]);
    });

    it("reports GPU instances it cannot price, and ignores unpriced non-GPU ones", async () => {
        const run = await runStackPolicy(gpuBudget, [
            asTest(nodeGroup("h200", ["p5e.48xlarge"], 0, 1)),
            asTest(nodeGroup("arm", ["m8g.large"], 1, 1)),
        ]);
        assert.deepEqual(run.violations, [
            "urn:pulumi:test::test::aws:eks/nodeGroup:NodeGroup::h200: cannot price GPU instances of h200: p5e.48xlarge; add them to prices/aws-us-east-1.json with their source",
        ]);
    });
});
