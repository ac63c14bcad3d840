import { z } from "zod";

/** The risk of a run about to start: a saved version of a flow (default: its latest) and inputs. */
export const ZRunRiskInput = z.object({
  workflowId: z.uuid("Not a workflow id."),
  version: z.string().trim().min(1).max(64, "Use at most 64 characters.").optional(),
  inputs: z.record(z.string().max(200), z.unknown()).default({}),
});
export type RunRiskInput = z.infer<typeof ZRunRiskInput>;

export const ZHighRiskInput = z.object({
  threshold: z
    .number({ error: "The threshold is a probability between 0 and 1." })
    .min(0, "The threshold is a probability between 0 and 1.")
    .max(1, "The threshold is a probability between 0 and 1.")
    .default(0.5),
});
