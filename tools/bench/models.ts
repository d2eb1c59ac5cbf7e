/**
 * A synthetic program that serves `n` models on one cluster, for `npm run bench`: the figure it
 * gives is what each added model costs the offline plan (each model is a BlueGreenEksService with
 * KEDA scaling and an entry point, as the reference stacks' one model is). The config-driven model
 * catalogue (issue 17, part 1) does not exist yet; this measures the components it will compose.
 */
import * as k8s from "@pulumi/kubernetes";
import { poolCapacity, GPU_TOLERATION } from "../../catalog/gpu";
import { DEFAULT_SCALE_ON } from "../../catalog/standards";
import { BlueGreenEksService } from "../../components/k8s/blueGreenEksService";
import { prometheusUrl } from "../../components/k8s/canaryDelivery";
import { Keda } from "../../components/k8s/keda";

const DIGEST = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference@sha256:${"a".repeat(64)}`;

/** Registers one Kubernetes provider, KEDA, and `n` model services `model-0` … `model-<n-1>`. */
export function manyModelsProgram(n: number): () => Promise<Record<string, unknown>> {
    return () => {
        const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
        const keda = new Keda("keda", { provider });
        const services = Array.from(
            { length: n },
            (_, i) =>
                new BlueGreenEksService(`model-${i}`, {
                    provider,
                    pool: {
                        capacity: poolCapacity(["g5.2xlarge"]),
                        nodeSelector: { "llm-platform/pool": "inference" },
                        tolerations: [GPU_TOLERATION],
                    },
                    oidcProviderArn: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/A",
                    oidcIssuerUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/A",
                    modelBucketName: "models",
                    modelReadPolicyArn: "arn:aws:iam::111122223333:policy/read",
                    blue: { image: DIGEST, modelVersion: "v1" },
                    green: { image: DIGEST, modelVersion: "v2" },
                    keda: { ready: keda.ready, prometheusUrl: prometheusUrl("monitoring"), scaleOn: DEFAULT_SCALE_ON },
                    entryPoint: { allowedCidrs: ["10.0.0.0/8"], ready: [] },
                }),
        );
        return Promise.resolve({ namespaces: services.map((s) => s.namespace) });
    };
}
