import { z } from "zod";
import type { ENTITY_KINDS } from "./metrics";

export const ZEntityKind = z.enum(
  ["flow", "block", "endpoint", "model"] satisfies typeof ENTITY_KINDS,
  {
    error: "Use one of: flow, block, endpoint, model.",
  },
);

export const ZListAnomaliesInput = z.object({
  /** Detected at or after this time (ISO 8601). */
  since: z.iso.datetime({ offset: true, error: "Give `since` as an ISO 8601 time." }).optional(),
  kind: ZEntityKind.optional(),
  key: z.string().min(1).max(600).optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** The `id` of the last anomaly of the previous page. */
  cursor: z.uuid({ error: "The cursor is the id of the previous page's last anomaly." }).optional(),
});
export type ListAnomaliesInput = z.infer<typeof ZListAnomaliesInput>;

export const ZAnomalyFeedbackInput = z.object({
  id: z.uuid({ error: "Give the anomaly's id." }),
  feedback: z.enum(["expected", "real"], { error: "Mark it expected or real." }),
});

export const ZEntityStateInput = z.object({
  kind: ZEntityKind,
  key: z.string().min(1).max(600),
});
