/**
 * An idempotent deploy of a stack whose models release blue-green (`llm-platform deploy`): the
 * stack, not the stack file, holds which colour serves. The file's `activeColor` only seeds a new
 * stack; a promotion's flip stays where its `pulumi up` put it, and the next deploy keeps it.
 *
 * For each blue-green model on EKS, against what the stack serves (its `llmPlatformReleases`
 * output, written by the last update), the model found in the stack file by its name:
 *   - the serving colour and both colours' releases are pinned in the runner's copy of the config,
 *     so no update flips a model or changes what a colour runs: only a promotion does;
 *   - a commit that changes the active colour's release is refused before anything runs (it would
 *     replace production's pods in place, with no smoke test and no way back);
 *   - a commit that changes the inactive colour's release (in the model's own release object) is
 *     pending: the update leaves that colour as it runs, then the promotion deploys the new
 *     release to it, smoke-tests it, holds it to the quality gate, flips, verifies, and puts the
 *     old release back on failure;
 *   - anything else is the update alone.
 * A second run of the same commit finds the new release serving and changes nothing.
 */
import type { ReleaseContract } from "../../components/release";
import { releaseObjectAt, splitConfigKey } from "./contract";
import { otherColor, type Color } from "./machine";

/** A value to write over the runner's copy of the stack config before any update: `<configKey>.<path>`. */
export interface ConfigPin {
    /** The model it keeps, and which of its keys: a colour's release, the serving colour, scaleDownInactive, or the record of the last flip. */
    model: string;
    colour: Color | "activeColor" | "scaleDownInactive" | "lastFlip";
    /** A boolean setting rather than a release: pinned while another model is promoted, not by a deploy. */
    type?: "bool";
    configKey: string;
    path: string;
    /** Undefined: the key is removed (the stack has no such value). */
    value: string | undefined;
}

/** A model whose inactive colour the commit gives a new release, and that release. */
export interface PendingRelease {
    model: string;
    colour: Color;
    modelVersion: string;
    /** By digest; unset: the colour keeps its image. */
    image?: string;
}

export interface DeployPlan {
    pins: ConfigPin[];
    pending: PendingRelease[];
    /** Why the deploy is refused; nothing has run. */
    problems: string[];
    /** What the deploy does that the stack file does not say, one line each. */
    notices: string[];
}

interface CommittedColour {
    modelVersion?: unknown;
    image?: unknown;
}

/** How the committed release of `colour` differs from the one the stack runs, or undefined when it does not. */
function releaseChange(
    committed: CommittedColour | undefined,
    live: ReleaseContract["releases"]["blue"],
): string | undefined {
    const changes: string[] = [];
    if (typeof committed?.modelVersion === "string" && committed.modelVersion !== live.modelVersion)
        changes.push(`modelVersion ${live.modelVersion} → ${committed.modelVersion}`);
    // An unset image is the stack's own build, which the contract shows resolved: only a pinned
    // image can differ from what runs.
    if (typeof committed?.image === "string" && committed.image !== "" && committed.image !== live.image)
        changes.push(`image ${live.image ?? "(the stack's)"} → ${committed.image}`);
    return changes.length > 0 ? changes.join(", ") : undefined;
}

/** `key` and `path` back into a config key: `ns:name.a[1].b`. */
function joinConfigKey(key: string, path: ReadonlyArray<string | number>): string {
    return `${key}${path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")}`;
}

/**
 * Where the committed config holds `c`'s release now. A contract in a list (`ns:models[1]`) is
 * found by its entry's `name`, since a commit may insert, remove or reorder models; undefined when
 * the list no longer has it.
 */
export function locateRelease(values: Readonly<Record<string, string>>, c: ReleaseContract): string | undefined {
    const { key, path } = splitConfigKey(c.configKey);
    const last = path[path.length - 1];
    if (typeof last !== "number") return c.configKey;
    // The list is gone from the file: so is the model.
    if (values[key] === undefined) return undefined;
    let list: unknown;
    try {
        list = JSON.parse(values[key]);
    } catch {
        return c.configKey;
    }
    for (const step of path.slice(0, -1)) list = (list as Record<string | number, unknown> | undefined)?.[step];
    if (!Array.isArray(list)) return c.configKey;
    const named = (e: unknown): string | undefined =>
        typeof e === "object" && e !== null && typeof (e as { name?: unknown }).name === "string"
            ? (e as { name: string }).name
            : undefined;
    // Entries without names are taken by position, as the program takes them.
    if (named(list[last]) === undefined && list.every((e) => named(e) === undefined)) return c.configKey;
    const at = list.findIndex((e) => named(e) === c.model);
    return at < 0 ? undefined : joinConfigKey(key, [...path.slice(0, -1), at]);
}

/**
 * What a deploy of the committed config `values` (the stack file as the checkout holds it, values
 * as `pulumi config --json` gives them) does to a stack serving `contracts`.
 *
 * Every blue-green model is pinned to what it runs: its serving colour, and each colour's model
 * version and image. So the update changes no release, whatever the file says or its defaults
 * inherit (a release object a model shares, a default version, a rebuilt default image); only a
 * promotion does, and a rollback flips to exactly what ran before.
 */
export function planDeploy(
    contracts: readonly ReleaseContract[],
    values: Readonly<Record<string, string>>,
    stackName: string,
): DeployPlan {
    const plan: DeployPlan = { pins: [], pending: [], problems: [], notices: [] };
    for (const c of contracts) {
        // ECS releases by its own deployments, a canary by Flagger: an update is their release.
        if (c.platform !== "eks" || c.strategy !== "blue-green") continue;
        const configKey = locateRelease(values, c);
        if (configKey === undefined) {
            plan.notices.push(`model ${c.model}: no longer in the stack file; the update removes it`);
            continue;
        }
        // No release object: the model's defaults (blue, and each colour's default release).
        const committed = releaseObjectAt(values, configKey) ?? {};
        const active = c.activeColor;
        const inactive = otherColor(active);
        const colour = (k: Color): CommittedColour | undefined =>
            typeof committed[k] === "object" && committed[k] !== null ? (committed[k] as CommittedColour) : undefined;
        const pin = (path: string, value: string | undefined): void =>
            void plan.pins.push({
                model: c.model,
                colour: path.split(".")[0] as Color | "activeColor" | "lastFlip",
                configKey,
                path,
                value,
            });
        pin("activeColor", active);
        // Another promotion of this model may be warming a colour up (scaleDownInactive off): an
        // update of another model's promotion keeps that; a deploy applies the file's setting.
        plan.pins.push({
            model: c.model,
            colour: "scaleDownInactive",
            type: "bool",
            configKey,
            path: "scaleDownInactive",
            value: String(c.scaleDownInactive),
        });
        for (const k of ["blue", "green"] as const) {
            pin(`${k}.modelVersion`, c.releases[k].modelVersion);
            const image = c.releases[k].image;
            if (image !== null) pin(`${k}.image`, image);
        }
        // The record of the last flip, as the stack holds it (none: removed from the file too).
        const flip = c.lastFlip ?? undefined;
        if (flip === undefined) pin("lastFlip", undefined);
        else {
            pin("lastFlip.activeColor", flip.activeColor);
            for (const k of ["blue", "green"] as const) {
                pin(`lastFlip.${k}.modelVersion`, flip.releases[k].modelVersion);
                pin(`lastFlip.${k}.image`, flip.releases[k].image ?? undefined);
            }
        }
        if (typeof committed.activeColor === "string" && committed.activeColor !== active)
            plan.notices.push(
                `model ${c.model}: ${active} serves (stack ${stackName}'s llmPlatformReleases output), the stack file says activeColor ${committed.activeColor}: the deploy keeps ${active}; the file's activeColor only seeds a new stack`,
            );
        const activeChange = releaseChange(colour(active), c.releases[active]);
        if (activeChange !== undefined) {
            plan.problems.push(
                `model ${c.model}: the commit changes the release of ${active} (${activeChange}), the colour serving production on stack ${stackName}; an update would replace its pods in place, untested. Put the new release in ${configKey}.${inactive}, the inactive colour, and keep ${active} as it is: the deploy then smoke-tests ${inactive} and flips to it`,
            );
            continue;
        }
        if (releaseChange(colour(inactive), c.releases[inactive]) === undefined) continue;
        const next = colour(inactive)!;
        const image = typeof next.image === "string" && next.image !== "" ? next.image : undefined;
        plan.pending.push({
            model: c.model,
            colour: inactive,
            modelVersion: typeof next.modelVersion === "string" ? next.modelVersion : c.releases[inactive].modelVersion,
            ...(image !== undefined ? { image } : {}),
        });
    }
    return plan;
}
