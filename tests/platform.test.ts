import * as assert from "node:assert/strict";
import {
    buildKubeconfig,
    CONTROL_PLANE_LOG_TYPES,
    EksCluster,
    validateEksClusterArgs,
} from "../components/aws/eksCluster";
import { fitsOnNode, GPU_INSTANCE_TYPES, poolCapacity } from "../catalog/gpu";
import { autoscalerTags, GpuNodePool, poolLabels, validateGpuNodePoolArgs } from "../components/aws/gpuNodePool";
import { irsaTrustPolicy, NODE_POLICY_ARNS } from "../components/aws/iam";
import { Network, planSubnets, validateNetworkArgs } from "../components/aws/network";
import {
    DEVICE_PLUGIN_CHART_VERSION,
    devicePluginConfig,
    devicePluginValues,
    validateNvidiaDevicePluginArgs,
} from "../components/k8s/nvidiaDevicePlugin";
import { runProgram, type RunResult } from "../tools/engine/run";
import type { ExportedResource } from "../tools/engine/stackExport";
import { find } from "./helpers";
import { kubernetesObjects, kubernetesSchemaErrors } from "./kubernetesSchema";
import { planOf } from "./plans";

const ofType = (r: Pick<RunResult, "export">, type: string): ExportedResource[] =>
    r.export.deployment.resources.filter((x) => x.type === type);

describe("Network", () => {
    it("plans private /19s and public /22s of a /16, in separate halves", () => {
        assert.deepEqual(planSubnets("10.0.0.0/16", 3), {
            private: ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
            public: ["10.0.128.0/22", "10.0.132.0/22", "10.0.136.0/22"],
        });
        assert.deepEqual(planSubnets("172.16.0.0/20", 2), {
            private: ["172.16.0.0/23", "172.16.2.0/23"],
            public: ["172.16.8.0/26", "172.16.8.64/26"],
        });
    });

    it("rejects a bad range, zone count, retention and existing ids with the argument's name", () => {
        assert.deepEqual(
            validateNetworkArgs({ cidrBlock: "10.0.0.1/16", availabilityZoneCount: 5, flowLogRetentionDays: 10 }),
            [
                'cidrBlock: expected an aligned IPv4 range from /16 to /20 such as 10.0.0.0/16, received "10.0.0.1/16"',
                "availabilityZoneCount: expected an integer between 2 and 4, received 5",
                "flowLogRetentionDays: expected one of CloudWatch's retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), received 10",
            ],
        );
        assert.deepEqual(
            validateNetworkArgs({
                existing: { vpcId: "vpc-1", publicSubnetIds: ["subnet-0abc12345"], privateSubnetIds: [] },
            }),
            [
                'existing.vpcId: expected a VPC id like vpc-0abc12345, received "vpc-1"',
                'existing.publicSubnetIds: expected at least two subnet ids like subnet-0abc12345 (EKS needs two zones), received ["subnet-0abc12345"]',
                "existing.privateSubnetIds: expected at least two subnet ids like subnet-0abc12345 (EKS needs two zones), received []",
            ],
        );
    });

    it("prod: three zones, NAT per zone, load balancer subnet tags, flow logs, deny-all default group", async () => {
        const prod = await planOf("prod");
        assert.equal(ofType(prod, "aws:ec2/natGateway:NatGateway").length, 3);
        const subnets = ofType(prod, "aws:ec2/subnet:Subnet");
        const roleTag = (s: ExportedResource): string =>
            Object.keys(s.inputs?.tags as Record<string, string>).find((k) => k.startsWith("kubernetes.io/role/"))!;
        assert.deepEqual(
            subnets.map((s) => `${s.urn.split("::").pop()} ${String(s.inputs?.availabilityZone)} ${roleTag(s)}`).sort(),
            [
                "network-private-0 us-east-1a kubernetes.io/role/internal-elb",
                "network-private-1 us-east-1b kubernetes.io/role/internal-elb",
                "network-private-2 us-east-1c kubernetes.io/role/internal-elb",
                "network-public-0 us-east-1a kubernetes.io/role/elb",
                "network-public-1 us-east-1b kubernetes.io/role/elb",
                "network-public-2 us-east-1c kubernetes.io/role/elb",
            ],
        );
        assert.ok(subnets.every((s) => s.inputs?.mapPublicIpOnLaunch !== true));
        const flowLog = find(prod.export, "aws:ec2/flowLog:FlowLog", "network-flow-log");
        assert.equal(flowLog.inputs?.trafficType, "ALL");
        assert.equal(
            flowLog.inputs?.logDestination,
            find(prod.export, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs").outputs?.arn,
        );
        assert.equal(
            find(prod.export, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs").inputs?.retentionInDays,
            365,
        );
        const sg = find(prod.export, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "network-default-sg");
        assert.deepEqual([sg.inputs?.ingress, sg.inputs?.egress], [[], []]);
        const privateRoutes = ofType(prod, "aws:ec2/routeTable:RouteTable").filter((r) => r.urn.includes("private-rt"));
        const nats = new Set(
            privateRoutes.map((r) => (r.inputs?.routes as Array<{ natGatewayId: string }>)[0].natGatewayId),
        );
        assert.equal(nats.size, 3, "each private subnet routes through the NAT of its zone");
    });

    it("staging: two zones and a single NAT gateway", async () => {
        const staging = await planOf("staging");
        assert.equal(ofType(staging, "aws:ec2/subnet:Subnet").length, 4);
        assert.equal(ofType(staging, "aws:ec2/natGateway:NatGateway").length, 1);
    });

    it("passes an existing VPC through without creating anything", async () => {
        const existing = {
            vpcId: "vpc-0abc12345",
            publicSubnetIds: ["subnet-0aaa11111", "subnet-0bbb22222"],
            privateSubnetIds: ["subnet-0ccc33333", "subnet-0ddd44444"],
        };
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: {},
            program: () => {
                const n = new Network("net", { existing });
                return { vpc: n.vpcId, private: n.privateSubnetIds, publicCidrs: n.publicSubnetCidrs };
            },
        });
        const { publicCidrs, ...rest } = result.outputs as { publicCidrs: string[] };
        assert.deepEqual(rest, { vpc: "vpc-0abc12345", private: existing.privateSubnetIds });
        // Each public subnet's CIDR, looked up (what a NetworkPolicy admits from a load balancer there).
        assert.equal(publicCidrs.length, 2);
        for (const cidr of publicCidrs) assert.match(cidr, /^10\.\d+\.\d+\.0\/24$/);
        assert.deepEqual(
            result.export.deployment.resources.filter((r) => r.custom).map((r) => r.type),
            [],
        );
    });
});

describe("EksCluster", () => {
    let prod: RunResult;
    before(async () => {
        prod = await planOf("prod");
    });

    it("encrypts secrets with its own key, logs everything and keeps the endpoint private", () => {
        const cluster = find(prod.export, "aws:eks/cluster:Cluster", "llm-cluster");
        const key = find(prod.export, "aws:kms/key:Key", "llm-secrets-key");
        assert.deepEqual(cluster.inputs?.encryptionConfig, {
            provider: { keyArn: key.outputs?.arn },
            resources: ["secrets"],
        });
        assert.deepEqual(cluster.inputs?.enabledClusterLogTypes, CONTROL_PLANE_LOG_TYPES);
        assert.deepEqual(CONTROL_PLANE_LOG_TYPES, ["api", "audit", "authenticator", "controllerManager", "scheduler"]);
        const vpcConfig = cluster.inputs?.vpcConfig as Record<string, unknown>;
        assert.equal(vpcConfig.endpointPrivateAccess, true);
        assert.equal(vpcConfig.endpointPublicAccess, false);
        assert.equal(vpcConfig.publicAccessCidrs, undefined);
        assert.equal(cluster.inputs?.version, "1.33");
        assert.deepEqual(cluster.inputs?.accessConfig, {
            authenticationMode: "API",
            bootstrapClusterCreatorAdminPermissions: true,
        });
        assert.equal(cluster.protect, true);
        assert.equal(key.inputs?.enableKeyRotation, true);
    });

    it("creates the OIDC provider, the core add-ons and the EBS CSI driver on IRSA", () => {
        const cluster = find(prod.export, "aws:eks/cluster:Cluster", "llm-cluster");
        const issuer = (cluster.outputs?.identities as Array<{ oidcs: Array<{ issuer: string }> }>)[0].oidcs[0].issuer;
        const oidc = find(prod.export, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "llm-oidc");
        assert.deepEqual(oidc.inputs?.clientIdLists, ["sts.amazonaws.com"]);
        assert.equal(oidc.inputs?.url, issuer);
        assert.deepEqual(
            ofType(prod, "aws:eks/addon:Addon")
                .map((a) => a.inputs?.addonName)
                .sort(),
            ["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"],
        );
        // NetworkPolicies are only enforced with the VPC CNI's network policy agent on (a string value).
        assert.deepEqual(
            JSON.parse(String(find(prod.export, "aws:eks/addon:Addon", "llm-vpc-cni").inputs?.configurationValues)),
            { enableNetworkPolicy: "true" },
        );
        const ebsRole = find(prod.export, "aws:iam/role:Role", "llm-ebs-csi-role");
        assert.deepEqual(
            JSON.parse(String(ebsRole.inputs?.assumeRolePolicy)),
            JSON.parse(irsaTrustPolicy(String(oidc.outputs?.arn), issuer, "kube-system", "ebs-csi-controller-sa")),
        );
        assert.equal(
            find(prod.export, "aws:eks/addon:Addon", "llm-aws-ebs-csi-driver").inputs?.serviceAccountRoleArn,
            ebsRole.outputs?.arn,
        );
        assert.ok(
            find(prod.export, "aws:eks/addon:Addon", "llm-coredns").dependencies?.includes(
                find(prod.export, "aws:eks/nodeGroup:NodeGroup", "llm-system").urn,
            ),
        );
    });

    it("builds a kubeconfig that authenticates with aws eks get-token, kept secret", () => {
        assert.deepEqual(JSON.parse(buildKubeconfig("c", "https://e", "Q0E=", "eu-west-1")).users[0].user.exec, {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", "c", "--region", "eu-west-1", "--output", "json"],
        });
        assert.equal(prod.outputs.kubeconfig, "[secret]");
        const provider = find(prod.export, "pulumi:providers:kubernetes", "llm-k8s");
        assert.equal((provider.inputs?.kubeconfig as Record<string, string>).ciphertext, "[secret]");
        // Provider inputs travel as strings, as the SDK serializes them for the engine.
        assert.equal(provider.inputs?.enableServerSideApply, "true");
    });

    it("grants admin roles through access entries and validates its arguments", async () => {
        const role = "arn:aws:iam::111122223333:role/platform-admin";
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: {},
            program: () =>
                new EksCluster("c", {
                    kubernetesVersion: "1.33",
                    vpcId: "vpc-1",
                    subnetIds: ["subnet-1", "subnet-2"],
                    adminRoleArns: [role],
                    publicAccessCidrs: ["203.0.113.0/24"],
                    privateAccessCidrs: ["10.0.200.0/24"],
                }),
        });
        // A CI runner's subnet inside the VPC reaches the private endpoint through the cluster security group.
        const cluster = find(result.export, "aws:eks/cluster:Cluster", "c-cluster");
        assert.deepEqual(
            find(result.export, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "c-api-from-10-0-200-0-24")
                .inputs,
            {
                securityGroupId: (cluster.outputs?.vpcConfig as { clusterSecurityGroupId: string })
                    .clusterSecurityGroupId,
                description: "Kubernetes API from 10.0.200.0/24",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "10.0.200.0/24",
                tags: {},
            },
        );
        assert.match(
            (cluster.outputs?.vpcConfig as { clusterSecurityGroupId: string }).clusterSecurityGroupId,
            /^sg-[0-9a-f]{17}$/,
        );
        assert.equal(find(result.export, "aws:eks/accessEntry:AccessEntry", "c-admin-0").inputs?.principalArn, role);
        assert.deepEqual(
            find(result.export, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "c-admin-0").inputs
                ?.policyArn,
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        );
        const vpc = find(result.export, "aws:eks/cluster:Cluster", "c-cluster").inputs?.vpcConfig as Record<
            string,
            unknown
        >;
        assert.deepEqual([vpc.endpointPublicAccess, vpc.publicAccessCidrs], [true, ["203.0.113.0/24"]]);
        assert.deepEqual(
            validateEksClusterArgs({
                kubernetesVersion: "1.3",
                publicAccessCidrs: ["0.0.0.0/1", "128.0.0.0/1"],
                privateAccessCidrs: ["10.0.0.0", "0.0.0.0/0", "10.0.0.999/8", "10.0.0.0/33", "10.01.0.0/16"],
                adminRoleArns: ["admin"],
                systemNodes: { minSize: 3, maxSize: 2 },
            }),
            [
                'kubernetesVersion: expected a version like "1.33", received "1.3"',
                "vpcId: required for a new cluster",
                "subnetIds: required for a new cluster",
                "publicAccessCidrs: 0.0.0.0/0 (or blocks that add up to it) opens the API endpoint to the internet; list your networks instead",
                'privateAccessCidrs[0]: expected an IPv4 CIDR block such as 10.0.0.0/16, received "10.0.0.0": it has no /prefix length',
                'privateAccessCidrs[2]: expected an IPv4 CIDR block such as 10.0.0.0/16, received "10.0.0.999/8": 999 is over 255',
                'privateAccessCidrs[3]: expected an IPv4 CIDR block such as 10.0.0.0/16, received "10.0.0.0/33": the prefix length "33" is not a number from 0 to 32',
                'privateAccessCidrs[4]: expected an IPv4 CIDR block such as 10.0.0.0/16, received "10.01.0.0/16": "01" is not a decimal number without leading zeros',
                "privateAccessCidrs: 0.0.0.0/0 (or blocks that add up to it) admits every address; list the runners' subnets instead",
                'adminRoleArns: expected IAM role ARNs, received "admin"',
                "systemNodes.maxSize: expected an integer >= minSize (3), received 2",
            ],
        );
    });

    it("encrypts secrets with a key you bring, and exposes the children you extend", async () => {
        const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: { "aws:region": "us-east-1" },
            program: () => {
                const c = new EksCluster("c", {
                    kubernetesVersion: "1.33",
                    vpcId: "vpc-1",
                    subnetIds: ["subnet-1"],
                    secretsKmsKeyArn: key,
                });
                return Promise.resolve({
                    exposed: [c.cluster!.urn, c.systemNodeGroup!.urn, c.systemNodeRole!.urn, c.addons.coredns.urn],
                    addons: Object.keys(c.addons),
                    key: c.secretsKey === undefined,
                });
            },
        });
        assert.equal(ofType(result, "aws:kms/key:Key").length, 0);
        assert.deepEqual(
            (
                find(result.export, "aws:eks/cluster:Cluster", "c-cluster").inputs?.encryptionConfig as Record<
                    string,
                    unknown
                >
            ).provider,
            { keyArn: key },
        );
        assert.deepEqual(
            (result.outputs.exposed as string[]).map((u) => u.split("::").pop()),
            ["c-cluster", "c-system", "c-system-node-role", "c-coredns"],
        );
        assert.deepEqual(result.outputs.addons, [
            "vpc-cni",
            "kube-proxy",
            "eks-pod-identity-agent",
            "coredns",
            "aws-ebs-csi-driver",
        ]);
        assert.equal(result.outputs.key, true);
        assert.deepEqual(validateEksClusterArgs({ existingClusterName: "prod", secretsKmsKeyArn: key }), [
            "secretsKmsKeyArn: an existing cluster keeps its own encryption; leave secretsKmsKeyArn out",
        ]);
        assert.deepEqual(
            validateEksClusterArgs({
                kubernetesVersion: "1.33",
                vpcId: "v",
                subnetIds: [],
                secretsKmsKeyArn: "alias/k",
            }),
            ['secretsKmsKeyArn: expected a KMS key ARN, received "alias/k"'],
        );
    });

    it("adopts an existing cluster by name: looks it up and creates only the provider", async () => {
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: { "aws:region": "us-west-2" },
            program: () => {
                const c = new EksCluster("shared", { existingClusterName: "platform-prod" });
                return { name: c.clusterName, oidc: c.oidcProviderArn };
            },
        });
        assert.equal(result.outputs.name, "platform-prod");
        assert.match(
            String(result.outputs.oidc),
            /^arn:aws:iam::111122223333:oidc-provider\/oidc\.eks\.us-west-2\.amazonaws\.com\/id\/[0-9A-F]{32}$/,
        );
        assert.deepEqual(
            result.export.deployment.resources
                .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:aws"))
                .map((r) => r.type),
            ["pulumi:providers:kubernetes"],
        );
    });
});

describe("GPU instance table and capacity", () => {
    it("knows the GPU families with their GPUs and memory", () => {
        assert.deepEqual(GPU_INSTANCE_TYPES.get("g5.12xlarge"), {
            gpus: 4,
            gpuType: "a10g",
            gpuMemoryGiB: 24,
            vcpus: 48,
            memoryGiB: 192,
        });
        assert.deepEqual(GPU_INSTANCE_TYPES.get("p5.48xlarge"), {
            gpus: 8,
            gpuType: "h100",
            gpuMemoryGiB: 80,
            vcpus: 192,
            memoryGiB: 2048,
        });
        assert.deepEqual(
            [...new Set([...GPU_INSTANCE_TYPES.keys()].map((k) => k.split(".")[0]))],
            ["g4dn", "g5", "g6", "g6e", "p4d", "p4de", "p5", "p5e"],
        );
    });

    it("guarantees the minimum over a pool's types and checks that a request fits", () => {
        const capacity = poolCapacity(["g5.12xlarge", "g6.xlarge"]);
        assert.deepEqual(capacity, {
            gpusPerNode: 1,
            gpuMemoryGiB: 24,
            gpuTypes: ["a10g", "l4"],
            vcpus: 4,
            memoryGiB: 16,
        });
        assert.equal(fitsOnNode(capacity, { gpus: 1 }), undefined);
        assert.equal(fitsOnNode(capacity, { gpus: 2 }), "requests 2 GPUs but a node of the pool has 1");
        assert.equal(fitsOnNode(poolCapacity(["g5.2xlarge"]), { gpus: 1, vcpus: 8, memoryGiB: 24 }), undefined);
        assert.equal(
            fitsOnNode(poolCapacity(["g5.xlarge"]), { gpus: 1, memoryGiB: 24 }),
            "requests 24 GiB of memory but a node of the pool has 16 GiB",
        );
        assert.throws(() => poolCapacity(["m5.large"]), { message: "unsupported GPU instance type m5.large" });
    });
});

describe("GpuNodePool", () => {
    let prod: RunResult;
    before(async () => {
        prod = await planOf("prod");
    });

    it("uses the NVIDIA AMI, the GPU taint and labels, and leaves desired size to the autoscaler", () => {
        const group = find(prod.export, "aws:eks/nodeGroup:NodeGroup", "gpu-inference-node-group");
        assert.equal(group.inputs?.amiType, "AL2023_x86_64_NVIDIA");
        assert.equal(group.inputs?.capacityType, "ON_DEMAND");
        assert.deepEqual(group.inputs?.instanceTypes, ["g5.2xlarge"]);
        assert.deepEqual(group.inputs?.scalingConfig, { minSize: 1, desiredSize: 1, maxSize: 9 });
        assert.deepEqual(group.inputs?.taints, [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
        assert.deepEqual(group.inputs?.labels, {
            "llm-platform/accelerator": "nvidia",
            "llm-platform/gpu-type": "a10g",
            "llm-platform/pool": "gpu-inference",
            "llm-platform/nvidia-device-plugin": "daemonset",
            "k8s.amazonaws.com/accelerator": "nvidia-a10g",
        });
        assert.deepEqual(group.ignoreChanges, ["scalingConfig.desiredSize"]);
        // EKS would not copy these to the Auto Scaling group: they go on the group itself.
        const tags = group.inputs?.tags as Record<string, string>;
        assert.deepEqual(
            Object.keys(tags).filter((k) => k.startsWith("k8s.io/")),
            [],
        );
        const asgTags = prod.export.deployment.resources
            .filter(
                (r) =>
                    r.type === "aws:autoscaling/tag:Tag" &&
                    r.urn.includes("GpuNodePool") &&
                    r.urn.includes("::gpu-inference-"),
            )
            .map((r) => {
                const tag = r.inputs?.tag as { key: string; value: string };
                return `${r.urn.split("::").pop()} ${tag.key}=${tag.value}`;
            })
            .sort();
        const cluster = find(prod.export, "aws:eks/cluster:Cluster", "llm-cluster").outputs?.name as string;
        const t = "k8s.io/cluster-autoscaler/node-template";
        assert.deepEqual(asgTags, [
            `gpu-inference-asg-discovery-cluster k8s.io/cluster-autoscaler/${cluster}=owned`,
            "gpu-inference-asg-discovery-enabled k8s.io/cluster-autoscaler/enabled=true",
            `gpu-inference-asg-label-k8s-amazonaws-com-accelerator ${t}/label/k8s.amazonaws.com/accelerator=nvidia-a10g`,
            `gpu-inference-asg-label-llm-platform-accelerator ${t}/label/llm-platform/accelerator=nvidia`,
            `gpu-inference-asg-label-llm-platform-gpu-type ${t}/label/llm-platform/gpu-type=a10g`,
            `gpu-inference-asg-label-llm-platform-nvidia-device-plugin ${t}/label/llm-platform/nvidia-device-plugin=daemonset`,
            `gpu-inference-asg-label-llm-platform-pool ${t}/label/llm-platform/pool=gpu-inference`,
            `gpu-inference-asg-resources-nvidia-com-gpu ${t}/resources/nvidia.com/gpu=1`,
            `gpu-inference-asg-taint-nvidia-com-gpu ${t}/taint/nvidia.com/gpu=true:NoSchedule`,
        ]);
    });

    it("launches with IMDSv2 only (hop limit 1) and an encrypted 200 GiB gp3 volume", () => {
        const lt = find(prod.export, "aws:ec2/launchTemplate:LaunchTemplate", "gpu-inference-launch-template");
        assert.deepEqual(lt.inputs?.metadataOptions, {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
            instanceMetadataTags: "disabled",
        });
        assert.deepEqual(lt.inputs?.blockDeviceMappings, [
            {
                deviceName: "/dev/xvda",
                ebs: { volumeSize: 200, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            },
        ]);
        const group = find(prod.export, "aws:eks/nodeGroup:NodeGroup", "gpu-inference-node-group");
        assert.deepEqual(group.inputs?.launchTemplate, { id: lt.id, version: "1" });
    });

    it("gives nodes a role with only the three node policies", () => {
        const role = find(prod.export, "aws:iam/role:Role", "gpu-inference-node-role");
        const attached = prod.export.deployment.resources
            .filter(
                (r) =>
                    r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" &&
                    r.inputs?.role === role.outputs?.name,
            )
            .map((r) => r.inputs?.policyArn);
        assert.deepEqual(attached, [...NODE_POLICY_ARNS]);
        assert.deepEqual(JSON.parse(String(role.inputs?.assumeRolePolicy)).Statement[0].Principal, {
            Service: "ec2.amazonaws.com",
        });
    });

    it("staging scales a spot pool to zero", async () => {
        const staging = await planOf("staging");
        const group = find(staging.export, "aws:eks/nodeGroup:NodeGroup", "gpu-inference-node-group");
        assert.equal(group.inputs?.capacityType, "SPOT");
        // Three at most: chat at its 2 and embed at its 1 (Pulumi.staging.yaml).
        assert.deepEqual(group.inputs?.scalingConfig, { minSize: 0, desiredSize: 0, maxSize: 4 });
    });

    it("puts Bottlerocket's weights volume on /dev/xvdb and leaves the device plugin to the host", async () => {
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: {},
            program: () => {
                const pool = new GpuNodePool("br", {
                    clusterName: "c",
                    subnetIds: ["subnet-1"],
                    instanceTypes: ["g6e.xlarge"],
                    amiType: "BOTTLEROCKET_x86_64_NVIDIA",
                    diskSizeGiB: 500,
                });
                return {
                    gpus: pool.capacity.gpusPerNode,
                    memory: pool.capacity.gpuMemoryGiB,
                    selector: pool.nodeSelector,
                };
            },
        });
        const lt = find(result.export, "aws:ec2/launchTemplate:LaunchTemplate", "br-launch-template");
        assert.deepEqual(
            (lt.inputs?.blockDeviceMappings as Array<{ deviceName: string; ebs: { volumeSize: number } }>)[0]
                .deviceName,
            "/dev/xvdb",
        );
        assert.equal(
            find(result.export, "aws:eks/nodeGroup:NodeGroup", "br-node-group").inputs?.amiType,
            "BOTTLEROCKET_x86_64_NVIDIA",
        );
        assert.deepEqual(result.outputs, { gpus: 1, memory: 48, selector: { "llm-platform/pool": "br" } });
        assert.equal(
            poolLabels("br", poolCapacity(["g6e.xlarge"]), "BOTTLEROCKET_x86_64_NVIDIA")[
                "llm-platform/nvidia-device-plugin"
            ],
            "host",
        );
    });

    it("rejects non-GPU types and bad sizes with clear errors", () => {
        assert.deepEqual(
            validateGpuNodePoolArgs({
                clusterName: "c",
                subnetIds: [],
                instanceTypes: ["m5.large", "g5.xlarge"],
                minSize: 3,
                maxSize: 2,
                diskSizeGiB: 10,
            }),
            [
                'instanceTypes: "m5.large" is not a supported NVIDIA GPU instance type; use one of the g4dn, g5, g6, g6e, p4d, p4de, p5, p5e families (e.g. g5.xlarge)',
                "maxSize: expected an integer >= minSize (3) and >= 1, received 2",
                "desiredSize: expected an integer between minSize (3) and maxSize (2), received 3",
                "diskSizeGiB: expected an integer between 20 and 16384, received 10",
            ],
        );
        assert.throws(() => new GpuNodePool("x", { clusterName: "c", subnetIds: [], instanceTypes: [] }), {
            message:
                'GpuNodePool "x": invalid arguments:\n  instanceTypes: expected at least one GPU instance type, received []',
        });
        assert.deepEqual(autoscalerTags({ a: "b" }, 4, false), {
            "k8s.io/cluster-autoscaler/node-template/label/a": "b",
            "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "4",
        });
    });
});

describe("NvidiaDevicePlugin", () => {
    let prod: RunResult;
    before(async () => {
        prod = await planOf("prod");
    });

    it("installs the pinned chart on the cluster's provider, only where a DaemonSet is needed", () => {
        const release = find(prod.export, "kubernetes:helm.sh/v3:Release", "nvidia-device-plugin");
        assert.equal(release.inputs?.chart, "nvidia-device-plugin");
        assert.equal(release.inputs?.version, DEVICE_PLUGIN_CHART_VERSION);
        assert.equal(DEVICE_PLUGIN_CHART_VERSION, "0.18.0");
        assert.deepEqual(release.inputs?.repositoryOpts, { repo: "https://nvidia.github.io/k8s-device-plugin" });
        assert.equal(release.inputs?.namespace, "nvidia-device-plugin");
        const values = release.inputs?.values as Record<string, unknown>;
        assert.deepEqual(values.nodeSelector, { "llm-platform/nvidia-device-plugin": "daemonset" });
        assert.deepEqual((values.tolerations as unknown[])[0], {
            key: "nvidia.com/gpu",
            operator: "Exists",
            effect: "NoSchedule",
        });
        const provider = find(prod.export, "pulumi:providers:kubernetes", "llm-k8s");
        assert.equal(release.provider, `${provider.urn}::${provider.id}`);
    });

    it("time-slices GPUs only when asked", () => {
        assert.equal(devicePluginConfig(undefined), "version: v1\nflags:\n  migStrategy: none\n");
        assert.equal(
            devicePluginConfig(4),
            "version: v1\nflags:\n  migStrategy: none\nsharing:\n  timeSlicing:\n    resources:\n      - name: nvidia.com/gpu\n        replicas: 4\n",
        );
        assert.deepEqual(
            (devicePluginValues(4).config as { map: { default: string } }).map.default,
            devicePluginConfig(4),
        );
        assert.deepEqual(validateNvidiaDevicePluginArgs({ timeSlicingReplicas: 1, chartVersion: "latest" }), [
            "timeSlicingReplicas: expected an integer between 2 and 48, received 1",
            'chartVersion: expected an exact version such as 0.18.0, received "latest"',
        ]);
    });
});

describe("Kubernetes objects of the stacks", () => {
    for (const stack of ["staging", "prod"] as const) {
        it(`${stack}: every object validates against the Kubernetes schema`, async () => {
            const resources = (await planOf(stack)).export.deployment.resources;
            assert.ok(kubernetesObjects(resources).length > 0);
            assert.deepEqual(kubernetesSchemaErrors(resources), []);
        });
    }

    it("the schema check catches a malformed object", () => {
        const bad: ExportedResource = {
            urn: "urn:pulumi:s::p::kubernetes:core/v1:Namespace::bad",
            custom: true,
            type: "kubernetes:core/v1:Namespace",
            inputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: 5 } },
        };
        assert.deepEqual(kubernetesSchemaErrors([bad]), ["bad: data/metadata/name must be string"]);
        const unknown: ExportedResource = {
            ...bad,
            urn: "urn:x::y",
            type: "kubernetes:example.com/v1:Widget",
            inputs: {},
        };
        const badCanary: ExportedResource = {
            ...bad,
            urn: "urn:x::c",
            type: "kubernetes:flagger.app/v1beta1:Canary",
            inputs: {
                apiVersion: "flagger.app/v1beta1",
                kind: "Canary",
                metadata: { name: "c" },
                spec: {
                    service: { port: 80 },
                    analysis: { interval: "1m", threshold: 5, stepWeight: 10, maxWeight: "50" },
                },
            },
        };
        // Against Flagger's own CRD (v1.44.0).
        assert.deepEqual(kubernetesSchemaErrors([badCanary]), [
            "c: /spec must have required property 'targetRef'",
            "c: /spec/analysis/maxWeight must be number",
        ]);
        const [error] = kubernetesSchemaErrors([unknown]);
        assert.equal(error, "y: no Kubernetes schema for kubernetes:example.com/v1:Widget");
    });
});
