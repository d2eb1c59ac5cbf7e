/**
 * The API reference, docs/reference/: Markdown pages TypeDoc (with typedoc-plugin-markdown)
 * generates from the types and JSDoc of the package's entry points, one module per entry point of
 * package.json's `exports`, each named by its import path. `npm run docs` writes it
 * ({@link writeReference}); tests/reference.test.ts fails when the committed pages differ from
 * what this writes. Run on its own: `node --require ./tools/typescript.cjs tools/docs/reference.ts [dir]`
 * (docs/reference/ unless a directory is given).
 *
 * Generation loads the whole program (the @pulumi/aws declarations with it): about 25 s and
 * 900 MB, so the test runs it in a child process.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TypeDocOptions } from "typedoc/dist/types/index";
import type { CommentDisplayPart, ProjectReflection } from "typedoc/dist/types/models/index";
import type { PluginOptions } from "typedoc-plugin-markdown/dist/types/options";

const ROOT = path.resolve(__dirname, "..", "..");

/** Where the committed reference lives: docs/reference/ (its index is README.md, so GitHub shows it). */
export const REFERENCE_DIR = path.join(ROOT, "docs", "reference");

/**
 * The source file of each entry point, in package.json's `exports` order; each file's `@module`
 * tag names its module by the import path (`llm-platform/catalog`).
 */
export const ENTRY_POINTS: Readonly<Record<string, string>> = {
    "llm-platform": "components/index.ts",
    "llm-platform/catalog": "catalog/index.ts",
    "llm-platform/image": "components/image.ts",
    "llm-platform/policies": "policies/public.ts",
    "llm-platform/policy-testing": "policies/testing.ts",
    "llm-platform/policy-fixtures": "policies/fixtures.ts",
    "llm-platform/testing": "tools/testing/index.ts",
};

/** Every TypeDoc and plugin option the reference is generated with, bar the output directory. */
export const REFERENCE_OPTIONS: TypeDocOptions & PluginOptions = {
    entryPoints: Object.values(ENTRY_POINTS).map((file) => path.join(ROOT, file)),
    tsconfig: path.join(ROOT, "tsconfig.build.json"),
    // Type checking would cost time and reorder union members; tsc checks the project.
    skipErrorChecking: true,
    plugin: ["typedoc-plugin-markdown"],
    // The index page opens with this text (its links absolute: TypeDoc copies it as it is).
    readme: path.join(ROOT, "tools", "docs", "referenceIntro.md"),
    excludePrivate: true,
    excludeProtected: true,
    excludeInternal: true,
    excludeExternals: true,
    // Source links name the commit: every page would change on each one.
    disableSources: true,
    hidePageHeader: true,
    hideBreadcrumbs: true,
    router: "member",
    membersWithOwnFile: ["Class", "Interface"],
    entryFileName: "README",
    mergeReadme: true,
    parametersFormat: "table",
    interfacePropertiesFormat: "table",
    classPropertiesFormat: "table",
    typeAliasPropertiesFormat: "table",
    enumMembersFormat: "table",
    propertyMembersFormat: "table",
    typeDeclarationFormat: "table",
    indexFormat: "table",
    sort: ["kind", "alphabetical"],
    // Pages of symbols that left the entry points go with the rest: the directory is TypeDoc's alone.
    cleanOutputDir: true,
    logLevel: "Warn",
};

/**
 * The project writes a default that is not a value as prose after a dash (`@default - twice
 * replicas`, TSDoc's `@defaultValue` style). TypeDoc shows a default without inline code as a code
 * block, so that prose would read as the code `- twice replicas`: this turns it back into prose
 * ("Default: twice replicas"). Values (`@default "blue"`, `@default 8000`) stay code.
 */
function proseDefaults(project: ProjectReflection): void {
    const fence = /^```ts\n- ([\s\S]*?)\n```$/;
    for (const reflection of Object.values(project.reflections))
        for (const tag of reflection.comment?.blockTags ?? []) {
            if (tag.tag !== "@default") continue;
            const [first, ...rest] = tag.content;
            if (first?.kind === "code" && rest.length === 0 && fence.test(first.text))
                tag.content = [{ kind: "text", text: fence.exec(first.text)![1] }];
            else if (first?.kind === "text" && first.text.startsWith("- "))
                tag.content = [{ ...first, text: first.text.slice(2) } as CommentDisplayPart, ...rest];
        }
}

/**
 * Generates the Markdown reference into `outDir` (emptied first: pass docs/reference or a
 * scratch directory, never a folder holding other files). Throws when TypeDoc reports errors.
 */
export async function writeReference(outDir: string): Promise<void> {
    // ES modules only; Node loads them with require() since 20.19.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const td = require("typedoc") as typeof import("typedoc/dist/types/index");
    const out = path.resolve(outDir);
    if (out === ROOT || out === path.join(ROOT, "docs"))
        throw new Error(
            `writeReference: ${out} holds other files; write to ${REFERENCE_DIR} or a directory of its own`,
        );
    // Only the options above: no typedoc.json or package.json settings from the working directory.
    const app = await td.Application.bootstrapWithPlugins({ ...REFERENCE_OPTIONS, out } as TypeDocOptions, [
        new td.TSConfigReader(),
    ]);
    const project = await app.convert();
    if (!project || app.logger.hasErrors())
        throw new Error("TypeDoc could not convert the entry points (errors above)");
    proseDefaults(project);
    app.validate(project);
    if (app.logger.hasErrors()) throw new Error("TypeDoc's validation failed (errors above)");
    await app.outputs.writeOutput({ name: "markdown", path: out }, project);
    if (app.logger.hasErrors()) throw new Error(`TypeDoc could not write the reference to ${out} (errors above)`);
}

/** Every file under `dir`, as `/`-separated paths relative to it, sorted. */
export function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
        .sort();
}

/**
 * How the committed tree differs from the generated one, a line per file: `missing <file>` (generated,
 * not committed), `extra <file>` (committed, no longer generated), `differs <file>`. Empty when they
 * are equal byte for byte.
 */
export function treeDifferences(committedDir: string, generatedDir: string): string[] {
    const committed = filesUnder(committedDir);
    const expected = filesUnder(generatedDir);
    const has = new Set(committed);
    const made = new Set(expected);
    return [
        ...expected.filter((f) => !has.has(f)).map((f) => `missing ${f}`),
        ...committed.filter((f) => !made.has(f)).map((f) => `extra ${f}`),
        ...expected
            .filter((f) => has.has(f))
            .filter(
                (f) => !fs.readFileSync(path.join(committedDir, f)).equals(fs.readFileSync(path.join(generatedDir, f))),
            )
            .map((f) => `differs ${f}`),
    ];
}

if (require.main === module) {
    const outDir = path.resolve(process.argv[2] ?? REFERENCE_DIR);
    writeReference(outDir).then(
        () => console.log(`Wrote ${path.relative(process.cwd(), outDir) || "."}`),
        (e: unknown) => {
            console.error(e instanceof Error ? e.message : e);
            process.exitCode = 1;
        },
    );
}
