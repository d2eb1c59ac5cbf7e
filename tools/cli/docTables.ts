/**
 * The configuration reference, rendered from the schema and the tier defaults so that the
 * docs' tables cannot drift from the code (a test compares them).
 */
import type { z } from "zod";
import { REFERENCE_SLO } from "../../catalog/standards";
import { alertCatalogue, buildRuleGroups, FIRST_STEPS, METRIC_PRESETS } from "../../components/k8s/alertRules";
import { ALERT_LOG_QUERY, buildLogQueries } from "../../components/k8s/logQueries";
import { registryRuleGroups } from "../../components/registry/monitoring";
import { TIER_DEFAULTS } from "../../environments/defaults";
import { CONFIG_NAMESPACE, TIERS, gpuNodePoolSchema, settingsSchema, type Tier } from "../../environments/schema";

export interface ConfigKeyDoc {
    /** `llm-platform:modelBucket.forceDestroy`, `llm-platform:gpuNodePools[].minSize`. */
    readonly key: string;
    readonly description: string;
    /** Default per tier, formatted; `-` when there is none. */
    readonly defaults: Readonly<Record<Tier, string>>;
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
    const def = schema.def as { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType };
    if (def.type === "optional" && def.innerType) return shapeOf(def.innerType);
    return def.type === "object" ? def.shape : undefined;
}

function show(value: unknown): string {
    return value === undefined ? "-" : `\`${JSON.stringify(value)}\``;
}

function tierDefault(tier: Tier, path: readonly string[]): unknown {
    const { gpuNodePool, gpuNodePools, ...rest } = TIER_DEFAULTS[tier];
    if (path[0] === "tier") return tier;
    if (path[0] === "gpuNodePools") {
        const field = path[1] as keyof typeof gpuNodePool | "name" | "instanceTypes";
        if (field === "name" || field === "instanceTypes") return gpuNodePools[0][field];
        return gpuNodePool[field];
    }
    let value: unknown = rest;
    for (const p of path) value = (value as Record<string, unknown> | undefined)?.[p];
    return value;
}

/** Every documented key: top-level keys, then the fields of structured ones. */
export function configKeyDocs(): ConfigKeyDoc[] {
    const docs: ConfigKeyDoc[] = [];
    const add = (key: string, path: string[], schema: z.ZodType): void => {
        const defaults = Object.fromEntries(TIERS.map((t) => [t, show(tierDefault(t, path))])) as Record<Tier, string>;
        docs.push({ key, description: schema.description ?? "", defaults });
    };
    for (const [name, schema] of Object.entries(settingsSchema.shape) as Array<[string, z.ZodType]>) {
        const nested = name === "gpuNodePools" ? gpuNodePoolSchema.shape : shapeOf(schema);
        if (nested) {
            docs.push({
                key: `${CONFIG_NAMESPACE}:${name}`,
                description: schema.description ?? "",
                defaults: { staging: "see below", prod: "see below" },
            });
        } else {
            add(`${CONFIG_NAMESPACE}:${name}`, [name], schema);
        }
        for (const [field, fieldSchema] of Object.entries(nested ?? {}) as Array<[string, z.ZodType]>) {
            const sep = name === "gpuNodePools" ? "[]." : ".";
            add(`${CONFIG_NAMESPACE}:${name}${sep}${field}`, [name, field], fieldSchema);
        }
    }
    return docs;
}

/** docs/configuration.md's table. */
export function renderConfigTable(): string {
    const rows = configKeyDocs().map(
        (d) => `| \`${d.key}\` | ${d.description.replace(/\|/g, "\\|")} | ${d.defaults.staging} | ${d.defaults.prod} |`,
    );
    return ["| Key | Description | staging | prod |", "|---|---|---|---|", ...rows].join("\n");
}

/**
 * docs/alerts.md's runbooks: a heading per alert, whose anchor (`#<alert in lower case>`) is what each
 * alert's `runbook_url` points at, with what it means and what to do first.
 */
export function renderRunbooks(): string {
    const queries = buildLogQueries({ servingNamespaces: ["inference"] });
    return alertCatalogue(defaultRuleGroups())
        .map((a) => {
            const query = queries.find((q) => q.key === ALERT_LOG_QUERY[a.alert]);
            const logs = query
                ? `\n\nLogs: the saved query \`llm-platform/<cluster>/${query.key}\` in CloudWatch Logs Insights (with \`monitoring.logs\`; the stack output \`logQueryFolder\` names the folder), ${query.title.charAt(0).toLowerCase()}${query.title.slice(1)}:\n\n\`\`\`\n${query.query}\n\`\`\``
                : "";
            return `### ${a.alert}\n\n${a.summary.charAt(0).toUpperCase()}${a.summary.slice(1)} (${a.severity}): \`${a.expr}\` for ${a.for}.\n\n${a.description}\n\nFirst steps: ${FIRST_STEPS[a.alert] ?? "none written yet."}${logs}`;
        })
        .join("\n\n");
}

/** The reference stacks' alerts: the serving ones and the model registry's. */
function defaultRuleGroups() {
    return [
        ...buildRuleGroups({
            metrics: METRIC_PRESETS[TIER_DEFAULTS.prod.monitoring.metricsPreset],
            slo: REFERENCE_SLO,
            job: "inference",
            runbookBaseUrl: "",
        }),
        ...registryRuleGroups("mlflow", ""),
    ];
}

/** Text for a Markdown table cell: a `|`, even inside a code span, would end the cell on GitHub. */
const cell = (text: string): string => text.replace(/\|/g, "\\|");

/**
 * README.md's landing for the runbook links of stacks deployed from 0.2.0, which pointed at
 * `README.md#<alert in lower case>`: an anchor per alert, each beside a link to its runbook now.
 */
export function renderOldRunbookAnchors(): string {
    return alertCatalogue(defaultRuleGroups())
        .map((a) => `<a id="${a.alert.toLowerCase()}"></a>[${a.alert}](docs/alerts.md#${a.alert.toLowerCase()})`)
        .join(" · ");
}

/** docs/alerts.md's table: every alert with its condition, severity and where it routes, for the default metric preset. */
export function renderAlertTable(): string {
    const groups = defaultRuleGroups();
    const route: Record<string, string> = {
        critical: "PagerDuty when `alerting.pagerdutyRoutingKey` is set, else Slack / SNS",
        warning: "Slack (`alerting.slackWebhookUrl`) or SNS (`alerting.snsTopicArn`)",
        info: "Alertmanager only (no notification)",
    };
    const rows = alertCatalogue(groups).map(
        (a) =>
            `| \`${a.alert}\` | ${cell(a.summary)} | \`${cell(a.expr)}\` for ${a.for} | ${a.severity} | ${route[a.severity]} |`,
    );
    return ["| Alert | Fires when | Condition | Severity | Routes to |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** Short names of the frameworks policies cite. */
const FRAMEWORKS: Readonly<Record<string, string>> = {
    "Kubernetes Pod Security Standards": "PSS",
    "AWS Foundational Security Best Practices": "AWS FSBP",
};

/**
 * docs/policies.md's table: name, what it checks, the standard and control it enforces (Pod
 * Security Standards level and control, AWS FSBP control, or our own production standard),
 * severity, and the staging and prod levels (a policy's own default where a tier config is silent).
 */
export function renderPolicyTable(
    policies: ReadonlyArray<DocumentedPolicy>,
    configs: Readonly<Record<"staging" | "prod", Record<string, unknown>>>,
): string {
    const rows = policies.map(
        (p) =>
            `| [\`${p.name}\`](#${p.name}) | ${p.description.replace(/^Checks whether /, "").replace(/\|/g, "\\|")} | ${policyStandard(p)} | ${p.severity ?? ""} | ${policyLevel(configs, "staging", p)} | ${policyLevel(configs, "prod", p)} |`,
    );
    return [
        "| Policy | Checks that | Standard | Severity | staging | prod |",
        "|---|---|---|---|---|---|",
        ...rows,
    ].join("\n");
}

/** What the policy docs show of a policy. */
export interface DocumentedPolicy {
    name: string;
    description: string;
    severity?: string;
    enforcementLevel?: string;
    remediationSteps?: string;
    framework?: { name?: string; reference?: string };
}

/** A policy's level in a tier: the tier config's entry, its `all`, or the policy's own default. */
function policyLevel(
    configs: Readonly<Record<"staging" | "prod", Record<string, unknown>>>,
    tier: "staging" | "prod",
    p: { name: string; enforcementLevel?: string },
): string {
    const entry = configs[tier][p.name] as string | { enforcementLevel?: string } | undefined;
    const allEntry = configs[tier].all as string | { enforcementLevel?: string } | undefined;
    const all = typeof allEntry === "string" ? allEntry : allEntry?.enforcementLevel;
    return (typeof entry === "string" ? entry : entry?.enforcementLevel) ?? all ?? p.enforcementLevel ?? "mandatory";
}

/** The standard and control a policy enforces, or our own production standard. */
function policyStandard(p: { framework?: { name?: string; reference?: string } }): string {
    return p.framework
        ? `${FRAMEWORKS[p.framework.name ?? ""] ?? p.framework.name ?? ""} ${p.framework.reference ?? ""}`.trim()
        : "production standard";
}

/**
 * docs/policies.md's "Every policy": a section per policy, its heading the policy's name, so that
 * the anchor `#<name>` of each code-scanning rule's help link (`helpUri`) lands on it.
 */
export function renderPolicySections(
    policies: ReadonlyArray<DocumentedPolicy>,
    configs: Readonly<Record<"staging" | "prod", Record<string, unknown>>>,
): string {
    const sections = policies.map((p) =>
        [
            `### ${p.name}`,
            "",
            p.description,
            "",
            `Standard: ${policyStandard(p)}. Severity: ${p.severity ?? "unset"}. Level: ${policyLevel(configs, "staging", p)} in staging, ${policyLevel(configs, "prod", p)} in prod.`,
            ...(p.remediationSteps ? ["", `**To fix it.** ${p.remediationSteps.trim()}`] : []),
        ].join("\n"),
    );
    return sections.join("\n\n");
}
