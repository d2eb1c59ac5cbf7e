/**
 * `llm-platform diff <base.json> <head.json> [--format markdown|json] [--title <text>]`
 *
 * Compares two stack export documents (from `npm run plan -- --json` or `pulumi stack export`)
 * and prints the changes as Markdown for a pull-request comment, or as JSON.
 */
import { diffExports, renderDiffMarkdown } from "../reports/diff";
import { pendingOperationWarnings } from "../engine/stackExport";
import { parseCommandLine, parseExportInput, readInput, UsageError } from "./cli";

export const DIFF_USAGE = "llm-platform diff <base.json> <head.json> [--format markdown|json] [--title <text>]";

export async function diff(
    argv: string[],
    out: (s: string) => void,
    warn: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<number> {
    const { values, positionals } = parseCommandLine(
        argv,
        { format: { type: "string", default: "markdown" }, title: { type: "string", default: "Plan diff" } },
        DIFF_USAGE,
    );
    if (positionals.length !== 2) {
        throw new UsageError(`expected two files, base and head; received ${positionals.length}\nusage: ${DIFF_USAGE}`);
    }
    if (values.format !== "markdown" && values.format !== "json") {
        throw new UsageError(`--format: expected markdown or json, received "${values.format}"`);
    }
    const [base, head] = positionals.map((file) => parseExportInput(readInput(file), file));
    for (const [doc, file] of [
        [base, positionals[0]],
        [head, positionals[1]],
    ] as const)
        for (const w of pendingOperationWarnings(doc, file)) warn(`diff: warning: ${w}\n`);
    const result = diffExports(base, head);
    out(values.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderDiffMarkdown(result, values.title));
    return 0;
}
