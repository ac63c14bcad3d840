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
import {
  listPins,
  pinFromRun,
  removePin,
  setPin,
  ZListPinsInput,
  ZPinFromRunInput,
  ZRemovePinInput,
  ZSetPinInput,
} from "@/server/domain/sandbox/pins";
import { setSessionFaults, ZSetFaultsInput } from "@/server/domain/sandbox/session-faults";
import { listSessionRuns, ZSessionRunsInput } from "@/server/domain/sandbox/session-runs";
import { sessionFromRun, ZFromRunInput } from "@/server/domain/sandbox/from-run";
import {
  setSessionModelRoutes,
  ZSetModelRoutesInput,
} from "@/server/domain/sandbox/session-models";
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
  // A run copied into a new session with its inputs and recorded answers ("Try in sandbox").
  fromRun: workspaceProcedure("editor")
    .input(ZFromRunInput)
    .mutation(({ ctx, input }) =>
      sessionFromRun(ctx.db, servicesOf(ctx).sandbox, ctx.actor, input),
    ),
  setFaults: workspaceProcedure("editor")
    .input(ZSetFaultsInput)
    .mutation(({ ctx, input }) =>
      setSessionFaults(ctx.db, servicesOf(ctx).sandbox, ctx.actor, input),
    ),
  // Real model routes the session's agent steps may reach (admin only, audited).
  setModelRoutes: workspaceProcedure("admin")
    .input(ZSetModelRoutesInput)
    .mutation(({ ctx, input }) =>
      setSessionModelRoutes(ctx.db, servicesOf(ctx).agents.models, ctx.actor, input),
    ),
  runs: workspaceProcedure("viewer")
    .input(ZSessionRunsInput)
    .query(({ ctx, input }) => listSessionRuns(ctx.db, ctx.actor, input)),
  // Pinned step outputs: the caller's own, per flow (used by draft runs in a session).
  pins: workspaceProcedure("viewer")
    .input(ZListPinsInput)
    .query(({ ctx, input }) => listPins(ctx.db, ctx.actor, input)),
  setPin: workspaceProcedure("editor")
    .input(ZSetPinInput)
    .mutation(({ ctx, input }) => setPin(ctx.db, ctx.actor, input)),
  pinFromRun: workspaceProcedure("editor")
    .input(ZPinFromRunInput)
    .mutation(({ ctx, input }) => pinFromRun(ctx.db, ctx.actor, input)),
  unpin: workspaceProcedure("editor")
    .input(ZRemovePinInput)
    .mutation(({ ctx, input }) => removePin(ctx.db, ctx.actor, input)),
});
