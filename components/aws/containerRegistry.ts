import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValid } from "../validation";

/** The arguments of `ContainerRegistry` (`new ContainerRegistry(name, args, opts)`). */
export interface ContainerRegistryArgs {
    /**
     * Untagged images (layers of superseded pushes) expire this many days after push.
     * @default 1
     */
    untaggedExpireDays?: number;
    /**
     * How many tagged images to keep; older ones expire.
     * @default 30
     */
    keepTaggedImages?: number;
    /**
     * KMS key for image encryption.
     * @default - the AWS-managed key for ECR
     */
    kmsKeyArn?: pulumi.Input<string>;
    /**
     * Let `pulumi destroy` delete the repository while it still holds images.
     * @default false
     */
    forceDelete?: boolean;
    /**
     * Protect the repository from deletion and replacement, and keep it in AWS when it leaves the stack.
     * @default true
     */
    protect?: boolean;
    /**
     * Tags for every AWS resource of the component.
     * @default {}
     */
    tags?: Record<string, string>;
}

/** The ECR lifecycle policy: expire untagged images after N days, keep the last M tagged ones. */
export function buildLifecyclePolicy(untaggedExpireDays: number, keepTaggedImages: number): string {
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images ${untaggedExpireDays} day(s) after push`,
                selection: {
                    tagStatus: "untagged",
                    countType: "sinceImagePushed",
                    countUnit: "days",
                    countNumber: untaggedExpireDays,
                },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep the last ${keepTaggedImages} tagged images`,
                selection: {
                    tagStatus: "tagged",
                    tagPatternList: ["*"],
                    countType: "imageCountMoreThan",
                    countNumber: keepTaggedImages,
                },
                action: { type: "expire" },
            },
        ],
    });
}

export function validateContainerRegistryArgs(args: ContainerRegistryArgs): string[] {
    const problems: string[] = [];
    const check = (field: "untaggedExpireDays" | "keepTaggedImages", max: number): void => {
        const v = args[field];
        if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > max)) {
            problems.push(`${field}: expected an integer between 1 and ${max}, received ${JSON.stringify(v)}`);
        }
    };
    check("untaggedExpireDays", 365);
    check("keepTaggedImages", 1000);
    return problems;
}

/**
 * An ECR repository for the inference image: immutable tags (images are deployed by digest),
 * scan on push, KMS encryption, a lifecycle policy; protected at its defaults.
 */
export class ContainerRegistry extends pulumi.ComponentResource {
    public readonly repositoryName: pulumi.Output<string>;
    public readonly repositoryUrl: pulumi.Output<string>;
    public readonly repositoryArn: pulumi.Output<string>;
    public readonly registryId: pulumi.Output<string>;

    constructor(name: string, args: ContainerRegistryArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:aws:ContainerRegistry", name, args, opts);
        const problems = validateContainerRegistryArgs(args);
        assertValid(this, "ContainerRegistry", name, problems);
        const untaggedExpireDays = args.untaggedExpireDays ?? 1;
        const keepTaggedImages = args.keepTaggedImages ?? 30;
        const forceDelete = args.forceDelete ?? false;
        const protect = args.protect ?? true;

        const repository = new aws.ecr.Repository(
            `${name}-repository`,
            {
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
                forceDelete,
                tags: args.tags ?? {},
            },
            { parent: this, protect, retainOnDelete: protect },
        );
        new aws.ecr.LifecyclePolicy(
            `${name}-lifecycle`,
            { repository: repository.name, policy: buildLifecyclePolicy(untaggedExpireDays, keepTaggedImages) },
            { parent: this },
        );

        this.repositoryName = repository.name;
        this.repositoryUrl = repository.repositoryUrl;
        this.repositoryArn = repository.arn;
        this.registryId = repository.registryId;
        this.registerOutputs({
            repositoryName: this.repositoryName,
            repositoryUrl: this.repositoryUrl,
            repositoryArn: this.repositoryArn,
            registryId: this.registryId,
        });
    }
}
