import * as assert from "node:assert/strict";
import { settingsSchema } from "../environments/schema";

const TOP_LEVEL_KEYS = Object.keys(settingsSchema.shape).join(", ");
const SERVING_KEYS = Object.keys(settingsSchema.shape.serving.shape).join(", ");
import { resolveSettings, withTierDefaults, closest, configKey } from "../environments/loader";
import { TIER_DEFAULTS } from "../environments/defaults";
import { goodRawConfig, problemsIfAny, problemsOf } from "./helpers";
import { withheldSecret } from "../catalog/configErrors";

describe("environments: resolveSettings", () => {
    it("applies the staging tier defaults to a minimal stack", () => {
        const s = resolveSettings("staging", goodRawConfig());
        assert.deepEqual(JSON.parse(JSON.stringify(s)), {
            tier: "staging",
            owner: "ml-platform",
            costCenter: "ml-research",
            tags: {},
            protectStatefulResources: false,
            network: {
                cidrBlock: "10.0.0.0/16",
                availabilityZoneCount: 2,
                natGateways: "single",
                flowLogRetentionDays: 30,
            },
            cluster: {
                kubernetesVersion: "1.33",
                publicAccessCidrs: [],
                privateAccessCidrs: [],
                adminRoleArns: [],
                systemNodes: { instanceTypes: ["m6i.large"], minSize: 1, maxSize: 3 },
            },
            devicePlugin: {},
            modelBucket: {
                noncurrentVersionExpirationDays: 30,
                abortIncompleteMultipartUploadDays: 7,
                accessLogRetentionDays: 90,
                forceDestroy: false,
            },
            registry: { untaggedExpireDays: 1, keepTaggedImages: 10, forceDelete: true },
            image: { platform: "linux/amd64", buildOnPreview: false },
            serving: JSON.parse(JSON.stringify(TIER_DEFAULTS.staging.serving)),
            modelRegistry: {
                enabled: true,
                replicas: 1,
                instanceClass: "db.t4g.small",
                allocatedStorageGiB: 20,
                maxAllocatedStorageGiB: 100,
                backupRetentionDays: 7,
                multiAz: false,
                entryPoint: true,
            },
            retraining: {
                enabled: false,
                schedule: "0 3 * * 0",
                dataWindowDays: 7,
                cooldownHours: 24,
                timeoutHours: 12,
                gpus: 1,
            },
            ecs: JSON.parse(JSON.stringify(TIER_DEFAULTS.staging.ecs)),
            monitoring: JSON.parse(JSON.stringify(TIER_DEFAULTS.staging.monitoring)),
            gpuNodePools: [
                {
                    name: "inference",
                    instanceTypes: ["g5.xlarge", "g6.xlarge"],
                    capacityType: "SPOT",
                    minSize: 0,
                    maxSize: 3,
                    diskSizeGiB: 200,
                    amiType: "AL2023_x86_64_NVIDIA",
                },
            ],
            stack: "staging",
            region: "us-east-1",
        });
    });

    it("applies the prod tier defaults: 3 replicas, on-demand GPUs, protection on", () => {
        const s = resolveSettings("prod", goodRawConfig());
        assert.equal(s.tier, "prod");
        assert.equal(s.serving.replicas, 3);
        assert.equal(s.protectStatefulResources, true);
        assert.equal(s.gpuNodePools[0].capacityType, "ON_DEMAND");
        assert.equal(s.gpuNodePools[0].minSize, 1);
        assert.equal(s.modelBucket.noncurrentVersionExpirationDays, 90);
    });

    it("takes the tier from llm-platform:tier for a stack named otherwise", () => {
        const s = resolveSettings("dev-alice", goodRawConfig({ "llm-platform:tier": "staging" }));
        assert.equal(s.tier, "staging");
        assert.equal(s.stack, "dev-alice");
    });

    it("rejects a stack that is not a tier and sets none, before anything else", () => {
        assert.deepEqual(
            problemsOf(() => resolveSettings("dev", goodRawConfig())),
            [
                'llm-platform:tier: expected one of "staging", "prod"; the stack name "dev" is not a tier, so set it explicitly, received nothing',
            ],
        );
    });

    it("merges stack values over defaults: objects key by key, pools entry by entry", () => {
        const s = resolveSettings(
            "prod",
            goodRawConfig({
                "llm-platform:modelBucket": JSON.stringify({ forceDestroy: true }),
                "llm-platform:gpuNodePools": JSON.stringify([
                    { name: "a100", instanceTypes: ["p4d.24xlarge"], maxSize: 2 },
                    { name: "l4", instanceTypes: ["g6.xlarge"], capacityType: "SPOT", minSize: 0 },
                ]),
            }),
        );
        assert.deepEqual(JSON.parse(JSON.stringify(s.modelBucket)), {
            noncurrentVersionExpirationDays: 90,
            abortIncompleteMultipartUploadDays: 7,
            accessLogRetentionDays: 365,
            forceDestroy: true,
        });
        assert.deepEqual(JSON.parse(JSON.stringify(s.gpuNodePools)), [
            {
                name: "a100",
                instanceTypes: ["p4d.24xlarge"],
                capacityType: "ON_DEMAND",
                minSize: 1,
                maxSize: 2,
                diskSizeGiB: 200,
                amiType: "AL2023_x86_64_NVIDIA",
            },
            {
                name: "l4",
                instanceTypes: ["g6.xlarge"],
                capacityType: "SPOT",
                minSize: 0,
                maxSize: 9,
                diskSizeGiB: 200,
                amiType: "AL2023_x86_64_NVIDIA",
            },
        ]);
    });

    it("returns deeply frozen settings", () => {
        const s = resolveSettings("staging", goodRawConfig());
        assert.ok(Object.isFrozen(s));
        assert.ok(Object.isFrozen(s.gpuNodePools[0].instanceTypes));
        assert.throws(() => {
            (s.serving as { replicas: number }).replicas = 5;
        }, TypeError);
    });

    it("reports a wrong type with the key path, the expectation and the value", () => {
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings("staging", goodRawConfig({ "llm-platform:protectStatefulResources": "yes" })),
            ),
            ['llm-platform:protectStatefulResources: expected a boolean (true or false), received "yes"'],
        );
    });

    it("reports an out-of-range value", () => {
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    goodRawConfig({
                        "llm-platform:gpuNodePools": '[{"name":"gpu","instanceTypes":["g5.xlarge"],"diskSizeGiB":10}]',
                    }),
                ),
            ),
            ["llm-platform:gpuNodePools[0].diskSizeGiB: expected an integer >= 20, received 10"],
        );
    });

    it("reports a non-integer where an integer is expected", () => {
        assert.deepEqual(
            problemsOf(() => resolveSettings("staging", goodRawConfig({ "llm-platform:serving": '{"replicas":1.5}' }))),
            ["llm-platform:serving.replicas: expected an integer between 1 and 100, received 1.5"],
        );
    });

    it("reports unknown keys at the top level and inside objects, with a suggestion", () => {
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    goodRawConfig({ "llm-platform:replicas": "3", "llm-platform:serving": '{"replica":2}' }),
                ),
            ),
            [
                `llm-platform:replicas: unknown key; expected one of ${TOP_LEVEL_KEYS}, received 3`,
                `llm-platform:serving.replica: unknown key; expected one of ${SERVING_KEYS} (did you mean "replicas"?), received 2`,
            ],
        );
    });

    it("reports the cross-field rule in the documented format", () => {
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    goodRawConfig({
                        "llm-platform:gpuNodePools":
                            '[{"name":"gpu","instanceTypes":["g5.xlarge"],"minSize":2,"maxSize":1}]',
                    }),
                ),
            ),
            ["llm-platform:gpuNodePools[0].maxSize: expected an integer >= minSize (2), received 1"],
        );
    });

    it("enforces the prod replica minimum, duplicate pool names and desiredSize bounds", () => {
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "prod",
                    goodRawConfig({
                        "llm-platform:serving": '{"replicas":1}',
                        "llm-platform:gpuNodePools": JSON.stringify([
                            { name: "gpu", instanceTypes: ["g5.2xlarge"], desiredSize: 10 },
                            { name: "gpu", instanceTypes: ["g5.2xlarge"] },
                        ]),
                    }),
                ),
            ),
            [
                "llm-platform:gpuNodePools[0].desiredSize: expected an integer between minSize (1) and maxSize (9), received 10",
                'llm-platform:gpuNodePools[1].name: expected a pool name not used by an earlier pool, received "gpu"',
                "llm-platform:serving.replicas: expected an integer >= 2 in the prod tier (one replica cannot survive a node drain), received 1",
            ],
        );
    });

    it("checks that the ECS instances hold both colours of a deployment at maxTasks, on the ecs platform only", () => {
        const ecs = (platform: string, ecsSettings: object) =>
            goodRawConfig({
                "llm-platform:serving": JSON.stringify({ platform }),
                "llm-platform:ecs": JSON.stringify(ecsSettings),
            });
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", ecs("ecs", { maxTasks: 8 }))),
            [
                "llm-platform:ecs.maxInstances: expected at least 16 for a blue/green deployment at maxTasks (both colours at maxTasks (2 × 8 tasks), 1 task(s) of 1 GPU(s) per instance, bound by GPUs), received 12",
            ],
        );
        // A task's memory with its sidecars', and its CPU, must fit an instance too (issue 31).
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", ecs("ecs", { memoryMiB: 31000, cpuUnits: 4096 }))),
            [
                "llm-platform:ecs.memoryMiB: a task's 31000 MiB and its sidecars' 320 MiB do not fit an instance of the instance types (32 GiB, less 1536 MiB for the system) (ecs.instanceTypes), received 31000",
            ],
        );
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", ecs("ecs", { cpuUnits: 16384 }))),
            [
                "llm-platform:ecs.cpuUnits: a task asks 16384 CPU units, more than an instance of the instance types has (8192: 1024 per vCPU) (ecs.instanceTypes), received 16384",
            ],
        );
        // The ECS rollback gate counts the latency SLO from vLLM's TTFT histogram: a bucket bound.
        const slo = (platform: string, p95LatencyMs: number) =>
            goodRawConfig({
                "llm-platform:serving": JSON.stringify({ platform }),
                "llm-platform:monitoring": JSON.stringify({ slo: { p95LatencyMs } }),
            });
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", slo("both", 800))),
            [
                "llm-platform:monitoring.slo.p95LatencyMs: on ECS, expected one of vLLM's time-to-first-token bucket bounds in ms (1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000, 20000, 40000, 80000, 160000, 640000, 2560000): the rollback gate counts the requests over the budget from that histogram, received 800",
            ],
        );
        assert.equal(resolveSettings("prod", slo("eks", 800)).monitoring.slo.p95LatencyMs, 800, "any budget on EKS");
        assert.equal(resolveSettings("prod", ecs("ecs", {})).ecs.maxInstances, 12);
        assert.equal(resolveSettings("prod", ecs("eks", { maxTasks: 8 })).ecs.maxTasks, 8, "unused off ECS");
    });

    it("scales with KEDA by default, and refuses a queue-length metric no adapter would serve", () => {
        const s = resolveSettings("prod", goodRawConfig());
        assert.deepEqual([s.serving.autoscaler, s.serving.scaleOn], ["keda", { metric: "waitingRequests", target: 5 }]);
        const serving = (v: object) => goodRawConfig({ "llm-platform:serving": JSON.stringify(v) });
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings("prod", serving({ queueLengthMetric: { name: "q", averageValue: "10" } })),
            ),
            [
                'llm-platform:serving.queueLengthMetric: scales a HorizontalPodAutoscaler on a Pods metric, which needs a custom metrics adapter the platform does not install (KEDA serves external metrics only): remove it, and scale on vLLM\'s queue with serving.autoscaler "keda" and serving.scaleOn, received {"name":"q","averageValue":"10"}',
            ],
        );
        assert.equal(
            problemsOf(() =>
                resolveSettings(
                    "prod",
                    serving({ autoscaler: "hpa", queueLengthMetric: { name: "q", averageValue: "10" } }),
                ),
            ).length,
            1,
        );
        assert.equal(resolveSettings("prod", serving({ autoscaler: "hpa" })).serving.autoscaler, "hpa");
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", serving({ scaleOn: { metric: "waitingRequests", target: 2.5 } }))),
            ["llm-platform:serving.scaleOn.target: expected an integer (waiting requests per replica), received 2.5"],
        );
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", serving({ scaleOn: { metric: "kvCacheUsage", target: 70 } }))),
            ["llm-platform:serving.scaleOn.target: expected a fraction <= 1 of the KV cache in use, received 70"],
        );
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", serving({ scaleOn: { metric: "tokens", target: 1 } }))),
            [
                'llm-platform:serving.scaleOn.metric: expected one of "waitingRequests", "kvCacheUsage", received "tokens"',
            ],
        );
    });

    it("opens an internal entry point by default, and refuses an open internet-facing one without TLS", () => {
        const s = resolveSettings("prod", goodRawConfig());
        assert.deepEqual(s.serving.entryPoint, {
            enabled: true,
            internetFacing: false,
            allowedCidrs: ["10.0.0.0/8"],
            previewPort: 8443,
            deletionProtection: true,
        });
        assert.equal(resolveSettings("staging", goodRawConfig()).serving.entryPoint.deletionProtection, false);
        const entry = (v: object) => goodRawConfig({ "llm-platform:serving": JSON.stringify({ entryPoint: v }) });
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings("prod", entry({ internetFacing: true, allowedCidrs: ["0.0.0.0/0"], previewPort: 443 })),
            ),
            [
                "llm-platform:serving.entryPoint.certificateArn: required: an internet-facing load balancer open to the whole internet (0.0.0.0/0, or blocks that add up to it) must serve HTTPS, received nothing",
                "llm-platform:serving.entryPoint.previewPort: expected a port other than the production listener's (80, 443), received 443",
            ],
        );
    });

    it("checks that the serving pool holds every pod at the configured replicas and at maxReplicas", () => {
        const prod = (serving: object, pools: object[], extra: Record<string, string> = {}) =>
            problemsIfAny(() =>
                resolveSettings(
                    "prod",
                    goodRawConfig({
                        "llm-platform:serving": JSON.stringify(serving),
                        "llm-platform:gpuNodePools": JSON.stringify(pools),
                        ...extra,
                    }),
                ),
            );
        const pool = { name: "gpu", instanceTypes: ["g5.2xlarge"] };
        // The tier's own figures fit exactly: 6 active at maxReplicas + 3 warm = 9 nodes of one GPU.
        assert.deepEqual(prod({ replicas: 3, maxReplicas: 6 }, [{ ...pool, maxSize: 9 }]), []);
        assert.deepEqual(prod({ replicas: 3, maxReplicas: 6 }, [{ ...pool, maxSize: 8 }]), [
            "llm-platform:gpuNodePools[0].maxSize: expected an integer >= 9: at llm-platform:serving.maxReplicas (6) serving runs 9 pods (the active colour at 3 to 6 and the inactive one warm at 3) and a g5.2xlarge node holds 1 (1 GPU, 4 CPU and 16Gi each; limited by GPUs); raise it, or lower llm-platform:serving.maxReplicas, received 8",
        ]);
        assert.deepEqual(prod({ replicas: 3, maxReplicas: 6 }, [{ ...pool, maxSize: 5 }]), [
            "llm-platform:gpuNodePools[0].maxSize: expected an integer >= 9: at llm-platform:serving.replicas (3) serving already runs 6 pods (the active colour at 3 to 6 and the inactive one warm at 3) and a g5.2xlarge node holds 1 (1 GPU, 4 CPU and 16Gi each; limited by GPUs); raise it, or lower llm-platform:serving.replicas or set llm-platform:serving.scaleDownInactive, received 5",
        ]);
        // Canary: Flagger's primary and canary may each reach maxReplicas during an analysis.
        assert.deepEqual(prod({ strategy: "canary", replicas: 3, maxReplicas: 6 }, [{ ...pool, maxSize: 9 }]), [
            "llm-platform:gpuNodePools[0].maxSize: expected an integer >= 12: at llm-platform:serving.maxReplicas (6) serving runs 12 pods (the primary and the canary of an analysis, each at 3 to 6) and a g5.2xlarge node holds 1 (1 GPU, 4 CPU and 16Gi each; limited by GPUs); raise it, or lower llm-platform:serving.maxReplicas, received 9",
        ]);
        // A 4-GPU node holds four one-GPU pods (CPU and memory allow it), and time-slicing multiplies GPUs.
        assert.deepEqual(
            prod({ replicas: 3, maxReplicas: 6 }, [{ name: "gpu", instanceTypes: ["g5.12xlarge"], maxSize: 3 }]),
            [],
        );
        assert.deepEqual(
            prod(
                {
                    replicas: 2,
                    maxReplicas: 4,
                    resources: { cpuRequest: "1", cpuLimit: "2", memoryRequest: "4Gi", memoryLimit: "6Gi" },
                },
                [{ ...pool, minSize: 1, maxSize: 2 }],
                { "llm-platform:devicePlugin": '{"timeSlicingReplicas":4}' },
            ),
            [],
        );
        // Which pool: serving.gpuPool's, and the key named is that pool's.
        assert.deepEqual(
            prod({ replicas: 3, maxReplicas: 6, gpuPool: "big" }, [
                { ...pool, maxSize: 9 },
                { name: "big", instanceTypes: ["p4d.24xlarge"], minSize: 0, maxSize: 1 },
            ]),
            [
                "llm-platform:gpuNodePools[1].maxSize: expected an integer >= 2: at llm-platform:serving.maxReplicas (6) serving runs 9 pods (the active colour at 3 to 6 and the inactive one warm at 3) and a p4d.24xlarge node holds 8 (1 GPU, 4 CPU and 16Gi each; limited by GPUs); raise it, or lower llm-platform:serving.maxReplicas, received 1",
            ],
        );
        // A pod no node of the pool can hold is named by the resource that does not fit.
        assert.deepEqual(
            prod({ replicas: 3, maxReplicas: 6 }, [{ name: "gpu", instanceTypes: ["g5.xlarge"], maxSize: 9 }]),
            [
                'llm-platform:serving.resources: expected a pod that fits a node of GPU pool "gpu": it asks for 4 CPU but a g5.xlarge node has 3.25 vCPU for pods (after the kubelet\'s reserve and the DaemonSets), received {"cpuRequest":"4","cpuLimit":"8","memoryRequest":"16Gi","memoryLimit":"24Gi"}',
            ],
        );
        assert.deepEqual(prod({ replicas: 3, maxReplicas: 6, gpus: 2 }, [{ ...pool, maxSize: 9 }]), [
            'llm-platform:serving.gpus: expected a pod that fits a node of GPU pool "gpu": it asks for 2 GPUs but a g5.2xlarge node has 1 GPU for pods (after the kubelet\'s reserve and the DaemonSets), received 2',
        ]);
        // ECS-only stacks have no EKS pool to check.
        assert.deepEqual(prod({ platform: "ecs", replicas: 3, maxReplicas: 6 }, [{ ...pool, maxSize: 1 }]), []);
    });

    it("lists every problem at once, sorted by key, and names required keys", () => {
        const raw = {
            "llm-platform:costCenter": "",
            "llm-platform:tags": '{"aws:team":"x","env":3}',
            "llm-platform:tier": "production",
        };
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", raw)),
            // A bad tier no longer hides the rest of the file.
            [
                "aws:region: expected an AWS region such as us-east-1 (set it with `pulumi config set aws:region us-east-1`), received nothing",
                'llm-platform:costCenter: expected a non-empty string, received ""',
                "llm-platform:owner: required; expected a string, received nothing",
                "llm-platform:tags: expected tag names of 1-128 characters that do not start with the reserved prefix 'aws:', received \"aws:team\"",
                "llm-platform:tags.env: expected a string, received 3",
                'llm-platform:tier: expected one of "staging", "prod", received "production"',
            ],
        );
        const tagged = {
            "aws:region": "us-east-1",
            "llm-platform:tier": "staging",
            "llm-platform:owner": "ml 🚀",
            "llm-platform:costCenter": "cc-42",
            "llm-platform:tags": '{"team!":"x","env":"prod\u2603"}',
        };
        assert.deepEqual(
            problemsOf(() => resolveSettings("staging", tagged)),
            [
                'llm-platform:owner: expected letters, digits, spaces and _ . : / = + - @ only (what AWS accepts in tags), received "ml 🚀"',
                'llm-platform:tags: expected tag names of letters, digits, spaces and _ . : / = + - @ only (what AWS accepts in tags), received "team!"',
                'llm-platform:tags.env: expected letters, digits, spaces and _ . : / = + - @ only (what AWS accepts in tags), received "prod☃"',
            ],
        );
        const raw2 = {
            "aws:region": "us-east-1",
            "llm-platform:costCenter": "",
            "llm-platform:tags": '{"aws:team":"x","env":3}',
        };
        assert.deepEqual(
            problemsOf(() => resolveSettings("prod", raw2)),
            [
                'llm-platform:costCenter: expected a non-empty string, received ""',
                "llm-platform:owner: required; expected a string, received nothing",
                `llm-platform:tags: expected tag names of 1-128 characters that do not start with the reserved prefix 'aws:', received "aws:team"`,
                "llm-platform:tags.env: expected a string, received 3",
            ],
        );
    });

    it("formats the whole error as one message naming the stack and the fix", () => {
        try {
            resolveSettings("staging", goodRawConfig({ "llm-platform:serving": '{"replicas":0}' }));
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.equal(
                (e as Error).message,
                [
                    'Invalid configuration for stack "staging" (1 problem):',
                    "  llm-platform:serving.replicas: expected an integer >= 1, received 0",
                    "Fix the values in Pulumi.staging.yaml or with `pulumi config set` (see docs/configuration.md).",
                ].join("\n"),
            );
        }
    });

    it("never prints a secret value", () => {
        const key = "llm-platform:owner";
        assert.deepEqual(
            problemsOf(() => resolveSettings("staging", goodRawConfig({ [key]: "" }), { secretKeys: [key] })),
            ["llm-platform:owner: expected a non-empty string, received [secret]"],
        );
    });

    it("checks a secure value this run could not decrypt by its type alone, and prints a number beside it", () => {
        const key = "llm-platform:monitoring";
        const marker = withheldSecret("v1:topic==");
        const withheld = (monitoring: Record<string, unknown>) =>
            resolveSettings("staging", goodRawConfig({ [key]: JSON.stringify(monitoring) }), { secretKeys: [key] });
        // The format of an SNS topic ARN cannot be checked on a marker: the value passes as a string.
        const settings = withheld({ alerting: { snsTopicArn: marker, slackWebhookUrl: withheldSecret("v1:hook==") } });
        assert.equal(settings.monitoring.alerting.snsTopicArn, marker);
        assert.equal(settings.monitoring.retentionDays, TIER_DEFAULTS.staging.monitoring.retentionDays);
        assert.deepEqual(
            problemsOf(() =>
                withheld({
                    retentionDays: 0,
                    replicas: marker,
                    alerting: { snsTopicArn: "topic", slackWebhookUrl: "http://hooks.slack.com/x" },
                }),
            ),
            [
                // A decrypted secret (as under `pulumi up`) is checked whole; a string is never printed.
                "llm-platform:monitoring.alerting.slackWebhookUrl: expected an https URL (a Slack incoming webhook), received [secret]",
                "llm-platform:monitoring.alerting.snsTopicArn: expected an SNS topic ARN, received [secret]",
                // A marker outside the receivers' credentials: a setting, never a secret.
                "llm-platform:monitoring.replicas: expected a plain value: a secure value here is not a credential but a setting the plan is built from (only llm-platform:monitoring.alerting.slackWebhookUrl, llm-platform:monitoring.alerting.pagerdutyRoutingKey, llm-platform:monitoring.alerting.snsTopicArn may be secrets); set it without --secret, received [secret]",
                // A sibling that is not a string cannot be the secret: its value is printed.
                "llm-platform:monitoring.retentionDays: expected an integer >= 1, received 0",
            ],
        );
    });

    it("keeps string keys as written even when they look like JSON", () => {
        assert.equal(resolveSettings("staging", goodRawConfig({ "llm-platform:owner": "1234" })).owner, "1234");
    });

    it("rejects a malformed region", () => {
        assert.deepEqual(
            problemsOf(() => resolveSettings("staging", goodRawConfig({ "aws:region": "US East" }))),
            ['aws:region: expected an AWS region such as us-east-1, received "US East"'],
        );
    });
});

describe("environments: platform keys", () => {
    it("requires three zones in prod and GPU instance types in pools", () => {
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "prod",
                    goodRawConfig({
                        "llm-platform:network": '{"availabilityZoneCount":2}',
                        "llm-platform:gpuNodePools": '[{"name":"gpu","instanceTypes":["g5.xlarge","m5.large"]}]',
                    }),
                ),
            ),
            [
                'llm-platform:gpuNodePools[0].instanceTypes[1]: expected an NVIDIA GPU instance type (g4dn, g5, g6, g6e, p4d, p4de, p5, p5e), such as g5.xlarge, received "m5.large"',
                "llm-platform:network.availabilityZoneCount: expected an integer >= 3 in the prod tier (a zone outage must leave two), received 2",
            ],
        );
    });

    it("checks the network, cluster and device plugin keys", () => {
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    goodRawConfig({
                        "llm-platform:network": JSON.stringify({
                            flowLogRetentionDays: 10,
                            existing: {
                                vpcId: "vpc-1",
                                publicSubnetIds: [],
                                privateSubnetIds: ["subnet-0abc12345", "subnet-0abc12346"],
                            },
                        }),
                        "llm-platform:cluster": JSON.stringify({
                            kubernetesVersion: "1.3",
                            systemNodes: { instanceTypes: ["m6i.large"], minSize: 3, maxSize: 2 },
                        }),
                        "llm-platform:devicePlugin": '{"timeSlicingReplicas":1}',
                    }),
                ),
            ),
            [
                'llm-platform:cluster.kubernetesVersion: expected a Kubernetes version such as "1.33", received "1.3"',
                "llm-platform:cluster.systemNodes.maxSize: expected an integer >= minSize (3), received 2",
                "llm-platform:devicePlugin.timeSlicingReplicas: expected an integer >= 2, received 1",
                "llm-platform:network.existing.publicSubnetIds: expected at least two subnets (EKS needs two zones), received []",
                'llm-platform:network.existing.vpcId: expected a VPC id like vpc-0abc12345, received "vpc-1"',
                "llm-platform:network.flowLogRetentionDays: expected a CloudWatch retention period (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), received 10",
            ],
        );
    });

    it("takes an existing VPC and cluster from config", () => {
        const existing = {
            vpcId: "vpc-0abc12345",
            publicSubnetIds: ["subnet-0aaa11111", "subnet-0bbb22222"],
            privateSubnetIds: ["subnet-0ccc33333", "subnet-0ddd44444"],
        };
        const s = resolveSettings(
            "prod",
            goodRawConfig({
                "llm-platform:network": JSON.stringify({ existing, availabilityZoneCount: 2 }),
                "llm-platform:cluster": '{"existingClusterName":"platform"}',
            }),
        );
        assert.deepEqual(JSON.parse(JSON.stringify(s.network.existing)), existing);
        assert.equal(s.cluster.existingClusterName, "platform");
        assert.equal(s.cluster.kubernetesVersion, "1.33");
    });
});

describe("environments: helpers", () => {
    it("withTierDefaults replaces arrays and merges pool entries over the pool defaults", () => {
        const merged = withTierDefaults("staging", { gpuNodePools: [{ name: "x" }] });
        assert.deepEqual(merged.gpuNodePools, [{ ...TIER_DEFAULTS.staging.gpuNodePool, name: "x" }]);
        assert.deepEqual(withTierDefaults("staging", { gpuNodePools: "nope" }).gpuNodePools, "nope");
    });

    it("configKey renders paths the way users type them", () => {
        assert.equal(configKey(["gpuNodePools", 0, "maxSize"]), "llm-platform:gpuNodePools[0].maxSize");
        assert.equal(configKey([]), "llm-platform");
    });

    it("closest suggests only near misses", () => {
        assert.equal(closest("servng", ["serving", "tags"]), "serving");
        assert.equal(closest("zzzzzz", ["serving", "tags"]), undefined);
    });
});
