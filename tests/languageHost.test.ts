/**
 * The offline engine behaves as the Pulumi CLI (v3.248) where a stack's fate is decided before the
 * cloud is asked anything: config validation (`mergeConfig`, `Project.Validate`), how the
 * Node.js language host launches the program, how errors reach the user, and what a first
 * preview knows. Expected texts are the CLI's own (docs/UPSTREAM.md gives the sources).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { plan } from "../tools/cli/plan";
import { DEFAULT_PARALLEL, languageHostCommand, splitArgs, stripPulumiRunEnv } from "../tools/engine/host";
import { programLocation, readProject } from "../tools/engine/project";
import { missingKeysMessage, readStackConfig } from "../tools/engine/stackConfig";
import { UsageError } from "../tools/errors";
import { program } from "../stacks/program";
import { ProgramError, runProgram, runStack, type RunResult } from "../tools/engine/run";
import { UNKNOWN_VALUE, type ExportedResource } from "../tools/engine/stackExport";
import { find, PROJECT_DIR, scratchProject } from "./helpers";
import { NO_COVERAGE, planOf } from "./plans";

/** A scratch project whose Pulumi.yaml and one stack file are given. */
function project(pulumiYaml: string, stackYaml: string, stack = "dev"): string {
    const dir = scratchProject();
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), pulumiYaml);
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackYaml);
    return dir;
}

const refusal = (message: string) => (e: unknown) => e instanceof UsageError && e.message === message;

describe("offline engine: stack config validated as the Pulumi CLI validates it", () => {
    const HEADER = "name: llm-platform\nruntime: nodejs\nconfig:\n";

    it("accepts the shipped stacks, whose files set every declared key", () => {
        const proj = readProject(PROJECT_DIR);
        for (const stack of ["staging", "prod", "ecs"]) {
            const cfg = readStackConfig(PROJECT_DIR, proj, stack);
            assert.equal(cfg.values["llm-platform:tier"], stack === "prod" ? "prod" : "staging", stack);
        }
    });

    it("refuses a stack that leaves a declared key without default unset, in the CLI's words", () => {
        const dir = project(
            `${HEADER}  llm-platform:tier:\n    type: string\n  owner:\n    type: string\n  llm-platform:costCenter:\n    type: string\n  aws:region:\n    value: us-east-1\n`,
            "config:\n  llm-platform:owner: team\n",
        );
        assert.throws(
            () => readStackConfig(dir, readProject(dir), "dev"),
            refusal(
                "validating stack config: Stack 'dev' is missing configuration values 'llm-platform:costCenter' and 'llm-platform:tier' (set them in Pulumi.dev.yaml or with `pulumi config set`)",
            ),
        );
        // The stack before this fix: Pulumi.yaml declared protectStatefulResources and the files did not set it.
        const before = project(
            `${HEADER}  llm-platform:tier:\n    type: string\n  llm-platform:protectStatefulResources:\n    type: boolean\n`,
            "config:\n  aws:region: us-east-1\n",
            "staging",
        );
        assert.throws(
            () => readStackConfig(before, readProject(before), "staging"),
            refusal(
                "validating stack config: Stack 'staging' is missing configuration values 'llm-platform:protectStatefulResources' and 'llm-platform:tier' (set them in Pulumi.staging.yaml or with `pulumi config set`)",
            ),
        );
    });

    it("words missing keys as the CLI does (its project_test.go cases)", () => {
        assert.equal(missingKeysMessage("dev", ["values"]), "Stack 'dev' is missing configuration value 'values'");
        assert.equal(
            missingKeysMessage("dev", ["values", "another"]),
            "Stack 'dev' is missing configuration values 'another' and 'values'",
        );
        assert.equal(
            missingKeysMessage("dev", ["world", "hello", "values"]),
            "Stack 'dev' is missing configuration values 'hello', 'values' and 'world'",
        );
    });

    it("applies declared defaults and values, and checks declared types", () => {
        const decl =
            `${HEADER}  replicas:\n    type: integer\n  debug:\n    type: boolean\n  zones:\n    type: array\n    items:\n      type: string\n` +
            "  labels:\n    type: object\n  region:\n    type: string\n    default: eu-west-1\n  aws:profile:\n    value: ci\n  size: 3\n";
        const ok = project(decl, "config:\n  replicas: 2\n  debug: true\n  zones: [a, b]\n  labels: {team: ml}\n");
        assert.deepEqual(readStackConfig(ok, readProject(ok), "dev").values, {
            "aws:profile": "ci",
            "llm-platform:debug": "true",
            "llm-platform:labels": '{"team":"ml"}',
            "llm-platform:region": "eu-west-1",
            "llm-platform:replicas": "2",
            "llm-platform:size": "3",
            "llm-platform:zones": '["a","b"]',
        });
        const cases: Array<[string, string]> = [
            ["replicas: three", "integer"],
            ["replicas: 1.5", "integer"],
            ["debug: yes", "boolean"],
            ["zones: [a, 1]", "array<string>"],
            ["labels: [a]", "object"],
            ["region: {a: 1}", "string"],
            // An empty YAML value is null (the JSON text "null" with the object flag), not a string.
            ["region:", "string"],
        ];
        for (const [line, type] of cases) {
            const valid = "config:\n  replicas: 2\n  debug: true\n  zones: [a]\n  labels: {a: b}\n";
            const key = line.split(":")[0];
            const lines = valid.split("\n").filter((l) => !l.startsWith(`  ${key}:`));
            const dir = project(decl, [...lines.filter((l) => l), `  ${line}`, ""].join("\n"));
            assert.throws(
                () => readStackConfig(dir, readProject(dir), "dev"),
                refusal(
                    `validating stack config: Stack 'dev' with configuration key '${key}' must be of type '${type}'`,
                ),
                line,
            );
        }
    });

    it("requires a secret declaration to be encrypted, and refuses a project file the CLI refuses", () => {
        const secret = project(`${HEADER}  token:\n    type: string\n    secret: true\n`, "config:\n  token: plain\n");
        assert.throws(
            () => readStackConfig(secret, readProject(secret), "dev"),
            refusal(
                "validating stack config: Stack 'dev' with configuration key 'token' must be encrypted as it's secret",
            ),
        );
        const refused: Array<[string, string]> = [
            [
                "  a:\n    type: string\n    default: x\n    value: y\n",
                "project config 'a' cannot have both a 'default' and 'value' attribute",
            ],
            [
                "  aws:region:\n    type: string\n",
                "Configuration key 'aws:region' is not namespaced by the project and should not define a type",
            ],
            [
                "  aws:region:\n    default: x\n",
                "Configuration key 'aws:region' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?",
            ],
            [
                "  zones:\n    type: array\n",
                "The configuration key 'zones' declares an array but does not specify the underlying type via the 'items' attribute",
            ],
            [
                "  n:\n    type: integer\n    default: many\n",
                "The default value specified for configuration key 'n' is not of the expected type 'integer'",
            ],
        ];
        for (const [body, message] of refused) {
            const dir = project(`${HEADER}${body}`, "config: {}\n");
            assert.throws(() => readProject(dir), refusal(message), body);
        }
        const python = project("name: llm-platform\nruntime: python\n", "config: {}\n");
        assert.throws(
            () => readProject(python),
            refusal(
                `${path.join(python, "Pulumi.yaml")}: runtime must be nodejs (the offline engine runs Node.js programs), received "python"`,
            ),
        );
    });
});

describe("offline engine: the program launched as the Node.js language host launches it", () => {
    it("runs node with Pulumi.yaml's nodeargs on the SDK's cmd/run, the host's flags, config and folder", () => {
        const proj = readProject(PROJECT_DIR);
        const launch = languageHostCommand({
            project: proj,
            stack: "staging",
            config: { "aws:region": "us-east-1", "llm-platform:tier": "staging" },
            secretKeys: ["llm-platform:tags"],
            address: "127.0.0.1:4242",
            dryRun: true,
        });
        assert.deepEqual(launch.argv, [
            "--require",
            "../tools/typescript.cjs",
            require.resolve("@pulumi/pulumi/cmd/run", { paths: [path.join(PROJECT_DIR, "stacks")] }),
            "--monitor",
            "127.0.0.1:4242",
            "--engine",
            "127.0.0.1:4242",
            "--organization",
            "organization",
            "--project",
            "llm-platform",
            "--root-directory",
            PROJECT_DIR,
            "--stack",
            "staging",
            "--pwd",
            path.join(PROJECT_DIR, "stacks"),
            "--dry-run",
            "--parallel",
            String(DEFAULT_PARALLEL),
            "index.ts",
        ]);
        assert.equal(launch.cwd, path.join(PROJECT_DIR, "stacks"));
        assert.deepEqual(launch.env, {
            PULUMI_CONFIG: '{"aws:config:region":"us-east-1","llm-platform:config:tier":"staging"}',
            PULUMI_CONFIG_SECRET_KEYS: '["llm-platform:tags"]',
        });
    });

    it("passes the user's environment on, but not the settings cmd/run hands to nested SDK copies", () => {
        assert.deepEqual(
            stripPulumiRunEnv({
                HOME: "/home/u",
                PULUMI_NODEJS_TRANSPILE_ONLY: "true",
                PULUMI_NODEJS_PROJECT: "outer",
                PULUMI_NODEJS_STACK: "outer",
                PULUMI_CONFIG: "{}",
                PULUMI_CONFIG_SECRET_KEYS: "[]",
                PULUMI_ACCESS_TOKEN: "t",
            }),
            { HOME: "/home/u", PULUMI_NODEJS_TRANSPILE_ONLY: "true", PULUMI_ACCESS_TOKEN: "t" },
        );
    });

    it("splits nodeargs as the language host's shlex does", () => {
        assert.deepEqual(splitArgs("--import tsx"), ["--import", "tsx"]);
        assert.deepEqual(splitArgs(`  --a "b c"  'd e' f\\ g --h=""`), ["--a", "b c", "d e", "f g", "--h="]);
        assert.throws(() => splitArgs('--a "b'), { name: "UsageError", message: 'nodeargs: unclosed " in "--a \\"b"' });
    });

    it("runs a main file in its folder and a main folder in itself, as the CLI's getPwdMain", () => {
        const dir = scratchProject();
        const at = (main: string) => programLocation({ ...readProject(dir), main: path.join(dir, main) });
        assert.deepEqual(at("stacks/index.ts"), { pwd: path.join(dir, "stacks"), entryPoint: "index.ts" });
        assert.deepEqual(at("stacks"), { pwd: path.join(dir, "stacks"), entryPoint: "." });
        assert.throws(() => at("nope.ts"), {
            message: `project 'main' could not be read: ${path.join(dir, "nope.ts")}: ENOENT`,
        });
    });
});

/** A copy of the project whose entry point is `program`. */
function withProgram(program: string): string {
    const dir = scratchProject();
    fs.writeFileSync(path.join(dir, "stacks", "index.ts"), program);
    return dir;
}

/** What a program that fails reports, run as the CLI runs it. */
async function failing(program: string): Promise<ProgramError> {
    try {
        await runStack({ projectDir: withProgram(program), stack: "staging", mode: "update", env: NO_COVERAGE });
    } catch (e) {
        assert.ok(e instanceof ProgramError, String(e));
        return e;
    }
    assert.fail("the program should have failed");
}

describe("offline engine: errors reach the user as their message", function () {
    this.timeout(120_000);
    let component: ProgramError;
    let unexpected: ProgramError;
    let chatty: string;
    before(async () => {
        const talking = withProgram(
            [
                'import * as pulumi from "@pulumi/pulumi";',
                "export = () => {",
                '    console.log("loading weights manifest");',
                '    pulumi.log.warn("no model version pinned; using latest");',
                "    return {};",
                "};",
                "",
            ].join("\n"),
        );
        let printed = "";
        const planned = plan(
            ["--stack", "staging", "--project", talking],
            () => undefined,
            (s) => (printed += s),
            (options) => runStack({ ...options, env: NO_COVERAGE }),
        ).then(() => (chatty = printed));
        [component, unexpected] = await Promise.all([
            failing(
                [
                    'import "./stackTraces";',
                    'import { ContainerRegistry } from "../components/aws/containerRegistry";',
                    "export = () => {",
                    '    new ContainerRegistry("images", { untaggedExpireDays: 0 });',
                    "};",
                    "",
                ].join("\n"),
            ),
            failing(
                [
                    'import "./stackTraces";',
                    "export = () => {",
                    "    const settings: Record<string, { replicas: number }> = {};",
                    "    return { replicas: settings.serving.replicas };",
                    "};",
                    "",
                ].join("\n"),
            ),
        ]);
        await planned;
    });

    it("a program's warnings and what it prints reach the user, as `pulumi preview` shows them", () => {
        assert.equal(
            chatty,
            "warning: no model version pinned; using latest\nprogram output:\nloading weights manifest\n",
        );
    });

    it("a component's refusal is the component's message, tied to its URN, without a stack trace", () => {
        assert.equal(component.configuration, false);
        assert.equal(
            component.message,
            'ContainerRegistry "images": invalid arguments:\n  untaggedExpireDays: expected an integer between 1 and 365, received 0',
        );
        assert.deepEqual(
            component.diagnostics.filter((d) => d.severity === "error").map((d) => d.urn),
            ["urn:pulumi:staging::llm-platform::llm-platform:aws:ContainerRegistry::images"],
        );
    });

    it("an unexpected error names the TypeScript line it happened on and only real files", () => {
        assert.equal(unexpected.configuration, false);
        const lines = unexpected.message.split("\n");
        assert.match(lines[0], /^Running program '.*\/stacks\/index\.ts' failed with an unhandled exception:$/);
        assert.equal(lines[1], "TypeError: Cannot read properties of undefined (reading 'replicas')");
        assert.match(lines[2], /^ {4}at .*\/stacks\/index\.ts:4:41\)$/);
        // Frames of dependencies are printed as V8 reports them: no invented `node_modules/@pulumi/x.ts`
        // paths (on which Node 20.20's util.inspect spends a minute, docs/UPSTREAM.md).
        for (const frame of lines.filter((l) => l.includes("node_modules")))
            assert.match(frame, /node_modules\/@?[\w.-]+(\/[\w.-]+)*\.js:\d+:\d+\)?$/, frame);
    });
});

/** Every string leaf that is the preview's unknown, by path. */
function unknownPaths(value: unknown, at = ""): string[] {
    if (value === UNKNOWN_VALUE) return [at];
    if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, `${at}[${i}]`));
    if (typeof value === "object" && value !== null)
        return Object.entries(value).flatMap(([k, v]) => unknownPaths(v, at ? `${at}.${k}` : k));
    return [];
}

describe("offline engine: the stack program's own stack traces", () => {
    it("maps this project's frames to their TypeScript line and prints other frames as V8 does", () => {
        // Loading the entry point installs the program's formatter; the test process keeps its own.
        const saved = Error.prepareStackTrace;
        let entry: unknown;
        let traces: typeof import("../stacks/stackTraces");
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            entry = require("../stacks/index");
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            traces = require("../stacks/stackTraces") as typeof import("../stacks/stackTraces");
            assert.equal(Error.prepareStackTrace, traces.prepareStackTrace);
        } finally {
            Error.prepareStackTrace = saved;
        }
        assert.equal(typeof entry, "function", "the CLI calls the entry point's export");
        const inDependency = path.join(PROJECT_DIR, "node_modules", "@pulumi", "pulumi", "resource.js");
        assert.equal(traces.framePosition(inDependency, 10, 5), `${inDependency}:10:5`);
        const elsewhere = "/opt/other/index.js";
        assert.equal(traces.framePosition(elsewhere, 3, 1), `${elsewhere}:3:1`);
        // A module of this project loaded by tools/typescript.cjs (the test process has Node's source maps on for it).
        const here = path.join(PROJECT_DIR, "tests", "languageHost.test.ts");
        const mapped = traces.framePosition(here, 1, 1);
        assert.match(mapped, new RegExp(`^${here.replace(/[.]/g, "\\.")}:\\d+:\\d+$`));
        const error = new TypeError("boom");
        const text = traces.prepareStackTrace(error, [
            {
                toString: () => `f (${inDependency}:10:5)`,
                getFileName: () => inDependency,
                getLineNumber: () => 10,
                getColumnNumber: () => 5,
            } as unknown as NodeJS.CallSite,
        ]);
        assert.equal(text, `TypeError: boom\n    at f (${inDependency}:10:5)`);
        // The stack the SDK's promise tracker takes for each promise: its first line only, unless
        // PULUMI_DEBUG_PROMISE_LEAKS asks for the leak report's stacks.
        const debuggable = path.join(PROJECT_DIR, "node_modules", "@pulumi", "pulumi", "runtime", "debuggable.js");
        const sites = [
            {
                toString: () => `debuggablePromise (${debuggable}:85:80)`,
                getFileName: () => debuggable,
                getLineNumber: () => 85,
                getColumnNumber: () => 80,
            },
            {
                toString: () => `f (${inDependency}:10:5)`,
                getFileName: () => inDependency,
                getLineNumber: () => 10,
                getColumnNumber: () => 5,
            },
        ] as unknown as NodeJS.CallSite[];
        const leaks = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
        try {
            delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
            assert.equal(
                traces.prepareStackTrace(new Error(), sites),
                "Error\n    at debuggablePromise (set PULUMI_DEBUG_PROMISE_LEAKS for the whole stack)",
            );
            process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
            assert.equal(
                traces.prepareStackTrace(new Error(), sites),
                `Error\n    at debuggablePromise (${debuggable}:85:80)\n    at f (${inDependency}:10:5)`,
            );
        } finally {
            if (leaks === undefined) delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
            else process.env.PULUMI_DEBUG_PROMISE_LEAKS = leaks;
        }
    });
});

describe("offline engine: the preview and update views", () => {
    let preview: RunResult;
    let update: RunResult;
    before(async () => {
        [preview, update] = await Promise.all([planOf("prod", "preview"), planOf("prod", "update")]);
    });

    it("the stack's program run inline (as the Automation API runs one) registers exactly what the process registers", async () => {
        const proj = readProject(PROJECT_DIR);
        const cfg = readStackConfig(PROJECT_DIR, proj, "prod");
        // In the program's folder, as the language host runs it (the image's build context is relative to it).
        const cwd = process.cwd();
        process.chdir(path.join(PROJECT_DIR, "stacks"));
        let inline: Omit<RunResult, "environments">;
        try {
            inline = await runProgram({
                project: proj.name,
                stack: "prod",
                config: cfg.values,
                secretKeys: cfg.secretKeys,
                mode: "update",
                program: () => program(),
            });
        } finally {
            process.chdir(cwd);
        }
        const withoutPositions = (r: Omit<RunResult, "environments">) =>
            r.export.deployment.resources.map(({ sourcePosition: _position, ...rest }) => rest);
        assert.deepEqual(withoutPositions(inline), withoutPositions(update));
        assert.deepEqual(inline.outputs, update.outputs);
    });

    it("registers the same resources with the same dependencies in both views", () => {
        const shape = (r: RunResult) =>
            r.export.deployment.resources.map((x) => ({
                urn: x.urn,
                parent: x.parent,
                dependencies: x.dependencies,
                propertyDependencies: x.propertyDependencies,
                protect: x.protect,
            }));
        assert.deepEqual(shape(preview), shape(update));
    });

    it("leaves what AWS computes unknown in a preview, and knows the names Pulumi gives", () => {
        const bucket = (r: RunResult): ExportedResource => find(r.export, "aws:s3/bucket:Bucket", "models-bucket");
        assert.equal(bucket(preview).id, undefined);
        assert.equal(bucket(preview).outputs?.arn, UNKNOWN_VALUE);
        assert.match(String(bucket(preview).outputs?.bucket), /^models-bucket-[0-9a-f]{7}$/);
        assert.equal(bucket(preview).outputs?.bucket, bucket(update).id);
        assert.equal(find(preview.export, "aws:kms/key:Key", "models-key").outputs?.arn, UNKNOWN_VALUE);
        // The bucket's configuration names it by name, so it is known and the pack can match it.
        const versioning = find(preview.export, "aws:s3/bucketVersioning:BucketVersioning", "models-versioning");
        assert.equal(versioning.inputs?.bucket, bucket(update).id);
        for (const r of preview.export.deployment.resources.filter((x) => x.custom))
            assert.equal(r.id, undefined, `${r.urn} has no id before it is created`);
    });

    it("knows every workload's shape in a preview: only the image built in the same update is unknown", () => {
        const workloads = preview.export.deployment.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
        assert.equal(workloads.length, 7, "two colours of each of the three models, and the model registry's server");
        for (const w of workloads) {
            // The registry's server also reads the database's address, which RDS gives on create.
            const registry = w.urn.endsWith("::registry-server");
            assert.deepEqual(
                unknownPaths(w.inputs),
                registry
                    ? [
                          "spec.template.spec.containers[0].env[1].value",
                          "spec.template.spec.containers[0].image",
                          // Its schema init container: the same image and database.
                          "spec.template.spec.initContainers[0].env[1].value",
                          "spec.template.spec.initContainers[0].image",
                      ]
                    : ["spec.template.spec.containers[0].image"],
                w.urn,
            );
            const container = (w.inputs?.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } })
                .template.spec.containers[0];
            for (const field of ["livenessProbe", "readinessProbe", "startupProbe", "resources", "securityContext"])
                assert.equal(typeof container[field], "object", `${w.urn} ${field}`);
        }
    });

    it("sends no invoke whose arguments are unknown in a preview, as the SDK does", () => {
        const token = "aws:ecr/getAuthorizationToken:getAuthorizationToken";
        assert.ok(update.invokes.includes(token));
        assert.ok(!preview.invokes.includes(token), "the registry id is unknown until the registry exists");
    });

    it("records where the program created each resource, at the TypeScript line and column", () => {
        // The SDK records the first frame that names a function and a file, as V8 formats it; a
        // resource created in an anonymous callback (a loop's \`map\`) has none, with the CLI too.
        const positioned = update.export.deployment.resources.filter((r) => r.sourcePosition);
        assert.ok(positioned.length > 60, `${positioned.length} resources have a position`);
        const lines = new Map<string, string[]>();
        for (const r of positioned) {
            const m = /^project:\/\/\/(.+)#(\d+),(\d+)$/.exec(r.sourcePosition!);
            assert.ok(m, r.sourcePosition);
            const [, file, line, column] = m;
            if (!lines.has(file)) lines.set(file, fs.readFileSync(path.join(PROJECT_DIR, file), "utf8").split("\n"));
            const text = lines.get(file)![Number(line) - 1].slice(Number(column) - 1);
            assert.match(text, /^new [\w.]+\(/, `${r.urn} at ${r.sourcePosition}: ${text}`);
        }
        assert.match(
            find(update.export, "aws:s3/bucket:Bucket", "models-bucket").sourcePosition!,
            /^project:\/\/\/components\/aws\/hardenedBucket\.ts#\d+,\d+$/,
        );
    });
});
