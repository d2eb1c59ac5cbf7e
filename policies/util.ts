/**
 * What the policy files share: restricting a check to resource types (other types are reported
 * not-applicable, as the SDK's validateResourceOfType does), and reading Kubernetes pod specs out
 * of every workload kind.
 */
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";

type Props = Record<string, unknown>;

/**
 * Where built-in Kubernetes kinds carry their pod spec. `*Patch` types (server-side apply) carry
 * it in the same place. Built-in kinds not listed here carry none.
 */
const BUILT_IN_POD_PATHS: Readonly<Record<string, readonly string[]>> = {
    Pod: ["spec"],
    PodTemplate: ["template", "spec"],
    ReplicationController: ["spec", "template", "spec"],
    ReplicaSet: ["spec", "template", "spec"],
    Deployment: ["spec", "template", "spec"],
    StatefulSet: ["spec", "template", "spec"],
    DaemonSet: ["spec", "template", "spec"],
    Job: ["spec", "template", "spec"],
    CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** API groups of Kubernetes itself: their kinds are known, the rest are custom resources. */
const BUILT_IN_GROUPS = new Set([
    "core",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "internal.apiserver.k8s.io",
    "storagemigration.k8s.io",
]);

/**
 * Types of the Kubernetes provider that are components (their objects are registered as children
 * and analysed one by one) or not objects at all: no pod spec of their own.
 */
const PROVIDER_COMPONENTS =
    /^kubernetes:(yaml(\/v2)?|kustomize(\/v2)?|helm\.sh\/v[34]):(ConfigFile|ConfigGroup|Directory|Chart)$/;

/** Keys under which resources keep pod templates: one that yields no pod spec is unreadable. */
const TEMPLATE_KEYS = new Set(["template", "podTemplate", "jobTemplate", "podSpec"]);

/** A Kubernetes type token's group and kind, or undefined for other providers' types. */
export function kubernetesKind(type: string): { group: string; kind: string; patch: boolean } | undefined {
    const m = /^kubernetes:([^/:]+)\/[^:]+:(.+)$/.exec(type);
    if (!m) return undefined;
    const patch = m[2].endsWith("Patch");
    return { group: m[1], kind: patch ? m[2].slice(0, -"Patch".length) : m[2], patch };
}

export interface Container {
    name?: string;
    image?: string;
    ports?: Array<{ containerPort?: number; hostPort?: number; name?: string }>;
    securityContext?: Props;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    livenessProbe?: Props;
    readinessProbe?: Props;
    startupProbe?: Props;
    restartPolicy?: string;
}

export interface PodSpec {
    securityContext?: Props;
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    restartPolicy?: string;
    volumes?: Array<{ name?: string; hostPath?: unknown } & Props>;
    containers?: Container[];
    initContainers?: Container[];
    ephemeralContainers?: Container[];
}

/** A pod spec found in a resource: where (dotted path), the spec and the metadata beside it. */
export interface PodSite {
    at: string;
    pod: PodSpec;
    metadata?: { annotations?: Record<string, string> } & Props;
}

const isObject = (v: unknown): v is Props => typeof v === "object" && v !== null && !Array.isArray(v);
const looksLikePodSpec = (v: unknown): v is PodSpec => isObject(v) && Array.isArray(v.containers);

/**
 * Every pod spec a Kubernetes resource carries, wherever it carries it: built-in workload kinds
 * (and their `*Patch` types) at their known paths, custom resources (Argo Rollouts, KServe,
 * operators' CRs) by a walk of their `spec` for objects with a `containers` list. `unreadable`
 * names templates found where no pod spec could be read (a custom resource whose template is
 * not a pod template, or a workload kind without one).
 */
export function podSitesOf(type: string, props: Props): { sites: PodSite[]; unreadable: string[] } {
    if (!siteCache) return findPodSites(type, props);
    // The SDK's proxy gives its target for this key; the same decoded properties, the same sites.
    const target = ((props as Props).__getSpecialProxyTarget as Props | undefined) ?? props;
    let found = siteCache.get(target);
    if (!found) {
        found = findPodSites(type, props);
        siteCache.set(target, found);
    }
    return found;
}

let siteCache: WeakMap<object, { sites: PodSite[]; unreadable: string[] }> | undefined;

/**
 * Remembers the pod sites of each decoded properties object, for a pack process whose properties
 * are decoded once per request and never changed (`shareDecodedProperties`): the Kubernetes
 * policies then walk each resource once, not once each. Not for callers that change properties
 * between evaluations (the testing kit's users may).
 */
export function cachePodSites(): void {
    siteCache ??= new WeakMap();
}

function findPodSites(type: string, props: Props): { sites: PodSite[]; unreadable: string[] } {
    const k = kubernetesKind(type);
    if (!k || PROVIDER_COMPONENTS.test(type)) return { sites: [], unreadable: [] };
    if (BUILT_IN_GROUPS.has(k.group)) {
        const path = BUILT_IN_POD_PATHS[k.kind];
        if (!path) return { sites: [], unreadable: [] };
        let node: unknown = props;
        let parent: unknown = undefined;
        for (const key of path) {
            parent = node;
            node = isObject(node) ? node[key] : undefined;
        }
        // A patch sets only what it changes: no pod spec is nothing to check.
        if (node === undefined && k.patch) return { sites: [], unreadable: [] };
        if (node !== undefined && (!isObject(node) || (node.containers !== undefined && !looksLikePodSpec(node))))
            return { sites: [], unreadable: [path.slice(0, -1).join(".") || path.join(".")] };
        const metadata = isObject(parent) && isObject(parent.metadata) ? parent.metadata : undefined;
        return { sites: [{ at: path.join("."), pod: (node as PodSpec | undefined) ?? {}, metadata }], unreadable: [] };
    }
    const sites: PodSite[] = [];
    const unreadable: string[] = [];
    const walk = (node: unknown, at: string, depth: number, parent: Props | undefined): void => {
        if (depth > 12) return;
        if (looksLikePodSpec(node)) {
            const metadata = parent && isObject(parent.metadata) ? parent.metadata : undefined;
            sites.push({ at, pod: node, metadata });
            return;
        }
        if (Array.isArray(node)) {
            node.forEach((item, i) => walk(item, `${at}[${i}]`, depth + 1, undefined));
            return;
        }
        if (!isObject(node)) return;
        for (const key of Object.keys(node)) {
            const value = node[key];
            const path = at ? `${at}.${key}` : key;
            const before = sites.length;
            walk(value, path, depth + 1, node);
            if (TEMPLATE_KEYS.has(key) && sites.length === before && looksLikePodTemplate(value)) unreadable.push(path);
        }
    };
    walk(props.spec, "spec", 0, props);
    return { sites, unreadable };
}

/**
 * A template shaped like a pod template (a `spec` or `containers`) in which no pod spec could be
 * read. Other templates (an ExternalSecret's data template, a string) are not pod templates.
 */
function looksLikePodTemplate(value: unknown): boolean {
    return isObject(value) && ("spec" in value || "containers" in value);
}

/** The first pod spec of a resource (built-in workload kinds at their known paths, custom resources by a walk of their `spec`), or undefined. */
export function podSpecOf(type: string, props: Props): PodSpec | undefined {
    return podSitesOf(type, props).sites[0]?.pod;
}

/**
 * Reports the resource not applicable. The SDK throws an Error to do that; its stack trace is never
 * shown, and capturing one for every policy that skips every resource of another type was a fifth
 * of the pack's time. So the stack is not captured for this one throw; real errors keep theirs.
 */
export function notApplicable(args: ResourceValidationArgs, reason: string): never {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return args.notApplicable(reason);
    } finally {
        Error.stackTraceLimit = limit;
    }
}

/**
 * Runs `check` on resources of `types`; reports the rest not applicable. A single type is also
 * attached as the SDK's `__pulumiType` (what validateResourceOfType attaches), so the SDK skips
 * other types before it deserializes their properties for this policy.
 */
export function forTypes(
    types: readonly string[],
    check: (args: ResourceValidationArgs, report: ReportViolation) => void,
) {
    const validate = (args: ResourceValidationArgs, report: ReportViolation): void => {
        if (!types.includes(args.type)) notApplicable(args, `applies to ${types.join(", ")}`);
        check(args, report);
    };
    return types.length === 1 ? Object.assign(validate, { __pulumiType: types[0] }) : validate;
}

/**
 * Runs `check` on every pod spec of a Kubernetes resource (as {@link podSpecOf} finds them); resources with
 * none are not applicable. Messages about a custom resource's pod spec start with where it is.
 */
export function forWorkloads(
    check: (pod: PodSpec, args: ResourceValidationArgs, report: ReportViolation, site: PodSite) => void,
) {
    return (args: ResourceValidationArgs, report: ReportViolation): void => {
        const { sites } = podSitesOf(args.type, args.props);
        if (sites.length === 0) notApplicable(args, "applies to Kubernetes resources that carry pod specs");
        const builtIn = BUILT_IN_GROUPS.has(kubernetesKind(args.type)?.group ?? "");
        for (const site of sites) {
            const where: ReportViolation = (message, urn) => report(builtIn ? message : `${site.at}: ${message}`, urn);
            check(site.pod, args, where, site);
        }
    };
}

/** What a container is to its pod. */
export type ContainerRole = "container" | "init" | "sidecar" | "ephemeral";

/**
 * Every container of a pod with a label for messages: init containers, native sidecars (init
 * containers with `restartPolicy: Always`, which run for the pod's life), containers and
 * ephemeral containers. `init` is true for init containers that run to completion only.
 */
export function allContainers(
    pod: PodSpec,
): Array<{ label: string; container: Container; init: boolean; role: ContainerRole }> {
    const label = (role: ContainerRole, c: Container): string =>
        `${role === "container" ? "" : `${role === "init" ? "init" : role} `}container "${c.name ?? "?"}"`;
    const entry = (role: ContainerRole) => (c: Container) => ({
        label: label(role, c),
        container: c,
        init: role === "init",
        role,
    });
    const list = (v: Container[] | undefined): Container[] => (Array.isArray(v) ? v.filter(isObject) : []);
    return [
        ...list(pod.initContainers).map((c) => entry(c.restartPolicy === "Always" ? "sidecar" : "init")(c)),
        ...list(pod.containers).map(entry("container")),
        ...list(pod.ephemeralContainers).map(entry("ephemeral")),
    ];
}

/**
 * A pod that runs until it is deleted (restartPolicy Always, the default): its containers and
 * native sidecars are long-running. Job pods must say Never or OnFailure.
 */
export function isLongRunning(pod: PodSpec): boolean {
    return (pod.restartPolicy ?? "Always") === "Always";
}

/** A container setting, falling back to the pod's security context as Kubernetes does. */
export function effective(container: Container, pod: PodSpec, key: string): unknown {
    return container.securityContext?.[key] ?? pod.securityContext?.[key];
}

/** A Kubernetes workload that serves traffic: it exposes container ports. */
export function isServing(pod: PodSpec): boolean {
    return (pod.containers ?? []).some((c) => (c.ports ?? []).length > 0);
}

export interface PolicyMeta {
    /** Steps that fix a violation. */
    remediation: string;
    /** Pod Security Standards, CIS or AWS FSBP control, where one applies. */
    framework?: string;
}

/**
 * A glob pattern as RegExp source: each character in `wildcards` becomes its regex fragment
 * (`{"*": ".*"}`), every other character matches itself. ECR's repository filters, URN patterns,
 * IAM action patterns and allowed registries are all read through it.
 */
export function globSource(pattern: string, wildcards: Readonly<Record<string, string>>): string {
    return [...pattern].map((ch) => wildcards[ch] ?? ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("");
}
