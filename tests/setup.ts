/**
 * Mocha root hooks: load the Kubernetes models that ship only as ES modules, once, before any
 * test; and start the reference stacks' plans in the background (each is a program process).
 */
import { loadOperatorModels } from "./kubernetesSchema";
import { startReferencePlans } from "./plans";

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        startReferencePlans();
        await loadOperatorModels();
    },
};
