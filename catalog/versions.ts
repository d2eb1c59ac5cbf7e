/**
 * Versions the platform pins that settings are checked against (a Kubernetes version the
 * cluster-autoscaler has no release line for is refused before anything is created).
 */

/**
 * The image per Kubernetes minor version: cluster-autoscaler's minor must match the cluster's
 * (the newest patch of each release line at the tags `cluster-autoscaler-1.3x.y`).
 */
export const CLUSTER_AUTOSCALER_IMAGES: Readonly<Record<string, string>> = {
    "1.30": "v1.30.7",
    "1.31": "v1.31.5",
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
};

/** The image that syncs model weights from S3 before the server starts (ECS and EKS). */
export const MODEL_SYNC_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.22.35";

/** KEDA's chart (kedacore/charts `keda`, appVersion 2.20.2) and where it is published. */
export const KEDA_CHART_VERSION = "2.20.2";
export const KEDA_REPO = "https://kedacore.github.io/charts";
/** KEDA's HTTP add-on chart (kedacore/charts `http-add-on`, name keda-add-ons-http, appVersion 0.15.0), same repository. */
export const KEDA_HTTP_ADD_ON_CHART_VERSION = "0.15.0";

/** The AWS Load Balancer Controller's chart (aws/eks-charts, appVersion v3.5.0) and where it is published. */
export const LOAD_BALANCER_CONTROLLER_CHART_VERSION = "3.5.0";
export const EKS_CHARTS_REPO = "https://aws.github.io/eks-charts";
