/**
 * The testing kit for policy authors: run one resource policy against one resource, or a stack
 * policy against a set of resources, with the SDK's semantics — config defaults from the
 * policy's `configSchema` merged under the given config, `notApplicable()` for other types — and
 * collect the violations. Props go through the SDK's own unknown-checking proxy, so a property set
 * to {@link UNKNOWN} behaves as it does in `pulumi preview`: reading it stops the policy, and the
 * run reports it in `unknown` (the CLI shows that as an advisory "can't run during preview"). Pair
 * it with the known-good factories of `llm-platform/policy-fixtures`.
 *
 * @module llm-platform/policy-testing
 */
import type {
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

/**
 * The engine's wire sentinel for a value not known until the update (an input computed from another
 * resource's output, such as an image digest from a build that has not run). Set a property to it
 * to test what a policy does during preview.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The SDK's preview proxy (internal to @pulumi/policy, typed here; pinned by tests). */
interface SdkProxy {
    unknownCheckingProxy<T>(props: T): T;
    UnknownValueError: new (...args: never[]) => Error;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkProxy = require("@pulumi/policy/proxy") as SdkProxy;

export interface TestResource {
    type: string;
    props: Record<string, unknown>;
    name?: string;
    urn?: string;
    protect?: boolean;
    parent?: string;
    dependencies?: string[];
    /**
     * The resource's provider as the engine describes it to a policy: its type
     * (`pulumi:providers:aws`) and inputs (object-valued settings such as `defaultTags` JSON-encoded,
     * as the provider SDKs send them). @default - none (a default provider without settings)
     */
    provider?: { type: string; props: Record<string, unknown>; name?: string; urn?: string };
}

export interface PolicyRun {
    /** False when the policy called notApplicable() for this resource. */
    applicable: boolean;
    violations: string[];
    /**
     * Set when the policy read an unknown value and stopped, as in preview: the SDK's message, e.g.
     * "string value at .spec.image can't be known during preview". Violations reported before
     * that are kept, as the SDK keeps them.
     */
    unknown?: string;
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

function providerOf(r: TestResource): ResourceValidationArgs["provider"] {
    if (!r.provider) return undefined;
    const name = r.provider.name ?? "default";
    return {
        type: r.provider.type,
        props: r.provider.props,
        name,
        urn: r.provider.urn ?? `urn:pulumi:test::test::${r.provider.type}::${name}`,
    } as ResourceValidationArgs["provider"];
}

function unsupported(): never {
    throw new Error("isType/asType are not available in the testing kit; compare args.type with the type token");
}

/** A policy that threw: not applicable, stopped on an unknown value, or a real error (rethrown). */
function stopped(e: unknown, violations: string[]): PolicyRun {
    if (e instanceof NotApplicable) return { applicable: false, violations };
    if (e instanceof sdkProxy.UnknownValueError) return { applicable: true, violations, unknown: e.message };
    throw e;
}

/** Runs a resource policy against one resource. */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    resource: TestResource,
    config: Record<string, unknown> = {},
): Promise<PolicyRun> {
    if (typeof policy.validateResource !== "function" && !Array.isArray(policy.validateResource))
        throw new TypeError(
            `runResourcePolicy: "${policy.name}" has no validateResource${"validateStack" in policy ? " (it is a stack policy)" : ""}; run a stack policy with runStackPolicy`,
        );
    const violations: string[] = [];
    const report: ReportViolation = (message: string) => void violations.push(message);
    const args: ResourceValidationArgs = {
        type: resource.type,
        props: sdkProxy.unknownCheckingProxy(resource.props) as Record<string, never>,
        urn: urnOf(resource),
        name: resource.name ?? "resource",
        opts: {
            protect: resource.protect ?? false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: {},
            additionalSecretOutputs: [],
        } as unknown as ResourceValidationArgs["opts"],
        provider: providerOf(resource),
        stackTags: new Map(),
        isType: unsupported,
        asType: unsupported,
        getConfig: <T extends object>() => configOf(policy, config) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    // The SDK skips a single validation tagged with another type (validateResourceOfType's tag)
    // without calling it.
    const only =
        policy.validateResource && !Array.isArray(policy.validateResource)
            ? (policy.validateResource as { __pulumiType?: string }).__pulumiType
            : undefined;
    if (only !== undefined && only !== resource.type) return { applicable: false, violations: [] };
    const validations = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : policy.validateResource
          ? [policy.validateResource]
          : [];
    // As the SDK does, each validation of an array runs on its own: one stopping does not stop the rest.
    let applicable = true;
    let unknown: string | undefined;
    for (const v of validations) {
        try {
            await v(args, report);
        } catch (e) {
            const s = stopped(e, violations);
            applicable &&= s.applicable;
            unknown ??= s.unknown;
        }
    }
    return unknown === undefined ? { applicable, violations } : { applicable, violations, unknown };
}

/** Runs a stack policy against resources (parents and dependencies by URN). */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: TestResource[],
    config: Record<string, unknown> = {},
): Promise<PolicyRun> {
    if (typeof policy.validateStack !== "function")
        throw new TypeError(
            `runStackPolicy: "${policy.name}" has no validateStack${"validateResource" in policy ? " (it is a resource policy)" : ""}; run a resource policy with runResourcePolicy`,
        );
    const violations: string[] = [];
    const report: ReportViolation = (message: string, urn?: string) =>
        void violations.push(urn ? `${urn}: ${message}` : message);
    const byUrn = new Map<string, PolicyResource>();
    const policyResources = resources.map((r) => {
        const pr = {
            type: r.type,
            props: sdkProxy.unknownCheckingProxy(r.props),
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
            provider: providerOf(r),
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
        return stopped(e, violations);
    }
    return { applicable: true, violations };
}
