// The public surface of the llm-platform component library.
export * from "./aws/containerRegistry";
export * from "./aws/dockerfile";
export * from "./aws/eksCluster";
export * from "./aws/gpuInstances";
export * from "./aws/gpuNodePool";
export * from "./aws/iam";
export * from "./aws/inferenceImage";
export * from "./aws/modelArtifactBucket";
export * from "./aws/network";
export * from "./k8s/nvidiaDevicePlugin";
export * from "./aws/blueGreenEcsService";
export * from "./aws/ecsTask";
export * from "./k8s/blueGreenEksService";
export * from "./k8s/canary";
export * from "./k8s/inferenceWorkload";
