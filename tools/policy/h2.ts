/**
 * Unary gRPC calls over a plain HTTP/2 session (node:http2), for the gate's hot path: one Analyze
 * call per resource. The wire protocol is gRPC's ("gRPC over HTTP2", grpc/grpc
 * doc/PROTOCOL-HTTP2.md): a POST to /<service>/<method> with `content-type: application/grpc` and
 * `te: trailers`, the request as one length-prefixed message (a compressed-flag byte, a 4-byte
 * big-endian length, the bytes), the response as the same framing followed by trailers carrying
 * `grpc-status` and `grpc-message`. @grpc/grpc-js spends most of a small call's time in its
 * channel, filter and interceptor machinery, which a call with no metadata, compression or retries
 * does not need; the pack's server (the SDK's @grpc/grpc-js) sees the same bytes either way.
 */
import * as http2 from "node:http2";

/** A gRPC call that ended with a status other than OK. */
export class GrpcStatusError extends Error {
    constructor(
        readonly path: string,
        readonly code: number,
        readonly details: string,
    ) {
        super(`${code} ${STATUS_NAMES[code] ?? "UNKNOWN"}: ${details}`);
        this.name = "GrpcStatusError";
    }
}

const STATUS_NAMES: Record<number, string> = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
};

export class H2Channel {
    private readonly session: http2.ClientHttp2Session;
    private failure: Error | undefined;

    constructor(address: string) {
        // Node refuses new streams with ENHANCE_YOUR_CALM once a session buffers more than
        // `maxSessionMemory` (MB, default 10): an AnalyzeStack of thousands of resources is one
        // message larger than that. grpc-js lifts the same limit on its servers (Number.MAX_SAFE_INTEGER);
        // 1 GiB here, bounded by the pack's own 400 MiB message limit.
        this.session = http2.connect(`http://${address}`, { maxSessionMemory: 1024 });
        this.session.on("error", (e: Error) => void (this.failure = e));
    }

    /** Sends one request message to `path` (`/package.Service/Method`) and resolves to the response message. */
    unary(path: string, message: Uint8Array): Promise<Buffer> {
        if (this.failure) return Promise.reject(this.failure);
        return new Promise((resolve, reject) => {
            const stream = this.session.request({
                ":method": "POST",
                ":path": path,
                "content-type": "application/grpc",
                te: "trailers",
            });
            const frame = Buffer.allocUnsafe(5 + message.length);
            frame[0] = 0;
            frame.writeUInt32BE(message.length, 1);
            frame.set(message, 5);
            const chunks: Buffer[] = [];
            let status: { code: number; details: string } | undefined;
            const statusOf = (headers: http2.IncomingHttpHeaders): void => {
                const code = headers["grpc-status"];
                if (code !== undefined)
                    status = {
                        code: Number(code),
                        details: decodeURIComponent(String(headers["grpc-message"] ?? "")),
                    };
            };
            stream.on("response", statusOf);
            stream.on("trailers", statusOf);
            stream.on("data", (c: Buffer) => chunks.push(c));
            stream.on("error", reject);
            stream.on("end", () => {
                if (!status) return reject(new GrpcStatusError(path, 13, "the response ended without a grpc-status"));
                if (status.code !== 0) return reject(new GrpcStatusError(path, status.code, status.details));
                const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
                if (body.length < 5) return resolve(Buffer.alloc(0));
                if (body[0] !== 0)
                    return reject(new GrpcStatusError(path, 13, "a compressed response was not asked for"));
                resolve(body.subarray(5, 5 + body.readUInt32BE(1)));
            });
            stream.end(frame);
        });
    }

    close(): void {
        this.session.close();
    }
}
