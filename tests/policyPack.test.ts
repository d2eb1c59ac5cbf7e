import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import * as aws from "../policies/aws";
import { POLICIES, PACK_NAME } from "../policies/pack";
import * as stackPolicies from "../policies/stack";
import { iamNoPrivilegeEscalation, iamNoUnscopedWrites } from "../policies/awsIam";
import { securityGroupRestricted } from "../policies/awsNetwork";
import { GOOD_IMAGE, goodDeployment } from "../policies/fixtures";
import {
    k8sAllowedRegistries,
    k8sNoBarePods,
    k8sResources,
    k8sServiceExposure,
    qualifiedImage,
    registryPattern,
} from "../policies/kubernetes";
import {
    k8sBaselineCapabilities,
    k8sDropAllCapabilities,
    k8sSeccompNotUnconfined,
    PSS_LEVELS,
} from "../policies/podSecurity";
import { runResourcePolicy, runStackPolicy, UNKNOWN, type TestResource } from "../policies/testing";
import { TIER_POLICY_CONFIG } from "../policies/tiers";

import type { StackExport } from "../tools/engine/stackExport";
import { find, PROJECT_DIR } from "./helpers";
import { BAD_STACK_POLICIES, badStack } from "./badStack";
import { evaluatePack, type PolicyConfigFile } from "./packEvaluation";
import { planOf } from "./plans";

const config = (tier: "staging" | "prod"): PolicyConfigFile =>
    JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "pack", "config", `${tier}.json`), "utf8")) as PolicyConfigFile;

describe("the policy pack", () => {
    let prod: StackExport;
    let ecs: StackExport;
    const copy = (): StackExport => JSON.parse(JSON.stringify(prod)) as StackExport;
    before(async () => {
        prod = (await planOf("prod")).export;
        ecs = (await planOf("ecs")).export;
    });

    it("is llm-production-standards, every policy with a Checks-whether description, severity, remediation and a mandatory default (advisory only for what the pack cannot see)", () => {
        assert.equal(PACK_NAME, "llm-production-standards");
        const names = POLICIES.map((p) => p.name);
        assert.equal(new Set(names).size, names.length, "unique names");
        for (const p of POLICIES) {
            assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, p.name);
            assert.match(p.description, /^Checks whether /, p.name);
            assert.ok(p.severity && p.remediationSteps, p.name);
            assert.equal(p.enforcementLevel, p.name === "k8s-workloads-visible" ? "advisory" : "mandatory", p.name);
        }
        for (const tier of ["staging", "prod"] as const) {
            for (const key of Object.keys(config(tier)))
                assert.ok(key === "all" || names.includes(key), `${tier}.json names unknown policy ${key}`);
        }
    });

    it("passes the shipped prod stack with no violation at all, and staging with no mandatory one", async () => {
        assert.deepEqual(await evaluatePack(prod, config("prod")), []);
        const staging = (await planOf("staging")).export;
        assert.deepEqual(
            (await evaluatePack(staging, config("staging"))).filter((f) => f.level === "mandatory"),
            [],
        );
        const ecsFindings = await evaluatePack(ecs, config("staging"));
        assert.deepEqual(
            ecsFindings.filter((f) => f.level === "mandatory"),
            [],
        );
        assert.deepEqual(
            ecsFindings.map((f) => `${f.level} ${f.policy}`),
            [
                "advisory alb-listener-https",
                "advisory alb-listener-https",
                "advisory alb-listener-rule-https",
                "advisory alb-listener-rule-https",
            ],
            "HTTP without a certificate is advisory in staging (the listeners and their forwarding rules)",
        );
    });

    it("fails a deliberately bad stack with exactly the expected policies", async () => {
        const bad = badStack(prod);
        const findings = await evaluatePack(bad, config("prod"));
        assert.deepEqual([...new Set(findings.map((f) => f.policy))].sort(), BAD_STACK_POLICIES);
        assert.ok(findings.every((f) => f.level === "mandatory"));
        assert.deepEqual(
            findings.find((f) => f.policy === "s3-bucket-hardened")?.message,
            "public access is not fully blocked (all four public access block settings)",
        );
    });

    const awsCases: Array<
        [ResourceValidationPolicy, string, string, (inputs: Record<string, unknown>) => void, string]
    > = [
        [
            aws.eksClusterHardened,
            "aws:eks/cluster:Cluster",
            "llm-cluster",
            (i) =>
                void (i.vpcConfig = {
                    ...(i.vpcConfig as object),
                    endpointPublicAccess: true,
                    publicAccessCidrs: ["0.0.0.0/0"],
                }),
            "the API endpoint is public to the internet: make it private or list publicAccessCidrs",
        ],
        [
            aws.launchTemplateImdsv2,
            "aws:ec2/launchTemplate:LaunchTemplate",
            "gpu-inference-launch-template",
            (i) => void ((i.metadataOptions as Record<string, unknown>).httpPutResponseHopLimit = 2),
            "the metadata hop limit is 2; it must be 1",
        ],
        [
            aws.kmsKeyRotation,
            "aws:kms/key:Key",
            "models-key",
            (i) => void (i.enableKeyRotation = false),
            "key rotation is off",
        ],
        [
            aws.iamNoWildcardActions,
            "aws:iam/policy:Policy",
            "models-read-policy",
            (i) =>
                void (i.policy = JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
                })),
            'the policy allows "s3:*"',
        ],
        [
            aws.requiredTags,
            "aws:s3/bucket:Bucket",
            "models-bucket",
            (i) => void delete (i.tags as Record<string, string>).Owner,
            "missing tags: Owner",
        ],
    ];
    for (const [policy, type, name, change, message] of awsCases) {
        it(`${policy.name}: passes the prod stack's ${name} and reports one change`, async () => {
            const resource = find(copy(), type, name);
            assert.deepEqual((await runResourcePolicy(policy, { type, props: resource.inputs! })).violations, []);
            change(resource.inputs!);
            assert.deepEqual((await runResourcePolicy(policy, { type, props: resource.inputs! })).violations, [
                message,
            ]);
        });
    }

    it("ecr-repository-hardened: passes the prod stack's inference-repository and reports one change", async () => {
        const resource = find(copy(), "aws:ecr/repository:Repository", "inference-repository");
        const run = async () =>
            (await runStackPolicy(aws.ecrRepositoryHardened, [{ type: resource.type, props: resource.inputs! }]))
                .violations;
        assert.deepEqual(await run(), []);
        resource.inputs!.imageScanningConfiguration = { scanOnPush: false };
        assert.deepEqual(await run(), [
            "urn:pulumi:test::test::aws:ecr/repository:Repository::resource: scanOnPush must be true, or a registry scanning configuration must scan this repository on push",
        ]);
    });

    it("ecr-repository-hardened: takes the registry's scanning on push, in the stack or named in its configuration", async () => {
        const repo = (name: string) => ({
            type: "aws:ecr/repository:Repository",
            name,
            props: {
                name,
                imageTagMutability: "IMMUTABLE",
                encryptionConfigurations: [{ encryptionType: "KMS" }],
            },
        });
        const registry = (scanType: string, scanFrequency: string, filter: string) => ({
            type: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
            name: "registry",
            props: { scanType, rules: [{ scanFrequency, repositoryFilters: [{ filter, filterType: "WILDCARD" }] }] },
        });
        const flagged = async (resources: Parameters<typeof runStackPolicy>[1], config = {}) =>
            (await runStackPolicy(aws.ecrRepositoryHardened, resources, config)).violations.map((v) =>
                v.replace(/^.*::/, ""),
            );
        const unscanned =
            "scanOnPush must be true, or a registry scanning configuration must scan this repository on push";
        assert.deepEqual(await flagged([repo("llm-models"), registry("ENHANCED", "CONTINUOUS_SCAN", "llm-*")]), []);
        assert.deepEqual(await flagged([repo("llm-models"), registry("BASIC", "SCAN_ON_PUSH", "*")]), []);
        const overridden =
            "the registry scanning configuration does not scan this repository on push (it overrides the repository's own scanOnPush)";
        assert.deepEqual(await flagged([repo("llm-models"), registry("BASIC", "MANUAL", "*")]), [
            `llm-models: ${overridden}`,
        ]);
        assert.deepEqual(await flagged([repo("llm-models"), registry("ENHANCED", "SCAN_ON_PUSH", "prod-*")]), [
            `llm-models: ${overridden}`,
        ]);
        assert.deepEqual(await flagged([repo("llm.models+x")], { registryScanFilters: ["llm.models+*"] }), []);
        assert.deepEqual(await flagged([repo("llmXmodels")], { registryScanFilters: ["llm.models*"] }), [
            `llmXmodels: ${unscanned}`,
        ]);
    });

    it("reads the shapes a @pulumi/aws user writes that a naive check misses (issue 33)", async () => {
        const statement = (st: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [st] });
        const iam = async (type: string, props: Record<string, unknown>) =>
            (await runResourcePolicy(aws.iamNoWildcardActions, { type, props })).violations;
        // Any service's every action (FSBP IAM.21), in any case; Allow with NotAction.
        assert.deepEqual(
            await iam("aws:iam/policy:Policy", {
                policy: statement({ Effect: "Allow", Action: "iam:*", Resource: "*" }),
            }),
            ['the policy allows "iam:*"'],
        );
        assert.deepEqual(
            await iam("aws:iam/policy:Policy", {
                policy: statement({ Effect: "Allow", Action: ["s3:GetObject", "S3:*"], Resource: "*" }),
            }),
            ['the policy allows "S3:*"'],
        );
        assert.deepEqual(
            await iam("aws:iam/rolePolicy:RolePolicy", {
                policy: statement({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }),
            }),
            ['the policy allows "NotAction iam:* (everything else)"'],
        );
        // User and group policies, a role's inline policies, and a document given as an object.
        for (const type of ["aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"])
            assert.deepEqual(
                await iam(type, {
                    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
                }),
                ['the policy allows "*"'],
            );
        assert.deepEqual(
            await iam("aws:iam/role:Role", {
                assumeRolePolicy: "{}",
                inlinePolicies: [
                    { name: "admin", policy: statement({ Effect: "Allow", Action: "ec2:*", Resource: "*" }) },
                ],
            }),
            ['the policy allows "ec2:*" (inline policy admin)'],
        );
        // What is fine stays fine: named actions, a Deny of everything, a wildcard inside an action name.
        assert.deepEqual(
            await iam("aws:iam/policy:Policy", {
                policy: JSON.stringify({
                    Statement: [
                        { Effect: "Allow", Action: ["s3:GetObject", "s3:List*"], Resource: "*" },
                        { Effect: "Deny", Action: "*", Resource: "*" },
                    ],
                }),
            }),
            [],
        );

        // EKS: an empty list is the default 0.0.0.0/0, and blocks may add up to the whole internet.
        const eks = async (publicAccessCidrs: string[] | undefined) =>
            (
                await runResourcePolicy(aws.eksClusterHardened, {
                    type: "aws:eks/cluster:Cluster",
                    props: {
                        encryptionConfig: { resources: ["secrets"] },
                        enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
                        vpcConfig: { endpointPublicAccess: true, ...(publicAccessCidrs ? { publicAccessCidrs } : {}) },
                    },
                })
            ).violations;
        const open = ["the API endpoint is public to the internet: make it private or list publicAccessCidrs"];
        for (const cidrs of [
            undefined,
            [],
            ["0.0.0.0/0"],
            ["0.0.0.0/1", "128.0.0.0/1"],
            ["10.0.0.0/8", "0.0.0.0/0"],
            ["10.0.0.0/8", "::/0"],
        ])
            assert.deepEqual(await eks(cidrs), open, JSON.stringify(cidrs));
        for (const cidrs of [["203.0.113.0/24"], ["0.0.0.0/1"], ["0.0.0.0/1", "128.0.0.0/2"]])
            assert.deepEqual(await eks(cidrs), [], JSON.stringify(cidrs));
        assert.equal(aws.coversInternet(["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"]), true);
        assert.equal(aws.coversInternet(["0.0.0.0/1", "192.0.0.0/2"]), false);

        // Stricter than asked is not flagged: no metadata endpoint at all; keys AWS cannot rotate.
        assert.deepEqual(
            (
                await runResourcePolicy(aws.launchTemplateImdsv2, {
                    type: "aws:ec2/launchTemplate:LaunchTemplate",
                    props: { metadataOptions: { httpEndpoint: "disabled" } },
                })
            ).violations,
            [],
        );
        for (const custom of [{ customKeyStoreId: "cks-1234567890abcdef0" }, { xksKeyId: "ext-key-1" }])
            assert.deepEqual(
                (await runResourcePolicy(aws.kmsKeyRotation, { type: "aws:kms/key:Key", props: custom })).violations,
                [],
            );
        for (const customerMasterKeySpec of ["RSA_2048", "ECC_NIST_P256", "HMAC_256"])
            assert.deepEqual(
                (
                    await runResourcePolicy(aws.kmsKeyRotation, {
                        type: "aws:kms/key:Key",
                        props: { customerMasterKeySpec },
                    })
                ).violations,
                [],
            );
        assert.deepEqual(
            (
                await runResourcePolicy(aws.kmsKeyRotation, {
                    type: "aws:kms/key:Key",
                    props: { customerMasterKeySpec: "SYMMETRIC_DEFAULT" },
                })
            ).violations,
            ["key rotation is off"],
        );
    });

    it("holds Aurora to the RDS standard, takes a final snapshot, and reads only HTTP listeners as plain HTTP (issue 33)", async () => {
        const rds = async (type: string, props: Record<string, unknown>) =>
            (await runResourcePolicy(aws.rdsInstanceHardened, { type, props })).violations;
        const hardened = { storageEncrypted: true, backupRetentionPeriod: 7, deletionProtection: true };
        assert.deepEqual(await rds("aws:rds/cluster:Cluster", hardened), []);
        assert.deepEqual(
            await rds("aws:rds/cluster:Cluster", {
                ...hardened,
                backupRetentionPeriod: undefined,
                skipFinalSnapshot: true,
            }),
            [
                "automated backups are kept 1 days; keep at least 7",
                "no final snapshot is taken on deletion (skipFinalSnapshot: true)",
            ],
        );
        assert.deepEqual(await rds("aws:rds/instance:Instance", { ...hardened, skipFinalSnapshot: true }), [
            "no final snapshot is taken on deletion (skipFinalSnapshot: true)",
        ]);
        assert.deepEqual(await rds("aws:rds/clusterInstance:ClusterInstance", { publiclyAccessible: true }), [
            "the instance is publicly accessible",
        ]);
        assert.deepEqual(await rds("aws:rds/clusterInstance:ClusterInstance", {}), []);

        // Stateful resources beyond the reference stacks' own: Aurora, DynamoDB, EFS, BucketV2.
        const stateful = [
            "aws:rds/cluster:Cluster",
            "aws:dynamodb/table:Table",
            "aws:efs/fileSystem:FileSystem",
            "aws:s3/bucketV2:BucketV2",
        ];
        const run = await runStackPolicy(stackPolicies.statefulResourcesProtected, [
            ...stateful.map((type, i) => ({
                type,
                props: {},
                name: `r${i}`,
                urn: `urn:pulumi:prod::p::${type}::r${i}`,
            })),
            {
                type: "aws:rds/cluster:Cluster",
                props: {},
                name: "kept",
                urn: "urn:pulumi:prod::p::aws:rds/cluster:Cluster::kept",
                protect: true,
            },
        ]);
        assert.deepEqual(
            run.violations,
            stateful.map((type, i) => `urn:pulumi:prod::p::${type}::r${i}: ${type} is not protected`),
        );

        const listener = async (props: Record<string, unknown>) =>
            (await runResourcePolicy(aws.albListenerHttps, { type: "aws:lb/listener:Listener", props })).violations;
        const forward = [
            { type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1" },
        ];
        for (const protocol of ["TCP", "UDP", "TCP_UDP", "TLS", "GENEVE", "HTTPS"])
            assert.deepEqual(await listener({ port: 443, protocol, defaultActions: forward }), [], protocol);
        for (const protocol of ["HTTP", undefined])
            assert.deepEqual(await listener({ port: 80, protocol, defaultActions: forward }), [
                "the listener on port 80 serves plain HTTP",
            ]);
    });

    it("ecs-task-hardened, alb-hardened and alb-listener-https pass the ECS stack's hardened parts and catch their breaches", async () => {
        const doc = JSON.parse(JSON.stringify(ecs)) as StackExport;
        const task = find(doc, "aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task");
        assert.deepEqual(
            (await runResourcePolicy(aws.ecsTaskHardened, { type: task.type, props: task.inputs! })).violations,
            [],
        );
        const defs = JSON.parse(String(task.inputs!.containerDefinitions)) as Array<Record<string, unknown>>;
        defs[1].user = "0";
        (defs[1].environment as Array<{ name: string; value: string }>).push({ name: "HF_TOKEN", value: "hf_x" });
        task.inputs!.containerDefinitions = JSON.stringify(defs);
        assert.deepEqual(
            (await runResourcePolicy(aws.ecsTaskHardened, { type: task.type, props: task.inputs! })).violations,
            [
                'container "inference" must run as a numeric non-root user, not "0"',
                'container "inference" passes HF_TOKEN as a plain environment value; use secrets (Secrets Manager or SSM)',
            ],
        );
        // Other common names of a credential, and a connection URL that carries its password.
        for (const [name, value] of [
            ["DB_PASS", "x"],
            ["MYSQL_PWD", "x"],
            ["PGPASSWORD", "x"],
            ["MLFLOW_PASSPHRASE", "x"],
            ["DATABASE_URL", "postgresql://app:s3cret@db.internal:5432/app"],
        ]) {
            const leaky = JSON.parse(JSON.stringify(defs)) as typeof defs;
            leaky[1].user = "10001";
            leaky[1].environment = [{ name, value }];
            assert.deepEqual(
                (
                    await runResourcePolicy(aws.ecsTaskHardened, {
                        type: task.type,
                        props: { ...task.inputs!, containerDefinitions: JSON.stringify(leaky) },
                    })
                ).violations,
                [
                    `container "inference" passes ${name} as a plain environment value; use secrets (Secrets Manager or SSM)`,
                ],
                name,
            );
        }
        // Not a credential: a URL without a password, a name that only contains PASS.
        const fine = JSON.parse(JSON.stringify(defs)) as typeof defs;
        fine[1].user = "10001";
        fine[1].environment = [
            { name: "MODEL_URL", value: "s3://bucket/models/v1" },
            { name: "PROXY", value: "http://proxy.internal:3128" },
            { name: "BYPASS_CACHE", value: "1" },
            // The shell's working directory, a pass-through switch, tokenizer and token-count settings.
            { name: "PWD", value: "/app" },
            { name: "PASS_THROUGH", value: "1" },
            { name: "TOKENIZERS_PARALLELISM", value: "false" },
            { name: "MAX_TOTAL_TOKENS", value: "4096" },
        ];
        assert.deepEqual(
            (
                await runResourcePolicy(aws.ecsTaskHardened, {
                    type: task.type,
                    props: { ...task.inputs!, containerDefinitions: JSON.stringify(fine) },
                })
            ).violations,
            [],
        );
        // Unknown in a preview (built from another resource's output): the policy cannot run, and
        // says so; never the false mandatory "not valid JSON" it reported before (issue 33).
        const preview = await runResourcePolicy(aws.ecsTaskHardened, {
            type: task.type,
            props: { ...task.inputs!, containerDefinitions: UNKNOWN },
        });
        assert.deepEqual(preview.violations, []);
        assert.match(preview.unknown ?? "", /containerDefinitions/);
        const alb = find(doc, "aws:lb/loadBalancer:LoadBalancer", "inference-ecs-alb");
        assert.deepEqual(
            (await runResourcePolicy(aws.albHardened, { type: alb.type, props: alb.inputs! })).violations,
            [],
        );
        alb.inputs!.dropInvalidHeaderFields = false;
        assert.deepEqual(
            (await runResourcePolicy(aws.albHardened, { type: alb.type, props: alb.inputs! })).violations,
            ["dropInvalidHeaderFields must be true"],
        );
        const redirect = {
            type: "aws:lb/listener:Listener",
            props: {
                port: 80,
                protocol: "HTTP",
                defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS" } }],
            },
        };
        assert.deepEqual((await runResourcePolicy(aws.albListenerHttps, redirect)).violations, []);
    });

    it("stack policies name the resource that breaks them", async () => {
        assert.deepEqual(
            stackPolicies.STACK_POLICIES.map((p) => p.name),
            [
                "s3-bucket-hardened",
                "k8s-pdb-for-serving",
                "k8s-networkpolicy-for-serving",
                "k8s-monitored-serving",
                "stateful-resources-protected",
                "gpu-budget",
            ],
        );
        const bad = copy();
        bad.deployment.resources = bad.deployment.resources.filter(
            (x) =>
                !x.urn.endsWith("PodDisruptionBudget::chat-green") &&
                !x.urn.endsWith("NetworkPolicy::chat-ingress") &&
                !x.urn.endsWith("ServiceMonitor::monitoring-chat"),
        );
        const findings = await evaluatePack(bad, config("prod"));
        assert.deepEqual(findings.map((f) => `${f.policy} ${f.urn.split("::").pop()}: ${f.message}`).sort(), [
            "k8s-monitored-serving chat-blue: no ServiceMonitor scrapes this serving Deployment's pods (through a Service that selects them)",
            "k8s-monitored-serving chat-green: no ServiceMonitor scrapes this serving Deployment's pods (through a Service that selects them)",
            "k8s-networkpolicy-for-serving chat-blue: no NetworkPolicy selects this serving Deployment's pods",
            "k8s-networkpolicy-for-serving chat-green: no NetworkPolicy selects this serving Deployment's pods",
            "k8s-pdb-for-serving chat-green: no PodDisruptionBudget covers this serving Deployment",
        ]);
    });

    it("gpu-budget caps one model by name over the cap for every model, and names a model it cannot price", async () => {
        const prodConfig = config("prod");
        const capped = {
            ...prodConfig,
            "gpu-budget": { ...(prodConfig["gpu-budget"] as object), models: { embed: 4000, chat: 8000 } },
        } as PolicyConfigFile;
        const budget = (doc: StackExport, file: PolicyConfigFile) =>
            evaluatePack(doc, file).then((fs) =>
                fs.filter((f) => f.policy === "gpu-budget").map((f) => `${f.urn.split("::").pop()}: ${f.message}`),
            );
        // embed's ceiling is $4,112.50: over its own cap of $4,000; chat's $7,962.84 is under $8,000.
        assert.deepEqual(await budget(prod, capped), [
            "embed-blue: model embed's GPUs could cost $4,112.50 a month on-demand at maximum scale (7 GPUs on pool gpu-small), over its budget of $4,000.00",
        ]);
        // A model whose pods select no priced node group cannot be checked against its cap.
        const unpriced = copy();
        unpriced.deployment.resources = unpriced.deployment.resources.filter(
            (r) => !r.urn.endsWith("NodeGroup::gpu-small-node-group"),
        );
        assert.deepEqual(await budget(unpriced, capped), [
            "embed-blue: cannot price the GPUs of model embed: its pods select no priced node group",
            "router-blue: cannot price the GPUs of model router: its pods select no priced node group",
        ]);
    });
});

describe("the Kubernetes half's last mismatches (issue 33)", () => {
    type Container = {
        securityContext: Record<string, unknown>;
        resources: { limits: Record<string, unknown> };
    };
    const deployment = (change: (c: Container, pod: Record<string, unknown>) => void): TestResource => {
        const d = goodDeployment();
        const pod = (d.props.spec as { template: { spec: Record<string, unknown> } }).template.spec;
        change((pod.containers as Container[])[0], pod);
        return d;
    };
    const run = async (policy: ResourceValidationPolicy, r: TestResource, config = {}) =>
        (await runResourcePolicy(policy, r, config)).violations;

    it("compares added capabilities as written, as the Pod Security admission does: CAP_SETPCAP is beyond baseline", async () => {
        const adding = (caps: string[]) =>
            deployment((c) => void (c.securityContext.capabilities = { drop: ["ALL"], add: caps }));
        assert.deepEqual(await run(k8sBaselineCapabilities, adding(["SETPCAP", "CHOWN"])), []);
        assert.deepEqual(await run(k8sBaselineCapabilities, adding(["CAP_SETPCAP", "SYS_ADMIN"])), [
            'container "inference" adds CAP_SETPCAP, SYS_ADMIN, beyond the baseline profile',
        ]);
        assert.deepEqual(await run(k8sDropAllCapabilities, adding(["CAP_SETPCAP"])), [
            'container "inference" adds CAP_SETPCAP: only NET_BIND_SERVICE may be added (CAP_SETPCAP is beyond even the baseline profile)',
        ]);
    });

    it("holds the baseline parts of the capability and seccomp controls mandatory in staging", async () => {
        assert.equal(PSS_LEVELS["k8s-baseline-capabilities"], "baseline");
        assert.equal(PSS_LEVELS["k8s-seccomp-not-unconfined"], "baseline");
        for (const name of Object.keys(PSS_LEVELS).filter((n) => PSS_LEVELS[n] === "baseline"))
            assert.equal(TIER_POLICY_CONFIG.staging[name], "mandatory", name);
        const unconfined = deployment((c) => void (c.securityContext.seccompProfile = { type: "Unconfined" }));
        assert.deepEqual(await run(k8sSeccompNotUnconfined, unconfined), [
            'container "inference" sets seccompProfile.type: Unconfined',
        ]);
        const unset = deployment((_c, pod) => void delete pod.securityContext);
        assert.deepEqual(
            await run(k8sSeccompNotUnconfined, unset),
            [],
            "unset is restricted's concern, not baseline's",
        );
    });

    it("does not demand a CPU limit unless configured (it throttles inference servers)", async () => {
        const noCpuLimit = deployment((c) => void delete c.resources.limits.cpu);
        assert.deepEqual(await run(k8sResources, noCpuLimit), []);
        assert.deepEqual(await run(k8sResources, noCpuLimit, { requireCpuLimit: true }), [
            'container "inference" has no limits.cpu',
        ]);
        const noMemoryLimit = deployment((c) => void delete c.resources.limits.memory);
        assert.deepEqual(await run(k8sResources, noMemoryLimit), ['container "inference" has no limits.memory']);
    });

    it("prod allows images from ECR, the model-sync image's path and vLLM's repository only; `*` stops at a slash", async () => {
        const prodRegistries = (TIER_POLICY_CONFIG.prod["k8s-allowed-registries"] as { allowedRegistries: string[] })
            .allowedRegistries;
        assert.deepEqual(prodRegistries, [
            "*.dkr.ecr.*.amazonaws.com",
            "public.ecr.aws/aws-cli",
            "docker.io/vllm/vllm-openai",
        ]);
        const image = (ref: string) => deployment((c) => void ((c as unknown as { image: string }).image = ref));
        const allowed = { allowedRegistries: prodRegistries };
        assert.deepEqual(await run(k8sAllowedRegistries, image(GOOD_IMAGE), allowed), []);
        assert.deepEqual(await run(k8sAllowedRegistries, image("public.ecr.aws/aws-cli/aws-cli:2.22.35"), allowed), []);
        assert.deepEqual(
            await run(k8sAllowedRegistries, image(`vllm/vllm-openai:v0.11.0@sha256:${"b".repeat(64)}`), allowed),
            [],
        );
        for (const ref of [
            "docker.io/library/nginx:1.27",
            "evil.example/x.dkr.ecr.a.amazonaws.com/img:1",
            "111122223333.dkr.ecr.us-east-1.amazonaws.com.evil.example/img:1",
            "public.ecr.aws/aws-cli-fork/aws-cli:1",
            "vllm/vllm-openai-fork:1",
            "nginx:1.27",
        ])
            assert.deepEqual(await run(k8sAllowedRegistries, image(ref), allowed), [
                `container "inference" image "${ref}" is not from an allowed registry`,
            ]);
    });

    it("writes out Docker Hub's implicit registry as distribution/reference does, and matches prefixes at a boundary", () => {
        const table: Array<[string, string]> = [
            ["nginx:1.27", "docker.io/library/nginx:1.27"],
            ["vllm/vllm-openai:v0.11.0", "docker.io/vllm/vllm-openai:v0.11.0"],
            ["docker.io/nginx", "docker.io/library/nginx"],
            ["index.docker.io/vllm/vllm-openai:v1", "docker.io/vllm/vllm-openai:v1"],
            ["localhost/img:1", "localhost/img:1"],
            ["localhost:5000/img:1", "localhost:5000/img:1"],
            ["Registry/img:1", "registry/img:1"],
            [
                "111122223333.DKR.ECR.us-east-1.amazonaws.com/x@sha256:ab",
                "111122223333.dkr.ecr.us-east-1.amazonaws.com/x@sha256:ab",
            ],
        ];
        for (const [image, qualified] of table) assert.equal(qualifiedImage(image), qualified, image);
        const vllm = registryPattern("docker.io/vllm/vllm-openai");
        assert.ok(vllm.test("docker.io/vllm/vllm-openai:v1"));
        assert.ok(vllm.test("docker.io/vllm/vllm-openai@sha256:ab"));
        assert.ok(!vllm.test("docker.io/vllm/vllm-openai-evil:v1"));
        const ecr = registryPattern("*.dkr.ecr.*.amazonaws.com");
        assert.ok(ecr.test("111122223333.dkr.ecr.us-east-1.amazonaws.com/x:1"));
        assert.ok(!ecr.test("evil.example/x.dkr.ecr.a.amazonaws.com/x:1"));
    });

    it("refuses seccomp types other than RuntimeDefault and Localhost at the baseline, unset passing", async () => {
        const typed = (type: string) => deployment((c) => void (c.securityContext.seccompProfile = { type }));
        assert.deepEqual(await run(k8sSeccompNotUnconfined, typed("Localhost")), []);
        assert.deepEqual(await run(k8sSeccompNotUnconfined, typed("unconfined")), [
            'container "inference" sets seccompProfile.type: unconfined',
        ]);
    });

    it("refuses NodePort Services, externalIPs and bare Pods", async () => {
        const service = (spec: Record<string, unknown>): TestResource => ({
            type: "kubernetes:core/v1:Service",
            props: { metadata: { name: "s" }, spec: { ports: [{ port: 80 }], ...spec } },
        });
        assert.deepEqual(await run(k8sServiceExposure, service({ type: "ClusterIP" })), []);
        assert.deepEqual(
            await run(k8sServiceExposure, {
                ...service({ type: "NodePort" }),
                type: "kubernetes:core/v1:ServicePatch",
            }),
            ["the Service is of type NodePort: it opens a port on every node"],
        );
        assert.deepEqual(await run(k8sServiceExposure, service({ type: "LoadBalancer" })), []);
        assert.deepEqual(await run(k8sServiceExposure, service({ type: "NodePort", externalIPs: ["203.0.113.7"] })), [
            "the Service is of type NodePort: it opens a port on every node",
            'the Service claims externalIPs ["203.0.113.7"] (CVE-2020-8554)',
        ]);
        const pod = goodDeployment();
        const bare: TestResource = {
            type: "kubernetes:core/v1:Pod",
            props: { metadata: { name: "p" }, spec: (pod.props.spec as { template: { spec: unknown } }).template.spec },
        };
        assert.deepEqual(await run(k8sNoBarePods, bare), ["a bare Pod: nothing recreates it when its node goes"]);
        assert.equal((await runResourcePolicy(k8sNoBarePods, pod)).applicable, false);
    });
});

describe("issue 33's independent review, answered", () => {
    const only = async (policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>, config = {}) =>
        (await runResourcePolicy(policy, { type, props }, config)).violations;

    it("ECR: a filter without * matches any name containing it, and the registry's configuration overrides the repository's", async () => {
        const repo = (scanOnPush: boolean) => ({
            type: "aws:ecr/repository:Repository",
            name: "repo-prod-models",
            props: {
                name: "repo-prod-models",
                imageTagMutability: "IMMUTABLE",
                encryptionConfigurations: [{ encryptionType: "KMS" }],
                imageScanningConfiguration: { scanOnPush },
            },
        });
        const registry = (filter: string) => ({
            type: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
            name: "registry",
            props: {
                scanType: "BASIC",
                rules: [{ scanFrequency: "SCAN_ON_PUSH", repositoryFilters: [{ filter, filterType: "WILDCARD" }] }],
            },
        });
        const found = async (resources: TestResource[]) =>
            (await runStackPolicy(aws.ecrRepositoryHardened, resources)).violations.map((v) => v.replace(/^.*: /, ""));
        assert.deepEqual(await found([repo(false), registry("prod")]), []);
        assert.deepEqual(await found([repo(true), registry("staging")]), [
            "the registry scanning configuration does not scan this repository on push (it overrides the repository's own scanOnPush)",
        ]);
        const unknownName = { ...repo(false), props: { ...repo(false).props, imageTagMutability: UNKNOWN } };
        const other = { ...repo(false), name: "other", props: { ...repo(false).props, name: "other" } };
        assert.deepEqual(
            (await runStackPolicy(aws.ecrRepositoryHardened, [unknownName, other])).violations.map((v) =>
                v.replace(/^.*::/, ""),
            ),
            ["other: scanOnPush must be true, or a registry scanning configuration must scan this repository on push"],
            "an unknown value stops one repository's check, not the others'",
        );
    });

    it("IMDS: an instance from a launch template without its own options is the template's; IPv6 /0 in any spelling is the internet", async () => {
        assert.deepEqual(
            await only(aws.launchTemplateImdsv2, "aws:ec2/instance:Instance", { launchTemplate: { id: "lt-1" } }),
            [],
        );
        assert.deepEqual(await only(aws.launchTemplateImdsv2, "aws:ec2/instance:Instance", {}), [
            "IMDSv2 is not required (metadataOptions.httpTokens must be required)",
            "the metadata hop limit is unset; it must be 1",
        ]);
        assert.deepEqual(
            await only(securityGroupRestricted, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {
                cidrIpv6: "0::/0",
                ipProtocol: "tcp",
                fromPort: 22,
                toPort: 22,
            }),
            ["the internet may reach tcp port 22"],
        );
    });

    it("IAM: PassRole on every role by ARN is every resource; a bucket's objects are not; the controller's exemption holds when nested", async () => {
        const statement = (Resource: string) =>
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: "iam:PassRole", Resource }],
            });
        assert.equal(
            (
                await only(iamNoPrivilegeEscalation, "aws:iam/policy:Policy", {
                    policy: statement("arn:aws:iam::*:role/*"),
                })
            ).length,
            1,
        );
        assert.deepEqual(
            await only(iamNoPrivilegeEscalation, "aws:iam/policy:Policy", {
                policy: statement("arn:aws:iam::111122223333:role/inference"),
            }),
            [],
        );
        const reviewed = (TIER_POLICY_CONFIG.prod["iam-no-unscoped-writes"] as { reviewedUrns: string[] }).reviewedUrns;
        const nested =
            "urn:pulumi:prod::p::acme:Platform$llm-platform:k8s:LoadBalancerController$aws:iam/rolePolicy:RolePolicy::lbc-policy";
        const wide = JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "ec2:CreateSecurityGroup", Resource: "*" }],
        });
        const run = (urn: string) =>
            runResourcePolicy(
                iamNoUnscopedWrites,
                { type: "aws:iam/rolePolicy:RolePolicy", urn, props: { policy: wide } },
                { reviewedUrns: reviewed },
            );
        assert.deepEqual((await run(nested)).violations, []);
        assert.equal((await run("urn:pulumi:prod::p::aws:iam/rolePolicy:RolePolicy::lbc-policy")).violations.length, 1);
    });

    it("tags: an Auto Scaling group does not take the provider's defaultTags", async () => {
        const provider = {
            type: "pulumi:providers:aws",
            props: { defaultTags: JSON.stringify({ tags: { Owner: "ml", CostCenter: "cc-1" } }) },
        };
        const run = async (type: string) =>
            (await runResourcePolicy(aws.requiredTags, { type, props: {}, provider })).violations;
        assert.deepEqual(await run("aws:autoscaling/group:Group"), ["missing tags: Owner, CostCenter"]);
        assert.deepEqual(await run("aws:kms/key:Key"), []);
    });
});
