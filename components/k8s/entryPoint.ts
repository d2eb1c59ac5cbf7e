/**
 * A way in for clients outside the cluster: two Ingresses of class `alb` in one ingress group, so
 * the AWS Load Balancer Controller makes one Application Load Balancer — production on 443 (or 80
 * without a certificate) to the active colour, and the preview colour on a port of its own for smoke
 * tests and evaluation (as ECS's test listener); each forwards to both colours' Services by weight
 * (all to one, none to the other), so a flip moves weights, not targets. Targets are the pods' IPs, checked on
 * the readiness route; the load balancer is internal unless configured otherwise, admits only the
 * listed CIDRs, drops invalid headers and keeps streams open for long generations. Sources:
 * docs/UPSTREAM.md, "AWS Load Balancer Controller".
 */
import { coversInternet, ipv4CidrError, ipv4CidrProblem } from "../../catalog/cidr";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ALB_SSL_POLICY } from "../aws/ecsLoadBalancer";
import { STREAM_IDLE_TIMEOUT_SECONDS } from "../../catalog/standards";

export interface EntryPoint {
    /** An internet-facing load balancer instead of an internal one. @default false */
    internetFacing?: boolean;
    /** ACM certificate: HTTPS on 443 with HTTP redirected. @default - HTTP on 80 */
    certificateArn?: string;
    /** Who may reach the load balancer. */
    allowedCidrs: string[];
    /** Port of the preview listener. @default 8443 */
    previewPort?: number;
    /** Deletion protection of the load balancer. @default true */
    deletionProtection?: boolean;
    /** What the controller needs to be running first (LoadBalancerController.ready). */
    ready: pulumi.Resource[];
    /**
     * The subnets the load balancer is placed in (`alb.ingress.kubernetes.io/subnets`), e.g. the
     * public ones: an internal load balancer there has private addresses only, and its subnets hold
     * no pods, so `sourceCidrs` admit it and nothing else. @default - the controller's discovery
     * (subnets tagged kubernetes.io/role/internal-elb, or role/elb when internet-facing)
     */
    subnetIds?: pulumi.Input<string[]>;
    /**
     * Where the load balancer's requests and health checks come from (its subnets' CIDR blocks),
     * which the service's NetworkPolicy admits: the ALB forwards from its own private addresses.
     * @default - none: the NetworkPolicy admits only `ingressCidrs`
     */
    sourceCidrs?: pulumi.Input<string[]>;
    /**
     * The ingress group, one load balancer for every Ingress in it: services that share a group
     * share the load balancer, and each needs a `route` of its own. @default - the service's name
     */
    group?: string;
    /**
     * Which requests are this service's on a shared load balancer: those for `host`, or those with
     * the header `header.name: header.value` (ALB cannot route on the request body, where an
     * OpenAI client names its model, nor rewrite a path). @default - every request (the group's only service)
     */
    route?: { host?: string; header?: { name: string; value: string } };
}

/** The header that picks a model on a shared load balancer without a domain (the `x-` prefix: not a standard header). */
export const MODEL_ROUTE_HEADER = "x-llm-model";

/** Seconds an idle connection stays open: a long generation streams slowly (the ALB's default is 60). */
export const ENTRY_IDLE_TIMEOUT_SECONDS = STREAM_IDLE_TIMEOUT_SECONDS;

/** The annotations of one of the two Ingresses (`listener`: production or preview). */
export function entryPointAnnotations(
    group: string,
    entry: EntryPoint,
    readyPath: string,
    listener: "production" | "preview",
): Record<string, pulumi.Input<string>> {
    const https = entry.certificateArn !== undefined;
    const protocol = https ? "HTTPS" : "HTTP";
    const port = listener === "production" ? (https ? 443 : 80) : (entry.previewPort ?? 8443);
    const attributes = [
        `deletion_protection.enabled=${entry.deletionProtection ?? true}`,
        "routing.http.drop_invalid_header_fields.enabled=true",
        `idle_timeout.timeout_seconds=${ENTRY_IDLE_TIMEOUT_SECONDS}`,
    ];
    return {
        "alb.ingress.kubernetes.io/group.name": entry.group ?? group,
        "alb.ingress.kubernetes.io/scheme": entry.internetFacing ? "internet-facing" : "internal",
        ...(entry.subnetIds !== undefined
            ? { "alb.ingress.kubernetes.io/subnets": pulumi.output(entry.subnetIds).apply((ids) => ids.join(",")) }
            : {}),
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/healthcheck-path": readyPath,
        "alb.ingress.kubernetes.io/success-codes": "200",
        "alb.ingress.kubernetes.io/inbound-cidrs": entry.allowedCidrs.join(","),
        "alb.ingress.kubernetes.io/load-balancer-attributes": attributes.join(","),
        "alb.ingress.kubernetes.io/listen-ports": JSON.stringify(
            listener === "production" && https ? [{ HTTP: 80 }, { HTTPS: 443 }] : [{ [protocol]: port }],
        ),
        ...(https
            ? {
                  "alb.ingress.kubernetes.io/certificate-arn": entry.certificateArn!,
                  "alb.ingress.kubernetes.io/ssl-policy": ALB_SSL_POLICY,
                  ...(listener === "production" ? { "alb.ingress.kubernetes.io/ssl-redirect": "443" } : {}),
              }
            : {}),
    };
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
const HEADER_NAME = /^[A-Za-z0-9-]{1,40}$/;

/** Problems with an entry point, each naming the field. */
export function validateEntryPoint(entry: EntryPoint, field = "entryPoint"): string[] {
    const problems: string[] = [];
    if (entry.allowedCidrs.length === 0)
        problems.push(`${field}.allowedCidrs: expected at least one CIDR (who may reach the load balancer)`);
    entry.allowedCidrs.forEach((cidr, i) => {
        if (ipv4CidrProblem(cidr) !== undefined) problems.push(`${field}.allowedCidrs[${i}]: ${ipv4CidrError(cidr)}`);
    });
    if (entry.internetFacing && coversInternet(entry.allowedCidrs) && entry.certificateArn === undefined)
        problems.push(
            `${field}.certificateArn: an internet-facing load balancer open to the whole internet (0.0.0.0/0, or blocks that add up to it) must serve HTTPS; set a certificate`,
        );
    // Known at construction (a plain list): each block must be one the NetworkPolicy API takes.
    if (Array.isArray(entry.sourceCidrs))
        entry.sourceCidrs.forEach((cidr, i) => {
            if (typeof cidr === "string" && ipv4CidrProblem(cidr) !== undefined)
                problems.push(`${field}.sourceCidrs[${i}]: ${ipv4CidrError(cidr)}`);
        });
    const preview = entry.previewPort ?? 8443;
    if ([80, 443].includes(preview))
        problems.push(`${field}.previewPort: ${preview} is a production listener's port; choose another`);
    const route = entry.route;
    if (route && (route.host === undefined) === (route.header === undefined))
        problems.push(`${field}.route: expected either host or header`);
    if (route?.host !== undefined && !HOST_NAME.test(route.host))
        problems.push(
            `${field}.route.host: expected a DNS name such as chat.llm.example.com, received ${JSON.stringify(route.host)}`,
        );
    if (
        route?.header !== undefined &&
        (!HEADER_NAME.test(route.header.name) || !/^[\x21-\x7e]{1,128}$/.test(route.header.value))
    )
        problems.push(
            `${field}.route.header: expected a header name of letters, digits and '-' and a printable value without spaces, received ${JSON.stringify(route.header)}`,
        );
    return problems;
}

/** Where one listener's requests go: a Service, and how the load balancer checks its pods. */
export interface EntryBackend {
    namespace: pulumi.Input<string>;
    /** The Service; with `split`, the name of the forward action (its annotation is keyed by it). */
    service: string;
    port: number;
    /**
     * Forward to several Services by weight (0-999), each its own target group, instead of to
     * `service`: a blue-green flip moves the weights, and no target is registered or deregistered
     * (a selector flip makes the controller deregister the old pods and register the new ones in
     * one pass, leaving the listener with draining and initial targets only until a health check
     * passes). The rule's backend is then `service` with port `use-annotation`.
     */
    split?: Array<{ service: string; weight: number }>;
    /**
     * Seconds the load balancer keeps a deregistered target's open requests
     * (`deregistration_delay.timeout_seconds`): as long as the target drains them. @default - AWS's 300
     */
    deregistrationDelaySeconds?: number;
    /** The target group's health check: path, and the pods' port number when not the traffic port (with IP targets the controller takes a number as the pod's port). */
    healthCheck: { path: string; port?: string };
}

/**
 * The two Ingresses: production to the active Service (or, for a model that scales to zero, to the
 * HTTP add-on's interceptor in its own namespace: an Ingress of the group may live in any namespace,
 * and the controller sends to a Service's pods, so it must be the interceptor's namespace), and
 * preview to the inactive one.
 */
export function createEntryPoint(
    name: string,
    entry: EntryPoint,
    backends: Record<"production" | "preview", EntryBackend>,
    /** The Services, created first. */
    dependsOn: pulumi.Resource[],
    opts: { parent: pulumi.Resource; provider: k8s.Provider },
): { production: k8s.networking.v1.Ingress; preview: k8s.networking.v1.Ingress } {
    const ingress = (listener: "production" | "preview"): k8s.networking.v1.Ingress => {
        const backend = backends[listener];
        return new k8s.networking.v1.Ingress(
            `${name}-${listener}`,
            {
                metadata: {
                    name: `${name}-${listener}`,
                    namespace: backend.namespace,
                    annotations: {
                        ...entryPointAnnotations(name, entry, backend.healthCheck.path, listener),
                        ...(backend.healthCheck.port !== undefined
                            ? { "alb.ingress.kubernetes.io/healthcheck-port": backend.healthCheck.port }
                            : {}),
                        ...routeAnnotations(entry, backend.service),
                        ...(backend.split ? forwardAnnotations(backend.service, backend.split, backend.port) : {}),
                        ...(backend.deregistrationDelaySeconds !== undefined
                            ? {
                                  "alb.ingress.kubernetes.io/target-group-attributes": `deregistration_delay.timeout_seconds=${backend.deregistrationDelaySeconds}`,
                              }
                            : {}),
                    },
                },
                spec: albIngressSpec(
                    entry.route?.host,
                    backend.service,
                    backend.split ? { name: USE_ANNOTATION } : { number: backend.port },
                ),
            },
            { ...opts, dependsOn: [...entry.ready, ...dependsOn] },
        );
    };
    return { production: ingress("production"), preview: ingress("preview") };
}

/** The port name that makes the controller read a rule's action from `actions.<service name>`. */
export const USE_ANNOTATION = "use-annotation";

/**
 * The spec of an Ingress of the AWS Load Balancer Controller's class that sends every path of
 * `host` (of any host, without one) to one port of one Service: the entry point's and the model
 * registry's.
 */
export function albIngressSpec(
    host: string | undefined,
    service: pulumi.Input<string>,
    port: { number: number } | { name: string },
): k8s.types.input.networking.v1.IngressSpec {
    return {
        ingressClassName: "alb",
        rules: [
            {
                ...(host !== undefined ? { host } : {}),
                http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service, port } } }] },
            },
        ],
    };
}

/**
 * A forward action over weighted Services (`alb.ingress.kubernetes.io/actions.<action>`, advanced
 * schema): one target group per Service, every weight set, as the controller requires when a rule
 * forwards to more than one.
 */
export function forwardAnnotations(
    action: string,
    split: ReadonlyArray<{ service: string; weight: number }>,
    port: number,
): Record<string, string> {
    return {
        [`alb.ingress.kubernetes.io/actions.${action}`]: JSON.stringify({
            type: "forward",
            forwardConfig: {
                targetGroups: split.map((s) => ({ serviceName: s.service, servicePort: port, weight: s.weight })),
            },
        }),
    };
}

/**
 * A header route's condition, keyed by the rule's backend name as the controller reads it
 * (`alb.ingress.kubernetes.io/conditions.<service or action>`; a host route is the rule's own `host`).
 */
export function routeAnnotations(entry: EntryPoint, service: string): Record<string, string> {
    const header = entry.route?.header;
    if (!header) return {};
    return {
        [`alb.ingress.kubernetes.io/conditions.${service}`]: JSON.stringify([
            { field: "http-header", httpHeaderConfig: { httpHeaderName: header.name, values: [header.value] } },
        ]),
    };
}

/**
 * Where a listener of the entry point answers once the controller has provisioned the load
 * balancer: `https://<route host>` for a host route (its DNS record points at the load balancer),
 * else the load balancer's own DNS name from the Ingress's status (written by the controller),
 * with the preview listener's port. Unknown in a preview of a new stack.
 */
export function entryUrl(
    ingress: k8s.networking.v1.Ingress,
    entry: Pick<EntryPoint, "certificateArn" | "previewPort" | "route">,
    listener: "production" | "preview",
): pulumi.Output<string> {
    const https = entry.certificateArn !== undefined;
    const port = listener === "preview" ? `:${entry.previewPort ?? 8443}` : "";
    const scheme = https ? "https" : "http";
    if (entry.route?.host !== undefined) return pulumi.output(`${scheme}://${entry.route.host}${port}`);
    return ingress.status.loadBalancer.ingress.apply((lbs) => `${scheme}://${lbs[0].hostname}${port}`);
}
