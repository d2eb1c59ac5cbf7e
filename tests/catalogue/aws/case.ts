/**
 * Other scanners' test cases for the AWS half of the pack, translated into the resources
 * @pulumi/aws 7.x registers. Each case names its source (scanner, repository, commit, file and
 * the check it tests) and whether that scanner's check fails or passes it; `measure.ts` runs every
 * case through the gate as one stack export and counts, per policy, the failing cases flagged
 * (recall) and the passing ones flagged (wrong flags).
 *
 * Props are typed by the SDK's resource args (`ArgsOf`), so a misspelled input name does not
 * compile: every name is checked against @pulumi/aws's own `.d.ts`.
 */
import type * as aws from "@pulumi/aws";

/** The resource args of each type token a case may use (extend when a case needs another). */
export interface ArgsByType {
    "aws:ecr/repository:Repository": aws.ecr.RepositoryArgs;
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": aws.ecr.RegistryScanningConfigurationArgs;
    "aws:ecs/taskDefinition:TaskDefinition": aws.ecs.TaskDefinitionArgs;
    "aws:eks/cluster:Cluster": aws.eks.ClusterArgs;
    "aws:ec2/launchTemplate:LaunchTemplate": aws.ec2.LaunchTemplateArgs;
    "aws:ec2/instance:Instance": aws.ec2.InstanceArgs;
    "aws:ec2/launchConfiguration:LaunchConfiguration": aws.ec2.LaunchConfigurationArgs;
    "aws:ec2/securityGroup:SecurityGroup": aws.ec2.SecurityGroupArgs;
    "aws:ec2/securityGroupRule:SecurityGroupRule": aws.ec2.SecurityGroupRuleArgs;
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": aws.vpc.SecurityGroupIngressRuleArgs;
    "aws:lb/loadBalancer:LoadBalancer": aws.lb.LoadBalancerArgs;
    "aws:alb/loadBalancer:LoadBalancer": aws.alb.LoadBalancerArgs;
    "aws:lb/listener:Listener": aws.lb.ListenerArgs;
    "aws:alb/listener:Listener": aws.alb.ListenerArgs;
    "aws:lb/listenerRule:ListenerRule": aws.lb.ListenerRuleArgs;
    "aws:alb/listenerRule:ListenerRule": aws.alb.ListenerRuleArgs;
    "aws:kms/key:Key": aws.kms.KeyArgs;
    "aws:rds/instance:Instance": aws.rds.InstanceArgs;
    "aws:rds/cluster:Cluster": aws.rds.ClusterArgs;
    "aws:rds/clusterInstance:ClusterInstance": aws.rds.ClusterInstanceArgs;
    "aws:iam/policy:Policy": aws.iam.PolicyArgs;
    "aws:iam/rolePolicy:RolePolicy": aws.iam.RolePolicyArgs;
    "aws:iam/userPolicy:UserPolicy": aws.iam.UserPolicyArgs;
    "aws:iam/groupPolicy:GroupPolicy": aws.iam.GroupPolicyArgs;
    "aws:iam/role:Role": aws.iam.RoleArgs;
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": aws.iam.RolePolicyAttachmentArgs;
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": aws.iam.UserPolicyAttachmentArgs;
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": aws.iam.GroupPolicyAttachmentArgs;
    "aws:iam/policyAttachment:PolicyAttachment": aws.iam.PolicyAttachmentArgs;
    "aws:cloudwatch/logGroup:LogGroup": aws.cloudwatch.LogGroupArgs;
    "aws:efs/fileSystem:FileSystem": aws.efs.FileSystemArgs;
    "aws:dynamodb/table:Table": aws.dynamodb.TableArgs;
    "aws:s3/bucket:Bucket": aws.s3.BucketArgs;
    "aws:s3/bucketV2:BucketV2": aws.s3.BucketV2Args;
    "aws:s3/bucketVersioning:BucketVersioning": aws.s3.BucketVersioningArgs;
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": aws.s3.BucketServerSideEncryptionConfigurationArgs;
    "aws:s3/bucketLogging:BucketLogging": aws.s3.BucketLoggingArgs;
    "aws:s3/bucketAcl:BucketAcl": aws.s3.BucketAclArgs;
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": aws.s3.BucketPublicAccessBlockArgs;
    "aws:s3/bucketPolicy:BucketPolicy": aws.s3.BucketPolicyArgs;
    "aws:secretsmanager/secret:Secret": aws.secretsmanager.SecretArgs;
}

export type CaseType = keyof ArgsByType;

/** Where a case comes from. */
export interface CaseSource {
    /** `crafted`: a shape a Pulumi user writes that the issue or a review named, not a scanner's test. */
    scanner: "checkov" | "trivy" | "aws-config" | "crafted";
    /** owner/name on GitHub (not for crafted or aws-config cases). */
    repo?: string;
    /** The commit the case was read at (40 hex digits). */
    commit?: string;
    /** The file in `repo` (or the documentation URL for aws-config). */
    file?: string;
    /** The scanner's check: CKV_AWS_79, AVD-AWS-0028, a Config rule name. */
    check?: string;
    /** The resource or example's name in the source, so a reader finds the exact case. */
    name?: string;
}

/** Another resource the judged one needs in the same stack (a listener for a rule, a bucket's configuration). */
export interface Companion<T extends CaseType = CaseType> {
    type: T;
    /** Unique within the case. */
    name: string;
    props: ArgsByType[T];
    /** Outputs the engine would hold after an update (e.g. `arn`), for companions referred to by ARN. */
    outputs?: Record<string, unknown>;
    protect?: boolean;
}

export interface ScannerCase<T extends CaseType = CaseType> {
    /** The llm-platform policy whose scope the case is in. */
    policy: string;
    /** Unique within the policy: letters, digits, dots, dashes and underscores (it becomes the resource's name). */
    id: string;
    /** What the source scanner's check says of it. */
    expect: "fail" | "pass";
    type: T;
    props: ArgsByType[T];
    /** Outputs the engine would hold after an update. */
    outputs?: Record<string, unknown>;
    /** The resource option protect. @default false */
    protect?: boolean;
    also?: Companion[];
    source: CaseSource;
    /**
     * For a passing case the policy flags on purpose: why we are stricter (the README's words).
     * For a failing case the policy passes on purpose: why it is out of the policy's scope.
     */
    deliberate?: string;
}

/** One case, with its props checked against the SDK's args for its type. */
export const scannerCase = <T extends CaseType>(c: ScannerCase<T>): ScannerCase => c as unknown as ScannerCase;
/** A companion resource, typed the same way. */
export const companion = <T extends CaseType>(c: Companion<T>): Companion => c as unknown as Companion;

/** The scanners' repositories at the commits every case was read at. */
export const CHECKOV = {
    scanner: "checkov",
    repo: "bridgecrewio/checkov",
    commit: "03d5fdad8d6154b1565799a7b1fb8070c158866f",
} as const;
export const TRIVY = {
    scanner: "trivy",
    repo: "aquasecurity/trivy-checks",
    commit: "80e5382269707262f35cf893bdc0805cb72217e9",
} as const;
export const CRAFTED = { scanner: "crafted" } as const;

/** A checkov test's case: the file holding its HCL, the check and the resource's name. */
export const checkovSource = (file: string, check: string, name: string): CaseSource => ({
    ...CHECKOV,
    file,
    check,
    name,
});
/** A trivy example's or rego test's case. */
export const trivySource = (file: string, check: string, name: string): CaseSource => ({ ...TRIVY, file, check, name });
/** A shape a Pulumi user writes, named by what it is. */
export const craftedSource = (name: string): CaseSource => ({ ...CRAFTED, name });
