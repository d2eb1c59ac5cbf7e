/**
 * The trace collector, checked against what upstream reads at the pinned versions (docs/UPSTREAM.md,
 * "OpenTelemetry Collector"): the chart's values schema at 0.170.0, the components the contrib
 * image has at 0.158.0, the pack's review of the chart, and the resources the component makes.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import * as yaml from "js-yaml";
import * as k8s from "@pulumi/kubernetes";
import { TraceCollector, validateTraceCollectorArgs, type TraceCollectorArgs } from "../components/k8s/traceCollector";
import {
    slowFirstTokenCondition,
    TRACE_COLLECTOR_CHART_VERSION,
    traceCollectorConfig,
    traceCollectorValues,
    traceCollectorXrayPolicy,
} from "../components/k8s/traceCollectorConfig";
import { REVIEWED_CHARTS, reviewHelmRelease } from "../policies/charts";
import { runProgram } from "../tools/engine/run";
import type { ExportedResource } from "../tools/engine/stackExport";
import { chartDefaults, helmCoalesce } from "./helm";
import { find, PROJECT_DIR } from "./helpers";
import { evaluatePack, type PolicyConfigFile } from "./packEvaluation";
import { planOf } from "./plans";
import { buildRuleGroups, VLLM_METRICS, xrayTracesConsoleUrl } from "../components/k8s/alertRules";
import { buildAlertmanagerConfig } from "../components/k8s/alertmanagerConfig";
import { validateBlueGreenEksServiceArgs } from "../components/k8s/blueGreenEksServiceArgs";
import { REFERENCE_SLO } from "../catalog/standards";
import { VLLM_IMAGE } from "../catalog/vllm";
import { systemDaemonSets, systemWorkloads } from "../catalog/systemPool";
import { systemPoolPlan } from "../environments/systemPoolRules";
import { requiredServiceArgs } from "./helpers";

type Values = Record<string, unknown>;
const FIXTURES = path.join(__dirname, "fixtures");
const CLUSTER = {
    region: "us-east-1",
    oidcProviderArn: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    oidcIssuerUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
};
/** Known-good arguments but the provider: the prod tier's sampling, two client namespaces. */
const GOOD: Omit<TraceCollectorArgs, "provider"> = {
    ...CLUSTER,
    clientNamespaces: ["chat", "embed"],
    sampling: { percentage: 5, slowTimeToFirstTokenSeconds: 0.5 },
    tags: { Owner: "ml-platform", CostCenter: "ml-research" },
};
const SAMPLING = GOOD.sampling;

/** What Helm does before rendering: our values over the chart's defaults, then the values schema. */
function schemaProblems(values: Values): string[] {
    const merged = helmCoalesce(
        chartDefaults(`opentelemetry-collector-${TRACE_COLLECTOR_CHART_VERSION}.values.yaml`),
        values,
    );
    const schema = JSON.parse(
        fs.readFileSync(
            path.join(
                FIXTURES,
                "charts",
                `opentelemetry-collector-${TRACE_COLLECTOR_CHART_VERSION}.values.schema.json`,
            ),
            "utf8",
        ),
    ) as Values;
    // "http://json-schema.org/schema#" names no draft; Helm's validator reads it as draft 7, as Ajv does.
    delete schema.$schema;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    return validate(merged) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}

/**
 * The Go module of each component type the config may name, with where its type is declared at
 * the pinned version (each `metadata.yaml`'s `type:`); the contrib manifest must build it in.
 */
const COMPONENT_MODULES: Record<string, Record<string, string>> = {
    // open-telemetry/opentelemetry-collector@v0.158.0 receiver/otlpreceiver/metadata.yaml
    receivers: { otlp: "go.opentelemetry.io/collector/receiver/otlpreceiver" },
    processors: {
        // open-telemetry/opentelemetry-collector@v0.158.0 processor/{memorylimiter,batch}processor/metadata.yaml
        memory_limiter: "go.opentelemetry.io/collector/processor/memorylimiterprocessor",
        batch: "go.opentelemetry.io/collector/processor/batchprocessor",
        tail_sampling: "github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor",
    },
    exporters: {
        awsxray: "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/awsxrayexporter",
        // exporter/otlpexporter/metadata.yaml: `type: otlp_grpc`, `deprecated_type: otlp`.
        otlp_grpc: "go.opentelemetry.io/collector/exporter/otlpexporter",
    },
    extensions: {
        health_check: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension",
    },
};

describe("TraceCollector", () => {
    it("refuses bad arguments, each with the field, the value and what is expected", () => {
        assert.deepEqual(
            validateTraceCollectorArgs({
                ...GOOD,
                namespace: "Tracing",
                clientNamespaces: ["chat", "Bad_NS"],
                sampling: { percentage: 150, slowTimeToFirstTokenSeconds: 0 },
                exporter: {
                    kind: "otlp",
                    endpoint: "http://collector:4317/v1/traces",
                    header: { name: "X-Key", secretName: "s", secretKey: "k" },
                },
                replicas: 0,
                chartVersion: "^0.170",
            }),
            [
                "namespace: expected a Kubernetes namespace name (lowercase letters, digits and '-', at most 63), received \"Tracing\"",
                'clientNamespaces: expected Kubernetes namespace names, received "Bad_NS"; use the namespace\'s metadata.name',
                "sampling.percentage: expected a percent from 0 to 100 of ordinary traces to keep, received 150",
                "sampling.slowTimeToFirstTokenSeconds: expected seconds from 0.01 to 600 (e.g. the tier's time-to-first-token SLO), received 0",
                'exporter.endpoint: expected an OTLP/gRPC endpoint over TLS such as https://otlp.example.com:4317 (no path), received "http://collector:4317/v1/traces"',
                'exporter.header.name: expected a lowercase HTTP header name such as "authorization", received "X-Key"',
                "replicas: expected a whole number of collector pods >= 1 (2 or more in production), received 0",
                'chartVersion: expected an exact version such as 0.170.0, received "^0.170"',
            ],
        );
        assert.deepEqual(validateTraceCollectorArgs({ ...GOOD, clientNamespaces: [] }), [
            "clientNamespaces: expected at least one namespace whose pods send traces (the inference services' namespaces), received []",
        ]);
        assert.deepEqual(
            validateTraceCollectorArgs({
                ...GOOD,
                exporter: { kind: "jaeger" } as unknown as TraceCollectorArgs["exporter"],
            }),
            ['exporter.kind: expected "xray" or "otlp", received "jaeger"'],
        );
        assert.deepEqual(validateTraceCollectorArgs(GOOD), []);
    });

    it("may only put trace segments into X-Ray", () => {
        assert.deepEqual(JSON.parse(traceCollectorXrayPolicy()), {
            Version: "2012-10-17",
            Statement: [{ Sid: "PutTraceSegments", Effect: "Allow", Action: ["xray:PutTraceSegments"], Resource: "*" }],
        });
    });

    it("keeps every error, every slow first token and a percentage of the rest, then exports to X-Ray", () => {
        assert.equal(
            slowFirstTokenCondition(0.5),
            'name == "llm_request" and attributes["gen_ai.latency.time_to_first_token"] > 0.5',
        );
        // A whole number still reads as a double literal (the attribute is a double).
        assert.equal(
            slowFirstTokenCondition(2),
            'name == "llm_request" and attributes["gen_ai.latency.time_to_first_token"] > 2.0',
        );
        assert.deepEqual(
            traceCollectorConfig({ region: "us-east-1", sampling: SAMPLING, exporter: { kind: "xray" } }),
            {
                extensions: { health_check: { endpoint: "${env:MY_POD_IP}:13133" } },
                receivers: {
                    otlp: {
                        protocols: {
                            grpc: { endpoint: "${env:MY_POD_IP}:4317" },
                            http: { endpoint: "${env:MY_POD_IP}:4318" },
                        },
                    },
                },
                processors: {
                    memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 25 },
                    tail_sampling: {
                        decision_wait: "10s",
                        num_traces: 50000,
                        policies: [
                            { name: "errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
                            {
                                name: "slow-first-token",
                                type: "ottl_condition",
                                ottl_condition: {
                                    error_mode: "ignore",
                                    span: [
                                        'name == "llm_request" and attributes["gen_ai.latency.time_to_first_token"] > 0.5',
                                    ],
                                },
                            },
                            { name: "baseline", type: "probabilistic", probabilistic: { sampling_percentage: 5 } },
                        ],
                    },
                    batch: {},
                },
                exporters: {
                    awsxray: {
                        region: "us-east-1",
                        indexed_attributes: [
                            "gen_ai.request.id",
                            "gen_ai.latency.time_to_first_token",
                            "gen_ai.latency.e2e",
                            "otel.resource.llm_platform.model",
                        ],
                    },
                },
                service: {
                    extensions: ["health_check"],
                    pipelines: {
                        traces: {
                            receivers: ["otlp"],
                            processors: ["memory_limiter", "tail_sampling", "batch"],
                            exporters: ["awsxray"],
                        },
                    },
                },
            },
        );
    });

    it("sends to an OTLP backend over TLS, its header from a Secret, when configured so", () => {
        const values = traceCollectorValues({
            region: "us-east-1",
            sampling: SAMPLING,
            exporter: {
                kind: "otlp",
                endpoint: "https://otlp.example.com:4317",
                header: { name: "authorization", secretName: "otlp-token", secretKey: "header" },
            },
            replicas: 2,
        });
        const config = values.alternateConfig as { exporters: Values; service: { pipelines: { traces: Values } } };
        assert.deepEqual(config.exporters, {
            otlp_grpc: {
                endpoint: "https://otlp.example.com:4317",
                headers: { authorization: "${env:OTLP_EXPORT_HEADER}" },
            },
        });
        assert.deepEqual(config.service.pipelines.traces.exporters, ["otlp_grpc"]);
        assert.deepEqual(values.extraEnvs, [
            { name: "OTLP_EXPORT_HEADER", valueFrom: { secretKeyRef: { name: "otlp-token", key: "header" } } },
        ]);
        assert.deepEqual(schemaProblems(values), []);
    });

    it("renders the chart as a hardened, probed Deployment of the contrib image; Helm's schema at 0.170.0 accepts the values", () => {
        const values = traceCollectorValues({
            region: "us-east-1",
            sampling: SAMPLING,
            exporter: { kind: "xray" },
            replicas: 2,
        });
        const { alternateConfig, ...rest } = values;
        assert.deepEqual(
            alternateConfig,
            traceCollectorConfig({ region: "us-east-1", sampling: SAMPLING, exporter: { kind: "xray" } }),
        );
        const context = {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
        };
        assert.deepEqual(rest, {
            mode: "deployment",
            fullnameOverride: "trace-collector",
            image: { repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" },
            command: { name: "otelcol-contrib", extraArgs: ["--feature-gates=-exporter.xray.allowDot"] },
            serviceAccount: { create: false, name: "trace-collector", automountServiceAccountToken: false },
            ports: {
                "jaeger-compact": { enabled: false },
                "jaeger-thrift": { enabled: false },
                "jaeger-grpc": { enabled: false },
                zipkin: { enabled: false },
            },
            podSecurityContext: { ...context, fsGroup: 10001 },
            securityContext: {
                ...context,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                privileged: false,
                capabilities: { drop: ["ALL"] },
            },
            resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } },
            replicaCount: 2,
            podDisruptionBudget: { enabled: true, minAvailable: 1 },
            topologySpreadConstraints: [
                {
                    maxSkew: 1,
                    topologyKey: "topology.kubernetes.io/zone",
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: {
                        matchLabels: {
                            "app.kubernetes.io/name": "opentelemetry-collector",
                            "app.kubernetes.io/instance": "trace-collector",
                            component: "standalone-collector",
                        },
                    },
                },
            ],
        });
        assert.deepEqual(schemaProblems(values), []);
        // The schema is strict where it matters: a misspelt key is refused as Helm would.
        assert.deepEqual(schemaProblems({ ...values, image: { repo: "x" } }), [
            "/image must NOT have additional properties",
        ]);

        const merged = helmCoalesce(
            chartDefaults(`opentelemetry-collector-${TRACE_COLLECTOR_CHART_VERSION}.values.yaml`),
            values,
        );
        // The probes the chart renders call the health_check extension's port, which the config serves.
        assert.deepEqual(
            [merged.livenessProbe, merged.readinessProbe],
            [{ httpGet: { port: 13133, path: "/" } }, { httpGet: { port: 13133, path: "/" } }],
        );
        // Only the OTLP ports stay open; hostPort is rendered only in daemonset mode (templates/_config.tpl podPortsConfig).
        const ports = merged.ports as Record<string, { enabled: boolean }>;
        assert.deepEqual(
            Object.keys(ports).filter((p) => ports[p].enabled),
            ["otlp", "otlp-http"],
        );
        // With one replica, no budget (it would block every node drain).
        assert.deepEqual(
            traceCollectorValues({ region: "r", sampling: SAMPLING, exporter: { kind: "xray" }, replicas: 1 })
                .podDisruptionBudget,
            { enabled: false },
        );
    });

    it("names only components the contrib image 0.158.0 is built with, each pipeline's from its own section", () => {
        const manifest = yaml.load(
            fs.readFileSync(path.join(FIXTURES, "otelcol", "otelcol-contrib-0.158.0.manifest.yaml"), "utf8"),
        ) as Record<string, Array<{ gomod: string }>>;
        const built = (section: string): Set<string> =>
            new Set((manifest[section] ?? []).map((m) => m.gomod.replace(/ v0\.158\.0$/, "")));
        for (const exporter of [
            { kind: "xray" as const },
            { kind: "otlp" as const, endpoint: "https://otlp.example.com:4317" },
        ]) {
            const config = traceCollectorConfig({ region: "us-east-1", sampling: SAMPLING, exporter }) as Record<
                string,
                Values
            > & { service: { extensions: string[]; pipelines: { traces: Record<string, string[]> } } };
            for (const section of ["receivers", "processors", "exporters", "extensions"]) {
                for (const type of Object.keys(config[section])) {
                    const module = COMPONENT_MODULES[section][type];
                    assert.ok(module, `${section}.${type}: no module known`);
                    assert.ok(built(section).has(module), `${section}.${type}: ${module} is not in the contrib image`);
                }
            }
            // Every pipeline entry is configured in its section, and every configured one is used.
            const traces = config.service.pipelines.traces;
            for (const section of ["receivers", "processors", "exporters"])
                assert.deepEqual(traces[section], Object.keys(config[section]), section);
            assert.deepEqual(config.service.extensions, Object.keys(config.extensions));
        }
    });

    it("is reviewed by the pack at 0.170.0, which refuses the release when a hardening is removed", () => {
        const props = {
            chart: "opentelemetry-collector",
            version: "0.170.0",
            repositoryOpts: { repo: "https://open-telemetry.github.io/opentelemetry-helm-charts" },
            values: traceCollectorValues({
                region: "us-east-1",
                sampling: SAMPLING,
                exporter: { kind: "xray" },
                replicas: 2,
            }),
        };
        assert.ok(REVIEWED_CHARTS.some((c) => c.chart === "opentelemetry-collector" && c.version === "0.170.0"));
        assert.deepEqual(reviewHelmRelease(props), []);
        const values = structuredClone(props.values) as { securityContext: Values };
        values.securityContext.readOnlyRootFilesystem = false;
        assert.deepEqual(reviewHelmRelease({ ...props, values: { ...values, mode: "daemonset" } }), [
            'Helm release of chart "opentelemetry-collector" 0.170.0: values.securityContext.readOnlyRootFilesystem is false; the review expects true',
            'Helm release of chart "opentelemetry-collector" 0.170.0: values.mode is "daemonset"; the review expects "deployment" or "statefulset" (a daemonset opens every enabled port as a hostPort)',
        ]);
        assert.deepEqual(
            reviewHelmRelease({ ...props, values: { ...props.values, presets: { hostMetrics: { enabled: true } } } }),
            [
                `Helm release of chart "opentelemetry-collector" 0.170.0: values.presets.hostMetrics.enabled is true; the review expects not true (it mounts the node's / through hostPath)`,
            ],
        );
    });

    describe("as a program", () => {
        let resources: ExportedResource[];
        let outputs: Record<string, unknown>;
        before(async () => {
            const result = await runProgram({
                project: "lib",
                stack: "dev",
                config: { "aws:region": "us-east-1" },
                program: () => {
                    const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
                    const collector = new TraceCollector("traces", { ...GOOD, provider });
                    return Promise.resolve({
                        namespace: collector.namespace,
                        grpc: collector.otlpGrpcEndpoint,
                        http: collector.otlpHttpEndpoint,
                        roleArn: collector.roleArn,
                    });
                },
            });
            resources = result.export.deployment.resources;
            outputs = result.outputs;
        });

        it("makes its children under itself by stable names, and says where vLLM sends its spans", () => {
            assert.deepEqual(
                resources
                    .filter((r) => r.urn.includes("llm-platform:k8s:TraceCollector$"))
                    .map((r) => r.urn.split("::").slice(2).join("::").replace("llm-platform:k8s:TraceCollector$", ""))
                    .sort(),
                [
                    "aws:iam/role:Role::traces-irsa",
                    "aws:iam/rolePolicy:RolePolicy::traces-xray",
                    "kubernetes:core/v1:Namespace::traces-namespace",
                    "kubernetes:core/v1:ServiceAccount::traces-service-account",
                    "kubernetes:helm.sh/v3:Release::traces",
                    "kubernetes:networking.k8s.io/v1:NetworkPolicy::traces-ingress",
                ],
            );
            assert.equal(outputs.namespace, "tracing");
            assert.equal(outputs.grpc, "http://trace-collector.tracing.svc.cluster.local:4317");
            assert.equal(outputs.http, "http://trace-collector.tracing.svc.cluster.local:4318");
            assert.equal(outputs.roleArn, find(resources, "aws:iam/role:Role", "traces-irsa").outputs?.arn);
        });

        it("runs as an IRSA role only its service account may assume, in a restricted namespace", () => {
            const trust = JSON.parse(
                String(find(resources, "aws:iam/role:Role", "traces-irsa").inputs?.assumeRolePolicy),
            ) as {
                Statement: Array<{ Condition: { StringEquals: Record<string, string> } }>;
            };
            assert.deepEqual(trust.Statement[0].Condition.StringEquals, {
                "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:tracing:trace-collector",
                "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
            });
            assert.equal(
                find(resources, "aws:iam/rolePolicy:RolePolicy", "traces-xray").inputs?.policy,
                traceCollectorXrayPolicy(),
            );
            const sa = find(resources, "kubernetes:core/v1:ServiceAccount", "traces-service-account").inputs!;
            assert.deepEqual(sa.metadata, {
                name: "trace-collector",
                namespace: "tracing",
                annotations: {
                    "eks.amazonaws.com/role-arn": find(resources, "aws:iam/role:Role", "traces-irsa").outputs?.arn,
                },
            });
            const ns = find(resources, "kubernetes:core/v1:Namespace", "traces-namespace").inputs?.metadata as {
                labels: Record<string, string>;
            };
            assert.equal(ns.labels["pod-security.kubernetes.io/enforce"], "restricted");
            const release = find(resources, "kubernetes:helm.sh/v3:Release", "traces").inputs!;
            assert.deepEqual(
                [release.name, release.chart, release.version, release.namespace],
                ["trace-collector", "opentelemetry-collector", "0.170.0", "tracing"],
            );
            assert.deepEqual(
                release.values,
                traceCollectorValues({
                    region: "us-east-1",
                    sampling: SAMPLING,
                    exporter: { kind: "xray" },
                    replicas: 2,
                }),
            );
        });

        it("admits OTLP only from the client namespaces, to the collector's pods", () => {
            assert.deepEqual(
                find(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "traces-ingress").inputs?.spec,
                {
                    podSelector: {
                        matchLabels: {
                            "app.kubernetes.io/name": "opentelemetry-collector",
                            "app.kubernetes.io/instance": "trace-collector",
                            component: "standalone-collector",
                        },
                    },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [
                                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "chat" } } },
                                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "embed" } } },
                            ],
                            ports: [
                                { port: 4317, protocol: "TCP" },
                                { port: 4318, protocol: "TCP" },
                            ],
                        },
                    ],
                },
            );
        });

        it("passes the production pack with no finding on any of its resources", async () => {
            const prodConfig = JSON.parse(
                fs.readFileSync(path.join(PROJECT_DIR, "pack", "config", "prod.json"), "utf8"),
            ) as PolicyConfigFile;
            const doc = {
                version: 3,
                deployment: { manifest: { time: "", magic: "", version: "" }, resources },
            } as unknown as Parameters<typeof evaluatePack>[0];
            assert.deepEqual(await evaluatePack(doc, prodConfig), []);
            // The pack does read the release: an unreviewed version of the chart is a finding.
            const other = structuredClone(doc);
            const release = other.deployment.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
            release.inputs = { ...release.inputs, version: "0.169.0" };
            assert.deepEqual(
                (await evaluatePack(other, prodConfig)).map((f) => `${f.policy}: ${f.message}`),
                [
                    'k8s-workloads-visible: Helm release of chart "opentelemetry-collector" 0.169.0: reviewed only at 0.170.0; pin that version or review this one in policies/charts.ts',
                ],
            );
        });
    });
});

describe("the reference stacks' traces", () => {
    it("prod: vLLM sends its spans to the collector, which keeps 10 % and every slow or failed one for X-Ray", async () => {
        const { export: doc } = await planOf("prod");
        const release = find(doc, "kubernetes:helm.sh/v3:Release", "tracing");
        assert.equal(release.inputs!.chart, "opentelemetry-collector");
        const policies = JSON.stringify(
            ((release.inputs!.values as Values).alternateConfig as { processors: Values }).processors.tail_sampling,
        );
        assert.match(policies, /"sampling_percentage":10/);
        assert.match(policies, /gen_ai\.latency\.time_to_first_token\\"\] > 0\.5/);
        const ingress = find(doc, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "tracing-ingress");
        assert.deepEqual(
            ((ingress.inputs!.spec as Values).ingress as Array<{ from: unknown[] }>)[0].from,
            ["chat", "embed", "router"].map((n) => ({
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
            })),
        );
        const deployment = find(doc, "kubernetes:apps/v1:Deployment", "chat-blue");
        const server = (
            ((deployment.inputs!.spec as Values).template as Values).spec as {
                containers: Array<{ args: string[]; env: Array<{ name: string; value: string }> }>;
            }
        ).containers[0];
        const at = server.args.indexOf("--otlp-traces-endpoint");
        assert.equal(server.args[at + 1], "http://trace-collector.tracing.svc.cluster.local:4317");
        assert.deepEqual(
            server.env.filter((e) => e.name.startsWith("OTEL_")),
            [
                { name: "OTEL_SERVICE_NAME", value: "chat" },
                { name: "OTEL_RESOURCE_ATTRIBUTES", value: "llm_platform.model=chat" },
            ],
        );
    });

    it("the slow-request alert links to X-Ray's search with its model's slow requests, and Slack shows the link", async () => {
        const groups = buildRuleGroups({
            metrics: VLLM_METRICS,
            slo: REFERENCE_SLO,
            job: "chat",
            runbookBaseUrl: "https://example.com/README.md",
            traces: { consoleUrl: xrayTracesConsoleUrl("eu-west-1") },
        });
        const latency = groups.flatMap((g) => g.rules).find((r) => r.alert === "LLMHighP95Latency")!;
        assert.deepEqual(latency.annotations, {
            summary: "p95 time to first token over 500 ms",
            description: "The 95th percentile of time to first token has been above 500 ms for 10 minutes.",
            runbook_url: "https://example.com/README.md#llmhighp95latency",
            traces_url: "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#xray:traces/query",
            traces_filter: 'service("chat") AND annotation.gen_ai_latency_time_to_first_token > 0.5',
        });
        // Only that alert.
        assert.equal(groups.flatMap((g) => g.rules).filter((r) => r.annotations?.traces_url !== undefined).length, 1);
        const { export: doc } = await planOf("prod");
        const rules = find(doc, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules-embed");
        const embed = (
            (rules.inputs!.spec as Values).groups as Array<{ rules: Array<{ alert?: string; annotations?: Values }> }>
        )
            .flatMap((g) => g.rules)
            .find((r) => r.alert === "LLMHighP95Latency")!;
        assert.match(String(embed.annotations!.traces_filter), /^service\("embed"\) AND /);
        assert.match(
            JSON.stringify(buildAlertmanagerConfig({ slackWebhookUrl: "https://hooks.slack.com/x" })),
            /\{\{ if \.Annotations\.traces_url \}\}Traces: \{\{ \.Annotations\.traces_url \}\} filtered by \{\{ \.Annotations\.traces_filter \}\}/,
        );
    });

    it("refuses traces from the stock vLLM image, which has no OpenTelemetry SDK and would not start", () => {
        const problems = validateBlueGreenEksServiceArgs("chat", {
            ...requiredServiceArgs(undefined as unknown as k8s.Provider, VLLM_IMAGE),
            tracing: { otlpEndpoint: "collector:4317" },
        });
        assert.deepEqual(
            problems.filter((p) => p.startsWith("tracing")),
            [
                'tracing.otlpEndpoint: expected an OTLP/gRPC address such as http://collector.tracing.svc.cluster.local:4317 (scheme, host and port), received "collector:4317"',
                `tracing: blue runs the stock vLLM image (${VLLM_IMAGE}), which has no OpenTelemetry SDK, and vLLM refuses to start with --otlp-traces-endpoint; run images/inference (InferenceImage) or leave tracing out`,
                `tracing: green runs the stock vLLM image (${VLLM_IMAGE}), which has no OpenTelemetry SDK, and vLLM refuses to start with --otlp-traces-endpoint; run images/inference (InferenceImage) or leave tracing out`,
            ],
        );
    });

    it("the system nodes hold the collector's pods and, with the logs, Fluent Bit on each node", () => {
        const base = { pods: 5, cpuM: 180, memoryMi: 104 };
        assert.deepEqual(systemDaemonSets({ logCollector: false }), base);
        assert.deepEqual(systemDaemonSets({ logCollector: true }), { pods: 6, cpuM: 230, memoryMi: 200 });
        const plan = systemPoolPlan({
            tier: "prod",
            serving: { platform: "eks", strategy: "blue-green", autoscaler: "keda", entryPoint: { enabled: true } },
            monitoring: {
                replicas: 2,
                prometheusResources: { cpuRequest: "1", memoryRequest: "4Gi" },
                logs: { enabled: true },
                tracing: { enabled: true },
            },
            modelRegistry: { enabled: true, replicas: 2 },
        })!;
        assert.equal(plan.traceCollectorReplicas, 2);
        assert.equal(plan.logCollector, true);
        assert.deepEqual(
            systemWorkloads(plan).find((w) => w.name === "trace-collector"),
            { name: "trace-collector", pods: 2, cpuM: 200, memoryMi: 512 },
        );
    });
});
