/**
 * What the policy files share: restricting a check to resource types (other types are reported
 * not-applicable, as the SDK's validateResourceOfType does), and reading Kubernetes pod specs out
 * of every workload kind.
 */
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";

/** The Kubernetes workload kinds and where their pod spec lives. */
export const WORKLOAD_TYPES: Readonly<Record<string, string[]>> = {
    "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
    "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
    "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    "kubernetes:core/v1:Pod": ["spec"],
};

type Props = Record<string, unknown>;

export interface Container {
    name?: string;
    image?: string;
    ports?: Array<{ containerPort?: number; name?: string }>;
    securityContext?: Props;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    livenessProbe?: Props;
    readinessProbe?: Props;
}

export interface PodSpec {
    securityContext?: Props;
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    volumes?: Array<{ name?: string; hostPath?: unknown }>;
    containers?: Container[];
    initContainers?: Container[];
}

/** A workload's pod spec, or undefined for other types. */
export function podSpecOf(type: string, props: Props): PodSpec | undefined {
    const path = WORKLOAD_TYPES[type];
    if (!path) return undefined;
    let node: unknown = props;
    for (const key of path) node = (node as Props | undefined)?.[key];
    return (node as PodSpec | undefined) ?? {};
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

/** Runs `check` on each workload's pod spec. */
export function forWorkloads(check: (pod: PodSpec, args: ResourceValidationArgs, report: ReportViolation) => void) {
    return forTypes(Object.keys(WORKLOAD_TYPES), (args, report) =>
        check(podSpecOf(args.type, args.props) ?? {}, args, report),
    );
}

/** Every container of a pod, init containers included, with a label for messages. */
export function allContainers(pod: PodSpec): Array<{ label: string; container: Container; init: boolean }> {
    return [
        ...(pod.initContainers ?? []).map((c) => ({
            label: `init container "${c.name ?? "?"}"`,
            container: c,
            init: true,
        })),
        ...(pod.containers ?? []).map((c) => ({ label: `container "${c.name ?? "?"}"`, container: c, init: false })),
    ];
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
