import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValid } from "../validation";
import {
    validateBlueGreenEcsServiceArgs,
    withEcsServiceDefaults,
    type BlueGreenEcsServiceArgs,
} from "./blueGreenEcsServiceArgs";
import { createEcsCapacity } from "./ecsCapacity";
import { createEcsDeployment } from "./ecsDeployment";
import { createEcsLoadBalancer } from "./ecsLoadBalancer";
import { EcsMonitoring } from "./ecsMonitoring";
import { createEcsTask } from "./ecsTaskDefinition";

export {
    ECS_GPU_AMI_PARAMETER,
    ECS_SERVICE_DEFAULTS,
    validateBlueGreenEcsServiceArgs,
    withEcsServiceDefaults,
    type BlueGreenEcsServiceArgs,
    type ExistingLoadBalancer,
    type ResolvedEcsServiceArgs,
} from "./blueGreenEcsServiceArgs";

/**
 * An inference service on ECS with native blue/green deployments: a GPU capacity provider on EC2
 * (Fargate has no GPUs), a hardened task definition, an ALB with a production and a test listener
 * and two target groups, BLUE_GREEN with a bake time, an optional smoke-test hook, the circuit
 * breaker and alarms that roll back, and request-based autoscaling.
 *
 * The class wires; the functions build (`createEcsLoadBalancer`, `createEcsCapacity`,
 * `createEcsTask`, `createEcsDeployment`), each child parented here. ECS owns the listener rules'
 * target-group weights and swaps the service's target groups after every deployment; those
 * properties are ignored so that `pulumi up` never fights it.
 */
export class BlueGreenEcsService extends pulumi.ComponentResource {
    /** The ECS cluster's name. */
    public readonly clusterName: pulumi.Output<string>;
    /** The ECS service's name. */
    public readonly serviceName: pulumi.Output<string>;
    /** The load balancer's DNS name (the `loadBalancer` given, or the one built). */
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** Production URL and the test listener's URL (the new colour during a deployment). */
    public readonly productionUrl: pulumi.Output<string>;
    /** The test listener's URL, on `testListenerPort`: the new colour during a deployment. */
    public readonly testUrl: pulumi.Output<string>;
    /** The alarms that roll a deployment back. */
    public readonly alarmNames: pulumi.Output<string[]>;
    /** The KMS-encrypted SNS topic every alarm notifies. */
    public readonly alertTopicArn: pulumi.Output<string>;
    /** The CloudWatch dashboard of the service (`<clusterName>-inference`). */
    public readonly dashboardName: pulumi.Output<string>;

    // The children a user extends: add listener rules, attach policies, subscribe to alarms.
    /** The ECS cluster. */
    public readonly cluster: aws.ecs.Cluster;
    /** The ECS service, deployed blue/green by ECS. */
    public readonly service: aws.ecs.Service;
    /** The task definition of the current revision. */
    public readonly taskDefinition: aws.ecs.TaskDefinition;
    /** The role the containers run as. */
    public readonly taskRole: aws.iam.Role;
    /** The role ECS pulls the image, writes the logs and reads the `secrets` with. */
    public readonly executionRole: aws.iam.Role;
    /** The GPU instances' role. */
    public readonly instanceRole: aws.iam.Role;
    /** The GPU instances' security group: it admits the load balancer on the tasks' ports. */
    public readonly instanceSecurityGroup: aws.ec2.SecurityGroup;
    /** The GPU instances' Auto Scaling group (`minInstances` to `maxInstances`). */
    public readonly autoScalingGroup: aws.autoscaling.Group;
    /** The capacity provider that scales the Auto Scaling group for the tasks. */
    public readonly capacityProvider: aws.ecs.CapacityProvider;
    /** The load balancer the component built; `undefined` when `args.loadBalancer` was given. */
    public readonly loadBalancer: aws.lb.LoadBalancer | undefined;
    /** The production listener and the test listener (`testListenerPort`). */
    public readonly listeners: {
        /** Production traffic: HTTPS on 443 with `certificateArn`, HTTP on 80 otherwise. */
        readonly production: aws.lb.Listener;
        /** The test listener: the new colour before traffic shifts. */
        readonly test: aws.lb.Listener;
    };
    /** The two colours' target groups, between which ECS shifts traffic. */
    public readonly targetGroups: {
        /** The blue colour's target group. */
        readonly blue: aws.lb.TargetGroup;
        /** The green colour's target group. */
        readonly green: aws.lb.TargetGroup;
    };
    /** The service's alarms, dashboard and alert topic. */
    public readonly monitoring: EcsMonitoring;

    constructor(name: string, given: BlueGreenEcsServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:BlueGreenEcsService", name, {}, opts);
        assertValid(this, "BlueGreenEcsService", name, validateBlueGreenEcsServiceArgs(given));
        const args = withEcsServiceDefaults(given);

        const lb = createEcsLoadBalancer(this, name, args);
        const capacity = createEcsCapacity(this, name, args, lb.securityGroupId);
        // The tasks' TTFT metrics are the cluster's and the service's: no other stack's traffic counts.
        const metricsService = pulumi.interpolate`${capacity.cluster.name}/${name}`;
        const task = createEcsTask(this, name, args, metricsService);
        // The alarms that gate deployments come from the service's monitoring (with its dashboard and topic).
        const monitoring = new EcsMonitoring(
            `${name}-monitoring`,
            {
                clusterName: capacity.cluster.name,
                capacityProviderName: capacity.capacityProvider.name,
                metricsService,
                loadBalancerArnSuffix: lb.arnSuffix,
                targetGroupArnSuffixes: [lb.blueTargetGroup.arnSuffix, lb.greenTargetGroup.arnSuffix],
                p95LatencyMs: args.p95LatencyMs,
                max5xxPerMinute: args.max5xxPerMinute,
                protect: args.protect,
                tags: args.tags,
            },
            { parent: this },
        );
        const deployment = createEcsDeployment(this, name, args, {
            capacity,
            loadBalancer: lb,
            taskDefinitionArn: task.taskDefinition.arn,
            rollbackAlarmNames: monitoring.deploymentAlarmNames,
        });

        const scheme = lb.https ? "https" : "http";
        this.cluster = capacity.cluster;
        this.instanceRole = capacity.instanceRole;
        this.instanceSecurityGroup = capacity.instanceSecurityGroup;
        this.autoScalingGroup = capacity.autoScalingGroup;
        this.capacityProvider = capacity.capacityProvider;
        this.taskDefinition = task.taskDefinition;
        this.taskRole = task.taskRole;
        this.executionRole = task.executionRole;
        this.service = deployment.service;
        this.loadBalancer = lb.loadBalancer;
        this.listeners = { production: lb.productionListener, test: lb.testListener };
        this.targetGroups = { blue: lb.blueTargetGroup, green: lb.greenTargetGroup };
        this.monitoring = monitoring;

        this.clusterName = capacity.cluster.name;
        this.serviceName = deployment.service.name;
        this.loadBalancerDnsName = lb.dnsName;
        this.productionUrl = pulumi.interpolate`${scheme}://${lb.dnsName}`;
        this.testUrl = pulumi.interpolate`${scheme}://${lb.dnsName}:${args.testListenerPort}`;
        this.alarmNames = monitoring.deploymentAlarmNames;
        this.alertTopicArn = monitoring.topicArn;
        this.dashboardName = monitoring.dashboardName;
        this.registerOutputs({
            clusterName: this.clusterName,
            serviceName: this.serviceName,
            loadBalancerDnsName: this.loadBalancerDnsName,
            productionUrl: this.productionUrl,
            testUrl: this.testUrl,
            alarmNames: this.alarmNames,
            alertTopicArn: this.alertTopicArn,
            dashboardName: this.dashboardName,
        });
    }
}
