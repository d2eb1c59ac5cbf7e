/**
 * The offline engine's identities: the account and region a plan runs in, and the deterministic
 * values (hex, UUIDs, auto-names, certificates) every answer is derived from, so two plans of the
 * same program are identical and a diff shows only real changes.
 */
import { createHash } from "node:crypto";

export interface CloudContext {
    readonly project: string;
    readonly stack: string;
    readonly region: string;
    readonly accountId: string;
}

/** The AWS documentation's example account: plausible, and never a real one. */
export const OFFLINE_ACCOUNT_ID = "111122223333";

export type State = Record<string, unknown>;

/** Deterministic hex of `length` characters from the given parts. */
export function stableHex(length: number, ...parts: string[]): string {
    let out = "";
    for (let i = 0; out.length < length; i++) {
        out += createHash("sha256")
            .update(`${parts.join("\u0000")}\u0000${i}`)
            .digest("hex");
    }
    return out.slice(0, length);
}

export function stableUuid(...parts: string[]): string {
    const h = stableHex(32, ...parts);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Pulumi's auto-name: the logical name, a dash and seven hex characters. */
export function autoName(name: string, type: string, ctx: CloudContext): string {
    return `${name}-${stableHex(7, ctx.stack, type, name)}`;
}

/**
 * A PEM certificate block with deterministic body: the shape kubeconfig builders and clients
 * parse (base64 DER inside BEGIN/END lines), not a certificate any TLS stack would accept.
 */
export function fakeCertificate(seed: string): string {
    const body = Buffer.from(stableHex(1024, "certificate", seed), "hex").toString("base64");
    const lines = body.match(/.{1,64}/g) ?? [];
    return ["-----BEGIN CERTIFICATE-----", ...lines, "-----END CERTIFICATE-----", ""].join("\n");
}

/** An ARN in the plan's account. */
export const arn = (ctx: CloudContext, service: string, resource: string, region = ctx.region): string =>
    `arn:aws:${service}:${region}:${ctx.accountId}:${resource}`;
