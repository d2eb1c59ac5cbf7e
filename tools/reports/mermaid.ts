/**
 * The architecture of a deployment as a Mermaid flowchart: component resources as (nested)
 * groups, the key resources as nodes, and an edge from a resource to each key resource that uses
 * it, directly or through resources the diagram leaves out (IAM roles, subnets, policies …) and
 * through the provider a resource is deployed with (so the cluster feeds the Kubernetes objects).
 */
import { urnName, type ExportedResource, type StackExport } from "../engine/stackExport";

/** The resources the diagram shows, by type, with a short label. */
export const KEY_TYPES: Readonly<Record<string, string>> = {
    "aws:ec2/vpc:Vpc": "VPC",
    "aws:ec2/natGateway:NatGateway": "NAT gateway",
    "aws:eks/cluster:Cluster": "EKS cluster",
    "aws:eks/nodeGroup:NodeGroup": "node group",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:kms/key:Key": "KMS key",
    "aws:ecr/repository:Repository": "ECR repository",
    "docker:index/image:Image": "image",
    "aws:ecs/cluster:Cluster": "ECS cluster",
    "aws:ecs/service:Service": "ECS service",
    "aws:ecs/taskDefinition:TaskDefinition": "task definition",
    "aws:autoscaling/group:Group": "Auto Scaling group",
    "aws:lb/loadBalancer:LoadBalancer": "load balancer",
    "aws:sns/topic:Topic": "SNS topic",
    "kubernetes:helm.sh/v3:Release": "Helm release",
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:core/v1:Service": "Service",
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": "alert rules",
    "kubernetes:flagger.app/v1beta1:Canary": "canary",
    // The model loop: the registry's database, feedback, and the retraining runs.
    "aws:rds/instance:Instance": "PostgreSQL (RDS)",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "Firehose stream",
    "kubernetes:batch/v1:CronJob": "CronJob",
    "kubernetes:keda.sh/v1alpha1:ScaledJob": "ScaledJob",
};

/** Properties by which a settings resource names the resource it configures. */
const SUBJECT_PROPERTIES = ["bucket", "repository", "loadBalancerArn"];

const escape = (s: string): string => s.replace(/"/g, "#quot;");

/** The graph the diagram draws, independent of its text, for comparing topologies. */
export interface Topology {
    /** Key resource URN → group path (component URNs from the outermost). */
    nodes: Map<string, string[]>;
    /** `from → to` pairs of URNs: `to` uses `from`. */
    edges: Array<[string, string]>;
}

export function topology(exp: StackExport): Topology {
    const resources = exp.deployment.resources;
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const isKey = (r: ExportedResource | undefined): boolean => r !== undefined && r.type in KEY_TYPES;
    const groupsOf = (r: ExportedResource): string[] => {
        const path: string[] = [];
        for (let p = r.parent ? byUrn.get(r.parent) : undefined; p; p = p.parent ? byUrn.get(p.parent) : undefined)
            if (p.type !== "pulumi:pulumi:Stack") path.unshift(p.urn);
        return path;
    };
    /** What `r` uses directly: dependencies and the provider it is deployed with. */
    const uses = (r: ExportedResource): string[] => {
        const provider = r.provider ? r.provider.split("::").slice(0, -1).join("::") : undefined;
        return [...(r.dependencies ?? []), ...(provider ? [provider] : [])];
    };
    /** The key resources reachable from `start` through resources the diagram leaves out. */
    const reachable = (from: string, start: string[], visited: Set<string>): Set<string> => {
        const found = new Set<string>();
        const seen = new Set<string>([from]);
        const stack = [...start];
        while (stack.length > 0) {
            const urn = stack.pop()!;
            if (seen.has(urn)) continue;
            seen.add(urn);
            const dep = byUrn.get(urn);
            if (!dep) continue;
            if (isKey(dep)) found.add(urn);
            else {
                visited.add(urn);
                stack.push(...uses(dep));
            }
        }
        return found;
    };
    const nodes = new Map<string, string[]>();
    const edges: Array<[string, string]> = [];
    const edgeSet = new Set<string>();
    const edge = (from: string, to: string): void => {
        if (from === to || edgeSet.has(`${from} ${to}`)) return;
        edgeSet.add(`${from} ${to}`);
        edges.push([from, to]);
    };
    const intermediaries = new Set<string>();
    for (const r of resources) {
        if (!isKey(r)) continue;
        nodes.set(r.urn, groupsOf(r));
        for (const from of [...reachable(r.urn, uses(r), intermediaries)].sort()) edge(from, r.urn);
    }
    // Settings resources that no key resource uses (a bucket's encryption or logging, a load
    // balancer's listener) connect what they use to the resource they configure.
    for (const s of resources) {
        if (!s.custom || isKey(s) || intermediaries.has(s.urn)) continue;
        const subjects = SUBJECT_PROPERTIES.flatMap((p) => s.propertyDependencies?.[p] ?? []).filter((u) =>
            isKey(byUrn.get(u)),
        );
        if (subjects.length === 0) continue;
        for (const from of [...reachable(s.urn, uses(s), new Set())].sort())
            for (const subject of subjects) edge(from, subject);
    }
    return { nodes, edges };
}

/** The diagram as Mermaid flowchart text. */
export function renderMermaid(exp: StackExport): string {
    const { nodes, edges } = topology(exp);
    const byUrn = new Map(exp.deployment.resources.map((r) => [r.urn, r]));
    const ids = new Map<string, string>();
    const counts: Record<string, number> = {};
    const id = (urn: string, prefix: "g" | "r"): string => {
        if (!ids.has(urn)) ids.set(urn, `${prefix}${(counts[prefix] = (counts[prefix] ?? 0) + 1)}`);
        return ids.get(urn)!;
    };
    // Groups as a tree, in registration order.
    interface Group {
        urn?: string;
        groups: Map<string, Group>;
        members: string[];
    }
    const root: Group = { groups: new Map(), members: [] };
    for (const [urn, path] of nodes) {
        let g = root;
        for (const c of path) {
            if (!g.groups.has(c)) g.groups.set(c, { urn: c, groups: new Map(), members: [] });
            g = g.groups.get(c)!;
        }
        g.members.push(urn);
    }
    const lines = ["flowchart LR"];
    const write = (g: Group, indent: string): void => {
        for (const child of g.groups.values()) {
            const c = byUrn.get(child.urn!)!;
            const kind = c.type.split(":").pop();
            lines.push(`${indent}subgraph ${id(c.urn, "g")}["${escape(`${kind}: ${urnName(c.urn)}`)}"]`);
            write(child, `${indent}    `);
            lines.push(`${indent}end`);
        }
        for (const urn of g.members) {
            const r = byUrn.get(urn)!;
            lines.push(`${indent}${id(urn, "r")}["${escape(`${KEY_TYPES[r.type]}<br/>${urnName(urn)}`)}"]`);
        }
    };
    write(root, "    ");
    for (const [from, to] of edges) lines.push(`    ${id(from, "r")} --> ${id(to, "r")}`);
    return `${lines.join("\n")}\n`;
}

/** Whether two deployments draw different diagrams (nodes, groups or edges). */
export function topologyChanged(base: StackExport, head: StackExport): boolean {
    return renderMermaid(base) !== renderMermaid(head);
}
