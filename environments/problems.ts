/**
 * How a configuration problem is worded: the expectation a zod issue states, the keys an object
 * accepts (for "did you mean"), the full config key of a path, and values as people read them.
 */
import type { z } from "zod";
import { CONFIG_NAMESPACE, settingsSchema } from "./schema";

/** The error map for generic issues; leaf schemas carry their own messages. */
export function expectation(issue: z.core.$ZodRawIssue): string | undefined {
    switch (issue.code) {
        case "invalid_type": {
            const format = (issue.inst as { def?: { format?: string } } | undefined)?.def?.format;
            if (format === "safeint" || format === "int32") return "expected an integer";
            const expected =
                issue.expected === "object"
                    ? "an object"
                    : issue.expected === "array"
                      ? "an array"
                      : `a ${issue.expected}`;
            return `expected ${expected}`;
        }
        case "invalid_value":
            return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "too_small":
            return issue.origin === "string"
                ? `expected at least ${issue.minimum} characters`
                : `expected ${issue.inclusive === false ? ">" : ">="} ${issue.minimum}`;
        case "too_big":
            return issue.origin === "string"
                ? `expected at most ${issue.maximum} characters`
                : `expected ${issue.inclusive === false ? "<" : "<="} ${issue.maximum}`;
        default:
            return undefined;
    }
}

/** The strict object shape at a path of the schema, to list the keys an object accepts. */
export function shapeAt(path: readonly PropertyKey[]): Record<string, unknown> {
    let schema: z.core.$ZodType = settingsSchema;
    for (const segment of path) {
        schema = unwrap(schema);
        const def = schema._zod.def as {
            type: string;
            shape?: Record<string, z.core.$ZodType>;
            element?: z.core.$ZodType;
        };
        if (def.type === "object" && def.shape) schema = def.shape[String(segment)];
        else if (def.type === "array" && def.element) schema = def.element;
    }
    const def = unwrap(schema)._zod.def as { shape?: Record<string, unknown> };
    return def.shape ?? {};
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
    let s = schema;
    for (;;) {
        const def = s._zod.def as { type: string; innerType?: z.core.$ZodType };
        if (def.innerType && (def.type === "optional" || def.type === "default" || def.type === "pipe"))
            s = def.innerType;
        else return s;
    }
}

/** `llm-platform:gpuNodePools[0].maxSize` from `["gpuNodePools", 0, "maxSize"]`. */
export function configKey(path: readonly PropertyKey[]): string {
    let key = CONFIG_NAMESPACE;
    path.forEach((segment, i) => {
        if (typeof segment === "number") key += `[${segment}]`;
        else key += i === 0 ? `:${String(segment)}` : `.${String(segment)}`;
    });
    return key;
}

/** A value as people read it in an error: strings quoted, structures as compact JSON. */
export function formatValue(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The known key nearest to a typo, when it is close enough to be a likely meaning. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const c of candidates) {
        const d = editDistance(word.toLowerCase(), c.toLowerCase());
        if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) {
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        prev = cur;
    }
    return prev[b.length];
}
