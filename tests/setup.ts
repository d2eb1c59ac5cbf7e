/**
 * Mocha root hooks: load the Kubernetes models that ship only as ES modules, once, before any
 * test; and start the type-check, the API reference's generation, the reference stacks' plans,
 * the README's commands and the package's runs (packed, installed, its examples checked), in the
 * background (each a process of its own).
 */
import { loadOperatorModels } from "./kubernetesSchema";
import { startReferencePlans } from "./plans";
import { packageRuns } from "./packageRuns";
import { readmeRuns, typecheck } from "./readmeRuns";
import { generatedReference } from "./referenceRun";

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        void typecheck();
        void generatedReference();
        startReferencePlans();
        // Before the README's commands: the package's chain (pack, install, then the examples) is the longest.
        packageRuns();
        readmeRuns();
        await loadOperatorModels();
    },
};
