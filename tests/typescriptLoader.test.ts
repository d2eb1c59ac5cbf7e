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

    it("runs TypeScript as tsc compiles it: extensionless requires, parameter properties, enums, import() as require, esModuleInterop", async () => {
        fs.writeFileSync(
            path.join(dir, "main.ts"),
            [
                'import { Box, Colour } from "./lib";',
                'import yaml from "js-yaml";',
                "async function main(): Promise<void> {",
                '    const later = await import("./lib/later");',
                '    const box = new Box<number>(2, "blue");',
                "    console.log(JSON.stringify([box.twice(), Colour.Green, later.value, typeof yaml.load, Box.name]));",
                "}",
                "void main();",
            ].join("\n"),
        );
        fs.mkdirSync(path.join(dir, "lib"));
        fs.writeFileSync(
            path.join(dir, "lib", "index.ts"),
            [
                "export enum Colour { Blue = 1, Green }",
                "export class Box<T extends number> {",
                '    readonly kind = "BLUE";',
                "    constructor(private readonly value: T, readonly colour: string) {}",
                "    twice(): string { return `${this.kind}:${this.value * 2}`; }",
                "}",
            ].join("\n"),
        );
        fs.writeFileSync(path.join(dir, "lib", "later.ts"), "export const value: string = 'later';\n");
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
        const r = await node(["main.ts"], dir);
        assert.equal(r.stderr, "");
        assert.equal(r.code, 0);
        assert.deepEqual(JSON.parse(r.stdout), ["BLUE:4", 2, "later", "function", "Box"]);
    });

    it("maps a stack trace to the TypeScript line and column", async () => {
        fs.writeFileSync(
            path.join(dir, "fail.ts"),
            [
                "interface Unused { a: string }",
                "",
                "",
                "export function fail(): never {",
                '    throw new Error("here");',
                "}",
                "fail();",
            ].join("\n"),
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
