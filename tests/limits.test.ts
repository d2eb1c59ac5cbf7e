/**
 * Issue 34: values AWS or Kubernetes would refuse, input that would be ignored, and messages that
 * misled, each refused by the config key it is set at, with the limit's source named in the code
 * (environments/limitRules.ts, catalog/cron.ts, catalog/cidr.ts).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildAlertmanagerConfig } from "../components/k8s/alertmanagerConfig";
import { rdsInstanceClassProblem } from "../catalog/rds";
import { snsTopicNameProblem } from "../environments/limitRules";
import { resolveSettings } from "../environments/loader";
import { withheldSecret } from "../catalog/configErrors";
import { evaluationSetProblems, projectRoot } from "../tools/promote/evaluationSets";
import { goodRawConfig, problemsIfAny, runCli, scratchProject } from "./helpers";

const DIGEST = `123456789012.dkr.ecr.us-east-1.amazonaws.com/train@sha256:${"a".repeat(64)}`;
const json = (v: unknown): string => JSON.stringify(v);
const ecs = (settings: object) => ({
    "llm-platform:serving": json({ platform: "ecs" }),
    "llm-platform:ecs": json(settings),
});
const alerting = (a: object) => ({ "llm-platform:monitoring": json({ alerting: a }) });
const CERT = (region: string) => `arn:aws:acm:${region}:123456789012:certificate/0a1b2c3d`;

describe("settings AWS and Kubernetes would refuse, refused first by their key (issue 34)", () => {
    const table: Array<[string, "prod" | "staging", Record<string, string>, string[]]> = [
        [
            "RDS: a storage limit not 10 % above the allocation",
            "prod",
            { "llm-platform:modelRegistry": json({ allocatedStorageGiB: 50, maxAllocatedStorageGiB: 50 }) },
            [
                "llm-platform:modelRegistry.maxAllocatedStorageGiB: expected an integer >= 55: RDS's storage autoscaling limit must be at least 10 % above allocatedStorageGiB (50), received 50",
            ],
        ],
        [
            "RDS: 10 % above is enough",
            "prod",
            { "llm-platform:modelRegistry": json({ allocatedStorageGiB: 50, maxAllocatedStorageGiB: 55 }) },
            [],
        ],
        [
            "RDS: an instance class that is no EC2 type",
            "prod",
            { "llm-platform:modelRegistry": json({ instanceClass: "db.foo.bar" }) },
            [
                'llm-platform:modelRegistry.instanceClass: expected an RDS instance class such as db.t4g.medium: "foo.bar" is not an EC2 instance type (@pulumi/aws ec2.InstanceType); RDS classes are db.<family>.<size>, such as db.t4g.medium or db.r7g.large, received "db.foo.bar"',
            ],
        ],
        [
            "RDS: a current Graviton class",
            "prod",
            { "llm-platform:modelRegistry": json({ instanceClass: "db.r7g.large" }) },
            [],
        ],
        [
            "tags: more than AWS's 50 once the platform's are added",
            "prod",
            { "llm-platform:tags": json(Object.fromEntries([...Array(40).keys()].map((i) => [`k${i}`, "v"]))) },
            [
                "llm-platform:tags: expected at most 39 tags: AWS allows 50 on a resource, and the platform adds 6 to each (Project, Stack, Tier, Owner, CostCenter, ManagedBy) and EKS up to 5 more to a GPU node (its cluster, node group and autoscaler tags); this sets 40, received 40",
            ],
        ],
        [
            "tags: a key the platform sets would be overwritten",
            "prod",
            { "llm-platform:tags": json({ Owner: "someone", Team: "x" }) },
            [
                'llm-platform:tags.Owner: expected no Owner tag here: the platform sets it on every resource from llm-platform:owner, which would replace this value; remove it and set llm-platform:owner, received "someone"',
            ],
        ],
        [
            "ECS: the test listener on a production port",
            "staging",
            ecs({ testListenerPort: 443, certificateArn: CERT("us-east-1") }),
            [
                "llm-platform:ecs.testListenerPort: expected a port other than the production listeners' (80, 443): a load balancer has one listener per port, such as 8443, received 443",
            ],
        ],
        [
            "ECS: fewer most instances than fewest",
            "staging",
            ecs({ minInstances: 5, maxInstances: 4, minTasks: 1, maxTasks: 1 }),
            ["llm-platform:ecs.minInstances: expected an integer <= maxInstances (4), received 5"],
        ],
        [
            "ECS: more CPU than the instance has, named by its key",
            "staging",
            ecs({ cpuUnits: 196608 }),
            [
                "llm-platform:ecs.cpuUnits: a task asks 196608 CPU units, more than an instance of the instance types has (4096: 1024 per vCPU) (ecs.instanceTypes), received 196608",
            ],
        ],
        [
            "retraining: more GPUs than a node of the model's pool holds",
            "prod",
            {
                "llm-platform:retraining": json({ enabled: true, image: DIGEST, gpus: 8 }),
            },
            [
                'llm-platform:retraining.gpus: expected an integer <= 1: a run is one pod on a node of the model\'s GPU pool "inference" (g5.2xlarge), which has 1 GPU(s); a pod asking for more is never scheduled, received 8',
            ],
        ],
        [
            "a certificate in another region",
            "prod",
            { "llm-platform:serving": json({ entryPoint: { certificateArn: CERT("eu-west-1") } }) },
            [
                'llm-platform:serving.entryPoint.certificateArn: expected a certificate in the stack\'s region us-east-1 (aws:region): a load balancer takes ACM certificates from its own region only; request or import one there, received "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d"',
            ],
        ],
        [
            "an SNS topic name SNS would not have created",
            "prod",
            alerting({ snsTopicArn: "arn:aws:sns:us-east-1:123456789012:ops alerts!" }),
            [
                `llm-platform:monitoring.alerting.snsTopicArn: expected an SNS topic ARN: the topic name "ops alerts!" is not 1-256 ASCII letters, digits, '_' and '-' (with .fifo at the end of a FIFO topic's), as SNS's CreateTopic requires, received "arn:aws:sns:us-east-1:123456789012:ops alerts!"`,
            ],
        ],
        [
            "a FIFO topic in another region",
            "prod",
            alerting({ snsTopicArn: "arn:aws:sns:eu-west-1:123456789012:ops.fifo" }),
            [],
        ],
        [
            "a GPU idle threshold above the saturated one",
            "prod",
            {
                "llm-platform:monitoring": json({
                    slo: { gpuIdleUtilizationPercent: 95, gpuHighUtilizationPercent: 90 },
                }),
            },
            [
                "llm-platform:monitoring.slo.gpuIdleUtilizationPercent: expected an integer < gpuHighUtilizationPercent (90): a GPU cannot be idle and saturated at once, and both alerts would fire together, received 95",
            ],
        ],
    ];
    for (const [what, tier, config, expected] of table)
        it(what, () =>
            assert.deepEqual(
                problemsIfAny(() => resolveSettings(tier, goodRawConfig(config))),
                expected,
            ),
        );

    it("takes RDS classes and SNS names from their sources", () => {
        assert.equal(rdsInstanceClassProblem("db.t4g.medium"), undefined);
        // RDS's x2g has no EC2 twin of that name (EC2's is x2gd).
        assert.equal(rdsInstanceClassProblem("db.x2g.large"), undefined);
        assert.equal(rdsInstanceClassProblem("t4g.medium"), '"t4g.medium" does not start with "db."');
        assert.equal(snsTopicNameProblem(`arn:aws:sns:us-east-1:123456789012:${"a".repeat(256)}`), undefined);
        assert.match(snsTopicNameProblem(`arn:aws:sns:us-east-1:123456789012:${"a".repeat(257)}`) ?? "", /1-256/);
    });

    it("publishes to an SNS topic from the topic's own region, whatever the stack's", () => {
        const config = buildAlertmanagerConfig({
            snsTopicArn: "arn:aws:sns:eu-west-1:123456789012:ops",
            region: "us-east-1",
        });
        const sns = (config.receivers as Array<{ name: string; sns_configs?: Array<{ sigv4: unknown }> }>).find(
            (r) => r.name === "sns",
        );
        assert.deepEqual(sns?.sns_configs?.[0].sigv4, { region: "eu-west-1" });
    });
});

describe("input that would be ignored, and messages that misled, now say what is wrong (issue 34)", () => {
    const table: Array<[string, Record<string, string>, string[]]> = [
        [
            "a namespace typo",
            { "llm-platfrom:tier": "prod" },
            [
                'llm-platfrom:tier: unknown namespace "llm-platfrom" (did you mean "llm-platform"?): its keys are not read, so this value would be ignored; rename the key to llm-platform:tier, received "prod"',
            ],
        ],
        ["another program's namespace is its own", { "platform:tier": "x", "acme:team": "ml" }, []],
        [
            "a Slack channel with no webhook to send to it",
            alerting({ slackChannel: "#alerts" }),
            [
                'llm-platform:monitoring.alerting.slackChannel: is the channel of the Slack webhook\'s messages, and no slackWebhookUrl is set, so nothing would be sent there: set monitoring.alerting.slackWebhookUrl (`pulumi config set --secret --path llm-platform:monitoring.alerting.slackWebhookUrl <url>`) or remove slackChannel, received "#alerts"',
            ],
        ],
        [
            "availability of 1 says it must be under 1, not <= 1",
            { "llm-platform:monitoring": json({ slo: { availability: 1 } }) },
            ["llm-platform:monitoring.slo.availability: expected a fraction > 0.9 and < 1, such as 0.999, received 1"],
        ],
        [
            "a percentage where a fraction goes",
            { "llm-platform:monitoring": json({ slo: { availability: 99.9 } }) },
            [
                "llm-platform:monitoring.slo.availability: expected a fraction > 0.9 and < 1, such as 0.999 (a fraction, not a percentage: 99.9 % is 0.999), received 99.9",
            ],
        ],
        [
            "minAccuracy 0 is a number, just not one above 0",
            { "llm-platform:serving": json({ evaluation: { minAccuracy: 0 } }) },
            ["llm-platform:serving.evaluation.minAccuracy: expected a fraction > 0 and <= 1, such as 0.85, received 0"],
        ],
        [
            "an upper-case domain says lower case, and how",
            { "llm-platform:serving": json({ entryPoint: { domain: "LLM.Example.com" } }) },
            [
                'llm-platform:serving.entryPoint.domain: expected a DNS domain in lower case such as llm.example.com (Kubernetes refuses upper case in an Ingress host): write "llm.example.com", received "LLM.Example.com"',
            ],
        ],
        [
            "a dotted key written flat in the file",
            { "llm-platform:serving.entryPoint": json({ domain: "llm.example.com" }) },
            [
                'llm-platform:serving.entryPoint: unknown key: a dotted name in the stack file is one key, not a path; nest it under serving (serving: {entryPoint: …}) or set it with `pulumi config set --path \'llm-platform:serving.entryPoint\' <value>`, received {"domain":"llm.example.com"}',
            ],
        ],
    ];
    for (const [what, config, expected] of table)
        it(what, () =>
            assert.deepEqual(
                problemsIfAny(() => resolveSettings("prod", goodRawConfig(config))),
                expected,
            ),
        );

    it("refuses a secure value outside the receivers' credentials instead of planning with it", () => {
        const key = "llm-platform:models";
        assert.deepEqual(
            problemsIfAny(() =>
                resolveSettings("prod", goodRawConfig({ [key]: json([{ name: withheldSecret("v1:abc==") }]) }), {
                    secretKeys: [key],
                }),
            ),
            [
                "llm-platform:models[0].name: expected a plain value: a secure value here is not a credential but a setting the plan is built from (only llm-platform:monitoring.alerting.slackWebhookUrl, llm-platform:monitoring.alerting.pagerdutyRoutingKey, llm-platform:monitoring.alerting.snsTopicArn may be secrets); set it without --secret, received [secret]",
            ],
        );
    });
});

describe("evaluation sets are read when the program runs, not first by promote (issue 34)", () => {
    const project = (files: Record<string, Buffer | string>): string => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eval-sets-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: p\nruntime: nodejs\n");
        for (const [name, body] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
            fs.writeFileSync(path.join(dir, name), body);
        }
        return dir;
    };
    const settingsWith = (set: string) =>
        resolveSettings(
            "staging",
            goodRawConfig({ "llm-platform:models": json([{ name: "chat", evaluation: { set } }]) }),
        );

    it("names a missing set, a non-UTF-8 one and a malformed one by the key that points at it", () => {
        const item =
            '{"id": "a", "prompt": "Capital of France?", "expect": {"contains": ["Paris"]}, "kind": "answer"}\n';
        const dir = project({
            "evals/good.jsonl": item,
            "evals/latin1.jsonl": Buffer.from(item.replace("France", "Fran\xe7e"), "latin1"),
            "evals/bad.jsonl": "{not json}\n",
        });
        // From a folder below the project, as a program in a subfolder runs.
        fs.mkdirSync(path.join(dir, "stacks"));
        assert.equal(projectRoot(path.join(dir, "stacks")), dir);
        assert.deepEqual(evaluationSetProblems(settingsWith("evals/good.jsonl"), dir), []);
        const problem = (set: string) =>
            evaluationSetProblems(settingsWith(set), dir).map((p) => `${p.key}: ${p.expected}, received ${p.received}`);
        assert.deepEqual(problem("evals/missing.jsonl"), [
            `llm-platform:models[0].evaluation.set: expected an evaluation set in the project (a JSON Lines file, path relative to ${dir}): cannot be read (ENOENT), received "evals/missing.jsonl"`,
        ]);
        assert.deepEqual(problem("evals/latin1.jsonl"), [
            `llm-platform:models[0].evaluation.set: expected an evaluation set in the project (a JSON Lines file, path relative to ${dir}): not UTF-8 (invalid trailing UTF-8 octet at line 1, column 39 (byte 38), byte 0xe7): save it as UTF-8, received "evals/latin1.jsonl"`,
        ]);
        assert.match(
            problem("evals/bad.jsonl")[0],
            /^llm-platform:models\[0\]\.evaluation\.set: expected an evaluation set in the project .*\(1 problem\):\n {2}line 1: not JSON/,
        );
    });

    it("stops `plan` with exit 2 when the stack file names a set that is not there", async () => {
        const dir = scratchProject();
        fs.rmSync(path.join(dir, "evals", "chat.jsonl"));
        const result = await runCli("plan", ["--stack", "staging", "--project", dir]);
        assert.equal(result.status, 2, result.stderr);
        assert.match(
            result.stderr,
            /llm-platform:models\[0\]\.evaluation\.set: expected an evaluation set in the project \(a JSON Lines file, path relative to .*\): cannot be read \(ENOENT\), received "evals\/chat\.jsonl"/,
        );
    });
});

describe("found by the new-user sweep (issue 34)", () => {
    it("never writes an output over the command's own input, nor two outputs to one file", async () => {
        const dir = scratchProject();
        const stackFile = path.join(dir, "Pulumi.staging.yaml");
        const before = fs.readFileSync(stackFile, "utf8");
        const plan = await runCli("plan", ["--stack", "staging", "--project", dir, "--json", stackFile]);
        assert.equal(plan.status, 2, plan.stderr);
        assert.match(
            plan.stderr,
            /--json: .*Pulumi\.staging\.yaml is the project's Pulumi\.staging\.yaml, which this command reads; write elsewhere/,
        );
        assert.equal(fs.readFileSync(stackFile, "utf8"), before);
        const doc = path.join(dir, "doc.json");
        fs.writeFileSync(doc, "{}");
        const same = await runCli("policy", [
            "--file",
            doc,
            "--json",
            path.join(dir, "r.json"),
            "--sarif",
            path.join(dir, "r.json"),
        ]);
        assert.equal(same.status, 2, same.stderr);
        assert.match(same.stderr, /--sarif and --json name the same file .*r\.json; give each its own/);
        assert.equal(fs.existsSync(path.join(dir, "r.json")), false);
        const over = await runCli("policy", ["--file", doc, "--format", "json", "--output", doc]);
        assert.equal(over.status, 2, over.stderr);
        assert.match(
            over.stderr,
            /--output: .*doc\.json is the --file document, which this command reads; write elsewhere/,
        );
        assert.equal(fs.readFileSync(doc, "utf8"), "{}");
    });

    it("refuses a key without a namespace beside its namespaced twin (the CLI gives it the project's)", async () => {
        const dir = scratchProject();
        fs.appendFileSync(path.join(dir, "Pulumi.staging.yaml"), "  owner: someone-else\n");
        const result = await runCli("plan", ["--stack", "staging", "--project", dir]);
        assert.equal(result.status, 2, result.stderr);
        assert.match(
            result.stderr,
            /config keys "owner" and "llm-platform:owner" are the same key \(a key without a namespace takes the project's, llm-platform\); keep one/,
        );
    });

    it("refuses by their config key what the components would refuse with exit 1", () => {
        const table: Array<[Record<string, string>, string]> = [
            [
                { "llm-platform:network": json({ cidrBlock: "10.0.0.1/16" }) },
                'llm-platform:network.cidrBlock: expected an aligned range: 10.0.0.1/16 has bits set past its /16 prefix; the range it names starts at 10.0.0.0/16, received "10.0.0.1/16"',
            ],
            [
                { "llm-platform:network": json({ cidrBlock: "300.0.0.0/16" }) },
                'llm-platform:network.cidrBlock: expected an IPv4 range from /16 to /20 such as 10.0.0.0/16 (300 is over 255), received "300.0.0.0/16"',
            ],
            [
                { "llm-platform:cluster": json({ publicAccessCidrs: ["0.0.0.0/0"] }) },
                'llm-platform:cluster.publicAccessCidrs: expected ranges narrower than 0.0.0.0/0: these add up to every address, which opens the cluster\'s API endpoint to the internet; list your networks instead, received ["0.0.0.0/0"]',
            ],
            [
                { "llm-platform:cluster": json({ privateAccessCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }) },
                'llm-platform:cluster.privateAccessCidrs: expected ranges narrower than 0.0.0.0/0: these add up to every address, which admits every address to the API endpoint from inside the VPC; list the networks that need it, received ["0.0.0.0/1","128.0.0.0/1"]',
            ],
            [
                {
                    "llm-platform:serving": json({
                        resources: { cpuRequest: "2", memoryRequest: "8Gi", memoryLimit: "4Gi" },
                    }),
                },
                'llm-platform:serving.resources.memoryLimit: expected at least memoryRequest (8Gi): Kubernetes refuses a limit below the request, received "4Gi"',
            ],
        ];
        for (const [config, expected] of table)
            assert.deepEqual(
                problemsIfAny(() => resolveSettings("prod", goodRawConfig(config))),
                [expected],
            );
    });

    it("refuses ingress CIDRs open to the internet, and a model named like a namespace that calls every model", () => {
        assert.deepEqual(
            problemsIfAny(() =>
                resolveSettings(
                    "prod",
                    goodRawConfig({
                        "llm-platform:serving": json({ ingressCidrs: ["10.0.0.0/8", "0.0.0.0/0"] }),
                        "llm-platform:models": json([{ name: "ingress-nginx" }]),
                    }),
                ),
            ),
            [
                'llm-platform:models[0].name: expected a name that is not a namespace every model admits callers from (serving.ingressNamespaces and prometheusNamespace: ingress-nginx, monitoring): its pods would reach every other model, received "ingress-nginx"',
                'llm-platform:serving.ingressCidrs: expected address ranges inside the network (load balancers with IP targets, other VPCs): these add up to the whole internet, so the NetworkPolicy would admit every address to the models\' pods; list the callers\' CIDRs, received ["10.0.0.0/8","0.0.0.0/0"]',
            ],
        );
    });
});
