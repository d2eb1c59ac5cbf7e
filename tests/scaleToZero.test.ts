import * as assert from "node:assert/strict";
import type * as k8s from "@pulumi/kubernetes";
import { validateBlueGreenEksServiceArgs, type BlueGreenEksServiceArgs } from "../components/k8s/blueGreenEksService";
import { buildInterceptorRouteSpec, buildScaledObjectSpec, holdSeconds } from "../components/k8s/scaling";
import { ENTRY_IDLE_TIMEOUT_SECONDS } from "../components/k8s/entryPoint";
import { validateKedaHttpAddOnArgs } from "../components/k8s/keda";
import { resolveSettings } from "../environments/loader";
import { servedModels } from "../environments/models";
import { renderCost } from "../catalog/cost";
import { reviewHelmRelease } from "../policies/charts";
import { exportCost } from "../tools/reports/render";
import { find, goodRawConfig, problemsIfAny, requiredServiceArgs } from "./helpers";
import { celErrors, kubernetesSchemaErrors, loadOperatorModels } from "./kubernetesSchema";
import { planOf, planWith, singleModelStaging, STAGING_BY_HOST } from "./plans";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("scale to zero (staging): KEDA's HTTP add-on wakes a model on its next request", () => {
    before(loadOperatorModels);

    it("installs the add-on from its reviewed chart into KEDA's namespace, after KEDA, with a restricted pod context", async () => {
        const staging = await planOf("staging");
        const release = find(staging.export, "kubernetes:helm.sh/v3:Release", "keda-http-add-on");
        const inputs = release.inputs as Inputs;
        assert.equal(inputs.chart, "keda-add-ons-http");
        assert.equal(inputs.version, "0.15.0");
        assert.deepEqual(inputs.repositoryOpts, { repo: "https://kedacore.github.io/charts" });
        assert.equal(inputs.namespace, "keda");
        assert.deepEqual(inputs.values, {
            crds: { install: true },
            podSecurityContext: {
                runAsNonRoot: true,
                runAsUser: 65532,
                runAsGroup: 65532,
                fsGroup: 65532,
                seccompProfile: { type: "RuntimeDefault" },
            },
            // A terminating interceptor serves open streams for the longest response, not the
            // chart's 30 s, accepts for 15 s while the load balancer deregisters it (not 5), and
            // its grace period outlasts both.
            interceptor: { shutdownDelay: "15s", drainTimeout: "600s", terminationGracePeriodSeconds: 625 },
        });
        const keda = find(staging.export, "kubernetes:helm.sh/v3:Release", "keda");
        assert.ok(release.dependencies?.includes(keda.urn), "its ScaledObject needs KEDA's CRD");
        assert.deepEqual(reviewHelmRelease(inputs), []);
        const { podSecurityContext: _dropped, ...values } = inputs.values as Record<string, unknown>;
        assert.deepEqual(reviewHelmRelease({ ...inputs, values }), [
            'Helm release of chart "keda-add-ons-http" 0.15.0: values.podSecurityContext.runAsNonRoot is unset; the review expects true',
            'Helm release of chart "keda-add-ons-http" 0.15.0: values.podSecurityContext.seccompProfile is unset; the review expects {"type":"RuntimeDefault"}',
        ]);
        // Only the load balancer (its subnets) reaches the interceptor, and KEDA's namespace its admin port.
        const policy = find(
            staging.export,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "keda-http-add-on-interceptor-ingress",
        ).inputs as Inputs;
        assert.deepEqual(policy.metadata, { name: "keda-add-ons-http-interceptor-ingress", namespace: "keda" });
        assert.deepEqual(policy.spec, {
            podSelector: {
                matchLabels: { "app.kubernetes.io/component": "interceptor", "app.kubernetes.io/name": "http-add-on" },
            },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: ["10.0.128.0/22", "10.0.132.0/22"].map((cidr) => ({ ipBlock: { cidr } })),
                    ports: [
                        { port: 8080, protocol: "TCP" },
                        { port: 9090, protocol: "TCP" },
                    ],
                },
                {
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } } }],
                    ports: [{ port: 9090, protocol: "TCP" }],
                },
                // serving.ingressNamespaces: in-cluster callers, which wake a model only through the interceptor.
                {
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
                    ports: [{ port: 8080, protocol: "TCP" }],
                },
            ],
        });
        // prod does not scale to zero: no add-on there.
        const prod = await planOf("prod");
        assert.equal(
            prod.export.deployment.resources.filter((r) => r.type === "llm-platform:k8s:KedaHttpAddOn").length,
            0,
        );
    });

    it("lets each model's active colour go to zero and wakes it on the requests the interceptor counts for it", async () => {
        const staging = await planOf("staging");
        for (const model of ["chat", "embed"]) {
            const scaled = find(staging.export, "kubernetes:keda.sh/v1alpha1:ScaledObject", `${model}-blue`)
                .inputs as Inputs;
            assert.equal(scaled.spec.minReplicaCount, 0);
            assert.equal(scaled.spec.cooldownPeriod, 30 * 60);
            assert.deepEqual(
                scaled.spec.triggers.map((t: Inputs) => [t.type, t.name]),
                [
                    ["prometheus", "vllm"],
                    ["external-push", "requests"],
                ],
            );
            assert.deepEqual(scaled.spec.triggers[1].metadata, {
                scalerAddress: "keda-add-ons-http-external-scaler.keda:9090",
                interceptorRoute: model,
            });
            const route = find(
                staging.export,
                "kubernetes:http.keda.sh/v1beta1:InterceptorRoute",
                `${model}-interceptor-route`,
            );
            assert.deepEqual(route.inputs, {
                apiVersion: "http.keda.sh/v1beta1",
                kind: "InterceptorRoute",
                metadata: { name: model, namespace: model },
                spec: {
                    target: { service: `${model}-active`, port: 80 },
                    rules: [{ headers: [{ name: "x-llm-model", value: model }] }],
                    scalingMetric: { concurrency: { targetValue: 256 } },
                    timeouts: { readiness: "280s" },
                },
            });
            // The production route goes through the interceptor, in its namespace; the preview stays direct.
            const production = find(staging.export, "kubernetes:networking.k8s.io/v1:Ingress", `${model}-production`)
                .inputs as Inputs;
            assert.equal(production.metadata.namespace, "keda");
            assert.deepEqual(production.spec.rules[0].http.paths[0].backend, {
                service: { name: "keda-add-ons-http-interceptor-proxy", port: { number: 8080 } },
            });
            const annotations = production.metadata.annotations as Record<string, string>;
            assert.equal(annotations["alb.ingress.kubernetes.io/group.name"], "inference");
            assert.equal(annotations["alb.ingress.kubernetes.io/healthcheck-path"], "/readyz");
            // A number: the controller resolves a named port among the proxy Service's ports, which lack "admin".
            assert.equal(annotations["alb.ingress.kubernetes.io/healthcheck-port"], "9090");
            assert.deepEqual(
                JSON.parse(annotations["alb.ingress.kubernetes.io/conditions.keda-add-ons-http-interceptor-proxy"]),
                [{ field: "http-header", httpHeaderConfig: { httpHeaderName: "x-llm-model", values: [model] } }],
            );
            const preview = find(staging.export, "kubernetes:networking.k8s.io/v1:Ingress", `${model}-preview`)
                .inputs as Inputs;
            assert.equal(preview.metadata.namespace, model);
            // The preview listener forwards to the inactive colour's own Service by weight.
            assert.deepEqual(preview.spec.rules[0].http.paths[0].backend, {
                service: { name: `${model}-preview`, port: { name: "use-annotation" } },
            });
            assert.deepEqual(
                JSON.parse(preview.metadata.annotations[`alb.ingress.kubernetes.io/actions.${model}-preview`])
                    .forwardConfig.targetGroups,
                [
                    { serviceName: `${model}-blue`, servicePort: 80, weight: 0 },
                    { serviceName: `${model}-green`, servicePort: 80, weight: 100 },
                ],
            );
            assert.equal(preview.metadata.annotations["alb.ingress.kubernetes.io/healthcheck-port"], undefined);
            // The interceptor's pods may call the model.
            const policy = find(staging.export, "kubernetes:networking.k8s.io/v1:NetworkPolicy", `${model}-ingress`)
                .inputs as Inputs;
            assert.ok(
                policy.spec.ingress[0].from.some(
                    (f: Inputs) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "keda",
                ),
            );
        }
        assert.deepEqual(kubernetesSchemaErrors(staging.export.deployment.resources), []);
    });

    it("routes by host when the stack has a domain: the interceptor matches the same host as the load balancer", async () => {
        const byHost = await planWith("staging", STAGING_BY_HOST);
        const route = find(byHost.export, "kubernetes:http.keda.sh/v1beta1:InterceptorRoute", "chat-interceptor-route")
            .inputs as Inputs;
        assert.deepEqual(route.spec.rules, [{ hosts: ["chat.llm.example.com"] }]);
        const production = find(byHost.export, "kubernetes:networking.k8s.io/v1:Ingress", "chat-production")
            .inputs as Inputs;
        assert.equal(production.spec.rules[0].host, "chat.llm.example.com");
        assert.deepEqual(kubernetesSchemaErrors(byHost.export.deployment.resources), []);
    });

    it("wakes the one model of a stack without a model list: its route matches every request, whatever its host", async () => {
        const single = await singleModelStaging();
        const route = find(
            single.export,
            "kubernetes:http.keda.sh/v1beta1:InterceptorRoute",
            "inference-interceptor-route",
        ).inputs as Inputs;
        // A route without rules is Ready yet never in the interceptor's table: every request would be a 404.
        assert.deepEqual(route.spec, {
            target: { service: "inference-active", port: 80 },
            rules: [{ hosts: ["*"] }],
            scalingMetric: { concurrency: { targetValue: 256 } },
            timeouts: { readiness: "280s" },
        });
        const scaled = find(single.export, "kubernetes:keda.sh/v1alpha1:ScaledObject", "inference-blue")
            .inputs as Inputs;
        assert.equal(scaled.spec.minReplicaCount, 0);
        assert.deepEqual(scaled.spec.triggers[1].metadata, {
            scalerAddress: "keda-add-ons-http-external-scaler.keda:9090",
            interceptorRoute: "inference",
        });
        // The load balancer sends every request to the interceptor: no host, no header condition.
        const production = find(single.export, "kubernetes:networking.k8s.io/v1:Ingress", "inference-production")
            .inputs as Inputs;
        assert.equal(production.spec.rules[0].host, undefined);
        assert.deepEqual(production.spec.rules[0].http.paths[0].backend, {
            service: { name: "keda-add-ons-http-interceptor-proxy", port: { number: 8080 } },
        });
        assert.equal(
            production.metadata.annotations["alb.ingress.kubernetes.io/conditions.keda-add-ons-http-interceptor-proxy"],
            undefined,
        );
        // A scaled-in interceptor drains for the longest response; the load balancer waits as long.
        assert.equal(
            production.metadata.annotations["alb.ingress.kubernetes.io/target-group-attributes"],
            "deregistration_delay.timeout_seconds=600",
        );
        assert.deepEqual(kubernetesSchemaErrors(single.export.deployment.resources), []);
    });

    it("costs nothing at the floor: a model's GPUs from zero to its ceiling", async () => {
        const text = renderCost(exportCost((await planOf("staging")).export));
        assert.deepEqual(text.slice(text.indexOf("        Model  GPU pool       GPUs  On-demand")), [
            "        Model  GPU pool       GPUs  On-demand",
            "        chat   gpu-inference  0–1   $0.00–$734.38",
            "        embed  gpu-inference  0–1   $0.00–$734.38",
        ]);
    });

    it("holds a waking request just under the load balancer's idle timeout, and the CRD's rules hold", () => {
        assert.equal(holdSeconds(ENTRY_IDLE_TIMEOUT_SECONDS), 280);
        assert.deepEqual(
            buildInterceptorRouteSpec({ service: "m-active", port: 80, targetConcurrency: 8, holdSeconds: 100 }),
            {
                target: { service: "m-active", port: 80 },
                // Without a route, the add-on's catch-all host: a route without rules is never matched.
                rules: [{ hosts: ["*"] }],
                scalingMetric: { concurrency: { targetValue: 8 } },
                timeouts: { readiness: "100s" },
            },
        );
        const spec = buildScaledObjectSpec({
            deployment: "m-blue",
            namespace: "m",
            min: 1,
            max: 3,
            scaleOn: { metric: "waitingRequests", target: 5 },
            prometheusUrl: "http://prometheus:9090",
        });
        assert.equal(spec.minReplicaCount, 1);
        assert.equal(spec.cooldownPeriod, undefined);
        assert.equal((spec.triggers as unknown[]).length, 1);
        // The CRD's CEL rules, which the API server enforces and JSON Schema cannot say.
        const crdSchema = {
            properties: {
                spec: {
                    properties: {
                        target: {
                            properties: { port: {}, portName: {} },
                            "x-kubernetes-validations": [
                                {
                                    rule: "has(self.port) != has(self.portName)",
                                    message: "exactly one of 'port' or 'portName' must be set",
                                },
                            ],
                        },
                    },
                },
            },
        };
        assert.deepEqual(celErrors(crdSchema, { spec: { target: { port: 80, portName: "http" } } }, ""), [
            "/spec/target exactly one of 'port' or 'portName' must be set",
        ]);
        assert.deepEqual(celErrors(crdSchema, { spec: { target: { port: 80 } } }, ""), []);
        assert.throws(
            () => celErrors({ "x-kubernetes-validations": [{ rule: "self.x > 1" }] }, {}, ""),
            /CEL rule not supported by this check: self.x > 1/,
        );
    });

    it("refuses it in prod and where KEDA, blue-green or the load balancer cannot carry it, naming the key", () => {
        const settings = (tier: "staging" | "prod", extra: Record<string, string>) =>
            resolveSettings(tier, goodRawConfig({ "llm-platform:tier": tier, ...extra }));
        assert.deepEqual(
            problemsIfAny(() =>
                settings("prod", { "llm-platform:serving": '{"replicas":2,"scaleToZero":{"enabled":true}}' }),
            ),
            [
                "llm-platform:serving.scaleToZero.enabled: expected false in the prod tier: prod keeps at least 2 replicas of every model, and a model at zero answers its first request minutes late; scale to zero in staging, received true",
            ],
        );
        assert.deepEqual(
            problemsIfAny(() =>
                settings("prod", {
                    "llm-platform:models":
                        '[{"name":"chat","replicas":2},{"name":"embed","replicas":2,"scaleToZero":{"enabled":true}}]',
                    "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.2xlarge"],"maxSize":20}]',
                }),
            ),
            [
                "llm-platform:models[1].scaleToZero.enabled: expected false in the prod tier: prod keeps at least 2 replicas of every model, and a model at zero answers its first request minutes late; scale to zero in staging, received true",
            ],
        );
        assert.deepEqual(
            problemsIfAny(() =>
                settings("staging", {
                    "llm-platform:serving":
                        '{"autoscaler":"hpa","entryPoint":{"enabled":false},"scaleToZero":{"enabled":true}}',
                }),
            ),
            [
                'llm-platform:serving.autoscaler: expected "keda": KEDA takes a model to zero and back (scaleToZero on inference), received "hpa"',
                "llm-platform:serving.entryPoint.enabled: expected true: a model at zero is woken by its requests, which must come through the load balancer to the add-on's interceptor (scaleToZero on inference), received false",
            ],
        );
        assert.deepEqual(
            problemsIfAny(() =>
                settings("staging", {
                    "llm-platform:serving": '{"strategy":"canary","scaleToZero":{"enabled":true}}',
                    "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.xlarge"],"maxSize":10}]',
                }),
            ),
            [
                'llm-platform:serving.strategy: expected "blue-green": the add-on\'s interceptor sends to the active colour\'s Service (scaleToZero on inference), received "canary"',
            ],
        );
        assert.deepEqual(
            problemsIfAny(() =>
                settings("staging", { "llm-platform:serving": '{"scaleToZero":{"enabled":true,"idleMinutes":0}}' }),
            ),
            ["llm-platform:serving.scaleToZero.idleMinutes: expected an integer >= 1, received 0"],
        );
        // Per model: the entry's own setting wins over serving's.
        const served = resolveSettings(
            "staging",
            goodRawConfig({
                "llm-platform:serving": '{"scaleToZero":{"enabled":true}}',
                "llm-platform:models": '[{"name":"chat"},{"name":"embed","scaleToZero":{"enabled":false}}]',
                "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.xlarge"],"maxSize":6}]',
            }),
        );
        assert.deepEqual(
            servedModels(served).map((m) => [m.name, m.scaleToZero]),
            [
                ["chat", { enabled: true, idleMinutes: 30, targetConcurrency: 256 }],
                ["embed", { enabled: false, idleMinutes: 30, targetConcurrency: 256 }],
            ],
        );
    });

    it("the add-on refuses a longest response the load balancer cannot wait for", () => {
        assert.deepEqual(validateKedaHttpAddOnArgs({}), []);
        assert.deepEqual(validateKedaHttpAddOnArgs({ longestResponseSeconds: 3600 }), []);
        for (const bad of [0, 3601, 90.5])
            assert.deepEqual(validateKedaHttpAddOnArgs({ longestResponseSeconds: bad }), [
                `longestResponseSeconds: expected an integer from 1 to 3600 (the load balancer's deregistration delay must match it, and ELB allows at most 3600), received ${bad}`,
            ]);
    });

    it("the component refuses it without KEDA or an entry point", () => {
        const args: BlueGreenEksServiceArgs = {
            ...requiredServiceArgs(undefined as unknown as k8s.Provider, `r@sha256:${"b".repeat(64)}`),
            scaleToZero: { addOn: { namespace: "keda", ready: [] }, idleMinutes: 0, targetConcurrency: 1.5 },
        };
        assert.deepEqual(validateBlueGreenEksServiceArgs("svc", args), [
            "scaleToZero: needs keda (KEDA takes the Deployment to zero and back; a HorizontalPodAutoscaler cannot)",
            "scaleToZero: needs entryPoint and the blue-green strategy (the requests that wake the model come through the load balancer to the add-on's interceptor)",
            "scaleToZero.idleMinutes: expected an integer from 1 to 1440, received 0",
            "scaleToZero.targetConcurrency: expected an integer >= 1, received 1.5",
        ]);
    });
});
