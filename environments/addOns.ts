/**
 * Which cluster add-ons the EKS stack installs, decided once from the serving settings: the
 * program builds them (stacks/eksPlatform.ts) and the system node group's capacity check counts
 * their pods (environments/systemPoolRules.ts).
 */
export interface AddOnChoice {
    /** Flagger, its load tester and Envoy Gateway (strategy canary). */
    canaryDelivery: boolean;
    /** KEDA (autoscaler keda). */
    keda: boolean;
    /** The AWS Load Balancer Controller (the entry point, blue-green). */
    loadBalancerController: boolean;
    /** KEDA's HTTP add-on (a model scales to zero; needs KEDA and the load balancer). */
    httpAddOn: boolean;
    /** The metrics-server EKS add-on (autoscaler hpa: a CPU HorizontalPodAutoscaler reads it). */
    metricsServer: boolean;
}

export function addOnsFor(serving: {
    strategy: unknown;
    autoscaler: unknown;
    entryPointEnabled: unknown;
    /** Whether any served model scales to zero. */
    anyScaleToZero: boolean;
}): AddOnChoice {
    const keda = serving.autoscaler === "keda";
    const loadBalancerController = serving.entryPointEnabled === true && serving.strategy === "blue-green";
    return {
        canaryDelivery: serving.strategy === "canary",
        keda,
        loadBalancerController,
        httpAddOn: keda && loadBalancerController && serving.anyScaleToZero,
        metricsServer: serving.autoscaler === "hpa",
    };
}
