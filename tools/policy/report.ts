/**
 * The gate's reports: text grouped by resource, JSON, and SARIF 2.1.0 for GitHub code scanning
 * (mandatory violations at error, advisory at warning), and the inputs it reads (a stack export or
 * a `pulumi preview --json` document).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseStackExport, pendingOperationWarnings, type ExportedResource } from "../engine/stackExport";
import type { GateResult } from "./gate";

/**
 * Resources from a `pulumi stack export` (version 3 or 4) or a `pulumi preview --json` document,
 * with warnings about what the document says was interrupted; throws on anything else, and on a
 * preview that leaves unchanged resources out (written without `--show-sames`), since policies
 * would then see part of the stack.
 */
export function resourcesFromDocument(
    text: string,
    source: string,
): { resources: ExportedResource[]; warnings: string[] } {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new Error(`${source} is not JSON: ${(e as Error).message}`);
    }
    const d = doc as { version?: unknown; steps?: unknown; changeSummary?: unknown };
    if (d && typeof d === "object" && Array.isArray(d.steps)) {
        // pulumi preview --json: each step's newState is the resource as it will be (deletes have none).
        const steps = d.steps as Array<{ op?: string; newState?: ExportedResource; urn?: string }>;
        steps.forEach((step: unknown, i) => {
            if (typeof step !== "object" || step === null || Array.isArray(step))
                throw new Error(
                    `${source}: steps[${i}] is ${JSON.stringify(step)}, not a step of \`pulumi preview --json\``,
                );
            const state = (step as { newState?: unknown }).newState;
            if (state !== undefined && state !== null) {
                const r = state as Partial<ExportedResource>;
                if (typeof r !== "object" || typeof r.urn !== "string" || typeof r.type !== "string")
                    throw new Error(`${source}: steps[${i}].newState needs a string "urn" and "type"`);
            }
        });
        // Without --show-sames the CLI leaves unchanged resources out (the root stack is always
        // shown; pkg/backend/display/json.go), while changeSummary still counts them.
        const summary = (d.changeSummary ?? {}) as Record<string, unknown>;
        const same = typeof summary.same === "number" ? summary.same : 0;
        const shown = steps.filter((s) => s.op === "same").length;
        if (same > shown)
            throw new Error(
                `${source}: the preview leaves out ${same - shown} unchanged resource${same - shown === 1 ? "" : "s"} (changeSummary.same is ${same}), so policies would see part of the stack; write it with \`pulumi preview --json --show-sames\``,
            );
        return {
            resources: steps
                .filter((s) => s.op !== "delete" && s.newState)
                .map((s) => s.newState as ExportedResource)
                .filter((r) => typeof r.urn === "string" && typeof r.type === "string"),
            warnings: [],
        };
    }
    if (d && typeof d === "object" && "deployment" in d) {
        const exp = parseStackExport(text, source);
        return { resources: exp.deployment.resources, warnings: pendingOperationWarnings(exp, source) };
    }
    throw new Error(
        `${source}: unknown format; expected a \`pulumi stack export\` document ({"version": 3 or 4, "deployment": ...}) or \`pulumi preview --json --show-sames\` output ({"steps": [...]})`,
    );
}

export function renderText(result: GateResult): string {
    const packs = result.packs.map((p) => `${p.name}@${p.version}`).join(", ");
    const lines = [
        `Policy pack${result.packs.length === 1 ? "" : "s"} ${packs}: ${result.resources} resources analyzed`,
    ];
    const byUrn = new Map<string, GateResult["violations"]>();
    for (const v of result.violations) byUrn.set(v.urn || "(stack)", [...(byUrn.get(v.urn || "(stack)") ?? []), v]);
    for (const [urn, violations] of byUrn) {
        lines.push("", urn);
        for (const v of violations)
            lines.push(
                `    [${v.level}] ${result.packs.length > 1 ? `${v.pack}/` : ""}${v.policy} (${v.severity}): ${v.message}`,
            );
    }
    const mandatory = result.violations.filter((v) => v.level === "mandatory").length;
    lines.push("", `${mandatory} mandatory and ${result.violations.length - mandatory} advisory violations`);
    return `${lines.join("\n")}\n`;
}

/** Where a result points in the repository: a file relative to the project, and a line (and column). */
export interface SourceLocation {
    uri: string;
    startLine: number;
    startColumn?: number;
}

/**
 * The engine's record of where a resource was created (`project:///<file>#<line>,<column>`, as
 * `pulumi stack export` writes `sourcePosition`), as a repository location; undefined for anything else.
 */
export function sourceLocationOf(position: string | undefined): SourceLocation | undefined {
    const m = /^project:\/\/\/([^#]+)#(\d+)(?:,(\d+))?$/.exec(position ?? "");
    if (!m || m[1].split("/").includes("..") || Number(m[2]) < 1) return undefined;
    return { uri: m[1], startLine: Number(m[2]), ...(m[3] && Number(m[3]) >= 1 ? { startColumn: Number(m[3]) } : {}) };
}

/** The code-scanning category of a stack's gate: `llm-platform-gate/<stack>/`, from its resources' URNs. */
export function gateCategory(resources: readonly ExportedResource[]): string {
    const stack = /^urn:pulumi:([^:]+)::/.exec(resources[0]?.urn ?? "")?.[1] ?? "stack";
    return `llm-platform-gate/${stack}/`;
}

/**
 * The project folder's place in its git repository, as a prefix for paths relative to the project
 * (`infra/`; empty at the repository's root or outside any repository). Code scanning resolves a
 * result's `artifactLocation.uri` from the repository's root, while Pulumi records source
 * positions from the project's (docs/UPSTREAM.md).
 */
export function repositoryPrefix(projectDir: string): string {
    const project = path.resolve(projectDir);
    for (let dir = project; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, ".git"))) {
            const inside = path.relative(dir, project).split(path.sep).join("/");
            return inside ? `${inside}/` : "";
        }
        if (path.dirname(dir) === dir) return "";
    }
}

/**
 * Where each violation is shown in code scanning: the source line that created its resource (the
 * component's file for a component's child), else the stack file (`Pulumi.<stack>.yaml`, whose
 * settings the stack-wide policies judge), line 1. The stack comes from the resources' URNs;
 * `prefix` is the project folder's place in the repository ({@link repositoryPrefix}).
 */
export function violationLocator(resources: readonly ExportedResource[], prefix = ""): (urn: string) => SourceLocation {
    const byUrn = new Map(resources.map((r) => [r.urn, r.sourcePosition]));
    const stack = /^urn:pulumi:([^:]+)::/.exec(resources[0]?.urn ?? "")?.[1];
    const stackFile: SourceLocation = { uri: stack ? `Pulumi.${stack}.yaml` : "Pulumi.yaml", startLine: 1 };
    return (urn) => {
        const found = sourceLocationOf(byUrn.get(urn)) ?? stackFile;
        return { ...found, uri: `${prefix}${found.uri}` };
    };
}

/**
 * GitHub's `security-severity` (a CVSS-like score as a string) for a policy's severity: code
 * scanning ranks a security result critical above 9.0, high from 7.0, medium from 4.0, low below
 * (GitHub docs, "SARIF support for code scanning", `reportingDescriptor` properties).
 */
export const SECURITY_SEVERITY: Readonly<Record<string, string>> = {
    critical: "9.5",
    high: "8.0",
    medium: "5.5",
    low: "2.0",
};

/**
 * A policy the engine could not run on a resource (a value unknown in a preview, or a secret the
 * document holds only encrypted): a notice about the tool's run, not a finding about the code.
 */
export const CANNOT_RUN = /^can't run policy '/;

/** A finding's fingerprint: its policy, resource and message, so two findings on one resource differ. */
export function findingFingerprint(v: { policy: string; urn: string; message: string }): string {
    const digest = crypto.createHash("sha256").update(v.message).digest("hex").slice(0, 16);
    return `${v.policy}:${v.urn || "stack"}:${digest}`;
}

/**
 * SARIF 2.1.0 for GitHub code scanning: one run per pack (its tool driver), each policy a rule with
 * the pack's own remediation text and URL (`helpUri` with the policy's anchor where it has none)
 * and a `security-severity`, mandatory violations at error and advisory at warning. A policy that
 * could not run is a tool execution notification of the run's invocation, not a result. Each run
 * carries `category` as its `automationDetails.id`: code scanning keeps one analysis per tool and
 * category, and refuses an upload with two runs of the same pair (codeql-action's
 * areAllRunsUnique), so each stack has its own (`llm-platform-gate/<stack>/`, see {@link gateCategory}).
 */
export function renderSarif(
    result: GateResult,
    helpUri: string,
    locate: (urn: string) => SourceLocation,
    category?: string,
): Record<string, unknown> {
    const locations = (urn: string) => {
        const at = locate(urn);
        return [
            {
                // GitHub's code scanning refuses a result without a file to show it in.
                physicalLocation: {
                    artifactLocation: { uri: at.uri },
                    region: { startLine: at.startLine, ...(at.startColumn ? { startColumn: at.startColumn } : {}) },
                },
                logicalLocations: [{ fullyQualifiedName: urn || "stack", kind: "resource" }],
            },
        ];
    };
    const text = (v: { message: string; urn: string }) =>
        v.urn ? `${v.message} (${v.urn.split("::").pop()})` : v.message;
    return {
        $schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: result.packs.map((pack) => {
            const rules = result.policies
                .filter((p) => p.pack === pack.name)
                .map((p) => ({
                    id: p.name,
                    name: p.name,
                    shortDescription: { text: p.description },
                    fullDescription: { text: p.description },
                    help: { text: p.remediation || p.description },
                    helpUri: p.url || `${helpUri}#${p.name}`,
                    defaultConfiguration: {
                        level: p.level === "mandatory" ? "error" : p.level === "disabled" ? "none" : "warning",
                    },
                    properties: {
                        severity: p.severity,
                        tags: ["security", pack.name],
                        ...(SECURITY_SEVERITY[p.severity]
                            ? { "security-severity": SECURITY_SEVERITY[p.severity] }
                            : {}),
                    },
                }));
            const index = new Map(rules.map((r, i) => [r.id, i]));
            const own = result.violations.filter((v) => v.pack === pack.name);
            const notices = own.filter((v) => CANNOT_RUN.test(v.message));
            return {
                tool: { driver: { name: pack.name, version: pack.version, informationUri: helpUri, rules } },
                ...(category !== undefined ? { automationDetails: { id: category } } : {}),
                invocations: [
                    {
                        executionSuccessful: true,
                        toolExecutionNotifications: notices.map((v) => ({
                            level: "note",
                            message: { text: text(v) },
                            associatedRule: {
                                id: v.policy,
                                ...(index.has(v.policy) ? { index: index.get(v.policy) } : {}),
                            },
                            locations: locations(v.urn),
                        })),
                    },
                ],
                results: own
                    .filter((v) => !CANNOT_RUN.test(v.message))
                    .map((v) => {
                        const ruleIndex = index.get(v.policy);
                        return {
                            ruleId: v.policy,
                            // Only where the run lists the rule: a wrong index names another rule.
                            ...(ruleIndex !== undefined ? { ruleIndex } : {}),
                            level: v.level === "mandatory" ? "error" : "warning",
                            message: { text: text(v) },
                            locations: locations(v.urn),
                            // Stable across runs for the same finding wherever the line moves, and
                            // distinct for two findings of one policy on one resource.
                            partialFingerprints: { "llmPlatformFinding/v2": findingFingerprint(v) },
                        };
                    }),
            };
        }),
    };
}
