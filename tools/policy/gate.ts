/**
 * The offline policy gate: runs the CrossGuard pack in its own process and evaluates a deployment
 * over the analyzer protocol, as the Pulumi engine does — GetAnalyzerInfo, Configure with the
 * policy config (the `all` level, per-policy levels and properties), Analyze for each resource and
 * AnalyzeStack with parents and dependencies — so enforcement levels, config defaults and
 * not-applicable handling are the SDK's own.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient, AnalyzerService } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import type { ExportedResource } from "../engine/stackExport";
import { checkPolicyConfig, type PolicyConfig } from "../../policies/config";
import { H2Channel } from "./h2";
import { analyzerProperties, explainHiddenSecret, UnknownSignatureError } from "./decode";
import { appendField, diagnosticsOf, encodeStruct, repeatedField } from "./wire";

export { DEFAULT_PACK_DIR, startPack, type PackProcess } from "./packProcess";

export type Level = "advisory" | "mandatory" | "disabled" | "remediate";
/** A policy-config file's content (see {@link checkPolicyConfig}). */
export type PolicyConfigFile = PolicyConfig;

export interface Violation {
    policy: string;
    level: "advisory" | "mandatory";
    severity: string;
    description: string;
    message: string;
    urn: string;
}

export interface PolicyDescription {
    name: string;
    description: string;
    severity: string;
    level: Level;
}

export interface GateResult {
    pack: { name: string; version: string };
    policies: PolicyDescription[];
    violations: Violation[];
    resources: number;
}

const LEVELS: Record<Level, pb.EnforcementLevel> = {
    advisory: pb.EnforcementLevel.ADVISORY,
    mandatory: pb.EnforcementLevel.MANDATORY,
    disabled: pb.EnforcementLevel.DISABLED,
    remediate: pb.EnforcementLevel.REMEDIATE,
};
const LEVEL_NAMES = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [v, k])) as Record<number, Level>;
const SEVERITIES = ["unspecified", "low", "medium", "high", "critical"];

function call<Req, Res>(
    fn: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown,
    req: Req,
): Promise<Res> {
    return new Promise((resolve, reject) => fn(req, (e, r) => (e ? reject(e) : resolve(r))));
}

const struct = (value: Record<string, unknown> | undefined): Struct =>
    Struct.deserializeBinary(encodeStruct(value ?? {}));

function options(r: ExportedResource): pb.AnalyzerResourceOptions {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.protect ?? false);
    o.setIgnorechangesList(r.ignoreChanges ?? []);
    o.setAdditionalsecretoutputsList(r.additionalSecretOutputs ?? []);
    o.setAliasesList(r.aliases ?? []);
    if (r.customTimeouts) {
        const t = new pb.AnalyzerResourceOptions.CustomTimeouts();
        t.setCreate(r.customTimeouts.create ?? 0);
        t.setUpdate(r.customTimeouts.update ?? 0);
        t.setDelete(r.customTimeouts.delete ?? 0);
        o.setCustomtimeouts(t);
    }
    if (r.parent) o.setParent(r.parent);
    return o;
}

/**
 * The provider a resource names (`<provider urn>::<id>`), as the engine attaches it: its type, URN,
 * name and inputs. Undefined when the document does not hold it.
 */
function providerOf(
    r: ExportedResource,
    byUrn: ReadonlyMap<string, ExportedResource>,
): pb.AnalyzerProviderResource | undefined {
    if (!r.provider) return undefined;
    const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
    const p = byUrn.get(urn);
    if (!p) return undefined;
    const out = new pb.AnalyzerProviderResource();
    out.setType(p.type);
    out.setUrn(p.urn);
    out.setName(nameOf(p.urn));
    out.setProperties(struct(analyzerProperties(p.inputs).properties));
    return out;
}

const ANALYZE = AnalyzerService.analyze.path;
const ANALYZE_STACK = AnalyzerService.analyzeStack.path;

/** One Analyze or AnalyzeStack call with a request already encoded; resolves to its diagnostics. */
async function unary(channel: H2Channel, method: string, request: Buffer): Promise<pb.AnalyzeDiagnostic[]> {
    return diagnosticsOf(await channel.unary(method, request));
}

const nameOf = (urn: string): string => urn.split("::").slice(3).join("::");

/**
 * Evaluates resources with the pack at `port`, or with several processes of the same pack at
 * `port[]`: each is configured alike, the per-resource Analyze calls are shared among them (one
 * queue, `concurrency` calls in flight in all), and AnalyzeStack runs once, on the first. The
 * findings are the same as with one process; only the time differs. `config` is a policy-config
 * file's content.
 */
export async function analyze(
    port: number | readonly number[],
    resources: ExportedResource[],
    config: PolicyConfigFile = {},
    concurrency = 64,
): Promise<GateResult> {
    const ports = typeof port === "number" ? [port] : [...port];
    if (ports.length === 0) throw new Error("analyze: no pack process to speak to");
    const clients = ports.map(
        (p) =>
            new AnalyzerClient(`127.0.0.1:${p}`, grpc.credentials.createInsecure(), {
                "grpc.max_receive_message_length": 1 << 30,
            }),
    );
    const client = clients[0];
    const channels = ports.map((p) => new H2Channel(`127.0.0.1:${p}`));
    try {
        const info = await call<Empty, pb.AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
        // Checked against the policies the running pack reports, as the CLI checks it (and stricter).
        checkPolicyConfig(
            config,
            info.getPoliciesList().map((p) => ({
                name: p.getName(),
                configSchema: p.getConfigschema()
                    ? {
                          properties: (p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}) as Record<
                              string,
                              unknown
                          >,
                          required: p.getConfigschema()?.getRequiredList(),
                      }
                    : undefined,
            })),
            "policy config",
        );
        const allEntry = config.all;
        const all = typeof allEntry === "string" ? allEntry : allEntry?.enforcementLevel;
        // As the Pulumi CLI does: each policy's configSchema defaults, under the file's properties.
        const defaults = new Map(
            info.getPoliciesList().map((p) => {
                const schema = (p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}) as Record<
                    string,
                    { default?: unknown }
                >;
                return [
                    p.getName(),
                    Object.fromEntries(
                        Object.entries(schema)
                            .filter(([, v]) => v?.default !== undefined)
                            .map(([k, v]) => [k, v.default]),
                    ),
                ];
            }),
        );
        const policies: PolicyDescription[] = info.getPoliciesList().map((p) => {
            const entry = config[p.getName()];
            const level =
                (typeof entry === "string" ? entry : entry?.enforcementLevel) ??
                all ??
                LEVEL_NAMES[p.getEnforcementlevel()];
            return {
                name: p.getName(),
                description: p.getDescription(),
                severity: SEVERITIES[p.getSeverity()] ?? "unspecified",
                level,
            };
        });
        const request = new pb.ConfigureAnalyzerRequest();
        for (const p of policies) {
            const entry = config[p.name];
            const { enforcementLevel: _level, ...properties } = typeof entry === "object" ? entry : {};
            const pc = new pb.PolicyConfig();
            pc.setEnforcementlevel(LEVELS[p.level]);
            pc.setProperties(struct({ ...defaults.get(p.name), ...properties }));
            request.getPolicyconfigMap().set(p.name, pc);
        }
        await Promise.all(clients.map((c) => call(c.configure.bind(c), request)));

        // As the engine analyses a recorded deployment (pkg/resource/deploy/analyze_snapshot.go,
        // AnalyzeSnapshot): every resource not awaiting deletion, the root stack and providers
        // included; Analyze gets the inputs, AnalyzeStack the outputs.
        const analyzed = resources.filter((r) => r.delete !== true);
        const byUrn = new Map(analyzed.map((r) => [r.urn, r]));
        const hidden = new Map<string, string[]>();
        const decoded = (r: ExportedResource, which: "inputs" | "outputs"): Record<string, unknown> => {
            const source = which === "outputs" ? (r.outputs ?? r.inputs) : r.inputs;
            let read;
            try {
                read = analyzerProperties(source);
            } catch (e) {
                if (e instanceof UnknownSignatureError) e.message = `${r.urn}: ${e.message}`;
                throw e;
            }
            const { properties, hiddenSecrets } = read;
            if (hiddenSecrets.length) hidden.set(r.urn, [...(hidden.get(r.urn) ?? []), ...hiddenSecrets]);
            return properties;
        };
        // resources = 1, each with properties = 2 encoded straight from the exported state.
        const stackReq = repeatedField(
            1,
            analyzed.map((r) => {
                const ar = new pb.AnalyzerResource();
                ar.setType(r.type);
                ar.setUrn(r.urn);
                ar.setName(nameOf(r.urn));
                ar.setOptions(options(r));
                if (r.parent) ar.setParent(r.parent);
                const provider = providerOf(r, byUrn);
                if (provider) ar.setProvider(provider);
                ar.setDependenciesList(r.dependencies ?? []);
                for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
                    const deps = new pb.AnalyzerPropertyDependencies();
                    deps.setUrnsList(urns);
                    ar.getPropertydependenciesMap().set(key, deps);
                }
                return appendField(ar.serializeBinary(), 2, encodeStruct(decoded(r, "outputs")));
            }),
        );
        // AnalyzeStack does not depend on the Analyze calls (the engine makes it last, but its
        // findings are the same in any order): it runs on the first process while the others, and
        // the first once it is done, take the per-resource calls from the shared queue.
        const stackFound = unary(channels[0], ANALYZE_STACK, stackReq);
        stackFound.catch(() => undefined);
        const diagnostics: pb.AnalyzeDiagnostic[] = [];
        let next = 0;
        const worker = async (shard: H2Channel): Promise<void> => {
            while (next < analyzed.length) {
                const r = analyzed[next++];
                const req = new pb.AnalyzeRequest();
                req.setType(r.type);
                req.setUrn(r.urn);
                req.setName(nameOf(r.urn));
                req.setOptions(options(r));
                const provider = providerOf(r, byUrn);
                if (provider) req.setProvider(provider);
                // properties = 2, encoded straight from the exported inputs.
                const bytes = appendField(req.serializeBinary(), 2, encodeStruct(decoded(r, "inputs")));
                const found = await unary(shard, ANALYZE, bytes);
                // The engine attaches the analyzed resource's URN to resource diagnostics.
                for (const d of found) diagnostics.push(d.getUrn() ? d : d.setUrn(r.urn));
            }
        };
        await Promise.all(
            Array.from({ length: Math.min(concurrency, Math.max(1, analyzed.length)) }, (_, i) =>
                worker(channels[i % channels.length]),
            ),
        );

        diagnostics.push(...(await stackFound));

        const byName = new Map(policies.map((p) => [p.name, p]));
        const violations = diagnostics.map((d) => ({
            policy: d.getPolicyname(),
            level: LEVEL_NAMES[d.getEnforcementlevel()] === "mandatory" ? "mandatory" : "advisory",
            severity: SEVERITIES[d.getSeverity()] ?? byName.get(d.getPolicyname())?.severity ?? "unspecified",
            description: d.getDescription(),
            // The SDK prefixes the message with the policy's description.
            message: explainHiddenSecret(
                d.getMessage().startsWith(`${d.getDescription()}\n`)
                    ? d.getMessage().slice(d.getDescription().length + 1)
                    : d.getMessage(),
                d.getUrn() ? (hidden.get(d.getUrn()) ?? []) : [...hidden.values()].flat(),
            ),
            urn: d.getUrn(),
        })) as Violation[];
        violations.sort(
            (a, b) =>
                a.urn.localeCompare(b.urn, "en") ||
                a.policy.localeCompare(b.policy, "en") ||
                a.message.localeCompare(b.message, "en"),
        );
        return {
            pack: { name: info.getName(), version: info.getVersion() },
            policies,
            violations,
            resources: analyzed.length,
        };
    } finally {
        for (const c of clients) c.close();
        for (const c of channels) c.close();
    }
}
