import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { GOOD_IMAGE, goodDeployment } from "../policies/fixtures";
import * as k8s from "../policies/kubernetes";
import { runResourcePolicy, type TestResource } from "../policies/testing";

import { planOf } from "./plans";

type Pod = {
    containers: Array<Record<string, unknown>>;
    securityContext?: Record<string, unknown>;
    [k: string]: unknown;
};
type Mutation = (props: { spec: { replicas?: number; strategy?: unknown; template: { spec: Pod } } }) => void;
const container = (p: Parameters<Mutation>[0]) =>
    p.spec.template.spec.containers[0] as Record<string, unknown> & {
        securityContext: Record<string, unknown>;
        resources: { requests: Record<string, string>; limits: Record<string, string> };
    };

/** A good Deployment with one change. */
function mutated(change: Mutation): TestResource {
    const r = goodDeployment();
    change(r.props as Parameters<Mutation>[0]);
    return r;
}

/** Each policy: one change to the good Deployment and the exact violation it must produce. */
const CASES: Array<[ResourceValidationPolicy, Mutation, string, Record<string, unknown>?]> = [
    [
        k8s.k8sRunAsNonRoot,
        (p) => {
            delete p.spec.template.spec.securityContext;
            Object.assign(container(p).securityContext, { runAsNonRoot: undefined, runAsUser: 0 });
        },
        'container "inference" may run as root: set runAsNonRoot: true and a numeric runAsUser other than 0',
    ],
    [
        k8s.k8sNoPrivilegeEscalation,
        (p) => void (container(p).securityContext.allowPrivilegeEscalation = true),
        'container "inference" must set allowPrivilegeEscalation: false',
    ],
    [
        k8s.k8sNotPrivileged,
        (p) => void (container(p).securityContext.privileged = true),
        'container "inference" runs privileged: remove securityContext.privileged',
    ],
    [
        k8s.k8sReadOnlyRootFilesystem,
        (p) => void (container(p).securityContext.readOnlyRootFilesystem = false),
        'container "inference" must set readOnlyRootFilesystem: true',
    ],
    [
        k8s.k8sDropAllCapabilities,
        (p) => void (container(p).securityContext.capabilities = { drop: ["NET_RAW"] }),
        'container "inference" must drop ALL capabilities',
    ],
    [
        k8s.k8sBaselineCapabilities,
        (p) => void (container(p).securityContext.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] }),
        'container "inference" adds SYS_ADMIN, beyond the baseline profile',
    ],
    [
        k8s.k8sSeccompNotUnconfined,
        (p) => void (container(p).securityContext.seccompProfile = { type: "Unconfined" }),
        'container "inference" sets seccompProfile.type: Unconfined',
    ],
    [
        k8s.k8sSeccompProfile,
        (p) => {
            delete p.spec.template.spec.securityContext!.seccompProfile;
            delete container(p).securityContext.seccompProfile;
        },
        'container "inference" must run under seccomp RuntimeDefault or Localhost, not unset',
    ],
    [k8s.k8sNoHostNamespaces, (p) => void (p.spec.template.spec.hostNetwork = true), "the pod sets hostNetwork: true"],
    [
        k8s.k8sNoHostPath,
        (p) => void (p.spec.template.spec.volumes = [{ name: "root", hostPath: { path: "/" } }]),
        'volume "root" mounts a hostPath',
    ],
    [
        k8s.k8sNoHostPorts,
        (p) => void (container(p).ports = [{ name: "http", containerPort: 8000, hostPort: 8000 }]),
        'container "inference" binds hostPort 8000',
    ],
    [
        k8s.k8sAppArmor,
        (p) => void (container(p).securityContext.appArmorProfile = { type: "Unconfined" }),
        'container "inference" sets appArmorProfile.type: Unconfined',
    ],
    [
        k8s.k8sSelinux,
        (p) => void (container(p).securityContext.seLinuxOptions = { type: "spc_t" }),
        'container "inference" sets seLinuxOptions.type: spc_t',
    ],
    [
        k8s.k8sProcMount,
        (p) => void (container(p).securityContext.procMount = "Unmasked"),
        'container "inference" sets procMount: Unmasked',
    ],
    [
        k8s.k8sSysctls,
        (p) => void (p.spec.template.spec.securityContext!.sysctls = [{ name: "kernel.msgmax", value: "65536" }]),
        "the pod sets the unsafe sysctl kernel.msgmax",
    ],
    [
        k8s.k8sWindowsHostProcess,
        (p) => void (container(p).securityContext.windowsOptions = { hostProcess: true }),
        'container "inference" sets windowsOptions.hostProcess: true',
    ],
    [
        k8s.k8sVolumeTypes,
        (p) => void (p.spec.template.spec.volumes = [{ name: "nfs", nfs: { server: "10.0.0.1", path: "/models" } }]),
        'volume "nfs" is of type nfs',
    ],
    [
        k8s.k8sWorkloadsVisible,
        (p) =>
            void ((p.spec as Record<string, unknown>).template = {
                metadata: {},
                spec: { containers: "{{ .Values.containers }}" },
            }),
        "spec.template looks like a pod template but holds no pod spec the pack can read",
    ],
    [k8s.k8sProbes, (p) => void delete container(p).readinessProbe, 'container "inference" has no readinessProbe'],
    [
        k8s.k8sResources,
        (p) => void delete container(p).resources.limits.memory,
        'container "inference" has no limits.memory',
    ],
    [
        k8s.k8sGpuRequestsEqualLimits,
        (p) => void (container(p).resources.limits["nvidia.com/gpu"] = "2"),
        'container "inference" requests 1 GPUs but limits 2',
    ],
    [
        k8s.k8sImagePinned,
        (p) => void (container(p).image = "vllm/vllm-openai:latest"),
        'container "inference" image "vllm/vllm-openai:latest" is not pinned (no tag or latest)',
    ],
    [
        k8s.k8sAllowedRegistries,
        (p) => void (container(p).image = "docker.io/someone/inference:1.0"),
        'container "inference" image "docker.io/someone/inference:1.0" is not from an allowed registry',
        { allowedRegistries: ["111122223333.dkr.ecr.us-east-1.amazonaws.com"] },
    ],
    [k8s.k8sMinReplicas, (p) => void (p.spec.replicas = 1), "spec.replicas is 1; the minimum is 2", { minReplicas: 2 }],
    [
        k8s.k8sRollingUpdate,
        (p) => void (p.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }),
        "serving Deployments must use RollingUpdate with maxUnavailable: 0",
    ],
];

describe("Kubernetes workload policies", () => {
    it("cover every Kubernetes policy of the pack", () => {
        // Services and bare Pods are not Deployments: tests/policyPack.test.ts covers those two.
        const notDeployments = [k8s.k8sServiceExposure.name, k8s.k8sNoBarePods.name];
        assert.deepEqual(
            CASES.map(([p]) => p.name).sort(),
            k8s.KUBERNETES_POLICIES.map((p) => p.name)
                .filter((n) => !notDeployments.includes(n))
                .sort(),
        );
    });

    for (const [policy, change, message, config] of CASES) {
        it(`${policy.name}: passes the good Deployment and reports exactly one violation for one bad change`, async () => {
            assert.deepEqual(await runResourcePolicy(policy, goodDeployment(), config), {
                applicable: true,
                violations: [],
            });
            assert.deepEqual(await runResourcePolicy(policy, mutated(change), config), {
                applicable: true,
                violations: [message],
            });
        });
    }

    it("are not applicable to other resource types", async () => {
        const bucket: TestResource = { type: "aws:s3/bucket:Bucket", props: {} };
        for (const policy of k8s.KUBERNETES_POLICIES)
            assert.equal((await runResourcePolicy(policy, bucket)).applicable, false, policy.name);
    });

    it("require digests where configured, except documented exemptions", async () => {
        const tagged = mutated((p) => void (container(p).image = "public.ecr.aws/aws-cli/aws-cli:2.22.35"));
        assert.deepEqual((await runResourcePolicy(k8s.k8sImagePinned, tagged)).violations, []);
        assert.deepEqual((await runResourcePolicy(k8s.k8sImagePinned, tagged, { requireDigest: true })).violations, [
            'container "inference" image "public.ecr.aws/aws-cli/aws-cli:2.22.35" must be pinned by digest (repository@sha256:…)',
        ]);
        assert.deepEqual(
            (
                await runResourcePolicy(k8s.k8sImagePinned, tagged, {
                    requireDigest: true,
                    digestExemptions: ["public.ecr.aws/aws-cli/"],
                })
            ).violations,
            [],
        );
        assert.ok(GOOD_IMAGE.includes("@sha256:"));
    });

    it("leave a colour scaled to zero and autoscaled replicas alone", async () => {
        for (const replicas of [0, undefined]) {
            const r = mutated((p) => void (p.spec.replicas = replicas));
            assert.deepEqual((await runResourcePolicy(k8s.k8sMinReplicas, r, { minReplicas: 2 })).violations, []);
        }
    });

    for (const stack of ["staging", "prod"] as const) {
        it(`pass every workload of the ${stack} stack under its tier's settings`, async () => {
            const resources = (await planOf(stack)).export.deployment.resources;
            const config = {
                requireDigest: stack === "prod",
                digestExemptions: ["public.ecr.aws/aws-cli/"],
                minReplicas: stack === "prod" ? 2 : 1,
            };
            const violations: string[] = [];
            for (const r of resources.filter((x) => x.type.startsWith("kubernetes:"))) {
                for (const policy of k8s.KUBERNETES_POLICIES) {
                    const run = await runResourcePolicy(
                        policy,
                        { type: r.type, props: r.inputs ?? {}, urn: r.urn },
                        config,
                    );
                    violations.push(...run.violations.map((v) => `${r.urn.split("::").pop()} ${policy.name}: ${v}`));
                }
            }
            assert.deepEqual(violations, []);
        });
    }
});
