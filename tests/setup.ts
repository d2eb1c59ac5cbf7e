/** Mocha root hooks: load the Kubernetes models that ship only as ES modules, once, before any test. */
import { loadOperatorModels } from "./kubernetesSchema";

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        await loadOperatorModels();
    },
};
