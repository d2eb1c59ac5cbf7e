/** The ECS serving platform of the stack program: the blue/green service with its own GPU capacity. */
import { BlueGreenEcsService } from "../components/aws/blueGreenEcsService";
import { releaseOf, type Shared } from "./shared";

export function ecsPlatform(shared: Shared): Record<string, unknown> {
    const { settings, tags, protect, network, models } = shared;
    const ecs = settings.ecs;
    const release = releaseOf(shared, settings.serving[settings.serving.activeColor]);
    const service = new BlueGreenEcsService("inference-ecs", {
        vpcId: network.vpcId,
        loadBalancerSubnetIds: ecs.internal ? network.privateSubnetIds : network.publicSubnetIds,
        instanceSubnetIds: network.privateSubnetIds,
        image: release.image,
        modelVersion: release.modelVersion,
        modelBucketName: models.bucketName,
        modelReadPolicyArn: models.readPolicyArn,
        instanceTypes: [...ecs.instanceTypes],
        minInstances: ecs.minInstances,
        maxInstances: ecs.maxInstances,
        minTasks: ecs.minTasks,
        maxTasks: ecs.maxTasks,
        requestsPerTarget: ecs.requestsPerTarget,
        gpus: settings.serving.gpus,
        cpuUnits: ecs.cpuUnits,
        memoryMiB: ecs.memoryMiB,
        containerPort: settings.serving.containerPort,
        healthPath: settings.serving.healthPath,
        readyPath: settings.serving.readyPath,
        secrets: { ...ecs.secrets },
        secretsKmsKeyArns: [...ecs.secretsKmsKeyArns],
        startupGraceSeconds: ecs.startupGraceSeconds,
        certificateArn: ecs.certificateArn,
        internal: ecs.internal,
        allowedCidrs: [...ecs.allowedCidrs],
        testListenerPort: ecs.testListenerPort,
        bakeTimeMinutes: ecs.bakeTimeMinutes,
        smokeTestLambdaArn: ecs.smokeTestLambdaArn,
        max5xxPerMinute: ecs.max5xxPerMinute,
        // The rollback alarm holds the service to its latency SLO, not to the smoke test's budget.
        p95LatencyMs: settings.monitoring.slo.p95LatencyMs,
        logRetentionDays: ecs.logRetentionDays,
        deletionProtection: ecs.deletionProtection,
        protect,
        tags,
    });
    return {
        ecsCluster: service.clusterName,
        ecsService: service.serviceName,
        ecsProductionUrl: service.productionUrl,
        ecsTestUrl: service.testUrl,
        ecsRollbackAlarms: service.alarmNames,
        ecsAlertTopicArn: service.alertTopicArn,
        ecsDashboard: service.dashboardName,
    };
}
