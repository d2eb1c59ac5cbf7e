/**
 * The production-standards policies as a library for a team's own pack (AwsGuard's typed
 * arguments, compliance-policies' selection), without constructing a `PolicyPack` here:
 *
 *     import { PolicyPack } from "@pulumi/policy";
 *     import { productionStandards } from "llm-platform/policies";
 *
 *     const standards = productionStandards({
 *         tier: "prod",
 *         policies: { "k8s-probes": "mandatory", "gpu-budget": { maxMonthlyUsd: 5000 } },
 *         exclude: ["required-tags"],
 *     });
 *     new PolicyPack("acme-llm", { policies: [...standards.policies, acmePolicy] }, standards.initialConfig);
 *
 * `initialConfig` is the pack's built-in configuration: the Pulumi CLI applies it over each
 * policy's defaults and under any `--policy-pack-config` file (whose `all` then overrides every
 * level). Every entry carries its level: the CLI reads an entry without one as advisory.
 */
import type {
    EnforcementLevel,
    PolicyPackConfig,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { checkPolicyConfig, PolicyConfigError, type ConfigLevel, type PolicyConfig } from "./config";
import { POLICIES, POLICY_NAMES, type PolicyName } from "./pack";
import { TIER_POLICY_CONFIG } from "./tiers";

/** The settings of the policies that take some (their `configSchema`), by policy name. */
export interface PolicySettings {
    "k8s-image-pinned": {
        /** Images must be pinned by digest, not only by a version tag. @default false */
        requireDigest?: boolean;
        /** Image prefixes allowed a version tag where a digest is required. @default [] */
        digestExemptions?: string[];
    };
    "k8s-allowed-registries": {
        /** Registry prefixes images may come from (`*`: any characters but `/`; Docker Hub's `docker.io/` written out); empty allows any. @default [] */
        allowedRegistries?: string[];
    };
    "k8s-resource-requests-limits": {
        /** Require a CPU limit too (it throttles inference servers; off by default). @default false */
        requireCpuLimit?: boolean;
    };
    "k8s-min-replicas": {
        /** Fewest replicas a Deployment or StatefulSet may run. @default 1 */
        minReplicas?: number;
    };
    "required-tags": {
        /** Tag keys every taggable AWS resource must carry. @default ["Owner", "CostCenter"] */
        requiredTags?: string[];
    };
    "ecr-repository-hardened": {
        /** Wildcard filters of a registry-wide scan-on-push configuration kept in another stack. @default [] */
        registryScanFilters?: string[];
    };
    "security-group-restricted": {
        /** Ports the whole internet may reach. @default [80, 443] */
        publicPorts?: number[];
    };
    "iam-no-unscoped-writes": {
        /** URN patterns (`*` any characters) of policies reviewed as they stand. @default [] */
        reviewedUrns?: string[];
    };
    "log-group-hardened": {
        /** Fewest days a log group may keep its events. @default 1 */
        minRetentionDays?: number;
        /** Require a customer-managed KMS key on every log group. @default false */
        requireKms?: boolean;
    };
    "stateful-resources-protected": {
        /** Resource types that must be protected. @default - S3 buckets, ECR repositories, KMS keys, EKS and ECS clusters, RDS instances, Secrets Manager secrets */
        types?: string[];
    };
    "gpu-budget": {
        /** Most the stack's GPU capacity may cost a month at the autoscalers' ceilings, USD. @default 20000 */
        maxMonthlyUsd?: number;
        /** Most one model's GPU capacity may cost a month, USD. @default 10000 */
        maxMonthlyUsdPerModel?: number;
    };
}

/** One policy's entry: a level, or a level and its settings. */
export type PolicyEntry<N extends PolicyName> =
    | ConfigLevel
    | ({ enforcementLevel?: ConfigLevel } & (N extends keyof PolicySettings
          ? PolicySettings[N]
          : Record<never, never>));

export interface ProductionStandardsArgs {
    /**
     * Start from a tier's levels and settings (`TIER_POLICY_CONFIG`): staging is advisory but for
     * the Pod Security baseline, non-root and the GPU budget; prod is mandatory throughout.
     * @default - every policy mandatory, each setting at its default
     */
    tier?: "staging" | "prod";
    /** A level for every policy, over the tier's levels (the tier's settings stay). @default - the tier's */
    all?: ConfigLevel;
    /** Levels and settings by policy name, over `all` and the tier. @default {} */
    policies?: { [N in PolicyName]?: PolicyEntry<N> };
    /** Only these policies. @default - every policy */
    include?: PolicyName[];
    /** Every policy but these. @default [] */
    exclude?: PolicyName[];
}

/** What a pack is made of: the policies and the configuration to construct `PolicyPack` with. */
export interface ProductionStandards {
    policies: Array<ResourceValidationPolicy | StackValidationPolicy>;
    /** Every chosen policy's level and settings, each entry with its level. */
    initialConfig: PolicyPackConfig;
}

const levelOf = (entry: PolicyConfig[string] | undefined): ConfigLevel | undefined =>
    typeof entry === "string" ? entry : entry?.enforcementLevel;
const settingsOf = (entry: PolicyConfig[string] | undefined): Record<string, unknown> => {
    if (entry === undefined || typeof entry === "string") return {};
    const { enforcementLevel: _level, ...settings } = entry;
    return settings;
};

/**
 * The chosen production-standards policies and their configuration; every problem with the
 * arguments (an unknown policy name, a setting a policy does not have or a value its schema
 * refuses) is reported at once in a {@link PolicyConfigError}.
 */
export function productionStandards(args: ProductionStandardsArgs = {}): ProductionStandards {
    const problems: string[] = [];
    const known = new Set<string>(POLICY_NAMES);
    for (const field of ["include", "exclude"] as const)
        for (const name of args[field] ?? [])
            if (!known.has(name)) problems.push(`${field}: no policy "${name}" in the pack`);
    if (args.tier !== undefined && !(args.tier in TIER_POLICY_CONFIG))
        problems.push(`tier: expected staging or prod, received ${JSON.stringify(args.tier)}`);
    if (problems.length > 0) throw new PolicyConfigError("productionStandards", problems);

    const chosen = POLICIES.filter(
        (p) =>
            (args.include === undefined || (args.include as string[]).includes(p.name)) &&
            !(args.exclude ?? ([] as string[])).includes(p.name),
    );
    const left = Object.keys(args.policies ?? {}).filter((n) => known.has(n) && !chosen.some((p) => p.name === n));
    if (left.length > 0)
        throw new PolicyConfigError(
            "productionStandards",
            left.map((n) => `policies.${n}: configured, but include/exclude leaves the policy out`),
        );
    // Checked as a policy-config file is: names, levels, settings against each policy's schema.
    const given = checkPolicyConfig(
        { ...(args.all !== undefined ? { all: args.all } : {}), ...(args.policies ?? {}) },
        chosen,
        "productionStandards",
    );
    const tier: PolicyConfig = args.tier !== undefined ? TIER_POLICY_CONFIG[args.tier] : {};
    const initialConfig: PolicyPackConfig = {};
    for (const p of chosen) {
        const level: EnforcementLevel =
            levelOf(given[p.name]) ??
            levelOf(given.all) ??
            levelOf(tier[p.name]) ??
            levelOf(tier.all) ??
            p.enforcementLevel ??
            "mandatory";
        initialConfig[p.name] = { enforcementLevel: level, ...settingsOf(tier[p.name]), ...settingsOf(given[p.name]) };
    }
    return { policies: chosen, initialConfig };
}
