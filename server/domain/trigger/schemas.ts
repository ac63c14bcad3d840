import { z } from "zod";

/** A workflow whose trigger is managed. */
export const ZWorkflowRefInput = z.object({ workflowId: z.uuid("Not a workflow id.") });

/** Listing schedules: optionally one workflow's. */
export const ZListSchedulesInput = z
  .object({ workflowId: z.uuid("Not a workflow id.").optional() })
  .default({});
