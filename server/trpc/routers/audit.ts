import {
  listAudit,
  listAuditSubjectTypes,
  verifyWorkspaceAudit,
  ZListAuditInput,
} from "@/server/domain/audit/list-audit";
import { router, workspaceProcedure } from "../init";

export const auditRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListAuditInput)
    .query(({ ctx, input }) => listAudit(ctx.db, ctx.actor, input)),
  /** The subject types the filter offers (every type an entry can have). */
  subjectTypes: workspaceProcedure("viewer").query(() => listAuditSubjectTypes()),
  verify: workspaceProcedure("viewer").query(({ ctx }) => verifyWorkspaceAudit(ctx.db, ctx.actor)),
});
