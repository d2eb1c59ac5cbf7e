/**
 * `npm run docs`: rewrites the README's generated blocks: the configuration table (from the schema
 * and tier defaults), the alert and policy tables, and the prod architecture diagram (from the
 * offline plan). The tests fail when the README is out of date.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { POLICIES } from "../../policies/pack";
import { renderAlertTable, renderConfigTable, renderPolicyTable } from "../../environments/docs";
import { renderMermaid } from "../engine/mermaid";
import { runStack } from "../engine/run";
import { runCommand, UsageError } from "./cli";

/** The README text with the block between `<!-- name:start -->` and `<!-- name:end -->` replaced. */
function replaceBlock(readme: string, name: string, content: string): string {
    const [start, end] = [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
    const from = readme.indexOf(start);
    const to = readme.indexOf(end);
    if (from < 0 || to < from)
        throw new UsageError(`README.md needs the markers ${start} and ${end} around the generated block`);
    return `${readme.slice(0, from + start.length)}\n${content}\n${readme.slice(to)}`;
}

function tierConfigs(): Record<"staging" | "prod", Record<string, unknown>> {
    const read = (tier: string) =>
        JSON.parse(
            fs.readFileSync(path.resolve(__dirname, "..", "..", "policies", "config", `${tier}.json`), "utf8"),
        ) as Record<string, unknown>;
    return { staging: read("staging"), prod: read("prod") };
}

/** The prod stack's architecture as a fenced Mermaid block. */
export async function prodArchitecture(): Promise<string> {
    const { export: exp } = await runStack({ projectDir: path.resolve(__dirname, "..", ".."), stack: "prod" });
    return `\`\`\`mermaid\n${renderMermaid(exp)}\`\`\``;
}

/** The README text with its configuration, alert and policy tables and its diagram regenerated. */
export function withGeneratedBlocks(readme: string, architecture: string): string {
    const withTables = replaceBlock(
        replaceBlock(readme, "config-table", renderConfigTable()),
        "alert-table",
        renderAlertTable(),
    );
    return replaceBlock(
        replaceBlock(withTables, "policy-table", renderPolicyTable(POLICIES, tierConfigs())),
        "architecture",
        architecture,
    );
}

if (require.main === module) {
    runCommand("docs", async () => {
        const file = path.resolve(__dirname, "..", "..", "README.md");
        fs.writeFileSync(file, withGeneratedBlocks(fs.readFileSync(file, "utf8"), await prodArchitecture()));
        process.stdout.write(`Updated the configuration, alert and policy tables and the diagram in ${file}\n`);
        return 0;
    });
}
