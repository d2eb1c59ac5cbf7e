/**
 * A loopback OpenAI-compatible server for the promotion's tests (tests/qualityGate.test.ts,
 * tests/loadStage.test.ts): /v1/chat/completions, streamed or not, as vLLM answers — content
 * chunks, the usage chunk when `stream_options.include_usage` asks for it, `data: [DONE]`, the
 * `X-Request-Id` echoed (vLLM's `--enable-request-id-headers`) — and, for the load stage, a server
 * whose answers slow down or fail with the requests it has in flight.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface Behaviour {
    /** What the model answers to a prompt. @default "?" */
    answer?: (prompt: string) => string;
    /** Milliseconds before the first token, given the requests in flight (this one included). */
    delayMs?: (prompt: string, inFlight: number) => number;
    /** A status other than 200 for some prompts, or above some load. */
    status?: (prompt: string, inFlight: number) => number;
    /** Streams that report an error event before `data: [DONE]`: for some prompts. */
    streamError?: (prompt: string) => boolean;
    /** Streams that end without `data: [DONE]` (cut off): for some prompts. */
    cut?: (prompt: string) => boolean;
    /** Milliseconds before the first token of the server's first request (a cold pod). */
    coldMs?: number;
    /** Content chunks a streamed answer is cut into. @default 2 */
    chunks?: number;
    /** Milliseconds between two content chunks, given the requests in flight. @default 0 */
    itlMs?: (inFlight: number) => number;
    /** Leave the usage chunk out even when asked (a server without stream_options). */
    noUsage?: boolean;
}

export interface LoopbackServer {
    url: string;
    /** Every request's body, with its path and headers of note. */
    requests: Array<Record<string, unknown>>;
    /** The most requests it had in flight at once. */
    maxInFlight: () => number;
    close: () => Promise<void>;
}

export async function openAiServer(behaviour: Behaviour): Promise<LoopbackServer> {
    const requests: Array<Record<string, unknown>> = [];
    let inFlight = 0;
    let most = 0;
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
            const request = JSON.parse(body) as {
                model: string;
                messages: Array<{ content: string }>;
                stream: boolean;
                max_tokens: number;
                temperature: number;
                stream_options?: { include_usage?: boolean };
            };
            const requestId = req.headers["x-request-id"];
            requests.push({
                path: req.url,
                header: req.headers["x-llm-model"],
                ...(requestId !== undefined ? { requestId } : {}),
                ...request,
            });
            inFlight++;
            most = Math.max(most, inFlight);
            const load = inFlight;
            let ended = false;
            const end = (last: string): void => {
                if (ended) return;
                ended = true;
                inFlight--;
                res.end(last);
            };
            res.on("close", () => {
                if (!ended) {
                    ended = true;
                    inFlight--;
                }
            });
            const echo = requestId !== undefined ? { "x-request-id": String(requestId) } : {};
            const prompt = request.messages[request.messages.length - 1].content;
            const status = behaviour.status?.(prompt, load) ?? 200;
            const text = (behaviour.answer ?? (() => "?"))(prompt);
            const cold = requests.length === 1 ? (behaviour.coldMs ?? 0) : 0;
            setTimeout(
                () => {
                    if (status !== 200) {
                        res.writeHead(status, { "content-type": "application/json", ...echo });
                        end('{"error":{"message":"boom"}}');
                        return;
                    }
                    if (!request.stream) {
                        res.writeHead(200, { "content-type": "application/json", ...echo });
                        end(JSON.stringify({ choices: [{ message: { role: "assistant", content: text } }] }));
                        return;
                    }
                    res.writeHead(200, { "content-type": "text/event-stream", ...echo });
                    // The answer in pieces, as vLLM streams tokens, then the usage and the end marker.
                    const n = behaviour.chunks ?? 2;
                    const size = Math.ceil(text.length / n);
                    const pieces = Array.from({ length: n }, (_, i) =>
                        n === 2 ? text.slice(i * size, (i + 1) * size) : `${text} `,
                    );
                    let sent = 0;
                    const send = (): void => {
                        if (ended) return;
                        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: pieces[sent] } }] })}\n\n`);
                        sent++;
                        if (sent < pieces.length) {
                            const gap = behaviour.itlMs?.(inFlight) ?? 0;
                            if (gap > 0) setTimeout(send, gap);
                            else send();
                            return;
                        }
                        if (request.stream_options?.include_usage && !behaviour.noUsage)
                            res.write(
                                `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: pieces.length, total_tokens: 5 + pieces.length } })}\n\n`,
                            );
                        // vLLM's failure mid-stream: an error event, then [DONE] all the same.
                        if (behaviour.streamError?.(prompt))
                            res.write(
                                `data: ${JSON.stringify({ error: { message: "CUDA out of memory", type: "InternalServerError", code: 500 } })}\n\n`,
                            );
                        end(behaviour.cut?.(prompt) ? "" : "data: [DONE]\n\n");
                    };
                    send();
                },
                cold + (behaviour.delayMs?.(prompt, load) ?? 0),
            );
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        maxInFlight: () => most,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
