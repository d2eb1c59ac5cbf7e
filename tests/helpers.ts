/** Shared fixtures for the tests: the project folder, known-good raw config, output capture. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ExportedResource, StackExport } from "../tools/engine/stackExport";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/** Raw config a valid stack of `tier` might have, as Pulumi hands it to the program. */
export function goodRawConfig(overrides: Record<string, string> = {}): Record<string, string> {
    return {
        "aws:region": "us-east-1",
        "llm-platform:owner": "ml-platform",
        "llm-platform:costCenter": "ml-research",
        ...overrides,
    };
}

/** The value of an Output, awaited (never assert inside apply). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** The resource with this type and logical name; fails loudly when it is missing. */
export function find(doc: StackExport | ExportedResource[], type: string, name: string): ExportedResource {
    const resources = Array.isArray(doc) ? doc : doc.deployment.resources;
    const r = resources.find((x) => x.type === type && x.urn.endsWith(`::${name}`));
    if (!r) throw new Error(`no ${type} named ${name} among ${resources.map((x) => x.urn).join("\n")}`);
    return r;
}

/** A copy of the project (without node_modules, which is linked) to break on purpose. */
export function scratchProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-test-"));
    const stackFiles = fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
    for (const entry of ["Pulumi.yaml", ...stackFiles, "package.json", "tsconfig.json"]) {
        fs.copyFileSync(path.join(PROJECT_DIR, entry), path.join(dir, entry));
    }
    for (const folder of ["stacks", "components", "environments", "tools", "images"]) {
        fs.cpSync(path.join(PROJECT_DIR, folder), path.join(dir, folder), { recursive: true });
    }
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    return dir;
}

/** The stacks whose files are in `dir` (`Pulumi.<stack>.yaml`), as the tools list them: sorted, comma-separated. */
export function knownStacks(dir: string = PROJECT_DIR): string {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort()
        .join(", ");
}
