/**
 * Reads a stack file the way the Pulumi CLI (v3.248) does: its config merged with the project's
 * declarations and validated as `ValidateStackConfigAndApplyProjectConfig` does — a
 * project-namespaced key declared without a default is required, typed keys must hold their type —
 * so that a stack the CLI refuses is refused here too, with the CLI's own words. Secure values
 * become a marker of their ciphertext and are listed as secret keys; they are never decrypted or
 * printed. Sources: docs/UPSTREAM.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { withheldSecret } from "../../catalog/configErrors";
import { UsageError } from "../errors";
import { isObject, isPrimitive, matchesType, readYaml, typeName, type ProjectFile, type StackConfig } from "./project";

/** Stack names Pulumi accepts: letters, digits, `-`, `_` and `.`. */
const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** A config value as the CLI holds it: the string the program sees, and whether it is an object or secure. */
interface StackValue {
    readonly text: string;
    /** Maps, lists and nulls are "object" values (JSON text); scalars are plain strings. */
    readonly object: boolean;
    readonly secure: boolean;
}

/**
 * Reads `Pulumi.<stack>.yaml`, merges the project's declarations under it and validates the
 * result as the CLI does before it runs anything. `overrides` (full keys, as `pulumi config set`
 * would set them) apply after the stack file.
 */
export function readStackConfig(
    projectDir: string,
    project: ProjectFile,
    stack: string,
    overrides: Readonly<Record<string, string>> = {},
): StackConfig {
    if (!STACK_NAME.test(stack)) {
        throw new UsageError(`invalid stack name "${stack}": use letters, digits, "-", "_" and "." only`);
    }
    // Pulumi.<stack><the project file's extension>, in stackConfigDir (ProjectStackPath in
    // sdk/go/common/workspace/paths.go).
    const ext = path.extname(project.file);
    const dir = path.resolve(projectDir, path.relative(project.root, project.stackConfigDir));
    const file = path.join(dir, `Pulumi.${stack}${ext}`);
    if (!fs.existsSync(file)) {
        const known = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
            .map((f) => (f.startsWith("Pulumi.") && f.endsWith(ext) ? f.slice(7, -ext.length) : undefined))
            .filter((s): s is string => s !== undefined && s !== "")
            .sort();
        throw new UsageError(
            `unknown stack "${stack}": no ${path.basename(file)}; known stacks: ${known.join(", ") || "none"}`,
        );
    }
    const doc = readYaml(file) ?? {};
    if (!isObject(doc)) throw new UsageError(`${file}: expected a mapping at the top level`);
    const rawConfig = doc.config ?? {};
    if (!isObject(rawConfig)) throw new UsageError(`${file}: "config" must be a mapping of keys to values`);

    const fullKey = (k: string): string => (k.includes(":") ? k : `${project.name}:${k}`);
    const stackValues = new Map<string, StackValue>();
    for (const [key, value] of Object.entries(rawConfig)) {
        // The CLI gives a key without a namespace the project's (stackConfigNamespacedWithProject
        // in workspace/loaders.go): beside its namespaced twin, one would silently replace the other.
        const twin = Object.keys(rawConfig).find((k) => k !== key && fullKey(k) === fullKey(key));
        if (twin !== undefined && !key.includes(":"))
            throw new UsageError(
                `${file}: config keys "${key}" and "${twin}" are the same key (a key without a namespace takes the project's, ${project.name}); keep one`,
            );
        const { text, secret } = redactSecure(value);
        const object = text === null || typeof text === "object";
        stackValues.set(fullKey(key), { text: object ? JSON.stringify(text) : String(text), object, secure: secret });
    }
    for (const [key, value] of Object.entries(overrides)) {
        stackValues.set(key, { text: value, object: isJsonStructure(value), secure: false });
    }

    const env = doc.environment;
    const environments = Array.isArray(env)
        ? env.map(String)
        : isObject(env) && Array.isArray(env.imports)
          ? env.imports.map(String)
          : [];
    mergeProjectConfig(stack, project, stackValues, environments);

    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of [...stackValues].sort(([a], [b]) => a.localeCompare(b, "en"))) {
        values[key] = value.text;
        if (value.secure) secretKeys.push(key);
    }
    return { values, secretKeys, environments };
}

/**
 * The CLI's `mergeConfig` and `validateStackConfigValues`: declared values and defaults fill in
 * what the stack leaves out; a project-namespaced key with neither is required; typed keys are
 * checked. Throws the CLI's message (prefixed as `pulumi preview` prints it).
 */
function mergeProjectConfig(
    stack: string,
    project: ProjectFile,
    stackValues: Map<string, StackValue>,
    environments: readonly string[],
): void {
    const keys = Object.keys(project.config).sort();
    const missing: string[] = [];
    for (const key of keys) {
        const decl = project.config[key];
        const full = key.includes(":") ? key : `${project.name}:${key}`;
        if (stackValues.has(full)) continue;
        const declared = decl.default !== undefined ? decl.default : decl.value;
        if (declared === undefined) {
            if (full.split(":")[0] === project.name) missing.push(key);
            continue;
        }
        stackValues.set(
            full,
            isPrimitive(declared)
                ? { text: String(declared), object: false, secure: false }
                : { text: JSON.stringify(declared), object: true, secure: false },
        );
    }
    if (missing.length > 0) {
        const hint =
            environments.length > 0
                ? ` (the stack imports ESC environments ${environments.join(", ")}, which cannot be opened offline: set the keys in Pulumi.${stack}.yaml to plan it here)`
                : ` (set ${missing.length === 1 ? "it" : "them"} in Pulumi.${stack}.yaml or with \`pulumi config set\`)`;
        throw new UsageError(`validating stack config: ${missingKeysMessage(stack, missing)}${hint}`);
    }
    for (const key of keys) {
        const decl = project.config[key];
        if (decl.type === undefined) continue;
        const value = stackValues.get(key.includes(":") ? key : `${project.name}:${key}`);
        if (value === undefined) continue;
        if (decl.secret && !value.secure)
            throw new UsageError(
                `validating stack config: Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`,
            );
        // Secure values are not decrypted offline, so their type cannot be checked here.
        if (value.secure) continue;
        const content: unknown = value.object ? JSON.parse(value.text) : value.text;
        if (!matchesType(decl, content))
            throw new UsageError(
                `validating stack config: Stack '${stack}' with configuration key '${key}' must be of type '${typeName(decl.type, decl.items)}'`,
            );
    }
}

/** `Stack 'dev' is missing configuration values 'a', 'b' and 'c'`, as the CLI words it. */
export function missingKeysMessage(stack: string, keys: readonly string[]): string {
    const sorted = keys.length === 1 ? [...keys] : [...keys].sort();
    const quoted = sorted.map((k) => `'${k}'`);
    const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
    return `Stack '${stack}' is missing configuration ${keys.length === 1 ? "value" : "values"} ${list}`;
}

function isJsonStructure(text: string): boolean {
    try {
        const v: unknown = JSON.parse(text);
        return typeof v === "object";
    } catch {
        return false;
    }
}

/** Replaces every `{secure: ...}` node with its {@link withheldSecret} marker; reports whether it found one. */
function redactSecure(value: unknown): { text: unknown; secret: boolean } {
    if (isObject(value)) {
        if (Object.keys(value).length === 1 && typeof value.secure === "string")
            return { text: withheldSecret(value.secure), secret: true };
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const r = redactSecure(v);
            out[k] = r.text;
            secret ||= r.secret;
        }
        return { text: out, secret };
    }
    if (Array.isArray(value)) {
        const items = value.map(redactSecure);
        return { text: items.map((i) => i.text), secret: items.some((i) => i.secret) };
    }
    return { text: value ?? null, secret: false };
}
