/**
 * What the TraceCollector installs, as pure functions: the OpenTelemetry Collector's pipeline, the
 * chart's values and the IAM policy, tested without the engine. Upstream facts (chart templates,
 * the contrib distribution's components, the tail sampler's policies, the X-Ray exporter) are read
 * at the pinned versions: see docs/UPSTREAM.md, "OpenTelemetry Collector".
 */
import type * as pulumi from "@pulumi/pulumi";
import { restrictedContainerContext, restrictedPodContext } from "./workloadIdentity";

/** The chart (open-telemetry/opentelemetry-helm-charts, `charts/opentelemetry-collector`); its appVersion is 0.158.0. */
export const TRACE_COLLECTOR_CHART_VERSION = "0.170.0";
export const TRACE_COLLECTOR_REPO = "https://open-telemetry.github.io/opentelemetry-helm-charts";
/**
 * The contrib distribution (it has tail_sampling and awsxray; the chart sets no image since 0.88.0),
 * at the chart's appVersion. Its entry point is `/otelcol-contrib`, which the chart must be told.
 */
export const TRACE_COLLECTOR_IMAGE = { repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" } as const;
export const TRACE_COLLECTOR_COMMAND = "otelcol-contrib";
/** The contrib image's user (distributions/otelcol-contrib/Dockerfile: `USER 10001:10001`). */
export const TRACE_COLLECTOR_UID = 10001;

/** The Helm release name and `fullnameOverride`: the Deployment and Service are named this. */
export const TRACE_COLLECTOR_NAME = "trace-collector";
export const TRACE_COLLECTOR_SERVICE_ACCOUNT = "trace-collector";
/** The labels the chart puts on the collector's pods (selectorLabels and the deployment's component). */
export const TRACE_COLLECTOR_POD_LABELS = {
    "app.kubernetes.io/name": "opentelemetry-collector",
    "app.kubernetes.io/instance": TRACE_COLLECTOR_NAME,
    component: "standalone-collector",
} as const;
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
/** The health_check extension's port: the chart's liveness and readiness probes call it. */
export const HEALTH_CHECK_PORT = 13133;

/** The span vLLM emits per finished request, and the attributes the pipeline reads (vllm/tracing.py, v1/engine/output_processor.py). */
export const VLLM_REQUEST_SPAN = "llm_request";
export const TIME_TO_FIRST_TOKEN_ATTRIBUTE = "gen_ai.latency.time_to_first_token";
/**
 * What X-Ray indexes as annotations (filterable: `annotation.<key with '.' as '_'>`): the request
 * id, both latencies, and the model the serving side names in OTEL_RESOURCE_ATTRIBUTES (resource
 * attributes are indexed under `otel.resource.<key>`). The exporter keeps dots in annotation keys
 * by default (feature gate `exporter.xray.allowDot`, registered in v0.97.0, beta since contrib #32694), which X-Ray's documented
 * `annotation.<key>` filter syntax cannot name: {@link XRAY_FEATURE_GATES} turns the gate off.
 */
export const XRAY_INDEXED_ATTRIBUTES = [
    "gen_ai.request.id",
    TIME_TO_FIRST_TOKEN_ATTRIBUTE,
    "gen_ai.latency.e2e",
    "otel.resource.llm_platform.model",
] as const;

/** Requests and limit of one collector pod: tail sampling holds up to `num_traces` traces in memory. */
export const TRACE_COLLECTOR_RESOURCES = {
    requests: { cpu: "200m", memory: "512Mi" },
    limits: { memory: "1Gi" },
} as const;

export interface TraceSampling {
    /** Percent (0–100) of the traces that are neither errors nor slow, kept at random. */
    percentage: number;
    /** A trace whose `llm_request` span waited longer than this for its first token is always kept. */
    slowTimeToFirstTokenSeconds: number;
}

/** Where the kept traces go. */
export type TraceExporter =
    | { kind: "xray" }
    | {
          kind: "otlp";
          /** An OTLP/gRPC endpoint over TLS: `https://host:port`. */
          endpoint: string;
          /**
           * A header sent with every export, its value read from a Secret in the collector's
           * namespace (e.g. an API key). @default - no header
           */
          header?: { name: string; secretName: string; secretKey: string };
      };

/** The environment variable the OTLP exporter's header value is read from (`${env:...}` in the config). */
export const OTLP_HEADER_ENV = "OTLP_EXPORT_HEADER";

/** OTTL: the `llm_request` span waited longer than `seconds` for its first token (a double attribute). */
export function slowFirstTokenCondition(seconds: number): string {
    const literal = Number.isInteger(seconds) ? seconds.toFixed(1) : String(seconds);
    return `name == "${VLLM_REQUEST_SPAN}" and attributes["${TIME_TO_FIRST_TOKEN_ATTRIBUTE}"] > ${literal}`;
}

/**
 * The collector's configuration (the chart's `alternateConfig`: used whole, not merged with the
 * chart's default receivers, exporters and pipelines). One traces pipeline: OTLP in; the memory
 * limiter first; the tail sampler keeps every trace with an error, every slow one and a percentage
 * of the rest; batches; out to X-Ray or an OTLP backend.
 */
export function traceCollectorConfig(options: {
    region: pulumi.Input<string>;
    sampling: TraceSampling;
    exporter: TraceExporter;
}): Record<string, unknown> {
    const podAddress = (port: number): string => `\${env:MY_POD_IP}:${port}`;
    const exporters: Record<string, unknown> =
        options.exporter.kind === "xray"
            ? { awsxray: { region: options.region, indexed_attributes: [...XRAY_INDEXED_ATTRIBUTES] } }
            : {
                  otlp_grpc: {
                      endpoint: options.exporter.endpoint,
                      ...(options.exporter.header
                          ? { headers: { [options.exporter.header.name]: `\${env:${OTLP_HEADER_ENV}}` } }
                          : {}),
                  },
              };
    return {
        extensions: { health_check: { endpoint: podAddress(HEALTH_CHECK_PORT) } },
        receivers: {
            otlp: {
                protocols: {
                    grpc: { endpoint: podAddress(OTLP_GRPC_PORT) },
                    http: { endpoint: podAddress(OTLP_HTTP_PORT) },
                },
            },
        },
        processors: {
            // Percentages of the container's memory limit (cgroup), as the chart's own default.
            memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 25 },
            tail_sampling: {
                // vLLM sends its one span when the request finishes; a caller's spans of the same trace arrive within seconds.
                decision_wait: "10s",
                num_traces: 50000,
                policies: [
                    { name: "errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
                    {
                        name: "slow-first-token",
                        type: "ottl_condition",
                        ottl_condition: {
                            error_mode: "ignore",
                            span: [slowFirstTokenCondition(options.sampling.slowTimeToFirstTokenSeconds)],
                        },
                    },
                    {
                        name: "baseline",
                        type: "probabilistic",
                        probabilistic: { sampling_percentage: options.sampling.percentage },
                    },
                ],
            },
            batch: {},
        },
        exporters,
        service: {
            extensions: ["health_check"],
            pipelines: {
                traces: {
                    receivers: ["otlp"],
                    processors: ["memory_limiter", "tail_sampling", "batch"],
                    exporters: Object.keys(exporters),
                },
            },
        },
    };
}

/** The collector's flags with the X-Ray exporter: annotation keys with '_' for '.', as filters name them. */
export const XRAY_FEATURE_GATES = ["--feature-gates=-exporter.xray.allowDot"] as const;

/** The chart's values: a Deployment of the contrib image, hardened, on the given service account. */
export function traceCollectorValues(options: {
    region: pulumi.Input<string>;
    sampling: TraceSampling;
    exporter: TraceExporter;
    replicas: number;
}): Record<string, unknown> {
    const header = options.exporter.kind === "otlp" ? options.exporter.header : undefined;
    const disabled = { enabled: false };
    return {
        mode: "deployment",
        fullnameOverride: TRACE_COLLECTOR_NAME,
        image: { ...TRACE_COLLECTOR_IMAGE },
        command: {
            name: TRACE_COLLECTOR_COMMAND,
            extraArgs: options.exporter.kind === "xray" ? [...XRAY_FEATURE_GATES] : [],
        },
        alternateConfig: traceCollectorConfig(options),
        // The component makes the service account (with the IRSA annotation); the collector never
        // calls the Kubernetes API, so no API token is mounted (IRSA projects its own).
        serviceAccount: { create: false, name: TRACE_COLLECTOR_SERVICE_ACCOUNT, automountServiceAccountToken: false },
        // OTLP only: the chart's Jaeger and Zipkin ports would be open with nothing listening.
        ports: {
            "jaeger-compact": disabled,
            "jaeger-thrift": disabled,
            "jaeger-grpc": disabled,
            zipkin: disabled,
        },
        podSecurityContext: restrictedPodContext(TRACE_COLLECTOR_UID),
        securityContext: restrictedContainerContext(TRACE_COLLECTOR_UID),
        resources: structuredClone(TRACE_COLLECTOR_RESOURCES),
        replicaCount: options.replicas,
        // One replica may be drained at a time; with a single replica a budget would block every drain.
        podDisruptionBudget: options.replicas >= 2 ? { enabled: true, minAvailable: 1 } : { enabled: false },
        topologySpreadConstraints: [
            {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { ...TRACE_COLLECTOR_POD_LABELS } },
            },
        ],
        ...(header
            ? {
                  extraEnvs: [
                      {
                          name: OTLP_HEADER_ENV,
                          valueFrom: { secretKeyRef: { name: header.secretName, key: header.secretKey } },
                      },
                  ],
              }
            : {}),
    };
}

/**
 * What the awsxray exporter calls: PutTraceSegments (exporter/awsxrayexporter). PutTelemetryRecords
 * is called only with `telemetry.enabled`, which stays off. X-Ray's write actions take no resource.
 */
export function traceCollectorXrayPolicy(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "PutTraceSegments", Effect: "Allow", Action: ["xray:PutTraceSegments"], Resource: "*" }],
    });
}

/** `http://<service>.<namespace>.svc.cluster.local:<port>`: the chart's Service for the release. */
export function collectorUrl(namespace: string, port: number): string {
    return `http://${TRACE_COLLECTOR_NAME}.${namespace}.svc.cluster.local:${port}`;
}
