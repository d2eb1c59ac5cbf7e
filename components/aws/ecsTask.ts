import type * as pulumi from "@pulumi/pulumi";
import {
    MODEL_SYNC_MEMORY_MIB,
    MODEL_SYNC_MEMORY_RESERVATION_MIB,
    TTFT_EXPORTER_MEMORY_MIB,
    TTFT_EXPORTER_MEMORY_RESERVATION_MIB,
} from "../../catalog/capacity";
import { SECRET_REFERENCE } from "../../catalog/formats";
import { denyInsecureTransport } from "./bucketPolicies";
import { serverArgs, serverEnvironment, sharedMemoryMiB } from "../vllmServer";
import {
    TTFT_EXPORTER_SCRIPT,
    TTFT_GATE_MIN_REQUESTS,
    TTFT_METRIC_NAMESPACE,
    TTFT_OVER_BUDGET_METRIC,
    TTFT_REQUESTS_METRIC,
} from "./ttftExporter";
import { ttftBudgetProblem } from "../../catalog/vllm";

/**
 * Pure builders for the inference service on ECS: the container definitions (GPU, non-root,
 * read-only root, health check, awslogs, secrets by reference), the CloudWatch alarms that roll a
 * deployment back, and the IAM policy documents. Tested without the engine.
 */

export interface EcsContainerSpec {
    image: string;
    modelVersion: string;
    /** `s3://<bucket>/models`. */
    modelSource: string;
    gpus: number;
    /** CPU units (1024 = one vCPU) and hard memory limit, MiB. */
    cpuUnits: number;
    memoryMiB: number;
    containerPort: number;
    healthPath: string;
    runAsUser: number;
    logLevel: string;
    logGroupName: string;
    region: string;
    /** Environment name → Secrets Manager or SSM parameter ARN. */
    secrets: Record<string, string>;
    modelSyncImage: string;
    /** The p95 time-to-first-token budget, ms: one of vLLM's TTFT bucket bounds. */
    ttftBudgetMs: number;
    /**
     * The `Service` dimension of the TTFT metrics, which the rollback alarm reads: unique in the
     * account and region (BlueGreenEcsService uses `<cluster name>/<its name>`), or another
     * stack's traffic would count.
     */
    metricsService: string;
}

/**
 * The task's one writable place, shared by both containers: a task-scoped Docker volume (the local
 * driver) at /tmp, holding the weights (`/tmp/models/<version>`), vLLM's caches and sockets
 * (HOME=/tmp) and the sync's. Docker gives an empty volume the owner and mode of the folder it is
 * mounted over in the image (moby's copyExistingContents; containerd/continuity's CopyDir), and
 * /tmp is world-writable (1777) in the vLLM, inference and aws-cli images alike, so the non-root
 * uid of both containers can write it whichever container Docker creates first. A volume mounted
 * where an image has no folder, such as /models, would be root's and read-only to them.
 */
export const ECS_SCRATCH_VOLUME = "scratch";
export const ECS_SCRATCH_PATH = "/tmp";

/** The task definition's volumes: the scratch volume, created with the task and removed with it. */
export const ECS_TASK_VOLUMES = [
    { name: ECS_SCRATCH_VOLUME, dockerVolumeConfiguration: { scope: "task", driver: "local" } },
];

/**
 * The host ports ECS gives a bridge-mode task whose host port is 0 (a dynamic port): the kernel's
 * `ip_local_port_range` (32768–60999 on Amazon Linux), or 49153–65535 where it cannot be read
 * (amazon-ecs-agent v1.105.0 `agent/utils/ephemeral_ports_linux.go`). The instances admit the load
 * balancer on all of them; a fixed host port would allow one task per instance, whatever its GPUs.
 */
export const ECS_DYNAMIC_HOST_PORTS = { from: 32768, to: 65535 } as const;

/**
 * Seconds the server's container health check ignores failures after it starts: ECS's ceiling for
 * `startPeriod`. A longer model load is the service's grace period's (`startupGraceSeconds`).
 */
export const ECS_HEALTH_START_PERIOD_SECONDS = 300;

/**
 * The task's containers: a one-shot weights sync, then the server, which depends on its success,
 * and beside it the exporter of its time to first token.
 */
export function buildContainerDefinitions(spec: EcsContainerSpec): Array<Record<string, unknown>> {
    const user = `${spec.runAsUser}:${spec.runAsUser}`;
    const logs = (prefix: string) => ({
        logDriver: "awslogs",
        options: { "awslogs-group": spec.logGroupName, "awslogs-region": spec.region, "awslogs-stream-prefix": prefix },
    });
    const modelPath = `${ECS_SCRATCH_PATH}/models/${spec.modelVersion}`;
    // A task's GPUs serve one model: vLLM shards it over all of them (its default is one GPU).
    const tensorParallelSize = spec.gpus > 1 ? spec.gpus : undefined;
    const server = { modelPath, port: spec.containerPort, logLevel: spec.logLevel, tensorParallelSize };
    const linuxParameters = { initProcessEnabled: true, capabilities: { drop: ["ALL"] } };
    const mounts = [{ sourceVolume: ECS_SCRATCH_VOLUME, containerPath: ECS_SCRATCH_PATH, readOnly: false }];
    return [
        {
            name: "model-sync",
            image: spec.modelSyncImage,
            essential: false,
            user,
            readonlyRootFilesystem: true,
            command: ["s3", "sync", "--only-show-errors", `${spec.modelSource}/${spec.modelVersion}`, modelPath],
            // On EC2, RegisterTaskDefinition refuses a container with neither memory nor
            // memoryReservation when the task sets no memory of its own. The CLI's transfers (10
            // requests of 8 MiB chunks by default) need far less than the hard limit.
            memoryReservation: MODEL_SYNC_MEMORY_RESERVATION_MIB,
            memory: MODEL_SYNC_MEMORY_MIB,
            environment: [{ name: "HOME", value: "/tmp" }],
            mountPoints: mounts,
            linuxParameters,
            logConfiguration: logs("model-sync"),
        },
        {
            name: "inference",
            image: spec.image,
            essential: true,
            user,
            readonlyRootFilesystem: true,
            cpu: spec.cpuUnits,
            memory: spec.memoryMiB,
            resourceRequirements: [{ type: "GPU", value: String(spec.gpus) }],
            portMappings: [
                // A dynamic host port: one task per GPU on an instance, as the capacity check counts them.
                { name: "http", containerPort: spec.containerPort, hostPort: 0, protocol: "tcp" },
            ],
            // The image's ENTRYPOINT is vLLM's OpenAI server; ECS's command is Docker's CMD: its flags.
            command: serverArgs(server),
            environment: [
                ...serverEnvironment({ ...server, modelVersion: spec.modelVersion }),
                // On the scratch volume, as on EKS on the weights' (images/inference sets a folder
                // of /models, which the task does not mount).
                { name: "HF_HOME", value: `${ECS_SCRATCH_PATH}/.cache/huggingface` },
            ],
            // Values are fetched by the agent at start; nothing secret is in the task definition.
            secrets: Object.entries(spec.secrets).map(([name, valueFrom]) => ({ name, valueFrom })),
            dependsOn: [{ containerName: "model-sync", condition: "SUCCESS" }],
            healthCheck: {
                command: [
                    "CMD",
                    "python3",
                    "-c",
                    `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${spec.containerPort}${spec.healthPath}', timeout=5)`,
                ],
                interval: 30,
                timeout: 10,
                retries: 3,
                startPeriod: ECS_HEALTH_START_PERIOD_SECONDS,
            },
            mountPoints: mounts,
            linuxParameters: { ...linuxParameters, sharedMemorySize: sharedMemoryMiB(spec.gpus) },
            stopTimeout: 120,
            ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
            logConfiguration: logs("inference"),
        },
        {
            // Time to first token, from vLLM's histogram, as CloudWatch metrics in EMF log events:
            // what the rollback gate reads (components/aws/ttftExporter.ts). The server's own image
            // and interpreter; it finds the server's bridge address in the task metadata (no
            // Docker link, which would copy the server's secrets into its environment).
            name: "ttft-metrics",
            image: spec.image,
            essential: false,
            user,
            readonlyRootFilesystem: true,
            entryPoint: ["python3", "-c"],
            command: [TTFT_EXPORTER_SCRIPT],
            dependsOn: [{ containerName: "inference", condition: "START" }],
            memoryReservation: TTFT_EXPORTER_MEMORY_RESERVATION_MIB,
            memory: TTFT_EXPORTER_MEMORY_MIB,
            environment: [
                { name: "METRICS_CONTAINER", value: "inference" },
                { name: "METRICS_PORT", value: String(spec.containerPort) },
                { name: "TTFT_BUDGET_SECONDS", value: String(spec.ttftBudgetMs / 1000) },
                { name: "SERVICE", value: spec.metricsService },
                { name: "NAMESPACE", value: TTFT_METRIC_NAMESPACE },
                { name: "PERIOD_SECONDS", value: "60" },
                { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
            ],
            // Replaces the HEALTHCHECK the server's image may carry (images/inference probes the
            // server's port, which is not this container's): ECS acts on neither.
            healthCheck: { command: ["CMD", "true"], interval: 300, timeout: 5, retries: 1 },
            linuxParameters,
            logConfiguration: logs("ttft-metrics"),
        },
    ];
}

export function validateEcsContainer(
    spec: Omit<EcsContainerSpec, "image" | "modelSource" | "logGroupName" | "region" | "metricsService">,
): string[] {
    const problems: string[] = [];
    for (const [name, arn] of Object.entries(spec.secrets)) {
        if (!/^[A-Z_][A-Z0-9_]*$/.test(name))
            problems.push(`secrets.${name}: expected an environment variable name (A-Z, 0-9, _)`);
        if (!SECRET_REFERENCE.test(arn)) {
            problems.push(
                `secrets.${name}: expected a Secrets Manager secret or SSM parameter ARN (never a plain value), received ${JSON.stringify(arn.length > 12 ? `${arn.slice(0, 12)}…` : arn)}`,
            );
        }
    }
    if (!Number.isInteger(spec.cpuUnits) || spec.cpuUnits < 256)
        problems.push(`cpuUnits: expected an integer >= 256 (1024 per vCPU), received ${spec.cpuUnits}`);
    if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 512)
        problems.push(`memoryMiB: expected an integer >= 512, received ${spec.memoryMiB}`);
    const shm = sharedMemoryMiB(spec.gpus);
    if (Number.isInteger(spec.memoryMiB) && spec.gpus > 1 && spec.memoryMiB <= shm + 4096)
        problems.push(
            `memoryMiB: expected more than ${shm + 4096} for a task of ${spec.gpus} GPUs (vLLM's workers share ${shm} MiB of /dev/shm, counted in the container's memory, and need 4096 more), received ${spec.memoryMiB}`,
        );
    const budget = ttftBudgetProblem(spec.ttftBudgetMs);
    if (budget !== undefined) problems.push(`p95LatencyMs: ${budget}, received ${spec.ttftBudgetMs}`);
    if (!spec.healthPath.startsWith("/"))
        problems.push(
            `healthPath: expected an absolute path such as /health, received ${JSON.stringify(spec.healthPath)}`,
        );
    return problems;
}

/** One series of a metric-math alarm: a metric, or an expression over the others. */
export interface AlarmQuery {
    id: string;
    metric?: {
        namespace: string;
        metricName: string;
        stat: string;
        dimensions: Record<string, pulumi.Input<string>>;
    };
    expression?: string;
    label?: string;
    returnData: boolean;
}

/**
 * A CloudWatch alarm: on one metric of the namespace and dimensions its caller gives
 * (`metricName` and a statistic), or on metric math (`metrics`, one series returning data).
 */
export interface AlarmSpec {
    name: string;
    description: string;
    metricName?: string;
    statistic?: string;
    extendedStatistic?: string;
    metrics?: AlarmQuery[];
    threshold: number;
    comparisonOperator: string;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    period: number;
    treatMissingData: string;
}

/**
 * The alarms that roll an ECS deployment back:
 * - 5xx answers of the targets, and of the load balancer itself (502/504 when a revision hangs or
 *   closes connections; the targets' count does not see them);
 * - p95 time to first token over the budget: more than 5 % of a minute's requests (at least
 *   {@link TTFT_GATE_MIN_REQUESTS}) got their first token after it, from the tasks' own TTFT
 *   histogram (components/aws/ttftExporter.ts). `service` is the metrics' `Service` dimension.
 */
export function deploymentAlarms(
    prefix: string,
    max5xxPerMinute: number,
    p95LatencyMs: number,
    service: pulumi.Input<string>,
): AlarmSpec[] {
    const errors = (suffix: string, metricName: string, what: string): AlarmSpec => ({
        name: `${prefix}-${suffix}`,
        description: `More than ${max5xxPerMinute} 5xx responses ${what} per minute`,
        metricName,
        statistic: "Sum",
        threshold: max5xxPerMinute,
        comparisonOperator: "GreaterThanThreshold",
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        period: 60,
        treatMissingData: "notBreaching",
    });
    const ttft = (id: string, metricName: string): AlarmQuery => ({
        id,
        metric: { namespace: TTFT_METRIC_NAMESPACE, metricName, stat: "Sum", dimensions: { Service: service } },
        returnData: false,
    });
    return [
        errors("target-5xx", "HTTPCode_Target_5XX_Count", "from the inference targets"),
        errors("elb-5xx", "HTTPCode_ELB_5XX_Count", "from the load balancer (no target answered in time)"),
        {
            name: `${prefix}-p95-ttft`,
            description: `p95 time to first token over ${p95LatencyMs} ms: more than 5 % of a minute's requests (at least ${TTFT_GATE_MIN_REQUESTS}) over it`,
            metrics: [
                ttft("requests", TTFT_REQUESTS_METRIC),
                ttft("over", TTFT_OVER_BUDGET_METRIC),
                {
                    id: "overPercent",
                    expression: `IF(requests >= ${TTFT_GATE_MIN_REQUESTS}, 100 * over / requests, 0)`,
                    label: `Requests over ${p95LatencyMs} ms to first token (%)`,
                    returnData: true,
                },
            ],
            threshold: 5,
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            period: 60,
            treatMissingData: "notBreaching",
        },
    ];
}

/**
 * The secret an ECS `valueFrom` reads, as IAM names it. A Secrets Manager reference may end in
 * `:<json-key>:<version-stage>:<version-id>` (ECS developer guide, "Pass Secrets Manager secrets
 * through Amazon ECS environment variables"), which is no part of the secret's ARN, and a secret's
 * full ARN ends in `-` and six random characters: a reference without them matches the secret
 * through `-??????` (Secrets Manager user guide, "Resource: secret ARN"). A reference whose name
 * ends like the suffix is granted both ways. SSM parameters are taken as they are.
 */
export function secretResourceArns(valueFrom: string): string[] {
    if (!valueFrom.includes(":secretsmanager:")) return [valueFrom];
    const arn = valueFrom.split(":").slice(0, 7).join(":");
    // A name may itself end in '-' and six letters or digits ("hf-tokens"): then grant both readings.
    return /-[A-Za-z0-9]{6}$/.test(arn) ? [arn, `${arn}-??????`] : [`${arn}-??????`];
}

/**
 * The execution role may fetch exactly the listed secrets, and decrypt them with the customer
 * managed KMS keys they are encrypted with, only through Secrets Manager and SSM of the secrets'
 * regions. Secrets under the AWS managed keys need no KMS grant.
 */
export function secretsReadPolicy(secretArns: string[], kmsKeyArns: string[] = []): string {
    const unique = (arns: string[]) => [...new Set(arns)];
    const secrets = unique(secretArns.filter((a) => a.includes(":secretsmanager:")).flatMap(secretResourceArns));
    const params = unique(secretArns.filter((a) => a.includes(":ssm:")));
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            ...(secrets.length
                ? [{ Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secrets }]
                : []),
            ...(params.length
                ? [{ Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: params }]
                : []),
            ...(kmsKeyArns.length
                ? [
                      {
                          Sid: "DecryptSecrets",
                          Effect: "Allow",
                          Action: "kms:Decrypt",
                          Resource: unique(kmsKeyArns),
                          Condition: {
                              StringEquals: {
                                  "kms:ViaService": unique(
                                      secretArns.map((a) => {
                                          const [, , service, region] = a.split(":");
                                          return `${service}.${region}.amazonaws.com`;
                                      }),
                                  ),
                              },
                          },
                      },
                  ]
                : []),
        ],
    });
}

/**
 * The regions whose load balancers deliver access logs as a regional ELB account (the regions of
 * terraform-provider-aws's `aws_elb_service_account`, which refuses any other): every region
 * opened before August 2022. Later ones deliver as the service `logdelivery.elasticloadbalancing.amazonaws.com`.
 */
export const ELB_ACCOUNT_REGIONS: ReadonlySet<string> = new Set([
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ca-central-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
]);

/** Who writes a region's ALB access logs: its ELB account, or the log delivery service. */
export type AlbLogWriter = { AWS: string } | { Service: "logdelivery.elasticloadbalancing.amazonaws.com" };

/** The log delivery service: the writer in regions without an ELB account. */
export const ALB_LOG_DELIVERY_SERVICE: AlbLogWriter = { Service: "logdelivery.elasticloadbalancing.amazonaws.com" };

/** ALB access logs: the region's writer (its ELB account or the delivery service) may write under the prefix, over TLS only. */
export function albLogBucketPolicy(bucketArn: string, writer: AlbLogWriter, accountId: string, prefix: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            denyInsecureTransport(bucketArn),
            {
                Sid: "AllowAlbAccessLogs",
                Effect: "Allow",
                Principal: writer,
                Action: "s3:PutObject",
                Resource: `${bucketArn}/${prefix}/AWSLogs/${accountId}/*`,
            },
        ],
    });
}

const CONTAINER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const DEPENDENCY_CONDITIONS = new Set(["START", "COMPLETE", "SUCCESS", "HEALTHY"]);

/**
 * What ECS's RegisterTaskDefinition would refuse in an EC2 task definition's containers (ECS API
 * reference, ContainerDefinition, HealthCheck and ContainerDependency; docs/UPSTREAM.md, "ECS task
 * definitions"): every problem, each naming its container and field.
 */
export function registerTaskDefinitionProblems(
    containers: ReadonlyArray<Record<string, unknown>>,
    task: { memory?: number | string; networkMode?: string } = {},
): string[] {
    const problems: string[] = [];
    const names = containers.map((c) => String(c.name ?? ""));
    const int = (v: unknown) => (typeof v === "number" && Number.isInteger(v) ? v : undefined);
    if (!containers.some((c) => c.essential !== false))
        problems.push("containerDefinitions: at least one container must be essential");
    containers.forEach((c, i) => {
        const name = names[i];
        const at = `containerDefinitions[${i}] (${name || "unnamed"})`;
        if (!CONTAINER_NAME.test(name)) problems.push(`${at}.name: 1 to 255 letters, digits, '-' and '_'`);
        if (names.indexOf(name) !== i) problems.push(`${at}.name: another container has the same name`);
        const memory = int(c.memory);
        const reservation = int(c.memoryReservation);
        if (task.memory === undefined && memory === undefined && reservation === undefined)
            problems.push(
                `${at}: at least one of memory or memoryReservation must be specified (the task sets no memory of its own)`,
            );
        if (memory !== undefined && memory < 6) problems.push(`${at}.memory: at least 6 MiB, received ${memory}`);
        if (reservation !== undefined && reservation < 6)
            problems.push(`${at}.memoryReservation: at least 6 MiB, received ${reservation}`);
        if (memory !== undefined && reservation !== undefined && reservation >= memory)
            problems.push(`${at}.memoryReservation: must be less than memory (${memory}), received ${reservation}`);
        const hc = c.healthCheck as Record<string, unknown> | undefined;
        if (hc) {
            const range = (field: string, lo: number, hi: number) => {
                const v = hc[field];
                if (v !== undefined && (int(v) === undefined || (v as number) < lo || (v as number) > hi))
                    problems.push(
                        `${at}.healthCheck.${field}: an integer from ${lo} to ${hi}, received ${JSON.stringify(v)}`,
                    );
            };
            range("interval", 5, 300);
            range("timeout", 2, 60);
            range("retries", 1, 10);
            range("startPeriod", 0, 300);
        }
        for (const link of (c.links as string[] | undefined) ?? []) {
            if ((task.networkMode ?? "bridge") !== "bridge")
                problems.push(`${at}.links: only in the bridge network mode, not ${task.networkMode}`);
            if (!names.includes(link.split(":")[0]) || link.split(":")[0] === name)
                problems.push(`${at}.links: no other container ${JSON.stringify(link.split(":")[0])}`);
        }
        for (const d of (c.dependsOn as Array<Record<string, unknown>> | undefined) ?? []) {
            const target = containers[names.indexOf(String(d.containerName))];
            if (!target) problems.push(`${at}.dependsOn: no container ${JSON.stringify(d.containerName)}`);
            if (!DEPENDENCY_CONDITIONS.has(String(d.condition)))
                problems.push(`${at}.dependsOn: condition must be START, COMPLETE, SUCCESS or HEALTHY`);
            if (target && target.essential !== false && (d.condition === "SUCCESS" || d.condition === "COMPLETE"))
                problems.push(
                    `${at}.dependsOn: ${String(d.condition)} cannot be set on an essential container (${String(d.containerName)})`,
                );
            if (target && d.condition === "HEALTHY" && !target.healthCheck)
                problems.push(`${at}.dependsOn: HEALTHY needs a health check on ${String(d.containerName)}`);
        }
    });
    return problems;
}
