/**
 * The Helm charts the platform ships, reviewed at their pinned versions: a Helm release's rendered
 * workloads never reach the pack (the provider renders them inside the release), so the pack cannot
 * check their pods. What it can check faithfully is the release itself: that the chart is one we
 * read at this version, and that our values keep the hardening we read in the chart's templates and
 * defaults (docs/UPSTREAM.md, "Reviewed charts"). What the chart's pods do outside the production
 * standards, and must, is listed as an exemption with its reason; docs/policies.md
 * repeats them.
 *
 * Any other chart, version or values that undo the reviewed hardening gets a finding from
 * `k8s-workloads-visible`.
 */

type Values = Record<string, unknown>;

export interface ValueRule {
    /** Dotted path into the release's values. */
    path: string;
    /** What the value must be; undefined (unset, so the chart's reviewed default applies) is tested too. */
    test: (value: unknown) => boolean;
    /** What is expected, for the message. */
    expect: string;
}

export interface ReviewedChart {
    chart: string;
    version: string;
    repo: string;
    /** Where the templates and defaults were read. */
    source: string;
    rules: ValueRule[];
    /** What its pods do outside the production standards, and why that is accepted. */
    exemptions: string[];
}

const unset = (v: unknown): boolean => v === undefined || v === null;
const unsetOrEmpty = (v: unknown): boolean =>
    unset(v) || (typeof v === "object" && v !== null && Object.keys(v).length === 0);
const keepDefault = (path: string, why: string): ValueRule => ({
    path,
    test: unsetOrEmpty,
    expect: `left to the chart's default (${why})`,
});
/** JSON with every object's keys sorted: values arrive from the engine with keys in another order than written. */
const canonical = (v: unknown): string =>
    JSON.stringify(v, (_, x: unknown) =>
        typeof x === "object" && x !== null && !Array.isArray(x)
            ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
            : x,
    );
const is = (path: string, expected: unknown): ValueRule => ({
    path,
    test: (v) => canonical(v) === canonical(expected),
    expect: JSON.stringify(expected),
});
const notTrue = (path: string, why: string): ValueRule => ({
    path,
    test: (v) => v !== true,
    expect: `not true (${why})`,
});

export const REVIEWED_CHARTS: readonly ReviewedChart[] = [
    {
        chart: "cluster-autoscaler",
        version: "9.51.0",
        repo: "https://kubernetes.github.io/autoscaler",
        source: "kubernetes/autoscaler@cluster-autoscaler-chart-9.51.0 charts/cluster-autoscaler",
        rules: [
            is("securityContext.runAsNonRoot", true),
            is("securityContext.seccompProfile", { type: "RuntimeDefault" }),
            is("containerSecurityContext.allowPrivilegeEscalation", false),
            is("containerSecurityContext.readOnlyRootFilesystem", true),
            is("containerSecurityContext.capabilities", { drop: ["ALL"] }),
            {
                path: "image.tag",
                test: (v) => typeof v === "string" && /^v\d+\.\d+\.\d+$/.test(v),
                expect: "a release tag (vX.Y.Z)",
            },
        ],
        exemptions: [
            "no readinessProbe: the chart renders a livenessProbe (/health-check) only; the autoscaler serves no traffic",
        ],
    },
    {
        chart: "nvidia-device-plugin",
        version: "0.18.0",
        repo: "https://nvidia.github.io/k8s-device-plugin",
        source: "NVIDIA/k8s-device-plugin@v0.18.0 deployments/helm/nvidia-device-plugin",
        rules: [
            keepDefault(
                "securityContext",
                "empty, the chart renders allowPrivilegeEscalation: false and drops ALL capabilities",
            ),
            notTrue("compatWithCPUManager", "it makes the plugin privileged"),
            notTrue("gfd.enabled", "GPU feature discovery runs privileged"),
            {
                path: "config.map.default",
                test: (v) => unset(v) || (typeof v === "string" && /migStrategy:\s*none\b/.test(v)),
                expect: "migStrategy: none (other MIG strategies add SYS_ADMIN)",
            },
        ],
        exemptions: [
            "runs as root and mounts hostPath /var/lib/kubelet/device-plugins, the driver root and /var/run/cdi: a device plugin registers through the kubelet's root-owned socket and hands GPUs to containers",
            "no probes: the chart renders none; the kubelet sees a dead plugin as its GPUs leaving the node",
        ],
    },
    {
        chart: "dcgm-exporter",
        version: "3.4.2",
        repo: "https://nvidia.github.io/dcgm-exporter/helm-charts",
        source: "NVIDIA/dcgm-exporter@3.3.6-3.4.2 deployment",
        rules: [
            keepDefault("securityContext", "runAsUser 0 with SYS_ADMIN added, reviewed below"),
            keepDefault("podSecurityContext", "unset"),
            notTrue("hostNetwork", "the exporter is scraped through its Service"),
        ],
        exemptions: [
            "runs as root with the SYS_ADMIN capability: DCGM's profiling metrics (dcp-metrics-included.csv, e.g. DCGM_FI_PROF_GR_ENGINE_ACTIVE) need it",
            "mounts hostPath /var/lib/kubelet/pod-resources to map GPUs to pods",
            "liveness and readiness probes both call /health (the chart's choice)",
        ],
    },
    {
        chart: "keda",
        version: "2.20.2",
        repo: "https://kedacore.github.io/charts",
        source: "kedacore/charts@v2.20.2 keda (values.yaml, templates/manager, metrics-server, webhooks)",
        rules: [
            keepDefault(
                "securityContext",
                "operator, metrics server and webhooks: no privilege escalation, read-only root, drop ALL, RuntimeDefault seccomp",
            ),
            keepDefault("podSecurityContext", "runAsNonRoot: true for every pod"),
            notTrue(
                "operator.useHostNetwork",
                "the operator reaches Prometheus and the API server over the pod network",
            ),
            notTrue("metricsServer.useHostNetwork", "the API server reaches the metrics server through its Service"),
            notTrue("webhooks.useHostNetwork", "the API server reaches the webhooks through their Service"),
        ],
        exemptions: [],
    },
    {
        chart: "keda-add-ons-http",
        version: "0.15.0",
        repo: "https://kedacore.github.io/charts",
        source: "kedacore/charts@c4b92e9 http-add-on 0.15.0 (values.yaml, templates/interceptor, scaler, operator)",
        rules: [
            keepDefault(
                "securityContext",
                "interceptor, scaler and operator: no privilege escalation, not privileged, read-only root, drop ALL",
            ),
            // The chart's pod default sets only fsGroup and supplementalGroups; the restricted standard needs these.
            is("podSecurityContext.runAsNonRoot", true),
            is("podSecurityContext.seccompProfile", { type: "RuntimeDefault" }),
        ],
        exemptions: [],
    },
    {
        chart: "aws-load-balancer-controller",
        version: "3.5.0",
        repo: "https://aws.github.io/eks-charts",
        source: "kubernetes-sigs/aws-load-balancer-controller@v3.5.0 helm/aws-load-balancer-controller (published to aws/eks-charts)",
        rules: [
            is("securityContext.readOnlyRootFilesystem", true),
            is("securityContext.runAsNonRoot", true),
            is("securityContext.allowPrivilegeEscalation", false),
            is("securityContext.capabilities", { drop: ["ALL"] }),
            is("securityContext.seccompProfile", { type: "RuntimeDefault" }),
            notTrue("hostNetwork", "the API server reaches its webhooks through their Service"),
        ],
        exemptions: [],
    },
    {
        chart: "fluent-bit",
        version: "0.58.1",
        repo: "https://fluent.github.io/helm-charts",
        source: "fluent/helm-charts@fluent-bit-0.58.1 charts/fluent-bit (values.yaml, templates/_pod.tpl, daemonset.yaml, clusterrole.yaml)",
        rules: [
            is("kind", "DaemonSet"),
            is("securityContext.readOnlyRootFilesystem", true),
            is("securityContext.allowPrivilegeEscalation", false),
            is("securityContext.privileged", false),
            is("securityContext.capabilities", { drop: ["ALL"] }),
            is("securityContext.seccompProfile", { type: "RuntimeDefault" }),
            notTrue("hostNetwork", "Fluent Bit reaches CloudWatch Logs and the API server over the pod network"),
            notTrue("rbac.nodeAccess", "the kubernetes filter reads pods and namespaces from the API server"),
            notTrue("testFramework.enabled", "its test pod runs busybox:latest"),
            keepDefault("image", "cr.fluentbit.io/fluent/fluent-bit at the chart's appVersion 5.1.1"),
            keepDefault("extraContainers", "none"),
            keepDefault("initContainers", "none"),
            keepDefault("extraVolumes", "none"),
            {
                path: "daemonSetVolumes",
                test: (v) =>
                    canonical(v) ===
                    canonical([
                        { name: "varlog", hostPath: { path: "/var/log" } },
                        { name: "state", hostPath: { path: "/var/fluent-bit/state", type: "DirectoryOrCreate" } },
                    ]),
                expect: "the node's /var/log and /var/fluent-bit/state alone",
            },
            {
                path: "daemonSetVolumeMounts",
                test: (v) =>
                    canonical(v) ===
                    canonical([
                        { name: "varlog", mountPath: "/var/log", readOnly: true },
                        { name: "state", mountPath: "/var/fluent-bit/state" },
                    ]),
                expect: "/var/log read-only, the state folder read-write",
            },
        ],
        exemptions: [
            "runs as root (uid 0) with every capability dropped: the kubelet's container log files are root's, mode 0640, and root reads them as their owner",
            "mounts hostPath /var/log read-only (the container logs) and /var/fluent-bit/state read-write (its read positions and buffer, kept across restarts): its namespace enforces the privileged Pod Security level",
            "tolerates every taint: each node's logs are collected on that node, GPU nodes included",
        ],
    },
    {
        chart: "kube-prometheus-stack",
        version: "79.8.2",
        repo: "https://prometheus-community.github.io/helm-charts",
        source: "prometheus-community/helm-charts@kube-prometheus-stack-79.8.2 (with prometheus-node-exporter-4.49.2, kube-state-metrics-6.4.2)",
        rules: [
            keepDefault("prometheusOperator.securityContext", "non-root 65534, RuntimeDefault seccomp"),
            keepDefault(
                "prometheusOperator.containerSecurityContext",
                "no privilege escalation, read-only root, drops ALL",
            ),
            keepDefault("prometheusOperator.admissionWebhooks.patch.securityContext", "non-root 2000"),
            keepDefault("prometheus.prometheusSpec.securityContext", "non-root 1000, RuntimeDefault seccomp"),
            keepDefault("alertmanager.alertmanagerSpec.securityContext", "non-root 1000, RuntimeDefault seccomp"),
            keepDefault("kube-state-metrics.securityContext", "non-root 65534, RuntimeDefault seccomp"),
            keepDefault(
                "kube-state-metrics.containerSecurityContext",
                "no privilege escalation, read-only root, drops ALL",
            ),
            keepDefault("prometheus-node-exporter.securityContext", "non-root 65534"),
            keepDefault("grafana.securityContext", "the Grafana chart's non-root default"),
            keepDefault("grafana.containerSecurityContext", "the Grafana chart's default"),
        ],
        exemptions: [
            "prometheus-node-exporter runs with hostNetwork, hostPID and a read-only hostPath mount of / : it reports the node's own metrics",
        ],
    },
    {
        chart: "opentelemetry-collector",
        version: "0.170.0",
        repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
        source: "open-telemetry/opentelemetry-helm-charts@opentelemetry-collector-0.170.0 charts/opentelemetry-collector (values.yaml, templates/_pod.tpl, _config.tpl, NOTES.txt)",
        rules: [
            // The chart's pod and container contexts default to {}: the hardening is ours to set.
            is("podSecurityContext.runAsNonRoot", true),
            is("podSecurityContext.seccompProfile", { type: "RuntimeDefault" }),
            is("securityContext.runAsNonRoot", true),
            is("securityContext.allowPrivilegeEscalation", false),
            is("securityContext.readOnlyRootFilesystem", true),
            is("securityContext.capabilities", { drop: ["ALL"] }),
            {
                path: "mode",
                test: (v) => v === "deployment" || v === "statefulset",
                expect: `"deployment" or "statefulset" (a daemonset opens every enabled port as a hostPort)`,
            },
            {
                path: "image.tag",
                test: (v) => typeof v === "string" && /^\d+\.\d+\.\d+$/.test(v),
                expect: "a release tag (X.Y.Z)",
            },
            notTrue("hostNetwork", "clients reach the collector through its Service"),
            notTrue("hostPID", "the collector reads no host process"),
            notTrue(
                "presets.profiling.enabled",
                "it runs the pod as root with BPF and other capabilities, and hostPID",
            ),
            notTrue("presets.logsCollection.enabled", "it mounts hostPath /var/log/pods and may run as root"),
            notTrue("presets.annotationDiscovery.logs.enabled", "it mounts hostPath /var/log/pods"),
            notTrue("presets.hostMetrics.enabled", "it mounts the node's / through hostPath"),
            keepDefault("extraVolumes", "none: a hostPath volume would go unreviewed"),
            keepDefault("extraContainers", "none: a sidecar's context would go unreviewed"),
            keepDefault("initContainers", "none: an init container's context would go unreviewed"),
        ],
        exemptions: [],
    },
];

const get = (values: Values | undefined, path: string): unknown =>
    path.split(".").reduce<unknown>((node, key) => (node as Values | undefined)?.[key], values);

/**
 * What keeps a Helm release's workloads from counting as reviewed: [] when the chart and version
 * are in {@link REVIEWED_CHARTS}, it comes from the reviewed repository, and its values keep
 * every rule; otherwise one message per reason.
 */
export function reviewHelmRelease(props: Values): string[] {
    const chart = String(props.chart ?? "");
    const version = props.version === undefined ? undefined : String(props.version);
    const name = `chart "${chart}"${version ? ` ${version}` : ""}`;
    const reviewed = REVIEWED_CHARTS.filter((c) => c.chart === chart || chart.endsWith(`/${c.chart}`));
    if (reviewed.length === 0)
        return [
            `Helm release of ${name}: its workloads are rendered inside the release, where the pack cannot check them, and the chart is not reviewed in policies/charts.ts`,
        ];
    const entry = reviewed.find((c) => c.version === version);
    if (!entry)
        return [
            `Helm release of ${name}: reviewed only at ${reviewed.map((c) => c.version).join(", ")}; pin that version or review this one in policies/charts.ts`,
        ];
    const repo = (props.repositoryOpts as Values | undefined)?.repo;
    const problems: string[] = [];
    if (repo !== entry.repo) problems.push(`Helm release of ${name}: comes from ${String(repo)}, not ${entry.repo}`);
    const values = props.values as Values | undefined;
    if (values === undefined && entry.rules.length > 0) {
        problems.push(
            `Helm release of ${name}: its values cannot be read (secret or unknown), so the review cannot be checked`,
        );
        return problems;
    }
    for (const rule of entry.rules) {
        const value = get(values, rule.path);
        if (!rule.test(value))
            problems.push(
                `Helm release of ${name}: values.${rule.path} is ${value === undefined ? "unset" : JSON.stringify(value)}; the review expects ${rule.expect}`,
            );
    }
    return problems;
}
