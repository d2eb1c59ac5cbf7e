/**
 * The reference stacks' plans as `llm-platform plan --stack <name> --json <file>` prints and
 * writes them (the preview view), kept in tests/fixtures/golden so that a change meant to make the
 * engine faster cannot change what it reports (issue 36): the plan's text byte for byte, and the
 * stack export byte for byte but for its manifest's `time` (the run's clock).
 *
 * `node --require ./tools/typescript.cjs tests/golden.ts` rewrites them from this checkout: review the diff of the
 * plan texts (the exports are gzipped) before committing it. `<stack>.policy.json` is what
 * `llm-platform policy --stack <stack> --format json` printed before the gate analysed resources
 * as they register (commit 8ce61d0); the gate's findings must not change with its speed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { plan } from "../tools/cli/plan";
import { runStack, type RunOptions, type RunResult } from "../tools/engine/run";
import { PROJECT_DIR } from "./helpers";
import { REFERENCE_STACKS, type ReferenceStack } from "./plans";

export const GOLDEN_DIR = path.join(PROJECT_DIR, "tests", "fixtures", "golden");

/** The manifest's time, the one part of an export that differs from run to run. */
const TIME = /^( {4}"manifest": \{\n {6}"time": )"[^"]*"/m;
export const timeless = (exported: string): string => exported.replace(TIME, '$1"(the time of the run)"');

export interface Golden {
    /** What `plan` printed on stdout, without the line naming the --json file. */
    readonly plan: string;
    /** The --json file, its manifest's time replaced. */
    readonly export: string;
}

/** `plan --stack <stack> --json <file>` with `run`, as the command prints and writes it. */
export async function planned(stack: ReferenceStack, run: (o: RunOptions) => Promise<RunResult>): Promise<Golden> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "golden-"));
    try {
        const file = path.join(dir, "export.json");
        let out = "";
        const code = await plan(
            ["--stack", stack, "--json", file, "--project", PROJECT_DIR],
            (s) => void (out += s),
            () => undefined,
            run,
        );
        if (code !== 0) throw new Error(`plan --stack ${stack} exited with ${code}`);
        const wrote = `\nWrote the stack export document to ${file}\n`;
        if (!out.endsWith(wrote)) throw new Error(`plan --stack ${stack} did not end with ${JSON.stringify(wrote)}`);
        return { plan: out.slice(0, -wrote.length), export: timeless(fs.readFileSync(file, "utf8")) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export const goldenFiles = (stack: ReferenceStack) => ({
    plan: path.join(GOLDEN_DIR, `${stack}.plan.txt`),
    export: path.join(GOLDEN_DIR, `${stack}.export.json.gz`),
});

export function readGolden(stack: ReferenceStack): Golden {
    const files = goldenFiles(stack);
    return {
        plan: fs.readFileSync(files.plan, "utf8"),
        export: zlib.gunzipSync(fs.readFileSync(files.export)).toString("utf8"),
    };
}

async function rewrite(): Promise<void> {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    for (const stack of REFERENCE_STACKS) {
        const now = await planned(stack, runStack);
        const files = goldenFiles(stack);
        fs.writeFileSync(files.plan, now.plan);
        fs.writeFileSync(files.export, zlib.gzipSync(now.export, { level: 9 }));
        process.stdout.write(
            `${path.relative(PROJECT_DIR, files.plan)}, ${path.relative(PROJECT_DIR, files.export)}\n`,
        );
    }
}

if (require.main === module)
    rewrite().catch((e: unknown) => {
        process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
        process.exit(1);
    });
