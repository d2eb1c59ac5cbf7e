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
const esbuild = require("esbuild");

const ROOT = path.resolve(__dirname, "..");
/** As tsc compiles the project (tsconfig.json: ES2022, CommonJS, esModuleInterop). */
const OPTIONS = {
    loader: "ts",
    format: "cjs",
    platform: "node",
    target: `node${process.versions.node}`,
    sourcemap: "inline",
    keepNames: true,
    // `await import("./x")` becomes a require, as tsc's CommonJS output has it.
    supported: { "dynamic-import": false },
    tsconfigRaw: { compilerOptions: { target: "ES2022", useDefineForClassFields: true, esModuleInterop: true } },
};
const CACHE = path.join(ROOT, "node_modules", ".cache", "llm-platform-typescript");
const VERSION = crypto
    .createHash("sha256")
    .update(`${esbuild.version}\0${JSON.stringify(OPTIONS)}`)
    .digest("hex");

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
        return fs.readFileSync(cached, "utf8");
    } catch {
        // not cached yet
    }
    const { code } = esbuild.transformSync(source, { ...OPTIONS, sourcefile: name });
    try {
        fs.mkdirSync(CACHE, { recursive: true });
        const partial = `${cached}.${process.pid}`;
        fs.writeFileSync(partial, code);
        fs.renameSync(partial, cached);
    } catch {
        // A read-only checkout: compiled again next time.
    }
    return code;
}

Module._extensions[".ts"] = function loadTypeScript(module, filename) {
    module._compile(compiled(filename), filename);
};
