/**
 * The parts of {@link BlueGreenEksService}, each built by a function with the service as parent
 * and keeping the names it had when the service built them inline: the identity (IRSA role,
 * namespace, service account), a colour (Deployment, PodDisruptionBudget, autoscaler), the Flagger
 * canary, the Services and the NetworkPolicy.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedEksServiceArgs } from "./blueGreenEksServiceArgs";
import { buildCanarySpec, buildMetricTemplates } from "./canary";
import { FLAGGER_NAMESPACE, GATEWAY_NAMESPACE } from "./canaryDelivery";
import { buildDeploymentSpec, modelPathOf, podLabels, type Color, type WorkloadSpec } from "./inferenceWorkload";
import { httpScalerAddress } from "./keda";
import { createIrsaRole, createRestrictedNamespace } from "./workloadIdentity";
import { buildScaledObjectSpec, scalerQuery, type Wake } from "./scaling";

/**
 * Minutes Pulumi waits for a Deployment beyond the model's startup budget: a GPU node from the
 * autoscaler (about 5), the multi-gigabyte vLLM image pulled and the weights synced (about 10).
 */
export const ROLLOUT_MARGIN_MINUTES = 20;

/** How a part is parented and which cluster it goes to. */
export interface PartOptions {
    readonly parent: pulumi.Resource;
    readonly provider: k8s.Provider;
}

export interface ServiceIdentity {
    /** The pods' IAM role (IRSA): reads the model bucket; attach policies for what else they call. */
    readonly role: aws.iam.Role;
    readonly namespace: k8s.core.v1.Namespace;
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
}

export function createServiceIdentity(name: string, args: ResolvedEksServiceArgs, opts: PartOptions): ServiceIdentity {
    const role = createIrsaRole(
        name,
        {
            namespace: args.namespace,
            serviceAccount: name,
            description: `${name} pods: read the model bucket`,
            oidcProviderArn: args.oidcProviderArn,
            oidcIssuerUrl: args.oidcIssuerUrl,
            tags: args.tags,
        },
        opts.parent,
    );
    new aws.iam.RolePolicyAttachment(
        `${name}-irsa-read`,
        { role: role.name, policyArn: args.modelReadPolicyArn },
        { parent: opts.parent },
    );
    // Behind the load balancer (blue-green), a pod is Ready only once its target is healthy in
    // every target group of the Services that select it (the controller's readiness gates,
    // injected at pod creation in a namespace so labelled): a rolling update of a colour, a node
    // drain or a scale-in then never leaves a target group with only initial and draining targets.
    const gated =
        args.entryPoint !== undefined &&
        args.strategy === "blue-green" &&
        (args.readinessGates ?? args.scaleToZero === undefined);
    return {
        role,
        ...createRestrictedNamespace(
            name,
            {
                namespace: args.namespace,
                serviceAccount: name,
                roleArn: role.arn,
                ...(gated ? { labels: { [READINESS_GATE_LABEL]: "enabled" } } : {}),
            },
            opts,
        ),
    };
}

/** The namespace label that has the AWS Load Balancer Controller's webhook add target-health readiness gates to new pods. */
export const READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject";

export interface ColorParts {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly podDisruptionBudget: k8s.policy.v1.PodDisruptionBudget;
    /** Absent for a colour scaled to zero: the HorizontalPodAutoscaler, or with KEDA its ScaledObject. */
    readonly autoscaler?: k8s.autoscaling.v2.HorizontalPodAutoscaler | k8s.apiextensions.CustomResource;
}

/** The autoscaler's metric: the queue-length metric when one is set, else CPU utilisation. */
export function autoscalerMetric(args: Pick<ResolvedEksServiceArgs, "queueLengthMetric" | "targetCpuUtilization">) {
    return args.queueLengthMetric
        ? {
              type: "Pods",
              pods: {
                  metric: { name: args.queueLengthMetric.name },
                  target: { type: "AverageValue", averageValue: args.queueLengthMetric.averageValue },
              },
          }
        : {
              type: "Resource",
              resource: {
                  name: "cpu",
                  target: { type: "Utilization", averageUtilization: args.targetCpuUtilization },
              },
          };
}

/**
 * One colour: its Deployment (Flagger's target under canary), PodDisruptionBudget and, while it
 * is live, its autoscaler. The warm inactive colour of blue-green keeps `replicas` for rollback
 * and may not grow (it serves no production traffic; the capacity check counts on it).
 */
export function createColor(
    name: string,
    args: ResolvedEksServiceArgs,
    color: Color,
    spec: WorkloadSpec,
    parts: {
        namespace: pulumi.Input<string>;
        serviceAccount: k8s.core.v1.ServiceAccount;
        /** What must change first: traffic moved off a colour before it is scaled to zero. */
        after?: pulumi.Resource[];
    },
    opts: PartOptions,
): ColorParts {
    const canary = args.strategy === "canary";
    const active = args.activeColor === color;
    const live = canary || active || !args.scaleDownInactive;
    const deploymentName = canary ? name : `${name}-${color}`;
    const ns = parts.namespace;
    const rolloutTimeout = `${Math.ceil(args.startupTimeoutSeconds / 60) + ROLLOUT_MARGIN_MINUTES}m`;
    const deployment = new k8s.apps.v1.Deployment(
        `${name}-${color}`,
        {
            metadata: { name: deploymentName, namespace: ns, labels: podLabels(name, color) },
            spec: buildDeploymentSpec(spec, color, live ? undefined : 0),
        },
        {
            ...opts,
            dependsOn: [parts.serviceAccount, ...(parts.after ?? [])],
            // Pulumi waits for the rollout: a GPU node to be added, the image pulled, the
            // weights synced and the model loaded; its 10-minute default is too short.
            customTimeouts: { create: rolloutTimeout, update: rolloutTimeout },
        },
    );
    const podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
        `${name}-${color}`,
        {
            metadata: { name: deploymentName, namespace: ns },
            // Not app.kubernetes.io/name, which Flagger rewrites on its primary's pods.
            spec: {
                maxUnavailable: 1,
                selector: { matchLabels: { "app.kubernetes.io/component": "inference", "llm-platform/color": color } },
            },
        },
        opts,
    );
    if (!live) return { deployment, podDisruptionBudget };
    const [min, max] = [args.replicas, canary || active ? args.maxReplicas : args.replicas];
    if (args.keda) {
        // Scale to zero: the active colour's requests, counted by the add-on, wake it from zero.
        const wake: Wake | undefined =
            args.scaleToZero && active && !canary
                ? {
                      scalerAddress: httpScalerAddress(args.scaleToZero.addOn.namespace),
                      interceptorRoute: name,
                      idleMinutes: args.scaleToZero.idleMinutes,
                  }
                : undefined;
        const scaledObject = new k8s.apiextensions.CustomResource(
            `${name}-${color}`,
            {
                apiVersion: "keda.sh/v1alpha1",
                kind: "ScaledObject",
                metadata: { name: deploymentName, namespace: ns },
                spec: buildScaledObjectSpec({
                    deployment: deploymentName,
                    namespace: args.namespace,
                    min,
                    max,
                    scaleOn: args.keda.scaleOn,
                    prometheusUrl: args.keda.prometheusUrl,
                    wake,
                }),
            },
            { ...opts, dependsOn: [deployment, ...args.keda.ready, ...(wake ? args.scaleToZero!.addOn.ready : [])] },
        );
        return { deployment, podDisruptionBudget, autoscaler: scaledObject };
    }
    const autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-${color}`,
        {
            metadata: { name: deploymentName, namespace: ns },
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
                minReplicas: min,
                maxReplicas: max,
                metrics: [autoscalerMetric(args)],
                // GPU pods take minutes to start: scale up promptly, down slowly.
                behavior: {
                    scaleDown: {
                        stabilizationWindowSeconds: 600,
                        policies: [{ type: "Pods", value: 1, periodSeconds: 300 }],
                    },
                },
            },
        },
        opts,
    );
    return { deployment, podDisruptionBudget, autoscaler };
}

/** Flagger's MetricTemplates and the Canary over the colour's Deployment (strategy canary). */
export function createCanary(
    name: string,
    args: ResolvedEksServiceArgs,
    color: Color,
    parts: {
        namespace: pulumi.Input<string>;
        deployment: k8s.apps.v1.Deployment;
        metricsLabel: Record<string, string>;
    },
    opts: PartOptions,
): k8s.apiextensions.CustomResource {
    const delivery = args.canaryDelivery!;
    const targets = {
        name,
        namespace: args.namespace,
        deployment: name,
        port: args.containerPort,
        readyPath: args.readyPath,
        modelName: modelPathOf(args[color].modelVersion),
        gateway: delivery.gateway,
        loadtesterUrl: delivery.loadtesterUrl,
        metricsServer: delivery.metricsServer,
        metrics: args.metrics,
        metricsLabel: parts.metricsLabel,
        ...(args.keda ? { primaryScalerQuery: scalerQuery(args.keda.scaleOn, args.namespace, `${name}-primary`) } : {}),
    };
    const templates = buildMetricTemplates(targets).map(
        (t) =>
            new k8s.apiextensions.CustomResource(
                t.name,
                {
                    apiVersion: "flagger.app/v1beta1",
                    kind: "MetricTemplate",
                    metadata: { name: t.name, namespace: parts.namespace },
                    spec: t.spec,
                },
                { ...opts, dependsOn: delivery.ready },
            ),
    );
    return new k8s.apiextensions.CustomResource(
        `${name}-canary`,
        {
            apiVersion: "flagger.app/v1beta1",
            kind: "Canary",
            metadata: { name, namespace: parts.namespace },
            spec: buildCanarySpec(targets, args.canary),
        },
        { ...opts, dependsOn: [parts.deployment, ...templates, ...delivery.ready] },
    );
}

/**
 * Who may call the inference pods: the ingress namespaces and CIDRs, the gateway and Flagger's
 * load tester under canary, the HTTP add-on's interceptor under scale-to-zero, and Prometheus, on
 * the container port only.
 */
export function createNetworkPolicy(
    name: string,
    args: ResolvedEksServiceArgs,
    namespace: pulumi.Input<string>,
    opts: PartOptions,
): k8s.networking.v1.NetworkPolicy {
    const callers = [
        ...args.ingressNamespaces,
        // The gateway's Envoy proxies and Flagger's load tester.
        ...(args.strategy === "canary" ? [GATEWAY_NAMESPACE, FLAGGER_NAMESPACE] : []),
        // The HTTP add-on's interceptor, which forwards production requests to a model that scales to zero.
        ...(args.scaleToZero ? [args.scaleToZero.addOn.namespace] : []),
    ];
    const from = [
        ...callers.map((n) => ({
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
        })),
        ...args.ingressCidrs.map((cidr) => ({ ipBlock: { cidr } })),
        {
            namespaceSelector: {
                matchLabels: { "kubernetes.io/metadata.name": args.prometheusNamespace },
            },
        },
    ];
    // The load balancer forwards from its own addresses: its subnets' CIDRs, when it says them.
    const sources = args.entryPoint ? args.entryPoint.sourceCidrs : undefined;
    return new k8s.networking.v1.NetworkPolicy(
        `${name}-ingress`,
        {
            metadata: { name: `${name}-ingress`, namespace },
            spec: {
                // Every inference pod of the namespace: both colours, and Flagger's primary, whose
                // app.kubernetes.io/name Flagger rewrites to <name>-primary.
                podSelector: { matchLabels: { "app.kubernetes.io/component": "inference" } },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from:
                            sources === undefined
                                ? from
                                : pulumi
                                      .output({ from, sources })
                                      .apply(({ from: given, sources: cidrs }) => [
                                          ...given,
                                          ...cidrs.map((cidr) => ({ ipBlock: { cidr } })),
                                      ]),
                        ports: [{ port: args.containerPort, protocol: "TCP" }],
                    },
                ],
            },
        },
        opts,
    );
}
