/**
 * What AWS, Kubernetes and random return for a resource the program creates, in their real formats
 * (ARNs, ids, endpoints): a table of models by type, and generic ones for the rest.
 */
import { arn, autoName, fakeCertificate, stableHex, stableUuid, type CloudContext, type State } from "./offlineIds";

export type ResourceModel = (
    name: string,
    inputs: State,
    ctx: CloudContext,
    type: string,
) => { id: string; state: State };

const s3BucketChild: ResourceModel = (_name, inputs) => ({ id: String(inputs.bucket), state: {} });

/** Models for the resource types the platform creates; anything else gets {@link genericModel}. */
export const MODELS: Record<string, ResourceModel> = {
    "aws:s3/bucket:Bucket": (name, inputs, ctx, type) => {
        const bucket =
            (inputs.bucket as string | undefined) ??
            (inputs.bucketPrefix
                ? `${String(inputs.bucketPrefix)}${stableHex(26, ctx.stack, type, name)}`
                : autoName(name, type, ctx));
        return {
            id: bucket,
            state: {
                bucket,
                arn: `arn:aws:s3:::${bucket}`,
                bucketDomainName: `${bucket}.s3.amazonaws.com`,
                bucketRegionalDomainName: `${bucket}.s3.${ctx.region}.amazonaws.com`,
                region: ctx.region,
                hostedZoneId: "Z3AQBSTGFYJSTF",
                forceDestroy: inputs.forceDestroy ?? false,
            },
        };
    },
    "aws:s3/bucketVersioning:BucketVersioning": s3BucketChild,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": s3BucketChild,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": s3BucketChild,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": s3BucketChild,
    "aws:s3/bucketPolicy:BucketPolicy": s3BucketChild,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": s3BucketChild,
    "aws:s3/bucketLogging:BucketLogging": s3BucketChild,
    "aws:kms/key:Key": (name, _inputs, ctx, type) => {
        const keyId = stableUuid(ctx.stack, type, name);
        return { id: keyId, state: { keyId, arn: arn(ctx, "kms", `key/${keyId}`) } };
    },
    "aws:kms/alias:Alias": (name, inputs, ctx, type) => {
        const aliasName = (inputs.name as string | undefined) ?? `alias/${autoName(name, type, ctx)}`;
        return {
            id: aliasName,
            state: { name: aliasName, arn: arn(ctx, "kms", aliasName), targetKeyArn: inputs.targetKeyId },
        };
    },
    "aws:iam/role:Role": (name, inputs, ctx, type) => {
        const roleName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        const path = (inputs.path as string | undefined) ?? "/";
        return {
            id: roleName,
            state: {
                name: roleName,
                path,
                arn: `arn:aws:iam::${ctx.accountId}:role${path}${roleName}`,
                uniqueId: `AROA${stableHex(17, ctx.stack, type, name).toUpperCase()}`,
            },
        };
    },
    "aws:iam/policy:Policy": (name, inputs, ctx, type) => {
        const policyName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        const policyArn = `arn:aws:iam::${ctx.accountId}:policy${(inputs.path as string | undefined) ?? "/"}${policyName}`;
        return {
            id: policyArn,
            state: {
                name: policyName,
                arn: policyArn,
                policyId: `ANPA${stableHex(17, ctx.stack, type, name).toUpperCase()}`,
            },
        };
    },
    // The provider names the stream when `name` is unset; its id is the ARN (service `firehose`).
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (name, inputs, ctx, type) => {
        const streamName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        const streamArn = arn(ctx, "firehose", `deliverystream/${streamName}`);
        return { id: streamArn, state: { name: streamName, arn: streamArn } };
    },
    "aws:ecr/repository:Repository": (name, inputs, ctx, type) => {
        const repoName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        return {
            id: repoName,
            state: {
                name: repoName,
                arn: arn(ctx, "ecr", `repository/${repoName}`),
                registryId: ctx.accountId,
                repositoryUrl: `${ctx.accountId}.dkr.ecr.${ctx.region}.amazonaws.com/${repoName}`,
            },
        };
    },
    "aws:eks/cluster:Cluster": (name, inputs, ctx, type) => {
        const clusterName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        const oidcId = stableHex(32, ctx.stack, type, name).toUpperCase();
        const endpoint = `https://${oidcId}.gr7.${ctx.region}.eks.amazonaws.com`;
        return {
            id: clusterName,
            state: {
                name: clusterName,
                arn: arn(ctx, "eks", `cluster/${clusterName}`),
                endpoint,
                status: "ACTIVE",
                platformVersion: "eks.1",
                certificateAuthority: {
                    data: Buffer.from(fakeCertificate(`${ctx.stack}/${clusterName}`)).toString("base64"),
                },
                identities: [{ oidcs: [{ issuer: `https://oidc.eks.${ctx.region}.amazonaws.com/id/${oidcId}` }] }],
                // EKS creates the cluster security group and reports it with the VPC it is in.
                vpcConfig: {
                    ...((inputs.vpcConfig as State | undefined) ?? {}),
                    clusterSecurityGroupId: `sg-${stableHex(17, ctx.stack, type, name, "cluster-sg")}`,
                },
                clusterId: stableUuid(ctx.stack, type, name, "id"),
            },
        };
    },
    "docker:index/image:Image": (name, inputs, ctx, type) => {
        // What the docker provider reports after a push: the repository, and the digest the registry returned.
        const imageName = String(inputs.imageName);
        const repository = imageName.replace(/:[^/:]+$/, "");
        const digest = `sha256:${stableHex(64, ctx.stack, type, name, imageName, JSON.stringify(inputs.build ?? {}))}`;
        return {
            id: `${repository}@${digest}`,
            state: {
                baseImageName: imageName,
                registryServer: repository.split("/")[0],
                repoDigest: `${repository}@${digest}`,
            },
        };
    },
    "aws:cloudwatch/logGroup:LogGroup": (name, inputs, ctx, type) => {
        const groupName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        return { id: groupName, state: { name: groupName, arn: arn(ctx, "logs", `log-group:${groupName}`) } };
    },
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (_name, inputs, ctx) => {
        const host = String(inputs.url).replace(/^https:\/\//, "");
        const providerArn = `arn:aws:iam::${ctx.accountId}:oidc-provider/${host}`;
        return { id: providerArn, state: { arn: providerArn } };
    },
    "aws:eks/nodeGroup:NodeGroup": (name, inputs, ctx, type) => {
        const nodeGroupName = (inputs.nodeGroupName as string | undefined) ?? autoName(name, type, ctx);
        const clusterName = String(inputs.clusterName);
        return {
            id: `${clusterName}:${nodeGroupName}`,
            state: {
                nodeGroupName,
                arn: arn(ctx, "eks", `nodegroup/${clusterName}/${nodeGroupName}/${stableUuid(ctx.stack, type, name)}`),
                status: "ACTIVE",
                resources: [
                    {
                        autoscalingGroups: [
                            { name: `eks-${nodeGroupName}-${stableUuid(ctx.stack, type, name, "asg")}` },
                        ],
                    },
                ],
            },
        };
    },
    "aws:eks/addon:Addon": (_name, inputs, ctx) => {
        const clusterName = String(inputs.clusterName);
        const addonName = String(inputs.addonName);
        return {
            id: `${clusterName}:${addonName}`,
            state: {
                arn: arn(ctx, "eks", `addon/${clusterName}/${addonName}/${stableUuid(clusterName, addonName)}`),
                addonVersion: inputs.addonVersion ?? "v1.0.0-eksbuild.1",
            },
        };
    },
    "aws:lb/loadBalancer:LoadBalancer": (name, inputs, ctx, type) => {
        const lbName = ((inputs.name as string | undefined) ?? autoName(name, type, ctx)).slice(0, 32);
        const suffix = `app/${lbName}/${stableHex(16, ctx.stack, type, name)}`;
        const scheme = inputs.internal ? "internal-" : "";
        return {
            id: arn(ctx, "elasticloadbalancing", `loadbalancer/${suffix}`),
            state: {
                name: lbName,
                arn: arn(ctx, "elasticloadbalancing", `loadbalancer/${suffix}`),
                arnSuffix: suffix,
                dnsName: `${scheme}${lbName}-${parseInt(stableHex(8, ctx.stack, name), 16)}.${ctx.region}.elb.amazonaws.com`,
                zoneId: "Z35SXDOTRQ7X7K",
            },
        };
    },
    "aws:lb/targetGroup:TargetGroup": (name, inputs, ctx, type) => {
        const tgName = ((inputs.name as string | undefined) ?? autoName(name, type, ctx)).slice(0, 32);
        const suffix = `targetgroup/${tgName}/${stableHex(16, ctx.stack, type, name)}`;
        return {
            id: arn(ctx, "elasticloadbalancing", suffix),
            state: { name: tgName, arn: arn(ctx, "elasticloadbalancing", suffix), arnSuffix: suffix },
        };
    },
    "aws:lb/listener:Listener": (name, _inputs, ctx, type) => {
        const listenerArn = arn(
            ctx,
            "elasticloadbalancing",
            `listener/app/${name}/${stableHex(16, ctx.stack, type, name)}/${stableHex(16, ctx.stack, type, name, "l")}`,
        );
        return { id: listenerArn, state: { arn: listenerArn } };
    },
    "aws:lb/listenerRule:ListenerRule": (name, _inputs, ctx, type) => {
        const ruleArn = arn(
            ctx,
            "elasticloadbalancing",
            `listener-rule/app/${name}/${stableHex(16, ctx.stack, type, name)}/${stableHex(16, ctx.stack, type, name, "r")}`,
        );
        return { id: ruleArn, state: { arn: ruleArn } };
    },
    // RDS names the instance when `identifier` is unset; its endpoint is <identifier>.<account hash>.<region>.rds.amazonaws.com.
    "aws:rds/instance:Instance": (name, inputs, ctx, type) => {
        const identifier = (inputs.identifier as string | undefined) ?? autoName(name, type, ctx).toLowerCase();
        const address = `${identifier}.c${stableHex(11, ctx.accountId)}.${ctx.region}.rds.amazonaws.com`;
        const port = (inputs.port as number | undefined) ?? 5432;
        return {
            id: identifier,
            state: {
                identifier,
                address,
                port,
                endpoint: `${address}:${port}`,
                arn: arn(ctx, "rds", `db:${identifier}`),
                resourceId: `db-${stableHex(26, ctx.stack, type, name).toUpperCase()}`,
            },
        };
    },
    // RDS lower-cases the names it is given; a subnet group's id is its name.
    "aws:rds/subnetGroup:SubnetGroup": (name, inputs, ctx, type) => {
        const groupName = (inputs.name as string | undefined) ?? autoName(name, type, ctx).toLowerCase();
        return { id: groupName, state: { name: groupName, arn: arn(ctx, "rds", `subgrp:${groupName}`) } };
    },
    // A secret's ARN ends in its name, a dash and six random characters; its id is the ARN.
    "aws:secretsmanager/secret:Secret": (name, inputs, ctx, type) => {
        const secretName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        const secretArn = arn(ctx, "secretsmanager", `secret:${secretName}-${stableHex(6, ctx.stack, type, name)}`);
        return { id: secretArn, state: { name: secretName, arn: secretArn } };
    },
    "aws:ecs/cluster:Cluster": (name, inputs, ctx, type) => {
        const clusterName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        const clusterArn = arn(ctx, "ecs", `cluster/${clusterName}`);
        return { id: clusterArn, state: { name: clusterName, arn: clusterArn } };
    },
    "aws:ecs/service:Service": (name, inputs, ctx, type) => {
        const serviceName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        const clusterName = String(inputs.cluster ?? "default")
            .split("/")
            .pop();
        return { id: arn(ctx, "ecs", `service/${clusterName}/${serviceName}`), state: { name: serviceName } };
    },
    "aws:ecs/taskDefinition:TaskDefinition": (_name, inputs, ctx) => {
        const family = String(inputs.family);
        return {
            id: family,
            state: {
                arn: arn(ctx, "ecs", `task-definition/${family}:1`),
                revision: 1,
                arnWithoutRevision: arn(ctx, "ecs", `task-definition/${family}`),
            },
        };
    },
    "aws:ecs/capacityProvider:CapacityProvider": (name, inputs, ctx, type) => {
        const cpName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        return { id: cpName, state: { name: cpName, arn: arn(ctx, "ecs", `capacity-provider/${cpName}`) } };
    },
    "aws:autoscaling/group:Group": (name, inputs, ctx, type) => {
        const asgName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        return {
            id: asgName,
            state: {
                name: asgName,
                arn: arn(
                    ctx,
                    "autoscaling",
                    `autoScalingGroup:${stableUuid(ctx.stack, type, name)}:autoScalingGroupName/${asgName}`,
                ),
            },
        };
    },
    "aws:iam/instanceProfile:InstanceProfile": (name, inputs, ctx, type) => {
        const profileName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        return {
            id: profileName,
            state: { name: profileName, arn: `arn:aws:iam::${ctx.accountId}:instance-profile/${profileName}` },
        };
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": (name, inputs, ctx, type) => {
        const alarmName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        return { id: alarmName, state: { name: alarmName, arn: arn(ctx, "cloudwatch", `alarm:${alarmName}`) } };
    },
    "aws:sns/topic:Topic": (name, inputs, ctx, type) => {
        const topicName = (inputs.name as string | undefined) ?? autoName(name, type, ctx);
        const topicArn = arn(ctx, "sns", topicName);
        return { id: topicArn, state: { name: topicName, arn: topicArn } };
    },
    "aws:cloudwatch/dashboard:Dashboard": (_name, inputs, ctx) => {
        const dashboardName = String(inputs.dashboardName);
        return {
            id: dashboardName,
            state: { dashboardArn: `arn:aws:cloudwatch::${ctx.accountId}:dashboard/${dashboardName}` },
        };
    },
    "random:index/randomPassword:RandomPassword": (name, inputs, ctx, type) => {
        const length = Number(inputs.length ?? 16);
        const result = stableHex(length, ctx.stack, type, name, "password");
        return { id: "none", state: { result, bcryptHash: `$2a$10$${stableHex(53, result)}` } };
    },
    "random:index/randomId:RandomId": (name, inputs, ctx, type) => {
        const hex = stableHex(Number(inputs.byteLength ?? 8) * 2, ctx.stack, type, name);
        const b64 = Buffer.from(hex, "hex").toString("base64url");
        return {
            id: b64,
            state: {
                hex,
                b64Url: b64,
                b64Std: Buffer.from(hex, "hex").toString("base64"),
                dec: BigInt(`0x${hex}`).toString(),
            },
        };
    },
};

/** EC2 resource ids: the prefix AWS uses, then 17 hex digits. */
const EC2_ID_PREFIX: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
};

const ec2Model: ResourceModel = (name, inputs, ctx, type) => {
    const id = `${EC2_ID_PREFIX[type]}-0${stableHex(16, ctx.stack, type, name)}`;
    const kind =
        EC2_ID_PREFIX[type] === "eipalloc"
            ? "elastic-ip"
            : type
                  .split(":")
                  .pop()!
                  .replace(/[A-Z]/g, (c, i: number) => (i ? "-" : "") + c.toLowerCase());
    const state: State = { arn: arn(ctx, "ec2", `${kind}/${id}`) };
    if (type === "aws:ec2/eip:Eip")
        state.publicIp = `203.0.113.${(parseInt(stableHex(2, ctx.stack, name), 16) % 254) + 1}`;
    if (type === "aws:ec2/launchTemplate:LaunchTemplate")
        Object.assign(state, { latestVersion: 1, defaultVersion: 1, name: inputs.name ?? autoName(name, type, ctx) });
    if (type === "aws:ec2/vpc:Vpc")
        state.defaultSecurityGroupId = `sg-0${stableHex(16, ctx.stack, type, name, "default")}`;
    return { id, state };
};

/** AWS resources with no model: an id and an ARN in the resource's service. */
const genericAwsModel: ResourceModel = (name, inputs, ctx, type) => {
    const [, module = "aws", member = "resource"] = type.split(/[:/]/);
    const id = (inputs.name as string | undefined) ?? `${module}-${stableHex(17, ctx.stack, type, name)}`;
    return { id, state: { arn: arn(ctx, module, `${member.charAt(0).toLowerCase()}${member.slice(1)}/${id}`) } };
};

/**
 * The status the AWS Load Balancer Controller writes on an Ingress of class alb: the DNS name of
 * its group's load balancer (one per `group.name`), `internal-` first for an internal one.
 */
function albIngressStatus(metadata: State, ctx: CloudContext): State {
    const annotations = (metadata.annotations as Record<string, string> | undefined) ?? {};
    const group =
        annotations["alb.ingress.kubernetes.io/group.name"] ?? `${String(metadata.namespace)}-${String(metadata.name)}`;
    const internal = annotations["alb.ingress.kubernetes.io/scheme"] !== "internet-facing";
    const lb = `k8s-${group.replace(/[^a-z0-9]/g, "").slice(0, 8)}-${stableHex(10, ctx.stack, group)}`;
    const hostname = `${internal ? "internal-" : ""}${lb}-${parseInt(stableHex(8, ctx.stack, group, "dns"), 16)}.${ctx.region}.elb.amazonaws.com`;
    return { loadBalancer: { ingress: [{ hostname }] } };
}

/** Kubernetes objects: the API server's defaults for name, namespace, uid and generation. */
const kubernetesModel: ResourceModel = (name, inputs, ctx, type) => {
    const metadata = { ...((inputs.metadata as State | undefined) ?? {}) };
    metadata.name ??= `${name}-${stableHex(8, ctx.stack, type, name)}`;
    const clusterScoped =
        /:(Namespace|ClusterRole|ClusterRoleBinding|CustomResourceDefinition|StorageClass|PriorityClass)$/.test(type);
    if (!clusterScoped) metadata.namespace ??= "default";
    metadata.uid = stableUuid(ctx.stack, type, name);
    metadata.generation = 1;
    const id = clusterScoped ? String(metadata.name) : `${String(metadata.namespace)}/${String(metadata.name)}`;
    if (type === "kubernetes:networking.k8s.io/v1:Ingress")
        return { id, state: { metadata, status: albIngressStatus(metadata, ctx) } };
    return { id, state: { metadata } };
};

/** The model of a resource type: its own, the EC2 one, the generic AWS or Kubernetes one, or a bare id. */
export function modelFor(type: string): ResourceModel {
    return (
        MODELS[type] ??
        (EC2_ID_PREFIX[type] ? ec2Model : undefined) ??
        (type.startsWith("aws:") ? genericAwsModel : type.startsWith("kubernetes:") ? kubernetesModel : undefined) ??
        ((n: string, _i: State, c: CloudContext, t: string) => ({
            id: `${n}-${stableHex(8, c.stack, t, n)}`,
            state: {},
        }))
    );
}
