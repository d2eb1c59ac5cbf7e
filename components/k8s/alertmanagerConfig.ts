/**
 * The Alertmanager configuration: alerts route by severity — critical pages (PagerDuty, or the
 * Slack/SNS channel when no pager is configured), warning goes to chat, info is kept quiet — and
 * a critical alert inhibits the warnings of the same alert and service. kube-prometheus-stack's
 * always-firing `Watchdog` and its `InfoInhibitor` (severity `none`) keep the chart's null route:
 * our config replaces the chart's route list, so without it they would reach chat every repeat
 * interval. Receivers come from settings, their credentials from secrets; the whole document is
 * the `alertmanager.yaml` of a Kubernetes Secret the chart's Alertmanager names (`configSecret`),
 * so the release's values hold no secret. Checked with `amtool check-config` and `amtool config
 * routes test` in the tests.
 */

/** kube-prometheus-stack's alerts that must never notify (its own default route sends them to "null"). */
export const SILENT_ALERTS = ["Watchdog", "InfoInhibitor"] as const;
import { dump } from "js-yaml";
import { arnRegion } from "../../catalog/formats";

export interface AlertReceivers {
    /** Slack incoming-webhook URL (secret). */
    slackWebhookUrl?: string;
    /** Slack channel for warnings and, without a pager, for critical alerts. @default "#llm-alerts" */
    slackChannel?: string;
    /** PagerDuty Events v2 routing key (secret): critical alerts page. */
    pagerdutyRoutingKey?: string;
    /** SNS topic ARN that receives every alert (e.g. to fan out to email or chat). */
    snsTopicArn?: string;
    /** Region of the SNS topic when its ARN names none. @default - the ARN's region */
    region?: string;
}

interface Receiver {
    name: string;
    slack_configs?: Array<Record<string, unknown>>;
    pagerduty_configs?: Array<Record<string, unknown>>;
    sns_configs?: Array<Record<string, unknown>>;
}

/** Which receiver each severity goes to, as docs/alerts.md documents. */
export function severityRoutes(r: AlertReceivers): Record<"critical" | "warning" | "info", string> {
    const chat = r.slackWebhookUrl ? "slack" : r.snsTopicArn ? "sns" : "null";
    return { critical: r.pagerdutyRoutingKey ? "pagerduty" : chat, warning: chat, info: "null" };
}

/** The whole configuration (the Secret's `alertmanager.yaml`). */
export function buildAlertmanagerConfig(r: AlertReceivers): Record<string, unknown> {
    const receivers: Receiver[] = [{ name: "null" }];
    if (r.slackWebhookUrl) {
        receivers.push({
            name: "slack",
            slack_configs: [
                {
                    api_url: r.slackWebhookUrl,
                    channel: r.slackChannel ?? "#llm-alerts",
                    send_resolved: true,
                    title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})",
                    text: "{{ range .Alerts }}{{ .Annotations.summary }}: {{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ if .Annotations.traces_url }}Traces: {{ .Annotations.traces_url }} filtered by {{ .Annotations.traces_filter }}\n{{ end }}{{ end }}",
                },
            ],
        });
    }
    if (r.snsTopicArn) {
        receivers.push({
            name: "sns",
            sns_configs: [
                {
                    topic_arn: r.snsTopicArn,
                    // SNS takes a Publish only in the topic's own region: the client's is the ARN's.
                    sigv4: { region: arnRegion(r.snsTopicArn) || (r.region ?? "us-east-1") },
                    send_resolved: true,
                    subject: "{{ .CommonLabels.alertname }}",
                },
            ],
        });
    }
    if (r.pagerdutyRoutingKey) {
        receivers.push({
            name: "pagerduty",
            pagerduty_configs: [
                {
                    routing_key: r.pagerdutyRoutingKey,
                    send_resolved: true,
                    severity: "critical",
                    description: "{{ .CommonAnnotations.summary }}",
                },
            ],
        });
    }
    const routes = severityRoutes(r);
    return {
        // The chart's default, kept: the configuration is whole in our Secret, not merged with the chart's.
        global: { resolve_timeout: "5m" },
        route: {
            receiver: routes.warning,
            group_by: ["alertname", "service"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
            routes: [
                // First, and without `continue`: these two never reach a receiver.
                { receiver: "null", matchers: [`alertname=~"${SILENT_ALERTS.join("|")}"`] },
                {
                    receiver: routes.critical,
                    matchers: ['severity="critical"'],
                    repeat_interval: "1h",
                    continue: false,
                },
                { receiver: routes.warning, matchers: ['severity="warning"'] },
                { receiver: routes.info, matchers: ['severity="info"'] },
            ],
        },
        inhibit_rules: [
            {
                source_matchers: ['severity="critical"'],
                target_matchers: ['severity=~"warning|info"'],
                equal: ["alertname", "service"],
            },
            // While the service's scrape is down, its other alerts are noise.
            {
                source_matchers: ['alertname="LLMTargetDown"'],
                target_matchers: ['alertname!="LLMTargetDown"'],
                equal: ["service"],
            },
            // The chart's: InfoInhibitor fires while a namespace has info alerts and no warning or
            // critical one; it mutes those info alerts, and is itself never delivered.
            {
                source_matchers: ['alertname="InfoInhibitor"'],
                target_matchers: ['severity="info"'],
                equal: ["namespace"],
            },
        ],
        receivers,
    };
}

export function renderAlertmanagerConfig(r: AlertReceivers): string {
    return dump(buildAlertmanagerConfig(r), { lineWidth: 200 });
}
