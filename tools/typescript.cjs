/**
 * Loads this project's TypeScript files (CommonJS) for `node --require ./tools/typescript.cjs`:
 * the stack program under the Pulumi CLI (Pulumi.yaml's `nodeargs`) and the command line
 * (`npm run <command>`). Only `.ts` files are transformed — by esbuild, kept in a cache keyed by
 * their content — and every other module loads as Node loads it. A general-purpose loader such as
 * tsx's `tsx/cjs` also reads and lexes every `.js` file the process loads, looking for ES module
 * syntax: for the provider SDKs' thousands of files that made the program's start-up about one
 * second slower, on every plan and every `pulumi up` (docs/UPSTREAM.md, "What a TypeScript
 * loader costs").
 *
 * `require("./x")` finds `./x.ts` (and `./x/index.ts`) because Node's CommonJS resolver tries the
 * registered extensions. Types are not checked here (`npm test` and CI type-check the project).
 * Stack traces map to the TypeScript lines through Node's source-map support, as under tsx.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { threadId } = require("node:worker_threads");

const ROOT = path.resolve(__dirname, "..");
/**
 * As tsc compiles the project (tsconfig.json: ES2022, CommonJS, esModuleInterop, strict, so every
 * file in strict mode).
 */
const OPTIONS = {
    loader: "ts",
    format: "cjs",
    platform: "node",
    target: `node${process.versions.node}`,
    sourcemap: "inline",
    // Stack traces need the mappings, not the sources (the files are beside the compiled ones).
    sourcesContent: false,
    keepNames: true,
    // `await import("./x")` becomes a require, as tsc's CommonJS output has it.
    supported: { "dynamic-import": false },
    tsconfigRaw: {
        compilerOptions: { target: "ES2022", useDefineForClassFields: true, esModuleInterop: true, alwaysStrict: true },
    },
};
const CACHE = path.join(ROOT, "node_modules", ".cache", "llm-platform-typescript");
/** esbuild's version without loading it: a warm cache never does. */
const ESBUILD_VERSION = require("esbuild/package.json").version;
const VERSION = crypto
    .createHash("sha256")
    .update(`${ESBUILD_VERSION}\0${JSON.stringify(OPTIONS)}`)
    .digest("hex");
/** How every complete output ends: the inline source map esbuild appends last. */
const COMPLETE = /\n\/\/# sourceMappingURL=data:application\/json;base64,[A-Za-z0-9+/=]+\n?$/;

process.setSourceMapsEnabled(true);

/** The JavaScript of `filename`: from the cache when its content (and the options) are unchanged. */
function compiled(filename) {
    const source = fs.readFileSync(filename, "utf8");
    // The source map names the file by its base name, which Node resolves beside the compiled file:
    // a copy of the project elsewhere (a test's scratch folder) uses the same cache entries.
    const name = path.basename(filename);
    const key = crypto.createHash("sha256").update(`${VERSION}\0${name}\0${source}`).digest("hex");
    const cached = path.join(CACHE, `${key}.js`);
    try {
        const code = fs.readFileSync(cached, "utf8");
        // An entry cut short (a crash, a full disk) is compiled again, never run.
        if (COMPLETE.test(code)) return code;
    } catch {
        // not cached yet
    }
    const { code } = require("esbuild").transformSync(source, { ...OPTIONS, sourcefile: name });
    const partial = `${cached}.${process.pid}.${threadId}`;
    try {
        fs.mkdirSync(CACHE, { recursive: true });
        const fd = fs.openSync(partial, "w");
        try {
            fs.writeSync(fd, code);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(partial, cached);
    } catch {
        // A read-only checkout or a full disk: compiled again next time.
        fs.rmSync(partial, { force: true });
    }
    return code;
}

Module._extensions[".ts"] = function loadTypeScript(module, filename) {
    module._compile(compiled(filename), filename);
};
