/**
 * `npm run docs`: rewrites the README's configuration table (from the schema and tier defaults)
 * and alert table (from the rules). The tests fail when the README is out of date.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { POLICIES } from "../../policies/pack";
import { renderAlertTable, renderConfigTable, renderPolicyTable } from "../../environments/docs";
import { runCommand, UsageError } from "./cli";

/** The README text with the block between `<!-- name:start -->` and `<!-- name:end -->` replaced. */
function replaceBlock(readme: string, name: string, content: string): string {
    const [start, end] = [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
    const from = readme.indexOf(start);
    const to = readme.indexOf(end);
    if (from < 0 || to < from)
        throw new UsageError(`README.md needs the markers ${start} and ${end} around the generated table`);
    return `${readme.slice(0, from + start.length)}\n${content}\n${readme.slice(to)}`;
}

function tierConfigs(): Record<"staging" | "prod", Record<string, unknown>> {
    const read = (tier: string) =>
        JSON.parse(
            fs.readFileSync(path.resolve(__dirname, "..", "..", "policies", "config", `${tier}.json`), "utf8"),
        ) as Record<string, unknown>;
    return { staging: read("staging"), prod: read("prod") };
}

/** The README text with its configuration, alert and policy tables regenerated. */
export function withConfigTable(readme: string): string {
    const withTables = replaceBlock(
        replaceBlock(readme, "config-table", renderConfigTable()),
        "alert-table",
        renderAlertTable(),
    );
    return replaceBlock(withTables, "policy-table", renderPolicyTable(POLICIES, tierConfigs()));
}

if (require.main === module) {
    runCommand("docs", async () => {
        const file = path.resolve(__dirname, "..", "..", "README.md");
        fs.writeFileSync(file, withConfigTable(fs.readFileSync(file, "utf8")));
        process.stdout.write(`Updated the configuration and alert tables in ${file}\n`);
        return 0;
    });
}
