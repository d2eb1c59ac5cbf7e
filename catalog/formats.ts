/**
 * Reference formats the platform accepts in settings and arguments, and the values AWS allows:
 * shared by the settings schema, the components and the policies.
 */

/** An image reference pinned by digest: `repository@sha256:<64 hex>`. */
export const DIGEST_REFERENCE = /^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?@sha256:[0-9a-f]{64}$/;

/** A Secrets Manager secret or an SSM parameter, by ARN. */
export const SECRET_REFERENCE =
    /^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:[a-z0-9-]+:\d{12}:parameter\/.+)$/;

/** A KMS key's ARN: a single-region key's UUID, or a multi-Region key's `mrk-` id. */
export const KMS_KEY_ARN =
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** Retention periods CloudWatch Logs accepts. */
export const CLOUDWATCH_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** A prefix of the model bucket (one model's weights): path segments without a leading or trailing '/'. */
export const MODEL_PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** A model version in the bucket: a name of letters, digits, '.', '_' and '-'. */
export const BUCKET_MODEL_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A registered model version in the MLflow registry: `models:/<name>/<version>` (a number, fixed)
 * or `models:/<name>@<alias>` (an alias, which moves). MLflow's own URI forms; what `npm run
 * promote --model-version` takes.
 */
export const REGISTRY_MODEL_URI =
    /^models:\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})(?:\/([1-9][0-9]{0,9})|@([A-Za-z][A-Za-z0-9_-]{0,63}))$/;

/**
 * A registered model version by number, `models:/<name>/<version>`: what a release may name. A
 * version's source cannot change in MLflow (UpdateModelVersion sets only its description), so
 * the number pins the weights; an alias would be resolved anew by every pod that starts.
 */
export const PINNED_REGISTRY_VERSION = /^models:\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})\/([1-9][0-9]{0,9})$/;

/** What a release's `modelVersion` may be: a version in the bucket, or a registered model version by number. */
export const MODEL_VERSION_HELP =
    "expected a version name of letters, digits, '.', '_' and '-', or a registered model version as models:/<name>/<version> (an alias such as models:/<name>@candidate moves: `npm run promote -- --model-version models:/<name>@<alias>` resolves it and writes the version it names)";

/** The registry alias `npm run promote` moves to the version a stack serves (retraining starts from it). */
export const SERVING_ALIAS = "serving";
/** The registry alias a retraining run gives the version it registers; nothing deploys it unasked. */
export const CANDIDATE_ALIAS = "candidate";

export interface RegistryModelReference {
    name: string;
    /** The version number; undefined for an alias. */
    version?: string;
    alias?: string;
}

/** The registered model a `modelVersion` names, or undefined for a version in the bucket. */
export function registryReference(modelVersion: string): RegistryModelReference | undefined {
    const m = REGISTRY_MODEL_URI.exec(modelVersion);
    if (!m) return undefined;
    return m[2] !== undefined ? { name: m[1], version: m[2] } : { name: m[1], alias: m[3] };
}

/** A release's `modelVersion`: a folder of the model's prefix, or a registered version by number (never an alias). */
export function isModelVersion(value: string): boolean {
    return BUCKET_MODEL_VERSION.test(value) || PINNED_REGISTRY_VERSION.test(value);
}

/**
 * Where a release's weights are, as a training run is told to start from them: the registered
 * version itself (`models:/<name>/<version>`), or the folder in the bucket (`<modelSource>/<version>/`).
 */
export function servedModelUri(modelVersion: string, modelSource: string): string {
    return PINNED_REGISTRY_VERSION.test(modelVersion)
        ? modelVersion
        : `${modelSource.replace(/\/+$/, "")}/${modelVersion}/`;
}

/**
 * Why a registered version's source cannot be released for a model whose weights are under
 * `modelSource` (`s3://<bucket>/<prefix>`), or undefined when it can: the serving pods download it
 * from S3 with their own role, which reads that prefix only, and never through the registry's
 * artifact proxy (`mlflow-artifacts:`), which spools whole files to the server's disk.
 */
export function registeredSourceProblem(source: string, modelSource: string): string | undefined {
    const root = `${modelSource.replace(/\/+$/, "")}/`;
    if (source.startsWith(root) && source.length > root.length && !source.split("/").includes("..")) return undefined;
    const why = source.startsWith("mlflow-artifacts:")
        ? "it was logged through the registry's artifact proxy, which carries no multi-GB weights"
        : source.startsWith("runs:/") || source.startsWith("models:/")
          ? "it names MLflow artifacts, not the bucket"
          : "the model's pods read only their own prefix of the bucket";
    return `its source is ${source}, outside ${root} (${why}): upload the weights to a folder under ${root} and register that folder (docs/releasing.md, "Releasing a model version")`;
}

/**
 * The folder a release's weights are kept in under the pod's models volume (and the name vLLM
 * serves them by unless `servedModelName` is set): the version itself, or for a registered model
 * `<name>-v<version>` / `<name>-at-<alias>`.
 */
export function modelFolderOf(modelVersion: string): string {
    const ref = registryReference(modelVersion);
    if (!ref) return modelVersion;
    return ref.version !== undefined ? `${ref.name}-v${ref.version}` : `${ref.name}-at-${ref.alias}`;
}

/**
 * What is wrong with a general purpose S3 bucket name, by S3's naming rules (the S3 User Guide,
 * "General purpose bucket naming rules"), or undefined when it is fine.
 */
export function s3BucketNameProblem(name: string): string | undefined {
    if (name.length < 3 || name.length > 63) return `is ${name.length} characters long; a bucket name has 3 to 63`;
    if (!/^[a-z0-9.-]+$/.test(name)) return "may hold only lower-case letters, digits, '.' and '-'";
    if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "must begin and end with a letter or digit";
    if (name.includes("..")) return "must not hold two adjacent periods";
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "must not be an IP address";
    const prefix = ["xn--", "sthree-", "amzn-s3-demo-"].find((p) => name.startsWith(p));
    if (prefix) return `must not start with ${prefix} (reserved by S3)`;
    const suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].find((s) => name.endsWith(s));
    if (suffix) return `must not end with ${suffix} (reserved by S3)`;
    return undefined;
}

/**
 * What every process of the platform that runs MLflow sets: MLflow 3 sends usage telemetry unless
 * `MLFLOW_DISABLE_TELEMETRY` is true (`mlflow/telemetry/utils.py`, `is_telemetry_disabled`); the
 * registry, the model download and retraining run in a private network that should not call out.
 */
export const MLFLOW_TELEMETRY_OFF = { name: "MLFLOW_DISABLE_TELEMETRY", value: "true" } as const;

/** The region of an ARN (`arn:<partition>:<service>:<region>:<account>:…`), or undefined. */
export const arnRegion = (arn: unknown): string | undefined =>
    typeof arn === "string" ? /^arn:[^:]+:[^:]+:([^:]*):/.exec(arn)?.[1] : undefined;
