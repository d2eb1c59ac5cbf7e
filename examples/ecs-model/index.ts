// One model on ECS: a VPC, a model bucket, and vLLM on GPU instances as an ECS service with native
// blue/green deployments (a bake time, the circuit breaker and alarms that roll back) behind an
// internal Application Load Balancer serving HTTPS. A new model version or image is a `pulumi up`.
import * as pulumi from "@pulumi/pulumi";
import { BlueGreenEcsService, ModelArtifactBucket, Network } from "llm-platform";

const config = new pulumi.Config();

const network = new Network("network", { availabilityZoneCount: 2, natGateways: "single" });
const models = new ModelArtifactBucket("models");

const service = new BlueGreenEcsService("chat", {
    vpcId: network.vpcId,
    loadBalancerSubnetIds: network.privateSubnetIds,
    instanceSubnetIds: network.privateSubnetIds,
    modelBucketName: models.bucketName,
    modelReadPolicyArn: models.readPolicyArn,
    modelVersion: config.get("modelVersion") ?? "v1",
    instanceTypes: ["g5.2xlarge"],
    certificateArn: config.require("certificateArn"),
    // The provider's defaultTags (Pulumi.dev.yaml) reach every resource but the GPU instances' Auto
    // Scaling group, which takes its tags (and its instances') from here.
    tags: { Owner: "ml-platform", CostCenter: "ml-serving" },
});

export const modelBucket = models.bucketName;
export const productionUrl = service.productionUrl;
export const testUrl = service.testUrl;
