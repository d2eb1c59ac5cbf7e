import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR, run } from "./helpers";

const LOADER = path.join(PROJECT_DIR, "tools", "typescript.cjs");

/** Runs `node --require tools/typescript.cjs <args>` in `cwd`, outside the test process's own loader. */
async function node(args: string[], cwd: string) {
    const r = await run(process.execPath, ["--require", LOADER, ...args], {
        cwd,
        env: { ...process.env, NODE_OPTIONS: "", NODE_V8_COVERAGE: "" },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tools/typescript.cjs: the project's TypeScript loader (Pulumi.yaml nodeargs, npm run <command>)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-loader-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    /** Writes `lines` to the file at `parts` under the test's folder. */
    const write = (parts: string[], lines: string[]): void =>
        fs.writeFileSync(path.join(dir, ...parts), `${lines.join("\n")}\n`);

    it("runs TypeScript as tsc compiles it: extensionless requires, parameter properties, enums, import() as require, esModuleInterop", async () => {
        write(
            ["main.ts"],
            [
                'import { Box, Colour } from "./lib";',
                'import yaml from "js-yaml";',
                "async function main(): Promise<void> {",
                '    const later = await import("./lib/later");',
                '    const box = new Box<number>(2, "blue");',
                "    console.log(JSON.stringify([box.twice(), Colour.Green, later.value, typeof yaml.load, Box.name]));",
                "}",
                "void main();",
            ],
        );
        fs.mkdirSync(path.join(dir, "lib"));
        write(
            ["lib", "index.ts"],
            [
                "export enum Colour { Blue = 1, Green }",
                "export class Box<T extends number> {",
                '    readonly kind = "BLUE";',
                "    constructor(private readonly value: T, readonly colour: string) {}",
                "    twice(): string { return `${this.kind}:${this.value * 2}`; }",
                "}",
            ],
        );
        fs.writeFileSync(path.join(dir, "lib", "later.ts"), "export const value: string = 'later';\n");
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
        const r = await node(["main.ts"], dir);
        assert.equal(r.stderr, "");
        assert.equal(r.code, 0);
        assert.deepEqual(JSON.parse(r.stdout), ["BLUE:4", 2, "later", "function", "Box"]);
    });

    it("maps a stack trace to the TypeScript line and column", async () => {
        write(
            ["fail.ts"],
            [
                "interface Unused { a: string }",
                "",
                "",
                "export function fail(): never {",
                '    throw new Error("here");',
                "}",
                "fail();",
            ],
        );
        const r = await node(["fail.ts"], dir);
        assert.equal(r.code, 1);
        assert.match(
            r.stderr,
            new RegExp(`at fail \\(${path.join(dir, "fail.ts").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:5:11\\)`),
        );
    });

    it("compiles a file again when its content changes (the cache is keyed by content)", async () => {
        const file = path.join(dir, "value.ts");
        fs.writeFileSync(file, "console.log('one' as string);\n");
        assert.equal((await node([file], dir)).stdout, "one\n");
        fs.writeFileSync(file, "console.log('two' as string);\n");
        assert.equal((await node([file], dir)).stdout, "two\n");
    });

    it("runs every file in strict mode, as tsc's output (strict: alwaysStrict) does", async () => {
        write(
            ["strict.ts"],
            [
                "const frozen = Object.freeze({ a: 1 });",
                "let threw = false;",
                "try { (frozen as { a: number }).a = 2; } catch (e) { threw = e instanceof TypeError; }",
                "function self(this: unknown): unknown { return this; }",
                "console.log(JSON.stringify([threw, self() === undefined]));",
            ],
        );
        const r = await node(["strict.ts"], dir);
        assert.equal(r.stderr, "");
        assert.deepEqual(JSON.parse(r.stdout), [true, true]);
    });

    it("supports export = and import x = require()", async () => {
        fs.writeFileSync(path.join(dir, "legacy.ts"), "export = { answer: 42 };\n");
        fs.writeFileSync(
            path.join(dir, "uses.ts"),
            'import legacy = require("./legacy");\nimport * as star from "./legacy";\nconsole.log(legacy.answer, star.answer);\n',
        );
        const r = await node(["uses.ts"], dir);
        assert.equal(r.stderr, "");
        assert.equal(r.stdout, "42 42\n");
    });

    it("compiles again an entry cut short in the cache, and loads no esbuild when the cache is warm", async () => {
        const marker = `cache-${path.basename(dir)}`;
        const file = path.join(dir, "cached.ts");
        fs.writeFileSync(
            file,
            `const tag: string = "${marker}";\nconsole.log(tag, Object.keys(require.cache).some((k) => k.endsWith("/esbuild/lib/main.js")));\n`,
        );
        assert.equal((await node([file], dir)).stdout, `${marker} true\n`, "the first run compiles");
        assert.equal((await node([file], dir)).stdout, `${marker} false\n`, "the second reads the cache");
        const cache = path.join(PROJECT_DIR, "node_modules", ".cache", "llm-platform-typescript");
        const entries = fs
            .readdirSync(cache)
            .filter((f) => fs.readFileSync(path.join(cache, f), "utf8").includes(marker));
        assert.equal(entries.length, 1);
        fs.writeFileSync(path.join(cache, entries[0]), "");
        assert.equal((await node([file], dir)).stdout, `${marker} true\n`, "an empty entry is compiled again");
        assert.match(fs.readFileSync(path.join(cache, entries[0]), "utf8"), /^"use strict";/);
    });

    it("leaves every other module to Node's own loader", async () => {
        const r = await run(
            process.execPath,
            [
                "-e",
                `const M = require("node:module"); const js = M._extensions[".js"]; const cjs = M._extensions[".cjs"]; require(${JSON.stringify(LOADER)}); console.log(M._extensions[".js"] === js && M._extensions[".cjs"] === cjs, typeof M._extensions[".ts"])`,
            ],
            { cwd: dir, env: { ...process.env, NODE_OPTIONS: "" } },
        );
        assert.equal(r.stdout, "true function\n");
    });
});
