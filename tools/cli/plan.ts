/**
 * `llm-platform plan --stack <name> [--mode preview|update] [--format text|mermaid] [--json <file>] [--project <dir>]`
 *
 * Runs the stack program offline, as the Pulumi CLI runs it, and prints the resource tree as
 * `pulumi preview` would, with the estimated monthly cost; `--format mermaid` prints the
 * architecture as a Mermaid flowchart instead. `--mode preview` (the default) shows what a first
 * `pulumi preview` knows — outputs of new resources unknown; `--mode update` shows the outputs a
 * `pulumi up` would leave. With --json, writes the deployment as a `pulumi stack export` document.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderMermaid } from "../reports/mermaid";
import { renderPlan } from "../reports/render";
import { urnName } from "../engine/stackExport";
import { runStack, type RunOptions, type RunResult } from "../engine/run";
import { checkOutputFolder, checkOutputs, parseCommandLine, parseMode, UsageError, writeAllOrNone } from "./cli";

export const PLAN_USAGE =
    "llm-platform plan --stack <name> [--mode preview|update] [--format text|mermaid] [--json <file>] [--project <dir>]";

/**
 * The command. `run` plans the stack (the offline engine, {@link runStack}); tests pass one that
 * shares plans between them.
 */
export async function plan(
    argv: string[],
    out: (s: string) => void,
    err: (s: string) => void,
    run: (options: RunOptions) => Promise<RunResult> = runStack,
): Promise<number> {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            stack: { type: "string" },
            mode: { type: "string", default: "preview" },
            format: { type: "string", default: "text" },
            json: { type: "string" },
            project: { type: "string" },
        },
        PLAN_USAGE,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\nusage: ${PLAN_USAGE}`);
    if (!values.stack) throw new UsageError(`--stack is required\nusage: ${PLAN_USAGE}`);
    const mode = parseMode(values.mode);
    if (values.format !== "text" && values.format !== "mermaid")
        throw new UsageError(`--format: expected text or mermaid, received "${values.format}"`);
    const projectDir = path.resolve(values.project ?? process.cwd());
    checkOutputFolder("--json", values.json);
    checkOutputs(
        [{ flag: "--json", file: values.json }],
        fs.existsSync(projectDir)
            ? fs
                  .readdirSync(projectDir)
                  .filter((f) => /^Pulumi(\..+)?\.ya?ml$/.test(f))
                  .map((f) => ({ what: `the project's ${f}`, file: path.join(projectDir, f) }))
            : [],
    );

    const result = await run({ projectDir, stack: values.stack, mode });
    if (result.environments.length > 0) {
        err(
            `warning: Pulumi.${values.stack}.yaml imports ESC environments (${result.environments.join(", ")}); ` +
                "they cannot be opened offline, so values they provide are missing from this plan\n",
        );
    }
    // What `pulumi preview` shows as diagnostics: the program's warnings and what it printed.
    for (const d of result.diagnostics.filter((x) => x.severity === "warning"))
        err(`warning: ${d.urn ? `${urnName(d.urn)}: ` : ""}${d.message}\n`);
    if (result.output.trim() !== "") err(`program output:\n${result.output.trimEnd()}\n`);
    const mermaid = values.format === "mermaid";
    out(
        mermaid
            ? renderMermaid(result.export)
            : renderPlan({ stack: values.stack, mode, export: result.export, outputs: result.outputs }),
    );
    if (values.json !== undefined) {
        writeAllOrNone([{ flag: "--json", file: values.json, text: `${JSON.stringify(result.export, null, 2)}\n` }]);
        // The diagram goes to stdout alone, so that it can be redirected to a file.
        (mermaid ? err : out)(`\nWrote the stack export document to ${values.json}\n`);
    }
    return 0;
}
