/**
 * Turns raw stack configuration into validated, frozen settings: resolves the tier, merges
 * the tier defaults under what the stack sets, validates everything at once and throws one
 * {@link ConfigError} that lists every bad key, the value received and what is expected.
 *
 * {@link resolveSettings} is pure (tested without the engine); {@link loadSettings} reads the
 * running Pulumi program's configuration and is what the stacks call first, before any
 * resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_ERROR_PREFIX, isWithheldSecret } from "../catalog/configErrors";
import { TIER_DEFAULTS } from "./defaults";
import { mergeOver } from "./models";
import { crossFieldProblems } from "./rules";
import { closest, configKey, editDistance, expectation, formatValue, shapeAt } from "./problems";
import { CONFIG_NAMESPACE, TIERS, settingsSchema, type Settings, type Tier } from "./schema";

export { closest, configKey, formatValue } from "./problems";

/** Validated settings plus the values that come from outside the `llm-platform` namespace. */
export interface PlatformSettings extends Settings {
    /** The Pulumi stack name. */
    readonly stack: string;
    /** `aws:region`. */
    readonly region: string;
}

export interface ConfigProblem {
    /** The full config key and path, e.g. `llm-platform:gpuNodePools[0].maxSize`. */
    readonly key: string;
    /** What is expected, starting with "expected" or "unknown key". */
    readonly expected: string;
    /** The value received, formatted for people; `[secret]` for secret values. */
    readonly received: string;
}

/**
 * Bad configuration. `problems` lists every one; the message prints them all. A `RunError`, so
 * that under the Pulumi CLI the message is printed alone (no stack trace) and the run fails.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        readonly stackName: string,
        readonly problems: readonly ConfigProblem[],
    ) {
        const n = problems.length;
        super(
            [
                `${CONFIG_ERROR_PREFIX}"${stackName}" (${n} problem${n === 1 ? "" : "s"}):`,
                ...problems.map((p) => `  ${p.key}: ${p.expected}, received ${p.received}`),
                `Fix the values in Pulumi.${stackName}.yaml or with \`pulumi config set\` (see docs/configuration.md).`,
            ].join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Raw configuration as Pulumi hands it to a program: full keys to string values. */
export type RawConfig = Readonly<Record<string, string>>;

export interface ResolveOptions {
    /** Full keys whose values are secret; their values are never printed. */
    readonly secretKeys?: readonly string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const PREFIX = `${CONFIG_NAMESPACE}:`;

/** The settings that may hold a secure value: the alert receivers' credentials and topic. */
export const SECRET_SETTINGS: readonly string[] = ["slackWebhookUrl", "pagerdutyRoutingKey", "snsTopicArn"].map(
    (k) => `${CONFIG_NAMESPACE}:monitoring.alerting.${k}`,
);

/** Top-level keys whose schema is a string or enum: their raw value is taken as is. */
const STRING_KEYS = new Set(
    Object.entries(settingsSchema.shape)
        .filter(([, s]) => s.def.type === "string" || s.def.type === "enum")
        .map(([k]) => k),
);

/**
 * Validates raw configuration for `stack` and returns frozen settings, or throws a
 * {@link ConfigError} listing every problem.
 */
export function resolveSettings(stack: string, raw: RawConfig, options: ResolveOptions = {}): PlatformSettings {
    const secretKeys = new Set(options.secretKeys ?? []);
    const problems: ConfigProblem[] = [];
    const inSecretKey = (key: string): boolean =>
        secretKeys.has(key) || [...secretKeys].some((s) => key.startsWith(`${s}.`) || key.startsWith(`${s}[`));
    // A secure value is always a string, so inside a secret key only strings (and structures,
    // which may hold them) are masked: a number or a boolean beside a secret leaf is printed.
    const received = (key: string, value: unknown): string =>
        inSecretKey(key) && (typeof value === "string" || (typeof value === "object" && value !== null))
            ? "[secret]"
            : formatValue(value);

    const input: Record<string, Json> = {};
    const withheld = new Set<string>();
    for (const [key, value] of Object.entries(raw)) {
        if (!key.startsWith(PREFIX)) {
            // A namespace one or two letters from ours is a typo whose keys would be ignored.
            const namespace = key.split(":")[0];
            if (key.includes(":") && namespace.length > 0 && editDistance(namespace, CONFIG_NAMESPACE) <= 2)
                problems.push({
                    key,
                    expected: `unknown namespace "${namespace}" (did you mean "${CONFIG_NAMESPACE}"?): its keys are not read, so this value would be ignored; rename the key to ${PREFIX}${key.slice(namespace.length + 1)}`,
                    received: received(key, value),
                });
            continue;
        }
        const name = key.slice(PREFIX.length);
        input[name] = STRING_KEYS.has(name) ? value : parseJson(value);
        if (secretKeys.has(key)) for (const p of withheldPaths(input[name], [name])) withheld.add(configKey(p));
    }
    // What a withheld secret's format rules say cannot be known: only its type is checked. Only the
    // receivers' credentials may be one: elsewhere the value names resources, or sizes them, and an
    // unknown one would reach the components (an offline run has no key to decrypt it).
    for (const key of withheld)
        if (!SECRET_SETTINGS.includes(key))
            problems.push({
                key,
                expected: `expected a plain value: a secure value here is not a credential but a setting the plan is built from (only ${SECRET_SETTINGS.join(", ")} may be secrets); set it without --secret`,
                received: "[secret]",
            });
    const knowable = (key: string, code?: string): boolean =>
        !withheld.has(key) || (SECRET_SETTINGS.includes(key) && code === "invalid_type");

    const region = raw["aws:region"];
    if (region === undefined || region === "") {
        problems.push({
            key: "aws:region",
            expected: "expected an AWS region such as us-east-1 (set it with `pulumi config set aws:region us-east-1`)",
            received: "nothing",
        });
    } else if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region)) {
        problems.push({
            key: "aws:region",
            expected: "expected an AWS region such as us-east-1",
            received: formatValue(region),
        });
    }

    const tierInput = input.tier ?? stack;
    if (!(TIERS as readonly string[]).includes(tierInput as string)) {
        problems.push({
            key: `${PREFIX}tier`,
            expected:
                input.tier === undefined
                    ? `expected one of ${TIERS.map((t) => `"${t}"`).join(", ")}; the stack name "${stack}" is not a tier, so set it explicitly`
                    : `expected one of ${TIERS.map((t) => `"${t}"`).join(", ")}`,
            received: input.tier === undefined ? "nothing" : received(`${PREFIX}tier`, input.tier),
        });
    }
    // A bad tier is one problem among others: the rest of the file is still checked, against the
    // staging tier's defaults (its rules are the looser), so every problem is reported at once.
    const tierValid = (TIERS as readonly string[]).includes(tierInput as string);
    const tier = (tierValid ? tierInput : "staging") as Tier;
    const merged = withTierDefaults(tier, tierValid ? input : { ...input, tier });

    const result = settingsSchema.safeParse(merged, { reportInput: true, error: expectation });
    if (!result.success) {
        for (const issue of result.error.issues) {
            if (issue.code === "unrecognized_keys") {
                const parent = issue.path.length === 0 ? undefined : issue.path;
                const known = Object.keys(shapeAt(parent ?? []));
                for (const k of issue.keys) {
                    const key = configKey([...(parent ?? []), k]);
                    // `serving.entryPoint: {…}` written flat in the file: a key of its own, never nested.
                    const [head, ...rest] = k.split(".");
                    if (rest.length > 0 && known.includes(head)) {
                        problems.push({
                            key,
                            expected: `unknown key: a dotted name in the stack file is one key, not a path; nest it under ${head} (${head}: {${rest.join(": {")}: …${"}".repeat(rest.length)}) or set it with \`pulumi config set --path '${key}' <value>\``,
                            received: received(key, (issue.input as Record<string, unknown>)[k]),
                        });
                        continue;
                    }
                    const hint = closest(k, known);
                    problems.push({
                        key,
                        expected: `unknown key; expected one of ${known.join(", ")}${hint ? ` (did you mean "${hint}"?)` : ""}`,
                        received: received(key, (issue.input as Record<string, unknown>)[k]),
                    });
                }
                continue;
            }
            const key = configKey(issue.path);
            if (!knowable(key, issue.code)) continue;
            const missing = issue.input === undefined;
            problems.push({
                key,
                expected: missing
                    ? `required; ${issue.message}`
                    : withheld.has(key)
                      ? `${issue.message} (a secure value is always a string)`
                      : issue.message,
                received: missing ? "nothing" : received(key, issue.input),
            });
        }
    }
    for (const p of crossFieldProblems(merged, typeof region === "string" ? region : undefined)) {
        const key = configKey(p.path);
        if (!knowable(key)) continue;
        problems.push({ key, expected: p.message, received: received(key, p.input) });
    }
    if (problems.length > 0) throw new ConfigError(stack, sortProblems(problems));
    // Every issue left was a withheld secret's format: the input is the settings (the schema
    // transforms nothing), with the marker where the secret goes.
    const data = result.success ? result.data : merged;
    return deepFreeze({ ...(data as Settings), stack, region: region as string });
}

/**
 * Reads the running program's configuration (all namespaces, with secret keys) and resolves
 * it. Call it first in a stack program: it throws before any resource is registered.
 */
export function loadSettings(): PlatformSettings {
    const raw = pulumi.runtime.allConfig();
    // isConfigSecret is exported by the SDK's runtime but left out of its type declarations.
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    const secretKeys = Object.keys(raw).filter((k) => runtime.isConfigSecret?.(k) ?? false);
    return resolveSettings(pulumi.getStack(), raw, { secretKeys });
}

/** Merges tier defaults under the stack's values: objects merge, arrays replace, pools merge per entry. */
export function withTierDefaults(tier: Tier, input: Readonly<Record<string, Json>>): Record<string, unknown> {
    const { gpuNodePool, gpuNodePools, ...defaults } = TIER_DEFAULTS[tier];
    const merged = mergeOver({ ...defaults, tier }, input) as Record<string, unknown>;
    const pools = input.gpuNodePools === undefined ? gpuNodePools : input.gpuNodePools;
    merged.gpuNodePools = Array.isArray(pools) ? pools.map((p) => mergeOver(gpuNodePool, p)) : pools;
    return merged;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Paths of the {@link isWithheldSecret} markers in a value. */
function withheldPaths(value: Json, at: Array<string | number>): Array<Array<string | number>> {
    if (isWithheldSecret(value)) return [at];
    if (Array.isArray(value)) return value.flatMap((v, i) => withheldPaths(v, [...at, i]));
    if (isPlainObject(value)) return Object.entries(value).flatMap(([k, v]) => withheldPaths(v, [...at, k]));
    return [];
}

function parseJson(value: string): Json {
    try {
        return JSON.parse(value) as Json;
    } catch {
        return value;
    }
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
    return [...problems].sort((a, b) => a.key.localeCompare(b.key, "en"));
}

function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null) {
        for (const v of Object.values(value)) deepFreeze(v);
        Object.freeze(value);
    }
    return value;
}
