// The public surface of the llm-platform component library.
export * from "./aws/modelArtifactBucket";
