/**
 * The offline engine's side of the Pulumi protocol: a gRPC server with the ResourceMonitor and
 * Engine services that a Pulumi program talks to (the same services the Pulumi CLI serves, from
 * `@pulumi/pulumi/proto`). It names resources as the engine does, answers registrations and
 * invokes from the provider models (`mocks.ts`) in one of two views, and captures every resource
 * in the shape of `pulumi stack export`:
 *
 * - `preview`: what a first `pulumi preview` knows. A create answers with its checked inputs
 *   (the autonamed property filled in); ids and every other computed output are unknown.
 * - `update`: what `pulumi up` leaves behind, with realistic provider outputs.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginepb from "@pulumi/pulumi/proto/engine_pb";
import * as providerpb from "@pulumi/pulumi/proto/provider_pb";
import { ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as respb from "@pulumi/pulumi/proto/resource_pb";
import { call, newResource, previewResource, type CloudContext } from "./mocks";
import {
    RESOURCE_REF_SIG_VALUE,
    SECRET_SIG,
    SECRET_SIG_VALUE,
    secretFingerprint,
    secretValue,
    UNKNOWN_VALUE,
    type ExportedResource,
} from "./stackExport";

export type PlanMode = "preview" | "update";
export const PLAN_MODES: readonly PlanMode[] = ["preview", "update"];

export interface Diagnostic {
    readonly severity: "debug" | "info" | "warning" | "error";
    readonly message: string;
    /** The resource the message is about, when the program named one. */
    readonly urn?: string;
}

export interface MonitorOptions {
    readonly ctx: CloudContext;
    readonly mode: PlanMode;
    /** Full config keys to the strings the program sees (default providers read theirs). */
    readonly config: Readonly<Record<string, string>>;
    readonly secretKeys: readonly string[];
    /** Receives every captured resource as it registers. */
    readonly sink?: ExportedResource[];
    /** The project root, for source positions relative to it. */
    readonly root?: string;
}

/** The features the Pulumi engine (v3.248, `resmon.supportsFeatureID`) reports as supported. */
const FEATURES = new Set([
    "secrets",
    "resourceReferences",
    "outputValues",
    "aliasSpecs",
    "replacementTrigger",
    "deletedWith",
    "replaceWith",
    "transforms",
    "invokeTransforms",
    "parameterization",
    "resourceHooks",
    "errorHooks",
    "sendsOptionsToHooks",
]);

const ROOT_TYPE = "pulumi:pulumi:Stack";
const SEVERITIES: Record<number, Diagnostic["severity"]> = {
    [enginepb.LogSeverity.DEBUG]: "debug",
    [enginepb.LogSeverity.INFO]: "info",
    [enginepb.LogSeverity.WARNING]: "warning",
    [enginepb.LogSeverity.ERROR]: "error",
};

type State = Record<string, unknown>;
type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
type Unary<Req, Res> = (call: { request: Req }, callback: Callback<Res>) => void;

function isSecretWire(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as State)[SECRET_SIG] === SECRET_SIG_VALUE;
}

function containsSecrets(v: unknown): boolean {
    if (isSecretWire(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecrets);
    if (typeof v === "object" && v !== null) return Object.values(v as State).some(containsSecrets);
    return false;
}

/**
 * The engine's `annotateSecrets` (pkg/resource/plugin/provider_plugin.go): a provider's outputs
 * take the secretness of the inputs of the same name; where both are objects it recurs, so one
 * secret inside a structure marks only its own branch; otherwise an output whose input contains a
 * secret anywhere (an array, say) becomes secret whole.
 */
export function annotateSecrets(outs: State, ins: State): void {
    for (const [key, inValue] of Object.entries(ins)) {
        if (!(key in outs)) continue;
        const outValue = outs[key];
        const isObject = (v: unknown): v is State =>
            typeof v === "object" && v !== null && !Array.isArray(v) && !isSecretWire(v);
        if (isObject(outValue) && isObject(inValue)) annotateSecrets(outValue, inValue);
        else if (!isSecretWire(outValue) && containsSecrets(inValue))
            outs[key] = { [SECRET_SIG]: SECRET_SIG_VALUE, value: outValue };
    }
}

/** Wire values as a provider sees them: secrets unwrapped. */
export function plain(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(plain);
    if (typeof value === "object" && value !== null) {
        const obj = value as State;
        if (obj[SECRET_SIG] === SECRET_SIG_VALUE) return plain(obj.value);
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}

/** Turns wire-format property values into exported state: secrets as ciphertext, references as URNs. */
function toState(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(toState);
    if (typeof value === "object" && value !== null) {
        const obj = value as State;
        if (obj[SECRET_SIG] === SECRET_SIG_VALUE) return secretValue(secretFingerprint(plain(obj.value)));
        if (obj[SECRET_SIG] === RESOURCE_REF_SIG_VALUE) return obj.urn;
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toState(v)]));
    }
    return value;
}

/** Struct.fromJavaScript refuses undefined; the wire has no such value. */
function defined(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : defined(v)));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.entries(value as State)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, defined(v)]),
        );
    }
    return value;
}

/**
 * Where the program created the resource, as the engine records it: a `project://` URI relative
 * to the project root, with line and column (`project:///stacks/program.ts#42,5`).
 */
function sourcePosition(req: respb.RegisterResourceRequest, root: string | undefined): string | undefined {
    const pos = req.getSourceposition();
    if (!pos || !root) return undefined;
    let file: string;
    try {
        file = fileURLToPath(pos.getUri());
    } catch {
        return undefined;
    }
    const relative = path.relative(root, file);
    // Positions in dependencies (the SDK's own, for the root stack) say nothing about the program.
    if (relative.startsWith("..") || path.isAbsolute(relative) || relative.split(path.sep).includes("node_modules"))
        return undefined;
    return `project:///${relative.split(path.sep).join("/")}#${pos.getLine()},${pos.getColumn()}`;
}

const struct = (value: State): Struct => Struct.fromJavaScript(defined(value) as Record<string, never>);

/** Drops empty fields the way `pulumi stack export` omits them. */
function compact(r: ExportedResource): ExportedResource {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
        const empty =
            v === undefined ||
            v === "" ||
            v === false ||
            (Array.isArray(v) && v.length === 0) ||
            (typeof v === "object" &&
                v !== null &&
                !Array.isArray(v) &&
                Object.keys(v).length === 0 &&
                k === "propertyDependencies");
        if (!empty || k === "custom") out[k] = v;
    }
    return out as unknown as ExportedResource;
}

/** Go's `time.ParseDuration` in seconds, as the engine reads a custom timeout ("40m", "1h30m", "90s"). */
export function goDurationSeconds(text: string): number | undefined {
    const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
    const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
    if (!m) return text === "0" ? 0 : undefined;
    let total = 0;
    for (const [, value, u] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g))
        total += Number(value) * unit[u];
    return m[1] === "-" ? -total : total;
}

/** The engine's `customTimeouts` of a registration, in seconds; an unparsable value fails it as the engine does. */
function customTimeouts(req: respb.RegisterResourceRequest): ExportedResource["customTimeouts"] {
    const t = req.getCustomtimeouts();
    if (!t) return undefined;
    const out: Record<string, number> = {};
    for (const [key, value] of [
        ["create", t.getCreate()],
        ["update", t.getUpdate()],
        ["delete", t.getDelete()],
    ] as const) {
        if (!value) continue;
        const seconds = goDurationSeconds(value);
        if (seconds === undefined)
            throw grpcError(grpc.status.INVALID_ARGUMENT, `unable to parse customTimeout Value ${value}`);
        out[key] = seconds;
    }
    return Object.keys(out).length ? out : undefined;
}

function grpcError(code: grpc.status, message: string): grpc.ServiceError {
    return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

/**
 * The monitor and engine of one program run. `start` serves both services on a loopback port;
 * `captured` and `diagnostics` fill as the program runs.
 */
export class OfflineMonitor {
    readonly captured: ExportedResource[] = [];
    readonly diagnostics: Diagnostic[] = [];
    /** Invokes the program made (tokens, in order): a preview sends none whose arguments are unknown. */
    readonly invokes: string[] = [];
    private readonly byUrn = new Map<string, ExportedResource>();
    private readonly defaultProviders = new Map<string, string>();
    private readonly secretKeys: ReadonlySet<string>;
    private rootResource = "";
    private server: grpc.Server | undefined;

    constructor(private readonly options: MonitorOptions) {
        this.secretKeys = new Set(options.secretKeys);
    }

    get mode(): PlanMode {
        return this.options.mode;
    }

    /** Serves the ResourceMonitor and Engine services; resolves to the address both are on. */
    async start(): Promise<string> {
        const server = new grpc.Server({
            "grpc.max_receive_message_length": 400 * 1024 * 1024,
            "grpc.max_send_message_length": 400 * 1024 * 1024,
        });
        server.addService(
            ResourceMonitorService,
            this.monitorService() as unknown as grpc.UntypedServiceImplementation,
        );
        server.addService(EngineService, this.engineService() as unknown as grpc.UntypedServiceImplementation);
        const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
                e ? reject(e) : resolve(p),
            ),
        );
        this.server = server;
        return `127.0.0.1:${port}`;
    }

    stop(): void {
        this.server?.forceShutdown();
        this.server = undefined;
    }

    /**
     * The captured resources in a canonical order: every resource after its parent, its provider
     * and its dependencies, ties broken by URN. Registration order itself varies from run to run
     * (a resource registers when its inputs resolve, i.e. when the engine answers for the resources
     * it uses) and between the preview and update views; the canonical order does not, so plans,
     * diffs and generated documents are reproducible.
     */
    resources(): ExportedResource[] {
        const byUrn = new Map(this.captured.map((r) => [r.urn, r]));
        const waitingOn = new Map<string, number>();
        const dependents = new Map<string, string[]>();
        for (const r of this.captured) {
            const before = new Set<string>(r.dependencies ?? []);
            if (r.parent) before.add(r.parent);
            if (r.provider) before.add(r.provider.split("::").slice(0, -1).join("::"));
            const known = [...before].filter((u) => u !== r.urn && byUrn.has(u));
            waitingOn.set(r.urn, known.length);
            for (const u of known) dependents.set(u, [...(dependents.get(u) ?? []), r.urn]);
        }
        // The root stack first, as in an export; then by URN.
        const key = (urn: string): string => (urn.split("::")[2] === ROOT_TYPE ? "" : urn);
        const ready = this.captured.filter((r) => waitingOn.get(r.urn) === 0).map((r) => r.urn);
        ready.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
        const out: ExportedResource[] = [];
        while (ready.length > 0) {
            const urn = ready.shift() as string;
            out.push(byUrn.get(urn) as ExportedResource);
            for (const d of dependents.get(urn) ?? []) {
                const left = (waitingOn.get(d) as number) - 1;
                waitingOn.set(d, left);
                if (left === 0) {
                    const at = ready.findIndex((u) => key(u) > key(d));
                    ready.splice(at < 0 ? ready.length : at, 0, d);
                }
            }
        }
        // A cycle cannot come from a program; should one appear, keep what is left in registration order.
        const placed = new Set(out);
        return [...out, ...this.captured.filter((r) => !placed.has(r))];
    }

    /** Outputs the root stack registered (secrets kept marked). */
    stackOutputs(): State {
        return this.captured.find((r) => r.type === ROOT_TYPE)?.outputs ?? {};
    }

    /** Children of the root stack do not carry its type in their URN, as in the real engine. */
    urnOf(parent: string, type: string, name: string): string {
        const parentType = parent ? parent.split("::")[2] : undefined;
        const qualified = parentType && parentType.split("$").pop() !== ROOT_TYPE ? `${parentType}$${type}` : type;
        return `urn:pulumi:${this.options.ctx.stack}::${this.options.ctx.project}::${qualified}::${name}`;
    }

    private handle<Req, Res>(fn: (req: Req) => Res | Promise<Res>): Unary<Req, Res> {
        return (call, callback) => {
            Promise.resolve()
                .then(() => fn(call.request))
                .then(
                    (res) => callback(null, res),
                    (e: unknown) =>
                        callback(
                            typeof (e as grpc.ServiceError).code === "number"
                                ? (e as grpc.ServiceError)
                                : grpcError(grpc.status.UNKNOWN, e instanceof Error ? e.message : String(e)),
                        ),
                );
        };
    }

    private monitorService(): Record<string, Unary<never, unknown>> {
        const unsupported = (what: string) =>
            this.handle<unknown, never>(() => {
                throw grpcError(
                    grpc.status.UNIMPLEMENTED,
                    `the offline engine does not support ${what}; plan this program with the Pulumi CLI`,
                );
            });
        return {
            supportsFeature: this.handle((req: respb.SupportsFeatureRequest) =>
                new respb.SupportsFeatureResponse().setHassupport(FEATURES.has(req.getId())),
            ),
            registerResource: this.handle((req: respb.RegisterResourceRequest) => this.registerResource(req)),
            registerResourceOutputs: this.handle((req: respb.RegisterResourceOutputsRequest) => {
                const record = this.byUrn.get(req.getUrn());
                if (!record) throw grpcError(grpc.status.NOT_FOUND, `unknown resource ${req.getUrn()}`);
                const outputs = req.getOutputs()?.toJavaScript();
                if (outputs) record.outputs = toState(outputs) as State;
                return new Empty();
            }),
            readResource: this.handle((req: respb.ReadResourceRequest) => this.readResource(req)),
            invoke: this.handle((req: respb.ResourceInvokeRequest) => this.invoke(req)),
            registerPackage: this.handle((req: respb.RegisterPackageRequest) =>
                new respb.RegisterPackageResponse().setRef(`${req.getName()}@${req.getVersion()}`),
            ),
            signalAndWaitForShutdown: this.handle(() => new Empty()),
            call: unsupported("method calls on resources (Call)"),
            registerStackTransform: unsupported("stack transforms (registerResourceTransform)"),
            registerStackInvokeTransform: unsupported("invoke transforms"),
            registerResourceHook: unsupported("resource hooks"),
            registerErrorHook: unsupported("error hooks"),
        } as unknown as Record<string, Unary<never, unknown>>;
    }

    private engineService(): Record<string, Unary<never, unknown>> {
        return {
            log: this.handle((req: enginepb.LogRequest) => {
                // The CLI shows debug messages only with -v; they are not kept.
                if (req.getSeverity() === enginepb.LogSeverity.DEBUG) return new Empty();
                this.diagnostics.push({
                    severity: SEVERITIES[req.getSeverity()] ?? "info",
                    message: req.getMessage(),
                    ...(req.getUrn() ? { urn: req.getUrn() } : {}),
                });
                return new Empty();
            }),
            getRootResource: this.handle(() => new enginepb.GetRootResourceResponse().setUrn(this.rootResource)),
            setRootResource: this.handle((req: enginepb.SetRootResourceRequest) => {
                this.rootResource = req.getUrn();
                return new enginepb.SetRootResourceResponse();
            }),
            requirePulumiVersion: this.handle(() => new enginepb.RequirePulumiVersionResponse()),
        } as unknown as Record<string, Unary<never, unknown>>;
    }

    private registerResource(req: respb.RegisterResourceRequest): respb.RegisterResourceResponse {
        const type = req.getType();
        const name = req.getName();
        const custom = req.getCustom();
        if (req.getRemote())
            throw grpcError(
                grpc.status.UNIMPLEMENTED,
                `the offline engine cannot construct the remote component ${type} "${name}": its provider runs only under the Pulumi CLI`,
            );
        const parent = req.getParent();
        const urn = this.urnOf(parent, type, name);
        if (this.byUrn.has(urn))
            throw grpcError(grpc.status.ALREADY_EXISTS, `Duplicate resource URN '${urn}'; try giving it a unique name`);
        const wireInputs = (req.getObject()?.toJavaScript() ?? {}) as State;
        let provider: string | undefined = req.getProvider() || undefined;
        if (custom && !provider && !type.startsWith("pulumi:providers:")) {
            provider = this.defaultProvider(type.split(":")[0], req.getVersion());
        }
        const answer = custom
            ? this.answer(type, name, wireInputs, req.getImportid(), req.getAdditionalsecretoutputsList())
            : { id: "", outputs: {}, unknown: [] as readonly string[] };
        const outputs = toState(answer.outputs) as State;
        for (const key of answer.unknown) outputs[key] = UNKNOWN_VALUE;
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
        this.record(
            compact({
                urn,
                custom,
                id: answer.id || undefined,
                type,
                inputs: toState(wireInputs) as State,
                outputs: custom ? outputs : {},
                parent: parent || undefined,
                protect: req.getProtect() ?? false,
                retainOnDelete: req.getRetainondelete() ?? false,
                dependencies: req.getDependenciesList(),
                propertyDependencies,
                provider,
                ignoreChanges: req.getIgnorechangesList(),
                customTimeouts: customTimeouts(req),
                replaceOnChanges: req.getReplaceonchangesList(),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                deleteBeforeReplace: req.getDeletebeforereplace(),
                // Aliases given as URNs; those given as specs (the SDKs' own type aliases among them)
                // the engine resolves for matching old state only.
                aliases: req
                    .getAliasesList()
                    .map((a) => a.getUrn())
                    .filter((u) => u),
                sourcePosition: sourcePosition(req, this.options.root),
            }),
        );
        const response = new respb.RegisterResourceResponse().setUrn(urn).setId(answer.id);
        response.setObject(struct(answer.outputs));
        return response;
    }

    /**
     * A custom resource's id and outputs in this run's view, as wire values: inputs echoed (secret
     * where they were sent secret), provider outputs added (update) or left unknown (preview), and
     * `additionalSecretOutputs` marked secret as the engine does.
     */
    private answer(
        type: string,
        name: string,
        wireInputs: State,
        importId: string,
        secretOutputs: readonly string[],
    ): { id: string; outputs: State; unknown: readonly string[] } {
        const args = { type, name, inputs: plain(wireInputs) as State, custom: true, provider: "", id: importId };
        let id: string;
        let state: State;
        let unknown: readonly string[] = [];
        if (this.options.mode === "preview" && !importId) {
            ({ state, unknown } = previewResource(args, this.options.ctx));
            id = "";
        } else {
            const created = newResource(args, this.options.ctx);
            id = created.id ?? "";
            state = created.state;
        }
        const outputs: State = { ...state };
        annotateSecrets(outputs, wireInputs);
        for (const key of secretOutputs) {
            if (key in outputs && !isSecretWire(outputs[key]))
                outputs[key] = { [SECRET_SIG]: SECRET_SIG_VALUE, value: outputs[key] };
        }
        return { id, outputs, unknown };
    }

    private readResource(req: respb.ReadResourceRequest): respb.ReadResourceResponse {
        const urn = this.urnOf(req.getParent(), req.getType(), req.getName());
        const inputs = (req.getProperties()?.toJavaScript() ?? {}) as State;
        const { state } = newResource(
            {
                type: req.getType(),
                name: req.getName(),
                inputs: plain(inputs) as State,
                custom: true,
                provider: "",
                id: req.getId(),
            },
            this.options.ctx,
        );
        return new respb.ReadResourceResponse().setUrn(urn).setProperties(struct(state));
    }

    private invoke(req: respb.ResourceInvokeRequest): providerpb.InvokeResponse {
        const token = req.getTok();
        this.invokes.push(token);
        const args = plain(req.getArgs()?.toJavaScript() ?? {}) as State;
        if (token === "pulumi:pulumi:getResource") {
            const record = this.byUrn.get(String(args.urn));
            if (!record) throw grpcError(grpc.status.NOT_FOUND, `unknown resource ${String(args.urn)}`);
            return new providerpb.InvokeResponse().setReturn(
                struct({ urn: record.urn, id: record.id ?? "", state: record.outputs ?? {} }),
            );
        }
        const result = call({ token, inputs: args, provider: req.getProvider() }, this.options.ctx);
        return new providerpb.InvokeResponse().setReturn(struct(result));
    }

    private record(resource: ExportedResource): void {
        this.captured.push(resource);
        this.options.sink?.push(resource);
        this.byUrn.set(resource.urn, resource);
    }

    /** The engine's default provider for a package, recorded before its first resource. */
    private defaultProvider(pkg: string, version: string): string {
        const key = `${pkg}@${version}`;
        const known = this.defaultProviders.get(key);
        if (known) return known;
        const type = `pulumi:providers:${pkg}`;
        const name = version ? `default_${version.replace(/\./g, "_")}` : "default";
        const urn = this.urnOf("", type, name);
        const inputs: State = {};
        for (const [k, v] of Object.entries(this.options.config)) {
            if (!k.startsWith(`${pkg}:`)) continue;
            inputs[k.slice(pkg.length + 1)] = this.secretKeys.has(k) ? secretValue(secretFingerprint(v)) : v;
        }
        if (version) inputs.version = version;
        const id =
            this.options.mode === "preview"
                ? UNKNOWN_VALUE
                : (newResource({ type, name, inputs: {}, custom: true, provider: "", id: "" }, this.options.ctx).id ??
                  "");
        // In a preview the engine has not created the provider yet: its id is unknown.
        this.record({
            urn,
            custom: true,
            ...(this.options.mode === "preview" ? {} : { id }),
            type,
            inputs,
            outputs: { ...inputs },
        });
        const ref = `${urn}::${id}`;
        this.defaultProviders.set(key, ref);
        return ref;
    }
}
