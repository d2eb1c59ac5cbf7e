/**
 * Every container's logs, kept and searchable after its pod is gone: Fluent Bit on every node
 * (the fluent/fluent-bit chart at a pinned version, its own image with the `cloudwatch_logs` output
 * built in) tails the kubelet's container log files, adds each pod's Kubernetes metadata, merges
 * JSON lines into the record, and writes to one CloudWatch Logs group this component owns, with a
 * retention and a KMS key; saved Logs Insights queries answer the alerts' first steps.
 *
 * Chosen over the `amazon-cloudwatch-observability` add-on (which installs a CloudWatch agent that
 * mounts the node's root, a second DCGM exporter, an operator with webhooks, and log groups with no
 * retention, all for logs) and over Loki in the cluster (a dozen pods and an object-store compactor
 * to run, worth it only well above ~10 GB a day; the control plane's logs are in CloudWatch
 * anyway). CloudWatch Logs costs per GB ingested and stored; the filter below drops the probes'
 * access lines, the bulk of an idle server's log. Sources: docs/UPSTREAM.md, "Logs".
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLOUDWATCH_RETENTION_DAYS } from "../../catalog/formats";
import { LOGGING_NAMESPACE } from "../../catalog/reserved";
import { assertValid } from "../validation";
import { logQueryFolder, type LogGroupKind, type LogQuery } from "./logQueries";
import { createIrsaRole } from "./workloadIdentity";

/** The chart (fluent/helm-charts `charts/fluent-bit`); its appVersion, the image's tag, is 5.1.1. */
export const FLUENT_BIT_CHART_VERSION = "0.58.1";
export const FLUENT_BIT_REPO = "https://fluent.github.io/helm-charts";
export const LOG_PIPELINE_NAMESPACE = LOGGING_NAMESPACE;
export const LOG_PIPELINE_SERVICE_ACCOUNT = "fluent-bit";

/** Where Fluent Bit keeps its read positions and its buffer across restarts, on the node. */
export const FLUENT_BIT_STATE_DIR = "/var/fluent-bit/state";

/** Where the containers' logs go: beside the control plane's `/aws/eks/<cluster>/cluster`. */
export function containerLogGroupName(clusterName: string): string {
    return `/aws/eks/${clusterName}/containers`;
}

/** Request paths whose access lines are dropped: the kubelet's probes and Prometheus's scrapes. */
export const PROBE_PATHS = ["/health", "/metrics", "/ping", "/v1/models"] as const;

/** The arguments of `LogPipeline` (`new LogPipeline(name, args, opts)`). */
export interface LogPipelineArgs {
    provider: k8s.Provider;
    /** The cluster's name in EKS (EksCluster's `clusterName`): names the log group and the queries' folder. */
    clusterName: pulumi.Input<string>;
    /** The cluster's AWS region (Fluent Bit does not ask the instance metadata service: IMDS hop limit 1). */
    region: pulumi.Input<string>;
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** Days the containers' events are kept: a CloudWatch retention period (1, 3, 5, 7, 14, 30, … 3653). */
    retentionInDays: number;
    /** A KMS key CloudWatch Logs may use for the group (LogEncryptionKey). @default - CloudWatch Logs' own key */
    kmsKeyArn?: pulumi.Input<string>;
    /**
     * Saved Logs Insights queries to create (buildLogQueries), in the folder `llm-platform/<cluster>`;
     * a query of the control plane's group needs `controlPlaneLogGroupName`. @default []
     */
    queries?: LogQuery[];
    /** The control plane's log group (EksCluster's), for the queries that read it. */
    controlPlaneLogGroupName?: pulumi.Input<string>;
    /** Namespace created for the collector; the pod security admission level is privileged (hostPath). @default "logging" */
    namespace?: string;
    /** @default FLUENT_BIT_CHART_VERSION */
    chartVersion?: string;
    /** Protect the log group from deletion (its events go with it). @default true */
    protect?: boolean;
    /** Tags for the AWS resources. @default {} */
    tags?: Record<string, string>;
}

export function validateLogPipelineArgs(args: Omit<LogPipelineArgs, "provider">): string[] {
    const problems: string[] = [];
    if (typeof args.clusterName === "string" && !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(args.clusterName))
        problems.push(`clusterName: expected an EKS cluster name, received ${JSON.stringify(args.clusterName)}`);
    if (!CLOUDWATCH_RETENTION_DAYS.includes(args.retentionInDays))
        problems.push(
            `retentionInDays: expected a CloudWatch retention period (${CLOUDWATCH_RETENTION_DAYS.join(", ")}), received ${JSON.stringify(args.retentionInDays)}`,
        );
    if (args.chartVersion !== undefined && !/^\d+\.\d+\.\d+$/.test(args.chartVersion))
        problems.push(
            `chartVersion: expected an exact version such as ${FLUENT_BIT_CHART_VERSION}, received ${JSON.stringify(args.chartVersion)}`,
        );
    if (args.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(args.namespace))
        problems.push(`namespace: expected a Kubernetes namespace name, received ${JSON.stringify(args.namespace)}`);
    const keys = new Set<string>();
    for (const q of args.queries ?? []) {
        if (keys.has(q.key)) problems.push(`queries: the key ${JSON.stringify(q.key)} is used twice`);
        keys.add(q.key);
        if (q.groups.includes("control-plane") && args.controlPlaneLogGroupName === undefined)
            problems.push(
                `queries: ${JSON.stringify(q.key)} reads the control plane's log group; give controlPlaneLogGroupName (EksCluster's controlPlaneLogs)`,
            );
    }
    return problems;
}

/**
 * Fluent Bit's permissions: write streams and events into the one log group, nothing else. The
 * output is told not to create the group (`auto_create_group false`) nor set its retention, so it
 * calls CreateLogStream and PutLogEvents alone (plugins/out_cloudwatch_logs/cloudwatch_api.c, v5.1.1).
 */
export function logPipelinePolicy(logGroupArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "WriteContainerLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: [logGroupArn, `${logGroupArn}:*`],
            },
        ],
    });
}

/**
 * Fluent Bit's configuration (the chart's classic-mode sections). Files under /var/log/containers
 * are the kubelet's CRI logs; positions and a filesystem buffer survive a restart on the node.
 * The chart passes each section through Helm's `tpl`, so none may contain `{{`.
 */
export function fluentBitConfig(options: { region: string; logGroupName: string }): Record<string, string> {
    const section = (name: string, entries: Array<[string, string]>): string =>
        [`[${name}]`, ...entries.map(([k, v]) => `    ${k} ${v}`)].join("\n") + "\n";
    const probes = PROBE_PATHS.map((p) => p.replace(/^\//, "")).join("|");
    return {
        service: section("SERVICE", [
            ["Daemon", "Off"],
            ["Flush", "5"],
            ["Log_Level", "info"],
            ["Parsers_File", "/fluent-bit/etc/parsers.conf"],
            ["HTTP_Server", "On"],
            ["HTTP_Listen", "0.0.0.0"],
            ["HTTP_Port", "2020"],
            ["Health_Check", "On"],
            ["storage.path", `${FLUENT_BIT_STATE_DIR}/buffer/`],
            ["storage.sync", "normal"],
            ["storage.backlog.mem_limit", "16M"],
        ]),
        inputs: section("INPUT", [
            ["Name", "tail"],
            ["Tag", "kube.*"],
            ["Path", "/var/log/containers/*.log"],
            ["multiline.parser", "cri"],
            ["DB", `${FLUENT_BIT_STATE_DIR}/containers.db`],
            ["DB.locking", "true"],
            ["Mem_Buf_Limit", "50MB"],
            ["Skip_Long_Lines", "On"],
            ["Refresh_Interval", "10"],
            ["Rotate_Wait", "30"],
            ["storage.type", "filesystem"],
        ]),
        filters: [
            section("FILTER", [
                ["Name", "kubernetes"],
                ["Match", "kube.*"],
                ["Kube_URL", "https://kubernetes.default.svc:443"],
                ["Merge_Log", "On"],
                ["Keep_Log", "Off"],
                ["K8S-Logging.Parser", "On"],
                ["K8S-Logging.Exclude", "On"],
                ["Labels", "On"],
                ["Annotations", "Off"],
                ["Buffer_Size", "0"],
            ]),
            // uvicorn's access lines of the probes and scrapes: `<peer> - "GET /health HTTP/1.1" 200`.
            section("FILTER", [
                ["Name", "grep"],
                ["Match", "kube.*"],
                ["Exclude", `message "GET /(${probes}) HTTP/`],
            ]),
        ].join("\n"),
        outputs: section("OUTPUT", [
            ["Name", "cloudwatch_logs"],
            ["Match", "kube.*"],
            ["region", options.region],
            ["log_group_name", options.logGroupName],
            ["log_stream_prefix", "node-"],
            [
                "log_stream_template",
                "$kubernetes['namespace_name'].$kubernetes['pod_name'].$kubernetes['container_name']",
            ],
            ["auto_create_group", "false"],
            ["workers", "1"],
            ["Retry_Limit", "10"],
        ]),
    };
}

/** The chart's values (inputs may be outputs: a preview then shows all but those leaves). */
export function logPipelineValues(options: {
    region: pulumi.Input<string>;
    logGroupName: pulumi.Input<string>;
    roleArn: pulumi.Input<string>;
}): Record<string, unknown> {
    return {
        kind: "DaemonSet",
        serviceAccount: {
            create: true,
            name: LOG_PIPELINE_SERVICE_ACCOUNT,
            annotations: { "eks.amazonaws.com/role-arn": options.roleArn },
        },
        // get, list and watch pods and namespaces: the kubernetes filter's metadata.
        rbac: { create: true, nodeAccess: false, eventsAccess: false },
        // The chart's `helm test` pod runs busybox:latest; nothing here runs it.
        testFramework: { enabled: false },
        hostNetwork: false,
        podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
        // Root reads the kubelet's root-owned 0640 log files as their owner: no capability is needed
        // (DAC_OVERRIDE only for files of other owners), so all are dropped.
        securityContext: {
            runAsUser: 0,
            runAsGroup: 0,
            runAsNonRoot: false,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        // Every node, GPU nodes with their taints included: a node's logs are collected on it.
        tolerations: [{ operator: "Exists" }],
        priorityClassName: "system-node-critical",
        resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "384Mi" } },
        daemonSetVolumes: [
            { name: "varlog", hostPath: { path: "/var/log" } },
            { name: "state", hostPath: { path: FLUENT_BIT_STATE_DIR, type: "DirectoryOrCreate" } },
        ],
        daemonSetVolumeMounts: [
            { name: "varlog", mountPath: "/var/log", readOnly: true },
            { name: "state", mountPath: FLUENT_BIT_STATE_DIR },
        ],
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "10%" } },
        config:
            typeof options.region === "string" && typeof options.logGroupName === "string"
                ? fluentBitConfig({ region: options.region, logGroupName: options.logGroupName })
                : pulumi
                      .all([options.region, options.logGroupName])
                      .apply(([region, logGroupName]) => fluentBitConfig({ region, logGroupName })),
    };
}

/**
 * Fluent Bit on every node, from its Helm chart at a pinned version, writing every container's log
 * lines to `/aws/eks/<cluster>/containers` (retention, KMS) through an IRSA role that may write
 * that group alone; and the saved Logs Insights queries the alerts' runbooks name.
 */
export class LogPipeline extends pulumi.ComponentResource {
    public readonly logGroupName: pulumi.Output<string>;
    public readonly logGroupArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly namespace: pulumi.Output<string>;
    /** The saved queries' names (`llm-platform/<cluster>/<key>`) by key. */
    public readonly queryNames: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: LogPipelineArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:LogPipeline", name, {}, opts);
        assertValid(this, "LogPipeline", name, validateLogPipelineArgs(args));
        const tags = args.tags ?? {};
        const child = { parent: this };
        const k8sOpts = { parent: this, provider: args.provider };
        const namespaceName = args.namespace ?? LOG_PIPELINE_NAMESPACE;

        const group = new aws.cloudwatch.LogGroup(
            `${name}-containers`,
            {
                name: pulumi.output(args.clusterName).apply(containerLogGroupName),
                retentionInDays: args.retentionInDays,
                kmsKeyId: args.kmsKeyArn,
                tags,
            },
            { ...child, protect: args.protect ?? true },
        );
        const role = createIrsaRole(
            name,
            {
                namespace: namespaceName,
                serviceAccount: LOG_PIPELINE_SERVICE_ACCOUNT,
                description: "Fluent Bit: write the cluster's container logs",
                oidcProviderArn: args.oidcProviderArn,
                oidcIssuerUrl: args.oidcIssuerUrl,
                tags,
            },
            this,
        );
        new aws.iam.RolePolicy(`${name}-write`, { role: role.id, policy: group.arn.apply(logPipelinePolicy) }, child);
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: namespaceName,
                    // The collector mounts the node's /var/log and its state folder (hostPath).
                    labels: {
                        "pod-security.kubernetes.io/enforce": "privileged",
                        "app.kubernetes.io/managed-by": "pulumi",
                    },
                },
            },
            k8sOpts,
        );
        new k8s.helm.v3.Release(
            name,
            {
                chart: "fluent-bit",
                version: args.chartVersion ?? FLUENT_BIT_CHART_VERSION,
                repositoryOpts: { repo: FLUENT_BIT_REPO },
                namespace: namespace.metadata.name,
                values: logPipelineValues({ region: args.region, logGroupName: group.name, roleArn: role.arn }),
                atomic: true,
                cleanupOnFail: true,
            },
            k8sOpts,
        );

        const folder = pulumi.output(args.clusterName).apply(logQueryFolder);
        const groupsOf = (kinds: LogGroupKind[]): pulumi.Input<string>[] =>
            kinds.map((k) => (k === "containers" ? group.name : args.controlPlaneLogGroupName!));
        this.queryNames = {};
        for (const q of args.queries ?? []) {
            this.queryNames[q.key] = pulumi.interpolate`${folder}/${q.key}`;
            new aws.cloudwatch.QueryDefinition(
                `${name}-query-${q.key}`,
                { name: this.queryNames[q.key], queryString: q.query, logGroupNames: groupsOf(q.groups) },
                child,
            );
        }
        this.logGroupName = group.name;
        this.logGroupArn = group.arn;
        this.roleArn = role.arn;
        this.namespace = namespace.metadata.name;
        this.registerOutputs({
            logGroupName: this.logGroupName,
            logGroupArn: this.logGroupArn,
            roleArn: this.roleArn,
            namespace: this.namespace,
        });
    }
}
