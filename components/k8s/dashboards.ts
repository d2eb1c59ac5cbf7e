/**
 * Grafana dashboards as code: service overview, GPUs, model quality. Each is plain dashboard JSON
 * loaded by Grafana's sidecar from a labelled ConfigMap; the tests check that every query uses only
 * metrics our rules read, the exporters define, or our recording rules produce.
 */
import type { MetricNames } from "./alertRules";

export interface Dashboard {
    uid: string;
    title: string;
    json: Record<string, unknown>;
}

interface Panel {
    title: string;
    unit: string;
    queries: Array<{ expr: string; legend: string }>;
}

/** The DCGM exporter's metrics the dashboards and rules use. */
export const DCGM_METRICS = [
    "DCGM_FI_DEV_GPU_UTIL",
    "DCGM_FI_DEV_FB_USED",
    "DCGM_FI_DEV_FB_FREE",
    "DCGM_FI_DEV_POWER_USAGE",
    "DCGM_FI_DEV_GPU_TEMP",
    "DCGM_FI_DEV_XID_ERRORS",
];

/** Feedback ratings the serving app records (1–5), used by the model-quality dashboard. */
export const FEEDBACK_METRIC = "llm_feedback_rating";

function dashboard(uid: string, title: string, panels: Panel[]): Dashboard {
    return {
        uid,
        title,
        json: {
            uid,
            title,
            tags: ["llm-platform"],
            schemaVersion: 39,
            timezone: "utc",
            refresh: "30s",
            time: { from: "now-6h", to: "now" },
            templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus" }] },
            panels: panels.map((p, i) => ({
                id: i + 1,
                type: "timeseries",
                title: p.title,
                datasource: { type: "prometheus", uid: "${datasource}" },
                gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
                fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
                targets: p.queries.map((q, j) => ({
                    refId: String.fromCharCode(65 + j),
                    expr: q.expr,
                    legendFormat: q.legend,
                })),
            })),
        },
    };
}

/**
 * The three dashboards for an inference service scraped as `job`. `service` scope (every model
 * after the first): its own overview and quality dashboards, titled and keyed by the model; the
 * GPU dashboard is the platform's, built once.
 */
export function buildDashboards(m: MetricNames, job: string, scope: "all" | "service" = "all"): Dashboard[] {
    const all = buildAllDashboards(m, job);
    if (scope === "all") return all;
    return all
        .filter((d) => d.uid !== "llm-gpus")
        .map((d) => {
            const uid = `${d.uid}-${job}`;
            const title = `${d.title} (${job})`;
            return { uid, title, json: { ...d.json, uid, title } };
        });
}

function buildAllDashboards(m: MetricNames, job: string): Dashboard[] {
    const sel = `job="${job}"`;
    const quantile = (q: number) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(${m.latency}_bucket{${sel}}[5m])))`,
        legend: `p${Math.round(q * 100)}`,
    });
    return [
        dashboard("llm-service-overview", "LLM service overview", [
            {
                title: "Requests per second",
                unit: "reqps",
                queries: [
                    {
                        expr: `sum by (${m.statusLabel}) (rate(${m.requestsTotal}{${[sel, m.requestMatchers].filter(Boolean).join(",")}}[5m]))`,
                        legend: `{{${m.statusLabel}}}`,
                    },
                ],
            },
            {
                title: `Latency (${m.latencyName})`,
                unit: "s",
                queries: [quantile(0.5), quantile(0.95), quantile(0.99)],
            },
            {
                title: "Error ratio",
                unit: "percentunit",
                queries: [{ expr: `llm:request_error_ratio:rate5m{${sel}}`, legend: "errors" }],
            },
            {
                title: "Tokens per second",
                unit: "short",
                queries: [{ expr: `sum(rate(${m.tokensTotal}{${sel}}[5m]))`, legend: "tokens/s" }],
            },
            {
                title: "Queue length",
                unit: "short",
                queries: [{ expr: `sum(${m.queueLength}{${sel}})`, legend: "waiting" }],
            },
            { title: "Scrape targets up", unit: "short", queries: [{ expr: `sum(up{${sel}})`, legend: "up" }] },
        ]),
        dashboard("llm-gpus", "LLM GPUs", [
            {
                title: "GPU utilisation",
                unit: "percent",
                queries: [{ expr: "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)", legend: "{{Hostname}} gpu{{gpu}}" }],
            },
            {
                title: "GPU memory used",
                unit: "percentunit",
                queries: [
                    {
                        expr: "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)",
                        legend: "{{Hostname}} gpu{{gpu}} {{pod}}",
                    },
                ],
            },
            {
                title: "Power",
                unit: "watt",
                queries: [{ expr: "DCGM_FI_DEV_POWER_USAGE", legend: "{{Hostname}} gpu{{gpu}}" }],
            },
            {
                title: "Temperature",
                unit: "celsius",
                queries: [{ expr: "DCGM_FI_DEV_GPU_TEMP", legend: "{{Hostname}} gpu{{gpu}}" }],
            },
            {
                title: "XID errors",
                unit: "short",
                queries: [{ expr: "DCGM_FI_DEV_XID_ERRORS", legend: "{{Hostname}} gpu{{gpu}}" }],
            },
            {
                title: "Serving GPU utilisation (app)",
                unit: "percent",
                queries: [{ expr: `avg(${m.gpuUtilization})`, legend: "app" }],
            },
        ]),
        dashboard("llm-model-quality", "LLM model quality", [
            {
                title: "Hallucination rate",
                unit: "percentunit",
                queries: [{ expr: `max(${m.hallucinationRate}{${sel}})`, legend: "hallucinations" }],
            },
            m.tokenHistograms
                ? {
                      title: "Drift (KS distance to yesterday)",
                      unit: "short",
                      queries: [{ expr: `max by (signal) (llm:model_drift_score:1h{${sel}})`, legend: "{{signal}}" }],
                  }
                : {
                      title: "Drift detected",
                      unit: "short",
                      queries: [{ expr: `max(${m.driftDetected})`, legend: "drift" }],
                  },
            {
                title: "Feedback rating",
                unit: "short",
                queries: [{ expr: `avg(${FEEDBACK_METRIC})`, legend: "rating" }],
            },
        ]),
    ];
}

/** Metric names a PromQL expression reads: identifiers that are not functions, keywords, label lists or numbers. */
export function metricsIn(expr: string): string[] {
    const stripped = expr
        .replace(/"[^"]*"/g, '""')
        .replace(/\{[^}]*\}/g, "")
        .replace(/\[[^\]]*\]/g, "")
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
        .replace(/\b\d+(\.\d+)?(e[+-]?\d+|ms|[smhdwy])?\b/g, "0");
    const keywords = new Set([
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "offset",
        "and",
        "or",
        "unless",
        "bool",
    ]);
    const names = new Set<string>();
    for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
        const after = stripped.slice((match.index ?? 0) + match[0].length).trimStart();
        if (after.startsWith("(") || keywords.has(match[0])) continue;
        names.add(match[0]);
    }
    return [...names];
}
