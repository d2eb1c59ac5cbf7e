/**
 * `npm run promote -- --stack <name> [--to blue|green] [--image <repo@sha256:…>] [--model-version <v>] [--rollback]`
 *
 * Promotes the inactive colour of the EKS blue-green service (deploy it, smoke-test the preview,
 * flip, verify, roll back on failure), or flips back with --rollback. Needs the Pulumi CLI and
 * credentials for the stack. Exit 0 promoted or rolled back; 1 the release did not go out (smoke
 * failed, or reverted after the flip); 2 bad input or a state that forbids it; 3 the rollback
 * itself failed and someone must act.
 */
import "./startup";
import * as path from "node:path";
import { DIGEST_REFERENCE } from "../../catalog/formats";
import { AutomationStack, HttpProber } from "../promote/automation";
import { promote, PromotionError, type Outcome, type PromoteOptions } from "../promote/machine";
import { parseCommandLine, runCommand, UsageError } from "./cli";

export const PROMOTE_USAGE =
    "npm run promote -- --stack <name> [--to blue|green] [--image <repository@sha256:…>] [--model-version <version>] [--rollback] [--project <dir>]";

const EXIT: Record<Outcome, number> = {
    promoted: 0,
    "rolled-back": 0,
    "smoke-failed": 1,
    reverted: 1,
    "rollback-failed": 3,
};

/** Parses the command line into promotion options; every mistake is a UsageError. */
export function parsePromoteArgs(argv: string[]): { stack: string; project: string; options: PromoteOptions } {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            stack: { type: "string" },
            to: { type: "string" },
            image: { type: "string" },
            "model-version": { type: "string" },
            project: { type: "string" },
            rollback: { type: "boolean" },
        },
        PROMOTE_USAGE,
    );
    if (positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals[0]}"\nusage: ${PROMOTE_USAGE}`);
    if (!values.stack) throw new UsageError(`--stack is required\nusage: ${PROMOTE_USAGE}`);
    if (values.to !== undefined && values.to !== "blue" && values.to !== "green")
        throw new UsageError(`--to: expected blue or green, received "${values.to}"`);
    if (values.image !== undefined && !DIGEST_REFERENCE.test(values.image)) {
        throw new UsageError(
            `--image: expected an image pinned by digest (repository@sha256:<64 hex>), received "${values.image}"`,
        );
    }
    return {
        stack: values.stack,
        project: path.resolve(values.project ?? process.cwd()),
        options: {
            to: values.to as PromoteOptions["to"],
            image: values.image,
            modelVersion: values["model-version"],
            rollback: values.rollback ?? false,
        },
    };
}

if (require.main === module) {
    runCommand("promote", async () => {
        const { stack, project, options } = parsePromoteArgs(process.argv.slice(2));
        const say = (line: string): void => void process.stdout.write(`${line}\n`);
        try {
            const target = await AutomationStack.select(project, stack, say);
            const result = await promote(target, new HttpProber(), options);
            for (const line of result.log) say(`- ${line}`);
            say(`${result.outcome}: ${result.activeColor} is the active colour of ${stack}`);
            return EXIT[result.outcome];
        } catch (e) {
            if (e instanceof PromotionError) throw new UsageError(e.message);
            throw e;
        }
    });
}
