/**
 * What the shipped inference image serves: vLLM's OpenAI-compatible server at the version its
 * Dockerfile pins (images/inference/Dockerfile). Probes, load balancer health checks and smoke
 * tests use these routes, and only these; sources in docs/UPSTREAM.md.
 */

/** The vLLM release the image is built on (`vllm/vllm-openai:<tag>`). */
export const VLLM_VERSION = "v0.11.0";

/**
 * The routes the server answers (besides the OpenAI API itself). There is no `/ready`.
 * - `/health`: 200 while the engine lives, 503 once it has died (`EngineDeadError`).
 * - `/v1/models`: the served models; the server starts listening only after the engine has
 *   loaded the model, so an answer means the model is loaded and the OpenAI API is up.
 * - `/metrics`: Prometheus metrics (`vllm:*`, and `http_requests_total` of the HTTP layer).
 */
export const VLLM_ROUTES = ["/health", "/ping", "/v1/models", "/version", "/metrics", "/load"] as const;

/** Liveness and startup: the engine is alive. A failure restarts the container. */
export const LIVENESS_PATH = "/health";

/**
 * Readiness (and the load balancers' health check): the model is loaded and the OpenAI API
 * answers. `/v1/models` is served only once loading is done and lists the served model; it costs
 * no GPU time, so probing it every few seconds is free.
 */
export const READINESS_PATH = "/v1/models";

/**
 * Sequences vLLM batches at once by default on a GPU under 70 GiB (the OpenAI server's
 * max_num_seqs in EngineArgs' batch defaults; 1024 on larger GPUs other than A100): beyond it
 * requests wait (docs/UPSTREAM.md, "KEDA HTTP add-on", vLLM's batch limit).
 */
export const VLLM_DEFAULT_MAX_NUM_SEQS = 256;

/**
 * The numeric, non-root user the server runs as: the user `images/inference` creates and runs as,
 * and what the components set (`runAsUser`) for the stock image, which has no USER (it would run as
 * root).
 */
export const INFERENCE_UID = 10001;

/**
 * The stock image at {@link VLLM_VERSION}, by digest: what `BlueGreenEksService` and
 * `BlueGreenEcsService` run when a release names no image. The digest is the tag's image index as
 * pulled (vllm-project/vllm#28125 and other public records; docs/UPSTREAM.md): check it with
 * `docker buildx imagetools inspect vllm/vllm-openai:v0.11.0` and mirror it into your registry
 * (an ECR pull-through cache) for production, where Docker Hub's pull limits apply.
 */
export const VLLM_IMAGE =
    "vllm/vllm-openai:v0.11.0@sha256:014a95f21c9edf6abe0aea6b07353f96baa4ec291c427bb1176dc7c93a85845c";

/**
 * What the server's container must be given, for the stock image and for `images/inference`
 * alike (docs/UPSTREAM.md, "The image contract"): both images start vLLM's OpenAI server as the
 * stock image's ENTRYPOINT does, `python3 -m vllm.entrypoints.openai.api_server`, which takes the
 * model only as `--model` (a positional model is ignored) and listens on `--port`; neither image's
 * entrypoint reads an environment variable for the model or the port. The components therefore
 * set no `command` and pass everything as arguments.
 */
export const VLLM_ENTRYPOINT = ["python3", "-m", "vllm.entrypoints.openai.api_server"] as const;

/** The api_server flags the components pass (each exists at {@link VLLM_VERSION}). */
export const VLLM_SERVER_FLAGS = [
    "--model",
    "--host",
    "--port",
    "--uvicorn-log-level",
    "--served-model-name",
    "--tensor-parallel-size",
    "--enable-request-id-headers",
    "--enable-log-requests",
    "--max-log-len",
    "--otlp-traces-endpoint",
] as const;

/** Of {@link VLLM_SERVER_FLAGS}, those that take no value (argparse `store_true`). */
export const VLLM_SERVER_SWITCHES = ["--enable-request-id-headers", "--enable-log-requests"] as const;

/** `--uvicorn-log-level`'s choices at {@link VLLM_VERSION}. */
export const UVICORN_LOG_LEVELS = ["debug", "info", "warning", "error", "critical", "trace"] as const;

/**
 * The one writable place a non-root vLLM with a read-only root file system needs besides the
 * weights: every cache and config vLLM, torch.compile, Triton, FlashInfer and Hugging Face write at
 * serve time defaults under HOME (or XDG_*, left unset), and its IPC sockets and temporary files
 * under the temp folder; both are this folder.
 */
export const VLLM_WRITABLE_DIR = "/tmp";

/**
 * The environment the server runs with (besides what the components add for the model): HOME on
 * the writable folder; a user name, since uid 10001 has no passwd entry in the stock image and
 * torch's default cache folder asks for one (getpass.getuser()); torch's Inductor cache set, which
 * skips that question; vLLM's usage statistics off (on by default, they write under HOME and
 * send the deployment's details to stats.vllm.ai every ten minutes).
 */
export const VLLM_ENVIRONMENT: Readonly<Record<string, string>> = {
    HOME: VLLM_WRITABLE_DIR,
    USER: "vllm",
    TORCHINDUCTOR_CACHE_DIR: `${VLLM_WRITABLE_DIR}/torchinductor`,
    VLLM_NO_USAGE_STATS: "1",
    DO_NOT_TRACK: "1",
};

/** vLLM gauges the autoscaler reads (see docs/UPSTREAM.md, "Metrics the image emits"). */
export const VLLM_METRIC_NAMES = {
    /** Requests queued for a slot in the engine, per engine (pod). */
    waitingRequests: "vllm:num_requests_waiting",
    /** Fraction (0–1) of the KV cache in use, per engine. */
    kvCacheUsage: "vllm:kv_cache_usage_perc",
} as const;

/**
 * vLLM's time-to-first-token histogram: seconds from a request's arrival at the server to its first
 * token, per `model_name` and `engine` (vllm/v1/metrics/loggers.py at {@link VLLM_VERSION}).
 */
export const VLLM_TTFT_HISTOGRAM = "vllm:time_to_first_token_seconds";

/** Its bucket bounds, seconds: a latency budget counted from it exactly must be one of them. */
export const VLLM_TTFT_BUCKETS_SECONDS = [
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0,
    640.0, 2560.0,
] as const;

/**
 * Why a latency budget (ms) cannot be counted exactly from the TTFT histogram: it is none of its
 * bucket bounds. `undefined` when it is one.
 */
export function ttftBudgetProblem(p95LatencyMs: number): string | undefined {
    const bounds = VLLM_TTFT_BUCKETS_SECONDS.map((s) => Math.round(s * 1000));
    if (bounds.includes(p95LatencyMs)) return undefined;
    return `expected one of vLLM's time-to-first-token bucket bounds in ms (${bounds.join(", ")}): the rollback gate counts the requests over the budget from that histogram`;
}
