/** IPv4 CIDR arithmetic: parsing an aligned block and the platform's subnet plan per zone. */
import { ipv4Range } from "../../catalog/cidr";

export interface SubnetPlan {
    readonly public: string[];
    readonly private: string[];
}

function intToIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Parses `a.b.c.d/p`; undefined when it is not a valid, aligned IPv4 CIDR (catalog/cidr.ts). */
export function parseCidr(cidr: string): { base: number; prefix: number } | undefined {
    const range = ipv4Range(cidr);
    return range?.aligned ? { base: range.base, prefix: range.prefix } : undefined;
}

/**
 * Subnet ranges per zone: private subnets take eighths of the VPC (room for pod IPs), public
 * ones sixty-fourths placed after the first half; supports up to four zones.
 */
export function planSubnets(cidrBlock: string, zones: number): SubnetPlan {
    const parsed = parseCidr(cidrBlock);
    if (!parsed) throw new Error(`invalid CIDR ${cidrBlock}`);
    const size = 2 ** (32 - parsed.prefix);
    const privateSize = size / 8;
    const publicSize = size / 64;
    return {
        private: Array.from(
            { length: zones },
            (_, i) => `${intToIp(parsed.base + i * privateSize)}/${parsed.prefix + 3}`,
        ),
        public: Array.from(
            { length: zones },
            (_, i) => `${intToIp(parsed.base + size / 2 + i * publicSize)}/${parsed.prefix + 6}`,
        ),
    };
}
