/**
 * How a component refuses its arguments: one error listing every problem, tied to the component
 * (`pulumi.ResourceError`, as pulumi-eks does), so that the Pulumi CLI prints the message against
 * the component's URN without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";

/** Throws when `problems` is not empty: `<Kind> "<name>": invalid arguments:` then one line each. */
export function assertValid(component: pulumi.Resource, kind: string, name: string, problems: readonly string[]): void {
    if (problems.length === 0) return;
    throw new pulumi.ResourceError(
        `${kind} "${name}": invalid arguments:\n  ${problems.join("\n  ")}`,
        component,
        /* hideStack */ true,
    );
}
