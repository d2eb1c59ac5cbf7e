/**
 * `llm-platform comment --dir <dir> --stacks <a,b,...> [--output <file>] [--title <text>] [--footer <text>]`
 *
 * Writes the pull-request comment from files the workflow leaves in <dir> for each stack:
 * `head-<stack>.json` (the plan of the pull request, required), `base-<stack>.json` (the plan of
 * the base branch; absent for a new stack) and `policy-<stack>.json` (the gate's `--format json`
 * result; absent when the gate did not run).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderComment, type StackInput } from "../reports/comment";
import type { GateResult } from "../policy/gate";
import {
    checkOutputFolder,
    checkOutputs,
    parseCommandLine,
    parseExportInput,
    readOptionalInput,
    UsageError,
    writeAllOrNone,
} from "./cli";

export const COMMENT_USAGE =
    "llm-platform comment --dir <dir> --stacks <a,b,...> [--output <file>] [--title <text>] [--footer <text>]";

function parseGate(text: string, file: string): GateResult {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
    }
    const d = doc as Partial<GateResult> | null;
    if (!d || typeof d !== "object" || !Array.isArray(d.violations) || !Array.isArray(d.packs))
        throw new UsageError(`${file} is not the policy gate's JSON result (llm-platform policy --format json)`);
    d.violations.forEach((v: unknown, i) => {
        const x = v as Record<string, unknown> | null;
        const missing = ["policy", "level", "message"].filter((k) => typeof x?.[k] !== "string");
        if (x === null || typeof x !== "object" || missing.length > 0)
            throw new UsageError(
                `${file}: violations[${i}] ${x === null || typeof x !== "object" ? `is ${JSON.stringify(x)}, not a violation` : `needs string ${missing.map((k) => `"${k}"`).join(", ")}`} (the gate writes it with llm-platform policy --json)`,
            );
    });
    return d as GateResult;
}

export async function comment(argv: string[], out: (s: string) => void): Promise<number> {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            dir: { type: "string" },
            stacks: { type: "string" },
            output: { type: "string" },
            title: { type: "string" },
            footer: { type: "string" },
        },
        COMMENT_USAGE,
    );
    if (positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals[0]}"\nusage: ${COMMENT_USAGE}`);
    if (!values.dir) throw new UsageError(`--dir is required\nusage: ${COMMENT_USAGE}`);
    if (!values.stacks) throw new UsageError(`--stacks is required\nusage: ${COMMENT_USAGE}`);
    const stacks = values.stacks.split(",").map((s) => s.trim());
    const bad = stacks.find((s) => !/^[A-Za-z0-9_.-]+$/.test(s));
    if (bad !== undefined) throw new UsageError(`--stacks: "${bad}" is not a stack name`);
    if (!fs.existsSync(values.dir)) throw new UsageError(`--dir: folder ${values.dir} does not exist`);
    if (!fs.statSync(values.dir).isDirectory()) throw new UsageError(`--dir: ${values.dir} is a file, not a folder`);
    const repeated = stacks.find((s, i) => stacks.indexOf(s) !== i);
    if (repeated !== undefined) throw new UsageError(`--stacks: "${repeated}" is listed twice`);
    checkOutputFolder("--output", values.output);
    checkOutputs(
        [{ flag: "--output", file: values.output }],
        stacks.flatMap((stack) =>
            ["head", "base", "policy"].map((kind) => ({
                what: `the ${kind} document of stack ${stack}`,
                file: path.join(values.dir as string, `${kind}-${stack}.json`),
            })),
        ),
    );

    const inputs: StackInput[] = stacks.map((stack) => {
        const file = (kind: string) => path.join(values.dir as string, `${kind}-${stack}.json`);
        const headText = readOptionalInput(file("head"));
        if (headText === undefined)
            throw new UsageError(
                `${file("head")} is missing: write it with llm-platform plan --stack ${stack} --json ${file("head")}`,
            );
        const baseText = readOptionalInput(file("base"));
        const policyText = readOptionalInput(file("policy"));
        return {
            stack,
            head: parseExportInput(headText, file("head")),
            ...(baseText !== undefined ? { base: parseExportInput(baseText, file("base")) } : {}),
            ...(policyText !== undefined ? { policy: parseGate(policyText, file("policy")) } : {}),
        };
    });
    const body = renderComment(inputs, {
        ...(values.title ? { title: values.title } : {}),
        ...(values.footer ? { footer: values.footer } : {}),
    });
    if (values.output) writeAllOrNone([{ flag: "--output", file: values.output, text: body }]);
    else out(body);
    return 0;
}
