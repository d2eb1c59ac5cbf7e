import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { load as parseYaml } from "js-yaml";
import { alertCatalogue, buildRuleGroups, FIRST_STEPS, VLLM_METRICS } from "../components/k8s/alertRules";
import { registryRuleGroups } from "../components/registry/monitoring";
import { configKeyDocs, renderAlertTable, renderConfigTable } from "../tools/cli/docTables";
import { TIER_DEFAULTS } from "../environments/defaults";
import { settingsSchema } from "../environments/schema";
import { POLICIES } from "../policies/pack";
import { MODEL_SYNC_IMAGE } from "../catalog/versions";
import { OWNERSHIP_TAG_KEYS, PROD_MIN_REPLICAS, REFERENCE_SLO, RUNBOOK_BASE_URL } from "../catalog/standards";
import { PSS_LEVELS } from "../policies/podSecurity";
import { TIER_POLICY_CONFIG } from "../policies/tiers";
import { generatedBlocks, plannedBlocks, renderPolicyConfig, withGeneratedBlocks } from "../tools/cli/docs";
import { programLocation, readProject } from "../tools/engine/project";
import { PROJECT_DIR } from "./helpers";
import { planOf } from "./plans";

const read = (file: string): string => fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");
const yamlOf = (file: string): Record<string, unknown> => parseYaml(read(file)) as Record<string, unknown>;

describe("project files", () => {
    it("Pulumi.yaml runs the TypeScript program through tools/typescript.cjs without type-checking at start-up", () => {
        const project = yamlOf("Pulumi.yaml");
        assert.equal(project.name, "llm-platform");
        assert.equal(project.main, "stacks/index.ts");
        assert.deepEqual(project.runtime, {
            name: "nodejs",
            options: { typescript: false, nodeargs: "--require ../tools/typescript.cjs" },
        });
        const pkg = JSON.parse(read("package.json")) as {
            dependencies: Record<string, string>;
            devDependencies: Record<string, string>;
        };
        // The reference program runs from this repository's checkout (npm ci installs dev
        // dependencies); the package's consumers never load it: its bin and pack are compiled.
        assert.ok(pkg.devDependencies.esbuild, "esbuild transpiles the reference program");
        assert.equal(pkg.dependencies.esbuild, undefined, "esbuild is not a runtime dependency of consumers");
        // nodeargs' path is resolved where the language host runs node: the program's folder.
        const { pwd } = programLocation(readProject(PROJECT_DIR));
        assert.equal(pwd, path.join(PROJECT_DIR, "stacks"));
        assert.equal(path.resolve(pwd, "../tools/typescript.cjs"), path.join(PROJECT_DIR, "tools", "typescript.cjs"));
        assert.ok(fs.existsSync(path.join(PROJECT_DIR, "tools", "typescript.cjs")));
    });

    it("Pulumi.yaml declares exactly the keys every stack must set, and every stack file sets them", () => {
        const declared = yamlOf("Pulumi.yaml").config as Record<
            string,
            { type: string; description: string; default?: unknown; value?: unknown }
        >;
        const docs = new Map(configKeyDocs().map((d) => [d.key, d.description]));
        // A declared key of the project's namespace without a default is required by the CLI; one
        // with a default would override the tier's. So: the keys no tier defaults, and the tier.
        // (`models` is optional: without it a stack serves one model from `serving`.)
        const required = Object.entries(settingsSchema.shape)
            .filter(
                ([k, schema]) =>
                    k === "tier" ||
                    !(k in TIER_DEFAULTS.staging || k in TIER_DEFAULTS.prod || schema.safeParse(undefined).success),
            )
            .map(([k]) => k);
        assert.deepEqual(required.sort(), ["costCenter", "owner", "tier"]);
        assert.deepEqual(Object.keys(declared).sort(), required.map((k) => `llm-platform:${k}`).sort());
        for (const k of required) {
            const decl = declared[`llm-platform:${k}`];
            assert.equal(decl.type, "string", k);
            assert.equal(decl.description, docs.get(`llm-platform:${k}`), k);
            assert.equal(decl.default, undefined, k);
            assert.equal(decl.value, undefined, k);
        }
        for (const stack of ["staging", "prod", "ecs"]) {
            const config = (yamlOf(`Pulumi.${stack}.yaml`).config ?? {}) as Record<string, unknown>;
            for (const k of required) assert.equal(typeof config[`llm-platform:${k}`], "string", `${stack}: ${k}`);
        }
        const text = read("Pulumi.yaml");
        for (const k of Object.keys(settingsSchema.shape).filter((k) => !required.includes(k))) {
            assert.match(
                text,
                new RegExp(`#\\s+llm-platform:${k}\\s`),
                `undeclared key ${k} is documented in Pulumi.yaml`,
            );
        }
    });

    it("the pack's tier configs are generated from policies/tiers.ts, byte for byte, and take the catalogue's standards", async () => {
        for (const tier of ["staging", "prod"] as const)
            assert.equal(
                read(`pack/config/${tier}.json`),
                await renderPolicyConfig(tier),
                `run \`npm run docs\` to rewrite pack/config/${tier}.json`,
            );
        const prod = TIER_POLICY_CONFIG.prod as Record<string, Record<string, unknown>>;
        assert.equal(prod["k8s-min-replicas"].minReplicas, PROD_MIN_REPLICAS);
        assert.deepEqual(prod["required-tags"].requiredTags, [...OWNERSHIP_TAG_KEYS]);
        assert.deepEqual(prod["k8s-image-pinned"].digestExemptions, ["public.ecr.aws/aws-cli/aws-cli:"]);
        assert.ok(MODEL_SYNC_IMAGE.startsWith("public.ecr.aws/aws-cli/aws-cli:"));
        assert.deepEqual(
            Object.entries(TIER_POLICY_CONFIG.staging)
                .filter(([, v]) => v === "mandatory")
                .map(([k]) => k),
            ["k8s-run-as-non-root", ...Object.keys(PSS_LEVELS).filter((k) => PSS_LEVELS[k] === "baseline")],
        );
    });

    it("every alert's runbook link lands on a docs/alerts.md heading that says what to do first", () => {
        const page = read("docs/alerts.md");
        assert.equal(RUNBOOK_BASE_URL, "https://github.com/llm-platform/llm-platform/blob/main/docs/alerts.md");
        assert.equal(TIER_DEFAULTS.prod.monitoring.runbookBaseUrl, RUNBOOK_BASE_URL);
        const groups = [
            ...buildRuleGroups({
                metrics: VLLM_METRICS,
                slo: REFERENCE_SLO,
                job: "inference",
                runbookBaseUrl: RUNBOOK_BASE_URL,
            }),
            ...registryRuleGroups("mlflow", RUNBOOK_BASE_URL),
        ];
        const alerts = alertCatalogue(groups).map((a) => a.alert);
        assert.deepEqual(Object.keys(FIRST_STEPS).sort(), [...alerts].sort());
        for (const rule of groups.flatMap((g) => g.rules).filter((r) => r.alert)) {
            const [base, anchor] = rule.annotations!.runbook_url.split("#");
            assert.equal(base, RUNBOOK_BASE_URL);
            const heading = page.split("\n").find((l) => l.startsWith("### ") && l.slice(4).toLowerCase() === anchor);
            assert.ok(heading, `no docs/alerts.md heading for ${rule.alert}'s runbook anchor #${anchor}`);
        }
        assert.ok(
            page.includes("### LLMAutoscalerBlind\n\nAn inference autoscaler cannot read its metric (warning): "),
        );
    });

    it("the docs pages' generated blocks are up to date: configuration, alerts and runbooks, policies, components, prod diagram", async () => {
        const planned = await plannedBlocks((stack) => planOf(stack, "update"));
        const pages = generatedBlocks(planned);
        assert.deepEqual(Object.keys(pages), [
            "README.md",
            "docs/configuration.md",
            "docs/alerts.md",
            "docs/policies.md",
            "docs/architecture.md",
            "docs/components.md",
        ]);
        for (const [page, blocks] of Object.entries(pages)) {
            const text = read(page);
            assert.equal(withGeneratedBlocks(page, text, blocks), text, `run \`npm run docs\` to update ${page}`);
        }
        // Every row of every generated table has as many cells as its header (an unescaped | shifts them on GitHub).
        for (const [page, blocks] of Object.entries(pages))
            for (const [name, content] of Object.entries(blocks)) {
                const cells = (row: string) => row.replace(/\\\|/g, "").split("|").length;
                const rows = content.split("\n");
                let header = 0;
                rows.forEach((row, i) => {
                    if (!row.startsWith("|")) header = 0;
                    else if (header === 0 && /^\|[-: |]+\|$/.test(rows[i + 1] ?? "")) header = cells(row);
                    else if (header > 0) assert.equal(cells(row), header, `${page} ${name}: ${row}`);
                });
            }
        const block = (page: string, name: string) =>
            new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(read(page))?.[1];
        assert.equal(block("docs/configuration.md", "config-table"), renderConfigTable());
        assert.match(planned.architecture, /^```mermaid\nflowchart LR\n[\s\S]*\n```$/);
        const components = planned.components.split("\n");
        assert.equal(components.length, 2 + 21, "every component type is listed");
        assert.equal(
            components.find((l) => l.startsWith("| `GpuNodePool`")),
            "| `GpuNodePool` | `llm-platform:aws:GpuNodePool` | prod, staging | 9 × `aws:autoscaling:Tag`, 3 × `aws:iam:RolePolicyAttachment`, `aws:ec2:LaunchTemplate`, `aws:eks:NodeGroup`, `aws:iam:Role` |",
        );
        // Children by name, as the first stack with the component creates them; stateful ones protected.
        const children = planned.children.split("\n\n<details>");
        assert.equal(children.length, 21, "every component type has its children listed");
        assert.ok(
            planned.children.includes(
                "<details><summary><code>ModelArtifactBucket</code>: 18 children (prod's <code>models</code>)</summary>",
            ),
        );
        assert.ok(planned.children.includes("| `<name>-bucket` | `aws:s3:Bucket` | yes |\n"));
        assert.ok(planned.children.includes("| `<name>-lifecycle` | `aws:s3:BucketLifecycleConfiguration` |  |\n"));
        assert.throws(() => withGeneratedBlocks("docs/alerts.md", "no markers", pages["docs/alerts.md"]), {
            message:
                "docs/alerts.md needs the markers <!-- alert-table:start --> and <!-- alert-table:end --> around the generated block",
        });
        const alerts = block("docs/alerts.md", "alert-table");
        assert.equal(alerts, renderAlertTable());
        assert.equal(alerts?.split("\n").length, 2 + 18, "every alert is listed");
        assert.equal(
            block("docs/policies.md", "policy-table")?.split("\n").length,
            2 + POLICIES.length,
            "every policy is listed",
        );
        // Where code scanning's help links land: a section per policy, in the pack's order.
        assert.deepEqual(
            [...(block("docs/policies.md", "policy-sections") ?? "").matchAll(/^### (.+)$/gm)].map((m) => m[1]),
            POLICIES.map((p) => p.name),
        );
    });

    it("the stack files do not depend on ESC, so a self-managed backend works", () => {
        for (const stack of ["staging", "prod"]) {
            const doc = yamlOf(`Pulumi.${stack}.yaml`);
            assert.deepEqual(Object.keys(doc), ["config"], stack);
        }
    });

    it("the ESC environments log in to AWS by OIDC and set only known config keys", () => {
        assert.deepEqual(yamlOf("environments/esc/shared.yaml"), {
            values: { platform: { region: "us-east-1" }, pulumiConfig: { "aws:region": "${platform.region}" } },
        });
        const known = new Set(Object.keys(settingsSchema.shape).map((k) => `llm-platform:${k}`));
        for (const tier of ["staging", "prod"]) {
            const env = yamlOf(`environments/esc/${tier}.yaml`) as {
                imports: string[];
                values: {
                    aws: { login: Record<string, { oidc: Record<string, string> }> };
                    environmentVariables: Record<string, string>;
                    pulumiConfig: Record<string, string>;
                };
            };
            assert.deepEqual(env.imports, ["llm-platform/shared"]);
            const oidc = env.values.aws.login["fn::open::aws-login"].oidc;
            assert.match(oidc.roleArn, new RegExp(`^arn:aws:iam::\\d{12}:role/llm-platform-${tier}-deployer$`));
            assert.equal(oidc.sessionName, `llm-platform-${tier}`);
            assert.deepEqual(env.values.environmentVariables, {
                AWS_ACCESS_KEY_ID: "${aws.login.accessKeyId}",
                AWS_SECRET_ACCESS_KEY: "${aws.login.secretAccessKey}",
                AWS_SESSION_TOKEN: "${aws.login.sessionToken}",
                AWS_REGION: "${platform.region}",
            });
            for (const key of Object.keys(env.values.pulumiConfig))
                assert.ok(known.has(key), `${tier}: ${key} is a known key`);
            assert.equal(env.values.pulumiConfig["llm-platform:tier"], tier);
        }
    });

    it("CI installs, lints and runs the README's test command", () => {
        const ci = read(".ci/run");
        assert.match(ci, /^npm ci /m);
        assert.match(ci, /^npm run lint$/m);
        assert.match(ci, /^npm test$/m);
        assert.match(read("README.md"), /^npm test +#/m);
    });
});

describe("install scripts", () => {
    it("allowScripts decides every installed dependency's install script, so npm 11 installs without a warning", () => {
        const withScripts = new Set<string>();
        const visit = (folder: string): void => {
            for (const entry of fs.readdirSync(folder)) {
                if (entry.startsWith(".")) continue;
                const dir = path.join(folder, entry);
                if (entry.startsWith("@")) {
                    visit(dir);
                    continue;
                }
                const manifest = path.join(dir, "package.json");
                if (fs.existsSync(manifest)) {
                    const pkg = JSON.parse(fs.readFileSync(manifest, "utf8")) as {
                        name: string;
                        scripts?: Record<string, string>;
                    };
                    if (["preinstall", "install", "postinstall"].some((s) => pkg.scripts?.[s]))
                        withScripts.add(pkg.name);
                }
                if (fs.existsSync(path.join(dir, "node_modules"))) visit(path.join(dir, "node_modules"));
            }
        };
        visit(path.join(PROJECT_DIR, "node_modules"));
        const { allowScripts } = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as {
            allowScripts: Record<string, boolean>;
        };
        assert.deepEqual([...withScripts].sort(), Object.keys(allowScripts).sort());
        assert.deepEqual(
            Object.values(allowScripts),
            [false, false, false, false],
            "none is needed (docs/UPSTREAM.md)",
        );
    });
});
