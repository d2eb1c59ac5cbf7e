/**
 * The offline engine: runs a stack program under Pulumi's mock runtime with the stack's config
 * and captures every registered resource as `pulumi stack export` would record it.
 *
 * The program is the one `pulumi up` runs (the project's `main`); only the resource monitor is
 * different. The mocks' `newResource` never sees parents, dependencies or options, so a
 * monitor subclass reads them from the registration request itself.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { call, newResource, OFFLINE_ACCOUNT_ID, type CloudContext } from "./mocks";
import { readProject, readStackConfig, UsageError } from "./project";
import {
    RESOURCE_REF_SIG_VALUE,
    SECRET_SIG,
    SECRET_SIG_VALUE,
    secretValue,
    type ExportedResource,
    type StackExport,
} from "./stackExport";

export interface RunOptions {
    /** Folder holding Pulumi.yaml. */
    readonly projectDir: string;
    readonly stack: string;
    /** Overrides or adds config values (full keys), after the stack file. For tests. */
    readonly configOverrides?: Readonly<Record<string, string>>;
    readonly accountId?: string;
    /**
     * Receives every captured resource as it registers, also when the program then fails (a
     * run that throws has no result to read them from).
     */
    readonly sink?: ExportedResource[];
}

export interface RunResult {
    readonly project: string;
    readonly stack: string;
    readonly export: StackExport;
    /** Stack outputs, secrets replaced by `[secret]`. */
    readonly outputs: Record<string, unknown>;
    /** ESC environments named by the stack file, which offline runs cannot open. */
    readonly environments: readonly string[];
}

/** The Pulumi CLI version whose export format this mirrors. */
const EXPORT_VERSION = "v3.248.0";
const ROOT_TYPE = "pulumi:pulumi:Stack";

interface Proto {
    toJavaScript(): Record<string, unknown>;
}

/** The parts of the SDK's RegisterResourceRequest the capture reads (its class is not exported as a type). */
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getParent(): string;
    getObject(): Proto | undefined;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(fn: (deps: { getUrnsList(): string[] }, key: string) => void): void };
    getProvider(): string;
    getVersion(): string;
    getIgnorechangesList(): string[];
    getReplaceonchangesList(): string[];
    getAdditionalsecretoutputsList(): string[];
    getDeletebeforereplace(): boolean;
    getAliasesList(): Array<{ getUrn(): string }>;
}

interface RegisterResponse {
    getUrn(): string;
    getId(): string;
    getObject(): Proto | undefined;
    setObject(value: unknown): void;
}

/**
 * As the engine does: outputs a resource declares secret (`additionalSecretOutputs`, e.g. a
 * RandomPassword's `result`) come back to the program as secrets.
 */
function markSecretOutputs(resp: RegisterResponse, names: string[]): void {
    if (names.length === 0) return;
    const object = resp.getObject()?.toJavaScript() ?? {};
    for (const name of names) {
        if (
            name in object &&
            !(typeof object[name] === "object" && object[name] !== null && SECRET_SIG in (object[name] as object))
        ) {
            object[name] = { [SECRET_SIG]: SECRET_SIG_VALUE, value: object[name] };
        }
    }
    resp.setObject(Struct.fromJavaScript(object as Record<string, never>));
}

type Callback = (err: unknown, resp: unknown) => void;

/** Turns wire-format property values into exported state: secrets as ciphertext, references as URNs. */
function toState(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(toState);
    if (typeof value === "object" && value !== null) {
        const obj = value as Record<string, unknown>;
        if (obj[SECRET_SIG] === SECRET_SIG_VALUE) return secretValue();
        if (obj[SECRET_SIG] === RESOURCE_REF_SIG_VALUE) return obj.urn;
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toState(v)]));
    }
    return value;
}

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

class CapturingMonitor extends MockMonitor {
    readonly captured: ExportedResource[] = [];
    private readonly byUrn = new Map<string, ExportedResource>();
    private readonly defaultProviders = new Map<string, string>();

    constructor(
        mocks: pulumi.runtime.Mocks,
        private readonly ctx: CloudContext,
        private readonly config: Readonly<Record<string, string>>,
        private readonly secretKeys: ReadonlySet<string>,
        private readonly sink: ExportedResource[] | undefined,
    ) {
        super(mocks);
        // MockMonitor.newUrn is private in the SDK's types; the instance property shadows it.
        (this as unknown as { newUrn: (p: string, t: string, n: string) => string }).newUrn = (p, t, n) =>
            this.urnOf(p, t, n);
    }

    /** Children of the root stack do not carry its type in their URN, as in the real engine. */
    urnOf(parent: string, type: string, name: string): string {
        const parentType = parent ? parent.split("::")[2]?.split("$").pop() : undefined;
        const qualified = parentType && parentType !== ROOT_TYPE ? `${parent.split("::")[2]}$${type}` : type;
        return `urn:pulumi:${this.ctx.stack}::${this.ctx.project}::${qualified}::${name}`;
    }

    async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
        await super.registerResource(req, (err: unknown, resp: unknown) => {
            if (!err) {
                markSecretOutputs(resp as RegisterResponse, req.getAdditionalsecretoutputsList());
                this.capture(req, resp as RegisterResponse);
            }
            callback(err, resp);
        });
    }

    registerResourceOutputs(req: { getUrn(): string; getOutputs(): Proto | undefined }, callback: Callback): void {
        const record = this.byUrn.get(req.getUrn());
        const outputs = req.getOutputs()?.toJavaScript();
        if (record && outputs) record.outputs = toState(outputs) as Record<string, unknown>;
        super.registerResourceOutputs(req, callback);
    }

    private capture(req: RegisterRequest, resp: RegisterResponse): void {
        const type: string = req.getType();
        const custom: boolean = req.getCustom();
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
        let provider: string | undefined = req.getProvider() || undefined;
        if (custom && !provider && !type.startsWith("pulumi:providers:")) {
            provider = this.defaultProvider(type.split(":")[0], req.getVersion());
        }
        const record: ExportedResource = compact({
            urn: resp.getUrn(),
            custom,
            id: resp.getId() || undefined,
            type,
            inputs: toState(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
            outputs: custom ? (toState(resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>) : {},
            parent: req.getParent() || undefined,
            protect: req.getProtect() ?? false,
            retainOnDelete: req.getRetainondelete() ?? false,
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            provider,
            ignoreChanges: req.getIgnorechangesList(),
            replaceOnChanges: req.getReplaceonchangesList(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            aliases: req
                .getAliasesList()
                .map((a) => a.getUrn())
                .filter((u) => u),
        });
        this.record(record);
    }

    private record(resource: ExportedResource): void {
        this.captured.push(resource);
        this.sink?.push(resource);
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
        const id = newResource({ type, name, inputs: {}, custom: true, provider: "", id: "" }, this.ctx).id ?? "";
        const inputs: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(this.config)) {
            if (!k.startsWith(`${pkg}:`)) continue;
            inputs[k.slice(pkg.length + 1)] = this.secretKeys.has(k) ? secretValue() : v;
        }
        if (version) inputs.version = version;
        const record: ExportedResource = { urn, custom: true, id, type, inputs, outputs: { ...inputs } };
        this.record(record);
        const ref = `${urn}::${id}`;
        this.defaultProviders.set(key, ref);
        return ref;
    }
}

/** Replaces secret outputs with `[secret]` for display. */
function reveal(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(reveal);
    if (typeof value === "object" && value !== null) {
        const obj = value as Record<string, unknown>;
        if (obj[SECRET_SIG] === SECRET_SIG_VALUE) return "[secret]";
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, reveal(v)]));
    }
    return value;
}

/**
 * Runs the project's program for `stack` offline and returns the captured deployment. Errors
 * thrown by the program (bad configuration included) reject the promise unchanged.
 */
export async function runStack(options: RunOptions): Promise<RunResult> {
    const projectDir = path.resolve(options.projectDir);
    const project = readProject(projectDir);
    const stackConfig = readStackConfig(projectDir, project, options.stack);
    const result = await runProgram({
        project: project.name,
        stack: options.stack,
        config: { ...stackConfig.values, ...options.configOverrides },
        secretKeys: stackConfig.secretKeys,
        program: () => {
            const programModule = loadProgram(project.main);
            return typeof programModule === "function" ? (programModule as () => unknown)() : programModule;
        },
        accountId: options.accountId,
        sink: options.sink,
    });
    return { ...result, environments: stackConfig.environments };
}

export interface ProgramOptions {
    readonly project: string;
    readonly stack: string;
    /** Full config keys to the strings the program sees. */
    readonly config: Readonly<Record<string, string>>;
    readonly secretKeys?: readonly string[];
    /** The program: registers resources and returns the stack outputs. */
    readonly program: () => unknown;
    readonly accountId?: string;
    readonly sink?: ExportedResource[];
}

/**
 * Runs any program (a stack's, or a component under test) inside a root stack under the
 * capturing mock runtime, and returns what it registered.
 */
export async function runProgram(options: ProgramOptions): Promise<Omit<RunResult, "environments">> {
    const { project, stack, config } = options;
    const secretKeys = new Set(options.secretKeys ?? []);
    const ctx: CloudContext = {
        project,
        stack,
        region: config["aws:region"] ?? "us-east-1",
        accountId: options.accountId ?? OFFLINE_ACCOUNT_ID,
    };
    const mocks: pulumi.runtime.Mocks = {
        newResource: (args) => newResource(args, ctx),
        call: (args) => call(args, ctx),
    };
    const monitor = new CapturingMonitor(mocks, ctx, config, secretKeys, options.sink);
    await pulumi.runtime.setMocks(mocks, project, stack, false);
    pulumi.runtime.setMockOptions(monitor, project, stack, false);
    pulumi.runtime.setAllConfig({ ...config }, [...secretKeys]);

    // A program that throws is caught inside the root stack and rethrown after registrations
    // settle: the SDK would otherwise also leave the stack's own rejected promise unhandled.
    let failure: { error: unknown } | undefined;
    await pulumi.runtime.runInPulumiStack(async () => {
        try {
            return await options.program();
        } catch (error) {
            failure = { error };
            return {};
        }
    });
    await settleRegistrations();
    if (failure) throw failure.error;
    // The root stack's registered outputs keep secrets marked (the promise's values do not).
    const outputs = monitor.captured.find((r) => r.type === ROOT_TYPE)?.outputs ?? {};

    return {
        project,
        stack,
        export: {
            version: 3,
            deployment: {
                manifest: { time: new Date().toISOString(), magic: "", version: EXPORT_VERSION },
                resources: monitor.captured,
            },
        },
        outputs: reveal(outputs) as Record<string, unknown>,
    };
}

function loadProgram(main: string): unknown {
    try {
        // The CLI's CommonJS path does the same: require the entry point, call it if it is a function.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(main) as unknown;
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && String((e as Error).message).includes(main)) {
            throw new UsageError(`the program entry point ${main} (main in Pulumi.yaml) does not exist`);
        }
        throw e;
    }
}

/** Waits until no registration is in flight (the SDK's own RPC queue drains). */
async function settleRegistrations(): Promise<void> {
    const settings = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
    if (settings.waitForRPCs) await settings.waitForRPCs();
}
