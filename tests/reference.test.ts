/**
 * docs/reference/, the API reference TypeDoc generates from the entry points' types and JSDoc
 * (tools/docs/reference.ts): committed as `npm run docs` writes it, file by file, and complete
 * enough to be read.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ENTRY_POINTS, REFERENCE_DIR, treeDifferences } from "../tools/docs/reference";
import { PROJECT_DIR } from "./helpers";
import { generatedReference } from "./referenceRun";

const page = (file: string): string => fs.readFileSync(path.join(REFERENCE_DIR, file), "utf8");

describe("the API reference (docs/reference/)", () => {
    it("is what `npm run docs` writes now, byte for byte, file by file, and TypeDoc warns of nothing", async function () {
        this.timeout(300_000); // started by the root hook; under a loaded suite it takes longer than alone
        const { dir, ran } = await generatedReference();
        assert.equal(ran.code, 0, `tools/docs/reference.ts failed:\n${ran.stderr}${ran.stdout}`);
        const differences = treeDifferences(REFERENCE_DIR, dir);
        assert.deepEqual(
            differences,
            [],
            `docs/reference/ is out of date (run \`npm run docs\`):\n${differences.map((d) => `  ${d}`).join("\n")}`,
        );
        // A warning is a symbol the reference names but does not document (export it) or a broken {@link}.
        assert.equal(ran.stderr, "", "TypeDoc's warnings");
    });

    it("documents one module per entry point of package.json's exports, named by its import path", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as {
            exports: Record<string, string | { types: string }>;
        };
        const fromExports = Object.entries(pkg.exports)
            .filter((e): e is [string, { types: string }] => typeof e[1] === "object")
            .map(([entry, target]) => [
                entry === "." ? "llm-platform" : `llm-platform/${entry.slice(2)}`,
                target.types.replace(/^\.\/dist\//, "").replace(/\.d\.ts$/, ".ts"),
            ]);
        assert.deepEqual(Object.entries(ENTRY_POINTS), fromExports);
    });

    it("has an index (README.md, shown by GitHub) that links each module's page", () => {
        const index = page("README.md");
        // It opens with the intro (where the examples and the children are), then lists the modules.
        const intro = fs.readFileSync(path.join(PROJECT_DIR, "tools", "docs", "referenceIntro.md"), "utf8");
        assert.ok(
            index.startsWith(`${intro.trimEnd()}\n\n## Modules\n`),
            "the index opens with tools/docs/referenceIntro.md",
        );
        for (const module of Object.keys(ENTRY_POINTS)) {
            assert.ok(index.includes(`| [${module}](${module}/README.md) |`), `the index lists ${module}`);
            assert.ok(page(`${module}/README.md`).startsWith(`# ${module}\n`), `${module}'s page`);
        }
    });

    it("shows a component's arguments, their descriptions and defaults, and its outputs", () => {
        const component = page("llm-platform/classes/BlueGreenEksService.md");
        assert.ok(component.startsWith("# Class: BlueGreenEksService\n"));
        assert.ok(
            component.includes("| `given` | [`BlueGreenEksServiceArgs`](../interfaces/BlueGreenEksServiceArgs.md) |"),
        );
        assert.ok(
            component.includes(
                "`activeService` | `public readonly` | `Output`\\<`string`\\> | Service name of the active colour (or Flagger's primary). |",
            ),
        );
        const args = page("llm-platform/interfaces/BlueGreenEksServiceArgs.md");
        assert.ok(args.includes("`blue` | [`ColorRelease`](ColorRelease.md) | What the blue colour runs. |"));
        assert.ok(args.includes("`gpus?` | `number` | GPUs per pod (requests equal limits). **Default** `1` |"));
        // A default written as prose (`@default - …`) reads as prose, not as code.
        assert.ok(args.includes("`maxReplicas?` | `number` | The autoscaler's ceiling. **Default** twice replicas |"));
        const release = page("llm-platform/interfaces/ColorRelease.md");
        assert.match(
            release,
            /^\| <a id="property-image"><\/a> `image\?` \| `Input`\\<`string`\\> \| The inference image, by digest/m,
        );
        // The image build is its own entry point's page.
        assert.ok(page("llm-platform/image/classes/InferenceImage.md").startsWith("# Class: InferenceImage\n"));
    });

    it("compares trees file by file: a missing, an extra and a different file each named", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-tree-"));
        try {
            const [committed, generated] = [path.join(root, "committed"), path.join(root, "generated")];
            const write = (dir: string, file: string, text: string): void => {
                fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
                fs.writeFileSync(path.join(dir, file), text);
            };
            write(committed, "README.md", "same");
            write(generated, "README.md", "same");
            write(committed, "a/changed.md", "old");
            write(generated, "a/changed.md", "new");
            write(generated, "a/new.md", "x");
            write(committed, "gone.md", "x");
            assert.deepEqual(treeDifferences(committed, generated), [
                "missing a/new.md",
                "extra gone.md",
                "differs a/changed.md",
            ]);
            assert.deepEqual(treeDifferences(generated, generated), []);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
