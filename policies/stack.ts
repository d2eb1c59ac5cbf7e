/**
 * Standards that span resources: S3 buckets with their configuration resources (./s3), a
 * disruption budget, monitor and network policy for every serving workload, alert rules present,
 * stateful resources protected, and the GPU budget.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { estimateCost, PRICE_TABLE, usd } from "../catalog/cost";
import { GPU_BUDGET_USD } from "../catalog/standards";
import { s3BucketHardened } from "./s3";
import { isServing, podSpecOf } from "./util";

export { BUCKET_TYPES, s3BucketHardened, SSE_ALGORITHMS } from "./s3";

type Props = Record<string, unknown>;

const ofType = (resources: PolicyResource[], type: string): PolicyResource[] =>
    resources.filter((r) => r.type === type);

/** Serving Deployments (they expose ports and are not scaled to zero) with their pod labels. */
function servingWorkloads(
    resources: PolicyResource[],
): Array<{ resource: PolicyResource; namespace: unknown; labels: Record<string, string> }> {
    return ofType(resources, "kubernetes:apps/v1:Deployment").flatMap((r) => {
        const pod = podSpecOf(r.type, r.props);
        const spec = r.props.spec as
            { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
        if (!pod || !isServing(pod) || spec?.replicas === 0) return [];
        return [
            {
                resource: r,
                namespace: (r.props.metadata as Props | undefined)?.namespace,
                labels: spec?.template?.metadata?.labels ?? {},
            },
        ];
    });
}

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>): boolean =>
    selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);

export const k8sPdbForServing: StackValidationPolicy = {
    name: "k8s-pdb-for-serving",
    description: "Checks whether every serving Deployment is covered by a PodDisruptionBudget.",
    severity: "medium",
    remediationSteps:
        "Add a PodDisruptionBudget (maxUnavailable: 1) selecting the Deployment's pods, as BlueGreenEksService does per colour.",
    validateStack: (args, report) => {
        const pdbs = ofType(args.resources, "kubernetes:policy/v1:PodDisruptionBudget");
        for (const w of servingWorkloads(args.resources)) {
            const covered = pdbs.some(
                (p) =>
                    (p.props.metadata as Props | undefined)?.namespace === w.namespace &&
                    selects(
                        (
                            (p.props.spec as Props | undefined)?.selector as
                                { matchLabels?: Record<string, string> } | undefined
                        )?.matchLabels,
                        w.labels,
                    ),
            );
            if (!covered) report("no PodDisruptionBudget covers this serving Deployment", w.resource.urn);
        }
    },
};

export const k8sNetworkPolicyForServing: StackValidationPolicy = {
    name: "k8s-networkpolicy-for-serving",
    description: "Checks whether a NetworkPolicy selects every serving pod.",
    severity: "medium",
    remediationSteps: "Add a NetworkPolicy that selects the pods and admits only the ingress and Prometheus.",
    validateStack: (args, report) => {
        const policies = ofType(args.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        for (const w of servingWorkloads(args.resources)) {
            const covered = policies.some(
                (p) =>
                    (p.props.metadata as Props | undefined)?.namespace === w.namespace &&
                    selects(
                        (
                            (p.props.spec as Props | undefined)?.podSelector as
                                { matchLabels?: Record<string, string> } | undefined
                        )?.matchLabels,
                        w.labels,
                    ),
            );
            if (!covered) report("no NetworkPolicy selects this serving Deployment's pods", w.resource.urn);
        }
    },
};

export const k8sMonitoredServing: StackValidationPolicy = {
    name: "k8s-monitored-serving",
    description:
        "Checks whether a ServiceMonitor scrapes every serving Deployment's pods (through a Service that selects them), and alert rules exist when anything serves.",
    severity: "medium",
    remediationSteps:
        "Deploy MonitoringStack with the service in `services`; it adds the ServiceMonitor and the PrometheusRule.",
    validateStack: (args, report) => {
        const workloads = servingWorkloads(args.resources);
        if (workloads.length === 0) return;
        const monitors = ofType(args.resources, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
        const services = ofType(args.resources, "kubernetes:core/v1:Service").map((service) => ({
            selector: (service.props.spec as { selector?: Record<string, string> } | undefined)?.selector,
            labels: ((service.props.metadata as Props | undefined)?.labels as Record<string, string> | undefined) ?? {},
        }));
        const scraped = (labels: Record<string, string>): boolean =>
            monitors.some((m) =>
                selects(
                    (
                        (m.props.spec as Props | undefined)?.selector as
                            { matchLabels?: Record<string, string> } | undefined
                    )?.matchLabels,
                    labels,
                ),
            );
        for (const w of workloads) {
            // Pods no Service selects cannot be scraped through one; other Services (a load
            // balancer's per-colour ones) need not be: one scraped Service is enough, twice is double.
            const exposing = services.filter((s) => selects(s.selector, w.labels));
            if (exposing.length > 0 && !exposing.some((s) => scraped(s.labels)))
                report(
                    "no ServiceMonitor scrapes this serving Deployment's pods (through a Service that selects them)",
                    w.resource.urn,
                );
        }
        if (ofType(args.resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").length === 0) {
            report("workloads serve but no PrometheusRule holds the production standards' alerts");
        }
    },
};

export const statefulResourcesProtected: StackValidationPolicy = {
    name: "stateful-resources-protected",
    description:
        "Checks whether stateful resources (buckets, registries, keys, clusters, databases and Aurora clusters, DynamoDB tables, EFS file systems, secrets) are protected from deletion.",
    severity: "high",
    configSchema: {
        properties: {
            types: {
                type: "array",
                items: { type: "string" },
                default: [
                    "aws:s3/bucket:Bucket",
                    "aws:ecr/repository:Repository",
                    "aws:kms/key:Key",
                    "aws:eks/cluster:Cluster",
                    "aws:ecs/cluster:Cluster",
                    "aws:rds/instance:Instance",
                    "aws:rds/cluster:Cluster",
                    "aws:dynamodb/table:Table",
                    "aws:efs/fileSystem:FileSystem",
                    "aws:s3/bucketV2:BucketV2",
                    "aws:secretsmanager/secret:Secret",
                ],
            },
        },
    },
    remediationSteps:
        "Set the resource option protect: true (the components take a protect argument; it is on at their defaults).",
    validateStack: (args, report) => {
        const { types } = args.getConfig<{ types: string[] }>();
        for (const r of args.resources)
            if (types.includes(r.type) && !r.opts.protect) report(`${r.type} is not protected`, r.urn);
    },
};

export const gpuBudget: StackValidationPolicy = {
    name: "gpu-budget",
    description:
        "Checks whether the stack's GPU instances, every node on-demand at maximum scale, stay within a monthly budget, and each capped model's GPUs within its own.",
    severity: "medium",
    configSchema: {
        properties: {
            maxMonthlyUsd: { type: "number", minimum: 0, default: GPU_BUDGET_USD.prod },
            maxMonthlyUsdPerModel: {
                type: "number",
                minimum: 0,
                description: "A cap for every model's GPUs (unset: none); models.<name> overrides it for one.",
            },
            models: {
                type: "object",
                description:
                    "A cap per model: model name → the most its pods' GPUs may cost a month on-demand at maximum scale.",
                additionalProperties: { type: "number", minimum: 0 },
                default: {},
            },
        },
    },
    remediationSteps:
        "Lower the GPU pools' maxSize (a model's maxReplicas), choose a cheaper instance type, or raise maxMonthlyUsd (models.<name>) in the policy config. Prices come from prices/aws-us-east-1.json; add a missing instance type there with its source.",
    validateStack: (args, report) => {
        const {
            maxMonthlyUsd,
            maxMonthlyUsdPerModel,
            models: caps,
        } = args.getConfig<{
            maxMonthlyUsd: number;
            maxMonthlyUsdPerModel?: number;
            models?: Record<string, number>;
        }>();
        const estimate = estimateCost(args.resources);
        for (const cost of estimate.models) {
            const model = cost.model;
            const cap = caps?.[model] ?? maxMonthlyUsdPerModel;
            if (cap === undefined) continue;
            if (!cost.monthly)
                report(`cannot price the GPUs of model ${model}: its pods select no priced node group`, cost.urn);
            else if (cost.monthly.max > cap)
                report(
                    `model ${model}'s GPUs could cost ${usd(cost.monthly.max)} a month on-demand at maximum scale (${cost.gpus.max} GPUs on pool ${cost.pool ?? "?"}), over its budget of ${usd(cap)}`,
                    cost.urn,
                );
        }
        for (const u of estimate.unpriced.filter((x) => x.gpu))
            report(
                `cannot price GPU instances of ${u.name}: ${u.types.join(", ")}; add them to ${PRICE_TABLE} with their source`,
                u.urn,
            );
        const max = estimate.gpuOnDemand.max;
        if (max > maxMonthlyUsd) {
            const pools = estimate.lines
                .filter((l) => l.gpu && l.maxCount > 0)
                .sort((a, b) => b.unitMonthly * b.maxCount - a.unitMonthly * a.maxCount);
            const parts = pools.map((l) => `${l.name}: ${l.maxCount} × ${l.instanceType} at ${usd(l.unitMonthly)}`);
            // Reported on the dearest pool, the first place to cut.
            report(
                `GPU instances could cost ${usd(max)} a month on-demand at maximum scale (${parts.join("; ")}), over the budget of ${usd(maxMonthlyUsd)}`,
                pools[0].urn,
            );
        }
    },
};

export const STACK_POLICIES: StackValidationPolicy[] = [
    s3BucketHardened,
    k8sPdbForServing,
    k8sNetworkPolicyForServing,
    k8sMonitoredServing,
    statefulResourcesProtected,
    gpuBudget,
];
