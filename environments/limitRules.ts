/**
 * Rules that hold settings to AWS's and Kubernetes' own limits and to what the platform does with
 * them (issue 34): each names the service's documented limit, or the component that would
 * otherwise refuse the value (exit 1 naming its argument) or drop it silently.
 */
import { coversInternet, ipv4CidrProblem, ipv4Range } from "../catalog/cidr";
import { GPU_INSTANCE_TYPES, parseCpu, parseMemoryGiB, poolCapacity } from "../catalog/gpu";
import { arnRegion } from "../catalog/formats";
import { rawModels } from "./models";
import { rdsInstanceClassProblem, rdsStorageLimitProblem } from "../catalog/rds";
import type { CrossFieldProblem } from "./rules";

const isInt = (v: unknown): v is number => Number.isInteger(v);
const obj = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * The tags the stack puts on every AWS resource (stacks/program.ts platformTags) from its own
 * settings: a key of `llm-platform:tags` among them would be overwritten.
 */
export const PLATFORM_TAGS: Readonly<Record<string, string>> = {
    Project: "the platform's name",
    Stack: "the stack's name",
    Tier: "llm-platform:tier",
    Owner: "llm-platform:owner",
    CostCenter: "llm-platform:costCenter",
    ManagedBy: '"pulumi"',
};

/**
 * Tags added to one resource beyond the platform's: a GPU node carries its launch template's tags
 * (components/aws/iam.ts) and EKS's own five (`eks:cluster-name`, `eks:nodegroup-name`,
 * `k8s.io/cluster-autoscaler/enabled`, `k8s.io/cluster-autoscaler/<cluster>`,
 * `kubernetes.io/cluster/<cluster>`: the EKS user guide, managed node groups); a subnet gets three.
 */
export const MOST_RESOURCE_TAGS = 5;

/**
 * AWS's limit of user-created tags on one resource (EC2, IAM, S3, RDS, ECS, ELB … "Tag
 * restrictions", https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
 */
export const AWS_MAX_TAGS = 50;

/**
 * Why an SNS topic ARN names a topic SNS could not have created (CreateTopic's Name: ASCII letters,
 * digits, `_` and `-`, 1–256 characters; a FIFO topic's name ends in `.fifo`), or undefined.
 */
export function snsTopicNameProblem(arn: string): string | undefined {
    const name = arn.split(":").slice(5).join(":");
    const base = name.endsWith(".fifo") ? name.slice(0, -".fifo".length) : name;
    if (name.length < 1 || name.length > 256 || !/^[A-Za-z0-9_-]+$/.test(base))
        return `the topic name ${JSON.stringify(name)} is not 1-256 ASCII letters, digits, '_' and '-' (with .fifo at the end of a FIFO topic's), as SNS's CreateTopic requires`;
    return undefined;
}

/** Every limit rule, on the merged input and the stack's region. */
export function limitProblems(
    input: Readonly<Record<string, unknown>>,
    region: string | undefined,
): CrossFieldProblem[] {
    return [
        ...tagProblems(input),
        ...registryProblems(input),
        ...ecsLimitProblems(input),
        ...retrainingProblems(input),
        ...certificateProblems(input, region),
        ...alertingProblems(input),
        ...componentProblems(input),
    ];
}

/**
 * What the components would refuse at construction (exit 1, naming their argument), refused here
 * first by the config key: the VPC range's alignment, an EKS endpoint open to the internet, limits
 * below requests.
 */
function componentProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const problems: CrossFieldProblem[] = [];
    const network = obj(input.network);
    const cidr = network?.cidrBlock;
    if (
        network?.existing === undefined &&
        typeof cidr === "string" &&
        /^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|20)$/.test(cidr)
    ) {
        const why = ipv4CidrProblem(cidr);
        const range = ipv4Range(cidr);
        if (why || !range?.aligned)
            problems.push({
                path: ["network", "cidrBlock"],
                message: why
                    ? `expected an IPv4 range from /16 to /20 such as 10.0.0.0/16 (${why})`
                    : `expected an aligned range: ${cidr} has bits set past its /${range!.prefix} prefix; the range it names starts at ${[24, 16, 8, 0].map((s) => (range!.base >>> s) & 255).join(".")}/${range!.prefix}`,
                input: cidr,
            });
    }
    const cluster = obj(input.cluster);
    for (const [key, why] of [
        ["publicAccessCidrs", "opens the cluster's API endpoint to the internet; list your networks instead"],
        [
            "privateAccessCidrs",
            "admits every address to the API endpoint from inside the VPC; list the networks that need it",
        ],
    ] as const) {
        const cidrs = cluster?.[key];
        if (Array.isArray(cidrs) && cidrs.every((c) => typeof c === "string") && coversInternet(cidrs as string[]))
            problems.push({
                path: ["cluster", key],
                message: `expected ranges narrower than 0.0.0.0/0: these add up to every address, which ${why}`,
                input: cidrs,
            });
    }
    const seen = new Set<string>();
    for (const m of rawModels(input)) {
        const r = obj(m.merged.resources);
        if (!r) continue;
        const owner =
            m.entry.resources !== undefined && m.index !== undefined
                ? ["models", m.index, "resources"]
                : ["serving", "resources"];
        const pairs: Array<[string, string, (q: string) => number | undefined]> = [
            ["cpuRequest", "cpuLimit", parseCpu],
            ["memoryRequest", "memoryLimit", parseMemoryGiB],
        ];
        for (const [request, limit, parse] of pairs) {
            if (typeof r[request] !== "string" || typeof r[limit] !== "string") continue;
            const [req, lim] = [parse(r[request] as string), parse(r[limit] as string)];
            if (
                req !== undefined &&
                lim !== undefined &&
                lim < req &&
                !seen.has(`${owner.join(".")}.${limit}`) &&
                seen.add(`${owner.join(".")}.${limit}`)
            )
                problems.push({
                    path: [...owner, limit] as Array<string | number>,
                    message: `expected at least ${request} (${String(r[request])}): Kubernetes refuses a limit below the request`,
                    input: r[limit],
                });
        }
    }
    return problems;
}

function tagProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const tags = obj(input.tags);
    if (!tags) return [];
    const problems: CrossFieldProblem[] = [];
    for (const [key, from] of Object.entries(PLATFORM_TAGS)) {
        if (key in tags)
            problems.push({
                path: ["tags", key],
                message: `expected no ${key} tag here: the platform sets it on every resource from ${from}, which would replace this value; remove it${key === "Owner" || key === "CostCenter" || key === "Tier" ? ` and set ${from}` : ""}`,
                input: tags[key],
            });
    }
    const room = AWS_MAX_TAGS - Object.keys(PLATFORM_TAGS).length - MOST_RESOURCE_TAGS;
    const own = Object.keys(tags).filter((k) => !(k in PLATFORM_TAGS)).length;
    if (own > room)
        problems.push({
            path: ["tags"],
            message: `expected at most ${room} tags: AWS allows ${AWS_MAX_TAGS} on a resource, and the platform adds ${Object.keys(PLATFORM_TAGS).length} to each (${Object.keys(PLATFORM_TAGS).join(", ")}) and EKS up to ${MOST_RESOURCE_TAGS} more to a GPU node (its cluster, node group and autoscaler tags); this sets ${own}`,
            input: own,
        });
    return problems;
}

function registryProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const registry = obj(input.modelRegistry);
    if (!registry) return [];
    const problems: CrossFieldProblem[] = [];
    if (typeof registry.instanceClass === "string") {
        const why = rdsInstanceClassProblem(registry.instanceClass);
        if (why)
            problems.push({
                path: ["modelRegistry", "instanceClass"],
                message: `expected an RDS instance class such as db.t4g.medium: ${why}`,
                input: registry.instanceClass,
            });
    }
    const { allocatedStorageGiB: allocated, maxAllocatedStorageGiB: max } = registry;
    const storage = isInt(allocated) && isInt(max) ? rdsStorageLimitProblem(allocated, max) : undefined;
    if (storage) problems.push({ path: ["modelRegistry", "maxAllocatedStorageGiB"], message: storage, input: max });
    return problems;
}

function ecsLimitProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const serving = obj(input.serving);
    const ecs = obj(input.ecs);
    if (!ecs || !["ecs", "both"].includes(serving?.platform as string)) return [];
    const problems: CrossFieldProblem[] = [];
    if (isInt(ecs.minInstances) && isInt(ecs.maxInstances) && ecs.minInstances > ecs.maxInstances)
        problems.push({
            path: ["ecs", "minInstances"],
            message: `expected an integer <= maxInstances (${ecs.maxInstances})`,
            input: ecs.minInstances,
        });
    // The production listeners: 443 with a certificate (and 80 redirecting to it), else 80; the
    // component keeps both free either way (a certificate added later needs 443).
    if (isInt(ecs.testListenerPort) && [80, 443].includes(ecs.testListenerPort))
        problems.push({
            path: ["ecs", "testListenerPort"],
            message: `expected a port other than the production listeners' (80, 443): a load balancer has one listener per port, such as 8443`,
            input: ecs.testListenerPort,
        });
    return problems;
}

function retrainingProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const retraining = obj(input.retraining);
    if (retraining?.enabled !== true || !isInt(retraining.gpus)) return [];
    const gpus = retraining.gpus;
    const pools = Array.isArray(input.gpuNodePools) ? input.gpuNodePools.map(obj) : [];
    const firstPool = pools[0]?.name;
    const problems: CrossFieldProblem[] = [];
    const seen = new Set<unknown>();
    for (const m of rawModels(input)) {
        const poolName = m.merged.gpuPool ?? firstPool;
        if (seen.has(poolName)) continue;
        seen.add(poolName);
        const pool = pools.find((p) => p?.name === poolName);
        const types = pool?.instanceTypes;
        if (!Array.isArray(types) || types.length === 0 || !types.every((t) => GPU_INSTANCE_TYPES.has(t as string)))
            continue;
        const perNode = poolCapacity(types as string[]).gpusPerNode;
        if (gpus > perNode)
            problems.push({
                path: ["retraining", "gpus"],
                message: `expected an integer <= ${perNode}: a run is one pod on a node of the model's GPU pool ${JSON.stringify(poolName)} (${(types as string[]).join(" / ")}), which has ${perNode} GPU(s); a pod asking for more is never scheduled`,
                input: gpus,
            });
    }
    return problems;
}

function certificateProblems(
    input: Readonly<Record<string, unknown>>,
    region: string | undefined,
): CrossFieldProblem[] {
    if (!region) return [];
    const serving = obj(input.serving);
    const places: Array<[Array<string | number>, unknown]> = [
        [["serving", "entryPoint", "certificateArn"], obj(serving?.entryPoint)?.certificateArn],
        [["ecs", "certificateArn"], obj(input.ecs)?.certificateArn],
    ];
    return places.flatMap(([path, arn]) => {
        const at = arnRegion(arn);
        return at !== undefined && at !== region
            ? [
                  {
                      path,
                      message: `expected a certificate in the stack's region ${region} (aws:region): a load balancer takes ACM certificates from its own region only; request or import one there`,
                      input: arn,
                  },
              ]
            : [];
    });
}

function alertingProblems(input: Readonly<Record<string, unknown>>): CrossFieldProblem[] {
    const alerting = obj(obj(input.monitoring)?.alerting) ?? {};
    const problems: CrossFieldProblem[] = [];
    if (
        typeof alerting.snsTopicArn === "string" &&
        /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:/.test(alerting.snsTopicArn)
    ) {
        const why = snsTopicNameProblem(alerting.snsTopicArn);
        if (why)
            problems.push({
                path: ["monitoring", "alerting", "snsTopicArn"],
                message: `expected an SNS topic ARN: ${why}`,
                input: alerting.snsTopicArn,
            });
    }
    if (alerting.slackChannel !== undefined && alerting.slackWebhookUrl === undefined)
        problems.push({
            path: ["monitoring", "alerting", "slackChannel"],
            message:
                "is the channel of the Slack webhook's messages, and no slackWebhookUrl is set, so nothing would be sent there: set monitoring.alerting.slackWebhookUrl (`pulumi config set --secret --path llm-platform:monitoring.alerting.slackWebhookUrl <url>`) or remove slackChannel",
            input: alerting.slackChannel,
        });
    const slo = obj(obj(input.monitoring)?.slo);
    if (
        isInt(slo?.gpuIdleUtilizationPercent) &&
        isInt(slo.gpuHighUtilizationPercent) &&
        slo.gpuIdleUtilizationPercent >= slo.gpuHighUtilizationPercent
    )
        problems.push({
            path: ["monitoring", "slo", "gpuIdleUtilizationPercent"],
            message: `expected an integer < gpuHighUtilizationPercent (${slo.gpuHighUtilizationPercent}): a GPU cannot be idle and saturated at once, and both alerts would fire together`,
            input: slo.gpuIdleUtilizationPercent,
        });
    return problems;
}
