/**
 * What the engine records of a registration beyond its values: the source position, custom
 * timeouts, and the record in `pulumi stack export`'s compact shape.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import type * as respb from "@pulumi/pulumi/proto/resource_pb";
import type { ExportedResource } from "./stackExport";

/**
 * Where the program created the resource, as the engine records it: a `project://` URI relative
 * to the project root, with line and column (`project:///stacks/program.ts#42,5`).
 */
export function sourcePosition(req: respb.RegisterResourceRequest, root: string | undefined): string | undefined {
    const pos = req.getSourceposition();
    if (!pos || !root) return undefined;
    let file: string;
    try {
        file = fileURLToPath(pos.getUri());
    } catch {
        return undefined;
    }
    const relative = path.relative(root, file);
    // Positions in dependencies (the SDK's own, for the root stack) say nothing about the program.
    if (relative.startsWith("..") || path.isAbsolute(relative) || relative.split(path.sep).includes("node_modules"))
        return undefined;
    return `project:///${relative.split(path.sep).join("/")}#${pos.getLine()},${pos.getColumn()}`;
}

/** Drops empty fields the way `pulumi stack export` omits them. */
export function compact(r: ExportedResource): ExportedResource {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
        const empty =
            v === undefined ||
            v === "" ||
            v === false ||
            (Array.isArray(v) && v.length === 0) ||
            (typeof v === "object" &&
                v !== null &&
                !Array.isArray(v) &&
                Object.keys(v).length === 0 &&
                k === "propertyDependencies");
        if (!empty || k === "custom") out[k] = v;
    }
    return out as unknown as ExportedResource;
}

/** Go's `time.ParseDuration` in seconds, as the engine reads a custom timeout ("40m", "1h30m", "90s"). */
export function goDurationSeconds(text: string): number | undefined {
    const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
    const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
    if (!m) return text === "0" ? 0 : undefined;
    let total = 0;
    for (const [, value, u] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g))
        total += Number(value) * unit[u];
    return m[1] === "-" ? -total : total;
}

/** The engine's `customTimeouts` of a registration, in seconds; an unparsable value fails it as the engine does. */
export function customTimeouts(req: respb.RegisterResourceRequest): ExportedResource["customTimeouts"] {
    const t = req.getCustomtimeouts();
    if (!t) return undefined;
    const out: Record<string, number> = {};
    for (const [key, value] of [
        ["create", t.getCreate()],
        ["update", t.getUpdate()],
        ["delete", t.getDelete()],
    ] as const) {
        if (!value) continue;
        const seconds = goDurationSeconds(value);
        if (seconds === undefined)
            throw grpcError(grpc.status.INVALID_ARGUMENT, `unable to parse customTimeout Value ${value}`);
        out[key] = seconds;
    }
    return Object.keys(out).length ? out : undefined;
}

/**
 * Resources in a canonical order: every resource after its parent, its provider and its
 * dependencies, ties broken by URN, the root stack (`rootType`) first.
 */
export function canonicalOrder(captured: readonly ExportedResource[], rootType: string): ExportedResource[] {
    const byUrn = new Map(captured.map((r) => [r.urn, r]));
    const waitingOn = new Map<string, number>();
    const dependents = new Map<string, string[]>();
    for (const r of captured) {
        const before = new Set<string>(r.dependencies ?? []);
        if (r.parent) before.add(r.parent);
        if (r.provider) before.add(r.provider.split("::").slice(0, -1).join("::"));
        const known = [...before].filter((u) => u !== r.urn && byUrn.has(u));
        waitingOn.set(r.urn, known.length);
        for (const u of known) dependents.set(u, [...(dependents.get(u) ?? []), r.urn]);
    }
    // The root stack first, as in an export; then by URN.
    const key = (urn: string): string => (urn.split("::")[2] === rootType ? "" : urn);
    const ready = captured.filter((r) => waitingOn.get(r.urn) === 0).map((r) => r.urn);
    ready.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const out: ExportedResource[] = [];
    while (ready.length > 0) {
        const urn = ready.shift() as string;
        out.push(byUrn.get(urn) as ExportedResource);
        for (const d of dependents.get(urn) ?? []) {
            const left = (waitingOn.get(d) as number) - 1;
            waitingOn.set(d, left);
            if (left === 0) {
                const at = ready.findIndex((u) => key(u) > key(d));
                ready.splice(at < 0 ? ready.length : at, 0, d);
            }
        }
    }
    // A cycle cannot come from a program; should one appear, keep what is left in registration order.
    const placed = new Set(out);
    return [...out, ...captured.filter((r) => !placed.has(r))];
}

export function grpcError(code: grpc.status, message: string): grpc.ServiceError {
    return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}
