// Unit tests the Pulumi way (setMocks), with llm-platform's provider answers: the cluster lookups
// and every resource come back as AWS and Kubernetes would describe them.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf, setPlatformMocks } from "llm-platform/testing";

describe("existing-cluster-model", () => {
    let program: typeof import("../index");

    before(async () => {
        pulumi.runtime.setAllConfig({
            "aws:region": "us-east-1",
            "existing-cluster-model:clusterName": "llm",
            "existing-cluster-model:kubernetesVersion": "1.33",
            "existing-cluster-model:subnetIds": JSON.stringify(["subnet-a", "subnet-b"]),
            "existing-cluster-model:chat": JSON.stringify({
                activeColor: "green",
                blue: { modelVersion: "v1" },
                green: { modelVersion: "v2" },
            }),
        });
        await setPlatformMocks({ project: "existing-cluster-model", stack: "dev" });
        // The program registers its resources when it is loaded: after the mocks, never before.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program = require("../index") as typeof import("../index");
    });

    it("serves the active colour from the release in config", async () => {
        assert.equal(await promiseOf(program.activeService), "chat-active");
        const [contract] = await promiseOf(pulumi.output(program.llmPlatformReleases));
        assert.equal(contract.activeColor, "green");
        assert.equal(contract.releases.green.modelVersion, "v2");
        assert.equal(contract.configKey, "existing-cluster-model:chat");
    });

    it("names the bucket after the component", async () => {
        assert.match(await promiseOf(program.modelBucket), /^models-bucket-[0-9a-f]{7}$/);
    });
});
