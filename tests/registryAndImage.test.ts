import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validate } from "dockerfile-utils";
import {
    buildLifecyclePolicy,
    ContainerRegistry,
    validateContainerRegistryArgs,
} from "../components/aws/containerRegistry";
import { checkHardenedDockerfile, isPinnedImage, parseDockerfile } from "../components/aws/dockerfile";
import {
    contextTag,
    DEFAULT_CONTEXT,
    InferenceImage,
    validateInferenceImageArgs,
} from "../components/aws/inferenceImage";
import { runProgram } from "../tools/engine/run";
import { resolveSettings } from "../environments/loader";
import type { ExportedResource } from "../tools/engine/stackExport";
import { find, goodRawConfig, PROJECT_DIR } from "./helpers";
import { ecsWithPrebuiltImage, planOf, PREBUILT_IMAGE } from "./plans";

const HARDENED = `FROM vllm/vllm-openai:v0.11.0
USER 10001:10001
HEALTHCHECK CMD ["python3", "-c", "print(1)"]
`;
const DIGEST = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"a".repeat(64)}`;

describe("ContainerRegistry", () => {
    it("builds the lifecycle policy: untagged images expire, the last N tagged are kept", () => {
        assert.deepEqual(JSON.parse(buildLifecyclePolicy(1, 30)), {
            rules: [
                {
                    rulePriority: 1,
                    description: "Expire untagged images 1 day(s) after push",
                    selection: {
                        tagStatus: "untagged",
                        countType: "sinceImagePushed",
                        countUnit: "days",
                        countNumber: 1,
                    },
                    action: { type: "expire" },
                },
                {
                    rulePriority: 2,
                    description: "Keep the last 30 tagged images",
                    selection: {
                        tagStatus: "tagged",
                        tagPatternList: ["*"],
                        countType: "imageCountMoreThan",
                        countNumber: 30,
                    },
                    action: { type: "expire" },
                },
            ],
        });
    });

    it("rejects bad counts with the argument's name", () => {
        assert.deepEqual(validateContainerRegistryArgs({ untaggedExpireDays: 0, keepTaggedImages: 1.5 }), [
            "untaggedExpireDays: expected an integer between 1 and 365, received 0",
            "keepTaggedImages: expected an integer between 1 and 1000, received 1.5",
        ]);
        assert.throws(() => new ContainerRegistry("r", { keepTaggedImages: 0 }), {
            message:
                'ContainerRegistry "r": invalid arguments:\n  keepTaggedImages: expected an integer between 1 and 1000, received 0',
        });
    });

    it("creates an immutable, scanned, KMS-encrypted, protected repository at its defaults", async () => {
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: {},
            program: () => new ContainerRegistry("models"),
        });
        const repo = find(result.export, "aws:ecr/repository:Repository", "models-repository");
        assert.deepEqual(repo.inputs, {
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS" }],
            forceDelete: false,
            tags: {},
        });
        assert.equal(repo.protect, true);
        assert.equal(repo.retainOnDelete, true);
        const lifecycle = find(result.export, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "models-lifecycle");
        assert.equal(lifecycle.inputs?.repository, repo.outputs?.name);
        assert.deepEqual(JSON.parse(String(lifecycle.inputs?.policy)), JSON.parse(buildLifecyclePolicy(1, 30)));
    });

    it("lets staging delete images on destroy and keeps fewer; prod keeps 30 and forbids it", async () => {
        const repoOf = async (stack: "staging" | "prod"): Promise<ExportedResource> =>
            find((await planOf(stack)).export, "aws:ecr/repository:Repository", "inference-repository");
        assert.equal((await repoOf("staging")).inputs?.forceDelete, true);
        const prod = await repoOf("prod");
        assert.equal(prod.inputs?.forceDelete, false);
        assert.equal(prod.protect, true);
    });
});

describe("Dockerfile hardening checks", () => {
    it("accepts the repository's inference Dockerfile", () => {
        assert.deepEqual(
            checkHardenedDockerfile(fs.readFileSync(path.join(DEFAULT_CONTEXT, "Dockerfile"), "utf8")),
            [],
        );
    });

    it("installs OpenTelemetry (vLLM refuses --otlp-traces-endpoint without it) and python-json-logger, pinned, then checks they import as vLLM imports them", () => {
        const pinned = Object.fromEntries(
            fs
                .readFileSync(path.join(DEFAULT_CONTEXT, "requirements.txt"), "utf8")
                .split("\n")
                .map((l) => l.replace(/#.*/, "").trim())
                .filter((l) => l !== "")
                .map((l) => {
                    const m = /^([a-z0-9-]+)==([0-9][a-z0-9.]*)$/.exec(l);
                    assert.ok(m, `requirements.txt: "${l}" is not pinned as name==version`);
                    return [m[1], m[2]];
                }),
        );
        // The OpenTelemetry line vLLM v0.11.0 tests with (requirements/test.txt), every package of it
        // that the OTLP exporters pull in; pythonjsonlogger.json (the JSON formatter's module) is >= 3.1.
        assert.deepEqual(pinned, {
            "opentelemetry-api": "1.35.0",
            "opentelemetry-sdk": "1.35.0",
            "opentelemetry-exporter-otlp": "1.35.0",
            "opentelemetry-exporter-otlp-proto-grpc": "1.35.0",
            "opentelemetry-exporter-otlp-proto-http": "1.35.0",
            "opentelemetry-exporter-otlp-proto-common": "1.35.0",
            "opentelemetry-proto": "1.35.0",
            "opentelemetry-semantic-conventions": "0.56b0",
            "python-json-logger": "3.3.0",
        });
        const steps = parseDockerfile(fs.readFileSync(path.join(DEFAULT_CONTEXT, "Dockerfile"), "utf8")).map(
            (i) => `${i.keyword} ${i.args}`,
        );
        assert.ok(steps.includes("COPY requirements.txt /tmp/requirements.txt"), steps.join("\n"));
        // The build fails unless vLLM's own check passes and what the flags and the logging config name imports.
        assert.ok(
            steps.some((s) =>
                s.startsWith(
                    `RUN python3 -m pip install --no-cache-dir -r /tmp/requirements.txt && python3 -c "from vllm.tracing import is_otel_available; from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter; import pythonjsonlogger.jsonlogger; assert is_otel_available(), 'vLLM cannot import OpenTelemetry'" && rm /tmp/requirements.txt `,
                ),
            ),
            steps.join("\n"),
        );
        assert.equal(steps.filter((s) => /\bpip install\b/.test(s)).length, 1);
        // Installed as root, before the image drops to its numeric user.
        assert.ok(steps.findIndex((s) => s.includes("pip install")) < steps.findIndex((s) => s.startsWith("USER ")));
    });

    it("passes the Dockerfile linter (dockerfile-utils) with no diagnostics", () => {
        const diagnostics = validate(fs.readFileSync(path.join(DEFAULT_CONTEXT, "Dockerfile"), "utf8"));
        assert.deepEqual(
            diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`),
            [],
        );
    });

    it("parses continuations and skips comments", () => {
        assert.deepEqual(parseDockerfile("# c\nFROM a:1\nRUN x \\\n  # inner\n  && y\n"), [
            { keyword: "FROM", args: "a:1", line: 2 },
            { keyword: "RUN", args: "x && y", line: 3 },
        ]);
    });

    it("reports a missing or root user, an unpinned base, secrets and remote ADD", () => {
        assert.deepEqual(checkHardenedDockerfile("FROM python\nENV HF_TOKEN=abc\nADD https://x/y /y\n"), [
            "line 1: FROM python is not pinned; use a version tag or, better, a digest (image@sha256:...)",
            "line 2: ENV HF_TOKEN puts a secret in a layer; pass it at run time from a secret store",
            "line 3: ADD from a URL fetches unverified content; download with a checksum in a RUN step",
            "the final stage never sets USER; add `USER 10001:10001` (a numeric, non-root UID) before the entry point",
            "the final stage has no HEALTHCHECK; add one that calls the server's /health endpoint",
        ]);
        assert.deepEqual(
            checkHardenedDockerfile("ARG BASE=img:latest\nARG API_KEY=x\nFROM ${BASE}\nUSER app\nHEALTHCHECK NONE\n"),
            [
                "line 2: ARG API_KEY has a default value; never bake secrets into an image, pass them at run time",
                "line 3: FROM img:latest is not pinned; use a version tag or, better, a digest (image@sha256:...)",
                "line 4: USER app must be a numeric non-root UID (Kubernetes runAsNonRoot can only verify numbers), e.g. USER 10001:10001",
                "the final stage has no HEALTHCHECK; add one that calls the server's /health endpoint",
            ],
        );
        assert.deepEqual(checkHardenedDockerfile("FROM a:1\nUSER 0\nHEALTHCHECK CMD true\n"), [
            "line 2: USER 0 must be a numeric non-root UID (Kubernetes runAsNonRoot can only verify numbers), e.g. USER 10001:10001",
        ]);
        assert.deepEqual(checkHardenedDockerfile("FROM build:1 AS b\nUSER 10001\nHEALTHCHECK CMD true\nFROM run:2\n"), [
            "the final stage never sets USER; add `USER 10001:10001` (a numeric, non-root UID) before the entry point",
            "the final stage has no HEALTHCHECK; add one that calls the server's /health endpoint",
        ]);
    });

    it("knows pinned references", () => {
        assert.equal(isPinnedImage("registry:5000/team/img"), false);
        assert.equal(isPinnedImage("registry:5000/team/img:1.2"), true);
        assert.equal(isPinnedImage(`img@sha256:${"0".repeat(64)}`), true);
    });
});

describe("InferenceImage", () => {
    it("tags by the content of the context: same files same tag, any change a new tag", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctx-"));
        fs.writeFileSync(path.join(dir, "Dockerfile"), HARDENED);
        const first = contextTag(dir);
        assert.match(first, /^ctx-[0-9a-f]{12}$/);
        assert.equal(contextTag(dir), first);
        fs.writeFileSync(path.join(dir, "serve.sh"), "#!/bin/sh\n");
        assert.notEqual(contextTag(dir), first);
    });

    it("validates a reference by digest, the repository and the Dockerfile before building", () => {
        assert.deepEqual(validateInferenceImageArgs({ imageReference: DIGEST }), []);
        assert.deepEqual(validateInferenceImageArgs({ imageReference: "repo/inference:v1" }), [
            'imageReference: expected an image pinned by digest (repository@sha256:<64 hex>), received "repo/inference:v1"; tags are mutable and are not deployed',
        ]);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctx-"));
        fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM python:3.12\n");
        assert.deepEqual(validateInferenceImageArgs({ context: dir, buildArgs: { HF_TOKEN: "x" } }), [
            "repositoryUrl: required when building an image (or set imageReference)",
            `dockerfile ${path.join(dir, "Dockerfile")}: the final stage never sets USER; add \`USER 10001:10001\` (a numeric, non-root UID) before the entry point`,
            `dockerfile ${path.join(dir, "Dockerfile")}: the final stage has no HEALTHCHECK; add one that calls the server's /health endpoint`,
            "buildArgs.HF_TOKEN: build arguments end up in the image history; pass secrets at run time",
        ]);
        assert.deepEqual(validateInferenceImageArgs({ repositoryUrl: "r", context: path.join(dir, "nope") }), [
            `context: ${path.join(dir, "nope")} is not a folder`,
        ]);
    });

    it("builds for linux/amd64, pushes with ECR credentials kept secret, and exposes the digest", async () => {
        const result = await planOf("prod");
        const image = find(result.export, "docker:index/image:Image", "inference-image");
        const repoUrl = String(
            find(result.export, "aws:ecr/repository:Repository", "inference-repository").outputs?.repositoryUrl,
        );
        assert.equal(image.inputs?.imageName, `${repoUrl}:${contextTag(DEFAULT_CONTEXT)}`);
        // Relative to the program's folder (stacks/), where the CLI runs the program and starts the
        // docker provider, which resolves the context from its working directory.
        assert.deepEqual(image.inputs?.build, {
            args: {},
            context: "../images/inference",
            dockerfile: "../images/inference/Dockerfile",
            platform: "linux/amd64",
        });
        assert.equal(path.resolve(PROJECT_DIR, "stacks", "../images/inference"), DEFAULT_CONTEXT);
        assert.equal(image.inputs?.buildOnPreview, false);
        const registry = image.inputs?.registry as Record<string, unknown>;
        assert.equal(registry.server, repoUrl.split("/")[0]);
        assert.equal(registry.username, "AWS");
        assert.equal((registry.password as Record<string, string>).ciphertext, "[secret]");
        assert.match(
            String(result.outputs.inferenceImage),
            new RegExp(`^${repoUrl.replace(/\./g, "\\.")}@sha256:[0-9a-f]{64}$`),
        );
    });

    it("deploys an existing image by digest without building", async () => {
        const result = await runProgram({
            project: "lib",
            stack: "dev",
            config: {},
            program: () => ({ ref: new InferenceImage("prebuilt", { imageReference: DIGEST }).imageRef }),
        });
        assert.equal(result.outputs.ref, DIGEST);
        assert.equal(result.export.deployment.resources.filter((r) => r.type.startsWith("docker:")).length, 0);
    });

    it("is configured from llm-platform:image, which accepts only digests", async () => {
        const result = await ecsWithPrebuiltImage();
        assert.equal(result.outputs.inferenceImage, PREBUILT_IMAGE);
        assert.equal(result.export.deployment.resources.filter((r) => r.type.startsWith("docker:")).length, 0);
        // Nothing waits for a build, so even in a preview the task's container definitions are known.
        const task = find(result.export, "aws:ecs/taskDefinition:TaskDefinition", "inference-ecs-task");
        const containers = JSON.parse(String(task.inputs?.containerDefinitions)) as Array<{
            name: string;
            image: string;
        }>;
        assert.deepEqual(
            containers.map((c) => `${c.name} ${c.image}`),
            [
                "model-sync public.ecr.aws/aws-cli/aws-cli:2.22.35",
                `inference ${PREBUILT_IMAGE}`,
                // The time-to-first-token exporter runs on the server's own image.
                `ttft-metrics ${PREBUILT_IMAGE}`,
            ],
        );
        assert.throws(
            () =>
                resolveSettings(
                    "staging",
                    goodRawConfig({
                        "llm-platform:tier": "staging",
                        "llm-platform:image": '{"reference":"inference:latest"}',
                    }),
                ),
            /llm-platform:image\.reference: expected an image pinned by digest \(repository@sha256:<64 hex>\), received "inference:latest"/,
        );
    });
});
