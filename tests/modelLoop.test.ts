/**
 * The model loop (issue 18): the MLflow registry (RDS, Secrets Manager, IRSA, the hardened server,
 * its alerts), releases that name a registered model, the retraining trigger (a CronJob and a KEDA
 * ScaledJob per model), and the registry client a promotion records the deployed version with.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dump } from "js-yaml";
import { isModelVersion, modelFolderOf, registryReference } from "../catalog/formats";
import { longestCronGapMinutes } from "../catalog/cron";
import { cooldownStarvesDrift } from "../catalog/standards";
import { TIER_DEFAULTS } from "../environments/defaults";
import { buildPodSpec, modelSyncCommand, modelVersionLabel } from "../components/k8s/inferenceWorkload";
import { finalSnapshotIdentifier } from "../components/registry/database";
import { validateModelRegistryArgs } from "../components/registry/modelRegistry";
import { registryRuleGroups } from "../components/registry/monitoring";
import {
    registryAllowedHosts,
    registryArtifactPolicy,
    REGISTRY_READY_PATH,
    REGISTRY_SCHEMA_SCRIPT,
} from "../components/registry/server";
import {
    driftTriggerQuery,
    retrainingJobSpec,
    retrainingPolicy,
    validateRetrainingTriggerArgs,
} from "../components/k8s/retraining";
import { validateWorkload } from "../components/k8s/workloadValidation";
import { resolveSettings } from "../environments/loader";
import { POLICIES } from "../policies/pack";
import { runResourcePolicy } from "../policies/testing";
import { deploymentTags, MlflowRegistryClient, RegistryError } from "../tools/promote/registry";
import { find, goodRawConfig, jsonServer, problemsIfAny, problemsOf } from "./helpers";
import { evaluatePack } from "./packEvaluation";
import { planOf } from "./plans";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `promtool test rules` of `tests` (its test cases) over `groups`, in a fresh folder; fails the test with promtool's output. */
function promtoolRules(groups: unknown[], tests: unknown[]): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "model-loop-rules-"));
    fs.writeFileSync(path.join(dir, "rules.yaml"), dump({ groups }));
    fs.writeFileSync(
        path.join(dir, "tests.yaml"),
        dump({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests }),
    );
    const r = spawnSync("promtool", ["test", "rules", path.join(dir, "tests.yaml")], { encoding: "utf8" });
    if (r.error) assert.fail("promtool is not installed: apt-get install prometheus (.ci/run does)");
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
}

/** A staging stack's raw config with `extra` keys set to JSON values, as `pulumi config set --path` leaves them. */
const cfg = (extra: Record<string, unknown>) =>
    goodRawConfig({
        "llm-platform:tier": "staging",
        ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, JSON.stringify(v)])),
    });

const DIGEST = `111122223333.dkr.ecr.us-east-1.amazonaws.com/train@sha256:${"a".repeat(64)}`;

describe("the model registry: MLflow on the cluster, PostgreSQL on RDS, artifacts in the bucket", () => {
    it("keeps its database encrypted, private, backed up, protected in prod, with the password in Secrets Manager only", async () => {
        const prod = await planOf("prod");
        const db = find(prod.export, "aws:rds/instance:Instance", "registry-db");
        const inputs = db.inputs as Inputs;
        const key = find(prod.export, "aws:kms/key:Key", "models-key").outputs as Inputs;
        assert.equal(inputs.engine, "postgres");
        assert.equal(inputs.engineVersion, "16");
        assert.equal(inputs.instanceClass, "db.t4g.medium");
        assert.equal(inputs.storageType, "gp3");
        assert.equal(inputs.allocatedStorage, 50);
        assert.equal(inputs.maxAllocatedStorage, 500);
        assert.equal(inputs.storageEncrypted, true);
        assert.equal(inputs.kmsKeyId, key.arn);
        assert.equal(inputs.publiclyAccessible, false);
        assert.equal(inputs.multiAz, true);
        assert.equal(inputs.backupRetentionPeriod, 14);
        assert.equal(inputs.deletionProtection, true);
        assert.equal(inputs.skipFinalSnapshot, false);
        // Per project and stack: staging's and prod's final snapshots in one account do not collide.
        assert.equal(inputs.finalSnapshotIdentifier, "llm-platform-prod-registry-db-final");
        assert.equal(
            finalSnapshotIdentifier("My_Project", "org/Stack--1", "registry"),
            "my-project-org-stack-1-registry-db-final",
        );
        assert.equal(finalSnapshotIdentifier("9lives", "x", "r"), "db-9lives-x-r-db-final");
        assert.equal(finalSnapshotIdentifier("p".repeat(300), "s", "r").length, 255);
        assert.equal(inputs.dbName, "mlflow");
        assert.equal(inputs.username, "mlflow");
        assert.equal(db.protect, true);
        const secret = find(prod.export, "aws:secretsmanager/secret:Secret", "registry-db");
        assert.equal(secret.protect, true);
        assert.equal((secret.inputs as Inputs).kmsKeyId, key.arn);
        assert.equal((secret.inputs as Inputs).recoveryWindowInDays, 30);
        // The subnets are the private ones; the security group admits PostgreSQL from the VPC only.
        const subnets = find(prod.export, "aws:rds/subnetGroup:SubnetGroup", "registry-db").inputs as Inputs;
        assert.deepEqual(subnets.subnetIds, prod.outputs.privateSubnetIds);
        const sg = find(prod.export, "aws:ec2/securityGroup:SecurityGroup", "registry-db").inputs as Inputs;
        assert.deepEqual(
            (sg.ingress as Inputs[]).map((r) => [r.protocol, r.fromPort, r.toPort, r.cidrBlocks]),
            [["tcp", 5432, 5432, ["10.0.0.0/16"]]],
        );
        // Staging keeps a cheaper, unprotected database.
        const staging = find((await planOf("staging")).export, "aws:rds/instance:Instance", "registry-db");
        assert.equal((staging.inputs as Inputs).deletionProtection, false);
        assert.equal((staging.inputs as Inputs).skipFinalSnapshot, true);
        assert.equal((staging.inputs as Inputs).multiAz, false);
        assert.ok(!staging.protect);
    });

    it("never puts the database password in config, in outputs or in the Deployment", async () => {
        const prod = await planOf("prod");
        // The database's password is a Pulumi secret wherever it goes, and no output carries it.
        const SECRET = "4dabf18193072939515e22adb298388d";
        const password = find(prod.export, "random:index/randomPassword:RandomPassword", "registry-db")
            .outputs as Inputs;
        assert.ok(SECRET in password.result);
        assert.ok(SECRET in (find(prod.export, "aws:rds/instance:Instance", "registry-db").inputs as Inputs).password);
        assert.ok(!JSON.stringify(prod.outputs).includes(password.result.fingerprint as string));
        assert.deepEqual(
            Object.keys(prod.outputs).filter((k) => /registry/i.test(k)),
            ["modelRegistryCredentialsSecretArn", "modelRegistryUri", "modelRegistryUrl"],
        );
        assert.equal(
            prod.outputs.modelRegistryCredentialsSecretArn,
            find(prod.export, "aws:secretsmanager/secret:Secret", "registry-db").outputs!.arn,
        );
        const deployment = find(prod.export, "kubernetes:apps/v1:Deployment", "registry-server").inputs as Inputs;
        const env = deployment.spec.template.spec.containers[0].env as Inputs[];
        assert.deepEqual(env[0], {
            name: "DB_PASSWORD",
            valueFrom: { secretKeyRef: { name: "mlflow-db", key: "password" } },
        });
        const address = (find(prod.export, "aws:rds/instance:Instance", "registry-db").outputs as Inputs).address;
        assert.equal(env[1].name, "MLFLOW_BACKEND_STORE_URI");
        // The driver named: SQLAlchemy 2.1 makes psycopg 3 the default for a bare postgresql://.
        assert.equal(
            env[1].value,
            `postgresql+psycopg2://mlflow:$(DB_PASSWORD)@${address}:5432/mlflow?sslmode=require`,
        );
        // Before a server starts, its schema is readied one pod at a time (a PostgreSQL advisory lock):
        // two replicas on a fresh database no longer race to create the same tables.
        const [schema] = deployment.spec.template.spec.initContainers as Inputs[];
        assert.equal(schema.name, "schema");
        assert.equal(schema.image, deployment.spec.template.spec.containers[0].image);
        assert.deepEqual(schema.command, ["python3", "-c", REGISTRY_SCHEMA_SCRIPT]);
        assert.deepEqual((schema.env as Inputs[]).slice(0, 2), env.slice(0, 2));
        assert.deepEqual(schema.securityContext, deployment.spec.template.spec.containers[0].securityContext);
        const script = REGISTRY_SCHEMA_SCRIPT.split("\n");
        // The line of the script holding `text`; a missing line fails here, not as a -1 that orders first.
        const at = (text: string): number => {
            const index = script.findIndex((l) => l.includes(text));
            assert.ok(index >= 0, `the schema script has no line with ${text}`);
            return index;
        };
        // Locked, then the store (the Default experiment keeps artifacts where the server's proxy puts
        // them, not in the pod), then the upgrade, then unlocked.
        assert.ok(
            at("pg_advisory_lock(") >= 0 && at("pg_advisory_lock(") < at('SqlAlchemyStore(uri, "mlflow-artifacts:/")'),
        );
        assert.ok(at('SqlAlchemyStore(uri, "mlflow-artifacts:/")') < at('["mlflow", "db", "upgrade", uri]'));
        assert.ok(at('["mlflow", "db", "upgrade", uri]') < at("pg_advisory_unlock("));
        // The Kubernetes Secret and the Secrets Manager version hold it, both as Pulumi secrets.
        const k8sSecret = find(prod.export, "kubernetes:core/v1:Secret", "registry-db").inputs as Inputs;
        assert.ok(SECRET in k8sSecret.stringData);
        const version = find(prod.export, "aws:secretsmanager/secretVersion:SecretVersion", "registry-db")
            .inputs as Inputs;
        assert.ok(SECRET in version.secretString);
    });

    it("runs the server hardened and probed, reading artifacts through its own role and the mlflow/ prefix only", async () => {
        const prod = await planOf("prod");
        const deployment = find(prod.export, "kubernetes:apps/v1:Deployment", "registry-server").inputs as Inputs;
        assert.equal(deployment.metadata.namespace, "mlflow");
        assert.equal(deployment.spec.replicas, 2);
        const pod = deployment.spec.template.spec;
        assert.equal(pod.serviceAccountName, "mlflow");
        assert.equal(pod.automountServiceAccountToken, false);
        const [c] = pod.containers as Inputs[];
        assert.deepEqual(c.command, ["mlflow", "server"]);
        const bucket = prod.outputs.modelBucketName as string;
        assert.deepEqual(c.args, [
            "--host",
            "0.0.0.0",
            "--port",
            "5000",
            "--serve-artifacts",
            "--artifacts-destination",
            `s3://${bucket}/mlflow`,
            "--workers",
            "2",
            "--expose-prometheus",
            "/tmp/prometheus",
        ]);
        assert.equal(
            c.image,
            (find(prod.export, "docker:index/image:Image", "mlflow-image").outputs as Inputs).repoDigest,
        );
        assert.deepEqual(c.startupProbe.httpGet, { path: "/health", port: 5000, scheme: "HTTP" });
        assert.deepEqual(c.livenessProbe.httpGet, { path: "/health", port: 5000, scheme: "HTTP" });
        assert.deepEqual(c.readinessProbe.httpGet, { path: REGISTRY_READY_PATH, port: 5000, scheme: "HTTP" });
        assert.deepEqual(c.securityContext, {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            privileged: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.equal(
            (c.env as Inputs[]).find((e) => e.name === "MLFLOW_SERVER_ALLOWED_HOSTS")!.value,
            registryAllowedHosts("mlflow"),
        );
        const role = find(prod.export, "aws:iam/role:Role", "registry-irsa");
        const trust = JSON.parse((role.inputs as Inputs).assumeRolePolicy as string);
        assert.match(JSON.stringify(trust.Statement[0].Condition), /system:serviceaccount:mlflow:mlflow/);
        const policy = find(prod.export, "aws:iam/rolePolicy:RolePolicy", "registry-artifacts").inputs as Inputs;
        const bucketArn = `arn:aws:s3:::${bucket}`;
        const keyArn = (find(prod.export, "aws:kms/key:Key", "models-key").outputs as Inputs).arn as string;
        assert.deepEqual(JSON.parse(policy.policy as string), JSON.parse(registryArtifactPolicy(bucketArn, keyArn)));
        assert.deepEqual(
            JSON.parse(registryArtifactPolicy("arn:aws:s3:::b", "k")).Statement[0].Resource,
            "arn:aws:s3:::b/mlflow/*",
        );
        const sa = find(prod.export, "kubernetes:core/v1:ServiceAccount", "registry-service-account").inputs as Inputs;
        assert.equal(sa.metadata.annotations["eks.amazonaws.com/role-arn"], (role.outputs as Inputs).arn);
        const pdb = find(prod.export, "kubernetes:policy/v1:PodDisruptionBudget", "registry-server").inputs as Inputs;
        assert.deepEqual(pdb.spec, {
            maxUnavailable: 1,
            selector: {
                matchLabels: { "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/component": "model-registry" },
            },
        });
    });

    it("admits only its clients, Prometheus and its internal load balancer's subnets (no pods there)", async () => {
        const prod = await planOf("prod");
        const np = find(prod.export, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "registry-ingress")
            .inputs as Inputs;
        assert.deepEqual(np.spec.ingress, [
            {
                from: [
                    ...["chat", "embed", "router", "retraining", "monitoring"].map((n) => ({
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
                    })),
                    // The public subnets, where its internal ALB sits: not the VPC, which holds every pod.
                    ...["10.0.128.0/22", "10.0.132.0/22", "10.0.136.0/22"].map((cidr) => ({ ipBlock: { cidr } })),
                ],
                ports: [{ port: 5000, protocol: "TCP" }],
            },
        ]);
        const ingress = find(prod.export, "kubernetes:networking.k8s.io/v1:Ingress", "registry-entry");
        const a = (ingress.inputs as Inputs).metadata.annotations as Record<string, string>;
        assert.equal(a["alb.ingress.kubernetes.io/scheme"], "internal");
        assert.equal(a["alb.ingress.kubernetes.io/group.name"], "llm-registry");
        assert.equal(a["alb.ingress.kubernetes.io/healthcheck-path"], "/health");
        assert.equal(a["alb.ingress.kubernetes.io/inbound-cidrs"], "10.0.0.0/8");
        assert.match(a["alb.ingress.kubernetes.io/subnets"], /^subnet-\w+,subnet-\w+,subnet-\w+$/);
        const host = (ingress.outputs as Inputs).status.loadBalancer.ingress[0].hostname as string;
        assert.equal(prod.outputs.modelRegistryUrl, `http://${host}`);
        assert.equal(prod.outputs.modelRegistryUri, "http://mlflow.mlflow.svc.cluster.local:5000");
        // The ALB's name passes the server's Host check; a public name does not.
        const patterns = registryAllowedHosts("mlflow").split(",");
        const allowed = (h: string) =>
            patterns.some((p) =>
                p.includes("*") ? new RegExp(`^${p.replace(/\./g, "\\.").replace(/\*/g, ".*")}$`).test(h) : p === h,
            );
        assert.ok(allowed(host));
        assert.ok(allowed("mlflow.mlflow.svc.cluster.local:5000"));
        assert.ok(allowed("10.0.12.7:5000"));
        assert.ok(allowed("172.20.1.5:5000"));
        assert.ok(!allowed("172.64.0.1:5000"), "172.64/10 is not a private range");
        assert.ok(!allowed("evil.example.com"));
    });

    it("is scraped and alerts when no server is available or it answers with errors (promtool)", () => {
        const groups = registryRuleGroups("mlflow", "https://runbooks.test/README.md");
        const labels = (alert: string, severity: string) => ({ alertname: alert, severity, service: "mlflow" });
        promtoolRules(groups, [
            {
                interval: "1m",
                input_series: [
                    {
                        series: 'kube_deployment_status_replicas_available{namespace="mlflow",deployment="mlflow"}',
                        values: "2x10 0x20",
                    },
                    {
                        series: 'mlflow_http_request_total{namespace="mlflow",status="200"}',
                        values: "0+100x40",
                    },
                    {
                        series: 'mlflow_http_request_total{namespace="mlflow",status="500"}',
                        values: "0+0x10 0+20x30",
                    },
                ],
                alert_rule_test: [
                    { eval_time: "9m", alertname: "LLMRegistryUnavailable", exp_alerts: [] },
                    {
                        eval_time: "20m",
                        alertname: "LLMRegistryUnavailable",
                        exp_alerts: [
                            {
                                exp_labels: labels("LLMRegistryUnavailable", "critical"),
                                exp_annotations: groups[0].rules[0].annotations,
                            },
                        ],
                    },
                    { eval_time: "12m", alertname: "LLMRegistryErrors", exp_alerts: [] },
                    {
                        eval_time: "35m",
                        alertname: "LLMRegistryErrors",
                        exp_alerts: [
                            {
                                exp_labels: labels("LLMRegistryErrors", "warning"),
                                exp_annotations: {
                                    ...groups[0].rules[1].annotations,
                                    summary: "The model registry answers 16.67% of requests with a server error",
                                },
                            },
                        ],
                    },
                ],
            },
            {
                // No series at all (the Deployment is gone): the registry is unavailable too.
                interval: "1m",
                input_series: [{ series: "up", values: "1x10" }],
                alert_rule_test: [
                    {
                        eval_time: "6m",
                        alertname: "LLMRegistryUnavailable",
                        exp_alerts: [
                            {
                                exp_labels: labels("LLMRegistryUnavailable", "critical"),
                                exp_annotations: groups[0].rules[0].annotations,
                            },
                        ],
                    },
                ],
            },
        ]);
    });

    it("passes the production pack at the stack's defaults, and the pack catches a public, unencrypted database", async () => {
        const prod = await planOf("prod");
        const prodConfig = JSON.parse(
            fs.readFileSync(path.join(__dirname, "..", "pack", "config", "prod.json"), "utf8"),
        );
        const findings = await evaluatePack(prod.export, prodConfig);
        assert.deepEqual(
            findings.filter((f) => /registry|retraining|mlflow/.test(f.urn)),
            [],
        );
        const policy = POLICIES.find((p) => p.name === "rds-instance-hardened")!;
        const run = await runResourcePolicy(policy as never, {
            type: "aws:rds/instance:Instance",
            props: {
                storageEncrypted: false,
                publiclyAccessible: true,
                backupRetentionPeriod: 0,
                deletionProtection: false,
            },
        });
        assert.deepEqual(run.violations, [
            "storage is not encrypted (storageEncrypted)",
            "the instance is publicly accessible",
            "automated backups are kept 0 days; keep at least 7",
            "deletion protection is off",
        ]);
    });

    it("refuses bad arguments, naming each", () => {
        const base = {
            vpcId: "vpc-1",
            subnetIds: [],
            vpcCidr: "10.0.0.0/16",
            bucketName: "b",
            bucketArn: "arn:aws:s3:::b",
            kmsKeyArn: "k",
            oidcProviderArn: "o",
            oidcIssuerUrl: "https://o",
            image: DIGEST,
        };
        assert.deepEqual(validateModelRegistryArgs(base), []);
        assert.deepEqual(
            validateModelRegistryArgs({
                ...base,
                replicas: 0,
                workers: 20,
                database: {
                    instanceClass: "t4g.small",
                    allocatedStorageGiB: 50,
                    maxAllocatedStorageGiB: 30,
                    backupRetentionDays: 0,
                },
                entryPoint: { allowedCidrs: [], ready: [] },
            }),
            [
                'database.instanceClass: expected an RDS instance class such as db.t4g.medium ("t4g.small" does not start with "db."), received "t4g.small"',
                "database.maxAllocatedStorageGiB: expected an integer >= 55: RDS's storage autoscaling limit must be at least 10 % above allocatedStorageGiB (50), received 30",
                "database.backupRetentionDays: expected an integer from 1 to 35 (RDS's limits; 0 would turn backups off), received 0",
                "replicas: expected an integer from 1 to 10, received 0",
                "workers: expected an integer from 1 to 16, received 20",
                "entryPoint.allowedCidrs: expected at least one CIDR (who may reach the registry)",
            ],
        );
        // The same RDS rules as the settings' (catalog/rds.ts): a limit equal to the allocation, a made-up class.
        assert.deepEqual(
            validateModelRegistryArgs({
                ...base,
                database: { instanceClass: "db.foo.bar", allocatedStorageGiB: 50, maxAllocatedStorageGiB: 50 },
            }),
            [
                'database.instanceClass: expected an RDS instance class such as db.t4g.medium ("foo.bar" is not an EC2 instance type (@pulumi/aws ec2.InstanceType); RDS classes are db.<family>.<size>, such as db.t4g.medium or db.r7g.large), received "db.foo.bar"',
                "database.maxAllocatedStorageGiB: expected an integer >= 55: RDS's storage autoscaling limit must be at least 10 % above allocatedStorageGiB (50), received 50",
            ],
        );
    });
});

describe("releases that name a registered model", () => {
    it("accept models:/<name>/<version> and models:/<name>@<alias>, and nothing else", () => {
        assert.deepEqual(registryReference("models:/chat/12"), { name: "chat", version: "12" });
        assert.deepEqual(registryReference("models:/chat@serving"), { name: "chat", alias: "serving" });
        assert.equal(registryReference("v2"), undefined);
        for (const bad of [
            "models:/chat",
            "models:/chat/0",
            "models:/chat/latest",
            "models:/chat@",
            "runs:/abc/model",
            "s3://b/m",
        ])
            assert.ok(!isModelVersion(bad), bad);
        assert.equal(modelFolderOf("models:/chat/12"), "chat-v12");
        assert.equal(modelFolderOf("models:/chat@serving"), "chat-at-serving");
        assert.equal(modelFolderOf("v2"), "v2");
    });

    it("download through the registry with MLflow's client in the init container, and need the registry", async () => {
        const prod = await planOf("prod");
        const deployment = find(prod.export, "kubernetes:apps/v1:Deployment", "chat-blue").inputs as Inputs;
        const spec = {
            name: "chat",
            image: DIGEST,
            modelVersion: "models:/chat/4",
            modelSource: "s3://b/models/chat",
            gpus: 1,
            resources: { cpuRequest: "4", cpuLimit: "8", memoryRequest: "16Gi", memoryLimit: "24Gi" },
            containerPort: 8000,
            probePort: 8000,
            healthPath: "/health",
            readyPath: "/v1/models",
            startupTimeoutSeconds: 600,
            runAsUser: 10001,
            logLevel: "INFO",
            drainSeconds: 30,
            serviceAccountName: "chat",
            pool: {
                capacity: { gpusPerNode: 1, gpuMemoryGiB: 24, gpuTypes: ["A10G"], vcpu: 8, memoryGiB: 32 } as never,
                nodeSelector: {},
                tolerations: [],
            },
            modelSyncImage: "public.ecr.aws/aws-cli/aws-cli:2.22.35",
            modelCacheSizeGiB: 100,
            registry: {
                image: "registry@sha256:" + "b".repeat(64),
                trackingUri: "http://mlflow.mlflow.svc.cluster.local:5000",
            },
        };
        const pod = buildPodSpec(spec, "blue") as Inputs;
        const init = pod.initContainers[0];
        assert.equal(init.image, spec.registry.image);
        // The pods' version label (drift groups by it) is a valid label value whatever the version.
        assert.equal(modelVersionLabel("models:/chat/4"), "models-chat-4");
        assert.equal(modelVersionLabel("v1-"), "v1");
        assert.equal(modelVersionLabel(`a${"b".repeat(61)}-c`), `a${"b".repeat(61)}`);
        assert.equal(modelVersionLabel("models:/chat/4".padEnd(80, "_")), "models-chat-4");
        assert.deepEqual(init.command, [
            "mlflow",
            "artifacts",
            "download",
            "--artifact-uri",
            "models:/chat/4",
            "--dst-path",
            "/models/chat-v4",
        ]);
        assert.deepEqual(init.env, [
            { name: "HOME", value: "/tmp" },
            { name: "MLFLOW_TRACKING_URI", value: "http://mlflow.mlflow.svc.cluster.local:5000" },
            // MLflow 3 sends usage telemetry unless told not to.
            { name: "MLFLOW_DISABLE_TELEMETRY", value: "true" },
        ]);
        const args = pod.containers[0].args as string[];
        assert.equal(args[args.indexOf("--model") + 1], "/models/chat-v4");
        assert.deepEqual(modelSyncCommand({ modelVersion: "v2", modelSource: "s3://b/models/chat" }, "/models/v2"), [
            "aws",
            "s3",
            "sync",
            "--only-show-errors",
            "s3://b/models/chat/v2",
            "/models/v2",
        ]);
        assert.ok(
            validateWorkload({ ...spec, registry: undefined }, 1, 1).includes(
                "modelVersion: models:/chat/4 names a registered model, but no model registry is given (registry: the ModelRegistry's image and tracking URI)",
            ),
        );
        // The stacks hand every model the registry: a bucket release still syncs from S3.
        assert.deepEqual(deployment.spec.template.spec.initContainers[0].command.slice(0, 3), ["aws", "s3", "sync"]);
    });

    it("are refused where they cannot work, before anything is created", () => {
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    cfg({
                        "llm-platform:modelRegistry": { enabled: false },
                        "llm-platform:serving": { green: { modelVersion: "models:/chat/3" } },
                    }),
                ),
            ),
            [
                'llm-platform:serving.green.modelVersion: names a registered model; set modelRegistry.enabled: true, received "models:/chat/3"',
            ],
        );
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    cfg({
                        "llm-platform:serving": { platform: "ecs", green: { modelVersion: "models:/chat/3" } },
                    }),
                ),
            ),
            [
                'llm-platform:serving.green.modelVersion: expected a version in the bucket: ECS releases cannot name a registered model, received "models:/chat/3"',
            ],
        );
        // An alias moves with the next retraining: a release names the version, which promote resolves.
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    cfg({ "llm-platform:serving": { green: { modelVersion: "models:/chat@candidate" } } }),
                ),
            ),
            [
                "llm-platform:serving.green.modelVersion: expected a version name of letters, digits, '.', '_' and '-', or a registered model version as models:/<name>/<version> (an alias such as models:/<name>@candidate moves: `npm run promote -- --model-version models:/<name>@<alias>` resolves it and writes the version it names), received \"models:/chat@candidate\"",
            ],
        );
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    cfg({ "llm-platform:serving": { green: { modelVersion: "models:/chat" } } }),
                ),
            ),
            [
                "llm-platform:serving.green.modelVersion: expected a version name of letters, digits, '.', '_' and '-', or a registered model version as models:/<name>/<version> (an alias such as models:/<name>@candidate moves: `npm run promote -- --model-version models:/<name>@<alias>` resolves it and writes the version it names), received \"models:/chat\"",
            ],
        );
        const ok = resolveSettings(
            "staging",
            cfg({ "llm-platform:serving": { green: { modelVersion: "models:/chat/3" } } }),
        );
        assert.equal(ok.serving.green.modelVersion, "models:/chat/3");
    });
});

describe("the retraining trigger: a schedule and the drift alert start a run, ending in a candidate", () => {
    it("runs each model's training image weekly and on its drift alert, with the data window and base version as inputs", async () => {
        const prod = await planOf("prod");
        const image =
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/llm-retrain@sha256:5f4d1e0c6b2a3948d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4";
        const bucket = prod.outputs.modelBucketName as string;
        for (const model of ["chat", "embed", "router"]) {
            const cron = find(prod.export, "kubernetes:batch/v1:CronJob", `retraining-${model}-schedule`)
                .inputs as Inputs;
            assert.equal(cron.metadata.name, `${model}-retrain-schedule`);
            assert.equal(cron.metadata.namespace, "retraining");
            assert.equal(cron.spec.schedule, "0 3 * * 0");
            assert.equal(cron.spec.timeZone, "Etc/UTC");
            assert.equal(cron.spec.concurrencyPolicy, "Forbid");
            const job = cron.spec.jobTemplate.spec;
            assert.equal(job.activeDeadlineSeconds, 12 * 3600);
            assert.equal(job.backoffLimit, 1);
            const [c] = job.template.spec.containers as Inputs[];
            assert.equal(c.image, image);
            assert.deepEqual(Object.fromEntries((c.env as Inputs[]).map((e) => [e.name, e.value])), {
                MLFLOW_TRACKING_URI: "http://mlflow.mlflow.svc.cluster.local:5000",
                MLFLOW_DISABLE_TELEMETRY: "true",
                LLM_MODEL: model,
                LLM_REGISTERED_MODEL: model,
                // What the model serves now (its active colour's release), never an alias nothing sets.
                LLM_BASE_MODEL_URI: `s3://${bucket}/models/${model}/v1/`,
                LLM_CANDIDATE_URI: `s3://${bucket}/models/${model}/retrained/`,
                LLM_DATA_WINDOW_DAYS: "7",
                LLM_FEEDBACK_URI: `s3://${bucket}/feedback/`,
                LLM_CANDIDATE_ALIAS: "candidate",
                LLM_TRIGGER: "schedule",
                HOME: "/tmp",
            });
            assert.deepEqual(c.resources.limits["nvidia.com/gpu"], "1");
            // Scratch is half the GPU nodes' 200 GiB disk at most; /dev/shm is memory, inside the run's 16 GiB.
            assert.deepEqual(job.template.spec.volumes, [
                { name: "work", emptyDir: { sizeLimit: "100Gi" } },
                { name: "shm", emptyDir: { medium: "Memory", sizeLimit: "8Gi" } },
            ]);
            assert.deepEqual(c.volumeMounts, [
                { name: "work", mountPath: "/tmp" },
                { name: "shm", mountPath: "/dev/shm" },
            ]);
            const drift = find(prod.export, "kubernetes:keda.sh/v1alpha1:ScaledJob", `retraining-${model}-drift`)
                .inputs as Inputs;
            assert.equal(drift.metadata.name, `${model}-retrain-drift`);
            assert.equal(drift.spec.maxReplicaCount, 1);
            assert.equal(drift.spec.pollingInterval, 300);
            // An update of the ScaledJob leaves runs in flight alone (KEDA's default deletes them).
            assert.deepEqual(drift.spec.rollout, { strategy: "gradual" });
            assert.deepEqual(drift.spec.triggers, [
                {
                    type: "prometheus",
                    metadata: {
                        serverAddress: "http://prometheus-operated.monitoring:9090",
                        query: driftTriggerQuery(model, "retraining", 24),
                        threshold: "1",
                    },
                },
            ]);
            assert.equal(
                (drift.spec.jobTargetRef.template.spec.containers[0].env as Inputs[]).find(
                    (e) => e.name === "LLM_TRIGGER",
                )!.value,
                "drift",
            );
        }
        // The chat runs land on its GPU pool; embed's and router's on the small one.
        const chatPod = (find(prod.export, "kubernetes:batch/v1:CronJob", "retraining-chat-schedule").inputs as Inputs)
            .spec.jobTemplate.spec.template.spec;
        const routerPod = (
            find(prod.export, "kubernetes:batch/v1:CronJob", "retraining-router-schedule").inputs as Inputs
        ).spec.jobTemplate.spec.template.spec;
        assert.notDeepEqual(chatPod.nodeSelector, routerPod.nodeSelector);
        const read = find(prod.export, "aws:iam/rolePolicy:RolePolicy", "retraining-read").inputs as Inputs;
        const keyArn = (find(prod.export, "aws:kms/key:Key", "models-key").outputs as Inputs).arn as string;
        assert.deepEqual(
            JSON.parse(read.policy as string),
            JSON.parse(
                retrainingPolicy(`arn:aws:s3:::${bucket}`, keyArn, ["models/chat", "models/embed", "models/router"]),
            ),
        );
        // It writes only the models' retrained/ folders: never a release's weights.
        assert.deepEqual(JSON.parse(read.policy as string).Statement[2], {
            Sid: "WriteCandidates",
            Effect: "Allow",
            Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
            Resource: ["chat", "embed", "router"].map((m) => `arn:aws:s3:::${bucket}/models/${m}/retrained/*`),
        });
        assert.equal(prod.outputs.retrainingNamespace, "retraining");
        // Staging has no trigger unless it names a training image.
        assert.equal(
            (await planOf("staging")).export.deployment.resources.some((r) => r.type.includes("RetrainingTrigger")),
            false,
        );
    });

    it("starts a drift run only while the alert fires and no run of the model started within the cooldown (promtool)", () => {
        const query = driftTriggerQuery("chat", "retraining", 168);
        // Case 1: ALERTS fires for chat from minute 10 (and for embed throughout), no run yet. Case 2: a
        // chat run started at t=0, so a week's cooldown holds. Case 3: only embed ran: chat's alert starts one.
        const week = 7 * 24 * 60;
        promtoolRules(
            [{ name: "t", rules: [{ record: "trigger", expr: query }] }],
            [
                {
                    interval: "1m",
                    input_series: [
                        {
                            series: 'ALERTS{alertname="LLMModelDriftDetected",alertstate="firing",model="chat"}',
                            values: "_x10 1x20",
                        },
                        {
                            series: 'ALERTS{alertname="LLMModelDriftDetected",alertstate="firing",model="embed"}',
                            values: "1x30",
                        },
                    ],
                    promql_expr_test: [
                        { expr: "trigger", eval_time: "5m", exp_samples: [] },
                        { expr: "trigger", eval_time: "15m", exp_samples: [{ labels: "trigger", value: 1 }] },
                    ],
                },
                {
                    interval: "1m",
                    input_series: [
                        {
                            series: 'ALERTS{alertname="LLMModelDriftDetected",alertstate="firing",model="chat"}',
                            values: `1x${week + 20}`,
                        },
                        {
                            series: 'kube_job_status_start_time{namespace="retraining",job_name="chat-retrain-drift-x7k2p"}',
                            values: `0x${week + 20}`,
                        },
                        {
                            series: 'kube_job_status_start_time{namespace="retraining",job_name="embed-retrain-drift-a1b2c"}',
                            values: `0x${week + 20}`,
                        },
                    ],
                    promql_expr_test: [
                        // Within the week after chat's last run: nothing; after it: a run.
                        { expr: "trigger", eval_time: "1h", exp_samples: [] },
                        {
                            expr: "trigger",
                            eval_time: `${week + 10}m`,
                            exp_samples: [{ labels: "trigger", value: 1 }],
                        },
                    ],
                },
                {
                    interval: "1m",
                    input_series: [
                        {
                            series: 'ALERTS{alertname="LLMModelDriftDetected",alertstate="firing",model="chat"}',
                            values: "1x90",
                        },
                        {
                            series: 'kube_job_status_start_time{namespace="retraining",job_name="embed-retrain-drift-a1b2c"}',
                            values: "0x90",
                        },
                    ],
                    promql_expr_test: [
                        { expr: "trigger", eval_time: "1h", exp_samples: [{ labels: "trigger", value: 1 }] },
                    ],
                },
            ],
        );
    });

    it("lets drift start a run in the week of a scheduled one: the default cooldown is a day, and one a weekly schedule outlasts is refused (promtool)", () => {
        // With the defaults, a scheduled run at t=0 and drift from day 2: a run starts (a week's
        // cooldown, the old default, kept the trigger empty all week).
        const day = 24 * 60;
        const series = [
            {
                series: 'ALERTS{alertname="LLMModelDriftDetected",alertstate="firing",model="chat"}',
                values: `_x${2 * day} 1x60`,
            },
            {
                series: 'kube_job_status_start_time{namespace="retraining",job_name="chat-retrain-schedule-29311234"}',
                values: `0x${2 * day + 60}`,
            },
        ];
        promtoolRules(
            [
                { name: "t", rules: [{ record: "daily", expr: driftTriggerQuery("chat", "retraining", 24) }] },
                { name: "u", rules: [{ record: "weekly", expr: driftTriggerQuery("chat", "retraining", 168) }] },
            ],
            [
                {
                    interval: "1m",
                    input_series: series,
                    promql_expr_test: [
                        { expr: "daily", eval_time: `${2 * day + 10}m`, exp_samples: [{ labels: "daily", value: 1 }] },
                        { expr: "weekly", eval_time: `${2 * day + 10}m`, exp_samples: [] },
                    ],
                },
                // The scheduled run is still going past the cooldown: no second run beside it.
                {
                    interval: "1m",
                    input_series: [
                        ...series,
                        {
                            series: 'kube_job_status_active{namespace="retraining",job_name="chat-retrain-schedule-29311234"}',
                            values: `1x${2 * day + 60}`,
                        },
                    ],
                    promql_expr_test: [{ expr: "daily", eval_time: `${2 * day + 10}m`, exp_samples: [] }],
                },
            ],
        );
        assert.equal(TIER_DEFAULTS.prod.retraining.cooldownHours, 24);
        assert.equal(cooldownStarvesDrift("0 3 * * 0", 24), undefined);
        // A monthly schedule leaves a week's cooldown room.
        assert.equal(cooldownStarvesDrift("0 3 1 * *", 168), undefined);
        const refused =
            "expected an integer under 168: the schedule (0 3 * * 0) starts a run at least every 168 hours, and the cooldown counts from any run, so a drift alert could never start one";
        assert.equal(cooldownStarvesDrift("0 3 * * 0", 168), refused);
        // The longest gap between runs decides, read as Kubernetes' cron parser reads the schedule:
        // steps, ranges, lists, names, ?, and both day fields restricted (a day matches either).
        assert.deepEqual(
            [
                "0 3 */2 * *",
                "0 3 1-31 * *",
                "0 3 1,8,15,22,29 * *",
                "0 3 * 1-12 0",
                "0 3 ? * 0",
                "0 3 1 * 0",
                "0 3 * * MON",
                "0 3 * * 1-5",
                "0 3 * * *",
                "0 * * * *",
                "0 3 1 * *",
            ].map((schedule) => `${schedule}: ${(longestCronGapMinutes(schedule) ?? 0) / 60} h`),
            [
                "0 3 */2 * *: 48 h",
                "0 3 1-31 * *: 24 h",
                "0 3 1,8,15,22,29 * *: 168 h",
                "0 3 * 1-12 0: 168 h",
                "0 3 ? * 0: 168 h",
                "0 3 1 * 0: 168 h",
                "0 3 * * MON: 168 h",
                "0 3 * * 1-5: 72 h",
                "0 3 * * *: 24 h",
                "0 * * * *: 1 h",
                "0 3 1 * *: 744 h",
            ],
        );
        // A daily schedule leaves the default day no room either.
        assert.match(cooldownStarvesDrift("0 3 * * *", 24) ?? "", /^expected an integer under 24: /);
        assert.equal(longestCronGapMinutes("0 3 x * *"), undefined);
        assert.deepEqual(
            problemsIfAny(() =>
                resolveSettings(
                    "prod",
                    goodRawConfig({ "llm-platform:retraining": JSON.stringify({ cooldownHours: 168 }) }),
                ),
            ),
            [`llm-platform:retraining.cooldownHours: ${refused}, received 168`],
        );
    });

    it("hardens the runs' pods: the pack reads the CronJob's and the ScaledJob's templates and would refuse a root one", async () => {
        const prod = await planOf("prod");
        const cron = find(prod.export, "kubernetes:batch/v1:CronJob", "retraining-chat-schedule");
        const scaled = find(prod.export, "kubernetes:keda.sh/v1alpha1:ScaledJob", "retraining-chat-drift");
        const policy = POLICIES.find((p) => p.name === "k8s-run-as-non-root")!;
        for (const r of [cron, scaled]) {
            const ok = await runResourcePolicy(policy as never, { type: r.type, props: r.inputs as Inputs });
            assert.deepEqual(ok.violations, []);
            const root = structuredClone(r.inputs) as Inputs;
            const pod = r.type.endsWith("CronJob")
                ? root.spec.jobTemplate.spec.template.spec
                : root.spec.jobTargetRef.template.spec;
            pod.securityContext.runAsNonRoot = false;
            pod.containers[0].securityContext.runAsNonRoot = false;
            const bad = await runResourcePolicy(policy as never, { type: r.type, props: root });
            assert.equal(bad.violations.length > 0, true, r.type);
        }
        const spec = retrainingJobSpec(
            { image: DIGEST, dataWindowDays: 3, timeoutHours: 2, trackingUri: "http://t", bucketName: "b" },
            {
                name: "chat",
                pool: { nodeSelector: { pool: "a" }, tolerations: [] },
                gpus: 2,
                baseModelUri: "models:/chat/9",
                modelPrefix: "models/chat",
            },
            "s3://b/feedback/",
            "drift",
        ) as Inputs;
        assert.equal(spec.activeDeadlineSeconds, 7200);
        assert.equal(spec.template.spec.containers[0].resources.requests["nvidia.com/gpu"], "2");
        assert.equal(
            (spec.template.spec.containers[0].env as Inputs[]).find((e) => e.name === "LLM_BASE_MODEL_URI")!.value,
            "models:/chat/9",
        );
    });

    it("is refused without its image, the registry or KEDA, and its arguments are checked", () => {
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    cfg({
                        "llm-platform:retraining": { enabled: true },
                        "llm-platform:modelRegistry": { enabled: false },
                        "llm-platform:serving": { autoscaler: "hpa" },
                    }),
                ),
            ),
            [
                "llm-platform:retraining.enabled: expected false without the model registry (runs register their candidate there): set modelRegistry.enabled: true, received true",
                "llm-platform:retraining.enabled: expected false without serving.autoscaler keda (the drift path is a KEDA ScaledJob), received true",
                "llm-platform:retraining.image: required when retraining.enabled: the team's training image, by digest (repository@sha256:<64 hex>), received nothing",
            ],
        );
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    cfg({ "llm-platform:retraining": { enabled: true, image: DIGEST, schedule: "weekly" } }),
                ),
            ),
            [
                'llm-platform:retraining.schedule: expected exactly 5 fields, found 1: [weekly] (expected a Kubernetes CronJob schedule: five fields minute hour day-of-month month day-of-week such as "0 3 * * 0", or a descriptor such as @weekly), received "weekly"',
            ],
        );
        assert.deepEqual(
            problemsOf(() =>
                resolveSettings(
                    "staging",
                    cfg({ "llm-platform:modelRegistry": { allocatedStorageGiB: 200, maxAllocatedStorageGiB: 100 } }),
                ),
            ),
            [
                "llm-platform:modelRegistry.maxAllocatedStorageGiB: expected an integer >= 220: RDS's storage autoscaling limit must be at least 10 % above allocatedStorageGiB (200), received 100",
            ],
        );
        assert.deepEqual(
            validateRetrainingTriggerArgs({
                image: "train:latest",
                models: [],
                schedule: "@fortnightly",
                dataWindowDays: 0,
                cooldownHours: 0,
                timeoutHours: 200,
                trackingUri: "http://t",
                feedbackUri: "s3://b/feedback/",
                bucketName: "b",
                bucketArn: "b",
                kmsKeyArn: "k",
                oidcProviderArn: "o",
                oidcIssuerUrl: "u",
                keda: { ready: [], prometheusUrl: "http://p" },
            }),
            [
                'image: expected an image pinned by digest (repository@sha256:<64 hex>), received "train:latest"',
                'schedule: unrecognized descriptor: @fortnightly (expected a Kubernetes CronJob schedule: five fields minute hour day-of-month month day-of-week such as "0 3 * * 0", or a descriptor such as @weekly), received "@fortnightly"',
                "dataWindowDays: expected an integer from 1 to 365, received 0",
                "cooldownHours: expected an integer from 1 to 2160, received 0",
                "timeoutHours: expected an integer from 1 to 168, received 200",
                "models: expected at least one model to retrain",
            ],
        );
        // Scratch beyond half the GPU nodes' disk, /dev/shm as large as the run's memory, a bad prefix.
        assert.deepEqual(
            validateRetrainingTriggerArgs({
                image: DIGEST,
                models: [
                    {
                        name: "chat",
                        pool: { nodeSelector: {}, tolerations: [], diskSizeGiB: 200 },
                        baseModelUri: "models:/chat/1",
                        modelPrefix: "/models/chat/",
                    },
                ],
                schedule: "0 3 * * 0",
                dataWindowDays: 7,
                cooldownHours: 24,
                timeoutHours: 12,
                trackingUri: "http://t",
                feedbackUri: "s3://b/feedback/",
                bucketName: "b",
                bucketArn: "b",
                kmsKeyArn: "k",
                oidcProviderArn: "o",
                oidcIssuerUrl: "u",
                keda: { ready: [], prometheusUrl: "http://p" },
                scratchGiB: 150,
                sharedMemoryGiB: 16,
            }),
            [
                "sharedMemoryGiB: expected an integer from 1 below the run's memory (16Gi: /dev/shm counts in it), received 16",
                'models[0].modelPrefix: expected the model\'s prefix of the bucket such as models/chat, received "/models/chat/"',
                "scratchGiB: 150 GiB is over half the disk of model chat's GPU nodes (200 GiB), whose rest holds images and model caches: lower it or give the pool a larger diskSizeGiB",
            ],
        );
    });
});

describe("the registry client a promotion records the deployed version with", () => {
    it("resolves an alias or a number to the version and its source, moves the serving alias and tags the version over MLflow's REST API", async () => {
        let failTags = false;
        const {
            url: base,
            requests,
            close,
        } = await jsonServer((_method, path) => {
            if (path.startsWith("/api/2.0/mlflow/registered-models/alias?")) {
                const alias = new URL(path, "http://x").searchParams.get("alias");
                if (alias === "candidate")
                    return { json: { model_version: { name: "chat", version: "7", source: "s3://b/models/chat/r7" } } };
                if (alias === "bare") return { json: { model_version: { name: "chat", version: "8" } } };
                return {
                    status: 404,
                    json: { error_code: "RESOURCE_DOES_NOT_EXIST", message: "Registered model alias nope not found." },
                };
            }
            if (path === "/api/2.0/mlflow/model-versions/set-tag" && failTags)
                return { status: 503, json: { error_code: "TEMPORARILY_UNAVAILABLE", message: "try later" } };
            if (path.startsWith("/api/2.0/mlflow/model-versions/get?"))
                // MLflow's JSON carries the version as a string (ModelVersion.version is a proto string).
                return { json: { model_version: { name: "chat", version: "3", source: "s3://b/models/chat/v3" } } };
            return { json: {} };
        });
        try {
            const client = new MlflowRegistryClient(`${base}/`);
            assert.deepEqual(await client.resolve({ name: "chat", alias: "candidate" }), {
                version: "7",
                source: "s3://b/models/chat/r7",
            });
            assert.deepEqual(await client.resolve({ name: "chat", version: "3" }), {
                version: "3",
                source: "s3://b/models/chat/v3",
            });
            await assert.rejects(client.resolve({ name: "chat", alias: "bare" }), {
                name: "RegistryError",
                message: "models:/chat@bare (version 8) has no source",
            });
            const record = { stack: "prod", model: "chat", colour: "green", at: "2026-11-30T10:00:00.000Z" };
            await client.recordDeployment("chat", "7", record);
            assert.deepEqual(requests, [
                "GET /api/2.0/mlflow/registered-models/alias?name=chat&alias=candidate ",
                "GET /api/2.0/mlflow/model-versions/get?name=chat&version=3 ",
                "GET /api/2.0/mlflow/registered-models/alias?name=chat&alias=bare ",
                'POST /api/2.0/mlflow/registered-models/alias {"name":"chat","alias":"serving","version":"7"}',
                'POST /api/2.0/mlflow/model-versions/set-tag {"name":"chat","version":"7","key":"llm-platform.prod.model","value":"chat"}',
                'POST /api/2.0/mlflow/model-versions/set-tag {"name":"chat","version":"7","key":"llm-platform.prod.colour","value":"green"}',
                'POST /api/2.0/mlflow/model-versions/set-tag {"name":"chat","version":"7","key":"llm-platform.prod.deployed-at","value":"2026-11-30T10:00:00.000Z"}',
            ]);
            assert.deepEqual(Object.keys(deploymentTags(record)), [
                "llm-platform.prod.model",
                "llm-platform.prod.colour",
                "llm-platform.prod.deployed-at",
            ]);
            // The alias moved and the tags failed: said as it is, not as "nothing recorded".
            failTags = true;
            await assert.rejects(client.recordDeployment("chat", "7", record), {
                name: "RegistryError",
                message: `the alias serving now names version 7, but its deployment tags were not set: POST ${base}/api/2.0/mlflow/model-versions/set-tag answered 503: try later`,
            });
            await assert.rejects(client.resolve({ name: "chat", alias: "nope" }), {
                name: "RegistryError",
                message: `GET ${base}/api/2.0/mlflow/registered-models/alias?name=chat&alias=nope answered 404: Registered model alias nope not found.`,
            });
        } finally {
            close();
        }
        await assert.rejects(new MlflowRegistryClient(base, 500).resolve({ name: "chat", alias: "x" }), RegistryError);
    });
});
