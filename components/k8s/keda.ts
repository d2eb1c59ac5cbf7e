/**
 * KEDA, the event-driven autoscaler: its operator and metrics API server from the kedacore chart,
 * in a namespace of its own held to the restricted Pod Security Standard (the chart's pods are
 * non-root, read-only, drop ALL capabilities and use the RuntimeDefault seccomp profile by default,
 * which the pack's chart review keeps). The inference services hand KEDA `ScaledObject`s that scale
 * on vLLM's own metrics through its Prometheus scaler (./scaling). Sources: docs/UPSTREAM.md, "KEDA".
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertValid } from "../validation";
import { KEDA_CHART_VERSION, KEDA_HTTP_ADD_ON_CHART_VERSION, KEDA_REPO } from "../../catalog/versions";

export const KEDA_NAMESPACE = "keda";

/** The arguments of `Keda` (`new Keda(name, args, opts)`). */
export interface KedaArgs {
    provider: k8s.Provider;
    /** @default "keda" */
    namespace?: string;
}

/** KEDA, the event-driven autoscaler (operator and metrics API server, chart `keda`), in a namespace of its own held to the restricted Pod Security Standard: the inference services scale on vLLM's metrics through its Prometheus scaler. */
export class Keda extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    /** What a ScaledObject must wait for: the chart installs the CRD and the operator that reads it. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: KedaArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:Keda", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace ?? KEDA_NAMESPACE,
                    labels: {
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "app.kubernetes.io/managed-by": "pulumi",
                    },
                },
            },
            k8sOpts,
        );
        const release = new k8s.helm.v3.Release(
            name,
            {
                chart: "keda",
                version: KEDA_CHART_VERSION,
                repositoryOpts: { repo: KEDA_REPO },
                namespace: namespace.metadata.name,
                // The chart's secure defaults stay (the pack's review checks they are not overridden).
                values: { crds: { install: true } },
                atomic: true,
                cleanupOnFail: true,
            },
            k8sOpts,
        );
        this.namespace = namespace.metadata.name;
        this.ready = [release];
        this.registerOutputs({ namespace: this.namespace });
    }
}

/** The HTTP add-on's chart name, which prefixes its Services whatever the release is called. */
export const HTTP_ADD_ON_CHART = "keda-add-ons-http";
/** The interceptor's proxy Service and port (chart values interceptor.proxy.{service,port}). */
export const INTERCEPTOR_PROXY_SERVICE = `${HTTP_ADD_ON_CHART}-interceptor-proxy`;
export const INTERCEPTOR_PROXY_PORT = 8080;
/**
 * The interceptor container's admin port (chart value interceptor.admin.port), which serves /readyz:
 * the load balancer's health check. A number, not the port's name: the controller resolves a named
 * health-check port among the *Service's* ports, and the proxy Service has no admin port (nor an
 * integer targetPort), so a name would fail the whole ingress group (docs/UPSTREAM.md).
 */
export const INTERCEPTOR_ADMIN_PORT = 9090;
export const INTERCEPTOR_READY_PATH = "/readyz";

/** Where KEDA reaches the add-on's external scaler (`<chart>-external-scaler.<namespace>:9090`, as the add-on's operator writes it). */
export function httpScalerAddress(namespace: string): string {
    return `${HTTP_ADD_ON_CHART}-external-scaler.${namespace}:9090`;
}

/**
 * The add-on's pods run in KEDA's namespace, held to the restricted Pod Security Standard; the
 * chart's default pod security context sets only fsGroup and supplementalGroups, so these values
 * add what the standard requires (its binaries are static Go, built by ko on a Wolfi static base, and
 * run as any non-root user). Read at 0.15.0: docs/UPSTREAM.md, "KEDA HTTP add-on".
 */
export const HTTP_ADD_ON_POD_SECURITY_CONTEXT = {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    fsGroup: 65532,
    seccompProfile: { type: "RuntimeDefault" },
} as const;

/** The arguments of `KedaHttpAddOn` (`new KedaHttpAddOn(name, args, opts)`). */
export interface KedaHttpAddOnArgs {
    provider: k8s.Provider;
    /** KEDA, which scales the interceptor and the models: the add-on's ScaledObjects need its CRD. */
    keda: Keda;
    /**
     * The longest a response streams: when KEDA scales the interceptor in, a terminating
     * interceptor pod serves its open streams this long before it cuts them (the chart's
     * `interceptor.drainTimeout`, 30 s by default, would cut a long generation mid-stream).
     * @default 600
     */
    longestResponseSeconds?: number;
    /**
     * Where the load balancer's requests and health checks come from (its subnets' CIDR blocks):
     * a NetworkPolicy on the interceptor's pods admits them on the proxy and admin ports, and
     * KEDA's namespace (the external scaler reads the counts) on the admin port, and nothing else,
     * so no pod of the cluster reaches a model through the interceptor, past the load balancer's
     * `inbound-cidrs`. @default - no NetworkPolicy: every pod may call the interceptor
     */
    sourceCidrs?: pulumi.Input<string[]>;
    /**
     * Namespaces whose pods may call the interceptor's proxy port (with `sourceCidrs`): in-cluster
     * clients of a model that scales to zero, whose requests must go through the interceptor to
     * wake it. @default []
     */
    clientNamespaces?: string[];
}

/** Problems with the add-on's arguments, each naming the field. */
export function validateKedaHttpAddOnArgs(args: Pick<KedaHttpAddOnArgs, "longestResponseSeconds">): string[] {
    // The target group's deregistration delay takes 0 to 3600 seconds (ELB's limit); a value out
    // of range would fail the reconcile of the whole ingress group, every model behind it.
    const longest = args.longestResponseSeconds ?? DEFAULT_LONGEST_RESPONSE_SECONDS;
    return Number.isInteger(longest) && longest >= 1 && longest <= 3600
        ? []
        : [
              `longestResponseSeconds: expected an integer from 1 to 3600 (the load balancer's deregistration delay must match it, and ELB allows at most 3600), received ${String(longest)}`,
          ];
}

/** The labels of the interceptor's pods (the chart's `templates/interceptor/deployment.yaml`). */
export const INTERCEPTOR_POD_LABELS = {
    "app.kubernetes.io/component": "interceptor",
    "app.kubernetes.io/name": "http-add-on",
} as const;

/**
 * Seconds a terminating interceptor still accepts new requests (`KEDA_HTTP_SHUTDOWN_DELAY`, the
 * chart's `interceptor.shutdownDelay`, 5 s at 0.15.0): the load balancer controller deregisters the
 * pod once it is terminating, and until the load balancer has taken that in it still sends new
 * requests, which a closed listener would refuse.
 */
export const INTERCEPTOR_SHUTDOWN_DELAY_SECONDS = 15;

/** The longest a response streams through the interceptor by default. */
export const DEFAULT_LONGEST_RESPONSE_SECONDS = 600;

/**
 * The interceptor's values for draining open responses: the shutdown delay, `drainTimeout` the
 * longest response, and a termination grace period that outlasts both (the chart's "Must be at
 * least shutdownDelay + drainTimeout"), with a margin for the process to exit.
 */
export function interceptorDrainValues(longestResponseSeconds: number): Record<string, unknown> {
    return {
        shutdownDelay: `${INTERCEPTOR_SHUTDOWN_DELAY_SECONDS}s`,
        drainTimeout: `${longestResponseSeconds}s`,
        terminationGracePeriodSeconds: INTERCEPTOR_SHUTDOWN_DELAY_SECONDS + longestResponseSeconds + 10,
    };
}

/**
 * KEDA's HTTP add-on: an interceptor that receives a model's requests, counts them for KEDA and
 * holds them while the model scales up from zero, its external scaler and its operator, in KEDA's
 * namespace. A model scaled to zero emits none of vLLM's gauges, so only requests seen in front of
 * it can wake it. Models point their production route at the interceptor and describe it with an
 * `InterceptorRoute` (components/k8s/scaling.ts).
 */
export class KedaHttpAddOn extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    /** What an InterceptorRoute or a ScaledObject that calls the external scaler must wait for. */
    public readonly ready: pulumi.Resource[];
    /** How long a terminating interceptor serves its open responses (the load balancer's deregistration delay should match). */
    public readonly longestResponseSeconds: number;
    /** Who may call the interceptor (with `sourceCidrs`). */
    public readonly networkPolicy: k8s.networking.v1.NetworkPolicy | undefined;

    constructor(name: string, args: KedaHttpAddOnArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:KedaHttpAddOn", name, {}, opts);
        this.longestResponseSeconds = args.longestResponseSeconds ?? DEFAULT_LONGEST_RESPONSE_SECONDS;
        assertValid(this, "KedaHttpAddOn", name, validateKedaHttpAddOnArgs(args));
        const release = new k8s.helm.v3.Release(
            name,
            {
                chart: HTTP_ADD_ON_CHART,
                version: KEDA_HTTP_ADD_ON_CHART_VERSION,
                repositoryOpts: { repo: KEDA_REPO },
                namespace: args.keda.namespace,
                values: {
                    crds: { install: true },
                    podSecurityContext: { ...HTTP_ADD_ON_POD_SECURITY_CONTEXT },
                    interceptor: interceptorDrainValues(this.longestResponseSeconds),
                },
                atomic: true,
                cleanupOnFail: true,
            },
            { parent: this, provider: args.provider, dependsOn: args.keda.ready },
        );
        const sources = args.sourceCidrs;
        this.networkPolicy =
            sources === undefined
                ? undefined
                : new k8s.networking.v1.NetworkPolicy(
                      `${name}-interceptor-ingress`,
                      {
                          metadata: { name: "keda-add-ons-http-interceptor-ingress", namespace: args.keda.namespace },
                          spec: {
                              podSelector: { matchLabels: { ...INTERCEPTOR_POD_LABELS } },
                              policyTypes: ["Ingress"],
                              ingress: [
                                  {
                                      from: pulumi
                                          .output(sources)
                                          .apply((cidrs) => cidrs.map((cidr) => ({ ipBlock: { cidr } }))),
                                      ports: [INTERCEPTOR_PROXY_PORT, INTERCEPTOR_ADMIN_PORT].map((port) => ({
                                          port,
                                          protocol: "TCP",
                                      })),
                                  },
                                  {
                                      from: [
                                          {
                                              namespaceSelector: {
                                                  matchLabels: { "kubernetes.io/metadata.name": args.keda.namespace },
                                              },
                                          },
                                      ],
                                      ports: [{ port: INTERCEPTOR_ADMIN_PORT, protocol: "TCP" }],
                                  },
                                  ...((args.clientNamespaces ?? []).length > 0
                                      ? [
                                            {
                                                from: args.clientNamespaces!.map((n) => ({
                                                    namespaceSelector: {
                                                        matchLabels: { "kubernetes.io/metadata.name": n },
                                                    },
                                                })),
                                                ports: [{ port: INTERCEPTOR_PROXY_PORT, protocol: "TCP" }],
                                            },
                                        ]
                                      : []),
                              ],
                          },
                      },
                      { parent: this, provider: args.provider, dependsOn: [release] },
                  );
        this.namespace = args.keda.namespace;
        this.ready = [release];
        this.registerOutputs({ namespace: this.namespace });
    }
}
