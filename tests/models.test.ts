import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as automation from "@pulumi/pulumi/automation";
import { packPods } from "../catalog/capacity";
import { entryPointAnnotations, routeAnnotations, validateEntryPoint } from "../components/k8s/entryPoint";
import { serverArgs, serverEnvironment, vllmLoggingLevel } from "../components/vllmServer";
import { resolveSettings } from "../environments/loader";
import { servedModels } from "../environments/models";
import { modelRoute } from "../stacks/program";
import { parsePromoteArgs, promoteEach } from "../tools/cli/promote";
import { UsageError } from "../tools/errors";
import { chooseContract, contractsOf } from "../tools/promote/contract";
import { lockFileFor, queuedUpdate, takeLockFile, withFileLock, type UpdateQueue } from "../tools/promote/automation";
import { PromotionError, smokeTest, type Prober, type ReleaseState } from "../tools/promote/machine";
import { goodRawConfig, problemsIfAny } from "./helpers";
import { referenceContract, referenceState } from "./promoteFakes";

const stack = (tier: "staging" | "prod", models: unknown, extra: Record<string, string> = {}) =>
    resolveSettings(tier, goodRawConfig({ "llm-platform:models": JSON.stringify(models), ...extra }));

describe("the model catalogue (llm-platform:models)", () => {
    it("serves one model, inference, from serving when the list is unset: the shape before the list", () => {
        const [only] = servedModels(resolveSettings("prod", goodRawConfig()));
        assert.equal(only.name, "inference");
        assert.equal(only.listed, false);
        assert.equal(only.configKey, "llm-platform:serving");
        assert.equal(only.keyPath("activeColor"), "serving.activeColor");
        assert.equal(only.modelPrefix, "models");
        assert.equal(only.servedModelName, undefined);
        assert.equal(only.tensorParallelSize, undefined);
        assert.equal(only.gpuPool, "inference");
        assert.equal(only.replicas, 3);
    });

    it("merges each entry over serving, with its own prefix, served name, tensor parallelism and SLO", () => {
        const s = stack(
            "staging",
            [
                { name: "chat", servedModelName: "llama-3.1-8b-instruct", maxReplicas: 2, slo: { p95LatencyMs: 800 } },
                {
                    name: "embed",
                    gpus: 2,
                    tensorParallelSize: 1,
                    resources: { cpuRequest: "1" },
                    green: { modelVersion: "v7" },
                },
            ],
            {
                "llm-platform:serving": '{"replicas":1,"maxReplicas":1}',
                "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.12xlarge"],"maxSize":4}]',
            },
        );
        const [chat, embed] = servedModels(s);
        assert.deepEqual(
            [
                chat.name,
                chat.servedModelName,
                chat.modelPrefix,
                chat.tensorParallelSize,
                chat.maxReplicas,
                chat.keyPath("activeColor"),
            ],
            ["chat", "llama-3.1-8b-instruct", "models/chat", 1, 2, "models[0].activeColor"],
        );
        assert.equal(chat.slo.p95LatencyMs, 800);
        assert.equal(chat.slo.availability, s.monitoring.slo.availability, "the rest of the SLO is the stack's");
        assert.deepEqual(
            [embed.servedModelName, embed.modelPrefix, embed.gpus, embed.tensorParallelSize, embed.maxReplicas],
            ["embed", "models/embed", 2, 1, 1],
        );
        // Objects merge key by key: the entry's CPU request over serving's resources.
        assert.deepEqual(embed.resources, { ...s.serving.resources, cpuRequest: "1" });
        assert.deepEqual(embed.green, { modelVersion: "v7" });
        assert.deepEqual(embed.blue, s.serving.blue);
        // vLLM's arguments: the name clients send and the GPUs it shards over.
        const server = { modelPath: "/models/v7", port: 8000, logLevel: "INFO" };
        assert.deepEqual(serverArgs({ ...server, servedModelName: "chat", tensorParallelSize: 2 }), [
            "--model",
            "/models/v7",
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
            "--uvicorn-log-level",
            "info",
            "--served-model-name",
            "chat",
            "--tensor-parallel-size",
            "2",
            "--enable-request-id-headers",
        ]);
        assert.deepEqual(serverArgs(server).slice(8), ["--enable-request-id-headers"]);
        // uvicorn's trace is no level of Python's logging, which vLLM hands its level to.
        assert.deepEqual(["TRACE", "trace", "DEBUG", "info", "WARNING"].map(vllmLoggingLevel), [
            "DEBUG",
            "DEBUG",
            "DEBUG",
            "INFO",
            "WARNING",
        ]);
        assert.deepEqual(
            serverEnvironment({ ...server, logLevel: "TRACE", modelVersion: "v7" }).find(
                (e) => e.name === "VLLM_LOGGING_LEVEL",
            ),
            { name: "VLLM_LOGGING_LEVEL", value: "DEBUG" },
        );
        assert.equal(serverArgs({ ...server, logLevel: "TRACE" })[7], "trace");
    });

    it("keeps models apart: names (not the platform's namespaces), served names and prefixes are their own", () => {
        assert.deepEqual(
            problemsIfAny(() =>
                stack(
                    "staging",
                    [
                        { name: "chat" },
                        { name: "chat", modelPrefix: "weights/chat2" },
                        { name: "monitoring" },
                        { name: "small", servedModelName: "chat", modelPrefix: "models" },
                        { name: "Big" },
                    ],
                    {
                        "llm-platform:gpuNodePools":
                            '[{"name":"inference","instanceTypes":["g5.xlarge"],"maxSize":15}]',
                    },
                ),
            ),
            [
                'llm-platform:models[1].name: expected a name no other model has (models[0] has it), received "chat"',
                'llm-platform:models[1].servedModelName: expected a servedModelName no other model has (models[0] has it), received "chat"',
                'llm-platform:models[2].name: expected a name the platform does not use for a namespace of its own (default, kube-system, kube-public, kube-node-lease, monitoring, keda, flagger-system, envoy-gateway-system, nvidia-device-plugin, mlflow, retraining, logging, tracing), received "monitoring"',
                'llm-platform:models[3].modelPrefix: expected a prefix that does not hold another model\'s (models[0] reads models/chat), received "models"',
                'llm-platform:models[3].servedModelName: expected a servedModelName no other model has (models[0] has it), received "chat"',
                "llm-platform:models[4].name: expected a lower-case DNS label of 1-32 characters (a-z, 0-9, '-'), starting with a letter, received \"Big\"",
            ],
        );
    });

    it("keeps models off the platform's own namespaces and bucket prefixes (issue 34)", () => {
        const problems = problemsIfAny(() =>
            stack(
                "staging",
                [
                    { name: "mlflow" },
                    { name: "retraining" },
                    { name: "a", modelPrefix: "feedback" },
                    { name: "b", modelPrefix: "mlflow/models" },
                    { name: "c", modelPrefix: "feedbackx/c" },
                    { name: "d", modelPrefix: "feedback-errors" },
                ],
                { "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.xlarge"],"maxSize":20}]' },
            ),
        );
        const names =
            "default, kube-system, kube-public, kube-node-lease, monitoring, keda, flagger-system, envoy-gateway-system, nvidia-device-plugin, mlflow, retraining, logging, tracing";
        assert.deepEqual(problems, [
            `llm-platform:models[0].name: expected a name the platform does not use for a namespace of its own (${names}), received "mlflow"`,
            `llm-platform:models[1].name: expected a name the platform does not use for a namespace of its own (${names}), received "retraining"`,
            "llm-platform:models[2].modelPrefix: expected a prefix outside the platform's own (feedback/, feedback-errors/, mlflow/): a model's pods read everything under theirs, and feedback/ holds every user's feedback, received \"feedback\"",
            "llm-platform:models[3].modelPrefix: expected a prefix outside the platform's own (feedback/, feedback-errors/, mlflow/): a model's pods read everything under theirs, and mlflow/ holds every registered model's artifacts, received \"mlflow/models\"",
            "llm-platform:models[5].modelPrefix: expected a prefix outside the platform's own (feedback/, feedback-errors/, mlflow/): a model's pods read everything under theirs, and feedback-errors/ holds every user's undelivered feedback, received \"feedback-errors\"",
        ]);
    });

    it("checks each model's replicas, pool and tensor parallelism where it set them", () => {
        const wide = {
            "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.12xlarge"],"maxSize":40}]',
        };
        assert.deepEqual(
            problemsIfAny(() =>
                stack(
                    "prod",
                    [
                        { name: "chat", replicas: 1 },
                        { name: "embed", maxReplicas: 1, gpuPool: "nope" },
                        { name: "wide", gpus: 4, tensorParallelSize: 3 },
                    ],
                    wide,
                ),
            ),
            [
                "llm-platform:models[0].replicas: expected an integer >= 2 in the prod tier (one replica cannot survive a node drain), received 1",
                'llm-platform:models[1].gpuPool: expected the name of a GPU pool in gpuNodePools ("inference"), received "nope"',
                "llm-platform:models[1].maxReplicas: expected an integer >= replicas (3), received 1",
                "llm-platform:models[2].tensorParallelSize: expected a divisor of the model's GPUs per pod (4): vLLM shards the model over that many of them, received 3",
            ],
        );
        // A value every model inherits from serving is reported once, at serving.
        assert.deepEqual(
            problemsIfAny(() =>
                stack("prod", [{ name: "chat" }, { name: "embed" }], {
                    "llm-platform:serving": '{"replicas":1}',
                    ...wide,
                }),
            ),
            [
                "llm-platform:serving.replicas: expected an integer >= 2 in the prod tier (one replica cannot survive a node drain), received 1",
            ],
        );
    });

    it("serves a list on EKS with blue-green releases only, and says what to do otherwise", () => {
        assert.deepEqual(
            problemsIfAny(() => stack("staging", [{ name: "chat" }], { "llm-platform:serving": '{"platform":"ecs"}' })),
            [
                'llm-platform:models: the ECS service serves one model (serving.platform "ecs"): remove llm-platform:models and configure the model in llm-platform:serving, or serve the list on EKS (serving.platform "eks"), received [{"name":"chat"}]',
            ],
        );
        assert.deepEqual(
            problemsIfAny(() =>
                stack("staging", [{ name: "chat" }, { name: "embed" }], {
                    "llm-platform:serving": '{"strategy":"canary"}',
                    "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.xlarge"],"maxSize":10}]',
                }),
            ),
            [
                'llm-platform:models: the canary strategy serves one model (its gateway routes one Canary\'s traffic): list one model, or release the list blue-green (serving.strategy "blue-green"), received [{"name":"chat"},{"name":"embed"}]',
            ],
        );
        assert.deepEqual(
            problemsIfAny(() =>
                stack("staging", [{ name: "chat" }], {
                    "llm-platform:serving": '{"strategy":"canary"}',
                    "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.xlarge"],"maxSize":10}]',
                }),
            ),
            [],
        );
    });

    it("checks capacity across every model of a pool, packing their pods onto nodes", () => {
        const pools = (maxSize: number) =>
            JSON.stringify([{ name: "inference", instanceTypes: ["g5.12xlarge"], maxSize }]);
        const two = [
            { name: "chat", gpus: 2, replicas: 3, maxReplicas: 6 },
            { name: "embed", gpus: 1, replicas: 3, maxReplicas: 4 },
        ];
        // g5.12xlarge: 4 GPUs. At the ceiling chat runs 9 two-GPU pods and embed 7 one-GPU pods
        // (prod keeps the inactive colours warm): 25 GPUs, 7 nodes packed first-fit.
        assert.deepEqual(
            problemsIfAny(() => stack("prod", two, { "llm-platform:gpuNodePools": pools(7) })),
            [],
        );
        assert.deepEqual(
            problemsIfAny(() => stack("prod", two, { "llm-platform:gpuNodePools": pools(6) })),
            [
                'llm-platform:gpuNodePools[0].maxSize: expected an integer >= 7: at their maxReplicas the models on GPU pool "inference" run chat 9 pods of 2 GPUs, embed 7 pods of 1 GPU, which take 7 g5.12xlarge nodes packed first-fit (4 GPUs, 47.25 vCPU and 190 GiB for pods each); raise it, or lower the models\' maxReplicas, received 6',
            ],
        );
        assert.deepEqual(
            problemsIfAny(() => stack("prod", two, { "llm-platform:gpuNodePools": pools(4) })),
            [
                'llm-platform:gpuNodePools[0].maxSize: expected an integer >= 7: at their replicas the models on GPU pool "inference" run chat 6 pods of 2 GPUs, embed 6 pods of 1 GPU, which take 5 g5.12xlarge nodes packed first-fit (4 GPUs, 47.25 vCPU and 190 GiB for pods each); raise it, or lower the models\' replicas, received 4',
            ],
        );
        // A model that fits no node is named; the pool's total is then not computed.
        assert.deepEqual(
            problemsIfAny(() =>
                stack("prod", [{ name: "chat" }, { name: "huge", gpus: 8, tensorParallelSize: 8 }], {
                    "llm-platform:gpuNodePools": pools(20),
                }),
            ),
            [
                'llm-platform:models[1].gpus: expected a pod that fits a node of GPU pool "inference": model huge asks for 8 GPUs but a g5.12xlarge node has 4 GPUs for pods (after the kubelet\'s reserve and the DaemonSets), received 8',
            ],
        );
        // One model on a pool: the exact count, naming its own keys.
        assert.deepEqual(
            problemsIfAny(() =>
                stack("prod", [{ name: "chat", maxReplicas: 6 }], {
                    "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.2xlarge"],"maxSize":8}]',
                }),
            ),
            [
                "llm-platform:gpuNodePools[0].maxSize: expected an integer >= 9: at llm-platform:models[0].maxReplicas (6) serving runs 9 pods (the active colour at 3 to 6 and the inactive one warm at 3) and a g5.2xlarge node holds 1 (1 GPU, 4 CPU and 16Gi each; limited by GPUs); raise it, or lower llm-platform:models[0].maxReplicas, received 8",
            ],
        );
    });

    it("packs pods first-fit decreasing on GPUs, CPU and memory", () => {
        const offers = { GPUs: 4, CPU: 44, memory: 170 };
        const pod = (gpus: number, cpu = "1", memory = "1Gi") => ({ gpus, cpuRequest: cpu, memoryRequest: memory });
        assert.equal(packPods(offers, []), 0);
        assert.equal(packPods(offers, [{ request: pod(1), count: 4 }]), 1);
        // 3 + 1 share a node; 2 + 2 another; the second 3 a third.
        assert.equal(
            packPods(offers, [
                { request: pod(3), count: 2 },
                { request: pod(1), count: 1 },
                { request: pod(2), count: 2 },
            ]),
            3,
        );
        // CPU binds before GPUs.
        assert.equal(packPods(offers, [{ request: pod(1, "30"), count: 2 }]), 2);
        assert.equal(packPods(offers, [{ request: pod(1, "1", "100Gi"), count: 2 }]), 2);
    });
});

describe("routing each model on the shared load balancer", () => {
    const entry = { allowedCidrs: ["10.0.0.0/8"], ready: [] };

    it("routes by host under the domain, or by the x-llm-model header, in one ingress group", () => {
        assert.deepEqual(modelRoute("chat", "llm.example.com"), { host: "chat.llm.example.com" });
        assert.deepEqual(modelRoute("chat", undefined), { header: { name: "x-llm-model", value: "chat" } });
        const routed = { ...entry, group: "inference", route: modelRoute("embed", undefined) };
        assert.equal(
            entryPointAnnotations("embed", routed, "/v1/models", "production")["alb.ingress.kubernetes.io/group.name"],
            "inference",
        );
        assert.deepEqual(routeAnnotations(routed, "embed-active"), {
            "alb.ingress.kubernetes.io/conditions.embed-active":
                '[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"x-llm-model","values":["embed"]}}]',
        });
        // A host route is the rule's own host; no condition annotation.
        assert.deepEqual(routeAnnotations({ ...entry, route: { host: "embed.llm.example.com" } }, "embed-active"), {});
        assert.deepEqual(routeAnnotations(entry, "inference-active"), {});
    });

    it("refuses a route that is neither or both, a bad host and a bad header", () => {
        assert.deepEqual(validateEntryPoint({ ...entry, route: {} }), [
            "entryPoint.route: expected either host or header",
        ]);
        assert.deepEqual(
            validateEntryPoint({ ...entry, route: { host: "Chat.example.com", header: { name: "x", value: "y" } } }),
            [
                "entryPoint.route: expected either host or header",
                'entryPoint.route.host: expected a DNS name such as chat.llm.example.com, received "Chat.example.com"',
            ],
        );
        assert.deepEqual(validateEntryPoint({ ...entry, route: { header: { name: "x llm", value: "a b" } } }), [
            `entryPoint.route.header: expected a header name of letters, digits and '-' and a printable value without spaces, received {"name":"x llm","value":"a b"}`,
        ]);
    });
});

describe("promote per model", () => {
    const prodWith = (extra: Record<string, string> = {}) =>
        goodRawConfig({
            "llm-platform:tier": "prod",
            "llm-platform:models":
                '[{"name":"chat","smokeTest":{"previewUrl":"https://preview.llm.test","activeUrl":"https://llm.test"}},{"name":"embed","activeColor":"green"}]',
            "llm-platform:gpuNodePools": '[{"name":"inference","instanceTypes":["g5.2xlarge"],"maxSize":18}]',
            ...extra,
        });

    it("reads the chosen model's state and where its keys are; the stack's only model needs no --model", async () => {
        const chat = await referenceState("prod", prodWith(), "chat");
        assert.equal(chat.model, "chat");
        assert.equal(chat.activeColor, "blue");
        assert.equal(chat.configKey, "llm-platform:models[0]");
        assert.equal(chat.smoke.previewUrl, "https://preview.llm.test");
        // Through the shared load balancer, every smoke request carries the model's route.
        assert.deepEqual(chat.smoke.headers, { "x-llm-model": "chat" });
        const embed = await referenceState("prod", prodWith(), "embed");
        assert.equal(embed.activeColor, "green");
        assert.equal(embed.configKey, "llm-platform:models[1]");
        // With a domain, the model's own host is its route: no header.
        assert.equal(
            (
                await referenceState(
                    "prod",
                    prodWith({ "llm-platform:serving": '{"entryPoint":{"domain":"llm.example.com"}}' }),
                    "chat",
                )
            ).smoke.headers,
            undefined,
        );
        const single = await referenceState("prod", goodRawConfig({ "llm-platform:tier": "prod" }), "inference");
        assert.equal(single.model, "inference");
        assert.equal(single.configKey, "llm-platform:serving");
        assert.equal(single.smoke.headers, undefined);
    });

    it("refuses a missing or unknown model before changing anything", async () => {
        const contracts = await Promise.all(["chat", "embed"].map((m) => referenceContract("prod", prodWith(), m)));
        assert.throws(() => chooseContract(contracts, "prod", undefined), {
            name: "PromotionError",
            message:
                "stack prod serves 2 models (chat, embed): choose one with --model, or promote each in turn with --all",
        });
        assert.throws(() => chooseContract(contracts, "prod", "router"), {
            name: "PromotionError",
            message: '--model: stack prod serves no model "router" (it serves chat, embed)',
        });
        assert.equal(chooseContract(contracts.slice(0, 1), "prod", undefined).model, "chat");
        assert.throws(() => contractsOf({}, "prod"), {
            name: "PromotionError",
            message:
                'stack prod has no llmPlatformReleases output: run pulumi up first, or have the program export llmPlatformReleases: a list of releaseContract(…), one per model (import { releaseContract } from "llm-platform")',
        });
    });

    it("parses --model and --all, and refuses what cannot go together", () => {
        const parsed = parsePromoteArgs(["--stack", "prod", "--model", "chat", "--model-version", "v2"]);
        assert.deepEqual([parsed.model, parsed.all, parsed.options.modelVersion], ["chat", false, "v2"]);
        assert.deepEqual(parsePromoteArgs(["--stack", "prod", "--all"]).all, true);
        assert.throws(() => parsePromoteArgs(["--stack", "prod", "--model", "Chat"]), {
            name: "UsageError",
            message: `--model: expected a model name (lower-case letters, digits and '-', as the stack's llmPlatformReleases name it), received "Chat"`,
        });
        assert.throws(() => parsePromoteArgs(["--stack", "prod", "--all", "--model", "chat"]), {
            message: "--all releases every model; leave out --model",
        });
        assert.throws(() => parsePromoteArgs(["--stack", "prod", "--all", "--model-version", "v2"]), {
            message:
                "--all releases each model's own inactive colour; --to, --image and --model-version name one model's release: use --model",
        });
    });

    it("--all releases each model in turn and exits with the worst outcome; one model's refusal is a usage error", async () => {
        const said: string[] = [];
        const code = await promoteEach(
            ["chat", "embed", "router"],
            async (m) => {
                if (m === "router") throw new PromotionError("router has no preview URL");
                const serving: ReleaseState = {
                    activeColor: m === "chat" ? "green" : "blue",
                    scaleDownInactive: false,
                    releases: {
                        blue: { image: undefined, modelVersion: "v1" },
                        green: { image: undefined, modelVersion: "v2" },
                    },
                };
                return {
                    outcome: m === "chat" ? "promoted" : "failed",
                    activeColor: serving.activeColor,
                    ...(m === "chat"
                        ? { serving }
                        : { recover: "llm-platform promote --stack prod --model embed --recover" }),
                    log: [`${m} log`],
                    model: m!,
                };
            },
            (l) => said.push(l),
        );
        // The worst: embed failed (3) with its state unknown; router refused (2).
        assert.equal(code, 3);
        assert.deepEqual(said, [
            "- chat log",
            "promoted: green is the active colour of model chat",
            "serving: model chat: green serves (model v2, image built by the stack); blue runs model v1, image built by the stack",
            "- embed log",
            "failed: which colour serves model embed is unknown (the last update did not finish)",
            "serving: model embed: unknown, the last update failed",
            "to recover: llm-platform promote --stack prod --model embed --recover",
            "model router: router has no preview URL",
        ]);
        await assert.rejects(
            promoteEach(
                ["chat"],
                async () => Promise.reject(new PromotionError("no")),
                () => undefined,
            ),
            (e: unknown) => e instanceof UsageError && e.message === "no",
        );
    });

    it("locks per model: two models of a stack release at once, the same model twice does not", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-lock-"));
        assert.equal(lockFileFor(dir, "acme/prod", "chat"), path.join(dir, ".promote-prod.chat.lock"));
        const chat = await takeLockFile(lockFileFor(dir, "prod", "chat"), "prod");
        const embed = await takeLockFile(lockFileFor(dir, "prod", "embed"), "prod");
        await assert.rejects(
            takeLockFile(lockFileFor(dir, "prod", "chat"), "prod"),
            /a promotion of stack prod is already in progress/,
        );
        await chat.release();
        await embed.release();
        assert.deepEqual(fs.readdirSync(dir), []);
    });

    it("serializes config writes and queues behind another model's update", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-queue-"));
        const slept: number[] = [];
        const queue: UpdateQueue = { waitMs: 60, pollMs: 20, sleep: async (ms) => void slept.push(ms) };
        const file = path.join(dir, ".promote-prod@config.lock");
        // Another writer holds the lock for two polls.
        fs.writeFileSync(file, "other");
        let polls = 0;
        const waiting: UpdateQueue = {
            ...queue,
            sleep: async (ms) => {
                slept.push(ms);
                if (++polls === 2) fs.rmSync(file);
            },
        };
        assert.equal(await withFileLock(file, async () => fs.existsSync(file), waiting), true);
        assert.deepEqual(slept, [20, 20], "it waited two polls for the other writer");
        assert.equal(fs.existsSync(file), false, "released after the write");
        fs.writeFileSync(file, "stuck");
        await assert.rejects(
            withFileLock(file, async () => 1, queue),
            {
                name: "StackBusyError",
                message: `${file} has been held for 0 s by an unknown holder, which is still running`,
            },
        );

        let attempts = 0;
        const said: string[] = [];
        await queuedUpdate(
            async () => {
                if (++attempts < 3) throw new automation.ConcurrentUpdateError(new Error("conflict") as never);
            },
            "prod",
            (l) => said.push(l),
            queue,
        );
        assert.equal(attempts, 3);
        assert.deepEqual(said, Array(2).fill("stack prod is being updated by someone else; waiting"));
        await assert.rejects(
            queuedUpdate(
                async () => Promise.reject(new automation.ConcurrentUpdateError(new Error("c") as never)),
                "prod",
                () => undefined,
                queue,
            ),
            // The update never began: a release knows nothing of it was applied.
            {
                name: "StackBusyError",
                message: "stack prod has been updated by someone else for 0 minutes; try again when it is done",
            },
        );
        await assert.rejects(
            queuedUpdate(
                async () => Promise.reject(new Error("boom")),
                "prod",
                () => undefined,
                queue,
            ),
            /boom/,
        );
    });

    it("sends the route header with every smoke request", async () => {
        const seen: Array<Record<string, string> | undefined> = [];
        const prober: Prober = {
            get: async (_url, headers) => {
                seen.push(headers);
                return { status: 200, latencyMs: 1 };
            },
        };
        const failure = await smokeTest(prober, "https://llm.test", {
            path: "/v1/models",
            expectedStatus: 200,
            latencyBudgetMs: 500,
            attempts: 1,
            previewUrl: undefined,
            activeUrl: undefined,
            headers: { "x-llm-model": "chat" },
        });
        assert.equal(failure, undefined);
        assert.deepEqual(seen, [{ "x-llm-model": "chat" }]);
    });
});
