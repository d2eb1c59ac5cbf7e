import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { comment } from "../tools/cli/comment";
import { plan } from "../tools/cli/plan";
import { PROJECT_DIR } from "./helpers";

describe("every output path is checked before the work (exit 2 naming the flag)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "out-"));

    it("plan --json naming a folder or a missing folder: refused before the program runs", async () => {
        let ran = false;
        const run = () => {
            ran = true;
            return Promise.reject(new Error("not expected"));
        };
        for (const [file, message] of [
            [dir, `--json: ${dir} is a folder; name a file`],
            [path.join(dir, "no", "x.json"), `--json: folder ${path.join(dir, "no")} does not exist`],
        ] as const)
            await assert.rejects(
                plan(
                    ["--stack", "prod", "--json", file, "--project", PROJECT_DIR],
                    () => undefined,
                    () => undefined,
                    run,
                ),
                { name: "UsageError", message },
            );
        assert.equal(ran, false);
    });

    it("comment --output into a missing folder or onto a folder: refused before reading the plans", async () => {
        for (const [file, message] of [
            [path.join(dir, "missing", "c.md"), `--output: folder ${path.join(dir, "missing")} does not exist`],
            [dir, `--output: ${dir} is a folder; name a file`],
        ] as const)
            await assert.rejects(
                comment(["--dir", dir, "--stacks", "prod", "--output", file], () => undefined),
                {
                    name: "UsageError",
                    message,
                },
            );
    });
});
