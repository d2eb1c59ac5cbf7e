import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CLOUDWATCH_RETENTION_DAYS } from "../../catalog/formats";
import { assertValid } from "../validation";
import { parseCidr, planSubnets } from "./subnets";

export { parseCidr, planSubnets, type SubnetPlan } from "./subnets";

export interface ExistingNetwork {
    readonly vpcId: string;
    readonly publicSubnetIds: string[];
    readonly privateSubnetIds: string[];
}

/** The arguments of `Network` (`new Network(name, args, opts)`). */
export interface NetworkArgs {
    /**
     * Use this VPC and its subnets instead of creating any (they must already carry the EKS
     * subnet tags and reach the internet through NAT).
     * @default - a new VPC
     */
    existing?: ExistingNetwork;
    /**
     * The VPC's IPv4 range, from /16 to /20. Private subnets get /19s of a /16 (pods take VPC addresses).
     * @default "10.0.0.0/16"
     */
    cidrBlock?: string;
    /**
     * Availability zones to span (2 to 4).
     * @default 3
     */
    availabilityZoneCount?: number;
    /**
     * NAT gateways: one per zone (a zone outage keeps egress elsewhere) or a single one (cheaper).
     * @default "perAz"
     */
    natGateways?: "perAz" | "single";
    /**
     * Days VPC flow logs are kept in CloudWatch Logs.
     * @default 365
     */
    flowLogRetentionDays?: number;
    /**
     * EKS cluster name for the `kubernetes.io/cluster/<name>` subnet tag.
     * @default - no cluster tag (EKS needs only the role tags)
     */
    clusterName?: string;
    /**
     * Protect the flow log group (network audit data) from deletion and replacement.
     * @default true
     */
    protect?: boolean;
    /**
     * Tags for every AWS resource of the component.
     * @default {}
     */
    tags?: Record<string, string>;
}

export function validateNetworkArgs(args: NetworkArgs): string[] {
    const problems: string[] = [];
    if (args.existing) {
        const { vpcId, publicSubnetIds, privateSubnetIds } = args.existing;
        if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId))
            problems.push(`existing.vpcId: expected a VPC id like vpc-0abc12345, received ${JSON.stringify(vpcId)}`);
        for (const [field, ids] of [
            ["publicSubnetIds", publicSubnetIds],
            ["privateSubnetIds", privateSubnetIds],
        ] as const) {
            if (!Array.isArray(ids) || ids.length < 2 || ids.some((id) => !/^subnet-[0-9a-f]{8,17}$/.test(id))) {
                problems.push(
                    `existing.${field}: expected at least two subnet ids like subnet-0abc12345 (EKS needs two zones), received ${JSON.stringify(ids)}`,
                );
            }
        }
        return problems;
    }
    const cidr = args.cidrBlock ?? "10.0.0.0/16";
    const parsed = parseCidr(cidr);
    if (!parsed || parsed.prefix < 16 || parsed.prefix > 20) {
        problems.push(
            `cidrBlock: expected an aligned IPv4 range from /16 to /20 such as 10.0.0.0/16, received ${JSON.stringify(cidr)}`,
        );
    }
    const zones = args.availabilityZoneCount ?? 3;
    if (!Number.isInteger(zones) || zones < 2 || zones > 4) {
        problems.push(`availabilityZoneCount: expected an integer between 2 and 4, received ${JSON.stringify(zones)}`);
    }
    const days = args.flowLogRetentionDays ?? 365;
    if (!CLOUDWATCH_RETENTION_DAYS.includes(days)) {
        problems.push(
            `flowLogRetentionDays: expected one of CloudWatch's retention periods (${CLOUDWATCH_RETENTION_DAYS.join(", ")}), received ${JSON.stringify(days)}`,
        );
    }
    return problems;
}

/**
 * A VPC for the platform: public and private subnets across zones with the tags EKS load
 * balancers look for, NAT per zone (or one), VPC flow logs to CloudWatch, and a default security
 * group that allows nothing. Or an existing VPC and subnets, passed through.
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    /** The VPC's CIDR block (looked up for an existing VPC). */
    public readonly cidrBlock: pulumi.Output<string>;
    /**
     * The public subnets' CIDR blocks (looked up for an existing VPC): where a load balancer placed
     * in them sends from, which a NetworkPolicy can admit without admitting the pods, whose
     * addresses come from the private subnets.
     */
    public readonly publicSubnetCidrs: pulumi.Output<string[]>;

    constructor(name: string, args: NetworkArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:Network", name, args, opts);
        const problems = validateNetworkArgs(args);
        assertValid(this, "Network", name, problems);

        if (args.existing) {
            this.vpcId = pulumi.output(args.existing.vpcId);
            this.publicSubnetIds = pulumi.output(args.existing.publicSubnetIds);
            this.privateSubnetIds = pulumi.output(args.existing.privateSubnetIds);
            this.cidrBlock = aws.ec2.getVpcOutput({ id: args.existing.vpcId }, { parent: this }).cidrBlock;
            this.publicSubnetCidrs = pulumi
                .output(args.existing.publicSubnetIds)
                .apply((ids) =>
                    pulumi.all(ids.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this }).cidrBlock)),
                );
            this.registerOutputs({
                vpcId: this.vpcId,
                publicSubnetIds: this.publicSubnetIds,
                privateSubnetIds: this.privateSubnetIds,
            });
            return;
        }
        const cidrBlock = args.cidrBlock ?? "10.0.0.0/16";
        const zones = args.availabilityZoneCount ?? 3;
        const natPerAz = (args.natGateways ?? "perAz") === "perAz";
        const tags = args.tags ?? {};
        const clusterTag: Record<string, string> = args.clusterName
            ? { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" }
            : {};
        const child = { parent: this };
        const plan = planSubnets(cidrBlock, zones);
        const azs = aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this }).names;

        const vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            { cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: `${name}-vpc` } },
            child,
        );
        new aws.ec2.DefaultSecurityGroup(
            `${name}-default-sg`,
            { vpcId: vpc.id, ingress: [], egress: [], tags: { ...tags, Name: `${name}-default-deny` } },
            child,
        );
        const igw = new aws.ec2.InternetGateway(
            `${name}-igw`,
            { vpcId: vpc.id, tags: { ...tags, Name: `${name}-igw` } },
            child,
        );
        const publicRoutes = new aws.ec2.RouteTable(
            `${name}-public-rt`,
            {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
                tags: { ...tags, Name: `${name}-public` },
            },
            child,
        );

        const publicSubnets = plan.public.map((cidr, i) => {
            const subnet = new aws.ec2.Subnet(
                `${name}-public-${i}`,
                {
                    vpcId: vpc.id,
                    cidrBlock: cidr,
                    availabilityZone: azs[i],
                    mapPublicIpOnLaunch: false,
                    tags: { ...tags, ...clusterTag, Name: `${name}-public-${i}`, "kubernetes.io/role/elb": "1" },
                },
                child,
            );
            new aws.ec2.RouteTableAssociation(
                `${name}-public-${i}`,
                { subnetId: subnet.id, routeTableId: publicRoutes.id },
                child,
            );
            return subnet;
        });
        const nats = publicSubnets.slice(0, natPerAz ? zones : 1).map((subnet, i) => {
            const eip = new aws.ec2.Eip(
                `${name}-nat-${i}`,
                { domain: "vpc", tags: { ...tags, Name: `${name}-nat-${i}` } },
                child,
            );
            return new aws.ec2.NatGateway(
                `${name}-nat-${i}`,
                { allocationId: eip.id, subnetId: subnet.id, tags: { ...tags, Name: `${name}-nat-${i}` } },
                { parent: this, dependsOn: [igw] },
            );
        });
        const privateSubnets = plan.private.map((cidr, i) => {
            const subnet = new aws.ec2.Subnet(
                `${name}-private-${i}`,
                {
                    vpcId: vpc.id,
                    cidrBlock: cidr,
                    availabilityZone: azs[i],
                    tags: {
                        ...tags,
                        ...clusterTag,
                        Name: `${name}-private-${i}`,
                        "kubernetes.io/role/internal-elb": "1",
                    },
                },
                child,
            );
            const routes = new aws.ec2.RouteTable(
                `${name}-private-rt-${i}`,
                {
                    vpcId: vpc.id,
                    routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[natPerAz ? i : 0].id }],
                    tags: { ...tags, Name: `${name}-private-${i}` },
                },
                child,
            );
            new aws.ec2.RouteTableAssociation(
                `${name}-private-${i}`,
                { subnetId: subnet.id, routeTableId: routes.id },
                child,
            );
            return subnet;
        });

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            { retentionInDays: args.flowLogRetentionDays ?? 365, tags },
            { parent: this, protect: args.protect ?? true },
        );
        const flowRole = new aws.iam.Role(
            `${name}-flow-logs`,
            {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                            Action: "sts:AssumeRole",
                        },
                    ],
                }),
                tags,
            },
            child,
        );
        // The log group's ARN from its name (known before it exists), so that the policy can be
        // reviewed in a preview.
        const logGroupArn = pulumi.interpolate`arn:${aws.getPartitionOutput({}, child).partition}:logs:${aws.getRegionOutput({}, child).region}:${aws.getCallerIdentityOutput({}, child).accountId}:log-group:${logGroup.name}`;
        new aws.iam.RolePolicy(
            `${name}-flow-logs`,
            {
                role: flowRole.name,
                policy: logGroupArn.apply((arn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Effect: "Allow",
                                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                Resource: [arn, `${arn}:*`],
                            },
                        ],
                    }),
                ),
            },
            child,
        );
        new aws.ec2.FlowLog(
            `${name}-flow-log`,
            {
                vpcId: vpc.id,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: logGroup.arn,
                iamRoleArn: flowRole.arn,
                tags,
            },
            child,
        );

        this.vpcId = vpc.id;
        this.cidrBlock = vpc.cidrBlock;
        this.publicSubnetCidrs = pulumi.output(plan.public);
        this.publicSubnetIds = pulumi.all(publicSubnets.map((s) => s.id));
        this.privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
        });
    }
}
