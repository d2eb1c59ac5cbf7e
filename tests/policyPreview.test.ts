import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { goodDeployment } from "../policies/fixtures";
import * as k8s from "../policies/kubernetes";
import { k8sPdbForServing } from "../policies/stack";
import { UNKNOWN, runResourcePolicy, runStackPolicy, type TestResource } from "../policies/testing";

type Container = { name?: string; image: unknown };
const containersOf = (r: TestResource): Container[] =>
    (r.props as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers;

/** The good Deployment as a first preview sees it: the image digest comes from a build that has not run. */
function withUnknownImage(): TestResource {
    const r = goodDeployment();
    containersOf(r)[0]!.image = UNKNOWN;
    return r;
}

describe("The policy testing kit during preview", () => {
    it("uses the SDK's own sentinel for an unknown value", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const proxy = require("@pulumi/policy/proxy") as { unknownStringValue: string };
        assert.equal(UNKNOWN, proxy.unknownStringValue);
    });

    it("stops a policy that reads an unknown value and reports where, as the CLI's advisory does", async () => {
        assert.deepEqual(await runResourcePolicy(k8s.k8sImagePinned, withUnknownImage()), {
            applicable: true,
            violations: [],
            unknown: "string value at .spec.template.spec.containers.0.image can't be known during preview",
        });
    });

    it("leaves policies that never read the unknown value to run to the end", async () => {
        assert.deepEqual(await runResourcePolicy(k8s.k8sRunAsNonRoot, withUnknownImage()), {
            applicable: true,
            violations: [],
        });
    });

    it("keeps violations reported before the policy reached the unknown value", async () => {
        const r = withUnknownImage();
        const containers = containersOf(r);
        containers.unshift({ ...containers[0]!, name: "sidecar", image: "busybox" });
        assert.deepEqual(await runResourcePolicy(k8s.k8sImagePinned, r), {
            applicable: true,
            violations: ['container "sidecar" image "busybox" is not pinned (no tag or latest)'],
            unknown: "string value at .spec.template.spec.containers.1.image can't be known during preview",
        });
    });

    it("never turns an unknown image into a violation or an error, for any Kubernetes policy", async () => {
        const stopped: string[] = [];
        for (const policy of k8s.KUBERNETES_POLICIES) {
            const run = await runResourcePolicy(policy, withUnknownImage());
            assert.deepEqual(run.violations, [], policy.name);
            if (run.unknown) stopped.push(policy.name);
        }
        assert.deepEqual(stopped, ["k8s-image-pinned"]);
    });

    it("stops a stack policy that reads an unknown value of any resource", async () => {
        const deployment = goodDeployment();
        const pdb: TestResource = {
            type: "kubernetes:policy/v1:PodDisruptionBudget",
            name: "inference",
            props: { metadata: { name: "inference", namespace: "inference" }, spec: { selector: UNKNOWN } },
        };
        assert.deepEqual(await runStackPolicy(k8sPdbForServing, [deployment, pdb]), {
            applicable: true,
            violations: [],
            unknown: "string value at .spec.selector can't be known during preview",
        });
    });

    it("still fails on a policy's own error", async () => {
        const broken: ResourceValidationPolicy = {
            name: "broken",
            description: "Checks nothing",
            enforcementLevel: "mandatory",
            validateResource: () => {
                throw new TypeError("boom");
            },
        };
        await assert.rejects(runResourcePolicy(broken, goodDeployment()), /^TypeError: boom$/);
    });
});
