/**
 * Stack and project files read as the Pulumi CLI reads them (yaml.v3 v3.0.1; issue 34): bytes
 * checked as UTF-8 before parsing, one byte-order mark stripped, aliases bounded by yaml.v3's own
 * ratio, and the plan refused before the program runs.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkAliasing, readYamlFile, utf8Problem } from "../tools/engine/yamlFile";
import { UsageError } from "../tools/errors";
import { runCli } from "./helpers";

function file(name: string, bytes: Buffer | string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "yaml-"));
    const at = path.join(dir, name);
    fs.writeFileSync(at, bytes);
    return at;
}

function refusal(at: string): string {
    try {
        readYamlFile(at);
    } catch (e) {
        assert.ok(e instanceof UsageError, String(e));
        return e.message;
    }
    return assert.fail("expected a refusal");
}

/** yaml.v3's "billion laughs": nine anchors, each a list of nine of the one before. */
function aliasBomb(): string {
    const lines = ["config:", '  a0: &a0 ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
        lines.push(
            `  a${i}: &a${i} [${Array(9)
                .fill(`*a${i - 1}`)
                .join(",")}]`,
        );
    lines.push("  llm-platform:tags: *a9");
    return `${lines.join("\n")}\n`;
}

describe("YAML files read as the Pulumi CLI reads them (yaml.v3; issue 34)", () => {
    it("refuses bytes that are not UTF-8, even in a comment, with yaml.v3's words and where they are", () => {
        const latin1 = file(
            "Pulumi.dev.yaml",
            Buffer.from("config:\n  # caf\xe9\n  aws:region: us-east-1\n", "latin1"),
        );
        assert.equal(
            refusal(latin1),
            `${latin1} is not valid YAML: invalid trailing UTF-8 octet at line 2, column 8 (byte 15), byte 0xe9 (the Pulumi CLI refuses the file too: save it as UTF-8)`,
        );
        const control = file("Pulumi.dev.yaml", "config:\n  aws:region: us-east-1 # \x01\n");
        assert.match(
            refusal(control),
            /control characters are not allowed at line 2, column 27 \(byte 34\), byte 0x01/,
        );
        // yaml.v3's messages (readerc.go), one per kind of bad input.
        const cases: Array<[number[], string]> = [
            [[0x80], "invalid leading UTF-8 octet"],
            [[0xe2, 0x82], "incomplete UTF-8 octet sequence"],
            [[0xc3, 0x28], "invalid trailing UTF-8 octet"],
            [[0xc0, 0xaf], "invalid length of a UTF-8 sequence"],
            [[0xed, 0xa0, 0x80], "invalid Unicode character"],
            [[0x7f], "control characters are not allowed"],
        ];
        for (const [bytes, message] of cases)
            assert.deepEqual(utf8Problem(Uint8Array.from([0x61, ...bytes])), { offset: 1, message }, message);
        assert.equal(utf8Problem(Buffer.from("é ✓ 😀\t\r\n", "utf8")), undefined);
    });

    it("reads a file with a byte-order mark, and UTF-16 with its mark, as the CLI does", () => {
        const bom = file(
            "Pulumi.dev.yaml",
            Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("config:\n  a: b\n")]),
        );
        assert.deepEqual(readYamlFile(bom), { config: { a: "b" } });
        const utf16 = file("Pulumi.dev.yaml", Buffer.from("\ufeffconfig:\n  a: b\n", "utf16le"));
        assert.deepEqual(readYamlFile(utf16), { config: { a: "b" } });
    });

    it("refuses an alias bomb without expanding it, and takes anchors used as people use them", () => {
        const bomb = file("Pulumi.dev.yaml", aliasBomb());
        assert.equal(
            refusal(bomb),
            `${bomb} is not valid YAML: document contains excessive aliasing (the Pulumi CLI's YAML library, yaml.v3, refuses it too: write the values out instead of repeating anchors)`,
        );
        const selfRef = file("Pulumi.dev.yaml", "config:\n  x: &a [1, *a]\n");
        assert.match(refusal(selfRef), /an anchor's value contains itself/);
        const shared = file("Pulumi.dev.yaml", "config:\n  a: &t {Team: ml}\n  b: *t\n  c: *t\n");
        assert.deepEqual(readYamlFile(shared), { config: { a: { Team: "ml" }, b: { Team: "ml" }, c: { Team: "ml" } } });
    });

    it("bounds aliases at yaml.v3's thresholds: 98 items referenced 4010 times fail, 50 referenced 5000 times pass", () => {
        const list = (k: number, m: number): unknown => {
            const anchored = Array.from({ length: k }, (_, i) => i);
            return { a: anchored, refs: Array.from({ length: m }, () => anchored) };
        };
        assert.throws(() => checkAliasing(list(98, 4010)), /document contains excessive aliasing/);
        assert.doesNotThrow(() => checkAliasing(list(98, 4000)));
        assert.doesNotThrow(() => checkAliasing(list(50, 5000)));
    });

    it("stops `plan` on a stack file the CLI would refuse, exit 2, before the program runs", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "yaml-plan-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: p\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), aliasBomb());
        const result = await runCli("plan", ["--stack", "dev", "--project", dir]);
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /Pulumi\.dev\.yaml is not valid YAML: document contains excessive aliasing/);
    });
});
