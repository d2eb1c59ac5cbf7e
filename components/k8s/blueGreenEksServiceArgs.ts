/**
 * What {@link BlueGreenEksService} takes: its arguments, their defaults (one table, applied once by
 * {@link withEksServiceDefaults}), the pod spec they make, and the checks run before anything is
 * created.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { packPods, podsPerNode, servingPods, type PodRequest } from "../../catalog/capacity";
import { DEFAULT_CANARY, PROD_SERVING_REPLICAS, type CanaryAnalysis } from "../../catalog/standards";
import { coversInternet, ipv4CidrError, ipv4CidrProblem } from "../../catalog/cidr";
import { RESERVED_NAMESPACES } from "../../catalog/reserved";
import { MODEL_SYNC_IMAGE } from "../../catalog/versions";
import { INFERENCE_UID, LIVENESS_PATH, READINESS_PATH, UVICORN_LOG_LEVELS, VLLM_IMAGE } from "../../catalog/vllm";
import { VLLM_METRICS, type MetricNames } from "./alertRules";
import { MODEL_PREFIX } from "../aws/bucketPolicies";
import { validateCanary } from "./canary";
import { validateEntryPoint, type EntryPoint } from "./entryPoint";
import { validateScaleOn, type ScaleOn } from "./scaling";
import {
    COLORS,
    fittedResources,
    validateRelease,
    validateWorkload,
    type Color,
    type Resources,
    type TargetPool,
    type WorkloadSpec,
} from "./inferenceWorkload";

/** The stock image's repository, by any registry name Docker Hub goes by. */
const STOCK_VLLM_IMAGE = /^(?:(?:docker\.io|registry-1\.docker\.io|index\.docker\.io)\/)?vllm\/vllm-openai[:@]/;

export interface ColorRelease {
    /**
     * The inference image, by digest (checked here when known at construction, e.g. from config).
     * Its entry point must be vLLM's OpenAI server, as the stock `vllm/vllm-openai` image's is
     * (`llm-platform/image`'s InferenceImage keeps it): the container gets the model, address and
     * log level as vLLM's flags and the environment a non-root server needs (catalog/vllm.ts).
     * @default VLLM_IMAGE (vllm/vllm-openai:v0.11.0, by digest)
     */
    image?: pulumi.Input<string>;
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

/** The arguments of `BlueGreenEksService` (`new BlueGreenEksService(name, args, opts)`). */
export interface BlueGreenEksServiceArgs {
    /** Kubernetes provider of the cluster (EksCluster.provider). */
    provider: k8s.Provider;
    /** The GPU pool to run on (a GpuNodePool, or its capacity, selector and tolerations). */
    pool: TargetPool;
    /** The cluster's OIDC provider, for the service account's IAM role. */
    oidcProviderArn: pulumi.Input<string>;
    /** The cluster's OIDC issuer URL (EksCluster.oidcIssuerUrl), which the IAM role's trust policy names. */
    oidcIssuerUrl: pulumi.Input<string>;
    /** The model bucket's name and its read-only policy (ModelArtifactBucket). */
    modelBucketName: pulumi.Input<string>;
    /** The read-only policy attached to the pods' IAM role (ModelArtifactBucket.readPolicyArn, or `createPrefixReadPolicy`'s). */
    modelReadPolicyArn: pulumi.Input<string>;
    /**
     * Where the model's versions are in the bucket: weights at `<modelPrefix>/<modelVersion>`.
     * One model per prefix (e.g. `models/chat`) lets each read only its own, with
     * `createPrefixReadPolicy` as its `modelReadPolicyArn`. @default "models"
     */
    modelPrefix?: string;
    /** What the blue colour runs. */
    blue: ColorRelease;
    /** What the green colour runs. */
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
        /** The Gateway the Canary's HTTPRoute attaches to (CanaryDelivery.gateway). */
        gateway: {
            /** The Gateway's name. */
            name: string;
            /** The Gateway's namespace. */
            namespace: string;
        };
        /** Where Flagger calls the load tester (CanaryDelivery.loadtesterUrl). */
        loadtesterUrl: string;
        /** Flagger's Prometheus, for MetricTemplates (CanaryDelivery.metricsServer). */
        metricsServer: string;
        /** Everything a Canary needs in place first (CanaryDelivery.ready). */
        ready: pulumi.Resource[];
    };
    /** Metric names the image emits, for the canary analysis. @default VLLM_METRICS */
    metrics?: MetricNames;
    /**
     * Namespace created for the service.
     * @default - the component name
     */
    namespace?: string;
    /** Replicas of the active colour (the autoscaler's floor). @default PROD_SERVING_REPLICAS (3) */
    replicas?: number;
    /** The autoscaler's ceiling. @default - twice replicas */
    maxReplicas?: number;
    /** Lowest replicas the tier accepts. @default 1 */
    minReplicas?: number;
    /** GPUs per pod (requests equal limits). @default 1 */
    gpus?: number;
    /**
     * CPU and memory of the server container.
     * @default - {cpuRequest: "4", cpuLimit: "8", memoryRequest: "16Gi", memoryLimit: "24Gi"}, each capped at what a node of the pool gives a pod (fittedResources)
     */
    resources?: Resources;
    /** Port the vLLM server listens on (the container's `http` port, the Services' target and the scrape port). @default 8000 */
    containerPort?: number;
    /** Port of the liveness, startup and readiness probes. @default - containerPort */
    probePort?: number;
    /** Liveness and startup probe path. @default "/health" (vLLM: the engine is alive) */
    healthPath?: string;
    /** Readiness probe path. @default "/v1/models" (vLLM: the model is loaded and the API answers) */
    readyPath?: string;
    /** Longest model load before liveness applies. @default 600 */
    startupTimeoutSeconds?: number;
    /** User (and group, and fsGroup) the pod's containers run as. @default INFERENCE_UID (10001, the image's USER) */
    runAsUser?: number;
    /** vLLM's log level (and uvicorn's): DEBUG, INFO, WARNING, ERROR, CRITICAL or TRACE. @default "INFO" */
    logLevel?: string;
    /** Seconds to drain in-flight requests on shutdown. @default 30 */
    drainSeconds?: number;
    /** CPU utilisation the autoscaler holds, when no queue metric is set. @default 70 */
    targetCpuUtilization?: number;
    /** Scale on a queue-length metric instead of CPU (needs a custom metrics adapter). @default - CPU */
    queueLengthMetric?: QueueLengthMetric;
    /**
     * Scale with KEDA on vLLM's own load (a `ScaledObject` per live colour instead of a
     * HorizontalPodAutoscaler): a `Keda` component's `ready`, the Prometheus it queries and what
     * to hold per replica. @default - a HorizontalPodAutoscaler on CPU (or `queueLengthMetric`)
     */
    keda?: {
        /** What a ScaledObject must wait for (Keda.ready). */
        ready: pulumi.Resource[];
        /** The Prometheus KEDA's scaler queries: `prometheusUrl(<Prometheus's namespace>)`. */
        prometheusUrl: string;
        /** What to hold per replica. */
        scaleOn: ScaleOn;
    };
    /**
     * A way in from outside the cluster (blue-green only): an Application Load Balancer from the
     * AWS Load Balancer Controller, production to the active colour, preview on its own port.
     * @default - in-cluster Services only
     */
    entryPoint?: EntryPoint;
    /**
     * Let the active colour go to zero when idle and wake it on the next request (needs `keda` and
     * `entryPoint`): the production route goes through KEDA's HTTP add-on, whose interceptor counts
     * and holds the model's requests, and the ScaledObject adds its trigger. @default - never below `replicas`
     */
    scaleToZero?: ScaleToZero;
    /**
     * Label the namespace for the load balancer controller's readiness gates (blue-green with
     * `entryPoint`): a new pod is Ready only once its target is healthy in each target group of the
     * Services that select it, so a rollout, node drain or scale-in never leaves a target group
     * with initial and draining targets only. A pod in a zone without a load balancer subnet is
     * never healthy there and never Ready: place the load balancer in every zone of the GPU pool.
     * @default true, false with `scaleToZero` (a wake would wait for the preview's health check)
     */
    readinessGates?: boolean;
    /** Namespaces whose pods may call the service (ingress controllers). @default ["ingress-nginx"] */
    ingressNamespaces?: string[];
    /** Address ranges that may call the service (load balancers with IP targets). @default [] */
    ingressCidrs?: pulumi.Input<string>[];
    /** Namespace of Prometheus, allowed to scrape. @default "monitoring" */
    prometheusNamespace?: string;
    /** Image that syncs weights from S3 before the server starts. @default MODEL_SYNC_IMAGE */
    modelSyncImage?: string;
    /**
     * The model registry a release may name a registered model of (`modelVersion: models:/<name>/<version>`):
     * ModelRegistry's `image` and `trackingUri`. Its namespace must admit this one (ModelRegistry's `clientNamespaces`).
     * @default - none: releases name versions in the bucket
     */
    registry?: {
        /** ModelRegistry.image: the init container that downloads a registered model. */
        image: pulumi.Input<string>;
        /** ModelRegistry.trackingUri (MLFLOW_TRACKING_URI). */
        trackingUri: string;
    };
    /** Size of the weights volume. @default 100 */
    modelCacheSizeGiB?: number;
    /** The model name clients send in requests (vLLM's `--served-model-name`). @default - vLLM's: the weights path */
    servedModelName?: string;
    /** GPUs of a pod vLLM shards the model over (`--tensor-parallel-size`); a divisor of `gpus`. @default - vLLM's: 1 */
    tensorParallelSize?: number;
    /**
     * How vLLM logs. `json`: every line a JSON object (`ts`, `level`, `logger`, `message`,
     * `model`), from a ConfigMap the pods mount (VLLM_LOGGING_CONFIG_PATH; the formatter is
     * python-json-logger's, which vLLM requires), so LogPipeline's records are searchable by field.
     * `requests`: a line per request with its id and sampling parameters, never its prompt
     * (`--enable-log-requests --max-log-len 0`). @default {json: true, requests: true}
     */
    logging?: {
        /** Every line a JSON object. @default true */
        json?: boolean;
        /** A line per request, never its prompt. @default true */
        requests?: boolean;
    };
    /**
     * Send one OpenTelemetry span per finished request to a collector (TraceCollector's
     * `otlpGrpcEndpoint`, `http://<host>:4317`): vLLM's `--otlp-traces-endpoint`, with
     * OTEL_SERVICE_NAME the service's name. The image must carry OpenTelemetry's SDK:
     * images/inference does; the stock vLLM image does not, and vLLM refuses to start.
     * @default - no traces
     */
    tracing?: {
        /** The collector's OTLP/gRPC address, `http://<host>:<port>`. */
        otlpEndpoint: string;
    };
    /** Tags for AWS resources. @default {} */
    tags?: Record<string, string>;
}

/**
 * Every optional argument's default that does not depend on another argument, in one place
 * (`maxReplicas` defaults to twice `replicas`, `probePort` to `containerPort`, `namespace` to the
 * component's name; `canary` is merged over {@link DEFAULT_CANARY}).
 */
export const EKS_SERVICE_DEFAULTS = {
    activeColor: "blue",
    scaleDownInactive: false,
    strategy: "blue-green",
    metrics: VLLM_METRICS,
    replicas: PROD_SERVING_REPLICAS,
    minReplicas: 1,
    gpus: 1,
    containerPort: 8000,
    healthPath: LIVENESS_PATH,
    readyPath: READINESS_PATH,
    startupTimeoutSeconds: 600,
    runAsUser: INFERENCE_UID,
    logLevel: "INFO",
    drainSeconds: 30,
    targetCpuUtilization: 70,
    ingressNamespaces: ["ingress-nginx"],
    ingressCidrs: [],
    prometheusNamespace: "monitoring",
    modelSyncImage: MODEL_SYNC_IMAGE,
    modelCacheSizeGiB: 100,
    modelPrefix: "models",
    tags: {},
} satisfies Partial<BlueGreenEksServiceArgs>;

type Defaulted =
    | keyof typeof EKS_SERVICE_DEFAULTS
    | "maxReplicas"
    | "probePort"
    | "namespace"
    | "canary"
    | "resources"
    | "blue"
    | "green";

/** A colour's release with its image resolved. */
export type ResolvedRelease = Required<ColorRelease>;

/** The arguments with every default applied (an argument set to `undefined` takes its default). */
export type ResolvedEksServiceArgs = Omit<BlueGreenEksServiceArgs, Defaulted> & {
    [K in Exclude<Defaulted, "blue" | "green">]-?: NonNullable<BlueGreenEksServiceArgs[K]>;
} & { canary: CanaryAnalysis; blue: ResolvedRelease; green: ResolvedRelease };

export function withEksServiceDefaults(name: string, args: BlueGreenEksServiceArgs): ResolvedEksServiceArgs {
    const given = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined && v !== null));
    const merged = { ...EKS_SERVICE_DEFAULTS, ...given } as unknown as Omit<
        ResolvedEksServiceArgs,
        "maxReplicas" | "probePort" | "namespace" | "canary" | "resources" | "blue" | "green"
    >;
    const release = (r: ColorRelease): ResolvedRelease => ({ ...r, image: r.image ?? VLLM_IMAGE });
    return {
        ...merged,
        maxReplicas: args.maxReplicas ?? merged.replicas * 2,
        probePort: args.probePort ?? merged.containerPort,
        namespace: args.namespace ?? name,
        canary: { ...DEFAULT_CANARY, ...args.canary },
        resources: args.resources ?? fittedResources(args.pool.capacity),
        blue: release(args.blue),
        green: release(args.green),
    };
}

/** The pod spec of one colour's release. Only the image and the bucket are outputs; the rest is known in a preview. */
export function workloadSpecOf(name: string, args: ResolvedEksServiceArgs, release: ResolvedRelease): WorkloadSpec {
    return {
        name,
        image: release.image,
        modelVersion: release.modelVersion,
        modelSource: pulumi.interpolate`s3://${args.modelBucketName}/${args.modelPrefix}`,
        gpus: args.gpus,
        resources: args.resources,
        containerPort: args.containerPort,
        probePort: args.probePort,
        healthPath: args.healthPath,
        readyPath: args.readyPath,
        startupTimeoutSeconds: args.startupTimeoutSeconds,
        runAsUser: args.runAsUser,
        logLevel: args.logLevel,
        drainSeconds: args.drainSeconds,
        serviceAccountName: name,
        pool: args.pool,
        modelSyncImage: args.modelSyncImage,
        registry: args.registry,
        modelCacheSizeGiB: args.modelCacheSizeGiB,
        servedModelName: args.servedModelName,
        tensorParallelSize: args.tensorParallelSize,
        jsonLogs: args.logging?.json ?? true,
        logRequests: args.logging?.requests ?? true,
        otlpTracesEndpoint: args.tracing?.otlpEndpoint,
    };
}

export interface ScaleToZero {
    /**
     * The add-on (KedaHttpAddOn): its namespace, what must run first, and how long its interceptor
     * drains (the load balancer keeps a deregistered interceptor's requests that long).
     */
    addOn: {
        /** KedaHttpAddOn.namespace. */
        namespace: string;
        /** KedaHttpAddOn.ready. */
        ready: pulumi.Resource[];
        /** The add-on's `longestResponseSeconds`. @default 600 (the add-on's default) */
        longestResponseSeconds?: number;
    };
    /** Minutes without requests before the model goes to zero. */
    idleMinutes: number;
    /** Requests in flight per replica, seen by the interceptor, above which it adds replicas too. */
    targetConcurrency: number;
}

/** A service's pods on a pool: what the pool's capacity check counts. */
export interface PoolPlacement {
    service: string;
    request: PodRequest;
    pods: { configured: number; peak: number; explain: string };
}

/** What the service places on its pool, at its replicas and at its autoscaler's ceiling. */
export function placementOf(name: string, args: ResolvedEksServiceArgs): PoolPlacement {
    return {
        service: name,
        request: {
            gpus: args.gpus,
            cpuRequest: args.resources.cpuRequest,
            memoryRequest: args.resources.memoryRequest,
        },
        pods: servingPods({
            replicas: args.replicas,
            maxReplicas: args.maxReplicas,
            strategy: args.strategy,
            scaleDownInactive: args.scaleDownInactive,
        }),
    };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Whether the pool holds this service's pods, and those of the services already placed on it, at
 * their replicas and at their autoscalers' ceilings (`maxSize` nodes of the pool's smallest node,
 * packed first-fit): otherwise pods stay Pending whatever the node autoscaler does.
 */
export function poolCapacityProblems(
    name: string,
    args: ResolvedEksServiceArgs,
    placed: readonly PoolPlacement[] = [],
): string[] {
    const { pool } = args;
    if (pool.maxSize === undefined) return [];
    const own = placementOf(name, args);
    const perNode = podsPerNode(pool.capacity, own.request, pool.timeSlicingReplicas);
    if (perNode.pods === 0) return []; // the pod fits no node: validateWorkload says so
    const node = `a node of the pool (${pool.capacity.gpusPerNode} × ${pool.capacity.gpuTypes.join("/")} GPU, ${pool.capacity.vcpus} vCPU, ${pool.capacity.memoryGiB} GiB)`;
    const all = [...placed, own];
    const nodes = (at: "configured" | "peak"): number =>
        all.length === 1
            ? Math.ceil(own.pods[at] / perNode.pods)
            : packPods(
                  perNode.offers,
                  all.map((p) => ({ request: p.request, count: p.pods[at] })),
              );
    const at = nodes("configured") > pool.maxSize ? "configured" : nodes("peak") > pool.maxSize ? "peak" : undefined;
    if (at === undefined) return [];
    const needed = nodes(at);
    // Raise it once, to what the autoscalers' ceilings need, not to what passes this check alone.
    const ceiling = nodes("peak");
    const raise = `raise the pool's maxSize to ${ceiling}${ceiling > needed ? ` (${needed} at replicas, ${ceiling} at maxReplicas)` : ""}`;
    const when = at === "configured" ? `at replicas (${args.replicas})` : `at maxReplicas (${args.maxReplicas})`;
    const lower = at === "configured" ? "replicas" : "maxReplicas";
    // scaleDownInactive lowers the pods at replicas; a promotion warms the colour back up, so not the peak.
    const warm =
        args.strategy === "blue-green" && !args.scaleDownInactive && at === "configured"
            ? ", or set scaleDownInactive"
            : "";
    if (all.length === 1)
        return [
            `pool: ${when} the service runs ${plural(own.pods[at], "pod")} (${own.pods.explain}) and ${node} holds ${perNode.pods} (limited by ${perNode.limitedBy}), so the pool needs ${plural(needed, "node")}, but its maxSize is ${pool.maxSize}: ${raise}, or lower ${lower}${warm}`,
        ];
    const list = all.map((p) => `${p.service} ${plural(p.pods[at], "pod")} of ${plural(p.request.gpus, "GPU")}`);
    return [
        `pool: the services on it need ${plural(needed, "node")} ${at === "configured" ? "at their replicas" : "at their autoscalers' ceilings"} (${list.join(", ")}), but its maxSize is ${pool.maxSize}: ${raise}, lower ${lower}, or give a service a pool of its own`,
    ];
}

/**
 * Problems with the arguments known at construction, each naming the argument; `placed` are the
 * services already on the same pool (BlueGreenEksService passes them).
 */
export function validateBlueGreenEksServiceArgs(
    name: string,
    given: BlueGreenEksServiceArgs,
    placed: readonly PoolPlacement[] = [],
): string[] {
    // Without its pool nothing else can be checked (the defaults are fitted to it).
    if (!given.pool?.capacity)
        return [
            "pool: required: the GpuNodePool the service runs on (one of a GpuPlatform's pools, e.g. gpus.pools.inference), or the same facts of a pool the program does not build ({ capacity, nodeSelector, tolerations })",
        ];
    const args = withEksServiceDefaults(name, given);
    const problems = [
        ...validateWorkload(workloadSpecOf(name, args, args.blue), args.replicas, args.minReplicas),
        ...COLORS.flatMap((c) => {
            const { image, modelVersion } = args[c];
            // An image from an output (the built one) is a digest by construction; one from config is checked.
            return validateRelease({ image: typeof image === "string" ? image : undefined, modelVersion }).map(
                (p) => `${c}.${p}`,
            );
        }),
    ];
    // The name becomes the Kubernetes objects' names (`<name>-active`, `<name>-interceptor-route` …)
    // and the default namespace: DNS labels of at most 63 characters.
    if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 40)
        problems.push(
            `name: ${JSON.stringify(name)} names the service's Kubernetes objects (${name}-active, ${name}-blue …): use lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 40 characters`,
        );
    const namespace = args.namespace ?? name;
    if ((RESERVED_NAMESPACES as readonly string[]).includes(namespace))
        problems.push(
            `namespace: ${JSON.stringify(namespace)} (the service's name unless namespace is set) is a namespace the platform runs its own workloads in (${RESERVED_NAMESPACES.join(", ")}): the service's NetworkPolicy and quota would land beside them; choose another name, or set namespace`,
        );
    (args.ingressCidrs ?? []).forEach((cidr, i) => {
        if (typeof cidr === "string" && ipv4CidrProblem(cidr) !== undefined)
            problems.push(`ingressCidrs[${i}]: ${ipv4CidrError(cidr)}`);
    });
    const known = (args.ingressCidrs ?? []).filter((c): c is string => typeof c === "string");
    if (coversInternet(known))
        problems.push(
            "ingressCidrs: these add up to the whole internet, so the NetworkPolicy would admit every address to the pods; list the callers' CIDRs (load balancers with IP targets, other VPCs)",
        );
    if (args.strategy === "canary") problems.push(...validateCanary(args.canary));
    if (args.strategy === "canary" && !args.canaryDelivery)
        problems.push(
            "canaryDelivery: required with strategy canary (a CanaryDelivery: Flagger, the gateway and the load tester)",
        );
    if (!MODEL_PREFIX.test(args.modelPrefix))
        problems.push(
            `modelPrefix: expected path segments of letters, digits, '.', '_' and '-' without a leading or trailing '/', received ${JSON.stringify(args.modelPrefix)}`,
        );
    const tp = args.tensorParallelSize;
    if (tp !== undefined && (!Number.isInteger(tp) || tp < 1 || tp > args.gpus || args.gpus % tp !== 0))
        problems.push(`tensorParallelSize: expected a divisor of gpus (${args.gpus}), received ${tp}`);
    if (args.servedModelName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._\-/:]{0,127}$/.test(args.servedModelName))
        problems.push(
            `servedModelName: expected a model name of letters, digits, '.', '_', '-', '/' and ':', received ${JSON.stringify(args.servedModelName)}`,
        );
    if (args.tracing !== undefined) {
        if (!/^https?:\/\/[A-Za-z0-9.-]+:\d{1,5}$/.test(args.tracing.otlpEndpoint))
            problems.push(
                `tracing.otlpEndpoint: expected an OTLP/gRPC address such as http://collector.tracing.svc.cluster.local:4317 (scheme, host and port), received ${JSON.stringify(args.tracing.otlpEndpoint)}`,
            );
        for (const color of ["blue", "green"] as const) {
            const image = args[color]?.image;
            if (image === undefined || (typeof image === "string" && STOCK_VLLM_IMAGE.test(image)))
                problems.push(
                    `tracing: ${color} runs the stock vLLM image (${image === undefined ? "the default" : image}), which has no OpenTelemetry SDK, and vLLM refuses to start with --otlp-traces-endpoint; run images/inference (InferenceImage) or leave tracing out`,
                );
        }
    }
    if (args.keda) problems.push(...validateScaleOn(args.keda.scaleOn, "keda.scaleOn"));
    if (args.entryPoint) problems.push(...validateEntryPoint(args.entryPoint));
    if (args.entryPoint && args.entryPoint.sourceCidrs === undefined && (args.ingressCidrs ?? []).length === 0)
        problems.push(
            "entryPoint.sourceCidrs: the load balancer forwards from its own subnets' addresses, which the NetworkPolicy must admit (or no request and no health check reaches a pod): set subnetIds and sourceCidrs to the load balancer's subnets (e.g. Network's publicSubnetIds and publicSubnetCidrs), or list those CIDRs in ingressCidrs",
        );
    if (args.entryPoint && args.strategy === "canary")
        problems.push(
            "entryPoint: the canary strategy's way in is the CanaryDelivery's gateway, whose routes Flagger shifts; leave entryPoint out",
        );
    if (args.keda && args.queueLengthMetric)
        problems.push(
            "queueLengthMetric: scales a HorizontalPodAutoscaler through a metrics adapter, but keda replaces it with a ScaledObject; set one of them",
        );
    if (!Number.isInteger(args.maxReplicas) || args.maxReplicas < args.replicas)
        problems.push(`maxReplicas: expected an integer >= replicas (${args.replicas}), received ${args.maxReplicas}`);
    if (args.scaleToZero) problems.push(...validateScaleToZero(args));
    if (!(UVICORN_LOG_LEVELS as readonly string[]).includes(args.logLevel.toLowerCase()))
        problems.push(
            `logLevel: expected one of ${UVICORN_LOG_LEVELS.map((l) => l.toUpperCase()).join(", ")}, received ${JSON.stringify(args.logLevel)}`,
        );
    const countable =
        Number.isInteger(args.gpus) &&
        args.gpus >= 1 &&
        Number.isInteger(args.replicas) &&
        Number.isInteger(args.maxReplicas) &&
        args.maxReplicas >= args.replicas;
    if (countable) problems.push(...poolCapacityProblems(name, args, placed));
    return problems;
}

function validateScaleToZero(args: ResolvedEksServiceArgs): string[] {
    const { idleMinutes, targetConcurrency } = args.scaleToZero!;
    const problems: string[] = [];
    if (!args.keda)
        problems.push(
            "scaleToZero: needs keda (KEDA takes the Deployment to zero and back; a HorizontalPodAutoscaler cannot)",
        );
    if (!args.entryPoint || args.strategy === "canary")
        problems.push(
            "scaleToZero: needs entryPoint and the blue-green strategy (the requests that wake the model come through the load balancer to the add-on's interceptor)",
        );
    if (!Number.isInteger(idleMinutes) || idleMinutes < 1 || idleMinutes > 1440)
        problems.push(`scaleToZero.idleMinutes: expected an integer from 1 to 1440, received ${idleMinutes}`);
    if (!Number.isInteger(targetConcurrency) || targetConcurrency < 1)
        problems.push(`scaleToZero.targetConcurrency: expected an integer >= 1, received ${targetConcurrency}`);
    return problems;
}
