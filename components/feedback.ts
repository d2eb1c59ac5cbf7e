/**
 * The feedback record: what a client says about one answer, checked at the edge that accepts it
 * (`parseFeedback`) before it goes on the FeedbackStore's stream, one JSON line a record.
 *
 *   {"requestId": "chatcmpl-8f2…", "model": "chat", "modelVersion": "v2", "rating": -1,
 *    "text": "The dosage it gave is wrong.", "createdAt": "2026-11-30T08:00:00Z"}
 */
import type { z } from "zod";
import { feedbackSchema } from "./feedbackSchema";

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
