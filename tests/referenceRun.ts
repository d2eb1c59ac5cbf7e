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
