/**
 * Production standards for every pod spec a Kubernetes resource carries (built-in workloads, their
 * `*Patch` types, and custom resources with pod templates): the Pod Security Standards' controls
 * (./podSecurity), probes, resources, GPUs, images and rollout settings; and a finding for what
 * creates workloads the pack cannot see (Helm releases, unreadable templates).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { reviewHelmRelease } from "./charts";
import {
    allContainers,
    forTypes,
    forWorkloads,
    globSource,
    isLongRunning,
    isServing,
    kubernetesKind,
    notApplicable,
    podSitesOf,
    type Container,
    type PodSpec,
} from "./util";
import { POD_SECURITY_POLICIES } from "./podSecurity";

export * from "./podSecurity";

/** The handler of a probe (what it calls), without its timing. */
function probeHandler(probe: Record<string, unknown> | undefined): string | undefined {
    if (!probe) return undefined;
    const handler = Object.fromEntries(
        ["httpGet", "tcpSocket", "grpc", "exec"].filter((k) => probe[k] !== undefined).map((k) => [k, probe[k]]),
    );
    return JSON.stringify(handler);
}

export const k8sProbes: ResourceValidationPolicy = {
    name: "k8s-probes",
    description:
        "Checks whether every long-running container (and native sidecar) has liveness and readiness probes that call different handlers.",
    severity: "high",
    remediationSteps:
        "Add a livenessProbe (e.g. GET /health) and a readinessProbe (e.g. GET /v1/models on vLLM); readiness should fail while the model loads, liveness only when the process is stuck.",
    validateResource: forWorkloads((pod, _args, report) => {
        if (!isLongRunning(pod)) return;
        for (const { label, container, role } of allContainers(pod)) {
            if (role !== "container" && role !== "sidecar") continue;
            if (!container.livenessProbe) report(`${label} has no livenessProbe`);
            if (!container.readinessProbe) report(`${label} has no readinessProbe`);
            if (
                container.livenessProbe &&
                container.readinessProbe &&
                probeHandler(container.livenessProbe) === probeHandler(container.readinessProbe)
            ) {
                report(
                    `${label} uses the same probe for liveness and readiness: a slow model load would restart the pod`,
                );
            }
        }
    }),
};

export const k8sResources: ResourceValidationPolicy = {
    name: "k8s-resource-requests-limits",
    description:
        "Checks whether every container requests CPU and memory and limits memory. A CPU limit is not required (`requireCpuLimit` to require one): the CFS quota throttles an inference server's bursts of tokenization and scheduling even when the node has idle cores, so serving guides leave it off and size the request instead.",
    severity: "medium",
    configSchema: { properties: { requireCpuLimit: { type: "boolean", default: false } } },
    remediationSteps:
        "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory (and limits.cpu where requireCpuLimit is set).",
    validateResource: forWorkloads((pod, args, report) => {
        const { requireCpuLimit } = args.getConfig<{ requireCpuLimit: boolean }>();
        const required = [
            ["requests", "cpu"],
            ["requests", "memory"],
            ...(requireCpuLimit ? ([["limits", "cpu"]] as const) : []),
            ["limits", "memory"],
        ] as const;
        for (const { label, container, role } of allContainers(pod)) {
            // Ephemeral containers cannot have resources.
            if (role === "ephemeral") continue;
            const r = container.resources ?? {};
            for (const [where, key] of required)
                if (r[where]?.[key] === undefined) report(`${label} has no ${where}.${key}`);
        }
    }),
};

export const k8sGpuRequestsEqualLimits: ResourceValidationPolicy = {
    name: "k8s-gpu-requests-equal-limits",
    description: "Checks whether containers that use GPUs request exactly as many as they limit.",
    severity: "medium",
    remediationSteps:
        "Set resources.requests.nvidia.com/gpu equal to resources.limits.nvidia.com/gpu (extended resources cannot be overcommitted).",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            const req = container.resources?.requests?.["nvidia.com/gpu"];
            const lim = container.resources?.limits?.["nvidia.com/gpu"];
            if ((req !== undefined || lim !== undefined) && String(req) !== String(lim))
                report(`${label} requests ${req ?? "no"} GPUs but limits ${lim ?? "none"}`);
        }
    }),
};

export const k8sImagePinned: ResourceValidationPolicy = {
    name: "k8s-image-pinned",
    description: "Checks whether every image is pinned: never `latest` or untagged, and by digest where required.",
    severity: "high",
    configSchema: {
        properties: {
            requireDigest: { type: "boolean", default: false },
            // Images (by prefix) allowed a version tag where a digest is required, each for a documented reason.
            digestExemptions: { type: "array", items: { type: "string" }, default: [] },
        },
    },
    remediationSteps:
        "Deploy images by digest (repository@sha256:…), as InferenceImage.imageRef gives, or at least by an immutable version tag.",
    validateResource: forWorkloads((pod, args, report) => {
        const { requireDigest, digestExemptions } = args.getConfig<{
            requireDigest: boolean;
            digestExemptions: string[];
        }>();
        for (const { label, container } of allContainers(pod)) {
            const image = container.image ?? "";
            const exempt = digestExemptions.some((prefix) => image.startsWith(prefix));
            const digest = /@sha256:[0-9a-f]{64}$/.test(image);
            const last = image.split("/").pop() ?? "";
            const tag = last.includes(":") ? last.split(":").pop() : undefined;
            if (!digest && (tag === undefined || tag === "latest"))
                report(`${label} image "${image}" is not pinned (no tag or latest)`);
            else if (requireDigest && !digest && !exempt)
                report(`${label} image "${image}" must be pinned by digest (repository@sha256:…)`);
        }
    }),
};

/** An allowed-registry entry as a matcher of image references: a prefix ending at `/`, `:` or `@`; `*` any characters but `/`. */
export function registryPattern(entry: string): RegExp {
    return new RegExp(`^${globSource(entry.replace(/\/+$/, ""), { "*": "[^/]*" })}[/:@]`);
}

/**
 * An image reference with Docker Hub's implicit registry written out, as distribution/reference
 * normalizes it: a first component with `.` or `:`, `localhost`, or an upper-case letter is a
 * registry; otherwise the name is Docker Hub's (`vllm/vllm-openai` is `docker.io/vllm/vllm-openai`,
 * `nginx` is `docker.io/library/nginx`), and `index.docker.io` is `docker.io`. The registry is
 * compared in lower case (host names are case-insensitive).
 */
export function qualifiedImage(image: string): string {
    const slash = image.indexOf("/");
    const first = slash < 0 ? "" : image.slice(0, slash);
    let registry = "docker.io";
    let rest = image;
    if (slash >= 0 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase())) {
        registry = first.toLowerCase() === "index.docker.io" ? "docker.io" : first.toLowerCase();
        rest = image.slice(slash + 1);
    }
    if (registry === "docker.io" && !rest.includes("/")) rest = `library/${rest}`;
    return `${registry}/${rest}`;
}

export const k8sAllowedRegistries: ResourceValidationPolicy = {
    name: "k8s-allowed-registries",
    description:
        "Checks whether every image comes from an allowed registry (when a list is configured): a prefix of the image's full name (Docker Hub's `docker.io/` written out) up to a `/`, `:` or `@`, where `*` stands for any characters but `/` (`*.dkr.ecr.*.amazonaws.com` is any account's ECR in any region).",
    severity: "high",
    configSchema: { properties: { allowedRegistries: { type: "array", items: { type: "string" }, default: [] } } },
    remediationSteps:
        "Push the image to an allowed registry (the stack's ECR repository) or add the registry to allowedRegistries in the policy config.",
    validateResource: forWorkloads((pod, args, report) => {
        const { allowedRegistries } = args.getConfig<{ allowedRegistries: string[] }>();
        if (allowedRegistries.length === 0) return;
        for (const { label, container } of allContainers(pod)) {
            const image = container.image ?? "";
            if (!allowedRegistries.some((r) => registryPattern(r).test(qualifiedImage(image))))
                report(`${label} image "${image}" is not from an allowed registry`);
        }
    }),
};

export const k8sMinReplicas: ResourceValidationPolicy = {
    name: "k8s-min-replicas",
    description:
        "Checks whether serving Deployments run at least the configured replicas (unset replicas mean an autoscaler owns them).",
    severity: "medium",
    configSchema: { properties: { minReplicas: { type: "integer", minimum: 1, default: 1 } } },
    remediationSteps:
        "Raise spec.replicas, or let a HorizontalPodAutoscaler with minReplicas at the tier minimum own it. A colour scaled to zero on purpose is allowed.",
    validateResource: forTypes(["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"], (args, report) => {
        const { minReplicas } = args.getConfig<{ minReplicas: number }>();
        const replicas = (args.props.spec as { replicas?: number } | undefined)?.replicas;
        // 0 is a deliberate scale-down (the inactive colour); undefined is the autoscaler's.
        if (replicas !== undefined && replicas !== 0 && replicas < minReplicas)
            report(`spec.replicas is ${replicas}; the minimum is ${minReplicas}`);
    }),
};

export const k8sRollingUpdate: ResourceValidationPolicy = {
    name: "k8s-rolling-update-max-unavailable-zero",
    description:
        "Checks whether serving Deployments roll out without taking a pod away first (RollingUpdate, maxUnavailable 0).",
    severity: "medium",
    remediationSteps: "Set spec.strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}.",
    validateResource: forTypes(["kubernetes:apps/v1:Deployment"], (args, report) => {
        const spec = args.props.spec as
            | {
                  strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: unknown } };
                  template?: { spec?: unknown };
              }
            | undefined;
        const pod = spec?.template?.spec as Parameters<typeof isServing>[0] | undefined;
        if (!pod || !isServing(pod)) return;
        const s = spec?.strategy;
        if (
            (s?.type ?? "RollingUpdate") !== "RollingUpdate" ||
            String(s?.rollingUpdate?.maxUnavailable ?? "25%") !== "0"
        ) {
            report("serving Deployments must use RollingUpdate with maxUnavailable: 0");
        }
    }),
};

export const k8sWorkloadsVisible: ResourceValidationPolicy = {
    name: "k8s-workloads-visible",
    description:
        "Checks whether the pack can see every workload the stack creates: a Helm release's rendered pods are invisible to it unless its chart is one we reviewed and its values keep the reviewed hardening; a template the pack cannot read is invisible too.",
    severity: "high",
    enforcementLevel: "advisory",
    remediationSteps:
        "Deploy charts through components whose charts are reviewed in policies/charts.ts (add a chart there with its version, the values it must keep and the exemptions it needs, each with its source), or as Kubernetes objects; give custom resources pod templates the pack can read (spec.…template.spec.containers).",
    validateResource: (args, report) => {
        const kind = kubernetesKind(args.type);
        if (!kind) notApplicable(args, "applies to Kubernetes resources");
        if (args.type === "kubernetes:helm.sh/v3:Release") {
            for (const problem of reviewHelmRelease(args.props)) report(problem);
            return;
        }
        const { unreadable } = podSitesOf(args.type, args.props);
        for (const at of unreadable) report(`${at} looks like a pod template but holds no pod spec the pack can read`);
    },
};

export const k8sServiceExposure: ResourceValidationPolicy = {
    name: "k8s-service-exposure",
    description:
        "Checks whether Services stay off the nodes' own addresses: no type NodePort (a port opened on every node, outside the load balancer and its TLS) and no externalIPs (traffic to any address the Service claims can be intercepted, CVE-2020-8554), Service patches included. ClusterIP and LoadBalancer Services pass (a LoadBalancer Service also allocates node ports unless allocateLoadBalancerNodePorts is false; prefer ip targets, `aws-load-balancer-nlb-target-type: ip`).",
    severity: "high",
    remediationSteps:
        "Use type ClusterIP behind an Ingress or a LoadBalancer Service (the AWS Load Balancer Controller with target-type ip); remove externalIPs.",
    validateResource: forTypes(["kubernetes:core/v1:Service", "kubernetes:core/v1:ServicePatch"], (args, report) => {
        const spec = (args.props.spec as { type?: string; externalIPs?: unknown[] } | undefined) ?? {};
        if (spec.type === "NodePort") report("the Service is of type NodePort: it opens a port on every node");
        if ((spec.externalIPs ?? []).length > 0)
            report(`the Service claims externalIPs ${JSON.stringify(spec.externalIPs)} (CVE-2020-8554)`);
    }),
};

export const k8sNoBarePods: ResourceValidationPolicy = {
    name: "k8s-no-bare-pods",
    description:
        "Checks whether pods are created by a controller (Deployment, StatefulSet, DaemonSet, Job): a bare Pod is not recreated when its node goes, is drained or is replaced, so what it serves stops until someone notices.",
    severity: "medium",
    remediationSteps: "Wrap the pod spec in a Deployment (serving), a StatefulSet, or a Job (one-off work).",
    validateResource: forTypes(["kubernetes:core/v1:Pod", "kubernetes:core/v1:PodPatch"], (_args, report) => {
        report("a bare Pod: nothing recreates it when its node goes");
    }),
};

export const KUBERNETES_POLICIES: ResourceValidationPolicy[] = [
    ...POD_SECURITY_POLICIES,
    k8sProbes,
    k8sResources,
    k8sGpuRequestsEqualLimits,
    k8sImagePinned,
    k8sAllowedRegistries,
    k8sMinReplicas,
    k8sRollingUpdate,
    k8sWorkloadsVisible,
    k8sServiceExposure,
    k8sNoBarePods,
];

export type { Container, PodSpec };
