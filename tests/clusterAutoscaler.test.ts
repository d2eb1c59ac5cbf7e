/**
 * The node autoscaler, checked against what the pinned chart renders and what cluster-autoscaler
 * reads on AWS (docs/UPSTREAM.md, "cluster-autoscaler"): its arguments, its permissions, the tags
 * GPU pools put on their Auto Scaling groups, and scale-from-zero of the staging pool.
 */
import * as assert from "node:assert/strict";
import {
    CLUSTER_AUTOSCALER_CHART_VERSION,
    clusterAutoscalerPolicy,
    validateClusterAutoscalerArgs,
} from "../components/k8s/clusterAutoscaler";
import { asgTagResourceName } from "../components/aws/gpuNodePool";
import { CLUSTER_AUTOSCALER_IMAGES } from "../catalog/versions";
import type { ExportedResource } from "../tools/engine/stackExport";
import { chartDefaults, helmCoalesce, renderedScheduling, schedulingProblems, type Node } from "./helm";
import { planOf } from "./plans";

type Values = Record<string, unknown>;

/**
 * The container arguments templates/deployment.yaml renders for `cloudProvider: aws`: the cloud
 * provider, the namespace, auto-discovery by tags (each tag through `tpl`), then `extraArgs` in
 * Go's sorted map order, `--key=value`.
 */
function renderedArgs(values: Values, releaseNamespace: string): string[] {
    const discovery = values.autoDiscovery as { clusterName?: string; tags: string[] };
    const tpl = (t: string): string =>
        t.replace("{{ .Values.autoDiscovery.clusterName }}", String(discovery.clusterName));
    const extra = values.extraArgs as Record<string, unknown>;
    return [
        "./cluster-autoscaler",
        `--cloud-provider=${String(values.cloudProvider)}`,
        `--namespace=${releaseNamespace}`,
        ...(discovery.clusterName ? [`--node-group-auto-discovery=asg:tag=${discovery.tags.map(tpl).join(",")}`] : []),
        ...Object.keys(extra)
            .sort()
            .map((k) =>
                extra[k] === null ? `--${/^[^_]+/.exec(k)![0]}` : `--${/^[^_]+/.exec(k)![0]}=${String(extra[k])}`,
            ),
    ];
}

const ofType = (resources: ExportedResource[], type: string) => resources.filter((r) => r.type === type);
const named = (resources: ExportedResource[], type: string, name: string): ExportedResource => {
    const r = resources.find((x) => x.type === type && x.urn.endsWith(`::${name}`));
    assert.ok(r, `${type} ${name}`);
    return r;
};

describe("ClusterAutoscaler", () => {
    it("refuses a Kubernetes version without a release line, a bad duration and a floating chart version", () => {
        assert.deepEqual(
            validateClusterAutoscalerArgs({
                clusterName: "c",
                region: "us-east-1",
                oidcProviderArn: "a",
                oidcIssuerUrl: "u",
                kubernetesVersion: "1.29",
                scaleDownUnneededTime: "soon",
                chartVersion: "latest",
            }),
            [
                'kubernetesVersion: expected one of 1.30, 1.31, 1.32, 1.33 (a cluster-autoscaler release line exists for each), received "1.29"',
                'scaleDownUnneededTime: expected a duration such as 10m, received "soon"',
                'chartVersion: expected an exact version such as 9.51.0, received "latest"',
            ],
        );
        assert.deepEqual(CLUSTER_AUTOSCALER_IMAGES, {
            "1.30": "v1.30.7",
            "1.31": "v1.31.5",
            "1.32": "v1.32.7",
            "1.33": "v1.33.6",
        });
    });

    it("may describe what auto-discovery needs, and scale only groups tagged as its cluster's", () => {
        assert.deepEqual(JSON.parse(clusterAutoscalerPolicy("llm-prod")), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "Discover",
                    Effect: "Allow",
                    Action: [
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions",
                        "ec2:GetInstanceTypesFromInstanceRequirements",
                        "eks:DescribeNodegroup",
                    ],
                    Resource: "*",
                },
                {
                    Sid: "ScaleThisClustersGroups",
                    Effect: "Allow",
                    Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                    Resource: "*",
                    Condition: { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/llm-prod": "owned" } },
                },
            ],
        });
    });

    for (const stack of ["staging", "prod"] as const) {
        it(`${stack}: installs the pinned chart on IRSA, with arguments that discover exactly the GPU pools' tagged groups`, async () => {
            const resources = (await planOf(stack)).export.deployment.resources;
            const cluster = ofType(resources, "aws:eks/cluster:Cluster")[0];
            const clusterName = String(cluster.outputs?.name);
            const release = named(resources, "kubernetes:helm.sh/v3:Release", "cluster-autoscaler");
            assert.equal(release.inputs?.chart, "cluster-autoscaler");
            assert.equal(release.inputs?.version, CLUSTER_AUTOSCALER_CHART_VERSION);
            assert.equal(CLUSTER_AUTOSCALER_CHART_VERSION, "9.51.0");
            assert.deepEqual(release.inputs?.repositoryOpts, { repo: "https://kubernetes.github.io/autoscaler" });
            assert.equal(release.inputs?.namespace, "kube-system");
            const role = named(resources, "aws:iam/role:Role", "cluster-autoscaler-irsa");
            const trust = JSON.parse(String(role.inputs?.assumeRolePolicy)) as {
                Statement: Array<{ Condition: { StringEquals: Record<string, string> } }>;
            };
            assert.deepEqual(Object.values(trust.Statement[0].Condition.StringEquals), [
                "system:serviceaccount:kube-system:cluster-autoscaler",
                "sts.amazonaws.com",
            ]);
            const policy = named(resources, "aws:iam/policy:Policy", "cluster-autoscaler-policy");
            assert.equal(policy.inputs?.policy, clusterAutoscalerPolicy(clusterName));

            const values = helmCoalesce(
                chartDefaults(`cluster-autoscaler-${CLUSTER_AUTOSCALER_CHART_VERSION}.values.yaml`),
                release.inputs?.values as Values,
            );
            assert.deepEqual(renderedArgs(values, "kube-system"), [
                "./cluster-autoscaler",
                "--cloud-provider=aws",
                "--namespace=kube-system",
                `--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/${clusterName}`,
                "--balance-similar-node-groups=true",
                "--expander=least-waste",
                "--logtostderr=true",
                "--scale-down-unneeded-time=10m",
                "--skip-nodes-with-local-storage=false",
                "--stderrthreshold=info",
                "--v=4",
            ]);
            assert.equal(values.awsRegion, "us-east-1");
            assert.deepEqual(values.image, {
                repository: "registry.k8s.io/autoscaling/cluster-autoscaler",
                tag: "v1.33.6",
                pullPolicy: "IfNotPresent",
                pullSecrets: [],
            });
            assert.deepEqual((values.rbac as { serviceAccount: Values }).serviceAccount, {
                annotations: { "eks.amazonaws.com/role-arn": role.outputs?.arn },
                create: true,
                name: "cluster-autoscaler",
                automountServiceAccountToken: true,
            });

            // Every GPU pool's Auto Scaling group carries both discovery tags (the policy's condition
            // is the second), on the group EKS made for the node group.
            const gpuGroups = ofType(resources, "aws:eks/nodeGroup:NodeGroup").filter((g) =>
                g.urn.includes("GpuNodePool"),
            );
            assert.ok(gpuGroups.length >= 1, "the stack has a GPU node group to check");
            for (const group of gpuGroups) {
                const pool = group.urn
                    .split("::")
                    .pop()!
                    .replace(/-node-group$/, "");
                const asg = (group.outputs?.resources as Array<{ autoscalingGroups: Array<{ name: string }> }>)[0]
                    .autoscalingGroups[0].name;
                const tags = ofType(resources, "aws:autoscaling/tag:Tag").filter((t) =>
                    t.urn.includes(`::${pool}-asg-`),
                );
                for (const t of tags) assert.equal(t.inputs?.autoscalingGroupName, asg, t.urn);
                const keys = new Map(
                    tags.map((t) => {
                        const tag = t.inputs?.tag as { key: string; value: string; propagateAtLaunch: boolean };
                        assert.equal(tag.propagateAtLaunch, false);
                        return [tag.key, tag.value];
                    }),
                );
                assert.equal(keys.get("k8s.io/cluster-autoscaler/enabled"), "true");
                assert.equal(keys.get(`k8s.io/cluster-autoscaler/${clusterName}`), "owned");
            }
        });
    }

    it("staging scales from zero: the node cluster-autoscaler imagines from the group's tags takes the Pending pod", async () => {
        const resources = (await planOf("staging")).export.deployment.resources;
        const group = named(resources, "aws:eks/nodeGroup:NodeGroup", "gpu-inference-node-group");
        assert.equal((group.inputs?.scalingConfig as { minSize: number }).minSize, 0);
        const tags = Object.fromEntries(
            ofType(resources, "aws:autoscaling/tag:Tag")
                .filter((t) => t.urn.includes("::gpu-inference-asg-"))
                .map((t) => {
                    const tag = t.inputs?.tag as { key: string; value: string };
                    return [tag.key, tag.value];
                }),
        );
        const prefix = "k8s.io/cluster-autoscaler/node-template/";
        // What the cloud provider builds for a group at zero: labels and taints from the tags
        // (`label/<name>`, `taint/<key>` = `<value>:<effect>`), GPUs from the tag or the instance type.
        const template: Node = {
            labels: Object.fromEntries(
                Object.entries(tags)
                    .filter(([k]) => k.startsWith(`${prefix}label/`))
                    .map(([k, v]) => [k.slice(`${prefix}label/`.length), v]),
            ),
            taints: Object.entries(tags)
                .filter(([k]) => k.startsWith(`${prefix}taint/`))
                .map(([k, v]) => {
                    const [value, effect] = v.split(":");
                    return { key: k.slice(`${prefix}taint/`.length), value, effect: effect as "NoSchedule" };
                }),
        };
        // The tags describe the node EKS will start: the node group's own labels and taint.
        assert.deepEqual(template.labels, group.inputs?.labels);
        assert.deepEqual(
            template.taints,
            (group.inputs?.taints as Array<{ key: string; value: string }>).map((t) => ({
                key: t.key,
                value: t.value,
                effect: "NoSchedule",
            })),
        );
        assert.equal(tags[`${prefix}resources/nvidia.com/gpu`], "1");
        assert.equal(template.labels["k8s.amazonaws.com/accelerator"], "nvidia-mixed");

        const deployment = named(resources, "kubernetes:apps/v1:Deployment", "chat-blue");
        const pod = (deployment.inputs?.spec as { template: { spec: Values & { containers: Values[] } } }).template
            .spec;
        assert.deepEqual(schedulingProblems(renderedScheduling(pod), template), []);
        const gpus = (pod.containers[0] as { resources: { limits: Record<string, string> } }).resources.limits[
            "nvidia.com/gpu"
        ];
        assert.ok(Number(gpus) <= Number(tags[`${prefix}resources/nvidia.com/gpu`]));
        // Without the group's tags cluster-autoscaler would see an unlabelled, untainted node and
        // refuse the pod: the node selector is what scale-from-zero hinges on.
        assert.notDeepEqual(schedulingProblems(renderedScheduling(pod), { labels: {}, taints: [] }), []);
    });

    it("names each tag resource after its key: stable across runs, readable in a plan", () => {
        assert.equal(
            asgTagResourceName("gpu-inference", "k8s.io/cluster-autoscaler/node-template/label/llm-platform/pool"),
            "gpu-inference-asg-label-llm-platform-pool",
        );
        assert.equal(
            asgTagResourceName("gpu-inference", "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"),
            "gpu-inference-asg-resources-nvidia-com-gpu",
        );
    });
});
