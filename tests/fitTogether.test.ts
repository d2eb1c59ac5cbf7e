/**
 * Components that fit together on their own (issue 28, part 3): GpuPlatform composes what a pool
 * needs to get nodes; a service placed on a pool is checked against its maxSize and node shape,
 * with the other services on it; defaults fit the pool's smallest node and each other; a model
 * bucket can be named or brought.
 */
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { poolCapacity } from "../catalog/gpu";
import { s3BucketNameProblem } from "../catalog/formats";
import { GpuNodePool } from "../components/aws/gpuNodePool";
import { GpuPlatform, validateGpuPlatformArgs } from "../components/aws/gpuPlatform";
import { ModelArtifactBucket, validateModelArtifactBucketArgs } from "../components/aws/modelArtifactBucket";
import {
    BlueGreenEksService,
    validateBlueGreenEksServiceArgs,
    type BlueGreenEksServiceArgs,
} from "../components/k8s/blueGreenEksService";
import { fittedResources, type TargetPool } from "../components/k8s/inferenceWorkload";
import { runProgram } from "../tools/engine/run";
import type { ExportedResource } from "../tools/engine/stackExport";
import { find, requiredServiceArgs } from "./helpers";

const IMAGE = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"c".repeat(64)}`;
const CLUSTER = {
    clusterName: "llm",
    oidcProviderArn: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    oidcIssuerUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
};
const run = (program: () => unknown, sink?: ExportedResource[]) =>
    runProgram({ project: "lib", stack: "dev", config: { "aws:region": "us-east-1" }, program, sink });

/** A service at its defaults but what it must be given, on `pool`. */
function service(provider: k8s.Provider, pool: TargetPool): BlueGreenEksServiceArgs {
    return { ...requiredServiceArgs(provider, IMAGE), pool };
}

describe("GpuPlatform: pools, the device plugin and the autoscaler as one", () => {
    it("builds each pool, the NVIDIA device plugin and cluster-autoscaler under itself, by stable names", async () => {
        const result = await run(() => {
            const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
            const gpus = new GpuPlatform("gpu", {
                cluster: { ...CLUSTER, provider },
                kubernetesVersion: "1.33",
                subnetIds: ["subnet-a", "subnet-b"],
                pools: {
                    inference: { instanceTypes: ["g5.xlarge"] },
                    batch: { instanceTypes: ["g6e.xlarge"], maxSize: 2 },
                },
                tags: { Owner: "ml" },
            });
            // The pools are typed by their names: a misspelt one does not compile.
            // @ts-expect-error -- "infrence" is no pool of this platform
            void gpus.pools.infrence;
            return { pools: Object.keys(gpus.pools), maxSize: gpus.pools.inference.maxSize };
        });
        const components = result.export.deployment.resources
            .filter((r) => r.type.startsWith("llm-platform:"))
            .map((r) => `${r.urn.split("::")[2]} ${r.urn.split("::").pop()}`)
            .sort();
        assert.deepEqual(components, [
            "llm-platform:aws:GpuPlatform gpu",
            "llm-platform:aws:GpuPlatform$llm-platform:aws:GpuNodePool gpu-batch",
            "llm-platform:aws:GpuPlatform$llm-platform:aws:GpuNodePool gpu-inference",
            "llm-platform:aws:GpuPlatform$llm-platform:k8s:ClusterAutoscaler gpu-cluster-autoscaler",
            "llm-platform:aws:GpuPlatform$llm-platform:k8s:NvidiaDevicePlugin gpu-nvidia-device-plugin",
        ]);
        assert.deepEqual(result.outputs, { pools: ["inference", "batch"], maxSize: 9 });
        const group = find(result.export, "aws:eks/nodeGroup:NodeGroup", "gpu-inference-node-group").inputs!;
        assert.deepEqual(group.scalingConfig, { minSize: 0, desiredSize: 0, maxSize: 9 });
        assert.deepEqual(group.subnetIds, ["subnet-a", "subnet-b"]);
        assert.equal((group.tags as Record<string, string>).Owner, "ml");
        assert.equal((group.labels as Record<string, string>)["llm-platform/pool"], "gpu-inference");
        // What makes the pool scale from zero: the autoscaler's discovery tags on its group.
        const asgTags = result.export.deployment.resources
            .filter((r) => r.type === "aws:autoscaling/tag:Tag" && r.urn.includes("gpu-inference-asg-discovery"))
            .map((r) => (r.inputs!.tag as { key: string }).key)
            .sort();
        assert.deepEqual(asgTags, ["k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/llm"]);
        // Without a region, the autoscaler looks for the groups in the stack's aws:region.
        const release = find(result.export, "kubernetes:helm.sh/v3:Release", "gpu-cluster-autoscaler").inputs!;
        assert.equal((release.values as { awsRegion: string }).awsRegion, "us-east-1");
    });

    it("tells the autoscaler what a time-sliced node advertises: its GPUs times the slices", async () => {
        const result = await run(() => {
            const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
            new GpuPlatform("gpu", {
                cluster: { ...CLUSTER, provider },
                kubernetesVersion: "1.33",
                region: "us-east-1",
                subnetIds: ["subnet-a"],
                pools: { one: { instanceTypes: ["g5.xlarge"] }, four: { instanceTypes: ["g6e.12xlarge"] } },
                timeSlicingReplicas: 4,
            });
        });
        const gpuTags = result.export.deployment.resources
            .filter((r) => r.type === "aws:autoscaling/tag:Tag" && r.urn.endsWith("-asg-resources-nvidia-com-gpu"))
            .map((r) => `${r.urn.split("::").pop()} ${(r.inputs!.tag as { value: string }).value}`)
            .sort();
        // A g5.xlarge has 1 GPU and a g6e.12xlarge 4; the device plugin advertises each 4 times.
        assert.deepEqual(gpuTags, [
            "gpu-four-asg-resources-nvidia-com-gpu 16",
            "gpu-one-asg-resources-nvidia-com-gpu 4",
        ]);
    });

    it("refuses every bad argument at once, each named by its path", () => {
        assert.deepEqual(
            validateGpuPlatformArgs({
                kubernetesVersion: "1.29",
                region: "us-east-1",
                subnetIds: [],
                pools: { Inference: { instanceTypes: ["m5.large"], maxSize: 0 } },
                timeSlicingReplicas: 0,
            }),
            [
                "pools.Inference: a pool name is lower-case letters, digits and '-', starting with a letter, at most 32 characters",
                'pools.Inference.instanceTypes: "m5.large" is not a supported NVIDIA GPU instance type; use one of the g4dn, g5, g6, g6e, p4d, p4de, p5, p5e families (e.g. g5.xlarge)',
                "pools.Inference.maxSize: expected an integer >= minSize (0) and >= 1, received 0",
                'kubernetesVersion: expected one of 1.30, 1.31, 1.32, 1.33 (a cluster-autoscaler release line exists for each), received "1.29"',
                ...validateGpuPlatformArgs({
                    kubernetesVersion: "1.33",
                    region: "r",
                    subnetIds: [],
                    pools: { a: { instanceTypes: ["g5.xlarge"] } },
                    timeSlicingReplicas: 0,
                }),
            ],
        );
        assert.deepEqual(
            validateGpuPlatformArgs({ kubernetesVersion: "1.33", region: "r", subnetIds: [], pools: {} }),
            ['pools: expected at least one pool, e.g. { inference: { instanceTypes: ["g5.xlarge"] } }'],
        );
    });
});

describe("a service checked against the pool it is placed on", () => {
    it("names a missing pool and a name Kubernetes would refuse, before anything else", () => {
        const provider = undefined as unknown as k8s.Provider;
        assert.deepEqual(
            validateBlueGreenEksServiceArgs("chat", { ...service(provider, undefined as unknown as TargetPool) }),
            [
                "pool: required: the GpuNodePool the service runs on (one of a GpuPlatform's pools, e.g. gpus.pools.inference), or the same facts of a pool the program does not build ({ capacity, nodeSelector, tolerations })",
            ],
        );
        const pool = { capacity: poolCapacity(["g5.2xlarge"]), nodeSelector: {}, tolerations: [] };
        assert.deepEqual(validateBlueGreenEksServiceArgs("Chat", service(provider, pool)), [
            "name: \"Chat\" names the service's Kubernetes objects (Chat-active, Chat-blue …): use lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 40 characters",
        ]);
        assert.deepEqual(validateBlueGreenEksServiceArgs("a".repeat(41), service(provider, pool)).length, 1);
        assert.deepEqual(validateBlueGreenEksServiceArgs("chat-2", service(provider, pool)), []);
        // The platform's own namespaces, and CIDR blocks the NetworkPolicy API would refuse (issue 34).
        assert.deepEqual(validateBlueGreenEksServiceArgs("mlflow", service(provider, pool)), [
            "namespace: \"mlflow\" (the service's name unless namespace is set) is a namespace the platform runs its own workloads in (default, kube-system, kube-public, kube-node-lease, monitoring, keda, flagger-system, envoy-gateway-system, nvidia-device-plugin, mlflow, retraining, logging, tracing): the service's NetworkPolicy and quota would land beside them; choose another name, or set namespace",
        ]);
        assert.deepEqual(
            validateBlueGreenEksServiceArgs("chat", {
                ...service(provider, pool),
                namespace: "retraining",
                ingressCidrs: ["10.0.0.0/33"],
            }),
            [
                "namespace: \"retraining\" (the service's name unless namespace is set) is a namespace the platform runs its own workloads in (default, kube-system, kube-public, kube-node-lease, monitoring, keda, flagger-system, envoy-gateway-system, nvidia-device-plugin, mlflow, retraining, logging, tracing): the service's NetworkPolicy and quota would land beside them; choose another name, or set namespace",
                'ingressCidrs[0]: expected an IPv4 CIDR block such as 10.0.0.0/16, received "10.0.0.0/33": the prefix length "33" is not a number from 0 to 32',
            ],
        );
    });

    it("fits at both components' defaults: a GpuNodePool of one-GPU nodes holds a BlueGreenEksService", async () => {
        const result = await run(() => {
            const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
            const pool = new GpuNodePool("gpu", { ...CLUSTER, subnetIds: ["s"], instanceTypes: ["g5.xlarge"] });
            const svc = new BlueGreenEksService("svc", service(provider, pool));
            return { namespace: svc.namespace };
        });
        const blue = find(result.export, "kubernetes:apps/v1:Deployment", "svc-blue").inputs!;
        const container = (blue.spec as { template: { spec: { containers: Array<{ resources: unknown }> } } }).template
            .spec.containers[0];
        // The default 4 CPU / 16Gi would fit no g5.xlarge node: the defaults fit it instead.
        assert.deepEqual(container.resources, {
            requests: { cpu: "3", memory: "14Gi", "nvidia.com/gpu": "1" },
            limits: { cpu: "4", memory: "14Gi", "nvidia.com/gpu": "1" },
        });
    });

    it("names what does not fit, with the figures and the way out", () => {
        const pool = {
            capacity: poolCapacity(["g5.xlarge"]),
            nodeSelector: { "llm-platform/pool": "gpu" },
            tolerations: [],
            maxSize: 2,
        };
        const provider = undefined as unknown as k8s.Provider;
        assert.deepEqual(validateBlueGreenEksServiceArgs("chat", service(provider, pool)), [
            "pool: at replicas (3) the service runs 6 pods (the active colour at 3 to 6 and the inactive one warm at 3) and a node of the pool (1 × a10g GPU, 4 vCPU, 16 GiB) holds 1 (limited by GPUs), so the pool needs 6 nodes, but its maxSize is 2: raise the pool's maxSize to 9 (6 at replicas, 9 at maxReplicas), or lower replicas, or set scaleDownInactive",
        ]);
        assert.deepEqual(
            validateBlueGreenEksServiceArgs("chat", { ...service(provider, { ...pool, maxSize: 5 }), replicas: 2 }),
            [
                "pool: at maxReplicas (4) the service runs 6 pods (the active colour at 2 to 4 and the inactive one warm at 2) and a node of the pool (1 × a10g GPU, 4 vCPU, 16 GiB) holds 1 (limited by GPUs), so the pool needs 6 nodes, but its maxSize is 5: raise the pool's maxSize to 6, or lower maxReplicas",
            ],
        );
        // Scaled to zero, the inactive colour still comes back while a promotion warms it before the flip.
        assert.deepEqual(
            validateBlueGreenEksServiceArgs("chat", {
                ...service(provider, { ...pool, maxSize: 5 }),
                replicas: 2,
                scaleDownInactive: true,
            }),
            [
                "pool: at maxReplicas (4) the service runs 6 pods (the active colour at 2 to 4 and the inactive one at 2 while a promotion warms it, at zero otherwise) and a node of the pool (1 × a10g GPU, 4 vCPU, 16 GiB) holds 1 (limited by GPUs), so the pool needs 6 nodes, but its maxSize is 5: raise the pool's maxSize to 6, or lower maxReplicas",
            ],
        );
        assert.deepEqual(
            validateBlueGreenEksServiceArgs("chat", {
                ...service(provider, { ...pool, maxSize: 4 }),
                replicas: 1,
                maxReplicas: 3,
                scaleDownInactive: true,
            }),
            [],
        );
        // Time-sliced GPUs hold four small pods a node: 9 pods at the ceiling on 3 nodes.
        const small = { cpuRequest: "500m", cpuLimit: "1", memoryRequest: "2Gi", memoryLimit: "3Gi" };
        assert.deepEqual(
            validateBlueGreenEksServiceArgs("chat", {
                ...service(provider, { ...pool, maxSize: 3, timeSlicingReplicas: 4 }),
                resources: small,
            }),
            [],
        );
        // A pool the program does not describe (no maxSize) is not checked.
        assert.deepEqual(
            validateBlueGreenEksServiceArgs("chat", service(provider, { ...pool, maxSize: undefined })),
            [],
        );
    });

    it("counts every service on the same pool, and stops the one that does not fit before it creates anything", async () => {
        const sink: ExportedResource[] = [];
        await assert.rejects(
            run(() => {
                const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
                const pool = new GpuNodePool("gpu", {
                    ...CLUSTER,
                    subnetIds: ["s"],
                    instanceTypes: ["g5.2xlarge"],
                    maxSize: 12,
                });
                new BlueGreenEksService("chat", service(provider, pool));
                new BlueGreenEksService("embed", { ...service(provider, pool), replicas: 2 });
            }, sink),
            {
                message:
                    "BlueGreenEksService \"embed\": invalid arguments:\n  pool: the services on it need 15 nodes at their autoscalers' ceilings (chat 9 pods of 1 GPU, embed 6 pods of 1 GPU), but its maxSize is 12: raise the pool's maxSize to 15, lower maxReplicas, or give a service a pool of its own",
            },
        );
        assert.ok(sink.some((r) => r.urn.endsWith("::chat-blue")));
        assert.ok(!sink.some((r) => r.urn.includes("::embed-")), "nothing of embed was created");
    });
});

describe("default resources fitted to the pool's smallest node", () => {
    it("caps each request at what a node gives a pod, and each limit at the node", () => {
        assert.deepEqual(fittedResources(poolCapacity(["g5.xlarge"])), {
            cpuRequest: "3",
            cpuLimit: "4",
            memoryRequest: "14Gi",
            memoryLimit: "14Gi",
        });
        assert.deepEqual(fittedResources(poolCapacity(["g6e.xlarge"])), {
            cpuRequest: "3",
            cpuLimit: "4",
            memoryRequest: "16Gi",
            memoryLimit: "24Gi",
        });
        // A pool mixing sizes is held to its smallest.
        assert.deepEqual(fittedResources(poolCapacity(["g5.2xlarge", "g5.12xlarge"])), {
            cpuRequest: "4",
            cpuLimit: "8",
            memoryRequest: "16Gi",
            memoryLimit: "24Gi",
        });
    });
});

describe("a model bucket named, prefixed or brought", () => {
    it("names the bucket or its prefix as given", async () => {
        const result = await run(() => {
            new ModelArtifactBucket("named", { bucketName: "acme-llm-weights", protect: false });
            new ModelArtifactBucket("prefixed", { bucketNamePrefix: "acme-llm-", protect: false });
        });
        assert.equal(find(result.export, "aws:s3/bucket:Bucket", "named-bucket").inputs!.bucket, "acme-llm-weights");
        assert.equal(find(result.export, "aws:s3/bucket:Bucket", "prefixed-bucket").inputs!.bucketPrefix, "acme-llm-");
        // The log bucket keeps Pulumi's name.
        assert.equal(find(result.export, "aws:s3/bucket:Bucket", "named-logs").inputs!.bucket, undefined);
    });

    it("builds only the policies on a bucket you run, scoped to it and its key", async () => {
        const result = await run(() => {
            const b = new ModelArtifactBucket("byo", {
                existing: {
                    bucketName: "acme-weights",
                    kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                },
            });
            return { arn: b.bucketArn, logs: b.logBucketName };
        });
        assert.deepEqual(
            result.export.deployment.resources.filter((r) => r.parent?.endsWith("::byo")).map((r) => r.type),
            ["aws:iam/policy:Policy", "aws:iam/policy:Policy"],
        );
        assert.equal(result.outputs.arn, "arn:aws:s3:::acme-weights");
        assert.equal(result.outputs.logs, undefined);
        const read = JSON.parse(String(find(result.export, "aws:iam/policy:Policy", "byo-read-policy").inputs!.policy));
        assert.deepEqual(
            read.Statement.map((s: { Resource: string }) => s.Resource),
            [
                "arn:aws:s3:::acme-weights",
                "arn:aws:s3:::acme-weights/*",
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ],
        );
    });

    it("refuses names S3 refuses, and more than one way to name the bucket", () => {
        assert.deepEqual(
            validateModelArtifactBucketArgs({
                bucketName: "Acme_Weights",
                bucketNamePrefix: "xn--acme",
                objectLockRetentionDays: 30,
                existing: { bucketName: "a..b", kmsKeyArn: "k" },
            }),
            [
                "bucketName, bucketNamePrefix, existing: give at most one of them",
                `bucketName: "Acme_Weights" may hold only lower-case letters, digits, '.' and '-' (S3's bucket naming rules)`,
                'existing.bucketName: "a..b" must not hold two adjacent periods (S3\'s bucket naming rules)',
                'bucketNamePrefix: "xn--acme" must not start with xn-- (reserved by S3) (S3\'s bucket naming rules)',
                "objectLockRetentionDays: object lock is chosen when a bucket is created; an existing bucket keeps its own",
            ],
        );
        assert.deepEqual(
            ["ab", "a".repeat(64), "-ab", "192.168.5.4", "sthree-x", "x-s3alias", "good.name-1"].map(
                s3BucketNameProblem,
            ),
            [
                "is 2 characters long; a bucket name has 3 to 63",
                "is 64 characters long; a bucket name has 3 to 63",
                "must begin and end with a letter or digit",
                "must not be an IP address",
                "must not start with sthree- (reserved by S3)",
                "must not end with -s3alias (reserved by S3)",
                undefined,
            ],
        );
        // A name of an account regional namespace is somebody's existing bucket, never one to create.
        assert.deepEqual(validateModelArtifactBucketArgs({ bucketName: "weights-111122223333-us-east-1-an" }), [
            'bucketName: "weights-111122223333-us-east-1-an" must not end with -an, which S3 keeps for buckets in an account regional namespace; the component creates buckets in the global namespace',
        ]);
        assert.deepEqual(
            validateModelArtifactBucketArgs({
                existing: { bucketName: "weights-111122223333-us-east-1-an", kmsKeyArn: "k" },
            }),
            [],
        );
        assert.deepEqual(validateModelArtifactBucketArgs({ bucketNamePrefix: "a".repeat(38) }), [
            `bucketNamePrefix: "${"a".repeat(38)}" is 38 characters long; a prefix has at most 37 (S3 adds 26) (S3's bucket naming rules)`,
        ]);
    });
});
