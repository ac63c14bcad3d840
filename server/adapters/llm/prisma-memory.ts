/**
 * Per-flow agent memory in PostgreSQL (the agent module's memory ports, `server/domain/agent/
 * ports.ts`): `fact`s (named, replaced by key: "preferred tone", "VIP customers") and
 * recent `context` (answers of earlier agent steps, keyed `runId:stepId`).
 *
 * Inheritance: a sub-flow reads its own memory and its parents'. Callers pass the chain nearest
 * first (`[child, parent, grandparent]`); on equal fact keys the nearest flow wins (the runtime's
 * renderMemory keeps the first).
 *
 * Search: every whitespace-separated term must occur, case-insensitively, in the key or the
 * content (`ILIKE '%term%'` through Prisma's `contains` + `mode: insensitive`; `%` and `_` in a
 * term are escaped, so they match literally). Fine for the sizes per-flow memory has; on PostgreSQL a
 * `pg_trgm` GIN index on "content" would serve the same queries without a scan (PGlite does not
 * load pg_trgm by default, so the migration does not create it).
 */
import type { Prisma, PrismaClient } from "@/server/adapters/prisma";
import type { AgentMemoryStore, MemoryItem, MemoryKind } from "@/server/domain/agent/ports";

/** The client or a transaction of it. */
type Db = PrismaClient | Prisma.TransactionClient;

/** Longest content kept per entry; longer text is cut. */
export const MEMORY_CONTENT_MAX = 4000;

export async function rememberFact(
  db: Db,
  q: { workspaceId: string; flowName: string; key: string; content: string },
): Promise<void> {
  await remember(db, { ...q, kind: "fact" });
}

/** Stores (or replaces, by key) one memory entry. */
export async function remember(
  db: Db,
  q: { workspaceId: string; flowName: string; kind: MemoryKind; key: string; content: string },
): Promise<void> {
  const content = q.content.slice(0, MEMORY_CONTENT_MAX);
  await db.agentMemory.upsert({
    where: {
      workspaceId_flowName_kind_key: {
        workspaceId: q.workspaceId,
        flowName: q.flowName,
        kind: q.kind,
        key: q.key,
      },
    },
    create: { workspaceId: q.workspaceId, flowName: q.flowName, kind: q.kind, key: q.key, content },
    update: { content, createdAt: new Date() },
  });
}

export async function forgetMemory(
  db: Db,
  q: { workspaceId: string; flowName: string; kind?: MemoryKind; key?: string },
): Promise<number> {
  const r = await db.agentMemory.deleteMany({
    where: {
      workspaceId: q.workspaceId,
      flowName: q.flowName,
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.key ? { key: q.key } : {}),
    },
  });
  return r.count;
}

type Row = { flowName: string; kind: string; key: string; content: string; createdAt: Date };
const toItem = (r: Row): MemoryItem => ({
  flow: r.flowName,
  kind: r.kind === "fact" ? "fact" : "context",
  key: r.key,
  content: r.content,
  createdAt: r.createdAt,
});

/** Nearest flow first, then newest first. */
function byChain(flows: string[]) {
  return (a: Row, b: Row) =>
    flows.indexOf(a.flowName) - flows.indexOf(b.flowName) ||
    b.createdAt.getTime() - a.createdAt.getTime();
}

/**
 * What an agent step of the chain's first flow sees: every fact of the chain (up to `limit`) and
 * the `limit` most recent context entries, nearest flow first.
 */
export async function recallMemory(
  db: Db,
  q: { workspaceId: string; flows: string[]; limit: number },
): Promise<MemoryItem[]> {
  if (!q.flows.length) return [];
  const where = { workspaceId: q.workspaceId, flowName: { in: q.flows } };
  const [facts, context] = await Promise.all([
    db.agentMemory.findMany({
      where: { ...where, kind: "fact" },
      orderBy: { createdAt: "desc" },
      take: q.limit,
    }),
    db.agentMemory.findMany({
      where: { ...where, kind: "context" },
      orderBy: { createdAt: "desc" },
      take: q.limit,
    }),
  ]);
  return [...facts.sort(byChain(q.flows)), ...context.sort(byChain(q.flows))].map(toItem);
}

/** Entries of the chain whose key or content contains every term of `query` (case-insensitive). */
export async function searchMemory(
  db: Db,
  q: { workspaceId: string; flows: string[]; query: string; kind?: MemoryKind; limit?: number },
): Promise<MemoryItem[]> {
  // Prisma passes `contains` to ILIKE as is: escape LIKE's wildcards (backslash is the default
  // escape character of PostgreSQL's LIKE).
  const terms = q.query
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 10)
    .map((t) => t.replace(/[\\%_]/g, "\\$&"));
  if (!q.flows.length || !terms.length) return [];
  const rows = await db.agentMemory.findMany({
    where: {
      workspaceId: q.workspaceId,
      flowName: { in: q.flows },
      ...(q.kind ? { kind: q.kind } : {}),
      AND: terms.map((t) => ({
        OR: [
          { content: { contains: t, mode: "insensitive" as const } },
          { key: { contains: t, mode: "insensitive" as const } },
        ],
      })),
    },
    orderBy: { createdAt: "desc" },
    take: q.limit ?? 20,
  });
  return rows.sort(byChain(q.flows)).map(toItem);
}

/**
 * Agent memory backed by the `AgentMemory` table: the agent runtime's memory port, and the
 * search and forget of the agent use cases. `db` may be a transaction.
 */
export function createPrismaAgentMemory(db: Db): AgentMemoryStore {
  return {
    recall: (q) => recallMemory(db, q),
    remember: (i) =>
      remember(db, {
        workspaceId: i.workspaceId,
        flowName: i.flow,
        kind: i.kind,
        key: i.key,
        content: i.content,
      }),
    search: (q) => searchMemory(db, q),
    forget: (q) =>
      forgetMemory(db, { workspaceId: q.workspaceId, flowName: q.flow, kind: q.kind, key: q.key }),
  };
}
