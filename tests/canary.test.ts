/**
 * The `canary` strategy as it would run: Envoy Gateway and Flagger installed from their charts,
 * the Canary and MetricTemplates valid against Flagger's own CRD at the pinned tag, the gateway
 * objects against the Gateway API models, the analysis queries proven with promtool on series
 * shaped like vLLM's, and the NetworkPolicy letting the gateway and the load tester in.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dump } from "js-yaml";
import { VLLM_METRICS } from "../components/k8s/alertRules";
import { buildCanarySpec, buildMetricTemplates, type CanaryTargets } from "../components/k8s/canary";
import {
    ENVOY_GATEWAY_CONTROLLER,
    ENVOY_GATEWAY_VERSION,
    FLAGGER_CHART_VERSION,
    FLAGGER_LOADTESTER_CHART_VERSION,
    validateCanaryDeliveryArgs,
} from "../components/k8s/canaryDelivery";
import type { RunResult } from "../tools/engine/run";
import type { ExportedResource } from "../tools/engine/stackExport";
import { kubernetesSchemaErrors } from "./kubernetesSchema";
import { PROD_CANARY, planWith } from "./plans";

const targets: CanaryTargets = {
    name: "inference",
    namespace: "inference",
    deployment: "inference",
    port: 8000,
    readyPath: "/v1/models",
    modelName: "/models/llama-3.1-8b-v2",
    gateway: { name: "inference", namespace: "envoy-gateway-system" },
    loadtesterUrl: "http://flagger-loadtester.flagger-system/",
    metricsServer: "http://prometheus-operated.monitoring:9090",
    metrics: VLLM_METRICS,
    metricsLabel: { "llm-platform/metrics": "inference" },
};

const named = (resources: ExportedResource[], type: string, name: string): ExportedResource => {
    const r = resources.find((x) => x.type === type && x.urn.endsWith(`::${name}`));
    assert.ok(r, `${type} ${name}`);
    return r;
};

describe("canary delivery (strategy canary)", () => {
    let plan: RunResult;
    let resources: ExportedResource[];
    before(async () => {
        plan = await planWith("prod", PROD_CANARY);
        resources = plan.export.deployment.resources;
    });

    it("installs Envoy Gateway, Flagger and its load tester from their charts at pinned versions", () => {
        const eg = named(resources, "kubernetes:helm.sh/v3:Release", "canary-delivery-envoy-gateway");
        assert.equal(eg.inputs?.chart, "oci://docker.io/envoyproxy/gateway-helm");
        assert.equal(eg.inputs?.version, ENVOY_GATEWAY_VERSION);
        assert.equal(ENVOY_GATEWAY_VERSION, "v1.9.0");
        assert.equal(eg.inputs?.namespace, "envoy-gateway-system");
        const flagger = named(resources, "kubernetes:helm.sh/v3:Release", "canary-delivery-flagger");
        assert.deepEqual(
            [flagger.inputs?.chart, flagger.inputs?.version, flagger.inputs?.repositoryOpts, flagger.inputs?.namespace],
            ["flagger", FLAGGER_CHART_VERSION, { repo: "https://flagger.app" }, "flagger-system"],
        );
        assert.equal(FLAGGER_CHART_VERSION, "1.44.0");
        const values = flagger.inputs?.values as Record<string, unknown>;
        // templates/deployment.yaml renders these as -mesh-provider, -metrics-server, -include-label-prefix.
        assert.equal(values.meshProvider, "gatewayapi:v1");
        assert.equal(values.metricsServer, "http://prometheus-operated.monitoring:9090");
        assert.equal(values.includeLabelPrefix, "app.kubernetes.io,llm-platform");
        assert.deepEqual(values.crd, { create: false }, "the chart's crds/ folder installs the CRDs");
        const loadtester = named(resources, "kubernetes:helm.sh/v3:Release", "canary-delivery-loadtester");
        assert.deepEqual(
            [loadtester.inputs?.name, loadtester.inputs?.chart, loadtester.inputs?.version],
            ["flagger-loadtester", "loadtester", FLAGGER_LOADTESTER_CHART_VERSION],
        );
        assert.equal(FLAGGER_LOADTESTER_CHART_VERSION, "0.38.0");
        // Pod Security `restricted` on flagger-system: both containers run non-root without privileges.
        for (const release of [flagger, loadtester]) {
            const ctx = (
                release.inputs?.values as { securityContext: { enabled: boolean; context: Record<string, unknown> } }
            ).securityContext;
            assert.equal(ctx.enabled, true);
            assert.equal(ctx.context.runAsNonRoot, true);
            assert.equal(ctx.context.allowPrivilegeEscalation, false);
            assert.deepEqual(ctx.context.capabilities, { drop: ["ALL"] });
            assert.deepEqual(ctx.context.seccompProfile, { type: "RuntimeDefault" });
        }
        assert.deepEqual(
            (
                named(resources, "kubernetes:core/v1:Namespace", "canary-delivery-flagger-namespace").inputs
                    ?.metadata as {
                    labels: Record<string, string>;
                }
            ).labels["pod-security.kubernetes.io/enforce"],
            "restricted",
        );
    });

    it("gives the gateway an Envoy Gateway class, an internal load balancer and a listener only for the serving namespace", () => {
        const proxy = named(resources, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "canary-delivery-proxy");
        assert.deepEqual(proxy.inputs?.spec, {
            provider: {
                type: "Kubernetes",
                kubernetes: {
                    envoyService: {
                        type: "LoadBalancer",
                        annotations: {
                            "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                            "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                        },
                    },
                },
            },
        });
        const gatewayClass = named(
            resources,
            "kubernetes:gateway.networking.k8s.io/v1:GatewayClass",
            "canary-delivery-gateway-class",
        );
        assert.equal(
            (gatewayClass.inputs?.spec as { controllerName: string }).controllerName,
            ENVOY_GATEWAY_CONTROLLER,
        );
        assert.equal(ENVOY_GATEWAY_CONTROLLER, "gateway.envoyproxy.io/gatewayclass-controller");
        const gateway = named(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway", "canary-delivery-gateway");
        const listener = (gateway.inputs?.spec as { listeners: Array<Record<string, unknown>> }).listeners[0];
        assert.deepEqual(listener.allowedRoutes, {
            namespaces: { from: "Selector", selector: { matchLabels: { "kubernetes.io/metadata.name": "inference" } } },
            kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
        });
    });

    it("every object is valid against its upstream schema: Flagger's CRD at v1.44.0, the Gateway API models, EnvoyProxy's CRD", () => {
        const checked = resources.filter((r) =>
            /flagger\.app|gateway\.networking\.k8s\.io|gateway\.envoyproxy\.io/.test(r.type),
        );
        assert.deepEqual(checked.map((r) => r.type.split(":")[2]).sort(), [
            "Canary",
            "EnvoyProxy",
            "Gateway",
            "GatewayClass",
            "MetricTemplate",
            "MetricTemplate",
        ]);
        assert.deepEqual(kubernetesSchemaErrors(checked), []);
    });

    it("the CRD check is real: an unknown field, a provider Flagger lacks and a missing template query are refused", () => {
        const canary = named(resources, "kubernetes:flagger.app/v1beta1:Canary", "inference-canary");
        const broken = structuredClone(canary);
        const spec = broken.inputs!.spec as Record<string, unknown>;
        spec.provider = "nginx-gateway";
        (spec.service as Record<string, unknown>).gatewayRef = [{ name: "x" }];
        (spec.analysis as { webhooks: Array<Record<string, unknown>> }).webhooks[0].timeout = "30 seconds";
        const template = structuredClone(
            named(resources, "kubernetes:flagger.app/v1beta1:MetricTemplate", "inference-latency"),
        );
        delete (template.inputs!.spec as Record<string, unknown>).query;
        assert.deepEqual(kubernetesSchemaErrors([broken, template]), [
            "inference-canary: /spec/provider must be equal to one of the allowed values",
            "inference-canary: /spec/service must NOT have additional properties (gatewayRef)",
            'inference-canary: /spec/analysis/webhooks/0/timeout must match pattern "^[0-9]+(m|s)"',
            "inference-latency: /spec must have required property 'query'",
        ]);
    });

    it("routes through the gateway with Flagger's Gateway API provider, analyses with our templates and load-tests real completions", () => {
        const spec = named(resources, "kubernetes:flagger.app/v1beta1:Canary", "inference-canary").inputs?.spec as {
            provider: string;
            service: Record<string, unknown>;
            analysis: {
                metrics: unknown[];
                webhooks: Array<{ name: string; type: string; metadata: Record<string, string> }>;
            };
        };
        assert.equal(spec.provider, "gatewayapi:v1");
        assert.deepEqual(spec.service.gatewayRefs, [{ name: "inference", namespace: "envoy-gateway-system" }]);
        assert.deepEqual(spec.service.primary, { labels: { "llm-platform/metrics": "inference" } });
        assert.deepEqual(spec.service.canary, { labels: { "llm-platform/metrics": "inference" } });
        assert.deepEqual(spec.analysis.metrics, [
            {
                name: "success-rate",
                templateRef: { name: "inference-success-rate", namespace: "inference" },
                thresholdRange: { min: 99 },
                interval: "1m",
            },
            {
                name: "latency-p95",
                templateRef: { name: "inference-latency", namespace: "inference" },
                thresholdRange: { max: 500 },
                interval: "1m",
            },
        ]);
        const [smoke, load] = spec.analysis.webhooks;
        assert.deepEqual([smoke.name, smoke.type, smoke.metadata.type], ["smoke-test", "pre-rollout", "bash"]);
        assert.equal(smoke.metadata.cmd, "curl -sf --max-time 10 http://inference-canary.inference/v1/models");
        assert.deepEqual([load.name, load.type, load.metadata.type], ["load-test", "rollout", "cmd"]);
        const prodModel = /"model":"([^"]+)"/.exec(load.metadata.cmd)?.[1];
        assert.match(String(prodModel), /^\/models\/[A-Za-z0-9._-]+$/);
        assert.equal(
            load.metadata.cmd,
            `hey -z 1m -q 1 -c 2 -m POST -T application/json -d '{"model":"${prodModel}","prompt":"Reply with OK.","max_tokens":16}' http://inference-canary.inference/v1/completions`,
        );
    });

    it("lets the gateway and the load tester reach every inference pod, Flagger's primary included", () => {
        const policy = named(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "inference-ingress").inputs
            ?.spec as {
            podSelector: unknown;
            ingress: Array<{ from: Array<{ namespaceSelector?: { matchLabels: Record<string, string> } }> }>;
        };
        assert.deepEqual(policy.podSelector, { matchLabels: { "app.kubernetes.io/component": "inference" } });
        const namespaces = policy.ingress[0].from.map(
            (f) => f.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"],
        );
        assert.ok(
            namespaces.includes("envoy-gateway-system") && namespaces.includes("flagger-system"),
            String(namespaces),
        );
        // The ServiceMonitor selects Flagger's primary and canary Services by the label the Canary gives them.
        const monitor = named(resources, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "monitoring-inference")
            .inputs?.spec as { selector: unknown };
        assert.deepEqual(monitor.selector, { matchLabels: { "llm-platform/metrics": "inference" } });
    });

    it("refuses bad arguments, naming them", () => {
        assert.deepEqual(
            validateCanaryDeliveryArgs({
                servingNamespace: "Inference",
                prometheusNamespace: "monitoring",
                exposure: "public" as "cluster",
            }),
            [
                'servingNamespace: expected a namespace name, received "Inference"',
                'exposure: expected "internal-nlb" or "cluster", received "public"',
            ],
        );
    });
});

describe("the canary analysis queries, proven with promtool", () => {
    /** Flagger's template variables as it renders them for this Canary at a 1m interval. */
    const render = (query: string): string =>
        query
            .replace(/\{\{ namespace \}\}/g, "inference")
            .replace(/\{\{ target \}\}/g, "inference")
            .replace(/\{\{ interval \}\}/g, "1m");
    const [successRate, latency] = buildMetricTemplates(targets).map((t) => render(String(t.spec.query)));
    const ok = (perMinute: number) => `0+${perMinute}x60`;
    const canaryPod = 'namespace="inference",pod="inference-5d8f7b9c4-x2x7q"';
    const primaryPod = 'namespace="inference",pod="inference-primary-6c9d8f7b5-k8p2m"';
    const inference = 'handler="/v1/completions",method="POST"';

    function promtool(
        series: Array<{ series: string; values: string }>,
        expect: Record<string, number>,
    ): { code: number | null; out: string } {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "canary-"));
        fs.writeFileSync(
            path.join(dir, "rules.yaml"),
            dump({
                groups: [
                    {
                        name: "canary",
                        rules: [
                            { record: "canary:success_rate", expr: successRate },
                            { record: "canary:latency_p95_ms", expr: latency },
                        ],
                    },
                ],
            }),
        );
        fs.writeFileSync(
            path.join(dir, "tests.yaml"),
            dump({
                rule_files: ["rules.yaml"],
                evaluation_interval: "1m",
                tests: [
                    {
                        interval: "1m",
                        input_series: series,
                        promql_expr_test: Object.entries(expect).map(([expr, value]) => ({
                            expr,
                            eval_time: "30m",
                            exp_samples: [{ labels: expr, value }],
                        })),
                    },
                ],
            }),
        );
        const r = spawnSync("promtool", ["test", "rules", path.join(dir, "tests.yaml")], { encoding: "utf8" });
        if (r.error) assert.fail("promtool is not installed: apt-get install prometheus (.ci/run does)");
        return { code: r.status, out: `${r.stdout}${r.stderr}` };
    }

    it("measure the canary's own pods only: its 2 % errors and 700 ms p95 time to first token, not the primary's", () => {
        const series = [
            { series: `http_requests_total{${canaryPod},${inference},status="2xx"}`, values: ok(98) },
            { series: `http_requests_total{${canaryPod},${inference},status="5xx"}`, values: ok(2) },
            // The readiness probe's requests and the primary's failures must not count.
            {
                series: `http_requests_total{${canaryPod},handler="/v1/models",method="GET",status="2xx"}`,
                values: ok(1000),
            },
            { series: `http_requests_total{${primaryPod},${inference},status="5xx"}`, values: ok(500) },
            ...(
                [
                    ["0.25", 0],
                    ["0.5", 75],
                    ["0.75", 100],
                    ["1.0", 100],
                    ["+Inf", 100],
                ] as const
            ).map(([le, n]) => ({
                series: `vllm:time_to_first_token_seconds_bucket{${canaryPod},model_name="m",le="${le}"}`,
                values: ok(n),
            })),
            {
                series: `vllm:time_to_first_token_seconds_bucket{${primaryPod},model_name="m",le="0.25"}`,
                values: ok(100),
            },
            {
                series: `vllm:time_to_first_token_seconds_bucket{${primaryPod},model_name="m",le="+Inf"}`,
                values: ok(100),
            },
        ];
        const r = promtool(series, { "canary:success_rate": 98, "canary:latency_p95_ms": 700 });
        assert.equal(r.code, 0, r.out);
    });

    it("a canary without a single error has a 100 % success rate, not no data", () => {
        const r = promtool(
            [{ series: `http_requests_total{${canaryPod},${inference},status="2xx"}`, values: ok(50) }],
            {
                "canary:success_rate": 100,
            },
        );
        assert.equal(r.code, 0, r.out);
    });

    it("the Canary's spec follows its settings", () => {
        const spec = buildCanarySpec(targets, {
            maxWeight: 30,
            stepWeight: 5,
            minSuccessRatePercent: 99.5,
            maxRequestDurationMs: 800,
        }) as {
            analysis: {
                maxWeight: number;
                stepWeight: number;
                metrics: Array<{ thresholdRange: Record<string, number> }>;
            };
        };
        assert.deepEqual(
            [spec.analysis.maxWeight, spec.analysis.stepWeight, spec.analysis.metrics.map((m) => m.thresholdRange)],
            [30, 5, [{ min: 99.5 }, { max: 800 }]],
        );
    });
});
