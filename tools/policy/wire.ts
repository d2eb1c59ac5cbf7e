/**
 * Protobuf wire encoding for the gate's hot path. Building a google-protobuf `Struct` for every
 * resource (a copy of the properties into jspb objects, then a writer pass) and decoding every
 * response's not-applicable list were most of the gate's own time. Here a resource's properties go
 * from the JavaScript value straight to the bytes of a `google.protobuf.Struct`, and a response is
 * scanned for its diagnostics only. The bytes are the standard encoding: the pack (and any
 * protobuf reader) decodes them as it decodes google-protobuf's.
 */
import { AnalyzeDiagnostic } from "@pulumi/pulumi/proto/analyzer_pb";

type Obj = Record<string, unknown>;

const varintSize = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

// Pass one records every length (strings' UTF-8 sizes and nested messages' sizes) in pre-order;
// pass two writes in the same order, reading them back.

function sizeValue(v: unknown, sizes: number[]): number {
    if (v === null || v === undefined) return 2;
    switch (typeof v) {
        case "number":
            return 9;
        case "boolean":
            return 2;
        case "string": {
            const n = Buffer.byteLength(v);
            sizes.push(n);
            return 1 + varintSize(n) + n;
        }
        case "object": {
            const i = sizes.length;
            sizes.push(0);
            const n = Array.isArray(v) ? sizeList(v, sizes) : sizeStruct(v as Obj, sizes);
            sizes[i] = n;
            return 1 + varintSize(n) + n;
        }
        default:
            throw new TypeError(`a ${typeof v} cannot be sent in a protobuf Struct`);
    }
}

function sizeList(list: unknown[], sizes: number[]): number {
    let total = 0;
    for (const e of list) {
        const i = sizes.length;
        sizes.push(0);
        const n = sizeValue(e, sizes);
        sizes[i] = n;
        total += 1 + varintSize(n) + n;
    }
    return total;
}

function sizeStruct(obj: Obj, sizes: number[]): number {
    let total = 0;
    for (const key of Object.keys(obj)) {
        const v = obj[key];
        if (v === undefined) continue;
        const i = sizes.length;
        const k = Buffer.byteLength(key);
        sizes.push(0, k, 0);
        const n = sizeValue(v, sizes);
        sizes[i + 2] = n;
        const entry = 1 + varintSize(k) + k + 1 + varintSize(n) + n;
        sizes[i] = entry;
        total += 1 + varintSize(entry) + entry;
    }
    return total;
}

class Writer {
    pos = 0;
    next = 0;
    constructor(
        readonly buf: Buffer,
        readonly sizes: number[],
    ) {}

    byte(b: number): void {
        this.buf[this.pos++] = b;
    }

    varint(n: number): void {
        while (n >= 0x80) {
            this.buf[this.pos++] = (n & 0x7f) | 0x80;
            n >>>= 7;
        }
        this.buf[this.pos++] = n;
    }

    /** Writes a recorded length. */
    length(): void {
        this.varint(this.sizes[this.next++]);
    }

    string(s: string): void {
        this.length();
        this.pos += this.buf.write(s, this.pos);
    }

    value(v: unknown): void {
        if (v === null || v === undefined) {
            this.byte(0x08); // null_value = 1, varint
            this.byte(0);
            return;
        }
        switch (typeof v) {
            case "number":
                this.byte(0x11); // number_value = 2, fixed64
                this.pos = this.buf.writeDoubleLE(v, this.pos);
                return;
            case "boolean":
                this.byte(0x20); // bool_value = 4, varint
                this.byte(v ? 1 : 0);
                return;
            case "string":
                this.byte(0x1a); // string_value = 3
                this.string(v);
                return;
            default:
                if (Array.isArray(v)) {
                    this.byte(0x32); // list_value = 6
                    this.length();
                    for (const e of v) {
                        this.byte(0x0a); // values = 1
                        this.length();
                        this.value(e);
                    }
                } else {
                    this.byte(0x2a); // struct_value = 5
                    this.length();
                    this.struct(v as Obj);
                }
        }
    }

    struct(obj: Obj): void {
        for (const key of Object.keys(obj)) {
            const v = obj[key];
            if (v === undefined) continue;
            this.byte(0x0a); // fields = 1, a map entry
            this.length();
            this.byte(0x0a); // key = 1
            this.string(key);
            this.byte(0x12); // value = 2
            this.length();
            this.value(v);
        }
    }
}

/** The bytes of a `google.protobuf.Struct` holding `obj` (undefined members left out, as JSON does). */
export function encodeStruct(obj: Obj): Buffer {
    const sizes: number[] = [];
    const w = new Writer(Buffer.allocUnsafe(sizeStruct(obj, sizes)), sizes);
    w.struct(obj);
    return w.buf;
}

/** `message` followed by one length-delimited field: protobuf decodes the two as one message. */
export function appendField(message: Uint8Array, field: number, body: Uint8Array): Buffer {
    const tag = (field << 3) | 2;
    const out = Buffer.allocUnsafe(message.length + varintSize(tag) + varintSize(body.length) + body.length);
    out.set(message, 0);
    const w = new Writer(out, [body.length]);
    w.pos = message.length;
    w.varint(tag);
    w.length();
    out.set(body, w.pos);
    return out;
}

/** A message of one length-delimited `field` repeated for each of `bodies`. */
export function repeatedField(field: number, bodies: Uint8Array[]): Buffer {
    const tag = (field << 3) | 2;
    const size = bodies.reduce((n, b) => n + varintSize(tag) + varintSize(b.length) + b.length, 0);
    const w = new Writer(
        Buffer.allocUnsafe(size),
        bodies.map((b) => b.length),
    );
    for (const body of bodies) {
        w.varint(tag);
        w.length();
        w.buf.set(body, w.pos);
        w.pos += body.length;
    }
    return w.buf;
}

/**
 * The diagnostics (field 2) of an `AnalyzeResponse`, skipping the not-applicable list (field 3)
 * the gate does not report.
 */
export function diagnosticsOf(bytes: Uint8Array): AnalyzeDiagnostic[] {
    const out: AnalyzeDiagnostic[] = [];
    let pos = 0;
    const varint = (): number => {
        let n = 0;
        let shift = 0;
        for (;;) {
            if (pos >= bytes.length) throw new Error("truncated AnalyzeResponse");
            const b = bytes[pos++];
            n += (b & 0x7f) * 2 ** shift;
            if (b < 0x80) return n;
            shift += 7;
        }
    };
    while (pos < bytes.length) {
        const tag = varint();
        const wire = tag & 7;
        if (wire === 2) {
            const len = varint();
            if (tag >>> 3 === 2) out.push(AnalyzeDiagnostic.deserializeBinary(bytes.subarray(pos, pos + len)));
            pos += len;
        } else if (wire === 0) varint();
        else if (wire === 1) pos += 8;
        else if (wire === 5) pos += 4;
        else throw new Error(`unexpected wire type ${wire} in an AnalyzeResponse`);
    }
    return out;
}
