/**
 * What the system node group must hold: the pods of the cluster's add-ons and of the platform's
 * own system workloads, with the requests they have at the pinned chart versions and with the
 * values the components pass, and what a node of the group offers them. Every Helm release is
 * installed `atomic`, so a release whose pods cannot be placed fails the update; the cluster
 * autoscaler grows the group up to its `maxSize` (EKS tags managed node groups for its discovery),
 * so the group must hold them at `maxSize`. Sources: docs/UPSTREAM.md, "The system node group".
 */

/** Pods of one workload on the system nodes and what each requests (0: the chart sets no request). */
export interface SystemWorkload {
    readonly name: string;
    readonly pods: number;
    /** Millicores per pod. */
    readonly cpuM: number;
    /** MiB per pod. */
    readonly memoryMi: number;
}

/**
 * What the DaemonSets of every system node request: the VPC CNI (aws-node and its network policy
 * agent, 25m each), kube-proxy (100m), the EBS CSI node plugin (30m, 104Mi), the pod identity agent
 * and Prometheus's node exporter (no requests); five pods of the node's `maxPods`.
 */
export const SYSTEM_DAEMONSETS = { pods: 5, cpuM: 180, memoryMi: 104 } as const;

/**
 * vCPUs and memory (GiB) of system node types, and their `maxPods` as the EKS AMI computes it from
 * the ENIs and IPv4 addresses per ENI (`awslabs/amazon-eks-ami` `nodeadm/internal/kubelet/
 * instance-info.jsonl`, `eni_max_pods.go`: ENIs × (addresses − 1) + 2).
 */
export const SYSTEM_INSTANCE_TYPES: ReadonlyMap<string, { vcpus: number; memoryGiB: number; maxPods: number }> =
    new Map(
        (
            [
                ["m5.large", 2, 8, 3, 10],
                ["m5.xlarge", 4, 16, 4, 15],
                ["m5.2xlarge", 8, 32, 4, 15],
                ["m6i.large", 2, 8, 3, 10],
                ["m6i.xlarge", 4, 16, 4, 15],
                ["m6i.2xlarge", 8, 32, 4, 15],
                ["m6a.large", 2, 8, 3, 10],
                ["m6a.xlarge", 4, 16, 4, 15],
                ["m6a.2xlarge", 8, 32, 4, 15],
                ["m7i.large", 2, 8, 3, 10],
                ["m7i.xlarge", 4, 16, 4, 15],
                ["m7i.2xlarge", 8, 32, 4, 15],
                ["c6i.xlarge", 4, 8, 4, 15],
                ["c6i.2xlarge", 8, 16, 4, 15],
                ["r6i.large", 2, 16, 3, 10],
                ["r6i.xlarge", 4, 32, 4, 15],
                ["t3.large", 2, 8, 3, 12],
                ["t3.xlarge", 4, 16, 4, 15],
            ] as const
        ).map(([type, vcpus, memoryGiB, enis, addresses]) => [
            type,
            { vcpus, memoryGiB, maxPods: enis * (addresses - 1) + 2 },
        ]),
    );

/**
 * What a node offers pods, as the EKS AMI's nodeadm computes it: CPU less the kube-reserved tiers
 * (6 % of the first core, 1 % of the second, 0.5 % of the next two, 0.25 % of the rest), memory
 * less 255Mi + 11Mi per pod of `maxPods` and the 100Mi eviction threshold, from the memory the
 * kernel reports (about 6 % under the instance's nominal size; a conservative round figure).
 */
export function systemNodeAllocatable(type: { vcpus: number; memoryGiB: number; maxPods: number }): {
    cpuM: number;
    memoryMi: number;
    pods: number;
} {
    const cores = type.vcpus;
    const reserved = 60 + (cores > 1 ? 10 : 0) + Math.max(0, Math.min(cores, 4) - 2) * 5 + Math.max(0, cores - 4) * 2.5;
    return {
        cpuM: cores * 1000 - reserved,
        memoryMi: Math.floor(type.memoryGiB * 1024 * 0.935) - (255 + 11 * type.maxPods) - 100,
        pods: type.maxPods,
    };
}

/** What the stack installs on the system nodes, as the settings decide. */
export interface SystemPoolPlan {
    /** The load balancer controller (blue-green with an entry point). */
    loadBalancerController: boolean;
    keda: boolean;
    /** KEDA's HTTP add-on (a model scales to zero). */
    httpAddOn: boolean;
    metricsServer: boolean;
    /** Flagger, its load tester and Envoy Gateway (strategy canary). */
    canaryDelivery: boolean;
    prometheus: { replicas: number; cpuM: number; memoryMi: number };
    alertmanagerReplicas: number;
    /** MLflow's replicas, or 0 without the model registry. */
    modelRegistryReplicas: number;
    /** The OpenTelemetry Collector's replicas (TraceCollector), or 0 without traces. @default 0 */
    traceCollectorReplicas?: number;
    /** Fluent Bit on every node (LogPipeline): one more DaemonSet. @default false */
    logCollector?: boolean;
}

/** What Fluent Bit requests on each node (components/k8s/logPipeline.ts). */
export const LOG_COLLECTOR_REQUESTS = { pods: 1, cpuM: 50, memoryMi: 96 } as const;

/** What the DaemonSets of a system node request, with the log collector when the plan runs it. */
export function systemDaemonSets(plan: Pick<SystemPoolPlan, "logCollector">): {
    pods: number;
    cpuM: number;
    memoryMi: number;
} {
    const c = plan.logCollector ? LOG_COLLECTOR_REQUESTS : { pods: 0, cpuM: 0, memoryMi: 0 };
    return {
        pods: SYSTEM_DAEMONSETS.pods + c.pods,
        cpuM: SYSTEM_DAEMONSETS.cpuM + c.cpuM,
        memoryMi: SYSTEM_DAEMONSETS.memoryMi + c.memoryMi,
    };
}

/** The requests of each workload the plan puts on the system nodes (sources: docs/UPSTREAM.md). */
export function systemWorkloads(plan: SystemPoolPlan): SystemWorkload[] {
    const w = (name: string, pods: number, cpuM: number, memoryMi: number): SystemWorkload[] =>
        pods > 0 ? [{ name, pods, cpuM, memoryMi }] : [];
    return [
        // EKS's default CoreDNS and the EBS CSI controller (with its snapshotter: the larger figure).
        ...w("coredns", 2, 100, 70),
        ...w("ebs-csi-controller", 2, 60, 232),
        ...w("cluster-autoscaler", 1, 100, 300),
        ...(plan.metricsServer ? w("metrics-server", 1, 100, 200) : []),
        ...(plan.loadBalancerController ? w("aws-load-balancer-controller", 2, 0, 0) : []),
        ...(plan.keda
            ? [
                  ...w("keda-operator", 1, 100, 100),
                  ...w("keda-operator-metrics-apiserver", 1, 100, 100),
                  ...w("keda-admission-webhooks", 1, 100, 100),
              ]
            : []),
        // The interceptor at its ScaledObject's minimum (3); it grows with traffic.
        ...(plan.httpAddOn
            ? [
                  ...w("keda-add-ons-http-operator", 1, 250, 20),
                  ...w("keda-add-ons-http-external-scaler", 3, 250, 20),
                  ...w("keda-add-ons-http-interceptor", 3, 250, 20),
              ]
            : []),
        ...(plan.canaryDelivery
            ? [
                  ...w("flagger", 1, 10, 32),
                  ...w("flagger-loadtester", 1, 10, 64),
                  ...w("envoy-gateway", 1, 100, 256),
                  ...w("envoy-proxy", 1, 110, 544),
              ]
            : []),
        // kube-prometheus-stack: the operator, kube-state-metrics and Grafana set no requests.
        ...w("prometheus-operator, kube-state-metrics, grafana", 3, 0, 0),
        ...w("prometheus", plan.prometheus.replicas, plan.prometheus.cpuM, plan.prometheus.memoryMi),
        ...w("alertmanager", plan.alertmanagerReplicas, 50, 128),
        ...w("mlflow", plan.modelRegistryReplicas, 500, 1024),
        ...w("trace-collector", plan.traceCollectorReplicas ?? 0, 200, 512),
    ];
}

/**
 * How many nodes of `type` the workloads need, placed largest first on the first node with room
 * (first-fit decreasing, by CPU then memory), each node offering its allocatable less what its
 * DaemonSets request. Undefined when one pod does not fit a node at all.
 */
export function systemNodesNeeded(
    workloads: readonly SystemWorkload[],
    type: { vcpus: number; memoryGiB: number; maxPods: number },
    daemonSets: { pods: number; cpuM: number; memoryMi: number } = SYSTEM_DAEMONSETS,
): number | undefined {
    const node = systemNodeAllocatable(type);
    const room = {
        cpuM: node.cpuM - daemonSets.cpuM,
        memoryMi: node.memoryMi - daemonSets.memoryMi,
        pods: node.pods - daemonSets.pods,
    };
    const pods = workloads
        .flatMap((wl) => Array.from({ length: wl.pods }, () => wl))
        .sort((a, b) => b.cpuM - a.cpuM || b.memoryMi - a.memoryMi);
    if (pods.some((p) => p.cpuM > room.cpuM || p.memoryMi > room.memoryMi)) return undefined;
    const nodes: Array<{ cpuM: number; memoryMi: number; pods: number }> = [];
    for (const p of pods) {
        let n = nodes.find((x) => x.cpuM >= p.cpuM && x.memoryMi >= p.memoryMi && x.pods >= 1);
        if (!n) {
            n = { ...room };
            nodes.push(n);
        }
        n.cpuM -= p.cpuM;
        n.memoryMi -= p.memoryMi;
        n.pods -= 1;
    }
    return Math.max(1, nodes.length);
}
