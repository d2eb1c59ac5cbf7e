#!/bin/sh
# Starts vLLM's OpenAI-compatible server on the weights at MODEL_PATH (mounted or synced from
# the model artifact bucket by the orchestrator). Extra arguments go to vLLM unchanged.
set -eu

: "${MODEL_PATH:?MODEL_PATH must point at the model weights}"
: "${PORT:=8000}"
: "${LOG_LEVEL:=INFO}"

log_level=$(printf '%s' "$LOG_LEVEL" | tr '[:upper:]' '[:lower:]')

exec python3 -m vllm.entrypoints.openai.api_server \
    --host 0.0.0.0 \
    --port "$PORT" \
    --model "$MODEL_PATH" \
    --uvicorn-log-level "$log_level" \
    "$@"
