/** Inputs of the guardian's use cases (tRPC and REST parse with these). */
import { z } from "zod";
import { TRIAGE_CLASSES } from "./triage";

export const ZGroupId = z.object({ id: z.uuid("Not a group id.") });

export const ZListGroupsInput = z.object({
  class: z.enum(TRIAGE_CLASSES).optional(),
  workflowId: z.uuid("Not a workflow id.").optional(),
  /** `open` (default) or `all` (merged groups too). */
  status: z.enum(["open", "all"]).default("open"),
  limit: z.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(200).optional(),
});
export type ListGroupsInput = z.input<typeof ZListGroupsInput>;

export const ZListProposalsInput = z.object({
  group: z.uuid("Not a group id.").optional(),
  limit: z.number().int().min(1).max(100).default(50),
});
export type ListProposalsInput = z.input<typeof ZListProposalsInput>;

const ZReason = z.string().trim().max(500, "Use at most 500 characters.").default("");

export const ZMergeGroupsInput = z
  .object({
    into: z.uuid("Not a group id."),
    from: z.array(z.uuid("Not a group id.")).min(1, "Pick a group to merge.").max(20),
    reason: ZReason,
  })
  .refine((v) => !v.from.includes(v.into), {
    message: "A group cannot be merged into itself.",
    path: ["from"],
  });
export type MergeGroupsInput = z.input<typeof ZMergeGroupsInput>;

export const ZSplitGroupInput = z.object({
  id: z.uuid("Not a group id."),
  /** The message template to split off (one of the group's members' templates). */
  template: z.string().min(1, "Name the template to split off.").max(1000),
  reason: ZReason,
});
export type SplitGroupInput = z.input<typeof ZSplitGroupInput>;
