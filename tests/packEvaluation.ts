/**
 * Evaluates the whole pack over a stack export in the test process, with a tier's policy config
 * (the `all` level, per-policy levels and properties), through the testing kit.
 */
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { POLICIES } from "../policies/pack";
import { runResourcePolicy, runStackPolicy, type TestResource } from "../policies/testing";
import type { StackExport } from "../tools/engine/stackExport";

export type PolicyConfigFile = Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

export interface Finding {
    policy: string;
    level: EnforcementLevel;
    urn: string;
    message: string;
}

function levelAndConfig(
    name: string,
    file: PolicyConfigFile,
): { level: EnforcementLevel; config: Record<string, unknown> } {
    const entry = file[name];
    const all = (typeof file.all === "string" ? file.all : undefined) ?? "mandatory";
    if (typeof entry === "string") return { level: entry, config: {} };
    const { enforcementLevel, ...config } = entry ?? {};
    return { level: (enforcementLevel as EnforcementLevel | undefined) ?? all, config };
}

export async function evaluatePack(doc: StackExport, file: PolicyConfigFile): Promise<Finding[]> {
    const resources = doc.deployment.resources.filter(
        (r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"),
    );
    const asTest = (r: (typeof resources)[number], props: Record<string, unknown>): TestResource => ({
        type: r.type,
        props,
        urn: r.urn,
        name: r.urn.split("::").pop(),
        protect: r.protect,
        parent: r.parent,
        dependencies: r.dependencies,
    });
    const findings: Finding[] = [];
    for (const policy of POLICIES) {
        const { level, config } = levelAndConfig(policy.name, file);
        if (level === "disabled") continue;
        if ("validateStack" in policy) {
            const run = await runStackPolicy(
                policy as StackValidationPolicy,
                resources.map((r) => asTest(r, { ...r.inputs, ...r.outputs })),
                config,
            );
            for (const v of run.violations) {
                const [urn, ...rest] = v.startsWith("urn:") ? v.split(": ") : ["", v];
                findings.push({ policy: policy.name, level, urn, message: rest.join(": ") });
            }
        } else {
            for (const r of resources) {
                const run = await runResourcePolicy(
                    policy as ResourceValidationPolicy,
                    asTest(r, r.inputs ?? {}),
                    config,
                );
                for (const v of run.violations) findings.push({ policy: policy.name, level, urn: r.urn, message: v });
            }
        }
    }
    return findings;
}
