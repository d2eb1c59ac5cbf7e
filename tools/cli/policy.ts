/**
 * `npm run policy -- (--stack <name> | --file <document.json>) [--config <policy-config.json>] [--format text|json|sarif] [--output <file>] [--sarif <file>] [--json <file>]`
 *
 * `--sarif` and `--json` also write those reports to files, so that CI gates a stack once and
 * keeps every report.
 * The offline policy gate: the pack runs in its own process and is spoken to over the analyzer
 * protocol. Exit 1 on any mandatory violation, 0 otherwise, 2 on unusable input.
 */
import "./startup";
import * as fs from "node:fs";
import * as path from "node:path";
import { POLICIES } from "../../policies/pack";
import { runStack } from "../engine/run";
import { analyze, startPack, type PolicyConfigFile } from "../policy/gate";
import { renderSarif, renderText, resourcesFromDocument } from "../policy/report";
import { checkOutputFolder, parseCommandLine, readInput, runCommand, UsageError } from "./cli";

export const POLICY_USAGE =
    "npm run policy -- (--stack <name> | --file <document.json>) [--config <policy-config.json>] [--format text|json|sarif] [--output <file>] [--sarif <file>] [--json <file>]";
const HELP_URI = "https://github.com/llm-platform/llm-platform/blob/main/README.md";

export async function policy(argv: string[], out: (s: string) => void): Promise<number> {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            stack: { type: "string" },
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
    if (values.file) {
        try {
            resources = resourcesFromDocument(readInput(values.file, "document"), values.file);
        } catch (e) {
            throw e instanceof UsageError ? e : new UsageError((e as Error).message);
        }
    } else {
        resources = (await runStack({ projectDir, stack: values.stack as string })).export.deployment.resources;
    }

    const pack = await startPack();
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
