import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { deploymentAlarms, type AlarmSpec } from "./ecsTask";
import { TTFT_METRIC_NAMESPACE, TTFT_OVER_BUDGET_METRIC, TTFT_REQUESTS_METRIC } from "./ttftExporter";
import { ttftBudgetProblem } from "../../catalog/vllm";
import { assertValid } from "../validation";
import { REFERENCE_SLO, ROLLBACK_MAX_5XX_PER_MINUTE } from "../../catalog/standards";

/** The arguments of `EcsMonitoring` (`new EcsMonitoring(name, args, opts)`). */
export interface EcsMonitoringArgs {
    clusterName: pulumi.Input<string>;
    /** The GPU capacity provider of the service: its reservation says whether instances follow the tasks. */
    capacityProviderName: pulumi.Input<string>;
    /** `app/<name>/<id>` of the load balancer. */
    loadBalancerArnSuffix: pulumi.Input<string>;
    /** `targetgroup/<name>/<id>` of the blue and green target groups. */
    targetGroupArnSuffixes: Array<pulumi.Input<string>>;
    /**
     * The `Service` dimension the tasks' time-to-first-token metrics carry (the task definition's
     * `ttft-metrics` container sets it; BlueGreenEcsService uses its own name).
     */
    metricsService: pulumi.Input<string>;
    /** p95 time to first token, ms; one of vLLM's TTFT bucket bounds. @default 500 */
    p95LatencyMs?: number;
    /** @default 5 */
    max5xxPerMinute?: number;
    /**
     * Protect the alert topic's KMS key from deletion and replacement (deleting a key loses every
     * message encrypted with it). @default true
     */
    protect?: boolean;
    /** @default {} */
    tags?: Record<string, string>;
}

/**
 * Minutes the GPU capacity may lag the tasks before someone is paged: longer than an instance's
 * launch and warm-up (5 minutes) and a deployment's scale-out, shorter than an outage.
 */
export const CAPACITY_LAG_MINUTES = 15;

/**
 * The alarm on capacity that does not follow the tasks. ECS managed scaling publishes
 * `CapacityProviderReservation` = instances needed / instances running × 100 each minute and
 * holds it at the target capacity (100): above 100 tasks wait for instances, which a warm-up
 * brings within minutes — unless the group is at its maximum size or EC2 has no capacity of the
 * types. Steady use at 100 % is the target and never fires it (the cluster's CPU, memory and GPU
 * reservation would: a GPU task per GPU keeps them at 100).
 */
export function capacityAlarms(prefix: string): AlarmSpec[] {
    return [
        {
            name: `${prefix}-capacity-lagging`,
            description: `GPU instances have lagged the tasks for ${CAPACITY_LAG_MINUTES} minutes (capacity provider reservation over 100 %): the Auto Scaling group is at its maximum size or EC2 cannot launch the instance types`,
            metricName: "CapacityProviderReservation",
            statistic: "Minimum",
            threshold: 100,
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: CAPACITY_LAG_MINUTES,
            datapointsToAlarm: CAPACITY_LAG_MINUTES,
            period: 60,
            treatMissingData: "missing",
        },
    ];
}

/**
 * The alarm on a blind rollback gate: no time-to-first-token metrics for 30 minutes while the
 * exporters emit every minute, idle or not (a broken exporter is not essential to its task). A new
 * stack whose first tasks take longer than that to serve may raise it once.
 */
export function ttftMissingAlarm(prefix: string): AlarmSpec {
    return {
        name: `${prefix}-ttft-metrics-missing`,
        description:
            "No time-to-first-token metrics for 30 minutes: the tasks' ttft-metrics exporters are not running or cannot read the server, and the rollback gate on latency is blind",
        metricName: TTFT_REQUESTS_METRIC,
        statistic: "SampleCount",
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        evaluationPeriods: 6,
        datapointsToAlarm: 6,
        period: 300,
        treatMissingData: "breaching",
    };
}

/** Why EcsMonitoring's arguments cannot make the alarms they name. */
export function validateEcsMonitoringArgs(args: EcsMonitoringArgs): string[] {
    const problems: string[] = [];
    const p95 = args.p95LatencyMs ?? REFERENCE_SLO.p95LatencyMs;
    const budget = ttftBudgetProblem(p95);
    if (budget !== undefined) problems.push(`p95LatencyMs: ${budget}, received ${p95}`);
    const max5xx = args.max5xxPerMinute ?? ROLLBACK_MAX_5XX_PER_MINUTE;
    if (!Number.isInteger(max5xx) || max5xx < 0)
        problems.push(`max5xxPerMinute: expected an integer >= 0, received ${max5xx}`);
    return problems;
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

/**
 * The CloudWatch dashboard: traffic, time to first token against its budget, time to the response
 * headers, errors, target health, and the capacity provider's reservation beside the cluster's.
 */
export function buildEcsDashboard(on: {
    region: string;
    loadBalancer: string;
    targetGroups: string[];
    cluster: string;
    capacityProvider: string;
    metricsService: pulumi.Input<string>;
    p95LatencyMs: number;
}): string {
    const { region, loadBalancer } = on;
    const widget = (title: string, metrics: unknown[][], x: number, y: number, stat = "Sum") => ({
        type: "metric",
        x,
        y,
        width: 12,
        height: 6,
        properties: { title, region, stat, period: 60, view: "timeSeries", metrics },
    });
    const ttft = (metric: string, id: string) => [
        TTFT_METRIC_NAMESPACE,
        metric,
        "Service",
        on.metricsService,
        { id, visible: false },
    ];
    return JSON.stringify({
        widgets: [
            widget("Requests", [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", loadBalancer]], 0, 0),
            widget(
                `Requests over ${on.p95LatencyMs} ms to first token (%, the rollback gate at 5)`,
                [
                    ttft(TTFT_REQUESTS_METRIC, "requests"),
                    ttft(TTFT_OVER_BUDGET_METRIC, "over"),
                    [{ expression: "100 * over / requests", label: "over budget (%)", id: "overPercent" }],
                ],
                12,
                0,
            ),
            widget(
                "p95 time to the response headers (not to first token)",
                [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", loadBalancer, { stat: "p95" }]],
                0,
                6,
                "p95",
            ),
            widget(
                "5xx",
                [
                    ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", loadBalancer],
                    ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", loadBalancer],
                ],
                12,
                6,
            ),
            widget(
                "Unhealthy hosts",
                on.targetGroups.map((tg) => [
                    "AWS/ApplicationELB",
                    "UnHealthyHostCount",
                    "TargetGroup",
                    tg,
                    "LoadBalancer",
                    loadBalancer,
                ]),
                0,
                12,
                "Maximum",
            ),
            widget(
                "Capacity provider and cluster reservation (%)",
                [
                    [
                        "AWS/ECS/ManagedScaling",
                        "CapacityProviderReservation",
                        "ClusterName",
                        on.cluster,
                        "CapacityProviderName",
                        on.capacityProvider,
                    ],
                    ...["CPUReservation", "MemoryReservation", "GPUReservation"].map((m) => [
                        "AWS/ECS",
                        m,
                        "ClusterName",
                        on.cluster,
                    ]),
                ],
                12,
                12,
                "Maximum",
            ),
        ],
    });
}

/**
 * CloudWatch for the ECS inference service: the alarms that gate its blue/green deployments (target
 * and load balancer 5xx, p95 time to first token), alarms on unhealthy targets, on GPU capacity
 * that lags the tasks and on missing TTFT metrics, all notifying a KMS-encrypted SNS topic, and a
 * dashboard.
 */
export class EcsMonitoring extends pulumi.ComponentResource {
    /** The alarms ECS watches during deployments and rolls back on. */
    public readonly deploymentAlarmNames: pulumi.Output<string[]>;
    public readonly topicArn: pulumi.Output<string>;
    public readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, args: EcsMonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:EcsMonitoring", name, {}, opts);
        assertValid(this, "EcsMonitoring", name, validateEcsMonitoringArgs(args));
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
                    ...(a.metrics === undefined
                        ? {
                              namespace,
                              metricName: a.metricName,
                              statistic: a.statistic,
                              extendedStatistic: a.extendedStatistic,
                              period: a.period,
                              dimensions,
                          }
                        : {
                              metricQueries: a.metrics.map((q) => ({
                                  id: q.id,
                                  expression: q.expression,
                                  label: q.label,
                                  returnData: q.returnData,
                                  metric: q.metric && {
                                      namespace: q.metric.namespace,
                                      metricName: q.metric.metricName,
                                      stat: q.metric.stat,
                                      period: a.period,
                                      dimensions: q.metric.dimensions,
                                  },
                              })),
                          }),
                    threshold: a.threshold,
                    comparisonOperator: a.comparisonOperator,
                    evaluationPeriods: a.evaluationPeriods,
                    datapointsToAlarm: a.datapointsToAlarm,
                    treatMissingData: a.treatMissingData,
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
            args.metricsService,
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
        alarm(ttftMissingAlarm(name), { Service: args.metricsService }, TTFT_METRIC_NAMESPACE);
        for (const a of capacityAlarms(name))
            alarm(
                a,
                { ClusterName: args.clusterName, CapacityProviderName: args.capacityProviderName },
                "AWS/ECS/ManagedScaling",
            );

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
                        args.capacityProviderName,
                        args.metricsService,
                    ])
                    .apply(([r, lb, tgs, c, cp, service]) =>
                        buildEcsDashboard({
                            region: r,
                            loadBalancer: lb,
                            targetGroups: tgs,
                            cluster: c,
                            capacityProvider: cp,
                            metricsService: service,
                            p95LatencyMs: args.p95LatencyMs ?? REFERENCE_SLO.p95LatencyMs,
                        }),
                    ),
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
