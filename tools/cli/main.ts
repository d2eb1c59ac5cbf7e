#!/usr/bin/env node
/**
 * `llm-platform <command> [arguments]`: the package's command line (its `bin`). Each command is a
 * module loaded only when asked for, so that `diff` or `comment` never pay for the engine or the
 * policy SDK. In this repository `npm run <command> -- …` runs the same entry from source.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runCommand, UsageError } from "./cli";
import { startup } from "./startup";

type Out = (s: string) => void;
const stdout: Out = (s) => void process.stdout.write(s);
const stderr: Out = (s) => void process.stderr.write(s);

interface Command {
    readonly summary: string;
    /** The exit code of a failure that is not bad input (1, or 3 for the policy gate). */
    readonly failure: number;
    /** Loads the command's module: its usage line and its body. */
    load(): Promise<{ usage: string; run(argv: string[]): Promise<number> }>;
}

/** The commands, in the order `--help` lists them. */
export const COMMANDS: Readonly<Record<string, Command>> = {
    plan: {
        summary: "run a stack's program offline, as `pulumi preview` (or `up`) would, and print the plan and its cost",
        failure: 1,
        load: async () => {
            const m = await import("./plan");
            return { usage: m.PLAN_USAGE, run: (argv) => m.plan(argv, stdout, stderr) };
        },
    },
    policy: {
        summary: "gate a stack (planned offline) or a stack export with policy packs, as the Pulumi engine runs them",
        failure: 3,
        load: async () => {
            const m = await import("./policy");
            return { usage: m.POLICY_USAGE, run: (argv) => m.policy(argv, stdout) };
        },
    },
    diff: {
        summary: "compare two stack export documents, resource by resource, as Markdown or JSON",
        failure: 1,
        load: async () => {
            const m = await import("./diff");
            return { usage: m.DIFF_USAGE, run: (argv) => m.diff(argv, stdout) };
        },
    },
    comment: {
        summary: "write the pull-request comment from the plans, diffs and gate reports of several stacks",
        failure: 1,
        load: async () => {
            const m = await import("./comment");
            return { usage: m.COMMENT_USAGE, run: (argv) => m.comment(argv, stdout) };
        },
    },
    deploy: {
        summary:
            "pulumi up a commit, keeping each model's active colour, then promote each model's new release (idempotent)",
        failure: 1,
        load: async () => {
            const m = await import("./deploy");
            return { usage: m.DEPLOY_USAGE, run: (argv) => m.deployCommand(argv) };
        },
    },
    promote: {
        summary: "release a model's inactive colour (deploy, smoke-test, quality gate, flip, verify) or roll back",
        failure: 1,
        load: async () => {
            const m = await import("./promote");
            return { usage: m.PROMOTE_USAGE, run: (argv) => m.promoteCommand(argv) };
        },
    },
};

/** What `llm-platform --help` prints. */
export function helpText(version: string): string {
    const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
    return [
        `llm-platform ${version}: offline plans, diffs, policy gates and releases for Pulumi programs`,
        "",
        "usage: llm-platform <command> [arguments]      (llm-platform <command> --help for its arguments)",
        "",
        ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
        "",
    ].join("\n");
}

/** The package's version: its package.json, found above this module (in the sources or in dist/). */
function version(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    return (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
}

/** Runs `argv` (the arguments after the program) and exits with the command's code. */
export function main(argv: string[]): void {
    startup();
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        stdout(helpText(version()));
        process.exit(name === undefined ? 2 : 0);
    }
    if (name === "--version" || name === "-v") {
        stdout(`${version()}\n`);
        process.exit(0);
    }
    const command = COMMANDS[name];
    if (!command) {
        runCommand(
            "llm-platform",
            async () => {
                throw new UsageError(
                    `unknown command "${name}": expected one of ${Object.keys(COMMANDS).join(", ")}\nusage: llm-platform <command> [arguments]`,
                );
            },
            1,
        );
        return;
    }
    runCommand(
        name,
        async () => {
            const { usage, run } = await command.load();
            if (rest.includes("--help") || rest.includes("-h")) {
                stdout(`usage: ${usage}\n`);
                return 0;
            }
            return run(rest);
        },
        command.failure,
    );
}

if (require.main === module) main(process.argv.slice(2));
