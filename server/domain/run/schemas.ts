import { z } from "zod";
import { RUN_OUTCOMES, RUN_STATUSES } from "@/lib/enums";
import { ZFlowText } from "../workflow/schemas";

const ZRunStatus = z.enum(RUN_STATUSES);

export const ZStartRunInput = z
  .object({
    workflowId: z.uuid("Not a workflow id."),
    /** A saved version (e.g. `1.4.0`); omitted: the latest version, else the draft. */
    version: z.string().trim().max(64, "Use at most 64 characters.").optional(),
    /** Run the workflow's stored draft even when versions exist. */
    draft: z.boolean().default(false),
    /**
     * The draft text to run (the studio's text on screen, saved or not): a draft run of exactly
     * this text, compiled on the server. Implies `draft`.
     */
    dsl: ZFlowText.optional(),
    /** The flow's inputs, checked against its `inputs` schema. */
    inputs: z.record(z.string().max(200), z.unknown()).default({}),
    /** Runs inside this sandbox session (open, of the workspace, shared with the caller). */
    sandboxSessionId: z.uuid("Not a sandbox session id.").optional(),
    /**
     * A draft run in a sandbox session: record the caller's pinned step outputs of this flow
     * (`sandbox.pins`) as the steps' results instead of executing them.
     */
    usePins: z.boolean().optional(),
  })
  .refine((i) => !(i.version && (i.draft || i.dsl !== undefined)), {
    message: "Run either a saved version or the draft, not both.",
    path: ["version"],
  })
  .refine((i) => !i.usePins || i.sandboxSessionId !== undefined, {
    message: "Pinned outputs apply only to draft runs in a sandbox session.",
    path: ["usePins"],
  });

export const ZListRunsInput = z
  .object({
    status: ZRunStatus.optional(),
    /**
     * How the run ended, as the run view shows it: `succeeded` lists clean successes only,
     * `succeeded_with_dead_letters` the successes that left a dead letter.
     */
    outcome: z.enum(RUN_OUTCOMES).optional(),
    workflowId: z.uuid("Not a workflow id.").optional(),
    version: z.string().trim().max(64, "Use at most 64 characters.").optional(),
    from: z.iso.datetime({ message: "Use an ISO 8601 time." }).optional(),
    to: z.iso.datetime({ message: "Use an ISO 8601 time." }).optional(),
    cursor: z.uuid("Not a run id.").optional(),
    limit: z.number().int().min(1).max(100).default(50),
  })
  .default({ limit: 50 });

export const ZRunId = z.object({ id: z.uuid("Not a run id.") });

export const ZResumeStepInput = z.object({
  runId: z.uuid("Not a run id."),
  stepId: z.string().trim().min(1, "Name the step.").max(200, "Use at most 200 characters."),
  decision: z.enum(["approve", "reject"]),
  comment: z.string().trim().max(2000, "Use at most 2000 characters.").optional(),
});

export const ZCancelRunInput = z.object({
  id: z.uuid("Not a run id."),
  reason: z.string().trim().max(500, "Use at most 500 characters.").optional(),
});
