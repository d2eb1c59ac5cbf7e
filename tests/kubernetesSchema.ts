/**
 * Validates captured Kubernetes objects against the Kubernetes OpenAPI schemas shipped by the
 * kubernetes-models package (offline, no API server). Helm releases are not objects and are
 * skipped; any other kind without a schema is an error, so nothing goes unchecked silently.
 */
import Ajv from "ajv";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExportedResource } from "../tools/engine/stackExport";

import * as yaml from "js-yaml";

const CRDS = path.join(__dirname, "fixtures", "crds");

/**
 * A CRD's structural schema made strict: the API server prunes fields its schema does not declare
 * (silently), so an object with one would lose it; here every object that declares its properties
 * and neither preserves unknown fields nor allows additional ones refuses the rest.
 */
function strict(schema: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...schema };
    if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"])
        out.additionalProperties = false;
    for (const key of ["properties", "patternProperties"] as const) {
        const props = out[key] as Record<string, Record<string, unknown>> | undefined;
        if (props) out[key] = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, strict(v)]));
    }
    for (const key of ["items", "additionalProperties"] as const) {
        const child = out[key];
        if (child && typeof child === "object") out[key] = strict(child as Record<string, unknown>);
    }
    return out;
}

/** The openAPIV3Schema of `kind` at `version` in a vendored upstream CRD file, strict. */
function crdSchema(file: string, kind: string, version: string): Record<string, unknown> {
    const docs = yaml.loadAll(fs.readFileSync(path.join(CRDS, file), "utf8")) as Array<{
        spec: { names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> };
    }>;
    const crd = docs.find((d) => d?.spec?.names?.kind === kind);
    const v = crd?.spec.versions.find((x) => x.name === version);
    if (!v) throw new Error(`${file} has no ${kind} ${version}`);
    const schema = strict(v.schema.openAPIV3Schema as Record<string, unknown>);
    // The object's metadata is the API server's to define, not the CRD's.
    (schema.properties as Record<string, unknown>).metadata = { type: "object" };
    return schema;
}

/**
 * Custom resources the platform creates, validated against their upstream CRDs at the pinned
 * versions (docs/UPSTREAM.md): Flagger's from its chart at v1.44.0, Envoy Gateway's EnvoyProxy
 * from v1.9.0 (trimmed to the fields we set).
 */
const CUSTOM_SCHEMAS: Record<string, () => Record<string, unknown>> = {
    "kubernetes:flagger.app/v1beta1:Canary": () => crdSchema("flagger-1.44.0.yaml", "Canary", "v1beta1"),
    "kubernetes:flagger.app/v1beta1:MetricTemplate": () =>
        crdSchema("flagger-1.44.0.yaml", "MetricTemplate", "v1beta1"),
    "kubernetes:http.keda.sh/v1beta1:InterceptorRoute": () =>
        crdSchema("keda-http-add-on-0.15.0-interceptorroutes.yaml", "InterceptorRoute", "v1beta1"),
    "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy": () =>
        strict(
            JSON.parse(
                fs.readFileSync(path.join(CRDS, "envoy-gateway-1.9.0-envoyproxy.trimmed.schema.json"), "utf8"),
            ) as Record<string, unknown>,
        ),
};
const ajv = new Ajv({ allErrors: true, strict: false });
// The OpenAPI formats CRDs use: the integer ranges are checked, the string formats are the API server's.
ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
for (const format of ["string", "url", "date-time", "byte", "duration"]) ajv.addFormat(format, true);

/** Models loaded from ESM-only packages (prometheus-operator's, gateway-api's, KEDA's); fill with {@link loadOperatorModels}. */
const OPERATOR_MODELS = new Map<string, ModelClass>();

/** Loads the ESM-only models (ServiceMonitor, PrometheusRule, Gateway …); call in a `before` hook. */
export async function loadOperatorModels(): Promise<void> {
    const v1 = (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1")) as unknown as Record<
        string,
        ModelClass
    >;
    for (const kind of ["ServiceMonitor", "PodMonitor", "PrometheusRule"])
        OPERATOR_MODELS.set(`kubernetes:monitoring.coreos.com/v1:${kind}`, v1[kind]);
    const gateway = (await import("@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1")) as unknown as Record<
        string,
        ModelClass
    >;
    for (const kind of ["Gateway", "GatewayClass", "HTTPRoute"])
        OPERATOR_MODELS.set(`kubernetes:gateway.networking.k8s.io/v1:${kind}`, gateway[kind]);
    const keda = (await import("@kubernetes-models/keda/keda.sh/v1alpha1")) as unknown as Record<string, ModelClass>;
    OPERATOR_MODELS.set("kubernetes:keda.sh/v1alpha1:ScaledObject", keda.ScaledObject);
    OPERATOR_MODELS.set("kubernetes:keda.sh/v1alpha1:ScaledJob", keda.ScaledJob);
}

/** Each custom kind's strict schema and its compiled validator, made once. */
const compiled = new Map<string, { schema: Record<string, unknown>; validate: ReturnType<typeof ajv.compile> }>();

function customValidator(type: string): ((data: unknown) => string[]) | undefined {
    const load = CUSTOM_SCHEMAS[type];
    if (!load) return undefined;
    if (!compiled.has(type)) {
        const schema = load();
        compiled.set(type, { schema, validate: ajv.compile(schema) });
    }
    const { schema, validate } = compiled.get(type)!;
    return (data) => [
        ...(validate(data)
            ? []
            : (validate.errors ?? []).map(
                  (e) =>
                      `${e.instancePath || "/"} ${e.message ?? "is invalid"}${e.keyword === "additionalProperties" ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : ""}`,
              )),
        ...(CEL_CHECKED.has(type) ? celErrors(schema, data, "") : []),
    ];
}

/** Kinds whose CRD's CEL rules are all of the form {@link celErrors} reads (Flagger's and Envoy's are not). */
const CEL_CHECKED = new Set(["kubernetes:http.keda.sh/v1beta1:InterceptorRoute"]);

/**
 * The CRD's CEL rules (`x-kubernetes-validations`), which JSON Schema cannot say and the API server
 * enforces. Only rules built of `has(self.<field>)`, `!`, `&&`, `||`, `!=` and `==` are evaluated;
 * any other rule throws, so a CRD with a rule this cannot read is never passed silently.
 */
export function celErrors(schema: Record<string, unknown>, data: unknown, at: string): string[] {
    if (data === null || typeof data !== "object") return [];
    const errors: string[] = [];
    const rules = (schema["x-kubernetes-validations"] ?? []) as Array<{ rule: string; message?: string }>;
    for (const { rule, message } of rules) {
        const substituted = rule.replace(/has\(self\.([A-Za-z0-9_]+)\)/g, (_, field: string) =>
            String(Object.prototype.hasOwnProperty.call(data, field)),
        );
        if (!/^[\s()!&|=]*((true|false)[\s()!&|=]*)*$/.test(substituted))
            throw new Error(`CEL rule not supported by this check: ${rule}`);
        if (!(new Function(`return (${substituted});`)() as boolean)) errors.push(`${at || "/"} ${message ?? rule}`);
    }
    const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
    if (props && !Array.isArray(data))
        for (const [key, value] of Object.entries(data as Record<string, unknown>))
            if (props[key]) errors.push(...celErrors(props[key], value, `${at}/${key}`));
    const items = schema.items as Record<string, unknown> | undefined;
    if (items && Array.isArray(data)) data.forEach((v, i) => errors.push(...celErrors(items, v, `${at}/${i}`)));
    return errors;
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
