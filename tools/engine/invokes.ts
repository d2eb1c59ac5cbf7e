/**
 * The offline engine's answers to the invokes components make (caller identity, region, zones,
 * ECR token, EKS cluster, OIDC provider, ELB account, policy documents, public AMI parameters).
 */
import type * as pulumi from "@pulumi/pulumi";
import { arn, stableHex, type CloudContext, type State } from "./offlineIds";
import { MODELS } from "./resourceModels";

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
                    `offline engine: no Elastic Load Balancing account known for region ${ctx.region}; add it to ELB_ACCOUNTS in tools/engine/invokes.ts`,
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
        case "aws:ec2/getVpc:getVpc": {
            // An existing VPC: the id asked for, and a CIDR block derived from it.
            const id = String(inputs.id);
            const octet = parseInt(stableHex(2, id), 16) % 200;
            return {
                id,
                cidrBlock: `10.${octet}.0.0/16`,
                arn: arn(ctx, "ec2", `vpc/${id}`),
                state: "available",
            };
        }
        case "aws:ec2/getSubnet:getSubnet": {
            // An existing subnet: the id asked for, and a /24 derived from it (the VPC is unknown here).
            const id = String(inputs.id);
            const [a, b] = [0, 2].map((i) => parseInt(stableHex(4, id).slice(i, i + 2), 16));
            return {
                id,
                cidrBlock: `10.${a % 200}.${b}.0/24`,
                arn: arn(ctx, "ec2", `subnet/${id}`),
                state: "available",
                availabilityZone: `${ctx.region}a`,
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
                `offline engine: no answer for invoke "${args.token}"; add one to tools/engine/invokes.ts (call) so the plan can run offline`,
            );
    }
}
