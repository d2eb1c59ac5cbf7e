import * as assert from "node:assert/strict";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { AWS_POLICIES } from "../policies/aws";
import { goodDeployment } from "../policies/fixtures";
import { KUBERNETES_POLICIES, k8sRollingUpdate } from "../policies/kubernetes";
import { runResourcePolicy } from "../policies/testing";
import { forTypes, notApplicable } from "../policies/util";

const typeTag = (p: ResourceValidationPolicy): unknown =>
    (p.validateResource as { __pulumiType?: unknown }).__pulumiType;

describe("Policy type filtering", () => {
    it("tags single-type policies as validateResourceOfType does, so the SDK skips other types unread", () => {
        const tagged = Object.fromEntries(
            [...AWS_POLICIES, ...KUBERNETES_POLICIES]
                .filter((p): p is ResourceValidationPolicy => "validateResource" in p && typeTag(p) !== undefined)
                .map((p) => [p.name, typeTag(p)]),
        );
        assert.deepEqual(tagged, {
            // ecr-repository-hardened is a stack policy (it reads the registry's scanning too).
            "ecs-task-hardened": "aws:ecs/taskDefinition:TaskDefinition",
            "eks-cluster-hardened": "aws:eks/cluster:Cluster",
            // launch-template-imdsv2 reads instances and launch configurations too.
            "efs-encrypted": "aws:efs/fileSystem:FileSystem",
            "log-group-hardened": "aws:cloudwatch/logGroup:LogGroup",
            // rds-instance-hardened reads Aurora clusters and cluster instances too: several types, no tag.
            "kms-key-rotation": "aws:kms/key:Key",
            "k8s-rolling-update-max-unavailable-zero": "kubernetes:apps/v1:Deployment",
            // k8s-service-exposure and k8s-no-bare-pods read the Patch types too.
        });
    });

    it("still checks the type inside, for callers that do not read the tag", async () => {
        const check = forTypes(["aws:kms/key:Key"], () => assert.fail("must not run"));
        let reason: string | undefined;
        const args = {
            type: "aws:s3/bucket:Bucket",
            notApplicable: (r?: string): never => {
                reason = r;
                throw new Error("not applicable");
            },
        } as unknown as ResourceValidationArgs;
        assert.throws(() => check(args, () => undefined), /^Error: not applicable$/);
        assert.equal(reason, "applies to aws:kms/key:Key");
    });

    it("makes the testing kit skip a tagged policy for other types without calling it, as the SDK does", async () => {
        const tagged: ResourceValidationPolicy = {
            name: "tagged",
            description: "Checks nothing",
            validateResource: Object.assign(() => assert.fail("must not run"), { __pulumiType: "aws:kms/key:Key" }),
        };
        assert.deepEqual(await runResourcePolicy(tagged, goodDeployment()), { applicable: false, violations: [] });
        assert.deepEqual(await runResourcePolicy(k8sRollingUpdate, goodDeployment()), {
            applicable: true,
            violations: [],
        });
    });

    it("throws not-applicable without capturing a stack, and leaves the stack trace limit as it was", () => {
        const before = Error.stackTraceLimit;
        const args = {
            notApplicable: (r?: string): never => {
                throw new Error(r);
            },
        } as unknown as ResourceValidationArgs;
        let thrown: unknown;
        try {
            notApplicable(args, "applies to Deployment");
        } catch (e) {
            thrown = e;
        }
        assert.equal((thrown as Error).stack, "Error: applies to Deployment");
        assert.equal(Error.stackTraceLimit, before);
        assert.match(new Error("real").stack ?? "", /\n\s+at /);
    });
});
