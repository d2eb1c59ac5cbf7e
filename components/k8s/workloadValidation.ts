/**
 * The checks of an inference workload before anything is created: GPUs, CPU and memory that parse
 * and fit a node of the pool, probes and ports, replicas against the tier's minimum, and a release
 * pinned by digest with a well-formed model version.
 */
import { DIGEST_REFERENCE, isModelVersion, MODEL_VERSION_HELP, registryReference } from "../../catalog/formats";
import { allocatable, fitsOnNode, parseCpu, parseMemoryGiB } from "../../catalog/gpu";
import type { WorkloadSpec } from "./inferenceWorkload";

/** Every problem with a workload's shared settings (not the release), naming the setting; empty when fine. */
export function validateWorkload(spec: WorkloadSpec, replicas: number, minReplicas: number): string[] {
    const problems: string[] = [];
    if (!Number.isInteger(spec.gpus) || spec.gpus < 1)
        problems.push(`gpus: expected an integer >= 1, received ${spec.gpus}`);
    if (registryReference(spec.modelVersion) && !spec.registry)
        problems.push(
            `modelVersion: ${spec.modelVersion} names a registered model, but no model registry is given (registry: the ModelRegistry's image and tracking URI)`,
        );
    const cpu = parseCpu(spec.resources.cpuRequest);
    const memory = parseMemoryGiB(spec.resources.memoryRequest);
    const cpuLimit = parseCpu(spec.resources.cpuLimit);
    const memoryLimit = parseMemoryGiB(spec.resources.memoryLimit);
    for (const [field, value, parsed] of [
        ["resources.cpuRequest", spec.resources.cpuRequest, cpu],
        ["resources.cpuLimit", spec.resources.cpuLimit, cpuLimit],
        ["resources.memoryRequest", spec.resources.memoryRequest, memory],
        ["resources.memoryLimit", spec.resources.memoryLimit, memoryLimit],
    ] as const) {
        if (parsed === undefined)
            problems.push(
                `${field}: expected a Kubernetes quantity such as "4" or "16Gi", received ${JSON.stringify(value)}`,
            );
    }
    if (cpu !== undefined && cpuLimit !== undefined && cpuLimit < cpu)
        problems.push(
            `resources.cpuLimit: expected at least the request (${spec.resources.cpuRequest}), received ${spec.resources.cpuLimit}`,
        );
    if (memory !== undefined && memoryLimit !== undefined && memoryLimit < memory) {
        problems.push(
            `resources.memoryLimit: expected at least the request (${spec.resources.memoryRequest}), received ${spec.resources.memoryLimit}`,
        );
    }
    if (Number.isInteger(spec.gpus) && spec.gpus >= 1 && cpu !== undefined && memory !== undefined) {
        const node = allocatable(spec.pool.capacity);
        const misfit = fitsOnNode(node, { gpus: spec.gpus, vcpus: cpu, memoryGiB: memory });
        if (misfit)
            problems.push(
                `the pod does not fit a node of the GPU pool: it ${misfit.replace("a node of the pool has", "a node can offer")} (after the kubelet's reserve and the DaemonSets)`,
            );
    }
    if (spec.probePort !== spec.containerPort) {
        problems.push(
            `probePort: the probes call port ${spec.probePort} but the container exposes only ${spec.containerPort}`,
        );
    }
    for (const [field, path] of [
        ["healthPath", spec.healthPath],
        ["readyPath", spec.readyPath],
    ] as const) {
        if (!path.startsWith("/"))
            problems.push(`${field}: expected an absolute path such as /health, received ${JSON.stringify(path)}`);
    }
    if (!Number.isInteger(replicas) || replicas < minReplicas) {
        problems.push(`replicas: expected an integer >= ${minReplicas} (the tier minimum), received ${replicas}`);
    }
    return problems;
}

/** Problems with what one colour runs: an image by digest (when known) and a plain version name. */
export function validateRelease(release: { image: string | undefined; modelVersion: string }): string[] {
    const problems: string[] = [];
    if (release.image !== undefined && !DIGEST_REFERENCE.test(release.image)) {
        problems.push(
            `image: expected an image pinned by digest (repository@sha256:<64 hex>), received ${JSON.stringify(release.image)}`,
        );
    }
    if (!isModelVersion(release.modelVersion)) {
        problems.push(`modelVersion: ${MODEL_VERSION_HELP}, received ${JSON.stringify(release.modelVersion)}`);
    }
    return problems;
}
