import {
  ZCreateWorkflowInput,
  ZListWorkflowsInput,
  ZRenameWorkflowInput,
  ZWorkflowId,
} from "@/server/domain/workflow/schemas";
import {
  createWorkflow,
  deleteWorkflow,
  getWorkflow,
  listWorkflows,
  renameWorkflow,
  restoreWorkflow,
} from "@/server/domain/workflow/workflows";
import { router, workspaceProcedure } from "../init";

export const workflowRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListWorkflowsInput)
    .query(({ ctx, input }) => listWorkflows(ctx.db, ctx.actor, input)),
  get: workspaceProcedure("viewer")
    .input(ZWorkflowId)
    .query(({ ctx, input }) => getWorkflow(ctx.db, ctx.actor, input)),
  create: workspaceProcedure("editor")
    .input(ZCreateWorkflowInput)
    .mutation(({ ctx, input }) => createWorkflow(ctx.db, ctx.actor, input)),
  rename: workspaceProcedure("editor")
    .input(ZRenameWorkflowInput)
    .mutation(({ ctx, input }) => renameWorkflow(ctx.db, ctx.actor, input)),
  delete: workspaceProcedure("editor")
    .input(ZWorkflowId)
    .mutation(({ ctx, input }) => deleteWorkflow(ctx.db, ctx.actor, input)),
  restore: workspaceProcedure("editor")
    .input(ZWorkflowId)
    .mutation(({ ctx, input }) => restoreWorkflow(ctx.db, ctx.actor, input)),
});
