/**
 * Compares two deployments (offline plans or real `pulumi stack export`s) resource by resource
 * and property by property (./propertyDiff); ./diffMarkdown renders the result for a pull-request
 * comment.
 *
 * Resources are matched by URN, then by alias. A resource whose name or type changed is a
 * replacement (Pulumi would delete the old one); so is a change to a property that cannot be
 * updated in place. Every removal or replacement of a stateful or protected resource is flagged.
 */
import type { Range } from "../../catalog/cost";
import { exportCost } from "./render";
import { diffProperties, propertiesOf, type UnknowableSink } from "./propertyDiff";

export { diffProperties, type UnknowableSink } from "./propertyDiff";
export { renderCostChange, renderDiffMarkdown } from "./diffMarkdown";
import { displayType, liveResources, urnName, type ExportedResource, type StackExport } from "../engine/stackExport";

/** Types that hold data or identity: losing one loses more than a resource. */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:ecr/repository:Repository",
    "aws:kms/key:Key",
    "aws:eks/cluster:Cluster",
    "aws:ecs/cluster:Cluster",
    "aws:efs/fileSystem:FileSystem",
    "aws:ebs/volume:Volume",
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:dynamodb/table:Table",
    "aws:secretsmanager/secret:Secret",
    "aws:cloudwatch/logGroup:LogGroup",
    "kubernetes:core/v1:PersistentVolumeClaim",
]);

/**
 * Input properties whose change makes the provider replace the resource. A subset of the
 * providers' schemas, for the stateful types that matter most; the real `pulumi preview`
 * remains the authority.
 */
export const REPLACE_ON_CHANGE: Readonly<Record<string, readonly string[]>> = {
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
    "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage", "multiRegion"],
    "aws:ecr/repository:Repository": ["name"],
    "aws:eks/cluster:Cluster": ["name", "kubernetesNetworkConfig"],
    "aws:iam/role:Role": ["name", "path"],
    "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix"],
};

export type ChangeKind = "add" | "remove" | "replace" | "update";

export interface PropertyChange {
    readonly path: string;
    /** Display values: secrets are `[secret]`, absent values `undefined`. */
    readonly old: unknown;
    readonly new: unknown;
    /** A secret on both sides whose value changed: printed "changed (secret)". */
    readonly secret?: true;
}

export interface ResourceChange {
    readonly kind: ChangeKind;
    readonly urn: string;
    /** The base URN when it differs (renamed, retyped, aliased). */
    readonly oldUrn?: string;
    readonly type: string;
    readonly oldType?: string;
    readonly name: string;
    readonly stateful: boolean;
    readonly protected: boolean;
    /** Why it is a replacement. */
    readonly reason?: string;
    /**
     * What a removal really does when Pulumi deletes nothing: a read (`external`) resource is
     * dropped from the state; one with `retainOnDelete` is left in the account.
     */
    readonly fate?: "dropped from the state (read, never managed)" | "left in the account (retainOnDelete)";
    readonly properties: readonly PropertyChange[];
}

export interface PlanDiff {
    readonly changes: readonly ResourceChange[];
    readonly unchanged: number;
    /** Removals and replacements of stateful or protected resources, one sentence each. */
    readonly dangers: readonly string[];
    readonly counts: Readonly<Record<ChangeKind, number>>;
    /** Estimated monthly cost before and after (see catalog/cost.ts). */
    readonly cost: { readonly base: CostSummary; readonly head: CostSummary };
    /**
     * Secrets held only as ciphertext on both sides, with different ciphertexts: the same value
     * encrypted again and a changed value look alike, so whether they changed cannot be known
     * (`resource: path`).
     */
    readonly unknowableSecrets: readonly string[];
}

export interface CostSummary {
    /** Every line on-demand, minimum and maximum scale. */
    readonly onDemand: Range;
    /** Spot pools at the spot estimate. */
    readonly configured: Range;
    /** GPU instances on-demand. */
    readonly gpuOnDemand: Range;
    /** Each model's GPUs on-demand (undefined: not priced). */
    readonly models: ReadonlyArray<{ model: string; monthly: Range | undefined }>;
}

function costSummary(exp: StackExport): CostSummary {
    const { onDemand, configured, gpuOnDemand, models } = exportCost(exp);
    return { onDemand, configured, gpuOnDemand, models: models.map(({ model, monthly }) => ({ model, monthly })) };
}

const isProvider = (r: ExportedResource): boolean => r.type.startsWith("pulumi:providers:") && !r.parent;

/**
 * A resource's identity across stacks and projects: its qualified type and name, without the
 * `urn:pulumi:<stack>::<project>::` prefix (the root stack is one resource whatever its name).
 * Two plans of different stacks therefore compare resource by resource.
 */
export function identity(urn: string): string {
    const [qualifiedType, ...name] = urn.split("::").slice(2);
    return qualifiedType === "pulumi:pulumi:Stack" ? qualifiedType : `${qualifiedType}::${name.join("::")}`;
}

function parentName(r: ExportedResource): string {
    return r.parent ? identity(r.parent) : "";
}

function change(
    kind: ChangeKind,
    head: ExportedResource | undefined,
    base: ExportedResource | undefined,
    extra: Partial<ResourceChange> = {},
): ResourceChange {
    const r = (head ?? base) as ExportedResource;
    return {
        kind,
        urn: r.urn,
        ...(base && head && base.urn !== head.urn ? { oldUrn: base.urn } : {}),
        type: r.type,
        ...(base && head && base.type !== head.type ? { oldType: base.type } : {}),
        name: urnName(r.urn),
        stateful: STATEFUL_TYPES.has(r.type) || (base !== undefined && STATEFUL_TYPES.has(base.type)),
        protected: Boolean(base?.protect ?? head?.protect),
        properties: [],
        ...extra,
    };
}

/** Compares `base` (before) with `head` (after). */
export function diffExports(base: StackExport, head: StackExport): PlanDiff {
    // Old copies awaiting deletion are not part of either stack (Pulumi leaves them out too).
    const baseRes = liveResources(base).filter((r) => !isProvider(r));
    const headRes = liveResources(head).filter((r) => !isProvider(r));
    const unknowableSecrets: string[] = [];
    const sink =
        (r: ExportedResource): UnknowableSink =>
        (p) =>
            void unknowableSecrets.push(`${urnName(r.urn)}: ${p}`);
    const baseById = new Map(baseRes.map((r) => [identity(r.urn), r]));
    const matched = new Map<ExportedResource, ExportedResource>(); // head -> base
    for (const h of headRes) {
        const b =
            baseById.get(identity(h.urn)) ??
            (h.aliases ?? []).map((a) => baseById.get(identity(a))).find((x) => x !== undefined);
        if (b) {
            matched.set(h, b);
            baseById.delete(identity(b.urn));
        }
    }
    const added = headRes.filter((h) => !matched.has(h));
    const removed = [...baseById.values()];

    // Type changes: an unmatched pair under the same parent that share a name. Renames: the only
    // unmatched pair of a stateful or protected type under one parent (for stateless resources a
    // delete and a create say the same, and pairing unrelated ones would mislead).
    const renamed = new Map<ExportedResource, { base: ExportedResource; reason: string }>();
    for (const h of added) {
        const sameName = removed.filter((b) => urnName(b.urn) === urnName(h.urn) && parentName(b) === parentName(h));
        const sameType = removed.filter((b) => b.type === h.type && parentName(b) === parentName(h));
        const sameTypeAdded = added.filter((a) => a.type === h.type && parentName(a) === parentName(h));
        let pair: { base: ExportedResource; reason: string } | undefined;
        if (sameName.length === 1) {
            pair = {
                base: sameName[0],
                reason: `type changed from ${displayType(sameName[0].type)} to ${displayType(h.type)}`,
            };
        } else if (
            sameType.length === 1 &&
            sameTypeAdded.length === 1 &&
            (STATEFUL_TYPES.has(h.type) || sameType[0].protect)
        ) {
            pair = { base: sameType[0], reason: `renamed from ${urnName(sameType[0].urn)} (add an alias to keep it)` };
        }
        if (pair && ![...renamed.values()].some((p) => p.base === pair.base)) renamed.set(h, pair);
    }
    const pairedBases = new Set([...renamed.values()].map((p) => p.base));

    const changes: ResourceChange[] = [];
    let unchanged = 0;
    for (const h of headRes) {
        const b = matched.get(h);
        const rename = renamed.get(h);
        if (rename) {
            changes.push(
                change("replace", h, rename.base, {
                    reason: rename.reason,
                    properties: diffProperties(propertiesOf(rename.base), propertiesOf(h), "", sink(h)),
                }),
            );
        } else if (!b) {
            changes.push(change("add", h, undefined));
        } else {
            // As the engine does: paths the program lists in ignoreChanges never count as changes.
            const ignored = h.ignoreChanges ?? [];
            const properties = diffProperties(propertiesOf(b), propertiesOf(h), "", sink(h)).filter(
                (p) => !ignored.some((i) => p.path === i || p.path.startsWith(`${i}.`) || p.path.startsWith(`${i}[`)),
            );
            if (Boolean(b.protect) !== Boolean(h.protect))
                properties.push({ path: "[protect]", old: Boolean(b.protect), new: Boolean(h.protect) });
            const forceNew = [...(REPLACE_ON_CHANGE[h.type] ?? []), ...(h.replaceOnChanges ?? [])];
            const replacing = properties.filter((p) =>
                forceNew.some((f) => p.path === f || p.path.startsWith(`${f}.`) || p.path.startsWith(`${f}[`)),
            );
            if (replacing.length > 0) {
                changes.push(
                    change("replace", h, b, {
                        reason: `${replacing.map((p) => p.path).join(", ")} cannot change in place`,
                        properties,
                    }),
                );
            } else if (properties.length > 0 || b.type !== h.type) {
                changes.push(change("update", h, b, { properties }));
            } else {
                unchanged++;
            }
        }
    }
    for (const b of removed) {
        if (pairedBases.has(b)) continue;
        // Pulumi deletes neither a read resource nor one it is told to retain.
        const fate = b.external
            ? ("dropped from the state (read, never managed)" as const)
            : b.retainOnDelete
              ? ("left in the account (retainOnDelete)" as const)
              : undefined;
        changes.push(change("remove", undefined, b, fate ? { fate } : {}));
    }

    const dangers = changes
        .filter(
            (c) => (c.kind === "remove" || c.kind === "replace") && (c.fate ? c.protected : c.stateful || c.protected),
        )
        .map((c) => {
            // Nothing is destroyed: only the protection stops the update.
            if (c.fate)
                return `\`${displayType(c.type)}\` **${c.name}** is removed from the program: protected: Pulumi refuses to remove it until it is unprotected; then it is ${c.fate}`;
            const what = [
                c.stateful ? "stateful" : "",
                c.protected ? "protected: Pulumi refuses to delete it until it is unprotected" : "",
            ]
                .filter(Boolean)
                .join(", ");
            const verb = c.kind === "remove" ? "is deleted" : `is replaced (${c.reason})`;
            return `\`${displayType(c.oldType ?? c.type)}\` **${c.oldUrn ? urnName(c.oldUrn) : c.name}** ${verb}: ${what}`;
        });
    const counts = { add: 0, remove: 0, replace: 0, update: 0 };
    for (const c of changes) counts[c.kind]++;
    return {
        changes,
        unchanged,
        dangers,
        counts,
        cost: { base: costSummary(base), head: costSummary(head) },
        unknowableSecrets,
    };
}
