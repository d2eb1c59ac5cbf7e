/**
 * What the `canary` strategy needs besides the Canary object itself: a traffic provider that
 * really shifts traffic, Flagger to drive it, and a load tester to make the canary's metrics. The
 * provider is the Kubernetes Gateway API, implemented by Envoy Gateway: Flagger (`gatewayapi:v1`)
 * writes an HTTPRoute whose backend weights move production traffic from the primary to the canary
 * a step at a time. Versions and every field relied on are in docs/UPSTREAM.md ("Flagger",
 * "Envoy Gateway").
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertValid } from "../validation";

export const FLAGGER_CHART_VERSION = "1.44.0";
export const FLAGGER_LOADTESTER_CHART_VERSION = "0.38.0";
export const FLAGGER_REPO = "https://flagger.app";
export const ENVOY_GATEWAY_CHART = "oci://docker.io/envoyproxy/gateway-helm";
export const ENVOY_GATEWAY_VERSION = "v1.9.0";
/** Envoy Gateway's controller name (api/v1alpha1 `GatewayControllerName`). */
export const ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

/** Where the pieces run, and what the serving namespace's NetworkPolicy must admit. */
export const FLAGGER_NAMESPACE = "flagger-system";
export const GATEWAY_NAMESPACE = "envoy-gateway-system";
/** The load tester's Service (the Helm release is named so that the chart's fullname is this). */
export const LOADTESTER_SERVICE = "flagger-loadtester";

/** A container security context Pod Security's `restricted` profile admits. */
const RESTRICTED_CONTAINER = (user: number, group: number): Record<string, unknown> => ({
    readOnlyRootFilesystem: true,
    runAsUser: user,
    runAsGroup: group,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
});

/** The arguments of `CanaryDelivery` (`new CanaryDelivery(name, args, opts)`). */
export interface CanaryDeliveryArgs {
    provider: k8s.Provider;
    /** Namespace of the inference service; its routes may attach to the gateway. */
    servingNamespace: string;
    /** Namespace of Prometheus (kube-prometheus-stack): Flagger queries `prometheus-operated` there. */
    prometheusNamespace: string;
    /**
     * How the gateway's Envoy Service is exposed: an internal AWS network load balancer, or only
     * inside the cluster (put your own ingress in front).
     * @default "internal-nlb"
     */
    exposure?: "internal-nlb" | "cluster";
}

export function validateCanaryDeliveryArgs(args: Omit<CanaryDeliveryArgs, "provider">): string[] {
    const problems: string[] = [];
    const dns = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
    for (const field of ["servingNamespace", "prometheusNamespace"] as const) {
        if (!dns.test(args[field]))
            problems.push(`${field}: expected a namespace name, received ${JSON.stringify(args[field])}`);
    }
    if (args.exposure !== undefined && !["internal-nlb", "cluster"].includes(args.exposure))
        problems.push(`exposure: expected "internal-nlb" or "cluster", received ${JSON.stringify(args.exposure)}`);
    return problems;
}

/**
 * Prometheus's address in its namespace: the operator's governing Service of every Prometheus
 * there (`prometheus-operated`), a stable name.
 */
export function prometheusUrl(prometheusNamespace: string): string {
    return `http://prometheus-operated.${prometheusNamespace}:9090`;
}

/** Flagger's chart values: the Gateway API provider, our Prometheus, our pod labels kept on primaries. */
export function flaggerValues(prometheusNamespace: string): Record<string, unknown> {
    return {
        meshProvider: "gatewayapi:v1",
        metricsServer: prometheusUrl(prometheusNamespace),
        // Flagger copies only these label prefixes to the primary Deployment's pods; the platform's
        // NetworkPolicy, PodDisruptionBudget and dashboards select on them.
        includeLabelPrefix: "app.kubernetes.io,llm-platform",
        crd: { create: false },
        // The chart's default context (read-only root, user 10001) completed to Pod Security's
        // `restricted`, which its namespace enforces.
        securityContext: { enabled: true, context: RESTRICTED_CONTAINER(10001, 10001) },
    };
}

/** The EnvoyProxy that shapes the gateway's Envoy Service. */
export function envoyProxySpec(exposure: "internal-nlb" | "cluster"): Record<string, unknown> {
    return {
        provider: {
            type: "Kubernetes",
            kubernetes: {
                envoyService:
                    exposure === "cluster"
                        ? { type: "ClusterIP" }
                        : {
                              type: "LoadBalancer",
                              annotations: {
                                  "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                                  "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                              },
                          },
            },
        },
    };
}

/**
 * Envoy Gateway (with the Gateway API CRDs) and a Gateway for the inference service, Flagger with
 * its CRDs, and Flagger's load tester, each from its chart at a pinned version. Created once per
 * cluster when a service uses the `canary` strategy.
 */
export class CanaryDelivery extends pulumi.ComponentResource {
    /** The Gateway the Canary's HTTPRoute attaches to: `{ name, namespace }`. */
    public readonly gateway: { name: string; namespace: string };
    /** Where Flagger calls the load tester. */
    public readonly loadtesterUrl: string;
    /** Flagger's Prometheus, for MetricTemplates. */
    public readonly metricsServer: string;
    /** Everything a Canary needs in place first. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: CanaryDeliveryArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:CanaryDelivery", name, {}, opts);
        assertValid(this, "CanaryDelivery", name, validateCanaryDeliveryArgs(args));
        const k8sOpts = { parent: this, provider: args.provider };
        const namespace = (suffix: string, ns: string, enforce: string): k8s.core.v1.Namespace =>
            new k8s.core.v1.Namespace(
                `${name}-${suffix}-namespace`,
                {
                    metadata: {
                        name: ns,
                        labels: {
                            "pod-security.kubernetes.io/enforce": enforce,
                            "app.kubernetes.io/managed-by": "pulumi",
                        },
                    },
                },
                k8sOpts,
            );

        // Envoy Gateway: its controller, the Gateway API CRDs and its own (the chart's crds subchart).
        const gatewayNamespace = namespace("gateway", GATEWAY_NAMESPACE, "baseline");
        const envoyGateway = new k8s.helm.v3.Release(
            `${name}-envoy-gateway`,
            {
                chart: ENVOY_GATEWAY_CHART,
                version: ENVOY_GATEWAY_VERSION,
                namespace: gatewayNamespace.metadata.name,
                atomic: true,
                cleanupOnFail: true,
            },
            k8sOpts,
        );
        const proxyConfig = new k8s.apiextensions.CustomResource(
            `${name}-proxy`,
            {
                apiVersion: "gateway.envoyproxy.io/v1alpha1",
                kind: "EnvoyProxy",
                metadata: { name: "llm-platform", namespace: GATEWAY_NAMESPACE },
                spec: envoyProxySpec(args.exposure ?? "internal-nlb"),
            },
            { ...k8sOpts, dependsOn: [envoyGateway] },
        );
        const gatewayClass = new k8s.apiextensions.CustomResource(
            `${name}-gateway-class`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "GatewayClass",
                metadata: { name: "llm-platform" },
                spec: {
                    controllerName: ENVOY_GATEWAY_CONTROLLER,
                    parametersRef: {
                        group: "gateway.envoyproxy.io",
                        kind: "EnvoyProxy",
                        name: "llm-platform",
                        namespace: GATEWAY_NAMESPACE,
                    },
                },
            },
            { ...k8sOpts, dependsOn: [envoyGateway, proxyConfig] },
        );
        this.gateway = { name: "inference", namespace: GATEWAY_NAMESPACE };
        const gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: this.gateway,
                spec: {
                    gatewayClassName: "llm-platform",
                    listeners: [
                        {
                            name: "http",
                            protocol: "HTTP",
                            port: 80,
                            // Only the serving namespace's routes (Flagger writes one per Canary).
                            allowedRoutes: {
                                namespaces: {
                                    from: "Selector",
                                    selector: {
                                        matchLabels: { "kubernetes.io/metadata.name": args.servingNamespace },
                                    },
                                },
                                kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
                            },
                        },
                    ],
                },
            },
            { ...k8sOpts, dependsOn: [gatewayClass] },
        );

        // Flagger, with its CRDs (the chart's crds/ folder, which Helm installs before the rest).
        const flaggerNamespace = namespace("flagger", FLAGGER_NAMESPACE, "restricted");
        this.metricsServer = prometheusUrl(args.prometheusNamespace);
        const flagger = new k8s.helm.v3.Release(
            `${name}-flagger`,
            {
                chart: "flagger",
                version: FLAGGER_CHART_VERSION,
                repositoryOpts: { repo: FLAGGER_REPO },
                namespace: flaggerNamespace.metadata.name,
                values: flaggerValues(args.prometheusNamespace),
                atomic: true,
                cleanupOnFail: true,
            },
            { ...k8sOpts, dependsOn: [envoyGateway] },
        );
        const loadtester = new k8s.helm.v3.Release(
            `${name}-loadtester`,
            {
                // The chart names its Deployment and Service after the release when the release
                // name contains "loadtester": flagger-loadtester.
                name: LOADTESTER_SERVICE,
                chart: "loadtester",
                version: FLAGGER_LOADTESTER_CHART_VERSION,
                repositoryOpts: { repo: FLAGGER_REPO },
                namespace: flaggerNamespace.metadata.name,
                // The chart's suggested contexts (values.yaml), completed to Pod Security's `restricted`.
                values: {
                    securityContext: { enabled: true, context: RESTRICTED_CONTAINER(100, 101) },
                    podSecurityContext: { enabled: true, context: { fsGroup: 101 } },
                },
                atomic: true,
                cleanupOnFail: true,
            },
            k8sOpts,
        );
        this.loadtesterUrl = `http://${LOADTESTER_SERVICE}.${FLAGGER_NAMESPACE}/`;
        this.ready = [gateway, flagger, loadtester];
        this.registerOutputs({ gateway: this.gateway, loadtesterUrl: this.loadtesterUrl });
    }
}
