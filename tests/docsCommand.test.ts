import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docs } from "../tools/cli/docs";
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
    const reset = () => {
        fs.writeFileSync(fresh, "same\n");
        fs.writeFileSync(stale, "old\n");
        fs.rmSync(missing, { force: true });
    };

    it("--check writes nothing and exits 1 naming each file out of date", async () => {
        reset();
        let out = "";
        const code = await docs(
            ["--check"],
            (s) => void (out += s),
            () => Promise.resolve(files),
        );
        assert.equal(code, 1);
        assert.deepEqual(out.trim().split("\n"), [
            `out of date: ${path.relative(process.cwd(), stale)}`,
            `out of date: ${path.relative(process.cwd(), missing)}`,
            "Run `npm run docs` to update them.",
        ]);
        assert.equal(fs.readFileSync(stale, "utf8"), "old\n");
        assert.equal(fs.existsSync(missing), false);
    });

    it("without --check writes every file; then --check exits 0", async () => {
        reset();
        assert.equal(
            await docs(
                [],
                () => undefined,
                () => Promise.resolve(files),
            ),
            0,
        );
        assert.equal(fs.readFileSync(stale, "utf8"), "new\n");
        let out = "";
        assert.equal(
            await docs(
                ["--check"],
                (s) => void (out += s),
                () => Promise.resolve(files),
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
