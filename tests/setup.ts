/**
 * Mocha root hooks: load the Kubernetes models that ship only as ES modules, once, before any
 * test; and start the type-check, the reference stacks' plans, then the README's commands, in
 * the background (each is a process of its own).
 */
import { loadOperatorModels } from "./kubernetesSchema";
import { startReferencePlans } from "./plans";
import { readmeRuns, typecheck } from "./readmeRuns";

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        void typecheck();
        startReferencePlans();
        readmeRuns();
        await loadOperatorModels();
    },
};
