/**
 * A session's fault profile (issue 16): per mock system, the rules the mocks' `_faults` API
 * takes (latency, error, timeout and malformed rates per operation). Replacing it applies to the
 * session's next mock call: the run wiring reads the profile for every sandboxed call, and the
 * session's live mock state gets the new rules at once (its data is kept).
 */
import { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db } from "../types";
import type { SandboxDeps } from "./ports";
import { ZFaultProfile, type FaultProfile } from "./schemas";
import { getSession, mayUse, type SandboxSessionView } from "./sessions";

export const ZSetFaultsInput = z.object({
  id: z.uuid("Not a session id."),
  faultProfile: ZFaultProfile,
});

/** Replaces a session's fault profile (its creator or an admin; the session open). */
export async function setSessionFaults(
  db: Db,
  deps: SandboxDeps,
  actor: Actor,
  raw: z.input<typeof ZSetFaultsInput>,
): Promise<SandboxSessionView> {
  if (!hasRole(actor.role, "editor")) {
    throw new AppError("FORBIDDEN", {
      message: "Only editors and admins of this workspace change a session's faults.",
    });
  }
  const input = ZSetFaultsInput.parse(raw);
  const row = await db.sandboxSession.findFirst({
    where: { id: input.id, workspaceId: actor.workspaceId },
  });
  if (!row || !mayUse(row, actor)) throw notFound("Sandbox session");
  if (row.createdBy !== actor.userId && !hasRole(actor.role, "admin")) {
    throw new AppError("FORBIDDEN", {
      message: "Only the session's creator or an admin may change its faults.",
    });
  }
  const now = deps.now?.() ?? Date.now();
  if (row.closedAt || row.expiresAt.getTime() <= now) {
    throw new AppError("PRECONDITION_FAILED", {
      message: "This sandbox session is closed or expired.",
    });
  }
  const profile: FaultProfile = input.faultProfile;
  await db.$transaction(async (tx) => {
    await tx.sandboxSession.update({ where: { id: row.id }, data: { faultProfile: profile } });
    await appendAudit(tx, actor, {
      action: "sandbox.faults",
      subjectType: "sandbox_session",
      subjectId: row.id,
      payload: { faultProfile: profile },
    });
  });
  deps.mockState.setFaults?.(row.id, profile);
  return getSession(db, deps, actor, { id: row.id });
}
