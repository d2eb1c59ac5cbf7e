/**
 * Stack traces of the program, set up before anything else loads (the entry point imports this
 * first). The Pulumi SDK's `cmd/run` installs `source-map-support`, which maps every frame it
 * formats through the source maps of the provider SDKs; the SDK formats a full stack for every
 * resource it registers (its source position) and for every error it reports. That costs a good
 * share of a run, maps this project's files wrongly (tsx kept their maps in memory, not on
 * disk: every position came out as line 2), and invents paths such as
 * `node_modules/@pulumi/resource.ts` on which Node 20.20's `util.inspect` spends a minute and
 * gigabytes before it prints an error (docs/UPSTREAM.md).
 *
 * Instead: frames in this project's own files are mapped to their TypeScript line and column
 * through Node's source-map cache (tools/typescript.cjs turns it on; each module's inline map
 * lands there); every other frame is printed as V8 reports it.
 */
import { findSourceMap } from "node:module";
import * as path from "node:path";

/** The project's source folder: stacks/ and its siblings (components/, environments/). */
const PROJECT_ROOT = path.resolve(__dirname, "..");
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/** `file:line:column` of a frame, mapped to the TypeScript source when the file is the project's own. */
export function framePosition(file: string, line: number, column: number): string {
    if (!file.startsWith(PROJECT_ROOT + path.sep) || file.includes(NODE_MODULES)) return `${file}:${line}:${column}`;
    const entry = findSourceMap(file)?.findEntry(line - 1, column - 1);
    if (!entry || !("originalLine" in entry)) return `${file}:${line}:${column}`;
    return `${file}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
}

/** One frame as V8 prints it, with the position mapped. */
function formatFrame(site: NodeJS.CallSite): string {
    const text = site.toString();
    const file = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (!file || line === null || column === null) return text;
    const original = `${file}:${line}:${column}`;
    const at = text.lastIndexOf(original);
    return at < 0
        ? text
        : `${text.slice(0, at)}${framePosition(file, line, column)}${text.slice(at + original.length)}`;
}

/** Where the SDK's promise tracker lives: it takes a stack for every promise it tracks. */
const DEBUGGABLE = `${path.sep}@pulumi${path.sep}pulumi${path.sep}runtime${path.sep}debuggable.js`;

/**
 * V8's format (`Name: message` then `    at …` lines), with this project's frames mapped. The
 * stack the SDK's promise tracker takes for each promise (`debuggablePromise`, several a resource)
 * is printed only when PULUMI_DEBUG_PROMISE_LEAKS is set (`leakedPromises`, runtime/debuggable.js):
 * otherwise it is left as its first line, which saves a tenth of a plan's time.
 */
export function prepareStackTrace(error: unknown, sites: NodeJS.CallSite[]): string {
    let header: string;
    try {
        header = error instanceof Error ? Error.prototype.toString.call(error) : String(error);
    } catch {
        header = "Error";
    }
    if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS && sites[0]?.getFileName()?.endsWith(DEBUGGABLE))
        return `${header}\n    at debuggablePromise (set PULUMI_DEBUG_PROMISE_LEAKS for the whole stack)`;
    return [header, ...sites.map((s) => `    at ${formatFrame(s)}`)].join("\n");
}

Error.prepareStackTrace = prepareStackTrace;
