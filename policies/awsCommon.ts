/** What the AWS policies share: the FSBP framework reference and CIDR arithmetic. */
import type { PolicyComplianceFramework } from "@pulumi/policy";
import { globSource } from "./util";

/** The SDK's signal for a value unknown in a preview (internal to @pulumi/policy, as testing.ts reads it). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UnknownValueError } = require("@pulumi/policy/proxy") as { UnknownValueError: new (...args: never[]) => Error };

/** A control of AWS Foundational Security Best Practices (Security Hub). */
export const FSBP = (control: string): PolicyComplianceFramework => ({
    name: "AWS Foundational Security Best Practices",
    version: "1.0",
    reference: control,
    specification: "https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html",
});

/** A wildcard pattern (`*` matches any characters, nothing else is special) as a RegExp: ECR's repository filters, URN patterns. */
export const wildcard = (filter: string): RegExp => new RegExp(`^${globSource(filter, { "*": ".*" })}$`);

/** Whether an IPv6 block is the whole internet (`::/0`, however the address is written). */
export const isIpv6Internet = (cidr: string): boolean => /^[0-9a-f:]*:[0-9a-f:]*\/0$/i.test(cidr.trim());

/**
 * Runs `check`, and if it reads a value unknown in a preview, stops it there without a violation:
 * the SDK's unknown-checking proxy throws its own error; in a stack policy that would stop the
 * policy for every resource. Other errors propagate.
 */
export function whenKnown(check: () => void): void {
    try {
        check();
    } catch (e) {
        if (!(e instanceof UnknownValueError)) throw e;
    }
}
