/**
 * The model registry: an MLflow tracking and registry server on the cluster, its metadata in
 * PostgreSQL on RDS and its artifacts in the model bucket's `mlflow/` prefix.
 *
 * - The database is encrypted with the bucket's key, in the private subnets, reachable on 5432
 *   from the VPC only, with automated backups, storage autoscaling and (prod) deletion protection
 *   and `protect`. Its password is generated here, kept in Secrets Manager and in a Kubernetes
 *   Secret the server reads; it is never in config or in the stack's outputs.
 * - The server reads and writes artifacts as its own IRSA role (the `mlflow/` prefix, nothing
 *   else) and proxies them to clients (`--serve-artifacts`), so neither a training job nor a
 *   serving pod needs S3 access to register or to download a model version.
 * - It runs hardened (non-root, read-only root, no capabilities), probed on `/health`, behind a
 *   NetworkPolicy that admits only its clients, Prometheus and the VPC (an internal ALB), and it
 *   is scraped on `/metrics` with its own alert rules and dashboard.
 *
 * MLflow facts are read in mlflow/mlflow (docs/UPSTREAM.md "MLflow"): `/health` skips the Host
 * check, the server refuses a Host outside `--allowed-hosts` (default: localhost and private IPs)
 * with 403, and `--expose-prometheus` serves `mlflow_http_request_total` and friends.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { MLFLOW_TELEMETRY_OFF } from "../../catalog/formats";
import { assertValid } from "../validation";
import { entryPointAnnotations, entryUrl } from "./entryPoint";
import type { RuleGroup } from "./alertRules";
import { createWorkloadIdentity, restrictedContainerContext, restrictedPodContext } from "./workloadIdentity";

export const REGISTRY_PORT = 5000;
export const REGISTRY_UID = 10001;
/** The server's health route: answered without a database round trip, and exempt from the Host check. */
export const REGISTRY_HEALTH_PATH = "/health";
/**
 * Readiness: a read of the Default experiment (id 0, created with the schema), so a pod whose
 * database is unreachable leaves the Service. Kubelet sends the pod's address as Host, which the
 * server's Host check accepts (a private IP).
 */
export const REGISTRY_READY_PATH = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default";
/** Where the artifacts live in the model bucket. */
export const REGISTRY_ARTIFACT_PREFIX = "mlflow";
/** The database and its user. */
export const REGISTRY_DATABASE = "mlflow";
/** The ALB ingress group of the registry: its own internal load balancer (the server has no authentication of its own). */
export const REGISTRY_INGRESS_GROUP = "llm-registry";

export interface RegistryDatabase {
    /** @default "db.t4g.medium" */
    instanceClass?: string;
    /** PostgreSQL major version; RDS picks the newest minor and upgrades minors itself. @default "16" */
    engineVersion?: string;
    /** @default 20 */
    allocatedStorageGiB?: number;
    /** Storage autoscaling up to this size. @default 100 */
    maxAllocatedStorageGiB?: number;
    /** Days of automated backups (point-in-time recovery). @default 7 */
    backupRetentionDays?: number;
    /** A standby in a second zone. @default false */
    multiAz?: boolean;
}

export interface ModelRegistryArgs {
    provider: k8s.Provider;
    vpcId: pulumi.Input<string>;
    /** Private subnets (at least two zones) for the database. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The VPC's range: may reach the database (the server's pods) and the server (the internal ALB). */
    vpcCidr: pulumi.Input<string>;
    /** The model bucket (ModelArtifactBucket): name, ARN and key. */
    bucketName: pulumi.Input<string>;
    bucketArn: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** The server image (images/mlflow: MLflow with the PostgreSQL driver and boto3), by digest. */
    image: pulumi.Input<string>;
    /** @default "mlflow" */
    namespace?: string;
    /** Namespaces whose pods may call the server (the models', the retraining jobs'). @default [] */
    clientNamespaces?: string[];
    /** Prometheus's namespace: scrapes the server. @default "monitoring" */
    prometheusNamespace?: string;
    /** Server replicas. @default 1 */
    replicas?: number;
    /** Worker processes per replica. @default 2 */
    workers?: number;
    database?: RegistryDatabase;
    /** Deletion protection of the database. @default true */
    deletionProtection?: boolean;
    /** Protect the database and its secret (stateful). @default true */
    protect?: boolean;
    /**
     * An internal ALB in front of the server (through the AWS Load Balancer Controller), for people
     * and CI inside the network. Always internal: MLflow has no authentication of its own.
     * @default - none: reachable in the cluster only
     */
    entryPoint?: {
        allowedCidrs: string[];
        certificateArn?: string;
        host?: string;
        ready: pulumi.Resource[];
        /** The subnets its load balancer is placed in (see EntryPoint.subnetIds). @default - the controller's discovery */
        subnetIds?: pulumi.Input<string[]>;
        /**
         * Where the load balancer sends from, admitted by the server's NetworkPolicy (its subnets'
         * CIDRs). @default - the VPC's CIDR, which admits every pod of the cluster too
         */
        sourceCidrs?: pulumi.Input<string[]>;
    };
    /** Where the alerts' runbook links point. */
    runbookBaseUrl?: string;
    tags?: Record<string, string>;
}

const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

export function validateModelRegistryArgs(args: Omit<ModelRegistryArgs, "provider">): string[] {
    const problems: string[] = [];
    const db = args.database ?? {};
    const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
    if (!INSTANCE_CLASS.test(db.instanceClass ?? "db.t4g.medium"))
        problems.push(
            `database.instanceClass: expected an RDS instance class such as db.t4g.medium, received ${JSON.stringify(db.instanceClass)}`,
        );
    const storage = db.allocatedStorageGiB ?? 20;
    const max = db.maxAllocatedStorageGiB ?? 100;
    if (!int(storage, 20, 65536))
        problems.push(`database.allocatedStorageGiB: expected an integer from 20 to 65536 (gp3), received ${storage}`);
    if (!int(max, 20, 65536) || max < storage)
        problems.push(
            `database.maxAllocatedStorageGiB: expected an integer >= allocatedStorageGiB (${storage}) and <= 65536, received ${max}`,
        );
    const backups = db.backupRetentionDays ?? 7;
    if (!int(backups, 1, 35))
        problems.push(
            `database.backupRetentionDays: expected an integer from 1 to 35 (RDS's limits; 0 would turn backups off), received ${backups}`,
        );
    const replicas = args.replicas ?? 1;
    if (!int(replicas, 1, 10)) problems.push(`replicas: expected an integer from 1 to 10, received ${replicas}`);
    const workers = args.workers ?? 2;
    if (!int(workers, 1, 16)) problems.push(`workers: expected an integer from 1 to 16, received ${workers}`);
    if (args.entryPoint && args.entryPoint.allowedCidrs.length === 0)
        problems.push("entryPoint.allowedCidrs: expected at least one CIDR (who may reach the registry)");
    return problems;
}

/** The server's own role: the bucket's `mlflow/` prefix and the bucket key, nothing else. */
export function registryArtifactPolicy(bucketArn: string, keyArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Artifacts",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                Resource: `${bucketArn}/${REGISTRY_ARTIFACT_PREFIX}/*`,
            },
            {
                Sid: "ListArtifacts",
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: bucketArn,
                Condition: { StringLike: { "s3:prefix": [`${REGISTRY_ARTIFACT_PREFIX}/*`, REGISTRY_ARTIFACT_PREFIX] } },
            },
            {
                Sid: "BucketKey",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                Resource: keyArn,
            },
        ],
    });
}

/** Host headers the server accepts: its Service names, the pods' private addresses (Prometheus), the ALB's. */
export function registryAllowedHosts(namespace: string, host?: string): string {
    const service = `mlflow.${namespace}`;
    return [
        ...[service, `${service}.svc`, `${service}.svc.cluster.local`].flatMap((h) => [h, `${h}:${REGISTRY_PORT}`]),
        // Prometheus scrapes the pods by address (/metrics is not exempt from the check, /health is):
        // the RFC 1918 ranges, as MLflow's own default list writes them (security_utils.py).
        "10.*",
        ...Array.from({ length: 16 }, (_, i) => `172.${16 + i}.*`),
        "192.168.*",
        // The internal ALB's own DNS name, and the host a domain gives it.
        "internal-*.elb.amazonaws.com",
        ...(host !== undefined ? [host] : []),
    ].join(",");
}

/** The server's alerts: no server available (releases from the registry cannot start), and server errors. */
export function registryRuleGroups(namespace: string, runbookBaseUrl: string): RuleGroup[] {
    const runbook = (alert: string) => `${runbookBaseUrl}#${alert.toLowerCase()}`;
    return [
        {
            name: "llm-platform-model-registry",
            rules: [
                {
                    alert: "LLMRegistryUnavailable",
                    expr: `(sum(kube_deployment_status_replicas_available{namespace="${namespace}",deployment="mlflow"}) or vector(0)) < 1`,
                    for: "5m",
                    labels: { severity: "critical", service: "mlflow" },
                    annotations: {
                        summary: "The model registry has no available server",
                        description:
                            "No MLflow server pod is ready: a model pod that starts from a registered model cannot download its weights, so scale-ups and releases of those models fail, and retraining cannot register candidates.",
                        runbook_url: runbook("LLMRegistryUnavailable"),
                    },
                },
                {
                    alert: "LLMRegistryErrors",
                    expr: `sum(rate(mlflow_http_request_total{namespace="${namespace}",status=~"5.."}[5m])) / sum(rate(mlflow_http_request_total{namespace="${namespace}"}[5m])) > 0.05`,
                    for: "10m",
                    labels: { severity: "warning", service: "mlflow" },
                    annotations: {
                        summary:
                            "The model registry answers {{ $value | humanizePercentage }} of requests with a server error",
                        description:
                            "More than 5 % of MLflow's requests fail with 5xx for 10 minutes: look at the server's logs, then the database (RDS events, connections, storage).",
                        runbook_url: runbook("LLMRegistryErrors"),
                    },
                },
            ],
        },
    ];
}

/** The registry's dashboard: requests by status, latency, available servers. */
export function registryDashboard(namespace: string): Record<string, unknown> {
    const panel = (id: number, title: string, expr: string, y: number) => ({
        id,
        title,
        type: "timeseries",
        gridPos: { x: 0, y, w: 24, h: 8 },
        datasource: { type: "prometheus", uid: "prometheus" },
        targets: [{ expr, refId: "A" }],
    });
    return {
        uid: "llm-model-registry",
        title: "LLM platform / model registry",
        schemaVersion: 39,
        time: { from: "now-6h", to: "now" },
        panels: [
            panel(
                1,
                "Requests by status",
                `sum by (status) (rate(mlflow_http_request_total{namespace="${namespace}"}[5m]))`,
                0,
            ),
            panel(
                2,
                "p95 latency (s)",
                `histogram_quantile(0.95, sum by (le) (rate(mlflow_http_request_duration_seconds_bucket{namespace="${namespace}"}[5m])))`,
                8,
            ),
            panel(
                3,
                "Available servers",
                `sum(kube_deployment_status_replicas_available{namespace="${namespace}",deployment="mlflow"})`,
                16,
            ),
        ],
    };
}

export class ModelRegistry extends pulumi.ComponentResource {
    /** In the cluster: `http://mlflow.<namespace>.svc.cluster.local:5000` (MLFLOW_TRACKING_URI). */
    public readonly trackingUri: string;
    /** Where artifacts are kept: `s3://<bucket>/mlflow`. */
    public readonly artifactUri: pulumi.Output<string>;
    /** The Secrets Manager secret holding the database credentials (username, password, host, port, dbname). */
    public readonly credentialsSecretArn: pulumi.Output<string>;
    public readonly databaseEndpoint: pulumi.Output<string>;
    public readonly namespace: string;
    /** The server image, also the init container that downloads a registered model for a serving pod. */
    public readonly image: pulumi.Input<string>;
    /** Through the internal ALB (with `entryPoint`): where people, CI and `npm run promote` reach the registry. */
    public readonly url: pulumi.Output<string> | undefined;
    /** The server's Deployment and Service: what a client (a retraining run) needs first. */
    public readonly ready: pulumi.Resource[];
    public readonly database: aws.rds.Instance;
    public readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: ModelRegistryArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:ModelRegistry", name, {}, opts);
        assertValid(this, "ModelRegistry", name, validateModelRegistryArgs(args));
        const child = { parent: this };
        const protect = args.protect ?? true;
        const stateful = { parent: this, protect };
        const k8sOpts = { parent: this, provider: args.provider };
        const tags = args.tags ?? {};
        const ns = args.namespace ?? "mlflow";
        const db = args.database ?? {};
        this.namespace = ns;
        this.image = args.image;
        this.trackingUri = `http://mlflow.${ns}.svc.cluster.local:${REGISTRY_PORT}`;
        this.artifactUri = pulumi.interpolate`s3://${args.bucketName}/${REGISTRY_ARTIFACT_PREFIX}`;

        // The database: private, encrypted, backed up; its password generated and kept as a secret.
        const password = new random.RandomPassword(`${name}-db`, { length: 32, special: false }, child);
        const subnets = new aws.rds.SubnetGroup(
            `${name}-db`,
            { description: `${name}: the registry database's private subnets`, subnetIds: args.subnetIds, tags },
            child,
        );
        const dbSecurityGroup = new aws.ec2.SecurityGroup(
            `${name}-db`,
            {
                description: `${name}: PostgreSQL from inside the VPC only`,
                vpcId: args.vpcId,
                ingress: [
                    {
                        description: "PostgreSQL from the VPC (the registry's pods)",
                        protocol: "tcp",
                        fromPort: 5432,
                        toPort: 5432,
                        cidrBlocks: [args.vpcCidr],
                    },
                ],
                tags,
            },
            child,
        );
        this.database = new aws.rds.Instance(
            `${name}-db`,
            {
                engine: "postgres",
                engineVersion: db.engineVersion ?? "16",
                autoMinorVersionUpgrade: true,
                instanceClass: db.instanceClass ?? "db.t4g.medium",
                storageType: "gp3",
                allocatedStorage: db.allocatedStorageGiB ?? 20,
                maxAllocatedStorage: db.maxAllocatedStorageGiB ?? 100,
                storageEncrypted: true,
                kmsKeyId: args.kmsKeyArn,
                dbName: REGISTRY_DATABASE,
                username: REGISTRY_DATABASE,
                password: password.result,
                dbSubnetGroupName: subnets.name,
                vpcSecurityGroupIds: [dbSecurityGroup.id],
                publiclyAccessible: false,
                multiAz: db.multiAz ?? false,
                backupRetentionPeriod: db.backupRetentionDays ?? 7,
                copyTagsToSnapshot: true,
                deletionProtection: args.deletionProtection ?? true,
                skipFinalSnapshot: !protect,
                ...(protect ? { finalSnapshotIdentifier: `${name}-db-final` } : {}),
                enabledCloudwatchLogsExports: ["postgresql"],
                tags,
            },
            stateful,
        );
        this.databaseEndpoint = this.database.address;
        const secret = new aws.secretsmanager.Secret(
            `${name}-db`,
            {
                description: `${name}: the model registry's database credentials`,
                kmsKeyId: args.kmsKeyArn,
                recoveryWindowInDays: 30,
                tags,
            },
            stateful,
        );
        new aws.secretsmanager.SecretVersion(
            `${name}-db`,
            {
                secretId: secret.id,
                secretString: pulumi.secret(
                    pulumi.all([password.result, this.database.address]).apply(([p, host]) =>
                        JSON.stringify({
                            engine: "postgres",
                            username: REGISTRY_DATABASE,
                            password: p,
                            host,
                            port: 5432,
                            dbname: REGISTRY_DATABASE,
                        }),
                    ),
                ),
            },
            child,
        );
        this.credentialsSecretArn = secret.arn;

        // The server's identity: the bucket's mlflow/ prefix through IRSA.
        const { namespace, serviceAccount } = createWorkloadIdentity(
            name,
            "artifacts",
            {
                namespace: ns,
                serviceAccount: "mlflow",
                description: `${name}: the MLflow server reads and writes the model bucket's ${REGISTRY_ARTIFACT_PREFIX}/ prefix`,
                policy: pulumi.all([args.bucketArn, args.kmsKeyArn]).apply(([b, k]) => registryArtifactPolicy(b, k)),
                oidcProviderArn: args.oidcProviderArn,
                oidcIssuerUrl: args.oidcIssuerUrl,
                tags,
            },
            k8sOpts,
        );
        const nsName = namespace.metadata.name;
        const labels = { "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/component": "model-registry" };
        const dbSecret = new k8s.core.v1.Secret(
            `${name}-db`,
            {
                metadata: { name: "mlflow-db", namespace: nsName },
                type: "Opaque",
                stringData: { password: password.result },
            },
            k8sOpts,
        );
        const replicas = args.replicas ?? 1;
        const securityContext = restrictedContainerContext(REGISTRY_UID);
        const health = { path: REGISTRY_HEALTH_PATH, port: REGISTRY_PORT, scheme: "HTTP" };
        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-server`,
            {
                metadata: { name: "mlflow", namespace: nsName, labels },
                spec: {
                    replicas,
                    selector: { matchLabels: labels },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: { labels },
                        spec: {
                            serviceAccountName: serviceAccount.metadata.name,
                            automountServiceAccountToken: false,
                            securityContext: restrictedPodContext(REGISTRY_UID),
                            topologySpreadConstraints: [
                                {
                                    maxSkew: 1,
                                    topologyKey: "topology.kubernetes.io/zone",
                                    whenUnsatisfiable: "ScheduleAnyway",
                                    labelSelector: { matchLabels: labels },
                                },
                            ],
                            containers: [
                                {
                                    name: "mlflow",
                                    image: args.image,
                                    command: ["mlflow", "server"],
                                    args: [
                                        "--host",
                                        "0.0.0.0",
                                        "--port",
                                        String(REGISTRY_PORT),
                                        "--serve-artifacts",
                                        "--artifacts-destination",
                                        this.artifactUri,
                                        "--workers",
                                        String(args.workers ?? 2),
                                        "--expose-prometheus",
                                        "/tmp/prometheus",
                                    ],
                                    ports: [{ name: "http", containerPort: REGISTRY_PORT, protocol: "TCP" }],
                                    env: [
                                        {
                                            name: "DB_PASSWORD",
                                            valueFrom: {
                                                secretKeyRef: { name: dbSecret.metadata.name, key: "password" },
                                            },
                                        },
                                        {
                                            // Kubernetes expands $(DB_PASSWORD): the password never sits in the spec.
                                            name: "MLFLOW_BACKEND_STORE_URI",
                                            value: pulumi.interpolate`postgresql+psycopg2://${REGISTRY_DATABASE}:$(DB_PASSWORD)@${this.database.address}:5432/${REGISTRY_DATABASE}?sslmode=require`,
                                        },
                                        {
                                            name: "MLFLOW_SERVER_ALLOWED_HOSTS",
                                            value: registryAllowedHosts(ns, args.entryPoint?.host),
                                        },
                                        { name: "HOME", value: "/tmp" },
                                        { ...MLFLOW_TELEMETRY_OFF },
                                    ],
                                    resources: {
                                        requests: { cpu: "500m", memory: "1Gi" },
                                        limits: { cpu: "2", memory: "2Gi" },
                                    },
                                    // The first start migrates the database schema before it listens.
                                    startupProbe: {
                                        httpGet: health,
                                        periodSeconds: 10,
                                        timeoutSeconds: 5,
                                        failureThreshold: 30,
                                    },
                                    livenessProbe: {
                                        httpGet: health,
                                        periodSeconds: 10,
                                        timeoutSeconds: 5,
                                        failureThreshold: 3,
                                    },
                                    // Ready when the database answers: the Default experiment always exists.
                                    readinessProbe: {
                                        httpGet: { ...health, path: REGISTRY_READY_PATH },
                                        periodSeconds: 10,
                                        timeoutSeconds: 5,
                                        failureThreshold: 3,
                                    },
                                    securityContext,
                                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                                },
                            ],
                            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }],
                        },
                    },
                },
            },
            k8sOpts,
        );
        // One server at a time may be evicted: a drain never takes two replicas, and never waits forever on one.
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-server`,
            {
                metadata: { name: "mlflow", namespace: nsName },
                spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
            },
            k8sOpts,
        );
        const service = new k8s.core.v1.Service(
            `${name}-server`,
            {
                metadata: { name: "mlflow", namespace: nsName, labels },
                spec: {
                    type: "ClusterIP",
                    selector: labels,
                    ports: [{ name: "http", port: REGISTRY_PORT, targetPort: "http", protocol: "TCP" }],
                },
            },
            k8sOpts,
        );
        this.ready = [this.deployment, service];
        const prometheusNamespace = args.prometheusNamespace ?? "monitoring";
        new k8s.networking.v1.NetworkPolicy(
            `${name}-ingress`,
            {
                metadata: { name: "mlflow-ingress", namespace: nsName },
                spec: {
                    podSelector: { matchLabels: labels },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: pulumi
                                .output(args.entryPoint ? (args.entryPoint.sourceCidrs ?? [args.vpcCidr]) : [])
                                .apply((cidrs) => [
                                    ...[...(args.clientNamespaces ?? []), prometheusNamespace].map((n) => ({
                                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
                                    })),
                                    // The internal ALB sends from its own addresses.
                                    ...cidrs.map((cidr) => ({ ipBlock: { cidr } })),
                                ]),
                            ports: [{ port: REGISTRY_PORT, protocol: "TCP" }],
                        },
                    ],
                },
            },
            k8sOpts,
        );
        if (args.entryPoint) {
            const entry = args.entryPoint;
            const ingress = new k8s.networking.v1.Ingress(
                `${name}-entry`,
                {
                    metadata: {
                        name: "mlflow",
                        namespace: nsName,
                        annotations: entryPointAnnotations(
                            REGISTRY_INGRESS_GROUP,
                            {
                                internetFacing: false,
                                allowedCidrs: entry.allowedCidrs,
                                subnetIds: entry.subnetIds,
                                certificateArn: entry.certificateArn,
                                deletionProtection: args.deletionProtection ?? true,
                                ready: entry.ready,
                            },
                            REGISTRY_HEALTH_PATH,
                            "production",
                        ),
                    },
                    spec: {
                        ingressClassName: "alb",
                        rules: [
                            {
                                ...(entry.host !== undefined ? { host: entry.host } : {}),
                                http: {
                                    paths: [
                                        {
                                            path: "/",
                                            pathType: "Prefix",
                                            backend: {
                                                service: {
                                                    name: service.metadata.name,
                                                    port: { number: REGISTRY_PORT },
                                                },
                                            },
                                        },
                                    ],
                                },
                            },
                        ],
                    },
                },
                { ...k8sOpts, dependsOn: entry.ready },
            );
            this.url = entryUrl(
                ingress,
                {
                    certificateArn: entry.certificateArn,
                    ...(entry.host !== undefined ? { route: { host: entry.host } } : {}),
                },
                "production",
            );
        }

        // Scraped by the platform's Prometheus (it selects ServiceMonitors and rules in every namespace).
        new k8s.apiextensions.CustomResource(
            `${name}-metrics`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "ServiceMonitor",
                metadata: { name: "mlflow", namespace: nsName },
                spec: {
                    selector: { matchLabels: labels },
                    endpoints: [{ port: "http", path: "/metrics", interval: "30s" }],
                },
            },
            k8sOpts,
        );
        new k8s.apiextensions.CustomResource(
            `${name}-rules`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: "llm-platform-model-registry", namespace: nsName },
                spec: {
                    groups: registryRuleGroups(
                        ns,
                        args.runbookBaseUrl ?? "https://github.com/llm-platform/llm-platform/blob/main/README.md",
                    ),
                },
            },
            k8sOpts,
        );
        const dashboard = registryDashboard(ns);
        new k8s.core.v1.ConfigMap(
            `${name}-dashboard`,
            {
                metadata: {
                    name: "llm-model-registry",
                    namespace: prometheusNamespace,
                    labels: { grafana_dashboard: "1" },
                },
                data: { "llm-model-registry.json": JSON.stringify(dashboard) },
            },
            k8sOpts,
        );

        this.registerOutputs({
            trackingUri: this.trackingUri,
            artifactUri: this.artifactUri,
            credentialsSecretArn: this.credentialsSecretArn,
            databaseEndpoint: this.databaseEndpoint,
            url: this.url,
        });
    }
}
