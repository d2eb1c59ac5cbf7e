/**
 * Production standards for the network edge of the AWS resources: public IP addresses on
 * instances, security groups open to the internet, and the TLS of load balancer listeners and
 * their rules.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { coversInternet } from "../catalog/cidr";
import { FSBP, isIpv6Internet, whenKnown } from "./awsCommon";
import { forTypes } from "./util";

type Props = Record<string, unknown>;

export const ec2NoPublicIp: ResourceValidationPolicy = {
    name: "ec2-no-public-ip",
    description:
        "Checks whether EC2 instances, launch templates' network interfaces and launch configurations ask for a public IP address; GPU nodes and servers sit in private subnets behind the load balancer.",
    severity: "high",
    framework: FSBP("EC2.9, EC2.25, AutoScaling.5"),
    remediationSteps:
        'Leave associatePublicIpAddress unset or false (on a launch template\'s networkInterfaces, "false") and reach the instances through a load balancer, SSM Session Manager or a NAT gateway.',
    validateResource: forTypes(
        [
            "aws:ec2/instance:Instance",
            "aws:ec2/launchTemplate:LaunchTemplate",
            "aws:ec2/launchConfiguration:LaunchConfiguration",
        ],
        (args, report) => {
            if (args.type === "aws:ec2/launchTemplate:LaunchTemplate") {
                // The launch template's flag is a string ("true"/"false") in the provider's schema.
                const nics = (args.props.networkInterfaces as Array<{ associatePublicIpAddress?: unknown }>) ?? [];
                nics.forEach((nic, i) => {
                    if (String(nic.associatePublicIpAddress).toLowerCase() === "true")
                        report(`network interface ${i} asks for a public IP address (associatePublicIpAddress)`);
                });
                return;
            }
            if (args.props.associatePublicIpAddress === true)
                report("the instance asks for a public IP address (associatePublicIpAddress: true)");
        },
    ),
};

/** One ingress permission, whatever resource holds it. */
interface Ingress {
    protocol: string;
    fromPort?: number;
    toPort?: number;
    ipv4: string[];
    ipv6: string[];
}

const strings = (v: unknown): string[] =>
    (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map((c) => String(c));

/** The ingress permissions of a security group, a security group rule or a VPC ingress rule. */
function ingressOf(type: string, p: Props): Ingress[] {
    if (type === "aws:ec2/securityGroup:SecurityGroup")
        return ((p.ingress as Props[] | undefined) ?? []).map((r) => ({
            protocol: String(r.protocol ?? ""),
            fromPort: r.fromPort as number | undefined,
            toPort: r.toPort as number | undefined,
            ipv4: strings(r.cidrBlocks),
            ipv6: strings(r.ipv6CidrBlocks),
        }));
    if (type === "aws:ec2/securityGroupRule:SecurityGroupRule")
        return p.type === "ingress"
            ? [
                  {
                      protocol: String(p.protocol ?? ""),
                      fromPort: p.fromPort as number | undefined,
                      toPort: p.toPort as number | undefined,
                      ipv4: strings(p.cidrBlocks),
                      ipv6: strings(p.ipv6CidrBlocks),
                  },
              ]
            : [];
    return [
        {
            protocol: String(p.ipProtocol ?? ""),
            fromPort: p.fromPort as number | undefined,
            toPort: p.toPort as number | undefined,
            ipv4: strings(p.cidrIpv4),
            ipv6: strings(p.cidrIpv6),
        },
    ];
}

/** Protocols whose permissions name a port range (TCP, UDP, SCTP), by name or number. */
const PORTED = ["tcp", "6", "udp", "17", "sctp", "132"];
/** ICMP's "ports" are types and codes: no service listens on them. */
const ICMP = ["icmp", "1", "icmpv6", "58"];

/** What of a permission open to the internet lies outside the allowed ports, or undefined. */
export function exposedPorts(rule: Ingress, allowed: readonly number[]): string | undefined {
    const protocol = rule.protocol.toLowerCase();
    if (!coversInternet(rule.ipv4) && !rule.ipv6.some(isIpv6Internet)) return undefined;
    if (ICMP.includes(protocol)) return undefined;
    if (protocol === "-1" || protocol === "all") return "every port of every protocol";
    if (!PORTED.includes(protocol)) return `all of protocol ${rule.protocol}`;
    const from = rule.fromPort ?? 0;
    const to = rule.toPort ?? 65535;
    const count = to - from + 1;
    const inside =
        count <= allowed.length &&
        Array.from({ length: count }, (_, i) => from + i).every((port) => allowed.includes(port));
    if (inside) return undefined;
    return from === to ? `${protocol} port ${from}` : `${protocol} ports ${from}-${to}`;
}

export const securityGroupRestricted: ResourceValidationPolicy = {
    name: "security-group-restricted",
    description:
        "Checks whether security groups and their rules admit the whole internet (0.0.0.0/0, blocks adding up to it, or ::/0) only on the web ports (80 and 443 unless configured): SSH, RDP, databases, the inference servers' own ports and all-protocol rules stay private. Stricter than checkov's and Security Hub's port lists on purpose: every port but the configured ones.",
    severity: "high",
    framework: FSBP("EC2.13, EC2.14, EC2.18, EC2.19, EC2.53, EC2.54"),
    configSchema: {
        properties: { publicPorts: { type: "array", items: { type: "integer" }, default: [80, 443] } },
    },
    remediationSteps:
        "Admit the internet only to the load balancer's 80 and 443; give other ports a VPC CIDR, a prefix list or a source security group, and reach instances through SSM Session Manager instead of SSH.",
    validateResource: forTypes(
        [
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        ],
        (args, report) => {
            const { publicPorts } = args.getConfig<{ publicPorts: number[] }>();
            for (const rule of ingressOf(args.type, args.props)) {
                const exposed = exposedPorts(rule, publicPorts);
                if (exposed) report(`the internet may reach ${exposed}`);
            }
        },
    ),
};

const LISTENER_TYPES = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const RULE_TYPES = ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"];

/**
 * Whether a listener's props say it serves plain HTTP: protocol HTTP, or no protocol on a listener
 * with a port (an ALB's default is HTTP; a Gateway Load Balancer's listener has neither).
 */
export function servesHttp(props: Props): boolean {
    if (props.protocol === undefined) return props.port !== undefined;
    return String(props.protocol).toUpperCase() === "HTTP";
}

export const albListenerRuleHttps: StackValidationPolicy = {
    name: "alb-listener-rule-https",
    description:
        "Checks whether listener rules forward requests only on HTTPS listeners: an HTTP listener that redirects by default but forwards by a rule still serves plain HTTP.",
    severity: "high",
    framework: FSBP("ELB.1"),
    remediationSteps:
        "Attach forwarding rules to the HTTPS listener; on the HTTP listener, keep only the redirect to HTTPS.",
    validateStack: (args, report) => {
        const listeners = args.resources.filter((r) => LISTENER_TYPES.includes(r.type));
        for (const rule of args.resources.filter((r) => RULE_TYPES.includes(r.type)))
            // A value unknown in a preview (a replaced listener's ARN) stops this rule's check only.
            whenKnown(() => {
                // The listener this rule belongs to: by the engine's property dependency (known in a
                // preview, when the ARN is not), else by ARN.
                const listener: PolicyResource | undefined =
                    (rule.propertyDependencies?.listenerArn ?? []).find((d) => LISTENER_TYPES.includes(d.type)) ??
                    listeners.find((l) => {
                        let arn: unknown;
                        whenKnown(() => void (arn = l.props.arn));
                        return arn !== undefined && arn === rule.props.listenerArn;
                    });
                if (!listener || !servesHttp(listener.props)) return;
                const actions = (rule.props.actions as Array<{ type?: string }> | undefined) ?? [];
                if (actions.some((a) => a.type === "forward"))
                    report(
                        `the rule forwards requests over the plain-HTTP listener on port ${String(listener.props.port)}`,
                        rule.urn,
                    );
            });
    },
};

/** ELB security policies whose lowest TLS version is 1.2 or 1.3 (TLS13-1-2…, TLS13-1-3…, TLS-1-2…, FS-1-2…). */
export const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-/;

export const lbListenerTlsPolicy: ResourceValidationPolicy = {
    name: "lb-listener-tls-policy",
    description:
        "Checks whether HTTPS and TLS listeners use a security policy that refuses TLS 1.0 and 1.1 (the provider's default, ELBSecurityPolicy-2016-08, accepts them).",
    severity: "high",
    framework: FSBP("ELB.17"),
    remediationSteps:
        "Set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS 1.2 and 1.3), or another ELBSecurityPolicy-TLS13-1-2/1-3, TLS-1-2 or FS-1-2 policy.",
    validateResource: forTypes(LISTENER_TYPES, (args, report) => {
        const protocol = String(args.props.protocol ?? "").toUpperCase();
        if (protocol !== "HTTPS" && protocol !== "TLS") return;
        const policy = args.props.sslPolicy;
        if (policy === undefined)
            report(`the ${protocol} listener takes the default security policy ELBSecurityPolicy-2016-08 (TLS 1.0)`);
        else if (!TLS12_POLICY.test(String(policy)))
            report(`the ${protocol} listener's security policy ${String(policy)} accepts TLS before 1.2`);
    }),
};
