import * as assert from "node:assert/strict";
import {
    SYSTEM_INSTANCE_TYPES,
    systemNodeAllocatable,
    systemNodesNeeded,
    systemWorkloads,
} from "../catalog/systemPool";
import { addOnsFor } from "../environments/addOns";
import { resolveSettings } from "../environments/loader";
import { systemPoolPlan } from "../environments/systemPoolRules";
import { goodRawConfig, problemsIfAny } from "./helpers";

const M6I_LARGE = SYSTEM_INSTANCE_TYPES.get("m6i.large")!;

/** The tier's settings with these overrides, as the config reaches the program. */
const configured = (config: Record<string, unknown>) =>
    goodRawConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`llm-platform:${k}`, JSON.stringify(v)])));

describe("the system node group holds what the stack installs on it", () => {
    it("offers what nodeadm leaves an m6i.large: 1930m, about 6.8 GiB and 29 pods", () => {
        assert.deepEqual(systemNodeAllocatable(M6I_LARGE), { cpuM: 1930, memoryMi: 6985, pods: 29 });
        // 4 cores: 60 + 10 + 2 × 5 reserved; 8 cores: 2.5 more per core above 4.
        assert.equal(systemNodeAllocatable(SYSTEM_INSTANCE_TYPES.get("m6i.xlarge")!).cpuM, 3920);
        assert.equal(systemNodeAllocatable(SYSTEM_INSTANCE_TYPES.get("m6i.2xlarge")!).cpuM, 7910);
    });

    it("takes maxPods from the ENIs as nodeadm does: 29 for an m6i.large, 58 for an xlarge, 35 for a t3.large", () => {
        assert.deepEqual(
            ["m6i.large", "m6i.xlarge", "m6i.2xlarge", "t3.large", "r6i.large"].map(
                (t) => `${t} ${SYSTEM_INSTANCE_TYPES.get(t)!.maxPods}`,
            ),
            ["m6i.large 29", "m6i.xlarge 58", "m6i.2xlarge 58", "t3.large 35", "r6i.large 29"],
        );
    });

    it("installs what the program installs: the add-ons follow the strategy, the autoscaler, the entry point and scale-to-zero", () => {
        const choice = (serving: Parameters<typeof addOnsFor>[0]) =>
            Object.entries(addOnsFor(serving))
                .filter(([, on]) => on)
                .map(([k]) => k);
        const base = { strategy: "blue-green", autoscaler: "keda", entryPointEnabled: true, anyScaleToZero: false };
        assert.deepEqual(choice(base), ["keda", "loadBalancerController"]);
        assert.deepEqual(choice({ ...base, anyScaleToZero: true }), ["keda", "loadBalancerController", "httpAddOn"]);
        // The HTTP add-on needs KEDA and the load balancer.
        assert.deepEqual(choice({ ...base, autoscaler: "hpa", anyScaleToZero: true }), [
            "loadBalancerController",
            "metricsServer",
        ]);
        assert.deepEqual(choice({ ...base, strategy: "canary", anyScaleToZero: true }), ["canaryDelivery", "keda"]);
    });

    it("needs three m6i.large in each reference tier: staging's HTTP add-on, prod's two Prometheus and MLflow replicas", () => {
        const staging = systemPoolPlan({
            serving: {
                platform: "eks",
                strategy: "blue-green",
                autoscaler: "keda",
                entryPoint: { enabled: true },
                scaleToZero: { enabled: true },
            },
            monitoring: { replicas: 1, prometheusResources: { cpuRequest: "500m", memoryRequest: "2Gi" } },
            modelRegistry: { enabled: true, replicas: 1 },
        })!;
        const workloads = systemWorkloads(staging);
        assert.deepEqual(
            workloads.map((w) => `${w.name} ${w.pods} × ${w.cpuM}m ${w.memoryMi}Mi`),
            [
                "coredns 2 × 100m 70Mi",
                "ebs-csi-controller 2 × 60m 232Mi",
                "cluster-autoscaler 1 × 100m 300Mi",
                "aws-load-balancer-controller 2 × 0m 0Mi",
                "keda-operator 1 × 100m 100Mi",
                "keda-operator-metrics-apiserver 1 × 100m 100Mi",
                "keda-admission-webhooks 1 × 100m 100Mi",
                "keda-add-ons-http-operator 1 × 250m 20Mi",
                "keda-add-ons-http-external-scaler 3 × 250m 20Mi",
                "keda-add-ons-http-interceptor 3 × 250m 20Mi",
                "prometheus-operator, kube-state-metrics, grafana 3 × 0m 0Mi",
                "prometheus 1 × 500m 2048Mi",
                "alertmanager 1 × 50m 128Mi",
                "mlflow 1 × 500m 1024Mi",
            ],
        );
        assert.equal(
            workloads.reduce((t, w) => t + w.pods * w.cpuM, 0),
            3520,
        );
        // 1750m beside the DaemonSets per node: two nodes are 20m short.
        assert.equal(systemNodesNeeded(workloads, M6I_LARGE), 3);
        // Without the HTTP add-on, two do.
        assert.equal(systemNodesNeeded(systemWorkloads({ ...staging, httpAddOn: false }), M6I_LARGE), 2);
        // A pod larger than a node: no number of nodes holds it.
        assert.equal(
            systemNodesNeeded(
                systemWorkloads({ ...staging, prometheus: { replicas: 1, cpuM: 4000, memoryMi: 2048 } }),
                M6I_LARGE,
            ),
            undefined,
        );
    });

    it("accepts the tiers' defaults and refuses a maxSize the system pods do not fit, naming what they request", () => {
        assert.deepEqual(
            problemsIfAny(() => resolveSettings("staging", goodRawConfig())),
            [],
        );
        assert.deepEqual(
            problemsIfAny(() => resolveSettings("prod", goodRawConfig())),
            [],
        );
        const cluster = (maxSize: number, instanceTypes = ["m6i.large"]) => ({
            systemNodes: { instanceTypes, minSize: 1, maxSize },
        });
        const staging = (extra: Record<string, unknown>) =>
            problemsIfAny(() =>
                resolveSettings("staging", configured({ serving: { scaleToZero: { enabled: true } }, ...extra })),
            );
        assert.deepEqual(staging({ cluster: cluster(3) }), []);
        assert.deepEqual(staging({ cluster: cluster(2) }), [
            "llm-platform:cluster.systemNodes.maxSize: expected an integer >= 3: the system pods request 3720m CPU, 5056 MiB and 24 pods (most: keda-add-ons-http-external-scaler 3 × 250m, keda-add-ons-http-interceptor 3 × 250m, prometheus 1 × 500m), and one m6i.large node offers 1700m, 6785 MiB and 23 pods beside its DaemonSets; every release waits for its pods (atomic), so raise maxSize or choose a larger instance type, received 2",
        ]);
        // The smallest of the types decides; a larger type holds it on fewer nodes.
        assert.equal(staging({ cluster: cluster(2, ["m6i.xlarge", "m6i.large"]) }).length, 1);
        assert.deepEqual(staging({ cluster: cluster(2, ["m6i.xlarge"]) }), []);
        // A type the catalog does not know is not checked.
        assert.deepEqual(staging({ cluster: cluster(1, ["m8g.large"]) }), []);
    });
});
