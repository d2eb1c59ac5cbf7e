/**
 * The model registry's monitoring: scraped on `/metrics` by the platform's Prometheus, its alert
 * rules (no server available; server errors) and its Grafana dashboard. Children of the ModelRegistry.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { RUNBOOK_BASE_URL } from "../../catalog/standards";
import type { RuleGroup } from "../k8s/alertRules";

/** The server's alerts: no server available (releases from the registry cannot start), and server errors. */
export function registryRuleGroups(namespace: string, runbookBaseUrl: string): RuleGroup[] {
    const runbook = (alert: string) => `${runbookBaseUrl}#${alert.toLowerCase()}`;
    return [
        {
            name: "llm-platform-model-registry",
            rules: [
                {
                    alert: "LLMRegistryUnavailable",
                    expr: `(sum(kube_deployment_status_replicas_available{namespace="${namespace}",deployment="mlflow"}) or vector(0)) < 1`,
                    for: "5m",
                    labels: { severity: "critical", service: "mlflow" },
                    annotations: {
                        summary: "The model registry has no available server",
                        description:
                            "No MLflow server pod is ready: a model pod that starts from a registered model cannot download its weights, so scale-ups and releases of those models fail, and retraining cannot register candidates.",
                        runbook_url: runbook("LLMRegistryUnavailable"),
                    },
                },
                {
                    alert: "LLMRegistryErrors",
                    expr: `sum(rate(mlflow_http_request_total{namespace="${namespace}",status=~"5.."}[5m])) / sum(rate(mlflow_http_request_total{namespace="${namespace}"}[5m])) > 0.05`,
                    for: "10m",
                    labels: { severity: "warning", service: "mlflow" },
                    annotations: {
                        summary:
                            "The model registry answers {{ $value | humanizePercentage }} of requests with a server error",
                        description:
                            "More than 5 % of MLflow's requests fail with 5xx for 10 minutes: look at the server's logs, then the database (RDS events, connections, storage).",
                        runbook_url: runbook("LLMRegistryErrors"),
                    },
                },
            ],
        },
    ];
}

/** The registry's dashboard: requests by status, latency, available servers. */
export function registryDashboard(namespace: string): Record<string, unknown> {
    const panel = (id: number, title: string, expr: string, y: number) => ({
        id,
        title,
        type: "timeseries",
        gridPos: { x: 0, y, w: 24, h: 8 },
        datasource: { type: "prometheus", uid: "prometheus" },
        targets: [{ expr, refId: "A" }],
    });
    return {
        uid: "llm-model-registry",
        title: "LLM platform / model registry",
        schemaVersion: 39,
        time: { from: "now-6h", to: "now" },
        panels: [
            panel(
                1,
                "Requests by status",
                `sum by (status) (rate(mlflow_http_request_total{namespace="${namespace}"}[5m]))`,
                0,
            ),
            panel(
                2,
                "p95 latency (s)",
                `histogram_quantile(0.95, sum by (le) (rate(mlflow_http_request_duration_seconds_bucket{namespace="${namespace}"}[5m])))`,
                8,
            ),
            panel(
                3,
                "Available servers",
                `sum(kube_deployment_status_replicas_available{namespace="${namespace}",deployment="mlflow"})`,
                16,
            ),
        ],
    };
}

/** The ServiceMonitor, the PrometheusRule and the dashboard's ConfigMap. */
export function createRegistryMonitoring(
    parent: pulumi.Resource,
    name: string,
    args: { provider: k8s.Provider; prometheusNamespace?: string; runbookBaseUrl?: string },
    server: { ns: string; nsName: pulumi.Output<string>; labels: Record<string, string> },
): void {
    const { ns, nsName, labels } = server;
    const k8sOpts = { parent, provider: args.provider };
    const prometheusNamespace = args.prometheusNamespace ?? "monitoring";
    // Scraped by the platform's Prometheus (it selects ServiceMonitors and rules in every namespace).
    new k8s.apiextensions.CustomResource(
        `${name}-metrics`,
        {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: { name: "mlflow", namespace: nsName },
            spec: {
                selector: { matchLabels: labels },
                endpoints: [{ port: "http", path: "/metrics", interval: "30s" }],
            },
        },
        k8sOpts,
    );
    new k8s.apiextensions.CustomResource(
        `${name}-rules`,
        {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { name: "llm-platform-model-registry", namespace: nsName },
            spec: {
                groups: registryRuleGroups(ns, args.runbookBaseUrl ?? RUNBOOK_BASE_URL),
            },
        },
        k8sOpts,
    );
    const dashboard = registryDashboard(ns);
    new k8s.core.v1.ConfigMap(
        `${name}-dashboard`,
        {
            metadata: {
                name: "llm-model-registry",
                namespace: prometheusNamespace,
                labels: { grafana_dashboard: "1" },
            },
            data: { "llm-model-registry.json": JSON.stringify(dashboard) },
        },
        k8sOpts,
    );
}
