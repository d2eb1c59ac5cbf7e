/**
 * What the platform's own workloads beside the models share (the model registry's server, the
 * retraining runs): a namespace under the restricted Pod Security Standard, a service account
 * whose pods assume an IAM role through IRSA with one inline policy, and the hardened security
 * contexts of their pods.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { irsaTrustPolicy } from "../aws/iam";

/** A container that runs as `uid`, with no privilege, capability or writable root. */
export function restrictedContainerContext(uid: number) {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** The pod's context to match: `uid` owns the volumes. */
export function restrictedPodContext(uid: number) {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** The arguments of `createWorkloadIdentity` (a service account with an IRSA role and its policy). */
export interface WorkloadIdentityArgs {
    namespace: string;
    serviceAccount: string;
    /** What the role is for (its description). */
    description: string;
    /** The role's one inline policy (JSON). */
    policy: pulumi.Input<string>;
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    tags: Record<string, string>;
}

export interface WorkloadIdentity {
    role: aws.iam.Role;
    namespace: k8s.core.v1.Namespace;
    serviceAccount: k8s.core.v1.ServiceAccount;
}

/** `<name>-irsa`: a role only `namespace/serviceAccount` may assume, through the cluster's OIDC provider. */
export function createIrsaRole(
    name: string,
    args: Omit<WorkloadIdentityArgs, "policy">,
    parent: pulumi.Resource,
): aws.iam.Role {
    return new aws.iam.Role(
        `${name}-irsa`,
        {
            description: args.description,
            assumeRolePolicy: pulumi
                .all([args.oidcProviderArn, args.oidcIssuerUrl])
                .apply(([arn, url]) => irsaTrustPolicy(arn, url, args.namespace, args.serviceAccount)),
            tags: args.tags,
        },
        { parent },
    );
}

/**
 * `<name>-namespace` under the restricted Pod Security Standard and `<name>-service-account` in it,
 * annotated with `roleArn` for IRSA when there is one, and without the Kubernetes API token.
 */
export function createRestrictedNamespace(
    name: string,
    args: {
        namespace: string;
        serviceAccount: string;
        /** The IRSA role the pods assume; none for a workload that calls no AWS API. */
        roleArn?: pulumi.Input<string>;
        /** More labels of the namespace (e.g. the load balancer controller's readiness-gate injection). */
        labels?: Record<string, string>;
    },
    opts: { parent: pulumi.Resource; provider: k8s.Provider },
): { namespace: k8s.core.v1.Namespace; serviceAccount: k8s.core.v1.ServiceAccount } {
    const namespace = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        {
            metadata: {
                name: args.namespace,
                labels: {
                    ...args.labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "app.kubernetes.io/managed-by": "pulumi",
                },
            },
        },
        opts,
    );
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        `${name}-service-account`,
        {
            metadata: {
                name: args.serviceAccount,
                namespace: namespace.metadata.name,
                ...(args.roleArn ? { annotations: { "eks.amazonaws.com/role-arn": args.roleArn } } : {}),
            },
            automountServiceAccountToken: false,
        },
        opts,
    );
    return { namespace, serviceAccount };
}

/**
 * `<name>-irsa` (the role), `<name>-<policySuffix>` (its policy), `<name>-namespace` and
 * `<name>-service-account`, each a child of `parent`.
 */
export function createWorkloadIdentity(
    name: string,
    policySuffix: string,
    args: WorkloadIdentityArgs,
    opts: { parent: pulumi.Resource; provider: k8s.Provider },
): WorkloadIdentity {
    const role = createIrsaRole(name, args, opts.parent);
    new aws.iam.RolePolicy(`${name}-${policySuffix}`, { role: role.id, policy: args.policy }, { parent: opts.parent });
    return { role, ...createRestrictedNamespace(name, { ...args, roleArn: role.arn }, opts) };
}
