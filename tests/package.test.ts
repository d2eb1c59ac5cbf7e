/**
 * The package as another team installs it (issue 28): the tarball's contents and shape (publint,
 * arethetypeswrong, the import shield, runtime dependencies declared), and the examples and a
 * consumer program installed from the tarball alone, type-checked with Pulumi's stock tsconfigs,
 * planned and gated with the package's bin, and unit-tested with setMocks. The runs are processes
 * started by the root hook (tests/packageRuns.ts).
 */
import * as assert from "node:assert/strict";
import { builtinModules } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR, VERSION } from "./helpers";
import { CONSUMER, PACK_EXAMPLE, packageRuns, PROGRAM_EXAMPLES, README_PROGRAM, unionManifest } from "./packageRuns";
import type { Ran } from "./readmeRuns";

const ok = (r: Ran): void => assert.equal(r.code, 0, `${r.command}\n${r.stdout}${r.stderr}`);
const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as {
    files: string[];
    bin: Record<string, string>;
    exports: Record<string, string | { types: string; require: string; default: string }>;
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional: boolean }>;
    devDependencies: Record<string, string>;
    typesVersions: Record<string, Record<string, string[]>>;
};

/** Every file under `dir`, relative to it. */
function walk(dir: string, base = dir): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        return e.isDirectory() ? walk(full, base) : [path.relative(base, full)];
    });
}

/** A file's text without its comments (so that an example in a doc comment is no import). */
const code = (file: string): string =>
    fs
        .readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");

/** The package a module specifier names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (specifier: string): string =>
    specifier
        .split("/")
        .slice(0, specifier.startsWith("@") ? 2 : 1)
        .join("/");

describe("the package as another team installs it", function () {
    // Each run is a process in a background slot; the slowest, the install, takes a while on a cold cache.
    this.timeout(600_000);
    const runs = packageRuns();
    const installed = path.join(runs.dir, "node_modules", "llm-platform");

    it("packs only what a consumer needs: compiled JavaScript and declarations, the pack, the CI scripts, the images, the docs", async () => {
        const { files, size, unpackedSize } = await runs.packed;
        const allowed =
            /^(dist\/.+\.(js|d\.ts|json)|pack\/.+|ci\/[a-z-]+\.sh|images\/(inference|mlflow)\/.+|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/;
        assert.deepEqual(
            files.filter((f) => !allowed.test(f)),
            [],
        );
        assert.deepEqual(
            files.filter((f) => /^dist\/(tests|stacks|tools\/bench)\/|\.map$/.test(f)),
            [],
        );
        for (const f of [
            "LICENSE",
            "CHANGELOG.md",
            "README.md",
            "pack/PulumiPolicy.yaml",
            "pack/config/prod.json",
            // The scripts the reusable workflows run, from the version a project installs.
            "ci/offline-gate.sh",
            "ci/pulumi-stack.sh",
            "ci/post-comment.sh",
        ])
            assert.ok(files.includes(f), f);
        // Every entry point and the bin are in it.
        for (const target of Object.values(pkg.exports).flatMap((e) =>
            typeof e === "string" ? [e] : [e.types, e.require],
        ))
            assert.ok(files.includes(target.replace(/^\.\//, "")), target);
        assert.ok(files.includes(pkg.bin["llm-platform"]));
        assert.ok(size < 725_000 && unpackedSize < 2_700_000, `${size} bytes packed, ${unpackedSize} unpacked`);
    });

    it("passes publint (strict) and arethetypeswrong on every entry point, under node10, node16 and bundler", async () => {
        const publint = await runs.publint;
        ok(publint);
        assert.match(publint.stdout, /All good!/);
        const attw = await runs.attw;
        const report = JSON.parse(attw.stdout) as {
            problems: Record<string, unknown>;
            analysis: { entrypoints: Record<string, { resolutions: Record<string, { resolution?: unknown }> }> };
        };
        assert.deepEqual(report.problems, {});
        assert.deepEqual(Object.keys(report.analysis.entrypoints).sort(), Object.keys(pkg.exports).sort());
        for (const [entry, e] of Object.entries(report.analysis.entrypoints))
            for (const kind of ["node10", "node16-cjs", "node16-esm", "bundler"])
                assert.ok(e.resolutions[kind]?.resolution, `${entry} does not resolve under ${kind}`);
    });

    it("requires at run time only its dependencies, peer dependencies and Node's modules", async () => {
        await runs.installed;
        const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
        const builtins = new Set(builtinModules);
        const undeclared = walk(path.join(installed, "dist"))
            .filter((f) => f.endsWith(".js"))
            .flatMap((f) =>
                [...code(path.join(installed, "dist", f)).matchAll(/require\("([^".][^"]*)"\)/g)].map((m) => [f, m[1]]),
            )
            .filter(([, s]) => !builtins.has(s.replace(/^node:/, "")) && !declared.has(packageOf(s)));
        assert.deepEqual(undeclared, []);
        // What a consumer of the components alone loads: no TypeScript loader, no dev tool.
        assert.deepEqual(Object.keys(pkg.dependencies).sort(), [
            "@grpc/grpc-js",
            "ajv",
            "google-protobuf",
            "js-yaml",
            "zod",
        ]);
        assert.deepEqual(pkg.peerDependenciesMeta, { "@pulumi/docker": { optional: true } });
        // Peers are ranges, tested at their floor: the dev dependency pins exactly the lowest version the range allows.
        for (const [name, range] of Object.entries(pkg.peerDependencies))
            assert.equal(`^${pkg.devDependencies[name]}`, range, name);
    });

    it("declares public types that reach only its peer dependencies (never zod's, which need node16 resolution)", async () => {
        await runs.installed;
        for (const [entry, e] of Object.entries(pkg.exports)) {
            if (typeof e === "string") continue;
            const seen = new Set<string>();
            const external = new Set<string>();
            const queue = [path.join(installed, e.types)];
            while (queue.length > 0) {
                const file = queue.pop()!;
                if (seen.has(file)) continue;
                seen.add(file);
                for (const m of code(file).matchAll(/(?:from|import\()\s*"([^"]+)"/g)) {
                    if (!m[1].startsWith(".")) external.add(packageOf(m[1]));
                    else
                        queue.push(
                            [".d.ts", "/index.d.ts"]
                                .map((x) => path.join(path.dirname(file), m[1]) + x)
                                .find((f) => fs.existsSync(f))!,
                        );
                }
            }
            assert.deepEqual(
                [...external].filter((x) => !(x in pkg.peerDependencies)),
                [],
                entry,
            );
        }
    });

    it("loads each entry point, refuses paths no entry point names, and runs its bin", async () => {
        const r = await runs.shield;
        ok(r);
        const lines = r.stdout.trim().split("\n");
        assert.deepEqual(
            lines.slice(0, 6).map((l) => l.split(" ")[0]),
            [
                "llm-platform",
                "llm-platform/catalog",
                "llm-platform/policies",
                "llm-platform/policy-testing",
                "llm-platform/policy-fixtures",
                "llm-platform/testing",
            ],
        );
        assert.equal(
            lines[6],
            "llm-platform/image builds with @pulumi/docker, which is not installed: npm install @pulumi/docker@^5.2.0",
        );
        assert.deepEqual(lines.slice(7, 10), ["ERR_PACKAGE_PATH_NOT_EXPORTED", VERSION, VERSION]);
        assert.match(r.stdout, /usage: llm-platform <command> \[arguments\]/);
        for (const c of ["plan", "policy", "diff", "comment", "promote"])
            assert.match(r.stdout, new RegExp(`^usage: llm-platform ${c} `, "m"), c);
    });

    it("examples/: each program example has its Pulumi project, stack file, tsconfig, unit test and README, listed in the index", () => {
        const index = fs.readFileSync(path.join(PROJECT_DIR, "examples", "README.md"), "utf8");
        for (const e of [...PROGRAM_EXAMPLES, PACK_EXAMPLE]) {
            const dir = path.join(PROJECT_DIR, "examples", e);
            const needs = e === PACK_EXAMPLE ? ["PulumiPolicy.yaml"] : ["Pulumi.yaml", "Pulumi.dev.yaml"];
            for (const f of [...needs, "package.json", "tsconfig.json", "index.ts", "README.md"])
                assert.ok(fs.existsSync(path.join(dir, f)), `${e}/${f}`);
            assert.ok(
                fs.readdirSync(path.join(dir, "test")).some((f) => f.endsWith(".test.ts")),
                `${e}/test`,
            );
            assert.match(index, new RegExp(`\\]\\(\\./${e}/?\\)`), `examples/README.md links ${e}`);
        }
        // One tsconfig for the programs: Pulumi's current TypeScript template's compiler options.
        const options = PROGRAM_EXAMPLES.map(
            (e) =>
                (
                    JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "examples", e, "tsconfig.json"), "utf8")) as {
                        compilerOptions: unknown;
                    }
                ).compilerOptions,
        );
        for (const o of options) assert.deepEqual(o, TEMPLATE_NODENEXT);
        // One set of dependencies: installing the union is installing each.
        assert.doesNotThrow(() =>
            unionManifest(
                Object.fromEntries(
                    [...PROGRAM_EXAMPLES, PACK_EXAMPLE].map((e) => [
                        e,
                        JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "examples", e, "package.json"), "utf8")),
                    ]),
                ),
                "x.tgz",
            ),
        );
    });

    it("type-checks the examples with Pulumi's current template tsconfig (nodenext), without errors", async () => {
        const r = await runs.typecheckExamples;
        assert.equal(`${r.stdout}${r.stderr}`, "");
        ok(r);
    });

    it("type-checks a consumer with Pulumi's older stock tsconfig (moduleResolution node, no esModuleInterop, no skipLibCheck)", async () => {
        const tsconfig = JSON.parse(
            fs.readFileSync(path.join(PROJECT_DIR, "tests", "fixtures", CONSUMER, "tsconfig.json"), "utf8"),
        ) as { compilerOptions: unknown };
        assert.deepEqual(tsconfig.compilerOptions, TEMPLATE_NODE10);
        const r = await runs.typecheckConsumer;
        assert.equal(`${r.stdout}${r.stderr}`, "");
        ok(r);
        // The packs (Pulumi's policy template tsconfig; skipLibCheck, for @pulumi/policy 1.21's own declarations).
        for (const p of await runs.typecheckPacks) {
            assert.equal(`${p.stdout}${p.stderr}`, "");
            ok(p);
        }
    });

    for (const folder of [...PROGRAM_EXAMPLES, CONSUMER, README_PROGRAM])
        it(`${folder === README_PROGRAM ? "the README's first screen" : folder}: plans with the package's bin, and passes ${folder === CONSUMER ? "its own pack (two of ours and its policy)" : "the production pack at prod's config"} with no mandatory violation`, async () => {
            const { plan, gate } = await runs.plans[folder];
            ok(plan);
            assert.match(plan.stdout, /Wrote the stack export document to plan\.json/);
            ok(gate);
            const result = JSON.parse(fs.readFileSync(path.join(runs.dir, folder, "gate.json"), "utf8")) as {
                packs: Array<{ name: string }>;
                policies: Array<{ name: string }>;
                violations: Array<{ level: string }>;
            };
            assert.deepEqual(
                result.violations.filter((v) => v.level === "mandatory"),
                [],
            );
            if (folder === CONSUMER)
                assert.deepEqual(
                    result.policies.map((p) => p.name),
                    ["k8s-run-as-non-root", "k8s-probes", "consumer-gpu-pools-scale-to-zero"],
                );
            else
                assert.deepEqual(
                    result.packs.map((p) => p.name),
                    ["llm-production-standards"],
                );
        });

    it("security-pack: a team's pack beside ours, each with its config; only the team's own policy finds violations", async () => {
        const r = await runs.securityGate;
        assert.equal(r.code, 1, r.stderr);
        const result = JSON.parse(r.stdout) as {
            packs: Array<{ name: string }>;
            violations: Array<{ pack: string; policy: string; level: string; message: string }>;
        };
        assert.deepEqual(
            result.packs.map((p) => p.name),
            ["acme-llm", "llm-production-standards"],
        );
        const mandatory = result.violations.filter((v) => v.level === "mandatory");
        assert.ok(mandatory.length > 0);
        assert.deepEqual(
            [...new Set(mandatory.map((v) => `${v.pack} ${v.policy} ${v.message}`))],
            ['acme-llm acme-owner-is-a-team Owner "ml-platform" is not a team (team-<name>)'],
        );
    });

    for (const folder of [...PROGRAM_EXAMPLES, PACK_EXAMPLE, CONSUMER])
        it(`${folder}: its unit tests pass`, async () => {
            const r = await runs.unitTests[folder];
            ok(r);
            assert.match(r.stdout, /\d+ passing/);
            assert.doesNotMatch(r.stdout, /failing|pending/);
        });
});

/** Pulumi's TypeScript templates' compiler options (pulumi/templates, aws-typescript/tsconfig.json). */
const TEMPLATE_COMMON = {
    strict: true,
    outDir: "bin",
    target: "es2020",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
};
/** Since 2026-03 (81e65225, "Use moduleResolution: nodenext"). */
const TEMPLATE_NODENEXT = { ...TEMPLATE_COMMON, module: "nodenext", moduleResolution: "nodenext" };
/** Before (a3029400, 2024-04): what most existing projects have. */
const TEMPLATE_NODE10 = { ...TEMPLATE_COMMON, module: "commonjs", moduleResolution: "node" };
