/**
 * The trace pipeline's collector: the OpenTelemetry Collector (contrib distribution) from its Helm
 * chart at a pinned version, as a Deployment in a namespace of its own under the restricted Pod
 * Security Standard. vLLM exports one `llm_request` span per finished request over OTLP
 * (`--otlp-traces-endpoint`); the collector keeps every trace with an error, every trace whose
 * first token was slow and a percentage of the rest (tail sampling), and sends them to AWS X-Ray
 * (as an IRSA role that may only put trace segments) or to an OTLP backend. A NetworkPolicy admits
 * OTLP from the client namespaces only. The pipeline is built in ./traceCollectorConfig.
 *
 * Tail sampling decides per trace on one replica: every span of a trace must reach the same pod.
 * vLLM sends one span per request, so a trace that only vLLM writes is whole wherever it lands;
 * a caller that sends its own spans of the same trace here needs a trace-id-aware load balancer
 * (the loadbalancing exporter) in front, which this component does not install.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TRACING_NAMESPACE } from "../../catalog/reserved";
import { assertValid } from "../validation";
import {
    collectorUrl,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    TRACE_COLLECTOR_CHART_VERSION,
    TRACE_COLLECTOR_NAME,
    TRACE_COLLECTOR_POD_LABELS,
    TRACE_COLLECTOR_REPO,
    TRACE_COLLECTOR_SERVICE_ACCOUNT,
    traceCollectorValues,
    traceCollectorXrayPolicy,
    type TraceExporter,
    type TraceSampling,
} from "./traceCollectorConfig";
import { createIrsaRole, createRestrictedNamespace } from "./workloadIdentity";

export type { TraceExporter, TraceSampling } from "./traceCollectorConfig";

/** The arguments of `TraceCollector` (`new TraceCollector(name, args, opts)`). */
export interface TraceCollectorArgs {
    provider: k8s.Provider;
    /** The region X-Ray receives the traces in (the exporter does not ask the instance metadata service). */
    region: pulumi.Input<string>;
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** @default "tracing" */
    namespace?: string;
    /** Namespaces whose pods may send OTLP to the collector (the inference services'). */
    clientNamespaces: string[];
    /** Which traces are kept: the tier's percentage of ordinary traces, and what counts as slow. */
    sampling: TraceSampling;
    /** @default { kind: "xray" } */
    exporter?: TraceExporter;
    /** Collector pods; 2 or more get a PodDisruptionBudget (one may be drained at a time). @default 2 */
    replicas?: number;
    /** @default TRACE_COLLECTOR_CHART_VERSION */
    chartVersion?: string;
    /** Tags for the IAM role. @default {} */
    tags?: Record<string, string>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Every problem with the arguments known at construction, one message each. */
export function validateTraceCollectorArgs(args: Omit<TraceCollectorArgs, "provider">): string[] {
    const problems: string[] = [];
    const namespace = args.namespace ?? TRACING_NAMESPACE;
    if (!DNS_LABEL.test(namespace))
        problems.push(
            `namespace: expected a Kubernetes namespace name (lowercase letters, digits and '-', at most 63), received ${JSON.stringify(args.namespace)}`,
        );
    if (args.clientNamespaces.length === 0)
        problems.push(
            "clientNamespaces: expected at least one namespace whose pods send traces (the inference services' namespaces), received []",
        );
    for (const n of args.clientNamespaces)
        if (!DNS_LABEL.test(n))
            problems.push(
                `clientNamespaces: expected Kubernetes namespace names, received ${JSON.stringify(n)}; use the namespace's metadata.name`,
            );
    const { percentage, slowTimeToFirstTokenSeconds: slow } = args.sampling;
    if (!Number.isFinite(percentage) || percentage < 0 || percentage > 100)
        problems.push(
            `sampling.percentage: expected a percent from 0 to 100 of ordinary traces to keep, received ${JSON.stringify(percentage)}`,
        );
    if (!Number.isFinite(slow) || slow < 0.01 || slow > 600)
        problems.push(
            `sampling.slowTimeToFirstTokenSeconds: expected seconds from 0.01 to 600 (e.g. the tier's time-to-first-token SLO), received ${JSON.stringify(slow)}`,
        );
    const exporter = args.exporter;
    if (exporter?.kind === "otlp") {
        if (!/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(exporter.endpoint))
            problems.push(
                `exporter.endpoint: expected an OTLP/gRPC endpoint over TLS such as https://otlp.example.com:4317 (no path), received ${JSON.stringify(exporter.endpoint)}`,
            );
        const header = exporter.header;
        if (header && !/^[a-z0-9-]+$/.test(header.name))
            problems.push(
                `exporter.header.name: expected a lowercase HTTP header name such as "authorization", received ${JSON.stringify(header.name)}`,
            );
        if (header && !DNS_LABEL.test(header.secretName))
            problems.push(
                `exporter.header.secretName: expected the name of a Secret in the collector's namespace, received ${JSON.stringify(header.secretName)}`,
            );
    } else if (exporter !== undefined && exporter.kind !== "xray") {
        problems.push(
            `exporter.kind: expected "xray" or "otlp", received ${JSON.stringify((exporter as { kind: unknown }).kind)}`,
        );
    }
    if (args.replicas !== undefined && (!Number.isInteger(args.replicas) || args.replicas < 1))
        problems.push(
            `replicas: expected a whole number of collector pods >= 1 (2 or more in production), received ${JSON.stringify(args.replicas)}`,
        );
    if (args.chartVersion !== undefined && !/^\d+\.\d+\.\d+$/.test(args.chartVersion))
        problems.push(
            `chartVersion: expected an exact version such as ${TRACE_COLLECTOR_CHART_VERSION}, received ${JSON.stringify(args.chartVersion)}`,
        );
    return problems;
}

/**
 * The OpenTelemetry Collector for vLLM's traces: `otlpGrpcEndpoint` is what vLLM's
 * `--otlp-traces-endpoint` takes (plain gRPC inside the cluster; the NetworkPolicy admits only
 * `clientNamespaces`).
 */
export class TraceCollector extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    /** `http://trace-collector.<namespace>.svc.cluster.local:4317` (OTLP/gRPC, vLLM's default). */
    public readonly otlpGrpcEndpoint: pulumi.Output<string>;
    /** `http://trace-collector.<namespace>.svc.cluster.local:4318` (OTLP/HTTP; add `/v1/traces`). */
    public readonly otlpHttpEndpoint: pulumi.Output<string>;
    /** The collector's IAM role (X-Ray); undefined when it exports to an OTLP backend. */
    public readonly roleArn: pulumi.Output<string> | undefined;

    constructor(name: string, args: TraceCollectorArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:TraceCollector", name, {}, opts);
        assertValid(this, "TraceCollector", name, validateTraceCollectorArgs(args));
        const namespaceName = args.namespace ?? TRACING_NAMESPACE;
        const exporter = args.exporter ?? { kind: "xray" };
        const replicas = args.replicas ?? 2;
        const tags = args.tags ?? {};
        const k8sOpts = { parent: this, provider: args.provider };

        let role: aws.iam.Role | undefined;
        if (exporter.kind === "xray") {
            role = createIrsaRole(
                name,
                {
                    namespace: namespaceName,
                    serviceAccount: TRACE_COLLECTOR_SERVICE_ACCOUNT,
                    description: `${name}: the OpenTelemetry Collector puts trace segments into X-Ray`,
                    oidcProviderArn: args.oidcProviderArn,
                    oidcIssuerUrl: args.oidcIssuerUrl,
                    tags,
                },
                this,
            );
            new aws.iam.RolePolicy(
                `${name}-xray`,
                { role: role.id, policy: traceCollectorXrayPolicy() },
                { parent: this },
            );
        }
        const { namespace, serviceAccount } = createRestrictedNamespace(
            name,
            { namespace: namespaceName, serviceAccount: TRACE_COLLECTOR_SERVICE_ACCOUNT, roleArn: role?.arn },
            k8sOpts,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-ingress`,
            {
                metadata: { name: `${TRACE_COLLECTOR_NAME}-ingress`, namespace: namespace.metadata.name },
                spec: {
                    podSelector: { matchLabels: { ...TRACE_COLLECTOR_POD_LABELS } },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: args.clientNamespaces.map((n) => ({
                                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
                            })),
                            ports: [
                                { port: OTLP_GRPC_PORT, protocol: "TCP" },
                                { port: OTLP_HTTP_PORT, protocol: "TCP" },
                            ],
                        },
                    ],
                },
            },
            k8sOpts,
        );
        new k8s.helm.v3.Release(
            name,
            {
                // The release name is the pods' app.kubernetes.io/instance label, which the NetworkPolicy selects.
                name: TRACE_COLLECTOR_NAME,
                chart: "opentelemetry-collector",
                version: args.chartVersion ?? TRACE_COLLECTOR_CHART_VERSION,
                repositoryOpts: { repo: TRACE_COLLECTOR_REPO },
                namespace: namespace.metadata.name,
                values: traceCollectorValues({ region: args.region, sampling: args.sampling, exporter, replicas }),
                atomic: true,
                cleanupOnFail: true,
            },
            { ...k8sOpts, dependsOn: [serviceAccount] },
        );

        this.namespace = namespace.metadata.name;
        this.otlpGrpcEndpoint = namespace.metadata.name.apply((n) => collectorUrl(n, OTLP_GRPC_PORT));
        this.otlpHttpEndpoint = namespace.metadata.name.apply((n) => collectorUrl(n, OTLP_HTTP_PORT));
        this.roleArn = role?.arn;
        this.registerOutputs({
            namespace: this.namespace,
            otlpGrpcEndpoint: this.otlpGrpcEndpoint,
            otlpHttpEndpoint: this.otlpHttpEndpoint,
            roleArn: this.roleArn,
        });
    }
}
