/**
 * Validates captured Kubernetes objects against the Kubernetes OpenAPI schemas shipped by the
 * kubernetes-models package (offline, no API server). Helm releases are not objects and are
 * skipped; any other kind without a schema is an error, so nothing goes unchecked silently.
 */
import Ajv from "ajv";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExportedResource } from "../tools/engine/stackExport";

/** Custom resources the platform creates, with the schemas the tests hold for them. */
const CUSTOM_SCHEMAS: Record<string, string> = {
    "kubernetes:flagger.app/v1beta1:Canary": "flagger-canary.schema.json",
};
const ajv = new Ajv({ allErrors: true, strict: false });

/** Models loaded from ESM-only packages (prometheus-operator's); fill with {@link loadOperatorModels}. */
const OPERATOR_MODELS = new Map<string, ModelClass>();

/** Loads the prometheus-operator models (ServiceMonitor, PrometheusRule …); call in a `before` hook. */
export async function loadOperatorModels(): Promise<void> {
    const v1 = (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1")) as unknown as Record<
        string,
        ModelClass
    >;
    for (const kind of ["ServiceMonitor", "PodMonitor", "PrometheusRule"])
        OPERATOR_MODELS.set(`kubernetes:monitoring.coreos.com/v1:${kind}`, v1[kind]);
}

function customValidator(type: string): ((data: unknown) => string[]) | undefined {
    const file = CUSTOM_SCHEMAS[type];
    if (!file) return undefined;
    const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(__dirname, "schemas", file), "utf8")) as object);
    return (data) =>
        validate(data)
            ? []
            : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}

interface Validatable {
    validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Validatable;

/** The kubernetes-models module for `kubernetes:<group>/<version>:<Kind>`. */
function modelFor(type: string): ModelClass {
    const operator = OPERATOR_MODELS.get(type);
    if (operator) return operator;
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
        const custom = customValidator(r.type);
        if (custom) {
            errors.push(...custom(r.inputs ?? {}).map((m) => `${r.urn.split("::").pop()}: ${m}`));
            continue;
        }
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
