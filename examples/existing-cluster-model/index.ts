// One model, served blue-green on an EKS cluster you already run: a GPU pool that scales from zero
// (with the NVIDIA device plugin and cluster-autoscaler it needs), a bucket for the weights, the
// service, and Prometheus with the production alerts. Everything else is each component's default.
import * as pulumi from "@pulumi/pulumi";
import {
    BlueGreenEksService,
    EksCluster,
    GpuPlatform,
    ModelArtifactBucket,
    MonitoringStack,
    readReleaseConfig,
    releaseContract,
} from "llm-platform";

const config = new pulumi.Config();
const region = new pulumi.Config("aws").require("region");

// The cluster you run: its endpoint, certificate and OIDC provider are looked up by name.
const cluster = new EksCluster("cluster", { existingClusterName: config.require("clusterName") });

const gpus = new GpuPlatform("gpu", {
    cluster,
    kubernetesVersion: config.require("kubernetesVersion"),
    region,
    subnetIds: config.requireObject<string[]>("subnetIds"),
    pools: { inference: { instanceTypes: ["g5.xlarge", "g6.xlarge"] } },
});

// Weights go under models/<version>/ (e.g. `aws s3 sync ./weights s3://<bucket>/models/v1`). Name it
// yourself with bucketName or bucketNamePrefix, or bring the bucket you have with `existing`.
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

export const modelBucket = models.bucketName;
export const activeService = chat.activeService;
export const previewService = chat.previewService;
// What `llm-platform promote --stack dev --model chat` reads.
export const llmPlatformReleases = [
    releaseContract({ model: "chat", configKey: "existing-cluster-model:chat", service: chat, lastFlip }),
];
