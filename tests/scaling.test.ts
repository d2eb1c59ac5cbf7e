import * as assert from "node:assert/strict";
import { DEFAULT_SCALE_ON, REFERENCE_SLO } from "../catalog/standards";
import { deploymentPodsSelector } from "../components/k8s/inferenceWorkload";
import { buildScaledObjectSpec, scalerQuery, SCALER_TRIGGER, validateScaleOn } from "../components/k8s/scaling";
import { REVIEWED_CHARTS, reviewHelmRelease } from "../policies/charts";
import { resolveSettings } from "../environments/loader";
import { program } from "../stacks/program";
import { manyModelsConfig } from "../tools/bench/models";
import { readProject } from "../tools/engine/project";
import { readStackConfig } from "../tools/engine/stackConfig";
import { MODEL_COUNTS } from "../tools/bench/bench";
import { runProgram } from "../tools/engine/run";
import { find, goodRawConfig, PROJECT_DIR } from "./helpers";
import { kubernetesSchemaErrors, loadOperatorModels } from "./kubernetesSchema";
import { PROD_CANARY, planOf, planWith } from "./plans";

describe("scaling on vLLM's load (KEDA)", () => {
    before(loadOperatorModels);

    it("selects exactly one Deployment's pods: <deployment>-<template hash>-<suffix>", () => {
        assert.equal(
            deploymentPodsSelector("inference", "inference-blue"),
            'namespace="inference",pod=~"inference-blue-[0-9a-zA-Z]+-[0-9a-zA-Z]+"',
        );
        const regex = new RegExp(`^inference-[0-9a-zA-Z]+-[0-9a-zA-Z]+$`);
        assert.ok(regex.test("inference-7d9f8c6b5-x2x9z"), "the canary Deployment's pod");
        assert.ok(!regex.test("inference-primary-7d9f8c6b5-x2x9z"), "not Flagger's primary");
    });

    it("sums waiting requests (AverageValue per replica) or averages KV-cache usage (Value)", () => {
        assert.equal(
            scalerQuery({ metric: "waitingRequests", target: 5 }, "ns", "d"),
            'sum(vllm:num_requests_waiting{namespace="ns",pod=~"d-[0-9a-zA-Z]+-[0-9a-zA-Z]+"})',
        );
        assert.equal(
            scalerQuery({ metric: "kvCacheUsage", target: 0.8 }, "ns", "d"),
            'avg(vllm:kv_cache_usage_perc{namespace="ns",pod=~"d-[0-9a-zA-Z]+-[0-9a-zA-Z]+"})',
        );
        const spec = buildScaledObjectSpec({
            deployment: "d",
            namespace: "ns",
            min: 2,
            max: 4,
            scaleOn: { metric: "kvCacheUsage", target: 0.8 },
            prometheusUrl: "http://prometheus-operated.monitoring:9090",
        });
        assert.deepEqual(spec.triggers, [
            {
                type: "prometheus",
                name: SCALER_TRIGGER,
                metricType: "Value",
                metadata: {
                    serverAddress: "http://prometheus-operated.monitoring:9090",
                    query: 'avg(vllm:kv_cache_usage_perc{namespace="ns",pod=~"d-[0-9a-zA-Z]+-[0-9a-zA-Z]+"})',
                    threshold: "0.8",
                },
            },
        ]);
        assert.deepEqual([spec.minReplicaCount, spec.maxReplicaCount, spec.pollingInterval], [2, 4, 15]);
    });

    it("scales out well before the queue alert fires, and refuses targets that cannot be met", () => {
        assert.ok(DEFAULT_SCALE_ON.target < REFERENCE_SLO.maxQueueLength);
        assert.deepEqual(validateScaleOn({ metric: "waitingRequests", target: 2.5 }), [
            "scaleOn.target: expected an integer >= 1 (waiting requests per replica), received 2.5",
        ]);
        assert.deepEqual(validateScaleOn({ metric: "kvCacheUsage", target: 80 }, "keda.scaleOn"), [
            "keda.scaleOn.target: expected a fraction in (0, 1] of KV cache in use, received 80",
        ]);
        assert.deepEqual(validateScaleOn({ metric: "kvCacheUsage", target: 0.9 }), []);
    });

    it("installs KEDA from its reviewed chart into a restricted namespace, and the ScaledObjects wait for it", async () => {
        const prod = await planOf("prod");
        const release = find(prod.export, "kubernetes:helm.sh/v3:Release", "keda");
        assert.deepEqual(
            [release.inputs?.chart, release.inputs?.version, (release.inputs?.repositoryOpts as { repo: string }).repo],
            ["keda", "2.20.2", "https://kedacore.github.io/charts"],
        );
        assert.deepEqual(reviewHelmRelease(release.inputs!), []);
        assert.ok(REVIEWED_CHARTS.some((c) => c.chart === "keda" && c.version === "2.20.2"));
        assert.deepEqual(reviewHelmRelease({ ...release.inputs!, values: { operator: { useHostNetwork: true } } }), [
            'Helm release of chart "keda" 2.20.2: values.operator.useHostNetwork is true; the review expects not true (the operator reaches Prometheus and the API server over the pod network)',
        ]);
        const ns = find(prod.export, "kubernetes:core/v1:Namespace", "keda-namespace").inputs?.metadata as {
            labels: Record<string, string>;
        };
        assert.equal(ns.labels["pod-security.kubernetes.io/enforce"], "restricted");
        const scaled = find(prod.export, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-blue");
        assert.ok(scaled.dependencies?.includes(release.urn), "created after the chart installed the CRD");
        assert.equal(
            prod.export.deployment.resources.filter(
                (r) => r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            ).length,
            0,
            "KEDA owns the HorizontalPodAutoscalers",
        );
    });

    it("hands Flagger a ScaledObject to copy for the primary, with the primary's own query", async () => {
        const canary = await planWith("prod", PROD_CANARY);
        const spec = find(canary.export, "kubernetes:flagger.app/v1beta1:Canary", "inference-canary").inputs
            ?.spec as Record<string, unknown>;
        assert.deepEqual(spec.autoscalerRef, {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledObject",
            name: "inference",
            primaryScalerQueries: {
                vllm: 'sum(vllm:num_requests_waiting{namespace="inference",pod=~"inference-primary-[0-9a-zA-Z]+-[0-9a-zA-Z]+"})',
            },
        });
        const scaled = find(canary.export, "kubernetes:keda.sh/v1alpha1:ScaledObject", "inference-blue").inputs as {
            metadata: { name: string };
            spec: Record<string, unknown>;
        };
        assert.equal(scaled.metadata.name, "inference");
        assert.deepEqual(kubernetesSchemaErrors(canary.export.deployment.resources), []);
    });

    it("the schema of KEDA's models refuses what KEDA would refuse", () => {
        const bad = [
            {
                urn: "urn:pulumi:s::p::kubernetes:keda.sh/v1alpha1:ScaledObject::bad",
                custom: true,
                type: "kubernetes:keda.sh/v1alpha1:ScaledObject",
                inputs: {
                    apiVersion: "keda.sh/v1alpha1",
                    kind: "ScaledObject",
                    metadata: { name: "bad" },
                    spec: {
                        scaleTargetRef: { name: "d" },
                        triggers: [{ type: "prometheus", metadata: { threshold: 5 } }],
                    },
                },
            },
        ];
        assert.deepEqual(kubernetesSchemaErrors(bad), ["bad: data/spec/triggers/0/metadata/threshold must be string"]);
    });

    it("the bench's stacks of many models are valid prod configurations, each model with its own namespace, ScaledObjects and route", async () => {
        assert.deepEqual(MODEL_COUNTS, [1, 5, 20, 40]);
        for (const n of MODEL_COUNTS) {
            const settings = resolveSettings(
                "prod",
                goodRawConfig({ "llm-platform:tier": "prod", ...manyModelsConfig(n) }),
            );
            assert.equal(settings.models?.length, n);
        }
        assert.throws(() => manyModelsConfig(0), { message: "manyModelsConfig: expected a count >= 1, received 0" });
        const proj = readProject(PROJECT_DIR);
        const cfg = readStackConfig(PROJECT_DIR, proj, "prod", manyModelsConfig(2));
        const result = await runProgram({
            project: proj.name,
            stack: "prod",
            config: cfg.values,
            secretKeys: cfg.secretKeys,
            mode: "update",
            program,
        });
        const resources = result.export.deployment.resources;
        const scaled = resources
            .filter((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject")
            .map((r) => r.inputs?.metadata as { namespace: string; name: string })
            .map((m) => `${m.namespace}/${m.name}`)
            .sort();
        assert.deepEqual(scaled, [
            "model-0/model-0-blue",
            "model-0/model-0-green",
            "model-1/model-1-blue",
            "model-1/model-1-green",
        ]);
        assert.deepEqual(
            (result.outputs.models as Array<{ name: string; route: string }>).map((m) => `${m.name}: ${m.route}`),
            ["model-0: header x-llm-model: model-0", "model-1: header x-llm-model: model-1"],
        );
    });
});
