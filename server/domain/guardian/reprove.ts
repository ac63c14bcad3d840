/**
 * A proof kept up with its group (issue 18, item 4). A proven fix waits for a second person
 * with its proof: "k of k recorded failures fixed". When the group records another failure of
 * the version the fix patches before anyone decided, and the proof had room for it (it runs at
 * most PROOF_FAILING_RUNS failing inputs), the proof no longer covers what the approver is
 * asked about: the waiting `fix` approval is voided, the proposal goes back to `proposed`, and
 * the background proofs prove it again on the group as it is now (a new approval follows a
 * passing proof). Recorded in the ledger as `guardian.proposal.reprove`.
 *
 * A decision taken first stands: once the approval is no longer pending, nothing changes here.
 */
import { appendAudit } from "../audit/ledger";
import type { Db } from "../types";
import { failingSources } from "./proof";
import { uncovered, type Proof } from "./proof-evaluate";
import { guardianActor, voidWaitingApproval } from "./review-state";

/** Rolls the transaction back: the proposal changed under it. */
class Changed extends Error {}

/**
 * Sends the proven, undecided proposals of `groupIds` whose proofs miss failures recorded since
 * back to be proved again; the number sent back.
 *
 * @example
 * await reproveOnGrowth(db, ["<group id>"]); // 1: its approval voided, the proposal `proposed`
 */
export async function reproveOnGrowth(db: Db, groupIds: readonly string[]): Promise<number> {
  if (!groupIds.length) return 0;
  const proven = await db.guardianProposal.findMany({
    where: { groupId: { in: [...groupIds] }, status: "proven", approvalId: { not: null } },
    select: {
      id: true,
      workspaceId: true,
      groupId: true,
      baseIrHash: true,
      approvalId: true,
      proof: true,
    },
  });
  let sent = 0;
  for (const p of proven) {
    const proof = p.proof as unknown as Proof | null;
    const missing = uncovered(proof, await failingSources(db, p));
    if (!missing.length) continue;
    const done = await db
      .$transaction(async (tx) => {
        // The approval first: a decision already taken on it stands.
        if (!(await voidWaitingApproval(tx, p.approvalId!))) return false;
        const back = await tx.guardianProposal.updateMany({
          where: { id: p.id, status: "proven", approvalId: p.approvalId },
          data: { status: "proposed", approvalId: null, updatedAt: new Date() },
        });
        // Decided or voided another way meanwhile: the approval stays as it was.
        if (!back.count) throw new Changed();
        await appendAudit(tx, guardianActor(p.workspaceId), {
          action: "guardian.proposal.reprove",
          subjectType: "guardian_proposal",
          subjectId: p.id,
          payload: {
            groupId: p.groupId,
            voidedApprovalId: p.approvalId,
            provedOn: proof?.of ?? 0,
            recordedSince: missing.length,
          },
        });
        return true;
      })
      .catch((e: unknown) => {
        if (e instanceof Changed) return false;
        throw e;
      });
    if (done) sent++;
  }
  return sent;
}
