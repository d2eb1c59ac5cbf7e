import * as assert from "node:assert/strict";
import * as library from "../components";

describe("the library's public surface", () => {
    it("exports every component and its pure helpers", () => {
        for (const name of [
            "Network",
            "EksCluster",
            "GpuNodePool",
            "NvidiaDevicePlugin",
            "ModelArtifactBucket",
            "ContainerRegistry",
            "InferenceImage",
            "fitsOnNode",
            "poolCapacity",
            "buildLifecyclePolicy",
            "checkHardenedDockerfile",
            "irsaTrustPolicy",
            "buildKubeconfig",
            "planSubnets",
            "BlueGreenEksService",
            "BlueGreenEcsService",
            "buildPodSpec",
            "buildContainerDefinitions",
            "buildCanarySpec",
        ]) {
            assert.equal(typeof (library as Record<string, unknown>)[name], "function", name);
        }
    });
});
