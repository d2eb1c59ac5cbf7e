/**
 * The offline engine's side of the Pulumi protocol: a gRPC server with the ResourceMonitor and
 * Engine services that a Pulumi program talks to (the same services the Pulumi CLI serves, from
 * `@pulumi/pulumi/proto`). It names resources as the engine does, answers registrations and
 * invokes from the provider models (`mocks.ts`, `resourceModels.ts`, `invokes.ts`) in one of two
 * views, and captures every resource in the shape of `pulumi stack export`:
 *
 * - `preview`: what a first `pulumi preview` knows. A create answers with its checked inputs
 *   (the autonamed property filled in); ids and every other computed output are unknown.
 * - `update`: what `pulumi up` leaves behind, with realistic provider outputs.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginepb from "@pulumi/pulumi/proto/engine_pb";
import * as providerpb from "@pulumi/pulumi/proto/provider_pb";
import { ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as respb from "@pulumi/pulumi/proto/resource_pb";
import { answerCreate, call, newResource, type CloudContext } from "./mocks";
import { listen, type Listening, type Service } from "./listen";
import type { Diagnostic, PlanMode } from "./outcome";
import { canonicalOrder, compact, customTimeouts, grpcError, sourcePosition } from "./registration";
import { secretFingerprint, secretValue, UNKNOWN_VALUE, type ExportedResource, type ResourceSink } from "./stackExport";
import { plain, struct, toState, type State } from "./wireValues";

type InvokeResponse = providerpb.InvokeResponse;

/**
 * The message the ResourceMonitor service answers Invoke with: provider_pb's InvokeResponse up to
 * @pulumi/pulumi 3.255, resource_pb's ResourceInvokeResponse from 3.256.0 (pulumi/pulumi#24100, the
 * same fields on the wire). The service definition the engine serves — from the @pulumi/pulumi the
 * engine loads, the consumer's — refuses any other class in its serializer, so the engine answers
 * with the class that definition declares.
 */
const INVOKE_RESPONSE = (ResourceMonitorService as unknown as { invoke: { responseType: new () => InvokeResponse } })
    .invoke.responseType;

export { annotateSecrets, plain } from "./wireValues";
export { goDurationSeconds } from "./registration";

export { PLAN_MODES, type Diagnostic, type PlanMode } from "./outcome";

export interface MonitorOptions {
    readonly ctx: CloudContext;
    readonly mode: PlanMode;
    /** Full config keys to the strings the program sees (default providers read theirs). */
    readonly config: Readonly<Record<string, string>>;
    readonly secretKeys: readonly string[];
    /** Receives every captured resource as it registers. */
    readonly sink?: ResourceSink;
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

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
type Unary<Req, Res> = (call: { request: Req }, callback: Callback<Res>) => void;

/**
 * The monitor and engine of one program run. `start` serves both services on a loopback port;
 * `captured` and `diagnostics` fill as the program runs.
 */ export class OfflineMonitor {
    readonly captured: ExportedResource[] = [];
    readonly diagnostics: Diagnostic[] = [];
    /** Invokes the program made (tokens, in order): a preview sends none whose arguments are unknown. */
    readonly invokes: string[] = [];
    private readonly byUrn = new Map<string, ExportedResource>();
    private readonly defaultProviders = new Map<string, string>();
    private readonly secretKeys: ReadonlySet<string>;
    private rootResource = "";
    private listening: Listening | undefined;

    constructor(private readonly options: MonitorOptions) {
        this.secretKeys = new Set(options.secretKeys);
    }

    get mode(): PlanMode {
        return this.options.mode;
    }

    /** Serves the ResourceMonitor and Engine services; resolves to the address both are on. */
    async start(): Promise<string> {
        const listening = await listen();
        this.serveOn(listening);
        return listening.address;
    }

    /**
     * Serves the ResourceMonitor and Engine services on a server already listening (the program
     * may have been started on its address and be waiting for its first answer).
     */
    serveOn(listening: Listening): void {
        listening.serve([
            [ResourceMonitorService, this.monitorService()],
            [EngineService, this.engineService()],
        ] as unknown as Service[]);
        this.listening = listening;
    }

    stop(): void {
        this.listening?.stop();
        this.listening = undefined;
    }

    /**
     * The captured resources in a canonical order: every resource after its parent, its provider
     * and its dependencies, ties broken by URN. Registration order itself varies from run to run
     * (a resource registers when its inputs resolve, i.e. when the engine answers for the resources
     * it uses) and between the preview and update views; the canonical order does not, so plans,
     * diffs and generated documents are reproducible.
     */
    resources(): ExportedResource[] {
        return canonicalOrder(this.captured, ROOT_TYPE);
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
            ? answerCreate(this.options.mode, this.options.ctx, {
                  type,
                  name,
                  wireInputs,
                  importId: req.getImportid(),
                  secretOutputs: req.getAdditionalsecretoutputsList(),
              })
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
        const response = new respb.ReadResourceResponse().setUrn(urn).setProperties(struct(state));
        // Newer SDKs (3.276.0; not 3.259.0) read the id back from the answer, an empty one being
        // unknown in a preview; older ones keep the id they asked for and have no such field.
        (response as unknown as { setId?: (id: string) => unknown }).setId?.(req.getId());
        return response;
    }

    private invoke(req: respb.ResourceInvokeRequest): InvokeResponse {
        const token = req.getTok();
        this.invokes.push(token);
        const args = plain(req.getArgs()?.toJavaScript() ?? {}) as State;
        if (token === "pulumi:pulumi:getResource") {
            const record = this.byUrn.get(String(args.urn));
            if (!record) throw grpcError(grpc.status.NOT_FOUND, `unknown resource ${String(args.urn)}`);
            return new INVOKE_RESPONSE().setReturn(
                struct({ urn: record.urn, id: record.id ?? "", state: record.outputs ?? {} }),
            );
        }
        const result = call({ token, inputs: args, provider: req.getProvider() }, this.options.ctx);
        return new INVOKE_RESPONSE().setReturn(struct(result));
    }

    private record(resource: ExportedResource): void {
        this.captured.push(resource);
        this.byUrn.set(resource.urn, resource);
        this.options.sink?.push(resource);
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
