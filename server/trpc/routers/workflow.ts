import { createFromTemplate } from "@/server/domain/workflow/create-from-template";
import {
  ZCreateFromTemplateInput,
  ZCreateVersionInput,
  ZCreateWorkflowInput,
  ZListWorkflowsInput,
  ZRenameWorkflowInput,
  ZSaveDraftInput,
  ZVersionRef,
  ZWorkflowId,
} from "@/server/domain/workflow/schemas";
import {
  compileDraft,
  createVersion,
  getVersion,
  listVersions,
  restoreVersion,
  saveDraft,
} from "@/server/domain/workflow/versions";
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
  createFromTemplate: workspaceProcedure("editor")
    .input(ZCreateFromTemplateInput)
    .mutation(({ ctx, input }) => createFromTemplate(ctx.db, ctx.actor, input)),
  rename: workspaceProcedure("editor")
    .input(ZRenameWorkflowInput)
    .mutation(({ ctx, input }) => renameWorkflow(ctx.db, ctx.actor, input)),
  delete: workspaceProcedure("editor")
    .input(ZWorkflowId)
    .mutation(({ ctx, input }) => deleteWorkflow(ctx.db, ctx.actor, input)),
  restore: workspaceProcedure("editor")
    .input(ZWorkflowId)
    .mutation(({ ctx, input }) => restoreWorkflow(ctx.db, ctx.actor, input)),
  /** The server's diagnostics for the stored draft. */
  compile: workspaceProcedure("viewer")
    .input(ZWorkflowId)
    .query(({ ctx, input }) => compileDraft(ctx.db, ctx.actor, input)),
  saveDraft: workspaceProcedure("editor")
    .input(ZSaveDraftInput)
    .mutation(({ ctx, input }) => saveDraft(ctx.db, ctx.actor, input)),
  createVersion: workspaceProcedure("editor")
    .input(ZCreateVersionInput)
    .mutation(({ ctx, input }) => createVersion(ctx.db, ctx.actor, input)),
  listVersions: workspaceProcedure("viewer")
    .input(ZWorkflowId)
    .query(({ ctx, input }) => listVersions(ctx.db, ctx.actor, input)),
  getVersion: workspaceProcedure("viewer")
    .input(ZVersionRef)
    .query(({ ctx, input }) => getVersion(ctx.db, ctx.actor, input)),
  restoreVersion: workspaceProcedure("editor")
    .input(ZVersionRef)
    .mutation(({ ctx, input }) => restoreVersion(ctx.db, ctx.actor, input)),
});
