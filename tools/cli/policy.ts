/**
 * `llm-platform policy (--stack <name> [--mode preview|update] [--project <dir>] | --file <document.json>) [--pack <dir>]... [--config <file>]... [--tier staging|prod] [--processes <n>] [--format text|json|sarif] [--output <file>] [--sarif <file>] [--json <file>]`
 *
 * The offline policy gate. Each pack runs in its own process, started as the Pulumi CLI starts a
 * local `--policy-pack` (./startPack), and is spoken to over the analyzer protocol, configured as
 * the CLI configures it. With --stack, the stack is planned first in the view `--mode` names:
 * `preview` (the default) is what `pulumi preview --policy-pack` shows the packs — outputs of new
 * resources unknown, so a policy that reads one is reported as not runnable during preview, as the
 * CLI does — and `update` what they see on `pulumi up`. --file gates a `pulumi stack export`, a
 * `pulumi preview --json --show-sames` or a plan's `--json` document instead.
 *
 * Packs: each `--pack <dir>` in order (as `pulumi preview --policy-pack` repeats), or this package's
 * production-standards pack when none is given. Policy configs: `--config <file>` pairs with the
 * `--pack` in the same position (none, or one per pack, as the CLI's `--policy-pack-config`);
 * `--tier staging|prod` is the production-standards pack's config for that tier; without either,
 * the tier comes from the stack (`llm-platform:tier` in its stack file, or the Stack's `tier` output
 * of a document) when it has one, and otherwise each pack runs with its own defaults. Configs are
 * checked before anything runs ({@link checkPolicyConfig}), strictly: unknown policies and settings
 * are refused.
 *
 * `--sarif` and `--json` also write those reports to files, so that CI gates a stack once and keeps
 * every report. Exit codes ({@link EXIT}): 0 no mandatory violation, 1 a mandatory violation, 2
 * unusable input (arguments, files, policy configs, stack config), 3 the gate itself failed (a pack
 * that does not start, a program that fails). Reports are written all or none.
 */
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";
import { checkPolicyConfig, type PolicyConfig } from "../../policies/config";
import { POLICIES } from "../../policies/pack";
import { readProject } from "../engine/project";
import { readStackConfig } from "../engine/stackConfig";
import { runStack, type RunOptions, type RunResult } from "../engine/run";
import type { ExportedResource } from "../engine/stackExport";
import { UnknownSignatureError } from "../policy/decode";
import { Analysis, DEFAULT_PACK_DIR, mergeResults, startPack, type PackProcess } from "../policy/gate";
import { packageRoot, type PackContext } from "../policy/packProcess";
import {
    gateCategory,
    renderSarif,
    renderText,
    repositoryPrefix,
    resourcesFromDocument,
    violationLocator,
} from "../policy/report";
import {
    checkOutputFolder,
    checkOutputs,
    parseCommandLine,
    parseMode,
    readInput,
    UsageError,
    writeAllOrNone,
} from "./cli";

export const POLICY_USAGE =
    "llm-platform policy (--stack <name> [--mode preview|update] [--project <dir>] | --file <document.json>) [--pack <dir>]... [--config <policy-config.json>]... [--tier staging|prod] [--processes <n>] [--format text|json|sarif] [--output <file>] [--sarif <file>] [--json <file>]";

/** The gate's exit codes; CI tells a violation from a gate that could not run by them. */
export const EXIT = { clean: 0, mandatoryViolation: 1, unusableInput: 2, internalError: 3 } as const;

const TIER_KEY = "llm-platform:tier";

/** Below this many resources a second pack process costs more to start than it saves. */
export const SHARD_THRESHOLD = 1000;

/**
 * The production-standards pack's config per tier: `config/<tier>.json` of the shipped pack folder,
 * `pack/` at the package's root (from the sources and from dist/ alike).
 */
export const TIER_CONFIG_DIR = path.join(packageRoot(), "pack", "config");

/**
 * How many processes of each pack gate `resources` resources: `--processes` when given (1 to 16),
 * else one per core (at most 4) for large deployments and one otherwise.
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

/** The tiers the production-standards pack has a config for. */
function tiers(): string[] {
    return fs.existsSync(TIER_CONFIG_DIR)
        ? fs
              .readdirSync(TIER_CONFIG_DIR)
              .filter((f) => f.endsWith(".json"))
              .map((f) => f.slice(0, -".json".length))
              .sort((a, b) => b.localeCompare(a, "en"))
        : [];
}

function checkTier(value: unknown, where: string): string {
    const known = tiers();
    if (typeof value === "string" && known.includes(value)) return value;
    throw new UsageError(
        `${where} is ${JSON.stringify(value)}, which has no policy config: expected ${known.join(" or ")} (or give --config <file>)`,
    );
}

/** A policy-config file, parsed; what is wrong with reading or parsing it is a UsageError. */
function readConfigFile(file: string): unknown {
    const text = readInput(file, "policy config");
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new UsageError(`policy config ${file} is not JSON: ${(e as Error).message}`);
    }
}

export const HELP_URI = "https://github.com/llm-platform/llm-platform/blob/main/docs/policies.md";

/**
 * The command. `run` plans a `--stack` (the offline engine, {@link runStack}) and `start` starts a
 * pack ({@link startPack}); tests pass ones that share plans and packs between them.
 */
export async function policy(
    argv: string[],
    out: (s: string) => void,
    run: (options: RunOptions) => Promise<RunResult> = runStack,
    start: (dir: string, context: PackContext) => Promise<PackProcess> = startPack,
    warn: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<number> {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            stack: { type: "string" },
            mode: { type: "string" },
            file: { type: "string" },
            pack: { type: "string", multiple: true },
            config: { type: "string", multiple: true },
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
    if (values.project !== undefined && !values.stack)
        throw new UsageError(
            `--project applies to --stack only (the project whose stack is planned)\nusage: ${POLICY_USAGE}`,
        );
    const mode = parseMode(values.mode ?? "preview");
    if (!["text", "json", "sarif"].includes(values.format))
        throw new UsageError(`--format: expected text, json or sarif, received "${values.format}"`);
    const projectDir = path.resolve(values.project ?? process.cwd());
    checkOutputFolder("--output", values.output);
    checkOutputFolder("--sarif", values.sarif);
    checkOutputFolder("--json", values.json);
    checkOutputs(
        [
            { flag: "--output", file: values.output },
            { flag: "--sarif", file: values.sarif },
            { flag: "--json", file: values.json },
        ],
        [
            ...(values.file ? [{ what: "the --file document", file: values.file }] : []),
            ...(values.config ?? []).map((f) => ({ what: "a --config file", file: f })),
        ],
    );

    // Repeated flags keep their order: the i-th --config goes with the i-th --pack.
    const packDirs = values.pack ?? [];
    const configFiles = values.config ?? [];
    const packs = packDirs.length > 0 ? packDirs.map((d) => path.resolve(d)) : [DEFAULT_PACK_DIR];
    if (configFiles.length > 0 && configFiles.length !== packs.length)
        throw new UsageError(
            `give one --config per --pack, in the same order, or none: received ${configFiles.length} --config for ${packs.length} pack${packs.length === 1 ? "" : "s"} (${packDirs.length === 0 ? "the production-standards pack" : packDirs.join(", ")})`,
        );
    if (values.tier !== undefined && configFiles.length > 0)
        throw new UsageError(`give --tier or --config, not both\nusage: ${POLICY_USAGE}`);
    if (values.tier !== undefined && packDirs.length > 0)
        throw new UsageError(
            `--tier chooses the production-standards pack's config when it runs alone; with --pack, give each pack its --config (the tiers are ${tiers()
                .map((t) => path.join(TIER_CONFIG_DIR, `${t}.json`))
                .join(", ")})`,
        );
    if (values.tier !== undefined) checkTier(values.tier, "--tier");
    if (values.processes !== undefined) processesFor(0, values.processes);
    for (const dir of packs)
        if (!fs.existsSync(path.join(dir, "PulumiPolicy.yaml")))
            throw new UsageError(
                `--pack ${dir}: not a policy pack folder (no PulumiPolicy.yaml); a pack folder holds PulumiPolicy.yaml, package.json and its entry point`,
            );

    let resources: ExportedResource[] | undefined;
    let tier = values.tier;
    let stackName: string | undefined;
    let projectName: string | undefined;
    if (values.file) {
        try {
            const read = resourcesFromDocument(readInput(values.file, "document"), values.file);
            resources = read.resources;
            for (const w of read.warnings) warn(`policy: warning: ${w}\n`);
        } catch (e) {
            throw e instanceof UsageError ? e : new UsageError((e as Error).message);
        }
        const urn = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(resources[0]?.urn ?? "");
        [stackName, projectName] = [urn?.[1], urn?.[2]];
        if (tier === undefined && configFiles.length === 0 && packDirs.length === 0) {
            const found = tierOfDocument(resources);
            if (found !== undefined) tier = checkTier(found, `the "tier" output of the Stack in ${values.file}`);
        }
    } else {
        stackName = values.stack as string;
        const project = readProject(projectDir);
        projectName = project.name;
        if (tier === undefined && configFiles.length === 0 && packDirs.length === 0) {
            const found = readStackConfig(projectDir, project, stackName).values[TIER_KEY];
            if (found !== undefined) tier = checkTier(found, `${TIER_KEY} in Pulumi.${stackName}.yaml`);
        }
    }
    const sources: Array<string | undefined> =
        configFiles.length > 0
            ? configFiles
            : tier !== undefined
              ? [path.join(TIER_CONFIG_DIR, `${tier}.json`)]
              : packs.map(() => undefined);
    if (sources.every((s) => s === undefined))
        warn(
            `policy: no policy config (--config, --tier, or ${TIER_KEY} in the stack): each pack runs at its own levels and defaults\n`,
        );
    const configs: PolicyConfig[] = sources.map((file, i) => {
        if (file === undefined) return {};
        const raw = readConfigFile(file);
        // The production-standards pack's configs are checked before anything starts; another
        // pack's once it reports its policies.
        return checkPolicyConfig(raw, packs[i] === DEFAULT_PACK_DIR ? POLICIES : undefined, file);
    });

    const context: PackContext = {
        project: projectName,
        stack: stackName,
        dryRun: Boolean(values.stack) && mode === "preview",
    };
    const started: Array<Promise<PackProcess>> = [];
    const launch = (dir: string): Promise<PackProcess> => {
        const p = start(dir, context);
        started.push(p);
        p.catch(() => undefined);
        return p;
    };
    const stopAll = (): void => {
        for (const p of started)
            void p.then(
                (x) => x.stop(),
                () => undefined,
            );
    };
    const configSource = (i: number): string => `${sources[i] ?? "policy config"} (for the pack in ${packs[i]})`;
    const analyses: Analysis[] = [];
    let ended = false;
    try {
        // The packs start while the stack is planned, each a process of its own; each pack's
        // analysis opens as soon as its process is up and takes the resources as the program
        // registers them (Analyze reads a resource's inputs, fixed when it registers), so most of
        // the per-resource calls are done when the program ends.
        // A document's size is known now: all its processes start at once. A stack's once planned.
        const known = resources ? processesFor(resources.length, values.processes) : 1;
        const first = packs.map((dir) => Promise.all(Array.from({ length: known }, () => launch(dir))));
        const arrived: ExportedResource[] = [];
        const open = first.map((p, i) =>
            p
                .then((ps) =>
                    Analysis.open(
                        ps.map((x) => x.port),
                        configs[i],
                        undefined,
                        configSource(i),
                    ),
                )
                .then((analysis) => {
                    // Opened after the command ended (it failed first): nothing will finish it.
                    if (ended) {
                        analysis.close();
                        return analysis;
                    }
                    analyses.push(analysis);
                    for (const r of arrived) analysis.add(r);
                    return analysis;
                }),
        );
        for (const a of open) a.catch(() => undefined);
        if (!resources) {
            const sink = {
                push(resource: ExportedResource): void {
                    arrived.push(resource);
                    for (const a of analyses) a.add(resource);
                },
            };
            resources = (await run({ projectDir, stack: stackName!, mode, sink })).export.deployment.resources;
        }
        const all = resources;
        const wanted = processesFor(all.length, values.processes);
        let result;
        try {
            result = mergeResults(
                await Promise.all(
                    packs.map(async (dir, i) => {
                        const analysis = await open[i];
                        if (wanted > known) {
                            const more = await Promise.all(Array.from({ length: wanted - known }, () => launch(dir)));
                            await analysis.addProcesses(more.map((m) => m.port));
                        }
                        return analysis.finish(all);
                    }),
                ),
            );
        } catch (e) {
            // A special value Pulumi does not define: the document, not the gate, is at fault.
            throw e instanceof UnknownSignatureError
                ? new UsageError(`${values.file ?? values.stack}: ${e.message}`)
                : e;
        }
        const analysed = resources;
        const render: Record<string, () => string> = {
            json: () => `${JSON.stringify(result, null, 2)}\n`,
            sarif: () =>
                `${JSON.stringify(renderSarif(result, HELP_URI, violationLocator(analysed, repositoryPrefix(projectDir)), gateCategory(analysed)), null, 2)}\n`,
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
    } finally {
        ended = true;
        for (const a of analyses) a.close();
        stopAll();
    }
}
