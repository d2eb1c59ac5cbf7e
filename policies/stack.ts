/**
 * Standards that span resources: S3 buckets with their configuration resources, a disruption
 * budget, monitor and network policy for every serving workload, alert rules present, and
 * stateful resources protected.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { estimateCost, PRICE_TABLE, usd } from "../catalog/cost";
import { isServing, podSpecOf } from "./util";

type Props = Record<string, unknown>;

const ofType = (resources: PolicyResource[], type: string): PolicyResource[] =>
    resources.filter((r) => r.type === type);

/** The bucket a configuration resource refers to, by name. */
const bucketRef = (r: PolicyResource): unknown => r.props.bucket;
const bucketName = (b: PolicyResource): unknown => b.props.bucket ?? b.props.id;

/** Bucket types: v7's Bucket and the deprecated BucketV2 (the same bucket, list-shaped inline arguments). */
export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
/** Each bucket configuration resource, with its V2 alias. */
const CONFIG_TYPES = {
    versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
    encryption: [
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    ],
    logging: ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"],
    acl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
    publicAccess: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
    policy: ["aws:s3/bucketPolicy:BucketPolicy"],
};
/** Default encryption algorithms S3 accepts (PutBucketEncryption: AES256, aws:kms, aws:kms:dsse). */
export const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];
/** Canned ACLs that open a bucket to everyone or to every AWS account. */
const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEES = /\/groups\/global\/(AllUsers|AuthenticatedUsers)$/;

const list = (v: unknown): Props[] =>
    (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).filter(
        (x): x is Props => typeof x === "object" && x !== null,
    );

/** Every default-encryption algorithm a bucket's inline arguments or configuration resources set. */
function sseAlgorithms(bucket: PolicyResource, configs: PolicyResource[]): unknown[] {
    const inline = [
        // Bucket: serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault
        ...list(bucket.props.serverSideEncryptionConfiguration).flatMap((c) => list(c.rule)),
        // BucketV2: serverSideEncryptionConfigurations[].rules[].applyServerSideEncryptionByDefaults[]
        ...list(bucket.props.serverSideEncryptionConfigurations).flatMap((c) => list(c.rules)),
    ].flatMap((rule) => [
        ...list(rule.applyServerSideEncryptionByDefault),
        ...list(rule.applyServerSideEncryptionByDefaults),
    ]);
    const separate = configs
        .flatMap((c) => list(c.props.rules))
        .flatMap((rule) => list(rule.applyServerSideEncryptionByDefault));
    return [...inline, ...separate].map((d) => d.sseAlgorithm);
}

export const s3BucketHardened: StackValidationPolicy = {
    name: "s3-bucket-hardened",
    description:
        "Checks whether every S3 bucket (Bucket or BucketV2, inline arguments or configuration resources) is versioned, encrypted with a valid algorithm, blocks all public access, grants nothing public, denies requests without TLS and logs access (log buckets themselves excepted).",
    severity: "high",
    framework: {
        name: "AWS Foundational Security Best Practices",
        version: "1.0",
        reference: "S3.1, S3.5, S3.8, S3.9, S3.14, S3.17",
        specification: "https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html",
    },
    remediationSteps:
        "Use ModelArtifactBucket (or hardenedBucket) which adds versioning, encryption, all four public access blocks, a TLS-only policy and access logging; remove public canned ACLs and grants to AllUsers or AuthenticatedUsers.",
    validateStack: (args, report) => {
        const byBucket = (types: string[]): Map<unknown, PolicyResource[]> => {
            const map = new Map<unknown, PolicyResource[]>();
            for (const r of args.resources.filter((x) => types.includes(x.type)))
                map.set(bucketRef(r), [...(map.get(bucketRef(r)) ?? []), r]);
            return map;
        };
        const versioning = byBucket(CONFIG_TYPES.versioning);
        const encryption = byBucket(CONFIG_TYPES.encryption);
        const logging = byBucket(CONFIG_TYPES.logging);
        const acls = byBucket(CONFIG_TYPES.acl);
        const publicAccess = byBucket(CONFIG_TYPES.publicAccess);
        const policies = byBucket(CONFIG_TYPES.policy);
        const logTargets = new Set([
            ...args.resources.filter((r) => CONFIG_TYPES.logging.includes(r.type)).map((r) => r.props.targetBucket),
            ...args.resources
                .filter((r) => BUCKET_TYPES.includes(r.type))
                .flatMap((b) => [
                    ...list(b.props.logging).map((l) => l.targetBucket),
                    ...list(b.props.loggings).map((l) => l.targetBucket),
                ]),
            ...ofType(args.resources, "aws:lb/loadBalancer:LoadBalancer").map(
                (r) => (r.props.accessLogs as Props | undefined)?.bucket,
            ),
        ]);
        for (const bucket of args.resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
            const name = bucketName(bucket);
            const p = bucket.props;
            const versioned =
                list(p.versioning).some((v) => v.enabled === true) ||
                list(p.versionings).some((v) => v.enabled === true) ||
                (versioning.get(name) ?? []).some(
                    (v) => (v.props.versioningConfiguration as Props | undefined)?.status === "Enabled",
                );
            if (!versioned) report("versioning is not enabled", bucket.urn);

            const algorithms = sseAlgorithms(bucket, encryption.get(name) ?? []);
            if (algorithms.length === 0) report("no default encryption configuration", bucket.urn);
            for (const a of algorithms)
                if (!SSE_ALGORITHMS.includes(String(a)))
                    report(
                        `default encryption uses ${JSON.stringify(a)}; use ${SSE_ALGORITHMS.join(", ")}`,
                        bucket.urn,
                    );

            const pab = (publicAccess.get(name) ?? [])[0]?.props ?? {};
            if (
                !["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every(
                    (k) => pab[k] === true,
                )
            ) {
                report("public access is not fully blocked (all four public access block settings)", bucket.urn);
            }

            const cannedAcls = [p.acl, ...(acls.get(name) ?? []).map((a) => a.props.acl)];
            for (const acl of cannedAcls)
                if (PUBLIC_ACLS.includes(String(acl)))
                    report(`the canned ACL "${String(acl)}" opens the bucket to the public`, bucket.urn);
            const grants = [
                ...list(p.grants).map((g) => ({ uri: g.uri, permission: g.permissions })),
                ...(acls.get(name) ?? []).flatMap((a) =>
                    list((a.props.accessControlPolicy as Props | undefined)?.grants).map((g) => ({
                        uri: (g.grantee as Props | undefined)?.uri,
                        permission: g.permission,
                    })),
                ),
            ];
            for (const g of grants)
                if (typeof g.uri === "string" && PUBLIC_GRANTEES.test(g.uri))
                    report(
                        `a grant gives ${Array.isArray(g.permission) ? g.permission.join(", ") : String(g.permission)} to ${g.uri.split("/").pop()}`,
                        bucket.urn,
                    );

            const policy = [p.policy, ...(policies.get(name) ?? []).map((x) => x.props.policy)]
                .map((x) => (typeof x === "string" ? x : JSON.stringify(x ?? "")))
                .join("\n");
            if (!/"aws:SecureTransport"\s*:\s*"false"/.test(policy))
                report("the bucket policy does not deny requests without TLS", bucket.urn);
            const logs =
                (logging.get(name) ?? []).length > 0 ||
                list(p.logging).some((l) => l.targetBucket !== undefined) ||
                list(p.loggings).some((l) => l.targetBucket !== undefined);
            if (!logs && !logTargets.has(name)) report("server access logging is off", bucket.urn);
        }
    },
};

/** Serving Deployments (they expose ports and are not scaled to zero) with their pod labels. */
function servingWorkloads(
    resources: PolicyResource[],
): Array<{ resource: PolicyResource; namespace: unknown; labels: Record<string, string> }> {
    return ofType(resources, "kubernetes:apps/v1:Deployment").flatMap((r) => {
        const pod = podSpecOf(r.type, r.props);
        const spec = r.props.spec as
            { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
        if (!pod || !isServing(pod) || spec?.replicas === 0) return [];
        return [
            {
                resource: r,
                namespace: (r.props.metadata as Props | undefined)?.namespace,
                labels: spec?.template?.metadata?.labels ?? {},
            },
        ];
    });
}

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>): boolean =>
    selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);

export const k8sPdbForServing: StackValidationPolicy = {
    name: "k8s-pdb-for-serving",
    description: "Checks whether every serving Deployment is covered by a PodDisruptionBudget.",
    severity: "medium",
    remediationSteps:
        "Add a PodDisruptionBudget (maxUnavailable: 1) selecting the Deployment's pods, as BlueGreenEksService does per colour.",
    validateStack: (args, report) => {
        const pdbs = ofType(args.resources, "kubernetes:policy/v1:PodDisruptionBudget");
        for (const w of servingWorkloads(args.resources)) {
            const covered = pdbs.some(
                (p) =>
                    (p.props.metadata as Props | undefined)?.namespace === w.namespace &&
                    selects(
                        (
                            (p.props.spec as Props | undefined)?.selector as
                                { matchLabels?: Record<string, string> } | undefined
                        )?.matchLabels,
                        w.labels,
                    ),
            );
            if (!covered) report("no PodDisruptionBudget covers this serving Deployment", w.resource.urn);
        }
    },
};

export const k8sNetworkPolicyForServing: StackValidationPolicy = {
    name: "k8s-networkpolicy-for-serving",
    description: "Checks whether a NetworkPolicy selects every serving pod.",
    severity: "medium",
    remediationSteps: "Add a NetworkPolicy that selects the pods and admits only the ingress and Prometheus.",
    validateStack: (args, report) => {
        const policies = ofType(args.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        for (const w of servingWorkloads(args.resources)) {
            const covered = policies.some(
                (p) =>
                    (p.props.metadata as Props | undefined)?.namespace === w.namespace &&
                    selects(
                        (
                            (p.props.spec as Props | undefined)?.podSelector as
                                { matchLabels?: Record<string, string> } | undefined
                        )?.matchLabels,
                        w.labels,
                    ),
            );
            if (!covered) report("no NetworkPolicy selects this serving Deployment's pods", w.resource.urn);
        }
    },
};

export const k8sMonitoredServing: StackValidationPolicy = {
    name: "k8s-monitored-serving",
    description:
        "Checks whether a ServiceMonitor scrapes every serving Service, and alert rules exist when anything serves.",
    severity: "medium",
    remediationSteps:
        "Deploy MonitoringStack with the service in `services`; it adds the ServiceMonitor and the PrometheusRule.",
    validateStack: (args, report) => {
        const workloads = servingWorkloads(args.resources);
        if (workloads.length === 0) return;
        const monitors = ofType(args.resources, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
        for (const service of ofType(args.resources, "kubernetes:core/v1:Service")) {
            const selector = (service.props.spec as { selector?: Record<string, string> } | undefined)?.selector;
            if (!workloads.some((w) => selects(selector, w.labels))) continue;
            const labels =
                ((service.props.metadata as Props | undefined)?.labels as Record<string, string> | undefined) ?? {};
            const monitored = monitors.some((m) =>
                selects(
                    (
                        (m.props.spec as Props | undefined)?.selector as
                            { matchLabels?: Record<string, string> } | undefined
                    )?.matchLabels,
                    labels,
                ),
            );
            if (!monitored) report("no ServiceMonitor scrapes this serving Service", service.urn);
        }
        if (ofType(args.resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").length === 0) {
            report("workloads serve but no PrometheusRule holds the production standards' alerts");
        }
    },
};

export const statefulResourcesProtected: StackValidationPolicy = {
    name: "stateful-resources-protected",
    description:
        "Checks whether stateful resources (buckets, registries, keys, clusters, log groups) are protected from deletion.",
    severity: "high",
    configSchema: {
        properties: {
            types: {
                type: "array",
                items: { type: "string" },
                default: [
                    "aws:s3/bucket:Bucket",
                    "aws:ecr/repository:Repository",
                    "aws:kms/key:Key",
                    "aws:eks/cluster:Cluster",
                    "aws:ecs/cluster:Cluster",
                ],
            },
        },
    },
    remediationSteps: "Set protect: true (llm-platform:protectStatefulResources, on by default in prod).",
    validateStack: (args, report) => {
        const { types } = args.getConfig<{ types: string[] }>();
        for (const r of args.resources)
            if (types.includes(r.type) && !r.opts.protect) report(`${r.type} is not protected`, r.urn);
    },
};

export const gpuBudget: StackValidationPolicy = {
    name: "gpu-budget",
    description:
        "Checks whether the stack's GPU instances, every node on-demand at maximum scale, stay within a monthly budget.",
    severity: "medium",
    configSchema: {
        properties: {
            maxMonthlyUsd: { type: "number", minimum: 0, default: 10000 },
        },
    },
    remediationSteps:
        "Lower the GPU pools' maxSize, choose a cheaper instance type, or raise maxMonthlyUsd in the policy config. Prices come from prices/aws-us-east-1.json; add a missing instance type there with its source.",
    validateStack: (args, report) => {
        const { maxMonthlyUsd } = args.getConfig<{ maxMonthlyUsd: number }>();
        const estimate = estimateCost(args.resources);
        for (const u of estimate.unpriced.filter((x) => x.gpu))
            report(
                `cannot price GPU instances of ${u.name}: ${u.types.join(", ")}; add them to ${PRICE_TABLE} with their source`,
                u.urn,
            );
        const max = estimate.gpuOnDemand.max;
        if (max > maxMonthlyUsd) {
            const pools = estimate.lines
                .filter((l) => l.gpu && l.maxCount > 0)
                .sort((a, b) => b.unitMonthly * b.maxCount - a.unitMonthly * a.maxCount);
            const parts = pools.map((l) => `${l.name}: ${l.maxCount} × ${l.instanceType} at ${usd(l.unitMonthly)}`);
            // Reported on the dearest pool, the first place to cut.
            report(
                `GPU instances could cost ${usd(max)} a month on-demand at maximum scale (${parts.join("; ")}), over the budget of ${usd(maxMonthlyUsd)}`,
                pools[0].urn,
            );
        }
    },
};

export const STACK_POLICIES: StackValidationPolicy[] = [
    s3BucketHardened,
    k8sPdbForServing,
    k8sNetworkPolicyForServing,
    k8sMonitoredServing,
    statefulResourcesProtected,
    gpuBudget,
];
