/**
 * The log pipeline, checked against what its upstreams read at the pinned versions (docs/UPSTREAM.md,
 * "Logs"): Fluent Bit's configuration against the option names of its plugins at v5.1.1, the chart's
 * values against the chart's own at 0.58.1, the permissions against what the CloudWatch output calls,
 * vLLM's logging configuration against Python's logging.config, and the saved queries against the
 * records the pipeline writes and the alert table.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { logEncryptionKeyPolicy, validateLogEncryptionKeyArgs } from "../components/aws/logEncryptionKey";
import { validateEksClusterArgs } from "../components/aws/eksCluster";
import { alertCatalogue, buildRuleGroups, FIRST_STEPS, VLLM_METRICS } from "../components/k8s/alertRules";
import {
    containerLogGroupName,
    FLUENT_BIT_CHART_VERSION,
    FLUENT_BIT_REPO,
    fluentBitConfig,
    logPipelinePolicy,
    logPipelineValues,
    validateLogPipelineArgs,
} from "../components/k8s/logPipeline";
import { ALERT_LOG_QUERY, buildLogQueries } from "../components/k8s/logQueries";
import { registryRuleGroups } from "../components/registry/monitoring";
import { serverArgs, vllmLoggingConfig } from "../components/vllmServer";
import { reviewHelmRelease } from "../policies/charts";
import { REFERENCE_SLO } from "../catalog/standards";
import { chartDefaults } from "./helm";
import { find } from "./helpers";
import { planOf, planWith } from "./plans";
import { runProgram } from "../tools/engine/run";

type Values = Record<string, unknown>;

const OPTIONS = JSON.parse(
    fs.readFileSync(path.join(__dirname, "fixtures", "fluent-bit-5.1.1-options.json"), "utf8"),
) as {
    service: string[];
    input: Record<string, string[]>;
    filter: Record<string, string[]>;
    output: Record<string, string[]>;
};

/** Fluent Bit's classic configuration: `[SECTION]` then indented `key value` lines. */
function parseClassic(text: string): Array<{ section: string; entries: Array<[string, string]> }> {
    const sections: Array<{ section: string; entries: Array<[string, string]> }> = [];
    for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        const header = /^\[([A-Z]+)\]$/.exec(line);
        if (header) {
            sections.push({ section: header[1], entries: [] });
            continue;
        }
        const entry = /^ {4}(\S+) (.+)$/.exec(line);
        assert.ok(entry && sections.length > 0, `not a classic-mode line: ${JSON.stringify(line)}`);
        sections[sections.length - 1].entries.push([entry[1], entry[2]]);
    }
    return sections;
}

const CONFIG = fluentBitConfig({ region: "us-east-1", logGroupName: "/aws/eks/c/containers" });
const VALUES = logPipelineValues({ region: "us-east-1", logGroupName: "/aws/eks/c/containers", roleArn: "arn:r" });

describe("LogPipeline: Fluent Bit to CloudWatch Logs", () => {
    it("configures only options Fluent Bit 5.1.1 has, for plugins it has, with no Helm template in them", () => {
        const text = [CONFIG.service, CONFIG.inputs, CONFIG.filters, CONFIG.outputs].join("\n");
        // The chart renders each section through `tpl`.
        assert.ok(!text.includes("{{"));
        const sections = parseClassic(text);
        assert.deepEqual(
            sections.map((s) => `${s.section} ${s.entries.find(([k]) => k === "Name")?.[1] ?? ""}`.trim()),
            ["SERVICE", "INPUT tail", "FILTER kubernetes", "FILTER grep", "OUTPUT cloudwatch_logs"],
        );
        for (const { section, entries } of sections) {
            const plugin = entries.find(([k]) => k === "Name")?.[1];
            const known =
                section === "SERVICE"
                    ? OPTIONS.service
                    : [
                          ...OPTIONS[section.toLowerCase() as "input" | "filter" | "output"].generic,
                          ...OPTIONS[section.toLowerCase() as "input" | "filter" | "output"][plugin!],
                      ];
            for (const [key] of entries)
                assert.ok(known.includes(key.toLowerCase()), `${section} ${plugin ?? ""}: ${key} is not an option`);
        }
    });

    it("tails the kubelet's CRI logs with state on the node, merges JSON lines, drops probe lines, writes one group", () => {
        const sections = parseClassic([CONFIG.inputs, CONFIG.filters, CONFIG.outputs].join("\n"));
        const of = (i: number) => Object.fromEntries(sections[i].entries);
        assert.equal(of(0).Path, "/var/log/containers/*.log");
        assert.equal(of(0)["multiline.parser"], "cri");
        assert.equal(of(0).DB, "/var/fluent-bit/state/containers.db");
        assert.equal(of(1).Merge_Log, "On");
        assert.equal(of(1).Keep_Log, "Off");
        assert.equal(of(2).Exclude, 'message "GET /(health|metrics|ping|v1/models) HTTP/');
        // The grep filter splits its value once, on the first space: the rest is the regex.
        const regex = new RegExp(of(2).Exclude.split(" ").slice(1).join(" "));
        assert.ok(regex.test('10.0.1.5:43210 - "GET /health HTTP/1.1" 200'));
        assert.ok(regex.test('10.0.1.9:5555 - "GET /v1/models HTTP/1.1" 200'));
        assert.ok(!regex.test('10.0.1.5:43210 - "POST /v1/chat/completions HTTP/1.1" 500'));
        assert.deepEqual(of(3), {
            Name: "cloudwatch_logs",
            Match: "kube.*",
            region: "us-east-1",
            log_group_name: "/aws/eks/c/containers",
            log_stream_prefix: "node-",
            log_stream_template: "$kubernetes['namespace_name'].$kubernetes['pod_name'].$kubernetes['container_name']",
            auto_create_group: "false",
            workers: "1",
            Retry_Limit: "10",
        });
    });

    it("sets only values the chart 0.58.1 has, and keeps its reviewed hardening", () => {
        const defaults = chartDefaults("fluent-bit-0.58.1.values.yaml");
        // A key the chart does not read is a setting that silently does nothing.
        const unknown = (ours: Values, theirs: Values, at: string): string[] =>
            Object.entries(ours).flatMap(([k, v]) => {
                if (!(k in theirs)) return [`${at}${k}`];
                const d = theirs[k];
                const table = (x: unknown): x is Values => typeof x === "object" && x !== null && !Array.isArray(x);
                // Free-form tables ({} by default: annotations, securityContext) take any key.
                return table(v) && table(d) && Object.keys(d).length > 0 ? unknown(v, d, `${at}${k}.`) : [];
            });
        assert.deepEqual(unknown(VALUES, defaults, ""), []);
        const release = {
            chart: "fluent-bit",
            version: FLUENT_BIT_CHART_VERSION,
            repositoryOpts: { repo: FLUENT_BIT_REPO },
            values: VALUES,
        };
        assert.deepEqual(reviewHelmRelease(release), []);
        const loosened = structuredClone(VALUES) as { securityContext: Values; daemonSetVolumes: unknown[] };
        loosened.securityContext.readOnlyRootFilesystem = false;
        loosened.daemonSetVolumes.push({ name: "root", hostPath: { path: "/" } });
        assert.deepEqual(reviewHelmRelease({ ...release, values: loosened }), [
            'Helm release of chart "fluent-bit" 0.58.1: values.securityContext.readOnlyRootFilesystem is false; the review expects true',
            'Helm release of chart "fluent-bit" 0.58.1: values.daemonSetVolumes is [{"name":"varlog","hostPath":{"path":"/var/log"}},{"name":"state","hostPath":{"path":"/var/fluent-bit/state","type":"DirectoryOrCreate"}},{"name":"root","hostPath":{"path":"/"}}]; the review expects the node\'s /var/log and /var/fluent-bit/state alone',
        ]);
    });

    it("may write streams and events of its one group, nothing else", () => {
        assert.deepEqual(
            JSON.parse(logPipelinePolicy("arn:aws:logs:us-east-1:123456789012:log-group:/aws/eks/c/containers")),
            {
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "WriteContainerLogs",
                        Effect: "Allow",
                        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                        Resource: [
                            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/eks/c/containers",
                            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/eks/c/containers:*",
                        ],
                    },
                ],
            },
        );
    });

    it("refuses a bad cluster name, retention, chart version, namespace and queries before creating anything", () => {
        assert.deepEqual(
            validateLogPipelineArgs({
                clusterName: "-bad",
                region: "us-east-1",
                oidcProviderArn: "a",
                oidcIssuerUrl: "u",
                retentionInDays: 10,
                chartVersion: "latest",
                namespace: "Logging",
                queries: [
                    ...buildLogQueries({ servingNamespaces: ["chat"] }),
                    { key: "errors", title: "t", groups: ["containers"], query: "fields @message" },
                ],
            }),
            [
                'clusterName: expected an EKS cluster name, received "-bad"',
                "retentionInDays: expected a CloudWatch retention period (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), received 10",
                'chartVersion: expected an exact version such as 0.58.1, received "latest"',
                'namespace: expected a Kubernetes namespace name, received "Logging"',
                "queries: \"changes-by-hand\" reads the control plane's log group; give controlPlaneLogGroupName (EksCluster's controlPlaneLogs)",
                'queries: the key "errors" is used twice',
            ],
        );
        assert.equal(containerLogGroupName("c"), "/aws/eks/c/containers");
    });
});

describe("the logs' KMS key and the control plane's group", () => {
    it("lets CloudWatch Logs of the region use the key for the named groups only", () => {
        assert.deepEqual(
            JSON.parse(
                logEncryptionKeyPolicy({
                    partition: "aws",
                    region: "eu-west-1",
                    accountId: "123456789012",
                    logGroupPatterns: ["/aws/eks/c/*"],
                }),
            ).Statement[1],
            {
                Sid: "CloudWatchLogsEncrypts",
                Effect: "Allow",
                Principal: { Service: "logs.eu-west-1.amazonaws.com" },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                Resource: "*",
                Condition: {
                    ArnLike: {
                        "kms:EncryptionContext:aws:logs:arn": [
                            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/c/*",
                        ],
                    },
                },
            },
        );
        assert.deepEqual(validateLogEncryptionKeyArgs({ logGroupPatterns: [] }), [
            "logGroupPatterns: expected at least one log group name pattern, such as /aws/eks/<cluster>/*",
        ]);
        assert.deepEqual(validateLogEncryptionKeyArgs({ logGroupPatterns: ["a b"] }), [
            'logGroupPatterns[0]: expected a log group name (letters, digits, _ - . / # and * as a wildcard), received "a b"',
        ]);
    });

    it("needs the cluster's name to make its group first, and a retention CloudWatch has", () => {
        const base = { kubernetesVersion: "1.33", vpcId: "vpc-1", subnetIds: ["subnet-1"] };
        assert.deepEqual(validateEksClusterArgs({ ...base, controlPlaneLogs: { retentionInDays: 90 } }), [
            "controlPlaneLogs: needs clusterName: EKS logs to /aws/eks/<clusterName>/cluster, which must exist before the cluster (for a cluster made without one, give the name it has)",
        ]);
        assert.deepEqual(
            validateEksClusterArgs({ ...base, clusterName: "c d", controlPlaneLogs: { retentionInDays: 2 } }),
            [
                'clusterName: expected an EKS cluster name (1 to 100 letters, digits, - and _, starting with a letter or digit), received "c d"',
                "controlPlaneLogs.retentionInDays: expected a CloudWatch retention period (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), received 2",
            ],
        );
        assert.deepEqual(
            validateEksClusterArgs({
                existingClusterName: "old",
                clusterName: "new",
                controlPlaneLogs: { retentionInDays: 90 },
            }),
            [
                "clusterName: names a new cluster; an existing one is named by existingClusterName alone",
                "controlPlaneLogs: an existing cluster's control plane logs to the group EKS made for it; leave controlPlaneLogs out",
            ],
        );
    });
});

describe("vLLM's logs as JSON lines", () => {
    it("configures vLLM's and uvicorn's loggers with python-json-logger, as vLLM's example does", () => {
        assert.deepEqual(vllmLoggingConfig({ logLevel: "trace", model: "chat" }), {
            version: 1,
            disable_existing_loggers: false,
            formatters: {
                json: {
                    "()": "pythonjsonlogger.jsonlogger.JsonFormatter",
                    fmt: "%(levelname)s %(name)s %(message)s",
                    rename_fields: { levelname: "level", name: "logger" },
                    timestamp: "ts",
                    static_fields: { model: "chat" },
                },
            },
            handlers: { json: { class: "logging.StreamHandler", formatter: "json", stream: "ext://sys.stdout" } },
            loggers: Object.fromEntries(
                ["vllm", "uvicorn", "uvicorn.error", "uvicorn.access"].map((l) => [
                    l,
                    { handlers: ["json"], level: "DEBUG", propagate: false },
                ]),
            ),
        });
    });

    it("is a configuration Python's logging.config accepts (python3: required in CI, .ci/run)", function () {
        let python: string;
        try {
            python = execFileSync("python3", ["-c", "import logging.config; print('ok')"], { encoding: "utf8" });
        } catch (e) {
            // A contributor's machine without python3: the structure is asserted exactly above.
            if (process.env.LLM_PLATFORM_REQUIRE_PYTHON === "1") throw e;
            return;
        }
        assert.equal(python.trim(), "ok");
        const config = vllmLoggingConfig({ logLevel: "INFO", model: "chat" }) as {
            formatters: { json: Record<string, unknown> };
        };
        // python-json-logger is vLLM's, not this machine's: the same factory protocol with the
        // standard formatter checks the rest (handlers, loggers, levels, the ext:// stream).
        const stdlib = {
            ...config,
            formatters: { json: { format: "%(levelname)s %(name)s %(message)s" } },
        };
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vllm-logging-"));
        const file = path.join(dir, "logging.json");
        fs.writeFileSync(file, JSON.stringify(stdlib));
        const out = execFileSync(
            "python3",
            [
                "-c",
                "import json, logging, logging.config, sys; logging.config.dictConfig(json.load(open(sys.argv[1]))); logging.getLogger('uvicorn.access').info('%s - \"%s %s HTTP/%s\" %d', '10.0.0.1:1', 'GET', '/x', '1.1', 200)",
                file,
            ],
            { encoding: "utf8" },
        );
        assert.equal(out, 'INFO uvicorn.access 10.0.0.1:1 - "GET /x HTTP/1.1" 200\n');
    });

    it("logs request ids and parameters, never prompts, and answers with X-Request-Id", () => {
        const args = serverArgs({ modelPath: "/models/v1", port: 8000, logLevel: "INFO", logRequests: true });
        assert.deepEqual(args.slice(8), ["--enable-request-id-headers", "--enable-log-requests", "--max-log-len", "0"]);
    });
});

describe("the saved Logs Insights queries", () => {
    const queries = buildLogQueries({ servingNamespaces: ["chat", "embed"] });

    it("every alert's first steps name a saved query that exists, and the runbook shows it", () => {
        const alerts = alertCatalogue([
            ...buildRuleGroups({ metrics: VLLM_METRICS, slo: REFERENCE_SLO, job: "inference", runbookBaseUrl: "" }),
            ...registryRuleGroups("mlflow", ""),
        ]).map((a) => a.alert);
        assert.deepEqual(Object.keys(ALERT_LOG_QUERY).sort(), [...alerts].sort());
        assert.deepEqual(Object.keys(FIRST_STEPS).sort(), [...alerts].sort());
        const keys = queries.map((q) => q.key);
        for (const [alert, key] of Object.entries(ALERT_LOG_QUERY))
            assert.ok(keys.includes(key), `${alert}: no saved query ${key}`);
        // Every query is some alert's.
        assert.deepEqual([...new Set(Object.values(ALERT_LOG_QUERY))].sort(), [...keys].sort());
        const readme = fs.readFileSync(path.join(__dirname, "..", "docs", "alerts.md"), "utf8");
        for (const alert of alerts) {
            const section = readme.split(`### ${alert}\n`)[1]?.split("\n### ")[0] ?? "";
            assert.ok(
                section.includes(`Logs: the saved query \`llm-platform/<cluster>/${ALERT_LOG_QUERY[alert]}\``),
                `${alert}'s runbook does not name its query`,
            );
        }
    });

    it("reads only fields the pipeline's records have, with Logs Insights' commands", () => {
        // What a record holds (the kubernetes filter's metadata, vLLM's JSON keys, the line when it
        // was not JSON, Logs Insights' own @fields) and the control plane's audit events' keys.
        const containerFields = new Set([
            "@timestamp",
            "@message",
            "@logStream",
            "kubernetes.namespace_name",
            "kubernetes.pod_name",
            "kubernetes.container_name",
            "kubernetes.host",
            "`kubernetes.labels.llm-platform/model-version`",
            "level",
            "message",
            "log",
            "msg",
            "error",
        ]);
        const auditFields = new Set([
            "@timestamp",
            "@logStream",
            "user.username",
            "verb",
            "objectRef.resource",
            "objectRef.namespace",
            "objectRef.name",
            "responseStatus.code",
        ]);
        const commands = new Set(["fields", "filter", "parse", "stats", "sort", "limit"]);
        for (const q of queries) {
            const known = q.groups.includes("control-plane") ? auditFields : containerFields;
            const stages = q.query.split("\n| ");
            for (const stage of stages) assert.ok(commands.has(stage.split(" ")[0]), `${q.key}: ${stage}`);
            // Names that are not inside a regex or string, an alias, a function or a keyword.
            const bare = q.query
                .replace(/\/(?:[^/\\\n]|\\.)*\//g, " ")
                .replace(/"[^"]*"/g, " ")
                .replace(/\bas \w+/g, " ")
                .replace(/\b(?:bin|coalesce|count|max|avg)\(/g, "(");
            const parsed = [...q.query.matchAll(/\(\?<(\w+)>/g)].map((m) => m[1]);
            const aliases = [...q.query.matchAll(/\bas (\w+)/g)].map((m) => m[1]);
            const words = bare.match(/`[^`]+`|@?[A-Za-z_][\w.]*/g) ?? [];
            const keywords = new Set([
                ...commands,
                "and",
                "or",
                "not",
                "in",
                "like",
                "by",
                "desc",
                "asc",
                "m",
                "h",
                "1m",
                "1h",
            ]);
            for (const w of words)
                assert.ok(
                    keywords.has(w) || known.has(w) || parsed.includes(w) || aliases.includes(w),
                    `${q.key}: ${w} is not a field of its group's records`,
                );
        }
    });
});

describe("the reference stacks' logs", () => {
    it("prod: both groups kept 90 days under the stack's key, the collector on its IRSA role, a query per runbook question", async () => {
        const { export: doc } = await planOf("prod");
        const plane = find(doc, "aws:cloudwatch/logGroup:LogGroup", "llm-control-plane-logs");
        assert.equal(plane.inputs!.name, "/aws/eks/llm-platform-prod/cluster");
        assert.equal(plane.inputs!.retentionInDays, 90);
        assert.equal(plane.protect, true);
        const cluster = find(doc, "aws:eks/cluster:Cluster", "llm-cluster");
        assert.equal(cluster.inputs!.name, "llm-platform-prod");
        assert.ok(cluster.dependencies!.includes(plane.urn), "the cluster waits for its log group");
        const containers = find(doc, "aws:cloudwatch/logGroup:LogGroup", "logs-containers");
        assert.equal(containers.inputs!.name, "/aws/eks/llm-platform-prod/containers");
        assert.equal(containers.inputs!.retentionInDays, 90);
        const key = find(doc, "aws:kms/key:Key", "logs-key");
        assert.equal(key.protect, true);
        for (const group of [plane, containers]) assert.ok(group.dependencies!.includes(key.urn));
        const release = find(doc, "kubernetes:helm.sh/v3:Release", "logs");
        assert.equal(release.inputs!.chart, "fluent-bit");
        assert.equal(release.inputs!.version, FLUENT_BIT_CHART_VERSION);
        const namespace = find(doc, "kubernetes:core/v1:Namespace", "logs-namespace");
        assert.deepEqual((namespace.inputs!.metadata as Values).labels, {
            "pod-security.kubernetes.io/enforce": "privileged",
            "app.kubernetes.io/managed-by": "pulumi",
        });
        const saved = doc.deployment.resources.filter(
            (r) => r.type === "aws:cloudwatch/queryDefinition:QueryDefinition",
        );
        assert.deepEqual(saved.map((r) => r.inputs!.name).sort(), [
            "llm-platform/llm-platform-prod/autoscaler-decisions",
            "llm-platform/llm-platform-prod/changes-by-hand",
            "llm-platform/llm-platform-prod/engine-load",
            "llm-platform/llm-platform-prod/errors",
            "llm-platform/llm-platform-prod/gpu-errors",
            "llm-platform/llm-platform-prod/keda-errors",
            "llm-platform/llm-platform-prod/registry-errors",
            "llm-platform/llm-platform-prod/startup-failures",
            "llm-platform/llm-platform-prod/traffic-by-version",
        ]);
        const audit = saved.find((r) => String(r.inputs!.name).endsWith("/changes-by-hand"))!;
        assert.deepEqual(audit.inputs!.logGroupNames, ["/aws/eks/llm-platform-prod/cluster"]);
        assert.match(String(audit.inputs!.queryString), /objectRef\.namespace in \["chat", "embed", "router"\]/);
    });

    it("a stack without cluster.name keeps its auto-named cluster: no control-plane group of ours, containers' group after the auto-name", async () => {
        const { export: doc } = await planWith("staging", { "llm-platform:cluster": "{}" });
        assert.equal(
            doc.deployment.resources.find((r) => r.urn.endsWith("::llm-control-plane-logs")),
            undefined,
        );
        const cluster = find(doc, "aws:eks/cluster:Cluster", "llm-cluster");
        // No name given: the provider's auto-name, as before cluster.name existed.
        assert.equal(cluster.inputs!.name, undefined);
        assert.match(String(cluster.outputs!.name), /^llm-cluster-[0-9a-f]{7}$/);
        const containers = find(doc, "aws:cloudwatch/logGroup:LogGroup", "logs-containers");
        assert.equal(containers.inputs!.name, `/aws/eks/${String(cluster.outputs!.name)}/containers`);
        const saved = doc.deployment.resources.find((r) => r.urn.endsWith("::logs-query-changes-by-hand"))!;
        assert.deepEqual(saved.inputs!.logGroupNames, [`/aws/eks/${String(cluster.outputs!.name)}/cluster`]);
    });

    it("every served model's pods log JSON from their ConfigMap and log requests", async () => {
        const { export: doc } = await planOf("prod");
        const config = find(doc, "kubernetes:core/v1:ConfigMap", "chat-vllm-logging");
        const data = (config.inputs!.data as Record<string, string>)["logging.json"];
        assert.deepEqual(JSON.parse(data), vllmLoggingConfig({ logLevel: "INFO", model: "chat" }));
        const deployment = find(doc, "kubernetes:apps/v1:Deployment", "chat-blue");
        const pod = ((deployment.inputs!.spec as Values).template as Values).spec as {
            containers: Array<{ args: string[]; env: Array<{ name: string; value: string }>; volumeMounts: Values[] }>;
            volumes: Values[];
        };
        const server = pod.containers[0];
        assert.ok(server.args.includes("--enable-log-requests"));
        assert.deepEqual(
            server.env.find((e) => e.name === "VLLM_LOGGING_CONFIG_PATH"),
            { name: "VLLM_LOGGING_CONFIG_PATH", value: "/etc/vllm-logging/logging.json" },
        );
        assert.deepEqual(server.volumeMounts.at(-1), {
            name: "logging",
            mountPath: "/etc/vllm-logging",
            readOnly: true,
        });
        assert.deepEqual(pod.volumes.at(-1), { name: "logging", configMap: { name: "chat-vllm-logging" } });
        assert.ok(deployment.dependencies!.includes(config.urn), "pods start once their logging configuration exists");
    });
});

describe("the logs pieces from another team's program (the package's entry point)", () => {
    it("key, a named cluster's control-plane group and the pipeline compose as docs/components.md shows; outputs resolve", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const lib = require("../components/index") as typeof import("../components/index");
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: { "aws:region": "us-east-1" },
            program: () => {
                const key = new lib.LogEncryptionKey("logs", { logGroupPatterns: ["/aws/eks/team-prod/*"] });
                const cluster = new lib.EksCluster("llm", {
                    clusterName: "team-prod",
                    controlPlaneLogs: { retentionInDays: 90, kmsKeyArn: key.keyArn },
                    kubernetesVersion: "1.33",
                    vpcId: "vpc-0123456789abcdef0",
                    subnetIds: ["subnet-0123456789abcdef0"],
                });
                const logs = new lib.LogPipeline("logs", {
                    provider: cluster.provider,
                    // An output, as EksCluster gives it: the group and the queries follow it.
                    clusterName: cluster.clusterName,
                    region: "us-east-1",
                    oidcProviderArn: cluster.oidcProviderArn,
                    oidcIssuerUrl: cluster.oidcIssuerUrl,
                    retentionInDays: 90,
                    kmsKeyArn: key.keyArn,
                    queries: lib.buildLogQueries({ servingNamespaces: ["chat"] }),
                    controlPlaneLogGroupName: "/aws/eks/team-prod/cluster",
                });
                return Promise.resolve({
                    group: logs.logGroupName,
                    errors: logs.queryNames.errors,
                    namespace: logs.namespace,
                });
            },
        });
        const resources = result.export.deployment.resources;
        assert.deepEqual(result.outputs, {
            group: "/aws/eks/team-prod/containers",
            errors: "llm-platform/team-prod/errors",
            namespace: "logging",
        });
        assert.deepEqual(
            resources
                .filter((r) => r.urn.includes("llm-platform:k8s:LogPipeline$"))
                .map((r) => r.urn.split("$").pop())
                .sort(),
            [
                "aws:cloudwatch/logGroup:LogGroup::logs-containers",
                ...buildLogQueries({ servingNamespaces: ["chat"] }).map(
                    (q) => `aws:cloudwatch/queryDefinition:QueryDefinition::logs-query-${q.key}`,
                ),
                "aws:iam/role:Role::logs-irsa",
                "aws:iam/rolePolicy:RolePolicy::logs-write",
                "kubernetes:core/v1:Namespace::logs-namespace",
                "kubernetes:helm.sh/v3:Release::logs",
            ].sort(),
        );
        const plane = find(resources, "aws:cloudwatch/logGroup:LogGroup", "llm-control-plane-logs");
        assert.equal(plane.inputs!.name, "/aws/eks/team-prod/cluster");
        assert.equal(plane.protect, true);
        const key = find(resources, "aws:kms/key:Key", "logs-key");
        assert.equal(plane.inputs!.kmsKeyId, key.outputs!.arn);
        const trust = JSON.parse(
            String(find(resources, "aws:iam/role:Role", "logs-irsa").inputs!.assumeRolePolicy),
        ) as {
            Statement: Array<{ Condition: { StringEquals: Record<string, string> } }>;
        };
        assert.ok(
            Object.values(trust.Statement[0].Condition.StringEquals).includes(
                "system:serviceaccount:logging:fluent-bit",
            ),
        );
    });
});
