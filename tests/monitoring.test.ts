import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dump, load } from "js-yaml";
import {
    buildAlertmanagerConfig,
    renderAlertmanagerConfig,
    severityRoutes,
    type AlertReceivers,
} from "../components/k8s/alertmanagerConfig";
import {
    alertCatalogue,
    buildRuleGroups,
    MODEL_VERSION_SERIES_LABEL,
    PLATFORM_ALERTS,
    renderRulesFile,
    REFERENCE_METRICS,
    VLLM_METRICS,
    type MetricNames,
    type Rule,
    type RuleGroup,
} from "../components/k8s/alertRules";
import { KUBE_PROMETHEUS_STACK_VERSION, prometheusStackValues } from "../components/k8s/monitoringStack";
import { REFERENCE_SLO } from "../catalog/standards";
import { chartDefaults, helmCoalesce } from "./helm";
import { run } from "./helpers";

const RUNBOOK = "https://example.com/runbook";
const groups = (): RuleGroup[] =>
    buildRuleGroups({ metrics: REFERENCE_METRICS, slo: REFERENCE_SLO, job: "inference", runbookBaseUrl: RUNBOOK });

/** Runs one of Prometheus's tools; they come from Debian's prometheus and prometheus-alertmanager packages (.ci/run installs them). */
function tool(command: "promtool" | "amtool", args: string[]): { code: number | null; out: string; stdout: string } {
    const r = spawnSync(command, args, { encoding: "utf8" });
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
        assert.fail(`${command} is not installed: apt-get install prometheus prometheus-alertmanager (.ci/run does)`);
    }
    return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

interface Case {
    name: string;
    series: Array<{ series: string; values: string }>;
    alert: string;
    at: string;
    /** Extra labels of the firing alert beyond severity and service; undefined: it stays quiet. */
    fires?: Record<string, string>;
}

const ok = (perMinute: number, minutes = 240) => `0+${perMinute}x${minutes}`;
const gauge = (value: number, minutes = 240) => `${value}x${minutes}`;

/**
 * A token-count histogram on vLLM's 1-2-5 buckets: `perMinute` requests a minute, each of at most
 * `yesterday` tokens for the first day (1440 minutes) and of at most `today` after, for two hours.
 */
function tokenHistogram(
    metric: string,
    labels: string,
    yesterday: number,
    today: number,
    perMinute: number,
): Array<{ series: string; values: string }> {
    const day = 1440;
    const after = 120;
    const les = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
    const counter = (before: boolean, now: boolean): string =>
        `0+${before ? perMinute : 0}x${day} ${before ? perMinute * day : 0}+${now ? perMinute : 0}x${after}`;
    return [
        ...les.map((le) => ({
            series: `${metric}_bucket{${labels},le="${le}"}`,
            values: counter(le >= yesterday, le >= today),
        })),
        { series: `${metric}_bucket{${labels},le="+Inf"}`, values: counter(true, true) },
        { series: `${metric}_count{${labels}}`, values: counter(true, true) },
    ];
}

/** The label the ServiceMonitor copies from a pod's `llm-platform/model-version`. */
const V = MODEL_VERSION_SERIES_LABEL;

/**
 * A release at 1440m: version v1 served requests of `before` tokens until then, v2 of `after`
 * tokens since, each on its own series (the pods' version label), `perMinute` requests a minute.
 */
function releasedHistogram(
    metric: string,
    labels: string,
    before: number,
    after: number,
    perMinute: number,
): Array<{ series: string; values: string }> {
    const les = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
    const old = (on: boolean): string => (on ? `0+${perMinute}x1440 ${perMinute * 1440}+0x120` : "0+0x1560");
    const next = (on: boolean): string => (on ? `0+0x1440 0+${perMinute}x120` : "0+0x1560");
    return [
        ...(["v1", "v2"] as const).flatMap((version) => {
            const at = version === "v1" ? before : after;
            const values = version === "v1" ? old : next;
            const l = `${labels},${V}="${version}"`;
            return [
                ...les.map((le) => ({ series: `${metric}_bucket{${l},le="${le}"}`, values: values(le >= at) })),
                { series: `${metric}_bucket{${l},le="+Inf"}`, values: values(true) },
                { series: `${metric}_count{${l}}`, values: values(true) },
            ];
        }),
    ];
}

/** How each preset's series look on the wire, beyond the metric names. */
interface Wire {
    metrics: MetricNames;
    /** Status label values of a success and of a server error. */
    okStatus: string;
    errorStatus: string;
    /** Labels of an inference request, and of a readiness probe request when they share the counter. */
    request: string;
    probe?: string;
    /** Labels of the latency histogram besides job and le. */
    latencyLabels: string;
    /** Labels of the GPU utilisation gauge of a GPU held by `pod` (of namespace inference). */
    gpuLabels: (pod: string) => string;
}

/** The scrape of an inference pod behind `service` (up: 1 while Prometheus reaches it). */
const scrape = (pod: string, service: string, value = 1) => ({
    series: `up{job="inference",namespace="inference",pod="${pod}",service="${service}",instance="10.0.1.5:8000"}`,
    values: gauge(value),
});

/** An address of a Service's Endpoints as kube-state-metrics 2.17 reports it (ready: "true" or "false"). */
const endpoint = (name: string, ip: string, ready: "true" | "false") => ({
    series: `kube_endpoint_address{namespace="inference",endpoint="${name}",ip="${ip}",port_name="http",port_number="8000",port_protocol="TCP",ready="${ready}"}`,
    values: gauge(1),
});

const WIRES: Record<"reference" | "vllm", Wire> = {
    reference: {
        metrics: REFERENCE_METRICS,
        okStatus: "200",
        errorStatus: "500",
        request: 'job="inference"',
        latencyLabels: 'job="inference"',
        // The reference app exports the gauge itself: the pod's scrape labels it.
        gpuLabels: (pod) =>
            `job="inference",namespace="inference",pod="${pod}",service="inference-${pod.includes("green") ? "preview" : "active"}"`,
    },
    // vLLM v0.11: prometheus-fastapi-instrumentator groups status codes ("2xx"); the readiness probe
    // hits /v1/models on the same counter; vllm:* series carry model_name; DCGM labels GPUs.
    vllm: {
        metrics: VLLM_METRICS,
        okStatus: "2xx",
        errorStatus: "5xx",
        request: 'job="inference",handler="/v1/chat/completions",method="POST"',
        probe: 'job="inference",handler="/v1/models",method="GET"',
        latencyLabels: 'job="inference",model_name="llama",engine="0"',
        // dcgm-exporter names the pod holding the GPU; Prometheus renames those exported_* beside its own.
        gpuLabels: (pod) =>
            `gpu="0",Hostname="node-${pod}",modelName="NVIDIA A10G",namespace="monitoring",pod="dcgm-exporter-${pod}",exported_namespace="inference",exported_pod="${pod}"`,
    },
};

/** Synthetic series: each alert fires on a breach and stays quiet just inside the standard. */
function casesFor(w: Wire): Case[] {
    const m = w.metrics;
    // The serving pods' scrape (behind the active Service) and the preview colour's.
    const live = `${w.latencyLabels},service="inference-active"`;
    const preview = `${w.latencyLabels},service="inference-preview"`;
    const latency = (le01: number, le05: number, le1: number) =>
        (
            [
                ["0.1", ok(le01)],
                ["0.5", ok(le05)],
                ["1.0", ok(le1)],
                ["2.5", ok(400)],
                ["5.0", ok(400)],
                ["+Inf", ok(400)],
            ] as const
        ).map(([le, values]) => ({ series: `${m.latency}_bucket{${w.latencyLabels},le="${le}"}`, values }));
    const traffic = (okPerMinute: number, errorsPerMinute: number) => [
        { series: `${m.requestsTotal}{${w.request},status="${w.okStatus}"}`, values: ok(okPerMinute) },
        { series: `${m.requestsTotal}{${w.request},status="${w.errorStatus}"}`, values: ok(errorsPerMinute) },
        // Readiness probes: many successes that are not inference, and must not dilute its errors.
        ...(w.probe ? [{ series: `${m.requestsTotal}{${w.probe},status="${w.okStatus}"}`, values: ok(5000) }] : []),
    ];
    // The serving pod (blue, behind the active Service) and the warm inactive one (green, behind preview).
    const gpu = (serving: number, warm?: number) => [
        { series: `${m.gpuUtilization}{${w.gpuLabels("inference-blue-1")}}`, values: gauge(serving) },
        scrape("inference-blue-1", "inference-active"),
        ...(warm === undefined
            ? []
            : [
                  { series: `${m.gpuUtilization}{${w.gpuLabels("inference-green-1")}}`, values: gauge(warm) },
                  scrape("inference-green-1", "inference-preview"),
              ]),
    ];
    return [
        {
            name: "p95 at 600 ms for 10 minutes",
            series: latency(0, 375, 400),
            alert: "LLMHighP95Latency",
            at: "25m",
            fires: {},
        },
        { name: "p95 at 400 ms", series: latency(320, 400, 400), alert: "LLMHighP95Latency", at: "25m" },
        // The error ratio is recorded per job (one series per model), so its alerts carry the job.
        {
            name: "2 % errors",
            series: traffic(98, 2),
            alert: "LLMLowSuccessRate",
            at: "25m",
            fires: { job: "inference" },
        },
        { name: "0.5 % errors", series: traffic(995, 5), alert: "LLMLowSuccessRate", at: "25m" },
        {
            name: "2 % errors exhaust the budget 20x too fast",
            series: traffic(98, 2),
            alert: "LLMErrorBudgetBurn1h",
            at: "70m",
            fires: { job: "inference" },
        },
        {
            name: "0.1 % errors burn the budget at 1x",
            series: traffic(999, 1),
            alert: "LLMErrorBudgetBurn1h",
            at: "70m",
        },
        {
            name: "0.8 % errors for hours",
            series: traffic(992, 8),
            alert: "LLMErrorBudgetBurn6h",
            at: "200m",
            fires: { job: "inference" },
        },
        {
            name: "8 % hallucinations",
            series: [{ series: `${m.hallucinationRate}{job="inference"}`, values: gauge(0.08) }],
            alert: "LLMHallucinationRateHigh",
            at: "30m",
            fires: {},
        },
        {
            name: "3 % hallucinations",
            series: [{ series: `${m.hallucinationRate}{job="inference"}`, values: gauge(0.03) }],
            alert: "LLMHallucinationRateHigh",
            at: "30m",
        },
        { name: "GPUs at 98 %", series: gpu(98), alert: "LLMGPUSaturated", at: "45m", fires: {} },
        // The warm inactive colour idles by design: it neither hides the serving GPUs' saturation…
        {
            name: "serving GPUs at 98 %, the warm colour's idle",
            series: gpu(98, 0),
            alert: "LLMGPUSaturated",
            at: "45m",
            fires: {},
        },
        // …nor counts as saturation, nor as idleness.
        { name: "only the warm colour's GPUs busy", series: gpu(5, 99), alert: "LLMGPUSaturated", at: "45m" },
        { name: "GPUs at 5 % for 3 hours", series: gpu(5), alert: "LLMGPUIdle", at: "150m", fires: {} },
        { name: "GPUs at 50 %", series: gpu(50), alert: "LLMGPUIdle", at: "150m" },
        { name: "serving GPUs at 50 %, the warm colour's at 0", series: gpu(50, 0), alert: "LLMGPUIdle", at: "150m" },
        {
            name: "framebuffer 97 % full",
            series: [
                { series: 'DCGM_FI_DEV_FB_USED{Hostname="node-1",gpu="0"}', values: gauge(23300) },
                { series: 'DCGM_FI_DEV_FB_FREE{Hostname="node-1",gpu="0"}', values: gauge(700) },
            ],
            alert: "LLMGPUMemoryPressure",
            at: "30m",
            fires: { Hostname: "node-1", gpu: "0" },
        },
        {
            name: "XID 79 on a GPU",
            series: [{ series: 'DCGM_FI_DEV_XID_ERRORS{Hostname="node-1",gpu="0"}', values: "0 0 79 79" }],
            alert: "LLMGPUXidErrors",
            at: "3m",
            fires: { Hostname: "node-1", gpu: "0" },
        },
        {
            name: "80 requests waiting",
            series: [{ series: `${m.queueLength}{${w.latencyLabels}}`, values: gauge(80) }],
            alert: "LLMInferenceQueueLong",
            at: "20m",
            fires: {},
        },
        ...(m.tokenHistograms
            ? [
                  {
                      // Yesterday's prompts were 20 to 50 tokens; since 1440m they are 200 to 500.
                      name: "prompts drift from yesterday's",
                      series: [
                          ...tokenHistogram(m.tokenHistograms.prompt, live, 50, 500, 5),
                          ...tokenHistogram(m.tokenHistograms.generation, live, 100, 100, 5),
                      ],
                      alert: "LLMModelDriftDetected",
                      at: "1560m",
                      fires: { job: "inference" },
                  },
                  {
                      // The same version's prompts grew tenfold since yesterday: drift, wherever a pod's version label is.
                      name: "prompts drift from yesterday's, on the same model version",
                      series: [
                          ...tokenHistogram(m.tokenHistograms.prompt, `${live},${V}="v1"`, 50, 500, 5),
                          ...tokenHistogram(m.tokenHistograms.generation, `${live},${V}="v1"`, 100, 100, 5),
                      ],
                      alert: "LLMModelDriftDetected",
                      at: "1560m",
                      fires: { job: "inference" },
                  },
                  {
                      // Version v1 answered 50-token prompts until 1440m; then v2 was released and answers
                      // 500: compared with v1, that is the old scorer's drift; a version against itself is not.
                      name: "a release: a new version answers at other lengths",
                      series: [
                          ...releasedHistogram(m.tokenHistograms.prompt, live, 50, 500, 5),
                          ...releasedHistogram(m.tokenHistograms.generation, live, 100, 1000, 5),
                      ],
                      alert: "LLMModelDriftDetected",
                      at: "1560m",
                  },
                  {
                      // The preview colour answered the gate's set (other lengths) before a flip: not users' traffic.
                      name: "the preview colour answers the quality gate",
                      series: [
                          ...tokenHistogram(m.tokenHistograms.prompt, live, 50, 50, 5),
                          ...tokenHistogram(m.tokenHistograms.prompt, preview, 50, 500, 5),
                      ],
                      alert: "LLMModelDriftDetected",
                      at: "1560m",
                  },
                  {
                      name: "the same traffic as yesterday",
                      series: tokenHistogram(m.tokenHistograms.prompt, live, 50, 50, 5),
                      alert: "LLMModelDriftDetected",
                      at: "1560m",
                  },
                  {
                      // Six requests an hour: a distance over so few says nothing.
                      name: "a shift on too few requests",
                      series: tokenHistogram(m.tokenHistograms.prompt, live, 50, 500, 0.1),
                      alert: "LLMModelDriftDetected",
                      at: "1560m",
                  },
              ]
            : [
                  {
                      name: "drift reported",
                      series: [{ series: `${m.driftDetected}{job="drift-job"}`, values: gauge(1) }],
                      alert: "LLMModelDriftDetected",
                      at: "1m",
                      fires: {},
                  },
              ]),
        {
            name: "an autoscaler whose metric cannot be read",
            series: [
                {
                    series: 'kube_horizontalpodautoscaler_status_condition{namespace="inference",horizontalpodautoscaler="keda-hpa-inference-blue",condition="ScalingActive",status="false"}',
                    values: gauge(1),
                },
                {
                    series: 'kube_horizontalpodautoscaler_status_current_replicas{namespace="inference",horizontalpodautoscaler="keda-hpa-inference-blue"}',
                    values: gauge(2),
                },
                {
                    series: 'kube_horizontalpodautoscaler_status_condition{namespace="inference",horizontalpodautoscaler="keda-hpa-inference-green",condition="ScalingActive",status="false"}',
                    values: gauge(0),
                },
            ],
            alert: "LLMAutoscalerBlind",
            at: "20m",
            fires: { horizontalpodautoscaler: "keda-hpa-inference-blue" },
        },
        {
            // The HPA's ScalingDisabled at zero replicas (scale-to-zero): KEDA wakes it, nothing is blind.
            name: "an autoscaler of a model scaled to zero",
            series: [
                {
                    series: 'kube_horizontalpodautoscaler_status_condition{namespace="inference",horizontalpodautoscaler="keda-hpa-inference-blue",condition="ScalingActive",status="false"}',
                    values: gauge(1),
                },
                {
                    series: 'kube_horizontalpodautoscaler_status_current_replicas{namespace="inference",horizontalpodautoscaler="keda-hpa-inference-blue"}',
                    values: gauge(0),
                },
            ],
            alert: "LLMAutoscalerBlind",
            at: "20m",
        },
        {
            name: "an autoscaler of another namespace",
            series: [
                {
                    series: 'kube_horizontalpodautoscaler_status_condition{namespace="other",horizontalpodautoscaler="keda-hpa-x",condition="ScalingActive",status="false"}',
                    values: gauge(1),
                },
            ],
            alert: "LLMAutoscalerBlind",
            at: "20m",
        },
        {
            name: "a Ready pod that cannot be scraped",
            series: [
                scrape("inference-blue-1", "inference-active", 0),
                {
                    series: 'kube_pod_status_ready{namespace="inference",pod="inference-blue-1",condition="true"}',
                    values: gauge(1),
                },
            ],
            alert: "LLMTargetDown",
            at: "10m",
            fires: { namespace: "inference", pod: "inference-blue-1" },
        },
        // A cold start: Prometheus scrapes the pod while the weights sync and the model loads, and
        // vLLM does not listen yet; the pod is not Ready, and nothing pages.
        {
            name: "a pod starting for 20 minutes, not Ready yet",
            series: [
                scrape("inference-blue-2", "inference-active", 0),
                {
                    series: 'kube_pod_status_ready{namespace="inference",pod="inference-blue-2",condition="true"}',
                    values: gauge(0),
                },
                {
                    series: 'kube_pod_status_ready{namespace="inference",pod="inference-blue-2",condition="false"}',
                    values: gauge(1),
                },
            ],
            alert: "LLMTargetDown",
            at: "20m",
        },
        // The active Service has pods and none Ready for over 30 minutes: every request fails.
        {
            name: "the active colour's pods never Ready after a release, the warm colour Ready",
            series: [
                endpoint("inference-active", "10.0.1.5", "false"),
                endpoint("inference-active", "10.0.1.6", "false"),
                endpoint("inference-preview", "10.0.1.7", "true"),
            ],
            alert: "LLMServingUnavailable",
            at: "40m",
            fires: { namespace: "inference", endpoint: "inference-active" },
        },
        // A cold start (a wake from zero, a new GPU node) ends within the for: nothing pages.
        {
            name: "a wake from zero, Ready after 25 minutes",
            series: [
                { ...endpoint("inference-active", "10.0.1.5", "false"), values: "1x25 0x20" },
                { ...endpoint("inference-active", "10.0.1.5", "true"), values: "0x25 1x20" },
            ],
            alert: "LLMServingUnavailable",
            at: "45m",
        },
        // One Ready pod serves while another is not Ready (a scale-out): nothing pages.
        {
            name: "one pod Ready, another starting",
            series: [
                endpoint("inference-active", "10.0.1.5", "true"),
                endpoint("inference-active", "10.0.1.6", "false"),
            ],
            alert: "LLMServingUnavailable",
            at: "40m",
        },
        {
            name: "token throughput at a third of yesterday's",
            series: [{ series: `${m.tokensTotal}{${w.latencyLabels}}`, values: "0+3000x1440 4323000+1000x60" }],
            alert: "LLMTokenThroughputDrop",
            at: "1500m",
            fires: {},
        },
    ];
}

/** A promtool unit-test file for the cases, expecting each alert's labels and annotations from the rule. */
function promtoolTests(cases: Case[], rules: RuleGroup[]): string {
    const byName = new Map<string, Rule>(
        rules
            .flatMap((g) => g.rules)
            .filter((r) => r.alert)
            .map((r) => [r.alert as string, r]),
    );
    return dump(
        {
            rule_files: ["rules.yaml"],
            evaluation_interval: "1m",
            tests: cases.map((c) => {
                const rule = byName.get(c.alert);
                assert.ok(rule, `no rule ${c.alert}`);
                return {
                    name: c.name,
                    interval: "1m",
                    input_series: c.series,
                    alert_rule_test: [
                        {
                            eval_time: c.at,
                            alertname: c.alert,
                            exp_alerts: c.fires
                                ? [{ exp_labels: { ...rule.labels, ...c.fires }, exp_annotations: rule.annotations }]
                                : [],
                        },
                    ],
                };
            }),
        },
        { lineWidth: 400 },
    );
}

/** `promtool test rules` of the cases for `wire` against `rules`; a process, so several run at once. */
async function runPromtoolTests(
    rules: RuleGroup[],
    wire: Wire = WIRES.reference,
    only: (c: Case) => boolean = () => true,
): Promise<{ code: number | null; out: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
    fs.writeFileSync(path.join(dir, "rules.yaml"), renderRulesFile(rules));
    fs.writeFileSync(path.join(dir, "tests.yaml"), promtoolTests(casesFor(wire).filter(only), rules));
    const r = await run("promtool", ["test", "rules", path.join(dir, "tests.yaml")]);
    if (r.error?.code === "ENOENT")
        assert.fail("promtool is not installed: apt-get install prometheus (npm test's pretest does)");
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("alert rules, checked and unit-tested with promtool", function () {
    // The vLLM run evaluates every rule each minute over the drift cases' 26 hours: about 50 s on
    // two cores, close to mocha's 60 s when the machine is busy. A guard against a hung promtool,
    // not a speed check (that is the benchmarks').
    this.timeout(180_000);
    // Each promtool run evaluates hours of series (seconds of CPU): all start together, each test awaits its own.
    const runs = new Map<string, Promise<{ code: number | null; out: string }>>();
    before(() => {
        for (const [preset, wire] of Object.entries(WIRES))
            runs.set(
                preset,
                runPromtoolTests(
                    buildRuleGroups({
                        metrics: wire.metrics,
                        slo: REFERENCE_SLO,
                        job: "inference",
                        runbookBaseUrl: RUNBOOK,
                    }),
                    wire,
                ),
            );
        const unfiltered = buildRuleGroups({
            metrics: { ...VLLM_METRICS, requestMatchers: "" },
            slo: REFERENCE_SLO,
            job: "inference",
            runbookBaseUrl: RUNBOOK,
        });
        // The unfiltered rules' run needs the request cases only: the day-long drift cases are the
        // vLLM run's, and evaluating them twice doubled its time.
        runs.set(
            "unfiltered",
            runPromtoolTests(unfiltered, WIRES.vllm, (c) => c.alert !== "LLMModelDriftDetected"),
        );
        const mutated = groups().map((g) => ({
            ...g,
            rules: g.rules.map((rule) =>
                rule.alert === "LLMHighP95Latency" ? { ...rule, expr: rule.expr.replace("> 0.5", "> 5") } : rule,
            ),
        }));
        runs.set("mutated", runPromtoolTests(mutated));
        // Each test awaits its own run; a failure before then is not an unhandled rejection.
        for (const pending of runs.values()) pending.catch(() => undefined);
    });

    it("render to a rules file that promtool accepts, for both metric presets", () => {
        for (const metrics of [REFERENCE_METRICS, VLLM_METRICS]) {
            const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rules-")), "rules.yaml");
            fs.writeFileSync(
                file,
                renderRulesFile(
                    buildRuleGroups({ metrics, slo: REFERENCE_SLO, job: "inference", runbookBaseUrl: RUNBOOK }),
                ),
            );
            const r = tool("promtool", ["check", "rules", file]);
            assert.equal(r.code, 0, r.out);
            // vLLM's token histograms add the two drift scores, and the drift alert reads them.
            assert.match(r.out, new RegExp(`SUCCESS: ${metrics.tokenHistograms ? 23 : 21} rules found`));
        }
    });

    for (const preset of Object.keys(WIRES)) {
        it(`fire on every breach and stay quiet inside the standards (${preset} metrics, as the wire carries them)`, async () => {
            const r = await runs.get(preset)!;
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, /SUCCESS/);
        });
    }

    it("count only inference requests for vLLM: without the handler matcher, probe traffic hides 2 % errors", async () => {
        const r = await runs.get("unfiltered")!;
        assert.notEqual(r.code, 0);
        assert.match(r.out, /2 % errors/);
    });

    it("catch a broken threshold: a mutated rule fails its promtool test", async () => {
        const r = await runs.get("mutated")!;
        assert.notEqual(r.code, 0);
        assert.match(r.out, /p95 at 600 ms for 10 minutes/);
    });

    it("give every alert a severity and a runbook, and use the configured metric names", () => {
        for (const a of alertCatalogue(groups())) {
            assert.ok(["critical", "warning", "info"].includes(a.severity), a.alert);
        }
        for (const rule of groups()
            .flatMap((g) => g.rules)
            .filter((r) => r.alert)) {
            assert.equal(rule.annotations?.runbook_url, `${RUNBOOK}#${rule.alert!.toLowerCase()}`);
        }
        const vllm = renderRulesFile(
            buildRuleGroups({ metrics: VLLM_METRICS, slo: REFERENCE_SLO, job: "inference", runbookBaseUrl: RUNBOOK }),
        );
        assert.match(
            vllm,
            /histogram_quantile\(0\.95, sum by \(le\) \(rate\(vllm:time_to_first_token_seconds_bucket\{job="inference"\}\[5m\]\)\)\) > 0\.5/,
        );
        assert.match(vllm, /p95 time to first token over 500 ms/);
        assert.match(
            vllm,
            /sum by \(job\) \(rate\(http_requests_total\{job="inference",handler=~"\/v1\/\(chat\/completions\|completions\|embeddings\)",status=~"5\.\.\|5xx"\}\[5m\]\)\)/,
        );
        assert.match(vllm, /vllm:num_requests_waiting/);
        assert.doesNotMatch(vllm, /llm_request_duration_seconds|e2e_request_latency/);
    });

    it("two models on one Prometheus: each model's errors page for that model only, under its own SLO", async () => {
        // The stack's layout: the first model's rules hold the platform's; the second's its own, stricter SLO.
        const chat = buildRuleGroups({
            metrics: VLLM_METRICS,
            slo: REFERENCE_SLO,
            job: "chat",
            runbookBaseUrl: RUNBOOK,
        });
        const embed = buildRuleGroups({
            metrics: VLLM_METRICS,
            slo: { ...REFERENCE_SLO, minSuccessRate: 0.999 },
            job: "embed",
            runbookBaseUrl: RUNBOOK,
            scope: "service",
        });
        assert.deepEqual(
            embed
                .flatMap((g) => g.rules)
                .filter((r) => PLATFORM_ALERTS.includes(r.alert ?? ""))
                .map((r) => `${r.alert} ${JSON.stringify(r.labels)}`),
            ['LLMModelDriftDetected {"severity":"warning","service":"embed","model":"embed"}'],
            "the GPU alerts are the first model's only; drift, measured on each model's own tokens, is each model's",
        );
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-models-"));
        fs.writeFileSync(path.join(dir, "chat.yaml"), renderRulesFile(chat));
        fs.writeFileSync(path.join(dir, "embed.yaml"), renderRulesFile(embed));
        const requests = (job: string, ok: number, errors: number) => [
            {
                series: `http_requests_total{job="${job}",handler="/v1/embeddings",status="200"}`,
                values: `0+${ok}x120`,
            },
            {
                series: `http_requests_total{job="${job}",handler="/v1/embeddings",status="500"}`,
                values: `0+${errors}x120`,
            },
        ];
        const labels = (job: string) => ({ severity: "critical", service: job, model: job, job });
        fs.writeFileSync(
            path.join(dir, "tests.yaml"),
            dump({
                rule_files: ["chat.yaml", "embed.yaml"],
                evaluation_interval: "1m",
                tests: [
                    {
                        // 0.5 % errors on embed: under chat's 99 % but over embed's 99.9 %; chat is healthy.
                        name: "embed fails its own SLO",
                        interval: "1m",
                        input_series: [...requests("chat", 1000, 0), ...requests("embed", 995, 5)],
                        alert_rule_test: [
                            {
                                eval_time: "30m",
                                alertname: "LLMLowSuccessRate",
                                exp_alerts: [
                                    {
                                        exp_labels: labels("embed"),
                                        exp_annotations: embed[1].rules.find((r) => r.alert === "LLMLowSuccessRate")!
                                            .annotations,
                                    },
                                ],
                            },
                        ],
                    },
                ],
            }),
        );
        const r = await run("promtool", ["test", "rules", path.join(dir, "tests.yaml")]);
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });
});

describe("Alertmanager configuration, checked with amtool", () => {
    const check = (config: string) => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "am-")), "alertmanager.yaml");
        fs.writeFileSync(file, config);
        return tool("amtool", ["check-config", file]);
    };

    it("is valid with every receiver, with chat only, and with none", () => {
        const full = check(
            renderAlertmanagerConfig({
                slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
                pagerdutyRoutingKey: "0123456789abcdef0123456789abcdef",
                snsTopicArn: "arn:aws:sns:us-east-1:111122223333:alerts",
            }),
        );
        assert.equal(full.code, 0, full.out);
        assert.match(full.out, /4 receivers/);
        assert.equal(
            check(renderAlertmanagerConfig({ slackWebhookUrl: "https://hooks.slack.com/services/T/B/X" })).code,
            0,
        );
        assert.equal(check(renderAlertmanagerConfig({})).code, 0);
    });

    it("pages on critical, chats on warning, keeps info quiet, and inhibits warnings under a critical", () => {
        assert.deepEqual(severityRoutes({ slackWebhookUrl: "u", pagerdutyRoutingKey: "k" }), {
            critical: "pagerduty",
            warning: "slack",
            info: "null",
        });
        assert.deepEqual(severityRoutes({ snsTopicArn: "arn" }), { critical: "sns", warning: "sns", info: "null" });
        const config = buildAlertmanagerConfig({ slackWebhookUrl: "u" }) as { inhibit_rules: unknown[] };
        assert.deepEqual(config.inhibit_rules[0], {
            source_matchers: ['severity="critical"'],
            target_matchers: ['severity=~"warning|info"'],
            equal: ["alertname", "service"],
        });
    });
});

describe("Alertmanager as kube-prometheus-stack 79.8.2 runs it", () => {
    const receivers = {
        slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
        pagerdutyRoutingKey: "0123456789abcdef0123456789abcdef",
    };
    /** Our values merged over the chart's defaults the way Helm merges them. */
    const merged = () =>
        helmCoalesce(
            chartDefaults(`kube-prometheus-stack-${KUBE_PROMETHEUS_STACK_VERSION}.values.yaml`),
            prometheusStackValues({
                retentionDays: 15,
                storageGiB: 50,
                replicas: 1,
                storageClass: "monitoring-gp3",
                grafanaSecret: "grafana-admin",
                resources: { cpuRequest: "500m", memoryRequest: "2Gi", memoryLimit: "8Gi" },
                alertmanagerConfigSecret: "llm-platform-alertmanager",
            }),
        );
    /** The Secret's `alertmanager.yaml`, as the operator mounts it. */
    const configFile = (r: AlertReceivers): string => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "am-")), "alertmanager.yaml");
        fs.writeFileSync(file, renderAlertmanagerConfig(r));
        return file;
    };
    const receiverOf = (file: string, labels: string[]): string => {
        const r = tool("amtool", ["config", "routes", "test", `--config.file=${file}`, ...labels]);
        assert.equal(r.code, 0, r.out);
        return r.stdout.trim();
    };

    it("sends Watchdog and InfoInhibitor nowhere, whatever receivers are configured", () => {
        for (const r of [receivers, { snsTopicArn: "arn:aws:sns:us-east-1:111122223333:alerts" }, {}]) {
            const file = configFile(r);
            assert.equal(tool("amtool", ["check-config", file]).code, 0);
            assert.equal(receiverOf(file, ["alertname=Watchdog", "severity=none"]), "null");
            assert.equal(receiverOf(file, ["alertname=InfoInhibitor", "severity=none", "namespace=x"]), "null");
        }
    });

    it("still pages critical alerts (ours and the chart's) and sends warnings to chat", () => {
        const file = configFile(receivers);
        assert.equal(
            receiverOf(file, ["alertname=LLMHighErrorRate", "severity=critical", "service=inference"]),
            "pagerduty",
        );
        assert.equal(receiverOf(file, ["alertname=KubePodCrashLooping", "severity=warning", "namespace=x"]), "slack");
        assert.equal(receiverOf(file, ["alertname=KubeNodeNotReady", "severity=info"]), "null");
    });

    it("uses our Secret whole: the chart renders no config Secret of its own and names ours on the Alertmanager", () => {
        const spec = (merged().alertmanager as { alertmanagerSpec: Record<string, unknown> }).alertmanagerSpec;
        // templates/alertmanager/secret.yaml renders only `if not .Values.alertmanager.alertmanagerSpec.useExistingSecret`;
        // templates/alertmanager/alertmanager.yaml sets `configSecret` from the value.
        assert.deepEqual([spec.useExistingSecret, spec.configSecret], [true, "llm-platform-alertmanager"]);
        const config = load(renderAlertmanagerConfig(receivers)) as Record<string, unknown>;
        assert.deepEqual(config.global, { resolve_timeout: "5m" }, "the chart's default, kept");
        assert.deepEqual(
            (config.receivers as Array<{ name: string }>).map((r) => r.name),
            ["null", "slack", "pagerduty"],
        );
    });

    it("scrapes no control-plane component EKS keeps out of reach, so their Down alerts are never created", () => {
        const values = merged();
        for (const component of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) {
            assert.deepEqual(values[component], { enabled: false }, component);
        }
        assert.deepEqual(values.defaultRules, { create: true });
    });
});
