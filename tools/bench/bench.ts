/**
 * `npm run bench [-- --runs <n>]`
 *
 * Measures the offline plan of each stack (wall time, and the peak memory of the command's
 * process and of the program process it starts; median of several runs) beside a bare program
 * that only loads the same provider SDKs, each as a fresh process, the way `npm run plan` and
 * `pulumi up` start. Then the prod plan through the language-host path (a program process
 * speaking gRPC to the engine, as under the Pulumi CLI) against the in-process path (the same
 * program run inline, as an Automation API inline program); an error's time and memory under the
 * runner; the plan of 1, 5 and 20 model services (what each added model costs); and the policy
 * gate. A benchmark, not a test: it prints figures and the targets, and never fails on them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCommandLine, runCommand, UsageError } from "../cli/cli";
import { readProject } from "../engine/project";
import { readStackConfig } from "../engine/stackConfig";
import { runProgram, runStack } from "../engine/run";
import { analyze, startPack } from "../policy/gate";
import { processesFor, SHARD_THRESHOLD } from "../cli/policy";
import { manyModelsConfig } from "./models";

/** The model counts whose plan time the bench compares. */
/** Models in the stacks whose plan time the bench compares (40: a second segment as long as 5 to 20, to see linearity). */
export const MODEL_COUNTS = [1, 5, 20, 40] as const;

const ROOT = path.resolve(__dirname, "..", "..");
/** Resources per second the gate is asked for (issues 6, 13 and 36). */
const GATE_TARGET = 2000;
const USAGE = "npm run bench -- [--runs <n>]";

interface Sample {
    wallMs: number;
    /** Peak memory of the measured process. */
    maxRssMiB: number;
    /** Peak memory of the largest process it started (the program process of a plan), if any. */
    childRssMiB: number;
    packages: string[];
}

interface Probe {
    pid: number;
    maxRssKiB: number;
    packages: string[];
}

function probesIn(dir: string): Probe[] {
    return fs
        .readdirSync(dir)
        .filter((f) => /^probe-\d+\.json$/.test(f))
        .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Probe);
}

function measure(args: string[], env: Record<string, string> = {}, expectStatus = 0): Sample {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "llm-bench-"));
    const started = process.hrtime.bigint();
    // As `npm run <command>` starts them: the project's TypeScript loader, which leaves the SDKs'
    // files to Node (the bare import's too: its baseline is the SDKs' own cost).
    const r = spawnSync(process.execPath, ["--require", path.join(ROOT, "tools", "typescript.cjs"), ...args], {
        cwd: ROOT,
        env: {
            ...process.env,
            ...env,
            // Every process of the run loads the probe, the program processes a plan starts too.
            NODE_OPTIONS: `--require ${path.join(__dirname, "probe.cjs")}`,
            LLM_PLATFORM_BENCH_OUT: out,
        },
        stdio: ["ignore", "ignore", "pipe"],
        encoding: "utf8",
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== expectStatus) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    const probes = probesIn(out);
    const own = probes.find((p) => p.pid === r.pid);
    if (!own) throw new Error(`${args.join(" ")} left no probe`);
    const children = probes.filter((p) => p !== own);
    return {
        wallMs,
        maxRssMiB: own.maxRssKiB / 1024,
        childRssMiB: Math.max(0, ...children.map((p) => p.maxRssKiB)) / 1024,
        packages: [...new Set(probes.flatMap((p) => p.packages))].sort(),
    };
}

/**
 * A copy of the project whose program throws a TypeError after composing the stack, the way a bug
 * would (node_modules linked in).
 */
function failingProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-bench-failing-"));
    for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "package.json", "tsconfig.json"])
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    for (const d of ["catalog", "stacks", "components", "environments", "images", "policies", "prices"])
        fs.cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
    // Pulumi.yaml's nodeargs load the TypeScript loader from ../tools.
    fs.mkdirSync(path.join(dir, "tools"));
    fs.copyFileSync(path.join(ROOT, "tools", "typescript.cjs"), path.join(dir, "tools", "typescript.cjs"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.writeFileSync(
        path.join(dir, "stacks", "index.ts"),
        [
            'import "./stackTraces";',
            'import { program } from "./program";',
            "export = async () => {",
            "    const outputs = await program();",
            "    const missing: Record<string, { name: string }> = {};",
            "    return { ...outputs, broken: missing.serving.name };",
            "};",
            "",
        ].join("\n"),
    );
    return dir;
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

    const rows: Array<{ name: string; wall: number; rss: number; programRss?: number }> = [];
    let bare: { wall: number; rss: number } | undefined;
    for (const stack of ["staging", "prod"]) {
        const samples = Array.from({ length: runs }, () =>
            measure([path.join(ROOT, "tools", "cli", "main.ts"), "plan", "--stack", stack]),
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
            programRss: median(samples.map((s) => s.childRssMiB)),
        });
    }
    // An unexpected error in the program, reported through the runner as under the Pulumi CLI.
    const failing = failingProject();
    const errorSamples = Array.from({ length: runs }, () =>
        measure(
            [path.join(ROOT, "tools", "cli", "main.ts"), "plan", "--stack", "staging", "--project", failing],
            {},
            1,
        ),
    );
    fs.rmSync(failing, { recursive: true, force: true });
    rows.push({
        name: "plan of a program that throws",
        wall: median(errorSamples.map((s) => s.wallMs)),
        rss: median(errorSamples.map((s) => s.maxRssMiB)),
        programRss: median(errorSamples.map((s) => s.childRssMiB)),
    });
    const width = Math.max(...rows.map((r) => r.name.length)) + 2;
    console.log(`Median of ${runs} runs each, fresh processes (node ${process.version}, ${os.cpus().length} cores)\n`);
    console.log(
        `${"command".padEnd(width)}${"wall ms".padStart(9)}${"peak MiB".padStart(10)}${"program MiB".padStart(13)}${"vs bare".padStart(9)}`,
    );
    for (const r of rows) {
        const ratio = bare ? `${(r.wall / bare.wall).toFixed(2)}x` : "";
        const program = r.programRss === undefined ? "" : r.programRss.toFixed(0);
        console.log(
            `${r.name.padEnd(width)}${r.wall.toFixed(0).padStart(9)}${r.rss.toFixed(0).padStart(10)}${program.padStart(13)}${ratio.padStart(9)}`,
        );
    }
    console.log(
        "\npeak MiB: the command's own process; program MiB: the program process it starts (as the Pulumi CLI's language host does).",
    );

    // The prod plan through the language host's path, against the same program run in this process.
    const grpc: number[] = [];
    for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await runStack({ projectDir: ROOT, stack: "prod", mode: "update" });
        grpc.push(performance.now() - started);
    }
    const proj = readProject(ROOT);
    const cfg = readStackConfig(ROOT, proj, "prod");
    const inline: number[] = [];
    for (let i = 0; i <= runs; i++) {
        const started = performance.now();
        await runProgram({
            project: proj.name,
            stack: "prod",
            config: cfg.values,
            secretKeys: cfg.secretKeys,
            mode: "update",
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            program: () => (require(path.join(ROOT, "stacks", "index.ts")) as () => unknown)(),
        });
        inline.push(performance.now() - started);
    }
    console.log(
        `\nprod plan, language-host path (a program process speaking gRPC to the engine): ${median(grpc).toFixed(0)} ms`,
    );
    console.log(
        `prod plan, in-process (the program run inline against the same engine): ${inline[0].toFixed(0)} ms the first time (loads the SDKs), ${median(inline.slice(1)).toFixed(0)} ms after`,
    );
    console.log(
        "Targets (issue 36): the prod plan within 2.0x the bare import's wall time, a program that throws within 1.5x, each process under 300 MiB peak.",
    );

    // What each added model costs the plan of the prod stack: 1, 5 and 20 models in llm-platform:models,
    // the real stack program in process (SDKs loaded above).
    const perModels: Array<{ models: number; ms: number; resources: number }> = [];
    for (const models of MODEL_COUNTS) {
        const many = readStackConfig(ROOT, proj, "prod", manyModelsConfig(models));
        const samples: number[] = [];
        let resources = 0;
        for (let i = 0; i < runs; i++) {
            const started = performance.now();
            const result = await runProgram({
                project: proj.name,
                stack: "prod",
                config: many.values,
                secretKeys: many.secretKeys,
                mode: "update",
                program: () =>
                    // eslint-disable-next-line @typescript-eslint/no-require-imports
                    (require(path.join(ROOT, "stacks", "index.ts")) as () => unknown)(),
            });
            samples.push(performance.now() - started);
            resources = result.export.deployment.resources.length;
        }
        perModels.push({ models, ms: median(samples), resources });
    }
    console.log("");
    for (const p of perModels) console.log(`${p.models} model(s): ${p.ms.toFixed(0)} ms, ${p.resources} resources`);
    const segments = perModels
        .slice(1)
        .map(
            (p, i) =>
                `${((p.ms - perModels[i].ms) / (p.models - perModels[i].models)).toFixed(0)} ms from ${perModels[i].models} to ${p.models}`,
        );
    console.log(`Each added model: ${segments.join(", ")} (linear when these agree).`);

    // The policy gate: throughput over the analyzer protocol, and the prod stack planned and gated.
    const prod = (
        await runStack({ projectDir: ROOT, stack: "prod", mode: "update" })
    ).export.deployment.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
    const synthetic = Array.from({ length: 10_000 }, (_, i) => {
        const r = prod[i % prod.length];
        return { ...r, urn: `${r.urn}-${i}`, parent: undefined, dependencies: [] };
    });
    // One pack process, then one per core (the gate's default for large deployments), each
    // warmed up on a few hundred resources first.
    const shards = processesFor(SHARD_THRESHOLD, undefined);
    const throughput: Array<{ processes: number; perSecond: number }> = [];
    for (const processes of [...new Set([1, shards])]) {
        const packs = await Promise.all(Array.from({ length: processes }, () => startPack()));
        try {
            const ports = packs.map((p) => p.port);
            await analyze(ports, synthetic.slice(0, 500), {});
            const started = performance.now();
            await analyze(ports, synthetic, {});
            throughput.push({
                processes,
                perSecond: Math.round(synthetic.length / ((performance.now() - started) / 1000)),
            });
        } finally {
            for (const p of packs) p.stop();
        }
    }
    const gated = Array.from({ length: runs }, () => {
        const started = process.hrtime.bigint();
        const r = spawnSync(
            process.execPath,
            // As `npm run policy` runs it.
            [
                "--max-semi-space-size=32",
                "--require",
                path.join(ROOT, "tools", "typescript.cjs"),
                path.join(ROOT, "tools", "cli", "main.ts"),
                "policy",
                "--stack",
                "prod",
            ],
            { cwd: ROOT, stdio: "ignore" },
        );
        if (r.status !== 0) throw new Error(`policy --stack prod exited ${r.status}`);
        return Number(process.hrtime.bigint() - started) / 1e6;
    });
    for (const t of throughput)
        console.log(
            `\npolicy gate, ${t.processes} pack process${t.processes === 1 ? "" : "es"}: ${t.perSecond} resources/s over the analyzer protocol (${synthetic.length} resources), ${((t.perSecond / GATE_TARGET) * 100).toFixed(0)} % of the ${GATE_TARGET.toLocaleString("en")} asked`,
        );
    const policyMs = median(gated);
    console.log(
        `policy --stack prod (plan and gate, fresh process): ${policyMs.toFixed(0)} ms${bare ? `, ${(policyMs / bare.wall).toFixed(2)}x the bare import` : ""}`,
    );
    console.log(
        `Targets (issue 36): at least ${GATE_TARGET.toLocaleString("en")} resources per second with one pack process per core; policy --stack prod within 3.0x the bare import, findings unchanged.`,
    );
    return 0;
}

if (require.main === module) runCommand("bench", () => bench(process.argv.slice(2)));
