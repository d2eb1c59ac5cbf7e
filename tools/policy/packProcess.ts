/** The policy pack as a process of its own, serving the analyzer protocol on a port it prints. */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";

export const DEFAULT_PACK_DIR = path.resolve(__dirname, "..", "..", "policies");

/** A running pack process and its port. */
export interface PackProcess {
    port: number;
    stop(): void;
}

/**
 * Starts the pack with node (not npx, so stopping it leaves no orphan) and waits for its port. A
 * larger young generation (32 MiB semi-spaces) means fewer scavenges, which take a good share of
 * the pack's time: the SDK deserializes every resource's properties once per policy.
 */
export function startPack(packDir = DEFAULT_PACK_DIR): Promise<PackProcess> {
    return new Promise((resolve, reject) => {
        const child: ChildProcess = spawn(
            process.execPath,
            ["--max-semi-space-size=32", "--import", "tsx", "index.ts"],
            {
                cwd: packDir,
                stdio: ["ignore", "pipe", "pipe"],
                env: { ...process.env, NODE_OPTIONS: "" },
            },
        );
        let out = "";
        let err = "";
        const timer = setTimeout(() => {
            child.kill();
            reject(new Error(`the policy pack in ${packDir} did not start within 30 s: ${err}`));
        }, 30_000);
        child.stdout?.on("data", (d: Buffer) => {
            out += d.toString();
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ port: Number(m[1]), stop: () => void child.kill() });
            }
        });
        child.stderr?.on("data", (d: Buffer) => void (err += d.toString()));
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the policy pack in ${packDir} exited with ${code} before serving: ${err.trim()}`));
        });
    });
}
