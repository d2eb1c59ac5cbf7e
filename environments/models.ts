/**
 * The models a stack serves, each with every setting it runs with: its `llm-platform:models`
 * entry merged over `llm-platform:serving` (and `monitoring.slo`), or, without the key, the one
 * model `inference` from `serving` alone. The stack program, the capacity rules, promotion and the
 * cost table all read models through {@link servedModels}, so they agree on what a model is.
 */
import type { Settings } from "./schema";

type Serving = Settings["serving"];
type Slo = Settings["monitoring"]["slo"];

/** The name of the one model of a stack without `llm-platform:models`. */
export const DEFAULT_MODEL_NAME = "inference";

/** The keys of `serving` a model entry may override. */
export const MODEL_SERVING_KEYS = [
    "activeColor",
    "scaleDownInactive",
    "blue",
    "green",
    "replicas",
    "maxReplicas",
    "gpuPool",
    "gpus",
    "resources",
    "healthPath",
    "readyPath",
    "startupTimeoutSeconds",
    "scaleOn",
    "scaleToZero",
    "evaluation",
    "smokeTest",
] as const satisfies ReadonlyArray<keyof Serving>;

export interface ServedModel extends Pick<Serving, (typeof MODEL_SERVING_KEYS)[number] | "lastFlip"> {
    name: string;
    /** Where its settings are: `llm-platform:serving` or `llm-platform:models[i]`. */
    configKey: string;
    /** Config path (for `pulumi config set --path`) of one of its keys, e.g. `models[1].activeColor`. */
    keyPath(key: string): string;
    /** From the `llm-platform:models` list (false: the one model of a stack without it). */
    listed: boolean;
    /** The model name clients send (vLLM's --served-model-name); unset: vLLM's default, the weights path. */
    servedModelName?: string;
    /** Where its versions are in the model bucket. */
    modelPrefix: string;
    /** vLLM's --tensor-parallel-size (listed models: default gpus); unset: vLLM's default, 1. */
    tensorParallelSize?: number;
    /** The GPU pool it runs on (resolved: the first pool when neither it nor serving names one). */
    gpuPool: string;
    slo: Slo;
}

/** Deep merge for plain objects (arrays and scalars replace); `undefined` keeps the base. */
export function mergeOver(base: unknown, over: unknown): unknown {
    const plain = (v: unknown): v is Record<string, unknown> =>
        typeof v === "object" && v !== null && !Array.isArray(v);
    if (!plain(base) || !plain(over)) return over === undefined ? base : over;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeOver(base[k], v);
    return out;
}

/** Where a listed model's versions are in the bucket unless its entry says otherwise. */
export function defaultModelPrefix(name: unknown): string {
    return `models/${String(name)}`;
}

/** A model's entry over the serving keys it may override: what it runs with. */
function mergeModel(serving: Readonly<Record<string, unknown>>, entry: unknown): Record<string, unknown> {
    const defaults = Object.fromEntries(MODEL_SERVING_KEYS.map((k) => [k, serving[k]]));
    const merged = mergeOver(defaults, entry) as Record<string, unknown>;
    return Object.fromEntries(MODEL_SERVING_KEYS.map((k) => [k, merged[k]]));
}

/**
 * A model's raw settings before validation (the rules read them): each entry merged over the
 * serving keys it may override, with where each came from. Non-objects are skipped.
 */
export function rawModels(input: Readonly<Record<string, unknown>>): Array<{
    index: number | undefined;
    entry: Record<string, unknown>;
    merged: Record<string, unknown>;
}> {
    const serving = (input.serving ?? {}) as Record<string, unknown>;
    if (!Array.isArray(input.models)) return [{ index: undefined, entry: {}, merged: mergeModel(serving, {}) }];
    return input.models.flatMap((raw, index) =>
        typeof raw === "object" && raw !== null && !Array.isArray(raw)
            ? [{ index, entry: raw as Record<string, unknown>, merged: mergeModel(serving, raw) }]
            : [],
    );
}

/** Every model the stack serves, in order, with every setting resolved. */
export function servedModels(settings: Settings): ServedModel[] {
    const firstPool = settings.gpuNodePools[0].name;
    type Merged = Pick<Serving, (typeof MODEL_SERVING_KEYS)[number]>;
    const serving = settings.serving as unknown as Record<string, unknown>;
    if (settings.models === undefined) {
        const merged = mergeModel(serving, {}) as unknown as Merged;
        return [
            {
                ...merged,
                name: DEFAULT_MODEL_NAME,
                configKey: "llm-platform:serving",
                keyPath: (key) => `serving.${key}`,
                listed: false,
                ...(settings.serving.lastFlip ? { lastFlip: settings.serving.lastFlip } : {}),
                modelPrefix: "models",
                gpuPool: merged.gpuPool ?? firstPool,
                slo: settings.monitoring.slo,
            },
        ];
    }
    return settings.models.map((entry, i) => {
        const merged = mergeModel(serving, entry) as unknown as Merged;
        return {
            ...merged,
            name: entry.name,
            configKey: `llm-platform:models[${i}]`,
            keyPath: (key) => `models[${i}].${key}`,
            listed: true,
            ...(entry.lastFlip ? { lastFlip: entry.lastFlip } : {}),
            servedModelName: entry.servedModelName ?? entry.name,
            modelPrefix: entry.modelPrefix ?? defaultModelPrefix(entry.name),
            tensorParallelSize: entry.tensorParallelSize ?? merged.gpus,
            gpuPool: merged.gpuPool ?? firstPool,
            slo: { ...settings.monitoring.slo, ...entry.slo },
        };
    });
}
