/**
 * Production standards for Kubernetes workloads (Deployment, StatefulSet, DaemonSet, Job, CronJob,
 * Pod): the Pod Security Standards' restricted profile, probes, resources, GPUs, images and
 * rollout settings.
 */
import type { PolicyComplianceFramework, ResourceValidationPolicy } from "@pulumi/policy";
import { allContainers, effective, forTypes, forWorkloads, isServing } from "./util";

const PSS = (control: string): PolicyComplianceFramework => ({
    name: "Kubernetes Pod Security Standards",
    version: "v1.33",
    reference: control,
    specification: "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
});

export const k8sRunAsNonRoot: ResourceValidationPolicy = {
    name: "k8s-run-as-non-root",
    description: "Checks whether every container runs as non-root: runAsNonRoot true or a numeric non-zero runAsUser.",
    severity: "critical",
    framework: PSS("restricted: Running as Non-root"),
    remediationSteps:
        "Set securityContext.runAsNonRoot: true and runAsUser to a numeric UID other than 0 (the image's USER).",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            const user = effective(container, pod, "runAsUser");
            const nonRoot =
                effective(container, pod, "runAsNonRoot") === true || (typeof user === "number" && user > 0);
            if (!nonRoot || user === 0)
                report(`${label} may run as root: set runAsNonRoot: true and a numeric runAsUser other than 0`);
        }
    }),
};

export const k8sNoPrivilegeEscalation: ResourceValidationPolicy = {
    name: "k8s-no-privilege-escalation",
    description: "Checks whether every container sets allowPrivilegeEscalation to false.",
    severity: "high",
    framework: PSS("restricted: Privilege Escalation"),
    remediationSteps: "Set securityContext.allowPrivilegeEscalation: false on every container.",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            if (container.securityContext?.allowPrivilegeEscalation !== false)
                report(`${label} must set allowPrivilegeEscalation: false`);
        }
    }),
};

export const k8sNotPrivileged: ResourceValidationPolicy = {
    name: "k8s-not-privileged",
    description: "Checks whether no container runs privileged.",
    severity: "critical",
    framework: PSS("baseline: Privileged Containers"),
    remediationSteps: "Remove securityContext.privileged (or set it to false).",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            if (container.securityContext?.privileged === true)
                report(`${label} runs privileged: remove securityContext.privileged`);
        }
    }),
};

export const k8sReadOnlyRootFilesystem: ResourceValidationPolicy = {
    name: "k8s-read-only-root-filesystem",
    description: "Checks whether every container mounts its root filesystem read-only.",
    severity: "medium",
    remediationSteps:
        "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the process writes (/tmp, caches).",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            if (container.securityContext?.readOnlyRootFilesystem !== true)
                report(`${label} must set readOnlyRootFilesystem: true`);
        }
    }),
};

export const k8sDropAllCapabilities: ResourceValidationPolicy = {
    name: "k8s-drop-all-capabilities",
    description: "Checks whether every container drops ALL Linux capabilities.",
    severity: "high",
    framework: PSS("restricted: Capabilities"),
    remediationSteps:
        "Set securityContext.capabilities.drop: [ALL] (add back only NET_BIND_SERVICE if a port below 1024 is needed).",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            const drop = (container.securityContext?.capabilities as { drop?: string[] } | undefined)?.drop ?? [];
            if (!drop.includes("ALL")) report(`${label} must drop ALL capabilities`);
        }
    }),
};

export const k8sSeccompProfile: ResourceValidationPolicy = {
    name: "k8s-seccomp-profile",
    description: "Checks whether every container runs under the RuntimeDefault or a Localhost seccomp profile.",
    severity: "medium",
    framework: PSS("restricted: Seccomp"),
    remediationSteps: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod or each container.",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            const type = (effective(container, pod, "seccompProfile") as { type?: string } | undefined)?.type;
            if (type !== "RuntimeDefault" && type !== "Localhost")
                report(`${label} must run under seccomp RuntimeDefault or Localhost, not ${type ?? "unset"}`);
        }
    }),
};

export const k8sNoHostNamespaces: ResourceValidationPolicy = {
    name: "k8s-no-host-namespaces",
    description:
        "Checks whether pods stay out of the host's network, PID and IPC namespaces and mount no hostPath volumes.",
    severity: "critical",
    framework: PSS("baseline: Host Namespaces, HostPath Volumes"),
    remediationSteps:
        "Remove hostNetwork, hostPID, hostIPC and hostPath volumes; use Services and emptyDir or persistent volumes instead.",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const key of ["hostNetwork", "hostPID", "hostIPC"] as const)
            if (pod[key] === true) report(`the pod sets ${key}: true`);
        for (const v of pod.volumes ?? [])
            if (v.hostPath !== undefined) report(`volume "${v.name ?? "?"}" mounts a hostPath`);
    }),
};

export const k8sProbes: ResourceValidationPolicy = {
    name: "k8s-probes",
    description: "Checks whether every serving container has liveness and readiness probes, and that they differ.",
    severity: "high",
    remediationSteps:
        "Add a livenessProbe (e.g. GET /health) and a readinessProbe (e.g. GET /v1/models on vLLM); readiness should fail while the model loads, liveness only when the process is stuck.",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container, init } of allContainers(pod)) {
            if (init || (container.ports ?? []).length === 0) continue;
            if (!container.livenessProbe) report(`${label} has no livenessProbe`);
            if (!container.readinessProbe) report(`${label} has no readinessProbe`);
            if (
                container.livenessProbe &&
                JSON.stringify(container.livenessProbe) === JSON.stringify(container.readinessProbe)
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
    description: "Checks whether every container requests CPU and memory and limits memory.",
    severity: "medium",
    remediationSteps:
        "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory (and a CPU limit if the tier requires it).",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            const r = container.resources ?? {};
            for (const [where, key] of [
                ["requests", "cpu"],
                ["requests", "memory"],
                ["limits", "cpu"],
                ["limits", "memory"],
            ] as const) {
                if (r[where]?.[key] === undefined) report(`${label} has no ${where}.${key}`);
            }
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

export const k8sAllowedRegistries: ResourceValidationPolicy = {
    name: "k8s-allowed-registries",
    description: "Checks whether every image comes from an allowed registry (when a list is configured).",
    severity: "high",
    configSchema: { properties: { allowedRegistries: { type: "array", items: { type: "string" }, default: [] } } },
    remediationSteps:
        "Push the image to an allowed registry (the stack's ECR repository) or add the registry to allowedRegistries in the policy config.",
    validateResource: forWorkloads((pod, args, report) => {
        const { allowedRegistries } = args.getConfig<{ allowedRegistries: string[] }>();
        if (allowedRegistries.length === 0) return;
        for (const { label, container } of allContainers(pod)) {
            const image = container.image ?? "";
            if (!allowedRegistries.some((r) => image.startsWith(r.endsWith("/") ? r : `${r}/`)))
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

export const KUBERNETES_POLICIES: ResourceValidationPolicy[] = [
    k8sRunAsNonRoot,
    k8sNoPrivilegeEscalation,
    k8sNotPrivileged,
    k8sReadOnlyRootFilesystem,
    k8sDropAllCapabilities,
    k8sSeccompProfile,
    k8sNoHostNamespaces,
    k8sProbes,
    k8sResources,
    k8sGpuRequestsEqualLimits,
    k8sImagePinned,
    k8sAllowedRegistries,
    k8sMinReplicas,
    k8sRollingUpdate,
];
