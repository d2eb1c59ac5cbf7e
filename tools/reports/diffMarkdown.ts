/** The Markdown of a plan diff and of a cost change, for the pull-request comment and `npm run diff`. */
import { PRICE_TABLE, signedUsd, usdRange, type Range } from "../../catalog/cost";
import { displayType } from "../engine/stackExport";
import type { ChangeKind, CostSummary, PlanDiff } from "./diff";

const SYMBOL: Record<ChangeKind, string> = { add: "+", remove: "-", replace: "+-", update: "~" };
const ORDER: Record<ChangeKind, number> = { remove: 0, replace: 1, update: 2, add: 3 };

function cell(value: unknown): string {
    if (value === undefined) return "_(absent)_";
    const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value);
    const short = text.length > 80 ? `${text.slice(0, 77)}...` : text;
    return `\`${short.replace(/\|/g, "\\|").replace(/`/g, "'")}\``;
}

/** The change in estimated monthly cost, as Markdown lines; nothing when the estimate is unchanged. */
export function renderCostChange(base: CostSummary, head: CostSummary): string[] {
    const none: Range = { min: 0, max: 0 };
    const modelOf = (s: CostSummary, name: string): Range => s.models.find((m) => m.model === name)?.monthly ?? none;
    const names = [...new Set([...base.models, ...head.models].map((m) => m.model))];
    const rows: Array<[string, Range, Range]> = [
        ["All compute, on-demand", base.onDemand, head.onDemand],
        ["As configured (spot pools at the spot estimate)", base.configured, head.configured],
        ["GPU instances, on-demand", base.gpuOnDemand, head.gpuOnDemand],
        ...names.map((n): [string, Range, Range] => [
            `Model \`${n}\`: its GPUs, on-demand`,
            modelOf(base, n),
            modelOf(head, n),
        ]),
    ];
    if (rows.every(([, b, h]) => b.min === h.min && b.max === h.max)) return [];
    const out = [
        `**Estimated monthly cost** (minimum–maximum scale, ${PRICE_TABLE}):`,
        "",
        "| | Before | After | Change at maximum scale |",
        "|---|---|---|---|",
    ];
    for (const [label, b, h] of rows)
        out.push(`| ${label} | ${usdRange(b)} | ${usdRange(h)} | ${signedUsd(h.max - b.max)} |`);
    out.push("");
    return out;
}

/** The diff as GitHub-flavoured Markdown for a pull-request comment. */
export function renderDiffMarkdown(diff: PlanDiff, title = "Plan diff"): string {
    const { counts } = diff;
    const summary = `${counts.add} to add, ${counts.update} to change, ${counts.replace} to replace, ${counts.remove} to delete, ${diff.unchanged} unchanged`;
    const lines = [`### ${title}`, "", `**${summary}**`, ""];
    lines.push(...renderCostChange(diff.cost.base, diff.cost.head));
    if (diff.unknowableSecrets.length > 0) {
        lines.push(
            "> [!NOTE]",
            `> ${diff.unknowableSecrets.length} secret value${diff.unknowableSecrets.length === 1 ? " is" : "s are"} held only encrypted, with different ciphertexts: whether ${diff.unknowableSecrets.length === 1 ? "it" : "they"} changed cannot be known from these documents (\`pulumi stack export --show-secrets\` can tell): ${diff.unknowableSecrets.map((x) => `\`${x}\``).join(", ")}`,
            "",
        );
    }
    if (diff.changes.length === 0) {
        lines.push("No changes.");
        return `${lines.join("\n")}\n`;
    }
    if (diff.dangers.length > 0) {
        lines.push("> [!CAUTION]", "> **Stateful or protected resources would be destroyed:**");
        for (const d of diff.dangers) lines.push(`> - ${d}`);
        lines.push("");
    }
    const sorted = [...diff.changes].sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.urn.localeCompare(b.urn, "en"));
    lines.push("| | Resource | Type | Details |", "|---|---|---|---|");
    for (const c of sorted) {
        const details =
            c.kind === "replace"
                ? (c.reason ?? "")
                : c.kind === "update"
                  ? c.properties.map((p) => `\`${p.path}\`${p.secret ? " changed (secret)" : ""}`).join(", ")
                  : (c.fate ?? "");
        lines.push(
            `| \`${SYMBOL[c.kind]}\` | \`${c.name}\` | \`${displayType(c.type)}\` | ${details.replace(/\|/g, "\\|")} |`,
        );
    }
    const detailed = sorted.filter((c) => (c.kind === "update" || c.kind === "replace") && c.properties.length > 0);
    if (detailed.length > 0) {
        lines.push("", "<details><summary>Property changes</summary>", "");
        for (const c of detailed) {
            lines.push(
                `#### \`${SYMBOL[c.kind]}\` ${c.name} (\`${displayType(c.type)}\`)`,
                "",
                "| Property | Old | New |",
                "|---|---|---|",
            );
            for (const p of c.properties)
                lines.push(
                    p.secret
                        ? `| \`${p.path}\` | _secret_ | _changed (secret)_ |`
                        : `| \`${p.path}\` | ${cell(p.old)} | ${cell(p.new)} |`,
                );
            lines.push("");
        }
        lines.push("</details>");
    }
    return `${lines.join("\n")}\n`;
}
