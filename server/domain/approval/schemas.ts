/**
 * The approval use cases' inputs (tRPC `approval.*`, later the REST API's `/api/v1/approvals`).
 */
import { z } from "zod";
import { APPROVAL_KINDS } from "./types";

const ZComment = z.string().trim().max(2000, "Use at most 2000 characters.");

export const ZListApprovalsInput = z
  .object({
    /** `pending` (default), `decided` (approved, rejected, submitted, expired, voided) or `all`. */
    status: z.enum(["pending", "decided", "all"]).default("pending"),
    kind: z.enum(APPROVAL_KINDS).optional(),
    workflowId: z.uuid("Not a workflow id.").optional(),
    runId: z.uuid("Not a run id.").optional(),
    cursor: z.uuid("Not an approval id.").optional(),
    limit: z.number().int().min(1).max(100).default(50),
  })
  .default({ status: "pending", limit: 50 });

export const ZApprovalId = z.object({ id: z.uuid("Not an approval id.") });

export const ZDecideApprovalInput = z.object({
  id: z.uuid("Not an approval id."),
  decision: z.enum(["approve", "reject", "submit"]),
  /** Required to reject. */
  comment: ZComment.optional(),
  /** Required for a replay or reprocess approval: the hash of the plan being approved. */
  planHash: z.string().trim().max(128, "Use at most 128 characters.").optional(),
  /** A form's values (`submit`), validated against the form's JSON Schema. */
  values: z.record(z.string().max(200), z.unknown()).optional(),
});

export const ZBreakGlassInput = z.object({
  id: z.uuid("Not an approval id."),
  decision: z.enum(["approve", "reject"]),
  reason: z
    .string()
    .trim()
    .min(10, "Say why, in at least 10 characters.")
    .max(2000, "Use at most 2000 characters."),
});
