/**
 * The reference program's release contract (`llmPlatformReleases`): each EKS model's
 * `releaseContract`, with the smoke test and quality gate its settings give it. `llm-platform
 * promote` reads this output and nothing else of the program's settings.
 */
import type * as pulumi from "@pulumi/pulumi";
import { MODEL_ROUTE_HEADER } from "../components/k8s/entryPoint";
import type { BlueGreenEksService } from "../components/k8s/blueGreenEksService";
import { releaseContract, type ReleaseContract, type ReleaseContractArgs } from "../components/release";
import type { PlatformSettings } from "../environments/loader";
import type { ServedModel } from "../environments/models";

/** What `releaseContract` is given for one model of the reference stacks. */
export function releaseContractArgs(
    settings: PlatformSettings,
    model: ServedModel,
    service: BlueGreenEksService,
): ReleaseContractArgs {
    const entry = settings.serving.entryPoint;
    const g = model.evaluation;
    return {
        model: model.name,
        configKey: model.configKey,
        service,
        ...(model.lastFlip ? { lastFlip: model.lastFlip } : {}),
        smokeTest: {
            path: model.smokeTest.path,
            expectedStatus: model.smokeTest.expectedStatus,
            latencyBudgetMs: model.smokeTest.latencyBudgetMs,
            attempts: model.smokeTest.attempts,
            // Set URLs win; else the entry point's (releaseContract's default).
            previewUrl: model.smokeTest.previewUrl,
            activeUrl: model.smokeTest.activeUrl,
            // On the shared load balancer without a domain, a listed model's requests carry its route header.
            headers:
                model.listed && entry.enabled && entry.domain === undefined ? { [MODEL_ROUTE_HEADER]: model.name } : {},
        },
        evaluation:
            g.set === undefined
                ? undefined
                : {
                      set: g.set,
                      minAccuracy: g.minAccuracy,
                      maxHallucinationRate: settings.monitoring.slo.maxHallucinationRate,
                      minSuccessRate: model.slo.availability,
                      p95LatencyMs: model.slo.p95LatencyMs,
                      // The latency SLO: vLLM's time to first token, or the reference app's request duration.
                      latency: settings.monitoring.metricsPreset === "vllm" ? "ttft" : "total",
                      concurrency: g.concurrency,
                      timeoutMs: g.timeoutSeconds * 1000,
                      maxTokens: g.maxTokens,
                      ...(g.judge ? { judge: g.judge } : {}),
                      ...(g.load.enabled
                          ? {
                                load: {
                                    concurrency: g.load.concurrency,
                                    durationSeconds: g.load.durationSeconds,
                                    rampSeconds: g.load.rampSeconds,
                                    maxTokens: g.load.maxTokens,
                                    minTokens: g.load.minTokens,
                                    // The model's SLO at that load.
                                    p95TimeToFirstTokenMs: model.slo.p95LatencyMs,
                                    p95InterTokenLatencyMs: model.slo.p95InterTokenLatencyMs,
                                    maxErrorRate: Number((1 - model.slo.minSuccessRate).toPrecision(12)),
                                    minTokensPerSecond: model.slo.minTokensPerSecond,
                                },
                            }
                          : {}),
                  },
    };
}

/** Every EKS model's contract, in the order of the models. */
export function referenceReleases(
    settings: PlatformSettings,
    services: ReadonlyArray<{ model: ServedModel; service: BlueGreenEksService }>,
): Array<pulumi.Output<ReleaseContract>> {
    return services.map(({ model, service }) => releaseContract(releaseContractArgs(settings, model, service)));
}
