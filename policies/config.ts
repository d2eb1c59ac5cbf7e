/**
 * The pack's configuration (the file `pulumi up --policy-pack-config` and `npm run policy` read),
 * checked so that a typo can never weaken the gate.
 *
 * The Pulumi CLI (pkg/resource/analyzer/config.go at v3.248.0) refuses enforcement levels it does
 * not know and checks each policy's properties against its `configSchema` with a JSON-schema
 * validator; it accepts policy names the pack does not have, and property names a schema does not
 * declare. This check refuses those too: an unknown name is a policy or setting that silently does
 * nothing. It also refuses `remediate`, which this pack, having no remediations, would treat as
 * mandatory without saying so.
 */
import Ajv from "ajv";
import type { EnforcementLevel } from "@pulumi/policy";

/** The levels a policy of this pack can be set to. */
export const CONFIG_LEVELS = ["advisory", "mandatory", "disabled"] as const;
export type ConfigLevel = (typeof CONFIG_LEVELS)[number];

/** A policy-config file's content once checked. */
export type PolicyConfig = Record<string, ConfigLevel | ({ enforcementLevel?: ConfigLevel } & Record<string, unknown>)>;

/** What the check needs of a policy: its name and the schema of its properties. */
export interface ConfigurablePolicy {
    name: string;
    enforcementLevel?: EnforcementLevel;
    configSchema?: { properties?: Record<string, unknown>; required?: string[] };
}

/** A policy config that cannot be used; `problems` name each key, one per line. */
export class PolicyConfigError extends Error {
    constructor(
        readonly source: string,
        readonly problems: string[],
    ) {
        super(`${source}: the policy config is not usable:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "PolicyConfigError";
    }
}

const describe = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : JSON.stringify(v));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function levelProblem(key: string, value: unknown): string | undefined {
    if (typeof value === "string" && (CONFIG_LEVELS as readonly string[]).includes(value)) return undefined;
    return `${key}: ${describe(value)} is not an enforcement level; use one of ${CONFIG_LEVELS.join(", ")}`;
}

/**
 * Checks `raw` (a parsed policy-config file) against `policies`: every key a policy of the pack or
 * `all`; every level one of {@link CONFIG_LEVELS}; every property declared by the policy's
 * `configSchema` and valid against it, after the schema's defaults, as the CLI validates. Without
 * `policies` (a pack not yet started), only the shape and the levels. Throws
 * {@link PolicyConfigError} listing every problem; returns the config unchanged when there is none.
 */
export function checkPolicyConfig(
    raw: unknown,
    policies: readonly ConfigurablePolicy[] | undefined,
    source: string,
): PolicyConfig {
    if (!isObject(raw))
        throw new PolicyConfigError(source, [
            `expected a JSON object of policy names to levels or settings, received ${describe(raw)}`,
        ]);
    const byName = new Map((policies ?? []).map((p) => [p.name, p]));
    const problems: string[] = [];
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const [key, value] of Object.entries(raw)) {
        if (key === "all") {
            const level = isObject(value) ? value.enforcementLevel : value;
            if (isObject(value) && Object.keys(value).some((k) => k !== "enforcementLevel"))
                problems.push(`all: only an enforcementLevel can apply to every policy`);
            const p = levelProblem(isObject(value) ? "all.enforcementLevel" : "all", level);
            if (p) problems.push(p);
            continue;
        }
        const policy = byName.get(key);
        if (!policy && policies) {
            const near = [...byName.keys()].filter((n) => n.includes(key) || key.includes(n) || close(n, key));
            problems.push(
                `${key}: no policy of this name in the pack${near.length ? ` (did you mean ${near.join(", ")}?)` : ""}`,
            );
            continue;
        }
        if (typeof value === "string") {
            const p = levelProblem(key, value);
            if (p) problems.push(p);
            continue;
        }
        if (!isObject(value)) {
            problems.push(`${key}: ${describe(value)} is neither an enforcement level nor an object of settings`);
            continue;
        }
        const { enforcementLevel, ...properties } = value;
        if (enforcementLevel !== undefined) {
            const p = levelProblem(`${key}.enforcementLevel`, enforcementLevel);
            if (p) problems.push(p);
        }
        if (!policy) continue;
        const declared = policy.configSchema?.properties ?? {};
        for (const name of Object.keys(properties))
            if (!(name in declared))
                problems.push(
                    `${key}.${name}: ${policy.name} has no setting "${name}"${Object.keys(declared).length ? `; it has ${Object.keys(declared).join(", ")}` : "; it takes none"}`,
                );
        if (policy.configSchema?.properties) {
            const defaults = Object.fromEntries(
                Object.entries(policy.configSchema.properties)
                    .filter(([, s]) => isObject(s) && s.default !== undefined)
                    .map(([k, s]) => [k, (s as { default: unknown }).default]),
            );
            const validate = ajv.compile({
                type: "object",
                properties: policy.configSchema.properties,
                ...(policy.configSchema.required ? { required: policy.configSchema.required } : {}),
            });
            const known = Object.fromEntries(Object.entries(properties).filter(([k]) => k in declared));
            if (!validate({ ...defaults, ...known }))
                for (const e of validate.errors ?? [])
                    problems.push(
                        `${key}${e.instancePath.replace(/\//g, ".")}: ${e.message ?? "is not valid"}${e.params && "allowedValues" in e.params ? ` (${(e.params.allowedValues as unknown[]).join(", ")})` : ""}`,
                    );
        }
    }
    if (problems.length > 0) throw new PolicyConfigError(source, problems);
    return raw as PolicyConfig;
}

/** One edit apart (a typo): substitution, insertion or deletion of a single character. */
function close(a: string, b: string): boolean {
    if (Math.abs(a.length - b.length) > 1) return false;
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
}
