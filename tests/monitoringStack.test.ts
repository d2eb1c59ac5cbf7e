import * as assert from "node:assert/strict";
import { REFERENCE_SLO } from "../catalog/standards";
import { buildRuleGroups, PLATFORM_ALERTS, REFERENCE_METRICS, VLLM_METRICS } from "../components/k8s/alertRules";
import { buildDashboards, DCGM_METRICS, FEEDBACK_METRIC, metricsIn } from "../components/k8s/dashboards";
import {
    DCGM_EXPORTER_VERSION,
    KUBE_PROMETHEUS_STACK_VERSION,
    prometheusStackValues,
    validateMonitoringStackArgs,
} from "../components/k8s/monitoringStack";
import { type RunResult } from "../tools/engine/run";
import { SECRET_SIG, SECRET_SIG_VALUE } from "../tools/engine/stackExport";
import { find } from "./helpers";
import { planOf } from "./plans";

describe("Grafana dashboards as code", () => {
    for (const [preset, metrics] of [
        ["reference", REFERENCE_METRICS],
        ["vllm", VLLM_METRICS],
    ] as const) {
        it(`(${preset} metrics) parse as JSON and query only metrics the rules read, the exporters define or the rules record`, () => {
            const rules = buildRuleGroups({
                metrics,
                slo: REFERENCE_SLO,
                job: "inference",
                runbookBaseUrl: "https://x",
            });
            const known = new Set([
                ...rules.flatMap((g) => g.rules.flatMap((r) => metricsIn(r.expr))),
                ...rules.flatMap((g) => g.rules.map((r) => r.record).filter((r): r is string => r !== undefined)),
                ...DCGM_METRICS,
                FEEDBACK_METRIC,
                "up",
            ]);
            for (const d of buildDashboards(metrics, "inference")) {
                const json = JSON.parse(JSON.stringify(d.json)) as {
                    uid: string;
                    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
                };
                assert.equal(json.uid, d.uid);
                assert.ok(json.panels.length >= 3, d.uid);
                for (const panel of json.panels) {
                    for (const target of panel.targets) {
                        for (const metric of metricsIn(target.expr)) {
                            const base = metric.replace(/_bucket$/, "");
                            assert.ok(
                                known.has(metric) || known.has(`${base}_bucket`),
                                `${d.uid} / ${panel.title}: ${metric} is not defined`,
                            );
                        }
                    }
                }
            }
        });
    }

    it("cover the service overview, GPUs and model quality", () => {
        const titles = buildDashboards(VLLM_METRICS, "inference").map((d) => [
            d.title,
            (d.json.panels as Array<{ title: string }>).map((p) => p.title),
        ]);
        assert.deepEqual(titles, [
            [
                "LLM service overview",
                [
                    "Requests per second",
                    "Latency (time to first token)",
                    "Error ratio",
                    "Tokens per second",
                    "Queue length",
                    "Scrape targets up",
                ],
            ],
            [
                "LLM GPUs",
                [
                    "GPU utilisation",
                    "GPU memory used",
                    "Power",
                    "Temperature",
                    "XID errors",
                    "Serving GPU utilisation (app)",
                ],
            ],
            ["LLM model quality", ["Hallucination rate", "Drift (KS distance to yesterday)", "Feedback rating"]],
        ]);
        // The reference app's drift job reports a gauge instead.
        assert.deepEqual(
            (buildDashboards(REFERENCE_METRICS, "inference")[2].json.panels as Array<{ title: string }>).map(
                (p) => p.title,
            ),
            ["Hallucination rate", "Drift detected", "Feedback rating"],
        );
        assert.deepEqual(
            metricsIn('histogram_quantile(0.95, sum by (le) (rate(x_bucket{job="a"}[5m]))) > 0.5 * y offset 1d'),
            ["x_bucket", "y"],
        );
    });
});

describe("kube-prometheus-stack values", () => {
    it("pick up ServiceMonitors, PodMonitors and rules from every namespace, with retention, replicas, storage and resources", () => {
        const values = prometheusStackValues({
            retentionDays: 30,
            storageGiB: 200,
            replicas: 2,
            storageClass: "monitoring-gp3",
            grafanaSecret: "grafana-admin",
            resources: { cpuRequest: "1", memoryRequest: "4Gi", memoryLimit: "12Gi" },
            alertmanagerConfigSecret: "llm-platform-alertmanager",
        }) as {
            prometheus: { prometheusSpec: Record<string, unknown> };
            alertmanager: Record<string, unknown>;
            grafana: Record<string, unknown>;
        };
        const spec = values.prometheus.prometheusSpec;
        assert.deepEqual(
            [
                spec.serviceMonitorSelectorNilUsesHelmValues,
                spec.podMonitorSelectorNilUsesHelmValues,
                spec.ruleSelectorNilUsesHelmValues,
            ],
            [false, false, false],
        );
        assert.deepEqual([spec.retention, spec.replicas], ["30d", 2]);
        assert.deepEqual(spec.resources, { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "12Gi" } });
        assert.deepEqual((spec.storageSpec as { volumeClaimTemplate: { spec: unknown } }).volumeClaimTemplate.spec, {
            storageClassName: "monitoring-gp3",
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "200Gi" } },
        });
        assert.deepEqual(values.alertmanager, {
            alertmanagerSpec: {
                replicas: 2,
                resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                useExistingSecret: true,
                configSecret: "llm-platform-alertmanager",
            },
        });
        assert.deepEqual(values.grafana, {
            admin: { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" },
            sidecar: {
                dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" },
            },
        });
    });
});

describe("MonitoringStack in the stacks", () => {
    let prod: RunResult;
    before(async () => {
        prod = await planOf("prod");
    });

    it("installs kube-prometheus-stack at a pinned version that picks up our monitors and rules, with prod retention and replicas", () => {
        const release = find(prod.export, "kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack");
        assert.equal(release.inputs?.version, KUBE_PROMETHEUS_STACK_VERSION);
        assert.equal(KUBE_PROMETHEUS_STACK_VERSION, "79.8.2");
    });

    it("keeps Alertmanager's configuration, receivers' credentials and all, in a Secret the release only names, so its values hold no secret", () => {
        const release = find(prod.export, "kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack");
        const values = release.inputs?.values as { alertmanager: { alertmanagerSpec: Record<string, unknown> } };
        const spec = values.alertmanager.alertmanagerSpec;
        assert.deepEqual([spec.useExistingSecret, spec.configSecret], [true, "llm-platform-alertmanager"]);
        assert.ok(!JSON.stringify(release.inputs).includes(SECRET_SIG), "nothing in the release's inputs is secret");
        const secret = find(prod.export, "kubernetes:core/v1:Secret", "monitoring-alertmanager-config");
        assert.deepEqual(secret.inputs?.metadata, { name: "llm-platform-alertmanager", namespace: "monitoring" });
        const data = secret.inputs?.stringData as Record<string, string>;
        assert.equal(data[SECRET_SIG], SECRET_SIG_VALUE);
        assert.match(data.fingerprint, /^sha256:[0-9a-f]{64}$/);
    });

    it("runs the DCGM exporter only on GPU nodes, tolerating their taint", () => {
        const dcgm = find(prod.export, "kubernetes:helm.sh/v3:Release", "monitoring-dcgm-exporter");
        assert.equal(dcgm.inputs?.version, DCGM_EXPORTER_VERSION);
        const values = dcgm.inputs?.values as Record<string, unknown>;
        assert.deepEqual(values.nodeSelector, { "llm-platform/accelerator": "nvidia" });
        assert.deepEqual(values.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
        assert.deepEqual(values.serviceMonitor, { enabled: true, interval: "15s" });
    });

    it("scrapes each model's /metrics and deploys its rule groups and dashboards, the platform's once", () => {
        for (const model of ["chat", "embed", "router"]) {
            const monitor = find(
                prod.export,
                "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
                `monitoring-${model}`,
            ).inputs?.spec as Record<string, unknown>;
            // The label the active and preview Services (or Flagger's primary and canary) carry.
            assert.deepEqual(monitor.selector, { matchLabels: { "llm-platform/metrics": model } });
            assert.deepEqual(monitor.namespaceSelector, { matchNames: [model] });
            assert.deepEqual((monitor.endpoints as Array<Record<string, unknown>>)[0].path, "/metrics");
        }
        const groups = (name: string) =>
            (
                find(prod.export, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", name).inputs?.spec as {
                    groups: Array<{ name: string; rules: Array<{ alert?: string; labels?: Record<string, string> }> }>;
                }
            ).groups;
        assert.deepEqual(
            groups("monitoring-rules").map((g) => g.name),
            ["llm-serving-recording", "llm-serving-slo", "llm-model-quality", "llm-capacity", "llm-model-drift"],
        );
        for (const model of ["embed", "router"]) {
            const own = groups(`monitoring-rules-${model}`);
            assert.deepEqual(
                own.map((g) => g.name),
                [
                    "llm-serving-recording",
                    "llm-serving-slo",
                    "llm-model-quality",
                    "llm-capacity",
                    "llm-model-drift",
                ].map((g) => `${g}-${model}`),
            );
            const alerts = own.flatMap((g) => g.rules).filter((r) => r.alert);
            // Every alert names its model; the GPU alerts are the first rules' only, drift is each model's own.
            assert.ok(alerts.every((r) => r.labels?.model === model && r.labels?.service === model));
            assert.deepEqual(
                alerts.filter((r) => PLATFORM_ALERTS.includes(r.alert!)).map((r) => r.alert),
                ["LLMModelDriftDetected"],
            );
        }
        const platform = groups("monitoring-rules")
            .flatMap((g) => g.rules)
            .filter((r) => PLATFORM_ALERTS.includes(r.alert ?? ""));
        assert.deepEqual(
            platform.map((r) => [r.alert, r.labels]).sort(),
            PLATFORM_ALERTS.map((a) => [
                a,
                a === "LLMModelDriftDetected"
                    ? { severity: "warning", service: "chat", model: "chat" }
                    : { severity: a === "LLMGPUXidErrors" ? "critical" : a === "LLMGPUIdle" ? "info" : "warning" },
            ]).sort(),
        );
        const dashboards = prod.export.deployment.resources.filter(
            (r) => r.type === "kubernetes:core/v1:ConfigMap" && r.urn.includes("MonitoringStack"),
        );
        assert.deepEqual(dashboards.map((d) => (d.inputs?.metadata as { name: string }).name).sort(), [
            "llm-gpus",
            "llm-model-quality",
            "llm-model-quality-embed",
            "llm-model-quality-router",
            "llm-service-overview",
            "llm-service-overview-embed",
            "llm-service-overview-router",
        ]);
    });

    it("generates Grafana's admin password and keeps it secret", () => {
        assert.equal(prod.outputs.grafanaAdminPassword, "[secret]");
        const secret = find(prod.export, "kubernetes:core/v1:Secret", "monitoring-grafana-admin");
        // The Kubernetes SDK keeps a Secret's data secret as a whole.
        assert.equal((secret.inputs?.stringData as Record<string, string>).ciphertext, "[secret]");
        assert.equal(
            find(prod.export, "random:index/randomPassword:RandomPassword", "monitoring-grafana-admin").inputs?.length,
            32,
        );
    });

    it("validates its arguments", () => {
        assert.deepEqual(validateMonitoringStackArgs({ services: [], retentionDays: 0, replicas: 9 }), [
            "services: expected at least one service to scrape",
            "retentionDays: expected an integer between 1 and 3650, received 0",
            "replicas: expected an integer between 1 and 5, received 9",
        ]);
    });
});
