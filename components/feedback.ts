/**
 * The feedback record: what a client says about one answer, checked at the edge that accepts it
 * (`parseFeedback`) before it goes on the FeedbackStore's stream, one JSON line a record.
 *
 *   {"requestId": "chatcmpl-8f2…", "model": "chat", "modelVersion": "v2", "rating": -1,
 *    "text": "The dosage it gave is wrong.", "createdAt": "2026-11-30T08:00:00Z"}
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

/** A feedback record as {@link parseFeedback} accepts it. */
export interface Feedback {
    /** The completion's id as the API returned it (`id` of the chat completion). */
    requestId: string;
    /** The model's name on the platform (its route), not the served name. */
    model: string;
    /** The release that answered (the colour's model version). */
    modelVersion: string;
    /** -1 bad, 0 neutral, 1 good. */
    rating: -1 | 0 | 1;
    /** What the user wrote, if anything. */
    text?: string;
    /** ISO 8601 time in UTC. */
    createdAt: string;
}

// The interface is the schema's output, both ways (a compile error when they part).
const _sameShape: [Feedback, z.output<typeof feedbackSchema>] = [{} as z.output<typeof feedbackSchema>, {} as Feedback];
void _sameShape;

/** A record ready for the stream (a JSON line), or every problem with the input, each naming its field. */
export function parseFeedback(input: unknown): { record: string } | { problems: string[] } {
    const result = feedbackSchema.safeParse(input);
    if (!result.success)
        return {
            problems: result.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(record)"}: ${i.message}`),
        };
    return { record: `${JSON.stringify(result.data)}\n` };
}
