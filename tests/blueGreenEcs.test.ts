import * as assert from "node:assert/strict";
import {
    buildEcsDashboard,
    capacityAlarms,
    topicKeyPolicy,
    validateEcsMonitoringArgs,
} from "../components/aws/ecsMonitoring";
import {
    BlueGreenEcsService,
    type BlueGreenEcsServiceArgs,
    ECS_GPU_AMI_PARAMETER,
    ECS_SERVICE_DEFAULTS,
    validateBlueGreenEcsServiceArgs,
    withEcsServiceDefaults,
} from "../components/aws/blueGreenEcsService";
import {
    albLogBucketPolicy,
    buildContainerDefinitions,
    ECS_TASK_VOLUMES,
    deploymentAlarms,
    registerTaskDefinitionProblems,
    secretsReadPolicy,
    validateEcsContainer,
} from "../components/aws/ecsTask";
import { ecsDeploymentInstances, ecsInstanceMemoryReserveMiB } from "../catalog/capacity";
import { PROD_BAKE_TIME_MINUTES, PROD_MIN_REPLICAS, ROLLBACK_MAX_5XX_PER_MINUTE } from "../catalog/standards";
import { requestsPerTaskMetrics, serviceTimeoutMinutes } from "../components/aws/ecsDeployment";
import { TIER_DEFAULTS } from "../environments/defaults";
import { diffExports } from "../tools/reports/diff";
import { runProgram, type RunResult } from "../tools/engine/run";
import type { ExportedResource, StackExport } from "../tools/engine/stackExport";
import { find } from "./helpers";
import { ECS_VARIANT_P95_MS, ecsWithPrebuiltImage, planOf } from "./plans";

const DIGEST = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"d".repeat(64)}`;
const SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:llm/hf-token-AbCdEf";
const PARAM = "arn:aws:ssm:us-east-1:111122223333:parameter/llm/api-key";

function containerSpec() {
    return {
        image: DIGEST,
        modelVersion: "v2",
        modelSource: "s3://models/models",
        gpus: 1,
        cpuUnits: 4096,
        memoryMiB: 24576,
        containerPort: 8000,
        healthPath: "/health",
        runAsUser: 10001,
        logLevel: "INFO",
        logGroupName: "/llm/inference",
        region: "us-east-1",
        secrets: { HF_TOKEN: SECRET, API_KEY: PARAM },
        modelSyncImage: "public.ecr.aws/aws-cli/aws-cli:2.22.35",
        ttftBudgetMs: 500,
        metricsService: "inference-ecs",
    };
}

/** The arguments BlueGreenEcsService has no default for. */
const REQUIRED_ECS_ARGS = {
    vpcId: "v",
    loadBalancerSubnetIds: [],
    instanceSubnetIds: [],
    image: DIGEST,
    modelBucketName: "b",
    modelReadPolicyArn: "p",
};

describe("BlueGreenEcsService defaults", () => {
    it("apply once, from one table: an argument left out or set to undefined takes its default", () => {
        const resolved = withEcsServiceDefaults({ ...REQUIRED_ECS_ARGS, minTasks: undefined, maxTasks: 6 });
        assert.deepEqual(resolved, { ...ECS_SERVICE_DEFAULTS, ...REQUIRED_ECS_ARGS, maxTasks: 6 });
        assert.deepEqual(
            [resolved.minTasks, resolved.memoryMiB, resolved.bakeTimeMinutes, resolved.amiParameter],
            [2, 24576, 15, ECS_GPU_AMI_PARAMETER],
        );
    });

    it("take the production standards from the catalogue, as the prod tier does", () => {
        assert.equal(ECS_SERVICE_DEFAULTS.bakeTimeMinutes, PROD_BAKE_TIME_MINUTES);
        assert.equal(TIER_DEFAULTS.prod.ecs.bakeTimeMinutes, PROD_BAKE_TIME_MINUTES);
        assert.equal(ECS_SERVICE_DEFAULTS.minTasks, PROD_MIN_REPLICAS);
        assert.equal(TIER_DEFAULTS.prod.ecs.minTasks, PROD_MIN_REPLICAS);
        assert.equal(TIER_DEFAULTS.prod.ecs.max5xxPerMinute, ROLLBACK_MAX_5XX_PER_MINUTE);
        // Where the component and the prod tier share a key they differ only in the prod sizing.
        const prod = TIER_DEFAULTS.prod.ecs as Record<string, unknown>;
        const differs = Object.entries(ECS_SERVICE_DEFAULTS)
            .filter(([k, v]) => k in prod && JSON.stringify(prod[k]) !== JSON.stringify(v))
            .map(([k, v]) => `${k}: ${JSON.stringify(v)} vs ${JSON.stringify(prod[k])}`);
        assert.deepEqual(differs, ["maxInstances: 8 vs 12", "maxTasks: 4 vs 6", "logRetentionDays: 30 vs 90"]);
    });

    it("are enough for a blue/green deployment at maxTasks, and say so when they are not", () => {
        assert.deepEqual(validateBlueGreenEcsServiceArgs(REQUIRED_ECS_ARGS), []);
        assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, maxTasks: 5 }), [
            "maxInstances: expected at least 10 for a blue/green deployment at maxTasks (both colours at maxTasks (2 × 5 tasks), 1 task(s) of 1 GPU(s) per instance, bound by GPUs), received 8",
        ]);
        assert.deepEqual(
            validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, instanceTypes: ["g5.12xlarge"], maxTasks: 8 }),
            [],
            "4 GPUs per instance: 16 tasks on 4 instances",
        );
        assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, gpus: 2, memoryMiB: 26000 }), [
            "gpus: a task asks 2 GPUs, more than an instance of the instance types has (1)",
        ]);
        assert.deepEqual(ecsDeploymentInstances(["g5.12xlarge"], { gpus: 2, cpuUnits: 4096, memoryMiB: 32768 }, 3), {
            needed: 3,
            tasksPerInstance: 2,
            limitedBy: "GPUs",
            explain: "both colours at maxTasks (2 × 3 tasks), 2 task(s) of 2 GPU(s) per instance, bound by GPUs",
        });
    });

    it("count a task's CPU and memory, with its sidecars' reservations, not only its GPUs (issue 31)", () => {
        // g5.12xlarge: 4 GPUs, 48 vCPUs, 192 GiB. 48 GiB tasks: 4 by GPUs, but (196608 - 1536) / (49152 + 320) = 3 by memory.
        assert.deepEqual(ecsDeploymentInstances(["g5.12xlarge"], { gpus: 1, cpuUnits: 4096, memoryMiB: 49152 }, 3), {
            needed: 2,
            tasksPerInstance: 3,
            limitedBy: "memory",
            explain: "both colours at maxTasks (2 × 3 tasks), 3 task(s) of 1 GPU(s) per instance, bound by memory",
        });
        // The system's share grows with the instance: 3 % of 192 GiB (5899 MiB), not a flat 1.5 GiB.
        assert.equal(ecsInstanceMemoryReserveMiB(192), 5899);
        assert.equal(ecsInstanceMemoryReserveMiB(32), 1536);
        assert.equal(
            ecsDeploymentInstances(["g5.12xlarge"], { gpus: 1, cpuUnits: 4096, memoryMiB: 47360 }, 1)?.tasksPerInstance,
            3,
            "(196608 - 5899) / (47360 + 320) is 3.99: one task fewer than a flat reserve would count",
        );
        // 16 vCPUs a task: 3 to an instance.
        assert.equal(
            ecsDeploymentInstances(["g5.12xlarge"], { gpus: 1, cpuUnits: 16384, memoryMiB: 8192 }, 3)?.limitedBy,
            "CPU",
        );
        // g5.2xlarge: 32 GiB less 1.5 GiB holds 31232 MiB: the server's 30913 and the sidecars' 320 do not fit.
        assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, memoryMiB: 30913 }), [
            "memoryMiB: a task's 30913 MiB and its sidecars' 320 MiB do not fit an instance of the instance types (32 GiB, less 1536 MiB for the system)",
        ]);
        assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, memoryMiB: 30912 }), []);
        assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, cpuUnits: 9216 }), [
            "cpuUnits: a task asks 9216 CPU units, more than an instance of the instance types has (8192: 1024 per vCPU)",
        ]);
    });
});

describe("ECS task definition builders", () => {
    const [sync, server] = buildContainerDefinitions(containerSpec());

    it("runs the server with a GPU, as a numeric non-root user, on a read-only root", () => {
        assert.deepEqual(server.resourceRequirements, [{ type: "GPU", value: "1" }]);
        assert.equal(server.user, "10001:10001");
        assert.equal(server.readonlyRootFilesystem, true);
        assert.equal(sync.user, "10001:10001");
        assert.equal(sync.readonlyRootFilesystem, true);
        assert.deepEqual((server.linuxParameters as { capabilities: unknown }).capabilities, { drop: ["ALL"] });
        assert.deepEqual(server.dependsOn, [{ containerName: "model-sync", condition: "SUCCESS" }]);
    });

    it("shares one task-scoped Docker volume over /tmp, which the non-root user can write, for the weights and caches", () => {
        // Docker gives an empty volume the owner and mode of the image's folder under it: /tmp is
        // 1777 in every image here, where a volume at /models (no such folder) would be root's.
        assert.deepEqual(ECS_TASK_VOLUMES, [
            { name: "scratch", dockerVolumeConfiguration: { scope: "task", driver: "local" } },
        ]);
        for (const c of [sync, server])
            assert.deepEqual(c.mountPoints, [{ sourceVolume: "scratch", containerPath: "/tmp", readOnly: false }]);
        assert.deepEqual(sync.command, ["s3", "sync", "--only-show-errors", "s3://models/models/v2", "/tmp/models/v2"]);
        const command = server.command as string[];
        assert.equal(command[command.indexOf("--model") + 1], "/tmp/models/v2");
        const env = Object.fromEntries(
            (server.environment as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]),
        );
        assert.equal(env.HOME, "/tmp");
        assert.equal(env.HF_HOME, "/tmp/.cache/huggingface");
    });

    it("checks health on the health path, logs to CloudWatch, and takes secrets by reference only", () => {
        assert.deepEqual((server.healthCheck as { command: string[] }).command, [
            "CMD",
            "python3",
            "-c",
            "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=5)",
        ]);
        assert.deepEqual(server.logConfiguration, {
            logDriver: "awslogs",
            options: {
                "awslogs-group": "/llm/inference",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "inference",
            },
        });
        assert.deepEqual(server.secrets, [
            { name: "HF_TOKEN", valueFrom: SECRET },
            { name: "API_KEY", valueFrom: PARAM },
        ]);
        const env = (server.environment as Array<{ name: string; value: string }>).map((e) => e.name);
        assert.ok(!env.includes("HF_TOKEN") && !env.includes("API_KEY"));
    });

    it("rejects plain secret values and bad sizes", () => {
        assert.deepEqual(
            validateEcsContainer({
                ...containerSpec(),
                secrets: { HF_TOKEN: "hf_abcdefghijklmnop", bad: PARAM },
                cpuUnits: 100,
            }),
            [
                'secrets.HF_TOKEN: expected a Secrets Manager secret or SSM parameter ARN (never a plain value), received "hf_abcdefghi…"',
                "secrets.bad: expected an environment variable name (A-Z, 0-9, _)",
                "cpuUnits: expected an integer >= 256 (1024 per vCPU), received 100",
            ],
        );
        assert.deepEqual(
            validateBlueGreenEcsServiceArgs({
                ...REQUIRED_ECS_ARGS,
                instanceTypes: ["m5.large", "g5.xlarge"],
                memoryMiB: 24576,
                minTasks: 3,
                maxTasks: 2,
            }),
            [
                'instanceTypes: "m5.large" is not a supported NVIDIA GPU instance type (Fargate has no GPUs)',
                "maxTasks: expected an integer >= minTasks (3), received 2",
            ],
        );
        assert.deepEqual(
            validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, instanceTypes: ["g5.xlarge"], memoryMiB: 24576 }),
            [
                "memoryMiB: a task's 24576 MiB and its sidecars' 320 MiB do not fit an instance of the instance types (16 GiB, less 1536 MiB for the system)",
            ],
        );
    });

    it("rolls back on target and load balancer 5xx and on p95 time to first token over the budget, not on TargetResponseTime (issue 31)", () => {
        const [target, elb, ttft] = deploymentAlarms("svc", 5, 500, "inference-ecs");
        assert.deepEqual(
            [target.name, target.metricName, target.statistic, target.threshold],
            ["svc-target-5xx", "HTTPCode_Target_5XX_Count", "Sum", 5],
        );
        assert.deepEqual(
            [elb.name, elb.metricName, elb.statistic, elb.threshold],
            ["svc-elb-5xx", "HTTPCode_ELB_5XX_Count", "Sum", 5],
        );
        assert.equal(ttft.metricName, undefined);
        assert.deepEqual(ttft.metrics, [
            {
                id: "requests",
                metric: {
                    namespace: "LLMPlatform/Inference",
                    metricName: "TimeToFirstTokenRequests",
                    stat: "Sum",
                    dimensions: { Service: "inference-ecs" },
                },
                returnData: false,
            },
            {
                id: "over",
                metric: {
                    namespace: "LLMPlatform/Inference",
                    metricName: "TimeToFirstTokenOverBudget",
                    stat: "Sum",
                    dimensions: { Service: "inference-ecs" },
                },
                returnData: false,
            },
            {
                id: "overPercent",
                expression: "IF(requests >= 20, 100 * over / requests, 0)",
                label: "Requests over 500 ms to first token (%)",
                returnData: true,
            },
        ]);
        // p95 <= budget exactly when at most 5 % of requests are over it.
        assert.deepEqual(
            [ttft.name, ttft.threshold, ttft.comparisonOperator],
            ["svc-p95-ttft", 5, "GreaterThanThreshold"],
        );
        // The budget is counted from a bucket bound of vLLM's histogram, so it must be one.
        assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, p95LatencyMs: 300 }), [
            "p95LatencyMs: expected one of vLLM's time-to-first-token bucket bounds in ms (1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000, 20000, 40000, 80000, 160000, 640000, 2560000): the rollback gate counts the requests over the budget from that histogram, received 300",
        ]);
        assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, p95LatencyMs: 250 }), []);
    });

    it("scopes the execution role's secret access and the ALB log delivery", () => {
        // SECRET's name ends like Secrets Manager's random suffix ("-AbCdEf"): it may be the full
        // ARN or a name that ends so, and both readings are granted.
        assert.deepEqual(JSON.parse(secretsReadPolicy([SECRET, PARAM])).Statement, [
            {
                Sid: "ReadSecrets",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: [SECRET, `${SECRET}-??????`],
            },
            { Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: [PARAM] },
        ]);
        // A JSON key of a secret is no part of its ARN; a name without the suffix matches through
        // -??????; keys decrypt only through the services and regions of the secrets.
        const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert.deepEqual(
            JSON.parse(
                secretsReadPolicy(
                    [
                        "arn:aws:secretsmanager:us-east-1:111122223333:secret:llm/api:key:AWSCURRENT:",
                        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:llm/api",
                        PARAM,
                    ],
                    [KEY, KEY],
                ),
            ).Statement,
            [
                {
                    Sid: "ReadSecrets",
                    Effect: "Allow",
                    Action: "secretsmanager:GetSecretValue",
                    Resource: [
                        "arn:aws:secretsmanager:us-east-1:111122223333:secret:llm/api-??????",
                        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:llm/api-??????",
                    ],
                },
                { Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: [PARAM] },
                {
                    Sid: "DecryptSecrets",
                    Effect: "Allow",
                    Action: "kms:Decrypt",
                    Resource: [KEY],
                    Condition: {
                        StringEquals: {
                            "kms:ViaService": [
                                "secretsmanager.us-east-1.amazonaws.com",
                                "secretsmanager.eu-west-1.amazonaws.com",
                                "ssm.us-east-1.amazonaws.com",
                            ],
                        },
                    },
                },
            ],
        );
        assert.deepEqual(
            validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, secretsKmsKeyArns: [KEY, "alias/llm"] }),
            [
                'secretsKmsKeyArns: expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), received "alias/llm"',
            ],
        );
        const policy = JSON.parse(
            albLogBucketPolicy("arn:aws:s3:::logs", { AWS: "arn:aws:iam::127311923021:root" }, "111122223333", "alb"),
        );
        assert.deepEqual(policy.Statement[1], {
            Sid: "AllowAlbAccessLogs",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::127311923021:root" },
            Action: "s3:PutObject",
            Resource: "arn:aws:s3:::logs/alb/AWSLogs/111122223333/*",
        });
    });
});

describe("BlueGreenEcsService in the ecs stack", () => {
    let ecs: RunResult;
    const r = (type: string, name: string): ExportedResource => find(ecs.export, type, name);
    before(async () => {
        ecs = await planOf("ecs");
    });

    it("creates no EKS resources when the platform is ecs", () => {
        assert.equal(
            ecs.export.deployment.resources.filter(
                (x) => x.type.startsWith("aws:eks/") || x.type.startsWith("kubernetes:"),
            ).length,
            0,
        );
    });

    it("runs on a GPU capacity provider: the ECS GPU AMI, IMDSv2, managed scaling and termination protection", () => {
        const lt = r("aws:ec2/launchTemplate:LaunchTemplate", "inference-ecs-launch-template");
        assert.match(String(lt.inputs?.imageId), /^ami-0[0-9a-f]{16}$/);
        assert.deepEqual((lt.inputs?.metadataOptions as Record<string, unknown>).httpTokens, "required");
        const userData = Buffer.from(String(lt.inputs?.userData), "base64").toString();
        assert.match(userData, /echo "ECS_CLUSTER=inference-ecs-cluster-[0-9a-f]{7}" >> \/etc\/ecs\/ecs.config\n/);
        const cp = r("aws:ecs/capacityProvider:CapacityProvider", "inference-ecs-gpu").inputs
            ?.autoScalingGroupProvider as Record<string, unknown>;
        assert.equal(cp.managedTerminationProtection, "ENABLED");
        assert.equal((cp.managedScaling as Record<string, unknown>).status, "ENABLED");
        assert.equal(r("aws:autoscaling/group:Group", "inference-ecs-instances").inputs?.protectFromScaleIn, true);
        assert.deepEqual(r("aws:ecs/cluster:Cluster", "inference-ecs-cluster").inputs?.settings, [
            { name: "containerInsights", value: "enhanced" },
        ]);
        assert.equal(
            ECS_GPU_AMI_PARAMETER,
            "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id",
        );
    });

    it("deploys BLUE_GREEN with a bake time, the alternate target group and listener rules, circuit breaker and alarm rollback", () => {
        const service = r("aws:ecs/service:Service", "inference-ecs-service");
        const blue = r("aws:lb/targetGroup:TargetGroup", "inference-ecs-blue");
        const green = r("aws:lb/targetGroup:TargetGroup", "inference-ecs-green");
        assert.deepEqual(service.inputs?.deploymentConfiguration, {
            strategy: "BLUE_GREEN",
            bakeTimeInMinutes: "5",
            lifecycleHooks: [],
        });
        assert.deepEqual(service.inputs?.deploymentCircuitBreaker, { enable: true, rollback: true });
        const alarms = service.inputs?.alarms as { alarmNames: string[]; enable: boolean; rollback: boolean };
        assert.deepEqual([alarms.enable, alarms.rollback, alarms.alarmNames.length], [true, true, 3]);
        const lb = (service.inputs?.loadBalancers as Array<Record<string, unknown>>)[0];
        assert.equal(lb.targetGroupArn, blue.outputs?.arn);
        assert.deepEqual(lb.advancedConfiguration, {
            alternateTargetGroupArn: green.outputs?.arn,
            productionListenerRule: r("aws:lb/listenerRule:ListenerRule", "inference-ecs-production-rule").outputs?.arn,
            testListenerRule: r("aws:lb/listenerRule:ListenerRule", "inference-ecs-test-rule").outputs?.arn,
            roleArn: r("aws:iam/role:Role", "inference-ecs-infrastructure-role").outputs?.arn,
        });
        assert.deepEqual((blue.inputs?.healthCheck as Record<string, unknown>).path, "/v1/models");
    });

    it("does not fight ECS over the weights and target groups it swaps after a deployment", async () => {
        const rule = r("aws:lb/listenerRule:ListenerRule", "inference-ecs-production-rule");
        assert.deepEqual(rule.ignoreChanges, ["actions"]);
        assert.deepEqual(r("aws:ecs/service:Service", "inference-ecs-service").ignoreChanges, [
            "desiredCount",
            "loadBalancers[0].targetGroupArn",
            "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn",
        ]);
        // The state after ECS finished a deployment: green is primary, weights moved to green.
        const afterDeployment = JSON.parse(JSON.stringify(ecs.export)) as StackExport;
        const swap = (name: string, fn: (inputs: Record<string, unknown>) => void) =>
            fn(find(afterDeployment, name.split(" ")[0], name.split(" ")[1]).inputs!);
        swap("aws:lb/listenerRule:ListenerRule inference-ecs-production-rule", (i) => {
            const tgs = (i.actions as Array<{ forward: { targetGroups: Array<{ weight: number }> } }>)[0].forward
                .targetGroups;
            [tgs[0].weight, tgs[1].weight] = [0, 100];
        });
        swap("aws:ecs/service:Service inference-ecs-service", (i) => {
            const lb = (i.loadBalancers as Array<Record<string, unknown>>)[0];
            const adv = lb.advancedConfiguration as Record<string, unknown>;
            [lb.targetGroupArn, adv.alternateTargetGroupArn] = [adv.alternateTargetGroupArn, lb.targetGroupArn];
            i.desiredCount = 2;
        });
        const next = await planOf("ecs");
        assert.deepEqual(diffExports(afterDeployment, next.export).changes, []);
    });

    it("makes task definitions RegisterTaskDefinition accepts: every container has memory on EC2 (issue 31)", () => {
        const defs = JSON.parse(
            String(r("aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task").inputs?.containerDefinitions),
        ) as Array<Record<string, unknown>>;
        assert.equal(r("aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task").inputs?.memory, undefined);
        assert.deepEqual(registerTaskDefinitionProblems(defs), []);
        assert.deepEqual([defs[0].memoryReservation, defs[0].memory], [256, 1024]);
        // Every ECS task definition the stacks and the builders make is held to the same rules.
        for (const other of [
            buildContainerDefinitions(containerSpec()),
            buildContainerDefinitions({ ...containerSpec(), gpus: 4 }),
        ])
            assert.deepEqual(registerTaskDefinitionProblems(other), []);
        // What ECS refuses, as the old sync container was.
        const { memory: _m, memoryReservation: _r, ...noMemory } = defs[0];
        assert.deepEqual(registerTaskDefinitionProblems([noMemory, defs[1]]), [
            "containerDefinitions[0] (model-sync): at least one of memory or memoryReservation must be specified (the task sets no memory of its own)",
        ]);
        assert.deepEqual(registerTaskDefinitionProblems([noMemory, defs[1]], { memory: 4096 }), []);
        assert.deepEqual(
            registerTaskDefinitionProblems([
                { ...defs[0], essential: false, memoryReservation: 2048 },
                {
                    ...defs[1],
                    essential: false,
                    healthCheck: { ...(defs[1].healthCheck as object), startPeriod: 600, retries: 0, timeout: 90 },
                    dependsOn: [
                        { containerName: "model-sync", condition: "SUCCESS" },
                        { containerName: "missing", condition: "READY" },
                    ],
                },
                { ...defs[1] },
            ]),
            [
                "containerDefinitions[0] (model-sync).memoryReservation: must be less than memory (1024), received 2048",
                "containerDefinitions[1] (inference).healthCheck.timeout: an integer from 2 to 60, received 90",
                "containerDefinitions[1] (inference).healthCheck.retries: an integer from 1 to 10, received 0",
                "containerDefinitions[1] (inference).healthCheck.startPeriod: an integer from 0 to 300, received 600",
                'containerDefinitions[1] (inference).dependsOn: no container "missing"',
                "containerDefinitions[1] (inference).dependsOn: condition must be START, COMPLETE, SUCCESS or HEALTHY",
                "containerDefinitions[2] (inference).name: another container has the same name",
            ],
        );
        assert.deepEqual(registerTaskDefinitionProblems([{ ...defs[1], essential: false }]), [
            "containerDefinitions: at least one container must be essential",
            'containerDefinitions[0] (inference).dependsOn: no container "model-sync"',
        ]);
    });

    it("gives each task a dynamic host port, so an instance runs a task per GPU as the capacity check counts (issue 31)", () => {
        const defs = JSON.parse(
            String(r("aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task").inputs?.containerDefinitions),
        ) as Array<{ portMappings?: Array<Record<string, unknown>> }>;
        assert.deepEqual(defs[1].portMappings, [{ name: "http", containerPort: 8000, hostPort: 0, protocol: "tcp" }]);
        // The instances admit the load balancer on ECS's dynamic range, and the load balancer may reach it.
        const alb = r("aws:ec2/securityGroup:SecurityGroup", "inference-ecs-alb-sg");
        const instances = r("aws:ec2/securityGroup:SecurityGroup", "inference-ecs-instance-sg");
        assert.deepEqual(instances.inputs?.ingress, [
            { protocol: "tcp", fromPort: 32768, toPort: 65535, securityGroups: [alb.id] },
        ]);
        assert.deepEqual(alb.inputs?.egress, [
            { protocol: "tcp", fromPort: 32768, toPort: 65535, cidrBlocks: ["0.0.0.0/0"] },
        ]);
        // Long generations are not cut: the idle timeout and the draining of a task outlast one.
        assert.equal(r("aws:lb/loadBalancer:LoadBalancer", "inference-ecs-alb").inputs?.idleTimeout, 300);
        assert.equal(r("aws:lb/targetGroup:TargetGroup", "inference-ecs-blue").inputs?.deregistrationDelay, 300);
        for (const port of [80, 443, 0])
            assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, testListenerPort: port }), [
                `testListenerPort: expected a port from 1 to 65535 other than 80 and 443 (the production listeners'), received ${port}`,
            ]);
        // g5.12xlarge (4 GPUs), one GPU a task, maxTasks 4: both colours fit two instances, not eight.
        assert.equal(
            ecsDeploymentInstances(["g5.12xlarge"], { gpus: 1, cpuUnits: 4096, memoryMiB: 24576 }, 4)?.needed,
            2,
        );
    });

    it("waits for the deployment it starts, after the capacity provider and the roles ECS uses (issue 31)", () => {
        const service = r("aws:ecs/service:Service", "inference-ecs-service");
        assert.equal(service.inputs?.waitForSteadyState, true);
        // The wait's budget reaches the engine as the service's custom timeouts (seconds), bake time 5.
        assert.deepEqual(service.customTimeouts, { create: 45 * 60, update: 45 * 60 });
        // ECS ignores failed health checks for the startup grace: the sync and the model's load.
        assert.equal(service.inputs?.healthCheckGracePeriodSeconds, 1200);
        for (const [type, name] of [
            ["aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "inference-ecs-capacity"],
            ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "inference-ecs-infrastructure-role"],
            ["aws:lb/listener:Listener", "inference-ecs-production"],
        ])
            assert.ok(service.dependencies?.includes(r(type, name).urn), `the service waits for ${name}`);
        // Up to a GPU instance, the weights and vLLM, the bake time and the draining, with margin.
        assert.equal(serviceTimeoutMinutes({ bakeTimeMinutes: 5, startupGraceSeconds: 1200 }), 45);
        assert.equal(serviceTimeoutMinutes({ bakeTimeMinutes: PROD_BAKE_TIME_MINUTES, startupGraceSeconds: 1200 }), 55);
        assert.equal(serviceTimeoutMinutes({ bakeTimeMinutes: 5, startupGraceSeconds: 2430 }), 66);
        for (const grace of [299, 3601, 600.5])
            assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, startupGraceSeconds: grace }), [
                `startupGraceSeconds: expected an integer from 300 (the container health check's start period) to 3600, received ${grace}`,
            ]);
        // The load balancer waits for the log bucket's policy, which lets ELB write to it.
        const alb = r("aws:lb/loadBalancer:LoadBalancer", "inference-ecs-alb");
        assert.ok(
            alb.dependencies?.includes(r("aws:s3/bucketPolicy:BucketPolicy", "inference-ecs-alb-logs-policy").urn),
        );
    });

    it("serves the task with the GPU, non-root user and secrets of the container builder", () => {
        const defs = JSON.parse(
            String(r("aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task").inputs?.containerDefinitions),
        );
        assert.deepEqual(
            defs.map((d: { name: string }) => d.name),
            ["model-sync", "inference", "ttft-metrics"],
        );
        assert.equal(defs[1].image, ecs.outputs.inferenceImage);
        assert.deepEqual(defs[1].resourceRequirements, [{ type: "GPU", value: "1" }]);
        const task = r("aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task").inputs!;
        assert.notEqual(task.executionRoleArn, task.taskRoleArn, "separate execution and task roles");
        assert.equal(
            r("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "inference-ecs-task-read").inputs?.policyArn,
            ecs.outputs.modelReadPolicyArn,
        );
    });

    it("scales tasks on requests per running task over both colours' target groups, between the configured bounds", () => {
        const target = r("aws:appautoscaling/target:Target", "inference-ecs-scaling").inputs!;
        assert.deepEqual(
            [target.minCapacity, target.maxCapacity, target.scalableDimension],
            [1, 2, "ecs:service:DesiredCount"],
        );
        const policy = r("aws:appautoscaling/policy:Policy", "inference-ecs-requests-per-target").inputs
            ?.targetTrackingScalingPolicyConfiguration as Record<string, unknown>;
        assert.equal(policy.targetValue, 50);
        assert.equal(policy.predefinedMetricSpecification, undefined, "one target group's metric reads 0 after a swap");
        const alb = r("aws:lb/loadBalancer:LoadBalancer", "inference-ecs-alb").outputs!;
        const [blue, green] = ["blue", "green"].map(
            (c) => r("aws:lb/targetGroup:TargetGroup", `inference-ecs-${c}`).outputs!.arnSuffix as string,
        );
        assert.deepEqual(
            (policy.customizedMetricSpecification as { metrics: unknown }).metrics,
            requestsPerTaskMetrics({
                loadBalancer: alb.arnSuffix as string,
                targetGroups: [blue, green],
                clusterName: r("aws:ecs/cluster:Cluster", "inference-ecs-cluster").outputs!.name as string,
                serviceName: r("aws:ecs/service:Service", "inference-ecs-service").outputs!.name as string,
            }),
        );
        const metrics = requestsPerTaskMetrics({
            loadBalancer: "app/a/1",
            targetGroups: ["targetgroup/b/2", "targetgroup/g/3"],
            clusterName: "c",
            serviceName: "s",
        });
        assert.deepEqual(
            metrics.map((m) => [
                m.id,
                m.returnData,
                m.expression ?? (m.metricStat as { metric: { metricName: string } }).metric.metricName,
            ]),
            [
                ["blue", false, "RequestCount"],
                ["green", false, "RequestCount"],
                ["tasks", false, "RunningTaskCount"],
                ["requestsPerTask", true, "(FILL(blue, 0) + FILL(green, 0)) / tasks"],
            ],
        );
        assert.deepEqual((metrics[1].metricStat as { metric: { dimensions: unknown } }).metric.dimensions, [
            { name: "LoadBalancer", value: "app/a/1" },
            { name: "TargetGroup", value: "targetgroup/g/3" },
        ]);
    });

    it("drops invalid headers, logs access, and alarms on 5xx and p95 time to first token", () => {
        const alb = r("aws:lb/loadBalancer:LoadBalancer", "inference-ecs-alb").inputs!;
        assert.equal(alb.dropInvalidHeaderFields, true);
        assert.equal(alb.internal, true);
        assert.equal((alb.accessLogs as Record<string, unknown>).enabled, true);
        assert.equal(alb.enableDeletionProtection, false, "staging tier");
        const p95 = r("aws:cloudwatch/metricAlarm:MetricAlarm", "inference-ecs-monitoring-p95-ttft").inputs!;
        assert.deepEqual([p95.metricName, p95.threshold], [undefined, 5]);
        // The task's exporter counts the requests over the same budget the alarm is named for.
        const defs = JSON.parse(
            String(r("aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task").inputs?.containerDefinitions),
        ) as Array<{ name: string; environment?: Array<{ name: string; value: string }> }>;
        const exporter = defs.find((d) => d.name === "ttft-metrics")!;
        assert.deepEqual(
            exporter.environment?.filter((e) => ["TTFT_BUDGET_SECONDS", "SERVICE"].includes(e.name)),
            [
                { name: "TTFT_BUDGET_SECONDS", value: "0.5" },
                // The cluster's name with the service's: unique in the account, so no other stack's traffic counts.
                {
                    name: "SERVICE",
                    value: `${String(r("aws:ecs/cluster:Cluster", "inference-ecs-cluster").outputs?.name)}/inference-ecs`,
                },
            ],
        );
    });

    it("rolls back on the latency SLO (monitoring.slo.p95LatencyMs), not on the smoke test's budget", async function () {
        // The variant's plan is queued behind the others the root hook started: wait for its turn.
        this.timeout(240_000);
        const variant = await ecsWithPrebuiltImage();
        const p95 = find(variant.export, "aws:cloudwatch/metricAlarm:MetricAlarm", "inference-ecs-monitoring-p95-ttft");
        assert.equal(
            (p95.inputs?.metricQueries as Array<{ label?: string }>)[2].label,
            `Requests over ${ECS_VARIANT_P95_MS} ms to first token (%)`,
        );
        const defs = JSON.parse(
            String(
                find(variant.export, "aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task").inputs
                    ?.containerDefinitions,
            ),
        ) as Array<{ name: string; environment?: Array<{ name: string; value: string }> }>;
        assert.deepEqual(
            defs.find((d) => d.name === "ttft-metrics")!.environment?.find((e) => e.name === "TTFT_BUDGET_SECONDS"),
            { name: "TTFT_BUDGET_SECONDS", value: String(ECS_VARIANT_P95_MS / 1000) },
        );
    });
});

describe("BlueGreenEcsService options", () => {
    it("serves HTTPS with HTTP redirected, invokes the smoke-test hook, and protects the load balancer at its defaults", async () => {
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: { "aws:region": "us-east-1" },
            program: () =>
                new BlueGreenEcsService("svc", {
                    vpcId: "vpc-0abc12345",
                    loadBalancerSubnetIds: ["subnet-1", "subnet-2"],
                    instanceSubnetIds: ["subnet-3", "subnet-4"],
                    image: DIGEST,
                    modelBucketName: "models",
                    modelReadPolicyArn: "arn:aws:iam::111122223333:policy/read",
                    certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/abc",
                    smokeTestLambdaArn: "arn:aws:lambda:us-east-1:111122223333:function:smoke",
                }),
        });
        const listener = (n: string) => find(result.export, "aws:lb/listener:Listener", n).inputs!;
        assert.deepEqual(
            [
                listener("svc-production").port,
                listener("svc-production").protocol,
                listener("svc-production").sslPolicy,
            ],
            [443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06"],
        );
        assert.deepEqual(listener("svc-http-redirect").defaultActions, [
            { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
        ]);
        const hooks = (
            find(result.export, "aws:ecs/service:Service", "svc-service").inputs?.deploymentConfiguration as {
                lifecycleHooks: Array<Record<string, unknown>>;
            }
        ).lifecycleHooks;
        assert.deepEqual(hooks[0].lifecycleStages, ["POST_TEST_TRAFFIC_SHIFT"]);
        assert.equal(hooks[0].hookTargetArn, "arn:aws:lambda:us-east-1:111122223333:function:smoke");
        assert.equal(
            find(result.export, "aws:lb/loadBalancer:LoadBalancer", "svc-alb").inputs?.enableDeletionProtection,
            true,
        );
        assert.equal(find(result.export, "aws:ecs/cluster:Cluster", "svc-cluster").protect, true);
    });

    it("shards a multi-GPU task with tensor parallelism, decrypts secrets under a customer key and logs in a region opened after 2022 (issue 31)", async () => {
        const KEY = "arn:aws:kms:il-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const SECRET_IL = "arn:aws:secretsmanager:il-central-1:111122223333:secret:llm/hf-AbCdEf";
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: { "aws:region": "il-central-1" },
            program: () =>
                new BlueGreenEcsService("svc", {
                    ...REQUIRED_ECS_ARGS,
                    instanceTypes: ["g5.12xlarge"],
                    gpus: 2,
                    memoryMiB: 65536,
                    maxInstances: 4,
                    secrets: { HF_TOKEN: `${SECRET_IL}:token::` },
                    secretsKmsKeyArns: [KEY],
                }),
        });
        const defs = JSON.parse(
            String(
                find(result.export, "aws:ecs/taskDefinition:TaskDefinition", "svc-task").inputs?.containerDefinitions,
            ),
        ) as Array<Record<string, unknown>>;
        const server = defs[1];
        assert.deepEqual((server.command as string[]).slice(-3), [
            "--tensor-parallel-size",
            "2",
            "--enable-request-id-headers",
        ]);
        assert.equal((server.linuxParameters as { sharedMemorySize: number }).sharedMemorySize, 20480);
        assert.deepEqual(registerTaskDefinitionProblems(defs, { networkMode: "bridge" }), []);
        // The execution role reads the secret (not its JSON key) and decrypts it only through Secrets Manager or SSM.
        assert.deepEqual(
            JSON.parse(
                String(find(result.export, "aws:iam/rolePolicy:RolePolicy", "svc-execution-secrets").inputs?.policy),
            ).Statement,
            JSON.parse(secretsReadPolicy([`${SECRET_IL}:token::`], [KEY])).Statement,
        );
        // Israel (Tel Aviv) opened in 2023: no ELB account, the log delivery service writes the logs.
        const policy = JSON.parse(
            String(find(result.export, "aws:s3/bucketPolicy:BucketPolicy", "svc-alb-logs-policy").inputs?.policy),
        );
        assert.deepEqual(policy.Statement[1].Principal, { Service: "logdelivery.elasticloadbalancing.amazonaws.com" });
        // A whole colour's instances in one scaling step, not two at a time.
        const cp = find(result.export, "aws:ecs/capacityProvider:CapacityProvider", "svc-gpu").inputs
            ?.autoScalingGroupProvider as { managedScaling: Record<string, unknown> };
        assert.equal(cp.managedScaling.maximumScalingStepSize, 4);
        // The load balancer's idle connections are closed by it, not by the server under it (vLLM's default: 5 s).
        assert.deepEqual(
            (server.environment as Array<{ name: string; value: string }>).find(
                (e) => e.name === "VLLM_HTTP_TIMEOUT_KEEP_ALIVE",
            ),
            { name: "VLLM_HTTP_TIMEOUT_KEEP_ALIVE", value: "305" },
        );
        // A task of 2 GPUs shares 20 GiB of /dev/shm, counted in its memory.
        assert.deepEqual(
            validateBlueGreenEcsServiceArgs({
                ...REQUIRED_ECS_ARGS,
                instanceTypes: ["g5.12xlarge"],
                gpus: 2,
                memoryMiB: 24576,
                maxInstances: 4,
            }),
            [
                "memoryMiB: expected more than 24576 for a task of 2 GPUs (vLLM's workers share 20480 MiB of /dev/shm, counted in the container's memory, and need 4096 more), received 24576",
            ],
        );
        // In the us-east-1 plan the ELB account writes them.
        const east = JSON.parse(
            String(
                find((await planOf("ecs")).export, "aws:s3/bucketPolicy:BucketPolicy", "inference-ecs-alb-logs-policy")
                    .inputs?.policy,
            ),
        );
        assert.match(String(east.Statement[1].Principal.AWS), /^arn:aws:iam::\d{12}:root$/);
    });

    it("runs the TTFT exporter beside the server without a link, which would copy the server's secrets into it", () => {
        const [sync, server, exporter] = buildContainerDefinitions(containerSpec());
        assert.equal(exporter.links, undefined);
        assert.deepEqual(exporter.dependsOn, [{ containerName: "inference", condition: "START" }]);
        assert.deepEqual(
            (exporter.environment as Array<{ name: string; value: string }>).map((e) => `${e.name}=${e.value}`),
            [
                "METRICS_CONTAINER=inference",
                "METRICS_PORT=8000",
                "TTFT_BUDGET_SECONDS=0.5",
                "SERVICE=inference-ecs",
                "NAMESPACE=LLMPlatform/Inference",
                "PERIOD_SECONDS=60",
                "PYTHONDONTWRITEBYTECODE=1",
            ],
        );
        assert.equal(exporter.secrets, undefined);
        assert.deepEqual(
            [exporter.essential, exporter.user, exporter.readonlyRootFilesystem],
            [false, "10001:10001", true],
        );
        assert.deepEqual([exporter.memoryReservation, exporter.memory], [64, 256]);
        assert.deepEqual(exporter.entryPoint, ["python3", "-c"]);
        // The image's own HEALTHCHECK (images/inference probes the server's port) is replaced.
        assert.deepEqual((exporter.healthCheck as { command: string[] }).command, ["CMD", "true"]);
        // Links are ECS's, in bridge mode only, to another container.
        assert.deepEqual(
            registerTaskDefinitionProblems([sync, server, { ...exporter, links: ["inference"] }], {
                networkMode: "awsvpc",
            }),
            ["containerDefinitions[2] (ttft-metrics).links: only in the bridge network mode, not awsvpc"],
        );
        assert.deepEqual(registerTaskDefinitionProblems([sync, server, { ...exporter, links: ["server"] }]), [
            'containerDefinitions[2] (ttft-metrics).links: no other container "server"',
        ]);
    });
});

describe("BlueGreenEcsService, bring your own", () => {
    const EXISTING = {
        arn: "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/shared/50dc6c495c0c9188",
        arnSuffix: "app/shared/50dc6c495c0c9188",
        dnsName: "internal-shared-1234567890.us-east-1.elb.amazonaws.com",
        securityGroupId: "sg-0123456789abcdef0",
    };
    const plan = (extra: Partial<BlueGreenEcsServiceArgs>) =>
        runProgram({
            project: "lib",
            stack: "dev",
            config: { "aws:region": "us-east-1" },
            program: () => {
                const svc = new BlueGreenEcsService("svc", { ...REQUIRED_ECS_ARGS, ...extra });
                return Promise.resolve({
                    url: svc.productionUrl,
                    exposed: [
                        svc.cluster.urn,
                        svc.service.urn,
                        svc.taskDefinition.urn,
                        svc.taskRole.urn,
                        svc.executionRole.urn,
                        svc.instanceRole.urn,
                        svc.instanceSecurityGroup.urn,
                        svc.autoScalingGroup.urn,
                        svc.capacityProvider.urn,
                        svc.listeners.production.urn,
                        svc.listeners.test.urn,
                        svc.targetGroups.blue.urn,
                        svc.targetGroups.green.urn,
                        svc.monitoring.urn,
                        svc.loadBalancer?.urn ?? "none",
                    ],
                });
            },
        });
    const names = (result: { export: StackExport }) =>
        result.export.deployment.resources.map((x) => x.urn.split("::").pop());

    it("adds listeners, target groups and rules to an existing load balancer and builds none of its own", async () => {
        const result = await plan({ loadBalancer: EXISTING });
        const built = names(result);
        for (const absent of ["svc-alb", "svc-alb-sg", "svc-alb-logs"]) assert.ok(!built.includes(absent), absent);
        assert.equal(
            find(result.export, "aws:lb/listener:Listener", "svc-production").inputs?.loadBalancerArn,
            EXISTING.arn,
        );
        const ingress = find(result.export, "aws:ec2/securityGroup:SecurityGroup", "svc-instance-sg").inputs
            ?.ingress as Array<Record<string, unknown>>;
        assert.deepEqual(ingress[0].securityGroups, [EXISTING.securityGroupId]);
        assert.equal(result.outputs.url, `http://${EXISTING.dnsName}`);
        const alarm = find(result.export, "aws:cloudwatch/metricAlarm:MetricAlarm", "svc-monitoring-target-5xx");
        assert.deepEqual(alarm.inputs?.dimensions, { LoadBalancer: EXISTING.arnSuffix });
        assert.equal((result.outputs.exposed as string[]).at(-1), "none");
    });

    it("logs to an existing bucket instead of building one", async () => {
        const result = await plan({ accessLogBucketName: "org-alb-logs" });
        assert.ok(!names(result).includes("svc-alb-logs"));
        const alb = find(result.export, "aws:lb/loadBalancer:LoadBalancer", "svc-alb");
        assert.deepEqual(alb.inputs?.accessLogs, { bucket: "org-alb-logs", prefix: "alb", enabled: true });
    });

    it("exposes the children a user extends, by their URNs", async () => {
        const result = await plan({});
        const suffix = (urn: string) => urn.split("::").pop();
        assert.deepEqual((result.outputs.exposed as string[]).map(suffix), [
            "svc-cluster",
            "svc-service",
            "svc-task",
            "svc-task-role",
            "svc-execution-role",
            "svc-instance-role",
            "svc-instance-sg",
            "svc-instances",
            "svc-gpu",
            "svc-production",
            "svc-test",
            "svc-blue",
            "svc-green",
            "svc-monitoring",
            "svc-alb",
        ]);
    });

    it("refuses an access-log bucket beside a load balancer it does not own", () => {
        assert.deepEqual(
            validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, loadBalancer: EXISTING, accessLogBucketName: "b" }),
            [
                "accessLogBucketName: a load balancer you bring keeps its own access-log settings; set them on it and leave accessLogBucketName out",
            ],
        );
    });
});

describe("EcsMonitoring", () => {
    let ecs: RunResult;
    before(async () => {
        ecs = await planOf("ecs");
    });

    it("refuses, on its own, a latency budget its gate cannot count", () => {
        const args = {
            clusterName: "c",
            capacityProviderName: "cp",
            loadBalancerArnSuffix: "app/a/1",
            targetGroupArnSuffixes: [],
            metricsService: "c/svc",
        };
        assert.deepEqual(validateEcsMonitoringArgs(args), []);
        assert.deepEqual(validateEcsMonitoringArgs({ ...args, p95LatencyMs: 300, max5xxPerMinute: -1 }), [
            "p95LatencyMs: expected one of vLLM's time-to-first-token bucket bounds in ms (1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000, 20000, 40000, 80000, 160000, 640000, 2560000): the rollback gate counts the requests over the budget from that histogram, received 300",
            "max5xxPerMinute: expected an integer >= 0, received -1",
        ]);
    });

    it("gates deployments on its 5xx and p95 time-to-first-token alarms", () => {
        const service = find(ecs.export, "aws:ecs/service:Service", "inference-ecs-service");
        const gates = [
            "inference-ecs-monitoring-target-5xx",
            "inference-ecs-monitoring-elb-5xx",
            "inference-ecs-monitoring-p95-ttft",
        ].map((n) => find(ecs.export, "aws:cloudwatch/metricAlarm:MetricAlarm", n).outputs?.name);
        assert.deepEqual((service.inputs?.alarms as { alarmNames: string[] }).alarmNames, gates);
        assert.deepEqual(ecs.outputs.ecsRollbackAlarms, gates);
    });

    it("notifies a KMS-encrypted SNS topic from every alarm, CloudWatch allowed to use the key", () => {
        const topic = find(ecs.export, "aws:sns/topic:Topic", "inference-ecs-monitoring-alerts");
        const key = find(ecs.export, "aws:kms/key:Key", "inference-ecs-monitoring-topic-key");
        assert.equal(topic.inputs?.kmsMasterKeyId, key.id);
        assert.deepEqual(JSON.parse(String(key.inputs?.policy)), JSON.parse(topicKeyPolicy("111122223333")));
        const alarms = ecs.export.deployment.resources.filter(
            (x) => x.type === "aws:cloudwatch/metricAlarm:MetricAlarm",
        );
        assert.equal(alarms.length, 7);
        for (const a of alarms) assert.deepEqual(a.inputs?.alarmActions, [topic.outputs?.arn], a.urn);
    });

    it("alarms on unhealthy targets of both colours and on capacity lagging the tasks, not on full use (issue 31)", () => {
        const alarms = ecs.export.deployment.resources.filter(
            (x) => x.type === "aws:cloudwatch/metricAlarm:MetricAlarm",
        );
        const names = alarms
            .map((x) =>
                x.inputs?.metricQueries
                    ? `math ${(x.inputs.metricQueries as Array<{ expression?: string }>).map((q) => q.expression ?? "").join("")}`
                    : `${String(x.inputs?.namespace)} ${String(x.inputs?.metricName)}`,
            )
            .sort();
        assert.deepEqual(names, [
            "AWS/ApplicationELB HTTPCode_ELB_5XX_Count",
            "AWS/ApplicationELB HTTPCode_Target_5XX_Count",
            "AWS/ApplicationELB UnHealthyHostCount",
            "AWS/ApplicationELB UnHealthyHostCount",
            "AWS/ECS/ManagedScaling CapacityProviderReservation",
            "LLMPlatform/Inference TimeToFirstTokenRequests",
            "math IF(requests >= 20, 100 * over / requests, 0)",
        ]);
        // A blind gate is an alarm of its own: the exporters write every minute, idle or not.
        const missing = alarms.find((x) => x.inputs?.metricName === "TimeToFirstTokenRequests")!;
        assert.deepEqual(
            [
                missing.inputs?.statistic,
                missing.inputs?.comparisonOperator,
                missing.inputs?.threshold,
                missing.inputs?.period,
                missing.inputs?.evaluationPeriods,
                missing.inputs?.treatMissingData,
            ],
            ["SampleCount", "LessThanThreshold", 1, 300, 6, "breaching"],
        );
        const service = `${String(find(ecs.export, "aws:ecs/cluster:Cluster", "inference-ecs-cluster").outputs?.name)}/inference-ecs`;
        assert.deepEqual(missing.inputs?.dimensions, { Service: service });
        // One GPU task per GPU keeps the cluster's GPU reservation at 100 % in steady state: that is
        // the target, not a page. Capacity that lags the tasks for 15 minutes is.
        const lagging = alarms.find((x) => x.inputs?.metricName === "CapacityProviderReservation")!;
        assert.deepEqual(
            [
                lagging.inputs?.statistic,
                lagging.inputs?.threshold,
                lagging.inputs?.evaluationPeriods,
                lagging.inputs?.datapointsToAlarm,
            ],
            ["Minimum", 100, 15, 15],
        );
        assert.deepEqual(lagging.inputs?.dimensions, {
            ClusterName: find(ecs.export, "aws:ecs/cluster:Cluster", "inference-ecs-cluster").outputs?.name,
            CapacityProviderName: find(ecs.export, "aws:ecs/capacityProvider:CapacityProvider", "inference-ecs-gpu")
                .outputs?.name,
        });
        assert.deepEqual(
            capacityAlarms("x").map((a) => [a.name, a.comparisonOperator]),
            [["x-capacity-lagging", "GreaterThanThreshold"]],
        );
        // The TTFT gate's metric math reaches the provider with the period on each metric.
        const ttft = alarms.find((x) => x.inputs?.metricQueries)!;
        assert.deepEqual((ttft.inputs?.metricQueries as Array<Record<string, unknown>>)[0], {
            id: "requests",
            returnData: false,
            metric: {
                namespace: "LLMPlatform/Inference",
                metricName: "TimeToFirstTokenRequests",
                stat: "Sum",
                period: 60,
                dimensions: { Service: service },
            },
        });
        assert.equal(ttft.inputs?.namespace, undefined);
    });

    it("draws a dashboard of traffic, latency, errors, target health and reservation", () => {
        const body = JSON.parse(
            String(
                find(ecs.export, "aws:cloudwatch/dashboard:Dashboard", "inference-ecs-monitoring-dashboard").inputs
                    ?.dashboardBody,
            ),
        );
        assert.deepEqual(
            body.widgets.map((w: { properties: { title: string } }) => w.properties.title),
            [
                "Requests",
                "Requests over 500 ms to first token (%, the rollback gate at 5)",
                "p95 time to the response headers (not to first token)",
                "5xx",
                "Unhealthy hosts",
                "Capacity provider and cluster reservation (%)",
            ],
        );
        const json = buildEcsDashboard({
            region: "us-east-1",
            loadBalancer: "app/a/1",
            targetGroups: ["targetgroup/b/2"],
            cluster: "c",
            capacityProvider: "cp",
            metricsService: "svc",
            p95LatencyMs: 250,
        });
        const widgets = JSON.parse(json).widgets;
        assert.deepEqual(widgets[4].properties.metrics, [
            ["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", "targetgroup/b/2", "LoadBalancer", "app/a/1"],
        ]);
        assert.deepEqual(widgets[1].properties.metrics, [
            ["LLMPlatform/Inference", "TimeToFirstTokenRequests", "Service", "svc", { id: "requests", visible: false }],
            ["LLMPlatform/Inference", "TimeToFirstTokenOverBudget", "Service", "svc", { id: "over", visible: false }],
            [{ expression: "100 * over / requests", label: "over budget (%)", id: "overPercent" }],
        ]);
        assert.deepEqual(widgets[5].properties.metrics[0], [
            "AWS/ECS/ManagedScaling",
            "CapacityProviderReservation",
            "ClusterName",
            "c",
            "CapacityProviderName",
            "cp",
        ]);
    });
});
