/**
 * Values on the Pulumi wire, as the engine treats them: secrets (the signature object), unknowns,
 * resource references, and the conversion between wire values, plain values and protobuf Structs.
 */
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { RESOURCE_REF_SIG_VALUE, SECRET_SIG, SECRET_SIG_VALUE, secretFingerprint, secretValue } from "./stackExport";

export type State = Record<string, unknown>;

export function isSecretWire(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as State)[SECRET_SIG] === SECRET_SIG_VALUE;
}

export function containsSecrets(v: unknown): boolean {
    if (isSecretWire(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecrets);
    if (typeof v === "object" && v !== null) return Object.values(v as State).some(containsSecrets);
    return false;
}

/**
 * The engine's `annotateSecrets` (pkg/resource/plugin/provider_plugin.go): a provider's outputs
 * take the secretness of the inputs of the same name; where both are objects it recurs, so one
 * secret inside a structure marks only its own branch; otherwise an output whose input contains a
 * secret anywhere (an array, say) becomes secret whole.
 */
export function annotateSecrets(outs: State, ins: State): void {
    for (const [key, inValue] of Object.entries(ins)) {
        if (!(key in outs)) continue;
        const outValue = outs[key];
        const isObject = (v: unknown): v is State =>
            typeof v === "object" && v !== null && !Array.isArray(v) && !isSecretWire(v);
        if (isObject(outValue) && isObject(inValue)) annotateSecrets(outValue, inValue);
        else if (!isSecretWire(outValue) && containsSecrets(inValue))
            outs[key] = { [SECRET_SIG]: SECRET_SIG_VALUE, value: outValue };
    }
}

/** Wire values as a provider sees them: secrets unwrapped. */
export function plain(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(plain);
    if (typeof value === "object" && value !== null) {
        const obj = value as State;
        if (obj[SECRET_SIG] === SECRET_SIG_VALUE) return plain(obj.value);
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}

/** Turns wire-format property values into exported state: secrets as ciphertext, references as URNs. */
export function toState(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(toState);
    if (typeof value === "object" && value !== null) {
        const obj = value as State;
        if (obj[SECRET_SIG] === SECRET_SIG_VALUE) return secretValue(secretFingerprint(plain(obj.value)));
        if (obj[SECRET_SIG] === RESOURCE_REF_SIG_VALUE) return obj.urn;
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toState(v)]));
    }
    return value;
}

/** Struct.fromJavaScript refuses undefined; the wire has no such value. */
export function defined(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : defined(v)));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.entries(value as State)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, defined(v)]),
        );
    }
    return value;
}

export const struct = (value: State): Struct => Struct.fromJavaScript(defined(value) as Record<string, never>);
