/**
 * Property-level differences between two input bags, secrets compared by what can be known of them
 * (plaintext, the offline engine's fingerprint, or nothing for two ciphertexts).
 */
import { isSecret, type ExportedResource } from "../engine/stackExport";
import type { PropertyChange } from "./diff";

function mask(v: unknown): unknown {
    return isSecret(v) ? "[secret]" : v;
}

/**
 * What a document lets us know of a secret: its value (`plaintext`, written by
 * `pulumi stack export --show-secrets`, or `value`), the offline engine's `fingerprint` of it, or
 * nothing when it holds only ciphertext.
 */
function secretContent(
    v: Record<string, unknown>,
): { known: true; value: unknown } | { known: false; fingerprint?: string } {
    if (typeof v.fingerprint === "string" && !("plaintext" in v) && !("value" in v))
        return { known: false, fingerprint: v.fingerprint };
    if (typeof v.plaintext === "string") {
        try {
            return { known: true, value: JSON.parse(v.plaintext) as unknown };
        } catch {
            return { known: true, value: v.plaintext };
        }
    }
    if ("value" in v) return { known: true, value: v.value };
    return { known: false };
}

/** A resource's inputs without Pulumi's internal keys (`__defaults`, `__meta`), which are not properties. */
export function propertiesOf(r: ExportedResource): Record<string, unknown> {
    return Object.fromEntries(Object.entries(r.inputs ?? {}).filter(([k]) => !k.startsWith("__")));
}

/** Secret paths whose change cannot be known, collected by {@link diffProperties}. */
export type UnknowableSink = (path: string) => void;

/**
 * Property-level differences between two input bags, as `a.b[0].c` paths. A secret is
 * changed when what can be known of it changed: its plaintext when both sides hold it, the offline
 * engine's fingerprint when both sides have one, its secretness; two different ciphertexts are
 * reported to `unknowable` instead (the same value encrypted twice has two ciphertexts).
 */
export function diffProperties(
    oldValue: unknown,
    newValue: unknown,
    path = "",
    unknowable: UnknowableSink = () => undefined,
): PropertyChange[] {
    if (isSecret(oldValue) && isSecret(newValue)) {
        const [o, n] = [
            secretContent(oldValue as Record<string, unknown>),
            secretContent(newValue as Record<string, unknown>),
        ];
        const changed: PropertyChange[] = [{ path, old: "[secret]", new: "[secret]", secret: true }];
        if (o.known && n.known) return JSON.stringify(o.value) === JSON.stringify(n.value) ? [] : changed;
        if (!o.known && !n.known && o.fingerprint !== undefined && n.fingerprint !== undefined)
            return o.fingerprint === n.fingerprint ? [] : changed;
        if (JSON.stringify(oldValue) !== JSON.stringify(newValue)) unknowable(path);
        return [];
    }
    if (isSecret(oldValue) || isSecret(newValue)) {
        return [{ path, old: mask(oldValue), new: mask(newValue) }];
    }

    const bothObjects = (a: unknown, b: unknown): boolean =>
        typeof a === "object" &&
        a !== null &&
        typeof b === "object" &&
        b !== null &&
        Array.isArray(a) === Array.isArray(b);
    if (bothObjects(oldValue, newValue)) {
        const changes: PropertyChange[] = [];
        if (Array.isArray(oldValue) && Array.isArray(newValue)) {
            for (let i = 0; i < Math.max(oldValue.length, newValue.length); i++) {
                changes.push(...diffProperties(oldValue[i], newValue[i], `${path}[${i}]`, unknowable));
            }
            return changes;
        }
        const o = oldValue as Record<string, unknown>;
        const n = newValue as Record<string, unknown>;
        const keys = [...new Set([...Object.keys(o), ...Object.keys(n)])].sort();
        for (const k of keys) {
            const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
            changes.push(...diffProperties(o[k], n[k], path ? `${path}.${key}` : key, unknowable));
        }
        return changes;
    }
    const [oldJson, newJson] = [parseJsonText(oldValue), parseJsonText(newValue)];
    if (oldJson !== undefined && newJson !== undefined) {
        // Policies and other documents held as JSON strings: report the paths inside them.
        return diffProperties(oldJson, newJson, `${path}(json)`, unknowable);
    }
    return JSON.stringify(oldValue) === JSON.stringify(newValue)
        ? []
        : [{ path, old: mask(oldValue), new: mask(newValue) }];
}

/** The object or array a string holds as JSON, if it holds one. */
function parseJsonText(value: unknown): object | undefined {
    if (typeof value !== "string" || !/^\s*[[{]/.test(value)) return undefined;
    try {
        const parsed: unknown = JSON.parse(value);
        return typeof parsed === "object" && parsed !== null ? parsed : undefined;
    } catch {
        return undefined;
    }
}
