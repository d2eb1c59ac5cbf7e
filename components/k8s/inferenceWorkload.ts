/**
 * Pure builders for the inference workload on Kubernetes: the pod spec (GPU resources, probes,
 * security context, scheduling) and the Deployment of one colour; their validation is in
 * ./workloadValidation. Tested without the engine; BlueGreenEksService wires them.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { allocatable, type PoolCapacity } from "../../catalog/gpu";
import { MLFLOW_TELEMETRY_OFF, modelFolderOf, registryReference } from "../../catalog/formats";
import { VLLM_WRITABLE_DIR } from "../../catalog/vllm";
import { serverArgs, serverEnvironment, sharedMemoryMiB, VLLM_LOGGING_CONFIG_DIR } from "../vllmServer";

export const COLORS = ["blue", "green"] as const;
export type Color = (typeof COLORS)[number];

export const other = (color: Color): Color => (color === "blue" ? "green" : "blue");

export interface Resources {
    cpuRequest: string;
    cpuLimit: string;
    memoryRequest: string;
    memoryLimit: string;
}

/** The reference deployment's figures: 4 CPU / 16Gi requested, 8 CPU / 24Gi at most. */
export const DEFAULT_RESOURCES: Resources = {
    cpuRequest: "4",
    cpuLimit: "8",
    memoryRequest: "16Gi",
    memoryLimit: "24Gi",
};

/**
 * The reference deployment's figures (4 CPU / 16Gi requested, 8 CPU / 24Gi at most) fitted to a node of the pool: each request at most what the smallest
 * node gives a pod after the kubelet's reserve and the DaemonSets (whole CPUs and GiB), each limit at
 * most the node's CPUs and that memory. On a `*.2xlarge` and larger they are the defaults; on a
 * `g5.xlarge` (4 vCPU, 16 GiB) 3 CPU / 14Gi requested, 4 CPU / 14Gi at most.
 */
export function fittedResources(capacity: PoolCapacity): Resources {
    const node = allocatable(capacity);
    const cpu = Math.max(1, Math.min(4, Math.floor(node.vcpus)));
    const memory = Math.max(1, Math.min(16, Math.floor(node.memoryGiB)));
    return {
        cpuRequest: String(cpu),
        cpuLimit: String(Math.max(cpu, Math.min(8, capacity.vcpus))),
        memoryRequest: `${memory}Gi`,
        memoryLimit: `${Math.max(memory, Math.min(24, Math.floor(node.memoryGiB)))}Gi`,
    };
}

/** Where a service runs: a GpuNodePool, or the same facts of a pool the program does not build. */
export interface TargetPool {
    /** Per-node capacity of the GPU pool (GpuNodePool.capacity). */
    capacity: PoolCapacity;
    /** Labels that select the pool's nodes (GpuNodePool.nodeSelector). */
    nodeSelector: Record<string, string>;
    /** Tolerations its taint needs (GpuNodePool.tolerations). */
    tolerations: ReadonlyArray<{ key: string; operator: string; effect: string }>;
    /**
     * Most nodes the pool scales to (GpuNodePool.maxSize): services placed on the pool are checked
     * to fit it at their autoscalers' ceilings. @default - not checked
     */
    maxSize?: number;
    /**
     * GPUs a node advertises per physical GPU when the device plugin time-slices them
     * (NvidiaDevicePlugin's `timeSlicingReplicas`). @default 1
     */
    timeSlicingReplicas?: number;
}

export interface WorkloadSpec {
    /** The service name: labels, container name prefix. */
    name: string;
    /**
     * The image by digest. An output (the image the stack builds) stays an output inside the
     * spec, so that everything else about the pod is known in a preview.
     */
    image: pulumi.Input<string>;
    /** Model version served; weights are read from `<modelPathPrefix>/<modelVersion>`. */
    modelVersion: string;
    /** Where the model bucket is synced from: `s3://<bucket>/models` (an output while the bucket is new). */
    modelSource: pulumi.Input<string>;
    gpus: number;
    resources: Resources;
    containerPort: number;
    /** Port the probes call; must be the container port. */
    probePort: number;
    healthPath: string;
    readyPath: string;
    /** Longest time the server may take to load a model before liveness applies. */
    startupTimeoutSeconds: number;
    runAsUser: number;
    logLevel: string;
    /** Seconds for in-flight requests to finish after the pod leaves the endpoints. */
    drainSeconds: number;
    serviceAccountName: string;
    pool: TargetPool;
    /** Image of the init container that syncs the weights from S3. */
    modelSyncImage: string;
    /**
     * The model registry, for a `modelVersion` that names a registered version (`models:/…`): its
     * image (it has MLflow's client and boto3) and the tracking URI the init container asks where
     * the version's weights are (it then reads them from S3 with the pod's role).
     */
    registry?: { image: pulumi.Input<string>; trackingUri: string };
    /** Size limit of the weights volume. */
    modelCacheSizeGiB: number;
    /** The model name clients send (vLLM's `--served-model-name`). @default - vLLM's: the weights path */
    servedModelName?: string;
    /** GPUs vLLM shards the model over (`--tensor-parallel-size`). @default - vLLM's: 1 */
    tensorParallelSize?: number;
    /** vLLM logs JSON lines, configured by the ConfigMap `vllmLoggingConfigMapName(name)` the pod mounts. @default false */
    jsonLogs?: boolean;
    /** vLLM logs each request's id and parameters, never the prompt. @default false */
    logRequests?: boolean;
    /** Where vLLM sends its traces (OTLP/gRPC). @default - none */
    otlpTracesEndpoint?: string;
}

/** The ConfigMap holding a service's vLLM logging configuration (vllmLoggingConfig), in its namespace. */
export function vllmLoggingConfigMapName(name: string): string {
    return `${name}-vllm-logging`;
}

/** Labels of one colour's pods; Services select on these. */
export function podLabels(name: string, color: Color): Record<string, string> {
    return { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "inference", "llm-platform/color": color };
}

/**
 * PromQL label matchers for the pods of one Deployment, `<deployment>-<replicaset hash>-<pod
 * suffix>` in its namespace: Prometheus anchors the regex, so Flagger's `<deployment>-primary-…-…`
 * and another colour's pods never match. The scrape's `namespace` and `pod` labels are the target's.
 */
export function deploymentPodsSelector(namespace: string, deployment: string): string {
    return `namespace="${namespace}",pod=~"${deployment}-[0-9a-zA-Z]+-[0-9a-zA-Z]+"`;
}

const MODELS_MOUNT = "/models";

/**
 * A model version as a label value (the pods' `llm-platform/model-version`, which drift groups by):
 * at most 63 characters of letters, digits, '-', '_' and '.', beginning and ending with a letter
 * or digit, as Kubernetes requires of a label value (`models:/chat/7` → `models-chat-7`).
 */
export function modelVersionLabel(modelVersion: string): string {
    return modelVersion
        .replace(/[^A-Za-z0-9._-]+/g, "-")
        .replace(/^[^A-Za-z0-9]+/, "")
        .slice(0, 63)
        .replace(/[^A-Za-z0-9]+$/, "");
}

/** Where a model version's weights are synced in the pod: vLLM's `--model`, the name it serves them under by default. */
export function modelPathOf(modelVersion: string): string {
    return `${MODELS_MOUNT}/${modelFolderOf(modelVersion)}`;
}

/**
 * The init container's command that puts a release's weights at `modelPath`: `aws s3 sync` from the
 * bucket for a version there, or for a registered version (`models:/<name>/<number>`) MLflow's own
 * client, `mlflow artifacts download --artifact-uri models:/…`: it asks the registry for the
 * version's download URI (its source, a folder of the model's prefix: promote checks that) and then
 * reads S3 itself with the pod's role (`ModelsArtifactRepository` → `S3ArtifactRepository`), so the
 * weights never pass through the registry server.
 */
export function modelSyncCommand(
    spec: Pick<WorkloadSpec, "modelVersion" | "modelSource">,
    modelPath: string,
): pulumi.Input<string>[] {
    return registryReference(spec.modelVersion)
        ? ["mlflow", "artifacts", "download", "--artifact-uri", spec.modelVersion, "--dst-path", modelPath]
        : ["aws", "s3", "sync", "--only-show-errors", suffixed(spec.modelSource, `/${spec.modelVersion}`), modelPath];
}

/** `value + suffix`, a string when `value` is one, else an output of it (unknown only where `value` is). */
function suffixed(value: pulumi.Input<string>, suffix: string): pulumi.Input<string> {
    return typeof value === "string" ? `${value}${suffix}` : pulumi.output(value).apply((v) => `${v}${suffix}`);
}

/** The pod spec of one colour. */
export function buildPodSpec(spec: WorkloadSpec, color: Color): k8s.types.input.core.v1.PodSpec {
    const gpu = String(spec.gpus);
    const labels = podLabels(spec.name, color);
    const securityContext = {
        runAsNonRoot: true,
        runAsUser: spec.runAsUser,
        runAsGroup: spec.runAsUser,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
    const modelPath = modelPathOf(spec.modelVersion);
    const server = {
        port: spec.containerPort,
        logLevel: spec.logLevel,
        servedModelName: spec.servedModelName,
        tensorParallelSize: spec.tensorParallelSize,
        logRequests: spec.logRequests,
        otlpTracesEndpoint: spec.otlpTracesEndpoint,
    };
    const httpGet = (path: string) => ({ path, port: spec.probePort, scheme: "HTTP" });
    return {
        serviceAccountName: spec.serviceAccountName,
        // IRSA mounts its own projected token; the Kubernetes API token is not needed.
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: spec.drainSeconds + 30,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: spec.runAsUser,
            runAsGroup: spec.runAsUser,
            fsGroup: spec.runAsUser,
            seccompProfile: { type: "RuntimeDefault" },
        },
        nodeSelector: spec.pool.nodeSelector,
        tolerations: spec.pool.tolerations.map((t) => ({ ...t })),
        affinity: {
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [
                        {
                            matchExpressions: Object.entries(spec.pool.nodeSelector).map(([key, value]) => ({
                                key,
                                operator: "In",
                                values: [value],
                            })),
                        },
                    ],
                },
            },
        },
        topologySpreadConstraints: [
            {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: labels },
            },
            {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: labels },
            },
        ],
        initContainers: [
            {
                name: "model-sync",
                image:
                    registryReference(spec.modelVersion) && spec.registry ? spec.registry.image : spec.modelSyncImage,
                command: modelSyncCommand(spec, modelPath),
                env: [
                    { name: "HOME", value: "/tmp" },
                    ...(registryReference(spec.modelVersion) && spec.registry
                        ? [
                              { name: "MLFLOW_TRACKING_URI", value: spec.registry.trackingUri },
                              { ...MLFLOW_TELEMETRY_OFF },
                          ]
                        : []),
                ],
                resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } },
                securityContext,
                volumeMounts: [
                    { name: "models", mountPath: MODELS_MOUNT },
                    { name: "tmp", mountPath: "/tmp" },
                ],
            },
        ],
        containers: [
            {
                name: "inference",
                image: spec.image,
                // The image's ENTRYPOINT is vLLM's OpenAI server (the stock image's, kept by
                // images/inference); it takes the model and the port only as flags.
                args: serverArgs({ ...server, modelPath }),
                ports: [{ name: "http", containerPort: spec.containerPort, protocol: "TCP" }],
                env: [
                    ...serverEnvironment({
                        ...server,
                        modelPath,
                        modelVersion: spec.modelVersion,
                        jsonLogs: spec.jsonLogs,
                        serviceName: spec.name,
                    }),
                    { name: "HF_HOME", value: `${MODELS_MOUNT}/.cache/huggingface` },
                ],
                resources: {
                    requests: {
                        cpu: spec.resources.cpuRequest,
                        memory: spec.resources.memoryRequest,
                        "nvidia.com/gpu": gpu,
                    },
                    limits: { cpu: spec.resources.cpuLimit, memory: spec.resources.memoryLimit, "nvidia.com/gpu": gpu },
                },
                startupProbe: {
                    httpGet: httpGet(spec.healthPath),
                    periodSeconds: 10,
                    timeoutSeconds: 5,
                    failureThreshold: Math.ceil(spec.startupTimeoutSeconds / 10),
                },
                livenessProbe: {
                    httpGet: httpGet(spec.healthPath),
                    periodSeconds: 10,
                    timeoutSeconds: 5,
                    failureThreshold: 3,
                },
                readinessProbe: {
                    httpGet: httpGet(spec.readyPath),
                    periodSeconds: 5,
                    timeoutSeconds: 3,
                    failureThreshold: 3,
                },
                // The pod leaves the Service endpoints first; the sleep lets load balancers stop
                // sending before the server gets SIGTERM and finishes what is in flight.
                lifecycle: { preStop: { exec: { command: ["sleep", String(spec.drainSeconds)] } } },
                securityContext,
                volumeMounts: [
                    { name: "models", mountPath: MODELS_MOUNT },
                    { name: "tmp", mountPath: VLLM_WRITABLE_DIR },
                    { name: "shm", mountPath: "/dev/shm" },
                    ...(spec.jsonLogs ? [{ name: "logging", mountPath: VLLM_LOGGING_CONFIG_DIR, readOnly: true }] : []),
                ],
            },
        ],
        volumes: [
            { name: "models", emptyDir: { sizeLimit: `${spec.modelCacheSizeGiB}Gi` } },
            // HOME and the temp folder: vLLM's, torch.compile's, Triton's and FlashInfer's caches and
            // the server's IPC sockets (catalog/vllm.ts); the kubelet evicts a pod past the limit.
            { name: "tmp", emptyDir: { sizeLimit: "8Gi" } },
            // PyTorch's and NCCL's shared memory between workers (the default 64 MiB is too small):
            // 20 GiB when the model is sharded over several GPUs (sharedMemoryMiB).
            {
                name: "shm",
                emptyDir: { medium: "Memory", sizeLimit: `${sharedMemoryMiB(spec.tensorParallelSize ?? 1) / 1024}Gi` },
            },
            ...(spec.jsonLogs ? [{ name: "logging", configMap: { name: vllmLoggingConfigMapName(spec.name) } }] : []),
        ],
    };
}

/** The Deployment of one colour; `replicas` undefined leaves the count to the autoscaler. */
export function buildDeploymentSpec(
    spec: WorkloadSpec,
    color: Color,
    replicas: number | undefined,
): k8s.types.input.apps.v1.DeploymentSpec {
    const labels = podLabels(spec.name, color);
    return {
        ...(replicas === undefined ? {} : { replicas }),
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        revisionHistoryLimit: 5,
        template: {
            metadata: {
                labels: {
                    ...labels,
                    "llm-platform/model-version": modelVersionLabel(spec.modelVersion),
                },
                annotations: {
                    "prometheus.io/scrape": "true",
                    "prometheus.io/port": String(spec.containerPort),
                    "prometheus.io/path": "/metrics",
                },
            },
            spec: buildPodSpec(spec, color),
        },
    };
}

export { validateRelease, validateWorkload } from "./workloadValidation";
