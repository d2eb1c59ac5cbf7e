/**
 * The offline policy gate: runs CrossGuard packs, each in its own process, and evaluates a
 * deployment over the analyzer protocol, as the Pulumi engine does — GetAnalyzerInfo, Configure
 * with the config the CLI reconciles (each policy's level and schema defaults, then the pack's
 * `initialConfig`, then the policy-config file: `all` for levels, then per policy), Analyze for
 * each resource and AnalyzeStack with parents and dependencies — so enforcement levels, config
 * defaults and not-applicable handling are the SDK's own.
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
    /** The pack the policy belongs to. */
    pack: string;
    policy: string;
    level: "advisory" | "mandatory";
    severity: string;
    description: string;
    message: string;
    urn: string;
}

export interface PolicyDescription {
    /** The pack the policy belongs to. */
    pack: string;
    name: string;
    description: string;
    severity: string;
    level: Level;
    /** What the policy says to do about a violation (its `remediationSteps`), if anything. */
    remediation: string;
    /** Where the policy is documented (its `url`), if anywhere. */
    url: string;
}

export interface GateResult {
    /** Each pack that ran, in the order given. */
    packs: Array<{ name: string; version: string }>;
    policies: PolicyDescription[];
    violations: Violation[];
    resources: number;
}

/** A policy's effective configuration: its level and the properties it is configured with. */
export interface EffectivePolicyConfig {
    level: Level;
    properties: Record<string, unknown>;
}

type ConfigLayer = Record<string, { level?: Level; properties: Record<string, unknown> }>;

/**
 * Merges one layer of config over `result` as the CLI does (pkg/resource/analyzer/config.go at
 * v3.248.0, `applyConfig`): `all` sets every policy's level, then each named entry sets its level
 * (when it has one) and its properties key by key.
 */
function applyLayer(result: Map<string, EffectivePolicyConfig>, layer: ConfigLayer): void {
    const all = layer.all?.level;
    if (all !== undefined) for (const c of result.values()) c.level = all;
    for (const [name, given] of Object.entries(layer)) {
        const current = result.get(name);
        if (!current) continue; // a name the pack does not have configures nothing
        if (given.level !== undefined) current.level = given.level;
        Object.assign(current.properties, given.properties);
    }
}

/**
 * Each policy's configuration as the CLI reconciles it (`ReconcilePolicyPackConfig`): the level
 * the pack gives it and its schema's defaults, then the pack's `initialConfig` (whose entries
 * always carry a level on the wire: one given only properties arrives as advisory, as the CLI
 * reads it), then the policy-config file.
 */
export function reconcileConfig(
    policies: ReadonlyArray<{ name: string; level: Level; defaults: Record<string, unknown> }>,
    initialConfig: ConfigLayer,
    file: PolicyConfigFile,
): Map<string, EffectivePolicyConfig> {
    const result = new Map(policies.map((p) => [p.name, { level: p.level, properties: { ...p.defaults } }]));
    applyLayer(result, initialConfig);
    const fromFile: ConfigLayer = {};
    for (const [name, entry] of Object.entries(file)) {
        if (typeof entry === "string") fromFile[name] = { level: entry, properties: {} };
        else {
            const { enforcementLevel, ...properties } = entry;
            fromFile[name] = { level: enforcementLevel, properties };
        }
    }
    applyLayer(result, fromFile);
    return result;
}

/** Merges the results of several packs run on the same resources. */
export function mergeResults(results: readonly GateResult[]): GateResult {
    return {
        packs: results.flatMap((r) => r.packs),
        policies: results.flatMap((r) => r.policies),
        violations: results
            .flatMap((r) => r.violations)
            .sort(
                (a, b) =>
                    a.urn.localeCompare(b.urn, "en") ||
                    a.pack.localeCompare(b.pack, "en") ||
                    a.policy.localeCompare(b.policy, "en") ||
                    a.message.localeCompare(b.message, "en"),
            ),
        resources: results[0]?.resources ?? 0,
    };
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
    /** Where `config` came from, for its errors (the file, and the pack it is for). */
    configSource = "policy config",
): Promise<GateResult> {
    const analysis = await Analysis.open(port, config, concurrency, configSource);
    try {
        return await analysis.finish(resources);
    } finally {
        analysis.close();
    }
}

/**
 * One pack's evaluation of a deployment whose resources may still be arriving: {@link open}
 * configures the pack's processes; {@link add} sends a resource's Analyze call as soon as it is
 * registered (while the program still runs); {@link finish} sends those not yet added, then
 * AnalyzeStack with every resource's final state. The findings are those of {@link analyze} on
 * the finished deployment: Analyze reads a resource's inputs (fixed when it registers) and its
 * provider's (registered before it), AnalyzeStack the outputs, and the findings are sorted.
 */
export class Analysis {
    private readonly clients: AnalyzerClient[] = [];
    private readonly channels: H2Channel[] = [];
    private readonly byUrn = new Map<string, ExportedResource>();
    private readonly added = new Set<string>();
    private readonly queue: ExportedResource[] = [];
    private readonly hidden = new Map<string, string[]>();
    private readonly diagnostics: pb.AnalyzeDiagnostic[] = [];
    private inFlight = 0;
    private sent = 0;
    private done = 0;
    private scheduled = false;
    private failure: unknown;
    private idle: Array<() => void> = [];

    private constructor(
        private readonly info: pb.AnalyzerInfo,
        private readonly policies: PolicyDescription[],
        private readonly request: pb.ConfigureAnalyzerRequest,
        private readonly concurrency: number,
    ) {}

    /** Asks the pack at `port` (the first of `port[]`) what it holds, checks `config` against it, and configures every process. */
    static async open(
        port: number | readonly number[],
        config: PolicyConfigFile = {},
        concurrency = 64,
        configSource = "policy config",
    ): Promise<Analysis> {
        const ports = typeof port === "number" ? [port] : [...port];
        if (ports.length === 0) throw new Error("analyze: no pack process to speak to");
        const client = analyzerClient(ports[0]);
        let info: pb.AnalyzerInfo;
        try {
            info = await call<Empty, pb.AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
        } finally {
            client.close();
        }
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
            configSource,
        );
        const packName = info.getName();
        const infoPolicies = info.getPoliciesList();
        // As the Pulumi CLI does: each policy's configSchema defaults, then initialConfig, then the file.
        const initialConfig: ConfigLayer = {};
        info.getInitialconfigMap().forEach((c: pb.PolicyConfig, name: string) => {
            initialConfig[name] = {
                level: LEVEL_NAMES[c.getEnforcementlevel()],
                properties: (c.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
            };
        });
        const effective = reconcileConfig(
            infoPolicies.map((p) => {
                const schema = (p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}) as Record<
                    string,
                    { default?: unknown }
                >;
                return {
                    name: p.getName(),
                    level: LEVEL_NAMES[p.getEnforcementlevel()],
                    defaults: Object.fromEntries(
                        Object.entries(schema)
                            .filter(([, v]) => v?.default !== undefined)
                            .map(([k, v]) => [k, v.default]),
                    ),
                };
            }),
            initialConfig,
            config,
        );
        const policies: PolicyDescription[] = infoPolicies.map((p) => ({
            pack: packName,
            name: p.getName(),
            description: p.getDescription(),
            severity: SEVERITIES[p.getSeverity()] ?? "unspecified",
            level: effective.get(p.getName())!.level,
            remediation: p.getRemediationSteps(),
            url: p.getUrl(),
        }));
        const request = new pb.ConfigureAnalyzerRequest();
        for (const p of policies) {
            const pc = new pb.PolicyConfig();
            pc.setEnforcementlevel(LEVELS[p.level]);
            pc.setProperties(struct(effective.get(p.name)!.properties));
            request.getPolicyconfigMap().set(p.name, pc);
        }
        const analysis = new Analysis(info, policies, request, concurrency);
        try {
            await analysis.addProcesses(ports);
        } catch (e) {
            analysis.close();
            throw e;
        }
        return analysis;
    }

    /** How many resources' Analyze calls have been answered so far. */
    get answered(): number {
        return this.done;
    }

    /** Configures more processes of the same pack and shares the calls still to come with them. */
    async addProcesses(ports: readonly number[]): Promise<void> {
        const clients = ports.map(analyzerClient);
        this.clients.push(...clients);
        await Promise.all(clients.map((c) => call(c.configure.bind(c), this.request)));
        this.channels.push(...ports.map((p) => new H2Channel(`127.0.0.1:${p}`)));
        this.pump();
    }

    /**
     * Sends `resource`'s Analyze call (after those added before it, `concurrency` in flight): as
     * the engine analyses a recorded deployment (pkg/resource/deploy/analyze_snapshot.go,
     * AnalyzeSnapshot), every resource not awaiting deletion, the root stack and providers
     * included, with its inputs. A resource added twice (by URN) is analysed once.
     */
    add(resource: ExportedResource): void {
        if (resource.delete === true || this.added.has(resource.urn)) return;
        this.added.add(resource.urn);
        this.byUrn.set(resource.urn, resource);
        this.queue.push(resource);
        // After the current I/O callback: the engine answers the program first.
        if (!this.scheduled) {
            this.scheduled = true;
            setImmediate(() => {
                this.scheduled = false;
                this.pump();
            });
        }
    }

    /**
     * Adds the resources not added yet, runs AnalyzeStack on the first process with every
     * resource's final state (parents, dependencies, outputs), waits for every call and returns
     * the findings, sorted by URN, policy and message.
     */
    async finish(resources: readonly ExportedResource[]): Promise<GateResult> {
        const analyzed = resources.filter((r) => r.delete !== true);
        for (const r of analyzed) this.byUrn.set(r.urn, r);
        for (const r of analyzed) this.add(r);
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
                const provider = providerOf(r, this.byUrn);
                if (provider) ar.setProvider(provider);
                ar.setDependenciesList(r.dependencies ?? []);
                for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
                    const deps = new pb.AnalyzerPropertyDependencies();
                    deps.setUrnsList(urns);
                    ar.getPropertydependenciesMap().set(key, deps);
                }
                return appendField(ar.serializeBinary(), 2, encodeStruct(this.decoded(r, "outputs")));
            }),
        );
        // AnalyzeStack does not depend on the Analyze calls (the engine makes it last, but its
        // findings are the same in any order): it runs on the first process while the others, and
        // the first once it is done, take the per-resource calls from the shared queue.
        const stackFound = unary(this.channels[0], ANALYZE_STACK, stackReq);
        stackFound.catch(() => undefined);
        await this.drained();
        if (this.failure !== undefined) throw this.failure;
        this.diagnostics.push(...(await stackFound));

        const packName = this.info.getName();
        const byName = new Map(this.policies.map((p) => [p.name, p]));
        const violations = this.diagnostics.map((d) => ({
            pack: packName,
            policy: d.getPolicyname(),
            level: LEVEL_NAMES[d.getEnforcementlevel()] === "mandatory" ? "mandatory" : "advisory",
            severity: SEVERITIES[d.getSeverity()] ?? byName.get(d.getPolicyname())?.severity ?? "unspecified",
            description: d.getDescription(),
            // The SDK prefixes the message with the policy's description.
            message: explainHiddenSecret(
                d.getMessage().startsWith(`${d.getDescription()}\n`)
                    ? d.getMessage().slice(d.getDescription().length + 1)
                    : d.getMessage(),
                d.getUrn() ? (this.hidden.get(d.getUrn()) ?? []) : [...this.hidden.values()].flat(),
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
            packs: [{ name: packName, version: this.info.getVersion() }],
            policies: this.policies,
            violations,
            resources: analyzed.length,
        };
    }

    /** Closes the connections (the processes keep running: their owner stops them). */
    close(): void {
        for (const c of this.clients) c.close();
        for (const c of this.channels) c.close();
    }

    private decoded(r: ExportedResource, which: "inputs" | "outputs"): Record<string, unknown> {
        const source = which === "outputs" ? (r.outputs ?? r.inputs) : r.inputs;
        let read;
        try {
            read = analyzerProperties(source);
        } catch (e) {
            if (e instanceof UnknownSignatureError) e.message = `${r.urn}: ${e.message}`;
            throw e;
        }
        const { properties, hiddenSecrets } = read;
        if (hiddenSecrets.length) this.hidden.set(r.urn, [...(this.hidden.get(r.urn) ?? []), ...hiddenSecrets]);
        return properties;
    }

    /** Starts queued calls while fewer than `concurrency` are in flight, round-robin over the processes. */
    private pump(): void {
        while (
            this.failure === undefined &&
            this.channels.length > 0 &&
            this.inFlight < this.concurrency &&
            this.queue.length > 0
        ) {
            const r = this.queue.shift()!;
            const shard = this.channels[this.sent++ % this.channels.length];
            this.inFlight++;
            this.analyzeOne(r, shard).then(
                () => this.settled(),
                (e: unknown) => {
                    this.failure ??= e;
                    this.settled();
                },
            );
        }
        if (this.inFlight === 0 && (this.queue.length === 0 || this.failure !== undefined)) {
            const waiting = this.idle;
            this.idle = [];
            for (const resolve of waiting) resolve();
        }
    }

    private settled(): void {
        this.inFlight--;
        this.pump();
    }

    /** Resolves once every added resource's call has ended (or one failed). */
    private drained(): Promise<void> {
        return new Promise((resolve) => {
            this.idle.push(resolve);
            this.pump();
        });
    }

    private async analyzeOne(r: ExportedResource, shard: H2Channel): Promise<void> {
        const req = new pb.AnalyzeRequest();
        req.setType(r.type);
        req.setUrn(r.urn);
        req.setName(nameOf(r.urn));
        req.setOptions(options(r));
        const provider = providerOf(r, this.byUrn);
        if (provider) req.setProvider(provider);
        // properties = 2, encoded straight from the exported inputs.
        const bytes = appendField(req.serializeBinary(), 2, encodeStruct(this.decoded(r, "inputs")));
        const found = await unary(shard, ANALYZE, bytes);
        // The engine attaches the analyzed resource's URN to resource diagnostics.
        for (const d of found) this.diagnostics.push(d.getUrn() ? d : d.setUrn(r.urn));
        this.done++;
    }
}

function analyzerClient(port: number): AnalyzerClient {
    return new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": 1 << 30,
    });
}
