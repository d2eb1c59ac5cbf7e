/**
 * How the inference container starts vLLM's OpenAI server, on EKS and on ECS alike: the image's
 * own ENTRYPOINT (the stock `vllm/vllm-openai` image's, which `images/inference` keeps), given the
 * model, address and logging as vLLM's flags, with the environment a non-root server on a
 * read-only root needs (catalog/vllm.ts: the image contract).
 */
import { STREAM_IDLE_TIMEOUT_SECONDS } from "../catalog/standards";
import { VLLM_ENVIRONMENT } from "../catalog/vllm";

/**
 * Seconds vLLM's HTTP server keeps an idle connection open (`VLLM_HTTP_TIMEOUT_KEEP_ALIVE`, uvicorn's
 * `timeout_keep_alive`; vLLM's default is 5): longer than the load balancer's idle timeout, as AWS
 * asks of an ALB's targets. With uvicorn's 5 s, the ALB (300 s) reuses connections the server has
 * already closed and answers 502.
 */
export const VLLM_KEEP_ALIVE_SECONDS = STREAM_IDLE_TIMEOUT_SECONDS + 5;

/**
 * `/dev/shm` for the server, MiB: PyTorch and NCCL pass tensors between vLLM's worker processes
 * through it when a model is sharded over several GPUs. vLLM's production stack gives 20 GiB when
 * tensor parallelism is on (`helm/values.yaml`, `shmSize`), 2 GiB otherwise (as on EKS). Pages
 * written there count in the container's memory.
 */
export function sharedMemoryMiB(tensorParallelSize: number): number {
    return tensorParallelSize > 1 ? 20480 : 2048;
}

export interface ServerSpec {
    /** Where the weights are in the container (the synced model folder). */
    modelPath: string;
    /** The port the server listens on (the container port the probes call). */
    port: number;
    /** vLLM's log level (INFO, DEBUG …); uvicorn's is the same, in lower case. */
    logLevel: string;
    /** The model name clients send (`--served-model-name`). @default - vLLM's: the model path */
    servedModelName?: string;
    /** GPUs the model is sharded over (`--tensor-parallel-size`). @default - vLLM's: 1 */
    tensorParallelSize?: number;
    /**
     * Log each request's id and sampling parameters as it arrives, never its prompt
     * (`--enable-log-requests --max-log-len 0`). @default false
     */
    logRequests?: boolean;
    /**
     * Where vLLM sends one OpenTelemetry span per finished request, OTLP over gRPC
     * (`--otlp-traces-endpoint`). The image must carry OpenTelemetry's SDK. @default - no traces
     */
    otlpTracesEndpoint?: string;
}

/** The container's arguments: vLLM's OpenAI server flags, after the image's ENTRYPOINT. */
export function serverArgs(spec: ServerSpec): string[] {
    return [
        "--model",
        spec.modelPath,
        "--host",
        "0.0.0.0",
        "--port",
        String(spec.port),
        "--uvicorn-log-level",
        spec.logLevel.toLowerCase(),
        ...(spec.servedModelName !== undefined ? ["--served-model-name", spec.servedModelName] : []),
        ...(spec.tensorParallelSize !== undefined ? ["--tensor-parallel-size", String(spec.tensorParallelSize)] : []),
        // Every answer carries X-Request-Id: the caller's, which vLLM also makes its request id
        // (`chatcmpl-<id>` in its logs and spans), or one it draws.
        "--enable-request-id-headers",
        ...(spec.logRequests ? ["--enable-log-requests", "--max-log-len", "0"] : []),
        ...(spec.otlpTracesEndpoint !== undefined ? ["--otlp-traces-endpoint", spec.otlpTracesEndpoint] : []),
    ];
}

/** Where the JSON logging configuration is mounted in the server's container. */
export const VLLM_LOGGING_CONFIG_DIR = "/etc/vllm-logging";
export const VLLM_LOGGING_CONFIG_FILE = "logging.json";

/**
 * vLLM's logging as JSON lines, one object per line: `ts` (ISO 8601, UTC; not `time`, which Fluent Bit's CRI parser keeps in the record), `level`, `logger`,
 * `message`, the `model` served, and `exc_info` with a traceback. vLLM reads the file named by
 * VLLM_LOGGING_CONFIG_PATH for its own loggers (vllm/logger.py) and hands the same file to uvicorn
 * for the HTTP server's (vllm/entrypoints/openai/api_server.py, v0.11.0), so uvicorn's loggers are
 * configured here too: without them its access lines would go to Python's last-resort handler,
 * which drops INFO. The formatter is python-json-logger's, a vLLM requirement, named as vLLM's own
 * example names it (`examples/others/logging_configuration.md`). docs/UPSTREAM.md, "Logs".
 */
export function vllmLoggingConfig(options: { logLevel: string; model: string }): Record<string, unknown> {
    const level = vllmLoggingLevel(options.logLevel);
    const logger = { handlers: ["json"], level, propagate: false };
    return {
        version: 1,
        disable_existing_loggers: false,
        formatters: {
            json: {
                "()": "pythonjsonlogger.jsonlogger.JsonFormatter",
                fmt: "%(levelname)s %(name)s %(message)s",
                rename_fields: { levelname: "level", name: "logger" },
                timestamp: "ts",
                static_fields: { model: options.model },
            },
        },
        handlers: { json: { class: "logging.StreamHandler", formatter: "json", stream: "ext://sys.stdout" } },
        loggers: {
            vllm: logger,
            uvicorn: logger,
            "uvicorn.error": logger,
            "uvicorn.access": logger,
        },
    };
}

/**
 * vLLM's logging level for a log level the components accept (uvicorn's levels): vLLM hands
 * VLLM_LOGGING_LEVEL to Python's logging (vllm/logger.py at v0.11.0), which has no TRACE and
 * refuses to start with it, so uvicorn's `trace` is vLLM's DEBUG.
 */
export function vllmLoggingLevel(logLevel: string): string {
    const level = logLevel.toUpperCase();
    return level === "TRACE" ? "DEBUG" : level;
}

/**
 * The server's environment: the contract's (HOME, USER, torch's cache, no usage statistics), vLLM's
 * log level, the port (the HEALTHCHECK of `images/inference` reads PORT), the release, and a
 * keep-alive longer than the load balancer's idle timeout.
 */
export function serverEnvironment(
    spec: ServerSpec & { modelVersion: string; jsonLogs?: boolean; serviceName?: string },
): Array<{ name: string; value: string }> {
    return [
        ...(spec.jsonLogs
            ? [{ name: "VLLM_LOGGING_CONFIG_PATH", value: `${VLLM_LOGGING_CONFIG_DIR}/${VLLM_LOGGING_CONFIG_FILE}` }]
            : []),
        // The spans' service.name (OpenTelemetry's SDK reads it).
        ...(spec.otlpTracesEndpoint !== undefined
            ? [
                  { name: "OTEL_SERVICE_NAME", value: spec.serviceName ?? spec.servedModelName ?? "vllm" },
                  // Indexed by TraceCollector as X-Ray's `otel_resource_llm_platform_model` annotation.
                  {
                      name: "OTEL_RESOURCE_ATTRIBUTES",
                      value: `llm_platform.model=${spec.serviceName ?? spec.servedModelName ?? "vllm"}`,
                  },
              ]
            : []),
        ...Object.entries(VLLM_ENVIRONMENT).map(([name, value]) => ({ name, value })),
        { name: "VLLM_LOGGING_LEVEL", value: vllmLoggingLevel(spec.logLevel) },
        { name: "PORT", value: String(spec.port) },
        { name: "MODEL_VERSION", value: spec.modelVersion },
        { name: "VLLM_HTTP_TIMEOUT_KEEP_ALIVE", value: String(VLLM_KEEP_ALIVE_SECONDS) },
    ];
}
