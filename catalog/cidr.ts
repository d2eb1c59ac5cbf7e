/**
 * IPv4 CIDR blocks as the consumers of the platform's CIDRs read them: the AWS Load Balancer
 * Controller (its `inbound-cidrs` annotation) parses them with Go's `net.ParseCIDR`, which takes
 * four decimal numbers 0–255 and a prefix length 0–32, and refuses leading zeros since Go 1.17
 * (CVE-2021-29923: `010` read as octal by some parsers, as decimal by others). Kubernetes' API
 * still accepts leading zeros for old objects (k8s.io/utils `ParseCIDRSloppy`); they are refused
 * here as ambiguous, and so (stricter than Go, whose prefix length may carry them) in the prefix
 * length: the controller passes the string to EC2 as written. One bad block in an Ingress group's annotation stops the controller for every
 * Ingress of the group, so they are refused before anything is created.
 */

/** Why `value` is not an IPv4 CIDR block, or undefined when it is one. */
export function ipv4CidrProblem(value: string): string | undefined {
    const parts = /^([^/]*)\/(.*)$/.exec(value);
    if (!parts) return "it has no /prefix length";
    const [, address, prefix] = parts;
    const octets = address.split(".");
    if (octets.length !== 4) return `${JSON.stringify(address)} is not four numbers separated by dots`;
    for (const octet of octets) {
        if (!/^(0|[1-9][0-9]{0,2})$/.test(octet))
            return `${JSON.stringify(octet)} is not a decimal number without leading zeros`;
        if (Number(octet) > 255) return `${octet} is over 255`;
    }
    if (!/^(0|[1-9][0-9]?)$/.test(prefix) || Number(prefix) > 32)
        return `the prefix length ${JSON.stringify(prefix)} is not a number from 0 to 32`;
    return undefined;
}

/** The message for a value that is not a CIDR block, naming what is wrong and an example. */
export const ipv4CidrError = (value: unknown): string => {
    const problem = typeof value === "string" ? ipv4CidrProblem(value) : "it is not a string";
    return `expected an IPv4 CIDR block such as 10.0.0.0/16, received ${JSON.stringify(value)}: ${problem ?? "valid"}`;
};

/** Whether IPv4 blocks (`a.b.c.d/n`) together cover every address, as 0.0.0.0/0 or two /1s do. */
export function coversInternet(cidrs: readonly string[]): boolean {
    const ranges = cidrs
        .map((c) => /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(c.trim()))
        .filter((m): m is RegExpExecArray => m !== null && Number(m[5]) <= 32)
        .map((m) => {
            const address = m.slice(1, 5).reduce((n, octet) => n * 256 + (Number(octet) & 255), 0);
            const size = 2 ** (32 - Number(m[5]));
            const start = Math.floor(address / size) * size;
            return [start, start + size] as const;
        })
        .sort((a, b) => a[0] - b[0]);
    let reached = 0;
    for (const [start, end] of ranges) {
        if (start > reached) return false;
        reached = Math.max(reached, end);
    }
    return reached >= 2 ** 32;
}

/**
 * A block's first address (as a number) and prefix length, aligned down to the prefix, and whether
 * it was written aligned (no bits set past the prefix, as a VPC's range must be); undefined when
 * {@link ipv4CidrProblem} refuses it.
 */
export function ipv4Range(cidr: string): { base: number; prefix: number; aligned: boolean } | undefined {
    if (ipv4CidrProblem(cidr) !== undefined) return undefined;
    const [address, bits] = cidr.split("/");
    const prefix = Number(bits);
    const value = address.split(".").reduce((n, o) => n * 256 + Number(o), 0);
    const size = 2 ** (32 - prefix);
    return { base: value - (value % size), prefix, aligned: value % size === 0 };
}
