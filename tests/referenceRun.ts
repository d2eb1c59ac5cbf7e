/**
 * The API reference as `npm run docs` would write it now, generated once per test run into a
 * scratch directory: a child process (TypeDoc loads the whole program, the @pulumi/aws
 * declarations with it: about 25 s and 900 MB) that the root hook starts with the suite, so its
 * seconds overlap the other tests; tests/reference.test.ts compares it with the committed
 * docs/reference/.
 *
 * An asynchronous spawn, never spawnSync: the engine serving the background plans lives in the
 * test process.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR, run, TS_LOADER } from "./helpers";
import { NO_COVERAGE } from "./plans";
import type { Ran } from "./readmeRuns";

/** Where the reference was generated, and what the generator printed. */
export interface GeneratedReference {
    readonly dir: string;
    readonly ran: Ran;
}

let generated: Promise<GeneratedReference> | undefined;

/** Starts `tools/docs/reference.ts <scratch dir>` once per test run; the directory goes at exit. */
export function generatedReference(): Promise<GeneratedReference> {
    generated ??= (async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-reference-"));
        process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
        const args = ["--require", TS_LOADER, path.join(PROJECT_DIR, "tools", "docs", "reference.ts"), dir];
        // Not under coverage (the generator is a tool, not the library); NODE_OPTIONS empty as in sh().
        const r = await run(process.execPath, args, { env: { ...process.env, ...NO_COVERAGE, NODE_OPTIONS: "" } });
        if (r.error) throw r.error;
        return { dir, ran: { command: args.join(" "), code: r.status, stdout: r.stdout, stderr: r.stderr } };
    })();
    generated.catch(() => undefined);
    return generated;
}

/** Every file under `dir`, as `/`-separated paths relative to it, sorted. */
export function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
        .sort();
}

/**
 * How the committed tree differs from the generated one, a line per file: `missing <file>` (generated,
 * not committed), `extra <file>` (committed, no longer generated), `differs <file>`. Empty when they
 * are equal byte for byte.
 */
export function treeDifferences(committedDir: string, generatedDir: string): string[] {
    const committed = filesUnder(committedDir);
    const expected = filesUnder(generatedDir);
    const has = new Set(committed);
    const made = new Set(expected);
    return [
        ...expected.filter((f) => !has.has(f)).map((f) => `missing ${f}`),
        ...committed.filter((f) => !made.has(f)).map((f) => `extra ${f}`),
        ...expected
            .filter((f) => has.has(f))
            .filter(
                (f) => !fs.readFileSync(path.join(committedDir, f)).equals(fs.readFileSync(path.join(generatedDir, f))),
            )
            .map((f) => `differs ${f}`),
    ];
}
