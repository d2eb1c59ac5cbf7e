/**
 * A resource's recorded properties as the Pulumi engine hands them to a policy pack. The engine
 * reads state into property values and marshals them for the analyzer with
 * `MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true}` and without
 * `KeepResources` or `KeepOutputValues` (pulumi v3.248.0, pkg/resource/plugin/analyzer_plugin.go;
 * sdk/go/common/resource/plugin/rpc.go, `MarshalPropertyValue`), so a policy receives:
 *
 * - a secret as `{sig: secret, value}` (the SDK unwraps it);
 * - a resource reference as the referenced resource's id, or its URN when it has none (a
 *   component);
 * - an output value as its element (wrapped as a secret when secret), or unknown when not known;
 * - assets and archives with their signatures (the SDK reads them);
 * - no top-level keys starting with `__` (`__defaults`, `__meta`).
 *
 * A secret recorded only as ciphertext cannot be decrypted here; the engine would send the
 * plaintext. It is sent as an unknown value, so a policy that reads it stops and says so rather
 * than judging a placeholder, and its path is returned so that the message can say why.
 */
import {
    OUTPUT_VALUE_SIG_VALUE,
    RESOURCE_REF_SIG_VALUE,
    SECRET_SIG,
    SECRET_SIG_VALUE,
    UNKNOWN_VALUE,
} from "../engine/stackExport";

type Obj = Record<string, unknown>;

const ASSET_SIG_VALUE = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG_VALUE = "0def7320c3a5731c473e5ecbe6d01bc7";

/** A special value the engine does not know (a newer CLI's, or a damaged document). */
export class UnknownSignatureError extends Error {
    constructor(
        readonly signature: unknown,
        readonly path: string,
    ) {
        super(
            `the value at .${path} has the special-value signature ${JSON.stringify(signature)}, which Pulumi does not define`,
        );
        this.name = "UnknownSignatureError";
    }
}

export interface AnalyzerProperties {
    properties: Obj;
    /** Paths (`a.b.0.c`, as the policy SDK names them) of secrets whose value the document does not hold. */
    hiddenSecrets: string[];
}

/** A secret's `plaintext` is the value as JSON (pkg/resource/stack); a bare string is taken as is. */
function plaintextOf(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}

function decode(value: unknown, path: string, hidden: string[]): unknown {
    if (Array.isArray(value)) return value.map((e, i) => decode(e, path ? `${path}.${i}` : String(i), hidden));
    if (typeof value !== "object" || value === null) return value;
    const obj = value as Obj;
    const sig = obj[SECRET_SIG];
    if (sig !== undefined) {
        switch (sig) {
            case SECRET_SIG_VALUE: {
                if (typeof obj.plaintext === "string")
                    return { [SECRET_SIG]: SECRET_SIG_VALUE, value: decode(plaintextOf(obj.plaintext), path, hidden) };
                if ("value" in obj) return { [SECRET_SIG]: SECRET_SIG_VALUE, value: decode(obj.value, path, hidden) };
                hidden.push(path);
                return { [SECRET_SIG]: SECRET_SIG_VALUE, value: UNKNOWN_VALUE };
            }
            case RESOURCE_REF_SIG_VALUE:
                return "id" in obj && obj.id !== null && obj.id !== undefined ? decode(obj.id, path, hidden) : obj.urn;
            case OUTPUT_VALUE_SIG_VALUE: {
                const element = "value" in obj ? decode(obj.value, path, hidden) : UNKNOWN_VALUE;
                return obj.secret === true ? { [SECRET_SIG]: SECRET_SIG_VALUE, value: element } : element;
            }
            case ASSET_SIG_VALUE:
            case ARCHIVE_SIG_VALUE:
                return obj;
            default:
                throw new UnknownSignatureError(sig, path);
        }
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decode(v, path ? `${path}.${k}` : k, hidden)]));
}

/** `props` (a resource's recorded inputs or outputs) as the engine marshals them for a policy pack. */
export function analyzerProperties(props: Obj | undefined): AnalyzerProperties {
    const hiddenSecrets: string[] = [];
    const properties: Obj = {};
    for (const [key, value] of Object.entries(props ?? {})) {
        if (key.startsWith("__")) continue;
        properties[key] = decode(value, key, hiddenSecrets);
    }
    return { properties, hiddenSecrets };
}

const CANT_KNOW =
    /^(can't run policy '[^']+' from policy pack '[^']+') during preview: \w+ value at \.(\S+) can't be known during preview$/;

/**
 * The SDK's "can't be known during preview" message, said truly when the value it could not read
 * is a secret the document does not hold: `hidden` are the secrets' paths.
 */
export function explainHiddenSecret(message: string, hidden: readonly string[]): string {
    const m = CANT_KNOW.exec(message);
    if (!m) return message;
    const at = m[2];
    const secret = hidden.find((h) => at === h || at.startsWith(`${h}.`));
    return secret === undefined
        ? message
        : `${m[1]}: the value at .${at} is a secret this document holds only encrypted (export the stack with --show-secrets to check it)`;
}
