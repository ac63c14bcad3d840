import { z } from "zod";

export const ZWorkflowName = z
  .string()
  .trim()
  .min(1, { message: "Name the workflow.", abort: true })
  .max(80, "Use at most 80 characters.")
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u,
    "Use letters, digits, spaces, dots, dashes and underscores.",
  );

export const ZWorkflowId = z.object({ id: z.uuid("Not a workflow id.") });

export const ZListWorkflowsInput = z
  .object({ deleted: z.boolean().default(false) })
  .default({ deleted: false });

export const ZCreateWorkflowInput = z.object({
  name: ZWorkflowName,
  description: z.string().trim().max(500, "Use at most 500 characters.").default(""),
  /** Initial DSL text; a minimal flow is generated when omitted. */
  dsl: z.string().max(1_000_000, "Flows are limited to 1 MB of text.").optional(),
});

export const ZRenameWorkflowInput = z.object({
  id: z.uuid("Not a workflow id."),
  name: ZWorkflowName,
});
