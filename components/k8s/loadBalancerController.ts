/**
 * The AWS Load Balancer Controller: it turns an Ingress of class `alb` into an Application Load
 * Balancer whose target groups point at the pods (target type `ip`). Installed from its chart
 * with an IRSA role carrying the IAM policy the project publishes for this version (vendored in
 * components/aws/upstream/, unchanged), the chart's security context completed to the restricted
 * profile. Sources: docs/UPSTREAM.md, "AWS Load Balancer Controller".
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EKS_CHARTS_REPO, LOAD_BALANCER_CONTROLLER_CHART_VERSION } from "../../catalog/versions";
import { irsaTrustPolicy } from "../aws/iam";
import controllerPolicy from "../aws/upstream/aws-load-balancer-controller-v3.5.0-iam-policy.json";

/** Where it runs and as whom; the IRSA trust policy names exactly this service account. */
export const LOAD_BALANCER_CONTROLLER_NAMESPACE = "kube-system";
export const LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller";

/** The IAM policy `docs/install/iam_policy.json` of kubernetes-sigs/aws-load-balancer-controller at v3.5.0. */
export const LOAD_BALANCER_CONTROLLER_POLICY: Readonly<Record<string, unknown>> = controllerPolicy;

/** The arguments of `LoadBalancerController` (`new LoadBalancerController(name, args, opts)`). */
export interface LoadBalancerControllerArgs {
    provider: k8s.Provider;
    clusterName: pulumi.Input<string>;
    region: pulumi.Input<string>;
    /** The VPC (the controller does not ask the instance metadata service: IMDS hop limit 1). */
    vpcId: pulumi.Input<string>;
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** @default {} */
    tags?: Record<string, string>;
}

/** The chart's values: the cluster, region and VPC, the IRSA role, and the hardened security context. */
export function loadBalancerControllerValues(options: {
    clusterName: pulumi.Input<string>;
    region: pulumi.Input<string>;
    vpcId: pulumi.Input<string>;
    roleArn: pulumi.Input<string>;
}): Record<string, unknown> {
    return {
        clusterName: options.clusterName,
        region: options.region,
        vpcId: options.vpcId,
        replicaCount: 2,
        serviceAccount: {
            create: true,
            name: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
            annotations: { "eks.amazonaws.com/role-arn": options.roleArn },
        },
        // The chart's default keeps a read-only root, non-root and no privilege escalation, but
        // neither drops capabilities nor sets a seccomp profile: completed here.
        securityContext: {
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
    };
}

/** The AWS Load Balancer Controller (chart `aws-load-balancer-controller`): it turns an Ingress of class `alb` into an Application Load Balancer whose target groups point at the pods, with an IRSA role carrying the project's published IAM policy for this version. */
export class LoadBalancerController extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    /** What an Ingress of class `alb` must wait for (the controller and its webhooks). */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: LoadBalancerControllerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:LoadBalancerController", name, {}, opts);
        const tags = args.tags ?? {};
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: "AWS Load Balancer Controller",
                assumeRolePolicy: pulumi
                    .all([args.oidcProviderArn, args.oidcIssuerUrl])
                    .apply(([arn, url]) =>
                        irsaTrustPolicy(
                            arn,
                            url,
                            LOAD_BALANCER_CONTROLLER_NAMESPACE,
                            LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
                        ),
                    ),
                tags,
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-policy`,
            { role: role.id, policy: JSON.stringify(LOAD_BALANCER_CONTROLLER_POLICY) },
            { parent: this },
        );
        const release = new k8s.helm.v3.Release(
            name,
            {
                chart: "aws-load-balancer-controller",
                version: LOAD_BALANCER_CONTROLLER_CHART_VERSION,
                repositoryOpts: { repo: EKS_CHARTS_REPO },
                namespace: LOAD_BALANCER_CONTROLLER_NAMESPACE,
                values: loadBalancerControllerValues({
                    clusterName: args.clusterName,
                    region: args.region,
                    vpcId: args.vpcId,
                    roleArn: role.arn,
                }),
                atomic: true,
                cleanupOnFail: true,
            },
            { parent: this, provider: args.provider },
        );
        this.roleArn = role.arn;
        this.ready = [release];
        this.registerOutputs({ roleArn: this.roleArn });
    }
}
