import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policy } from "../tools/cli/policy";
import { runStack } from "../tools/engine/run";
import { startPack, type PackProcess } from "../tools/policy/gate";
import { GOLDEN_DIR, planned, readGolden, timeless } from "./golden";
import { PROJECT_DIR } from "./helpers";
import { NO_COVERAGE, REFERENCE_STACKS, sharedRunner } from "./plans";

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
                "if the change is meant, rewrite them with `node --require ./tools/typescript.cjs tests/golden.ts` and review the diff";
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

    describe("policy --stack <stack> --format json: the gate's findings (tests/fixtures/golden/<stack>.policy.json)", () => {
        let pack: PackProcess;
        before(async () => {
            pack = await startPack();
        });
        after(() => pack.stop());
        const shared = (): Promise<PackProcess> => Promise.resolve({ ...pack, stop: () => undefined });
        const gate = async (stack: string, run: Parameters<typeof policy>[2]): Promise<string> => {
            let out = "";
            const code = await policy(
                ["--stack", stack, "--format", "json", "--project", PROJECT_DIR],
                (s) => void (out += s),
                run,
                shared,
            );
            assert.equal(code, 0);
            return out;
        };
        const kept = (stack: string): string => fs.readFileSync(path.join(GOLDEN_DIR, `${stack}.policy.json`), "utf8");

        for (const stack of REFERENCE_STACKS)
            it(`${stack}: the same findings as before the gate took resources as they register`, async () => {
                assert.equal(await gate(stack, sharedRunner), kept(stack));
            });

        it("ecs, its program running: each resource analysed as it registers, the same findings", async () => {
            let handed = 0;
            const out = await gate("ecs", (o) =>
                runStack({
                    ...o,
                    env: NO_COVERAGE,
                    sink: {
                        push(r) {
                            handed++;
                            o.sink!.push(r);
                        },
                    },
                }),
            );
            assert.equal(out, kept("ecs"));
            assert.equal(handed, (JSON.parse(out) as { resources: number }).resources);
        });
    });

    it("ignores only the manifest's time", () => {
        const a =
            '{\n  "version": 3,\n  "deployment": {\n    "manifest": {\n      "time": "2026-12-07T15:57:33.413Z",\n      "magic": ""';
        const b = a.replace("2026-12-07T15:57:33.413Z", "2030-01-01T00:00:00.000Z");
        assert.equal(timeless(a), timeless(b));
        assert.match(timeless(a), /"time": "\(the time of the run\)",\n {6}"magic": ""/);
        assert.notEqual(timeless(a), timeless(a.replace('"magic": ""', '"magic": "x"')));
    });
});
