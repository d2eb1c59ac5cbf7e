/**
 * Validates captured Kubernetes objects against the Kubernetes OpenAPI schemas shipped by the
 * kubernetes-models package (offline, no API server). Helm releases are not objects and are
 * skipped; any other kind without a schema is an error, so nothing goes unchecked silently.
 */
import type { ExportedResource } from "../tools/engine/stackExport";

interface Validatable {
    validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Validatable;

/** The kubernetes-models module for `kubernetes:<group>/<version>:<Kind>`. */
function modelFor(type: string): ModelClass {
    const m = /^kubernetes:([^/]+)\/([^:]+):(.+)$/.exec(type);
    if (!m) throw new Error(`not a Kubernetes type: ${type}`);
    const [, group, version, kind] = m;
    const modulePath = group === "core" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
    let mod: Record<string, ModelClass | undefined> = {};
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        mod = require(modulePath) as Record<string, ModelClass | undefined>;
    } catch {
        // an API group kubernetes-models does not know: reported below
    }
    const model = mod[kind];
    if (!model) throw new Error(`no Kubernetes schema for ${type}`);
    return model;
}

/** Every schema violation among the Kubernetes objects, as `name: message`. */
export function kubernetesSchemaErrors(resources: readonly ExportedResource[]): string[] {
    const errors: string[] = [];
    for (const r of resources) {
        if (!r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:helm.sh/")) continue;
        try {
            new (modelFor(r.type))(r.inputs ?? {}).validate();
        } catch (e) {
            errors.push(`${r.urn.split("::").pop()}: ${(e as Error).message}`);
        }
    }
    return errors;
}

/** The Kubernetes objects that were validated (for asserting that a check covered something). */
export function kubernetesObjects(resources: readonly ExportedResource[]): ExportedResource[] {
    return resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/"));
}
