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
    ];
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
export function serverEnvironment(spec: ServerSpec & { modelVersion: string }): Array<{ name: string; value: string }> {
    return [
        ...Object.entries(VLLM_ENVIRONMENT).map(([name, value]) => ({ name, value })),
        { name: "VLLM_LOGGING_LEVEL", value: vllmLoggingLevel(spec.logLevel) },
        { name: "PORT", value: String(spec.port) },
        { name: "MODEL_VERSION", value: spec.modelVersion },
        { name: "VLLM_HTTP_TIMEOUT_KEEP_ALIVE", value: String(VLLM_KEEP_ALIVE_SECONDS) },
    ];
}
