import type * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertValid } from "../validation";
import {
    placementOf,
    validateBlueGreenEksServiceArgs,
    withEksServiceDefaults,
    workloadSpecOf,
    type BlueGreenEksServiceArgs,
    type PoolPlacement,
} from "./blueGreenEksServiceArgs";
import {
    createCanary,
    createColor,
    createNetworkPolicy,
    createServiceIdentity,
    type ColorParts,
    type PartOptions,
} from "./eksServiceParts";
import { createEntryPoint, ENTRY_IDLE_TIMEOUT_SECONDS, entryUrl, type EntryBackend } from "./entryPoint";
import {
    DEFAULT_LONGEST_RESPONSE_SECONDS,
    INTERCEPTOR_ADMIN_PORT,
    INTERCEPTOR_PROXY_PORT,
    INTERCEPTOR_PROXY_SERVICE,
    INTERCEPTOR_READY_PATH,
} from "./keda";
import { buildInterceptorRouteSpec, holdSeconds } from "./scaling";
import { COLORS, other, podLabels, vllmLoggingConfigMapName, type Color } from "./inferenceWorkload";
import { VLLM_LOGGING_CONFIG_FILE, vllmLoggingConfig } from "../vllmServer";

export {
    EKS_SERVICE_DEFAULTS,
    validateBlueGreenEksServiceArgs,
    withEksServiceDefaults,
    type BlueGreenEksServiceArgs,
    type ColorRelease,
    type PoolPlacement,
    type QueueLengthMetric,
    type ResolvedEksServiceArgs,
    type ScaleToZero,
} from "./blueGreenEksServiceArgs";
export { ROLLOUT_MARGIN_MINUTES } from "./eksServiceParts";

/** The services built so far on each pool object, for its capacity check. */
const PLACED = new WeakMap<object, PoolPlacement[]>();

/** What the stacks and the promote command read back. */
export interface ServiceEndpoints {
    activeService: pulumi.Output<string>;
    previewService: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
}

/**
 * An inference service on EKS with blue-green releases: a namespace, a service account on an IAM
 * role that may only read the model bucket, a Deployment per colour (GPU requests equal limits,
 * probes, non-root read-only pods, zone spread, drained shutdown), an active Service on the
 * active colour and a preview Service on the other, a PodDisruptionBudget and autoscaler per live
 * colour, and a NetworkPolicy. Promotion flips `activeColor`. Or a Flagger canary instead.
 *
 * The class wires; `createServiceIdentity`, `createColor`, `createCanary` and
 * `createNetworkPolicy` build, each child parented here.
 */
export class BlueGreenEksService extends pulumi.ComponentResource {
    /** The namespace the service runs in (created by the component). */
    public readonly namespace: pulumi.Output<string>;
    /** Service name of the active colour (or Flagger's primary). */
    public readonly activeService: pulumi.Output<string>;
    /** Service name of the inactive colour (or Flagger's canary). */
    public readonly previewService: pulumi.Output<string>;
    /** ARN of the pods' IAM role (`role`). */
    public readonly roleArn: pulumi.Output<string>;
    /** The colour the active Service sends traffic to (the `activeColor` argument, resolved). */
    public readonly activeColor: Color;
    /** What each colour runs (the image resolved to its default when the release names none). */
    public readonly releases: Readonly<Record<Color, { image: pulumi.Output<string>; modelVersion: string }>>;
    /** The release strategy (the `strategy` argument, resolved). */
    public readonly strategy: "blue-green" | "canary";
    /** Whether the inactive colour is scaled to zero. */
    public readonly scaleDownInactive: boolean;
    /** The model name clients send (vLLM's `--served-model-name`), when set. */
    public readonly servedModelName: string | undefined;
    /** Where the model's weights are: `s3://<bucket>/<modelPrefix>`; a release is a folder under it, or a registered version whose source is one. */
    public readonly modelSource: pulumi.Output<string>;
    /** Labels of the Services a ServiceMonitor should select to scrape every inference pod once. */
    public readonly metricsSelector: Record<string, string>;

    // The children a user extends: attach policies to the role, add objects to the namespace.
    /** The pods' IAM role (IRSA). */
    public readonly role: aws.iam.Role;
    /** The pods' service account, which assumes `role` (IRSA). */
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    /** Each colour's Deployment, PodDisruptionBudget and autoscaler (one colour under canary). */
    public readonly colors: Partial<Record<Color, ColorParts>>;
    /**
     * Who may call the inference pods, on the container port only: the ingress namespaces and
     * CIDRs, Prometheus, and the gateway and load tester (canary) or the interceptor (scale to zero).
     */
    public readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
    /** Flagger's Canary (strategy canary). */
    public readonly canary: k8s.apiextensions.CustomResource | undefined;
    /** The entry point's Ingresses (with `entryPoint`): production and preview. */
    public readonly ingresses:
        { readonly production: k8s.networking.v1.Ingress; readonly preview: k8s.networking.v1.Ingress } | undefined;
    /**
     * Each colour's own Service, a fixed selector the load balancer's listeners forward to by
     * weight (blue-green with `entryPoint`); `activeService` and `previewService` are for callers
     * inside the cluster and for scraping.
     */
    public readonly colorServices:
        { readonly blue: k8s.core.v1.Service; readonly green: k8s.core.v1.Service } | undefined;
    /** vLLM's JSON logging configuration, mounted by both colours (with `logging.json`, the default). */
    public readonly loggingConfig: k8s.core.v1.ConfigMap | undefined;
    /** The HTTP add-on's route to the active Service (with `scaleToZero`). */
    public readonly interceptorRoute: k8s.apiextensions.CustomResource | undefined;
    /**
     * Where the active and preview colours answer through the entry point (with `entryPoint`): what
     * `npm run promote` smoke-tests and evaluates, from a runner inside the network.
     */
    public readonly urls:
        { readonly active: pulumi.Output<string>; readonly preview: pulumi.Output<string> } | undefined;

    constructor(name: string, given: BlueGreenEksServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("llm-platform:k8s:BlueGreenEksService", name, {}, opts);
        // Services on the same pool object are checked together: the pool must hold them all.
        const placed = PLACED.get(given.pool) ?? [];
        assertValid(this, "BlueGreenEksService", name, validateBlueGreenEksServiceArgs(name, given, placed));
        const args = withEksServiceDefaults(name, given);
        PLACED.set(given.pool, [...placed, placementOf(name, args)]);
        const part: PartOptions = { parent: this, provider: args.provider };

        const identity = createServiceIdentity(name, args, part);
        const ns = identity.namespace.metadata.name;
        // The ServiceMonitor selects Services by this label: active and preview (blue-green), or
        // Flagger's primary and canary, each of which selects its own pods exactly once.
        const metricsLabel = { "llm-platform/metrics": name };

        // vLLM's JSON logging, read by both colours' servers (VLLM_LOGGING_CONFIG_PATH).
        const jsonLogs = args.logging?.json ?? true;
        this.loggingConfig = jsonLogs
            ? new k8s.core.v1.ConfigMap(
                  `${name}-vllm-logging`,
                  {
                      metadata: { name: vllmLoggingConfigMapName(name), namespace: ns },
                      data: {
                          [VLLM_LOGGING_CONFIG_FILE]: JSON.stringify(
                              vllmLoggingConfig({ logLevel: args.logLevel, model: name }),
                              null,
                              2,
                          ),
                      },
                  },
                  part,
              )
            : undefined;
        const canary = args.strategy === "canary";
        const colors: Partial<Record<Color, ColorParts>> = {};
        let flagger: k8s.apiextensions.CustomResource | undefined;
        const buildColor = (color: Color, after: pulumi.Resource[] = []): ColorParts => {
            const built = createColor(
                name,
                args,
                color,
                workloadSpecOf(name, args, args[color]),
                {
                    namespace: ns,
                    serviceAccount: identity.serviceAccount,
                    after: [...(this.loggingConfig ? [this.loggingConfig] : []), ...after],
                },
                part,
            );
            colors[color] = built;
            return built;
        };

        if (canary) {
            const built = buildColor(args.activeColor);
            flagger = createCanary(
                name,
                args,
                args.activeColor,
                { namespace: ns, deployment: built.deployment, metricsLabel },
                part,
            );
            // Flagger creates <name>-primary (stable) and <name>-canary (new release) Services.
            this.activeService = pulumi.output(`${name}-primary`);
            this.previewService = pulumi.output(`${name}-canary`);
        } else {
            const inactiveColor = other(args.activeColor);
            // The active colour first: its Service and the load balancer's weights move to it only
            // once Pulumi has seen its rollout complete (every pod Ready, behind the load balancer
            // only once healthy in its target groups).
            const activeParts = buildColor(args.activeColor);
            const service = (
                suffix: string,
                color: Color,
                labels: Record<string, string>,
                after: pulumi.Resource[] = [],
            ): k8s.core.v1.Service =>
                new k8s.core.v1.Service(
                    `${name}-${suffix}`,
                    {
                        metadata: {
                            name: `${name}-${suffix}`,
                            namespace: ns,
                            labels: { "app.kubernetes.io/name": name, "llm-platform/role": suffix, ...labels },
                        },
                        spec: {
                            type: "ClusterIP",
                            selector: selectorOf(name, color),
                            ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
                        },
                    },
                    { ...part, dependsOn: [identity.serviceAccount, ...after] },
                );
            const active = service("active", args.activeColor, metricsLabel, [activeParts.deployment]);
            const preview = service("preview", inactiveColor, metricsLabel);
            this.activeService = active.metadata.name;
            this.previewService = preview.metadata.name;
            // Behind the load balancer each colour has a Service of its own whose selector never
            // changes (not scraped: active and preview are), and the listeners move weights.
            this.colorServices = args.entryPoint
                ? { blue: service("blue", "blue", {}), green: service("green", "green", {}) }
                : undefined;
            if (args.scaleToZero && args.entryPoint)
                this.interceptorRoute = new k8s.apiextensions.CustomResource(
                    `${name}-interceptor-route`,
                    {
                        apiVersion: "http.keda.sh/v1beta1",
                        kind: "InterceptorRoute",
                        metadata: { name, namespace: ns },
                        spec: buildInterceptorRouteSpec({
                            service: `${name}-active`,
                            port: 80,
                            route: args.entryPoint.route,
                            targetConcurrency: args.scaleToZero.targetConcurrency,
                            holdSeconds: holdSeconds(ENTRY_IDLE_TIMEOUT_SECONDS),
                        }),
                    },
                    { ...part, dependsOn: [active, ...args.scaleToZero.addOn.ready] },
                );
            if (args.entryPoint && this.colorServices) {
                // The listener's rule forwards to both colours by weight; its action is named after
                // the Service that selects the colour it favours (the header condition is keyed by it).
                const weighted = (action: string, to: Color): EntryBackend => ({
                    namespace: ns,
                    service: action,
                    port: 80,
                    healthCheck: { path: args.readyPath },
                    split: COLORS.map((c) => ({ service: `${name}-${c}`, weight: c === to ? 100 : 0 })),
                });
                const addOn = args.scaleToZero?.addOn;
                this.ingresses = createEntryPoint(
                    name,
                    args.entryPoint,
                    {
                        production: addOn
                            ? {
                                  namespace: addOn.namespace,
                                  service: INTERCEPTOR_PROXY_SERVICE,
                                  port: INTERCEPTOR_PROXY_PORT,
                                  healthCheck: { path: INTERCEPTOR_READY_PATH, port: String(INTERCEPTOR_ADMIN_PORT) },
                                  // A scaled-in interceptor drains its streams; the load balancer must wait as long.
                                  deregistrationDelaySeconds:
                                      addOn.longestResponseSeconds ?? DEFAULT_LONGEST_RESPONSE_SECONDS,
                              }
                            : weighted(`${name}-active`, args.activeColor),
                        preview: weighted(`${name}-preview`, inactiveColor),
                    },
                    [
                        active,
                        preview,
                        this.colorServices.blue,
                        this.colorServices.green,
                        activeParts.deployment,
                        ...(this.interceptorRoute ? [this.interceptorRoute] : []),
                    ],
                    part,
                );
            }
            // A colour scaled to zero goes last: production has left it (Service and listener) first.
            const leaving = args.scaleDownInactive
                ? [active, ...(this.ingresses ? [this.ingresses.production] : [])]
                : [];
            buildColor(inactiveColor, leaving);
        }
        this.networkPolicy = createNetworkPolicy(name, args, ns, part);
        this.urls =
            this.ingresses && args.entryPoint
                ? {
                      active: entryUrl(this.ingresses.production, args.entryPoint, "production"),
                      preview: entryUrl(this.ingresses.preview, args.entryPoint, "preview"),
                  }
                : undefined;

        this.role = identity.role;
        this.serviceAccount = identity.serviceAccount;
        // In colour order, whichever was built first.
        this.colors = Object.fromEntries(COLORS.flatMap((c) => (colors[c] ? [[c, colors[c]]] : [])));
        this.canary = flagger;
        this.namespace = ns;
        this.metricsSelector = metricsLabel;
        this.roleArn = identity.role.arn;
        this.activeColor = args.activeColor;
        this.releases = {
            blue: { image: pulumi.output(args.blue.image), modelVersion: args.blue.modelVersion },
            green: { image: pulumi.output(args.green.image), modelVersion: args.green.modelVersion },
        };
        this.strategy = args.strategy;
        this.scaleDownInactive = args.scaleDownInactive;
        this.servedModelName = args.servedModelName;
        this.modelSource = pulumi.interpolate`s3://${args.modelBucketName}/${args.modelPrefix}`;
        this.registerOutputs({
            namespace: this.namespace,
            activeService: this.activeService,
            previewService: this.previewService,
            roleArn: this.roleArn,
            activeColor: this.activeColor,
        });
    }
}

/** The pods of one colour: their labels less the component label. */
function selectorOf(name: string, color: Color): Record<string, string> {
    const { ["app.kubernetes.io/component"]: _component, ...selector } = podLabels(name, color);
    return selector;
}
