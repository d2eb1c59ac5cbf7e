/**
 * The retraining trigger: for each model, a run of the team's training image on a schedule (a
 * CronJob) and when the model's drift alert fires (a KEDA ScaledJob on Prometheus's `ALERTS`),
 * given the data window and the model version to start from, and ending, by the image's contract,
 * in a new registered version under the alias `candidate`. Nothing here deploys that version:
 * a release names it and `npm run promote` holds it to the quality gate.
 *
 * Why Kubernetes Jobs and not EventBridge to Step Functions: Step Functions' EKS integration
 * (`eks:runJob`) calls the cluster's API over its public endpoint only, and the platform's
 * clusters keep theirs private (cluster.publicAccessCidrs: []); and the drift signal is a
 * Prometheus alert, which KEDA (already the platform's autoscaler) reads where it is, with no
 * Alertmanager-to-AWS bridge to build. The runs land on the GPU pool the model serves from, the
 * cluster autoscaler adds a node for them, and a failed run shows as kube-prometheus-stack's
 * KubeJobFailed.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CANDIDATE_ALIAS, DIGEST_REFERENCE, MLFLOW_TELEMETRY_OFF, MODEL_PREFIX } from "../../catalog/formats";
import { cronScheduleProblem } from "../../catalog/cron";
import { cooldownStarvesDrift, scheduleTooFrequent } from "../../catalog/standards";
import { assertValid } from "../validation";
import type { TargetPool } from "./inferenceWorkload";
import { createWorkloadIdentity, restrictedContainerContext, restrictedPodContext } from "./workloadIdentity";

export const RETRAINING_UID = 10001;
export { RETRAINING_NAMESPACE } from "../../catalog/reserved";
import { RETRAINING_NAMESPACE } from "../../catalog/reserved";
/** How often KEDA asks Prometheus whether a model's drift alert is firing. */
export const DRIFT_POLL_SECONDS = 300;

export interface RetrainedModel {
    /** The platform's model name (its drift alert's `model` label). */
    name: string;
    /** Its name in the registry. @default - `name` */
    registeredModel?: string;
    /**
     * The weights a run starts from: what the model serves now, its active colour's release
     * (`servedModelUri(release.modelVersion, service.modelSource)`: `models:/<name>/<n>` for a
     * registered version, `s3://<bucket>/<prefix>/<version>/` for a folder of the bucket).
     */
    baseModelUri: pulumi.Input<string>;
    /**
     * The model's prefix of the bucket (`models/<name>`): a run uploads its weights to
     * `<prefix>/retrained/<folder>/` (LLM_CANDIDATE_URI), the only place its role may write, and
     * registers that folder, so a release of the candidate is read from S3 by the pods directly.
     */
    modelPrefix: string;
    /** GPUs of a run. @default 1 */
    gpus?: number;
    /** The GPU pool the run is scheduled on (GpuNodePool's nodeSelector and tolerations, and its nodes' disk). */
    pool: Pick<TargetPool, "nodeSelector" | "tolerations"> & { diskSizeGiB?: number };
}

/** The arguments of `RetrainingTrigger` (`new RetrainingTrigger(name, args, opts)`). */
export interface RetrainingTriggerArgs {
    provider: k8s.Provider;
    /** The team's training image, by digest. */
    image: string;
    models: RetrainedModel[];
    /** When the scheduled run starts, in UTC (the CronJob's timeZone): a Kubernetes CronJob schedule (catalog/cron.ts). */
    schedule: string;
    /** Days of data (feedback, traffic) before the run that it trains on. */
    dataWindowDays: number;
    /** A drift alert starts no run within this many hours of the model's last run (scheduled or not). */
    cooldownHours: number;
    /** A run is stopped after this many hours. */
    timeoutHours: number;
    /** ModelRegistry.trackingUri. */
    trackingUri: string;
    /** What must run before the runs can register (ModelRegistry.ready). @default [] */
    registryReady?: pulumi.Resource[];
    /** Where feedback lands: `s3://<bucket>/feedback/` (FeedbackStore). */
    feedbackUri: pulumi.Input<string>;
    /** The model bucket and key: the runs may read `feedback/` and `models/`, and write their models' `retrained/` folders. */
    bucketName: pulumi.Input<string>;
    bucketArn: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** KEDA (Keda.ready) and the Prometheus it asks. */
    keda: { ready: pulumi.Resource[]; prometheusUrl: string };
    /** @default "retraining" */
    namespace?: string;
    /** CPU and memory of a run. @default {cpu: "4", memory: "16Gi"} */
    resources?: { cpu: string; memory: string };
    /**
     * Scratch space of a run (`/tmp`, on the node's disk): at most half the pool's disk, whose rest
     * holds images and the serving pods' model caches. @default 100
     */
    scratchGiB?: number;
    /** `/dev/shm` (memory, counted in the run's memory limit): PyTorch's data loaders and NCCL use it. @default 8 */
    sharedMemoryGiB?: number;
    tags?: Record<string, string>;
}

export function validateRetrainingTriggerArgs(args: Omit<RetrainingTriggerArgs, "provider">): string[] {
    const problems: string[] = [];
    const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
    if (!DIGEST_REFERENCE.test(args.image))
        problems.push(
            `image: expected an image pinned by digest (repository@sha256:<64 hex>), received ${JSON.stringify(args.image)}`,
        );
    const schedule = cronScheduleProblem(args.schedule);
    if (schedule) problems.push(`schedule: ${schedule}, received ${JSON.stringify(args.schedule)}`);
    if (!int(args.dataWindowDays, 1, 365))
        problems.push(`dataWindowDays: expected an integer from 1 to 365, received ${args.dataWindowDays}`);
    if (!int(args.cooldownHours, 1, 24 * 90))
        problems.push(`cooldownHours: expected an integer from 1 to 2160, received ${args.cooldownHours}`);
    const tooFrequent = scheduleTooFrequent(args.schedule);
    const starved = tooFrequent ? undefined : cooldownStarvesDrift(args.schedule, args.cooldownHours);
    if (tooFrequent) problems.push(`schedule: ${tooFrequent}, received ${JSON.stringify(args.schedule)}`);
    if (starved) problems.push(`cooldownHours: ${starved}, received ${args.cooldownHours}`);
    if (!int(args.timeoutHours, 1, 168))
        problems.push(`timeoutHours: expected an integer from 1 to 168, received ${args.timeoutHours}`);
    if (args.models.length === 0) problems.push("models: expected at least one model to retrain");
    const scratch = args.scratchGiB ?? 100;
    if (!int(scratch, 1, 16384)) problems.push(`scratchGiB: expected an integer from 1 to 16384, received ${scratch}`);
    const shm = args.sharedMemoryGiB ?? 8;
    const memory = gibOf(args.resources?.memory ?? "16Gi");
    if (!int(shm, 1, 1024) || (memory !== undefined && shm >= memory))
        problems.push(
            `sharedMemoryGiB: expected an integer from 1 below the run's memory (${args.resources?.memory ?? "16Gi"}: /dev/shm counts in it), received ${shm}`,
        );
    args.models.forEach((m, i) => {
        if (!int(m.gpus ?? 1, 1, 8))
            problems.push(`models[${i}].gpus: expected an integer from 1 to 8, received ${m.gpus}`);
        if (!MODEL_PREFIX.test(m.modelPrefix))
            problems.push(
                `models[${i}].modelPrefix: expected the model's prefix of the bucket such as models/chat, received ${JSON.stringify(m.modelPrefix)}`,
            );
        const disk = m.pool.diskSizeGiB;
        if (disk !== undefined && scratch > disk / 2)
            problems.push(
                `scratchGiB: ${scratch} GiB is over half the disk of model ${m.name}'s GPU nodes (${disk} GiB), whose rest holds images and model caches: lower it or give the pool a larger diskSizeGiB`,
            );
    });
    return problems;
}

/**
 * The runs' role: read the bucket's feedback/ and models/ prefixes with its key, and write only the
 * `retrained/` folder of each retrained model's prefix (a run cannot overwrite a release's weights).
 */
export function retrainingPolicy(bucketArn: string, keyArn: string, modelPrefixes: readonly string[]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadTrainingData",
                Effect: "Allow",
                Action: "s3:GetObject",
                Resource: [`${bucketArn}/feedback/*`, `${bucketArn}/models/*`],
            },
            {
                Sid: "ListTrainingData",
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: bucketArn,
                Condition: { StringLike: { "s3:prefix": ["feedback/*", "models/*"] } },
            },
            {
                Sid: "WriteCandidates",
                Effect: "Allow",
                Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
                Resource: modelPrefixes.map((p) => `${bucketArn}/${p}/${CANDIDATE_FOLDER}/*`),
            },
            { Sid: "BucketKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: keyArn },
        ],
    });
}

/** Where under a model's prefix runs put the weights they register. */
export const CANDIDATE_FOLDER = "retrained";

/** `16Gi` → 16, `512Mi` → 0.5; undefined for other forms. */
function gibOf(quantity: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?)(Gi|Mi)$/.exec(quantity);
    if (!m) return undefined;
    return m[2] === "Gi" ? Number(m[1]) : Number(m[1]) / 1024;
}

/**
 * The PromQL KEDA reads for one model: 1 while its drift alert fires, no run of it started in the
 * cooldown and none is running, else nothing (KEDA's prometheus scaler takes an empty result as 0 by default).
 */
export function driftTriggerQuery(model: string, namespace: string, cooldownHours: number): string {
    return (
        `max(ALERTS{alertname="LLMModelDriftDetected",alertstate="firing",model="${model}"}) ` +
        `unless on () (time() - max(kube_job_status_start_time{namespace="${namespace}",job_name=~"${model}-retrain-.+"}) < ${cooldownHours * 3600}) ` +
        // A run still going (a scheduled one longer than the cooldown): not a second beside it.
        `unless on () (sum(kube_job_status_active{namespace="${namespace}",job_name=~"${model}-retrain-.+"}) > 0)`
    );
}

/** The Job of one run: hardened, on the model's GPU pool, with its inputs in the environment. */
export function retrainingJobSpec(
    args: Pick<
        RetrainingTriggerArgs,
        | "image"
        | "dataWindowDays"
        | "timeoutHours"
        | "trackingUri"
        | "resources"
        | "bucketName"
        | "scratchGiB"
        | "sharedMemoryGiB"
    >,
    model: RetrainedModel,
    feedbackUri: pulumi.Input<string>,
    trigger: "schedule" | "drift",
): k8s.types.input.batch.v1.JobSpec {
    const registered = model.registeredModel ?? model.name;
    const gpu = String(model.gpus ?? 1);
    const resources = args.resources ?? { cpu: "4", memory: "16Gi" };
    const securityContext = restrictedContainerContext(RETRAINING_UID);
    const labels = { "app.kubernetes.io/name": `${model.name}-retrain`, "app.kubernetes.io/component": "retraining" };
    return {
        backoffLimit: 1,
        activeDeadlineSeconds: args.timeoutHours * 3600,
        template: {
            metadata: { labels: { ...labels, "llm-platform/trigger": trigger } },
            spec: {
                restartPolicy: "Never",
                serviceAccountName: "retrain",
                automountServiceAccountToken: false,
                securityContext: restrictedPodContext(RETRAINING_UID),
                nodeSelector: { ...model.pool.nodeSelector },
                tolerations: model.pool.tolerations.map((t) => ({ ...t })),
                containers: [
                    {
                        name: "retrain",
                        image: args.image,
                        env: [
                            { name: "MLFLOW_TRACKING_URI", value: args.trackingUri },
                            { ...MLFLOW_TELEMETRY_OFF },
                            { name: "LLM_MODEL", value: model.name },
                            { name: "LLM_REGISTERED_MODEL", value: registered },
                            { name: "LLM_BASE_MODEL_URI", value: model.baseModelUri },
                            {
                                name: "LLM_CANDIDATE_URI",
                                value: pulumi.interpolate`s3://${args.bucketName}/${model.modelPrefix}/${CANDIDATE_FOLDER}/`,
                            },
                            { name: "LLM_DATA_WINDOW_DAYS", value: String(args.dataWindowDays) },
                            { name: "LLM_FEEDBACK_URI", value: feedbackUri },
                            { name: "LLM_CANDIDATE_ALIAS", value: CANDIDATE_ALIAS },
                            { name: "LLM_TRIGGER", value: trigger },
                            { name: "HOME", value: "/tmp" },
                        ],
                        resources: {
                            requests: { cpu: resources.cpu, memory: resources.memory, "nvidia.com/gpu": gpu },
                            limits: { cpu: resources.cpu, memory: resources.memory, "nvidia.com/gpu": gpu },
                        },
                        securityContext,
                        volumeMounts: [
                            { name: "work", mountPath: "/tmp" },
                            { name: "shm", mountPath: "/dev/shm" },
                        ],
                    },
                ],
                volumes: [
                    { name: "work", emptyDir: { sizeLimit: `${args.scratchGiB ?? 100}Gi` } },
                    // The container runtime's /dev/shm is 64 MiB; PyTorch's workers and NCCL need more.
                    { name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${args.sharedMemoryGiB ?? 8}Gi` } },
                ],
            },
        },
    };
}

/** The retraining trigger: for each model, a run of the team's training image on a schedule (a CronJob) and when its drift alert fires (a KEDA ScaledJob), ending, by the image's contract, in a new registered version under the alias `candidate`. */
export class RetrainingTrigger extends pulumi.ComponentResource {
    public readonly namespace: string;
    /** The schedule's CronJobs and the drift ScaledJobs, by model. */
    public readonly cronJobs: Record<string, k8s.batch.v1.CronJob> = {};
    public readonly driftJobs: Record<string, k8s.apiextensions.CustomResource> = {};

    constructor(name: string, args: RetrainingTriggerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:RetrainingTrigger", name, {}, opts);
        assertValid(this, "RetrainingTrigger", name, validateRetrainingTriggerArgs(args));
        const ns = args.namespace ?? RETRAINING_NAMESPACE;
        this.namespace = ns;
        const k8sOpts = { parent: this, provider: args.provider };
        const tags = args.tags ?? {};

        const { namespace, serviceAccount } = createWorkloadIdentity(
            name,
            "read",
            {
                namespace: ns,
                serviceAccount: "retrain",
                description: `${name}: retraining runs read feedback and weights from the model bucket and write their candidates`,
                policy: pulumi.all([args.bucketArn, args.kmsKeyArn]).apply(([b, k]) =>
                    retrainingPolicy(
                        b,
                        k,
                        args.models.map((m) => m.modelPrefix),
                    ),
                ),
                oidcProviderArn: args.oidcProviderArn,
                oidcIssuerUrl: args.oidcIssuerUrl,
                tags,
            },
            k8sOpts,
        );
        const nsName = namespace.metadata.name;
        for (const model of args.models) {
            this.cronJobs[model.name] = new k8s.batch.v1.CronJob(
                `${name}-${model.name}-schedule`,
                {
                    metadata: { name: `${model.name}-retrain-schedule`, namespace: nsName },
                    spec: {
                        schedule: args.schedule,
                        timeZone: "Etc/UTC",
                        concurrencyPolicy: "Forbid",
                        startingDeadlineSeconds: 3600,
                        successfulJobsHistoryLimit: 3,
                        failedJobsHistoryLimit: 3,
                        jobTemplate: { spec: retrainingJobSpec(args, model, args.feedbackUri, "schedule") },
                    },
                },
                { ...k8sOpts, dependsOn: [serviceAccount, ...(args.registryReady ?? [])] },
            );
            this.driftJobs[model.name] = new k8s.apiextensions.CustomResource(
                `${name}-${model.name}-drift`,
                {
                    apiVersion: "keda.sh/v1alpha1",
                    kind: "ScaledJob",
                    metadata: { name: `${model.name}-retrain-drift`, namespace: nsName },
                    spec: {
                        jobTargetRef: retrainingJobSpec(args, model, args.feedbackUri, "drift"),
                        pollingInterval: DRIFT_POLL_SECONDS,
                        // One run at a time; the query's cooldown keeps a still-firing alert from starting the next.
                        maxReplicaCount: 1,
                        successfulJobsHistoryLimit: 3,
                        failedJobsHistoryLimit: 3,
                        // KEDA deletes the Jobs of a previous generation of the ScaledJob (any change
                        // to its spec: a new image, a cooldown) unless gradual: a run in flight, and
                        // the start time the cooldown reads, would go with them.
                        rollout: { strategy: "gradual" },
                        triggers: [
                            {
                                type: "prometheus",
                                metadata: {
                                    serverAddress: args.keda.prometheusUrl,
                                    query: driftTriggerQuery(model.name, ns, args.cooldownHours),
                                    threshold: "1",
                                },
                            },
                        ],
                    },
                },
                { ...k8sOpts, dependsOn: [serviceAccount, ...args.keda.ready, ...(args.registryReady ?? [])] },
            );
        }
        this.registerOutputs({ namespace: ns });
    }
}
