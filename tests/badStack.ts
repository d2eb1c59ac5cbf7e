/**
 * A deliberately bad copy of a stack export: a root container without probes, a public bucket,
 * mutable ECR tags, IMDSv1 and an unprotected key. The policy tests expect exactly the policies
 * in {@link BAD_STACK_POLICIES} to fail on it.
 */
import type { StackExport } from "../tools/engine/stackExport";
import { find } from "./helpers";

export const BAD_STACK_POLICIES = [
    "ecr-repository-hardened",
    "k8s-probes",
    "k8s-run-as-non-root",
    "launch-template-imdsv2",
    "s3-bucket-hardened",
    "stateful-resources-protected",
];

export function badStack(good: StackExport): StackExport {
    const bad = JSON.parse(JSON.stringify(good)) as StackExport;
    type Container = { securityContext: Record<string, unknown>; livenessProbe?: unknown; readinessProbe?: unknown };
    const spec = find(bad, "kubernetes:apps/v1:Deployment", "chat-blue").inputs!.spec as {
        template: { spec: { containers: Container[]; securityContext: Record<string, unknown> } };
    };
    spec.template.spec.securityContext = {};
    Object.assign(spec.template.spec.containers[0].securityContext, { runAsNonRoot: false, runAsUser: 0 }); // root container
    delete spec.template.spec.containers[0].livenessProbe; // no probes
    delete spec.template.spec.containers[0].readinessProbe;
    bad.deployment.resources = bad.deployment.resources.filter(
        (x) => !x.urn.endsWith("BucketPublicAccessBlock::models-public-access"),
    ); // public bucket
    const repository = find(bad, "aws:ecr/repository:Repository", "inference-repository");
    // ecr-repository-hardened is a stack policy: it reads the outputs.
    for (const props of [repository.inputs!, repository.outputs ?? {}]) props.imageTagMutability = "MUTABLE"; // mutable tags
    (
        find(bad, "aws:ec2/launchTemplate:LaunchTemplate", "gpu-inference-launch-template").inputs!
            .metadataOptions as Record<string, unknown>
    ).httpTokens = "optional"; // IMDSv1
    find(bad, "aws:kms/key:Key", "models-key").protect = false; // unprotected stateful resource
    return bad;
}
