/**
 * The package as another team gets it: packed (`npm pack`, which builds), installed from the
 * tarball into a temporary folder with the examples' dependencies, and each example (and a
 * consumer program of the test's own) type-checked, planned and gated through the package's own
 * bin, and unit-tested, as its README says. Every step is a process in a background slot, started
 * by the root hook; package.test.ts reads what each printed.
 *
 * The examples declare the same dependencies, so they are installed once, at the folder above
 * them (Node and TypeScript resolve upwards), rather than four times.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "./helpers";
import { inBackground } from "./plans";
import { sh, type Ran } from "./readmeRuns";

/** The example programs (each planned, gated with the production pack's prod config, unit-tested). */
export const PROGRAM_EXAMPLES = ["existing-cluster-model", "new-cluster-gpu", "ecs-model"] as const;
/** The security team's pack example. */
export const PACK_EXAMPLE = "security-pack";
/** The consumer program of this test (tests/fixtures/consumer): Pulumi's older stock tsconfig, echo mocks, its own pack. */
export const CONSUMER = "consumer";
/** The README's first screen ("Use it in your program"): its program and stack file, as written. */
export const README_PROGRAM = "readme";

/** The program and stack file the README's "Use it in your program" shows (project `my-project`). */
export function readmeProgram(readme: string): { index: string; stack: string } {
    const section = readme.slice(readme.indexOf("## Use it in your program"));
    const block = (lang: string): string => {
        const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section);
        if (!m) throw new Error(`the README's "Use it in your program" has no ${lang} block`);
        return m[1];
    };
    return { index: block("ts"), stack: block("yaml") };
}

export interface Packed {
    filename: string;
    size: number;
    unpackedSize: number;
    files: string[];
}

export interface PackageRuns {
    /** The folder everything is installed and copied into. */
    readonly dir: string;
    readonly packed: Promise<Packed>;
    readonly installed: Promise<Ran>;
    /** The package.json the folder was installed from. */
    readonly manifest: Promise<{ dependencies: Record<string, string>; devDependencies: Record<string, string> }>;
    readonly publint: Promise<Ran>;
    readonly attw: Promise<Ran>;
    /** Each entry point required, a deep import refused, the bin's help and version. */
    readonly shield: Promise<Ran>;
    /** `tsc --noEmit` over the program examples with their (shared) tsconfig. */
    readonly typecheckExamples: Promise<Ran>;
    readonly typecheckConsumer: Promise<Ran>;
    readonly typecheckPacks: Promise<Ran[]>;
    /** Per program: its plan (`llm-platform plan --json plan.json`) and gate (`llm-platform policy --file plan.json …`). */
    readonly plans: Readonly<Record<string, Promise<{ plan: Ran; gate: Ran }>>>;
    /** The security pack beside the production pack, gating new-cluster-gpu's plan. */
    readonly securityGate: Promise<Ran>;
    /** Per folder: its unit tests (mocha with ts-node, as its package.json says). */
    readonly unitTests: Readonly<Record<string, Promise<Ran>>>;
}

const SOURCES: Readonly<Record<string, string>> = {
    ...Object.fromEntries([...PROGRAM_EXAMPLES, PACK_EXAMPLE].map((e) => [e, path.join(PROJECT_DIR, "examples", e)])),
    [CONSUMER]: path.join(PROJECT_DIR, "tests", "fixtures", "consumer"),
};

type Manifest = { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

/**
 * The union of the folders' dependencies, with llm-platform from the tarball. Two folders that ask
 * for one package in different ranges are a mistake in the examples: they would not install alike.
 */
export function unionManifest(
    manifests: Readonly<Record<string, Manifest>>,
    tarball: string,
): { dependencies: Record<string, string>; devDependencies: Record<string, string> } {
    const union = { dependencies: {} as Record<string, string>, devDependencies: {} as Record<string, string> };
    for (const [folder, m] of Object.entries(manifests))
        for (const field of ["dependencies", "devDependencies"] as const)
            for (const [name, range] of Object.entries(m[field] ?? {})) {
                const seen = union[field][name];
                if (seen !== undefined && seen !== range && name !== "llm-platform")
                    throw new Error(`${folder}/package.json: ${name} ${range}, where another example has ${seen}`);
                union[field][name] = range;
            }
    union.dependencies["llm-platform"] = `file:${tarball}`;
    return union;
}

let runs: PackageRuns | undefined;

/** Starts the package's runs in the background slots, once per test run. */
export function packageRuns(): PackageRuns {
    if (runs) return runs;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-package-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const node = `"${process.execPath}"`;
    const bin = `${node} ${path.join(dir, "node_modules", "llm-platform", "dist", "tools", "cli", "main.js")}`;
    const tsc = `${node} ${path.join(dir, "node_modules", "typescript", "bin", "tsc")}`;
    const after = <T>(first: Promise<unknown>, work: () => Promise<T>): Promise<T> => {
        const p = first.then(() => inBackground(work));
        p.catch(() => undefined);
        return p;
    };

    const packed = inBackground(async () => {
        const r = await sh("npm pack --json --pack-destination " + JSON.stringify(dir), PROJECT_DIR);
        if (r.code !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
        const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf("["))) as Array<{
            filename: string;
            size: number;
            unpackedSize: number;
            files: Array<{ path: string }>;
        }>;
        return { ...info, files: info.files.map((f) => f.path).sort() };
    });
    const manifest = packed.then((p) =>
        unionManifest(
            Object.fromEntries(
                Object.entries(SOURCES).map(([f, src]) => [
                    f,
                    JSON.parse(fs.readFileSync(path.join(src, "package.json"), "utf8")) as Manifest,
                ]),
            ),
            p.filename,
        ),
    );
    const installed = after(manifest, async () => {
        const m = await manifest;
        fs.writeFileSync(
            path.join(dir, "package.json"),
            `${JSON.stringify({ name: "llm-platform-consumers", private: true, ...m }, null, 2)}\n`,
        );
        for (const [folder, src] of Object.entries(SOURCES))
            fs.cpSync(src, path.join(dir, folder), { recursive: true, filter: (f) => !f.includes("node_modules") });
        // The README's first screen, as a project of its own beside the examples.
        const first = readmeProgram(fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8"));
        const readmeDir = path.join(dir, README_PROGRAM);
        fs.mkdirSync(readmeDir);
        fs.writeFileSync(path.join(readmeDir, "Pulumi.yaml"), "name: my-project\nruntime: nodejs\n");
        fs.writeFileSync(path.join(readmeDir, "package.json"), '{ "name": "my-project", "main": "index.ts" }\n');
        fs.writeFileSync(path.join(readmeDir, "index.ts"), first.index);
        fs.writeFileSync(path.join(readmeDir, "Pulumi.dev.yaml"), first.stack);
        // The program examples share one tsconfig (a test holds them equal): one type-check for the three.
        fs.writeFileSync(
            path.join(dir, "tsconfig.examples.json"),
            JSON.stringify({
                extends: `./${PROGRAM_EXAMPLES[0]}/tsconfig.json`,
                include: [
                    ...PROGRAM_EXAMPLES.flatMap((e) => [`${e}/index.ts`, `${e}/test/**/*.ts`]),
                    `${README_PROGRAM}/index.ts`,
                ],
            }),
        );
        const r = await sh("npm install --prefer-offline --no-audit --no-fund --loglevel=error", dir);
        if (r.code !== 0) throw new Error(`npm install of the tarball failed: ${r.stderr}`);
        return r;
    });
    const tarball = (): string =>
        path.join(
            dir,
            fs.readdirSync(dir).find((f) => f.endsWith(".tgz"))!,
        );
    const publint = after(installed, () =>
        sh(`${node} ${path.join(PROJECT_DIR, "node_modules", "publint", "src", "cli.js")} --strict ${tarball()}`, dir),
    );
    const attw = after(installed, () =>
        sh(
            `${node} ${path.join(PROJECT_DIR, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js")} ${tarball()} --format json`,
            dir,
        ),
    );
    const shield = after(installed, () =>
        sh(
            [
                `${node} -e '${SHIELD_SCRIPT}'`,
                `${bin} --version`,
                `${bin} --help`,
                ...["plan", "policy", "diff", "comment", "promote"].map((c) => `${bin} ${c} --help`),
            ].join(" && "),
            path.join(dir, CONSUMER),
        ),
    );
    const typecheckExamples = after(installed, () => sh(`${tsc} --noEmit -p tsconfig.examples.json`, dir));
    const typecheckConsumer = after(installed, () => sh(`${tsc} --noEmit -p .`, path.join(dir, CONSUMER)));
    const typecheckPacks = after(installed, async () => [
        await sh(`${tsc} --noEmit -p .`, path.join(dir, PACK_EXAMPLE)),
        await sh(`${tsc} --noEmit -p .`, path.join(dir, CONSUMER, "policy-pack")),
    ]);
    const prodConfig = path.join(dir, "node_modules", "llm-platform", "pack", "config", "prod.json");
    const plans = Object.fromEntries(
        [...PROGRAM_EXAMPLES, CONSUMER, README_PROGRAM].map((folder) => [
            folder,
            after(installed, async () => {
                const cwd = path.join(dir, folder);
                // Types were checked by tsc above: the program skips ts-node's check, as the
                // CLI does with the same setting (the engine passes it on).
                const plan = await sh(
                    `PULUMI_NODEJS_TRANSPILE_ONLY=true ${bin} plan --stack dev --json plan.json`,
                    cwd,
                );
                // ecs-model names prod's config by its tier: the installed package finds it in pack/.
                const gate = await sh(
                    folder === CONSUMER
                        ? `${bin} policy --file plan.json --pack policy-pack --json gate.json`
                        : folder === "ecs-model"
                          ? `${bin} policy --file plan.json --tier prod --json gate.json`
                          : `${bin} policy --file plan.json --config ${prodConfig} --json gate.json`,
                    cwd,
                );
                return { plan, gate };
            }),
        ]),
    );
    const securityGate = after(plans["new-cluster-gpu"], () =>
        sh(
            [
                `${bin} policy --file new-cluster-gpu/plan.json`,
                `--pack ${PACK_EXAMPLE} --pack node_modules/llm-platform/pack`,
                `--config ${PACK_EXAMPLE}/config/prod.json --config ${prodConfig} --format json`,
            ].join(" "),
            dir,
        ),
    );
    const unitTests = Object.fromEntries(
        [...PROGRAM_EXAMPLES, PACK_EXAMPLE, CONSUMER].map((folder) => [
            folder,
            // The folder's own `npm test` (mocha with ts-node); types were checked by tsc above.
            after(installed, () =>
                sh(
                    `TS_NODE_TRANSPILE_ONLY=true ${node} ${path.join(dir, "node_modules", "mocha", "bin", "mocha.js")} --timeout 60000 -r ts-node/register 'test/**/*.test.ts'`,
                    path.join(dir, folder),
                ),
            ),
        ]),
    );
    runs = {
        dir,
        packed,
        installed,
        manifest,
        publint,
        attw,
        shield,
        typecheckExamples,
        typecheckConsumer,
        typecheckPacks,
        plans,
        securityGate,
        unitTests,
    };
    for (const p of [packed, manifest, installed]) p.catch(() => undefined);
    return runs;
}

/**
 * Run in the consumer's folder: every entry point loads (each prints its export count; the image's
 * needs the optional @pulumi/docker, which the consumer did not install, and says so), a path
 * inside the package that no entry point names is refused as Node refuses it (aws-cdk-lib's
 * import shield), and the pack folder's entry is compiled JavaScript.
 */
const SHIELD_SCRIPT = [
    'for (const e of ["", "/catalog", "/policies", "/policy-testing", "/policy-fixtures", "/testing"])',
    '  console.log("llm-platform" + e, Object.keys(require("llm-platform" + e)).length);',
    'try { require("llm-platform/image"); } catch (e) { console.log(e.message); }',
    'try { require("llm-platform/dist/components/aws/gpuNodePool"); console.log("deep import allowed"); }',
    "catch (e) { console.log(e.code); }",
    'console.log(require("llm-platform/package.json").version);',
].join(" ");
