/**
 * Agent usage in PostgreSQL (the agent module's usage ports, `server/domain/agent/ports.ts`):
 * tokens and cost of each agent step attempt, one row per (run, step, attempt), and the sums
 * budgets and reports read (per run, per flow, per workspace since a date).
 */
import type { Prisma, PrismaClient } from "@/server/adapters/prisma";
import { modelLabel } from "@/server/domain/agent/constants";
import type { AgentUsageRow, AgentUsageStore, UsageSummary } from "@/server/domain/agent/ports";

/** The client or a transaction of it. */
type Db = PrismaClient | Prisma.TransactionClient;

/** Records one attempt's usage; a replayed attempt overwrites its row instead of adding one. */
export async function recordAgentUsage(db: Db, row: AgentUsageRow): Promise<void> {
  const data = {
    workspaceId: row.workspaceId,
    flowName: row.flow,
    model: row.model,
    tokensIn: row.tokensIn,
    tokensOut: row.tokensOut,
    costUsd: row.costUsd,
    at: row.at,
  };
  await db.agentUsage.upsert({
    where: { runId_stepId_attempt: { runId: row.runId, stepId: row.stepId, attempt: row.attempt } },
    create: { ...data, runId: row.runId, stepId: row.stepId, attempt: row.attempt },
    update: data,
  });
}

async function summarize(
  db: Db,
  where: { workspaceId: string; runId?: string; flowName?: string; at?: { gte: Date } },
): Promise<UsageSummary> {
  const groups = await db.agentUsage.groupBy({
    by: ["model"],
    where,
    _count: { _all: true },
    _sum: { tokensIn: true, tokensOut: true, costUsd: true },
    orderBy: { model: "asc" },
  });
  const byModel = groups.map((g) => ({
    model: g.model,
    label: modelLabel(g.model),
    attempts: g._count._all,
    tokensIn: g._sum.tokensIn ?? 0,
    tokensOut: g._sum.tokensOut ?? 0,
    costUsd: Number(g._sum.costUsd ?? 0),
  }));
  return {
    attempts: byModel.reduce((n, m) => n + m.attempts, 0),
    tokensIn: byModel.reduce((n, m) => n + m.tokensIn, 0),
    tokensOut: byModel.reduce((n, m) => n + m.tokensOut, 0),
    costUsd: byModel.reduce((n, m) => n + m.costUsd, 0),
    byModel,
  };
}

/** Usage of one run (every agent step and attempt). */
export function sumUsageByRun(db: Db, q: { workspaceId: string; runId: string }) {
  return summarize(db, { workspaceId: q.workspaceId, runId: q.runId });
}

/** Usage of every run of a flow, optionally since a date. */
export function sumUsageByFlow(db: Db, q: { workspaceId: string; flowName: string; since?: Date }) {
  return summarize(db, {
    workspaceId: q.workspaceId,
    flowName: q.flowName,
    ...(q.since ? { at: { gte: q.since } } : {}),
  });
}

/** Usage of a workspace since a date (the monthly budget). */
export function sumUsageByWorkspace(db: Db, q: { workspaceId: string; since: Date }) {
  return summarize(db, { workspaceId: q.workspaceId, at: { gte: q.since } });
}

/**
 * Agent usage backed by the `AgentUsage` table: the agent runtime's usage sink (record, budgets),
 * and the sums of the agent use cases.
 */
export function createPrismaUsageSink(db: Db): AgentUsageStore {
  return {
    record: (row) => recordAgentUsage(db, row),
    byRun: (q) => sumUsageByRun(db, q),
    byFlow: (q) => sumUsageByFlow(db, q),
    async spent({ workspaceId, runId, since }) {
      const [run, ws] = await Promise.all([
        db.agentUsage.aggregate({ where: { workspaceId, runId }, _sum: { costUsd: true } }),
        db.agentUsage.aggregate({
          where: { workspaceId, at: { gte: since } },
          _sum: { costUsd: true },
        }),
      ]);
      return { runUsd: Number(run._sum.costUsd ?? 0), workspaceUsd: Number(ws._sum.costUsd ?? 0) };
    },
  };
}
