/**
 * Reads a Pulumi project the way the Pulumi CLI (v3.248) does: the project file (its runtime
 * options, `main`, and config declarations, validated as `Project.Validate` does). The stack
 * file is read by ./stackConfig. Sources: docs/UPSTREAM.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readYamlFile } from "./yamlFile";
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
    /** The folder holding the project file: the project root. */
    readonly root: string;
    /** The project file: `Pulumi.json`, `Pulumi.yaml` or `Pulumi.yml`. */
    readonly file: string;
    /** Where the stack files are (`stackConfigDir`, resolved): the root when unset. */
    readonly stackConfigDir: string;
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

/** A project or stack file, read as the CLI reads it (./yamlFile). */
export function readYaml(file: string): unknown {
    return readYamlFile(file);
}

export function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

const CONFIG_TYPES = new Set(["string", "integer", "boolean", "array", "object"]);
const DECLARATION_FIELDS = new Set(["type", "items", "description", "secret", "default", "value"]);

/** The CLI's `isPrimitiveValue`: YAML strings, integers and booleans. */
export function isPrimitive(v: unknown): boolean {
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

/**
 * The project file's extensions, in the order the CLI tries them (`encoding.Exts`, read by
 * `findProjectInDir` in sdk/go/common/workspace/paths.go).
 */
export const PROJECT_FILE_EXTENSIONS = [".json", ".yaml", ".yml"] as const;

/** The project file in `dir` (`Pulumi.json`, `.yaml` or `.yml`, the first found), or undefined. */
export function findProjectFile(dir: string): string | undefined {
    return PROJECT_FILE_EXTENSIONS.map((ext) => path.join(dir, `Pulumi${ext}`)).find((f) => fs.existsSync(f));
}

export function readProject(projectDir: string): ProjectFile {
    const file = findProjectFile(projectDir) ?? path.join(projectDir, "Pulumi.yaml");
    const doc = readYaml(file);
    if (!isObject(doc) || typeof doc.name !== "string") {
        throw new UsageError(`${file}: expected a mapping with a string "name"`);
    }
    if (doc.stackConfigDir !== undefined && typeof doc.stackConfigDir !== "string") {
        throw new UsageError(`${file}: "stackConfigDir" must be a string (a folder relative to the project)`);
    }
    const root = path.resolve(projectDir);
    const main = typeof doc.main === "string" && doc.main !== "" ? path.resolve(root, doc.main) : root;
    return {
        name: doc.name,
        root,
        file,
        stackConfigDir: path.resolve(root, doc.stackConfigDir ?? ""),
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

export function typeName(type: string, items: ConfigItems | undefined): string {
    return items ? `array<${typeName(items.type, items.items)}>` : type;
}

/** The CLI's `ValidateConfigValue`. */
export function matchesType(decl: { type?: string; items?: ConfigItems }, value: unknown): boolean {
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
