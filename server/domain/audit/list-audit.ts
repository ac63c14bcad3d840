import { z } from "zod";
import type { Actor, Db } from "../types";
import { verifyAudit } from "./ledger";

export const ZListAuditInput = z.object({
  action: z.string().trim().max(100).optional(),
  actor: z.string().trim().max(254).optional(),
  subjectType: z.string().trim().max(100).optional(),
  /** Page by sequence: entries with seq below this one. */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export async function listAudit(db: Db, actor: Actor, input: z.infer<typeof ZListAuditInput>) {
  const entries = await db.auditEntry.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(input.action ? { action: { startsWith: input.action } } : {}),
      ...(input.actor ? { actorLabel: { contains: input.actor, mode: "insensitive" } } : {}),
      ...(input.subjectType ? { subjectType: input.subjectType } : {}),
      ...(input.before ? { seq: { lt: input.before } } : {}),
    },
    orderBy: { seq: "desc" },
    take: input.limit + 1,
  });
  const page = entries.slice(0, input.limit);
  return {
    entries: page.map((e) => ({
      seq: e.seq,
      at: e.at,
      actor: e.actorLabel,
      action: e.action,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      payload: e.payload,
      hash: e.hash,
      prevHash: e.prevHash,
    })),
    nextBefore: entries.length > input.limit ? page.at(-1)?.seq : undefined,
  };
}

export async function verifyWorkspaceAudit(db: Db, actor: Actor) {
  return verifyAudit(db, actor.workspaceId);
}
