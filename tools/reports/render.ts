/**
 * Renders a captured deployment the way `pulumi preview` prints it: the resource tree nested by
 * parent, the stack outputs, and counts (by operation and by type).
 */
import { estimateCost, renderCost, type CostEstimate } from "../../catalog/cost";
import type { PlanMode } from "../engine/outcome";
import {
    displayType,
    liveResources,
    UNKNOWN_VALUE,
    urnName,
    type ExportedResource,
    type StackExport,
} from "../engine/stackExport";

/** The estimated monthly cost of a deployment, from its resources' inputs (outputs fill gaps). */
export function exportCost(exp: StackExport): CostEstimate {
    return estimateCost(
        // Old copies awaiting deletion cost nothing once the deployment completes.
        liveResources(exp).map((r) => ({ type: r.type, urn: r.urn, props: { ...r.outputs, ...r.inputs } })),
    );
}

export interface PlanView {
    readonly stack: string;
    readonly mode: PlanMode;
    readonly export: StackExport;
    readonly outputs: Readonly<Record<string, unknown>>;
}

interface Row {
    readonly prefix: string;
    readonly resource: ExportedResource;
}

/** Resources in tree order (depth first, siblings in registration order) with their tree prefix. */
export function treeRows(resources: readonly ExportedResource[]): Row[] {
    const children = new Map<string | undefined, ExportedResource[]>();
    const urns = new Set(resources.map((r) => r.urn));
    for (const r of resources) {
        if (r.type.startsWith("pulumi:providers:") && !r.parent) continue; // default providers are not shown, as in preview
        const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
        children.set(parent, [...(children.get(parent) ?? []), r]);
    }
    const rows: Row[] = [];
    const walk = (parent: string | undefined, indent: string, depth: number): void => {
        const list = children.get(parent) ?? [];
        list.forEach((r, i) => {
            const last = i === list.length - 1;
            rows.push({ prefix: depth === 0 ? "" : `${indent}${last ? "└─ " : "├─ "}`, resource: r });
            walk(r.urn, depth === 0 ? "" : `${indent}${last ? "   " : "│  "}`, depth + 1);
        });
    };
    walk(undefined, "", 0);
    return rows;
}

/** Counts of custom resources by displayed type, most first. */
export function countsByType(resources: readonly ExportedResource[]): Array<[string, number]> {
    const counts = new Map<string, number>();
    for (const r of resources) {
        if (r.type.startsWith("pulumi:providers:") && !r.parent) continue;
        counts.set(displayType(r.type), (counts.get(displayType(r.type)) ?? 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], "en"));
}

/** An output as `pulumi preview` prints it: unknown values as `output<string>`. */
function formatOutput(value: unknown): string {
    if (value === UNKNOWN_VALUE) return "output<string>";
    const text = JSON.stringify(value, (_k, v: unknown) => (v === UNKNOWN_VALUE ? "output<string>" : v));
    return text;
}

/** The plan as text, for a terminal or a CI log. */
export function renderPlan(view: PlanView): string {
    const rows = treeRows(view.export.deployment.resources);
    const typeWidth = Math.max(4, ...rows.map((r) => r.prefix.length + displayType(r.resource.type).length)) + 2;
    const nameWidth = Math.max(4, ...rows.map((r) => urnName(r.resource.urn).length)) + 2;
    const lines = [
        view.mode === "preview"
            ? `Previewing update (${view.stack}) with the offline engine: no cloud calls, every resource is a create; outputs of new resources are unknown, as in a first \`pulumi preview\``
            : `Planning update (${view.stack}) with the offline engine: no cloud calls, every resource is a create; outputs are what \`pulumi up\` would leave`,
        "",
    ];
    lines.push(`     ${"Type".padEnd(typeWidth)}${"Name".padEnd(nameWidth)}Plan`);
    for (const { prefix, resource } of rows) {
        const plan = resource.protect ? "create (protected)" : "create";
        lines.push(
            ` +   ${(prefix + displayType(resource.type)).padEnd(typeWidth)}${urnName(resource.urn).padEnd(nameWidth)}${plan}`,
        );
    }
    const outputs = Object.entries(view.outputs);
    if (outputs.length > 0) {
        lines.push("", "Outputs:");
        const width = Math.max(...outputs.map(([k]) => k.length)) + 1;
        for (const [k, v] of outputs) lines.push(`    ${`${k}:`.padEnd(width)} ${formatOutput(v)}`);
    }
    const protectedCount = rows.filter((r) => r.resource.protect).length;
    lines.push(
        "",
        "Resources:",
        `    + ${rows.length} to create${protectedCount ? ` (${protectedCount} protected)` : ""}`,
    );
    lines.push("", "By type:");
    for (const [type, n] of countsByType(view.export.deployment.resources))
        lines.push(`    ${String(n).padStart(3)}  ${type}`);
    lines.push("", ...renderCost(exportCost(view.export)));
    return `${lines.join("\n")}\n`;
}
