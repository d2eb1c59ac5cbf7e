import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { deploymentAlarms, type AlarmSpec } from "./ecsTask";
import { REFERENCE_SLO, ROLLBACK_MAX_5XX_PER_MINUTE } from "../../catalog/standards";

export interface EcsMonitoringArgs {
    clusterName: pulumi.Input<string>;
    /** `app/<name>/<id>` of the load balancer. */
    loadBalancerArnSuffix: pulumi.Input<string>;
    /** `targetgroup/<name>/<id>` of the blue and green target groups. */
    targetGroupArnSuffixes: Array<pulumi.Input<string>>;
    /** @default 500 */
    p95LatencyMs?: number;
    /** @default 5 */
    max5xxPerMinute?: number;
    /** Cluster reservation (percent) that means the capacity provider is at its limit. @default 90 */
    maxReservationPercent?: number;
    /**
     * Protect the alert topic's KMS key from deletion and replacement (deleting a key loses every
     * message encrypted with it). @default true
     */
    protect?: boolean;
    /** @default {} */
    tags?: Record<string, string>;
}

/** The alarms beyond the deployment gates: unhealthy targets and cluster reservation. */
export function capacityAlarms(prefix: string, maxReservationPercent: number): AlarmSpec[] {
    return (["CPUReservation", "MemoryReservation", "GPUReservation"] as const).map((metricName) => ({
        name: `${prefix}-${metricName.replace("Reservation", "").toLowerCase()}-reservation`,
        description: `${metricName} of the cluster over ${maxReservationPercent} %: the GPU capacity provider is at its limit`,
        metricName,
        statistic: "Maximum",
        threshold: maxReservationPercent,
        comparisonOperator: "GreaterThanThreshold",
        evaluationPeriods: 15,
        datapointsToAlarm: 15,
        period: 60,
        treatMissingData: "missing",
    }));
}

/** A key policy that lets CloudWatch alarms publish to the encrypted topic. */
export function topicKeyPolicy(accountId: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministers",
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${accountId}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "CloudWatchPublishes",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
            },
        ],
    });
}

/** The CloudWatch dashboard: traffic, latency, errors, target health, cluster reservation. */
export function buildEcsDashboard(
    region: string,
    loadBalancer: string,
    targetGroups: string[],
    cluster: string,
): string {
    const widget = (title: string, metrics: unknown[][], x: number, y: number, stat = "Sum") => ({
        type: "metric",
        x,
        y,
        width: 12,
        height: 6,
        properties: { title, region, stat, period: 60, view: "timeSeries", metrics },
    });
    return JSON.stringify({
        widgets: [
            widget("Requests", [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", loadBalancer]], 0, 0),
            widget(
                "p95 target response time",
                [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", loadBalancer, { stat: "p95" }]],
                12,
                0,
                "p95",
            ),
            widget(
                "5xx",
                [
                    ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", loadBalancer],
                    ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", loadBalancer],
                ],
                0,
                6,
            ),
            widget(
                "Unhealthy hosts",
                targetGroups.map((tg) => [
                    "AWS/ApplicationELB",
                    "UnHealthyHostCount",
                    "TargetGroup",
                    tg,
                    "LoadBalancer",
                    loadBalancer,
                ]),
                12,
                6,
                "Maximum",
            ),
            widget(
                "Cluster reservation",
                ["CPUReservation", "MemoryReservation", "GPUReservation"].map((m) => [
                    "AWS/ECS",
                    m,
                    "ClusterName",
                    cluster,
                ]),
                0,
                12,
                "Maximum",
            ),
        ],
    });
}

/**
 * CloudWatch for the ECS inference service: the alarms that gate its blue/green deployments (target
 * 5xx, p95 target response time), alarms on unhealthy targets and on the cluster's CPU, memory and
 * GPU reservation, all notifying a KMS-encrypted SNS topic, and a dashboard.
 */
export class EcsMonitoring extends pulumi.ComponentResource {
    /** The alarms ECS watches during deployments and rolls back on. */
    public readonly deploymentAlarmNames: pulumi.Output<string[]>;
    public readonly topicArn: pulumi.Output<string>;
    public readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, args: EcsMonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:EcsMonitoring", name, {}, opts);
        const tags = args.tags ?? {};
        const child = { parent: this };
        const accountId = aws.getCallerIdentityOutput({}, child).accountId;
        const region = aws.getRegionOutput({}, child).region;

        const key = new aws.kms.Key(
            `${name}-topic-key`,
            {
                description: `Encrypts the ${name} alert topic`,
                enableKeyRotation: true,
                policy: accountId.apply(topicKeyPolicy),
                tags,
            },
            { ...child, protect: args.protect ?? true },
        );
        const topic = new aws.sns.Topic(`${name}-alerts`, { kmsMasterKeyId: key.id, tags }, child);
        const alarm = (
            a: AlarmSpec,
            dimensions: Record<string, pulumi.Input<string>>,
            namespace: string,
        ): aws.cloudwatch.MetricAlarm =>
            new aws.cloudwatch.MetricAlarm(
                a.name,
                {
                    alarmDescription: a.description,
                    namespace,
                    metricName: a.metricName,
                    statistic: a.statistic,
                    extendedStatistic: a.extendedStatistic,
                    threshold: a.threshold,
                    comparisonOperator: a.comparisonOperator,
                    evaluationPeriods: a.evaluationPeriods,
                    datapointsToAlarm: a.datapointsToAlarm,
                    period: a.period,
                    treatMissingData: a.treatMissingData,
                    dimensions,
                    alarmActions: [topic.arn],
                    okActions: [topic.arn],
                    tags,
                },
                child,
            );
        const gates = deploymentAlarms(
            name,
            args.max5xxPerMinute ?? ROLLBACK_MAX_5XX_PER_MINUTE,
            args.p95LatencyMs ?? REFERENCE_SLO.p95LatencyMs,
        ).map((a) => alarm(a, { LoadBalancer: args.loadBalancerArnSuffix }, "AWS/ApplicationELB"));
        args.targetGroupArnSuffixes.forEach((tg, i) =>
            alarm(
                {
                    name: `${name}-unhealthy-hosts-${i}`,
                    description: "Targets of the inference service fail their health check",
                    metricName: "UnHealthyHostCount",
                    statistic: "Maximum",
                    threshold: 0,
                    comparisonOperator: "GreaterThanThreshold",
                    evaluationPeriods: 5,
                    datapointsToAlarm: 3,
                    period: 60,
                    treatMissingData: "notBreaching",
                },
                { LoadBalancer: args.loadBalancerArnSuffix, TargetGroup: tg },
                "AWS/ApplicationELB",
            ),
        );
        for (const a of capacityAlarms(name, args.maxReservationPercent ?? 90))
            alarm(a, { ClusterName: args.clusterName }, "AWS/ECS");

        const dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: pulumi.interpolate`${args.clusterName}-inference`,
                dashboardBody: pulumi
                    .all([
                        region,
                        args.loadBalancerArnSuffix,
                        pulumi.all(args.targetGroupArnSuffixes),
                        args.clusterName,
                    ])
                    .apply(([r, lb, tgs, c]) => buildEcsDashboard(r, lb, tgs, c)),
            },
            child,
        );

        this.deploymentAlarmNames = pulumi.all(gates.map((g) => g.name));
        this.topicArn = topic.arn;
        this.dashboardName = dashboard.dashboardName;
        this.registerOutputs({
            deploymentAlarmNames: this.deploymentAlarmNames,
            topicArn: this.topicArn,
            dashboardName: this.dashboardName,
        });
    }
}
