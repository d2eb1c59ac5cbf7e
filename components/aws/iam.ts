/**
 * IAM building blocks shared by the EKS components: trust policies as pure functions, and the
 * node role with only the managed policies a worker node needs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** A trust policy letting an AWS service assume the role. */
export function serviceTrustPolicy(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}

/**
 * IRSA: a trust policy letting exactly one Kubernetes service account assume the role through
 * the cluster's OIDC provider.
 */
export function irsaTrustPolicy(
    oidcProviderArn: string,
    issuerUrl: string,
    namespace: string,
    serviceAccount: string,
): string {
    const issuer = issuerUrl.replace(/^https:\/\//, "");
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    });
}

/** What a managed node needs: join the cluster, run the VPC CNI, pull images. Nothing more. */
export const NODE_POLICY_ARNS = [
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
] as const;

/** The node role (`<name>-node-role`) with {@link NODE_POLICY_ARNS} attached (`<name>-node-<i>`). */
export function nodeRole(parent: pulumi.Resource, name: string, tags: Record<string, string>): aws.iam.Role {
    const role = new aws.iam.Role(
        `${name}-node-role`,
        { assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"), tags },
        { parent },
    );
    NODE_POLICY_ARNS.forEach((policyArn, i) => {
        new aws.iam.RolePolicyAttachment(`${name}-node-${i}`, { role: role.name, policyArn }, { parent });
    });
    return role;
}

/**
 * A launch template for managed nodes: IMDSv2 only with a hop limit of 1 (pods cannot reach the
 * node's credentials), an encrypted gp3 volume, tags on instances and volumes.
 */
export function nodeLaunchTemplateArgs(options: {
    diskSizeGiB: number;
    deviceName: string;
    tags: Record<string, string>;
    description: string;
}): aws.ec2.LaunchTemplateArgs {
    return {
        description: options.description,
        updateDefaultVersion: true,
        metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
            instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [
            {
                deviceName: options.deviceName,
                ebs: {
                    volumeSize: options.diskSizeGiB,
                    volumeType: "gp3",
                    encrypted: "true",
                    deleteOnTermination: "true",
                },
            },
        ],
        tagSpecifications: [
            { resourceType: "instance", tags: options.tags },
            { resourceType: "volume", tags: options.tags },
        ],
        tags: options.tags,
    };
}
