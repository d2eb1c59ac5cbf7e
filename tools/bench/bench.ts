/**
 * `npm run bench [-- --runs <n>]`
 *
 * Measures the offline plan of each stack (wall time and peak memory, median of several runs)
 * beside a bare program that only loads the same provider SDKs, each as a fresh `node --import
 * tsx` process, the way `npm run plan` and `pulumi up` start. A benchmark, not a test: it
 * prints figures and the targets, and never fails on them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCommandLine, runCommand, UsageError } from "../cli/cli";
import { runStack } from "../engine/run";
import { analyze, startPack } from "../policy/gate";

const ROOT = path.resolve(__dirname, "..", "..");
const USAGE = "npm run bench -- [--runs <n>]";

interface Sample {
    wallMs: number;
    maxRssMiB: number;
    packages: string[];
}

function measure(args: string[], env: Record<string, string> = {}): Sample {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "llm-bench-")), "probe.json");
    const started = process.hrtime.bigint();
    const r = spawnSync(
        process.execPath,
        ["--require", path.join(__dirname, "probe.cjs"), "--import", "tsx", ...args],
        {
            cwd: ROOT,
            env: { ...process.env, ...env, LLM_PLATFORM_BENCH_OUT: out },
            stdio: ["ignore", "ignore", "pipe"],
            encoding: "utf8",
        },
    );
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    const probe = JSON.parse(fs.readFileSync(out, "utf8")) as { maxRssKiB: number; packages: string[] };
    return { wallMs, maxRssMiB: probe.maxRssKiB / 1024, packages: probe.packages };
}

const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function bench(argv: string[]): Promise<number> {
    const { values } = parseCommandLine(argv, { runs: { type: "string", default: "5" } }, USAGE);
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 50)
        throw new UsageError(`--runs: expected an integer from 1 to 50, received "${values.runs}"`);

    const rows: Array<{ name: string; wall: number; rss: number }> = [];
    let bare: { wall: number; rss: number } | undefined;
    for (const stack of ["staging", "prod"]) {
        const samples = Array.from({ length: runs }, () =>
            measure([path.join(ROOT, "tools", "cli", "plan.ts"), "--stack", stack]),
        );
        const packages = samples[0].packages.filter((p) => p !== "@pulumi/eslint-plugin");
        if (!bare) {
            const env = { LLM_PLATFORM_BENCH_PACKAGES: packages.join(",") };
            const bareSamples = Array.from({ length: runs }, () => measure([path.join(__dirname, "bare.ts")], env));
            bare = { wall: median(bareSamples.map((s) => s.wallMs)), rss: median(bareSamples.map((s) => s.maxRssMiB)) };
            rows.push({ name: `bare import (${packages.join(", ")})`, ...bare });
        }
        rows.push({
            name: `plan --stack ${stack}`,
            wall: median(samples.map((s) => s.wallMs)),
            rss: median(samples.map((s) => s.maxRssMiB)),
        });
    }
    const width = Math.max(...rows.map((r) => r.name.length)) + 2;
    console.log(`Median of ${runs} runs each, fresh processes (node ${process.version}, ${os.cpus().length} cores)\n`);
    console.log(`${"program".padEnd(width)}${"wall ms".padStart(9)}${"peak MiB".padStart(10)}${"vs bare".padStart(9)}`);
    for (const r of rows) {
        const ratio = bare ? `${(r.wall / bare.wall).toFixed(2)}x` : "";
        console.log(
            `${r.name.padEnd(width)}${r.wall.toFixed(0).padStart(9)}${r.rss.toFixed(0).padStart(10)}${ratio.padStart(9)}`,
        );
    }
    console.log("\nTargets: the prod plan within 1.5x the bare import's wall time and under 400 MiB peak.");

    // The policy gate: throughput over the analyzer protocol, and the prod stack planned and gated.
    const prod = (await runStack({ projectDir: ROOT, stack: "prod" })).export.deployment.resources.filter(
        (r) => r.type !== "pulumi:pulumi:Stack",
    );
    const synthetic = Array.from({ length: 10_000 }, (_, i) => {
        const r = prod[i % prod.length];
        return { ...r, urn: `${r.urn}-${i}`, parent: undefined, dependencies: [] };
    });
    const pack = await startPack();
    let gateMs: number;
    try {
        const started = performance.now();
        await analyze(pack.port, synthetic, {});
        gateMs = performance.now() - started;
    } finally {
        pack.stop();
    }
    const gated = Array.from({ length: runs }, () => {
        const started = process.hrtime.bigint();
        const r = spawnSync(
            process.execPath,
            // As `npm run policy` runs it.
            [
                "--max-semi-space-size=32",
                "--import",
                "tsx",
                path.join(ROOT, "tools", "cli", "policy.ts"),
                "--stack",
                "prod",
            ],
            { cwd: ROOT, stdio: "ignore" },
        );
        if (r.status !== 0) throw new Error(`policy --stack prod exited ${r.status}`);
        return Number(process.hrtime.bigint() - started) / 1e6;
    });
    console.log(
        `\npolicy gate: ${synthetic.length} resources in ${gateMs.toFixed(0)} ms = ${Math.round(synthetic.length / (gateMs / 1000))} resources/s over the analyzer protocol`,
    );
    console.log(`policy --stack prod (plan and gate, fresh process): ${median(gated).toFixed(0)} ms`);
    console.log("Targets: at least 2,000 resources per second; the prod stack planned and gated in under 5 s.");
    return 0;
}

if (require.main === module) runCommand("bench", () => bench(process.argv.slice(2)));
