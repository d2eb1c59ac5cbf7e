/**
 * The offline engine's gRPC server, listening before the engine itself has loaded: the program
 * process (which spends a second loading its SDKs before its first call) starts as soon as there
 * is an address to give it, and the engine's services — the protocol buffers, the provider
 * models — load meanwhile. Calls that arrive first wait for {@link Listening.serve}; none is
 * refused for being early. Loads gRPC and nothing else.
 */
import * as grpc from "@grpc/grpc-js";

/**
 * The methods of the services the engine serves (`pulumirpc.ResourceMonitor`, `pulumirpc.Engine`
 * in `@pulumi/pulumi/proto` at v3.248.0, all unary), so that each has a route before the services'
 * definitions load. A method a later SDK adds gets its route when {@link Listening.serve} is given
 * it (tests/engine.test.ts keeps this list equal to the installed SDK's).
 */
export const EARLY_METHODS: readonly string[] = [
    "/pulumirpc.ResourceMonitor/GetDeploymentInfo",
    "/pulumirpc.ResourceMonitor/SupportsFeature",
    "/pulumirpc.ResourceMonitor/Invoke",
    "/pulumirpc.ResourceMonitor/Call",
    "/pulumirpc.ResourceMonitor/ReadResource",
    "/pulumirpc.ResourceMonitor/RegisterResource",
    "/pulumirpc.ResourceMonitor/RegisterResourceOutputs",
    "/pulumirpc.ResourceMonitor/RegisterStackTransform",
    "/pulumirpc.ResourceMonitor/RegisterStackInvokeTransform",
    "/pulumirpc.ResourceMonitor/RegisterResourceHook",
    "/pulumirpc.ResourceMonitor/RegisterErrorHook",
    "/pulumirpc.ResourceMonitor/RegisterPackage",
    "/pulumirpc.ResourceMonitor/SignalAndWaitForShutdown",
    "/pulumirpc.Engine/Log",
    "/pulumirpc.Engine/GetRootResource",
    "/pulumirpc.Engine/SetRootResource",
    "/pulumirpc.Engine/StartDebugging",
    "/pulumirpc.Engine/RequirePulumiVersion",
];

/** The server options the engine runs with: messages up to 400 MiB, as large stacks need. */
export const SERVER_OPTIONS: grpc.ServerOptions = {
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
};

/** A service to serve: its definition (from `@pulumi/pulumi/proto`) and its unary handlers by method name. */
export type Service = readonly [
    grpc.ServiceDefinition,
    Readonly<Record<string, grpc.handleUnaryCall<unknown, unknown>>>,
];

export interface Listening {
    /** `127.0.0.1:<port>`, for the program's `--monitor` and `--engine`. */
    readonly address: string;
    /** Serves `services` from now on, answering the calls that waited. Once. */
    serve(services: readonly Service[]): void;
    /** Stops at once: calls in flight end with an error. */
    stop(): void;
}

interface Route {
    /** The method's name in its service definition. */
    readonly name: string;
    readonly method: grpc.MethodDefinition<unknown, unknown>;
    readonly handler: grpc.handleUnaryCall<unknown, unknown> | undefined;
}

const raw = (path: string): grpc.MethodDefinition<Buffer, Buffer> => ({
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (b) => b,
    requestDeserialize: (b) => b,
    responseSerialize: (b) => b,
    responseDeserialize: (b) => b,
});

/** Binds a port on the loopback interface and routes every {@link EARLY_METHODS} call until {@link Listening.serve} says where. */
export async function listen(): Promise<Listening> {
    const server = new grpc.Server(SERVER_OPTIONS);
    let served: (routes: ReadonlyMap<string, Route>) => void = () => undefined;
    const routes = new Promise<ReadonlyMap<string, Route>>((resolve) => (served = resolve));
    const routed = new Set<string>();
    const addRoutes = (paths: readonly string[]): void => {
        if (paths.length === 0) return;
        const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
        const handlers: grpc.UntypedServiceImplementation = {};
        for (const path of paths) {
            routed.add(path);
            definition[path] = raw(path);
            handlers[path] = ((call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
                void routes.then((map) => answer(map.get(path), path, call, callback))) as grpc.handleUnaryCall<
                Buffer,
                Buffer
            >;
        }
        server.addService(definition, handlers);
    };
    addRoutes(EARLY_METHODS);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
            e ? reject(e) : resolve(p),
        ),
    );
    let serving = false;
    return {
        address: `127.0.0.1:${port}`,
        serve(services) {
            if (serving) throw new Error("listen: the services are already served");
            serving = true;
            const map = new Map<string, Route>();
            for (const [definition, handlers] of services)
                for (const [name, method] of Object.entries(definition))
                    // The engine's services are unary; a streaming method is left to gRPC's own answer.
                    if (!method.requestStream && !method.responseStream)
                        map.set(method.path, { name, method, handler: handlers[name] });
            addRoutes([...map.keys()].filter((p) => !routed.has(p)));
            served(map);
        },
        stop() {
            server.forceShutdown();
        },
    };
}

/** One call, decoded and answered with the route's own (de)serializers. */
function answer(
    route: Route | undefined,
    path: string,
    call: grpc.ServerUnaryCall<Buffer, Buffer>,
    callback: grpc.sendUnaryData<Buffer>,
): void {
    const fail = (code: grpc.status, details: string): void =>
        callback(Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() }));
    // As gRPC answers a method a service leaves out.
    if (!route?.handler)
        return fail(grpc.status.UNIMPLEMENTED, `The server does not implement the method ${route?.name ?? path}`);
    let request: unknown;
    try {
        request = route.method.requestDeserialize(call.request);
    } catch (e) {
        return fail(
            grpc.status.INTERNAL,
            `${path}: cannot decode the request: ${e instanceof Error ? e.message : String(e)}`,
        );
    }
    const decoded = Object.create(call, { request: { value: request } }) as grpc.ServerUnaryCall<unknown, unknown>;
    const reply: grpc.sendUnaryData<unknown> = (error, value) => {
        if (error) return callback(error);
        let bytes: Buffer;
        try {
            bytes = route.method.responseSerialize(value);
        } catch (e) {
            return fail(
                grpc.status.INTERNAL,
                `${path}: cannot encode the answer: ${e instanceof Error ? e.message : String(e)}`,
            );
        }
        callback(null, bytes);
    };
    try {
        route.handler(decoded, reply);
    } catch (e) {
        // As gRPC answers a handler that throws.
        fail(grpc.status.UNKNOWN, e instanceof Error ? e.message : String(e));
    }
}
