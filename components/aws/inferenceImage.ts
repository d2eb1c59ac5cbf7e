import * as aws from "@pulumi/aws";
import type * as Docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DIGEST_REFERENCE } from "../../catalog/formats";
import { checkHardenedDockerfile } from "./dockerfile";
import { assertValid } from "../validation";

export { DIGEST_REFERENCE };

/**
 * `@pulumi/docker`, an optional peer dependency of the package: only this component builds
 * images, so a program that never imports `llm-platform/image` need not install it.
 */
function dockerSdk(): typeof Docker {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require("@pulumi/docker") as typeof Docker;
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw e;
        throw new Error(
            "llm-platform/image builds with @pulumi/docker, which is not installed: npm install @pulumi/docker@^5.2.0",
        );
    }
}
const docker = dockerSdk();

/** The arguments of `InferenceImage` (`new InferenceImage(name, args, opts)`). */
export interface InferenceImageArgs {
    /**
     * A prebuilt image to deploy instead of building one, by digest: `repository@sha256:<64 hex>`.
     * @default - build from `context`
     */
    imageReference?: string;
    /**
     * The ECR repository URL to push to (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). Required when building.
     * @default - none
     */
    repositoryUrl?: pulumi.Input<string>;
    /**
     * The registry (account) id, for the push credentials.
     * @default - the caller's account
     */
    registryId?: pulumi.Input<string>;
    /**
     * The build context folder.
     * @default - this package's images/inference (vLLM's OpenAI-compatible server, hardened)
     */
    context?: string;
    /**
     * The Dockerfile, relative to `context`.
     * @default "Dockerfile"
     */
    dockerfile?: string;
    /**
     * Build arguments, e.g. `{ BASE_IMAGE: "vllm/vllm-openai@sha256:..." }`. Never secrets.
     * @default {}
     */
    buildArgs?: Record<string, string>;
    /**
     * Target platform of the build.
     * @default "linux/amd64"
     */
    platform?: string;
    /**
     * Build and push during `pulumi preview` too (normally only `pulumi up` builds).
     * @default false
     */
    buildOnPreview?: boolean;
}

/** The folder holding this package's package.json (where images/ lives, from source or bin/). */
function packageRoot(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    return dir;
}

export const DEFAULT_CONTEXT = path.join(packageRoot(), "images", "inference");
/** The model registry's build context: MLflow's server with the PostgreSQL driver and boto3 (ModelRegistry). */
export const REGISTRY_IMAGE_CONTEXT = path.join(packageRoot(), "images", "mlflow");

/**
 * A tag from the content of the build context: the same files give the same tag (nothing to
 * push), any change gives a new one (tags are immutable in the registry).
 */
export function contextTag(context: string): string {
    const hash = createHash("sha256");
    const walk = (dir: string): void => {
        for (const entry of fs
            .readdirSync(dir, { withFileTypes: true })
            .sort((a, b) => a.name.localeCompare(b.name, "en"))) {
            if (entry.name === ".git" || entry.name === "node_modules") continue;
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (entry.isFile())
                hash.update(path.relative(context, full)).update("\0").update(fs.readFileSync(full)).update("\0");
        }
    };
    walk(context);
    return `ctx-${hash.digest("hex").slice(0, 12)}`;
}

/** Problems with the arguments and the Dockerfile, each naming what to fix. */
export function validateInferenceImageArgs(args: InferenceImageArgs): string[] {
    if (args.imageReference !== undefined) {
        return DIGEST_REFERENCE.test(args.imageReference)
            ? []
            : [
                  `imageReference: expected an image pinned by digest (repository@sha256:<64 hex>), received ${JSON.stringify(args.imageReference)}; tags are mutable and are not deployed`,
              ];
    }
    const problems: string[] = [];
    if (args.repositoryUrl === undefined)
        problems.push("repositoryUrl: required when building an image (or set imageReference)");
    const context = args.context ?? DEFAULT_CONTEXT;
    const dockerfile = path.join(context, args.dockerfile ?? "Dockerfile");
    if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) {
        problems.push(`context: ${context} is not a folder`);
    } else if (!fs.existsSync(dockerfile)) {
        problems.push(`dockerfile: ${dockerfile} does not exist`);
    } else {
        problems.push(
            ...checkHardenedDockerfile(fs.readFileSync(dockerfile, "utf8")).map(
                (p) => `dockerfile ${dockerfile}: ${p}`,
            ),
        );
    }
    for (const name of Object.keys(args.buildArgs ?? {})) {
        if (/(TOKEN|SECRET|PASSWORD|API_?KEY|ACCESS_KEY)/i.test(name)) {
            problems.push(`buildArgs.${name}: build arguments end up in the image history; pass secrets at run time`);
        }
    }
    return problems;
}

/**
 * The inference image: built from a hardened Dockerfile (checked before the build), tagged by
 * the content of its context, pushed to ECR, and exposed by digest — or an existing image by
 * digest. Serving components deploy `imageRef`, never a mutable tag.
 */
export class InferenceImage extends pulumi.ComponentResource {
    /** `repository@sha256:…`: what the services deploy. */
    public readonly imageRef: pulumi.Output<string>;
    /** The content tag pushed (empty for an existing image). */
    public readonly tag: pulumi.Output<string>;

    constructor(name: string, args: InferenceImageArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:InferenceImage", name, {}, opts);
        const problems = validateInferenceImageArgs(args);
        assertValid(this, "InferenceImage", name, problems);
        if (args.imageReference !== undefined) {
            this.imageRef = pulumi.output(args.imageReference);
            this.tag = pulumi.output("");
        } else {
            const context = args.context ?? DEFAULT_CONTEXT;
            const tag = contextTag(context);
            const repositoryUrl = pulumi.output(args.repositoryUrl as pulumi.Input<string>);
            const credentials = aws.ecr.getAuthorizationTokenOutput(
                args.registryId === undefined ? {} : { registryId: args.registryId },
                { parent: this },
            );
            const image = new docker.Image(
                `${name}-image`,
                {
                    imageName: pulumi.interpolate`${repositoryUrl}:${tag}`,
                    build: {
                        // Relative to the program's working folder (the project), so that plans made in
                        // different checkouts do not differ by an absolute path.
                        context: path.relative(process.cwd(), context) || ".",
                        dockerfile: path.relative(process.cwd(), path.join(context, args.dockerfile ?? "Dockerfile")),
                        platform: args.platform ?? "linux/amd64",
                        args: args.buildArgs ?? {},
                    },
                    buildOnPreview: args.buildOnPreview ?? false,
                    registry: {
                        server: repositoryUrl.apply((url) => url.split("/")[0]),
                        username: credentials.userName,
                        password: pulumi.secret(credentials.password),
                    },
                },
                { parent: this },
            );
            this.imageRef = image.repoDigest;
            this.tag = pulumi.output(tag);
        }
        this.registerOutputs({ imageRef: this.imageRef, tag: this.tag });
    }
}
