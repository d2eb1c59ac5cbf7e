/**
 * Names the platform's own parts take, defined once for the components that use them and the
 * settings that must keep clear of them: a model named like one of these namespaces would share
 * its Namespace, ServiceAccount and NetworkPolicy, and a model prefix inside one of these bucket
 * prefixes would give the model's pods read access to every user's feedback or every registered
 * model's artifacts.
 */

/** The namespace of the model registry (MLflow). */
export const REGISTRY_NAMESPACE = "mlflow";
/** The namespace of the retraining runs. */
export const RETRAINING_NAMESPACE = "retraining";
/** The namespace of the log collector (LogPipeline): privileged, for its hostPath mounts. */
export const LOGGING_NAMESPACE = "logging";
/** The namespace of the trace collector (TraceCollector). */
export const TRACING_NAMESPACE = "tracing";
/** The model bucket's prefix where the registry keeps its artifacts. */
export const REGISTRY_ARTIFACT_PREFIX = "mlflow";
/** The model bucket's prefix where feedback lands (FeedbackStore). */
export const FEEDBACK_BUCKET_PREFIX = "feedback";
/** The model bucket's prefix where feedback Firehose could not deliver lands (the same user data). */
export const FEEDBACK_ERROR_BUCKET_PREFIX = "feedback-errors";

/** Namespaces the platform uses: a model (whose namespace is its name) may not take one. */
export const RESERVED_NAMESPACES = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "monitoring",
    "keda",
    "flagger-system",
    "envoy-gateway-system",
    "nvidia-device-plugin",
    REGISTRY_NAMESPACE,
    RETRAINING_NAMESPACE,
    LOGGING_NAMESPACE,
    TRACING_NAMESPACE,
] as const;

/** The model bucket's top-level prefixes the platform writes to: no model's prefix may lie inside one. */
export const RESERVED_BUCKET_PREFIXES = [
    FEEDBACK_BUCKET_PREFIX,
    FEEDBACK_ERROR_BUCKET_PREFIX,
    REGISTRY_ARTIFACT_PREFIX,
] as const;

/** What each reserved prefix holds, for the message that refuses a model prefix inside one. */
export const RESERVED_BUCKET_CONTENTS: Readonly<Record<(typeof RESERVED_BUCKET_PREFIXES)[number], string>> = {
    [FEEDBACK_BUCKET_PREFIX]: "every user's feedback",
    [FEEDBACK_ERROR_BUCKET_PREFIX]: "every user's undelivered feedback",
    [REGISTRY_ARTIFACT_PREFIX]: "every registered model's artifacts",
};

/** The reserved bucket prefix a model prefix lies inside (`feedback`, `feedback/x`), or undefined. */
export const reservedPrefixOf = (modelPrefix: string): (typeof RESERVED_BUCKET_PREFIXES)[number] | undefined =>
    RESERVED_BUCKET_PREFIXES.find((p) => modelPrefix === p || modelPrefix.startsWith(`${p}/`));
