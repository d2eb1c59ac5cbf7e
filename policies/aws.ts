/**
 * Production standards for the AWS resources of the platform: registries, ECS tasks, EKS
 * clusters, launch templates, load balancers, KMS keys, IAM policies and cost tags. (S3 buckets
 * are configured by separate resources in the AWS provider, so their checks are stack policies:
 * see stack.ts.)
 */
import type { PolicyComplianceFramework, ResourceValidationPolicy } from "@pulumi/policy";
import { OWNERSHIP_TAG_KEYS } from "../catalog/standards";
import { forTypes, notApplicable } from "./util";

const FSBP = (control: string): PolicyComplianceFramework => ({
    name: "AWS Foundational Security Best Practices",
    version: "1.0",
    reference: control,
    specification: "https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html",
});

type Props = Record<string, unknown>;

export const ecrRepositoryHardened: ResourceValidationPolicy = {
    name: "ecr-repository-hardened",
    description: "Checks whether ECR repositories have immutable tags, scan on push and KMS encryption.",
    severity: "high",
    framework: FSBP("ECR.1, ECR.2"),
    remediationSteps:
        "Set imageTagMutability: IMMUTABLE, imageScanningConfiguration.scanOnPush: true and encryptionConfigurations [{encryptionType: KMS}].",
    validateResource: forTypes(["aws:ecr/repository:Repository"], (args, report) => {
        const p = args.props;
        if (p.imageTagMutability !== "IMMUTABLE")
            report("image tags must be IMMUTABLE: a pushed tag must never point at other content");
        if ((p.imageScanningConfiguration as Props | undefined)?.scanOnPush !== true) report("scanOnPush must be true");
        const enc = (p.encryptionConfigurations as Props[] | undefined)?.[0];
        if (enc?.encryptionType !== "KMS") report("images must be encrypted with KMS");
    }),
};

const SECRET_ENV =
    /(TOKEN(?!S|IZER)|SECRET|PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS$|_PWD$|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)/i;
/** A URL with a password in it (`scheme://user:password@host`), whatever the variable's name. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;

export const ecsTaskHardened: ResourceValidationPolicy = {
    name: "ecs-task-hardened",
    description:
        "Checks whether ECS task containers run as a numeric non-root user on a read-only root, with health checks, logging and no plaintext secrets.",
    severity: "high",
    framework: FSBP("ECS.2, ECS.5, ECS.8, ECS.9"),
    remediationSteps:
        "Set user to a numeric UID (not 0), readonlyRootFilesystem: true, a healthCheck on serving containers, an awslogs logConfiguration, and pass secrets through `secrets` (Secrets Manager or SSM ARNs), never `environment`.",
    validateResource: forTypes(["aws:ecs/taskDefinition:TaskDefinition"], (args, report) => {
        // Read outside the parse: in a preview an unknown value throws the SDK's own signal here,
        // which must stop the policy ("can't run during preview"), never become a violation.
        const raw = String(args.props.containerDefinitions ?? "[]");
        let containers: Props[] = [];
        try {
            containers = JSON.parse(raw) as Props[];
        } catch {
            report("containerDefinitions is not valid JSON");
            return;
        }
        for (const c of containers) {
            const label = `container "${String(c.name)}"`;
            const uid = String(c.user ?? "").split(":")[0];
            if (!/^\d+$/.test(uid) || Number(uid) === 0)
                report(
                    `${label} must run as a numeric non-root user, not ${JSON.stringify(c.user ?? "the image default")}`,
                );
            if (c.readonlyRootFilesystem !== true) report(`${label} must set readonlyRootFilesystem: true`);
            if (c.essential !== false && ((c.portMappings as unknown[]) ?? []).length > 0 && !c.healthCheck)
                report(`${label} serves traffic without a healthCheck`);
            if (!c.logConfiguration) report(`${label} has no logConfiguration`);
            for (const e of (c.environment as Array<{ name: string; value?: unknown }>) ?? []) {
                if (SECRET_ENV.test(e.name) || URL_WITH_PASSWORD.test(String(e.value ?? "")))
                    report(
                        `${label} passes ${e.name} as a plain environment value; use secrets (Secrets Manager or SSM)`,
                    );
            }
        }
    }),
};

export const eksClusterHardened: ResourceValidationPolicy = {
    name: "eks-cluster-hardened",
    description:
        "Checks whether EKS clusters encrypt secrets with KMS, keep the API endpoint private or restricted, and log the control plane.",
    severity: "high",
    framework: FSBP("EKS.1, EKS.3, EKS.8"),
    remediationSteps:
        "Set encryptionConfig {resources: [secrets]}, endpointPublicAccess false (or publicAccessCidrs without 0.0.0.0/0), and enabledClusterLogTypes with api, audit, authenticator, controllerManager, scheduler.",
    validateResource: forTypes(["aws:eks/cluster:Cluster"], (args, report) => {
        const p = args.props;
        const resources = ((p.encryptionConfig as Props | undefined)?.resources as string[] | undefined) ?? [];
        if (!resources.includes("secrets")) report("Kubernetes secrets are not envelope-encrypted with KMS");
        const vpc = (p.vpcConfig as Props | undefined) ?? {};
        // Unset or empty, EKS opens the public endpoint to 0.0.0.0/0; a set of blocks may add up to it.
        const listed = (vpc.publicAccessCidrs as string[] | undefined) ?? [];
        const cidrs = listed.length > 0 ? listed : ["0.0.0.0/0"];
        // A dual-stack cluster's public endpoint takes ::/0 as well (EKS VpcConfigRequest).
        if (vpc.endpointPublicAccess !== false && (coversInternet(cidrs) || cidrs.some((c) => c.trim() === "::/0")))
            report("the API endpoint is public to the internet: make it private or list publicAccessCidrs");
        const logs = (p.enabledClusterLogTypes as string[] | undefined) ?? [];
        const missing = ["api", "audit", "authenticator", "controllerManager", "scheduler"].filter(
            (t) => !logs.includes(t),
        );
        if (missing.length > 0) report(`control-plane logs missing: ${missing.join(", ")}`);
    }),
};

/** Whether IPv4 blocks (`a.b.c.d/n`) together cover every address, as 0.0.0.0/0 or two /1s do. */
export function coversInternet(cidrs: readonly string[]): boolean {
    const ranges = cidrs
        .map((c) => /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(c.trim()))
        .filter((m): m is RegExpExecArray => m !== null && Number(m[5]) <= 32)
        .map((m) => {
            const address = m.slice(1, 5).reduce((n, octet) => n * 256 + (Number(octet) & 255), 0);
            const size = 2 ** (32 - Number(m[5]));
            const start = Math.floor(address / size) * size;
            return [start, start + size] as const;
        })
        .sort((a, b) => a[0] - b[0]);
    let reached = 0;
    for (const [start, end] of ranges) {
        if (start > reached) return false;
        reached = Math.max(reached, end);
    }
    return reached >= 2 ** 32;
}

export const launchTemplateImdsv2: ResourceValidationPolicy = {
    name: "launch-template-imdsv2",
    description:
        "Checks whether launch templates require IMDSv2 with a hop limit of 1, so pods cannot reach the node's credentials; a template with the metadata endpoint disabled passes (stricter on the node, though Security Hub's EC2.170 still fails it).",
    severity: "high",
    framework: FSBP("EC2.170"),
    remediationSteps: "Set metadataOptions {httpTokens: required, httpPutResponseHopLimit: 1}.",
    validateResource: forTypes(["aws:ec2/launchTemplate:LaunchTemplate"], (args, report) => {
        const m = (args.props.metadataOptions as Props | undefined) ?? {};
        // No metadata endpoint at all is stricter than IMDSv2.
        if (m.httpEndpoint === "disabled") return;
        if (m.httpTokens !== "required") report("IMDSv2 is not required (metadataOptions.httpTokens must be required)");
        if (m.httpPutResponseHopLimit !== 1)
            report(`the metadata hop limit is ${String(m.httpPutResponseHopLimit ?? "unset")}; it must be 1`);
    }),
};

export const albHardened: ResourceValidationPolicy = {
    name: "alb-hardened",
    description: "Checks whether application load balancers drop invalid headers and write access logs.",
    severity: "medium",
    framework: FSBP("ELB.4, ELB.5"),
    remediationSteps: "Set dropInvalidHeaderFields: true and accessLogs {enabled: true, bucket}.",
    validateResource: forTypes(
        ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
        (args, report) => {
            if ((args.props.loadBalancerType ?? "application") !== "application") return;
            if (args.props.dropInvalidHeaderFields !== true) report("dropInvalidHeaderFields must be true");
            if ((args.props.accessLogs as Props | undefined)?.enabled !== true) report("access logs are off");
        },
    ),
};

export const albListenerHttps: ResourceValidationPolicy = {
    name: "alb-listener-https",
    description: "Checks whether load balancer listeners serve HTTPS or redirect HTTP to HTTPS.",
    severity: "high",
    framework: FSBP("ELB.1"),
    remediationSteps: "Serve HTTPS with an ACM certificate, and make any HTTP listener a redirect to HTTPS.",
    validateResource: forTypes(["aws:lb/listener:Listener", "aws:alb/listener:Listener"], (args, report) => {
        // Only an HTTP listener serves plain HTTP (unset, an ALB's default); TCP, UDP and TLS are
        // other protocols, HTTPS is the goal. (A Gateway Load Balancer's listener takes no protocol,
        // so it still reads as HTTP here: a known false report.)
        const protocol = args.props.protocol === undefined ? "HTTP" : String(args.props.protocol).toUpperCase();
        if (protocol !== "HTTP") return;
        const actions = (args.props.defaultActions as Array<{ type?: string; redirect?: { protocol?: string } }>) ?? [];
        if (!actions.some((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS"))
            report(`the listener on port ${String(args.props.port)} serves plain HTTP`);
    }),
};

export const kmsKeyRotation: ResourceValidationPolicy = {
    name: "kms-key-rotation",
    description:
        "Checks whether customer-managed symmetric KMS keys rotate automatically (asymmetric and HMAC keys cannot).",
    severity: "medium",
    framework: FSBP("KMS.4"),
    remediationSteps: "Set enableKeyRotation: true.",
    validateResource: forTypes(["aws:kms/key:Key"], (args, report) => {
        // AWS rotates symmetric encryption keys only: asymmetric and HMAC keys cannot rotate.
        // Nor can keys in a custom key store (CloudHSM or external): AWS EnableKeyRotation.
        const spec = String(args.props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT");
        if (spec !== "SYMMETRIC_DEFAULT" || args.props.customKeyStoreId || args.props.xksKeyId) return;
        if (args.props.enableKeyRotation !== true) report("key rotation is off");
    }),
};

export const rdsInstanceHardened: ResourceValidationPolicy = {
    name: "rds-instance-hardened",
    description:
        "Checks whether RDS instances and Aurora clusters are encrypted, private, backed up for at least 7 days, protected from deletion and take a final snapshot when deleted.",
    severity: "high",
    framework: FSBP("RDS.2, RDS.3, RDS.8, RDS.11"),
    remediationSteps:
        "Set storageEncrypted: true, publiclyAccessible: false, backupRetentionPeriod >= 7, deletionProtection: true and skipFinalSnapshot: false with a finalSnapshotIdentifier (ModelRegistry sets them all where protect is on).",
    validateResource: forTypes(
        ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"],
        (args, report) => {
            const p = args.props as {
                storageEncrypted?: boolean;
                publiclyAccessible?: boolean;
                backupRetentionPeriod?: number;
                deletionProtection?: boolean;
                skipFinalSnapshot?: boolean;
            };
            // An Aurora cluster instance keeps its storage, backups and snapshots in its cluster.
            if (args.type === "aws:rds/clusterInstance:ClusterInstance") {
                if (p.publiclyAccessible === true) report("the instance is publicly accessible");
                return;
            }
            if (p.storageEncrypted !== true) report("storage is not encrypted (storageEncrypted)");
            if (p.publiclyAccessible === true) report("the instance is publicly accessible");
            // The provider's defaults (@pulumi/aws 7 docs): 0 days for an instance, 1 for a cluster.
            const days = p.backupRetentionPeriod ?? (args.type === "aws:rds/cluster:Cluster" ? 1 : 0);
            if (days < 7) report(`automated backups are kept ${days} days; keep at least 7`);
            if (p.deletionProtection !== true) report("deletion protection is off");
            if (p.skipFinalSnapshot === true)
                report("no final snapshot is taken on deletion (skipFinalSnapshot: true)");
        },
    ),
};

/**
 * What an identity policy's Allow statements grant too widely: `*`, every action of a service
 * (`iam:*`, `S3:*`: action names are case-insensitive in AWS), or everything but a list
 * (`NotAction` with Allow). FSBP IAM.21 fails any `<service>:*`.
 */
export function wildcardGrants(policyJson: string): string[] {
    let doc: { Statement?: unknown } = {};
    try {
        doc = JSON.parse(policyJson) as { Statement?: unknown };
    } catch {
        return [];
    }
    const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).filter(
        (st) => typeof st === "object" && st !== null,
    ) as Array<{ Effect?: string; Action?: string | string[]; NotAction?: string | string[] }>;
    const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    return statements
        .filter((st) => st.Effect === "Allow")
        .flatMap((st) => [
            ...list(st.Action).filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a)),
            ...list(st.NotAction).map((a) => `NotAction ${a} (everything else)`),
        ]);
}

/** A policy document as a resource holds it: a JSON string, or an object (`aws.iam.getPolicyDocument` output, a literal). */
const policyText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v ?? {}));

export const iamNoWildcardActions: ResourceValidationPolicy = {
    name: "iam-no-wildcard-actions",
    description:
        "Checks whether IAM identity policies (managed, role, user and group policies, and roles' inline policies) avoid granting `*`, every action of a service (s3:*, iam:* …, in any case), or Allow with NotAction.",
    severity: "high",
    framework: FSBP("IAM.21"),
    remediationSteps:
        "List the actions the principal needs (e.g. s3:GetObject, kms:Decrypt), as the model bucket's read policy does.",
    validateResource: forTypes(
        [
            "aws:iam/policy:Policy",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:iam/userPolicy:UserPolicy",
            "aws:iam/groupPolicy:GroupPolicy",
            "aws:iam/role:Role",
        ],
        (args, report) => {
            const documents =
                args.type === "aws:iam/role:Role"
                    ? ((args.props.inlinePolicies as Array<{ name?: string; policy?: unknown }> | undefined) ?? []).map(
                          (ip) => ({ where: ` (inline policy ${String(ip.name ?? "")})`, text: policyText(ip.policy) }),
                      )
                    : [{ where: "", text: policyText(args.props.policy) }];
            for (const d of documents)
                for (const a of wildcardGrants(d.text)) report(`the policy allows "${a}"${d.where}`);
        },
    ),
};

export const requiredTags: ResourceValidationPolicy = {
    name: "required-tags",
    description: "Checks whether taggable AWS resources carry the cost and ownership tags.",
    severity: "low",
    configSchema: {
        properties: { requiredTags: { type: "array", items: { type: "string" }, default: [...OWNERSHIP_TAG_KEYS] } },
    },
    remediationSteps:
        "Give the resource each required tag: in its tags, through a component's tags argument, or for every resource of a provider with its defaultTags.",
    validateResource: (args, report) => {
        if (!args.type.startsWith("aws:") || !("tags" in args.props))
            notApplicable(args, "not a taggable AWS resource");
        const { requiredTags: required } = args.getConfig<{ requiredTags: string[] }>();
        const raw = args.props.tags;
        // Auto Scaling groups list tags as {key, value, propagateAtLaunch}.
        const own: Record<string, string> = Array.isArray(raw)
            ? Object.fromEntries((raw as Array<{ key: string; value: string }>).map((t) => [t.key, t.value]))
            : ((raw as Record<string, string> | undefined) ?? {});
        // The AWS provider adds its defaultTags to every resource it creates (tagsAll).
        const tags = { ...providerDefaultTags(args.provider), ...own };
        const missing = required.filter((t) => !tags[t]);
        if (missing.length > 0) report(`missing tags: ${missing.join(", ")}`);
    },
};

/**
 * The tags an AWS provider puts on every resource (`defaultTags.tags`). A provider's inputs reach a
 * policy as the provider plugin takes them: an object-valued setting JSON-encoded as a string.
 */
export function providerDefaultTags(
    provider: { type: string; props: Record<string, unknown> } | undefined,
): Record<string, string> {
    if (!provider || !provider.type.startsWith("pulumi:providers:aws")) return {};
    let defaultTags = provider.props.defaultTags;
    if (typeof defaultTags === "string") {
        try {
            defaultTags = JSON.parse(defaultTags);
        } catch {
            return {};
        }
    }
    const tags = (defaultTags as { tags?: unknown } | undefined)?.tags;
    return tags && typeof tags === "object" && !Array.isArray(tags)
        ? (Object.fromEntries(
              Object.entries(tags as Record<string, unknown>).filter(([, v]) => typeof v === "string"),
          ) as Record<string, string>)
        : {};
}

export const AWS_POLICIES: ResourceValidationPolicy[] = [
    ecrRepositoryHardened,
    ecsTaskHardened,
    eksClusterHardened,
    launchTemplateImdsv2,
    albHardened,
    albListenerHttps,
    kmsKeyRotation,
    rdsInstanceHardened,
    iamNoWildcardActions,
    requiredTags,
];
