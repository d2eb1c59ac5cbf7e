/**
 * Checks that a Dockerfile is hardened the way the platform requires before it is built:
 * a pinned base image, a numeric non-root user in the final stage, a HEALTHCHECK, and no secrets
 * baked into layers. Pure functions, used by {@link InferenceImage} and by the tests.
 */

export interface Instruction {
    /** Upper-cased keyword: FROM, RUN, USER … */
    readonly keyword: string;
    /** Everything after the keyword, continuation lines joined. */
    readonly args: string;
    /** 1-based line where the instruction starts. */
    readonly line: number;
}

/** Splits a Dockerfile into instructions, joining `\` continuations and skipping comments. */
export function parseDockerfile(text: string): Instruction[] {
    const instructions: Instruction[] = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
        const start = i;
        let current = lines[i];
        if (/^\s*(#|$)/.test(current)) continue;
        while (/\\\s*$/.test(current) && i + 1 < lines.length) {
            i++;
            const next = lines[i];
            if (/^\s*#/.test(next)) continue; // comment lines inside a continuation are dropped
            current = current.replace(/\s*\\\s*$/, " ") + next.trim();
        }
        const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(current);
        if (m) instructions.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start + 1 });
    }
    return instructions;
}

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)/i;

/** `${NAME}` / `$NAME` expanded from ARG defaults declared before the first FROM. */
function expand(value: string, args: ReadonlyMap<string, string>): string {
    return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => args.get(name) ?? whole);
}

/** Whether an image reference names a fixed version: a digest, or a tag other than latest. */
export function isPinnedImage(ref: string): boolean {
    if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
    const lastSegment = ref.split("/").pop() ?? "";
    const tag = lastSegment.includes(":") ? lastSegment.split(":").pop() : undefined;
    return tag !== undefined && tag !== "" && tag !== "latest";
}

/** Every hardening problem, each with the line and how to fix it; empty when the file is fine. */
export function checkHardenedDockerfile(text: string): string[] {
    const instructions = parseDockerfile(text);
    const problems: string[] = [];
    const globalArgs = new Map<string, string>();
    let seenFrom = false;
    let finalStage: Instruction[] = [];

    for (const ins of instructions) {
        if (ins.keyword === "ARG") {
            const [name, ...rest] = ins.args.split("=");
            const value = rest.join("=").replace(/^["']|["']$/g, "");
            if (!seenFrom && value) globalArgs.set(name.trim(), value);
            if (SECRET_NAME.test(name) && value) {
                problems.push(
                    `line ${ins.line}: ARG ${name.trim()} has a default value; never bake secrets into an image, pass them at run time`,
                );
            }
        }
        if (ins.keyword === "FROM") {
            seenFrom = true;
            finalStage = [];
            const image = expand(ins.args.replace(/^--platform=\S+\s+/, "").split(/\s+/)[0], globalArgs);
            if (!isPinnedImage(image)) {
                problems.push(
                    `line ${ins.line}: FROM ${image} is not pinned; use a version tag or, better, a digest (image@sha256:...)`,
                );
            }
        }
        if (ins.keyword === "ENV") {
            for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)) {
                if (SECRET_NAME.test(m[1])) {
                    problems.push(
                        `line ${ins.line}: ENV ${m[1]} puts a secret in a layer; pass it at run time from a secret store`,
                    );
                }
            }
        }
        if (ins.keyword === "ADD" && /(^|\s)https?:\/\//.test(ins.args)) {
            problems.push(
                `line ${ins.line}: ADD from a URL fetches unverified content; download with a checksum in a RUN step`,
            );
        }
        finalStage.push(ins);
    }

    const users = finalStage.filter((i) => i.keyword === "USER");
    const lastUser = users[users.length - 1];
    const uid = lastUser ? lastUser.args.split(":")[0] : undefined;
    if (!lastUser) {
        problems.push(
            "the final stage never sets USER; add `USER 10001:10001` (a numeric, non-root UID) before the entry point",
        );
    } else if (!/^\d+$/.test(uid ?? "") || Number(uid) === 0) {
        problems.push(
            `line ${lastUser.line}: USER ${lastUser.args} must be a numeric non-root UID (Kubernetes runAsNonRoot can only verify numbers), e.g. USER 10001:10001`,
        );
    }
    const health = finalStage.filter((i) => i.keyword === "HEALTHCHECK").pop();
    if (!health || /^NONE\b/i.test(health.args)) {
        problems.push("the final stage has no HEALTHCHECK; add one that calls the server's /health endpoint");
    }
    return problems;
}
