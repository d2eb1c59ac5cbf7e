/**
 * The pull-request comment: for each stack, the plan diff against the base branch (with the cost
 * change and any danger to stateful resources), the policy gate's verdict, and the architecture
 * diagram when the topology changes. One comment per pull request, found again by its marker and
 * updated in place.
 */
import { signedUsd, usd } from "../../catalog/cost";
import type { GateResult } from "../policy/gate";
import { diffExports, renderDiffMarkdown } from "./diff";
import { renderMermaid, topologyChanged } from "./mermaid";
import type { StackExport } from "../engine/stackExport";

/** The first line of the comment; the workflow finds the comment to update by it. */
export const COMMENT_MARKER = "<!-- llm-platform:plan-comment -->";
/** GitHub refuses comments over 65,536 characters. */
export const COMMENT_LIMIT = 65_000;

export interface StackInput {
    stack: string;
    head: StackExport;
    /** Absent when the stack is new in this pull request. */
    base?: StackExport;
    /** The gate's JSON result; absent when the gate did not run. */
    policy?: GateResult;
}

const EMPTY: StackExport = {
    version: 3,
    deployment: { manifest: { time: "", magic: "", version: "" }, resources: [] },
};

function verdict(policy: GateResult | undefined): string {
    if (!policy) return "not run";
    const mandatory = policy.violations.filter((v) => v.level === "mandatory").length;
    const advisory = policy.violations.length - mandatory;
    return mandatory > 0
        ? `❌ ${mandatory} mandatory, ${advisory} advisory`
        : `✅ passed${advisory > 0 ? ` (${advisory} advisory)` : ""}`;
}

const cellText = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function violationList(policy: GateResult): string[] {
    return policy.violations.map(
        (v) =>
            `- **${v.level}** \`${v.policy}\` (${v.severity}) on \`${v.urn ? v.urn.split("::").pop() : "the stack"}\`: ${cellText(v.message)}`,
    );
}

/** The comment body, in Markdown, within GitHub's size limit. */
export function renderComment(inputs: StackInput[], context: { title?: string; footer?: string } = {}): string {
    const summary = [
        "| Stack | Changes | GPU, on-demand at maximum scale | All compute, on-demand at maximum scale | Policy gate |",
        "|---|---|---|---|---|",
    ];
    const sections: Array<{ full: string; short: string }> = [];
    for (const input of inputs) {
        const diff = diffExports(input.base ?? EMPTY, input.head);
        const { counts, cost } = diff;
        const change = (before: number, after: number): string =>
            input.base
                ? `${usd(before)} → ${usd(after)}${after === before ? "" : ` (${signedUsd(after - before)})`}`
                : usd(after);
        summary.push(
            `| \`${input.stack}\`${input.base ? "" : " (new)"} | ${counts.add} to add, ${counts.update} to change, ${counts.replace} to replace, ${counts.remove} to delete | ${change(cost.base.gpuOnDemand.max, cost.head.gpuOnDemand.max)} | ${change(cost.base.onDemand.max, cost.head.onDemand.max)} | ${verdict(input.policy)} |`,
        );
        const diffText = renderDiffMarkdown(diff, `\`${input.stack}\`: plan diff against the base branch`);
        const parts: string[] = [];
        if (input.policy && input.policy.violations.length > 0) {
            parts.push(`#### \`${input.stack}\`: policy violations`, "", ...violationList(input.policy), "");
        }
        const diagram =
            !input.base || topologyChanged(input.base, input.head)
                ? [
                      `<details><summary><code>${input.stack}</code>: architecture (${input.base ? "changed" : "new stack"})</summary>`,
                      "",
                      "```mermaid",
                      renderMermaid(input.head).trimEnd(),
                      "```",
                      "</details>",
                      "",
                  ]
                : [];
        const [withoutDetails] = diffText.split("\n<details><summary>Property changes</summary>");
        sections.push({
            full: [diffText, ...parts, ...diagram].join("\n"),
            short: [
                withoutDetails.trimEnd(),
                "",
                "_Property changes left out to fit GitHub's comment size; the plans are in the workflow's artifacts._",
                "",
                ...parts,
            ].join("\n"),
        });
    }
    const head = [
        COMMENT_MARKER,
        `## ${context.title ?? "Offline plan, cost and policy gate"}`,
        "",
        ...summary,
        "",
        "",
    ].join("\n");
    const footer = context.footer ? `\n${context.footer}\n` : "";
    let body = head + sections.map((s) => s.full).join("\n") + footer;
    if (body.length > COMMENT_LIMIT) body = head + sections.map((s) => s.short).join("\n") + footer;
    if (body.length > COMMENT_LIMIT) {
        const note = "\n\n_Truncated to fit GitHub's comment size; the plans are in the workflow's artifacts._\n";
        body = body.slice(0, COMMENT_LIMIT - note.length) + note;
    }
    return body;
}
