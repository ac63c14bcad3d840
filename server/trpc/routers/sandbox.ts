import {
  closeSession,
  createSession,
  getSession,
  listSessions,
  shareSession,
} from "@/server/domain/sandbox/sessions";
import {
  ZCreateSessionInput,
  ZListSessionsInput,
  ZSessionId,
  ZShareSessionInput,
} from "@/server/domain/sandbox/schemas";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * Sandbox sessions (issue 16): editors create, share and close; viewers read the sessions they
 * created or that are shared with them.
 */
export const sandboxRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListSessionsInput)
    .query(({ ctx, input }) => listSessions(ctx.db, servicesOf(ctx).sandbox, ctx.actor, input)),
  get: workspaceProcedure("viewer")
    .input(ZSessionId)
    .query(({ ctx, input }) => getSession(ctx.db, servicesOf(ctx).sandbox, ctx.actor, input)),
  create: workspaceProcedure("editor")
    .input(ZCreateSessionInput)
    .mutation(({ ctx, input }) => createSession(ctx.db, servicesOf(ctx).sandbox, ctx.actor, input)),
  share: workspaceProcedure("editor")
    .input(ZShareSessionInput)
    .mutation(({ ctx, input }) => shareSession(ctx.db, servicesOf(ctx).sandbox, ctx.actor, input)),
  close: workspaceProcedure("editor")
    .input(ZSessionId)
    .mutation(({ ctx, input }) => closeSession(ctx.db, servicesOf(ctx).sandbox, ctx.actor, input)),
});
