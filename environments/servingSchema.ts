/**
 * The settings of the inference service and what watches it: `llm-platform:serving`,
 * `llm-platform:monitoring` and `llm-platform:ecs`.
 */
import { z } from "zod";
import { CLOUDWATCH_RETENTION_DAYS, KMS_KEY_ARN, SECRET_REFERENCE } from "../catalog/formats";
import {
    baseUrl,
    certificateArn,
    dnsLabel,
    httpPath,
    instanceType,
    intIn,
    ratio,
    judgeModel,
    ipv4Cidr,
    quantity,
    lastFlipSchema,
    releaseSchema,
    repoPath,
} from "./schemaParts";

/**
 * The promotion's load stage (`serving.evaluation.load`): what it sends; what it is judged by is
 * the model's SLO (monitoring.slo). Cross-key rules (the ramp within the duration, minTokens within
 * maxTokens) are in modelRules.ts, where every model's merged settings are seen.
 */
export const loadStage = z
    .strictObject({
        enabled: z.boolean({ error: "expected a boolean (true or false)" }),
        concurrency: intIn(1, 1000),
        durationSeconds: intIn(1, 3600),
        rampSeconds: intIn(0, 600),
        maxTokens: intIn(1, 4096),
        minTokens: intIn(0, 4096),
    })
    .describe(
        "The load stage `npm run promote` runs on the preview colour after the evaluation set, before traffic flips (a model with an evaluation set; enabled false skips it): concurrency streams (prod 100, staging 10) started over rampSeconds (prod 10, staging 5) and held until durationSeconds (prod 120, staging 60), cycling through the set's prompts, each streamed with stream_options.include_usage, max_tokens maxTokens (256) and, when minTokens > 0 (default 0), vLLM's min_tokens. The requests begun after the ramp must meet the model's monitoring.slo: p95 time to first token <= p95LatencyMs, p95 inter-token latency <= p95InterTokenLatencyMs, error rate <= 1 - minSuccessRate, output tokens/s >= minTokensPerSecond; else the flip is held (outcome load-failed, exit 1). {enabled, concurrency, durationSeconds, rampSeconds, maxTokens, minTokens}.",
    );

export const servingSchema = z
    .strictObject({
        platform: z.enum(["eks", "ecs", "both"]).describe("Where the inference service runs: eks, ecs or both."),
        strategy: z.enum(["blue-green", "canary"]).describe("Release strategy on EKS: blue-green or canary (Flagger)."),
        activeColor: z
            .enum(["blue", "green"])
            .describe(
                "The colour that serves production traffic on a new stack; after its first update the stack keeps it (llm-platform deploy pins it) and promotion flips it.",
            ),
        scaleDownInactive: z
            .boolean({ error: "expected a boolean (true or false)" })
            .describe(
                "Scale the inactive colour to zero instead of keeping it warm (a rollback then scales it up and smoke-tests it first).",
            ),
        blue: releaseSchema.describe(
            "What the blue colour runs: {image (by digest; default the built image), modelVersion}.",
        ),
        green: releaseSchema.describe("What the green colour runs: {image, modelVersion}."),
        lastFlip: lastFlipSchema
            .optional()
            .describe(
                "Written by llm-platform promote and deploy with each update (leave it to them): what each colour ran at the last flip, {activeColor, blue, green}. --rollback returns the inactive colour to it when a failed or killed promotion left an untested release there.",
            ),
        replicas: intIn(1, 100).describe("Replicas of the active colour (the autoscaler's floor)."),
        maxReplicas: intIn(1, 200).describe("The autoscaler's ceiling."),
        gpuPool: dnsLabel
            .optional()
            .describe("Name of the GPU pool (from gpuNodePools) the service runs on. Unset: the first pool."),
        gpus: intIn(1, 8).describe("GPUs per pod (requests equal limits)."),
        resources: z
            .strictObject({
                cpuRequest: quantity,
                cpuLimit: quantity,
                memoryRequest: quantity,
                memoryLimit: quantity,
            })
            .describe("CPU and memory per pod: {cpuRequest, cpuLimit, memoryRequest, memoryLimit}."),
        containerPort: intIn(1, 65535).describe("Port the server listens on."),
        healthPath: httpPath.describe("Liveness and startup probe path."),
        readyPath: httpPath.describe("Readiness probe path (also the load balancer health check)."),
        startupTimeoutSeconds: intIn(30, 3600).describe("Longest model load before liveness applies."),
        autoscaler: z
            .enum(["keda", "hpa"])
            .describe(
                "keda: KEDA scales each live colour on vLLM's own load (serving.scaleOn); hpa: a HorizontalPodAutoscaler on CPU (serving.targetCpuUtilization), with the metrics-server add-on it reads (installed on a cluster the stack builds).",
            ),
        scaleOn: z
            .strictObject({
                metric: z.enum(["waitingRequests", "kvCacheUsage"]),
                target: z.number({ error: "expected a number" }).positive({ error: "expected a number > 0" }),
            })
            .describe(
                "What KEDA holds per replica (autoscaler keda): {metric: waitingRequests (vllm:num_requests_waiting, an integer per replica) or kvCacheUsage (vllm:kv_cache_usage_perc, a fraction), target}.",
            ),
        scaleToZero: z
            .strictObject({
                enabled: z.boolean({ error: "expected a boolean (true or false)" }),
                idleMinutes: intIn(1, 1440),
                targetConcurrency: intIn(1, 100000),
            })
            .describe(
                "Staging only: let each model's active colour go to zero replicas after idleMinutes without requests, and wake it on the next one through KEDA's HTTP add-on (needs autoscaler keda, the blue-green strategy and the entry point, whose production route then goes through the add-on's interceptor; the first request after idle waits up to 280 s and fails if a GPU node must be added first). targetConcurrency: requests in flight per replica, seen by the interceptor, above which it adds replicas too (default 256, vLLM's batch limit on GPUs under 70 GiB, so vLLM's own queue leads). {enabled, idleMinutes, targetConcurrency}.",
            ),
        targetCpuUtilization: intIn(10, 100).describe(
            "CPU utilisation the autoscaler holds (autoscaler hpa), when no queue metric is set.",
        ),
        queueLengthMetric: z
            .strictObject({ name: z.string().min(1), averageValue: quantity })
            .optional()
            .describe(
                "Refused: a per-pod metric needs a custom metrics adapter, which the platform does not install; scale on vLLM's queue with autoscaler keda and scaleOn instead.",
            ),
        ingressNamespaces: z.array(dnsLabel).describe("Namespaces whose pods may call the service."),
        ingressCidrs: z
            .array(ipv4Cidr)
            .describe("Address ranges that may call the service (load balancers with IP targets)."),
        entryPoint: z
            .strictObject({
                enabled: z.boolean({ error: "expected a boolean (true or false)" }),
                internetFacing: z.boolean({ error: "expected a boolean (true or false)" }),
                certificateArn: certificateArn.optional(),
                allowedCidrs: z.array(ipv4Cidr).min(1, { error: "expected at least one CIDR" }),
                previewPort: intIn(1, 65535),
                deletionProtection: z.boolean({ error: "expected a boolean (true or false)" }),
                domain: z
                    .string({ error: "expected a string" })
                    .regex(/^(?=.{1,200}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/, {
                        // Ingress host rules are RFC 1123 names in lower case (the API server refuses upper case).
                        error: (issue) =>
                            typeof issue.input === "string" && /[A-Z]/.test(issue.input)
                                ? `expected a DNS domain in lower case such as llm.example.com (Kubernetes refuses upper case in an Ingress host): write ${JSON.stringify(issue.input.toLowerCase())}`
                                : "expected a DNS domain such as llm.example.com: lower-case labels of letters, digits and '-', separated by dots",
                    })
                    .optional(),
            })
            .describe(
                "The way in from outside the cluster (strategy blue-green; under canary it is the gateway): one Application Load Balancer from the AWS Load Balancer Controller, production on 443 (80 without certificateArn) to each model's active colour, the preview colours on previewPort. The models of llm-platform:models are routed by host <model>.<domain> when domain is set (point a wildcard record at the load balancer), otherwise by the header x-llm-model: <model>. {enabled, internetFacing, certificateArn, allowedCidrs, previewPort, deletionProtection, domain}.",
            ),
        prometheusNamespace: dnsLabel.describe("Namespace of Prometheus, allowed to scrape."),
        canary: z
            .strictObject({
                interval: z.string().regex(/^\d+[smh]$/, { error: 'expected a duration such as "1m"' }),
                threshold: intIn(1, 100),
                maxWeight: intIn(1, 100),
                stepWeight: intIn(1, 100),
                minSuccessRatePercent: z.number().min(0).max(100),
                maxRequestDurationMs: intIn(1, 600000),
            })
            .describe(
                "Flagger analysis: {interval, threshold, maxWeight, stepWeight, minSuccessRatePercent, maxRequestDurationMs}.",
            ),
        evaluation: z
            .strictObject({
                set: repoPath.optional(),
                minAccuracy: ratio(0, 1, 0.85, { max: true }),
                concurrency: intIn(1, 64),
                timeoutSeconds: intIn(1, 3600),
                maxTokens: intIn(1, 4096),
                judge: judgeModel.optional(),
                load: loadStage,
            })
            .describe(
                "The quality gate `npm run promote` runs on the preview colour before traffic flips: the evaluation set (set: a JSON Lines file in the project, one {id, prompt or messages, expect, kind} a line) is asked over the OpenAI-compatible API and must score accuracy >= minAccuracy (0.85) on its answer items, a hallucination rate under monitoring.slo.maxHallucinationRate on the items it marks hallucination or refusal, a success rate >= monitoring.slo.availability and a p95 latency (time to first token for vLLM) <= the model's slo.p95LatencyMs. No set: the smoke test alone. Items are graded by whole words, exact labels, numbers, and abstention and refusal patterns (tools/promote/scoring.ts); items with expect.judge are graded by judge {url, model, apiKeyEnv} (an OpenAI-compatible model; apiKeyEnv names the variable of promote's environment holding its key). Then the load stage, load {enabled, concurrency, durationSeconds, rampSeconds, maxTokens, minTokens}: concurrency streams (prod 100, staging 10) started over rampSeconds (prod 10, staging 5) and held until durationSeconds (prod 120, staging 60), cycling through the set's prompts (max_tokens maxTokens, 256; minTokens > 0 sends vLLM's min_tokens so every answer streams that many tokens; default 0); the requests begun after the ramp must meet the model's monitoring.slo at that load (p95 time to first token <= p95LatencyMs, p95 inter-token latency <= p95InterTokenLatencyMs, error rate <= 1 - minSuccessRate, output tokens/s >= minTokensPerSecond), else the flip is held (outcome load-failed, exit 1); enabled false skips it. {set, minAccuracy, concurrency, timeoutSeconds, maxTokens, judge, load}.",
            ),
        smokeTest: z
            .strictObject({
                path: httpPath,
                expectedStatus: intIn(100, 599),
                latencyBudgetMs: intIn(1, 600000),
                attempts: intIn(1, 100),
                previewUrl: baseUrl.optional(),
                activeUrl: baseUrl.optional(),
            })
            .describe(
                "What `npm run promote` checks: {path, expectedStatus, latencyBudgetMs, attempts, previewUrl, activeUrl}; the URLs default to the entry point's, from the stack outputs (models[].previewUrl and activeUrl).",
            ),
    })
    .describe("Inference serving.");

export const monitoringSchema = z
    .strictObject({
        metricsPreset: z
            .enum(["reference", "vllm"])
            .describe(
                "Metric names the rules and dashboards read: vLLM's own (the shipped image; the latency standard applies to time to first token) or the reference app's `llm_*` (request duration).",
            ),
        retentionDays: intIn(1, 3650).describe("Days Prometheus keeps metrics."),
        storageGiB: intIn(10, 16384).describe("Size of each Prometheus volume (gp3, encrypted)."),
        replicas: intIn(1, 5).describe("Prometheus and Alertmanager replicas."),
        prometheusResources: z
            .strictObject({ cpuRequest: quantity, memoryRequest: quantity, memoryLimit: quantity })
            .describe("Prometheus's CPU and memory: {cpuRequest, memoryRequest, memoryLimit}."),
        slo: z
            .strictObject({
                availability: ratio(0.9, 1, 0.999),
                p95LatencyMs: intIn(1, 600000),
                minSuccessRate: ratio(0, 1, 0.99),
                maxHallucinationRate: ratio(0, 1, 0.05),
                gpuHighUtilizationPercent: intIn(1, 100),
                gpuIdleUtilizationPercent: intIn(0, 99),
                maxQueueLength: intIn(1, 100000),
                tokenThroughputDropRatio: ratio(0, 1, 0.5),
                p95InterTokenLatencyMs: intIn(1, 60000),
                minTokensPerSecond: intIn(0, 10000000),
            })
            .describe(
                "The production standards the alerts hold (availability 0.999, p95 500 ms, success 99 %, hallucinations 5 % …), and the promotion's load stage (serving.evaluation.load) at its load: p95 time to first token <= p95LatencyMs, p95 inter-token latency <= p95InterTokenLatencyMs (100 ms), error rate <= 1 - minSuccessRate (1 %), output tokens/s over all streams >= minTokensPerSecond (prod 1000 for its 100 streams, staging 100 for its 10: set it with load.concurrency; 0 judges nothing).",
            ),
        alerting: z
            .strictObject({
                slackWebhookUrl: z
                    .string()
                    .regex(/^https:\/\/\S+$/, { error: "expected an https URL (a Slack incoming webhook)" })
                    .optional(),
                slackChannel: z.string().min(1).optional(),
                pagerdutyRoutingKey: z.string().min(1).optional(),
                snsTopicArn: z
                    .string()
                    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/, { error: "expected an SNS topic ARN" })
                    .optional(),
            })
            .describe(
                "Alert receivers: {slackWebhookUrl, slackChannel, pagerdutyRoutingKey, snsTopicArn}; set the webhook and key with `pulumi config set --secret --path`.",
            ),
        runbookBaseUrl: z
            .string()
            .regex(/^https?:\/\/\S+$/, { error: "expected an http(s) URL" })
            .describe("Where each alert's runbook link points (an anchor per alert is appended)."),
        logs: z
            .strictObject({
                enabled: z.boolean({ error: "expected a boolean (true or false)" }),
                retentionDays: z
                    .int({ error: "expected an integer" })
                    .refine((d) => CLOUDWATCH_RETENTION_DAYS.includes(d), {
                        error: `expected a CloudWatch retention period (${CLOUDWATCH_RETENTION_DAYS.join(", ")})`,
                    }),
                kms: z.boolean({ error: "expected a boolean (true or false)" }),
            })
            .describe(
                "Every container's logs and the control plane's in CloudWatch Logs (EKS): Fluent Bit on every node writes /aws/eks/<cluster>/containers, EKS writes /aws/eks/<cluster>/cluster; {enabled, retentionDays (both groups), kms (encrypt both with a key of the stack's)}. The runbooks' saved Logs Insights queries are in the folder llm-platform/<cluster>.",
            ),
        tracing: z
            .strictObject({
                enabled: z.boolean({ error: "expected a boolean (true or false)" }),
                samplePercent: z
                    .number({ error: "expected a number" })
                    .min(0, { error: "expected a percentage from 0 to 100" })
                    .max(100, { error: "expected a percentage from 0 to 100" }),
                otlpEndpoint: z
                    .string({ error: "expected a string" })
                    .regex(/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, {
                        error: "expected an OTLP/gRPC endpoint over TLS such as https://otlp.example.com:4317 (no path)",
                    })
                    .optional(),
                otlpHeader: z
                    .strictObject({
                        name: z.string().regex(/^[a-z0-9-]+$/, { error: "expected a lowercase HTTP header name" }),
                        secretName: z
                            .string()
                            .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { error: "expected a Secret's name" }),
                        secretKey: z.string().min(1, { error: "expected the key in the Secret" }),
                    })
                    .optional(),
            })
            .describe(
                "A span per request from vLLM (EKS, images/inference) to an OpenTelemetry Collector the stack installs, on to X-Ray (or otlpEndpoint, an OTLP/gRPC backend over TLS, with otlpHeader {name, secretName, secretKey} read from a Secret in the tracing namespace): {enabled, samplePercent (of ordinary traces kept; every failed request and every one slower to its first token than the fastest model's slo.p95LatencyMs is kept), otlpEndpoint, otlpHeader}. The slow-request alert links to X-Ray's trace search with the filter of its model's slow requests.",
            ),
    })
    .describe("Prometheus, Alertmanager, Grafana and the alert rules (EKS).");

export const ecsSchema = z
    .strictObject({
        instanceTypes: z
            .array(instanceType)
            .min(1, { error: "expected at least one instance type" })
            .describe("GPU instance types of the ECS capacity provider."),
        minInstances: intIn(0, 100).describe("Fewest GPU instances."),
        maxInstances: intIn(1, 100).describe("Most GPU instances."),
        minTasks: intIn(1, 100).describe("Fewest tasks (the autoscaler's floor)."),
        maxTasks: intIn(1, 200).describe("Most tasks."),
        requestsPerTarget: intIn(1, 100000).describe(
            "Requests per running task per minute the autoscaler holds (counted over both colours' target groups).",
        ),
        cpuUnits: intIn(256, 196608).describe("CPU units per task (1024 per vCPU)."),
        memoryMiB: intIn(512, 2097152).describe("Memory per task, MiB."),
        certificateArn: certificateArn
            .optional()
            .describe("ACM certificate: HTTPS on 443 with HTTP redirected. Unset: HTTP on 80."),
        internal: z.boolean({ error: "expected a boolean (true or false)" }).describe("An internal load balancer."),
        allowedCidrs: z.array(ipv4Cidr).describe("Who may reach the load balancer."),
        testListenerPort: intIn(1, 65535).describe("Port of the test listener."),
        bakeTimeMinutes: intIn(0, 1440).describe("Minutes ECS keeps the old colour after the shift, for rollback."),
        smokeTestLambdaArn: z
            .string()
            .regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:.+$/, {
                error: "expected a Lambda function ARN",
            })
            .optional()
            .describe("Lambda that smoke-tests the test listener before production traffic shifts."),
        max5xxPerMinute: intIn(0, 100000).describe(
            "Target or load balancer 5xx per minute that roll a deployment back.",
        ),
        startupGraceSeconds: intIn(300, 3600).describe(
            "Seconds from a task's start to its first passing health check: the weights' sync and the model's load.",
        ),
        logRetentionDays: z
            .int({ error: "expected an integer" })
            .refine((d) => CLOUDWATCH_RETENTION_DAYS.includes(d), {
                error: "expected a CloudWatch retention period",
            })
            .describe("Days the task logs are kept."),
        deletionProtection: z
            .boolean({ error: "expected a boolean (true or false)" })
            .describe("Deletion protection of the load balancer."),
        secrets: z
            .record(
                z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: "expected an environment variable name" }),
                z.string().regex(SECRET_REFERENCE, { error: "expected a Secrets Manager secret or SSM parameter ARN" }),
            )
            .describe(
                "Environment name → Secrets Manager or SSM parameter ARN (never plain values); a secret's may end in :<json-key>::.",
            ),
        secretsKmsKeyArns: z
            .array(z.string().regex(KMS_KEY_ARN, { error: "expected a KMS key ARN" }))
            .describe("Customer managed KMS keys the secrets are encrypted with (the tasks may decrypt with them)."),
    })
    .describe("The inference service on ECS (serving.platform ecs or both).");
