/**
 * `llm-platform:models`: the model catalogue of a stack. Each entry names a model and overrides
 * what it needs of `llm-platform:serving` (its releases, replicas, GPUs, pool, probes, scaling and
 * SLOs); what an entry leaves out it takes from `serving`. Without the key the stack serves one
 * model, `inference`, from `serving` alone (the shape before the catalogue, kept working).
 */
import {
    RESERVED_BUCKET_CONTENTS,
    RESERVED_BUCKET_PREFIXES,
    RESERVED_NAMESPACES,
    reservedPrefixOf,
} from "../catalog/reserved";
import { z } from "zod";
import { DIGEST_REFERENCE, isModelVersion, MODEL_PREFIX, MODEL_VERSION_HELP } from "../catalog/formats";
import {
    baseUrl,
    dnsLabel,
    httpPath,
    intIn,
    judgeModel,
    lastFlipSchema,
    quantity,
    ratio,
    repoPath,
} from "./schemaParts";

/** Namespaces the platform itself uses: a model (whose namespace is its name) may not take one (catalog/reserved.ts). */
export const RESERVED_MODEL_NAMES = RESERVED_NAMESPACES;

const partialRelease = z.strictObject({
    image: z
        .string({ error: "expected a string" })
        .regex(DIGEST_REFERENCE, { error: "expected an image pinned by digest (repository@sha256:<64 hex>)" })
        .optional(),
    modelVersion: z
        .string({ error: "expected a string" })
        .refine(isModelVersion, { error: MODEL_VERSION_HELP })
        .optional(),
});

export const modelEntrySchema = z.strictObject({
    name: dnsLabel.refine((n) => !(RESERVED_MODEL_NAMES as readonly string[]).includes(n), {
        error: `expected a name the platform does not use for a namespace of its own (${RESERVED_MODEL_NAMES.join(", ")})`,
    }),
    servedModelName: z
        .string({ error: "expected a string" })
        .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:]{0,127}$/, {
            error: "expected a model name of letters, digits, '.', '_', '-', '/' and ':'",
        })
        .optional(),
    modelPrefix: z
        .string({ error: "expected a string" })
        .regex(MODEL_PREFIX, {
            error: "expected path segments of letters, digits, '.', '_' and '-' without a leading or trailing '/'",
        })
        .refine((p) => reservedPrefixOf(p) === undefined, {
            error: (issue) =>
                `expected a prefix outside the platform's own (${RESERVED_BUCKET_PREFIXES.map((p) => `${p}/`).join(", ")}): a model's pods read everything under theirs, and ${String(reservedPrefixOf(String(issue.input)))}/ holds ${RESERVED_BUCKET_CONTENTS[reservedPrefixOf(String(issue.input))!]}`,
        })
        .optional(),
    tensorParallelSize: intIn(1, 8).optional(),
    activeColor: z.enum(["blue", "green"]).optional(),
    scaleDownInactive: z.boolean({ error: "expected a boolean (true or false)" }).optional(),
    blue: partialRelease.optional(),
    green: partialRelease.optional(),
    // A model's own (never serving's): written by promote and deploy.
    lastFlip: lastFlipSchema.optional(),
    replicas: intIn(1, 100).optional(),
    maxReplicas: intIn(1, 200).optional(),
    gpuPool: dnsLabel.optional(),
    gpus: intIn(1, 8).optional(),
    resources: z
        .strictObject({
            cpuRequest: quantity.optional(),
            cpuLimit: quantity.optional(),
            memoryRequest: quantity.optional(),
            memoryLimit: quantity.optional(),
        })
        .optional(),
    healthPath: httpPath.optional(),
    readyPath: httpPath.optional(),
    startupTimeoutSeconds: intIn(30, 3600).optional(),
    scaleToZero: z
        .strictObject({
            enabled: z.boolean({ error: "expected a boolean (true or false)" }).optional(),
            idleMinutes: intIn(1, 1440).optional(),
            targetConcurrency: intIn(1, 100000).optional(),
        })
        .optional(),
    scaleOn: z
        .strictObject({
            metric: z.enum(["waitingRequests", "kvCacheUsage"]).optional(),
            target: z.number({ error: "expected a number" }).positive({ error: "expected a number > 0" }).optional(),
        })
        .optional(),
    slo: z
        .strictObject({
            availability: ratio(0.9, 1, 0.999).optional(),
            p95LatencyMs: intIn(1, 600000).optional(),
            minSuccessRate: ratio(0, 1, 0.99).optional(),
            maxQueueLength: intIn(1, 100000).optional(),
            p95InterTokenLatencyMs: intIn(1, 60000).optional(),
            minTokensPerSecond: intIn(0, 10000000).optional(),
        })
        .optional(),
    evaluation: z
        .strictObject({
            set: repoPath.optional(),
            minAccuracy: ratio(0, 1, 0.85, { max: true }).optional(),
            concurrency: intIn(1, 64).optional(),
            timeoutSeconds: intIn(1, 3600).optional(),
            maxTokens: intIn(1, 4096).optional(),
            judge: judgeModel.optional(),
            load: z
                .strictObject({
                    enabled: z.boolean({ error: "expected a boolean (true or false)" }).optional(),
                    concurrency: intIn(1, 1000).optional(),
                    durationSeconds: intIn(1, 3600).optional(),
                    rampSeconds: intIn(0, 600).optional(),
                    maxTokens: intIn(1, 4096).optional(),
                    minTokens: intIn(0, 4096).optional(),
                })
                .optional(),
        })
        .optional(),
    smokeTest: z
        .strictObject({
            path: httpPath.optional(),
            expectedStatus: intIn(100, 599).optional(),
            latencyBudgetMs: intIn(1, 600000).optional(),
            attempts: intIn(1, 100).optional(),
            previewUrl: baseUrl.optional(),
            activeUrl: baseUrl.optional(),
        })
        .optional(),
});

export const modelsSchema = z
    .array(modelEntrySchema, { error: "expected an array of models" })
    .min(1, { error: "expected at least one model" })
    .optional()
    .describe(
        "The models the stack serves, a list; unset, it serves one model, inference, from serving alone. Each entry is {name (its namespace, Service and route), servedModelName (the API's model name; default name), modelPrefix (its weights in the bucket, read by it alone; default models/<name>), tensorParallelSize (default gpus)} and overrides of serving's activeColor, scaleDownInactive, blue, green, replicas, maxReplicas, gpuPool, gpus, resources, healthPath, readyPath, startupTimeoutSeconds, scaleOn, scaleToZero, evaluation and smokeTest, and of monitoring.slo's availability, p95LatencyMs, minSuccessRate, maxQueueLength, p95InterTokenLatencyMs and minTokensPerSecond; and lastFlip, its own record of its last flip (written by llm-platform promote and deploy, never inherited).",
    );

export type ModelEntry = z.infer<typeof modelEntrySchema>;
