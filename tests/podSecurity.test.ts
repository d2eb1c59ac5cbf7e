import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { REVIEWED_CHARTS } from "../policies/charts";
import { goodDeployment } from "../policies/fixtures";
import * as k8s from "../policies/kubernetes";
import { runResourcePolicy, type TestResource } from "../policies/testing";
import { podSitesOf } from "../policies/util";
import { find } from "./helpers";
import { planOf } from "./plans";

type Props = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

/** The pod template of the good Deployment: a pod every policy passes. */
const goodTemplate = (): { metadata: Props; spec: Props & { containers: Props[] } } =>
    clone(
        (goodDeployment().props.spec as { template: { metadata: Props; spec: Props & { containers: Props[] } } })
            .template,
    );

/** The same bad pod: privileged, root, hostNetwork, `:latest`. */
function badTemplate() {
    const t = goodTemplate();
    t.spec.hostNetwork = true;
    t.spec.securityContext = {};
    const c = t.spec.containers[0] as Props & { securityContext: Props };
    c.image = "vllm/vllm-openai:latest";
    Object.assign(c.securityContext, { privileged: true, runAsNonRoot: false, runAsUser: 0 });
    return t;
}

const POLICIES = [k8s.k8sNotPrivileged, k8s.k8sRunAsNonRoot, k8s.k8sNoHostNamespaces, k8s.k8sImagePinned];

async function findings(resource: TestResource, policies: ResourceValidationPolicy[] = POLICIES): Promise<string[]> {
    const out: string[] = [];
    for (const p of policies)
        out.push(...(await runResourcePolicy(p, resource)).violations.map((v) => `${p.name}: ${v}`));
    return out;
}

const BAD_POD = [
    'k8s-not-privileged: container "inference" runs privileged: remove securityContext.privileged',
    'k8s-run-as-non-root: container "inference" may run as root: set runAsNonRoot: true and a numeric runAsUser other than 0',
    "k8s-no-host-namespaces: the pod sets hostNetwork: true",
    'k8s-image-pinned: container "inference" image "vllm/vllm-openai:latest" is not pinned (no tag or latest)',
];

describe("every pod spec is found", () => {
    const carriers: Array<[string, (t: ReturnType<typeof badTemplate>) => Props, string?]> = [
        ["kubernetes:apps/v1:ReplicaSet", (t) => ({ spec: { template: t } })],
        ["kubernetes:core/v1:ReplicationController", (t) => ({ spec: { template: t } })],
        ["kubernetes:core/v1:PodTemplate", (t) => ({ template: t })],
        ["kubernetes:core/v1:PodTemplatePatch", (t) => ({ template: t })],
        ["kubernetes:core/v1:PodPatch", (t) => ({ metadata: t.metadata, spec: t.spec })],
        ["kubernetes:apps/v1:DeploymentPatch", (t) => ({ spec: { template: t } })],
        ["kubernetes:apps/v1:StatefulSetPatch", (t) => ({ spec: { template: t } })],
        ["kubernetes:batch/v1:CronJobPatch", (t) => ({ spec: { jobTemplate: { spec: { template: t } } } })],
        ["kubernetes:argoproj.io/v1alpha1:Rollout", (t) => ({ spec: { template: t } }), "spec.template.spec: "],
        [
            "kubernetes:serving.kserve.io/v1beta1:InferenceService",
            (t) => ({ spec: { predictor: { ...t.spec } } }),
            "spec.predictor: ",
        ],
    ];
    for (const [type, wrap, prefix] of carriers) {
        it(`${type}: the same bad pod gets the same findings`, async () => {
            const expected = BAD_POD.map((f) => f.replace(": ", `: ${prefix ?? ""}`));
            assert.deepEqual(await findings({ type, props: wrap(badTemplate()) }), expected);
            assert.deepEqual(await findings({ type, props: wrap(goodTemplate()) }), []);
        });
    }

    it("a patch that leaves the pod spec out has nothing to check; a non-workload kind has no pod", () => {
        assert.deepEqual(podSitesOf("kubernetes:apps/v1:DeploymentPatch", { spec: { replicas: 3 } }), {
            sites: [],
            unreadable: [],
        });
        assert.deepEqual(podSitesOf("kubernetes:core/v1:Service", { spec: { template: { spec: {} } } }), {
            sites: [],
            unreadable: [],
        });
        assert.deepEqual(podSitesOf("aws:s3/bucket:Bucket", { spec: { template: { spec: { containers: [] } } } }), {
            sites: [],
            unreadable: [],
        });
    });

    it("checks native sidecars and ephemeral containers, and init containers for security", async () => {
        const t = goodTemplate();
        const base = t.spec.containers[0];
        t.spec.initContainers = [
            { ...clone(base), name: "proxy", restartPolicy: "Always", livenessProbe: undefined, ports: undefined },
            { ...clone(base), name: "fetch", livenessProbe: undefined, readinessProbe: undefined },
        ];
        t.spec.ephemeralContainers = [
            {
                name: "debug",
                image: "busybox:1.37",
                securityContext: { ...clone(base.securityContext as Props), capabilities: { add: ["SYS_ADMIN"] } },
            },
        ];
        const r: TestResource = { type: "kubernetes:apps/v1:Deployment", props: { spec: { template: t } } };
        assert.deepEqual((await runResourcePolicy(k8s.k8sProbes, r)).violations, [
            'sidecar container "proxy" has no livenessProbe',
        ]);
        assert.deepEqual((await runResourcePolicy(k8s.k8sDropAllCapabilities, r)).violations, [
            'ephemeral container "debug" must drop ALL capabilities',
            'ephemeral container "debug" adds SYS_ADMIN: only NET_BIND_SERVICE may be added (SYS_ADMIN is beyond even the baseline profile)',
        ]);
        assert.deepEqual(
            (await runResourcePolicy(k8s.k8sResources, r)).violations,
            [],
            "ephemeral containers have none",
        );
    });
});

describe("probes: every long-running container, compared by handler", () => {
    it("a container without ports still needs probes; a Job's does not", async () => {
        const t = goodTemplate();
        delete t.spec.containers[0].ports;
        delete t.spec.containers[0].livenessProbe;
        delete t.spec.containers[0].readinessProbe;
        const deployment: TestResource = { type: "kubernetes:apps/v1:Deployment", props: { spec: { template: t } } };
        assert.deepEqual((await runResourcePolicy(k8s.k8sProbes, deployment)).violations, [
            'container "inference" has no livenessProbe',
            'container "inference" has no readinessProbe',
        ]);
        const job = clone(t);
        job.spec.restartPolicy = "Never";
        assert.deepEqual(
            (
                await runResourcePolicy(k8s.k8sProbes, {
                    type: "kubernetes:batch/v1:Job",
                    props: { spec: { template: job } },
                })
            ).violations,
            [],
        );
    });

    it("the same handler with other timings is the same probe", async () => {
        const t = goodTemplate();
        t.spec.containers[0].livenessProbe = { httpGet: { path: "/health", port: 8000 }, periodSeconds: 30 };
        t.spec.containers[0].readinessProbe = { httpGet: { path: "/health", port: 8000 }, periodSeconds: 5 };
        const r: TestResource = { type: "kubernetes:apps/v1:Deployment", props: { spec: { template: t } } };
        assert.deepEqual((await runResourcePolicy(k8s.k8sProbes, r)).violations, [
            'container "inference" uses the same probe for liveness and readiness: a slow model load would restart the pod',
        ]);
    });
});

describe("Pod Security Standards, control by control", () => {
    const deployment = (change: (t: ReturnType<typeof goodTemplate>) => void): TestResource => {
        const t = goodTemplate();
        change(t);
        return { type: "kubernetes:apps/v1:Deployment", props: { spec: { template: t } } };
    };
    const sc = (t: ReturnType<typeof goodTemplate>) => t.spec.containers[0].securityContext as Props;
    const cases: Array<[ResourceValidationPolicy, (t: ReturnType<typeof goodTemplate>) => void, string[]]> = [
        [
            k8s.k8sDropAllCapabilities,
            (t) => void (sc(t).capabilities = { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }),
            [],
        ],
        [
            k8s.k8sDropAllCapabilities,
            (t) => void (sc(t).capabilities = { drop: ["ALL"], add: ["CHOWN"] }),
            ['container "inference" adds CHOWN: only NET_BIND_SERVICE may be added'],
        ],
        [
            k8s.k8sDropAllCapabilities,
            (t) => void (sc(t).capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] }),
            [
                'container "inference" adds SYS_ADMIN: only NET_BIND_SERVICE may be added (SYS_ADMIN is beyond even the baseline profile)',
            ],
        ],
        [
            k8s.k8sRunAsNonRoot,
            (t) => void (sc(t).runAsUser = 0),
            ['container "inference" may run as root: set runAsNonRoot: true and a numeric runAsUser other than 0'],
        ],
        [
            k8s.k8sRunAsNonRoot,
            (t) => void ((t.spec.securityContext as Props).runAsUser = 0),
            ["the pod sets runAsUser: 0"],
        ],
        [
            k8s.k8sRunAsNonRoot,
            (t) => {
                delete (t.spec.securityContext as Props).runAsNonRoot;
                delete sc(t).runAsNonRoot;
            },
            ['container "inference" may run as root: set runAsNonRoot: true and a numeric runAsUser other than 0'],
        ],
        [
            k8s.k8sSeccompProfile,
            (t) => void ((t.spec.securityContext as Props).seccompProfile = { type: "Unconfined" }),
            ["the pod sets seccompProfile.type: Unconfined"],
        ],
        [k8s.k8sAppArmor, (t) => void (sc(t).appArmorProfile = { type: "RuntimeDefault" }), []],
        [
            k8s.k8sAppArmor,
            (t) =>
                void (t.metadata.annotations = {
                    "container.apparmor.security.beta.kubernetes.io/inference": "unconfined",
                }),
            [
                'annotation container.apparmor.security.beta.kubernetes.io/inference is "unconfined"; use runtime/default or localhost/<profile>',
            ],
        ],
        [
            k8s.k8sAppArmor,
            (t) => void ((t.spec.securityContext as Props).appArmorProfile = { type: "Unconfined" }),
            ["the pod sets appArmorProfile.type: Unconfined"],
        ],
        [k8s.k8sSelinux, (t) => void (sc(t).seLinuxOptions = { type: "container_init_t" }), []],
        [
            k8s.k8sSelinux,
            (t) => void ((t.spec.securityContext as Props).seLinuxOptions = { user: "system_u", role: "system_r" }),
            ["the pod sets seLinuxOptions.user: system_u", "the pod sets seLinuxOptions.role: system_r"],
        ],
        [k8s.k8sProcMount, (t) => void (sc(t).procMount = "Default"), []],
        [
            k8s.k8sSysctls,
            (t) => void ((t.spec.securityContext as Props).sysctls = [{ name: "net.ipv4.tcp_syncookies", value: "1" }]),
            [],
        ],
        [
            k8s.k8sWindowsHostProcess,
            (t) => void ((t.spec.securityContext as Props).windowsOptions = { hostProcess: true }),
            ["the pod sets windowsOptions.hostProcess: true"],
        ],
        [k8s.k8sNoHostPorts, (t) => void (t.spec.containers[0].ports = [{ containerPort: 8000, hostPort: 0 }]), []],
        [k8s.k8sNoHostNamespaces, (t) => void (t.spec.hostPID = true), ["the pod sets hostPID: true"]],
        [k8s.k8sNoHostNamespaces, (t) => void (t.spec.hostIPC = true), ["the pod sets hostIPC: true"]],
        [
            k8s.k8sVolumeTypes,
            (t) =>
                void (t.spec.volumes = [
                    { name: "cache", emptyDir: {} },
                    { name: "weights", persistentVolumeClaim: { claimName: "w" } },
                    { name: "token", projected: { sources: [] } },
                ]),
            [],
        ],
    ];
    for (const [policy, change, expected] of cases)
        it(`${policy.name}: ${expected.length ? expected[0] : "allowed: " + change.toString().replace(/\s+/g, " ").slice(0, 80)}`, async () => {
            assert.deepEqual((await runResourcePolicy(policy, deployment(change))).violations, expected);
        });

    it("lists a PSS level for each control and none for our own standards", () => {
        assert.deepEqual(
            Object.keys(k8s.PSS_LEVELS).filter((n) => !k8s.KUBERNETES_POLICIES.some((p) => p.name === n)),
            [],
        );
        for (const p of k8s.KUBERNETES_POLICIES)
            assert.equal(
                p.framework !== undefined,
                k8s.PSS_LEVELS[p.name] !== undefined,
                `${p.name}: a framework reference exactly when it is a PSS control`,
            );
    });
});

describe("what the pack cannot see gets a finding of its own", () => {
    const release = (props: Props): TestResource => ({ type: "kubernetes:helm.sh/v3:Release", props });

    it("an unreviewed chart, a version we did not read, another repository, values that undo the hardening", async () => {
        const run = async (props: Props) =>
            (await runResourcePolicy(k8s.k8sWorkloadsVisible, release(props))).violations;
        assert.deepEqual(await run({ chart: "ingress-nginx", version: "4.11.3", values: {} }), [
            'Helm release of chart "ingress-nginx" 4.11.3: its workloads are rendered inside the release, where the pack cannot check them, and the chart is not reviewed in policies/charts.ts',
        ]);
        assert.deepEqual(await run({ chart: "cluster-autoscaler", version: "9.50.0", values: {} }), [
            'Helm release of chart "cluster-autoscaler" 9.50.0: reviewed only at 9.51.0; pin that version or review this one in policies/charts.ts',
        ]);
        const prod = (await planOf("prod", "update")).export;
        const autoscaler = structuredClone(find(prod, "kubernetes:helm.sh/v3:Release", "cluster-autoscaler").inputs!);
        assert.deepEqual(await run(autoscaler), []);
        (autoscaler.values as { containerSecurityContext: Props }).containerSecurityContext.allowPrivilegeEscalation =
            true;
        (autoscaler.repositoryOpts as Props).repo = "https://charts.example.com";
        assert.deepEqual(await run(autoscaler), [
            'Helm release of chart "cluster-autoscaler" 9.51.0: comes from https://charts.example.com, not https://kubernetes.github.io/autoscaler',
            'Helm release of chart "cluster-autoscaler" 9.51.0: values.containerSecurityContext.allowPrivilegeEscalation is true; the review expects false',
        ]);
        const plugin = structuredClone(find(prod, "kubernetes:helm.sh/v3:Release", "nvidia-device-plugin").inputs!);
        (plugin.values as Props).compatWithCPUManager = true;
        assert.deepEqual(await run(plugin), [
            'Helm release of chart "nvidia-device-plugin" 0.18.0: values.compatWithCPUManager is true; the review expects not true (it makes the plugin privileged)',
        ]);
        const kps = structuredClone(
            find(prod, "kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack").inputs!,
        );
        (kps.values as { grafana: Props }).grafana.securityContext = { runAsUser: 0 };
        assert.deepEqual(await run(kps), [
            `Helm release of chart "kube-prometheus-stack" 79.8.2: values.grafana.securityContext is {"runAsUser":0}; the review expects left to the chart's default (the Grafana chart's non-root default)`,
        ]);
    });

    it("passes every release the stacks ship: each chart is reviewed at its pinned version", async () => {
        const shipped = new Map<string, string[]>();
        for (const stack of ["staging", "prod"] as const) {
            const releases = (await planOf(stack, "update")).export.deployment.resources.filter(
                (r) => r.type === "kubernetes:helm.sh/v3:Release",
            );
            for (const r of releases) {
                const chart = `${String(r.inputs!.chart)} ${String(r.inputs!.version)}`;
                shipped.set(chart, [...(shipped.get(chart) ?? []), stack]);
            }
            for (const r of releases)
                assert.deepEqual(
                    (await runResourcePolicy(k8s.k8sWorkloadsVisible, { type: r.type, props: r.inputs ?? {} }))
                        .violations,
                    [],
                    r.urn,
                );
        }
        // Every reviewed chart is shipped, by both stacks but the HTTP add-on (staging's scale-to-zero).
        assert.deepEqual(
            Object.fromEntries([...shipped].sort()),
            Object.fromEntries(
                REVIEWED_CHARTS.map((c) => [
                    `${c.chart} ${c.version}`,
                    c.chart === "keda-add-ons-http" ? ["staging"] : ["staging", "prod"],
                ]).sort(),
            ),
        );
    });

    it("a custom resource whose template holds no readable pod spec", async () => {
        const r: TestResource = {
            type: "kubernetes:example.com/v1:Runner",
            props: { spec: { podTemplate: { spec: { containerList: [{ image: "x:latest" }] } } } },
        };
        assert.deepEqual((await runResourcePolicy(k8s.k8sWorkloadsVisible, r)).violations, [
            "spec.podTemplate looks like a pod template but holds no pod spec the pack can read",
        ]);
        // A data template (an ExternalSecret's) is not a pod template.
        const secret: TestResource = {
            type: "kubernetes:external-secrets.io/v1:ExternalSecret",
            props: { spec: { target: { template: { type: "Opaque", data: { k: "{{ .v }}" } } } } },
        };
        assert.deepEqual((await runResourcePolicy(k8s.k8sWorkloadsVisible, secret)).violations, []);
    });
});

describe("the pack process shares one decoded copy of a resource among its policies", () => {
    it("so no policy may change the properties it is given: each runs on every resource of the stacks unchanged", async () => {
        const { POLICIES } = await import("../policies/pack");
        const { runStackPolicy } = await import("../policies/testing");
        for (const stack of ["staging", "prod"] as const) {
            const resources = (await planOf(stack, "update")).export.deployment.resources.map((r) => ({
                type: r.type,
                urn: r.urn,
                props: { ...r.inputs, ...r.outputs },
            }));
            const before = structuredClone(resources);
            for (const p of POLICIES) {
                if ("validateStack" in p) await runStackPolicy(p, resources);
                else for (const r of resources) await runResourcePolicy(p, r);
            }
            assert.deepEqual(resources, before, stack);
        }
    });

    it("and each request's properties are decoded once, whatever the number of policies", async () => {
        const { shareDecodedProperties } = await import("../policies/runtime");
        let decoded = 0;
        const mod = {
            deserializeProperties: (_s: object, secrets?: boolean) => (decoded++, { secrets: secrets ?? false }),
        };
        shareDecodedProperties(mod as never);
        shareDecodedProperties(mod as never);
        const struct = {};
        const first = mod.deserializeProperties(struct, false);
        assert.equal(mod.deserializeProperties(struct, false), first);
        assert.equal(decoded, 1);
        assert.notEqual(mod.deserializeProperties(struct, true), first, "the secrets-preserving decode is left alone");
        assert.notEqual(mod.deserializeProperties({}, false), first);
        assert.equal(decoded, 3);
    });
});
