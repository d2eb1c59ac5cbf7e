import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePromoteArgs, promoteEach, qualityGate } from "../tools/cli/promote";
import type { GateSettings } from "../tools/promote/evaluation";
import {
    HttpLoadClient,
    loadChart,
    renderLoadMarkdown,
    renderLoadText,
    runLoadStage,
    type LoadReport,
    type LoadSettings,
} from "../tools/promote/load";
import { OUTCOME_EXIT, promote, type Journal, type ProbeResult, type Prober } from "../tools/promote/machine";
import { resolveSettings } from "../environments/loader";
import { servedModels } from "../environments/models";
import { goodRawConfig, problemsIfAny } from "./helpers";
import { openAiServer, type Behaviour } from "./openAiServer";
import { FakeStack, state } from "./promoteFakes";

/** A short stage: 4 streams for a second, judged by the reference SLO but tokens/s (a loopback's figure). */
const LOAD: LoadSettings = {
    concurrency: 4,
    durationSeconds: 1,
    rampSeconds: 0,
    maxTokens: 64,
    minTokens: 0,
    p95TimeToFirstTokenMs: 500,
    p95InterTokenLatencyMs: 100,
    maxErrorRate: 0.01,
    minTokensPerSecond: 20,
};

const ITEMS = ["a", "b", "c"].map((id) => ({
    id,
    kind: "answer" as const,
    prompt: `prompt ${id}?`,
    expect: { contains: ["x"] },
}));

const TARGET = {
    model: "chat",
    colour: "green",
    set: "evals/test.jsonl",
    servedModelName: "qwen2.5-1.5b-instruct",
    headers: { "x-llm-model": "chat" },
    timeoutMs: 2000,
    requestIdPrefix: "load-test",
};

/** A healthy server: the first token after 10 ms, five chunks 5 ms apart, at any load. */
const HEALTHY: Behaviour = { answer: () => "tok", chunks: 5, delayMs: () => 10, itlMs: () => 5 };

async function stageAgainst(behaviour: Behaviour, settings: Partial<LoadSettings> = {}, signal?: AbortSignal) {
    const server = await openAiServer(behaviour);
    try {
        const report = await runLoadStage(
            new HttpLoadClient(),
            server.url,
            ITEMS,
            { ...LOAD, ...settings },
            TARGET,
            signal,
        );
        return { report, requests: server.requests, maxInFlight: server.maxInFlight() };
    } finally {
        await server.close();
    }
}

const verdicts = (r: LoadReport): Array<[string, boolean]> => r.measures.map((m) => [m.name, m.passed]);

describe("the load stage: the preview colour under the configured load before traffic flips", function () {
    it("passes a server that meets the SLO at the configured load: every request streamed with usage and an X-Request-Id", async () => {
        const { report, requests, maxInFlight } = await stageAgainst(HEALTHY);
        assert.equal(report.passed, true, renderLoadText(report).join("\n"));
        assert.deepEqual(verdicts(report), [
            ["p95 time to first token", true],
            ["p95 inter-token latency", true],
            ["error rate", true],
            ["output tokens/s", true],
        ]);
        assert.equal(report.tokens, "usage");
        assert.equal(report.failed.length, 0);
        assert.equal(maxInFlight, 4);
        assert.ok(report.requests >= 8, String(report.requests));
        assert.equal(report.judged, report.requests);
        // Prompts in turn, each request its own id under the stage's prefix.
        assert.deepEqual(requests[0], {
            path: "/v1/chat/completions",
            header: "chat",
            requestId: "load-test-0",
            model: "qwen2.5-1.5b-instruct",
            messages: [{ role: "user", content: "prompt a?" }],
            max_tokens: 64,
            temperature: 0,
            stream: true,
            stream_options: { include_usage: true },
        });
        assert.deepEqual(
            requests.map((r) => r.requestId).sort(),
            Array.from({ length: requests.length }, (_, i) => `load-test-${i}`).sort(),
        );
        assert.deepEqual(
            requests.slice(0, 4).map((r) => (r.messages as Array<{ content: string }>)[0].content),
            ["prompt a?", "prompt b?", "prompt c?", "prompt a?"],
        );
        // The curve: a bucket per second the stage ran, the load held at 4 streams.
        assert.ok(report.curve.length >= 1 && report.curve.length <= 2, JSON.stringify(report.curve));
        assert.ok(report.curve[0].inFlight > 3 && report.curve[0].inFlight <= 4, JSON.stringify(report.curve));
    });

    it("fails a server whose time to first token grows with the requests in flight, for that reason alone; it passes at a lower load", async () => {
        // 10 ms alone; from 3 in flight, 150 ms for each: 900 ms at 6 streams.
        const degrading: Behaviour = { ...HEALTHY, delayMs: (_p, n) => (n < 3 ? 10 : 150 * n) };
        const { report } = await stageAgainst(degrading, { concurrency: 6, durationSeconds: 2 });
        assert.equal(report.passed, false);
        assert.deepEqual(verdicts(report), [
            ["p95 time to first token", false],
            ["p95 inter-token latency", true],
            ["error rate", true],
            ["output tokens/s", true],
        ]);
        assert.match(
            report.measures[0].why!,
            /^\d+ ms is over the SLO of 500 ms \(monitoring\.slo\.p95LatencyMs\) at 6 concurrent streams$/,
        );
        assert.ok(report.measures[0].value! >= 500, String(report.measures[0].value));
        const low = await stageAgainst(degrading, { concurrency: 2 });
        assert.equal(low.report.passed, true, renderLoadText(low.report).join("\n"));
    });

    it("fails a server whose streams slow down under load on p95 inter-token latency", async () => {
        const { report } = await stageAgainst({ ...HEALTHY, itlMs: (n) => (n < 3 ? 5 : 40 * n) }, { concurrency: 5 });
        assert.deepEqual(verdicts(report), [
            ["p95 time to first token", true],
            ["p95 inter-token latency", false],
            ["error rate", true],
            ["output tokens/s", report.measures[3].passed],
        ]);
        assert.match(
            report.measures[1].why!,
            /^\d+ ms is over the SLO of 100 ms \(monitoring\.slo\.p95InterTokenLatencyMs\) at 5 concurrent streams$/,
        );
    });

    it("fails a server that refuses requests above a concurrency, and names each failed request by its X-Request-Id", async () => {
        const { report, requests } = await stageAgainst(
            { ...HEALTHY, status: (_p, n) => (n > 3 ? 503 : 200) },
            {
                concurrency: 6,
            },
        );
        assert.equal(report.passed, false);
        assert.equal(report.measures[2].name, "error rate");
        assert.equal(report.measures[2].passed, false);
        assert.match(
            report.measures[2].why!,
            /^\d+ of \d+ requests failed \(\d+(\.\d+)? %\), over the SLO of 1 % \(1 - monitoring\.slo\.minSuccessRate\)$/,
        );
        assert.ok(report.failed.length > 0);
        for (const f of report.failed) assert.equal(f.error, "answered 503");
        const sent = new Set(requests.map((r) => r.requestId));
        for (const f of report.failed) assert.ok(sent.has(f.requestId), f.requestId);
        const line = renderLoadText(report).find((l) => l.startsWith("  failed requests (X-Request-Id): "));
        assert.ok(line?.includes(`${report.failed[0].requestId} (answered 503)`), line);
    });

    it("cannot be hung by a server that never answers: each request times out, and the stage ends", async () => {
        const started = Date.now();
        const { report } = await stageAgainst({ ...HEALTHY, delayMs: () => 60_000 }, { concurrency: 2 });
        assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
        assert.equal(report.passed, false);
        assert.equal(report.requests, 2);
        assert.deepEqual(
            report.failed.map((f) => f.error),
            ["no answer within 2000 ms (timed out)", "no answer within 2000 ms (timed out)"],
        );
        assert.equal(report.measures[0].why, "no request was answered");
    });

    it("stops at a signal: no request begins after it, those under way are aborted, and nothing is judged", async () => {
        const stop = new AbortController();
        setTimeout(() => stop.abort("SIGTERM"), 200);
        const started = Date.now();
        const { report } = await stageAgainst(
            { ...HEALTHY, delayMs: () => 60_000 },
            { durationSeconds: 30 },
            stop.signal,
        );
        assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
        assert.equal(report.passed, false);
        assert.equal(report.stopped, "SIGTERM");
        assert.deepEqual(renderLoadText(report).slice(1, 2), [
            "  stopped by SIGTERM before the load ended: not judged",
        ]);
        assert.ok(report.failed.every((f) => f.error === "stopped by SIGTERM"));
    });

    it("counts content chunks as tokens when the server sends no usage, and says so", async () => {
        const { report } = await stageAgainst({ ...HEALTHY, noUsage: true });
        assert.equal(report.tokens, "chunks");
        assert.ok(
            renderLoadText(report).includes(
                "  output tokens counted as content chunks: the server sent no usage (stream_options.include_usage)",
            ),
        );
    });
});

describe("the load stage's report", () => {
    const report: LoadReport = {
        model: "chat",
        colour: "green",
        set: "evals/chat.jsonl",
        settings: { ...LOAD, concurrency: 8, durationSeconds: 3, rampSeconds: 1, minTokensPerSecond: 100 },
        passed: false,
        requests: 30,
        judged: 20,
        measures: [
            {
                name: "p95 time to first token",
                value: 812.4,
                slo: "<= 500 ms",
                passed: false,
                over: "19 answered",
                why: "812 ms is over the SLO of 500 ms (monitoring.slo.p95LatencyMs) at 8 concurrent streams",
            },
            { name: "p95 inter-token latency", value: 21, slo: "<= 100 ms", passed: true, over: "76 gaps" },
            {
                name: "error rate",
                value: 0.05,
                slo: "<= 1 %",
                passed: false,
                over: "20 requests",
                why: "1 of 20 requests failed (5 %), over the SLO of 1 % (1 - monitoring.slo.minSuccessRate)",
            },
            { name: "output tokens/s", value: 140.2, slo: ">= 100", passed: true, over: "2 s" },
        ],
        tokens: "usage",
        curve: [
            { second: 1, inFlight: 4.1, started: 10, p95TtftMs: 120, tokensPerSecond: 80, errors: 0 },
            { second: 2, inFlight: 8, started: 10, p95TtftMs: 640, tokensPerSecond: 150, errors: 1 },
            { second: 3, inFlight: 8, started: 10, tokensPerSecond: 130, errors: 0 },
        ],
        failed: [{ requestId: "load-1a2b3c4d-17", error: "answered 503" }],
    };

    it("says each figure against its SLO, why a failed one failed, and the failed requests' ids", () => {
        assert.deepEqual(renderLoadText(report), [
            "load stage of model chat (green): FAILED: 8 concurrent streams for 3 s (ramp 1 s) from evals/chat.jsonl's prompts: 30 requests, 20 judged, 1 failed",
            "  FAIL p95 time to first token: 812 ms (SLO <= 500 ms; over 19 answered): 812 ms is over the SLO of 500 ms (monitoring.slo.p95LatencyMs) at 8 concurrent streams",
            "  ok   p95 inter-token latency: 21 ms (SLO <= 100 ms; over 76 gaps)",
            "  FAIL error rate: 5 % (SLO <= 1 %; over 20 requests): 1 of 20 requests failed (5 %), over the SLO of 1 % (1 - monitoring.slo.minSuccessRate)",
            "  ok   output tokens/s: 140 (SLO >= 100; over 2 s)",
            "  failed requests (X-Request-Id): load-1a2b3c4d-17 (answered 503)",
        ]);
    });

    it("carries the figures and the curve (Mermaid xychart-beta, the SLO as a flat line) into the summary", () => {
        assert.equal(
            renderLoadMarkdown(report),
            [
                "### Load stage: model `chat` (green) ❌ failed",
                "",
                "8 concurrent streams for 3 s (ramp 1 s) from `evals/chat.jsonl`'s prompts: 30 requests, 20 judged, 1 failed.",
                "",
                "| Measure | Value | SLO | Over | |",
                "| --- | --- | --- | --- | --- |",
                "| p95 time to first token | 812 ms | <= 500 ms | 19 answered | ❌ |",
                "| p95 inter-token latency | 21 ms | <= 100 ms | 76 gaps | ✅ |",
                "| error rate | 5 % | <= 1 % | 20 requests | ❌ |",
                "| output tokens/s | 140 | >= 100 | 2 s | ✅ |",
                "",
                "- p95 time to first token: 812 ms is over the SLO of 500 ms (monitoring.slo.p95LatencyMs) at 8 concurrent streams",
                "- error rate: 1 of 20 requests failed (5 %), over the SLO of 1 % (1 - monitoring.slo.minSuccessRate)",
                "",
                "p95 time to first token per second (the flat line: the SLO, 500 ms):",
                "",
                "```mermaid",
                "xychart-beta",
                '    title "p95 time to first token"',
                '    x-axis "second" [1, 2, 3]',
                '    y-axis "ms" 0 --> 710',
                "    line [120, 640, 640]",
                "    line [500, 500, 500]",
                "```",
                "",
                "Output tokens per second (the flat line: the SLO, 100):",
                "",
                "```mermaid",
                "xychart-beta",
                '    title "output tokens/s"',
                '    x-axis "second" [1, 2, 3]',
                '    y-axis "tokens/s" 0 --> 170',
                "    line [80, 150, 130]",
                "    line [100, 100, 100]",
                "```",
                "",
                "| Failed request (X-Request-Id) | Why |",
                "| --- | --- |",
                "| `load-1a2b3c4d-17` | answered 503 |",
                "",
            ].join("\n"),
        );
    });

    it("draws charts Mermaid's xychart grammar accepts: every series as long as the x-axis, numbers only", () => {
        for (const chart of [
            loadChart("p95 time to first token", "ms", [undefined, 12, undefined, 30.5], 500),
            loadChart('a "quoted" title', "tokens/s", [0, 0], 0),
        ])
            checkXyChart(chart);
    });
});

/**
 * What Mermaid's xychart parser (packages/mermaid/src/diagrams/xychart/parser/xychart.jison) would
 * refuse: another header, an unquoted multi-word text, a series not as long as the x-axis, a
 * value that is no number, a y-axis range upside down.
 */
function checkXyChart(text: string): void {
    const lines = text.split("\n");
    assert.equal(lines[0], "```mermaid");
    assert.equal(lines.at(-1), "```");
    assert.equal(lines[1], "xychart-beta");
    let categories = -1;
    let series = 0;
    for (const line of lines.slice(2, -1)) {
        let m: RegExpExecArray | null;
        if (/^ {4}title "[^"]*"$/.test(line)) continue;
        if ((m = /^ {4}x-axis "[^"]*" \[([^\]]*)\]$/.exec(line))) {
            categories = m[1].split(", ").length;
            continue;
        }
        if ((m = /^ {4}y-axis "[^"]*" (-?[\d.]+) --> (-?[\d.]+)$/.exec(line))) {
            assert.ok(Number(m[1]) < Number(m[2]), line);
            continue;
        }
        if ((m = /^ {4}line \[([^\]]*)\]$/.exec(line))) {
            const values = m[1].split(", ");
            for (const v of values) assert.match(v, /^-?\d+(\.\d+)?$/, line);
            assert.equal(values.length, categories, `${line}: as many values as x-axis categories`);
            series++;
            continue;
        }
        assert.fail(`unexpected line: ${line}`);
    }
    assert.equal(series, 2);
}

describe("the promotion holds the flip on the load stage", () => {
    const okProber: Prober = {
        get: async (): Promise<ProbeResult> => ({ status: 200, latencyMs: 5 }),
        wait: async (): Promise<void> => {},
    };
    const GATE: GateSettings = {
        set: "evals/test.jsonl",
        minAccuracy: 0.85,
        maxHallucinationRate: 0.05,
        minSuccessRate: 0.99,
        p95LatencyMs: 500,
        latency: "ttft",
        concurrency: 2,
        timeoutMs: 2000,
        maxTokens: 64,
        load: { ...LOAD, durationSeconds: 1, concurrency: 6 },
    };

    async function promoteAgainst(behaviour: Behaviour) {
        const server = await openAiServer({ answer: () => "x", chunks: 2, ...behaviour });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "load-"));
        fs.mkdirSync(path.join(dir, "evals"));
        fs.writeFileSync(
            path.join(dir, "evals", "test.jsonl"),
            ITEMS.map((i) => JSON.stringify({ id: i.id, prompt: i.prompt, expect: i.expect })).join("\n"),
        );
        const reports = path.join(dir, "out");
        try {
            const stack = new FakeStack(
                state({
                    model: "chat",
                    servedModelName: "qwen2.5-1.5b-instruct",
                    gate: GATE,
                    smoke: { ...state().smoke, previewUrl: server.url },
                }),
            );
            // Every journal write's steps: what a kill at that point would leave.
            const journals: Journal[] = [];
            const write = stack.journal.write.bind(stack.journal);
            stack.journal.write = async (j) => {
                journals.push(structuredClone(j));
                await write(j);
            };
            const result = await promote(stack, okProber, { modelVersion: "v2" }, qualityGate(dir, reports));
            return { result, stack, journals, reports };
        } finally {
            await server.close();
        }
    }

    it("flips once the preview meets the SLO at the load, after marking the load passed", async () => {
        const { result, stack, journals, reports } = await promoteAgainst({ itlMs: () => 5, chunks: 5 });
        assert.equal(result.outcome, "promoted", result.log.join("\n"));
        assert.deepEqual(stack.calls, ["up: deploy green as the preview colour", "up: make green the active colour"]);
        const steps = journals.map((j) => j.current?.steps.at(-1)).filter((s) => s !== undefined);
        assert.deepEqual(steps.slice(0, 6), [
            "deploy preview",
            "preview deployed",
            "gate passed",
            "load passed",
            "flip",
            "flipped",
        ]);
        assert.ok(
            result.log.some((l) => /^load stage of model chat \(green\): passed: 6 concurrent streams for 1 s/.test(l)),
        );
        const markdown = fs.readFileSync(path.join(reports, "load-chat.md"), "utf8");
        assert.ok(markdown.startsWith("### Load stage: model `chat` (green) ✅ passed\n"), markdown);
        assert.ok(markdown.includes("```mermaid\nxychart-beta\n"));
        const json = JSON.parse(fs.readFileSync(path.join(reports, "load-chat.json"), "utf8")) as LoadReport;
        assert.equal(json.passed, true);
        assert.ok(json.curve.length >= 1);
    });

    it("holds the flip when the preview degrades under the load: outcome load-failed (exit 1), green put back, blue serving", async () => {
        const { result, stack, journals, reports } = await promoteAgainst({
            delayMs: (_p, n) => (n < 3 ? 5 : 150 * n),
        });
        assert.equal(result.outcome, "load-failed", result.log.join("\n"));
        assert.equal(OUTCOME_EXIT[result.outcome], 1);
        assert.equal(result.activeColor, "blue");
        assert.deepEqual(stack.calls, [
            "up: deploy green as the preview colour",
            "up: restore green to its previous release",
        ]);
        assert.equal(stack.state.activeColor, "blue");
        assert.equal(stack.state.releases.green.modelVersion, "v1");
        const steps = journals.flatMap((j) => j.current?.steps ?? []);
        assert.ok(steps.includes("gate passed"));
        assert.ok(!steps.includes("load passed") && !steps.includes("flip"));
        // The journal is closed: nothing left for a recovery.
        assert.equal(stack.journalData.current, undefined);
        const failedLine = result.log.find((l) => l.startsWith("  FAIL "));
        assert.match(
            failedLine ?? "",
            /^ {2}FAIL p95 time to first token: \d+ ms \(SLO <= 500 ms; over \d+ answered\): \d+ ms is over the SLO of 500 ms \(monitoring\.slo\.p95LatencyMs\) at 6 concurrent streams$/,
        );
        assert.equal(result.log.at(-1), "restored green to its previous release; blue kept serving throughout");
        const json = JSON.parse(fs.readFileSync(path.join(reports, "load-chat.json"), "utf8")) as LoadReport;
        assert.equal(json.passed, false);
    });

    it("undoes a release killed after its gate passed but before its load stage was judged", async () => {
        const stack = new FakeStack(
            state({
                model: "chat",
                releases: {
                    blue: { image: undefined, modelVersion: "v1" },
                    green: { image: undefined, modelVersion: "v2" },
                },
            }),
        );
        const before = {
            activeColor: "blue" as const,
            scaleDownInactive: false,
            releases: {
                blue: { image: undefined, modelVersion: "v1" },
                green: { image: undefined, modelVersion: "v1" },
            },
        };
        stack.journalData = {
            current: {
                id: "2026-12-07T10:00:00.000Z/1",
                kind: "promote",
                before,
                target: {
                    ...before,
                    activeColor: "green",
                    releases: { ...before.releases, green: { image: undefined, modelVersion: "v2" } },
                },
                steps: ["deploy preview", "preview deployed", "gate passed"],
            },
        };
        const result = await promote(stack, okProber, { recover: true });
        assert.equal(result.outcome, "recovered", result.log.join("\n"));
        assert.deepEqual(stack.calls, ["up: undo the interrupted promote"]);
        assert.equal(stack.state.releases.green.modelVersion, "v1");
        assert.equal(
            result.log[0].startsWith(
                "the promote begun 2026-12-07T10:00:00.000Z/1 did not finish (last step: gate passed); undoing it",
            ),
            true,
        );
    });
});

describe("the load stage's settings", () => {
    it("are the tier's: prod holds a hundred streams for two minutes, staging ten for one; a model may override them", () => {
        const prod = servedModels(resolveSettings("prod", goodRawConfig()))[0];
        assert.deepEqual(prod.evaluation.load, {
            enabled: true,
            concurrency: 100,
            durationSeconds: 120,
            rampSeconds: 10,
            maxTokens: 256,
            minTokens: 128,
        });
        assert.equal(prod.slo.minTokensPerSecond, 1000);
        assert.equal(prod.slo.p95InterTokenLatencyMs, 100);
        const staging = servedModels(
            resolveSettings(
                "staging",
                goodRawConfig({
                    "llm-platform:models": JSON.stringify([
                        { name: "chat", evaluation: { load: { concurrency: 20 } }, slo: { minTokensPerSecond: 200 } },
                    ]),
                }),
            ),
        )[0];
        assert.deepEqual(staging.evaluation.load, {
            enabled: true,
            concurrency: 20,
            durationSeconds: 60,
            rampSeconds: 5,
            maxTokens: 256,
            minTokens: 128,
        });
        assert.equal(staging.slo.minTokensPerSecond, 200);
    });

    it("refuse a ramp as long as the load, minTokens over maxTokens and values out of range, naming each key", () => {
        assert.deepEqual(
            problemsIfAny(() =>
                resolveSettings(
                    "staging",
                    goodRawConfig({
                        "llm-platform:serving": JSON.stringify({
                            evaluation: { load: { durationSeconds: 30, rampSeconds: 30, minTokens: 300 } },
                        }),
                        "llm-platform:models": JSON.stringify([
                            {
                                name: "chat",
                                evaluation: { load: { concurrency: 0 } },
                                slo: { p95InterTokenLatencyMs: 0 },
                            },
                        ]),
                    }),
                ),
            ),
            [
                "llm-platform:models[0].evaluation.load.concurrency: expected an integer >= 1, received 0",
                "llm-platform:models[0].slo.p95InterTokenLatencyMs: expected an integer >= 1, received 0",
                "llm-platform:serving.evaluation.load.minTokens: expected at most evaluation.load.maxTokens (256) of model chat: vLLM refuses a request whose min_tokens exceeds its max_tokens, received 300",
                "llm-platform:serving.evaluation.load.rampSeconds: expected fewer seconds than evaluation.load.durationSeconds (30) of model chat: only the requests begun after the ramp are judged, so the ramp must end before the load does; shorten the ramp or lengthen durationSeconds, received 30",
            ],
        );
    });
});

describe("promote --log-format json: a JSON object per line", () => {
    it("writes each step with its time, level, stack, model, colour and release; the failed requests' ids; the outcome with its exit code", async () => {
        const lines: string[] = [];
        const serving = {
            activeColor: "blue" as const,
            scaleDownInactive: false,
            releases: {
                blue: { image: undefined, modelVersion: "v1" },
                green: { image: undefined, modelVersion: "v1" },
            },
        };
        const code = await promoteEach(
            ["chat"],
            async () => ({
                outcome: "load-failed",
                activeColor: "blue",
                serving,
                log: [
                    "deployed green (image built by the stack, model v2)",
                    "load stage of model chat (green): FAILED: 100 concurrent streams for 120 s (ramp 10 s) from evals/chat.jsonl's prompts: 900 requests, 820 judged, 2 failed",
                    "  FAIL error rate: 0.24 % (SLO <= 0.1 %; over 820 requests): 2 of 820 requests failed (0.24 %), over the SLO of 0.1 % (1 - monitoring.slo.minSuccessRate)",
                    "  failed requests (X-Request-Id): load-0a1b2c3d-17 (answered 503), load-0a1b2c3d-401 (answered 503)",
                ],
                times: [
                    "2026-12-07T10:00:00.000Z",
                    "2026-12-07T10:02:30.000Z",
                    "2026-12-07T10:02:30.000Z",
                    "2026-12-07T10:02:30.000Z",
                ],
                target: { colour: "green", modelVersion: "v2" },
                model: "chat",
            }),
            () => assert.fail("no text in json mode"),
            () => false,
            {
                format: "json",
                stack: "prod",
                write: (l) => lines.push(l),
                clock: () => new Date("2026-12-07T10:03:00Z"),
            },
        );
        assert.equal(code, 1);
        assert.deepEqual(lines, [
            '{"time":"2026-12-07T10:00:00.000Z","level":"info","stack":"prod","model":"chat","colour":"green","modelVersion":"v2","step":"deployed green (image built by the stack, model v2)"}',
            `{"time":"2026-12-07T10:02:30.000Z","level":"info","stack":"prod","model":"chat","colour":"green","modelVersion":"v2","step":"load stage of model chat (green): FAILED: 100 concurrent streams for 120 s (ramp 10 s) from evals/chat.jsonl's prompts: 900 requests, 820 judged, 2 failed"}`,
            '{"time":"2026-12-07T10:02:30.000Z","level":"warn","stack":"prod","model":"chat","colour":"green","modelVersion":"v2","step":"  FAIL error rate: 0.24 % (SLO <= 0.1 %; over 820 requests): 2 of 820 requests failed (0.24 %), over the SLO of 0.1 % (1 - monitoring.slo.minSuccessRate)"}',
            '{"time":"2026-12-07T10:02:30.000Z","level":"info","stack":"prod","model":"chat","colour":"green","modelVersion":"v2","requestIds":["load-0a1b2c3d-17","load-0a1b2c3d-401"],"step":"  failed requests (X-Request-Id): load-0a1b2c3d-17 (answered 503), load-0a1b2c3d-401 (answered 503)"}',
            '{"time":"2026-12-07T10:03:00.000Z","level":"warn","stack":"prod","model":"chat","colour":"green","modelVersion":"v2","outcome":"load-failed","exit":1,"step":"load-failed: blue serves (model v1, image built by the stack); green runs model v1, image built by the stack"}',
        ]);
    });

    it("is text by default; another format is refused", () => {
        assert.equal(parsePromoteArgs(["--stack", "prod"]).logFormat, "text");
        assert.equal(parsePromoteArgs(["--stack", "prod", "--log-format", "json"]).logFormat, "json");
        assert.throws(() => parsePromoteArgs(["--stack", "prod", "--log-format", "yaml"]), {
            message:
                '--log-format: expected text (a line per step, the default) or json (a JSON object per line), received "yaml"',
        });
    });

    it("records each step's time and the release's target in the machine's result", async () => {
        const stack = new FakeStack(state());
        const result = await promote(
            stack,
            { get: async () => ({ status: 200, latencyMs: 5 }), wait: async () => {} },
            { modelVersion: "v2" },
        );
        assert.equal(result.outcome, "promoted");
        assert.deepEqual(result.target, { colour: "green", modelVersion: "v2" });
        assert.equal(result.times?.length, result.log.length);
        for (const t of result.times ?? []) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
});
