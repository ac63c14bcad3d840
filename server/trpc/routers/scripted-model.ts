import {
  attachScriptedModel,
  createScriptedModel,
  deleteScriptedModel,
  getScriptedModel,
  listScriptedModels,
  recordScriptFromRun,
  updateScriptedModel,
} from "@/server/domain/sandbox/scripted-models";
import {
  ZAttachScriptInput,
  ZCreateScriptInput,
  ZRecordFromRunInput,
  ZScriptId,
  ZUpdateScriptInput,
} from "@/server/domain/sandbox/scripted-schemas";
import { router, workspaceProcedure } from "../init";

/**
 * Scripted models (issue 16): viewers read them; editors create, change, delete, attach them to
 * sandbox sessions and add a run's recorded model answers to them.
 */
export const scriptedModelRouter = router({
  list: workspaceProcedure("viewer").query(({ ctx }) => listScriptedModels(ctx.db, ctx.actor)),
  get: workspaceProcedure("viewer")
    .input(ZScriptId)
    .query(({ ctx, input }) => getScriptedModel(ctx.db, ctx.actor, input)),
  create: workspaceProcedure("editor")
    .input(ZCreateScriptInput)
    .mutation(({ ctx, input }) => createScriptedModel(ctx.db, ctx.actor, input)),
  update: workspaceProcedure("editor")
    .input(ZUpdateScriptInput)
    .mutation(({ ctx, input }) => updateScriptedModel(ctx.db, ctx.actor, input)),
  delete: workspaceProcedure("editor")
    .input(ZScriptId)
    .mutation(({ ctx, input }) => deleteScriptedModel(ctx.db, ctx.actor, input)),
  attach: workspaceProcedure("editor")
    .input(ZAttachScriptInput)
    .mutation(({ ctx, input }) => attachScriptedModel(ctx.db, ctx.actor, input)),
  recordFromRun: workspaceProcedure("editor")
    .input(ZRecordFromRunInput)
    .mutation(({ ctx, input }) => recordScriptFromRun(ctx.db, ctx.actor, input)),
});
