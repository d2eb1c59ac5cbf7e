/**
 * Provider answers for the offline engine: what AWS, Kubernetes and random would return for a
 * resource the program creates, in their real formats (ARNs, ids, endpoints), and answers to
 * the invokes components make. Values are derived from a hash of the resource's identity, so
 * two plans of the same program are identical and a diff shows only real changes.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

export interface CloudContext {
    readonly project: string;
    readonly stack: string;
    readonly region: string;
    readonly accountId: string;
}

/** The AWS documentation's example account: plausible, and never a real one. */
export const OFFLINE_ACCOUNT_ID = "111122223333";

type State = Record<string, unknown>;

/** Deterministic hex of `length` characters from the given parts. */
export function stableHex(length: number, ...parts: string[]): string {
    let out = "";
    for (let i = 0; out.length < length; i++) {
        out += createHash("sha256")
            .update(`${parts.join("\u0000")}\u0000${i}`)
            .digest("hex");
    }
    return out.slice(0, length);
}

function stableUuid(...parts: string[]): string {
    const h = stableHex(32, ...parts);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Pulumi's auto-name: the logical name, a dash and seven hex characters. */
function autoName(name: string, type: string, ctx: CloudContext): string {
    return `${name}-${stableHex(7, ctx.stack, type, name)}`;
}

/**
 * A PEM certificate block with deterministic body: the shape kubeconfig builders and clients
 * parse (base64 DER inside BEGIN/END lines), not a certificate any TLS stack would accept.
 */
export function fakeCertificate(seed: string): string {
    const body = Buffer.from(stableHex(1024, "certificate", seed), "hex").toString("base64");
    const lines = body.match(/.{1,64}/g) ?? [];
    return ["-----BEGIN CERTIFICATE-----", ...lines, "-----END CERTIFICATE-----", ""].join("\n");
}

type ResourceModel = (name: string, inputs: State, ctx: CloudContext, type: string) => { id: string; state: State };

const arn = (ctx: CloudContext, service: string, resource: string, region = ctx.region): string =>
    `arn:aws:${service}:${region}:${ctx.accountId}:${resource}`;

const s3BucketChild: ResourceModel = (_name, inputs) => ({ id: String(inputs.bucket), state: {} });

/** Models for the resource types the platform creates; anything else gets {@link genericModel}. */
const MODELS: Record<string, ResourceModel> = {
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
    return { id, state: { metadata } };
};

/**
 * The property each provider fills in from the logical name when the program leaves it out (the
 * Terraform bridge's autonaming for AWS, `metadata.name` for Kubernetes). The provider does this
 * in Check, so the value is known in a preview; every other computed output is not.
 */
const AUTONAMED: Record<string, string> = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:kms/alias:Alias": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/policy:Policy": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    "aws:ecr/repository:Repository": "name",
    "aws:eks/cluster:Cluster": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name",
    "aws:ecs/cluster:Cluster": "name",
    "aws:ecs/service:Service": "name",
    "aws:ecs/capacityProvider:CapacityProvider": "name",
    "aws:autoscaling/group:Group": "name",
    "aws:sns/topic:Topic": "name",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
};

/** What a create answers in a preview: the inputs, the autonamed property, and which outputs are unknown. */
export interface PreviewAnswer {
    readonly state: State;
    /** Outputs the provider computes on create: unknown until `pulumi up` runs. */
    readonly unknown: readonly string[];
}

/**
 * Answers a registration as a provider answers `Create` in a preview: the checked inputs (with the
 * autonamed property filled in), and every other output it would compute left unknown. Kubernetes
 * objects come back as their inputs (the provider's preview returns the object it would apply).
 */
export function previewResource(args: pulumi.runtime.MockResourceArgs, ctx: CloudContext): PreviewAnswer {
    const inputs = args.inputs as State;
    if (args.custom === false) return { state: {}, unknown: [] };
    if (args.type.startsWith("pulumi:providers:")) return { state: { ...inputs }, unknown: [] };
    const created = newResource(args, ctx).state;
    if (args.type.startsWith("kubernetes:")) {
        const metadata = (inputs.metadata as State | undefined) ?? {};
        if (metadata.name !== undefined) return { state: { ...inputs }, unknown: [] };
        const name = (created.metadata as State).name;
        return { state: { ...inputs, metadata: { ...metadata, name } }, unknown: [] };
    }
    const named = AUTONAMED[args.type];
    const state: State = { ...inputs };
    if (named !== undefined && inputs[named] === undefined) state[named] = created[named];
    const unknown = Object.keys(created).filter((k) => !(k in state));
    return { state, unknown };
}

/** Answers resource registrations with realistic outputs (inputs echoed, provider outputs added). */
export function newResource(
    args: pulumi.runtime.MockResourceArgs,
    ctx: CloudContext,
): pulumi.runtime.MockResourceResult {
    const { type, name, inputs } = args;
    if (args.custom === false) return { id: undefined, state: {} };
    if (type.startsWith("pulumi:providers:")) return { id: stableUuid(ctx.stack, type, name), state: inputs };
    const model =
        MODELS[type] ??
        (EC2_ID_PREFIX[type] ? ec2Model : undefined) ??
        (type.startsWith("aws:") ? genericAwsModel : type.startsWith("kubernetes:") ? kubernetesModel : undefined) ??
        ((n: string, _i: State, c: CloudContext, t: string) => ({
            id: `${n}-${stableHex(8, c.stack, t, n)}`,
            state: {},
        }));
    const { id, state } = model(name, inputs as State, ctx, type);
    return { id: args.id || id, state: { ...(inputs as State), ...state } };
}

const AZ_SUFFIXES = ["a", "b", "c"];

/** Elastic Load Balancing's log-delivery accounts, as AWS documents them per region. */
const ELB_ACCOUNTS: Record<string, string> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-central-1": "054676820928",
};

/** The IAM JSON for `aws.iam.getPolicyDocument` statements, as AWS would render them. */
export function renderPolicyDocument(inputs: State): string {
    const statements = ((inputs.statements as State[] | undefined) ?? []).map((s) => {
        const out: State = {};
        if (s.sid) out.Sid = s.sid;
        out.Effect = s.effect ?? "Allow";
        const one = (v: unknown): unknown => (Array.isArray(v) && v.length === 1 ? v[0] : v);
        if (s.actions) out.Action = one(s.actions);
        if (s.notActions) out.NotAction = one(s.notActions);
        if (s.resources) out.Resource = one(s.resources);
        if (s.notResources) out.NotResource = one(s.notResources);
        for (const [field, key] of [
            ["principals", "Principal"],
            ["notPrincipals", "NotPrincipal"],
        ] as const) {
            const list = s[field] as Array<{ type: string; identifiers: string[] }> | undefined;
            if (list) out[key] = Object.fromEntries(list.map((p) => [p.type, one(p.identifiers)]));
        }
        const conditions = s.conditions as Array<{ test: string; variable: string; values: string[] }> | undefined;
        if (conditions) {
            const c: Record<string, Record<string, unknown>> = {};
            for (const cond of conditions) (c[cond.test] ??= {})[cond.variable] = one(cond.values);
            out.Condition = c;
        }
        return out;
    });
    return JSON.stringify({ Version: inputs.version ?? "2012-10-17", Statement: statements }, null, 2);
}

/** Answers invokes; an invoke it does not know is an error naming the token. */
export function call(args: pulumi.runtime.MockCallArgs, ctx: CloudContext): Record<string, unknown> {
    const inputs = args.inputs as State;
    switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                id: ctx.accountId,
                accountId: ctx.accountId,
                arn: `arn:aws:sts::${ctx.accountId}:assumed-role/llm-platform-deployer/offline-engine`,
                userId: `AROA${stableHex(17, ctx.accountId).toUpperCase()}:offline-engine`,
            };
        case "aws:index/getRegion:getRegion":
            return {
                id: ctx.region,
                name: ctx.region,
                region: ctx.region,
                endpoint: `ec2.${ctx.region}.amazonaws.com`,
                description: ctx.region,
            };
        case "aws:index/getPartition:getPartition":
            return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
        case "aws:index/getAvailabilityZones:getAvailabilityZones": {
            const short = ctx.region.replace(/^(\w\w)-(\w)\w*-(\d)$/, "$1$2$3");
            return {
                id: ctx.region,
                names: AZ_SUFFIXES.map((s) => `${ctx.region}${s}`),
                zoneIds: AZ_SUFFIXES.map((_, i) => `${short}-az${i + 1}`),
                groupNames: AZ_SUFFIXES.map(() => ctx.region),
            };
        }
        case "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
            const registryId = String(inputs.registryId ?? ctx.accountId);
            const password = `offline-${stableHex(32, registryId, "ecr-token")}`;
            return {
                id: ctx.region,
                registryId,
                userName: "AWS",
                password,
                authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"),
                proxyEndpoint: `https://${registryId}.dkr.ecr.${ctx.region}.amazonaws.com`,
                expiresAt: "2099-01-01T00:00:00Z",
            };
        }
        case "aws:eks/getCluster:getCluster": {
            const name = String(inputs.name);
            const created = MODELS["aws:eks/cluster:Cluster"](name, { name }, ctx, "aws:eks/cluster:Cluster").state;
            return {
                id: name,
                name,
                arn: created.arn,
                endpoint: created.endpoint,
                version: "1.33",
                status: "ACTIVE",
                certificateAuthorities: [created.certificateAuthority],
                identities: created.identities,
                vpcConfig: [
                    {
                        vpcId: `vpc-0${stableHex(16, name, "vpc")}`,
                        endpointPrivateAccess: true,
                        endpointPublicAccess: false,
                    },
                ],
            };
        }
        case "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": {
            const host = String(inputs.url).replace(/^https:\/\//, "");
            return {
                id: host,
                arn: `arn:aws:iam::${ctx.accountId}:oidc-provider/${host}`,
                url: host,
                clientIdLists: ["sts.amazonaws.com"],
            };
        }
        case "aws:elb/getServiceAccount:getServiceAccount": {
            // The regional Elastic Load Balancing account that writes access logs.
            const account = ELB_ACCOUNTS[ctx.region];
            if (!account)
                throw new Error(
                    `offline engine: no Elastic Load Balancing account known for region ${ctx.region}; add it to ELB_ACCOUNTS in tools/engine/mocks.ts`,
                );
            return { id: account, arn: `arn:aws:iam::${account}:root` };
        }
        case "aws:iam/getPolicyDocument:getPolicyDocument": {
            const json = renderPolicyDocument(inputs);
            return { id: stableHex(10, json), json, minifiedJson: JSON.stringify(JSON.parse(json)) };
        }
        case "aws:ssm/getParameter:getParameter": {
            const name = String(inputs.name);
            if (!/^\/aws\/service\/.*(ami|image)/i.test(name)) {
                throw new Error(
                    `offline engine: no value for SSM parameter "${name}"; only the public AMI parameters under /aws/service/ are answered offline`,
                );
            }
            const value = `ami-0${stableHex(16, ctx.region, name)}`;
            return {
                id: name,
                name,
                value,
                insecureValue: value,
                type: "String",
                version: 1,
                arn: arn(ctx, "ssm", `parameter${name}`),
            };
        }
        case "aws:ec2/getAmi:getAmi": {
            const imageId = `ami-0${stableHex(16, ctx.region, JSON.stringify(inputs.filters ?? []), JSON.stringify(inputs.owners ?? []))}`;
            return {
                id: imageId,
                imageId,
                architecture: "x86_64",
                name: "offline-engine-image",
                rootDeviceName: "/dev/xvda",
            };
        }
        default:
            throw new Error(
                `offline engine: no answer for invoke "${args.token}"; add one to tools/engine/mocks.ts (call) so the plan can run offline`,
            );
    }
}
