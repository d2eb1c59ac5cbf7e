// Unit tests the Pulumi way (setMocks), with llm-platform's provider answers.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf, setPlatformMocks } from "llm-platform/testing";

describe("ecs-model", () => {
    let program: typeof import("../index");

    before(async () => {
        pulumi.runtime.setAllConfig({
            "aws:region": "us-east-1",
            "ecs-model:certificateArn":
                "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
        });
        await setPlatformMocks({ project: "ecs-model", stack: "dev" });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program = require("../index") as typeof import("../index");
    });

    it("serves HTTPS in production and on the test listener", async () => {
        assert.match(await promiseOf(program.productionUrl), /^https:\/\//);
        assert.match(await promiseOf(program.testUrl), /^https:\/\/.*:8443$/);
    });
});
