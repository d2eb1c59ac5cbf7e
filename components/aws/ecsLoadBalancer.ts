/**
 * The load balancer half of {@link BlueGreenEcsService}: the ALB (or the user's own), its security
 * group and access-log bucket, the production and test listeners, the blue and green target groups
 * and the listener rules ECS shifts traffic with. Every resource is a child of the service and keeps
 * the name it had when the service built it inline.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { logLifecycleRules } from "./bucketPolicies";
import { STREAM_IDLE_TIMEOUT_SECONDS } from "../../catalog/standards";
import {
    ALB_LOG_DELIVERY_SERVICE,
    albLogBucketPolicy,
    ECS_DYNAMIC_HOST_PORTS,
    ELB_ACCOUNT_REGIONS,
    type AlbLogWriter,
} from "./ecsTask";
import { hardenedBucket } from "./hardenedBucket";
import type { ResolvedEcsServiceArgs } from "./blueGreenEcsServiceArgs";

/** TLS 1.3 with TLS 1.2 fallback: the policy AWS recommends for new HTTPS listeners. */
export const ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** What the service needs of a load balancer, whether it built it or the user brought one. */
export interface EcsLoadBalancer {
    /** The ALB the component created; absent when the user brought one (`args.loadBalancer`). */
    readonly loadBalancer?: aws.lb.LoadBalancer;
    /** The security group the component created for it; absent with the user's load balancer. */
    readonly securityGroup?: aws.ec2.SecurityGroup;
    /** The access-log bucket the component created; absent with the user's bucket or load balancer. */
    readonly accessLogBucket?: aws.s3.Bucket;
    /** The security group the instances admit traffic from. */
    readonly securityGroupId: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
    readonly arnSuffix: pulumi.Output<string>;
    readonly dnsName: pulumi.Output<string>;
    readonly productionListener: aws.lb.Listener;
    readonly testListener: aws.lb.Listener;
    readonly blueTargetGroup: aws.lb.TargetGroup;
    readonly greenTargetGroup: aws.lb.TargetGroup;
    readonly productionRule: aws.lb.ListenerRule;
    readonly testRule: aws.lb.ListenerRule;
    /** Whether the listeners serve HTTPS (a certificate was given). */
    readonly https: boolean;
}

/** The listener ports: production (443 with a certificate, else 80), test, and 80's redirect with HTTPS. */
export function listenerPorts(args: Pick<ResolvedEcsServiceArgs, "certificateArn" | "testListenerPort">): number[] {
    const https = args.certificateArn !== undefined;
    return [https ? 443 : 80, args.testListenerPort, ...(https ? [80] : [])];
}

/** The ALB, its security group and log bucket, built when the user brings no load balancer. */
function createAlb(
    parent: pulumi.Resource,
    name: string,
    args: ResolvedEcsServiceArgs,
): Pick<EcsLoadBalancer, "loadBalancer" | "securityGroup" | "accessLogBucket"> & { loadBalancer: aws.lb.LoadBalancer } {
    const { tags, protect } = args;
    const child = { parent };
    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-alb-sg`,
        {
            vpcId: args.vpcId,
            description: `${name} load balancer`,
            ingress: listenerPorts(args).map((p) => ({
                protocol: "tcp",
                fromPort: p,
                toPort: p,
                cidrBlocks: args.allowedCidrs,
            })),
            // To the tasks' dynamic host ports on the instances.
            egress: [
                {
                    protocol: "tcp",
                    fromPort: ECS_DYNAMIC_HOST_PORTS.from,
                    toPort: ECS_DYNAMIC_HOST_PORTS.to,
                    cidrBlocks: ["0.0.0.0/0"],
                },
            ],
            tags,
        },
        child,
    );
    let accessLogBucket: aws.s3.Bucket | undefined;
    // What the load balancer waits for: the log bucket's policy, which lets ELB write to it (an ALB
    // created before it fails with "Access Denied for bucket").
    let logBucketPolicy: aws.s3.BucketPolicy | undefined;
    let logBucketName: pulumi.Input<string>;
    if (args.accessLogBucketName !== undefined) {
        logBucketName = args.accessLogBucketName;
    } else {
        const accountId = aws.getCallerIdentityOutput({}, child).accountId;
        // The ELB account of a region opened before August 2022, else the log delivery service (the
        // provider's data source refuses those regions).
        const writer = aws
            .getRegionOutput({}, child)
            .region.apply((region): pulumi.Input<AlbLogWriter> =>
                ELB_ACCOUNT_REGIONS.has(region)
                    ? aws.elb.getServiceAccountOutput({ region }, child).arn.apply((arn) => ({ AWS: arn }))
                    : ALB_LOG_DELIVERY_SERVICE,
            );
        const logs = hardenedBucket(
            parent,
            `${name}-alb-logs`,
            `${name}-alb-logs`,
            {
                forceDestroy: !protect,
                tags,
                policy: (bucketArn) =>
                    pulumi.all([bucketArn, writer, accountId]).apply(([b, e, a]) => albLogBucketPolicy(b, e, a, "alb")),
                rules: logLifecycleRules(args.logRetentionDays),
            },
            { protect, retainOnDelete: protect },
        );
        accessLogBucket = logs.bucket;
        logBucketPolicy = logs.policy;
        logBucketName = logs.name;
    }
    const loadBalancer = new aws.lb.LoadBalancer(
        `${name}-alb`,
        {
            loadBalancerType: "application",
            internal: args.internal,
            subnets: args.loadBalancerSubnetIds,
            securityGroups: [securityGroup.id],
            dropInvalidHeaderFields: true,
            // A long generation streams slowly: the ALB's default of 60 s cuts it.
            idleTimeout: STREAM_IDLE_TIMEOUT_SECONDS,
            enableDeletionProtection: args.deletionProtection,
            accessLogs: { bucket: logBucketName, prefix: "alb", enabled: true },
            tags,
        },
        { parent, dependsOn: logBucketPolicy ? [logBucketPolicy] : [] },
    );
    return { loadBalancer, securityGroup, accessLogBucket };
}

/**
 * Listeners, target groups and rules on the service's load balancer: the one it builds, or
 * `args.loadBalancer`. ECS rewrites the rules' forward weights during every deployment, so the
 * rules ignore changes to their actions and `pulumi up` never fights it.
 */
export function createEcsLoadBalancer(
    parent: pulumi.Resource,
    name: string,
    args: ResolvedEcsServiceArgs,
): EcsLoadBalancer {
    const { tags } = args;
    const child = { parent };
    const port = args.containerPort;
    const built = args.loadBalancer === undefined ? createAlb(parent, name, args) : undefined;
    const lb = built
        ? {
              arn: built.loadBalancer.arn,
              arnSuffix: built.loadBalancer.arnSuffix,
              dnsName: built.loadBalancer.dnsName,
              securityGroupId: built.securityGroup!.id,
          }
        : {
              arn: pulumi.output(args.loadBalancer!.arn),
              arnSuffix: pulumi.output(args.loadBalancer!.arnSuffix),
              dnsName: pulumi.output(args.loadBalancer!.dnsName),
              securityGroupId: pulumi.output(args.loadBalancer!.securityGroupId),
          };

    const targetGroup = (color: string): aws.lb.TargetGroup =>
        new aws.lb.TargetGroup(
            `${name}-${color}`,
            {
                vpcId: args.vpcId,
                port,
                protocol: "HTTP",
                targetType: "instance",
                // A draining task finishes the streams it serves (as long as the idle timeout allows one).
                deregistrationDelay: STREAM_IDLE_TIMEOUT_SECONDS,
                healthCheck: {
                    path: args.readyPath,
                    matcher: "200",
                    interval: 15,
                    timeout: 5,
                    healthyThreshold: 2,
                    unhealthyThreshold: 3,
                },
                tags,
            },
            child,
        );
    const [blueTargetGroup, greenTargetGroup] = [targetGroup("blue"), targetGroup("green")];
    const https = args.certificateArn !== undefined;
    const listener = (suffix: string, listenerPort: number): aws.lb.Listener =>
        new aws.lb.Listener(
            `${name}-${suffix}`,
            {
                loadBalancerArn: lb.arn,
                port: listenerPort,
                protocol: https ? "HTTPS" : "HTTP",
                certificateArn: args.certificateArn,
                sslPolicy: https ? ALB_SSL_POLICY : undefined,
                defaultActions: [
                    {
                        type: "fixed-response",
                        fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "not found" },
                    },
                ],
                tags,
            },
            child,
        );
    const [productionPort, testPort] = listenerPorts(args);
    const productionListener = listener("production", productionPort);
    const testListener = listener("test", testPort);
    if (https) {
        new aws.lb.Listener(
            `${name}-http-redirect`,
            {
                loadBalancerArn: lb.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: [
                    { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
                ],
                tags,
            },
            child,
        );
    }
    const rule = (suffix: string, listenerArn: pulumi.Input<string>): aws.lb.ListenerRule =>
        new aws.lb.ListenerRule(
            `${name}-${suffix}`,
            {
                listenerArn,
                priority: 100,
                conditions: [{ pathPattern: { values: ["/*"] } }],
                actions: [
                    {
                        type: "forward",
                        forward: {
                            targetGroups: [
                                { arn: blueTargetGroup.arn, weight: 100 },
                                { arn: greenTargetGroup.arn, weight: 0 },
                            ],
                        },
                    },
                ],
                tags,
            },
            { parent, ignoreChanges: ["actions"] },
        );
    return {
        ...built,
        ...lb,
        productionListener,
        testListener,
        blueTargetGroup,
        greenTargetGroup,
        productionRule: rule("production-rule", productionListener.arn),
        testRule: rule("test-rule", testListener.arn),
        https,
    };
}
