/**
 * The evaluation sets the settings name, read when the program runs (`plan`, `pulumi preview` and
 * `up`), not first by `promote` (issue 34): a set that is missing, not UTF-8 or malformed is a
 * configuration problem naming the key that points at it.
 */
import * as path from "node:path";
import { findProjectFile } from "../engine/project";
import { EvaluationSetError, loadEvaluationSet } from "./evaluation";
import type { ConfigProblem } from "../../environments/loader";
import { CONFIG_NAMESPACE, type Settings } from "../../environments/schema";

/** The project's root: the nearest folder from `start` up holding a project file (`Pulumi.json`, `.yaml` or `.yml`); `start` when none does. */
export function projectRoot(start: string): string {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
        if (findProjectFile(dir) !== undefined) return dir;
        if (path.dirname(dir) === dir) return path.resolve(start);
    }
}

/** Each evaluation set the settings name (serving's, and each model's own), read from `projectDir`. */
export function evaluationSetProblems(settings: Settings, projectDir: string): ConfigProblem[] {
    const sets: Array<[string, string | undefined]> = [
        [`${CONFIG_NAMESPACE}:serving.evaluation.set`, settings.serving.evaluation.set],
        ...(settings.models ?? []).map((m, i): [string, string | undefined] => [
            `${CONFIG_NAMESPACE}:models[${i}].evaluation.set`,
            m.evaluation?.set,
        ]),
    ];
    const problems: ConfigProblem[] = [];
    for (const [key, set] of sets) {
        if (set === undefined) continue;
        try {
            loadEvaluationSet(path.join(projectDir, set));
        } catch (e) {
            if (!(e instanceof EvaluationSetError)) throw e;
            const reason = e.message.replace(/^evaluation set \S+:? ?/, "");
            problems.push({
                key,
                expected: `expected an evaluation set in the project (a JSON Lines file, path relative to ${projectDir}): ${reason}`,
                received: JSON.stringify(set),
            });
        }
    }
    return problems;
}
