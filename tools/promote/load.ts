/**
 * The load stage of a promotion: after the evaluation set, the preview colour takes a configured
 * number of concurrent streams for a configured time (the origin document's performance stage: p95
 * under 500 ms and errors under 1 % with a hundred concurrent users), cycling through the set's
 * prompts, and is held to the model's SLO at that load: p95 time to first token, p95 inter-token
 * latency, error rate and output tokens per second. The flip waits for it.
 *
 * Each request is streamed (`stream: true`) with `stream_options: {include_usage: true}`, so vLLM
 * ends the stream with a chunk carrying `usage.completion_tokens` (the output tokens; without it,
 * each content chunk counts as one token and the report says so), and carries an `X-Request-Id`
 * header: vLLM names its request `chatcmpl-<that id>` in its logs, and echoes the header with
 * `--enable-request-id-headers`; the failed requests' ids are in the report.
 *
 * How the figures are taken (as vLLM's own benchmark, `vllm bench serve`, takes them): time to first
 * token from the request to its first content chunk; inter-token latency, the gaps between
 * consecutive content chunks of a stream, pooled over every stream; output tokens per second, the
 * tokens that arrived while the load held, over that time. The workers start spread over `rampSeconds`;
 * only the requests begun after the ramp are judged (the curve shows the ramp too). No request
 * begins after `durationSeconds`; those under way finish, each within the request timeout.
 */
import { randomBytes } from "node:crypto";
import type { LoadSettings } from "../../components/release";
import { p95, postChatCompletion, sseData, streamErrorMessage, type EvalItem, type StreamEvent } from "./evaluation";

export type { LoadSettings };

/** One streamed chat request of the load stage. */
export interface LoadRequest {
    model: string;
    messages: Array<{ role: string; content: string }>;
    maxTokens: number;
    minTokens: number;
}

/** What one streamed request gave: times relative to its start, ms. */
export interface StreamOutcome {
    /** When each content chunk arrived. */
    chunksMs: number[];
    /** `usage.completion_tokens` of the stream's last chunk, when the server sent one. */
    outputTokens?: number;
    /** When it ended (answered, failed or timed out). */
    endMs: number;
    /** Why it failed: a status other than 200, an error event, a cut stream, a timeout. */
    error?: string;
}

/** Streams chat completions; never rejects: a failure is the outcome's `error`. */
export interface LoadClient {
    stream(
        baseUrl: string,
        request: LoadRequest,
        headers: Record<string, string>,
        timeoutMs: number,
        signal: AbortSignal | undefined,
    ): Promise<StreamOutcome>;
}

/** One request of the stage, as the report keeps it. */
export interface LoadSample {
    requestId: string;
    /** When it began, ms from the stage's start. */
    startMs: number;
    endMs: number;
    ttftMs?: number;
    /** Gaps between its content chunks, ms. */
    gapsMs: number[];
    outputTokens: number;
    error?: string;
    /** Begun after the ramp: judged. */
    judged: boolean;
}

export interface LoadMeasure {
    name: "p95 time to first token" | "p95 inter-token latency" | "error rate" | "output tokens/s";
    value: number | undefined;
    /** The SLO, e.g. "<= 500 ms". */
    slo: string;
    passed: boolean;
    /** What it was measured over, e.g. "57 requests". */
    over: string;
    /** Why it failed, naming the SLO key. */
    why?: string;
}

/** One second of the curve. */
export interface LoadBucket {
    /** The second's end: 1 is [0 s, 1 s). */
    second: number;
    /** Mean streams in flight over the second. */
    inFlight: number;
    /** Requests begun in the second. */
    started: number;
    /** p95 time to first token of the requests begun in the second (undefined: none answered). */
    p95TtftMs?: number;
    /** Output tokens that arrived in the second. */
    tokensPerSecond: number;
    /** Requests that failed in the second. */
    errors: number;
}

export interface LoadReport {
    model: string;
    colour: string;
    set: string;
    settings: LoadSettings;
    passed: boolean;
    /** Requests begun, and those judged (after the ramp). */
    requests: number;
    judged: number;
    measures: LoadMeasure[];
    /** Where the output token counts come from: the streams' usage, or one token per content chunk. */
    tokens: "usage" | "chunks";
    curve: LoadBucket[];
    /** The failed requests' X-Request-Id and why, in order. */
    failed: Array<{ requestId: string; error: string }>;
    /** Set when a signal ended the stage early. */
    stopped?: string;
}

/** The target as the promotion knows it. */
export interface LoadTarget {
    model: string;
    colour: string;
    set: string;
    servedModelName: string;
    headers: Record<string, string>;
    /** Each request's timeout, ms (evaluation.timeoutSeconds). */
    timeoutMs: number;
    /** Prefix of the X-Request-Id headers; a random one (`load-<8 hex>`) by default. */
    requestIdPrefix?: string;
}

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
    new Promise((resolve) => {
        if (ms <= 0 || signal?.aborted) return resolve();
        const timer = setTimeout(done, ms);
        function done(): void {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
    });

/**
 * Runs the stage against `baseUrl` and judges it. `signal` (a SIGINT or SIGTERM) ends it early: no
 * request begins after, those under way are aborted, and the report says it stopped.
 */
export async function runLoadStage(
    client: LoadClient,
    baseUrl: string,
    items: EvalItem[],
    settings: LoadSettings,
    target: LoadTarget,
    signal?: AbortSignal,
): Promise<LoadReport> {
    const prefix = target.requestIdPrefix ?? `load-${randomBytes(4).toString("hex")}`;
    const samples: LoadSample[] = [];
    const rampMs = settings.rampSeconds * 1000;
    const durationMs = settings.durationSeconds * 1000;
    const started = performance.now();
    const now = (): number => performance.now() - started;
    let next = 0;
    /** Each request's chunk arrivals (ms from the stage's start) and usage. */
    const chunkTimes = new Map<string, { chunks: number[]; tokens: number | undefined }>();
    const worker = async (index: number): Promise<void> => {
        await sleep((rampMs * index) / settings.concurrency - now(), signal);
        while (!signal?.aborted && now() < durationMs) {
            const seq = next++;
            const item = items[seq % items.length];
            const requestId = `${prefix}-${seq}`;
            const startMs = now();
            const outcome = await client.stream(
                baseUrl,
                {
                    model: target.servedModelName,
                    messages: item.messages ?? [{ role: "user", content: item.prompt! }],
                    maxTokens: settings.maxTokens,
                    minTokens: settings.minTokens,
                },
                { ...target.headers, "x-request-id": requestId },
                target.timeoutMs,
                signal,
            );
            const chunks = outcome.chunksMs.map((t) => startMs + t);
            samples.push({
                requestId,
                startMs,
                endMs: startMs + outcome.endMs,
                ...(outcome.error === undefined && chunks.length > 0 ? { ttftMs: chunks[0] - startMs } : {}),
                gapsMs: outcome.error === undefined ? chunks.slice(1).map((t, i) => t - chunks[i]) : [],
                outputTokens: outcome.outputTokens ?? outcome.chunksMs.length,
                ...(outcome.error !== undefined ? { error: outcome.error } : {}),
                judged: startMs >= rampMs,
            });
            chunkTimes.set(requestId, { chunks, tokens: outcome.outputTokens });
        }
    };
    await Promise.all(Array.from({ length: settings.concurrency }, (_, i) => worker(i)));
    samples.sort((a, b) => a.startMs - b.startMs);
    const tokens = samples.some((s) => chunkTimes.get(s.requestId)?.tokens !== undefined) ? "usage" : "chunks";

    // Each chunk's share of its stream's output tokens, at the time it arrived.
    const arrivals: Array<[number, number]> = [];
    for (const s of samples) {
        const c = chunkTimes.get(s.requestId)!;
        const per = c.chunks.length === 0 ? 0 : (c.tokens ?? c.chunks.length) / c.chunks.length;
        for (const t of c.chunks) arrivals.push([t, per]);
    }
    const window = Math.max(durationMs - rampMs, 1);
    const windowTokens = arrivals.filter(([t]) => t >= rampMs && t < durationMs).reduce((n, [, k]) => n + k, 0);
    const judged = samples.filter((s) => s.judged);
    const answered = judged.filter((s) => s.error === undefined);
    const failed = judged.filter((s) => s.error !== undefined);
    const ttft = p95(answered.flatMap((s) => (s.ttftMs === undefined ? [] : [s.ttftMs])));
    const itl = p95(answered.flatMap((s) => s.gapsMs));
    const gaps = answered.reduce((n, s) => n + s.gapsMs.length, 0);
    const errorRate = judged.length === 0 ? undefined : failed.length / judged.length;
    const throughput = signal?.aborted ? undefined : windowTokens / (window / 1000);
    const requests = `${judged.length} request${judged.length === 1 ? "" : "s"}`;
    const ms = (v: number): string => `${Math.round(v)} ms`;
    const pct = (v: number): string => `${Number((v * 100).toFixed(2))} %`;
    const measures: LoadMeasure[] = [
        judge(
            "p95 time to first token",
            ttft,
            `<= ${settings.p95TimeToFirstTokenMs} ms`,
            ttft !== undefined && ttft <= settings.p95TimeToFirstTokenMs,
            `${answered.length} answered`,
            ttft === undefined
                ? "no request was answered"
                : `${ms(ttft)} is over the SLO of ${settings.p95TimeToFirstTokenMs} ms (monitoring.slo.p95LatencyMs) at ${settings.concurrency} concurrent streams`,
        ),
        judge(
            "p95 inter-token latency",
            itl,
            `<= ${settings.p95InterTokenLatencyMs} ms`,
            itl !== undefined && itl <= settings.p95InterTokenLatencyMs,
            `${gaps} gaps`,
            itl === undefined
                ? "no answer streamed more than one chunk"
                : `${ms(itl)} is over the SLO of ${settings.p95InterTokenLatencyMs} ms (monitoring.slo.p95InterTokenLatencyMs) at ${settings.concurrency} concurrent streams`,
        ),
        judge(
            "error rate",
            errorRate,
            `<= ${pct(settings.maxErrorRate)}`,
            // 1 - 0.99 is 0.010000000000000009: compared in whole requests.
            errorRate !== undefined && failed.length <= settings.maxErrorRate * judged.length + 1e-9,
            requests,
            errorRate === undefined
                ? "no request was begun after the ramp"
                : `${failed.length} of ${requests} failed (${pct(errorRate)}), over the SLO of ${pct(settings.maxErrorRate)} (1 - monitoring.slo.minSuccessRate)`,
        ),
        judge(
            "output tokens/s",
            throughput,
            `>= ${settings.minTokensPerSecond}`,
            throughput !== undefined && throughput >= settings.minTokensPerSecond,
            `${Number((window / 1000).toFixed(1))} s`,
            throughput === undefined
                ? "the stage was stopped before the load ended"
                : `${Math.round(throughput)} tokens/s is under the SLO of ${settings.minTokensPerSecond} (monitoring.slo.minTokensPerSecond) at ${settings.concurrency} concurrent streams`,
        ),
    ];
    return {
        model: target.model,
        colour: target.colour,
        set: target.set,
        settings,
        passed: !signal?.aborted && measures.every((m) => m.passed),
        requests: samples.length,
        judged: judged.length,
        measures,
        tokens,
        curve: curveOf(samples, arrivals),
        failed: samples.flatMap((s) => (s.error === undefined ? [] : [{ requestId: s.requestId, error: s.error }])),
        ...(signal?.aborted ? { stopped: String(signal.reason ?? "a signal") } : {}),
    };
}

function judge(
    name: LoadMeasure["name"],
    value: number | undefined,
    slo: string,
    passed: boolean,
    over: string,
    why: string,
): LoadMeasure {
    return { name, value, slo, passed, over, ...(passed ? {} : { why }) };
}

/** Per-second buckets from the stage's start to its last request's end. */
export function curveOf(samples: LoadSample[], arrivals: Array<[number, number]>): LoadBucket[] {
    const end = Math.max(0, ...samples.map((s) => s.endMs));
    const seconds = Math.max(1, Math.ceil(end / 1000));
    return Array.from({ length: seconds }, (_, i) => {
        const from = i * 1000;
        const to = from + 1000;
        const begun = samples.filter((s) => s.startMs >= from && s.startMs < to);
        const overlap = samples.reduce((n, s) => n + Math.max(0, Math.min(to, s.endMs) - Math.max(from, s.startMs)), 0);
        const ttft = p95(begun.flatMap((s) => (s.error === undefined && s.ttftMs !== undefined ? [s.ttftMs] : [])));
        return {
            second: i + 1,
            inFlight: Number((overlap / 1000).toFixed(1)),
            started: begun.length,
            ...(ttft !== undefined ? { p95TtftMs: Math.round(ttft) } : {}),
            tokensPerSecond: Math.round(arrivals.filter(([t]) => t >= from && t < to).reduce((n, [, k]) => n + k, 0)),
            errors: samples.filter((s) => s.error !== undefined && s.endMs >= from && s.endMs < to).length,
        };
    });
}

/** A measure's value as a reader wants it. */
function show(m: LoadMeasure): string {
    if (m.value === undefined) return "—";
    if (m.name === "error rate") return `${Number((m.value * 100).toFixed(2))} %`;
    if (m.name === "output tokens/s") return `${Math.round(m.value)}`;
    return `${Math.round(m.value)} ms`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The failed requests named in the text and Markdown (all of them are in the JSON). */
export const FAILED_IDS_SHOWN = 10;

function headline(r: LoadReport): string {
    const s = r.settings;
    return `${plural(s.concurrency, "concurrent stream")} for ${s.durationSeconds} s (ramp ${s.rampSeconds} s) from ${r.set}'s prompts: ${plural(r.requests, "request")}, ${r.judged} judged, ${r.failed.length} failed`;
}

/** The stage's verdict as plain lines: the figures, why each failed one failed, the failed requests' ids. */
export function renderLoadText(r: LoadReport): string[] {
    const lines = [`load stage of model ${r.model} (${r.colour}): ${r.passed ? "passed" : "FAILED"}: ${headline(r)}`];
    if (r.stopped) lines.push(`  stopped by ${r.stopped} before the load ended: not judged`);
    for (const m of r.measures)
        lines.push(
            `  ${m.passed ? "ok  " : "FAIL"} ${m.name}: ${show(m)} (SLO ${m.slo}; over ${m.over})${m.why ? `: ${m.why}` : ""}`,
        );
    if (r.tokens === "chunks")
        lines.push(
            "  output tokens counted as content chunks: the server sent no usage (stream_options.include_usage)",
        );
    if (r.failed.length > 0)
        lines.push(
            `  failed requests (X-Request-Id): ${r.failed
                .slice(0, FAILED_IDS_SHOWN)
                .map((f) => `${f.requestId} (${f.error})`)
                .join(
                    ", ",
                )}${r.failed.length > FAILED_IDS_SHOWN ? `, and ${r.failed.length - FAILED_IDS_SHOWN} more in the JSON report` : ""}`,
        );
    return lines;
}

/** A Mermaid label in double quotes (xychart text: `"` cannot be escaped, so none is written). */
const label = (s: string): string => `"${s.replace(/"/g, "'")}"`;

/**
 * A Mermaid `xychart-beta` of one series per second with its SLO as a flat line: a line chart needs
 * a value at every point, so a second in which no request was answered repeats the second before.
 */
export function loadChart(title: string, axis: string, values: Array<number | undefined>, slo: number): string {
    let last = 0;
    const filled = values.map((v) => (v === undefined ? last : (last = v)));
    const top = Math.max(slo, ...filled);
    const max = top <= 0 ? 1 : Math.ceil((top * 1.1) / 10) * 10;
    return [
        "```mermaid",
        "xychart-beta",
        `    title ${label(title)}`,
        `    x-axis "second" [${filled.map((_, i) => i + 1).join(", ")}]`,
        `    y-axis ${label(axis)} 0 --> ${max}`,
        `    line [${filled.join(", ")}]`,
        `    line [${filled.map(() => slo).join(", ")}]`,
        "```",
    ].join("\n");
}

/** The stage's verdict for a deploy summary: the figures, the curve, the failed requests. */
export function renderLoadMarkdown(r: LoadReport): string {
    const s = r.settings;
    const shown = r.failed.slice(0, FAILED_IDS_SHOWN);
    return [
        `### Load stage: model \`${r.model}\` (${r.colour}) ${r.passed ? "✅ passed" : "❌ failed"}`,
        "",
        `${headline(r).replace(`${r.set}'s`, `\`${r.set}\`'s`)}.${r.stopped ? ` Stopped by ${r.stopped} before the load ended: not judged.` : ""}`,
        "",
        "| Measure | Value | SLO | Over | |",
        "| --- | --- | --- | --- | --- |",
        ...r.measures.map((m) => `| ${m.name} | ${show(m)} | ${m.slo} | ${m.over} | ${m.passed ? "✅" : "❌"} |`),
        ...r.measures.filter((m) => m.why).map((m, i) => `${i === 0 ? "\n" : ""}- ${m.name}: ${m.why}`),
        ...(r.tokens === "chunks"
            ? ["", "Output tokens counted as content chunks: the server sent no usage (stream_options.include_usage)."]
            : []),
        "",
        `p95 time to first token per second (the flat line: the SLO, ${s.p95TimeToFirstTokenMs} ms):`,
        "",
        loadChart(
            "p95 time to first token",
            "ms",
            r.curve.map((b) => b.p95TtftMs),
            s.p95TimeToFirstTokenMs,
        ),
        "",
        `Output tokens per second (the flat line: the SLO, ${s.minTokensPerSecond}):`,
        "",
        loadChart(
            "output tokens/s",
            "tokens/s",
            r.curve.map((b) => b.tokensPerSecond),
            s.minTokensPerSecond,
        ),
        ...(shown.length === 0
            ? []
            : [
                  "",
                  "| Failed request (X-Request-Id) | Why |",
                  "| --- | --- |",
                  ...shown.map((f) => `| \`${f.requestId}\` | ${f.error.replace(/\|/g, "\\|")} |`),
                  ...(r.failed.length > shown.length
                      ? ["", `And ${r.failed.length - shown.length} more, in the JSON report.`]
                      : []),
              ]),
        "",
    ].join("\n");
}

/**
 * Streamed chat completions over fetch: POST `<baseUrl>/v1/chat/completions` at temperature 0
 * with `stream_options: {include_usage: true}`; server-sent events `data: {choices: [{delta:
 * {content}}]}`, the usage chunk (`choices: []`, `usage`), up to `data: [DONE]`.
 */
export class HttpLoadClient implements LoadClient {
    async stream(
        baseUrl: string,
        request: LoadRequest,
        headers: Record<string, string>,
        timeoutMs: number,
        signal: AbortSignal | undefined,
    ): Promise<StreamOutcome> {
        const started = performance.now();
        const at = (): number => performance.now() - started;
        const chunksMs: number[] = [];
        let outputTokens: number | undefined;
        const timeout = AbortSignal.timeout(timeoutMs);
        const fail = (error: string): StreamOutcome => ({
            chunksMs,
            ...(outputTokens !== undefined ? { outputTokens } : {}),
            endMs: at(),
            error,
        });
        try {
            const response = await postChatCompletion(
                baseUrl,
                {
                    model: request.model,
                    messages: request.messages,
                    max_tokens: request.maxTokens,
                    ...(request.minTokens > 0 ? { min_tokens: request.minTokens } : {}),
                    temperature: 0,
                    stream: true,
                    stream_options: { include_usage: true },
                },
                headers,
                signal ? AbortSignal.any([timeout, signal]) : timeout,
            );
            if (response.status !== 200) {
                await response.arrayBuffer();
                return fail(`answered ${response.status}`);
            }
            let done = false;
            for await (const data of sseData(response.body)) {
                if (data === "[DONE]") {
                    done = true;
                    continue;
                }
                const event = JSON.parse(data) as StreamEvent;
                if (event.error !== undefined) return fail(streamErrorMessage(event.error));
                if (typeof event.usage?.completion_tokens === "number") outputTokens = event.usage.completion_tokens;
                // A reasoning model streams its reasoning first (vLLM's `reasoning_content`): a token
                // all the same, as vLLM's own benchmark counts it.
                const delta = event.choices?.[0]?.delta;
                if ((delta?.content ?? "") !== "" || (delta?.reasoning_content ?? "") !== "") chunksMs.push(at());
            }
            if (!done) return fail(`the stream ended without data: [DONE] (cut off after ${chunksMs.length} chunks)`);
            return { chunksMs, ...(outputTokens !== undefined ? { outputTokens } : {}), endMs: at() };
        } catch (e) {
            if (timeout.aborted) return fail(`no answer within ${timeoutMs} ms (timed out)`);
            if (signal?.aborted) return fail(`stopped by ${String(signal.reason ?? "a signal")}`);
            const cause = (e as { cause?: { code?: string } }).cause?.code;
            return fail(`${(e as Error).message}${cause ? ` (${cause})` : ""}`);
        }
    }
}
