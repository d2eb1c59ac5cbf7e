/**
 * What a run of the offline engine reports, in a module that loads nothing heavy: the command
 * line's shared parts (`cli.ts`) use it without loading gRPC, the protocol buffers or the engine.
 */
import type { ExportedResource } from "./stackExport";

export type PlanMode = "preview" | "update";
export const PLAN_MODES: readonly PlanMode[] = ["preview", "update"];

export interface Diagnostic {
    readonly severity: "debug" | "info" | "warning" | "error";
    readonly message: string;
    /** The resource the message is about, when the program named one. */
    readonly urn?: string;
}

/**
 * The program failed under the engine. `configuration` is true when it refused its
 * configuration (the loader's "Invalid configuration" error): bad input, not a bug.
 */
export class ProgramError extends Error {
    constructor(
        message: string,
        readonly configuration: boolean,
        readonly diagnostics: readonly Diagnostic[],
        /** What the program registered before it failed. */
        readonly resources: readonly ExportedResource[],
        /** The program's own output (stdout and stderr). */
        readonly output: string,
    ) {
        super(message);
        this.name = "ProgramError";
    }
}
