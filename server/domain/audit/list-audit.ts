import { z } from "zod";
import { isDraftRun } from "@/server/engine/run-kind";
import type { Actor, Db } from "../types";
import { verifyAudit } from "./ledger";
import { AUDIT_SUBJECT_TYPES } from "./subjects";

/** The filters the audit page and the export share. */
export const ZAuditFilters = z.object({
  action: z.string().trim().max(100).optional(),
  actor: z.string().trim().max(254).optional(),
  subjectType: z.string().trim().max(100).optional(),
  /** One subject's history (with `subjectType`, or alone). */
  subjectId: z.string().trim().max(200).optional(),
});
export type AuditFilters = z.infer<typeof ZAuditFilters>;

export const ZListAuditInput = ZAuditFilters.extend({
  /** Page by sequence: entries with seq below this one. */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

/** The Prisma `where` of a workspace's entries matching `filters` (empty filters match all). */
export function auditWhere(workspaceId: string, filters: AuditFilters) {
  return {
    workspaceId,
    ...(filters.action ? { action: { startsWith: filters.action } } : {}),
    ...(filters.actor
      ? { actorLabel: { contains: filters.actor, mode: "insensitive" as const } }
      : {}),
    ...(filters.subjectType ? { subjectType: filters.subjectType } : {}),
    ...(filters.subjectId ? { subjectId: filters.subjectId } : {}),
  };
}

/** What the ledger's subject is now: its current name, and whether it still exists. */
export interface AuditSubjectInfo {
  name: string;
  exists: boolean;
}

export async function listAudit(db: Db, actor: Actor, input: z.infer<typeof ZListAuditInput>) {
  const entries = await db.auditEntry.findMany({
    where: {
      ...auditWhere(actor.workspaceId, input),
      ...(input.before ? { seq: { lt: input.before } } : {}),
    },
    orderBy: { seq: "desc" },
    take: input.limit + 1,
  });
  const page = entries.slice(0, input.limit);
  const subjects = await describeSubjects(db, actor.workspaceId, page);
  return {
    entries: page.map((e) => ({
      seq: e.seq,
      at: e.at,
      actor: e.actorLabel,
      action: e.action,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      /** Null where the type has no page of its own or the id is not a record id. */
      subject: subjects.get(`${e.subjectType}:${e.subjectId}`) ?? null,
      payload: e.payload,
      hash: e.hash,
      prevHash: e.prevHash,
    })),
    nextBefore: entries.length > input.limit ? page.at(-1)?.seq : undefined,
  };
}

const isUuid = (s: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

type SubjectLookup = (db: Db, workspaceId: string, ids: string[]) => Promise<Map<string, string>>;

/**
 * The current name of each subject kind that has one, looked up for one page of entries (one
 * query per kind present, always inside the workspace). A deleted subject is absent from the map.
 */
const LOOKUPS: Partial<Record<string, SubjectLookup>> = {
  workflow: async (db, workspaceId, ids) =>
    new Map(
      (
        await db.workflow.findMany({
          where: { workspaceId, id: { in: ids }, deletedAt: null },
          select: { id: true, name: true },
        })
      ).map((w) => [w.id, w.name]),
    ),
  run: async (db, workspaceId, ids) => {
    const runs = await db.run.findMany({
      where: { workspaceId, id: { in: ids } },
      select: { id: true, workflowId: true, version: true },
    });
    const workflowIds = [...new Set(runs.flatMap((r) => (r.workflowId ? [r.workflowId] : [])))];
    const names = new Map(
      (
        await db.workflow.findMany({
          where: { workspaceId, id: { in: workflowIds } },
          select: { id: true, name: true },
        })
      ).map((w) => [w.id, w.name]),
    );
    return new Map(
      runs.map((r) => {
        // As the run view titles it: "Quote to cash v1.4.0", "Quote to cash (draft)".
        const name = (r.workflowId && names.get(r.workflowId)) || "Run";
        return [r.id, isDraftRun(r) ? `${name} (draft)` : `${name} v${r.version}`];
      }),
    );
  },
  connector: async (db, workspaceId, ids) =>
    new Map(
      (
        await db.connector.findMany({
          where: { workspaceId, id: { in: ids } },
          select: { id: true, name: true },
        })
      ).map((c) => [c.id, c.name]),
    ),
  "api-token": async (db, workspaceId, ids) =>
    new Map(
      (
        await db.apiToken.findMany({
          where: { workspaceId, id: { in: ids } },
          select: { id: true, name: true },
        })
      ).map((t) => [t.id, t.name]),
    ),
  secret: async (db, workspaceId, ids) =>
    new Map(
      (
        await db.workspaceSecret.findMany({
          where: { workspaceId, id: { in: ids } },
          select: { id: true, name: true },
        })
      ).map((s) => [s.id, s.name]),
    ),
  group: async (db, workspaceId, ids) =>
    new Map(
      (
        await db.workspaceGroup.findMany({
          where: { workspaceId, id: { in: ids } },
          select: { id: true, name: true },
        })
      ).map((g) => [g.id, g.name]),
    ),
  membership: async (db, workspaceId, ids) =>
    new Map(
      (
        await db.membership.findMany({
          where: { workspaceId, id: { in: ids } },
          select: { id: true, user: { select: { email: true } } },
        })
      ).map((m) => [m.id, m.user.email]),
    ),
  egress_allow: async (db, workspaceId, ids) =>
    new Map(
      (
        await db.egressAllow.findMany({
          where: { workspaceId, id: { in: ids } },
          select: { id: true, host: true },
        })
      ).map((e) => [e.id, e.host]),
    ),
};

async function describeSubjects(
  db: Db,
  workspaceId: string,
  entries: Array<{ subjectType: string; subjectId: string }>,
): Promise<Map<string, AuditSubjectInfo>> {
  const idsByType = new Map<string, Set<string>>();
  for (const e of entries) {
    if (!LOOKUPS[e.subjectType] || !isUuid(e.subjectId)) continue;
    const ids = idsByType.get(e.subjectType) ?? new Set<string>();
    ids.add(e.subjectId);
    idsByType.set(e.subjectType, ids);
  }
  const out = new Map<string, AuditSubjectInfo>();
  await Promise.all(
    [...idsByType].map(async ([type, ids]) => {
      const names = await LOOKUPS[type]!(db, workspaceId, [...ids]);
      for (const id of ids) {
        const name = names.get(id);
        out.set(`${type}:${id}`, { name: name ?? "", exists: name !== undefined });
      }
    }),
  );
  return out;
}

/** The subject types the filter offers, with their names. */
export function listAuditSubjectTypes() {
  return AUDIT_SUBJECT_TYPES.map((s) => ({ type: s.type, label: s.label }));
}

export async function verifyWorkspaceAudit(db: Db, actor: Actor) {
  return verifyAudit(db, actor.workspaceId);
}
