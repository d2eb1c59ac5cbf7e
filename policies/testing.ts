/**
 * The testing kit for policy authors: run one resource policy against one resource, or a stack
 * policy against a set of resources, with the SDK's semantics — config defaults from the
 * policy's `configSchema` merged under the given config, `notApplicable()` for other types — and
 * collect the violations. Pair it with the known-good factories in ./fixtures.
 */
import type {
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

export interface TestResource {
    type: string;
    props: Record<string, unknown>;
    name?: string;
    urn?: string;
    protect?: boolean;
    parent?: string;
    dependencies?: string[];
}

export interface PolicyRun {
    /** False when the policy called notApplicable() for this resource. */
    applicable: boolean;
    violations: string[];
}

class NotApplicable extends Error {}

function configOf(
    policy: { configSchema?: { properties?: Record<string, { default?: unknown }> } },
    config: Record<string, unknown>,
): Record<string, unknown> {
    const defaults = Object.fromEntries(
        Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, v.default]),
    );
    return { ...defaults, ...config };
}

const urnOf = (r: TestResource): string => r.urn ?? `urn:pulumi:test::test::${r.type}::${r.name ?? "resource"}`;

function unsupported(): never {
    throw new Error("isType/asType are not available in the testing kit; compare args.type with the type token");
}

/** Runs a resource policy against one resource. */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    resource: TestResource,
    config: Record<string, unknown> = {},
): Promise<PolicyRun> {
    const violations: string[] = [];
    const report: ReportViolation = (message: string) => void violations.push(message);
    const args: ResourceValidationArgs = {
        type: resource.type,
        props: resource.props as Record<string, never>,
        urn: urnOf(resource),
        name: resource.name ?? "resource",
        opts: {
            protect: resource.protect ?? false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: {},
            additionalSecretOutputs: [],
        } as unknown as ResourceValidationArgs["opts"],
        stackTags: new Map(),
        isType: unsupported,
        asType: unsupported,
        getConfig: <T extends object>() => configOf(policy, config) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    const validations = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : policy.validateResource
          ? [policy.validateResource]
          : [];
    try {
        for (const v of validations) await v(args, report);
    } catch (e) {
        if (e instanceof NotApplicable) return { applicable: false, violations };
        throw e;
    }
    return { applicable: true, violations };
}

/** Runs a stack policy against resources (parents and dependencies by URN). */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: TestResource[],
    config: Record<string, unknown> = {},
): Promise<PolicyRun> {
    const violations: string[] = [];
    const report: ReportViolation = (message: string, urn?: string) =>
        void violations.push(urn ? `${urn}: ${message}` : message);
    const byUrn = new Map<string, PolicyResource>();
    const policyResources = resources.map((r) => {
        const pr = {
            type: r.type,
            props: r.props,
            urn: urnOf(r),
            name: r.name ?? "resource",
            opts: {
                protect: r.protect ?? false,
                ignoreChanges: [],
                aliases: [],
                customTimeouts: {},
                additionalSecretOutputs: [],
            },
            dependencies: [],
            propertyDependencies: {},
            isType: unsupported,
            asType: unsupported,
        } as unknown as PolicyResource;
        byUrn.set(pr.urn, pr);
        return pr;
    });
    resources.forEach((r, i) => {
        const pr = policyResources[i] as { parent?: PolicyResource; dependencies: PolicyResource[] };
        if (r.parent) pr.parent = byUrn.get(r.parent);
        pr.dependencies = (r.dependencies ?? [])
            .map((d) => byUrn.get(d))
            .filter((d): d is PolicyResource => d !== undefined);
    });
    const args: StackValidationArgs = {
        resources: policyResources,
        stackTags: new Map(),
        getConfig: <T extends object>() => configOf(policy, config) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    try {
        await policy.validateStack(args, report);
    } catch (e) {
        if (e instanceof NotApplicable) return { applicable: false, violations };
        throw e;
    }
    return { applicable: true, violations };
}
