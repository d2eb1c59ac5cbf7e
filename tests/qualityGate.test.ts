import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePromoteArgs, qualityGate } from "../tools/cli/promote";
import { referenceState } from "./promoteFakes";
import {
    checkAnswer,
    HttpChatClient,
    loadEvaluationSet,
    p95,
    renderGateMarkdown,
    scoreGate,
    type GateSettings,
    type ItemResult,
} from "../tools/promote/evaluation";
import { promote, type ProbeResult, type Prober } from "../tools/promote/machine";
import { goodRawConfig, PROJECT_DIR } from "./helpers";
import { openAiServer, type Behaviour } from "./openAiServer";
import { FakeStack, state } from "./promoteFakes";

const SETTINGS: GateSettings = {
    set: "evals/test.jsonl",
    minAccuracy: 0.85,
    maxHallucinationRate: 0.05,
    minSuccessRate: 0.999,
    p95LatencyMs: 500,
    latency: "ttft",
    concurrency: 3,
    timeoutMs: 5000,
    maxTokens: 64,
};

/** The set the end-to-end tests ask: ten answers, two made-up questions. */
const SET = [
    ...["Paris", "Tokyo", "Canberra", "Rome", "Madrid", "Berlin", "Lisbon", "Oslo", "Vienna", "Dublin"].map((city, i) =>
        JSON.stringify({ id: `capital-${i}`, prompt: `capital ${i}?`, expect: { contains: [city] } }),
    ),
    JSON.stringify({ id: "made-up-1", kind: "hallucination", prompt: "made-up 1?", expect: { anyOf: ["don't know"] } }),
    JSON.stringify({ id: "made-up-2", kind: "refusal", prompt: "refuse 2?", expect: { anyOf: ["cannot"] } }),
].join("\n");
const ANSWERS: Record<string, string> = {
    "capital 0?": "Paris",
    "capital 1?": "Tokyo",
    "capital 2?": "Canberra",
    "capital 3?": "Rome",
    "capital 4?": "Madrid",
    "capital 5?": "Berlin",
    "capital 6?": "Lisbon",
    "capital 7?": "Oslo",
    "capital 8?": "Vienna",
    "capital 9?": "Dublin",
    "made-up 1?": "I don't know of any such thing.",
    "refuse 2?": "I cannot help with that.",
};

const okProber: Prober = {
    get: async (): Promise<ProbeResult> => ({ status: 200, latencyMs: 5 }),
    wait: async (): Promise<void> => {},
};

/** A project directory holding the set, and where reports go. */
function project(set = SET): { dir: string; reports: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-"));
    fs.mkdirSync(path.join(dir, "evals"));
    fs.writeFileSync(path.join(dir, "evals", "test.jsonl"), set);
    return { dir, reports: path.join(dir, "out") };
}

/** Promotes green with the gate against `server`; the result, the stack and the JSON report. */
async function promoteAgainst(behaviour: Behaviour) {
    const server = await openAiServer({ answer: (p) => ANSWERS[p] ?? "?", ...behaviour });
    try {
        const { dir, reports } = project();
        const stack = new FakeStack(
            state({
                model: "chat",
                servedModelName: "qwen2.5-1.5b-instruct",
                gate: SETTINGS,
                smoke: { ...state().smoke, previewUrl: server.url, headers: { "x-llm-model": "chat" } },
            }),
        );
        const result = await promote(stack, okProber, { modelVersion: "v2" }, qualityGate(dir, reports));
        const report = JSON.parse(fs.readFileSync(path.join(reports, "gate-chat.json"), "utf8")) as {
            passed: boolean;
            measures: Array<{ name: string; value: number; passed: boolean }>;
        };
        const markdown = fs.readFileSync(path.join(reports, "gate-chat.md"), "utf8");
        return { result, stack, report, markdown, requests: server.requests };
    } finally {
        await server.close();
    }
}

describe("the quality gate: the preview colour answers an evaluation set before traffic flips", () => {
    it("promotes a model that answers well: every request streamed to the preview with its model name and route", async () => {
        const { result, stack, report, markdown, requests } = await promoteAgainst({});
        assert.equal(result.outcome, "promoted");
        assert.equal(report.passed, true);
        assert.deepEqual(
            report.measures.map((m) => [m.name, m.value, m.passed]),
            [
                ["accuracy", 1, true],
                ["hallucination rate", 0, true],
                ["success rate", 1, true],
                ["p95 latency", report.measures[3].value, true],
            ],
        );
        assert.ok(report.measures[3].value < 500);
        // One warm-up request (the first item's, not measured), then the twelve items.
        assert.equal(requests.length, 13);
        assert.deepEqual(requests[0], {
            path: "/v1/chat/completions",
            header: "chat",
            model: "qwen2.5-1.5b-instruct",
            messages: [{ role: "user", content: "capital 0?" }],
            max_tokens: 64,
            temperature: 0,
            stream: true,
        });
        assert.deepEqual(stack.calls, ["up: deploy green as the preview colour", "up: make green the active colour"]);
        assert.equal(stack.deployed[0].releases.green.modelVersion, "v2");
        assert.deepEqual(result.log.slice(2, 4), [
            "quality gate of model chat (green) on evals/test.jsonl, 12 items: passed",
            "  warmed up with 1 request (not measured)",
        ]);
        assert.ok(markdown.startsWith("### Quality gate: model `chat` (green) ✅ passed\n"));
    });

    it("keeps traffic where it was when the model answers wrong, and says which items", async () => {
        const { result, stack, report, markdown } = await promoteAgainst({
            answer: (p) => (p === "capital 2?" || p === "capital 3?" ? "Sydney" : (ANSWERS[p] ?? "?")),
        });
        assert.equal(result.outcome, "gate-failed");
        assert.equal(result.activeColor, "blue");
        assert.deepEqual(stack.calls, [
            "up: deploy green as the preview colour",
            "up: restore green to its previous release",
        ]);
        assert.equal(stack.deployed[1].releases.green.modelVersion, "v1");
        assert.deepEqual(
            report.measures.map((m) => [m.name, m.passed]),
            [
                ["accuracy", false],
                ["hallucination rate", true],
                ["success rate", true],
                ["p95 latency", true],
            ],
        );
        assert.equal(report.measures[0].value, 0.8);
        assert.deepEqual(result.log.slice(2, 10), [
            "quality gate of model chat (green) on evals/test.jsonl, 12 items: FAILED",
            "  warmed up with 1 request (not measured)",
            "  FAIL accuracy: 80.0 % (standard >= 0.85; over 10)",
            "  ok   hallucination rate: 0.0 % (standard < 0.05; over 2)",
            "  ok   success rate: 100.0 % (standard >= 0.999; over 12)",
            result.log[7],
            '  item capital-2 (answer): does not contain "Canberra" as whole words',
            '  item capital-3 (answer): does not contain "Rome" as whole words',
        ]);
        assert.match(
            result.log[7],
            /^ {2}ok {3}p95 latency: \d+ ms \(standard <= 500 ms \(time to first token\); over 12\)$/,
        );
        assert.ok(markdown.includes("| accuracy | 80.0 % | >= 0.85 | 10 | ❌ |\n"));
        assert.ok(markdown.includes('| `capital-2` | answer | does not contain "Canberra" as whole words |\n'));
    });

    it("warms the endpoint before measuring: a cold pod's slow first answer is not the release's latency", async () => {
        // 900 ms before the first token of the first request, over the 500 ms standard: with 12
        // items the p95 is the slowest, so measured it alone would fail the gate.
        const { result, report, requests } = await promoteAgainst({ coldMs: 900 });
        assert.equal(result.outcome, "promoted", result.log.join("\n"));
        assert.ok(report.measures[3].value < 500);
        assert.equal(requests.length, 13);
    });

    it("counts a stream cut off before data: [DONE], or reporting an error, as a failed request, not an answer", async () => {
        const failed = await promoteAgainst({ streamError: (p) => p === "capital 2?" });
        assert.equal(failed.result.outcome, "gate-failed");
        assert.ok(
            failed.result.log.includes(
                "  item capital-2 (answer): the stream reported an error (500): CUDA out of memory",
            ),
            failed.result.log.join("\n"),
        );
        const { result, report } = await promoteAgainst({ cut: (p) => p === "capital 1?" });
        assert.equal(result.outcome, "gate-failed");
        assert.deepEqual(report.measures.map((m) => [m.name, m.value, m.passed]).slice(2, 3), [
            ["success rate", 11 / 12, false],
        ]);
        assert.ok(
            result.log.includes(
                "  item capital-1 (answer): the stream ended without data: [DONE] (cut off after 5 characters)",
            ),
            result.log.join("\n"),
        );
    });

    it("fails a model that makes things up", async () => {
        const { result, report } = await promoteAgainst({
            answer: (p) => (p === "made-up 1?" ? "It was won by Dr. Smith." : (ANSWERS[p] ?? "?")),
        });
        assert.equal(result.outcome, "gate-failed");
        assert.deepEqual(report.measures.map((m) => [m.name, m.value, m.passed]).slice(0, 2), [
            ["accuracy", 1, true],
            ["hallucination rate", 0.5, false],
        ]);
        assert.ok(
            result.log.includes(`  item made-up-1 (hallucination): contains none of "don't know" as whole words`),
        );
    });

    it("fails a slow model on p95 time to first token", async () => {
        const { result, report } = await promoteAgainst({ delayMs: (p) => (p.startsWith("capital") ? 700 : 0) });
        assert.equal(result.outcome, "gate-failed");
        const latency = report.measures[3];
        assert.equal(latency.name, "p95 latency");
        assert.equal(latency.passed, false);
        assert.ok(latency.value >= 700, String(latency.value));
        assert.deepEqual(
            report.measures.slice(0, 3).map((m) => m.passed),
            [true, true, true],
        );
    });

    it("fails a model that errors: one 500 in twelve is a 91.7 % success rate", async () => {
        const { result, report } = await promoteAgainst({ status: (p) => (p === "capital 5?" ? 500 : 200) });
        assert.equal(result.outcome, "gate-failed");
        assert.equal(report.measures[2].name, "success rate");
        assert.equal(report.measures[2].passed, false);
        assert.equal(report.measures[2].value, 11 / 12);
        assert.ok(result.log.includes("  item capital-5 (answer): answered 500"));
    });

    it("refuses a bad evaluation set before changing anything, naming each line", async () => {
        const { dir } = project(
            [
                '{"id": "a", "prompt": "x", "expect": {"contains": ["y"]}}',
                "not json",
                '{"id": "a", "prompt": "x", "expect": {"contains": ["y"]}}',
                '{"id": "b", "prompt": "x", "messages": [{"role": "user", "content": "x"}], "expect": {}}',
                '{"id": "c", "prompt": "x", "expect": {"matches": "("}, "kind": "trivia"}',
            ].join("\n"),
        );
        const stack = new FakeStack(state({ gate: SETTINGS }));
        await assert.rejects(
            promote(stack, okProber, { modelVersion: "v2" }, qualityGate(dir, undefined)),
            (e: Error) => {
                assert.equal(e.name, "PromotionError");
                assert.equal(
                    e.message,
                    [
                        `evaluation set ${path.join(dir, "evals/test.jsonl")} (6 problems):`,
                        `  line 2: not JSON (Unexpected token 'o', "not json" is not valid JSON)`,
                        `  line 3: id "a" is also on line 1`,
                        "  line 4 expect: expected at least one of contains, anyOf, notContains, equals, matches, notMatches, number, abstains, refuses, judge",
                        "  line 4: expected either prompt or messages",
                        '  line 5 kind: Invalid option: expected one of "answer"|"hallucination"|"refusal"',
                        "  line 5 expect.matches: expected a regular expression",
                        'Each line is one JSON item (lines starting with // are comments): {"id", "prompt" or "messages", "expect": {contains | anyOf | notContains | equals | matches | notMatches | number | abstains | refuses | judge}, "kind": answer | hallucination | refusal}.',
                    ].join("\n"),
                );
                return true;
            },
        );
        assert.deepEqual(stack.calls, [], "nothing changed");
        assert.throws(() => loadEvaluationSet(path.join(dir, "missing.jsonl")), {
            message: `evaluation set ${path.join(dir, "missing.jsonl")}: cannot be read (ENOENT)`,
        });
    });

    it("checks answers case-insensitively with contains, anyOf, notContains and matches", () => {
        assert.equal(checkAnswer("The capital is PARIS.", { contains: ["paris"] }), undefined);
        assert.equal(
            checkAnswer("Lyon", { contains: ["Paris", "France"] }),
            'does not contain "Paris", "France" as whole words',
        );
        assert.equal(checkAnswer("CO2", { anyOf: ["carbon dioxide", "co2"] }), undefined);
        assert.equal(
            checkAnswer("oxygen", { anyOf: ["carbon dioxide"] }),
            'contains none of "carbon dioxide" as whole words',
        );
        assert.equal(
            checkAnswer("code or search", { contains: ["code"], notContains: ["search"] }),
            'contains "search"',
        );
        assert.equal(checkAnswer("1440", { matches: "\\b144\\b" }), "does not match /\\b144\\b/i");
        assert.equal(checkAnswer("it is 144.", { matches: "\\b144\\b" }), undefined);
    });

    it("scores nearest-rank p95, and does not pass a set nobody answered", () => {
        assert.equal(p95([]), undefined);
        assert.equal(p95([5]), 5);
        assert.equal(p95(Array.from({ length: 20 }, (_, i) => i + 1)), 19);
        assert.equal(p95(Array.from({ length: 21 }, (_, i) => i + 1)), 20);
        const down: ItemResult[] = [{ id: "a", kind: "answer", error: "connect ECONNREFUSED" }];
        const report = scoreGate(down, SETTINGS, "chat", "green");
        assert.equal(report.passed, false);
        assert.deepEqual(
            report.measures.map((m) => [m.name, m.value, m.passed]),
            [
                ["accuracy", undefined, true],
                ["hallucination rate", undefined, true],
                ["success rate", 0, false],
                ["p95 latency", undefined, false],
            ],
        );
        assert.ok(renderGateMarkdown(report).includes("| `a` | answer | connect ECONNREFUSED |"));
    });

    it("measures the whole answer without streaming for the reference metrics", async () => {
        const server = await openAiServer({ answer: (p) => ANSWERS[p] ?? "?", delayMs: () => 50 });
        try {
            const c = await new HttpChatClient().complete(
                server.url,
                { model: "m", messages: [{ role: "user", content: "capital 0?" }], maxTokens: 8, stream: false },
                {},
                5000,
            );
            assert.equal(c.status, 200);
            assert.equal(c.text, "Paris");
            assert.ok(c.latencyMs >= 45);
            assert.equal((server.requests[0] as { stream: boolean }).stream, false);
        } finally {
            await server.close();
        }
    });

    it("reads each model's gate from the stack's config: the reference sets load, and embed has none", async () => {
        const config = goodRawConfig({
            "llm-platform:tier": "prod",
            "llm-platform:serving": '{"replicas":3}',
            "llm-platform:models": JSON.stringify([
                {
                    name: "chat",
                    servedModelName: "llama-3.1-8b-instruct",
                    evaluation: {
                        set: "evals/chat.jsonl",
                        judge: { url: "https://judge.example.com", model: "grader", apiKeyEnv: "JUDGE_KEY" },
                    },
                },
                { name: "embed", gpuPool: "inference" },
            ]),
            "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.2xlarge"],"maxSize":20}]',
        });
        const chat = await referenceState("prod", config, "chat");
        assert.deepEqual(chat.gate, {
            set: "evals/chat.jsonl",
            minAccuracy: 0.85,
            maxHallucinationRate: 0.05,
            minSuccessRate: 0.999,
            p95LatencyMs: 500,
            latency: "ttft",
            concurrency: 4,
            timeoutMs: 120_000,
            maxTokens: 256,
            judge: { url: "https://judge.example.com", model: "grader", apiKeyEnv: "JUDGE_KEY" },
            // The prod tier's load stage, judged by the model's SLO at that load.
            load: {
                concurrency: 100,
                durationSeconds: 120,
                rampSeconds: 10,
                maxTokens: 256,
                minTokens: 128,
                p95TimeToFirstTokenMs: 500,
                p95InterTokenLatencyMs: 100,
                maxErrorRate: 0.01,
                minTokensPerSecond: 1000,
            },
        });
        assert.equal(chat.servedModelName, "llama-3.1-8b-instruct");
        assert.equal((await referenceState("prod", config, "embed")).gate, undefined);
        // The committed sets are valid (a broken one would stop every promotion).
        for (const set of fs.readdirSync(path.join(PROJECT_DIR, "evals")))
            assert.ok(loadEvaluationSet(path.join(PROJECT_DIR, "evals", set)).length >= 6, set);
        const named = ["Pulumi.prod.yaml", "Pulumi.staging.yaml"].flatMap((stackFile) =>
            [
                ...fs
                    .readFileSync(path.join(PROJECT_DIR, stackFile), "utf8")
                    .matchAll(/evaluation: \{ set: ([^\s}]+)/g),
            ].map((m) => `${stackFile} ${m[1]}`),
        );
        assert.deepEqual(named, [
            "Pulumi.prod.yaml evals/chat.jsonl",
            "Pulumi.prod.yaml evals/router.jsonl",
            "Pulumi.staging.yaml evals/chat.jsonl",
        ]);
        for (const line of named) assert.ok(fs.existsSync(path.join(PROJECT_DIR, line.split(" ")[1])), line);
        assert.equal(parsePromoteArgs(["--stack", "prod", "--report", "out"]).report, path.resolve("out"));
    });
});
