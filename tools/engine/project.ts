/**
 * Reads a Pulumi project the way the Pulumi CLI does: the project file, and the stack file's
 * config turned into the flat `namespace:key -> string` map a program receives. Secure values
 * become a placeholder and are listed as secret keys; they are never decrypted or printed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { load as parseYaml } from "js-yaml";

/** Bad project or stack files, CLI arguments or configuration: the commands exit 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** What a secure config value becomes offline. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface ProjectFile {
    readonly name: string;
    /** Absolute path of the program entry point. */
    readonly main: string;
    /** Project-level config: declared defaults and plain values. */
    readonly config: Readonly<Record<string, unknown>>;
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

export function readProject(projectDir: string): ProjectFile {
    const file = path.join(projectDir, "Pulumi.yaml");
    const doc = readYaml(file);
    if (!isObject(doc) || typeof doc.name !== "string") {
        throw new UsageError(`${file}: expected a mapping with a string "name"`);
    }
    const main = path.resolve(projectDir, typeof doc.main === "string" ? doc.main : "index.ts");
    const config = isObject(doc.config) ? doc.config : {};
    return { name: doc.name, main, config };
}

/** Stack names Pulumi accepts: letters, digits, `-`, `_` and `.`. */
const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** Reads `Pulumi.<stack>.yaml` and merges the project's declared defaults under it. */
export function readStackConfig(projectDir: string, project: ProjectFile, stack: string): StackConfig {
    if (!STACK_NAME.test(stack)) {
        throw new UsageError(`invalid stack name "${stack}": use letters, digits, "-", "_" and "." only`);
    }
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = fs
            .readdirSync(projectDir)
            .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
            .filter((s): s is string => s !== undefined);
        throw new UsageError(
            `unknown stack "${stack}": no ${path.basename(file)}; known stacks: ${known.join(", ") || "none"}`,
        );
    }
    const doc = readYaml(file) ?? {};
    if (!isObject(doc)) throw new UsageError(`${file}: expected a mapping at the top level`);
    const rawConfig = doc.config ?? {};
    if (!isObject(rawConfig)) throw new UsageError(`${file}: "config" must be a mapping of keys to values`);

    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    const fullKey = (k: string): string => (k.includes(":") ? k : `${project.name}:${k}`);

    for (const [key, declared] of Object.entries(project.config)) {
        // Declared config: `{type, default, ...}` schemas apply their default; plain values and `{value}` apply as is.
        const value = isObject(declared) ? ("value" in declared ? declared.value : declared.default) : declared;
        if (value !== undefined) values[fullKey(key)] = toConfigString(value);
    }
    for (const [key, value] of Object.entries(rawConfig)) {
        const k = fullKey(key);
        const { text, secret } = redactSecure(value);
        values[k] = toConfigString(text);
        if (secret) secretKeys.push(k);
    }
    const env = doc.environment;
    const environments = Array.isArray(env)
        ? env.map(String)
        : isObject(env) && Array.isArray(env.imports)
          ? env.imports.map(String)
          : [];
    return { values, secretKeys, environments };
}

/** Replaces every `{secure: ...}` node with the placeholder; reports whether it found one. */
function redactSecure(value: unknown): { text: unknown; secret: boolean } {
    if (isObject(value)) {
        if (Object.keys(value).length === 1 && typeof value.secure === "string")
            return { text: SECRET_PLACEHOLDER, secret: true };
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
    return { text: value, secret: false };
}

/** Pulumi hands strings through and serializes everything else as JSON. */
function toConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}
