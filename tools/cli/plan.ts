/**
 * `npm run plan -- --stack <name> [--format text|mermaid] [--json <file>] [--project <dir>]`
 *
 * Runs the stack program offline and prints the resource tree as `pulumi preview` would, with the
 * estimated monthly cost; `--format mermaid` prints the architecture as a Mermaid flowchart
 * instead. With --json, writes the deployment as a `pulumi stack export` document.
 */
import "./startup";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderMermaid } from "../engine/mermaid";
import { renderPlan } from "../engine/render";
import { runStack } from "../engine/run";
import { checkOutputFolder, parseCommandLine, runCommand, UsageError } from "./cli";

export const PLAN_USAGE = "npm run plan -- --stack <name> [--format text|mermaid] [--json <file>] [--project <dir>]";

export async function plan(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            stack: { type: "string" },
            format: { type: "string", default: "text" },
            json: { type: "string" },
            project: { type: "string" },
        },
        PLAN_USAGE,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\nusage: ${PLAN_USAGE}`);
    if (!values.stack) throw new UsageError(`--stack is required\nusage: ${PLAN_USAGE}`);
    if (values.format !== "text" && values.format !== "mermaid")
        throw new UsageError(`--format: expected text or mermaid, received "${values.format}"`);
    const projectDir = path.resolve(values.project ?? process.cwd());
    checkOutputFolder("--json", values.json);

    const result = await runStack({ projectDir, stack: values.stack });
    if (result.environments.length > 0) {
        err(
            `warning: Pulumi.${values.stack}.yaml imports ESC environments (${result.environments.join(", ")}); ` +
                "they cannot be opened offline, so values they provide are missing from this plan\n",
        );
    }
    const mermaid = values.format === "mermaid";
    out(
        mermaid
            ? renderMermaid(result.export)
            : renderPlan({ stack: values.stack, export: result.export, outputs: result.outputs }),
    );
    if (values.json !== undefined) {
        fs.writeFileSync(values.json, `${JSON.stringify(result.export, null, 2)}\n`);
        // The diagram goes to stdout alone, so that it can be redirected to a file.
        (mermaid ? err : out)(`\nWrote the stack export document to ${values.json}\n`);
    }
    return 0;
}

if (require.main === module) {
    runCommand("plan", () =>
        plan(
            process.argv.slice(2),
            (s) => process.stdout.write(s),
            (s) => process.stderr.write(s),
        ),
    );
}
