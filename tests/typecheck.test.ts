/**
 * The whole project type-checks (`tsc --noEmit -p .`, what `npm run typecheck` runs). The check is
 * a process the root hook starts with the suite, so its seconds of CPU overlap the tests that wait
 * on plans instead of running before them; this test reads what it printed.
 */
import * as assert from "node:assert/strict";
import { typecheck } from "./readmeRuns";

describe("the TypeScript sources", () => {
    it("type-check with the project's tsconfig, without errors", async () => {
        const r = await typecheck();
        assert.equal(`${r.stdout}${r.stderr}`, "");
        assert.equal(r.code, 0);
    });
});
