import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { TTFT_EXPORTER_SCRIPT } from "../components/aws/ttftExporter";
import { ttftBudgetProblem, VLLM_TTFT_BUCKETS_SECONDS } from "../catalog/vllm";

/** vLLM's /metrics as prometheus_client writes it: two engines, a model name with a space. */
function exposition(engines: Array<{ count: number; within: number }>): string {
    const lines = [
        "# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.",
        "# TYPE vllm:time_to_first_token_seconds histogram",
    ];
    engines.forEach(({ count, within }, engine) => {
        const labels = `engine="${engine}",model_name="my model"`;
        for (const le of VLLM_TTFT_BUCKETS_SECONDS) {
            const value = le < 0.5 ? Math.floor(within / 2) : le === 0.5 ? within : count;
            // prometheus_client writes a bound as Python's repr of the float: 0.5, 1.0, 2560.0.
            const bound = Number.isInteger(le) ? le.toFixed(1) : String(le);
            lines.push(`vllm:time_to_first_token_seconds_bucket{${labels},le="${bound}"} ${value}.0`);
        }
        lines.push(`vllm:time_to_first_token_seconds_bucket{${labels},le="+Inf"} ${count}.0`);
        lines.push(`vllm:time_to_first_token_seconds_count{${labels}} ${count}.0`);
        lines.push(`vllm:time_to_first_token_seconds_sum{${labels}} ${count * 0.3}`);
    });
    lines.push('vllm:num_requests_waiting{engine="0",model_name="my model"} 3.0');
    return `${lines.join("\n")}\n`;
}

describe("The time-to-first-token exporter (the ECS rollback gate's metrics)", () => {
    it("writes, each period, the requests that got a first token and those over the budget, as CloudWatch EMF", async function () {
        this.timeout(30_000);
        // Successive reads: a baseline, a minute of traffic, a restarted server (counters reset), an error.
        const reads = [
            exposition([
                { count: 10, within: 8 },
                { count: 4, within: 4 },
            ]),
            exposition([
                { count: 30, within: 25 },
                { count: 10, within: 9 },
            ]),
            exposition([
                { count: 5, within: 5 },
                { count: 0, within: 0 },
            ]),
        ];
        let served = 0;
        let lookups = 0;
        const server = http.createServer((req, res) => {
            // The task metadata endpoint v4: the server's container (not yet, the first time) and its bridge address.
            if (req.url === "/v4/0123abcd/task") {
                const containers = [
                    { Name: "ttft-metrics", Networks: [{ NetworkMode: "bridge", IPv4Addresses: ["172.17.0.3"] }] },
                ];
                if (lookups++ > 0)
                    containers.push({
                        Name: "inference",
                        Networks: [{ NetworkMode: "bridge", IPv4Addresses: ["127.0.0.1"] }],
                    });
                res.writeHead(200, { "content-type": "application/json" });
                res.end(JSON.stringify({ Cluster: "c", Containers: containers }));
                return;
            }
            const body = reads[served++];
            if (req.url !== "/metrics" || body === undefined) {
                res.writeHead(503);
                res.end();
                return;
            }
            res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
            res.end(body);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as AddressInfo).port;
        const child = spawn("python3", ["-c", TTFT_EXPORTER_SCRIPT], {
            env: {
                PATH: process.env.PATH,
                ECS_CONTAINER_METADATA_URI_V4: `http://127.0.0.1:${port}/v4/0123abcd`,
                METRICS_CONTAINER: "inference",
                METRICS_PORT: String(port),
                TTFT_BUDGET_SECONDS: "0.5",
                SERVICE: "inference-ecs",
                NAMESPACE: "LLMPlatform/Inference",
                PERIOD_SECONDS: "1",
            },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        const started = Date.now();
        // Until the fourth read (the 503) has been answered and the exporter's report of it has
        // reached us: the request is served before the exporter writes its line.
        while ((served < 4 || !stderr.includes("503")) && Date.now() - started < 20_000)
            await new Promise((r) => setTimeout(r, 100));
        child.kill();
        server.close();
        const events = stdout
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { Timestamp: number } });
        assert.deepEqual(
            events.map(({ _aws, ...rest }) => ({ ...rest, metrics: _aws })),
            [
                // (30 - 10) + (10 - 4) = 26 requests; (20 - 17) + (6 - 5) = 4 over 0.5 s.
                { Service: "inference-ecs", TimeToFirstTokenRequests: 26, TimeToFirstTokenOverBudget: 4 },
                // The server restarted: its counters count from zero.
                { Service: "inference-ecs", TimeToFirstTokenRequests: 5, TimeToFirstTokenOverBudget: 0 },
            ].map((e, i) => ({
                ...e,
                metrics: {
                    Timestamp: events[i]._aws.Timestamp,
                    CloudWatchMetrics: [
                        {
                            Namespace: "LLMPlatform/Inference",
                            Dimensions: [["Service"]],
                            Metrics: [
                                { Name: "TimeToFirstTokenRequests", Unit: "Count" },
                                { Name: "TimeToFirstTokenOverBudget", Unit: "Count" },
                            ],
                        },
                    ],
                },
            })),
        );
        // Milliseconds since the epoch, at the start of the period counted.
        for (const e of events) {
            assert.ok(Math.abs(e._aws.Timestamp - Date.now()) < 30_000);
            assert.equal(e._aws.Timestamp % 1000, 0);
        }
        assert.equal(events[1]._aws.Timestamp - events[0]._aws.Timestamp, 1000);
        assert.deepEqual(
            stderr
                .trim()
                .split("\n")
                .map((l) => l.replace(/127\.0\.0\.1:\d+/, "127.0.0.1:PORT")),
            [
                "ttft-metrics: cannot read http://127.0.0.1:PORT/v4/0123abcd/task: the task metadata has no address of the inference container yet",
                "ttft-metrics: cannot read http://127.0.0.1:PORT/metrics: HTTP Error 503: Service Unavailable",
            ],
        );
    });

    it("takes a budget only at one of vLLM's bucket bounds, where counting it is exact", () => {
        assert.equal(ttftBudgetProblem(500), undefined);
        assert.equal(ttftBudgetProblem(2500), undefined);
        assert.match(
            String(ttftBudgetProblem(300)),
            /^expected one of vLLM's time-to-first-token bucket bounds in ms \(1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1000,/,
        );
    });
});
