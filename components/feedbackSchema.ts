/**
 * The feedback record's schema (zod), kept out of the public declarations: a program that imports
 * the library never loads zod's types (which need `moduleResolution` node16 or bundler).
 */
import { z } from "zod";
import { isModelVersion, MODEL_VERSION_HELP } from "../catalog/formats";

export const feedbackSchema = z.strictObject({
    /** The completion's id as the API returned it (`id` of the chat completion). */
    requestId: z.string({ error: "expected a string" }).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
        error: "expected the completion's id (letters, digits, '.', '_', ':', '-')",
    }),
    /** The model's name on the platform (its route), not the served name. */
    model: z.string({ error: "expected a string" }).regex(/^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/, {
        error: "expected a model name: lower-case letters, digits and '-', starting with a letter, at most 32 characters",
    }),
    /** The release that answered (the colour's modelVersion). */
    modelVersion: z.string({ error: "expected a string" }).refine(isModelVersion, { error: MODEL_VERSION_HELP }),
    /** -1 bad, 0 neutral, 1 good. */
    rating: z.union([z.literal(-1), z.literal(0), z.literal(1)], { error: "expected -1, 0 or 1" }),
    /** What the user wrote, if anything. */
    text: z.string({ error: "expected a string" }).max(4000, { error: "expected at most 4000 characters" }).optional(),
    createdAt: z.iso.datetime({ error: "expected an ISO 8601 time in UTC, such as 2026-11-30T08:00:00Z" }),
});
