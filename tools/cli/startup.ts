/**
 * Run first by the command line (and the benchmark's baseline, so that both start alike).
 *
 * The TypeScript loader (tools/typescript.cjs) turns Node's source maps on; Node then reads the
 * source map of every module it loads (the provider SDKs ship thousands) and maps every stack
 * trace the Pulumi SDK renders to record resource source positions. That is a fifth of a plan's
 * time. Set LLM_PLATFORM_SOURCE_MAPS=1 to keep them, for TypeScript line numbers in the stack
 * trace of a failing program.
 */
import * as fs from "node:fs";

export function startup(): void {
    if (process.env.LLM_PLATFORM_SOURCE_MAPS !== "1") process.setSourceMapsEnabled(false);
    // A reader that went away (a CI log closed after its step was killed) must not crash a release
    // under way: what it would have read is dropped, the release goes on and keeps its journal.
    for (const stream of [process.stdout, process.stderr])
        stream.on("error", (e: NodeJS.ErrnoException) => {
            if (e.code !== "EPIPE") throw e;
        });
    // Who to signal, for a supervisor that sits above npm and wrappers (ci/pulumi-stack.sh).
    const pidFile = process.env.LLM_PLATFORM_PID_FILE;
    if (pidFile) writePidFile(pidFile);
}

/** Writes this process's pid to `file`, removed again when it exits (if it still holds ours). */
function writePidFile(file: string): void {
    try {
        fs.writeFileSync(file, `${process.pid}\n`);
    } catch (e) {
        process.stderr.write(`LLM_PLATFORM_PID_FILE ${file}: ${(e as Error).message}\n`);
        return;
    }
    process.on("exit", () => {
        try {
            if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.rmSync(file, { force: true });
        } catch {
            // Gone already.
        }
    });
}
