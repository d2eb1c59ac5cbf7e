/**
 * Provider answers for the offline engine: a registration answered as a provider answers `Create`
 * (in a preview: inputs, the autonamed property and unknown outputs; in an update: realistic
 * outputs from {@link modelFor}), and invokes from `./invokes`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { stableUuid, type CloudContext, type State } from "./offlineIds";
import { modelFor } from "./resourceModels";
import { SECRET_SIG, SECRET_SIG_VALUE } from "./stackExport";
import { annotateSecrets, isSecretWire, plain } from "./wireValues";

export { call, renderPolicyDocument } from "./invokes";
export { fakeCertificate, OFFLINE_ACCOUNT_ID, stableHex, type CloudContext } from "./offlineIds";

/**
 * The property each provider fills in from the logical name when the program leaves it out (the
 * Terraform bridge's autonaming for AWS, `metadata.name` for Kubernetes). The provider does this
 * in Check, so the value is known in a preview; every other computed output is not.
 */
const AUTONAMED: Record<string, string> = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:kms/alias:Alias": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/policy:Policy": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    "aws:ecr/repository:Repository": "name",
    "aws:eks/cluster:Cluster": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name",
    "aws:ecs/cluster:Cluster": "name",
    "aws:ecs/service:Service": "name",
    "aws:ecs/capacityProvider:CapacityProvider": "name",
    "aws:autoscaling/group:Group": "name",
    "aws:sns/topic:Topic": "name",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
    "aws:rds/instance:Instance": "identifier",
    "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:secretsmanager/secret:Secret": "name",
};

/** What a create answers in a preview: the inputs, the autonamed property, and which outputs are unknown. */
export interface PreviewAnswer {
    readonly state: State;
    /** Outputs the provider computes on create: unknown until `pulumi up` runs. */
    readonly unknown: readonly string[];
}

/**
 * Answers a registration as a provider answers `Create` in a preview: the checked inputs (with the
 * autonamed property filled in), and every other output it would compute left unknown. Kubernetes
 * objects come back as their inputs (the provider's preview returns the object it would apply).
 */
export function previewResource(args: pulumi.runtime.MockResourceArgs, ctx: CloudContext): PreviewAnswer {
    const inputs = args.inputs as State;
    if (args.custom === false) return { state: {}, unknown: [] };
    if (args.type.startsWith("pulumi:providers:")) return { state: { ...inputs }, unknown: [] };
    const created = newResource(args, ctx).state;
    if (args.type.startsWith("kubernetes:")) {
        const metadata = (inputs.metadata as State | undefined) ?? {};
        if (metadata.name !== undefined) return { state: { ...inputs }, unknown: [] };
        const name = (created.metadata as State).name;
        return { state: { ...inputs, metadata: { ...metadata, name } }, unknown: [] };
    }
    const named = AUTONAMED[args.type];
    const state: State = { ...inputs };
    // A bucket named from a prefix gets its name on create (the provider's own suffix), not in Check.
    const prefixed = args.type === "aws:s3/bucket:Bucket" && inputs.bucketPrefix !== undefined;
    if (named !== undefined && inputs[named] === undefined && !prefixed) state[named] = created[named];
    const unknown = Object.keys(created).filter((k) => !(k in state));
    return { state, unknown };
}

/** Answers resource registrations with realistic outputs (inputs echoed, provider outputs added). */
export function newResource(
    args: pulumi.runtime.MockResourceArgs,
    ctx: CloudContext,
): pulumi.runtime.MockResourceResult {
    const { type, name, inputs } = args;
    if (args.custom === false) return { id: undefined, state: {} };
    if (type.startsWith("pulumi:providers:")) return { id: stableUuid(ctx.stack, type, name), state: inputs };
    const model = modelFor(type);
    const { id, state } = model(name, inputs as State, ctx, type);
    return { id: args.id || id, state: { ...(inputs as State), ...state } };
}

/**
 * A custom resource's id and outputs in a run's view, as wire values: inputs echoed (secret where
 * they were sent secret), provider outputs added (update) or left unknown (preview), and
 * `additionalSecretOutputs` marked secret as the engine does.
 */
export function answerCreate(
    mode: "preview" | "update",
    ctx: CloudContext,
    req: { type: string; name: string; wireInputs: State; importId: string; secretOutputs: readonly string[] },
): { id: string; outputs: State; unknown: readonly string[] } {
    const { type, name, wireInputs, importId } = req;
    const args = { type, name, inputs: plain(wireInputs) as State, custom: true, provider: "", id: importId };
    let id: string;
    let state: State;
    let unknown: readonly string[] = [];
    if (mode === "preview" && !importId) {
        ({ state, unknown } = previewResource(args, ctx));
        id = "";
    } else {
        const created = newResource(args, ctx);
        id = created.id ?? "";
        state = created.state;
    }
    const outputs: State = { ...state };
    annotateSecrets(outputs, wireInputs);
    for (const key of req.secretOutputs) {
        if (key in outputs && !isSecretWire(outputs[key]))
            outputs[key] = { [SECRET_SIG]: SECRET_SIG_VALUE, value: outputs[key] };
    }
    return { id, outputs, unknown };
}
