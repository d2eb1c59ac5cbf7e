import * as assert from "node:assert/strict";
import { buildEcsDashboard, capacityAlarms, topicKeyPolicy } from "../components/aws/ecsMonitoring";
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
import { ecsDeploymentInstances } from "../catalog/capacity";
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
            "maxInstances: expected at least 10 for a blue/green deployment at maxTasks (both colours at maxTasks (2 × 5 tasks), 1 task(s) of 1 GPU(s) per instance), received 8",
        ]);
        assert.deepEqual(
            validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, instanceTypes: ["g5.12xlarge"], maxTasks: 8 }),
            [],
            "4 GPUs per instance: 16 tasks on 4 instances",
        );
        assert.deepEqual(validateBlueGreenEcsServiceArgs({ ...REQUIRED_ECS_ARGS, gpus: 2 }), [
            "gpus: a task asks 2 GPUs, more than an instance of instanceTypes has",
        ]);
        assert.deepEqual(ecsDeploymentInstances(["g5.12xlarge"], 2, 3), {
            needed: 3,
            tasksPerInstance: 2,
            explain: "both colours at maxTasks (2 × 3 tasks), 2 task(s) of 2 GPU(s) per instance",
        });
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
                "memoryMiB: 24576 MiB does not fit an instance with 16 GiB after the agent's reserve",
                "maxTasks: expected an integer >= minTasks (3), received 2",
            ],
        );
    });

    it("alarms on target 5xx and on p95 latency over 500 ms", () => {
        const [errors, latency] = deploymentAlarms("svc", 5, 500);
        assert.deepEqual(
            [errors.metricName, errors.statistic, errors.threshold],
            ["HTTPCode_Target_5XX_Count", "Sum", 5],
        );
        assert.deepEqual(
            [latency.metricName, latency.extendedStatistic, latency.threshold],
            ["TargetResponseTime", "p95", 0.5],
        );
    });

    it("scopes the execution role's secret access and the ALB log delivery", () => {
        assert.deepEqual(JSON.parse(secretsReadPolicy([SECRET, PARAM])).Statement, [
            { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [SECRET] },
            { Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: [PARAM] },
        ]);
        const policy = JSON.parse(
            albLogBucketPolicy("arn:aws:s3:::logs", "arn:aws:iam::127311923021:root", "111122223333", "alb"),
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
        assert.deepEqual([alarms.enable, alarms.rollback, alarms.alarmNames.length], [true, true, 2]);
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
        assert.equal(ecsDeploymentInstances(["g5.12xlarge"], 1, 4)?.needed, 2);
    });

    it("waits for the deployment it starts, after the capacity provider and the roles ECS uses (issue 31)", () => {
        const service = r("aws:ecs/service:Service", "inference-ecs-service");
        assert.equal(service.inputs?.waitForSteadyState, true);
        // The wait's budget reaches the engine as the service's custom timeouts (seconds), bake time 5.
        assert.deepEqual(service.customTimeouts, { create: 35 * 60, update: 35 * 60 });
        for (const [type, name] of [
            ["aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "inference-ecs-capacity"],
            ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "inference-ecs-infrastructure-role"],
            ["aws:lb/listener:Listener", "inference-ecs-production"],
        ])
            assert.ok(service.dependencies?.includes(r(type, name).urn), `the service waits for ${name}`);
        // Up to a GPU instance, the weights and vLLM, the bake time and the draining, with margin.
        assert.equal(serviceTimeoutMinutes({ bakeTimeMinutes: 5 }), 35);
        assert.equal(serviceTimeoutMinutes({ bakeTimeMinutes: PROD_BAKE_TIME_MINUTES }), 45);
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
            ["model-sync", "inference"],
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

    it("drops invalid headers, logs access, and alarms on 5xx and p95 latency", () => {
        const alb = r("aws:lb/loadBalancer:LoadBalancer", "inference-ecs-alb").inputs!;
        assert.equal(alb.dropInvalidHeaderFields, true);
        assert.equal(alb.internal, true);
        assert.equal((alb.accessLogs as Record<string, unknown>).enabled, true);
        assert.equal(alb.enableDeletionProtection, false, "staging tier");
        const p95 = r("aws:cloudwatch/metricAlarm:MetricAlarm", "inference-ecs-monitoring-p95-latency").inputs!;
        assert.deepEqual([p95.metricName, p95.extendedStatistic, p95.threshold], ["TargetResponseTime", "p95", 0.5]);
    });

    it("rolls back on the latency SLO (monitoring.slo.p95LatencyMs), not on the smoke test's budget", async function () {
        // The variant's plan is queued behind the others the root hook started: wait for its turn.
        this.timeout(240_000);
        const variant = await ecsWithPrebuiltImage();
        const p95 = find(
            variant.export,
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "inference-ecs-monitoring-p95-latency",
        );
        assert.equal(p95.inputs?.threshold, ECS_VARIANT_P95_MS / 1000);
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

    it("gates deployments on its 5xx and p95 alarms", () => {
        const service = find(ecs.export, "aws:ecs/service:Service", "inference-ecs-service");
        const gates = ["inference-ecs-monitoring-target-5xx", "inference-ecs-monitoring-p95-latency"].map(
            (n) => find(ecs.export, "aws:cloudwatch/metricAlarm:MetricAlarm", n).outputs?.name,
        );
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

    it("alarms on unhealthy targets of both colours and on CPU, memory and GPU reservation", () => {
        const names = ecs.export.deployment.resources
            .filter((x) => x.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
            .map((x) => `${String(x.inputs?.namespace)} ${String(x.inputs?.metricName)}`)
            .sort();
        assert.deepEqual(names, [
            "AWS/ApplicationELB HTTPCode_Target_5XX_Count",
            "AWS/ApplicationELB TargetResponseTime",
            "AWS/ApplicationELB UnHealthyHostCount",
            "AWS/ApplicationELB UnHealthyHostCount",
            "AWS/ECS CPUReservation",
            "AWS/ECS GPUReservation",
            "AWS/ECS MemoryReservation",
        ]);
        assert.deepEqual(
            capacityAlarms("x", 90).map((a) => a.threshold),
            [90, 90, 90],
        );
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
            ["Requests", "p95 target response time", "5xx", "Unhealthy hosts", "Cluster reservation"],
        );
        const json = buildEcsDashboard("us-east-1", "app/a/1", ["targetgroup/b/2"], "c");
        assert.deepEqual(JSON.parse(json).widgets[3].properties.metrics, [
            ["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", "targetgroup/b/2", "LoadBalancer", "app/a/1"],
        ]);
    });
});
