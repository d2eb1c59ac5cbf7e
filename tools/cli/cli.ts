/**
 * What the commands share: argument parsing that turns every mistake into a usage error,
 * and one way to exit (0 done, 1 unexpected failure, 2 bad input).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { PLAN_MODES, ProgramError, type PlanMode } from "../engine/outcome";
import { UsageError } from "../errors";
import { parseStackExport, type StackExport } from "../engine/stackExport";

export { UsageError };

/** Options take a string value (or several, in order, with `multiple`), or are boolean flags. */
type Options = Record<
    string,
    { type: "string"; default?: string } | { type: "string"; multiple: true } | { type: "boolean" }
>;

export interface CommandLine<T extends Options> {
    values: {
        [K in keyof T]: T[K] extends { type: "boolean" }
            ? boolean | undefined
            : T[K] extends { multiple: true }
              ? string[] | undefined
              : T[K] extends { default: string }
                ? string
                : string | undefined;
    };
    positionals: string[];
}

/** Parses `argv` strictly; unknown flags and missing values become a {@link UsageError} with the usage line. */
export function parseCommandLine<T extends Options>(argv: string[], options: T, usage: string): CommandLine<T> {
    try {
        const config: ParseArgsConfig = { args: argv, options, allowPositionals: true, strict: true };
        return parseArgs(config) as unknown as CommandLine<T>;
    } catch (e) {
        throw new UsageError(`${(e as Error).message.replace(/^TypeError \[\w+\]: /, "")}\nusage: ${usage}`);
    }
}

/** `--mode`: the view of a plan (see {@link PlanMode}). */
export function parseMode(value: string): PlanMode {
    if (!(PLAN_MODES as readonly string[]).includes(value))
        throw new UsageError(`--mode: expected preview or update, received "${value}"`);
    return value as PlanMode;
}

/**
 * Runs a command's body and exits with its code: bad input (arguments, files, configuration the
 * program refused) exits 2 with the message alone; a program that failed exits `failure` (1
 * unless the command gives its 1 another meaning, as the policy gate does) with what it
 * reported; anything else is a bug and exits `failure` with its stack.
 */
export function runCommand(name: string, body: () => Promise<number>, failure = 1): void {
    body().then(
        (code) => process.exit(code),
        (e: unknown) => {
            // A ConfigError thrown in this process (the loader's, by name: the commands do not load it).
            const badInput =
                e instanceof UsageError ||
                (e instanceof Error && (e.name === "ConfigError" || e.name === "PolicyConfigError")) ||
                (e instanceof ProgramError && e.configuration);
            if (badInput) {
                process.stderr.write(`${name}: ${e.message}\n`);
                process.exit(2);
            }
            if (e instanceof ProgramError) {
                process.stderr.write(`${name}: the program failed:\n${e.message}\n`);
                process.exit(failure);
            }
            // A policy pack that did not start: the gate could not judge anything.
            if (e instanceof Error && e.name === "PackStartError") {
                process.stderr.write(`${name}: the gate failed: ${e.message}\n`);
                process.exit(failure);
            }
            process.stderr.write(`${name}: failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
            process.exit(failure);
        },
    );
}

/** A file's text; a file that cannot be read is a {@link UsageError} naming it (and `what` it is). */
export function readInput(file: string, what?: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new UsageError(`cannot read ${what ? `${what} ` : ""}${file}: ${reason}`);
    }
}

/** Like {@link readInput}, but undefined when the file does not exist. */
export function readOptionalInput(file: string, what?: string): string | undefined {
    return fs.existsSync(file) ? readInput(file, what) : undefined;
}

/** A stack export document read from `text` of `file`; what is wrong with it is a {@link UsageError}. */
export function parseExportInput(text: string, file: string): StackExport {
    try {
        return parseStackExport(text, file);
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
}

/**
 * Refuses, before any work, an output file (given with `flag`) whose folder does not exist, or
 * that names a folder.
 */
export function checkOutputFolder(flag: string, file: string | undefined): void {
    if (file === undefined) return;
    const dir = path.dirname(path.resolve(file));
    if (!fs.existsSync(dir)) throw new UsageError(`${flag}: folder ${dir} does not exist`);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory())
        throw new UsageError(`${flag}: ${path.resolve(file)} is a folder; name a file`);
}

/** A path as the file system names it (symbolic links resolved when it exists), to compare two. */
function samePath(file: string): string {
    const abs = path.resolve(file);
    try {
        return fs.realpathSync(abs);
    } catch {
        return abs;
    }
}

/**
 * Refuses, before anything is written, an output named twice or naming one of the command's own
 * inputs (a stack file, a document, a config): writing it would destroy what was read.
 */
export function checkOutputs(
    outputs: ReadonlyArray<{ flag: string; file: string | undefined }>,
    inputs: ReadonlyArray<{ what: string; file: string }>,
): void {
    const given = outputs.filter((o): o is { flag: string; file: string } => o.file !== undefined);
    given.forEach((o, i) => {
        const twin = given.slice(0, i).find((p) => samePath(p.file) === samePath(o.file));
        if (twin) throw new UsageError(`${twin.flag} and ${o.flag} name the same file ${o.file}; give each its own`);
        const input = inputs.find((f) => samePath(f.file) === samePath(o.file));
        if (input)
            throw new UsageError(`${o.flag}: ${o.file} is ${input.what}, which this command reads; write elsewhere`);
    });
}

/**
 * Writes every file or none: each is written beside its target under a temporary name, and only
 * when all are written are they renamed into place (a rename within a folder is atomic). A file
 * that cannot be written is a {@link UsageError} naming it, and no target has been touched.
 */
export function writeAllOrNone(files: ReadonlyArray<{ flag: string; file: string; text: string }>): void {
    const staged: Array<{ tmp: string; file: string }> = [];
    try {
        for (const { flag, file, text } of files) {
            const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
            try {
                fs.writeFileSync(tmp, text);
            } catch (e) {
                throw new UsageError(
                    `${flag}: cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
                );
            }
            staged.push({ tmp, file });
        }
        for (const { tmp, file } of staged) {
            try {
                fs.renameSync(tmp, file);
            } catch (e) {
                throw new UsageError(
                    `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
                );
            }
        }
    } finally {
        for (const { tmp } of staged) fs.rmSync(tmp, { force: true });
    }
}
