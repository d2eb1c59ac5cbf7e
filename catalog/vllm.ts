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

/** The numeric, non-root user the image runs as (`USER 10001:10001` in its Dockerfile). */
export const INFERENCE_UID = 10001;

/** vLLM gauges the autoscaler reads (see docs/UPSTREAM.md, "Metrics the image emits"). */
export const VLLM_METRIC_NAMES = {
    /** Requests queued for a slot in the engine, per engine (pod). */
    waitingRequests: "vllm:num_requests_waiting",
    /** Fraction (0–1) of the KV cache in use, per engine. */
    kvCacheUsage: "vllm:kv_cache_usage_perc",
} as const;
