// Unit tests the Pulumi way (setMocks), with llm-platform's provider answers.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf, setPlatformMocks } from "llm-platform/testing";

describe("new-cluster-gpu", () => {
    let program: typeof import("../index");

    before(async () => {
        pulumi.runtime.setAllConfig({
            "aws:region": "us-east-1",
            "new-cluster-gpu:adminRoleArns": JSON.stringify(["arn:aws:iam::111122223333:role/admin"]),
            "new-cluster-gpu:chat": JSON.stringify({ blue: { modelVersion: "v1" }, green: { modelVersion: "v1" } }),
        });
        await setPlatformMocks({ project: "new-cluster-gpu", stack: "dev" });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program = require("../index") as typeof import("../index");
    });

    it("puts a node group in each pool", async () => {
        assert.deepEqual(Object.keys(program.gpuNodeGroups), ["inference", "spot"]);
        assert.match(await promiseOf(program.gpuNodeGroups.inference), /^gpu-inference-node-group-/);
    });

    it("keeps the kubeconfig secret", async () => {
        assert.equal(await pulumi.isSecret(program.kubeconfig), true);
    });
});
