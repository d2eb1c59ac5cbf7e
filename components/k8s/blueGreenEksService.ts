import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { irsaTrustPolicy } from "../aws/iam";
import { VLLM_METRICS, type MetricNames } from "./alertRules";
import { DEFAULT_CANARY, type CanaryAnalysis } from "../../catalog/standards";
import { buildCanarySpec, buildMetricTemplates, validateCanary } from "./canary";
import { FLAGGER_NAMESPACE, GATEWAY_NAMESPACE } from "./canaryDelivery";
import {
    buildDeploymentSpec,
    COLORS,
    DEFAULT_RESOURCES,
    modelPathOf,
    other,
    podLabels,
    validateRelease,
    validateWorkload,
    type Color,
    type Resources,
    type TargetPool,
    type WorkloadSpec,
} from "./inferenceWorkload";
import { assertValid } from "../validation";
import { LIVENESS_PATH, READINESS_PATH } from "../../catalog/vllm";

export interface ColorRelease {
    /** Image by digest (checked here when known at construction, e.g. from config). */
    image: pulumi.Input<string>;
    /** Model version directory under the bucket's models/ prefix. */
    modelVersion: string;
}

export interface QueueLengthMetric {
    /** A per-pod metric served by a custom metrics adapter, e.g. `llm_inference_queue_length`. */
    name: string;
    /** Average value per pod to hold. */
    averageValue: string;
}

/**
 * Minutes Pulumi waits for a Deployment beyond the model's startup budget: a GPU node from the
 * autoscaler (about 5), the multi-gigabyte vLLM image pulled and the weights synced (about 10).
 */
export const ROLLOUT_MARGIN_MINUTES = 20;

export interface BlueGreenEksServiceArgs {
    /** Kubernetes provider of the cluster (EksCluster.provider). */
    provider: k8s.Provider;
    /** The GPU pool to run on (a GpuNodePool, or its capacity, selector and tolerations). */
    pool: TargetPool;
    /** The cluster's OIDC provider, for the service account's IAM role. */
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** The model bucket's name and its read-only policy (ModelArtifactBucket). */
    modelBucketName: pulumi.Input<string>;
    modelReadPolicyArn: pulumi.Input<string>;
    /** What each colour runs. */
    blue: ColorRelease;
    green: ColorRelease;
    /**
     * The colour the active Service sends traffic to; promotion flips it.
     * @default "blue"
     */
    activeColor?: Color;
    /**
     * Scale the inactive colour to zero instead of keeping it warm for rollback.
     * @default false
     */
    scaleDownInactive?: boolean;
    /**
     * `blue-green` (two Deployments, flip the Service) or `canary` (Flagger shifts traffic by analysis).
     * @default "blue-green"
     */
    strategy?: "blue-green" | "canary";
    /** Canary analysis (strategy canary). @default - 1m interval, threshold 5, max weight 50, step 10, success ≥ 99 %, p95 latency ≤ 500 ms */
    canary?: Partial<CanaryAnalysis>;
    /**
     * Where the canary strategy runs (a CanaryDelivery: Flagger, the gateway, the load tester).
     * Required with `strategy: "canary"`.
     */
    canaryDelivery?: {
        gateway: { name: string; namespace: string };
        loadtesterUrl: string;
        metricsServer: string;
        ready: pulumi.Resource[];
    };
    /** Metric names the image emits, for the canary analysis. @default VLLM_METRICS */
    metrics?: MetricNames;
    /**
     * Namespace created for the service.
     * @default - the component name
     */
    namespace?: string;
    /** Replicas of the active colour (the autoscaler's floor). @default 3 */
    replicas?: number;
    /** The autoscaler's ceiling. @default - twice replicas */
    maxReplicas?: number;
    /** Lowest replicas the tier accepts. @default 1 */
    minReplicas?: number;
    /** GPUs per pod (requests equal limits). @default 1 */
    gpus?: number;
    /** CPU and memory. @default {cpuRequest: "4", cpuLimit: "8", memoryRequest: "16Gi", memoryLimit: "24Gi"} */
    resources?: Resources;
    /** @default 8000 */
    containerPort?: number;
    /** @default - containerPort */
    probePort?: number;
    /** Liveness and startup probe path. @default "/health" (vLLM: the engine is alive) */
    healthPath?: string;
    /** Readiness probe path. @default "/v1/models" (vLLM: the model is loaded and the API answers) */
    readyPath?: string;
    /** Longest model load before liveness applies. @default 600 */
    startupTimeoutSeconds?: number;
    /** @default 10001 */
    runAsUser?: number;
    /** @default "INFO" */
    logLevel?: string;
    /** Seconds to drain in-flight requests on shutdown. @default 30 */
    drainSeconds?: number;
    /** CPU utilisation the autoscaler holds, when no queue metric is set. @default 70 */
    targetCpuUtilization?: number;
    /** Scale on a queue-length metric instead of CPU (needs a custom metrics adapter). @default - CPU */
    queueLengthMetric?: QueueLengthMetric;
    /** Namespaces whose pods may call the service (ingress controllers). @default ["ingress-nginx"] */
    ingressNamespaces?: string[];
    /** Address ranges that may call the service (load balancers with IP targets). @default [] */
    ingressCidrs?: string[];
    /** Namespace of Prometheus, allowed to scrape. @default "monitoring" */
    prometheusNamespace?: string;
    /** Image that syncs weights from S3 before the server starts. @default "public.ecr.aws/aws-cli/aws-cli:2.22.35" */
    modelSyncImage?: string;
    /** Size of the weights volume. @default 100 */
    modelCacheSizeGiB?: number;
    /** Tags for AWS resources. @default {} */
    tags?: Record<string, string>;
}

/** What the stacks and the promote command read back. */
export interface ServiceEndpoints {
    activeService: pulumi.Output<string>;
    previewService: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
}

/**
 * An inference service on EKS with blue-green releases: a namespace, a service account on an IAM
 * role that may only read the model bucket, a Deployment per colour (GPU requests equal limits,
 * probes, non-root read-only pods, zone spread, drained shutdown), an active Service on the
 * active colour and a preview Service on the other, a PodDisruptionBudget and autoscaler per live
 * colour, and a NetworkPolicy. Promotion flips `activeColor`. Or a Flagger canary instead.
 */
export class BlueGreenEksService extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    /** Service name of the active colour (or Flagger's primary). */
    public readonly activeService: pulumi.Output<string>;
    /** Service name of the inactive colour (or Flagger's canary). */
    public readonly previewService: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly activeColor: Color;
    /** Labels of the Services a ServiceMonitor should select to scrape every inference pod once. */
    public readonly metricsSelector: Record<string, string>;

    constructor(name: string, args: BlueGreenEksServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:BlueGreenEksService", name, {}, opts);
        const active = args.activeColor ?? "blue";
        const strategy = args.strategy ?? "blue-green";
        const replicas = args.replicas ?? 3;
        const maxReplicas = args.maxReplicas ?? replicas * 2;
        const namespaceName = args.namespace ?? name;
        const containerPort = args.containerPort ?? 8000;
        const modelSource = pulumi.interpolate`s3://${args.modelBucketName}/models`;
        // Only the image and the bucket are outputs; the rest of each pod spec is known in a preview.
        const base = (release: ColorRelease): WorkloadSpec => ({
            name,
            image: release.image,
            modelVersion: release.modelVersion,
            modelSource,
            gpus: args.gpus ?? 1,
            resources: args.resources ?? DEFAULT_RESOURCES,
            containerPort,
            probePort: args.probePort ?? containerPort,
            healthPath: args.healthPath ?? LIVENESS_PATH,
            readyPath: args.readyPath ?? READINESS_PATH,
            startupTimeoutSeconds: args.startupTimeoutSeconds ?? 600,
            runAsUser: args.runAsUser ?? 10001,
            logLevel: args.logLevel ?? "INFO",
            drainSeconds: args.drainSeconds ?? 30,
            serviceAccountName: name,
            pool: args.pool,
            modelSyncImage: args.modelSyncImage ?? "public.ecr.aws/aws-cli/aws-cli:2.22.35",
            modelCacheSizeGiB: args.modelCacheSizeGiB ?? 100,
        });
        const problems = [
            ...validateWorkload(base(args.blue), replicas, args.minReplicas ?? 1),
            ...COLORS.flatMap((c) => {
                const { image, modelVersion } = args[c];
                // An image from an output (the built one) is a digest by construction; one from config is checked.
                return validateRelease({ image: typeof image === "string" ? image : undefined, modelVersion }).map(
                    (p) => `${c}.${p}`,
                );
            }),
        ];
        if (strategy === "canary") problems.push(...validateCanary({ ...DEFAULT_CANARY, ...args.canary }));
        if (strategy === "canary" && !args.canaryDelivery)
            problems.push(
                "canaryDelivery: required with strategy canary (a CanaryDelivery: Flagger, the gateway and the load tester)",
            );
        if (!Number.isInteger(maxReplicas) || maxReplicas < replicas)
            problems.push(`maxReplicas: expected an integer >= replicas (${replicas}), received ${maxReplicas}`);
        assertValid(this, "BlueGreenEksService", name, problems);

        const tags = args.tags ?? {};
        const k8sOpts = { parent: this, provider: args.provider };
        const role = new aws.iam.Role(
            `${name}-irsa`,
            {
                description: `${name} pods: read the model bucket`,
                assumeRolePolicy: pulumi
                    .all([args.oidcProviderArn, args.oidcIssuerUrl])
                    .apply(([arn, url]) => irsaTrustPolicy(arn, url, namespaceName, name)),
                tags,
            },
            { parent: this },
        );
        new aws.iam.RolePolicyAttachment(
            `${name}-irsa-read`,
            { role: role.name, policyArn: args.modelReadPolicyArn },
            { parent: this },
        );

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: namespaceName,
                    labels: {
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "app.kubernetes.io/managed-by": "pulumi",
                    },
                },
            },
            k8sOpts,
        );
        const ns = namespace.metadata.name;
        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            {
                metadata: { name, namespace: ns, annotations: { "eks.amazonaws.com/role-arn": role.arn } },
                automountServiceAccountToken: false,
            },
            k8sOpts,
        );
        // The ServiceMonitor selects Services by this label: active and preview (blue-green), or
        // Flagger's primary and canary, each of which selects its own pods exactly once.
        const metricsLabel = { "llm-platform/metrics": name };
        const selectorOf = (color: Color): Record<string, string> => {
            const { ["app.kubernetes.io/component"]: _component, ...selector } = podLabels(name, color);
            return selector;
        };
        const service = (suffix: string, color: Color | undefined): k8s.core.v1.Service =>
            new k8s.core.v1.Service(
                `${name}-${suffix}`,
                {
                    metadata: {
                        name: `${name}-${suffix}`,
                        namespace: ns,
                        labels: { "app.kubernetes.io/name": name, "llm-platform/role": suffix, ...metricsLabel },
                    },
                    spec: {
                        type: "ClusterIP",
                        selector: color ? selectorOf(color) : { "app.kubernetes.io/name": name },
                        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
                    },
                },
                { ...k8sOpts, dependsOn: [serviceAccount] },
            );

        const colors: Color[] = strategy === "canary" ? [active] : [...COLORS];
        const rolloutTimeout = `${Math.ceil((args.startupTimeoutSeconds ?? 600) / 60) + ROLLOUT_MARGIN_MINUTES}m`;
        for (const color of colors) {
            const live = strategy === "canary" || color === active || !(args.scaleDownInactive ?? false);
            const deploymentName = strategy === "canary" ? name : `${name}-${color}`;
            const spec = buildDeploymentSpec(base(args[color]), color, live ? undefined : 0);
            const deployment = new k8s.apps.v1.Deployment(
                `${name}-${color}`,
                { metadata: { name: deploymentName, namespace: ns, labels: podLabels(name, color) }, spec },
                {
                    ...k8sOpts,
                    dependsOn: [serviceAccount],
                    // Pulumi waits for the rollout: a GPU node to be added, the image pulled, the
                    // weights synced and the model loaded; its 10-minute default is too short.
                    customTimeouts: { create: rolloutTimeout, update: rolloutTimeout },
                },
            );
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-${color}`,
                {
                    metadata: { name: deploymentName, namespace: ns },
                    // Not app.kubernetes.io/name, which Flagger rewrites on its primary's pods.
                    spec: {
                        maxUnavailable: 1,
                        selector: {
                            matchLabels: { "app.kubernetes.io/component": "inference", "llm-platform/color": color },
                        },
                    },
                },
                k8sOpts,
            );
            if (live) {
                const metric = args.queueLengthMetric
                    ? {
                          type: "Pods",
                          pods: {
                              metric: { name: args.queueLengthMetric.name },
                              target: { type: "AverageValue", averageValue: args.queueLengthMetric.averageValue },
                          },
                      }
                    : {
                          type: "Resource",
                          resource: {
                              name: "cpu",
                              target: { type: "Utilization", averageUtilization: args.targetCpuUtilization ?? 70 },
                          },
                      };
                new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                    `${name}-${color}`,
                    {
                        metadata: { name: deploymentName, namespace: ns },
                        spec: {
                            scaleTargetRef: {
                                apiVersion: "apps/v1",
                                kind: "Deployment",
                                name: deployment.metadata.name,
                            },
                            minReplicas: replicas,
                            // The warm inactive colour serves no production traffic: it keeps
                            // `replicas` for rollback and may not grow (the capacity check counts on it).
                            maxReplicas: strategy === "canary" || color === active ? maxReplicas : replicas,
                            metrics: [metric],
                            // GPU pods take minutes to start: scale up promptly, down slowly.
                            behavior: {
                                scaleDown: {
                                    stabilizationWindowSeconds: 600,
                                    policies: [{ type: "Pods", value: 1, periodSeconds: 300 }],
                                },
                            },
                        },
                    },
                    k8sOpts,
                );
            }
            if (strategy === "canary" && args.canaryDelivery) {
                const delivery = args.canaryDelivery;
                const targets = {
                    name,
                    namespace: namespaceName,
                    deployment: deploymentName,
                    port: containerPort,
                    readyPath: args.readyPath ?? READINESS_PATH,
                    modelName: modelPathOf(args[color].modelVersion),
                    gateway: delivery.gateway,
                    loadtesterUrl: delivery.loadtesterUrl,
                    metricsServer: delivery.metricsServer,
                    metrics: args.metrics ?? VLLM_METRICS,
                    metricsLabel,
                };
                const templates = buildMetricTemplates(targets).map(
                    (t) =>
                        new k8s.apiextensions.CustomResource(
                            t.name,
                            {
                                apiVersion: "flagger.app/v1beta1",
                                kind: "MetricTemplate",
                                metadata: { name: t.name, namespace: ns },
                                spec: t.spec,
                            },
                            { ...k8sOpts, dependsOn: delivery.ready },
                        ),
                );
                new k8s.apiextensions.CustomResource(
                    `${name}-canary`,
                    {
                        apiVersion: "flagger.app/v1beta1",
                        kind: "Canary",
                        metadata: { name, namespace: ns },
                        spec: buildCanarySpec(targets, args.canary),
                    },
                    { ...k8sOpts, dependsOn: [deployment, ...templates, ...delivery.ready] },
                );
            }
        }

        if (strategy === "blue-green") {
            const activeService = service("active", active);
            const previewService = service("preview", other(active));
            this.activeService = activeService.metadata.name;
            this.previewService = previewService.metadata.name;
        } else {
            // Flagger creates <name>-primary (stable) and <name>-canary (new release) Services.
            this.activeService = pulumi.output(`${name}-primary`);
            this.previewService = pulumi.output(`${name}-canary`);
        }

        new k8s.networking.v1.NetworkPolicy(
            `${name}-ingress`,
            {
                metadata: { name: `${name}-ingress`, namespace: ns },
                spec: {
                    // Every inference pod of the namespace: both colours, and Flagger's primary, whose
                    // app.kubernetes.io/name Flagger rewrites to <name>-primary.
                    podSelector: { matchLabels: { "app.kubernetes.io/component": "inference" } },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [
                                ...[
                                    ...(args.ingressNamespaces ?? ["ingress-nginx"]),
                                    // The gateway's Envoy proxies and Flagger's load tester.
                                    ...(strategy === "canary" ? [GATEWAY_NAMESPACE, FLAGGER_NAMESPACE] : []),
                                ].map((n) => ({
                                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
                                })),
                                ...(args.ingressCidrs ?? []).map((cidr) => ({ ipBlock: { cidr } })),
                                {
                                    namespaceSelector: {
                                        matchLabels: {
                                            "kubernetes.io/metadata.name": args.prometheusNamespace ?? "monitoring",
                                        },
                                    },
                                },
                            ],
                            ports: [{ port: containerPort, protocol: "TCP" }],
                        },
                    ],
                },
            },
            k8sOpts,
        );

        this.namespace = ns;
        this.metricsSelector = metricsLabel;
        this.roleArn = role.arn;
        this.activeColor = active;
        this.registerOutputs({
            namespace: this.namespace,
            activeService: this.activeService,
            previewService: this.previewService,
            roleArn: this.roleArn,
            activeColor: this.activeColor,
        });
    }
}
