/**
 * The pack's configuration per tier, as source: `npm run docs` writes it to
 * `pack/config/<tier>.json` (the file `pulumi up --policy-pack-config` reads) and a test fails
 * when a file differs. The figures come from the catalogue's standards, so the prod minimum of
 * replicas, the ownership tags and the GPU budgets are defined once for the settings, the
 * components and the gate.
 */
import { GPU_BUDGET_PER_MODEL_USD, GPU_BUDGET_USD, OWNERSHIP_TAG_KEYS, PROD_MIN_REPLICAS } from "../catalog/standards";
import { MODEL_SYNC_IMAGE } from "../catalog/versions";
import { VLLM_IMAGE } from "../catalog/vllm";
import type { PolicyConfig } from "./config";
import { PSS_LEVELS } from "./podSecurity";

/** The model-sync image is pinned by tag (its repository publishes no digest we could track): exempt by prefix. */
const DIGEST_EXEMPTIONS = [`${MODEL_SYNC_IMAGE.slice(0, MODEL_SYNC_IMAGE.lastIndexOf(":"))}:`];

/**
 * Where prod's pods may pull from: ECR (the stack's own repositories; the retraining image's, which
 * may sit in another account), the model-sync image's public ECR path and vLLM's Docker Hub repository. Helm charts' images are
 * rendered inside the provider, out of the pack's sight (docs/policies.md); their registries are pinned in
 * the chart reviews. A team pins its own account: `<account>.dkr.ecr.<region>.amazonaws.com`.
 */
const PROD_REGISTRIES = [
    "*.dkr.ecr.*.amazonaws.com",
    MODEL_SYNC_IMAGE.slice(0, MODEL_SYNC_IMAGE.lastIndexOf("/")),
    // The serving image when a release names none: vLLM's own, digest-pinned (catalog/vllm.ts).
    `docker.io/${VLLM_IMAGE.slice(0, VLLM_IMAGE.search(/[:@]/))}`,
];

/**
 * IAM policies reviewed as they stand: the AWS Load Balancer Controller's upstream policy
 * (components/aws/upstream/), kept as published, creates security groups, load balancers and
 * listeners whose names it cannot know in advance.
 */
// No "::" before the type: the controller may sit inside a team's own component ("…Parent$llm-platform:k8s:…").
const REVIEWED_POLICIES = ["*llm-platform:k8s:LoadBalancerController$aws:iam/rolePolicy:RolePolicy::*"];

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
        "iam-no-unscoped-writes": { enforcementLevel: "advisory", reviewedUrns: REVIEWED_POLICIES },
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
        "k8s-allowed-registries": { enforcementLevel: "mandatory", allowedRegistries: PROD_REGISTRIES },
        "required-tags": { enforcementLevel: "mandatory", requiredTags: [...OWNERSHIP_TAG_KEYS] },
        "iam-no-unscoped-writes": { enforcementLevel: "mandatory", reviewedUrns: REVIEWED_POLICIES },
        "gpu-budget": {
            enforcementLevel: "mandatory",
            maxMonthlyUsd: GPU_BUDGET_USD.prod,
            maxMonthlyUsdPerModel: GPU_BUDGET_PER_MODEL_USD.prod,
        },
    },
};
