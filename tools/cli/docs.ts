/**
 * `npm run docs`: rewrites the generated blocks of the docs pages — the configuration table
 * (docs/configuration.md, from the schema and tier defaults), the alert table and runbooks
 * (docs/alerts.md, where every alert's `runbook_url` lands), the policy table, the scanner figures
 * and a section per policy (docs/policies.md, where code scanning's help links land) and, from the
 * offline plans of the reference stacks, the prod architecture diagram (docs/architecture.md) and
 * the component table (docs/components.md); writes the component reference (docs/reference/, by
 * TypeDoc), the pack's tier configs (`pack/config/<tier>.json`) from `policies/tiers.ts` and the
 * policies' generated data. The tests fail when any of them is out of date.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as prettier from "prettier";
import { POLICIES } from "../../policies/pack";
import { TIER_POLICY_CONFIG } from "../../policies/tiers";
import {
    renderAlertTable,
    renderConfigTable,
    renderOldRunbookAnchors,
    renderPolicySections,
    renderPolicyTable,
    renderRunbooks,
} from "./docTables";
import { renderMermaid } from "../reports/mermaid";
import { displayType, type ExportedResource, type StackExport } from "../engine/stackExport";
import { runStack, type RunResult } from "../engine/run";
import { parseCommandLine, runCommand, UsageError } from "./cli";
import { measureCatalogue, renderCatalogueTable } from "../../tests/catalogue/measure";
import { IAM_ACTIONS_FILE, renderIamActions } from "../policyData/iamActions";
import { renderTaggable, TAGGABLE_FILE } from "../policyData/taggable";
import { REFERENCE_DIR, treeDifferences, writeReference } from "../docs/reference";

/** The text of `page` with the block between `<!-- name:start -->` and `<!-- name:end -->` replaced. */
function replaceBlock(text: string, name: string, content: string, page: string): string {
    const [start, end] = [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < from)
        throw new UsageError(`${page} needs the markers ${start} and ${end} around the generated block`);
    return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

/** The project's root: the pages' paths are relative to it. */
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** Where the CLI reads a tier's policy config from. */
export const policyConfigFile = (tier: "staging" | "prod"): string =>
    path.join(PROJECT_ROOT, "pack", "config", `${tier}.json`);

/** A tier's policy config file as `npm run docs` writes it: the source, formatted as the project formats JSON. */
export async function renderPolicyConfig(tier: "staging" | "prod"): Promise<string> {
    const file = policyConfigFile(tier);
    const options = (await prettier.resolveConfig(file)) ?? {};
    return prettier.format(JSON.stringify(TIER_POLICY_CONFIG[tier], null, 2), { ...options, filepath: file });
}

/** What the stacks' plans show: the prod architecture and the component table. */
export interface PlannedBlocks {
    architecture: string;
    components: string;
    /** Each component type's children: names, types, protection. */
    children: string;
    /** Other scanners' AWS cases through the gate (tests/catalogue). */
    scanners: string;
}

/**
 * The component table: every component type of the reference stacks, the stacks that use it, and
 * the resources it creates there (from the first stack that has it: prod, staging, then ecs).
 */
export function renderComponentTable(plans: Array<{ stack: string; export: StackExport }>): string {
    const rows = new Map<string, { stacks: string[]; creates?: string }>();
    for (const { stack, export: exp } of plans) {
        const resources = exp.deployment.resources;
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        const within = (r: ExportedResource, component: string): boolean => {
            for (let p = r.parent; p; p = byUrn.get(p)?.parent) if (p === component) return true;
            return false;
        };
        for (const c of resources.filter((r) => r.type.startsWith("llm-platform:"))) {
            const row = rows.get(c.type) ?? { stacks: [] };
            if (!row.stacks.includes(stack)) row.stacks.push(stack);
            if (row.creates === undefined) {
                const counts = new Map<string, number>();
                for (const r of resources)
                    if (r.custom && within(r, c.urn) && !r.type.startsWith("pulumi:providers:"))
                        counts.set(displayType(r.type), (counts.get(displayType(r.type)) ?? 0) + 1);
                row.creates = [...counts]
                    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], "en"))
                    .map(([t, n]) => (n > 1 ? `${n} × \`${t}\`` : `\`${t}\``))
                    .join(", ");
            }
            rows.set(c.type, row);
        }
    }
    const lines = ["| Component | Type token | Stacks | Creates (in the first of those stacks) |", "|---|---|---|---|"];
    for (const [type, row] of [...rows].sort((a, b) => a[0].localeCompare(b[0], "en")))
        lines.push(`| \`${type.split(":").pop()}\` | \`${type}\` | ${row.stacks.join(", ")} | ${row.creates} |`);
    return lines.join("\n");
}

/**
 * The children of each component type, as the first of the reference stacks that has one creates
 * them: each direct child's name (the component's own name written `<name>`), its type, and
 * whether it is protected. Child names are public API: renaming one replaces a live resource.
 */
export function renderChildren(plans: Array<{ stack: string; export: StackExport }>): string {
    const seen = new Set<string>();
    const sections: string[] = [];
    const nameOf = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
    const components = plans.flatMap(({ stack, export: exp }) =>
        exp.deployment.resources
            .filter((r) => r.type.startsWith("llm-platform:"))
            .map((c) => ({ stack, component: c, resources: exp.deployment.resources })),
    );
    for (const { stack, component, resources } of components.sort((a, b) =>
        a.component.type.localeCompare(b.component.type, "en"),
    )) {
        if (seen.has(component.type)) continue;
        seen.add(component.type);
        const own = nameOf(component.urn);
        const generic = (name: string): string => (name.startsWith(own) ? `<name>${name.slice(own.length)}` : name);
        const children = resources
            .filter((r) => r.parent === component.urn)
            .map((r) => ({ name: generic(nameOf(r.urn)), type: displayType(r.type), protect: r.protect === true }))
            .sort((a, b) => a.name.localeCompare(b.name, "en") || a.type.localeCompare(b.type, "en"));
        sections.push(
            [
                `<details><summary><code>${component.type.split(":").pop()}</code>: ${children.length} children (${stack}'s <code>${own}</code>)</summary>`,
                "",
                "| Child | Type | Protected |",
                "|---|---|---|",
                ...children.map((c) => `| \`${c.name}\` | \`${c.type}\` | ${c.protect ? "yes" : ""} |`),
                "",
                "</details>",
            ].join("\n"),
        );
    }
    return sections.join("\n\n");
}

/** The reference stacks whose plans the docs show, in the order the component table takes them. */
export const DOCUMENTED_STACKS = ["prod", "staging", "ecs"] as const;

/**
 * Plans the reference stacks (in the update view, as they stand after `pulumi up`) and renders the
 * blocks that come from them. `planOf` plans one; tests pass one that shares plans.
 */
export async function plannedBlocks(
    planOf: (stack: (typeof DOCUMENTED_STACKS)[number]) => Promise<RunResult> = (stack) =>
        runStack({ projectDir: path.resolve(__dirname, "..", ".."), stack, mode: "update" }),
): Promise<PlannedBlocks> {
    const plans = [];
    for (const stack of DOCUMENTED_STACKS) plans.push({ stack, export: (await planOf(stack)).export });
    return {
        architecture: `\`\`\`mermaid\n${renderMermaid(plans[0].export)}\`\`\``,
        components: renderComponentTable(plans),
        children: renderChildren(plans),
        scanners: renderCatalogueTable(await measureCatalogue()),
    };
}

/** Each page (relative to the project) with the generated blocks it holds, by marker name. */
export function generatedBlocks(planned: PlannedBlocks): Record<string, Record<string, string>> {
    return {
        "README.md": { "old-runbook-anchors": renderOldRunbookAnchors() },
        "docs/configuration.md": { "config-table": renderConfigTable() },
        "docs/alerts.md": { "alert-table": renderAlertTable(), runbooks: renderRunbooks() },
        "docs/policies.md": {
            "policy-table": renderPolicyTable(POLICIES, TIER_POLICY_CONFIG),
            "scanner-table": planned.scanners,
            "policy-sections": renderPolicySections(POLICIES, TIER_POLICY_CONFIG),
        },
        "docs/architecture.md": { architecture: planned.architecture },
        "docs/components.md": { "component-table": planned.components, children: planned.children },
    };
}

/** A page's text (`page` relative to the project) with its generated blocks regenerated. */
export function withGeneratedBlocks(page: string, text: string, blocks: Record<string, string>): string {
    return Object.entries(blocks).reduce((out, [name, content]) => replaceBlock(out, name, content, page), text);
}

/** Every file `npm run docs` writes, with the content it would write. */
export async function generatedFiles(): Promise<Array<{ file: string; content: string }>> {
    const pages = generatedBlocks(await plannedBlocks());
    return [
        ...Object.entries(pages).map(([page, blocks]) => {
            const file = path.join(PROJECT_ROOT, page);
            return { file, content: withGeneratedBlocks(page, fs.readFileSync(file, "utf8"), blocks) };
        }),
        ...(await Promise.all(
            (["staging", "prod"] as const).map(async (tier) => ({
                file: policyConfigFile(tier),
                content: await renderPolicyConfig(tier),
            })),
        )),
        { file: IAM_ACTIONS_FILE, content: renderIamActions() },
        { file: TAGGABLE_FILE, content: renderTaggable() },
    ];
}

/** The files whose content on disk differs from what `npm run docs` would write (or that are missing). */
export const staleFiles = (files: ReadonlyArray<{ file: string; content: string }>) =>
    files.filter((f) => !fs.existsSync(f.file) || fs.readFileSync(f.file, "utf8") !== f.content);

export const DOCS_USAGE = "npm run docs [-- --check]";

/** A generated folder: where it is committed, and how to write it (into that folder or a scratch one). */
export interface GeneratedTree {
    readonly dir: string;
    readonly write: (outDir: string) => Promise<void>;
}

/** The API reference (TypeDoc): docs/reference/. */
export const REFERENCE_TREE: GeneratedTree = { dir: REFERENCE_DIR, write: writeReference };

/**
 * The command: writes every generated file and the API reference, or with `--check` writes
 * nothing in the project and exits 1 naming each file that differs from what it would write (the
 * reference is generated into a scratch folder and compared file by file).
 */
export async function docs(
    argv: string[],
    out: (s: string) => void,
    generate: () => Promise<Array<{ file: string; content: string }>> = generatedFiles,
    tree: GeneratedTree = REFERENCE_TREE,
): Promise<number> {
    const { values, positionals } = parseCommandLine(argv, { check: { type: "boolean" } }, DOCS_USAGE);
    if (positionals.length > 0)
        throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${DOCS_USAGE}`);
    const files = await generate();
    if (values.check) {
        const stale = staleFiles(files).map((f) => path.relative(process.cwd(), f.file));
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-docs-"));
        try {
            await tree.write(scratch);
            for (const line of treeDifferences(tree.dir, scratch)) {
                const [kind, file] = [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)];
                stale.push(`${path.relative(process.cwd(), path.join(tree.dir, file))} (${kind})`);
            }
        } finally {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
        for (const f of stale) out(`out of date: ${f}\n`);
        out(stale.length === 0 ? "Every generated file is up to date.\n" : "Run `npm run docs` to update them.\n");
        return stale.length === 0 ? 0 : 1;
    }
    for (const f of files) fs.writeFileSync(f.file, f.content);
    await tree.write(tree.dir);
    out(`Updated ${[...files.map((f) => f.file), tree.dir].map((f) => path.relative(process.cwd(), f)).join(", ")}\n`);
    return 0;
}

if (require.main === module) {
    runCommand("docs", () => docs(process.argv.slice(2), (s) => void process.stdout.write(s)));
}
