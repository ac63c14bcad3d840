/** Inputs of the review, proof and metrics use cases (tRPC `guardianReview.*`). */
import { z } from "zod";

export const ZProposalId = z.object({ id: z.uuid("Not a proposal id.") });

export const ZAcceptProposalInput = z.object({
  id: z.uuid("Not a proposal id."),
  comment: z.string().trim().max(2000, "Use at most 2000 characters.").optional(),
  /** Also ask for replays of the group's failed runs on the released version. */
  replay: z.boolean().default(false),
});
export type AcceptProposalInput = z.infer<typeof ZAcceptProposalInput>;

export const ZRejectProposalInput = z.object({
  id: z.uuid("Not a proposal id."),
  reason: z
    .string()
    .trim()
    .min(3, "Say why the fix is rejected.")
    .max(2000, "Use at most 2000 characters."),
});
export type RejectProposalInput = z.infer<typeof ZRejectProposalInput>;

export const ZMetricsInput = z
  .object({
    workflowId: z.uuid("Not a workflow id.").optional(),
    /** The window the figures cover, in days (default 30). */
    days: z.number().int().min(1).max(365).default(30),
  })
  .default({ days: 30 });
export type MetricsInput = z.input<typeof ZMetricsInput>;
