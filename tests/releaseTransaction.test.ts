/**
 * A release as a transaction (issue 35), on the state machine with the in-memory stack: every
 * error and signal undoes what the release changed, the journal says what an interrupted run began,
 * and the next run finishes or undoes it before anything else.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stateDirProblem } from "../tools/promote/automation";
import { OUTCOME_EXIT, promote, StackBusyError, type ReleaseState, type ProbeResult } from "../tools/promote/machine";
import { ACTIVE, FakeProber, FakeStack, PREVIEW, state } from "./promoteFakes";

const ok: ProbeResult = { status: 200, latencyMs: 20 };
const v = (modelVersion: string) => ({ image: undefined, modelVersion });
const BEFORE: ReleaseState = {
    activeColor: "blue",
    scaleDownInactive: false,
    releases: { blue: v("v1"), green: v("v1") },
};
const RECOVER = "llm-platform promote --stack prod --model inference --recover";

describe("a release is a transaction: errors, signals and the journal (issue 35)", () => {
    it("undoes the release after an update fails at any step, and reports failed (exit 3) with what serves", async () => {
        for (const failing of ["deploy green as the preview colour", "make green the active colour"]) {
            const stack = new FakeStack(state());
            stack.upFails = (reason) => reason === failing;
            const result = await promote(stack, new FakeProber(() => ok, stack), { modelVersion: "v2" });
            assert.equal(result.outcome, "failed", failing);
            assert.equal(OUTCOME_EXIT[result.outcome], 3);
            // The last update put back what served, whole: the stack is where it began.
            assert.deepEqual(stack.deployed.at(-1), BEFORE, failing);
            assert.equal(stack.calls.at(-1), "up: undo the promote of green");
            assert.deepEqual(result.serving, BEFORE);
            assert.equal(result.activeColor, "blue");
            assert.equal(stack.journalData.current, undefined, "nothing left to recover");
            assert.equal(stack.locked, false);
            assert.equal(
                result.log.at(-1),
                `put back what served: blue serves (model v1, image built by the stack); green runs model v1, image built by the stack`,
            );
        }
        // The failure after the flip began: the undo is checked on the active endpoint too.
        const flip = new FakeStack(state());
        flip.upFails = (reason) => reason === "make green the active colour";
        const prober = new FakeProber(() => ok, flip);
        await promote(flip, prober, { modelVersion: "v2" });
        assert.deepEqual(prober.requests, [`${PREVIEW}/health`, "wait 30 s", `${ACTIVE}/health`]);
    });

    it("when the undo fails too, keeps the journal and names the command that recovers; that command undoes it", async () => {
        const stack = new FakeStack(state());
        stack.upFails = (reason) => reason === "make green the active colour" || reason === "undo the promote of green";
        const result = await promote(stack, new FakeProber(() => ok, stack), { modelVersion: "v2" });
        assert.equal(result.outcome, "failed");
        assert.equal(result.serving, undefined, "unknown: the last update failed");
        assert.equal(result.recover, RECOVER);
        assert.deepEqual(stack.journalData.current?.steps, [
            "deploy preview",
            "preview deployed",
            "gate passed",
            "flip",
            "undo",
        ]);
        assert.deepEqual(stack.journalData.current?.before, BEFORE);
        // The credentials are back: the recovery command undoes the release and stops there.
        stack.upFails = () => false;
        const recovered = await promote(stack, new FakeProber(() => ok, stack), { rollback: true });
        assert.equal(recovered.outcome, "rolled-back");
        assert.deepEqual(stack.deployed.at(-1), BEFORE);
        assert.equal(stack.calls.at(-1), "up: undo the interrupted promote");
        assert.match(
            recovered.log[0],
            /^the promote begun .* did not finish \(last step: undo\); undoing it: blue serves/,
        );
        assert.equal(stack.journalData.current, undefined);
        assert.deepEqual(stack.journalData.good?.state, BEFORE);
    });

    it("a first signal ends the step under way and undoes the release; a second stops at once", async () => {
        const stop = new AbortController();
        const stack = new FakeStack(state());
        // SIGTERM arrives while the flip's update runs: the update finishes, then the release is undone.
        const deploy = stack.deploy.bind(stack);
        stack.deploy = async (s, reason) => {
            await deploy(s, reason);
            if (reason === "make green the active colour") stop.abort("SIGTERM");
        };
        const prober = new FakeProber(() => ok, stack);
        const result = await promote(stack, prober, { modelVersion: "v2", signals: { stop: stop.signal } });
        assert.equal(result.outcome, "failed");
        assert.deepEqual(stack.calls, [
            "up: deploy green as the preview colour",
            "up: make green the active colour",
            "up: undo the promote of green",
        ]);
        assert.ok(result.log.includes('after "flipped", the promote stopped by SIGTERM'), result.log.join("\n"));
        assert.deepEqual(result.serving, BEFORE);
        assert.equal(stack.journalData.current, undefined);

        const now = new AbortController();
        const stop2 = new AbortController();
        const again = new FakeStack(state());
        const deploy2 = again.deploy.bind(again);
        again.deploy = async (s, reason) => {
            await deploy2(s, reason);
            stop2.abort("SIGINT");
            now.abort("SIGINT");
        };
        const hard = await promote(again, new FakeProber(() => ok, again), {
            modelVersion: "v2",
            signals: { stop: stop2.signal, now: now.signal },
        });
        assert.equal(hard.outcome, "failed");
        assert.deepEqual(again.calls, ["up: deploy green as the preview colour"]);
        assert.equal(hard.recover, RECOVER);
        assert.deepEqual(again.journalData.current?.steps, ["deploy preview", "preview deployed"]);
        assert.equal(again.locked, false, "the lock is released on every way out");
        // The next promote undoes it first, then releases as asked.
        const next = await promote(again, new FakeProber(() => ok, again), { modelVersion: "v2" });
        assert.equal(next.outcome, "promoted");
        assert.deepEqual(again.calls.slice(1), [
            "up: undo the interrupted promote",
            "up: deploy green as the preview colour",
            "up: make green the active colour",
        ]);
    });

    it("a killed run's release is finished when it was verified, undone otherwise, before anything else", async () => {
        // Killed after the flip was verified, while the old colour was draining: finished.
        const stack = new FakeStack(state({ scaleDownInactive: true }));
        const flipped: ReleaseState = { ...BEFORE, activeColor: "green", releases: { blue: v("v1"), green: v("v2") } };
        const target = { ...flipped, scaleDownInactive: true };
        stack.state = { ...stack.state, ...flipped };
        stack.journalData = {
            current: {
                id: "2026-12-07T09:00:00.000Z/4242",
                kind: "promote",
                before: { ...BEFORE, scaleDownInactive: true },
                target,
                steps: ["deploy preview", "preview deployed", "gate passed", "flip", "flipped", "verified"],
            },
        };
        const result = await promote(stack, new FakeProber(() => ok, stack), { rollback: true });
        assert.equal(stack.calls[0], "up: finish the interrupted promote");
        assert.deepEqual(stack.deployed[0], target);
        // Then the rollback asked for: green's release stood, so it flips back to blue.
        assert.equal(result.outcome, "rolled-back");
        assert.equal(result.activeColor, "blue");

        // Killed after the preview was deployed, before the gate: undone, and production never moved.
        const killed = new FakeStack(state());
        killed.state = { ...killed.state, releases: { blue: v("v1"), green: v("v3") } };
        killed.journalData = {
            good: { state: BEFORE, at: "t", id: "x" },
            current: {
                id: "2026-12-07T09:00:00.000Z/4243",
                kind: "promote",
                before: BEFORE,
                target: { ...BEFORE, activeColor: "green", releases: { blue: v("v1"), green: v("v3") } },
                steps: ["deploy preview", "preview deployed"],
            },
        };
        const r = await promote(killed, new FakeProber(() => ok, killed), { rollback: true });
        assert.equal(r.outcome, "rolled-back", "the undo is the rollback asked for");
        assert.deepEqual(killed.calls, ["up: undo the interrupted promote"]);
        assert.deepEqual(killed.deployed, [BEFORE]);
        assert.equal(r.activeColor, "blue");
    });

    it("--recover finishes a verified release (the old colour's scale-down) and stops: it never rolls it back", async () => {
        const stack = new FakeStack(state({ scaleDownInactive: true }));
        stack.upFails = (reason) => reason === "scale blue down again";
        const first = await promote(stack, new FakeProber(() => ok, stack), { modelVersion: "v2" });
        assert.equal(first.outcome, "promoted");
        assert.equal(first.recover, RECOVER);
        stack.upFails = () => false;
        const prober = new FakeProber(() => ok, stack);
        const recovered = await promote(stack, prober, { recover: true });
        assert.equal(recovered.outcome, "recovered");
        assert.equal(OUTCOME_EXIT.recovered, 0);
        // It was killed (or failed) while blue drained: blue drains again before it goes.
        assert.deepEqual(prober.requests, ["wait 300 s", "wait 30 s", `${ACTIVE}/health`]);
        assert.deepEqual(stack.calls.slice(-1), ["up: finish the interrupted promote"]);
        assert.deepEqual(stack.state.activeColor, "green");
        assert.equal(stack.state.scaleDownInactive, true);
        assert.equal(stack.journalData.current, undefined);
        // Nothing left: --recover says what the stack's outputs say serves, checks it, changes nothing.
        const nothing = await promote(stack, new FakeProber(() => ok, stack), { recover: true });
        assert.equal(nothing.outcome, "recovered");
        assert.deepEqual(nothing.log, [
            "no release of model inference was left unfinished in this journal; the stack's outputs say green serves (model v2, image built by the stack); blue runs model v1, image built by the stack, scaled to zero",
            "the active endpoint passes the check",
        ]);
        assert.equal(stack.calls.length, 4);
        // ... and says so when it fails.
        const down = await promote(stack, new FakeProber(() => ({ status: 503, latencyMs: 1 }), stack), {
            recover: true,
        });
        // No rollback was made: a failure (3), with what the outputs say serves.
        assert.equal(down.outcome, "failed");
        assert.equal(down.serving?.activeColor, "green");
        assert.equal(OUTCOME_EXIT[down.outcome], 3);
    });

    it("--rollback after an interrupted rollback: an undone one is rolled back again, a finished one stops", async () => {
        // A rollback from green v2 (bad) to blue v1, killed after the flip's update, before its check.
        const bad: ReleaseState = {
            activeColor: "green",
            scaleDownInactive: false,
            releases: { blue: v("v1"), green: v("v2") },
        };
        const stack = new FakeStack(state({ ...bad }));
        stack.journalData = {
            current: {
                id: "r",
                kind: "rollback",
                before: bad,
                target: { ...bad, activeColor: "blue" },
                steps: ["flip", "flipped"],
            },
        };
        const r = await promote(stack, new FakeProber(() => ok, stack), { rollback: true });
        assert.equal(r.outcome, "rolled-back");
        // Undone (green back), then the rollback asked for again: blue serves.
        assert.deepEqual(stack.calls, ["up: undo the interrupted rollback", "up: make blue the active colour"]);
        assert.equal(stack.state.activeColor, "blue");

        // The same, killed after its check: finished, and that is the rollback.
        const done = new FakeStack(state({ ...bad, activeColor: "blue" }));
        done.journalData = {
            current: {
                id: "r2",
                kind: "rollback",
                before: bad,
                target: { ...bad, activeColor: "blue" },
                steps: ["flip", "flipped", "verified"],
            },
        };
        const d = await promote(done, new FakeProber(() => ok, done), { rollback: true });
        assert.equal(d.outcome, "rolled-back");
        assert.deepEqual(done.calls, ["up: finish the interrupted rollback"]);
        assert.equal(done.state.activeColor, "blue");
    });

    it("an error after a recovery changed the stack is a failure (3) with the recovery's lines, not exit 1 with a stack trace", async () => {
        const stack = new FakeStack(state());
        stack.journalData = {
            current: { id: "x", kind: "promote", before: BEFORE, target: BEFORE, steps: ["deploy preview"] },
        };
        stack.check = async () => {
            throw new Error("pulumi config --json: error: [401] Unauthorized");
        };
        const result = await promote(stack, new FakeProber(() => ok, stack), { modelVersion: "v2" });
        assert.equal(result.outcome, "failed");
        assert.equal(result.log.at(-1), "then failed: pulumi config --json: error: [401] Unauthorized");
        assert.match(result.log[0], /^the promote begun x did not finish/);
    });

    it("a refusal after a recovery changed the stack is a failure (3) that reports the recovery, not a refusal (2)", async () => {
        const stack = new FakeStack(state());
        stack.journalData = {
            current: { id: "x", kind: "promote", before: BEFORE, target: BEFORE, steps: ["deploy preview"] },
        };
        const result = await promote(stack, new FakeProber(() => ok, stack), { to: "blue" });
        assert.equal(result.outcome, "failed");
        assert.deepEqual(stack.calls, ["up: undo the interrupted promote"]);
        assert.equal(result.log.at(-1), "then refused: blue is already the active colour of stack prod");
    });

    it("--rollback returns to the last release that passed its gate, not to an untested one on the other colour", async () => {
        // green was promoted from v1 to v2 and passed; someone then put v9 on blue (never gated).
        const good: ReleaseState = {
            activeColor: "green",
            scaleDownInactive: false,
            releases: { blue: v("v1"), green: v("v2") },
        };
        const stack = new FakeStack(state({ activeColor: "green", releases: { blue: v("v9"), green: v("v2") } }));
        stack.journalData = { good: { state: good, at: "t", id: "i" } };
        const result = await promote(stack, new FakeProber(() => ok, stack), { rollback: true });
        assert.equal(result.outcome, "rolled-back");
        assert.deepEqual(stack.calls, ["up: scale blue up for the rollback", "up: make blue the active colour"]);
        assert.deepEqual(stack.deployed[1].releases.blue, v("v1"));
        assert.equal(
            result.log[0],
            "blue runs model v9 (image built by the stack), not what it ran at the last flip (a release that never passed its gate, left by a failed or killed promotion, or changed by hand); the rollback returns it to model v1 (image built by the stack), which served before that flip",
        );
    });

    it("--rollback on a runner with no journal: the stack's record of the last flip (lastFlip) says what the other colour ran", async () => {
        // A promotion of blue to v9 was killed after its preview deployed, on another runner: blue
        // runs v9 (never gated); the stack's record says blue ran v1 when green took over.
        const lastFlip = { activeColor: "green" as const, releases: { blue: v("v1"), green: v("v2") } };
        const stack = new FakeStack(
            state({ activeColor: "green", releases: { blue: v("v9"), green: v("v2") }, lastFlip }),
        );
        const result = await promote(stack, new FakeProber(() => ok, stack), { rollback: true });
        assert.equal(result.outcome, "rolled-back");
        assert.deepEqual(stack.calls, ["up: scale blue up for the rollback", "up: make blue the active colour"]);
        // The preview keeps the record; the flip writes its own.
        assert.deepEqual(stack.deployed[0], {
            activeColor: "green",
            scaleDownInactive: false,
            releases: { blue: v("v1"), green: v("v2") },
            lastFlip,
        });
        assert.deepEqual(stack.deployed[1].lastFlip, {
            activeColor: "blue",
            releases: { blue: v("v1"), green: v("v2") },
        });
        assert.equal(
            result.log[0],
            "blue runs model v9 (image built by the stack), not what it ran at the last flip (a release that never passed its gate, left by a failed or killed promotion, or changed by hand); the rollback returns it to model v1 (image built by the stack), which served before that flip",
        );
        // The stack's record wins over this runner's journal, which may be older.
        const older = new FakeStack(
            state({ activeColor: "green", releases: { blue: v("v9"), green: v("v2") }, lastFlip }),
        );
        older.journalData = {
            good: {
                state: { activeColor: "green", scaleDownInactive: false, releases: { blue: v("v0"), green: v("v2") } },
                at: "t",
                id: "i",
            },
        };
        await promote(older, new FakeProber(() => ok, older), { rollback: true });
        assert.deepEqual(older.deployed[1].releases.blue, v("v1"));
    });

    it("a journal the stack no longer matches (changed since by another runner) is closed, and nothing of it is redone", async () => {
        // Host A's promotion to green v2 was verified, then killed while blue drained; host B then
        // rolled back to blue, recording its flip. A's journal must not flip green back in.
        const before: ReleaseState = {
            activeColor: "blue",
            scaleDownInactive: true,
            releases: { blue: v("v1"), green: v("v1") },
            lastFlip: { activeColor: "blue", releases: { blue: v("v1"), green: v("v0") } },
        };
        const target: ReleaseState = {
            activeColor: "green",
            scaleDownInactive: true,
            releases: { blue: v("v1"), green: v("v2") },
            lastFlip: { activeColor: "green", releases: { blue: v("v1"), green: v("v2") } },
        };
        const stack = new FakeStack(
            state({
                activeColor: "blue",
                scaleDownInactive: true,
                releases: { blue: v("v1"), green: v("v2") },
                lastFlip: { activeColor: "blue", releases: { blue: v("v1"), green: v("v2") } },
            }),
        );
        stack.journalData = {
            current: { id: "a", kind: "promote", before, target, steps: ["flip", "flipped", "verified", "scale down"] },
        };
        const result = await promote(stack, new FakeProber(() => ok, stack), { recover: true });
        assert.deepEqual(stack.calls, []);
        assert.equal(result.outcome, "recovered");
        assert.equal(
            result.log[0],
            "the promote begun a did not finish (last step: scale down), but the stack has been changed since (it runs blue serves (model v1, image built by the stack); green runs model v2, image built by the stack, scaled to zero, a state that promote never deployed): its journal entry is closed and nothing of it is redone",
        );
        assert.deepEqual(stack.journalData, {});
        // The same journal while the stack still runs one of its states is finished, as before.
        const same = new FakeStack(state({ ...target, scaleDownInactive: false }));
        same.journalData = {
            current: { id: "a", kind: "promote", before, target, steps: ["flip", "flipped", "verified", "scale down"] },
        };
        await promote(same, new FakeProber(() => ok, same), { recover: true });
        assert.deepEqual(same.calls, ["up: finish the interrupted promote"]);
    });

    it("reads a journal by its steps: before the flip only what served before is its own; after the verified flip only the target", async () => {
        const before: ReleaseState = {
            activeColor: "blue",
            scaleDownInactive: false,
            releases: { blue: v("v1"), green: v("v1") },
            lastFlip: { activeColor: "blue", releases: { blue: v("v1"), green: v("v0") } },
        };
        const target: ReleaseState = {
            activeColor: "green",
            scaleDownInactive: false,
            releases: { blue: v("v1"), green: v("v2") },
            lastFlip: { activeColor: "green", releases: { blue: v("v1"), green: v("v2") } },
        };
        // Killed at its preview; another runner (its own host folder) then released the same
        // target and verified it: that release is not undone.
        const other = new FakeStack(state({ ...target }));
        other.journalData = { current: { id: "a", kind: "promote", before, target, steps: ["deploy preview"] } };
        const r = await promote(other, new FakeProber(() => ok, other), { recover: true });
        assert.deepEqual(other.calls, []);
        assert.match(
            r.log[0],
            /^the promote begun a did not finish \(last step: deploy preview\), but the stack has been changed since/,
        );
        // Killed at its preview with the preview applied: undone.
        const own = new FakeStack(state({ ...before, releases: target.releases }));
        own.journalData = {
            current: { id: "a", kind: "promote", before, target, steps: ["deploy preview", "preview deployed"] },
        };
        await promote(own, new FakeProber(() => ok, own), { recover: true });
        assert.deepEqual(own.calls, ["up: undo the interrupted promote"]);
        // Verified, then rolled back elsewhere (its flip recorded): not flipped forward again.
        const back = new FakeStack(state({ ...before, lastFlip: { activeColor: "blue", releases: target.releases } }));
        back.journalData = {
            current: { id: "a", kind: "promote", before, target, steps: ["flip", "flipped", "verified"] },
        };
        await promote(back, new FakeProber(() => ok, back), { recover: true });
        assert.deepEqual(back.calls, []);
    });

    it("--rollback after a hand-made change of the serving colour: the other colour goes back to what it ran at the last flip, which passed", async () => {
        // green serves v7, put there by hand: the record says green took over from blue's v1.
        const stack = new FakeStack(
            state({
                activeColor: "green",
                releases: { blue: v("v9"), green: v("v7") },
                lastFlip: { activeColor: "green", releases: { blue: v("v1"), green: v("v2") } },
            }),
        );
        const r = await promote(stack, new FakeProber(() => ok, stack), { rollback: true });
        assert.equal(r.outcome, "rolled-back");
        assert.deepEqual(stack.deployed[0].releases.blue, v("v1"));
        assert.equal(
            r.log[0],
            "blue runs model v9 (image built by the stack), not what it ran at the last flip (a release that never passed its gate, left by a failed or killed promotion, or changed by hand); the rollback returns it to model v1 (image built by the stack), which served before that flip",
        );
    });

    it("--rollback without a record ignores this runner's journal once it no longer describes what serves (releases made elsewhere since)", async () => {
        // The journal's good state: green v2 over blue v1. Another runner since released blue v5,
        // then green v6; the program exports no record.
        const stack = new FakeStack(state({ activeColor: "green", releases: { blue: v("v5"), green: v("v6") } }));
        stack.journalData = {
            good: {
                state: { activeColor: "green", scaleDownInactive: false, releases: { blue: v("v1"), green: v("v2") } },
                at: "t",
                id: "i",
            },
        };
        const r = await promote(stack, new FakeProber(() => ok, stack), { rollback: true });
        assert.equal(r.outcome, "rolled-back");
        assert.deepEqual(stack.deployed.at(-1)?.releases, { blue: v("v5"), green: v("v6") });
        assert.equal(
            r.log[0],
            "no record of the last flip (the release object's lastFlip, written by promote and deploy), and this runner's journal describes another state than what serves: the rollback flips to what blue runs, model v5 (image built by the stack)",
        );
    });

    it("a journal of a program that exports no record of flips is read by its colours alone: a flip killed before it was verified is undone", async () => {
        const before: ReleaseState = {
            activeColor: "green",
            scaleDownInactive: false,
            releases: { blue: v("v1"), green: v("v2") },
        };
        const target: ReleaseState = {
            activeColor: "blue",
            scaleDownInactive: false,
            releases: { blue: v("v3"), green: v("v2") },
            lastFlip: { activeColor: "blue", releases: { blue: v("v3"), green: v("v2") } },
        };
        // The flip applied (blue serves v3, unverified); the stack reports no lastFlip.
        const stack = new FakeStack(state({ activeColor: "blue", releases: target.releases }));
        stack.readState = async () => {
            const { lastFlip: _none, ...s } = structuredClone(stack.state);
            return s;
        };
        stack.journalData = {
            current: { id: "a", kind: "promote", before, target, steps: ["preview deployed", "gate passed", "flip"] },
        };
        const r = await promote(stack, new FakeProber(() => ok, stack), { recover: true });
        assert.equal(r.outcome, "recovered");
        assert.deepEqual(stack.calls, ["up: undo the interrupted promote"]);
        assert.equal(stack.state.activeColor, "green");
    });

    it("a first update that never began (the stack held past the wait) changed nothing: refused (2) without a second wait to undo", async () => {
        const stack = new FakeStack(state());
        stack.deploy = async (_s: ReleaseState, reason: string) => {
            stack.calls.push(`up: ${reason}`);
            throw new StackBusyError(
                "stack prod has been updated by someone else for 15 minutes; try again when it is done",
            );
        };
        await assert.rejects(() => promote(stack, new FakeProber(() => ok, stack), { modelVersion: "v2" }), {
            name: "PromotionError",
            message:
                '- after "deploy preview", the promote failed: stack prod has been updated by someone else for 15 minutes; try again when it is done\nstack prod has been updated by someone else for 15 minutes; try again when it is done; nothing was changed: blue serves (model v1, image built by the stack); green runs model v1, image built by the stack',
        });
        assert.deepEqual(stack.calls, ["up: deploy green as the preview colour"]);
        assert.deepEqual(stack.journalData, {});
        assert.equal(stack.locked, false);
        // Held at the flip, after the preview was deployed: that is undone.
        const later = new FakeStack(state());
        const deploy = later.deploy.bind(later);
        later.deploy = async (s: ReleaseState, reason: string) => {
            if (reason === "make green the active colour") {
                later.calls.push(`up: ${reason}`);
                throw new StackBusyError("held");
            }
            await deploy(s, reason);
        };
        const r = await promote(later, new FakeProber(() => ok, later), { modelVersion: "v2" });
        assert.equal(r.outcome, "failed");
        assert.equal(later.calls.at(-1), "up: undo the promote of green");
    });

    it("names the stack in the recovery command as the run was given it (org/stack), where its journal is", async () => {
        const stack = Object.assign(new FakeStack(state()), { given: "acme/prod" });
        stack.upFails = (reason) => reason === "make green the active colour";
        stack.deploy = ((deploy) => async (s: ReleaseState, reason: string) => {
            await deploy(s, reason);
            if (reason.startsWith("undo")) throw new Error("expired credentials");
        })(stack.deploy.bind(stack));
        const result = await promote(stack, new FakeProber(() => ok, stack), { modelVersion: "v2" });
        assert.equal(result.recover, "llm-platform promote --stack acme/prod --model inference --recover");
    });

    it("refuses a stack named without its organization when the state folder keeps it under its full name", () => {
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "llm-state-"));
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: shop\nruntime: nodejs\n");
        const state = path.join(project, "state");
        assert.equal(stateDirProblem(project, state, "prod"), undefined);
        fs.mkdirSync(path.join(state, "shop", "acme+prod"), { recursive: true });
        assert.equal(stateDirProblem(project, state, "prod"), undefined, "no journal or lock there");
        fs.writeFileSync(path.join(state, "shop", "acme+prod", ".promote-prod.chat.journal.json"), "{}");
        assert.equal(
            stateDirProblem(project, state, "prod"),
            `--stack prod: the release state folder ${path.join(state, "shop")} keeps the journals and locks of acme/prod under the stack's full name (as the workflows name it): run with --stack acme/prod, so that this run takes the same locks and reads the same journals`,
        );
        assert.equal(stateDirProblem(project, state, "acme/prod"), undefined);
        assert.equal(stateDirProblem(project, undefined, "prod"), undefined, "no state folder: the checkout's");
    });

    it("reads the state again under the lock: a promotion that finished while it waited is not undone", async () => {
        const stack = new FakeStack(state());
        const lock = stack.lock.bind(stack);
        // Another promotion flips to green (v2) between this run's first read and its lock.
        stack.lock = async () => {
            stack.state = { ...stack.state, activeColor: "green", releases: { blue: v("v1"), green: v("v2") } };
            return lock();
        };
        const result = await promote(stack, new FakeProber(() => ok, stack), { modelVersion: "v3" });
        assert.equal(result.outcome, "promoted");
        // Released to blue (the inactive colour now), green's v2 kept as the way back.
        assert.deepEqual(stack.deployed[0].releases, { blue: v("v3"), green: v("v2") });
        assert.equal(stack.deployed[0].activeColor, "green");
    });

    it("refuses while another promotion holds the lock, before reading its journal", async () => {
        const stack = new FakeStack(state());
        stack.locked = true;
        stack.journalData = { current: { id: "x", kind: "promote", before: BEFORE, target: BEFORE, steps: ["flip"] } };
        await assert.rejects(promote(stack, new FakeProber(() => ok, stack), {}), {
            name: "PromotionError",
            message: "a promotion of stack prod is already in progress",
        });
        assert.deepEqual(stack.calls, []);
    });
});
