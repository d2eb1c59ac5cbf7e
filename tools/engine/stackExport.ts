/**
 * The `pulumi stack export` document (deployment version 3) that the offline engine writes and
 * that the diff and policy commands read, whether it came from the engine or a real stack.
 */

/** Pulumi's marker for a secret value in serialized state. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
/** Pulumi's marker for a resource reference. */
export const RESOURCE_REF_SIG_VALUE = "5cf8f73096256a8f31e491e813e4eb8e";
/** Pulumi's marker for a value unknown during preview. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** One resource of a deployment, with the fields `pulumi stack export` writes (empty ones left out). */
export interface ExportedResource {
    urn: string;
    custom: boolean;
    id?: string;
    type: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    parent?: string;
    protect?: boolean;
    retainOnDelete?: boolean;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    provider?: string;
    ignoreChanges?: string[];
    /** Seconds, as the engine records `customTimeouts` (`create`, `update`, `delete`). */
    customTimeouts?: { create?: number; update?: number; delete?: number };
    replaceOnChanges?: string[];
    additionalSecretOutputs?: string[];
    deleteBeforeReplace?: boolean;
    aliases?: string[];
    /** Where the program created it: `project:///<file>#<line>,<column>`. */
    sourcePosition?: string;
}

export interface StackExport {
    version: 3;
    deployment: {
        manifest: { time: string; magic: string; version: string };
        resources: ExportedResource[];
    };
}

/** A secret in exported state: the ciphertext never holds the plaintext here. */
export function secretValue(): Record<string, string> {
    return { [SECRET_SIG]: SECRET_SIG_VALUE, ciphertext: "[secret]" };
}

export function isSecret(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_SIG_VALUE;
}

/**
 * Reads a stack export document, checking its shape; `source` names it in errors. Throws an
 * Error whose message says what is wrong.
 */
export function parseStackExport(text: string, source: string): StackExport {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new Error(`${source} is not JSON: ${(e as Error).message}`);
    }
    const d = doc as { version?: unknown; deployment?: { resources?: unknown } };
    if (
        typeof d !== "object" ||
        d === null ||
        d.version !== 3 ||
        typeof d.deployment !== "object" ||
        d.deployment === null
    ) {
        throw new Error(
            `${source} is not a stack export: expected {"version": 3, "deployment": {...}} as written by \`pulumi stack export\` or \`npm run plan -- --json\``,
        );
    }
    const resources = d.deployment.resources ?? [];
    if (!Array.isArray(resources)) throw new Error(`${source}: deployment.resources must be an array`);
    resources.forEach((r: unknown, i) => {
        const res = r as Partial<ExportedResource>;
        if (typeof res !== "object" || res === null || typeof res.urn !== "string" || typeof res.type !== "string") {
            throw new Error(`${source}: deployment.resources[${i}] needs a string "urn" and "type"`);
        }
    });
    return {
        version: 3,
        deployment: { ...(d.deployment as StackExport["deployment"]), resources: resources as ExportedResource[] },
    };
}

/** The logical name at the end of a URN. */
export function urnName(urn: string): string {
    return urn.split("::").slice(3).join("::");
}

/** How Pulumi displays a type token: `aws:s3/bucket:Bucket` as `aws:s3:Bucket`, `kubernetes:apps/v1:Deployment` as is. */
export function displayType(type: string): string {
    // Pulumi drops the module's last part when it only repeats the type name (s3/bucket:Bucket),
    // and keeps it otherwise (apps/v1:Deployment).
    const m = /^([^:]+):([^/:]+)\/([^:]+):(.+)$/.exec(type);
    return m && m[3] === m[4].charAt(0).toLowerCase() + m[4].slice(1) ? `${m[1]}:${m[2]}:${m[4]}` : type;
}
