import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { GPU_TOLERATION, LABELS } from "../../catalog/gpu";
import { renderAlertmanagerConfig, type AlertReceivers } from "./alertmanagerConfig";
import { REFERENCE_SLO, RUNBOOK_BASE_URL, type SloSettings } from "../../catalog/standards";
import { buildRuleGroups, MODEL_VERSION_POD_LABEL, VLLM_METRICS, type MetricNames } from "./alertRules";
import { buildDashboards } from "./dashboards";
import { assertValid } from "../validation";

export const KUBE_PROMETHEUS_STACK_VERSION = "79.8.2";
export const DCGM_EXPORTER_VERSION = "3.4.2";

export interface ScrapedService {
    /** The service's name; ServiceMonitor `<component>-<name>`, and the Prometheus `job`. */
    name: string;
    namespace: pulumi.Input<string>;
    /** Labels of the Services to scrape. */
    selector: Record<string, string>;
    /** Named Service port that serves /metrics. @default "http" */
    port?: string;
    /** This service's SLO (one model's). @default - the stack's `slo` */
    slo?: SloSettings;
}

/** The arguments of `MonitoringStack` (`new MonitoringStack(name, args, opts)`). */
export interface MonitoringStackArgs {
    /** Kubernetes provider of the cluster (EksCluster.provider). */
    provider: k8s.Provider;
    /** Namespace created for Prometheus, Alertmanager, Grafana and the DCGM exporter. @default "monitoring" */
    namespace?: string;
    /** Services whose /metrics Prometheus scrapes: one per model, each with its rules and dashboards (the first's include the platform's). */
    services: ScrapedService[];
    /** Metric names of the scraped services; the shipped image is vLLM. @default VLLM_METRICS */
    metrics?: MetricNames;
    /** The SLO the alert rules hold the services to (a service's own `slo` overrides it). @default REFERENCE_SLO */
    slo?: SloSettings;
    /** Alert receivers; the credentials should be secrets. @default {} (alerts are only visible in Alertmanager) */
    receivers?: pulumi.Input<AlertReceivers>;
    /** Days of metrics kept. @default 15 */
    retentionDays?: number;
    /** Size of each Prometheus volume (gp3, encrypted). @default 50 */
    storageGiB?: number;
    /** Prometheus and Alertmanager replicas. @default 1 */
    replicas?: number;
    /** Prometheus's CPU and memory. @default {cpuRequest: "500m", memoryRequest: "2Gi", memoryLimit: "8Gi"} */
    prometheusResources?: {
        /** Prometheus's CPU request. */
        cpuRequest: string;
        /** Prometheus's memory request. */
        memoryRequest: string;
        /** Prometheus's memory limit. */
        memoryLimit: string;
    };
    /** Where each alert's runbook link points (`#<alert in lower case>` is appended). @default "https://github.com/llm-platform/llm-platform/blob/main/docs/alerts.md" (RUNBOOK_BASE_URL) */
    runbookBaseUrl?: string;
    /** Where the services' traces are searched (TraceCollector to X-Ray): the slow-request alert links there. @default - no link */
    traces?: {
        /** The console's trace search (`xrayTracesConsoleUrl`). */
        consoleUrl: string;
    };
    /** Version of the kube-prometheus-stack chart. @default KUBE_PROMETHEUS_STACK_VERSION */
    chartVersion?: string;
    /** Version of the dcgm-exporter chart (NVIDIA's GPU metrics). @default DCGM_EXPORTER_VERSION */
    dcgmChartVersion?: string;
}

export function validateMonitoringStackArgs(args: Omit<MonitoringStackArgs, "provider">): string[] {
    const problems: string[] = [];
    if (args.services.length === 0) problems.push("services: expected at least one service to scrape");
    const names = args.services.map((s) => s.name);
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    if (twice.length > 0)
        problems.push(
            `services: expected a name per service (the job of its rules), received ${JSON.stringify(twice[0])} twice`,
        );
    const check = (field: string, value: number | undefined, min: number, max: number): void => {
        if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
            problems.push(`${field}: expected an integer between ${min} and ${max}, received ${value}`);
        }
    };
    check("retentionDays", args.retentionDays, 1, 3650);
    check("storageGiB", args.storageGiB, 10, 16384);
    check("replicas", args.replicas, 1, 5);
    return problems;
}

/** kube-prometheus-stack values: our ServiceMonitors and rules are picked up from every namespace. */
export function prometheusStackValues(options: {
    retentionDays: number;
    storageGiB: number;
    replicas: number;
    storageClass: pulumi.Input<string>;
    grafanaSecret: pulumi.Input<string>;
    resources: { cpuRequest: string; memoryRequest: string; memoryLimit: string };
    /** The Secret holding Alertmanager's whole configuration (key `alertmanager.yaml`). */
    alertmanagerConfigSecret: pulumi.Input<string>;
}): Record<string, unknown> {
    return {
        prometheus: {
            prometheusSpec: {
                retention: `${options.retentionDays}d`,
                replicas: options.replicas,
                serviceMonitorSelectorNilUsesHelmValues: false,
                podMonitorSelectorNilUsesHelmValues: false,
                ruleSelectorNilUsesHelmValues: false,
                resources: {
                    requests: { cpu: options.resources.cpuRequest, memory: options.resources.memoryRequest },
                    limits: { memory: options.resources.memoryLimit },
                },
                storageSpec: {
                    volumeClaimTemplate: {
                        spec: {
                            storageClassName: options.storageClass,
                            accessModes: ["ReadWriteOnce"],
                            resources: { requests: { storage: `${options.storageGiB}Gi` } },
                        },
                    },
                },
            },
        },
        alertmanager: {
            alertmanagerSpec: {
                replicas: options.replicas,
                resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                // The configuration, receivers' credentials included, lives in our own Secret: the
                // chart renders none of its own and ignores `alertmanager.config`, and these values
                // hold nothing secret, so every change to them shows in a plan's diff.
                useExistingSecret: true,
                configSecret: options.alertmanagerConfigSecret,
            },
        },
        // EKS runs the control plane out of reach: no scheduler, controller-manager or etcd pods to
        // scrape, and kube-proxy serves metrics on 127.0.0.1 only. Scraping them would only make
        // KubeSchedulerDown, KubeControllerManagerDown and KubeProxyDown (critical) fire forever;
        // disabling a component also drops its rules (docs/UPSTREAM.md).
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeEtcd: { enabled: false },
        kubeProxy: { enabled: false },
        grafana: {
            admin: { existingSecret: options.grafanaSecret, userKey: "admin-user", passwordKey: "admin-password" },
            sidecar: {
                dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" },
            },
        },
    };
}

/**
 * Monitoring for the inference platform on EKS: kube-prometheus-stack (Prometheus, Alertmanager,
 * Grafana) at a pinned chart version, the NVIDIA DCGM exporter on GPU nodes, a ServiceMonitor per
 * inference service, the production-standard alert rules, Alertmanager routes by severity, and
 * Grafana dashboards as code. Grafana's admin password is generated and kept secret.
 */
export class MonitoringStack extends pulumi.ComponentResource {
    /** The namespace the component created (`namespace`). */
    public readonly namespace: pulumi.Output<string>;
    /** Secret. */
    public readonly grafanaAdminPassword: pulumi.Output<string>;

    constructor(name: string, args: MonitoringStackArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:MonitoringStack", name, {}, opts);
        const problems = validateMonitoringStackArgs(args);
        assertValid(this, "MonitoringStack", name, problems);
        const k8sOpts = { parent: this, provider: args.provider };
        const metrics = args.metrics ?? VLLM_METRICS;

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            // node-exporter reads the host's network and process namespaces.
            {
                metadata: {
                    name: args.namespace ?? "monitoring",
                    labels: {
                        "pod-security.kubernetes.io/enforce": "privileged",
                        "app.kubernetes.io/managed-by": "pulumi",
                    },
                },
            },
            k8sOpts,
        );
        const ns = namespace.metadata.name;
        const password = new random.RandomPassword(
            `${name}-grafana-admin`,
            { length: 32, special: false },
            { parent: this },
        );
        const grafanaSecret = new k8s.core.v1.Secret(
            `${name}-grafana-admin`,
            {
                metadata: { name: "grafana-admin", namespace: ns },
                type: "Opaque",
                stringData: { "admin-user": "admin", "admin-password": password.result },
            },
            k8sOpts,
        );
        const storageClass = new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            {
                metadata: { name: `${args.namespace ?? "monitoring"}-gp3` },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true" },
                reclaimPolicy: "Retain",
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
            },
            k8sOpts,
        );
        // Receivers carry credentials: the whole configuration is a Secret the Alertmanager
        // resource names (`configSecret`); the operator reads its `alertmanager.yaml` key.
        const alertmanagerConfig = new k8s.core.v1.Secret(
            `${name}-alertmanager-config`,
            {
                metadata: { name: "llm-platform-alertmanager", namespace: ns },
                type: "Opaque",
                stringData: {
                    "alertmanager.yaml": pulumi.secret(
                        pulumi.output(args.receivers ?? {}).apply((r) => renderAlertmanagerConfig(r)),
                    ),
                },
            },
            k8sOpts,
        );
        new k8s.helm.v3.Release(
            `${name}-kube-prometheus-stack`,
            {
                chart: "kube-prometheus-stack",
                version: args.chartVersion ?? KUBE_PROMETHEUS_STACK_VERSION,
                repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
                namespace: ns,
                // Plain values: the policy pack checks the hardening the chart review relies on
                // (policies/charts.ts), and a plan's diff shows every change.
                values: prometheusStackValues({
                    retentionDays: args.retentionDays ?? 15,
                    storageGiB: args.storageGiB ?? 50,
                    replicas: args.replicas ?? 1,
                    storageClass: storageClass.metadata.name,
                    grafanaSecret: grafanaSecret.metadata.name,
                    resources: args.prometheusResources ?? {
                        cpuRequest: "500m",
                        memoryRequest: "2Gi",
                        memoryLimit: "8Gi",
                    },
                    alertmanagerConfigSecret: alertmanagerConfig.metadata.name,
                }),
                atomic: true,
                timeout: 900,
            },
            k8sOpts,
        );
        new k8s.helm.v3.Release(
            `${name}-dcgm-exporter`,
            {
                chart: "dcgm-exporter",
                version: args.dcgmChartVersion ?? DCGM_EXPORTER_VERSION,
                repositoryOpts: { repo: "https://nvidia.github.io/dcgm-exporter/helm-charts" },
                namespace: ns,
                values: {
                    nodeSelector: { [LABELS.accelerator]: "nvidia" },
                    tolerations: [GPU_TOLERATION],
                    serviceMonitor: { enabled: true, interval: "15s" },
                },
            },
            k8sOpts,
        );
        for (const service of args.services) {
            new k8s.apiextensions.CustomResource(
                `${name}-${service.name}`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata: { name: service.name, namespace: ns },
                    spec: {
                        jobLabel: "llm-platform/job",
                        // Each series names the model version its pod serves: drift compares a version with itself.
                        podTargetLabels: [MODEL_VERSION_POD_LABEL],
                        namespaceSelector: { matchNames: [service.namespace] },
                        selector: { matchLabels: service.selector },
                        endpoints: [
                            {
                                port: service.port ?? "http",
                                path: "/metrics",
                                interval: "15s",
                                relabelings: [{ targetLabel: "job", replacement: service.name }],
                            },
                        ],
                    },
                },
                k8sOpts,
            );
        }
        // The first service's rules and dashboards include the platform's (GPUs); every other
        // service (model) gets its own, labelled and titled by it, with its own SLO.
        args.services.forEach((service, i) => {
            const first = i === 0;
            new k8s.apiextensions.CustomResource(
                first ? `${name}-rules` : `${name}-rules-${service.name}`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PrometheusRule",
                    metadata: { name: first ? "llm-platform" : `llm-platform-${service.name}`, namespace: ns },
                    spec: {
                        // The service's own namespace: its autoscalers' series carry it.
                        groups: pulumi.output(service.namespace).apply((namespace) =>
                            buildRuleGroups({
                                metrics,
                                slo: service.slo ?? args.slo ?? REFERENCE_SLO,
                                job: service.name,
                                namespace,
                                scope: first ? "all" : "service",
                                traces: args.traces,
                                runbookBaseUrl: args.runbookBaseUrl ?? RUNBOOK_BASE_URL,
                            }),
                        ),
                    },
                },
                k8sOpts,
            );
            for (const d of buildDashboards(metrics, service.name, first ? "all" : "service")) {
                new k8s.core.v1.ConfigMap(
                    `${name}-${d.uid}`,
                    {
                        metadata: { name: d.uid, namespace: ns, labels: { grafana_dashboard: "1" } },
                        data: { [`${d.uid}.json`]: JSON.stringify(d.json) },
                    },
                    k8sOpts,
                );
            }
        });

        this.namespace = ns;
        this.grafanaAdminPassword = password.result;
        this.registerOutputs({ namespace: this.namespace, grafanaAdminPassword: this.grafanaAdminPassword });
    }
}
