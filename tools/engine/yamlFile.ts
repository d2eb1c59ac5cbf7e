/**
 * YAML files read as the Pulumi CLI (v3.248.0) reads Pulumi.yaml and Pulumi.<stack>.yaml, with
 * gopkg.in/yaml.v3 v3.0.1 (sdk/go.mod; sdk/go/common/encoding/marshal.go), so that a file the
 * CLI refuses is refused here, before anything runs, with its message and where:
 *
 * - bytes, not text: one leading UTF-8 byte-order mark is stripped (workspace/loaders.go
 *   readFileStripUTF8BOM); a UTF-16 file with its mark is decoded (yaml.v3 readerc.go
 *   yaml_parser_determine_encoding);
 * - the whole input must be UTF-8 of the characters YAML allows (yaml.v3 readerc.go
 *   yaml_parser_update_buffer): a bad byte, even in a comment, is refused with yaml.v3's message,
 *   here with its line and column (yaml.v3 gives none);
 * - duplicate mapping keys are refused (yaml.v3 uniqueKeys; js-yaml's default);
 * - aliases are bounded by yaml.v3's rule (decode.go allowedAliasRatio: past 100 aliases and 1000
 *   decoded nodes, at most 99 % of the nodes may come from aliases, falling to 10 % between
 *   400 000 and 4 000 000 nodes), counted while walking the parsed document, so an alias bomb is
 *   refused after a few thousand steps instead of expanding (js-yaml shares aliased objects, and
 *   expanding one later, to JSON, ran out of memory).
 */
import * as fs from "node:fs";
import { load } from "js-yaml";
import { UsageError } from "../errors";

/**
 * Why the bytes at `offset` are not what yaml.v3 reads, in its words; undefined when all are.
 * `controls: false` checks the UTF-8 encoding alone (for files that are not YAML).
 */
export function utf8Problem(
    bytes: Uint8Array,
    { controls = true }: { controls?: boolean } = {},
): { offset: number; message: string } | undefined {
    for (let i = 0; i < bytes.length;) {
        const b = bytes[i];
        const width =
            (b & 0x80) === 0 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 0;
        if (width === 0) return { offset: i, message: "invalid leading UTF-8 octet" };
        if (i + width > bytes.length) return { offset: i, message: "incomplete UTF-8 octet sequence" };
        let value = width === 1 ? b : width === 2 ? b & 0x1f : width === 3 ? b & 0x0f : b & 0x07;
        for (let k = 1; k < width; k++) {
            const t = bytes[i + k];
            if ((t & 0xc0) !== 0x80) return { offset: i, message: "invalid trailing UTF-8 octet" };
            value = (value << 6) | (t & 0x3f);
        }
        if (!(
            width === 1 ||
            (width === 2 && value >= 0x80) ||
            (width === 3 && value >= 0x800) ||
            (width === 4 && value >= 0x10000)
        ))
            return { offset: i, message: "invalid length of a UTF-8 sequence" };
        if ((value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff)
            return { offset: i, message: "invalid Unicode character" };
        const allowed =
            value === 0x09 ||
            value === 0x0a ||
            value === 0x0d ||
            (value >= 0x20 && value <= 0x7e) ||
            value === 0x85 ||
            (value >= 0xa0 && value <= 0xd7ff) ||
            (value >= 0xe000 && value <= 0xfffd) ||
            (value >= 0x10000 && value <= 0x10ffff);
        if (controls && !allowed) return { offset: i, message: "control characters are not allowed" };
        i += width;
    }
    return undefined;
}

/** 1-based line and column of a byte offset. */
export function bytePosition(bytes: Uint8Array, offset: number): string {
    let line = 1;
    let start = 0;
    for (let i = 0; i < offset; i++)
        if (bytes[i] === 0x0a) {
            line++;
            start = i + 1;
        }
    return `line ${line}, column ${offset - start + 1} (byte ${offset})`;
}

const ALIAS_RATIO_LOW = 400_000;
const ALIAS_RATIO_HIGH = 4_000_000;

/** yaml.v3's allowedAliasRatio. */
function allowedAliasRatio(decodes: number): number {
    if (decodes <= ALIAS_RATIO_LOW) return 0.99;
    if (decodes >= ALIAS_RATIO_HIGH) return 0.1;
    return 0.99 - (0.89 * (decodes - ALIAS_RATIO_LOW)) / (ALIAS_RATIO_HIGH - ALIAS_RATIO_LOW);
}

/**
 * Walks a parsed document as yaml.v3's decoder would decode it, counting nodes and the nodes
 * reached through an alias (an object reached a second time: js-yaml gives an alias its anchor's
 * object), and throws yaml.v3's message as soon as its rule is broken.
 */
export function checkAliasing(doc: unknown): void {
    let decodes = 1; // the document node
    let aliased = 0;
    const seen = new Set<object>();
    const open = new Set<object>();
    const count = (depth: number): void => {
        decodes++;
        if (depth > 0) aliased++;
        if (aliased > 100 && decodes > 1000 && aliased / decodes > allowedAliasRatio(decodes))
            throw new Error("document contains excessive aliasing");
    };
    const walk = (node: unknown, depth: number): void => {
        if (typeof node === "object" && node !== null) {
            if (seen.has(node)) {
                count(depth); // the alias node itself
                depth++;
            } else seen.add(node);
        }
        count(depth);
        if (typeof node !== "object" || node === null) return;
        if (open.has(node)) throw new Error("an anchor's value contains itself");
        open.add(node);
        if (Array.isArray(node)) for (const item of node) walk(item, depth);
        else
            for (const [, value] of Object.entries(node)) {
                count(depth); // the key
                walk(value, depth);
            }
        open.delete(node);
    };
    walk(doc, 0);
}

/** The text of a YAML file's bytes as yaml.v3 decodes them; a UsageError naming the file and the byte otherwise. */
export function decodeYamlBytes(file: string, raw: Uint8Array): string {
    let bytes = raw;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    const utf16 =
        bytes[0] === 0xff && bytes[1] === 0xfe
            ? "utf-16le"
            : bytes[0] === 0xfe && bytes[1] === 0xff
              ? "utf-16be"
              : undefined;
    if (utf16) {
        try {
            return new TextDecoder(utf16, { fatal: true }).decode(bytes.subarray(2));
        } catch {
            throw new UsageError(
                `${file} is not valid YAML: its ${utf16.toUpperCase()} text is malformed (save it as UTF-8)`,
            );
        }
    }
    const problem = utf8Problem(bytes);
    if (problem)
        throw new UsageError(
            `${file} is not valid YAML: ${problem.message} at ${bytePosition(bytes, problem.offset)}, byte 0x${bytes[problem.offset].toString(16).padStart(2, "0")} (the Pulumi CLI refuses the file too: save it as UTF-8${problem.message === "control characters are not allowed" ? " without control characters" : ""})`,
        );
    // A second mark yaml.v3 skips too (scannerc.go), so the text starts at the first key.
    const text = Buffer.from(bytes).toString("utf8");
    return text.startsWith("\ufeff") ? text.slice(1) : text;
}

/** A YAML file read as the Pulumi CLI reads project and stack files; every refusal is a UsageError naming the file. */
export function readYamlFile(file: string): unknown {
    let raw: Buffer;
    try {
        raw = fs.readFileSync(file);
    } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const text = decodeYamlBytes(file, raw);
    let doc: unknown;
    try {
        doc = load(text, { filename: file });
    } catch (e) {
        throw new UsageError(`${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    try {
        checkAliasing(doc);
    } catch (e) {
        throw new UsageError(
            `${file} is not valid YAML: ${(e as Error).message} (the Pulumi CLI's YAML library, yaml.v3, refuses it too: write the values out instead of repeating anchors)`,
        );
    }
    return doc;
}
