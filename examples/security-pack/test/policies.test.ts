// The team's policy tested with llm-platform's policy testing kit: the SDK's own semantics, no server.
import * as assert from "node:assert/strict";
import { runResourcePolicy } from "llm-platform/policy-testing";
import { ownerIsATeam } from "../policies";

describe("acme-owner-is-a-team", () => {
    const bucket = (tags: Record<string, string>) => ({ type: "aws:s3/bucket:Bucket", props: { tags } });
    const provider = (Owner: string) => ({
        type: "pulumi:providers:aws",
        props: { defaultTags: JSON.stringify({ tags: { Owner } }) },
    });

    it("passes a team", async () => {
        assert.deepEqual((await runResourcePolicy(ownerIsATeam, bucket({ Owner: "team-ml" }))).violations, []);
    });

    it("names an owner who is not a team, on the resource or from its provider's default tags", async () => {
        assert.deepEqual((await runResourcePolicy(ownerIsATeam, bucket({ Owner: "alice" }))).violations, [
            'Owner "alice" is not a team (team-<name>)',
        ]);
        assert.deepEqual(
            (await runResourcePolicy(ownerIsATeam, { ...bucket({}), provider: provider("ml-platform") })).violations,
            ['Owner "ml-platform" is not a team (team-<name>)'],
        );
    });
});
