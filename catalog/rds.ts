/**
 * RDS's own limits, shared by the settings' rules and ModelRegistry's argument checks (docs/UPSTREAM.md,
 * "RDS, tags, ACM, SNS, Alertmanager").
 */
import * as ec2Enums from "@pulumi/aws/types/enums/ec2";

/** The names of EC2's instance types, from @pulumi/aws's `ec2.InstanceType` (an RDS class is db.<one of them>). */
const EC2_INSTANCE_TYPES = new Set<string>(Object.values(ec2Enums.InstanceType));

/**
 * An RDS DB instance class: `db.` and an EC2 instance type (RDS's classes are EC2's families and
 * sizes, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Types.html);
 * `db.serverless` is Aurora's, and the registry runs RDS for PostgreSQL.
 */
/** RDS families with no EC2 twin of the same name (EC2 has x2gd): the RDS User Guide's class list. */
const RDS_ONLY_FAMILIES = new Set(["x2g"]);

export function rdsInstanceClassProblem(value: string): string | undefined {
    if (!value.startsWith("db.")) return `${JSON.stringify(value)} does not start with "db."`;
    const type = value.slice(3);
    const family = type.split(".")[0];
    const rdsOnly = RDS_ONLY_FAMILIES.has(family) && EC2_INSTANCE_TYPES.has(type.replace(family, `${family}d`));
    if (!EC2_INSTANCE_TYPES.has(type) && !rdsOnly)
        return `${JSON.stringify(type)} is not an EC2 instance type (@pulumi/aws ec2.InstanceType); RDS classes are db.<family>.<size>, such as db.t4g.medium or db.r7g.large`;
    return undefined;
}

/**
 * Why RDS would refuse a storage autoscaling limit, or undefined: CreateDBInstance refuses one not
 * above the allocation and one less than 10 % above it (InvalidParameterCombination).
 */
export function rdsStorageLimitProblem(allocatedGiB: number, maxGiB: number): string | undefined {
    return maxGiB * 10 < allocatedGiB * 11
        ? `expected an integer >= ${Math.ceil((allocatedGiB * 11) / 10)}: RDS's storage autoscaling limit must be at least 10 % above allocatedStorageGiB (${allocatedGiB})`
        : undefined;
}
