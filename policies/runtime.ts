/**
 * How the pack process runs, apart from its policies.
 *
 * The SDK turns a request's properties from protobuf into JavaScript once per policy (and, in
 * AnalyzeStack, once per stack policy for every resource), and most of our policies apply to a few
 * types only, so each resource was decoded some twenty times: a third of the pack's time. The
 * decoded request is never changed, and the SDK copies the plain value before a policy sees it
 * (deserializeProperties builds new objects and arrays throughout), so the plain value of one
 * `Struct` can be computed once and reused. (The one caller that changes the value, Configure,
 * decodes each of its Structs once.) Nothing else about the SDK's behaviour changes; if the
 * SDK ever loads another copy of google-protobuf, this simply has no effect.
 */
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

const MEMOIZED = Symbol.for("llm-platform.memoizedStructDecoding");

interface Decodable {
    toJavaScript(): unknown;
}

/** Makes `toJavaScript` of `target` (google-protobuf's Struct) decode each instance once. */
export function memoizeStructDecoding(target: Decodable = Struct.prototype): void {
    const proto = target as Decodable & { [MEMOIZED]?: true };
    if (proto[MEMOIZED]) return;
    const decoded = new WeakMap<Decodable, unknown>();
    const toJavaScript = proto.toJavaScript;
    proto.toJavaScript = function (this: Decodable) {
        let value = decoded.get(this);
        if (value === undefined) {
            value = toJavaScript.call(this);
            decoded.set(this, value);
        }
        return value;
    };
    proto[MEMOIZED] = true;
}

const SHARED = Symbol.for("llm-platform.sharedDecodedProperties");

interface DeserializeModule {
    deserializeProperties(struct: Decodable, proxySecrets?: boolean): Record<string, unknown>;
}

/**
 * Makes the SDK decode a request's properties once for all the policies it runs, not once per
 * policy: the SDK calls `deserializeProperties(req.getProperties(), false)` for every policy and
 * every resource, and that copy (and its garbage) was the largest share of the pack's time.
 * Every policy then receives the same plain value behind its own unknown-checking proxy. This is
 * safe because no policy of this pack changes the properties it is given (a test checks each one
 * against every resource of the stacks); the secrets-preserving decode (remediations) is left
 * alone.
 */
export function shareDecodedProperties(
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    target: DeserializeModule = require("@pulumi/policy/deserialize") as DeserializeModule,
): void {
    const mod = target as DeserializeModule & { [SHARED]?: true };
    if (mod[SHARED]) return;
    const decoded = new WeakMap<Decodable, Record<string, unknown>>();
    const original = mod.deserializeProperties;
    mod.deserializeProperties = (struct: Decodable, proxySecrets?: boolean) => {
        if (proxySecrets) return original(struct, proxySecrets);
        let value = decoded.get(struct);
        if (value === undefined) {
            value = original(struct, false);
            decoded.set(struct, value);
        }
        return value;
    };
    mod[SHARED] = true;
}
