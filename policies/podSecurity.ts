/**
 * Every control of the Kubernetes Pod Security Standards' baseline and restricted profiles, for
 * every pod spec a resource carries (built-in workloads, their `*Patch` types, and custom resources
 * with pod templates).
 */
import type { PolicyComplianceFramework, ResourceValidationPolicy } from "@pulumi/policy";
import { allContainers, effective, forWorkloads } from "./util";

const PSS = (control: string): PolicyComplianceFramework => ({
    name: "Kubernetes Pod Security Standards",
    version: "v1.33",
    reference: control,
    specification: "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
});

export const k8sRunAsNonRoot: ResourceValidationPolicy = {
    name: "k8s-run-as-non-root",
    description:
        "Checks whether every container must run as non-root: runAsNonRoot true (pod or container, the container's setting winning) and runAsUser never 0.",
    severity: "critical",
    framework: PSS("restricted: Running as Non-root, Running as Non-root user"),
    remediationSteps:
        "Set securityContext.runAsNonRoot: true and runAsUser to a numeric UID other than 0 (the image's USER); a container's runAsUser: 0 overrides the pod's non-root setting.",
    validateResource: forWorkloads((pod, _args, report) => {
        if (pod.securityContext?.runAsUser === 0) report("the pod sets runAsUser: 0");
        for (const { label, container } of allContainers(pod)) {
            const user = effective(container, pod, "runAsUser");
            if (effective(container, pod, "runAsNonRoot") !== true || user === 0)
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

/** Capabilities the baseline profile lets a container add (Pod Security Standards, v1.33). */
export const BASELINE_CAPABILITIES = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

export const k8sDropAllCapabilities: ResourceValidationPolicy = {
    name: "k8s-drop-all-capabilities",
    description: "Checks whether every container drops ALL Linux capabilities and adds back none but NET_BIND_SERVICE.",
    severity: "high",
    framework: PSS("restricted: Capabilities"),
    remediationSteps:
        "Set securityContext.capabilities.drop: [ALL] and add back only NET_BIND_SERVICE, if a port below 1024 is needed.",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            const caps = container.securityContext?.capabilities as { drop?: string[]; add?: string[] } | undefined;
            if (!(caps?.drop ?? []).includes("ALL")) report(`${label} must drop ALL capabilities`);
            const added = (caps?.add ?? []).filter((c) => c !== "NET_BIND_SERVICE");
            if (added.length > 0) {
                // Compared as written, as the Pod Security admission does: CAP_SETPCAP is not SETPCAP.
                const beyond = added.filter((c) => !BASELINE_CAPABILITIES.includes(c));
                report(
                    `${label} adds ${added.join(", ")}: only NET_BIND_SERVICE may be added${beyond.length ? ` (${beyond.join(", ")} ${beyond.length === 1 ? "is" : "are"} beyond even the baseline profile)` : ""}`,
                );
            }
        }
    }),
};

export const k8sBaselineCapabilities: ResourceValidationPolicy = {
    name: "k8s-baseline-capabilities",
    description:
        "Checks whether containers add only capabilities the baseline profile allows (AUDIT_WRITE, CHOWN, … SYS_CHROOT), compared as written: `CAP_SETPCAP` is not `SETPCAP`. The baseline part of k8s-drop-all-capabilities, so a tier can hold it mandatory alone.",
    severity: "high",
    framework: PSS("baseline: Capabilities"),
    remediationSteps: `Add only ${BASELINE_CAPABILITIES.join(", ")} (restricted: NET_BIND_SERVICE alone), spelled without a CAP_ prefix.`,
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            const caps = container.securityContext?.capabilities as { add?: string[] } | undefined;
            const beyond = (caps?.add ?? []).filter((c) => !BASELINE_CAPABILITIES.includes(c));
            if (beyond.length > 0) report(`${label} adds ${beyond.join(", ")}, beyond the baseline profile`);
        }
    }),
};

export const k8sSeccompNotUnconfined: ResourceValidationPolicy = {
    name: "k8s-seccomp-not-unconfined",
    description:
        "Checks whether every seccompProfile a pod or container sets is RuntimeDefault or Localhost (Unconfined, or any other type, fails; unset passes, as in the baseline profile). The baseline part of k8s-seccomp-profile, so a tier can hold it mandatory alone.",
    severity: "high",
    framework: PSS("baseline: Seccomp"),
    remediationSteps: "Remove seccompProfile.type: Unconfined; set RuntimeDefault.",
    validateResource: forWorkloads((pod, _args, report) => {
        const allowed = (type: unknown) => type === undefined || type === "RuntimeDefault" || type === "Localhost";
        const podType = (pod.securityContext?.seccompProfile as { type?: string } | undefined)?.type;
        if (!allowed(podType)) report(`the pod sets seccompProfile.type: ${String(podType)}`);
        for (const { label, container } of allContainers(pod)) {
            const type = (container.securityContext?.seccompProfile as { type?: string } | undefined)?.type;
            if (!allowed(type)) report(`${label} sets seccompProfile.type: ${String(type)}`);
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
        const podType = (pod.securityContext?.seccompProfile as { type?: string } | undefined)?.type;
        if (podType === "Unconfined") report("the pod sets seccompProfile.type: Unconfined");
        for (const { label, container } of allContainers(pod)) {
            const type = (effective(container, pod, "seccompProfile") as { type?: string } | undefined)?.type;
            if (type !== "RuntimeDefault" && type !== "Localhost")
                report(`${label} must run under seccomp RuntimeDefault or Localhost, not ${type ?? "unset"}`);
        }
    }),
};

export const k8sNoHostNamespaces: ResourceValidationPolicy = {
    name: "k8s-no-host-namespaces",
    description: "Checks whether pods stay out of the host's network, PID and IPC namespaces.",
    severity: "critical",
    framework: PSS("baseline: Host Namespaces"),
    remediationSteps: "Remove hostNetwork, hostPID and hostIPC; reach other pods through Services.",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const key of ["hostNetwork", "hostPID", "hostIPC"] as const)
            if (pod[key] === true) report(`the pod sets ${key}: true`);
    }),
};

export const k8sNoHostPath: ResourceValidationPolicy = {
    name: "k8s-no-host-path",
    description: "Checks whether pods mount no hostPath volumes.",
    severity: "critical",
    framework: PSS("baseline: HostPath Volumes"),
    remediationSteps: "Use emptyDir, a PersistentVolumeClaim or a projected volume instead of a hostPath.",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const v of pod.volumes ?? [])
            if (v.hostPath !== undefined && v.hostPath !== null) report(`volume "${v.name ?? "?"}" mounts a hostPath`);
    }),
};

export const k8sNoHostPorts: ResourceValidationPolicy = {
    name: "k8s-no-host-ports",
    description: "Checks whether no container binds a port of the node (hostPort).",
    severity: "high",
    framework: PSS("baseline: Host Ports"),
    remediationSteps: "Remove ports[].hostPort and expose the port through a Service.",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod))
            for (const port of container.ports ?? [])
                if (port.hostPort !== undefined && port.hostPort !== 0)
                    report(`${label} binds hostPort ${port.hostPort}`);
    }),
};

const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

export const k8sAppArmor: ResourceValidationPolicy = {
    name: "k8s-apparmor",
    description:
        "Checks whether no pod or container overrides the AppArmor profile with anything but RuntimeDefault or a Localhost profile.",
    severity: "high",
    framework: PSS("baseline: AppArmor"),
    remediationSteps:
        "Leave appArmorProfile unset or set its type to RuntimeDefault (or Localhost with a profile on the node); remove Unconfined and unconfined annotations.",
    validateResource: forWorkloads((pod, _args, report, site) => {
        const ok = (type: unknown): boolean => type === undefined || type === "RuntimeDefault" || type === "Localhost";
        const podType = (pod.securityContext?.appArmorProfile as { type?: string } | undefined)?.type;
        if (!ok(podType)) report(`the pod sets appArmorProfile.type: ${podType}`);
        for (const { label, container } of allContainers(pod)) {
            const type = (container.securityContext?.appArmorProfile as { type?: string } | undefined)?.type;
            if (!ok(type)) report(`${label} sets appArmorProfile.type: ${type}`);
        }
        for (const [key, value] of Object.entries(site.metadata?.annotations ?? {}))
            if (key.startsWith(APPARMOR_ANNOTATION) && value !== "runtime/default" && !value.startsWith("localhost/"))
                report(`annotation ${key} is "${value}"; use runtime/default or localhost/<profile>`);
    }),
};

/** SELinux types the baseline profile allows (Pod Security Standards, v1.33). */
const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

export const k8sSelinux: ResourceValidationPolicy = {
    name: "k8s-selinux",
    description:
        "Checks whether SELinux options stay within the baseline: a container type only, no custom user or role.",
    severity: "high",
    framework: PSS("baseline: SELinux"),
    remediationSteps:
        "Remove seLinuxOptions, or set only its type to container_t, container_init_t, container_kvm_t or container_engine_t.",
    validateResource: forWorkloads((pod, _args, report) => {
        const check = (who: string, options: unknown): void => {
            const o = (options ?? {}) as { type?: string; user?: string; role?: string };
            if (o.type !== undefined && !SELINUX_TYPES.includes(o.type))
                report(`${who} sets seLinuxOptions.type: ${o.type}`);
            for (const key of ["user", "role"] as const)
                if (o[key] !== undefined && o[key] !== "") report(`${who} sets seLinuxOptions.${key}: ${o[key]}`);
        };
        check("the pod", pod.securityContext?.seLinuxOptions);
        for (const { label, container } of allContainers(pod)) check(label, container.securityContext?.seLinuxOptions);
    }),
};

export const k8sProcMount: ResourceValidationPolicy = {
    name: "k8s-proc-mount",
    description: "Checks whether every container keeps the default /proc mount (masked and read-only paths).",
    severity: "high",
    framework: PSS("baseline: /proc Mount Type"),
    remediationSteps: "Remove securityContext.procMount (or set it to Default).",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const { label, container } of allContainers(pod)) {
            const mount = container.securityContext?.procMount;
            if (mount !== undefined && mount !== "Default") report(`${label} sets procMount: ${String(mount)}`);
        }
    }),
};

/** Sysctls the baseline profile allows (Pod Security Standards, v1.33: the namespaced, safe set). */
export const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

export const k8sSysctls: ResourceValidationPolicy = {
    name: "k8s-sysctls",
    description: "Checks whether pods set only the safe, namespaced sysctls.",
    severity: "high",
    framework: PSS("baseline: Sysctls"),
    remediationSteps: `Remove securityContext.sysctls other than ${SAFE_SYSCTLS.join(", ")}.`,
    validateResource: forWorkloads((pod, _args, report) => {
        const sysctls = (pod.securityContext?.sysctls ?? []) as Array<{ name?: string }>;
        for (const { name } of sysctls)
            if (!SAFE_SYSCTLS.includes(name ?? "")) report(`the pod sets the unsafe sysctl ${name ?? "(unnamed)"}`);
    }),
};

export const k8sWindowsHostProcess: ResourceValidationPolicy = {
    name: "k8s-windows-host-process",
    description: "Checks whether no pod or container runs as a Windows HostProcess.",
    severity: "critical",
    framework: PSS("baseline: HostProcess"),
    remediationSteps: "Remove securityContext.windowsOptions.hostProcess (or set it to false).",
    validateResource: forWorkloads((pod, _args, report) => {
        const host = (sc: Record<string, unknown> | undefined): boolean =>
            (sc?.windowsOptions as { hostProcess?: boolean } | undefined)?.hostProcess === true;
        if (host(pod.securityContext)) report("the pod sets windowsOptions.hostProcess: true");
        for (const { label, container } of allContainers(pod))
            if (host(container.securityContext)) report(`${label} sets windowsOptions.hostProcess: true`);
    }),
};

/** Volume types the restricted profile allows. */
export const RESTRICTED_VOLUME_TYPES = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

export const k8sVolumeTypes: ResourceValidationPolicy = {
    name: "k8s-volume-types",
    description: `Checks whether pods use only the volume types the restricted profile allows (${RESTRICTED_VOLUME_TYPES.join(", ")}).`,
    severity: "medium",
    framework: PSS("restricted: Volume Types"),
    remediationSteps:
        "Mount storage through a PersistentVolumeClaim (or csi, ephemeral) rather than an in-tree volume source.",
    validateResource: forWorkloads((pod, _args, report) => {
        for (const v of pod.volumes ?? []) {
            const sources = Object.keys(v).filter((k) => k !== "name" && v[k] !== undefined && v[k] !== null);
            const bad = sources.filter((k) => !RESTRICTED_VOLUME_TYPES.includes(k));
            if (bad.length > 0) report(`volume "${v.name ?? "?"}" is of type ${bad.join(", ")}`);
        }
    }),
};

/** The Pod Security Standards controls, in the order docs/policies.md lists them. */
export const POD_SECURITY_POLICIES: ResourceValidationPolicy[] = [
    k8sRunAsNonRoot,
    k8sNoPrivilegeEscalation,
    k8sNotPrivileged,
    k8sReadOnlyRootFilesystem,
    k8sDropAllCapabilities,
    k8sBaselineCapabilities,
    k8sSeccompProfile,
    k8sSeccompNotUnconfined,
    k8sNoHostNamespaces,
    k8sNoHostPath,
    k8sNoHostPorts,
    k8sAppArmor,
    k8sSelinux,
    k8sProcMount,
    k8sSysctls,
    k8sWindowsHostProcess,
    k8sVolumeTypes,
];

/** Pod Security Standards level of each Kubernetes policy (undefined: our production standard). */
export const PSS_LEVELS: Readonly<Record<string, "baseline" | "restricted">> = {
    "k8s-run-as-non-root": "restricted",
    "k8s-no-privilege-escalation": "restricted",
    "k8s-not-privileged": "baseline",
    "k8s-drop-all-capabilities": "restricted",
    "k8s-baseline-capabilities": "baseline",
    "k8s-seccomp-profile": "restricted",
    "k8s-seccomp-not-unconfined": "baseline",
    "k8s-no-host-namespaces": "baseline",
    "k8s-no-host-path": "baseline",
    "k8s-no-host-ports": "baseline",
    "k8s-apparmor": "baseline",
    "k8s-selinux": "baseline",
    "k8s-proc-mount": "baseline",
    "k8s-sysctls": "baseline",
    "k8s-windows-host-process": "baseline",
    "k8s-volume-types": "restricted",
};
