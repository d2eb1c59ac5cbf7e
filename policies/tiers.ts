/**
 * The pack's configuration per tier, as source: `npm run docs` writes it to
 * `pack/config/<tier>.json` (the file `pulumi up --policy-pack-config` reads) and a test fails
 * when a file differs. The figures come from the catalogue's standards, so the prod minimum of
 * replicas, the ownership tags and the GPU budgets are defined once for the settings, the
 * components and the gate.
 */
import { GPU_BUDGET_PER_MODEL_USD, GPU_BUDGET_USD, OWNERSHIP_TAG_KEYS, PROD_MIN_REPLICAS } from "../catalog/standards";
import { MODEL_SYNC_IMAGE } from "../catalog/versions";
import type { PolicyConfig } from "./config";
import { PSS_LEVELS } from "./podSecurity";

/** The model-sync image is pinned by tag (its repository publishes no digest we could track): exempt by prefix. */
const DIGEST_EXEMPTIONS = [`${MODEL_SYNC_IMAGE.slice(0, MODEL_SYNC_IMAGE.lastIndexOf(":"))}:`];

/**
 * Staging: advisory, but every Pod Security Standards baseline control and running as non-root
 * mandatory; tags, digests and protection not required; its GPU budget. Prod: everything mandatory.
 */
export const TIER_POLICY_CONFIG: Readonly<Record<"staging" | "prod", PolicyConfig>> = {
    staging: {
        all: "advisory",
        "k8s-run-as-non-root": "mandatory",
        ...Object.fromEntries(
            Object.entries(PSS_LEVELS)
                .filter(([, level]) => level === "baseline")
                .map(([name]) => [name, "mandatory" as const]),
        ),
        "k8s-image-pinned": { enforcementLevel: "advisory", requireDigest: false },
        "k8s-min-replicas": { enforcementLevel: "advisory", minReplicas: 1 },
        "stateful-resources-protected": "disabled",
        "gpu-budget": {
            enforcementLevel: "mandatory",
            maxMonthlyUsd: GPU_BUDGET_USD.staging,
            maxMonthlyUsdPerModel: GPU_BUDGET_PER_MODEL_USD.staging,
        },
    },
    prod: {
        all: "mandatory",
        "k8s-image-pinned": { enforcementLevel: "mandatory", requireDigest: true, digestExemptions: DIGEST_EXEMPTIONS },
        "k8s-min-replicas": { enforcementLevel: "mandatory", minReplicas: PROD_MIN_REPLICAS },
        "required-tags": { enforcementLevel: "mandatory", requiredTags: [...OWNERSHIP_TAG_KEYS] },
        "gpu-budget": {
            enforcementLevel: "mandatory",
            maxMonthlyUsd: GPU_BUDGET_USD.prod,
            maxMonthlyUsdPerModel: GPU_BUDGET_PER_MODEL_USD.prod,
        },
    },
};
