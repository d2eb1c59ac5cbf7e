/**
 * Lock files beside the project: the promotion lock of one model (held for the whole release) and
 * the short lock around a write of the stack file. Each records who holds it (pid, host, start);
 * the holder refreshes its time every {@link HEARTBEAT_MS}. A lock whose process is gone (same
 * host, pid not running) or whose holder stopped refreshing it for {@link STALE_AFTER_MS} is stale
 * and taken over, so a SIGKILL, a cancelled CI job or a crash never leaves a model unreleasable.
 */
import * as fs from "node:fs";
import * as os from "node:os";

/** What a lock file holds. */
export interface LockOwner {
    pid: number;
    host: string;
    /** ISO time it was taken. */
    since: string;
    /** What holds it: `promote prod/chat`, `config write`. */
    purpose: string;
    /** The holder's PID namespace (`/proc/self/ns/pid`), where there is one: containers sharing a hostname do not share pids. */
    pidns?: string;
}

/** This process's PID namespace, or undefined where /proc does not say (not Linux). */
export function pidNamespace(): string | undefined {
    try {
        return fs.readlinkSync("/proc/self/ns/pid");
    } catch {
        return undefined;
    }
}

/** How often a holder refreshes the lock's time. */
export const HEARTBEAT_MS = 30_000;
/** A lock not refreshed for this long is stale, whatever host holds it (its machine is gone). */
export const STALE_AFTER_MS = 10 * 60_000;

/** Whether process `pid` runs on this machine (signal 0: an existence check that sends nothing). */
export function processAlive(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        // EPERM: it runs, under another user.
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The holder of `file`, or undefined when it is missing or not one of ours (unreadable, half-written). */
export function readLockOwner(file: string): LockOwner | undefined {
    try {
        const owner = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockOwner>;
        if (typeof owner.pid !== "number" || typeof owner.host !== "string") return undefined;
        return {
            pid: owner.pid,
            host: owner.host,
            since: String(owner.since ?? "?"),
            purpose: String(owner.purpose ?? "?"),
            ...(typeof owner.pidns === "string" ? { pidns: owner.pidns } : {}),
        };
    } catch {
        return undefined;
    }
}

/**
 * Why the lock at `file` is stale (its holder cannot release it), or undefined while it may be
 * held. A file we cannot read as a lock is stale once it is {@link STALE_AFTER_MS} old: a holder
 * killed while writing it.
 */
export function staleReason(file: string, now = Date.now()): string | undefined {
    let mtime: number;
    try {
        mtime = fs.statSync(file).mtimeMs;
    } catch {
        return undefined;
    }
    const owner = readLockOwner(file);
    // Its pid means something here only on this host and in this PID namespace (two containers
    // may share a hostname); elsewhere only its heartbeat tells.
    if (owner && owner.host === os.hostname() && owner.pidns === pidNamespace() && !processAlive(owner.pid))
        return `its process ${owner.pid} on ${owner.host} is gone`;
    if (now - mtime > STALE_AFTER_MS)
        return `its holder${owner ? ` (process ${owner.pid} on ${owner.host})` : ""} has not refreshed it for ${Math.round((now - mtime) / 60_000)} minutes`;
    return undefined;
}

/** Creates `file` holding `owner`; false when it exists already. */
function createExclusive(file: string, owner: LockOwner): boolean {
    try {
        fs.writeFileSync(file, `${JSON.stringify(owner)}\n`, { flag: "wx" });
        return true;
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw e;
    }
}

/**
 * Removes the stale lock `file` whose holder was judged to be `judged` (undefined: unreadable), and
 * only that one: it is first renamed aside (atomic), then checked; a lock another taker created
 * meanwhile under the name is put back (linked: never over a newer one) and false returned.
 */
export function removeStale(file: string, judged: LockOwner | undefined): boolean {
    const aside = `${file}.${process.pid}.${Date.now()}.aside`;
    try {
        fs.renameSync(file, aside);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return true;
        throw e;
    }
    const moved = readLockOwner(aside);
    const same =
        judged === undefined
            ? moved === undefined && Date.now() - fs.statSync(aside).mtimeMs > STALE_AFTER_MS
            : moved !== undefined &&
              moved.pid === judged.pid &&
              moved.host === judged.host &&
              moved.since === judged.since;
    if (!same) {
        try {
            fs.linkSync(aside, file);
        } catch {
            // Another lock took the name meanwhile: it stands.
        }
    }
    fs.rmSync(aside, { force: true });
    return same;
}

/** A lock taken: {@link release} removes it (once; later calls do nothing). */
export interface HeldLock {
    readonly file: string;
    /** Set when the lock was taken over from a holder that died: who, and why it was stale. */
    readonly tookOver?: string;
    release(): void;
}

/**
 * Takes `file` once, taking it over when it is stale; undefined while another live holder has it.
 * A takeover goes through `<file>.takeover` (created exclusively), so two processes that both find
 * the same stale lock cannot both take it.
 */
export function tryLock(file: string, purpose: string): HeldLock | undefined {
    const pidns = pidNamespace();
    const owner: LockOwner = {
        pid: process.pid,
        host: os.hostname(),
        since: new Date().toISOString(),
        purpose,
        ...(pidns !== undefined ? { pidns } : {}),
    };
    let tookOver: string | undefined;
    if (!createExclusive(file, owner)) {
        const reason = staleReason(file);
        if (reason === undefined) return undefined;
        const gate = `${file}.takeover`;
        // A takeover gate left by a process killed mid-takeover is itself stale: removed only if it
        // is still that one (two takers that both found it stale cannot both remove a new gate).
        // (Its holder read before its staleness: a gate replaced in between is judged fresh, or put back.)
        const gateHolder = readLockOwner(gate);
        if (staleReason(gate) !== undefined && !removeStale(gate, gateHolder)) return undefined;
        if (!createExclusive(gate, owner)) return undefined;
        try {
            const previous = readLockOwner(file);
            // Still stale now that the gate is ours (another taker may have replaced it already).
            if (staleReason(file) === undefined) return undefined;
            if (!removeStale(file, previous)) return undefined;
            if (!createExclusive(file, owner)) return undefined;
            tookOver = `${previous ? `${previous.purpose} (process ${previous.pid} on ${previous.host}, since ${previous.since})` : "an unreadable lock"}: ${reason}`;
        } finally {
            fs.rmSync(gate, { force: true });
        }
    }
    const beat = setInterval(() => {
        try {
            const t = new Date();
            fs.utimesSync(file, t, t);
        } catch {
            // Removed under us (by hand): release() still clears the timer.
        }
    }, HEARTBEAT_MS);
    beat.unref();
    let released = false;
    return {
        file,
        ...(tookOver !== undefined ? { tookOver } : {}),
        release: () => {
            if (released) return;
            released = true;
            clearInterval(beat);
            // Only ours: a lock taken over from us (we were presumed dead) is not removed.
            const now = readLockOwner(file);
            if (now && now.pid === owner.pid && now.host === owner.host && now.since === owner.since)
                fs.rmSync(file, { force: true });
        },
    };
}

/** Describes the holder of `file` for a message: `promote prod/chat (process 12 on runner-3, since …)`. */
export function describeHolder(file: string): string {
    const owner = readLockOwner(file);
    return owner
        ? `${owner.purpose} (process ${owner.pid} on ${owner.host}, since ${owner.since})`
        : "an unknown holder";
}
