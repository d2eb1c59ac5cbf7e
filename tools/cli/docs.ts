/**
 * `npm run docs`: rewrites the README's configuration table from the schema and tier defaults
 * (between the config-table markers). The tests fail when the README is out of date.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderConfigTable } from "../../environments/docs";
import { runCommand, UsageError } from "./cli";

const START = "<!-- config-table:start -->";
const END = "<!-- config-table:end -->";

/** The README text with its configuration table replaced. */
export function withConfigTable(readme: string): string {
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    if (start < 0 || end < start)
        throw new UsageError(`README.md needs the markers ${START} and ${END} around the configuration table`);
    return `${readme.slice(0, start + START.length)}\n${renderConfigTable()}\n${readme.slice(end)}`;
}

if (require.main === module) {
    runCommand("docs", async () => {
        const file = path.resolve(__dirname, "..", "..", "README.md");
        fs.writeFileSync(file, withConfigTable(fs.readFileSync(file, "utf8")));
        process.stdout.write(`Updated the configuration table in ${file}\n`);
        return 0;
    });
}
