import { z } from "zod";
import { TEMPLATE_IDS } from "@/dsl";

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

/** SemVer 2.0.0, as flows and block versions use it. */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export const ZFlowText = z.string().max(1_000_000, "Flows are limited to 1 MB of text.");

export const ZSaveDraftInput = z.object({
  id: z.uuid("Not a workflow id."),
  dsl: ZFlowText,
});

export const ZCreateVersionInput = z.object({
  id: z.uuid("Not a workflow id."),
  version: z
    .string()
    .trim()
    .max(64, "Use at most 64 characters.")
    .regex(SEMVER, "Use a SemVer version such as 1.4.0."),
  message: z.string().trim().max(500, "Use at most 500 characters.").default(""),
  dsl: ZFlowText,
});

export const ZVersionRef = z.object({
  id: z.uuid("Not a workflow id."),
  versionId: z.uuid("Not a version id."),
});

export const ZCreateFromTemplateInput = z.object({
  name: ZWorkflowName,
  description: z.string().trim().max(500, "Use at most 500 characters.").default(""),
  template: z.enum(TEMPLATE_IDS, "Pick one of the templates."),
});
