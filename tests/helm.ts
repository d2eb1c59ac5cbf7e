/**
 * Helm's value merge and the scheduling half of a chart's pod template, written from Helm's
 * source so that a test can say what a release really renders: our values over the chart's
 * defaults (docs/UPSTREAM.md, "Helm").
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

type Values = Record<string, unknown>;

const isTable = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `chartutil.CoalesceValues` for one chart without subcharts: user values win; a user `null`
 * deletes the chart's key; two tables merge key by key (the same rules, recursively); lists and
 * scalars replace. So `affinity: {}` keeps the chart's whole default affinity, `affinity: null`
 * removes it.
 */
export function helmCoalesce(chartDefaults: Values, user: Values): Values {
    const out: Values = structuredClone(user);
    coalesceTable(out, structuredClone(chartDefaults));
    return out;
}

function coalesceTable(dst: Values, src: Values): void {
    for (const [key, chartValue] of Object.entries(src)) {
        if (!(key in dst)) {
            dst[key] = chartValue;
            continue;
        }
        const userValue = dst[key];
        if (userValue === null) delete dst[key];
        else if (isTable(userValue) && isTable(chartValue)) coalesceTable(userValue, chartValue);
    }
}

/** A chart's default values, as stored beside the tests (tests/fixtures/charts). */
export function chartDefaults(file: string): Values {
    return yaml.load(fs.readFileSync(path.join(__dirname, "fixtures", "charts", file), "utf8")) as Values;
}

export interface NodeSelectorRequirement {
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    values?: string[];
}
export interface Toleration {
    key?: string;
    operator?: "Exists" | "Equal";
    value?: string;
    effect?: string;
}
export interface PodScheduling {
    nodeSelector?: Record<string, string>;
    affinity?: {
        nodeAffinity?: {
            requiredDuringSchedulingIgnoredDuringExecution?: {
                nodeSelectorTerms: Array<{ matchExpressions?: NodeSelectorRequirement[] }>;
            };
        };
    };
    tolerations?: Toleration[];
}
export interface Node {
    labels: Record<string, string>;
    taints: Array<{ key: string; value?: string; effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }>;
}

/**
 * The scheduling fields a template renders with `{{- with .Values.x }}`: Go templates skip an
 * empty or missing value, so `{}` and a deleted key render nothing.
 */
export function renderedScheduling(values: Values): PodScheduling {
    const present = (v: unknown): boolean =>
        v !== undefined &&
        v !== null &&
        !(isTable(v) && Object.keys(v).length === 0) &&
        !(Array.isArray(v) && !v.length);
    const out: Values = {};
    for (const key of ["nodeSelector", "affinity", "tolerations"]) if (present(values[key])) out[key] = values[key];
    return out as PodScheduling;
}

function requirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
    const has = r.key in labels;
    switch (r.operator) {
        case "In":
            return has && (r.values ?? []).includes(labels[r.key]);
        case "NotIn":
            return !has || !(r.values ?? []).includes(labels[r.key]);
        case "Exists":
            return has;
        case "DoesNotExist":
            return !has;
    }
}

function tolerates(t: Toleration, taint: Node["taints"][number]): boolean {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key === undefined || t.key === "") return t.operator === "Exists";
    if (t.key !== taint.key) return false;
    return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
}

/**
 * Why the scheduler would not place the pod on the node (its nodeSelector, required node affinity
 * and NoSchedule/NoExecute taints), or [] when it would.
 */
export function schedulingProblems(pod: PodScheduling, node: Node): string[] {
    const problems: string[] = [];
    for (const [k, v] of Object.entries(pod.nodeSelector ?? {})) {
        if (node.labels[k] !== v) problems.push(`nodeSelector ${k}=${v} does not match`);
    }
    const terms = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (
        terms &&
        !terms.some((term) => (term.matchExpressions ?? []).every((r) => requirementMatches(r, node.labels)))
    ) {
        problems.push(
            `no required node affinity term matches (${terms.map((t) => (t.matchExpressions ?? []).map((r) => r.key).join("&")).join(" | ")})`,
        );
    }
    for (const taint of node.taints.filter((t) => t.effect !== "PreferNoSchedule")) {
        if (!(pod.tolerations ?? []).some((t) => tolerates(t, taint))) {
            problems.push(`taint ${taint.key}=${taint.value ?? ""}:${taint.effect} is not tolerated`);
        }
    }
    return problems;
}
