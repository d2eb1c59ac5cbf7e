import * as assert from "node:assert/strict";
import { planned, readGolden, timeless } from "./golden";
import { REFERENCE_STACKS, sharedRunner } from "./plans";

/** The first line where two texts differ, for a readable failure. */
function firstDifference(want: string, got: string): string {
    const a = want.split("\n");
    const b = got.split("\n");
    for (let i = 0; i < Math.max(a.length, b.length); i++)
        if (a[i] !== b[i]) return `line ${i + 1}:\n  kept: ${a[i] ?? "(end)"}\n  now:  ${b[i] ?? "(end)"}`;
    return "(no line differs)";
}

describe("the reference stacks' plans are what they were (issue 36: faster, not different)", function () {
    // The plans are the shared background ones: a test may wait for those queued before it.
    this.timeout(240_000);
    for (const stack of REFERENCE_STACKS) {
        it(`plan --stack ${stack}: the printed plan and the export, byte for byte (tests/fixtures/golden)`, async () => {
            const kept = readGolden(stack);
            const now = await planned(stack, sharedRunner);
            const hint =
                "if the change is meant, rewrite them with `node --import tsx tests/golden.ts` and review the diff";
            assert.ok(
                now.plan === kept.plan,
                `the plan of ${stack} differs from tests/fixtures/golden/${stack}.plan.txt at ${firstDifference(kept.plan, now.plan)}\n${hint}`,
            );
            assert.ok(
                now.export === kept.export,
                `the export of ${stack} differs from tests/fixtures/golden/${stack}.export.json.gz at ${firstDifference(kept.export, now.export)}\n${hint}`,
            );
        });
    }

    it("ignores only the manifest's time", () => {
        const a =
            '{\n  "version": 3,\n  "deployment": {\n    "manifest": {\n      "time": "2026-12-07T15:57:33.413Z",\n      "magic": ""';
        const b = a.replace("2026-12-07T15:57:33.413Z", "2030-01-01T00:00:00.000Z");
        assert.equal(timeless(a), timeless(b));
        assert.match(timeless(a), /"time": "\(the time of the run\)",\n {6}"magic": ""/);
        assert.notEqual(timeless(a), timeless(a.replace('"magic": ""', '"magic": "x"')));
    });
});
