/**
 * The capacity half of {@link BlueGreenEcsService}: the cluster and GPU instances on EC2 (Fargate
 * has no GPUs) in an Auto Scaling group that an ECS capacity provider scales and protects.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ECS_DYNAMIC_HOST_PORTS } from "./ecsTask";
import { nodeLaunchTemplateArgs, serviceTrustPolicy } from "./iam";
import type { ResolvedEcsServiceArgs } from "./blueGreenEcsServiceArgs";

export const ECS_INSTANCE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";

export interface EcsCapacity {
    readonly cluster: aws.ecs.Cluster;
    /** The instances' role: attach policies here for what the ECS agent on the host needs. */
    readonly instanceRole: aws.iam.Role;
    readonly instanceSecurityGroup: aws.ec2.SecurityGroup;
    readonly launchTemplate: aws.ec2.LaunchTemplate;
    readonly autoScalingGroup: aws.autoscaling.Group;
    readonly capacityProvider: aws.ecs.CapacityProvider;
    /** The provider's association with the cluster: a service that uses the provider must wait for it. */
    readonly clusterCapacityProviders: aws.ecs.ClusterCapacityProviders;
}

/** What the ECS agent reads at boot: the cluster to join, and that GPUs are to be advertised. */
export function ecsUserData(clusterName: string): string {
    return Buffer.from(
        `#!/bin/bash\necho "ECS_CLUSTER=${clusterName}" >> /etc/ecs/ecs.config\necho "ECS_ENABLE_GPU_SUPPORT=true" >> /etc/ecs/ecs.config\n`,
    ).toString("base64");
}

/** The cluster (protected with `args.protect`), GPU instances that admit `sourceSecurityGroupId`, and the capacity provider. */
export function createEcsCapacity(
    parent: pulumi.Resource,
    name: string,
    args: ResolvedEcsServiceArgs,
    sourceSecurityGroupId: pulumi.Input<string>,
): EcsCapacity {
    const { tags } = args;
    const child = { parent };
    const cluster = new aws.ecs.Cluster(
        `${name}-cluster`,
        { settings: [{ name: "containerInsights", value: "enhanced" }], tags },
        { parent, protect: args.protect },
    );
    const instanceRole = new aws.iam.Role(
        `${name}-instance-role`,
        { assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"), tags },
        child,
    );
    new aws.iam.RolePolicyAttachment(
        `${name}-instance-policy`,
        { role: instanceRole.name, policyArn: ECS_INSTANCE_POLICY_ARN },
        child,
    );
    const profile = new aws.iam.InstanceProfile(`${name}-instance-profile`, { role: instanceRole.name, tags }, child);
    const instanceSecurityGroup = new aws.ec2.SecurityGroup(
        `${name}-instance-sg`,
        {
            vpcId: args.vpcId,
            description: `${name} GPU instances`,
            // The tasks' dynamic host ports, from the load balancer only.
            ingress: [
                {
                    protocol: "tcp",
                    fromPort: ECS_DYNAMIC_HOST_PORTS.from,
                    toPort: ECS_DYNAMIC_HOST_PORTS.to,
                    securityGroups: [sourceSecurityGroupId],
                },
            ],
            egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            tags,
        },
        child,
    );
    const ami = aws.ssm.getParameterOutput({ name: args.amiParameter }, child).value;
    const launchTemplate = new aws.ec2.LaunchTemplate(
        `${name}-launch-template`,
        {
            ...nodeLaunchTemplateArgs({
                diskSizeGiB: 200,
                deviceName: "/dev/xvda",
                tags,
                description: `${name} ECS GPU instances`,
            }),
            imageId: ami,
            iamInstanceProfile: { arn: profile.arn },
            vpcSecurityGroupIds: [instanceSecurityGroup.id],
            userData: cluster.name.apply(ecsUserData),
        },
        child,
    );
    const autoScalingGroup = new aws.autoscaling.Group(
        `${name}-instances`,
        {
            vpcZoneIdentifiers: args.instanceSubnetIds,
            minSize: args.minInstances,
            maxSize: args.maxInstances,
            mixedInstancesPolicy: {
                launchTemplate: {
                    launchTemplateSpecification: { launchTemplateId: launchTemplate.id, version: "$Latest" },
                    overrides: args.instanceTypes.map((instanceType) => ({ instanceType })),
                },
            },
            protectFromScaleIn: true,
            tags: [
                { key: "AmazonECSManaged", value: "true", propagateAtLaunch: true },
                ...Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
            ],
        },
        // ECS managed scaling owns the desired capacity.
        { parent, ignoreChanges: ["desiredCapacity"] },
    );
    const capacityProvider = new aws.ecs.CapacityProvider(
        `${name}-gpu`,
        {
            autoScalingGroupProvider: {
                autoScalingGroupArn: autoScalingGroup.arn,
                managedTerminationProtection: "ENABLED",
                managedDraining: "ENABLED",
                managedScaling: {
                    status: "ENABLED",
                    targetCapacity: 100,
                    minimumScalingStepSize: 1,
                    // A deployment starts a whole colour at once: launch what it needs in one step
                    // rather than two instances per warm-up (ECS's own default is 10,000).
                    maximumScalingStepSize: Math.min(Math.max(args.maxInstances, 1), 10000),
                    instanceWarmupPeriod: 300,
                },
            },
            tags,
        },
        child,
    );
    const clusterCapacityProviders = new aws.ecs.ClusterCapacityProviders(
        `${name}-capacity`,
        {
            clusterName: cluster.name,
            capacityProviders: [capacityProvider.name],
            defaultCapacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
        },
        child,
    );
    return {
        cluster,
        instanceRole,
        instanceSecurityGroup,
        launchTemplate,
        autoScalingGroup,
        capacityProvider,
        clusterCapacityProviders,
    };
}
