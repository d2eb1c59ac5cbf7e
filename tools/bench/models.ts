/**
 * The stack configuration `npm run bench` plans with `n` models: the prod stack file with
 * `llm-platform:models` listing `model-0` … `model-<n-1>` (each at prod's defaults: 3 to 6 active
 * replicas and 3 warm) on one pool of 8-GPU nodes sized to hold them all. The figure it gives is
 * what each added model costs the plan of the real stack program: its service, autoscaling, route,
 * read policy, rules and dashboards.
 */

/** Config overrides (full keys, as `pulumi config set` would set them) for `n` models. */
export function manyModelsConfig(n: number): Record<string, string> {
    if (!Number.isInteger(n) || n < 1) throw new Error(`manyModelsConfig: expected a count >= 1, received ${n}`);
    const models = Array.from({ length: n }, (_, i) => ({ name: `model-${i}`, modelPrefix: `models/model-${i}` }));
    // 9 one-GPU pods per model at the ceiling (6 active, 3 warm), eight to a g5.48xlarge.
    const nodes = Math.ceil((9 * n) / 8);
    return {
        "llm-platform:models": JSON.stringify(models),
        "llm-platform:gpuNodePools": JSON.stringify([
            { name: "inference", instanceTypes: ["g5.48xlarge"], minSize: 1, maxSize: nodes },
        ]),
    };
}
