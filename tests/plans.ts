/**
 * The reference stacks' plans, shared by every test file: each plan is a program process (as
 * under the Pulumi CLI), so a stack is planned once per view and run, not once per test. The
 * root hook starts them all in the background, two at a time, while the first tests run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { ProgramError, runStack, type PlanMode, type RunOptions, type RunResult } from "../tools/engine/run";
import { PROJECT_DIR, scratchProject } from "./helpers";

export const REFERENCE_STACKS = ["staging", "prod", "ecs"] as const;
export type ReferenceStack = (typeof REFERENCE_STACKS)[number];

/** Empty, not absent: Node passes its own NODE_V8_COVERAGE on to children that do not set one. */
export const NO_COVERAGE: Readonly<Record<string, string>> = { NODE_V8_COVERAGE: "" };

const plans = new Map<string, Promise<RunResult>>();
const queue: Array<() => void> = [];
let running = 0;
/** Plans at once: one per core of the CI machine. */
const CONCURRENCY = 2;

function slot<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const start = (): void => {
            running++;
            work()
                .then(resolve, reject)
                .finally(() => {
                    running--;
                    queue.shift()?.();
                });
        };
        if (running < CONCURRENCY) start();
        else queue.push(start);
    });
}

/** Runs `work` (processes the test process only waits for) in a background slot, after the work queued before it. */
export function inBackground<T>(work: () => Promise<T>): Promise<T> {
    return slot(work);
}

/**
 * The plan of a reference stack in a view, made once per test run. Treat it as read-only: other
 * tests share it.
 */
export function planOf(stack: ReferenceStack, mode: PlanMode = "update"): Promise<RunResult> {
    const key = `${stack}/${mode}`;
    let plan = plans.get(key);
    if (!plan) {
        // Not under coverage: each program process's V8 coverage is megabytes for c8 to merge, and the
        // stack program's code is covered in-process (the inline run of languageHost.test.ts).
        plan = slot(() => runStack({ projectDir: PROJECT_DIR, stack, mode, env: NO_COVERAGE }));
        // Tests that never await this plan must not see an unhandled rejection; those that do still see it.
        plan.catch(() => undefined);
        plans.set(key, plan);
    }
    return plan;
}

/** A plan with config set on top of a stack file, as `pulumi config set` would; run once per distinct input. */
export function planWith(
    stack: ReferenceStack,
    overrides: Readonly<Record<string, string>>,
    mode: PlanMode = "update",
): Promise<RunResult> {
    const key = `${stack}/${mode}/${JSON.stringify(overrides)}`;
    let plan = plans.get(key);
    if (!plan) {
        plan = slot(() =>
            runStack({ projectDir: PROJECT_DIR, stack, mode, configOverrides: overrides, env: NO_COVERAGE }),
        );
        plan.catch(() => undefined);
        plans.set(key, plan);
    }
    return plan;
}

/** Starts the plans the tests use, without waiting for them (in the order the test files need them). */
export function startReferencePlans(): void {
    for (const stack of REFERENCE_STACKS) void planOf(stack, "update");
    // The preview views: the CLI's default, and what tests/golden.test.ts keeps byte for byte.
    for (const stack of REFERENCE_STACKS) void planOf(stack, "preview");
    for (const [stack, overrides, mode] of OVERRIDE_PLANS) void planWith(stack, overrides, mode);
    void sharedRunner({ projectDir: stagingWithEscAndSecret(), stack: "staging", mode: "update" });
    void singleModelProd();
    void singleModelStaging();
    void ecsWithPrebuiltImage();
}

/**
 * A runner for the commands (`plan`, `policy`) that shares plans: a reference stack of this
 * project without overrides comes from {@link planOf}; any other plan is made once per distinct
 * input and run.
 */
export function sharedRunner(options: RunOptions): Promise<RunResult> {
    const { sink, ...rest } = options;
    if (!sink) return sharedPlan(rest);
    // The shared plan's resources go to the sink as a run would hand them over, also when it failed.
    return sharedPlan(rest).then(
        (r) => {
            for (const resource of r.export.deployment.resources) sink.push(resource);
            return r;
        },
        (e: unknown) => {
            if (e instanceof ProgramError) for (const resource of e.resources) sink.push(resource);
            throw e;
        },
    );
}

function sharedPlan(options: RunOptions): Promise<RunResult> {
    const mode = options.mode ?? "preview";
    if (options.accountId !== undefined || options.env !== undefined) {
        return runStack({ ...options, env: { ...NO_COVERAGE, ...options.env } });
    }
    const reference = (REFERENCE_STACKS as readonly string[]).includes(options.stack);
    if (reference && path.resolve(options.projectDir) === PROJECT_DIR) {
        return options.configOverrides === undefined
            ? planOf(options.stack as ReferenceStack, mode)
            : planWith(options.stack as ReferenceStack, options.configOverrides, mode);
    }
    const key = `${path.resolve(options.projectDir)}/${options.stack}/${mode}/${JSON.stringify(options.configOverrides ?? {})}`;
    let plan = plans.get(key);
    if (!plan) {
        plan = slot(() => runStack({ ...options, mode, env: NO_COVERAGE }));
        plan.catch(() => undefined);
        plans.set(key, plan);
    }
    return plan;
}

let scratchStaging: string | undefined;

/**
 * A copy of the project whose staging stack file also imports an ESC environment and sets secure
 * values: a provider key, and Alertmanager's Slack webhook and SNS topic (which has a format rule)
 * set with `pulumi config set --secret --path`. What the engine must warn about and keep secret.
 * Made once per run.
 */
export function stagingWithEscAndSecret(): string {
    if (scratchStaging === undefined) {
        scratchStaging = scratchProject();
        fs.appendFileSync(
            path.join(scratchStaging, "Pulumi.staging.yaml"),
            [
                "  aws:secretKey:",
                "    secure: v1:abcdef==",
                "  llm-platform:monitoring:",
                "    alerting:",
                "      slackWebhookUrl:",
                "        secure: v1:webhook-a==",
                "      snsTopicArn:",
                "        secure: v1:topic==",
                "environment:",
                "  - llm-platform/staging",
                "",
            ].join("\n"),
        );
    }
    return scratchStaging;
}

/** A prebuilt image by digest, as `llm-platform:image.reference` takes it. */
export const PREBUILT_IMAGE = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"c".repeat(64)}`;

/** The latency SLO of {@link ecsWithPrebuiltImage}: not the smoke test's budget (500 ms). */
export const ECS_VARIANT_P95_MS = 750;

/**
 * The ECS stack previewed with a prebuilt image: nothing in its task definition waits for a
 * build, so the container definitions are known in the preview. Its latency SLO is
 * {@link ECS_VARIANT_P95_MS}, so that the rollback alarm can be told from the smoke test's budget.
 */
export function ecsWithPrebuiltImage(): Promise<RunResult> {
    return planWith(
        "ecs",
        {
            "llm-platform:image": JSON.stringify({ reference: PREBUILT_IMAGE }),
            "llm-platform:monitoring": JSON.stringify({ slo: { p95LatencyMs: ECS_VARIANT_P95_MS } }),
        },
        "preview",
    );
}

/** The plans the tests use, started in the background by the root hook: two at a time from the start. */
/**
 * `llm-platform:models` of a reference stack file with one model's entry changed: the override
 * that releases that model alone (config overrides replace a whole key).
 */
export function withModel(
    stack: ReferenceStack,
    model: string,
    patch: Record<string, unknown>,
): Record<string, string> {
    const file = load(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
    };
    const models = file.config["llm-platform:models"] as Array<Record<string, unknown>>;
    if (!models.some((m) => m.name === model)) throw new Error(`${stack} serves no model ${model}`);
    return {
        "llm-platform:models": JSON.stringify(models.map((m) => (m.name === model ? { ...m, ...patch } : m))),
    };
}

/** The prod and staging stacks with only their chat model flipped to green. */
export const CHAT_GREEN = {
    prod: withModel("prod", "chat", { activeColor: "green" }),
    staging: withModel("staging", "chat", { activeColor: "green" }),
};

/**
 * The prod stack releasing by canary: one model (the canary strategy's gateway routes one Canary),
 * named `inference` as in a stack without the model list.
 */
export const PROD_CANARY: Readonly<Record<string, string>> = {
    "llm-platform:serving": '{"strategy":"canary","maxReplicas":4}',
    "llm-platform:models": '[{"name":"inference"}]',
};

/** Staging with its models routed by host under a domain (scale-to-zero's InterceptorRoutes then match hosts). */
export const STAGING_BY_HOST: Readonly<Record<string, string>> = {
    "llm-platform:serving": '{"scaleToZero":{"enabled":true},"entryPoint":{"domain":"llm.example.com"}}',
};

/** Prod scaled by HorizontalPodAutoscalers on CPU: without KEDA, retraining's drift path has nothing to run on, so it is off. */
export const PROD_HPA: Readonly<Record<string, string>> = {
    "llm-platform:serving": '{"autoscaler":"hpa"}',
    "llm-platform:retraining": '{"enabled":false}',
};

export const OVERRIDE_PLANS: ReadonlyArray<[ReferenceStack, Record<string, string>, PlanMode]> = [
    ["staging", STAGING_BY_HOST, "update"],
    ["prod", PROD_CANARY, "update"],
    ["prod", CHAT_GREEN.prod, "update"],
    ["staging", CHAT_GREEN.staging, "update"],
    ["prod", PROD_HPA, "update"],
];

const singleModels = new Map<string, Promise<RunResult>>();

/**
 * A stack as it was before the model list (tests/fixtures/single-model/Pulumi.<stack>.yaml: one
 * model from llm-platform:serving), planned in a copy of the project. Made once per run.
 */
function singleModel(stack: "prod" | "staging"): Promise<RunResult> {
    let plan = singleModels.get(stack);
    if (plan === undefined) {
        const dir = scratchProject();
        fs.copyFileSync(
            path.join(PROJECT_DIR, "tests", "fixtures", "single-model", `Pulumi.${stack}.yaml`),
            path.join(dir, `Pulumi.${stack}.yaml`),
        );
        plan = sharedRunner({ projectDir: dir, stack, mode: "update" });
        plan.catch(() => undefined);
        singleModels.set(stack, plan);
    }
    return plan;
}

/** The prod stack with one model and no model list. */
export function singleModelProd(): Promise<RunResult> {
    return singleModel("prod");
}

/** The staging stack with one model, no model list, and scale to zero. */
export function singleModelStaging(): Promise<RunResult> {
    return singleModel("staging");
}
