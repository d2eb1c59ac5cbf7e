/**
 * Cron schedules as Kubernetes reads a CronJob's `spec.schedule`. The API server validates it
 * with `cron.ParseStandard` of github.com/robfig/cron/v3 (v3.0.1, parser.go and spec.go) and
 * refuses any schedule containing `TZ` (kubernetes/kubernetes
 * pkg/apis/batch/validation/validation.go, validateScheduleFormat: "cannot use TZ or CRON_TZ in
 * schedule, use timeZone field instead"). This module follows that parser rule for rule, with its
 * error messages, so a schedule refused here is one the API server would refuse at `pulumi up`:
 *
 * - five whitespace-separated fields (minute 0–59, hour 0–23, day of month 1–31, month 1–12 or
 *   JAN–DEC, day of week 0–6 or SUN–SAT; names case-insensitive, 7 is not Sunday);
 * - each field a comma list of `*`, `?`, `n`, `n-m`, with an optional `/step` (`n/step` runs to the
 *   field's maximum);
 * - or a descriptor: `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`,
 *   `@hourly`, `@every <Go duration>`.
 *
 * What robfig accepts but never runs (`0 0 30 2 *`, a field of only commas) is refused by
 * `cronScheduleProblem` too: the API server would take it and no run would ever start.
 */

/** The minutes (0–59), hours, days, months and weekdays a five-field schedule matches. */
export interface CronFields {
    minute: Set<number>;
    hour: Set<number>;
    dayOfMonth: Set<number>;
    month: Set<number>;
    dayOfWeek: Set<number>;
    /** robfig's star bit: the day field was `*` or `?` (or with step 1); only then do both day fields have to match. */
    dayOfMonthStar: boolean;
    dayOfWeekStar: boolean;
}

/** A parsed schedule: calendar fields, or a fixed interval (`@every`). */
export type CronSchedule = { kind: "spec"; fields: CronFields } | { kind: "every"; seconds: number };

interface Bounds {
    min: number;
    max: number;
    names?: Record<string, number>;
}

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const BOUNDS: Record<"minute" | "hour" | "dayOfMonth" | "month" | "dayOfWeek", Bounds> = {
    minute: { min: 0, max: 59 },
    hour: { min: 0, max: 23 },
    dayOfMonth: { min: 1, max: 31 },
    month: { min: 1, max: 12, names: Object.fromEntries(MONTH_NAMES.map((n, i) => [n, i + 1])) },
    dayOfWeek: { min: 0, max: 6, names: Object.fromEntries(DAY_NAMES.map((n, i) => [n, i])) },
};

class CronError extends Error {}

/** Go's strconv.Atoi for a value a field holds: optional sign, decimal digits, within int64. */
function atoi(expr: string): number {
    if (!/^[+-]?[0-9]+$/.test(expr))
        throw new CronError(
            `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`,
        );
    const n = Number(expr);
    if (!Number.isSafeInteger(n))
        throw new CronError(
            `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`,
        );
    if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
    return n;
}

const intOrName = (expr: string, b: Bounds): number => {
    const name = expr.toLowerCase();
    return b.names && Object.prototype.hasOwnProperty.call(b.names, name) ? b.names[name] : atoi(expr);
};

/** robfig's getRange: one `*`/`n`/`n-m` with an optional `/step`. */
function range(expr: string, b: Bounds, into: Set<number>): boolean {
    const rangeAndStep = expr.split("/");
    const lowAndHigh = rangeAndStep[0].split("-");
    let start: number;
    let end: number;
    let star = false;
    if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
        [start, end, star] = [b.min, b.max, true];
    } else {
        start = intOrName(lowAndHigh[0], b);
        if (lowAndHigh.length === 1) end = start;
        else if (lowAndHigh.length === 2) end = intOrName(lowAndHigh[1], b);
        else throw new CronError(`too many hyphens: ${expr}`);
    }
    let step = 1;
    if (rangeAndStep.length === 2) {
        step = atoi(rangeAndStep[1]);
        if (lowAndHigh.length === 1) end = b.max;
        if (step > 1) star = false;
    } else if (rangeAndStep.length > 2) throw new CronError(`too many slashes: ${expr}`);
    if (start < b.min) throw new CronError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
    if (end > b.max) throw new CronError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
    if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
    if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
    for (let v = start; v <= end; v += step) into.add(v);
    return star;
}

/** robfig's getField: a comma list of ranges (empty items skipped, as strings.FieldsFunc does). */
function field(text: string, b: Bounds): { values: Set<number>; star: boolean } {
    const values = new Set<number>();
    let star = false;
    for (const expr of text.split(",").filter((e) => e !== "")) star = range(expr, b, values) || star;
    return { values, star };
}

const DESCRIPTORS: Record<string, string> = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
};

const GO_DURATION_UNITS: Record<string, number> = {
    ns: 1e-9,
    us: 1e-6,
    µs: 1e-6,
    μs: 1e-6,
    ms: 1e-3,
    s: 1,
    m: 60,
    h: 3600,
};

/** Go's time.ParseDuration, in seconds (its messages), for `@every`. */
function goDurationSeconds(text: string): number {
    const quoted = JSON.stringify(text);
    let rest = text;
    let sign = 1;
    if (rest.startsWith("-") || rest.startsWith("+")) {
        sign = rest.startsWith("-") ? -1 : 1;
        rest = rest.slice(1);
    }
    if (rest === "0") return 0;
    if (rest === "") throw new CronError(`time: invalid duration ${quoted}`);
    let total = 0;
    while (rest !== "") {
        const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest)!;
        if (m[0] === "" || m[0] === ".") throw new CronError(`time: invalid duration ${quoted}`);
        rest = rest.slice(m[0].length);
        const unit = /^[^0-9.]*/.exec(rest)![0];
        if (unit === "") throw new CronError(`time: missing unit in duration ${quoted}`);
        const scale = Object.prototype.hasOwnProperty.call(GO_DURATION_UNITS, unit)
            ? GO_DURATION_UNITS[unit]
            : undefined;
        if (scale === undefined)
            throw new CronError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
        rest = rest.slice(unit.length);
        total += Number(`${m[1] || "0"}.${m[2] || "0"}`) * scale;
    }
    if (total > 9_223_372_036.854775807) throw new CronError(`time: invalid duration ${quoted}`);
    return sign * total;
}

/**
 * Parses a schedule as the API server does (robfig/cron v3 ParseStandard, then Kubernetes' TZ
 * rule); throws an Error with robfig's or Kubernetes' message when it would refuse it.
 */
export function parseCronSchedule(spec: string): CronSchedule {
    try {
        if (spec.length === 0) throw new CronError("empty spec string");
        if (spec.includes("TZ"))
            throw new CronError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        if (spec.startsWith("@")) {
            const described = Object.prototype.hasOwnProperty.call(DESCRIPTORS, spec) ? DESCRIPTORS[spec] : undefined;
            if (described !== undefined) return parseCronSchedule(described);
            if (spec.startsWith("@every ")) {
                let seconds: number;
                try {
                    seconds = goDurationSeconds(spec.slice("@every ".length));
                } catch (e) {
                    throw new CronError(`failed to parse duration ${spec}: ${(e as Error).message}`);
                }
                // robfig's Every: under a second runs every second; sub-second parts are dropped.
                return { kind: "every", seconds: Math.max(1, Math.floor(seconds)) };
            }
            throw new CronError(`unrecognized descriptor: ${spec}`);
        }
        // Go's strings.Fields: split on unicode.IsSpace (JavaScript's \s differs: it has U+FEFF, not U+0085).
        const fields = spec
            .split(/[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/)
            .filter((f) => f !== "");
        if (fields.length !== 5)
            throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
        const minute = field(fields[0], BOUNDS.minute);
        const hour = field(fields[1], BOUNDS.hour);
        const dayOfMonth = field(fields[2], BOUNDS.dayOfMonth);
        const month = field(fields[3], BOUNDS.month);
        const dayOfWeek = field(fields[4], BOUNDS.dayOfWeek);
        return {
            kind: "spec",
            fields: {
                minute: minute.values,
                hour: hour.values,
                dayOfMonth: dayOfMonth.values,
                month: month.values,
                dayOfWeek: dayOfWeek.values,
                dayOfMonthStar: dayOfMonth.star,
                dayOfWeekStar: dayOfWeek.star,
            },
        };
    } catch (e) {
        if (e instanceof CronError) throw new Error(e.message);
        throw e;
    }
}

const DAY_MS = 86_400_000;
const FROM = Date.UTC(2026, 0, 1);

/** Whether robfig's SpecSchedule.Next runs on a day: when either day field is a star both must match, otherwise either. */
function runsOn(f: CronFields, day: number): boolean {
    const date = new Date(FROM + day * DAY_MS);
    if (!f.month.has(date.getUTCMonth() + 1)) return false;
    const byMonth = f.dayOfMonth.has(date.getUTCDate());
    const byWeek = f.dayOfWeek.has(date.getUTCDay());
    return f.dayOfMonthStar || f.dayOfWeekStar ? byMonth && byWeek : byMonth || byWeek;
}

/** Whether a schedule ever starts a run: some minute, hour and day within a 28-year calendar cycle (leap days included). */
function everRuns(f: CronFields): boolean {
    if (f.minute.size === 0 || f.hour.size === 0) return false;
    for (let day = 0; day < 28 * 366; day++) if (runsOn(f, day)) return true;
    return false;
}

/**
 * The longest gap, in minutes, between two runs of a schedule (UTC) over two years from
 * 2026-01-01; undefined when the expression cannot be read or runs less than twice in that time.
 */
export function longestCronGapMinutes(schedule: string): number | undefined {
    let parsed: CronSchedule;
    try {
        parsed = parseCronSchedule(schedule);
    } catch {
        return undefined;
    }
    if (parsed.kind === "every") return parsed.seconds / 60;
    const f = parsed.fields;
    const minutesOfDay = [...f.hour]
        .sort((a, b) => a - b)
        .flatMap((h) => [...f.minute].sort((a, b) => a - b).map((m) => h * 60 + m));
    let previous: number | undefined;
    let longest: number | undefined;
    for (let day = 0; day < 2 * 366; day++) {
        if (!runsOn(f, day)) continue;
        for (const m of minutesOfDay) {
            const at = day * 1440 + m;
            if (previous !== undefined) longest = Math.max(longest ?? 0, at - previous);
            previous = at;
        }
    }
    return longest;
}

/**
 * Why Kubernetes would refuse a CronJob schedule, or why it would never start a run; undefined
 * when it is a schedule that runs. The message names the rule and an example.
 */
export function cronScheduleProblem(schedule: string): string | undefined {
    let parsed: CronSchedule;
    try {
        parsed = parseCronSchedule(schedule);
    } catch (e) {
        return `${(e as Error).message} (expected a Kubernetes CronJob schedule: five fields minute hour day-of-month month day-of-week such as "0 3 * * 0", or a descriptor such as @weekly)`;
    }
    if (parsed.kind === "spec" && !everRuns(parsed.fields))
        return "the schedule never starts a run (no day matches it, or a field lists no value): Kubernetes would accept it and never start a run";
    return undefined;
}
