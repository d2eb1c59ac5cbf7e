// A GPU platform from nothing: a VPC across two zones, a private EKS cluster, a GPU pool that
// scales from zero with the NVIDIA device plugin and cluster-autoscaler, a model bucket, one model
// served blue-green, and Prometheus with the production alerts.
import * as pulumi from "@pulumi/pulumi";
import {
    BlueGreenEksService,
    EksCluster,
    GpuPlatform,
    ModelArtifactBucket,
    MonitoringStack,
    Network,
    readReleaseConfig,
    releaseContract,
} from "llm-platform";

const config = new pulumi.Config();
const region = new pulumi.Config("aws").require("region");
const kubernetesVersion = "1.33";

const network = new Network("network", { availabilityZoneCount: 2, natGateways: "single", clusterName: "llm" });

const cluster = new EksCluster("llm", {
    kubernetesVersion,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    adminRoleArns: config.requireObject<string[]>("adminRoleArns"),
});

const gpus = new GpuPlatform("gpu", {
    cluster,
    kubernetesVersion,
    region,
    subnetIds: network.privateSubnetIds,
    pools: {
        // Two pools: small models on one-GPU nodes, and spot capacity for batch work.
        inference: { instanceTypes: ["g5.2xlarge", "g6.2xlarge"] },
        spot: { instanceTypes: ["g5.xlarge", "g6.xlarge"], capacityType: "SPOT", maxSize: 4 },
    },
});

const models = new ModelArtifactBucket("models");

// The release (activeColor, blue, green) lives in the stack's config: `llm-platform promote` flips
// it and records each flip (lastFlip), which the contract carries for `--rollback`.
const { lastFlip, ...release } = readReleaseConfig(config, "chat");
const chat = new BlueGreenEksService("chat", {
    provider: cluster.provider,
    pool: gpus.pools.inference,
    oidcProviderArn: cluster.oidcProviderArn,
    oidcIssuerUrl: cluster.oidcIssuerUrl,
    modelBucketName: models.bucketName,
    modelReadPolicyArn: models.readPolicyArn,
    ...release,
});

new MonitoringStack("monitoring", {
    provider: cluster.provider,
    services: [{ name: "chat", namespace: chat.namespace, selector: chat.metricsSelector }],
});

export const vpcId = network.vpcId;
export const clusterName = cluster.clusterName;
export const kubeconfig = cluster.kubeconfig;
export const gpuNodeGroups = Object.fromEntries(
    Object.entries(gpus.pools).map(([name, pool]) => [name, pool.nodeGroupName]),
);
export const llmPlatformReleases = [
    releaseContract({ model: "chat", configKey: "new-cluster-gpu:chat", service: chat, lastFlip }),
];
