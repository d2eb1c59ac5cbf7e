/**
 * The `pulumi stack export` document (deployment version 3) that the offline engine writes and
 * that the diff and policy commands read, whether it came from the engine or a real stack.
 */
import { createHash } from "node:crypto";

/** Pulumi's marker for a secret value in serialized state. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
/** Pulumi's marker for a resource reference. */
export const RESOURCE_REF_SIG_VALUE = "5cf8f73096256a8f31e491e813e4eb8e";
/** Pulumi's marker for a value unknown during preview. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Pulumi's marker for an output value (a value with its secretness, knownness and dependencies). */
export const OUTPUT_VALUE_SIG_VALUE = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/**
 * Deployment features a version 4 export may require: every one the Pulumi CLI v3.248.0 supports
 * (`supportedFeatures` in pkg/resource/stack/deployment.go). None changes how a resource's
 * properties read; a document needing any other is refused, as the CLI refuses it.
 */
export const SUPPORTED_FEATURES = [
    "refreshBeforeUpdate",
    "views",
    "hooks",
    "taint",
    "replaceWith",
    "snippets-prototype",
    "extensionParameterization",
    "byteString",
] as const;

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
    /** The old copy of a replaced resource, awaiting deletion: no longer part of the stack. */
    delete?: boolean;
    /** Read (`get`) rather than managed: Pulumi never deletes it. */
    external?: boolean;
}

/**
 * Where the offline engine hands each resource as it registers: an array collects them; the
 * policy gate starts each one's Analyze call at once. Called before the engine answers the
 * program: keep it quick, and never throw.
 */
export interface ResourceSink {
    push(resource: ExportedResource): unknown;
}

/** An operation the engine had begun when the deployment stopped (`pending_operations`). */
export interface PendingOperation {
    resource?: { urn?: string; type?: string };
    type?: string;
}

export interface StackExport {
    version: 3 | 4;
    /** Version 4: the deployment features the document needs. */
    features?: string[];
    deployment: {
        manifest: { time: string; magic: string; version: string };
        resources: ExportedResource[];
        pending_operations?: PendingOperation[];
    };
}

/** The resources that make up the stack: old copies awaiting deletion are left out, as Pulumi leaves them out. */
export function liveResources(exp: StackExport): ExportedResource[] {
    return exp.deployment.resources.filter((r) => r.delete !== true);
}

/**
 * What the document says was interrupted, one line each (none when nothing was): the engine had
 * begun these operations when the deployment stopped, so the recorded state may not match the
 * cloud until `pulumi refresh` settles it.
 */
export function pendingOperationWarnings(exp: StackExport, source: string): string[] {
    const ops = Array.isArray(exp.deployment.pending_operations) ? exp.deployment.pending_operations : [];
    return ops.map(
        (op: PendingOperation | null) =>
            `${source}: a pending ${op?.type ?? "operation"} of ${op?.resource?.urn ?? "a resource"}: the deployment stopped during it, so its state may not match the cloud (pulumi refresh settles it)`,
    );
}

/**
 * A secret in exported state, as the offline engine writes it: no ciphertext (it holds no key),
 * and a `fingerprint` of what the engine knows of the value, so that two plans tell whether it
 * changed. The engine never has a plaintext to hide: a secure config value reaches it as the
 * marker of its ciphertext (environments/configErrors.ts), and everything else in a secret is
 * built from the repository's code and plain config, which any reader has. A real
 * `pulumi stack export` has no fingerprint; the diff then compares plaintexts or says it cannot
 * know.
 */
export function secretValue(fingerprint?: string): Record<string, string> {
    return { [SECRET_SIG]: SECRET_SIG_VALUE, ciphertext: "[secret]", ...(fingerprint ? { fingerprint } : {}) };
}

/** `sha256:<hex>` of a value's canonical JSON (keys sorted), for {@link secretValue}. */
export function secretFingerprint(value: unknown): string {
    const canonical = (v: unknown): unknown =>
        Array.isArray(v)
            ? v.map(canonical)
            : typeof v === "object" && v !== null
              ? Object.fromEntries(
                    Object.keys(v)
                        .sort()
                        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
                )
              : v;
    const text = `llm-platform offline secret v1\n${JSON.stringify(canonical(value) ?? null)}`;
    return `sha256:${createHash("sha256").update(text).digest("hex")}`;
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
    const d = doc as { version?: unknown; features?: unknown; deployment?: { resources?: unknown } };
    if (
        typeof d !== "object" ||
        d === null ||
        (d.version !== 3 && d.version !== 4) ||
        typeof d.deployment !== "object" ||
        d.deployment === null
    ) {
        if (typeof d === "object" && d !== null && typeof d.version === "number" && d.deployment)
            throw new Error(
                `${source}: deployment version ${d.version} is not one this tool reads (3 and 4, as the Pulumi CLI v3.248.0 writes them)`,
            );
        throw new Error(
            `${source} is not a stack export: expected {"version": 3, "deployment": {...}} as written by \`pulumi stack export\` or \`llm-platform plan --json\``,
        );
    }
    const features = d.version === 4 ? (d.features ?? []) : undefined;
    if (features !== undefined) {
        if (!Array.isArray(features) || features.some((f) => typeof f !== "string"))
            throw new Error(`${source}: "features" must be a list of feature names`);
        const unsupported = (features as string[]).filter(
            (f) => !(SUPPORTED_FEATURES as readonly string[]).includes(f),
        );
        if (unsupported.length > 0)
            throw new Error(
                `${source}: this stack's deployment needs support for the following features: ${unsupported.join(", ")} (this tool reads ${SUPPORTED_FEATURES.join(", ")}, as the Pulumi CLI v3.248.0 does)`,
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
        version: d.version,
        ...(features !== undefined ? { features: features as string[] } : {}),
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
