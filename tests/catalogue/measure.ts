/**
 * Runs other scanners' AWS test cases (./aws/*.ts) through the policy gate, as stack exports, and
 * scores each policy: of the failing cases in its scope, how many it flags (recall); of the passing
 * ones, how many it flags (wrong flags), apart from those it flags on purpose (`deliberate`).
 * `npm run docs` writes the table into the README; tests/catalogue.test.ts holds the bar.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { policy } from "../../tools/cli/policy";
import { startPack, type PackProcess } from "../../tools/policy/gate";
import type { ExportedResource, StackExport } from "../../tools/engine/stackExport";
import type { CaseType, ScannerCase } from "./aws/case";
import { CASES as CONTAINER_CASES } from "./aws/containers";
import { CASES as DATA_CASES } from "./aws/data";
import { DELIBERATE, REASSIGNED } from "./aws/deliberate";
import { CASES as IAM_CASES } from "./aws/iam";
import { CASES as NETWORK_CASES } from "./aws/network";

/** Every case, with its policy reassigned and its deliberate difference noted (./aws/deliberate.ts). */
export const CATALOGUE: readonly ScannerCase[] = [
    ...CONTAINER_CASES,
    ...NETWORK_CASES,
    ...DATA_CASES,
    ...IAM_CASES,
].map((c) => {
    const key = `${c.policy}/${c.id}`;
    const policy = REASSIGNED[key] ?? c.policy;
    const deliberate = DELIBERATE[key] ?? c.deliberate;
    return { ...c, policy, ...(deliberate ? { deliberate } : {}) };
});

/** Keys in deliberate.ts that name no case: a renamed case must not leave its reason behind. */
export const unmatchedNotes = (): string[] => {
    const keys = new Set(
        [...CONTAINER_CASES, ...NETWORK_CASES, ...DATA_CASES, ...IAM_CASES].map((c) => `${c.policy}/${c.id}`),
    );
    return [...Object.keys(DELIBERATE), ...Object.keys(REASSIGNED)].filter((k) => !keys.has(k));
};

/** Companion types that apply to every resource of a stack: a case with one runs in a stack of its own. */
const STACK_WIDE: readonly CaseType[] = ["aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"];

const STACK = "urn:pulumi:catalogue::aws-scanners";
export const caseUrn = (c: ScannerCase): string => `${STACK}::${c.type}::${c.policy}.${c.id}`;

function resourcesOf(c: ScannerCase): ExportedResource[] {
    const props = c.props as Record<string, unknown>;
    const judged: ExportedResource = {
        urn: caseUrn(c),
        custom: true,
        type: c.type,
        inputs: props,
        ...(c.outputs ? { outputs: { ...props, ...c.outputs } } : {}),
        protect: c.protect ?? false,
    };
    const companions = (c.also ?? []).map((a): ExportedResource => ({
        urn: `${STACK}::${a.type}::${c.policy}.${c.id}.${a.name}`,
        custom: true,
        type: a.type,
        inputs: a.props as Record<string, unknown>,
        ...(a.outputs ? { outputs: { ...(a.props as Record<string, unknown>), ...a.outputs } } : {}),
        protect: a.protect ?? false,
    }));
    return [judged, ...companions];
}

/** The stack exports the catalogue runs as: one shared, and one per case with a stack-wide companion. */
export function catalogueExports(cases: readonly ScannerCase[] = CATALOGUE): StackExport[] {
    const alone = (c: ScannerCase) => (c.also ?? []).some((a) => STACK_WIDE.includes(a.type));
    const stacks = [cases.filter((c) => !alone(c)), ...cases.filter(alone).map((c) => [c])];
    return stacks.map((group) => ({
        version: 3,
        deployment: {
            manifest: { time: "2026-12-07T00:00:00Z", magic: "", version: "v3.248.0" },
            resources: [
                {
                    urn: `${STACK}::pulumi:pulumi:Stack::aws-scanners-catalogue`,
                    custom: false,
                    type: "pulumi:pulumi:Stack",
                },
                ...group.flatMap(resourcesOf),
            ],
        },
    })) as StackExport[];
}

export interface Outcome {
    case: ScannerCase;
    flagged: boolean;
    messages: string[];
}

export interface PolicyScore {
    policy: string;
    /** Scanners and checks the cases come from, e.g. "checkov CKV_AWS_79". */
    sources: string[];
    /** Failing cases in scope, and how many of them the policy flags. */
    failing: number;
    caught: number;
    /** Failing cases left out of scope on purpose. */
    outOfScope: number;
    /** Passing cases, those flagged without a stated reason (wrong flags), and those flagged on purpose. */
    passing: number;
    wrong: number;
    stricter: number;
}

/** Runs every case through the gate (prod tier) and returns each case's outcome. */
export async function measureCatalogue(
    cases: readonly ScannerCase[] = CATALOGUE,
    start: () => Promise<PackProcess> = () => startPack(),
): Promise<Outcome[]> {
    const pack = await start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "catalogue-"));
    const found = new Map<string, string[]>();
    try {
        for (const [i, doc] of catalogueExports(cases).entries()) {
            const file = path.join(dir, `stack-${i}.json`);
            fs.writeFileSync(file, JSON.stringify(doc));
            let stdout = "";
            const code = await policy(
                ["--file", file, "--tier", "prod", "--format", "json"],
                (s) => void (stdout += s),
                undefined,
                () => Promise.resolve({ ...pack, stop: () => undefined }),
            );
            if (code !== 0 && code !== 1) throw new Error(`the gate exited ${code} on the catalogue: ${stdout}`);
            const result = JSON.parse(stdout) as {
                violations: Array<{ policy: string; urn: string; message: string }>;
            };
            for (const v of result.violations) {
                const key = `${v.policy} ${v.urn}`;
                found.set(key, [...(found.get(key) ?? []), v.message]);
            }
        }
    } finally {
        pack.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return cases.map((c) => {
        const messages = found.get(`${c.policy} ${caseUrn(c)}`) ?? [];
        return { case: c, flagged: messages.length > 0, messages };
    });
}

/** Each policy's score, in the order policies first appear in the outcomes. */
export function scores(outcomes: readonly Outcome[]): PolicyScore[] {
    const byPolicy = new Map<string, Outcome[]>();
    for (const o of outcomes) byPolicy.set(o.case.policy, [...(byPolicy.get(o.case.policy) ?? []), o]);
    return [...byPolicy].map(([name, os]) => {
        const failing = os.filter((o) => o.case.expect === "fail");
        const passing = os.filter((o) => o.case.expect === "pass");
        const sources = [
            ...new Set(
                os
                    .filter((o) => o.case.source.scanner !== "crafted")
                    .map((o) => `${o.case.source.scanner} ${o.case.source.check ?? ""}`.trim()),
            ),
        ].sort();
        return {
            policy: name,
            sources,
            failing: failing.filter((o) => !o.case.deliberate).length,
            caught: failing.filter((o) => !o.case.deliberate && o.flagged).length,
            outOfScope: failing.filter((o) => o.case.deliberate).length,
            passing: passing.length,
            wrong: passing.filter((o) => o.flagged && !o.case.deliberate).length,
            stricter: passing.filter((o) => o.flagged && o.case.deliberate).length,
        };
    });
}

const percent = (n: number, d: number): string => (d === 0 ? "–" : `${Math.floor((1000 * n) / d) / 10} %`);

/** The README's table, and under it every deliberate difference with its reason and count. */
export function renderCatalogueTable(outcomes: readonly Outcome[]): string {
    const rows = scores(outcomes).map(
        (s) =>
            `| \`${s.policy}\` | ${s.caught}/${s.failing} (${percent(s.caught, s.failing)}) | ${s.outOfScope} | ${s.wrong}/${s.passing} | ${s.stricter} | ${s.sources.join(", ") || "crafted only"} |`,
    );
    const reasons = new Map<string, number>();
    for (const o of outcomes)
        if (o.case.deliberate) {
            const kind = o.case.expect === "fail" ? "out of scope" : "stricter";
            const key = `- \`${o.case.policy}\` (${kind}): ${o.case.deliberate}`;
            reasons.set(key, (reasons.get(key) ?? 0) + 1);
        }
    const total = outcomes.length;
    const crafted = outcomes.filter((o) => o.case.source.scanner === "crafted").length;
    return [
        `${total} cases: ${total - crafted} from checkov (bridgecrewio/checkov@${commitOf(outcomes, "checkov")}) and trivy (aquasecurity/trivy-checks@${commitOf(outcomes, "trivy")}) tests, ${crafted} crafted shapes; measured by \`npm run docs\` through the gate, prod tier.`,
        "",
        "| Policy | Failing cases flagged | Out of scope | Passing cases wrongly flagged | Flagged on purpose | Scanners' checks |",
        "| --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
        "Where a policy parts from a scanner on purpose (cases):",
        "",
        ...[...reasons].map(([line, n]) => `${line} (${n})`),
    ].join("\n");
}

/** The one commit a scanner's cases were read at. */
function commitOf(outcomes: readonly Outcome[], scanner: string): string {
    const commits = [
        ...new Set(outcomes.filter((o) => o.case.source.scanner === scanner).map((o) => o.case.source.commit)),
    ];
    if (commits.length !== 1) throw new Error(`${scanner}'s cases name ${commits.length} commits; read them at one`);
    return String(commits[0]).slice(0, 12);
}
