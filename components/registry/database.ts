/**
 * The model registry's database: PostgreSQL on RDS in the private subnets, reachable on 5432 from
 * the VPC only, encrypted with the bucket's key, with automated backups, storage autoscaling and
 * (prod) deletion protection and `protect`. Its password is generated here and kept in Secrets
 * Manager; the server reads it from a Kubernetes Secret (server.ts). Children of the ModelRegistry.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ModelRegistryArgs } from "./modelRegistry";

/** The database and its user. */
export const REGISTRY_DATABASE = "mlflow";

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

/**
 * The database's final snapshot, named by project, stack and component: snapshot identifiers are
 * unique per account and region, so staging's and prod's (or two projects') must differ. RDS's
 * rules: 1 to 255 letters, digits and hyphens, a letter first, no two hyphens in a row, none last.
 */
export function finalSnapshotIdentifier(project: string, stack: string, name: string): string {
    const id = `${project}-${stack}-${name}-db-final`
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-{2,}/g, "-")
        .replace(/^-+/, "");
    return (/^[a-z]/.test(id) ? id : `db-${id}`).slice(0, 255).replace(/-+$/, "");
}

/** What the server needs of its database. */
export interface RegistryDatabaseParts {
    database: aws.rds.Instance;
    password: random.RandomPassword;
    credentialsSecretArn: pulumi.Output<string>;
}

/** The database, its subnet group and security group, its password and the secret that keeps it. */
export function createRegistryDatabase(
    parent: pulumi.Resource,
    name: string,
    args: Pick<
        ModelRegistryArgs,
        "vpcId" | "subnetIds" | "vpcCidr" | "kmsKeyArn" | "database" | "deletionProtection" | "tags"
    >,
    protect: boolean,
): RegistryDatabaseParts {
    const child = { parent };
    const stateful = { parent, protect };
    const tags = args.tags ?? {};
    const db = args.database ?? {};
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
    const database = new aws.rds.Instance(
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
            ...(protect
                ? { finalSnapshotIdentifier: finalSnapshotIdentifier(pulumi.getProject(), pulumi.getStack(), name) }
                : {}),
            enabledCloudwatchLogsExports: ["postgresql"],
            tags,
        },
        stateful,
    );
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
                pulumi.all([password.result, database.address]).apply(([p, host]) =>
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
    return { database, password, credentialsSecretArn: secret.arn };
}
