import * as assert from "node:assert/strict";
import { poolCapacity } from "../catalog/gpu";
import { GPU_TOLERATION } from "../catalog/gpu";
import * as k8s from "@pulumi/kubernetes";
import { DEFAULT_CANARY, DEFAULT_SCALE_ON, PROD_SERVING_REPLICAS } from "../catalog/standards";
import { buildScaledObjectSpec } from "../components/k8s/scaling";
import { prefixReadOnlyPolicy } from "../components/aws/bucketPolicies";
import { createPrefixReadPolicy } from "../components/aws/modelArtifactBucket";
import {
    BlueGreenEksService,
    EKS_SERVICE_DEFAULTS,
    validateBlueGreenEksServiceArgs,
    withEksServiceDefaults,
    type BlueGreenEksServiceArgs,
} from "../components/k8s/blueGreenEksService";
import { validateCanary } from "../components/k8s/canary";
import {
    buildPodSpec,
    fittedResources,
    validateRelease,
    validateWorkload,
    type WorkloadSpec,
} from "../components/k8s/inferenceWorkload";
import { TIER_DEFAULTS } from "../environments/defaults";
import { diffExports } from "../tools/reports/diff";
import { runProgram, type RunResult } from "../tools/engine/run";
import { displayType, type ExportedResource } from "../tools/engine/stackExport";
import { find, requiredServiceArgs } from "./helpers";
import { kubernetesSchemaErrors } from "./kubernetesSchema";
import { CHAT_GREEN, PROD_CANARY, PROD_HPA, planOf, planWith } from "./plans";

/** The diff of a weighted forward action's flip, from `[blue, green]` to the reverse. */
const weights = (action: string, [blue, green]: [number, number]): string =>
    [blue, green]
        .map(
            (w, i) =>
                `metadata.annotations."alb.ingress.kubernetes.io/actions.${action}"(json).forwardConfig.targetGroups[${i}].weight: ${w} -> ${100 - w}`,
        )
        .join("; ");

const DIGEST = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"b".repeat(64)}`;

/** A known-good workload on a g5.2xlarge pool. */
function goodSpec(overrides: Partial<WorkloadSpec> = {}): WorkloadSpec {
    return {
        name: "inference",
        image: DIGEST,
        modelVersion: "v1",
        modelSource: "s3://models/models",
        gpus: 1,
        resources: { cpuRequest: "4", cpuLimit: "8", memoryRequest: "16Gi", memoryLimit: "24Gi" },
        containerPort: 8000,
        probePort: 8000,
        healthPath: "/health",
        readyPath: "/v1/models",
        startupTimeoutSeconds: 600,
        runAsUser: 10001,
        logLevel: "INFO",
        drainSeconds: 30,
        serviceAccountName: "inference",
        pool: {
            capacity: poolCapacity(["g5.2xlarge"]),
            nodeSelector: { "llm-platform/pool": "gpu-inference" },
            tolerations: [GPU_TOLERATION],
        },
        modelSyncImage: "public.ecr.aws/aws-cli/aws-cli:2.22.35",
        modelCacheSizeGiB: 100,
        ...overrides,
    };
}

type Container = {
    name: string;
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    securityContext: Record<string, unknown>;
    livenessProbe: { httpGet: { path: string; port: number } };
    readinessProbe: { httpGet: { path: string; port: number } };
    startupProbe: { httpGet: { path: string }; failureThreshold: number; periodSeconds: number };
    env: Array<{ name: string; value: string }>;
    lifecycle: unknown;
};

describe("inference pod spec", () => {
    const pod = buildPodSpec(goodSpec(), "blue") as unknown as Record<string, unknown> & {
        containers: Container[];
        initContainers: Container[];
    };
    const container = pod.containers[0];

    it("requests GPUs equal to limits, with the reference CPU and memory", () => {
        assert.deepEqual(container.resources, {
            requests: { cpu: "4", memory: "16Gi", "nvidia.com/gpu": "1" },
            limits: { cpu: "8", memory: "24Gi", "nvidia.com/gpu": "1" },
        });
    });

    it("probes /health for liveness and startup (long enough to load a model) and /v1/models for readiness", () => {
        assert.deepEqual(
            [container.livenessProbe.httpGet.path, container.livenessProbe.httpGet.port],
            ["/health", 8000],
        );
        assert.deepEqual(
            [container.readinessProbe.httpGet.path, container.readinessProbe.httpGet.port],
            ["/v1/models", 8000],
        );
        assert.equal(container.startupProbe.httpGet.path, "/health");
        assert.equal(container.startupProbe.failureThreshold * container.startupProbe.periodSeconds, 600);
    });

    it("runs non-root, read-only, without privileges or capabilities, under RuntimeDefault seccomp", () => {
        for (const c of [...pod.containers, ...pod.initContainers]) {
            assert.deepEqual(c.securityContext, {
                runAsNonRoot: true,
                runAsUser: 10001,
                runAsGroup: 10001,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                privileged: false,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
            });
        }
        assert.equal(pod.automountServiceAccountToken, false);
        assert.deepEqual(
            (pod.volumes as Array<{ name: string }>).map((v) => v.name),
            ["models", "tmp", "shm"],
        );
    });

    it("gives a model sharded over several GPUs 20 GiB of /dev/shm, as vLLM's production stack does (issue 31)", () => {
        const shm = (tensorParallelSize?: number) =>
            (
                buildPodSpec({ ...goodSpec(), tensorParallelSize }, "blue") as unknown as {
                    volumes: Array<{ name: string; emptyDir?: unknown }>;
                }
            ).volumes.find((v) => v.name === "shm")?.emptyDir;
        assert.deepEqual(shm(undefined), { medium: "Memory", sizeLimit: "2Gi" });
        assert.deepEqual(shm(1), { medium: "Memory", sizeLimit: "2Gi" });
        assert.deepEqual(shm(2), { medium: "Memory", sizeLimit: "20Gi" });
    });

    it("schedules on the GPU pool, tolerates its taint and spreads across zones", () => {
        assert.deepEqual(pod.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
        assert.deepEqual(pod.nodeSelector, { "llm-platform/pool": "gpu-inference" });
        const spread = pod.topologySpreadConstraints as Array<{ topologyKey: string }>;
        assert.deepEqual(
            spread.map((s) => s.topologyKey),
            ["topology.kubernetes.io/zone", "kubernetes.io/hostname"],
        );
    });

    it("starts vLLM's server with its own flags, the image's entry point untouched, drains before shutdown, and syncs weights first", () => {
        assert.equal((container as { command?: unknown }).command, undefined);
        assert.deepEqual((container as unknown as { args: string[] }).args, [
            "--model",
            "/models/v1",
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
            "--uvicorn-log-level",
            "info",
            "--enable-request-id-headers",
        ]);
        assert.deepEqual(container.env, [
            { name: "HOME", value: "/tmp" },
            { name: "USER", value: "vllm" },
            { name: "TORCHINDUCTOR_CACHE_DIR", value: "/tmp/torchinductor" },
            { name: "VLLM_NO_USAGE_STATS", value: "1" },
            { name: "DO_NOT_TRACK", value: "1" },
            { name: "VLLM_LOGGING_LEVEL", value: "INFO" },
            { name: "PORT", value: "8000" },
            { name: "MODEL_VERSION", value: "v1" },
            { name: "VLLM_HTTP_TIMEOUT_KEEP_ALIVE", value: "305" },
            { name: "HF_HOME", value: "/models/.cache/huggingface" },
        ]);
        assert.deepEqual(container.lifecycle, { preStop: { exec: { command: ["sleep", "30"] } } });
        assert.equal(pod.terminationGracePeriodSeconds, 60);
        assert.deepEqual((pod.initContainers[0] as unknown as { command: string[] }).command, [
            "aws",
            "s3",
            "sync",
            "--only-show-errors",
            "s3://models/models/v1",
            "/models/v1",
        ]);
    });
});

describe("inference workload validation", () => {
    it("accepts the reference workload on a g5.2xlarge pool", () => {
        assert.deepEqual(validateWorkload(goodSpec(), 3, 2), []);
    });

    it("rejects a GPU request that does not fit a node, a probe on an unexposed port and too few replicas", () => {
        assert.deepEqual(validateWorkload(goodSpec({ gpus: 2, probePort: 9000 }), 1, 2), [
            "the pod does not fit a node of the GPU pool: it requests 2 GPUs but a node can offer 1 (after the kubelet's reserve and the DaemonSets)",
            "probePort: the probes call port 9000 but the container exposes only 8000",
            "replicas: expected an integer >= 2 (the tier minimum), received 1",
        ]);
    });

    it("rejects memory beyond what a node can offer and limits below requests", () => {
        const small = goodSpec({ pool: { ...goodSpec().pool, capacity: poolCapacity(["g5.xlarge"]) } });
        assert.deepEqual(validateWorkload(small, 1, 1), [
            "the pod does not fit a node of the GPU pool: it requests 4 vCPUs but a node can offer 3.25 vCPUs (after the kubelet's reserve and the DaemonSets)",
        ]);
        assert.deepEqual(
            validateWorkload(
                goodSpec({ resources: { cpuRequest: "4", cpuLimit: "2", memoryRequest: "16G", memoryLimit: "lots" } }),
                1,
                1,
            ),
            [
                'resources.memoryLimit: expected a Kubernetes quantity such as "4" or "16Gi", received "lots"',
                "resources.cpuLimit: expected at least the request (4), received 2",
            ],
        );
    });

    it("requires images by digest and plain model versions", () => {
        assert.deepEqual(validateRelease({ image: "inference:latest", modelVersion: "v 2" }), [
            'image: expected an image pinned by digest (repository@sha256:<64 hex>), received "inference:latest"',
            "modelVersion: expected a version name of letters, digits, '.', '_' and '-', or a registered model version as models:/<name>/<version> (an alias such as models:/<name>@candidate moves: `npm run promote -- --model-version models:/<name>@<alias>` resolves it and writes the version it names), received \"v 2\"",
        ]);
        assert.deepEqual(validateRelease({ image: undefined, modelVersion: "llama-3.1-8b" }), []);
    });
});

describe("canary strategy", () => {
    it("refuses bad analysis settings, naming them", () => {
        assert.deepEqual(validateCanary({ ...DEFAULT_CANARY, interval: "soon", stepWeight: 60 }), [
            'canary.interval: expected a duration such as "1m", received "soon"',
            "canary.stepWeight: expected 0 < stepWeight <= maxWeight <= 100, received stepWeight 60 and maxWeight 50",
        ]);
    });

    it("replaces the two colours with one Deployment, a Flagger Canary and its MetricTemplates when chosen", async () => {
        const result = await planWith("prod", PROD_CANARY);
        const byParent = result.export.deployment.resources.filter((r) =>
            r.parent?.endsWith("BlueGreenEksService::inference"),
        );
        assert.deepEqual(
            byParent
                .filter((r) => r.type.startsWith("kubernetes:"))
                .map((r) => `${displayType(r.type)} ${r.urn.split("::").pop()}`)
                .sort(),
            [
                "kubernetes:apps/v1:Deployment inference-blue",
                "kubernetes:core/v1:ConfigMap inference-vllm-logging",
                "kubernetes:core/v1:Namespace inference-namespace",
                "kubernetes:core/v1:ServiceAccount inference-service-account",
                "kubernetes:flagger.app/v1beta1:Canary inference-canary",
                "kubernetes:flagger.app/v1beta1:MetricTemplate inference-latency",
                "kubernetes:flagger.app/v1beta1:MetricTemplate inference-success-rate",
                "kubernetes:keda.sh/v1alpha1:ScaledObject inference-blue",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy inference-ingress",
                "kubernetes:policy/v1:PodDisruptionBudget inference-blue",
            ],
        );
        const canary = byParent.find((r) => r.urn.endsWith("::inference-canary"))!;
        assert.equal(canary.inputs?.apiVersion, "flagger.app/v1beta1");
        assert.equal(canary.inputs?.kind, "Canary");
        assert.equal(result.outputs.eksActiveService, "inference-primary");
    });
});

describe("BlueGreenEksService in the stacks", () => {
    let prod: RunResult;
    const k8sOf = (r: RunResult, type: string, name: string): ExportedResource => find(r.export, type, name);
    before(async () => {
        prod = await planOf("prod");
    });

    it("points the active Service at blue and the preview Service at green", () => {
        const selector = (name: string) =>
            (k8sOf(prod, "kubernetes:core/v1:Service", name).inputs?.spec as { selector: unknown }).selector;
        assert.deepEqual(selector("chat-active"), {
            "app.kubernetes.io/name": "chat",
            "llm-platform/color": "blue",
        });
        assert.deepEqual(selector("chat-preview"), {
            "app.kubernetes.io/name": "chat",
            "llm-platform/color": "green",
        });
    });

    it("rolls out one pod at a time with none unavailable, both colours warm in prod, each with a PDB and an autoscaler (only the active one may grow)", () => {
        for (const color of ["blue", "green"]) {
            const spec = k8sOf(prod, "kubernetes:apps/v1:Deployment", `chat-${color}`).inputs?.spec as Record<
                string,
                unknown
            >;
            assert.deepEqual(spec.strategy, {
                type: "RollingUpdate",
                rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
            });
            assert.equal(spec.replicas, undefined, "the autoscaler owns the replica count");
            // Pulumi waits for the rollout: 10 minutes of startup budget plus 20 for a node, the image and the weights.
            assert.deepEqual(k8sOf(prod, "kubernetes:apps/v1:Deployment", `chat-${color}`).customTimeouts, {
                create: 1800,
                update: 1800,
            });
            // KEDA scales each colour on the requests waiting in its own pods' engines.
            const scaled = k8sOf(prod, "kubernetes:keda.sh/v1alpha1:ScaledObject", `chat-${color}`).inputs
                ?.spec as Record<string, unknown>;
            // The inactive colour serves no production traffic: warm at 3 for rollback, never more.
            assert.deepEqual(
                scaled,
                buildScaledObjectSpec({
                    deployment: `chat-${color}`,
                    namespace: "chat",
                    min: 3,
                    max: color === "blue" ? 6 : 3,
                    scaleOn: DEFAULT_SCALE_ON,
                    prometheusUrl: "http://prometheus-operated.monitoring:9090",
                }),
            );
            assert.deepEqual((scaled.triggers as Array<{ metadata: Record<string, string> }>)[0].metadata, {
                serverAddress: "http://prometheus-operated.monitoring:9090",
                query: `sum(vllm:num_requests_waiting{namespace="chat",pod=~"chat-${color}-[0-9a-zA-Z]+-[0-9a-zA-Z]+"})`,
                threshold: "5",
            });
            assert.deepEqual(
                (
                    k8sOf(prod, "kubernetes:policy/v1:PodDisruptionBudget", `chat-${color}`).inputs?.spec as Record<
                        string,
                        unknown
                    >
                ).maxUnavailable,
                1,
            );
        }
    });

    it("deploys the built image by digest and lets the pods read only their model's prefix of the bucket", () => {
        const spec = k8sOf(prod, "kubernetes:apps/v1:Deployment", "chat-blue").inputs?.spec as {
            template: { spec: { containers: Array<{ image: string }> } };
        };
        assert.equal(spec.template.spec.containers[0].image, prod.outputs.inferenceImage);
        const role = find(prod.export, "aws:iam/role:Role", "chat-irsa");
        const trust = JSON.parse(String(role.inputs?.assumeRolePolicy));
        assert.deepEqual(Object.values(trust.Statement[0].Condition.StringEquals), [
            "system:serviceaccount:chat:chat",
            "sts.amazonaws.com",
        ]);
        assert.equal(
            find(prod.export, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "chat-irsa-read").inputs?.policyArn,
            find(prod.export, "aws:iam/policy:Policy", "chat-model-read").outputs?.arn,
        );
        assert.match(
            String(find(prod.export, "aws:iam/policy:Policy", "chat-model-read").inputs?.policy),
            /models\/chat\/\*/,
        );
        const sa = k8sOf(prod, "kubernetes:core/v1:ServiceAccount", "chat-service-account").inputs as {
            metadata: { annotations: Record<string, string> };
        };
        assert.equal(sa.metadata.annotations["eks.amazonaws.com/role-arn"], role.outputs?.arn);
    });

    it("admits traffic only from the ingress namespaces, Prometheus and the ALB's subnets, which hold no pods", () => {
        const spec = k8sOf(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-ingress").inputs
            ?.spec as Record<string, unknown>;
        // The ALB sits in the public subnets; the pods' addresses come from the private ones, so no
        // other pod of the cluster is admitted (the VPC's CIDR would admit them all).
        const publicCidrs = ["10.0.128.0/22", "10.0.132.0/22", "10.0.136.0/22"];
        assert.deepEqual(spec.ingress, [
            {
                from: [
                    { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
                    { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
                    ...publicCidrs.map((cidr) => ({ ipBlock: { cidr } })),
                ],
                ports: [{ port: 8000, protocol: "TCP" }],
            },
        ]);
        const subnets = prod.export.deployment.resources
            .filter((r) => r.type === "aws:ec2/subnet:Subnet")
            .map((r) => [r.urn.split("::").pop(), r.inputs?.cidrBlock, r.id]);
        assert.deepEqual(
            subnets.filter(([n]) => String(n).startsWith("network-public-")).map(([, c]) => c),
            publicCidrs,
        );
        // The load balancer is placed there, by the subnets' ids.
        const production = k8sOf(prod, "kubernetes:networking.k8s.io/v1:Ingress", "chat-production").inputs!;
        assert.equal(
            (production.metadata as { annotations: Record<string, string> }).annotations[
                "alb.ingress.kubernetes.io/subnets"
            ],
            subnets
                .filter(([n]) => String(n).startsWith("network-public-"))
                .map(([, , id]) => id)
                .join(","),
        );
    });

    it("staging scales the inactive colour to zero and runs smaller pods that fit its g5.xlarge nodes", async () => {
        const staging = await planOf("staging");
        const green = k8sOf(staging, "kubernetes:apps/v1:Deployment", "chat-green").inputs?.spec as Record<
            string,
            unknown
        >;
        assert.equal(green.replicas, 0);
        assert.equal(
            staging.export.deployment.resources.filter((r) => r.urn.endsWith("ScaledObject::chat-green")).length,
            0,
        );
        assert.deepEqual(TIER_DEFAULTS.staging.serving.resources, {
            cpuRequest: "2",
            cpuLimit: "4",
            memoryRequest: "10Gi",
            memoryLimit: "14Gi",
        });
    });

    it("flipping one model's activeColor changes exactly its two Services' selectors, its two listeners' weights and the autoscalers' ceilings, nothing stateful", async () => {
        const flipped = await planWith("prod", CHAT_GREEN.prod);
        const d = diffExports(prod.export, flipped.export);
        assert.deepEqual(d.dangers, []);
        assert.deepEqual(
            d.changes
                .map(
                    (c) =>
                        `${c.kind} ${c.name} ${c.properties.map((p) => `${p.path}: ${String(p.old)} -> ${String(p.new)}`).join("; ")}`,
                )
                .sort(),
            [
                "update chat-active spec.selector.llm-platform/color: blue -> green",
                "update chat-preview spec.selector.llm-platform/color: green -> blue",
                `update chat-preview ${weights("chat-preview", [0, 100])}`,
                `update chat-production ${weights("chat-active", [100, 0])}`,
                "update chat-blue spec.maxReplicaCount: 6 -> 3",
                "update chat-green spec.maxReplicaCount: 3 -> 6",
            ]
                .map((line) => line.replace("spec.selector.llm-platform/color", 'spec.selector."llm-platform/color"'))
                .sort(),
        );
        // One model released: the others' objects are untouched.
        assert.deepEqual(
            (flipped.outputs.models as Array<{ name: string; activeColor: string }>).map(
                (m) => `${m.name} ${m.activeColor}`,
            ),
            ["chat green", "embed blue", "router blue"],
        );
    });

    it("flips without moving a target: fixed colour Services, weights moved after the rollout, readiness gates, the old colour scaled down last", async () => {
        const dependsOn = (plan: RunResult, type: string, name: string, on: string, onName: string): boolean =>
            (k8sOf(plan, type, name).dependencies ?? []).includes(k8sOf(plan, on, onName).urn);
        for (const model of ["chat", "embed", "router"]) {
            for (const color of ["blue", "green"]) {
                const svc = k8sOf(prod, "kubernetes:core/v1:Service", `${model}-${color}`).inputs as {
                    metadata: { labels: Record<string, string> };
                    spec: { selector: Record<string, string> };
                };
                assert.deepEqual(svc.spec.selector, {
                    "app.kubernetes.io/name": model,
                    "llm-platform/color": color,
                });
                // Not scraped: the ServiceMonitor selects active and preview, each pod once.
                assert.deepEqual(svc.metadata.labels, { "app.kubernetes.io/name": model, "llm-platform/role": color });
            }
            const ns = k8sOf(prod, "kubernetes:core/v1:Namespace", `${model}-namespace`).inputs as {
                metadata: { labels: Record<string, string> };
            };
            assert.equal(ns.metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"], "enabled");
            // The weights and the in-cluster Service move only once the active colour has rolled out.
            for (const [type, name] of [
                ["kubernetes:networking.k8s.io/v1:Ingress", `${model}-production`],
                ["kubernetes:core/v1:Service", `${model}-active`],
            ])
                assert.ok(dependsOn(prod, type, name, "kubernetes:apps/v1:Deployment", `${model}-blue`), name);
            assert.ok(
                !dependsOn(
                    prod,
                    "kubernetes:core/v1:Service",
                    `${model}-preview`,
                    "kubernetes:apps/v1:Deployment",
                    `${model}-green`,
                ),
            );
        }
        // Staging scales the inactive colour to zero only after production has left it; its models
        // scale to zero, and a wake would wait for the preview's health check: no readiness gates.
        const staging = await planOf("staging");
        const stagingNs = k8sOf(staging, "kubernetes:core/v1:Namespace", "chat-namespace").inputs as {
            metadata: { labels: Record<string, string> };
        };
        assert.equal(stagingNs.metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"], undefined);
        for (const [type, name] of [
            ["kubernetes:networking.k8s.io/v1:Ingress", "chat-production"],
            ["kubernetes:core/v1:Service", "chat-active"],
        ])
            assert.ok(dependsOn(staging, "kubernetes:apps/v1:Deployment", "chat-green", type, name), name);
        // Prod keeps the inactive colour warm: nothing holds it back.
        assert.ok(
            !dependsOn(
                prod,
                "kubernetes:apps/v1:Deployment",
                "chat-green",
                "kubernetes:core/v1:Service",
                "chat-active",
            ),
        );
        // Canary has no entry point of its own: no colour Services, no gate label.
        const canary = await planWith("prod", PROD_CANARY);
        assert.equal(
            canary.export.deployment.resources.filter((r) => /Service::chat-(blue|green)$/.test(r.urn)).length,
            0,
        );
    });

    it("in staging a flip also moves the scale: the new inactive colour goes to zero", async () => {
        const staging = await planOf("staging");
        const flipped = await planWith("staging", CHAT_GREEN.staging);
        const d = diffExports(staging.export, flipped.export);
        assert.deepEqual(d.dangers, []);
        assert.deepEqual(d.changes.map((c) => `${c.kind} ${displayType(c.type)} ${c.name}`).sort(), [
            "add kubernetes:keda.sh/v1alpha1:ScaledObject chat-green",
            "remove kubernetes:keda.sh/v1alpha1:ScaledObject chat-blue",
            "update kubernetes:apps/v1:Deployment chat-blue",
            "update kubernetes:apps/v1:Deployment chat-green",
            "update kubernetes:core/v1:Service chat-active",
            "update kubernetes:core/v1:Service chat-preview",
            "update kubernetes:networking.k8s.io/v1:Ingress chat-preview",
        ]);
    });

    it("scales with a HorizontalPodAutoscaler on CPU when autoscaler hpa is chosen, with the metrics-server it reads", async () => {
        const hpaPlan = await planWith("prod", PROD_HPA);
        assert.equal(hpaPlan.export.deployment.resources.filter((r) => r.type.includes("keda")).length, 0);
        const hpa = k8sOf(hpaPlan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "chat-blue").inputs
            ?.spec as Record<string, unknown>;
        assert.deepEqual(hpa.metrics, [
            { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
        ]);
        // EKS ships no metrics-server: without it the HPA reports ScalingActive false and never scales.
        const addons = (r: { export: { deployment: { resources: Array<{ type: string; inputs?: unknown }> } } }) =>
            r.export.deployment.resources
                .filter((x) => x.type === "aws:eks/addon:Addon")
                .map((x) => (x.inputs as { addonName: string }).addonName)
                .sort();
        assert.ok(addons(hpaPlan).includes("metrics-server"));
        assert.ok(!addons(prod).includes("metrics-server"), "KEDA's Prometheus triggers need none");
        const metricsServer = find(hpaPlan.export, "aws:eks/addon:Addon", "llm-metrics-server");
        assert.ok(
            metricsServer.dependencies?.includes(find(hpaPlan.export, "aws:eks/nodeGroup:NodeGroup", "llm-system").urn),
        );
        assert.deepEqual(kubernetesSchemaErrors(hpaPlan.export.deployment.resources), []);
    });

    it("every Kubernetes object validates against the schema in both strategies", async () => {
        assert.deepEqual(kubernetesSchemaErrors(prod.export.deployment.resources), []);
        const canary = await planWith("prod", PROD_CANARY);
        assert.deepEqual(kubernetesSchemaErrors(canary.export.deployment.resources), []);
    });
});

describe("BlueGreenEksService as a library", () => {
    const DIGEST = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"e".repeat(64)}`;
    const provider0 = () => undefined as unknown as k8s.Provider;
    const required = (provider: k8s.Provider): BlueGreenEksServiceArgs => requiredServiceArgs(provider, DIGEST);

    it("defaults to the prod tier's serving figures: where they share a key they agree", () => {
        const prod = TIER_DEFAULTS.prod.serving as Record<string, unknown>;
        const shared = Object.entries(EKS_SERVICE_DEFAULTS).filter(([k]) => k in prod);
        assert.deepEqual(
            shared.map(([k]) => k),
            [
                "activeColor",
                "scaleDownInactive",
                "strategy",
                "replicas",
                "gpus",
                "containerPort",
                "healthPath",
                "readyPath",
                "startupTimeoutSeconds",
                "targetCpuUtilization",
                "ingressNamespaces",
                "ingressCidrs",
                "prometheusNamespace",
            ],
        );
        for (const [k, v] of shared) assert.deepEqual(prod[k], v, k);
        assert.equal(EKS_SERVICE_DEFAULTS.replicas, PROD_SERVING_REPLICAS);
        const resolved = withEksServiceDefaults("svc", required(undefined as unknown as k8s.Provider));
        assert.deepEqual(
            [resolved.maxReplicas, resolved.probePort, resolved.namespace, resolved.canary],
            [2 * PROD_SERVING_REPLICAS, 8000, "svc", DEFAULT_CANARY],
        );
        // Resources fit the pool's smallest node: on a g5.2xlarge they are the prod tier's.
        assert.deepEqual(resolved.resources, prod.resources);
        assert.deepEqual(resolved.resources, fittedResources(poolCapacity(["g5.2xlarge"])));
    });

    it("exposes its role, service account, colours and network policy, by their URNs", async () => {
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: { "aws:region": "us-east-1" },
            program: () => {
                const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
                const svc = new BlueGreenEksService("svc", required(provider));
                return Promise.resolve({
                    exposed: [
                        svc.role.urn,
                        svc.serviceAccount.urn,
                        svc.colors.blue!.deployment.urn,
                        svc.colors.blue!.podDisruptionBudget.urn,
                        svc.colors.blue!.autoscaler!.urn,
                        svc.colors.green!.deployment.urn,
                        svc.networkPolicy.urn,
                    ],
                    canary: svc.canary === undefined,
                });
            },
        });
        assert.deepEqual(
            (result.outputs.exposed as string[]).map((u) => u.split("::").slice(2).join("::")),
            [
                "llm-platform:k8s:BlueGreenEksService$aws:iam/role:Role::svc-irsa",
                "llm-platform:k8s:BlueGreenEksService$kubernetes:core/v1:ServiceAccount::svc-service-account",
                "llm-platform:k8s:BlueGreenEksService$kubernetes:apps/v1:Deployment::svc-blue",
                "llm-platform:k8s:BlueGreenEksService$kubernetes:policy/v1:PodDisruptionBudget::svc-blue",
                "llm-platform:k8s:BlueGreenEksService$kubernetes:autoscaling/v2:HorizontalPodAutoscaler::svc-blue",
                "llm-platform:k8s:BlueGreenEksService$kubernetes:apps/v1:Deployment::svc-green",
                "llm-platform:k8s:BlueGreenEksService$kubernetes:networking.k8s.io/v1:NetworkPolicy::svc-ingress",
            ],
        );
        assert.equal(result.outputs.canary, true);
        const hpa = find(result.export, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "svc-blue").inputs!;
        assert.deepEqual(
            [(hpa.spec as Record<string, unknown>).minReplicas, (hpa.spec as Record<string, unknown>).maxReplicas],
            [3, 6],
        );
    });

    it("reads one model's prefix of the bucket only, with the prefix's own read policy", async () => {
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: { "aws:region": "us-east-1" },
            program: () => {
                const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
                const read = createPrefixReadPolicy("chat-read", {
                    bucketArn: "arn:aws:s3:::models",
                    kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/k",
                    prefix: "models/chat",
                });
                new BlueGreenEksService("chat", {
                    ...required(provider),
                    modelPrefix: "models/chat",
                    modelReadPolicyArn: read.arn,
                });
                return Promise.resolve({});
            },
        });
        const spec = find(result.export, "kubernetes:apps/v1:Deployment", "chat-blue").inputs?.spec as {
            template: { spec: { initContainers: Array<{ name: string; command: string[] }> } };
        };
        const sync = spec.template.spec.initContainers.find((c) => c.name === "model-sync")!;
        assert.equal(sync.command[4], "s3://models/models/chat/v1");
        const policy = JSON.parse(String(find(result.export, "aws:iam/policy:Policy", "chat-read").inputs?.policy));
        assert.deepEqual(
            policy,
            JSON.parse(
                prefixReadOnlyPolicy("arn:aws:s3:::models", "arn:aws:kms:us-east-1:111122223333:key/k", "models/chat"),
            ),
        );
        assert.deepEqual(policy.Statement[0].Condition, { StringLike: { "s3:prefix": ["models/chat/*"] } });
        assert.equal(policy.Statement[2].Resource, "arn:aws:s3:::models/models/chat/*");
        assert.equal(
            find(result.export, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "chat-irsa-read").inputs
                ?.policyArn,
            find(result.export, "aws:iam/policy:Policy", "chat-read").outputs?.arn,
        );
        assert.deepEqual(
            validateBlueGreenEksServiceArgs("svc", { ...required(provider0()), modelPrefix: "/models/" }),
            [
                `modelPrefix: expected path segments of letters, digits, '.', '_' and '-' without a leading or trailing '/', received "/models/"`,
            ],
        );
        assert.throws(
            () => createPrefixReadPolicy("x", { bucketArn: "b", kmsKeyArn: "k", prefix: "a//b" }),
            /prefix: expected path segments/,
        );
    });

    it("refuses bad arguments with one ResourceError naming each", () => {
        assert.deepEqual(
            validateBlueGreenEksServiceArgs("svc", {
                ...required(undefined as unknown as k8s.Provider),
                replicas: 4,
                maxReplicas: 2,
                strategy: "canary",
                green: { image: "inference:latest", modelVersion: "v 2" },
            }),
            [
                'green.image: expected an image pinned by digest (repository@sha256:<64 hex>), received "inference:latest"',
                "green.modelVersion: expected a version name of letters, digits, '.', '_' and '-', or a registered model version as models:/<name>/<version> (an alias such as models:/<name>@candidate moves: `npm run promote -- --model-version models:/<name>@<alias>` resolves it and writes the version it names), received \"v 2\"",
                "canaryDelivery: required with strategy canary (a CanaryDelivery: Flagger, the gateway and the load tester)",
                "maxReplicas: expected an integer >= replicas (4), received 2",
            ],
        );
        // A load balancer whose addresses the NetworkPolicy does not admit reaches no pod.
        const entryPoint = { allowedCidrs: ["10.0.0.0/8"], ready: [] };
        assert.deepEqual(validateBlueGreenEksServiceArgs("svc", { ...required(provider0()), entryPoint }), [
            "entryPoint.sourceCidrs: the load balancer forwards from its own subnets' addresses, which the NetworkPolicy must admit (or no request and no health check reaches a pod): set subnetIds and sourceCidrs to the load balancer's subnets (e.g. Network's publicSubnetIds and publicSubnetCidrs), or list those CIDRs in ingressCidrs",
        ]);
        for (const admitted of [
            { entryPoint: { ...entryPoint, sourceCidrs: ["10.0.128.0/22"] } },
            { entryPoint, ingressCidrs: ["10.0.128.0/22"] },
        ])
            assert.deepEqual(validateBlueGreenEksServiceArgs("svc", { ...required(provider0()), ...admitted }), []);
    });
});
