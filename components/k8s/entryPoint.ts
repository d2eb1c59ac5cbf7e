/**
 * A way in for clients outside the cluster: two Ingresses of class `alb` in one ingress group, so
 * the AWS Load Balancer Controller makes one Application Load Balancer — production on 443 (or 80
 * without a certificate) to the active colour's Service, and the preview colour on a port of its
 * own for smoke tests and evaluation (as ECS's test listener). Targets are the pods' IPs, checked on
 * the readiness route; the load balancer is internal unless configured otherwise, admits only the
 * listed CIDRs, drops invalid headers and keeps streams open for long generations. Sources:
 * docs/UPSTREAM.md, "AWS Load Balancer Controller".
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ALB_SSL_POLICY } from "../aws/ecsLoadBalancer";

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
}

/** Seconds an idle connection stays open: a long generation streams slowly (the ALB's default is 60). */
export const ENTRY_IDLE_TIMEOUT_SECONDS = 300;

/** The annotations of one of the two Ingresses (`listener`: production or preview). */
export function entryPointAnnotations(
    group: string,
    entry: EntryPoint,
    readyPath: string,
    listener: "production" | "preview",
): Record<string, string> {
    const https = entry.certificateArn !== undefined;
    const protocol = https ? "HTTPS" : "HTTP";
    const port = listener === "production" ? (https ? 443 : 80) : (entry.previewPort ?? 8443);
    const attributes = [
        `deletion_protection.enabled=${entry.deletionProtection ?? true}`,
        "routing.http.drop_invalid_header_fields.enabled=true",
        `idle_timeout.timeout_seconds=${ENTRY_IDLE_TIMEOUT_SECONDS}`,
    ];
    return {
        "alb.ingress.kubernetes.io/group.name": group,
        "alb.ingress.kubernetes.io/scheme": entry.internetFacing ? "internet-facing" : "internal",
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

/** Problems with an entry point, each naming the field. */
export function validateEntryPoint(entry: EntryPoint, field = "entryPoint"): string[] {
    const problems: string[] = [];
    if (entry.allowedCidrs.length === 0)
        problems.push(`${field}.allowedCidrs: expected at least one CIDR (who may reach the load balancer)`);
    if (entry.internetFacing && entry.allowedCidrs.includes("0.0.0.0/0") && entry.certificateArn === undefined)
        problems.push(
            `${field}.certificateArn: an internet-facing load balancer open to 0.0.0.0/0 must serve HTTPS; set a certificate`,
        );
    const preview = entry.previewPort ?? 8443;
    if ([80, 443].includes(preview))
        problems.push(`${field}.previewPort: ${preview} is a production listener's port; choose another`);
    return problems;
}

/** The two Ingresses: production to the active Service, preview to the inactive one. */
export function createEntryPoint(
    name: string,
    entry: EntryPoint,
    parts: {
        namespace: pulumi.Input<string>;
        readyPath: string;
        services: { production: pulumi.Input<string>; preview: pulumi.Input<string> };
    },
    opts: { parent: pulumi.Resource; provider: k8s.Provider },
): { production: k8s.networking.v1.Ingress; preview: k8s.networking.v1.Ingress } {
    const ingress = (listener: "production" | "preview"): k8s.networking.v1.Ingress =>
        new k8s.networking.v1.Ingress(
            `${name}-${listener}`,
            {
                metadata: {
                    name: `${name}-${listener}`,
                    namespace: parts.namespace,
                    annotations: entryPointAnnotations(name, entry, parts.readyPath, listener),
                },
                spec: {
                    ingressClassName: "alb",
                    rules: [
                        {
                            http: {
                                paths: [
                                    {
                                        path: "/",
                                        pathType: "Prefix",
                                        backend: { service: { name: parts.services[listener], port: { number: 80 } } },
                                    },
                                ],
                            },
                        },
                    ],
                },
            },
            { ...opts, dependsOn: entry.ready },
        );
    return { production: ingress("production"), preview: ingress("preview") };
}
