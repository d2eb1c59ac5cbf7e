/**
 * The model registry: an MLflow tracking and registry server on the cluster, its metadata in
 * PostgreSQL on RDS and its run artifacts in the model bucket's `mlflow/` prefix. The class wires
 * three named parts, each child parented here:
 *
 * - `database.ts` (`createRegistryDatabase`): RDS PostgreSQL, its subnet and security groups, the
 *   generated password and its Secrets Manager secret (stateful: `protect` in prod).
 * - `server.ts` (`createRegistryServer`): the namespace and IRSA identity, the Deployment (its
 *   schema readied one pod at a time), PDB, Service, NetworkPolicy and the optional internal ALB.
 * - `monitoring.ts` (`createRegistryMonitoring`): the ServiceMonitor, alert rules and dashboard.
 *
 * The registry holds metadata: a release's weights are a folder of the model's prefix of the
 * bucket, registered by its `s3://` source, and never pass through the server (docs/releasing.md, "Releasing
 * a model version").
 */
import { REGISTRY_NAMESPACE } from "../../catalog/reserved";
import type * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertValid } from "../validation";
import { createRegistryDatabase, type RegistryDatabase } from "./database";

export type { RegistryDatabase };
import { createRegistryMonitoring } from "./monitoring";
import { createRegistryServer, REGISTRY_ARTIFACT_PREFIX, REGISTRY_PORT } from "./server";
import { rdsInstanceClassProblem, rdsStorageLimitProblem } from "../../catalog/rds";

/** The arguments of `ModelRegistry` (`new ModelRegistry(name, args, opts)`). */
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

export function validateModelRegistryArgs(args: Omit<ModelRegistryArgs, "provider">): string[] {
    const problems: string[] = [];
    const db = args.database ?? {};
    const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
    const instanceClass = rdsInstanceClassProblem(db.instanceClass ?? "db.t4g.medium");
    if (instanceClass)
        problems.push(
            `database.instanceClass: expected an RDS instance class such as db.t4g.medium (${instanceClass}), received ${JSON.stringify(db.instanceClass)}`,
        );
    const storage = db.allocatedStorageGiB ?? 20;
    const max = db.maxAllocatedStorageGiB ?? 100;
    if (!int(storage, 20, 65536))
        problems.push(`database.allocatedStorageGiB: expected an integer from 20 to 65536 (gp3), received ${storage}`);
    if (!int(max, 20, 65536))
        problems.push(`database.maxAllocatedStorageGiB: expected an integer from 20 to 65536, received ${max}`);
    else if (int(storage, 20, 65536) && rdsStorageLimitProblem(storage, max))
        problems.push(`database.maxAllocatedStorageGiB: ${rdsStorageLimitProblem(storage, max)}, received ${max}`);
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

/** The model registry: an MLflow tracking and registry server on the cluster, its metadata in PostgreSQL on RDS and its run artifacts in the model bucket's `mlflow/` prefix; a release may name `models:/<name>/<version>`. */
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
        const ns = args.namespace ?? REGISTRY_NAMESPACE;
        this.namespace = ns;
        this.image = args.image;
        this.trackingUri = `http://mlflow.${ns}.svc.cluster.local:${REGISTRY_PORT}`;
        this.artifactUri = pulumi.interpolate`s3://${args.bucketName}/${REGISTRY_ARTIFACT_PREFIX}`;

        const db = createRegistryDatabase(this, name, args, args.protect ?? true);
        this.database = db.database;
        this.databaseEndpoint = db.database.address;
        this.credentialsSecretArn = db.credentialsSecretArn;
        const server = createRegistryServer(this, name, args, {
            ns,
            databaseAddress: db.database.address,
            password: db.password,
            artifactUri: this.artifactUri,
        });
        this.deployment = server.deployment;
        this.ready = [server.deployment, server.service];
        this.url = server.url;
        createRegistryMonitoring(this, name, args, { ns, nsName: server.namespace, labels: server.labels });

        this.registerOutputs({
            trackingUri: this.trackingUri,
            artifactUri: this.artifactUri,
            credentialsSecretArn: this.credentialsSecretArn,
            databaseEndpoint: this.databaseEndpoint,
            url: this.url,
        });
    }
}
