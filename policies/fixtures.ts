/**
 * Known-good resources for policy tests, as a plan or `pulumi stack export` records them: each
 * passes every policy of the pack. A test changes one thing and expects one violation.
 *
 * @module llm-platform/policy-fixtures
 */
import type { TestResource } from "./testing";

export const GOOD_IMAGE = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"a".repeat(64)}`;

const securityContext = () => ({
    runAsNonRoot: true,
    runAsUser: 10001,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
});

/** A serving Deployment that meets the production standards. */
export function goodDeployment(name = "inference"): TestResource {
    const labels = { "app.kubernetes.io/name": name };
    return {
        type: "kubernetes:apps/v1:Deployment",
        name,
        urn: `urn:pulumi:test::test::kubernetes:apps/v1:Deployment::${name}`,
        props: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name, namespace: "inference", labels },
            spec: {
                replicas: 3,
                selector: { matchLabels: labels },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
                template: {
                    metadata: { labels },
                    spec: {
                        securityContext: {
                            runAsNonRoot: true,
                            runAsUser: 10001,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        containers: [
                            {
                                name: "inference",
                                image: GOOD_IMAGE,
                                ports: [{ name: "http", containerPort: 8000 }],
                                securityContext: securityContext(),
                                resources: {
                                    requests: { cpu: "4", memory: "16Gi", "nvidia.com/gpu": "1" },
                                    limits: { cpu: "8", memory: "24Gi", "nvidia.com/gpu": "1" },
                                },
                                livenessProbe: { httpGet: { path: "/health", port: 8000 } },
                                readinessProbe: { httpGet: { path: "/v1/models", port: 8000 } },
                            },
                        ],
                    },
                },
            },
        },
    };
}
