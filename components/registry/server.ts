/**
 * The model registry's server: MLflow's tracking and registry server on the cluster, in its own
 * namespace, as its own IRSA identity (the bucket's `mlflow/` prefix, nothing else), hardened
 * (non-root, read-only root, no capabilities), probed on `/health`, its schema readied one pod at a
 * time before it starts, behind a NetworkPolicy that admits only its clients, Prometheus and the
 * internal ALB. Children of the ModelRegistry.
 *
 * MLflow facts are read in mlflow/mlflow (docs/UPSTREAM.md "MLflow"): `/health` skips the Host
 * check, the server refuses a Host outside `--allowed-hosts` (default: localhost and private IPs)
 * with 403, and `--expose-prometheus` serves `mlflow_http_request_total` and friends.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type * as random from "@pulumi/random";
import { MLFLOW_TELEMETRY_OFF } from "../../catalog/formats";
import { albIngressSpec, entryPointAnnotations, entryUrl } from "../k8s/entryPoint";
import { createWorkloadIdentity, restrictedContainerContext, restrictedPodContext } from "../k8s/workloadIdentity";
import { REGISTRY_DATABASE } from "./database";
import type { ModelRegistryArgs } from "./modelRegistry";

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
export { REGISTRY_ARTIFACT_PREFIX } from "../../catalog/reserved";
import { REGISTRY_ARTIFACT_PREFIX } from "../../catalog/reserved";
/**
 * The init container's script that readies the database before a server starts, one pod at a
 * time: MLflow's server creates a fresh database's tables, and refuses one whose schema is out of
 * date, when it starts, guarded only by a lock file of its own host (`mlflow/store/db/utils.py`
 * `_safe_initialize_tables`), so two replicas starting on a fresh database raced to create the same
 * tables. Here a PostgreSQL advisory lock (held by the session: a killed pod releases it) puts the
 * pods in line; under it, `SqlAlchemyStore` creates a missing schema and the Default experiment,
 * and a schema an image upgrade left behind is migrated with `mlflow db upgrade`. The store's
 * artifact root is the server's own default under `--serve-artifacts` (`mlflow-artifacts:/`), so
 * the Default experiment it creates keeps its runs' artifacts where the server would have put them.
 * During a rolling update, the new pod migrates while the old ones still serve.
 */
export const REGISTRY_SCHEMA_SCRIPT = [
    "import os, subprocess",
    "import sqlalchemy as sa",
    "from mlflow.exceptions import MlflowException",
    "from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore",
    'uri = os.environ["MLFLOW_BACKEND_STORE_URI"]',
    "engine = sa.create_engine(uri)",
    "with engine.connect() as lock:",
    '    lock.execute(sa.text("SELECT pg_advisory_lock(1836213878)"))',
    "    try:",
    '        SqlAlchemyStore(uri, "mlflow-artifacts:/")',
    "    except MlflowException as e:",
    '        if "out-of-date" not in str(e):',
    "            raise",
    '        subprocess.run(["mlflow", "db", "upgrade", uri], check=True)',
    '        SqlAlchemyStore(uri, "mlflow-artifacts:/")',
    '    lock.execute(sa.text("SELECT pg_advisory_unlock(1836213878)"))',
].join("\n");

/** The ALB ingress group of the registry: its own internal load balancer (the server has no authentication of its own). */
export const REGISTRY_INGRESS_GROUP = "llm-registry";

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

/** The server's Kubernetes objects a client or the monitoring needs. */
export interface RegistryServerParts {
    deployment: k8s.apps.v1.Deployment;
    service: k8s.core.v1.Service;
    /** Through the internal ALB, with `entryPoint`. */
    url: pulumi.Output<string> | undefined;
    namespace: pulumi.Output<string>;
    labels: Record<string, string>;
}

/** The namespace and identity, the database Secret, the Deployment, its PDB and Service, the NetworkPolicy and the optional ALB. */
export function createRegistryServer(
    parent: pulumi.Resource,
    name: string,
    args: Omit<ModelRegistryArgs, "database" | "subnetIds" | "vpcId">,
    parts: {
        ns: string;
        databaseAddress: pulumi.Output<string>;
        password: random.RandomPassword;
        artifactUri: pulumi.Output<string>;
    },
): RegistryServerParts {
    const { ns, databaseAddress, password, artifactUri } = parts;
    const k8sOpts = { parent, provider: args.provider };
    const tags = args.tags ?? {};
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
    const databaseEnv = [
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: dbSecret.metadata.name, key: "password" } } },
        {
            // Kubernetes expands $(DB_PASSWORD): the password never sits in the spec.
            name: "MLFLOW_BACKEND_STORE_URI",
            value: pulumi.interpolate`postgresql+psycopg2://${REGISTRY_DATABASE}:$(DB_PASSWORD)@${databaseAddress}:5432/${REGISTRY_DATABASE}?sslmode=require`,
        },
    ];
    const health = { path: REGISTRY_HEALTH_PATH, port: REGISTRY_PORT, scheme: "HTTP" };
    const deployment = new k8s.apps.v1.Deployment(
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
                        initContainers: [
                            {
                                name: "schema",
                                image: args.image,
                                command: ["python3", "-c", REGISTRY_SCHEMA_SCRIPT],
                                env: [...databaseEnv, { name: "HOME", value: "/tmp" }, { ...MLFLOW_TELEMETRY_OFF }],
                                resources: {
                                    requests: { cpu: "100m", memory: "256Mi" },
                                    limits: { cpu: "1", memory: "1Gi" },
                                },
                                securityContext,
                                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
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
                                    artifactUri,
                                    "--workers",
                                    String(args.workers ?? 2),
                                    "--expose-prometheus",
                                    "/tmp/prometheus",
                                ],
                                ports: [{ name: "http", containerPort: REGISTRY_PORT, protocol: "TCP" }],
                                env: [
                                    ...databaseEnv,
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
    let url: pulumi.Output<string> | undefined;
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
                spec: albIngressSpec(entry.host, service.metadata.name, { number: REGISTRY_PORT }),
            },
            { ...k8sOpts, dependsOn: entry.ready },
        );
        url = entryUrl(
            ingress,
            {
                certificateArn: entry.certificateArn,
                ...(entry.host !== undefined ? { route: { host: entry.host } } : {}),
            },
            "production",
        );
    }
    return { deployment, service, url, namespace: nsName, labels };
}
