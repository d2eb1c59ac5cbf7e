// A security team's pack: two of llm-platform's production standards, at the levels and settings
// this team chose, and a policy of its own. Run it with the Pulumi CLI
// (`pulumi preview --policy-pack <this folder>`) or offline with `llm-platform policy --pack <this folder>`.
import { PolicyPack } from "@pulumi/policy";
import { productionStandards } from "llm-platform/policies";
import { ownerIsATeam } from "./policies";

const standards = productionStandards({
    tier: "prod",
    include: ["k8s-run-as-non-root", "gpu-budget"],
    policies: { "gpu-budget": { maxMonthlyUsd: 15000 } },
});

new PolicyPack("acme-llm", { policies: [...standards.policies, ownerIsATeam] }, standards.initialConfig);
