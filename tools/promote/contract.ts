/**
 * The release contract as `llm-platform promote` reads it (components/release.ts writes it): the
 * stack output `llmPlatformReleases`, one entry per model, and the model's release object in the
 * stack's config at the entry's `configKey`, which is the truth the promotion changes.
 */
import { RELEASES_OUTPUT, type ReleaseContract } from "../../components/release";
import { PromotionError, type ServingState } from "./machine";

/** One model's serving state, and where in the stack's config its release lives. */
export type ContractState = ServingState & { configKey: string };

/** The contracts a stack's outputs hold; a stack without the output (never updated, or a program that does not export it) has none. */
export function contractsOf(outputs: Readonly<Record<string, unknown>>, stackName: string): ReleaseContract[] {
    const value = outputs[RELEASES_OUTPUT];
    if (value === undefined || value === null)
        throw new PromotionError(
            `stack ${stackName} has no ${RELEASES_OUTPUT} output: run pulumi up first, or have the program export llmPlatformReleases: a list of releaseContract(…), one per model (import { releaseContract } from "llm-platform")`,
        );
    if (!Array.isArray(value) || value.some((c) => typeof c !== "object" || c === null || typeof c.model !== "string"))
        throw new PromotionError(
            `stack ${stackName}'s ${RELEASES_OUTPUT} output is not a list of release contracts: ${JSON.stringify(value).slice(0, 200)}`,
        );
    return value as ReleaseContract[];
}

/** The model a promotion releases: the one named, or the stack's only one. */
export function chooseContract(
    contracts: readonly ReleaseContract[],
    stackName: string,
    model: string | undefined,
): ReleaseContract {
    const names = contracts.map((c) => c.model).join(", ");
    if (model === undefined) {
        if (contracts.length === 1) return contracts[0];
        throw new PromotionError(
            `stack ${stackName} serves ${contracts.length} models (${names}): choose one with --model, or promote each in turn with --all`,
        );
    }
    const found = contracts.find((c) => c.model === model);
    if (!found) throw new PromotionError(`--model: stack ${stackName} serves no model "${model}" (it serves ${names})`);
    return found;
}

/** `ns:name.a[1].b` → the config key `ns:name` and the path after it. */
export function splitConfigKey(configKey: string): { key: string; path: Array<string | number> } {
    const m = /^([^:]+:[^.[]+)(.*)$/.exec(configKey);
    if (!m)
        throw new PromotionError(
            `release contract: configKey ${JSON.stringify(configKey)} is not a config key (namespace:name)`,
        );
    const path = [...m[2].matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((p) => (p[2] !== undefined ? Number(p[2]) : p[1]));
    return { key: m[1], path };
}

/**
 * The stack's config values with `value` set at `configKey` (`ns:name.a[1].b`), as `pulumi config
 * set --path` would write it, in memory: what the values will be before anything is written.
 */
export function withConfigValue(
    values: Readonly<Record<string, string>>,
    configKey: string,
    value: string | boolean,
): Record<string, string> {
    const { key, path } = splitConfigKey(configKey);
    if (path.length === 0) return { ...values, [key]: String(value) };
    let root: unknown;
    try {
        root = values[key] === undefined ? (typeof path[0] === "number" ? [] : {}) : JSON.parse(values[key]);
    } catch {
        throw new PromotionError(`${key} in the stack's config is not an object (${values[key].slice(0, 60)})`);
    }
    let node = root as Record<string | number, unknown>;
    path.slice(0, -1).forEach((step, i) => {
        const next = node[step];
        if (typeof next !== "object" || next === null) node[step] = typeof path[i + 1] === "number" ? [] : {};
        node = node[step] as Record<string | number, unknown>;
    });
    node[path[path.length - 1]] = value;
    return { ...values, [key]: JSON.stringify(root) };
}

/** The stack's config values without the key at `configKey` (`ns:name.a[1].b`), as `pulumi config rm --path` leaves them, in memory. */
export function withoutConfigValue(
    values: Readonly<Record<string, string>>,
    configKey: string,
): Record<string, string> {
    const { key, path } = splitConfigKey(configKey);
    if (values[key] === undefined) return { ...values };
    if (path.length === 0) {
        const { [key]: _gone, ...rest } = values;
        return rest;
    }
    let root: unknown;
    try {
        root = JSON.parse(values[key]);
    } catch {
        throw new PromotionError(`${key} in the stack's config is not an object (${values[key].slice(0, 60)})`);
    }
    let node = root as Record<string | number, unknown> | undefined;
    for (const step of path.slice(0, -1)) {
        const next = node?.[step];
        if (typeof next !== "object" || next === null) return { ...values };
        node = next as Record<string | number, unknown>;
    }
    if (node) delete node[path[path.length - 1]];
    return { ...values, [key]: JSON.stringify(root) };
}

/** The release object at `configKey` in the stack's config values (strings, objects JSON-encoded), if any. */
export function releaseObjectAt(
    values: Readonly<Record<string, string>>,
    configKey: string,
): Record<string, unknown> | undefined {
    const { key, path } = splitConfigKey(configKey);
    const raw = values[key];
    if (raw === undefined) return undefined;
    let node: unknown;
    try {
        node = JSON.parse(raw);
    } catch {
        throw new PromotionError(`${key} in the stack's config is not an object (${raw.slice(0, 60)})`);
    }
    for (const step of path) node = (node as Record<string | number, unknown> | undefined)?.[step];
    return typeof node === "object" && node !== null && !Array.isArray(node)
        ? (node as Record<string, unknown>)
        : undefined;
}

type Release = ServingState["releases"]["blue"];

function colorRelease(deployed: { image: string | null; modelVersion: string }, live: unknown): Release {
    const l = (typeof live === "object" && live !== null ? live : {}) as { image?: unknown; modelVersion?: unknown };
    return {
        image: typeof l.image === "string" ? l.image : (deployed.image ?? undefined),
        modelVersion: typeof l.modelVersion === "string" ? l.modelVersion : deployed.modelVersion,
    };
}

/**
 * A model's serving state: what the contract says was deployed, with the release keys the stack's
 * config holds now (`activeColor`, `scaleDownInactive`, each colour's `image` and `modelVersion`)
 * over it, since the promotion changes the config and the config is what the next update applies.
 */
export function stateOf(contract: ReleaseContract, values: Readonly<Record<string, string>>): ContractState {
    const live = releaseObjectAt(values, contract.configKey) ?? {};
    const activeColor =
        live.activeColor === "blue" || live.activeColor === "green" ? live.activeColor : contract.activeColor;
    return {
        model: contract.model,
        configKey: contract.configKey,
        activeColor,
        strategy: contract.strategy,
        platform: contract.platform,
        scaleDownInactive:
            typeof live.scaleDownInactive === "boolean" ? live.scaleDownInactive : contract.scaleDownInactive,
        releases: {
            blue: colorRelease(contract.releases.blue, live.blue),
            green: colorRelease(contract.releases.green, live.green),
        },
        smoke: {
            path: contract.smoke.path,
            expectedStatus: contract.smoke.expectedStatus,
            latencyBudgetMs: contract.smoke.latencyBudgetMs,
            attempts: contract.smoke.attempts,
            previewUrl: contract.smoke.previewUrl ?? undefined,
            activeUrl: contract.smoke.activeUrl ?? undefined,
            ...(Object.keys(contract.smoke.headers ?? {}).length > 0 ? { headers: contract.smoke.headers } : {}),
        },
        // The record of the last flip is the stack's (the contract's): only updates write it.
        ...(contract.lastFlip
            ? {
                  lastFlip: {
                      activeColor: contract.lastFlip.activeColor,
                      releases: {
                          blue: colorRelease(contract.lastFlip.releases.blue, undefined),
                          green: colorRelease(contract.lastFlip.releases.green, undefined),
                      },
                  },
              }
            : {}),
        ...(contract.servedModelName !== null ? { servedModelName: contract.servedModelName } : {}),
        ...(typeof contract.modelSource === "string" ? { modelSource: contract.modelSource } : {}),
        ...(contract.gate ? { gate: contract.gate } : {}),
    };
}
