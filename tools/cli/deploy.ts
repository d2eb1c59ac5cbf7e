/**
 * `llm-platform deploy --stack <name> [--preview] [--pack <dir>]... [--config <file>]... [--report <dir>] [--registry-url <url>] [--project <dir>]`
 *
 * The deploy of a commit, idempotent (tools/promote/deploy.ts): `pulumi up` with the policy packs,
 * keeping each blue-green model's active colour where the stack has it, then the promotion of each
 * model whose inactive colour the commit gives a new release. A commit that would change the
 * active colour's release in place is refused before anything runs. Run twice, the second changes
 * nothing. --preview shows what it would do (`pulumi preview` of the same pinned config, and the
 * releases it would promote) and changes nothing but the runner's copy of the config. Needs the Pulumi CLI and credentials for the stack. Exit 0 deployed (and every pending
 * release promoted); 1 a release did not go out (smoke or quality gate failed, or reverted); 2 bad
 * input or a commit the deploy refuses, nothing changed; 3 a release failed (an error or a signal)
 * or its rollback did, with what serves reported.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ReleaseContract } from "../../components/release";
import {
    AutomationStack,
    fileJournal,
    journalFileFor,
    lockFileFor,
    releaseStateDir,
    type PolicyPacks,
} from "../promote/automation";
import { releaseObjectAt } from "../promote/contract";
import { locateRelease, planDeploy } from "../promote/deploy";
import { describeHolder, staleReason } from "../promote/locks";
import { PromotionError, StackBusyError, type PromoteOptions } from "../promote/machine";
import { DEFAULT_PACK_DIR } from "../policy/packProcess";
import { parseCommandLine, UsageError } from "./cli";
import {
    existingPolicyFiles,
    qualityGate,
    releaseEach,
    withSignals,
    requireHttpUrl,
    stateDirFlag,
    timingOf,
    type StackRun,
} from "./promote";

export const DEPLOY_USAGE =
    "llm-platform deploy --stack <name> [--preview] [--pack <dir>]... [--config <policy-config.json>]... [--report <dir>] [--registry-url <url>] [--message <text>] [--state-dir <dir>] [--settle-seconds <s>] [--drain-seconds <s>] [--project <dir>]";

export function parseDeployArgs(argv: string[]): {
    stack: string;
    project: string;
    report: string | undefined;
    registryUrl: string | undefined;
    message: string;
    preview: boolean;
    policy: PolicyPacks;
    stateDir: string | undefined;
    /** The waits of each promotion (--settle-seconds, --drain-seconds). */
    timing: PromoteOptions["timing"];
} {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            stack: { type: "string" },
            project: { type: "string" },
            report: { type: "string" },
            "registry-url": { type: "string" },
            message: { type: "string" },
            preview: { type: "boolean" },
            "state-dir": { type: "string" },
            "settle-seconds": { type: "string" },
            "drain-seconds": { type: "string" },
            pack: { type: "string", multiple: true },
            config: { type: "string", multiple: true },
        },
        DEPLOY_USAGE,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\nusage: ${DEPLOY_USAGE}`);
    if (!values.stack) throw new UsageError(`--stack is required\nusage: ${DEPLOY_USAGE}`);
    requireHttpUrl("registry-url", values["registry-url"]);
    const { packs, configs } = existingPolicyFiles(values.pack ?? [], values.config ?? []);
    return {
        stack: values.stack,
        project: path.resolve(values.project ?? process.cwd()),
        report: values.report === undefined ? undefined : path.resolve(values.report),
        registryUrl: values["registry-url"],
        message: values.message ?? "deploy",
        preview: values.preview ?? false,
        stateDir: stateDirFlag(values["state-dir"]),
        timing: timingOf(values["settle-seconds"], values["drain-seconds"]),
        policy: { packs: packs.length > 0 ? packs : [DEFAULT_PACK_DIR], configs },
    };
}

/** The models whose promotion is running now: their lock held by a live process. */
function promotionsRunning(run: StackRun, contracts: readonly ReleaseContract[]): Set<string> {
    const dir = releaseStateDir(run.project, run.stateDir, run.stack);
    return new Set(
        contracts
            .map((c) => c.model)
            .filter((model) => {
                const lock = lockFileFor(dir, run.stack, model);
                return fs.existsSync(lock) && staleReason(lock) === undefined;
            }),
    );
}

/**
 * What a deploy's update pins: every model's serving colour and releases, and, for a model whose
 * promotion is running, its scaleDownInactive too (the promotion may be warming a colour up, or
 * draining the old one: the commit's setting waits for the promotion's end).
 */
function deployPins(plan: ReturnType<typeof planDeploy>, running: ReadonlySet<string>) {
    return plan.pins.filter((p) => !p.type || running.has(p.model));
}

/**
 * `promote --recover` for each blue-green model whose journal holds an unfinished release: the exit
 * code (0 when none was left, or each was finished or undone and checked; 3 otherwise).
 */
async function recoverInterrupted(
    contracts: readonly ReleaseContract[],
    committed: Readonly<Record<string, string>>,
    target: AutomationStack,
    run: StackRun,
    options: { timing: PromoteOptions["timing"]; preview: boolean },
): Promise<number> {
    const { project, stack, say } = run;
    const dir = releaseStateDir(project, run.stateDir, stack);
    const models: string[] = [];
    for (const c of contracts.filter((x) => x.platform === "eks" && x.strategy === "blue-green")) {
        const store = fileJournal(journalFileFor(dir, stack, c.model));
        const journal = await store.read();
        if (!journal.current) continue;
        // A promotion of it still running (its lock held by a live process): its journal is its own.
        const lock = lockFileFor(dir, stack, c.model);
        if (fs.existsSync(lock) && staleReason(lock) === undefined) {
            say(
                `model ${c.model}: a promotion is in progress (${describeHolder(lock)}); the deploy leaves it to finish`,
            );
            continue;
        }
        if (locateRelease(committed, c) === undefined) {
            // The commit removes the model: nothing of its release is to be kept.
            if (!options.preview) await store.write(journal.good ? { good: journal.good } : {});
            say(`model ${c.model}: a release left unfinished, and the commit removes the model: its journal is closed`);
            continue;
        }
        models.push(c.model);
    }
    if (models.length === 0) return 0;
    if (options.preview) {
        say(
            `models with a release left unfinished: ${models.join(", ")}; the deploy recovers them first (promote --recover), so what serves then may differ from this preview's`,
        );
        return 0;
    }
    say(`models with a release left unfinished, recovered before the deploy: ${models.join(", ")}`);
    let code: number;
    try {
        code = await releaseEach(run, models, (_model, signals) => ({
            recover: true,
            signals,
            ...(options.timing ? { timing: options.timing } : {}),
        }));
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        say(e.message);
        code = 2;
    }
    if (code !== 0) {
        say(`the deploy of stack ${stack} stops: a release left unfinished could not be recovered`);
        return code === 2 ? 2 : 3;
    }
    // The recovery wrote what it deployed into the runner's copy of the stack file; the deploy
    // applies the commit's own settings (scaleDownInactive), which its pins leave as committed.
    await target.writeConfig(
        contracts.flatMap((c) => {
            const key = locateRelease(committed, c);
            if (key === undefined || c.platform !== "eks" || c.strategy !== "blue-green") return [];
            const value = releaseObjectAt(committed, key)?.scaleDownInactive;
            return [[`${key}.scaleDownInactive`, typeof value === "boolean" ? value : undefined] as const];
        }),
    );
    return 0;
}

/** The command as `llm-platform deploy` runs it; resolves to the exit code. */
export async function deployCommand(argv: string[]): Promise<number> {
    const args = parseDeployArgs(argv);
    const say = (line: string): void => void process.stdout.write(`${line}\n`);
    // The signals of the whole deploy: its update and its releases (a second stops the update at once).
    return withSignals((signals) => deployWith(args, say, signals), say);
}

async function deployWith(
    {
        stack,
        project,
        report,
        registryUrl,
        message,
        preview,
        policy,
        stateDir,
        timing,
    }: ReturnType<typeof parseDeployArgs>,
    say: (line: string) => void,
    signals: { stop: AbortSignal; now: AbortSignal },
): Promise<number> {
    const run: StackRun = { project, stack, policy, stateDir, registryUrl, say };
    let target: AutomationStack;
    let committed: Record<string, string>;
    let plan: ReturnType<typeof planDeploy>;
    try {
        target = await AutomationStack.select(project, stack, policy, say, undefined, stateDir);
        // The stack file as committed, read before anything is pinned over the runner's copy.
        committed = await target.config();
        let contracts = await target.contracts();
        // A release a killed or failed run left unfinished is finished or undone first (its
        // journal): the stack then serves what passed its gate, and the plan starts from it.
        const code = await recoverInterrupted(contracts, committed, target, run, { timing, preview });
        if (code !== 0) return code;
        contracts = await target.contracts();
        if (contracts.length === 0) say(`stack ${target.name} has no release contracts yet: the update alone`);
        plan = planDeploy(contracts, committed, target.name);
    } catch (e) {
        throw e instanceof PromotionError ? new UsageError(e.message) : e;
    }
    const refuse = (problems: string[]): UsageError =>
        new UsageError(`the deploy of stack ${target.name} is refused; nothing ran:\n  ${problems.join("\n  ")}`);
    if (plan.problems.length > 0) throw refuse(plan.problems);
    for (const notice of plan.notices) say(notice);
    if (preview) {
        await target.pin(deployPins(plan, promotionsRunning(run, await target.contracts())));
        await target.previewUpdate(message, signals.now);
        say(
            plan.pending.length === 0
                ? "after the update: no model has a new release"
                : `after the update, the deploy promotes (smoke test, quality gate, flip, verify): ${plan.pending.map((p) => `model ${p.model} to ${p.colour} with ${p.modelVersion}${p.image ? ` (${p.image})` : ""}`).join("; ")}`,
        );
        return 0;
    }
    if (signals.stop.aborted) {
        say(`stopped by a signal before the update: nothing of the commit was deployed`);
        return 3;
    }
    // Planned again before each attempt: a manual release may have flipped a model while the
    // update waited for the stack's lock. Settings (scaleDownInactive) are the file's to change.
    try {
        await target.update(
            message,
            async () => {
                const contracts = await target.contracts();
                plan = planDeploy(contracts, committed, target.name);
                if (plan.problems.length > 0) throw refuse(plan.problems);
                const running = promotionsRunning(run, contracts);
                for (const model of running)
                    say(
                        `model ${model}: its promotion is running; the update keeps its scaleDownInactive as the promotion set it`,
                    );
                await target.pin(deployPins(plan, running));
            },
            undefined,
            signals.now,
        );
    } catch (e) {
        // Cancelled at the second signal: a failure (3) with what it means, not a stack trace.
        if (!signals.now.aborted) throw e;
        say(
            e instanceof StackBusyError
                ? `stopped at once, before the update began (${e.message}): nothing of the commit was deployed; no release started.`
                : `stopped at once: the update was cancelled (Pulumi finishes the steps under way), so the stack runs part of the commit; no release started. The next deploy applies it again.`,
        );
        return 3;
    }
    if (plan.pending.length === 0) {
        say(`deployed: no model has a new release`);
        return 0;
    }
    if (signals.stop.aborted) {
        say(`stopped by a signal after the update: no release started`);
        return 3;
    }
    // The update ran: from here a release that cannot start is a release that did not go out (1).
    const releases = plan.pending;
    try {
        const code = await releaseEach(
            run,
            releases.map((p) => p.model),
            (model, signals) => {
                const p = releases.find((x) => x.model === model)!;
                say(
                    `model ${p.model}: the commit's new release for ${p.colour} (${p.modelVersion}${p.image ? `, ${p.image}` : ""})`,
                );
                return {
                    to: p.colour,
                    modelVersion: p.modelVersion,
                    ...(p.image ? { image: p.image } : {}),
                    signals,
                    ...(timing ? { timing } : {}),
                };
            },
            qualityGate(project, report),
        );
        return code === 2 ? 1 : code;
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        say(e.message);
        return 1;
    }
}
