/**
 * An idempotent deploy of a stack whose models release blue-green (`llm-platform deploy`): the
 * stack, not the stack file, holds which colour serves. The file's `activeColor` only seeds a new
 * stack; a promotion's flip stays where its `pulumi up` put it, and the next deploy keeps it.
 *
 * For each blue-green model on EKS, against what the stack serves (its `llmPlatformReleases`
 * output, written by the last update):
 *   - the active colour is pinned in the runner's copy of the config, so no update flips it back;
 *   - a commit that changes the active colour's release is refused before anything runs (it would
 *     replace production's pods in place, with no smoke test and no way back);
 *   - a commit that changes the inactive colour's release is pending: the update leaves that
 *     colour as it runs, then the promotion deploys the new release to it, smoke-tests it, holds it
 *     to the quality gate, flips, verifies, and puts the old release back on failure;
 *   - anything else is the update alone.
 * A second run of the same commit finds the new release serving and changes nothing.
 */
import type { ReleaseContract } from "../../components/release";
import { releaseObjectAt } from "./contract";
import { otherColor, type Color } from "./machine";

/** A value to write over the runner's copy of the stack config before any update: `<configKey>.<path>`. */
export interface ConfigPin {
    configKey: string;
    path: string;
    value: string;
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

/**
 * What a deploy of the committed config `values` (the stack file as the checkout holds it, values
 * as `pulumi config --json` gives them) does to a stack serving `contracts`.
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
        // No release object: the model's defaults (blue, and each colour's default release).
        const committed = releaseObjectAt(values, c.configKey) ?? {};
        const active = c.activeColor;
        const inactive = otherColor(active);
        const colour = (k: Color): CommittedColour | undefined =>
            typeof committed[k] === "object" && committed[k] !== null ? (committed[k] as CommittedColour) : undefined;
        const seeded = committed.activeColor === "green" ? "green" : "blue";
        if (seeded !== active) {
            plan.pins.push({ configKey: c.configKey, path: "activeColor", value: active });
            plan.notices.push(
                `model ${c.model}: ${active} serves (stack ${stackName}'s ${"llmPlatformReleases"} output), the stack file says activeColor ${seeded}: the deploy keeps ${active}; the file's activeColor only seeds a new stack`,
            );
        }
        const activeChange = releaseChange(colour(active), c.releases[active]);
        if (activeChange !== undefined) {
            plan.problems.push(
                `model ${c.model}: the commit changes the release of ${active} (${activeChange}), the colour serving production on stack ${stackName}; an update would replace its pods in place, untested. Put the new release in ${c.configKey}.${inactive}, the inactive colour, and keep ${active} as it is: the deploy then smoke-tests ${inactive} and flips to it`,
            );
            continue;
        }
        if (releaseChange(colour(inactive), c.releases[inactive]) === undefined) continue;
        const next = colour(inactive)!;
        const live = c.releases[inactive];
        // The update leaves the inactive colour as it runs; the promotion deploys the new release.
        if (next.modelVersion !== live.modelVersion)
            plan.pins.push({ configKey: c.configKey, path: `${inactive}.modelVersion`, value: live.modelVersion });
        const image = typeof next.image === "string" && next.image !== "" ? next.image : undefined;
        if (image !== undefined && live.image !== null && next.image !== live.image)
            plan.pins.push({ configKey: c.configKey, path: `${inactive}.image`, value: live.image });
        plan.pending.push({
            model: c.model,
            colour: inactive,
            modelVersion: typeof next.modelVersion === "string" ? next.modelVersion : live.modelVersion,
            ...(image !== undefined ? { image } : {}),
        });
    }
    return plan;
}
