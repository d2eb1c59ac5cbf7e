/**
 * The promotion's real stack and prober: the Pulumi Automation API (LocalWorkspace over this
 * project, which needs the Pulumi CLI on PATH) and HTTP requests with a timeout.
 */
import * as automation from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveSettings } from "../../environments/loader";
import { PromotionError, type Prober, type PromotionStack, type ServingState } from "./machine";

/** The serving state from a stack's configuration, validated like the program does. */
export function servingStateFromConfig(
    stackName: string,
    config: Record<string, string>,
    secretKeys: string[] = [],
): ServingState {
    const s = resolveSettings(stackName, config, { secretKeys }).serving;
    return {
        activeColor: s.activeColor,
        strategy: s.strategy,
        platform: s.platform,
        scaleDownInactive: s.scaleDownInactive,
        releases: { blue: { ...s.blue, image: s.blue.image }, green: { ...s.green, image: s.green.image } },
        smoke: { ...s.smokeTest, previewUrl: s.smokeTest.previewUrl, activeUrl: s.smokeTest.activeUrl },
    };
}

/**
 * The stack's own name: Pulumi Cloud names may be qualified (`org/stack`, `org/project/stack`);
 * the program, its config file and the tier default see only the last part.
 */
export function shortStackName(stackName: string): string {
    return stackName.split("/").pop() ?? stackName;
}

/** Where the promotion lock of a stack lives: beside the project, one file per stack. */
export function lockFileFor(projectDir: string, stackName: string): string {
    return path.join(projectDir, `.promote-${shortStackName(stackName)}.lock`);
}

/**
 * A lock file beside the project, held for the whole promotion: a second promotion of the same
 * stack from this checkout stops at once. (Across machines, CI's per-stack concurrency group and
 * Pulumi's own update lock serialize promotions.)
 */
export async function takeLockFile(file: string, stackName: string): Promise<() => Promise<void>> {
    try {
        fs.writeFileSync(file, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }), { flag: "wx" });
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") {
            throw new PromotionError(
                `a promotion of stack ${stackName} is already in progress (${file}: ${fs.readFileSync(file, "utf8")}); if it died, delete the file`,
            );
        }
        throw e;
    }
    return async () => fs.rmSync(file, { force: true });
}

export class AutomationStack implements PromotionStack {
    private constructor(
        readonly name: string,
        private readonly stack: automation.Stack,
        private readonly lockFile: string,
        private readonly onOutput: (line: string) => void,
    ) {}

    /** Selects an existing stack of the project in `projectDir`; clear errors when it or the CLI is missing. */
    static async select(
        projectDir: string,
        stackName: string,
        onOutput: (line: string) => void,
    ): Promise<AutomationStack> {
        let stack: automation.Stack;
        try {
            stack = await automation.LocalWorkspace.selectStack({ stackName, workDir: projectDir });
        } catch (e) {
            if (e instanceof automation.StackNotFoundError)
                throw new PromotionError(
                    `stack ${stackName} does not exist in this backend (pulumi stack ls lists the stacks)`,
                );
            const message = (e as Error).message;
            if (/ENOENT|not found|Could not find/i.test(message) && /pulumi/i.test(message)) {
                throw new PromotionError(
                    "the Pulumi CLI is not installed or not on PATH: promote drives real stacks through it (https://www.pulumi.com/docs/install/)",
                );
            }
            throw e;
        }
        return new AutomationStack(shortStackName(stackName), stack, lockFileFor(projectDir, stackName), onOutput);
    }

    async readState(): Promise<ServingState> {
        const all = await this.stack.getAllConfig();
        const values = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
        const secrets = Object.entries(all)
            .filter(([, v]) => v.secret)
            .map(([k]) => k);
        return servingStateFromConfig(this.name, values, secrets);
    }

    async setServing(keyPath: string, value: string): Promise<void> {
        await this.stack.setConfig(`llm-platform:serving.${keyPath}`, { value }, true);
    }

    async up(reason: string): Promise<void> {
        this.onOutput(`pulumi up (${reason})`);
        try {
            await this.stack.up({ onOutput: (line) => this.onOutput(line.trimEnd()), message: `promote: ${reason}` });
        } catch (e) {
            if (e instanceof automation.ConcurrentUpdateError)
                throw new PromotionError(
                    `stack ${this.name} is being updated by someone else; try again when it is done`,
                );
            throw e;
        }
    }

    lock(): Promise<() => Promise<void>> {
        return takeLockFile(this.lockFile, this.name);
    }
}

/** GET with a timeout, measuring latency. */
export class HttpProber implements Prober {
    constructor(private readonly timeoutMs = 10_000) {}

    async get(url: string): Promise<{ status: number; latencyMs: number }> {
        const started = performance.now();
        const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: "manual" });
        await response.arrayBuffer();
        return { status: response.status, latencyMs: performance.now() - started };
    }
}
