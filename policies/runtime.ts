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
