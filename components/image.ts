/**
 * `llm-platform/image`: the inference image built and pushed with Docker (`@pulumi/docker`, an
 * optional peer dependency: install it to use this entry point; the root entry never loads it).
 *
 * @module llm-platform/image
 */
export {
    DEFAULT_CONTEXT,
    REGISTRY_IMAGE_CONTEXT,
    InferenceImage,
    validateInferenceImageArgs,
    type InferenceImageArgs,
} from "./aws/inferenceImage";
export { checkHardenedDockerfile } from "./aws/dockerfile";
