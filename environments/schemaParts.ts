/**
 * The building blocks of the settings schema: integer ranges, names, tags, quantities, paths, an
 * image release and a GPU node pool, each with messages that say what was expected.
 */
import { z } from "zod";
import { DIGEST_REFERENCE, isModelVersion, MODEL_VERSION_HELP } from "../catalog/formats";
import { GPU_AMI_TYPES } from "../catalog/gpu";
import { ipv4CidrProblem } from "../catalog/cidr";

export const CAPACITY_TYPES = ["ON_DEMAND", "SPOT"] as const;

/** An integer in [min, max] with messages that say so. */
export function intIn(min: number, max: number): z.ZodInt {
    return z
        .int({ error: `expected an integer between ${min} and ${max}` })
        .min(min, { error: `expected an integer >= ${min}` })
        .max(max, { error: `expected an integer <= ${max}` });
}

/**
 * A fraction between `min` and `max` (each bound exclusive unless `inclusive` names it), written as
 * a fraction (0.999), never a percentage (99.9): the message says which, with an example.
 */
export function ratio(
    min: number,
    max: number,
    example: number,
    inclusive: { min?: boolean; max?: boolean } = {},
): z.ZodNumber {
    const range = `${inclusive.min ? ">=" : ">"} ${min} and ${inclusive.max ? "<=" : "<"} ${max}`;
    const expected = `expected a fraction ${range}, such as ${example}`;
    const percentHint = (input: unknown): string =>
        typeof input === "number" && input > 1 && input <= 100
            ? `${expected} (a fraction, not a percentage: ${input} % is ${Number((input / 100).toPrecision(12))})`
            : expected;
    const lower = inclusive.min ? { fn: "gte" as const } : { fn: "gt" as const };
    const upper = inclusive.max ? { fn: "lte" as const } : { fn: "lt" as const };
    const n = z.number({
        error: (issue) =>
            typeof issue.input === "number"
                ? percentHint(issue.input)
                : `expected a number: ${expected.slice("expected ".length)}`,
    });
    return n[lower.fn](min, { error: (issue) => percentHint(issue.input) })[upper.fn](max, {
        error: (issue) => percentHint(issue.input),
    });
}

export const dnsLabel = z.string({ error: "expected a string" }).regex(/^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/, {
    error: "expected a lower-case DNS label of 1-32 characters (a-z, 0-9, '-'), starting with a letter",
});

/** Tag keys are checked by {@link crossFieldProblems}, which can name the bad key. */
/**
 * What AWS accepts in tags (the Resource Groups Tagging API and the services' TagResource calls):
 * letters, numbers and spaces in UTF-8 and `_ . : / = + - @`; keys 1–128 characters and not
 * starting with `aws:`, values up to 256. An emoji or another symbol fails the first create.
 */
export const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const TAG_CHARACTERS_HELP = "letters, digits, spaces and _ . : / = + - @ only (what AWS accepts in tags)";
export const tagKey = z.string();
export const tagValue = z
    .string({ error: "expected a string" })
    .max(256, { error: "expected at most 256 characters" })
    .regex(TAG_CHARACTERS, { error: `expected ${TAG_CHARACTERS_HELP}` });

export const instanceType = z.string({ error: "expected a string" }).regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, {
    error: "expected an EC2 instance type such as g5.xlarge",
});

export const quantity = z
    .string({ error: "expected a string" })
    .regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/, { error: 'expected a Kubernetes quantity such as "4", "500m" or "16Gi"' });
export const baseUrl = z.string({ error: "expected a string" }).regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, {
    error: "expected an http(s) URL such as https://preview.llm.example.com",
});
export const httpPath = z
    .string({ error: "expected a string" })
    .regex(/^\/[\w\-./]*$/, { error: "expected an absolute path such as /health" });
export const releaseSchema = z.strictObject({
    image: z
        .string({ error: "expected a string" })
        .regex(DIGEST_REFERENCE, { error: "expected an image pinned by digest (repository@sha256:<64 hex>)" })
        .optional(),
    modelVersion: z.string({ error: "expected a string" }).refine(isModelVersion, { error: MODEL_VERSION_HELP }),
});

/**
 * What each colour of a model ran at its last flip, written by `llm-platform promote` and `deploy`
 * with each update they make (never by hand): `--rollback` returns the inactive colour to it, on
 * any runner, when a failed or killed promotion left an untested release there.
 */
export const lastFlipSchema = z.strictObject({
    activeColor: z.enum(["blue", "green"]),
    blue: releaseSchema,
    green: releaseSchema,
});

export const gpuNodePoolSchema = z.strictObject({
    name: dnsLabel.describe("Pool name; becomes part of the node group and label names."),
    instanceTypes: z
        .array(instanceType, { error: "expected an array of EC2 instance types" })
        .min(1, { error: "expected at least one instance type" })
        .describe("GPU instance types the pool may launch."),
    capacityType: z.enum(CAPACITY_TYPES).describe("ON_DEMAND or SPOT."),
    minSize: intIn(0, 1000).describe("Minimum node count; 0 lets the pool scale to zero."),
    desiredSize: intIn(0, 1000)
        .optional()
        .describe("Initial node count (defaults to minSize); afterwards left to the autoscaler."),
    maxSize: intIn(1, 1000).describe("Maximum node count."),
    diskSizeGiB: intIn(20, 16384).describe("Root volume size for images and model weights."),
    amiType: z.enum(GPU_AMI_TYPES).describe("EKS NVIDIA AMI: AL2023_x86_64_NVIDIA or BOTTLEROCKET_x86_64_NVIDIA."),
});
export type GpuNodePoolSettings = z.infer<typeof gpuNodePoolSchema>;

/** An IPv4 CIDR block, as Go's net.ParseCIDR (the AWS Load Balancer Controller, Kubernetes) reads it (catalog/cidr.ts). */
export const ipv4Cidr = z
    .string({ error: "expected an IPv4 CIDR block such as 10.0.0.0/16" })
    .refine((v) => ipv4CidrProblem(v) === undefined, {
        // The loader adds what it received.
        error: (issue) =>
            `expected an IPv4 CIDR block such as 10.0.0.0/16 (${ipv4CidrProblem(String(issue.input)) ?? "malformed"})`,
    });

/** An ACM certificate ARN. */
export const certificateArn = z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/.+$/, {
    error: "expected an ACM certificate ARN",
});

/** A repository-relative path of a file (no leading '/', no '..' segment). */
export const repoPath = z
    .string({ error: "expected a string" })
    .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._\-/]{1,300}$/, {
        error: "expected a path relative to the project directory, such as evals/chat.jsonl",
    });

/** The judge model of an evaluation set (`evaluation.judge`): an OpenAI-compatible endpoint. */
export const judgeModel = z.strictObject({
    url: baseUrl,
    model: z.string().min(1),
    apiKeyEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, { error: "expected an environment variable name such as JUDGE_API_KEY" })
        .optional(),
});
