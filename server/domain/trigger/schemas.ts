import { z } from "zod";

/** A workflow whose trigger is managed. */
export const ZWorkflowRefInput = z.object({ workflowId: z.uuid("Not a workflow id.") });

/** Listing schedules: optionally one workflow's. */
export const ZListSchedulesInput = z
  .object({ workflowId: z.uuid("Not a workflow id.").optional() })
  .default({});

/** A cron expression as typed in the schedule editor (checked by the scheduler's parser). */
const ZCron = z.string().max(200, "A cron expression has at most 200 characters.");

/** The next fire times of a cron expression. */
export const ZPreviewScheduleInput = z.object({ cron: ZCron });

/** What starts a flow, set from the Triggers panel (one trigger per flow). */
export const ZSetTriggerInput = z.object({
  workflowId: z.uuid("Not a workflow id."),
  trigger: z.discriminatedUnion("type", [
    z.object({ type: z.literal("manual") }),
    z.object({ type: z.literal("webhook") }),
    z.object({ type: z.literal("schedule"), cron: ZCron }),
  ]),
});
