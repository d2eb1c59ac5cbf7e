import * as assert from "node:assert/strict";
import { cronScheduleProblem, longestCronGapMinutes, parseCronSchedule } from "../catalog/cron";
import { validateRetrainingTriggerArgs } from "../components/k8s/retraining";
import { resolveSettings } from "../environments/loader";
import { goodRawConfig, problemsIfAny } from "./helpers";

const SUFFIX =
    ' (expected a Kubernetes CronJob schedule: five fields minute hour day-of-month month day-of-week such as "0 3 * * 0", or a descriptor such as @weekly)';

describe("cron schedules, as Kubernetes' API server reads a CronJob's (robfig/cron v3.0.1 ParseStandard; issue 34)", () => {
    it("accepts what ParseStandard accepts: lists, ranges, steps, names, ?, descriptors and @every", () => {
        for (const ok of [
            "0 3 * * 0",
            "*/15 * * * *",
            "0 3 ? * SUN",
            "0 3 * * mon-fri",
            "0 3 1,15 jan-jun *",
            "5/10 3 * * *",
            "0 3 1-31/2 * *",
            "0\t3  * * 0",
            "00 03 * * 0",
            "+5 3 * * 0",
            "0 3 1,,15 * *",
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
            "@every 24h",
            "@every 1h30m",
            "@every 1.5h",
        ])
            assert.equal(cronScheduleProblem(ok), undefined, ok);
    });

    it("refuses what the API server refuses, with robfig's and Kubernetes' own messages", () => {
        const table: Array<[string, string]> = [
            ["61 3 * * 0", "end of range (61) above maximum (59): 61"],
            ["0 24 * * 0", "end of range (24) above maximum (23): 24"],
            ["0 3 0 * *", "beginning of range (0) below minimum (1): 0"],
            ["0 3 * 13 *", "end of range (13) above maximum (12): 13"],
            // Sunday is 0 only: robfig's day-of-week bounds are 0-6.
            ["0 3 * * 7", "end of range (7) above maximum (6): 7"],
            ["0 3 * * 5-2", "beginning of range (5) beyond end of range (2): 5-2"],
            ["a b c d e", 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'],
            ["0 3 * * 0 0", "expected exactly 5 fields, found 6: [0 3 * * 0 0]"],
            ["0 3 * *", "expected exactly 5 fields, found 4: [0 3 * *]"],
            [" @daily", "expected exactly 5 fields, found 1: [@daily]"],
            ["@fortnightly", "unrecognized descriptor: @fortnightly"],
            // Names are robfig's own, not JavaScript's object properties.
            [
                "0 0 1 * constructor",
                'failed to parse int from constructor: strconv.Atoi: parsing "constructor": invalid syntax',
            ],
            [
                "@every 1constructor",
                'failed to parse duration @every 1constructor: time: unknown unit "constructor" in duration "1constructor"',
            ],
            ["@every 1", 'failed to parse duration @every 1: time: missing unit in duration "1"'],
            ["@every 1d", 'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"'],
            ["*/0 3 * * 0", "step of range should be a positive number: */0"],
            ["*/-5 3 * * 0", "negative number (-5) not allowed: -5"],
            ["1-2-3 3 * * 0", "too many hyphens: 1-2-3"],
            ["*/2/2 3 * * 0", "too many slashes: */2/2"],
            ["", "empty spec string"],
            ["CRON_TZ=UTC 0 3 * * 0", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"],
            ["TZ=Europe/Paris 0 3 * * 0", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"],
        ];
        for (const [bad, why] of table) assert.equal(cronScheduleProblem(bad), why + SUFFIX, JSON.stringify(bad));
    });

    it("refuses a schedule the API server takes but that never starts a run", () => {
        const never =
            "the schedule never starts a run (no day matches it, or a field lists no value): Kubernetes would accept it and never start a run";
        for (const bad of ["0 3 30 2 *", "0 3 31 4,6,9,11 *", ", 3 * * *"])
            assert.equal(cronScheduleProblem(bad), never, bad);
        // The 29th of February comes every four years, and is a run.
        assert.equal(cronScheduleProblem("0 3 29 2 *"), undefined);
    });

    it("matches days as robfig does: both day fields must match only when one is a star", () => {
        const spec = parseCronSchedule("0 3 1 * MON");
        assert.equal(spec.kind, "spec");
        if (spec.kind === "spec") {
            assert.deepEqual([...spec.fields.dayOfWeek], [1]);
            assert.equal(spec.fields.dayOfMonthStar || spec.fields.dayOfWeekStar, false);
        }
        // */1 keeps the star (a step over 1 clears it), so only Mondays match.
        assert.equal(longestCronGapMinutes("0 3 */1 * MON"), 7 * 24 * 60);
        assert.equal(longestCronGapMinutes("0 3 */2 * MON") !== 7 * 24 * 60, true);
        assert.equal(longestCronGapMinutes("@weekly"), 7 * 24 * 60);
        assert.equal(longestCronGapMinutes("@every 36h"), 36 * 60);
        assert.deepEqual(parseCronSchedule("@every 100ms"), { kind: "every", seconds: 1 });
    });

    it("refuses a bad schedule in the stack's config by its key, and in RetrainingTrigger's arguments", () => {
        assert.deepEqual(
            problemsIfAny(() =>
                resolveSettings(
                    "prod",
                    goodRawConfig({ "llm-platform:retraining": JSON.stringify({ schedule: "61 3 * * 0" }) }),
                ),
            ),
            [
                `llm-platform:retraining.schedule: end of range (61) above maximum (59): 61${SUFFIX}, received "61 3 * * 0"`,
            ],
        );
        assert.deepEqual(
            problemsIfAny(() =>
                resolveSettings(
                    "prod",
                    goodRawConfig({ "llm-platform:retraining": JSON.stringify({ schedule: "@weekly" }) }),
                ),
            ),
            [],
        );
        // A schedule no cooldown can follow is the schedule's problem; the gap is said as it is.
        const retraining = (r: object) =>
            problemsIfAny(() =>
                resolveSettings("prod", goodRawConfig({ "llm-platform:retraining": JSON.stringify(r) })),
            );
        assert.deepEqual(retraining({ schedule: "@every 0s", cooldownHours: 1 }), [
            'llm-platform:retraining.schedule: expected runs more than an hour apart: this schedule starts one at least every 0.02 minutes, so no cooldown (1 hour at the shortest) leaves a drift alert room to start a run, received "@every 0s"',
        ]);
        assert.deepEqual(retraining({ schedule: "@every 90m", cooldownHours: 2 }), [
            "llm-platform:retraining.cooldownHours: expected an integer under 2: the schedule (@every 90m) starts a run at least every 1.5 hours, and the cooldown counts from any run, so a drift alert could never start one, received 2",
        ]);
        const problems = validateRetrainingTriggerArgs({
            image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/train@sha256:${"a".repeat(64)}`,
            schedule: "0 3 * * 7",
            dataWindowDays: 30,
            cooldownHours: 24,
            timeoutHours: 12,
            gpus: 1,
            models: [],
        } as unknown as Parameters<typeof validateRetrainingTriggerArgs>[0]);
        assert.ok(
            problems.includes(`schedule: end of range (7) above maximum (6): 7${SUFFIX}, received "0 3 * * 7"`),
            problems.join("\n"),
        );
    });
});
