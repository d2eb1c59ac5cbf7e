import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docs, type GeneratedTree } from "../tools/cli/docs";
import { UsageError } from "../tools/cli/cli";

describe("npm run docs (issue 34: no flag ignored)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-"));
    const fresh = path.join(dir, "fresh.md");
    const stale = path.join(dir, "stale.md");
    const missing = path.join(dir, "missing.md");
    const files = [
        { file: fresh, content: "same\n" },
        { file: stale, content: "new\n" },
        { file: missing, content: "made\n" },
    ];
    // A generated folder (as the API reference is): committed a.md (current), b.md (stale), old.md (no longer made).
    const committed = path.join(dir, "reference");
    const tree: GeneratedTree = {
        dir: committed,
        write: (outDir) => {
            fs.rmSync(outDir, { recursive: true, force: true });
            fs.mkdirSync(path.join(outDir, "sub"), { recursive: true });
            fs.writeFileSync(path.join(outDir, "a.md"), "a\n");
            fs.writeFileSync(path.join(outDir, "sub", "b.md"), "b2\n");
            fs.writeFileSync(path.join(outDir, "c.md"), "c\n");
            return Promise.resolve();
        },
    };
    const reset = () => {
        fs.writeFileSync(fresh, "same\n");
        fs.writeFileSync(stale, "old\n");
        fs.rmSync(missing, { force: true });
        fs.rmSync(committed, { recursive: true, force: true });
        fs.mkdirSync(path.join(committed, "sub"), { recursive: true });
        fs.writeFileSync(path.join(committed, "a.md"), "a\n");
        fs.writeFileSync(path.join(committed, "sub", "b.md"), "b1\n");
        fs.writeFileSync(path.join(committed, "old.md"), "old\n");
    };
    const rel = (f: string) => path.relative(process.cwd(), f);

    it("--check writes nothing and exits 1 naming each file out of date", async () => {
        reset();
        let out = "";
        const code = await docs(
            ["--check"],
            (s) => void (out += s),
            () => Promise.resolve(files),
            tree,
        );
        assert.equal(code, 1);
        assert.deepEqual(out.trim().split("\n"), [
            `out of date: ${rel(stale)}`,
            `out of date: ${rel(missing)}`,
            `out of date: ${rel(path.join(committed, "c.md"))} (missing)`,
            `out of date: ${rel(path.join(committed, "old.md"))} (extra)`,
            `out of date: ${rel(path.join(committed, "sub/b.md"))} (differs)`,
            "Run `npm run docs` to update them.",
        ]);
        assert.equal(fs.readFileSync(stale, "utf8"), "old\n");
        assert.equal(fs.existsSync(missing), false);
        assert.equal(fs.readFileSync(path.join(committed, "sub", "b.md"), "utf8"), "b1\n");
        assert.ok(fs.existsSync(path.join(committed, "old.md")));
    });

    it("without --check writes every file and the generated folder; then --check exits 0", async () => {
        reset();
        let written = "";
        assert.equal(
            await docs(
                [],
                (s) => void (written += s),
                () => Promise.resolve(files),
                tree,
            ),
            0,
        );
        assert.equal(written, `Updated ${[fresh, stale, missing, committed].map(rel).join(", ")}\n`);
        assert.equal(fs.readFileSync(stale, "utf8"), "new\n");
        assert.deepEqual(fs.readdirSync(committed, { recursive: true }).sort(), ["a.md", "c.md", "sub", "sub/b.md"]);
        let out = "";
        assert.equal(
            await docs(
                ["--check"],
                (s) => void (out += s),
                () => Promise.resolve(files),
                tree,
            ),
            0,
        );
        assert.equal(out, "Every generated file is up to date.\n");
    });

    it("refuses an unknown flag or a stray argument before generating anything", async () => {
        const never = () => Promise.reject(new Error("generated"));
        await assert.rejects(
            docs(["--chek"], () => undefined, never),
            (e: unknown) => {
                assert.ok(e instanceof UsageError);
                assert.match(e.message, /^Unknown option '--chek'.*\nusage: npm run docs \[-- --check\]$/s);
                return true;
            },
        );
        await assert.rejects(
            docs(["check"], () => undefined, never),
            {
                name: "UsageError",
                message: 'unexpected argument "check"\nusage: npm run docs [-- --check]',
            },
        );
    });
});
