import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { comment } from "../tools/cli/comment";
import { plan } from "../tools/cli/plan";
import { resourcesFromDocument } from "../tools/policy/report";
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

describe("documents with null in unexpected places: the file and the path named, exit 2", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nulls-"));

    it("a preview step or its state", () => {
        const file = path.join(dir, "p.json");
        assert.throws(() => resourcesFromDocument(JSON.stringify({ steps: [null] }), file), {
            message: `${file}: steps[0] is null, not a step of \`pulumi preview --json\``,
        });
        assert.throws(
            () => resourcesFromDocument(JSON.stringify({ steps: [{ op: "create", newState: { urn: 1 } }] }), file),
            { message: `${file}: steps[0].newState needs a string "urn" and "type"` },
        );
        const exp = { version: 3, deployment: { resources: [], pending_operations: [null] } };
        assert.deepEqual(resourcesFromDocument(JSON.stringify(exp), file).warnings, [
            `${file}: a pending operation of a resource: the deployment stopped during it, so its state may not match the cloud (pulumi refresh settles it)`,
        ]);
    });

    it("a violation in a policy JSON given to comment", async () => {
        fs.copyFileSync(
            path.join(PROJECT_DIR, "tests", "fixtures", "stack-export.json"),
            path.join(dir, "head-prod.json"),
        );
        const gate = path.join(dir, "policy-prod.json");
        for (const [violation, detail] of [
            [null, "is null, not a violation"],
            [{ policy: "p", level: "mandatory" }, 'needs string "message"'],
        ] as const) {
            fs.writeFileSync(gate, JSON.stringify({ packs: [{ name: "p", version: "1" }], violations: [violation] }));
            await assert.rejects(
                comment(["--dir", dir, "--stacks", "prod"], () => undefined),
                {
                    name: "UsageError",
                    message: `${gate}: violations[0] ${detail} (the gate writes it with llm-platform policy --json)`,
                },
            );
        }
    });
});
