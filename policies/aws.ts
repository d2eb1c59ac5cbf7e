/**
 * Production standards for the AWS resources of the platform: registries, ECS tasks, EKS
 * clusters, launch templates, load balancers, KMS keys, IAM policies and cost tags. (S3 buckets
 * are configured by separate resources in the AWS provider, so their checks are stack policies:
 * see stack.ts.)
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { OWNERSHIP_TAG_KEYS } from "../catalog/standards";
import { coversInternet } from "../catalog/cidr";
import { FSBP, isIpv6Internet, whenKnown, wildcard } from "./awsCommon";
import {
    iamNoAdminPolicy,
    iamNoPrivilegeEscalation,
    iamNoUnscopedWrites,
    identityDocuments,
    IDENTITY_POLICY_TYPES,
    statementsOf,
} from "./awsIam";
import { albListenerRuleHttps, ec2NoPublicIp, lbListenerTlsPolicy, securityGroupRestricted } from "./awsNetwork";
import { TAGGABLE } from "./awsTaggable";
import { forTypes, notApplicable } from "./util";

export { coversInternet } from "../catalog/cidr";

type Props = Record<string, unknown>;

/**
 * The repository filters a registry scanning configuration scans on push with: every rule of an
 * ENHANCED configuration (Inspector scans on push, and continuously with CONTINUOUS_SCAN), the
 * SCAN_ON_PUSH rules of a BASIC one; never MANUAL rules.
 */
export function registryScanFilters(props: Props): string[] {
    const enhanced = String(props.scanType ?? "").toUpperCase() === "ENHANCED";
    return ((props.rules as Array<{ scanFrequency?: string; repositoryFilters?: Props[] }> | undefined) ?? [])
        .filter((rule) => {
            const frequency = String(rule.scanFrequency ?? "").toUpperCase();
            return frequency === "SCAN_ON_PUSH" || (enhanced && frequency === "CONTINUOUS_SCAN");
        })
        .flatMap((rule) => rule.repositoryFilters ?? [])
        .filter((f) => String(f.filterType ?? "WILDCARD").toUpperCase() === "WILDCARD")
        .map((f) => String(f.filter));
}

export const ecrRepositoryHardened: StackValidationPolicy = {
    name: "ecr-repository-hardened",
    description:
        "Checks whether ECR repositories have immutable tags (IMMUTABLE; IMMUTABLE_WITH_EXCLUSION lets the excluded tags move, so it fails, as with checkov and trivy), KMS encryption and scan on push — their own, or the registry's: a registry scanning configuration in the stack (which then overrides the repository's own setting, as in ECR), or registry-wide filters named in `registryScanFilters` (scanning set up in another stack). A stack policy: the default `pulumi up` reports it in its preview, before anything changes.",
    severity: "high",
    framework: FSBP("ECR.1, ECR.2"),
    configSchema: {
        properties: { registryScanFilters: { type: "array", items: { type: "string" }, default: [] } },
    },
    remediationSteps:
        "Set imageTagMutability: IMMUTABLE, encryptionConfigurations [{encryptionType: KMS}] and imageScanningConfiguration.scanOnPush: true, or scan the registry on push (aws.ecr.RegistryScanningConfiguration) and, when that lives in another stack, name its filters in registryScanFilters.",
    validateStack: (args, report) => {
        const { registryScanFilters: configured } = args.getConfig<{ registryScanFilters: string[] }>();
        const registries = args.resources.filter(
            (r) => r.type === "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
        );
        // A registry's configuration overrides each repository's own setting (ECR: a repository its
        // filters miss is scanned MANUAL under BASIC, not at all under ENHANCED).
        const filters = [...configured, ...registries.flatMap((r) => registryScanFilters(r.props))].map(ecrFilter);
        for (const repo of args.resources.filter((r) => r.type === "aws:ecr/repository:Repository")) {
            // A value unknown in a preview stops this repository's check, never the others'.
            whenKnown(() => {
                const p = repo.props;
                if (p.imageTagMutability !== "IMMUTABLE")
                    report("image tags must be IMMUTABLE: a pushed tag must never point at other content", repo.urn);
                const own =
                    registries.length === 0 && (p.imageScanningConfiguration as Props | undefined)?.scanOnPush === true;
                if (!own && !filters.some((f) => f.test(String(p.name ?? repo.name))))
                    report(
                        registries.length === 0
                            ? "scanOnPush must be true, or a registry scanning configuration must scan this repository on push"
                            : "the registry scanning configuration does not scan this repository on push (it overrides the repository's own scanOnPush)",
                        repo.urn,
                    );
                const enc = (p.encryptionConfigurations as Props[] | undefined)?.[0];
                if (enc?.encryptionType !== "KMS") report("images must be encrypted with KMS", repo.urn);
            });
        }
    },
};

/** An ECR repository filter: with a `*`, a wildcard over the whole name; without, any name containing it (ECR's rule). */
const ecrFilter = (filter: string): RegExp => (filter.includes("*") ? wildcard(filter) : wildcard(`*${filter}*`));

const SECRET_ENV =
    /(TOKEN(?!S|IZER)|SECRET|PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS$|_PWD$|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)/i;
/** A URL with a password in it (`scheme://user:password@host`), whatever the variable's name. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;

export const ecsTaskHardened: ResourceValidationPolicy = {
    name: "ecs-task-hardened",
    description:
        "Checks whether ECS task containers run unprivileged as a numeric non-root user on a read-only root, with health checks, logging and no plaintext secrets, in a task that shares neither the host's process nor IPC namespace and mounts EFS only over TLS.",
    severity: "high",
    framework: FSBP("ECS.2, ECS.3, ECS.4, ECS.5, ECS.8, ECS.9"),
    remediationSteps:
        "Set user to a numeric UID (not 0), readonlyRootFilesystem: true, privileged false (or unset), a healthCheck on serving containers, an awslogs logConfiguration, and pass secrets through `secrets` (Secrets Manager or SSM ARNs), never `environment`; leave pidMode and ipcMode unset (not host) and give every EFS volume transitEncryption: ENABLED.",
    validateResource: forTypes(["aws:ecs/taskDefinition:TaskDefinition"], (args, report) => {
        for (const mode of ["pidMode", "ipcMode"] as const)
            if (args.props[mode] === "host") report(`the task shares the host's namespace (${mode}: host)`);
        for (const v of (args.props.volumes as Array<{ name?: string; efsVolumeConfiguration?: Props }>) ?? [])
            if (v.efsVolumeConfiguration && v.efsVolumeConfiguration.transitEncryption !== "ENABLED")
                report(`EFS volume "${String(v.name)}" is mounted without TLS (transitEncryption must be ENABLED)`);
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
            if (c.privileged === true) report(`${label} runs privileged`);
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
        if (vpc.endpointPublicAccess !== false && (coversInternet(cidrs) || cidrs.some(isIpv6Internet)))
            report("the API endpoint is public to the internet: make it private or list publicAccessCidrs");
        const logs = (p.enabledClusterLogTypes as string[] | undefined) ?? [];
        const missing = ["api", "audit", "authenticator", "controllerManager", "scheduler"].filter(
            (t) => !logs.includes(t),
        );
        if (missing.length > 0) report(`control-plane logs missing: ${missing.join(", ")}`);
    }),
};

export const launchTemplateImdsv2: ResourceValidationPolicy = {
    name: "launch-template-imdsv2",
    description:
        "Checks whether launch templates, EC2 instances and launch configurations require IMDSv2 with a hop limit of 1, so pods cannot reach the node's credentials; the hop limit is stricter than Security Hub and checkov ask of instances, on purpose. A metadata endpoint that is disabled passes (stricter still, though Security Hub's EC2.170 fails it).",
    severity: "high",
    framework: FSBP("EC2.8, EC2.170, AutoScaling.3"),
    remediationSteps: "Set metadataOptions {httpTokens: required, httpPutResponseHopLimit: 1}.",
    validateResource: forTypes(
        [
            "aws:ec2/launchTemplate:LaunchTemplate",
            "aws:ec2/instance:Instance",
            "aws:ec2/launchConfiguration:LaunchConfiguration",
        ],
        (args, report) => {
            // An instance launched from a template without its own options takes the template's
            // (checked on its own).
            if (args.type === "aws:ec2/instance:Instance" && args.props.launchTemplate && !args.props.metadataOptions)
                return;
            const m = (args.props.metadataOptions as Props | undefined) ?? {};
            // No metadata endpoint at all is stricter than IMDSv2.
            if (m.httpEndpoint === "disabled") return;
            if (m.httpTokens !== "required")
                report("IMDSv2 is not required (metadataOptions.httpTokens must be required)");
            if (m.httpPutResponseHopLimit !== 1)
                report(`the metadata hop limit is ${String(m.httpPutResponseHopLimit ?? "unset")}; it must be 1`);
        },
    ),
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
        // other protocols, HTTPS is the goal. A Gateway Load Balancer's listener takes neither a
        // protocol nor a port (the provider refuses both there), while every other listener has a port.
        if (args.props.protocol === undefined && args.props.port === undefined) return;
        const protocol = args.props.protocol === undefined ? "HTTP" : String(args.props.protocol).toUpperCase();
        if (protocol !== "HTTP") return;
        const actions = (args.props.defaultActions as Array<{ type?: string; redirect?: { protocol?: string } }>) ?? [];
        if (!actions.some((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS"))
            report(
                args.props.port === undefined
                    ? "the listener serves plain HTTP"
                    : `the listener on port ${String(args.props.port)} serves plain HTTP`,
            );
    }),
};

export const kmsKeyRotation: ResourceValidationPolicy = {
    name: "kms-key-rotation",
    description:
        "Checks whether customer-managed symmetric encryption KMS keys rotate automatically (asymmetric, HMAC and signing keys, and keys in a custom key store, cannot).",
    severity: "medium",
    framework: FSBP("KMS.4"),
    remediationSteps: "Set enableKeyRotation: true.",
    validateResource: forTypes(["aws:kms/key:Key"], (args, report) => {
        // AWS rotates symmetric encryption keys only: asymmetric and HMAC keys cannot rotate.
        // Nor can keys in a custom key store (CloudHSM or external): AWS EnableKeyRotation.
        // Only encryption keys rotate: signing (SIGN_VERIFY) and MAC (GENERATE_VERIFY_MAC) keys cannot.
        const spec = String(args.props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT");
        const usage = String(args.props.keyUsage ?? "ENCRYPT_DECRYPT");
        if (spec !== "SYMMETRIC_DEFAULT" || usage !== "ENCRYPT_DECRYPT") return;
        if (args.props.customKeyStoreId || args.props.xksKeyId) return;
        if (args.props.enableKeyRotation !== true) report("key rotation is off");
    }),
};

export const efsEncrypted: ResourceValidationPolicy = {
    name: "efs-encrypted",
    description:
        "Checks whether EFS file systems (model caches, shared weights) are encrypted at rest; the provider's default is unencrypted.",
    severity: "high",
    framework: FSBP("EFS.1"),
    remediationSteps: "Set encrypted: true (and kmsKeyId for a customer-managed key).",
    validateResource: forTypes(["aws:efs/fileSystem:FileSystem"], (args, report) => {
        if (args.props.encrypted !== true) report("the file system is not encrypted at rest (encrypted: true)");
    }),
};

export const logGroupHardened: ResourceValidationPolicy = {
    name: "log-group-hardened",
    description:
        "Checks whether CloudWatch log groups expire their events (retentionInDays set, at least `minRetentionDays`; unset or 0 keeps them forever) and, where `requireKms` is set, are encrypted with a customer-managed KMS key. CloudWatch Logs always encrypts at rest with its own key, so the customer key is opt-in (checkov's CKV_AWS_158 asks it of every group). Security Hub's CloudWatch.16 asks 365 days by default: set minRetentionDays: 365 to hold that minimum.",
    severity: "medium",
    framework: FSBP("CloudWatch.16"),
    configSchema: {
        properties: {
            minRetentionDays: { type: "integer", minimum: 1, default: 1 },
            requireKms: { type: "boolean", default: false },
        },
    },
    remediationSteps:
        "Set retentionInDays (e.g. 90 for serving logs, 365 for audit and flow logs) and, where required, kmsKeyId with a key whose policy lets logs.<region>.amazonaws.com use it.",
    validateResource: forTypes(["aws:cloudwatch/logGroup:LogGroup"], (args, report) => {
        const { minRetentionDays, requireKms } = args.getConfig<{ minRetentionDays: number; requireKms: boolean }>();
        // A DELIVERY-class group's retention is forced to 2 days (the provider ignores the input).
        if (String(args.props.logGroupClass ?? "").toUpperCase() !== "DELIVERY") {
            const days = Number(args.props.retentionInDays ?? 0);
            if (days === 0) report("log events never expire: set retentionInDays");
            else if (days < minRetentionDays)
                report(`log events are kept ${days} days; keep them at least ${minRetentionDays}`);
        }
        if (requireKms && !args.props.kmsKeyId)
            report("the log group is not encrypted with a customer-managed KMS key");
    }),
};

export const rdsInstanceHardened: ResourceValidationPolicy = {
    name: "rds-instance-hardened",
    description:
        "Checks whether RDS instances and Aurora clusters are encrypted (Aurora Serverless v1 always is), private, backed up for at least 7 days (stricter than checkov's and trivy's minimums, on purpose), protected from deletion and take a final snapshot when deleted.",
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
            // Aurora Serverless v1 clusters are always encrypted (the input is ignored there).
            const serverless = (args.props as { engineMode?: string }).engineMode === "serverless";
            if (p.storageEncrypted !== true && !serverless) report("storage is not encrypted (storageEncrypted)");
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
 * (`NotAction` with Allow). FSBP IAM.21 fails any `<service>:*`. A statement without an Effect
 * counts as Allow (AWS refuses it; checkov's CKV_AWS_62 reads it so).
 */
export function wildcardGrants(policyJson: string): string[] {
    const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    return statementsOf(policyJson)
        .filter((st) => (st.Effect ?? "Allow") === "Allow")
        .flatMap((st) => [
            ...list(st.Action).filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a)),
            ...list(st.NotAction).map((a) => `NotAction ${a} (everything else)`),
        ]);
}

export const iamNoWildcardActions: ResourceValidationPolicy = {
    name: "iam-no-wildcard-actions",
    description:
        "Checks whether IAM identity policies (managed, role, user and group policies, and roles' inline policies) avoid granting `*`, every action of a service (s3:*, iam:* …, in any case), or Allow with NotAction.",
    severity: "high",
    framework: FSBP("IAM.21"),
    remediationSteps:
        "List the actions the principal needs (e.g. s3:GetObject, kms:Decrypt), as the model bucket's read policy does.",
    validateResource: forTypes(IDENTITY_POLICY_TYPES, (args, report) => {
        for (const d of identityDocuments(args))
            for (const a of wildcardGrants(d.text)) report(`the policy allows "${a}"${d.where}`);
    }),
};

let taggable: Set<string> | undefined;
/** Whether @pulumi/aws's args for this type take `tags` (./awsTaggable.ts, generated from the SDK). */
export function isTaggable(type: string): boolean {
    taggable ??= new Set(
        Object.entries(TAGGABLE).flatMap(([module, classes]) =>
            classes.split(",").map((c) => `aws:${module}/${c[0].toLowerCase()}${c.slice(1)}:${c}`),
        ),
    );
    return taggable.has(type);
}

export const requiredTags: ResourceValidationPolicy = {
    name: "required-tags",
    description:
        "Checks whether taggable AWS resources (every type whose args take tags in @pulumi/aws, whether or not tags were given) carry the cost and ownership tags, counting the provider's defaultTags.",
    severity: "low",
    configSchema: {
        properties: { requiredTags: { type: "array", items: { type: "string" }, default: [...OWNERSHIP_TAG_KEYS] } },
    },
    remediationSteps:
        "Give the resource each required tag: in its tags, through a component's tags argument, or for every resource of a provider with its defaultTags.",
    validateResource: (args, report) => {
        // Taggable: its args take tags (the SDK's list), or it was given some (a type newer than the list).
        if (!args.type.startsWith("aws:") || (!isTaggable(args.type) && !("tags" in args.props)))
            notApplicable(args, "not a taggable AWS resource");
        const { requiredTags: required } = args.getConfig<{ requiredTags: string[] }>();
        const raw = args.props.tags;
        // Auto Scaling groups list tags as {key, value, propagateAtLaunch}.
        const own: Record<string, string> = Array.isArray(raw)
            ? Object.fromEntries((raw as Array<{ key: string; value: string }>).map((t) => [t.key, t.value]))
            : ((raw as Record<string, string> | undefined) ?? {});
        // The AWS provider adds its defaultTags to every resource it creates (tagsAll).
        // Except on Auto Scaling groups: the provider does not apply defaultTags to them (no tagsAll).
        const defaults = args.type === "aws:autoscaling/group:Group" ? {} : providerDefaultTags(args.provider);
        const tags = { ...defaults, ...own };
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

/** The AWS policies in the pack's order: registries, compute, network edge, keys and data, IAM, tags. */
export const AWS_POLICIES: Array<ResourceValidationPolicy | StackValidationPolicy> = [
    ecrRepositoryHardened,
    ecsTaskHardened,
    eksClusterHardened,
    launchTemplateImdsv2,
    ec2NoPublicIp,
    securityGroupRestricted,
    albHardened,
    albListenerHttps,
    albListenerRuleHttps,
    lbListenerTlsPolicy,
    kmsKeyRotation,
    efsEncrypted,
    logGroupHardened,
    rdsInstanceHardened,
    iamNoWildcardActions,
    iamNoAdminPolicy,
    iamNoPrivilegeEscalation,
    iamNoUnscopedWrites,
    requiredTags,
];
