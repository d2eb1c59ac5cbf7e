/**
 * The settings of the model loop beyond serving: the MLflow model registry and the retraining
 * trigger (issue 18). EKS platforms only; see components/registry/ and components/k8s/retraining.ts.
 */
import { z } from "zod";
import { cronScheduleProblem } from "../catalog/cron";
import { DIGEST_REFERENCE } from "../catalog/formats";
import { intIn } from "./schemaParts";

const digest = z
    .string({ error: "expected a string" })
    .regex(DIGEST_REFERENCE, { error: "expected an image pinned by digest (repository@sha256:<64 hex>)" });
const bool = z.boolean({ error: "expected a boolean (true or false)" });

export const modelRegistrySchema = z
    .strictObject({
        enabled: bool.describe(
            "Run the MLflow model registry on EKS: PostgreSQL on RDS, artifacts in the model bucket's mlflow/ prefix.",
        ),
        image: digest
            .optional()
            .describe(
                "Deploy this prebuilt registry image (by digest) instead of building images/mlflow. Unset: build.",
            ),
        replicas: intIn(1, 10).describe("MLflow server replicas."),
        instanceClass: z
            .string({ error: "expected a string" })
            .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: "expected an RDS instance class such as db.t4g.medium" })
            .describe("RDS instance class of the registry's PostgreSQL."),
        allocatedStorageGiB: intIn(20, 65536).describe("Initial database storage (gp3)."),
        maxAllocatedStorageGiB: intIn(20, 65536).describe("Storage autoscaling limit of the database."),
        backupRetentionDays: intIn(1, 35).describe("Days of automated database backups (point-in-time recovery)."),
        multiAz: bool.describe("A standby database in a second zone."),
        entryPoint: bool.describe(
            "Reach the registry through its own internal ALB (from serving.entryPoint.allowedCidrs) where the stack has the ALB entry point (blue-green); otherwise in the cluster only.",
        ),
    })
    .describe("The MLflow model registry: a release may name models:/<name>/<version> instead of bucket weights.");

export const retrainingSchema = z
    .strictObject({
        enabled: bool.describe(
            "Start retraining runs per model on a schedule and on its drift alert (needs modelRegistry and autoscaler keda).",
        ),
        image: digest
            .optional()
            .describe(
                "The team's training image (by digest): it trains from LLM_BASE_MODEL_URI on LLM_DATA_WINDOW_DAYS of data and registers a version with alias candidate. Required when enabled.",
            ),
        schedule: z
            .string({ error: "expected a string" })
            .refine((v) => cronScheduleProblem(v) === undefined, {
                // The loader adds what it received.
                error: (issue) => cronScheduleProblem(String(issue.input)) ?? "expected a cron schedule",
            })
            .describe(
                'When the scheduled run starts, in UTC: a Kubernetes CronJob schedule (five fields such as "0 3 * * 0", or @daily, @weekly, @every 24h).',
            ),
        dataWindowDays: intIn(1, 365).describe("Days of data before a run that it trains on."),
        cooldownHours: intIn(1, 2160).describe(
            "A drift alert starts no run within this many hours of the model's last run.",
        ),
        timeoutHours: intIn(1, 168).describe("Hours after which a run is stopped."),
        gpus: intIn(1, 8).describe("GPUs of a run (on the model's GPU pool)."),
    })
    .describe(
        "Retraining runs: a schedule and a drift-alert path per model, ending in a registry version aliased candidate.",
    );
