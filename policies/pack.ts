/**
 * The pack `llm-production-standards`: its policies and their default enforcement. The entry point
 * (index.ts) only hands this to `new PolicyPack`; tests import this module, never the entry point
 * (constructing a PolicyPack starts a server that never exits).
 */
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { AWS_POLICIES } from "./aws";
import { KUBERNETES_POLICIES } from "./kubernetes";
import { STACK_POLICIES } from "./stack";

export const PACK_NAME = "llm-production-standards";

/** Every policy, with a default enforcement of mandatory (the tier configs in config/ lower some). */
export const POLICIES: Array<ResourceValidationPolicy | StackValidationPolicy> = [
    ...KUBERNETES_POLICIES,
    ...AWS_POLICIES,
    ...STACK_POLICIES,
].map((p) => ({
    ...p,
    enforcementLevel: p.enforcementLevel ?? ("mandatory" as EnforcementLevel),
}));
