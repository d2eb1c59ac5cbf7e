/**
 * Reads a Pulumi project the way the Pulumi CLI (v3.248) does: the project file (its runtime
 * options, `main`, and config declarations, validated as `Project.Validate` does), and the stack
 * file's config merged with the project's declarations and validated as
 * `ValidateStackConfigAndApplyProjectConfig` does — a project-namespaced key declared without a
 * default is required, typed keys must hold their type — so that a stack the CLI refuses is
 * refused here too, with the CLI's own words. Secure values become a marker of their ciphertext
 * and are listed as secret keys; they are never decrypted or printed. Sources: docs/UPSTREAM.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { load as parseYaml } from "js-yaml";
import { withheldSecret } from "../../environments/configErrors";
import { UsageError } from "../errors";

/** A config declaration of Pulumi.yaml (after the CLI's shorthand rewrite). */
export interface ConfigDeclaration {
    readonly type?: "string" | "integer" | "boolean" | "array" | "object";
    readonly items?: ConfigItems;
    readonly description?: string;
    readonly default?: unknown;
    readonly value?: unknown;
    readonly secret?: boolean;
}

export interface ConfigItems {
    readonly type: string;
    readonly items?: ConfigItems;
}

/** The Node.js runtime options the language host reads (`runtime.options` of Pulumi.yaml). */
export interface RuntimeOptions {
    /** The language host registers ts-node when true (its default). */
    readonly typescript: boolean;
    /** Extra arguments for `node`, split as a shell would (`nodeargs`). */
    readonly nodeargs: string;
    /** `tsconfig`: the file ts-node reads. */
    readonly tsconfig?: string;
}

export interface ProjectFile {
    readonly name: string;
    /** The folder holding Pulumi.yaml: the project root. */
    readonly root: string;
    /** Absolute path of the program entry point (`main`, or the root when unset). */
    readonly main: string;
    readonly runtime: RuntimeOptions;
    /** Project-level config declarations, keyed as written. */
    readonly config: Readonly<Record<string, ConfigDeclaration>>;
}

export interface StackConfig {
    /** Full key (`namespace:name`) to the string the program sees. */
    readonly values: Readonly<Record<string, string>>;
    /** Full keys whose value is secret. */
    readonly secretKeys: readonly string[];
    /** ESC environments the stack file imports (not resolved offline). */
    readonly environments: readonly string[];
}

function readYaml(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
        return parseYaml(text);
    } catch (e) {
        throw new UsageError(`${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

const CONFIG_TYPES = new Set(["string", "integer", "boolean", "array", "object"]);
const DECLARATION_FIELDS = new Set(["type", "items", "description", "secret", "default", "value"]);

/** The CLI's `isPrimitiveValue`: YAML strings, integers and booleans. */
function isPrimitive(v: unknown): boolean {
    return typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isInteger(v));
}

function namespacedByProject(project: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(`${project}:`);
}

/**
 * The project's config declarations as the CLI sees them: shorthand values rewritten
 * (`RewriteShorthandConfigValues`) and each declaration checked (the project schema and
 * `Project.Validate`), with the CLI's messages.
 */
function readDeclarations(file: string, project: string, raw: unknown): Record<string, ConfigDeclaration> {
    if (raw === undefined || raw === null) return {};
    if (!isObject(raw)) throw new UsageError(`${file}: "config" must be a mapping of keys to declarations`);
    const out: Record<string, ConfigDeclaration> = {};
    for (const [key, value] of Object.entries(raw)) {
        if (isPrimitive(value) || Array.isArray(value)) {
            out[key] = namespacedByProject(project, key) ? { default: value } : { value };
            continue;
        }
        if (!isObject(value))
            throw new UsageError(`${file}: config.${key} must be a value or a declaration {type, default, ...}`);
        const unknown = Object.keys(value).filter((k) => !DECLARATION_FIELDS.has(k));
        if (unknown.length > 0)
            throw new UsageError(
                `${file}: config.${key}: unknown attribute ${unknown.map((k) => `'${k}'`).join(", ")}; a declaration has type, items, description, secret, default and value`,
            );
        if (value.type !== undefined && !CONFIG_TYPES.has(String(value.type)))
            throw new UsageError(
                `${file}: config.${key}: type must be one of string, integer, boolean, array, object; received ${JSON.stringify(value.type)}`,
            );
        out[key] = value as ConfigDeclaration;
    }
    for (const [key, decl] of Object.entries(out)) {
        if (decl.default !== undefined && decl.value !== undefined)
            throw new UsageError(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
        if (namespacedByProject(project, key)) {
            if (decl.type === "array" && decl.items === undefined)
                throw new UsageError(
                    `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
                );
            if (decl.type !== undefined && decl.default !== undefined && !matchesType(decl, decl.default))
                throw new UsageError(
                    `The default value specified for configuration key '${key}' is not of the expected type '${typeName(decl.type, decl.items)}'`,
                );
        } else {
            if (decl.type !== undefined)
                throw new UsageError(
                    `Configuration key '${key}' is not namespaced by the project and should not define a type`,
                );
            if (decl.default !== undefined)
                throw new UsageError(
                    `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
                );
            if (decl.value === undefined)
                throw new UsageError(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
        }
    }
    return out;
}

function readRuntime(file: string, raw: unknown): RuntimeOptions {
    const name = isObject(raw) ? raw.name : raw;
    if (name !== "nodejs")
        throw new UsageError(
            `${file}: runtime must be nodejs (the offline engine runs Node.js programs), received ${JSON.stringify(name)}`,
        );
    const options = isObject(raw) && isObject(raw.options) ? raw.options : {};
    if (options.typescript !== undefined && typeof options.typescript !== "boolean")
        throw new UsageError(`${file}: runtime.options.typescript: typescript option must be a boolean`);
    if (options.nodeargs !== undefined && typeof options.nodeargs !== "string")
        throw new UsageError(`${file}: runtime.options.nodeargs: nodeargs option must be a string`);
    if (options.tsconfig !== undefined && typeof options.tsconfig !== "string")
        throw new UsageError(`${file}: runtime.options.tsconfig: tsconfigpath option must be a string`);
    return {
        typescript: options.typescript ?? true,
        nodeargs: options.nodeargs ?? "",
        ...(options.tsconfig !== undefined ? { tsconfig: options.tsconfig } : {}),
    };
}

export function readProject(projectDir: string): ProjectFile {
    const file = path.join(projectDir, "Pulumi.yaml");
    const doc = readYaml(file);
    if (!isObject(doc) || typeof doc.name !== "string") {
        throw new UsageError(`${file}: expected a mapping with a string "name"`);
    }
    const root = path.resolve(projectDir);
    const main = typeof doc.main === "string" && doc.main !== "" ? path.resolve(root, doc.main) : root;
    return {
        name: doc.name,
        root,
        main,
        runtime: readRuntime(file, doc.runtime),
        config: readDeclarations(file, doc.name, doc.config),
    };
}

/**
 * Where the language host runs the program (`getPwdMain` of the CLI's engine): a `main` that is
 * a file runs in its folder with its base name as the entry point; a folder runs in itself
 * with the entry point ".". Providers are started in the same folder.
 */
export function programLocation(project: ProjectFile): { pwd: string; entryPoint: string } {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(project.main);
    } catch (e) {
        throw new UsageError(
            `project 'main' could not be read: ${project.main}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
    }
    return stat.isDirectory()
        ? { pwd: project.main, entryPoint: "." }
        : { pwd: path.dirname(project.main), entryPoint: path.basename(project.main) };
}

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
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = fs
            .readdirSync(projectDir)
            .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
            .filter((s): s is string => s !== undefined)
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

function typeName(type: string, items: ConfigItems | undefined): string {
    return items ? `array<${typeName(items.type, items.items)}>` : type;
}

/** The CLI's `ValidateConfigValue`. */
function matchesType(decl: { type?: string; items?: ConfigItems }, value: unknown): boolean {
    switch (decl.type) {
        case "string":
            return typeof value === "string";
        case "integer":
            return (
                (typeof value === "number" && Number.isInteger(value)) ||
                (typeof value === "string" && /^[+-]?\d+$/.test(value))
            );
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "object":
            return isObject(value);
        default:
            return Array.isArray(value) && decl.items !== undefined && value.every((v) => matchesType(decl.items!, v));
    }
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
