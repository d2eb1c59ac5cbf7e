/**
 * The README's commands, run as a newcomer runs them, in a clean copy of the repository (the files
 * git would clone, with the installed node_modules linked in). They are processes that need nothing
 * from the test process, so the root hook starts them in the background slots after the plans and
 * the end-to-end tests only read what they printed: the suite's other tests run meanwhile.
 *
 * Asynchronous spawns, never spawnSync: the engine serving the background plans lives in the test
 * process, and a synchronous spawn would stall it.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR, run } from "./helpers";
import { inBackground } from "./plans";

/** What one command line printed. */
export interface Ran {
    readonly command: string;
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** The repository's files as a clone would have them: tracked and new, never ignored ones. */
export function cleanCopy(): string {
    const listed = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
    });
    if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-e2e-"));
    for (const file of listed.stdout.split("\0").filter(Boolean)) {
        if (!fs.existsSync(path.join(PROJECT_DIR, file))) continue; // deleted, not yet committed
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(dir, file));
    }
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    return dir;
}

/**
 * Runs a command line as a user would. Not under coverage: these processes run code the other
 * tests cover in-process, and each would add megabytes of V8 coverage for c8 to merge.
 */
export async function sh(command: string, cwd: string): Promise<Ran> {
    // Empty, not absent: Node passes its own NODE_V8_COVERAGE on to children that do not set one.
    const env = { ...process.env, NODE_OPTIONS: "", NODE_V8_COVERAGE: "" };
    const r = await run("bash", ["-c", command], { cwd, env });
    if (r.error) throw r.error;
    return { command, code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs command lines one after another (each may need the last one's files), all of them whatever the exit codes. */
async function chain(commands: readonly string[], cwd: string): Promise<Ran[]> {
    const ran: Ran[] = [];
    for (const command of commands) ran.push(await sh(command, cwd));
    return ran;
}

/** The lines of the README's `<!-- e2e:start -->` block: the pull-request walk-through. */
export function e2eBlock(readme: string): string[] {
    const block = /<!-- e2e:start -->\n```sh\n([\s\S]*?)```\n<!-- e2e:end -->/.exec(readme)?.[1];
    return block === undefined ? [] : block.trim().split("\n");
}

/** README.md and every page of docs/ (not the generated reference), as a reader finds them in `dir`. */
export function docPages(dir: string): Array<{ file: string; text: string }> {
    const docs = fs
        .readdirSync(path.join(dir, "docs"))
        .filter((f) => f.endsWith(".md"))
        .sort()
        .map((f) => `docs/${f}`);
    return ["README.md", ...docs].map((file) => ({ file, text: fs.readFileSync(path.join(dir, file), "utf8") }));
}

/** The marker a docs page puts on the line before a shell block the tests run as written. */
export const RUNNABLE = "<!-- runnable -->";

/**
 * Every line of the shell blocks marked {@link RUNNABLE} in the pages, in order (a trailing
 * `  # comment` dropped), but the ones the e2e block already runs, as written or with more flags
 * (the block's `plan -- --stack staging --json …` prints what `plan -- --stack staging` prints).
 * A marked block holds `npm run` lines only, and the marker stands on the line before its ```sh
 * fence: anything else is an error naming the page, not a line silently left out.
 */
export function runnableCommands(pages: ReadonlyArray<{ file: string; text: string }>, readme: string): string[] {
    const lines: string[] = [];
    for (const page of pages) {
        const marked = page.text.split(RUNNABLE).length - 1;
        const blocks = [...page.text.matchAll(new RegExp(`${RUNNABLE}\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``, "g"))];
        if (blocks.length !== marked)
            throw new Error(`${page.file}: ${RUNNABLE} must stand on the line before a \`\`\`sh block`);
        for (const line of blocks.flatMap((m) => m[1].split("\n")).filter((l) => l.trim() !== "")) {
            const command = /^(npm run .*?)(\s{2,}#.*)?$/.exec(line.trim())?.[1];
            if (command === undefined)
                throw new Error(
                    `${page.file}: a runnable block holds \`npm run\` lines only, not ${JSON.stringify(line)}`,
                );
            lines.push(command);
        }
    }
    const alreadyRun = new Set(e2eBlock(readme).map((l) => l.replace(/\s{2,}#.*$/, "").trim()));
    const covered = (l: string): boolean => [...alreadyRun].some((run) => run === l || run.startsWith(`${l} --`));
    return lines.filter((l) => !covered(l));
}

export interface ReadmeRuns {
    /** The clean copy the commands ran in. */
    readonly dir: string;
    /** The copy's top-level entries before any command ran. */
    readonly copied: readonly string[];
    readonly readme: string;
    /** The e2e block, in order. */
    readonly walkthrough: Promise<Ran[]>;
    /** {@link runnableCommands} of the README and docs/, then promote and deploy (to show they need the Pulumi CLI). */
    readonly others: Promise<Ran[]>;
    /** Bad input the README's exit-code table describes; after the walk-through (it reads `out/`). */
    readonly badInput: Promise<Ran[]>;
    /** The pull-request workflow's offline script on the copy, base equal to head. */
    readonly workflow: Promise<Ran>;
}

let runs: ReadmeRuns | undefined;

/** Starts the README's commands in the background slots, once per test run. */
export function readmeRuns(): ReadmeRuns {
    if (runs) return runs;
    const dir = cleanCopy();
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const copied = fs.readdirSync(dir).sort();
    const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
    const walkthrough = inBackground(() => chain(e2eBlock(readme), dir));
    // One of them gates the walk-through's prod plan (out/head-prod.json): they come after it.
    const others = walkthrough.then(() =>
        inBackground(() =>
            chain(
                [
                    ...runnableCommands(docPages(dir), readme),
                    "npm run --silent promote -- --stack staging --rollback",
                    "npm run --silent deploy -- --stack staging --preview",
                ],
                dir,
            ),
        ),
    );
    const badInput = walkthrough.then(() =>
        chain(
            ["npm run --silent policy -- --file out/none.json", "npm run --silent comment -- --dir out --stacks ecs"],
            dir,
        ),
    );
    const workflow = inBackground(() =>
        sh('LLM_PLATFORM="npm run --silent cli --" bash ci/offline-gate.sh . . gate staging', dir),
    );
    runs = { dir, copied, readme, walkthrough, others, badInput, workflow };
    for (const p of [walkthrough, others, badInput, workflow]) p.catch(() => undefined);
    return runs;
}

let typechecked: Promise<Ran> | undefined;

/** `tsc --noEmit -p .` on the project, started once per test run (not in a slot: it needs no plan). */
export function typecheck(): Promise<Ran> {
    typechecked ??= sh(`"${process.execPath}" node_modules/typescript/bin/tsc --noEmit -p .`, PROJECT_DIR);
    return typechecked;
}
