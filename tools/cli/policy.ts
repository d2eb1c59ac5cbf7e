/**
 * `npm run policy -- (--stack <name> [--mode preview|update] | --file <document.json>) [--config <policy-config.json>] [--format text|json|sarif] [--output <file>] [--sarif <file>] [--json <file>]`
 *
 * With --stack, the stack is planned first in the view `--mode` names: `preview` (the default) is
 * what `pulumi preview --policy-pack` shows the pack — outputs of new resources unknown, so a
 * policy that reads one is reported as not runnable during preview, as the CLI does — and
 * `update` what the pack sees on `pulumi up`.
 * `--sarif` and `--json` also write those reports to files, so that CI gates a stack once and
 * keeps every report.
 * The offline policy gate: the pack runs in its own process and is spoken to over the analyzer
 * protocol. Exit 1 on any mandatory violation, 0 otherwise, 2 on unusable input.
 */
import "./startup";
import * as fs from "node:fs";
import * as path from "node:path";
import { POLICIES } from "../../policies/pack";
import { runStack, type RunOptions, type RunResult } from "../engine/run";
import { analyze, startPack, type PackProcess, type PolicyConfigFile } from "../policy/gate";
import { renderSarif, renderText, resourcesFromDocument } from "../policy/report";
import { checkOutputFolder, parseCommandLine, parseMode, readInput, runCommand, UsageError } from "./cli";

export const POLICY_USAGE =
    "npm run policy -- (--stack <name> [--mode preview|update] | --file <document.json>) [--config <policy-config.json>] [--format text|json|sarif] [--output <file>] [--sarif <file>] [--json <file>]";
const HELP_URI = "https://github.com/llm-platform/llm-platform/blob/main/README.md";

/**
 * The command. `run` plans a `--stack` (the offline engine, {@link runStack}) and `start` starts
 * the pack ({@link startPack}); tests pass ones that share plans and a pack between them.
 */
export async function policy(
    argv: string[],
    out: (s: string) => void,
    run: (options: RunOptions) => Promise<RunResult> = runStack,
    start: () => Promise<PackProcess> = startPack,
): Promise<number> {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            stack: { type: "string" },
            mode: { type: "string" },
            file: { type: "string" },
            config: { type: "string" },
            format: { type: "string", default: "text" },
            output: { type: "string" },
            sarif: { type: "string" },
            json: { type: "string" },
            project: { type: "string" },
        },
        POLICY_USAGE,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\nusage: ${POLICY_USAGE}`);
    if (Boolean(values.stack) === Boolean(values.file))
        throw new UsageError(`give exactly one of --stack and --file\nusage: ${POLICY_USAGE}`);
    if (values.mode !== undefined && !values.stack)
        throw new UsageError(
            `--mode applies to --stack only (a --file document is gated as it is)\nusage: ${POLICY_USAGE}`,
        );
    const mode = parseMode(values.mode ?? "preview");
    if (!["text", "json", "sarif"].includes(values.format))
        throw new UsageError(`--format: expected text, json or sarif, received "${values.format}"`);
    const projectDir = path.resolve(values.project ?? process.cwd());
    checkOutputFolder("--output", values.output);
    checkOutputFolder("--sarif", values.sarif);
    checkOutputFolder("--json", values.json);

    let config: PolicyConfigFile = {};
    const configFile =
        values.config ??
        (values.stack
            ? path.join(projectDir, "policies", "config", `${values.stack === "prod" ? "prod" : "staging"}.json`)
            : undefined);
    if (configFile) {
        try {
            config = JSON.parse(readInput(configFile, "policy config")) as PolicyConfigFile;
        } catch (e) {
            throw e instanceof UsageError
                ? e
                : new UsageError(`policy config ${configFile} is not JSON: ${(e as Error).message}`);
        }
    }
    let resources;
    let packStarting: Promise<PackProcess> | undefined;
    if (values.file) {
        try {
            resources = resourcesFromDocument(readInput(values.file, "document"), values.file);
        } catch (e) {
            throw e instanceof UsageError ? e : new UsageError((e as Error).message);
        }
    } else {
        // The pack starts while the stack is planned: both are processes of their own.
        packStarting = start();
        try {
            resources = (await run({ projectDir, stack: values.stack as string, mode })).export.deployment.resources;
        } catch (e) {
            void packStarting.then(
                (p) => p.stop(),
                () => undefined,
            );
            throw e;
        }
    }

    const pack = await (packStarting ?? start());
    let result;
    try {
        result = await analyze(pack.port, resources, config);
    } finally {
        pack.stop();
    }
    const remediation = new Map(POLICIES.map((p) => [p.name, p.remediationSteps ?? ""]));
    const render: Record<string, () => string> = {
        json: () => `${JSON.stringify(result, null, 2)}\n`,
        sarif: () => `${JSON.stringify(renderSarif(result, HELP_URI, remediation), null, 2)}\n`,
        text: () => renderText(result),
    };
    const text = render[values.format]();
    if (values.output) fs.writeFileSync(values.output, text);
    else out(text);
    if (values.sarif) fs.writeFileSync(values.sarif, render.sarif());
    if (values.json) fs.writeFileSync(values.json, render.json());
    return result.violations.some((v) => v.level === "mandatory") ? 1 : 0;
}

if (require.main === module) runCommand("policy", () => policy(process.argv.slice(2), (s) => process.stdout.write(s)));
