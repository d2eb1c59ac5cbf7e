/**
 * The reference stacks against what upstream software really does at the versions they pin
 * (docs/UPSTREAM.md): the routes the vLLM image serves, the charts' defaults as Helm merges our
 * values over them, the metrics the image emits.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { poolCapacity } from "../catalog/gpu";
import { poolLabels } from "../components/aws/gpuNodePool";
import { DEVICE_PLUGIN_CHART_VERSION, devicePluginValues } from "../components/k8s/nvidiaDevicePlugin";
import {
    INFERENCE_UID,
    LIVENESS_PATH,
    READINESS_PATH,
    UVICORN_LOG_LEVELS,
    VLLM_ENTRYPOINT,
    VLLM_ENVIRONMENT,
    VLLM_IMAGE,
    VLLM_ROUTES,
    VLLM_SERVER_FLAGS,
    VLLM_SERVER_SWITCHES,
    VLLM_VERSION,
    VLLM_WRITABLE_DIR,
} from "../catalog/vllm";
import { parseDockerfile } from "../components/aws/dockerfile";
import { TIER_DEFAULTS } from "../environments/defaults";
import type { ExportedResource } from "../tools/engine/stackExport";
import { chartDefaults, helmCoalesce, renderedScheduling, schedulingProblems } from "./helm";
import { PROJECT_DIR } from "./helpers";
import { planOf, REFERENCE_STACKS } from "./plans";

const routes = new Set<string>(VLLM_ROUTES);

interface Probe {
    httpGet?: { path: string };
}
interface Container {
    name: string;
    livenessProbe?: Probe;
    readinessProbe?: Probe;
    startupProbe?: Probe;
}

describe("the routes the shipped vLLM image serves", () => {
    it("the image is vLLM's OpenAI server at the pinned version, with its HEALTHCHECK on /health", () => {
        const dockerfile = fs.readFileSync(path.join(PROJECT_DIR, "images", "inference", "Dockerfile"), "utf8");
        assert.match(dockerfile, new RegExp(`^ARG BASE_IMAGE=${VLLM_IMAGE.replace(/[.]/g, "\\.")}$`, "m"));
        assert.ok(VLLM_IMAGE.startsWith(`vllm/vllm-openai:${VLLM_VERSION}@sha256:`));
        const healthcheck = /^HEALTHCHECK [\s\S]*?\/health'/m.exec(dockerfile);
        assert.ok(healthcheck, "HEALTHCHECK calls /health");
        assert.ok(routes.has(LIVENESS_PATH) && routes.has(READINESS_PATH));
        assert.ok(!routes.has("/ready"), "vLLM has no /ready");
    });

    it("every probe, health check and smoke test of every stack uses one of them: /health to live, /v1/models to be ready", async () => {
        const used: string[] = [];
        for (const stack of REFERENCE_STACKS) {
            const resources = (await planOf(stack)).export.deployment.resources;
            const ofType = (type: string): ExportedResource[] => resources.filter((r) => r.type === type);
            for (const d of ofType("kubernetes:apps/v1:Deployment").filter((r) =>
                r.urn.includes("BlueGreenEksService"),
            )) {
                const spec = d.inputs?.spec as { template: { spec: { containers: Container[] } } };
                for (const c of spec.template.spec.containers) {
                    assert.equal(c.livenessProbe?.httpGet?.path, LIVENESS_PATH, `${d.urn} liveness`);
                    assert.equal(c.startupProbe?.httpGet?.path, LIVENESS_PATH, `${d.urn} startup`);
                    assert.equal(c.readinessProbe?.httpGet?.path, READINESS_PATH, `${d.urn} readiness`);
                    used.push(LIVENESS_PATH, READINESS_PATH);
                }
            }
            for (const tg of ofType("aws:lb/targetGroup:TargetGroup")) {
                const checked = (tg.inputs?.healthCheck as { path: string }).path;
                assert.equal(checked, READINESS_PATH, `${tg.urn} health check`);
                used.push(checked);
            }
            for (const task of ofType("aws:ecs/taskDefinition:TaskDefinition")) {
                const containers = JSON.parse(String(task.inputs?.containerDefinitions)) as Array<{
                    name: string;
                    healthCheck?: { command: string[] };
                }>;
                const inference = containers.find((c) => c.name === "inference");
                const command = inference?.healthCheck?.command.join(" ") ?? "";
                assert.ok(command.includes(`${LIVENESS_PATH}'`), `${task.urn}: ${command}`);
                used.push(LIVENESS_PATH);
            }
        }
        for (const tier of ["staging", "prod"] as const) used.push(TIER_DEFAULTS[tier].serving.smokeTest.path);
        assert.deepEqual(
            [...new Set(used)].filter((p) => !routes.has(p)),
            [],
        );
        assert.equal(TIER_DEFAULTS.prod.serving.smokeTest.path, READINESS_PATH);
    });
});

describe("the NVIDIA device plugin as Helm renders it (chart 0.18.0)", () => {
    const defaults = chartDefaults(`nvidia-device-plugin-${DEVICE_PLUGIN_CHART_VERSION}.values.yaml`);

    it("merges values the way Helm does: a table merges into the chart's, null deletes it, lists replace", () => {
        const chart = { a: { x: 1, y: { z: 2 } }, b: [1, 2], c: "keep", d: { e: 1 } };
        assert.deepEqual(helmCoalesce(chart, { a: {}, b: [3], d: null }), {
            a: { x: 1, y: { z: 2 } },
            b: [3],
            c: "keep",
        });
        assert.deepEqual(helmCoalesce(chart, { a: { y: { z: null }, w: 0 } }), {
            a: { x: 1, y: {}, w: 0 },
            b: [1, 2],
            c: "keep",
            d: { e: 1 },
        });
        assert.deepEqual(renderedScheduling({ nodeSelector: {}, affinity: null, tolerations: [] }), {});
    });

    it("an empty affinity keeps the chart's NFD affinity, which no node of ours matches", () => {
        const merged = helmCoalesce(defaults, { ...devicePluginValues(undefined), affinity: {} });
        const node = { labels: poolLabels("gpu", poolCapacity(["g5.xlarge"]), "AL2023_x86_64_NVIDIA"), taints: [] };
        assert.deepEqual(schedulingProblems(renderedScheduling(merged), node), [
            "no required node affinity term matches (feature.node.kubernetes.io/pci-10de.present | feature.node.kubernetes.io/cpu-model.vendor_id | nvidia.com/gpu.present)",
        ]);
    });

    for (const stack of ["staging", "prod"] as const) {
        it(`${stack}: the DaemonSet lands on every AL2023 GPU node and nowhere else`, async () => {
            const resources = (await planOf(stack)).export.deployment.resources;
            const release = resources.find(
                (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.urn.endsWith("::nvidia-device-plugin"),
            );
            const values = release?.inputs?.values as Record<string, unknown>;
            assert.equal(values.affinity, null, "affinity: null reaches the release's inputs");
            const rendered = renderedScheduling(helmCoalesce(defaults, values));
            assert.deepEqual(rendered, {
                nodeSelector: { "llm-platform/nvidia-device-plugin": "daemonset" },
                tolerations: [
                    { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
                    { key: "CriticalAddonsOnly", operator: "Exists" },
                ],
            });
            const groups = resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
            assert.ok(groups.length >= 2);
            for (const group of groups) {
                const inputs = group.inputs as {
                    labels?: Record<string, string>;
                    taints?: Array<{ key: string; value: string; effect: string }>;
                    amiType: string;
                };
                const node = {
                    labels: inputs.labels ?? {},
                    taints: (inputs.taints ?? []).map((t) => ({
                        key: t.key,
                        value: t.value,
                        effect: ({ NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute" } as const)[
                            t.effect as "NO_SCHEDULE"
                        ],
                    })),
                };
                const problems = schedulingProblems(rendered, node);
                if (inputs.amiType === "AL2023_x86_64_NVIDIA") assert.deepEqual(problems, [], group.urn);
                else assert.notDeepEqual(problems, [], `${group.urn} (${inputs.amiType}) needs no DaemonSet`);
            }
        });
    }
});

describe("the stacks' alerts read what the vLLM image emits", () => {
    for (const stack of ["staging", "prod"] as const) {
        it(`${stack}: latency on time to first token, errors of inference requests, vLLM's queue and tokens, DCGM's GPUs`, async () => {
            // The first model's rules, which also hold the platform's (GPUs, drift).
            const resources = (await planOf(stack)).export.deployment.resources;
            const rule = resources.find(
                (r) =>
                    r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule" &&
                    r.urn.endsWith("::monitoring-rules"),
            );
            const exprs = (
                rule?.inputs?.spec as {
                    groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
                }
            ).groups
                .flatMap((g) => g.rules)
                .map((r) => [r.alert ?? r.record, r.expr] as const);
            const of = (name: string) => exprs.find(([n]) => n === name)?.[1];
            assert.equal(
                of("LLMHighP95Latency"),
                'histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{job="chat"}[5m]))) > 0.5',
            );
            assert.equal(
                of("llm:request_error_ratio:rate5m"),
                'sum by (job) (rate(http_requests_total{job="chat",handler=~"/v1/(chat/completions|completions|embeddings)",status=~"5..|5xx"}[5m])) / sum by (job) (rate(http_requests_total{job="chat",handler=~"/v1/(chat/completions|completions|embeddings)"}[5m]))',
            );
            assert.equal(of("LLMInferenceQueueLong"), 'max(vllm:num_requests_waiting{job="chat"}) > 50');
            // DCGM's GPUs of the model's serving pods: dcgm-exporter names the pod holding each GPU
            // (exported_*, its ServiceMonitor not honouring labels), joined to the active Service's scrape.
            assert.equal(
                of("LLMGPUSaturated"),
                'avg(label_replace(label_replace(DCGM_FI_DEV_GPU_UTIL{exported_pod!=""}, "namespace", "$1", "exported_namespace", "(.+)"), "pod", "$1", "exported_pod", "(.+)") and on (namespace, pod) up{job="chat",service=~".+-(active|primary)"}) > 95',
            );
            assert.match(
                of("LLMTokenThroughputDrop") ?? "",
                /^sum\(rate\(vllm:generation_tokens_total\{job="chat"\}\[30m\]\)\)/,
            );
            // Only the evaluation job's own gauge keeps an llm_* name: no image emits it. Drift is
            // measured from vLLM's token histograms, per model version (the label the ServiceMonitor
            // copies from the pods: prometheus-operator v0.86.2 podTargetLabels).
            const llmSeries = exprs.flatMap(([, e]) => e.match(/\bllm_[a-z_]+/g) ?? []);
            assert.deepEqual([...new Set(llmSeries)].sort(), ["llm_hallucination_rate", "llm_platform_model_version"]);
            const monitors = resources.filter(
                (r) =>
                    r.type === "kubernetes:monitoring.coreos.com/v1:ServiceMonitor" &&
                    (r.inputs?.spec as { jobLabel?: string }).jobLabel === "llm-platform/job",
            );
            assert.ok(monitors.length > 0);
            for (const m of monitors)
                assert.deepEqual((m.inputs?.spec as { podTargetLabels: string[] }).podTargetLabels, [
                    "llm-platform/model-version",
                ]);
            assert.match(
                of("LLMModelDriftDetected") ?? "",
                /^max by \(job\) \(llm:model_drift_score:1h\{job="chat"\}\) > 0\.25$/,
            );
        });
    }
});

/**
 * What the stock image's entry point does with a container's arguments at v0.11.0 (docs/UPSTREAM.md,
 * "The image contract"): `python3 -m vllm.entrypoints.openai.api_server` parses them as flags; the
 * model is `--model` (a positional model is ignored there); no variable names the model or port.
 */
function serverFlags(args: readonly string[]): Map<string, string> {
    const flags = new Map<string, string>();
    for (let i = 0; i < args.length; i += 2) {
        assert.ok(args[i].startsWith("--"), `a positional argument ${args[i]}: the api_server ignores it`);
        assert.ok((VLLM_SERVER_FLAGS as readonly string[]).includes(args[i]), `${args[i]} is not a flag we know`);
        assert.ok(!flags.has(args[i]), `${args[i]} twice`);
        // A switch (store_true) takes no value: the next argument is a flag again.
        if ((VLLM_SERVER_SWITCHES as readonly string[]).includes(args[i])) {
            flags.set(args[i], "");
            i--;
            continue;
        }
        flags.set(args[i], args[i + 1]);
    }
    return flags;
}

describe("the image contract: the stock vLLM image and ours, started alike", () => {
    it("images/inference keeps the stock image's entry point and runs as the numeric user the pods set", () => {
        const steps = parseDockerfile(
            fs.readFileSync(path.join(PROJECT_DIR, "images", "inference", "Dockerfile"), "utf8"),
        );
        assert.deepEqual(
            steps.filter((i) => i.keyword === "ENTRYPOINT" || i.keyword === "CMD"),
            [],
            `no ENTRYPOINT or CMD: the base's ${JSON.stringify(VLLM_ENTRYPOINT)} stays`,
        );
        assert.deepEqual(
            steps.filter((i) => i.keyword === "FROM").map((i) => i.args),
            ["${BASE_IMAGE}"],
        );
        assert.equal(steps.filter((i) => i.keyword === "USER").pop()?.args, `${INFERENCE_UID}:${INFERENCE_UID}`);
    });

    it("every inference container of every stack passes vLLM's flags, never a command, and writes only to volumes", async () => {
        let containers = 0;
        let tasks = 0;
        for (const stack of REFERENCE_STACKS) {
            const resources = (await planOf(stack, "update")).export.deployment.resources;
            for (const d of resources.filter(
                (r) => r.type === "kubernetes:apps/v1:Deployment" && r.urn.includes("BlueGreenEksService"),
            )) {
                type Pod = {
                    containers: Array<{
                        command?: string[];
                        args: string[];
                        env: Array<{ name: string; value: string }>;
                        ports: Array<{ containerPort: number }>;
                        readinessProbe: { httpGet: { port: number } };
                        securityContext: { readOnlyRootFilesystem: boolean; runAsUser: number };
                        volumeMounts: Array<{ name: string; mountPath: string }>;
                    }>;
                    volumes: Array<{ name: string; emptyDir?: object }>;
                };
                const pod = (d.inputs?.spec as { template: { spec: Pod } }).template.spec;
                const c = pod.containers[0];
                containers++;
                assert.equal(c.command, undefined, `${d.urn}: the image's entry point runs`);
                const flags = serverFlags(c.args);
                assert.match(flags.get("--model") ?? "", /^\/models\//, d.urn);
                assert.equal(Number(flags.get("--port")), c.ports[0].containerPort, d.urn);
                assert.equal(c.readinessProbe.httpGet.port, c.ports[0].containerPort, d.urn);
                assert.ok((UVICORN_LOG_LEVELS as readonly string[]).includes(flags.get("--uvicorn-log-level") ?? ""));
                assert.equal(c.securityContext.readOnlyRootFilesystem, true);
                assert.equal(c.securityContext.runAsUser, INFERENCE_UID);
                const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
                for (const [name, value] of Object.entries(VLLM_ENVIRONMENT)) assert.equal(env[name], value, name);
                // Every folder the server writes is on a writable volume: HOME, the temp folder, the weights.
                const mounted = (folder: string): boolean =>
                    c.volumeMounts.some(
                        (m) =>
                            (folder === m.mountPath || folder.startsWith(`${m.mountPath}/`)) &&
                            pod.volumes.some((v) => v.name === m.name && v.emptyDir),
                    );
                for (const folder of [env.HOME, env.TORCHINDUCTOR_CACHE_DIR, env.HF_HOME, VLLM_WRITABLE_DIR])
                    assert.ok(mounted(folder), `${d.urn}: ${folder} is on no writable volume`);
            }
            for (const task of resources.filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")) {
                tasks++;
                const defs = JSON.parse(String(task.inputs?.containerDefinitions)) as Array<{
                    name: string;
                    entryPoint?: string[];
                    command: string[];
                    environment: Array<{ name: string; value: string }>;
                    portMappings: Array<{ containerPort: number }>;
                    readonlyRootFilesystem: boolean;
                    mountPoints: Array<{ containerPath: string }>;
                }>;
                const c = defs.find((x) => x.name === "inference")!;
                containers++;
                assert.equal(c.entryPoint, undefined, `${task.urn}: the image's entry point runs`);
                const flags = serverFlags(c.command);
                assert.equal(Number(flags.get("--port")), c.portMappings[0].containerPort);
                const env = Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
                for (const [name, value] of Object.entries(VLLM_ENVIRONMENT)) assert.equal(env[name], value, name);
                assert.equal(c.readonlyRootFilesystem, true);
                // Every folder the server writes is under a mounted volume.
                for (const folder of [env.HOME, env.TORCHINDUCTOR_CACHE_DIR, env.HF_HOME, VLLM_WRITABLE_DIR])
                    assert.ok(
                        c.mountPoints.some(
                            (m) => folder === m.containerPath || folder.startsWith(`${m.containerPath}/`),
                        ),
                        `${task.urn}: ${folder} is on no volume`,
                    );
            }
        }
        assert.ok(containers >= 5 && tasks >= 1, `${containers} inference containers checked, ${tasks} ECS tasks`);
    });
});
