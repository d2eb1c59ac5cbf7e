/**
 * `npm run policy -- (--stack <name> [--mode preview|update] | --file <document.json>) [--tier staging|prod | --config <policy-config.json>] [--processes <n>] [--format text|json|sarif] [--output <file>] [--sarif <file>] [--json <file>]`
 *
 * With --stack, the stack is planned first in the view `--mode` names: `preview` (the default) is
 * what `pulumi preview --policy-pack` shows the pack — outputs of new resources unknown, so a
 * policy that reads one is reported as not runnable during preview, as the CLI does — and
 * `update` what the pack sees on `pulumi up`.
 * `--sarif` and `--json` also write those reports to files, so that CI gates a stack once and
 * keeps every report.
 * The policy config follows the stack's tier (`policies/config/<tier>.json`): the tier is the
 * stack file's `llm-platform:tier` with --stack, the Stack's `tier` output in a --file document, or
 * --tier; --config names a file instead. The config is checked before anything runs
 * ({@link checkPolicyConfig}).
 * The offline policy gate: the pack runs in its own process and is spoken to over the analyzer
 * protocol. Exit codes ({@link EXIT}): 0 no mandatory violation, 1 a mandatory violation, 2 unusable
 * input (arguments, files, policy config, stack config), 3 the gate or the program failed. Reports
 * are written all or none.
 */
import "./startup";
import * as os from "node:os";
import * as path from "node:path";
import { checkPolicyConfig } from "../../policies/config";
import { POLICIES } from "../../policies/pack";
import * as fs from "node:fs";
import { readProject } from "../engine/project";
import { readStackConfig } from "../engine/stackConfig";
import { runStack, type RunOptions, type RunResult } from "../engine/run";
import { UnknownSignatureError } from "../policy/decode";
import { analyze, startPack, type PackProcess } from "../policy/gate";
import { renderSarif, renderText, resourcesFromDocument, violationLocator } from "../policy/report";
import {
    checkOutputFolder,
    parseCommandLine,
    parseMode,
    readInput,
    runCommand,
    UsageError,
    writeAllOrNone,
} from "./cli";

export const POLICY_USAGE =
    "npm run policy -- (--stack <name> [--mode preview|update] | --file <document.json>) [--tier staging|prod | --config <policy-config.json>] [--processes <n>] [--format text|json|sarif] [--output <file>] [--sarif <file>] [--json <file>]";

/** The gate's exit codes; CI tells a violation from a gate that could not run by them. */
export const EXIT = { clean: 0, mandatoryViolation: 1, unusableInput: 2, internalError: 3 } as const;

const TIER_KEY = "llm-platform:tier";

/** Below this many resources a second pack process costs more to start than it saves. */
export const SHARD_THRESHOLD = 1000;

/**
 * How many pack processes gate `resources` resources: `--processes` when given (1 to 16), else one
 * per core (at most 4) for large deployments and one otherwise.
 */
export function processesFor(resources: number, flag: string | undefined): number {
    if (flag !== undefined) {
        if (!/^\d+$/.test(flag) || Number(flag) < 1 || Number(flag) > 16)
            throw new UsageError(`--processes: expected a whole number from 1 to 16, received "${flag}"`);
        return Number(flag);
    }
    return resources >= SHARD_THRESHOLD ? Math.max(1, Math.min(os.availableParallelism(), 4)) : 1;
}

/** The tier a document's Stack resource reports (the reference program exports `tier`), if any. */
function tierOfDocument(resources: ReadonlyArray<{ type: string; outputs?: Record<string, unknown> }>): unknown {
    return resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs?.tier;
}

/** The tiers with a policy config: `policies/config/<tier>.json` in the project. */
function tiersOf(projectDir: string): string[] {
    const dir = path.join(projectDir, "policies", "config");
    return fs.existsSync(dir)
        ? fs
              .readdirSync(dir)
              .filter((f) => f.endsWith(".json"))
              .map((f) => f.slice(0, -".json".length))
              .sort((a, b) => b.localeCompare(a, "en"))
        : [];
}

function checkTier(value: unknown, where: string, projectDir: string): string {
    const tiers = tiersOf(projectDir);
    if (typeof value === "string" && tiers.includes(value)) return value;
    throw new UsageError(
        `${where} is ${JSON.stringify(value)}, which has no policy config: expected ${tiers.join(" or ")} (or give --config <file>)`,
    );
}
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
    warn: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<number> {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            stack: { type: "string" },
            mode: { type: "string" },
            file: { type: "string" },
            config: { type: "string" },
            tier: { type: "string" },
            processes: { type: "string" },
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

    if (values.tier !== undefined && values.config !== undefined)
        throw new UsageError(`give --tier or --config, not both\nusage: ${POLICY_USAGE}`);
    if (values.tier !== undefined) checkTier(values.tier, "--tier", projectDir);
    if (values.processes !== undefined) processesFor(0, values.processes);

    let resources;
    let tier = values.tier;
    if (values.file) {
        try {
            const read = resourcesFromDocument(readInput(values.file, "document"), values.file);
            resources = read.resources;
            for (const w of read.warnings) warn(`policy: warning: ${w}\n`);
        } catch (e) {
            throw e instanceof UsageError ? e : new UsageError((e as Error).message);
        }
        if (tier === undefined && values.config === undefined) {
            const found = tierOfDocument(resources);
            if (found === undefined)
                throw new UsageError(
                    `cannot tell the tier of the stack in ${values.file} (its Stack resource has no "tier" output): give --tier ${tiersOf(projectDir).join("|")} or --config <file>`,
                );
            tier = checkTier(found, `the "tier" output of the Stack in ${values.file}`, projectDir);
        }
    } else if (tier === undefined && values.config === undefined) {
        const stack = values.stack as string;
        const stackConfig = readStackConfig(projectDir, readProject(projectDir), stack);
        tier = checkTier(stackConfig.values[TIER_KEY], `${TIER_KEY} in Pulumi.${stack}.yaml`, projectDir);
    }
    const configFile = values.config ?? path.join(projectDir, "policies", "config", `${tier}.json`);
    let raw: unknown;
    try {
        raw = JSON.parse(readInput(configFile, "policy config"));
    } catch (e) {
        throw e instanceof UsageError
            ? e
            : new UsageError(`policy config ${configFile} is not JSON: ${(e as Error).message}`);
    }
    const config = checkPolicyConfig(raw, POLICIES, configFile);

    let packStarting: Promise<PackProcess> | undefined;
    if (!resources) {
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

    const wanted = processesFor(resources.length, values.processes);
    const packs = await Promise.all([
        packStarting ?? start(),
        ...Array.from({ length: wanted - 1 }, () => start()),
    ]).catch((e: unknown) => {
        void packStarting?.then(
            (p) => p.stop(),
            () => undefined,
        );
        throw e;
    });
    let result;
    try {
        result = await analyze(
            packs.map((p) => p.port),
            resources,
            config,
        );
    } catch (e) {
        // A special value Pulumi does not define: the document, not the gate, is at fault.
        throw e instanceof UnknownSignatureError ? new UsageError(`${values.file ?? values.stack}: ${e.message}`) : e;
    } finally {
        for (const p of packs) p.stop();
    }
    const remediation = new Map(POLICIES.map((p) => [p.name, p.remediationSteps ?? ""]));
    const analysed = resources;
    const render: Record<string, () => string> = {
        json: () => `${JSON.stringify(result, null, 2)}\n`,
        sarif: () =>
            `${JSON.stringify(renderSarif(result, HELP_URI, remediation, violationLocator(analysed)), null, 2)}\n`,
        text: () => renderText(result),
    };
    const text = render[values.format]();
    writeAllOrNone([
        ...(values.output ? [{ flag: "--output", file: values.output, text }] : []),
        ...(values.sarif ? [{ flag: "--sarif", file: values.sarif, text: render.sarif() }] : []),
        ...(values.json ? [{ flag: "--json", file: values.json, text: render.json() }] : []),
    ]);
    if (!values.output) out(text);
    return result.violations.some((v) => v.level === "mandatory") ? EXIT.mandatoryViolation : EXIT.clean;
}

if (require.main === module)
    runCommand("policy", () => policy(process.argv.slice(2), (s) => process.stdout.write(s)), EXIT.internalError);
