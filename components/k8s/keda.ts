/**
 * KEDA, the event-driven autoscaler: its operator and metrics API server from the kedacore chart,
 * in a namespace of its own held to the restricted Pod Security Standard (the chart's pods are
 * non-root, read-only, drop ALL capabilities and use the RuntimeDefault seccomp profile by default,
 * which the pack's chart review keeps). The inference services hand KEDA `ScaledObject`s that scale
 * on vLLM's own metrics through its Prometheus scaler (./scaling). Sources: docs/UPSTREAM.md, "KEDA".
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KEDA_CHART_VERSION, KEDA_REPO } from "../../catalog/versions";

export const KEDA_NAMESPACE = "keda";

export interface KedaArgs {
    provider: k8s.Provider;
    /** @default "keda" */
    namespace?: string;
}

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
