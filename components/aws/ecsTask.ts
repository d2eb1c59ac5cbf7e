import { SECRET_REFERENCE } from "../../catalog/formats";
import { denyInsecureTransport } from "./bucketPolicies";
import { serverArgs, serverEnvironment } from "../vllmServer";

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

/** The weights sync's memory: reserved for placement, and its hard limit. */
export const MODEL_SYNC_MEMORY_RESERVATION_MIB = 256;
export const MODEL_SYNC_MEMORY_MIB = 1024;

/** The task's containers: a one-shot weights sync, then the server, which depends on its success. */
export function buildContainerDefinitions(spec: EcsContainerSpec): Array<Record<string, unknown>> {
    const user = `${spec.runAsUser}:${spec.runAsUser}`;
    const logs = (prefix: string) => ({
        logDriver: "awslogs",
        options: { "awslogs-group": spec.logGroupName, "awslogs-region": spec.region, "awslogs-stream-prefix": prefix },
    });
    const modelPath = `${ECS_SCRATCH_PATH}/models/${spec.modelVersion}`;
    const server = { modelPath, port: spec.containerPort, logLevel: spec.logLevel };
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
                startPeriod: 300,
            },
            mountPoints: mounts,
            linuxParameters: { ...linuxParameters, sharedMemorySize: 2048 },
            stopTimeout: 120,
            ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
            logConfiguration: logs("inference"),
        },
    ];
}

export function validateEcsContainer(
    spec: Omit<EcsContainerSpec, "image" | "modelSource" | "logGroupName" | "region">,
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
    if (!spec.healthPath.startsWith("/"))
        problems.push(
            `healthPath: expected an absolute path such as /health, received ${JSON.stringify(spec.healthPath)}`,
        );
    return problems;
}

export interface AlarmSpec {
    name: string;
    description: string;
    metricName: string;
    statistic?: string;
    extendedStatistic?: string;
    threshold: number;
    comparisonOperator: string;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    period: number;
    treatMissingData: string;
}

/**
 * The alarms that roll an ECS deployment back: target 5xx responses, and p95 target response
 * time over the latency budget (the production standard is 500 ms).
 */
export function deploymentAlarms(prefix: string, max5xxPerMinute: number, p95LatencyMs: number): AlarmSpec[] {
    return [
        {
            name: `${prefix}-target-5xx`,
            description: `More than ${max5xxPerMinute} 5xx responses from the inference targets per minute`,
            metricName: "HTTPCode_Target_5XX_Count",
            statistic: "Sum",
            threshold: max5xxPerMinute,
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: 3,
            datapointsToAlarm: 2,
            period: 60,
            treatMissingData: "notBreaching",
        },
        {
            name: `${prefix}-p95-latency`,
            description: `p95 target response time over ${p95LatencyMs} ms`,
            metricName: "TargetResponseTime",
            extendedStatistic: "p95",
            threshold: p95LatencyMs / 1000,
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            period: 60,
            treatMissingData: "notBreaching",
        },
    ];
}

/** The execution role may fetch exactly the listed secrets. */
export function secretsReadPolicy(secretArns: string[]): string {
    const secrets = secretArns.filter((a) => a.includes(":secretsmanager:"));
    const params = secretArns.filter((a) => a.includes(":ssm:"));
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            ...(secrets.length
                ? [{ Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secrets }]
                : []),
            ...(params.length
                ? [{ Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: params }]
                : []),
        ],
    });
}

/** ALB access logs: the regional ELB account may write under the prefix, over TLS only. */
export function albLogBucketPolicy(
    bucketArn: string,
    elbAccountArn: string,
    accountId: string,
    prefix: string,
): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            denyInsecureTransport(bucketArn),
            {
                Sid: "AllowAlbAccessLogs",
                Effect: "Allow",
                Principal: { AWS: elbAccountArn },
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
    task: { memory?: number | string } = {},
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
