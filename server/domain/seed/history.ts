/**
 * The demo workspace's 30 days of run history (issue 17 item 9, docs/demo-history.md),
 * generated once at the first start: the demo flows saved as workflows with their versions,
 * then the runs in batches (the next one generated while one is written), each batch one
 * transaction with its runs (reconciled), their ledger entries and a progress marker in the
 * ledger (`demo.history.batch`). A start that finds the history complete adds nothing; one
 * interrupted mid-way continues after its last committed batch, with the plan its first start
 * recorded (`demo.history.start`: seed, size, end time).
 */
import { appendAudit, type AuditBatchEntry } from "../audit/ledger";
import type { Db } from "../types";
import { compileFlow } from "../workflow/compile-flow";
import { DEMO_WORKSPACE } from "./seed-demo";
import { HISTORY_FLOWS } from "./history-flows";
import {
  historyBatches,
  historyDayZero,
  historyStart,
  type StoredHistoryFlow,
} from "./history-generate";
import { DAY_MS, DEFAULT_HISTORY_SEED, HISTORY_BATCH, HISTORY_DAYS, PLANTED } from "./history-plan";
import { seededUuid } from "./history-random";
import type { HistoryWriter } from "./ports";
export type { HistoryWriter } from "./ports";

/** What the first start recorded about the history it generates. */
export interface HistoryPlanRecord {
  seed: number;
  runs: number;
  endAt: string;
  batchSize: number;
  batches: number;
}

export const HISTORY_START = "demo.history.start";
export const HISTORY_BATCH_DONE = "demo.history.batch";

/** The history's plan and how many batches are committed; null when it was never started. */
export async function historyProgress(
  db: Db,
  workspaceId: string,
): Promise<{ plan: HistoryPlanRecord; done: number } | null> {
  const start = await db.auditEntry.findFirst({
    where: { workspaceId, action: HISTORY_START },
    select: { payload: true },
  });
  if (!start) return null;
  const last = await db.auditEntry.findFirst({
    where: { workspaceId, action: HISTORY_BATCH_DONE },
    orderBy: { seq: "desc" },
    select: { payload: true },
  });
  const done = (last?.payload as { batch?: number } | null)?.batch ?? 0;
  return { plan: start.payload as unknown as HistoryPlanRecord, done };
}

const SYSTEM = (workspaceId: string) => ({ workspaceId, userId: null, label: "system:seed" });
const titleOf = (name: string) => name.charAt(0).toUpperCase() + name.slice(1).replace(/-/g, " ");

/**
 * Seeds the demo workspace's history once (`runs` runs; 0 does nothing). Returns whether this
 * call wrote any of it, and how many runs the history has.
 */
export async function seedDemoHistory(
  db: Db,
  writer: HistoryWriter,
  opts: { runs: number; seed?: number; now?: Date; batchSize?: number },
): Promise<{ created: boolean; runs: number; batches: number }> {
  const ws = await db.workspace.findUnique({ where: { slug: DEMO_WORKSPACE.slug } });
  if (!ws || opts.runs <= 0) return { created: false, runs: 0, batches: 0 };
  let progress = await historyProgress(db, ws.id);
  if (progress && progress.done >= progress.plan.batches)
    return { created: false, runs: progress.plan.runs, batches: progress.plan.batches };
  if (!progress) {
    const batchSize = opts.batchSize ?? HISTORY_BATCH;
    const plan: HistoryPlanRecord = {
      seed: opts.seed ?? DEFAULT_HISTORY_SEED,
      runs: opts.runs,
      endAt: (opts.now ?? new Date()).toISOString(),
      batchSize,
      batches: Math.ceil(opts.runs / batchSize),
    };
    await saveFlows(db, ws.id, plan);
    progress = { plan, done: 0 };
  }
  const { plan, done } = progress;
  const endMs = Date.parse(plan.endAt);
  const flows = await storedFlows(db, plan.seed, historyStart(endMs));
  const params = {
    seed: plan.seed,
    runs: plan.runs,
    endMs,
    workspaceId: ws.id,
    writtenAt: new Date(),
  };
  // Batch n+1 is generated while batch n is written (one write at a time: the ledger's chain
  // and the progress markers are sequential). A failed write stops the loop at the next batch.
  let writing: Promise<void> | null = null;
  for await (const batch of historyBatches(params, flows, plan.batchSize, done)) {
    const marker: AuditBatchEntry = {
      actor: { label: "system:seed", userId: null },
      record: {
        action: HISTORY_BATCH_DONE,
        subjectType: "workspace",
        subjectId: ws.id,
        payload: {
          seed: plan.seed,
          batch: batch.index + 1,
          batches: plan.batches,
          runs: batch.runs.length,
        },
      },
      now: params.writtenAt,
    };
    if (writing) await writing;
    writing = writer.writeBatch(ws.id, batch, marker);
    // Awaited above or below; handled now, so a failure while the next batch is generated is
    // not reported as unhandled.
    writing.catch(() => undefined);
  }
  if (writing) await writing;
  return { created: true, runs: plan.runs, batches: plan.batches };
}

/**
 * Saves the demo flows as workflows (ids derived from the seed) with their versions dated on
 * the days they were saved, and the history's plan, in one transaction with their ledger entries.
 */
async function saveFlows(db: Db, workspaceId: string, plan: HistoryPlanRecord): Promise<void> {
  const admin = await db.membership.findFirst({
    where: { workspaceId, role: "admin" },
    orderBy: { createdAt: "asc" },
    select: { userId: true, user: { select: { email: true } } },
  });
  if (!admin) throw new Error("the demo workspace has no admin to author the demo flows");
  const start = historyDayZero(Date.parse(plan.endAt));
  await db.$transaction(
    async (tx) => {
      await appendAudit(tx, SYSTEM(workspaceId), {
        action: HISTORY_START,
        subjectType: "workspace",
        subjectId: workspaceId,
        payload: {
          ...plan,
          days: HISTORY_DAYS,
          flows: HISTORY_FLOWS.map((f) => f.name),
          planted: PLANTED.map((p) => ({ kind: p.kind, flow: p.flow, block: p.block })),
        },
      });
      for (const f of HISTORY_FLOWS) {
        const latest = f.versions[f.versions.length - 1]!;
        const wf = await tx.workflow.create({
          data: {
            id: seededUuid(plan.seed, `workflow:${f.name}`),
            workspaceId,
            name: titleOf(f.name),
            description: `${f.description} (demo history)`,
            draft: latest.text,
            createdById: admin.userId,
            createdAt: new Date(start + f.versions[0]!.fromDay * DAY_MS),
          },
        });
        const actor = { workspaceId, userId: admin.userId, label: admin.user.email };
        await appendAudit(tx, actor, {
          action: "workflow.create",
          subjectType: "workflow",
          subjectId: wf.id,
          payload: { name: wf.name, demoHistory: true },
        });
        for (const v of f.versions) {
          const irHash = compileFlow(v.text).ir?.hash ?? null;
          await tx.workflowVersion.create({
            data: {
              workflowId: wf.id,
              version: v.version,
              dsl: v.text,
              authorId: admin.userId,
              irHash,
              message: "Demo history",
              createdAt: new Date(start + v.fromDay * DAY_MS),
            },
          });
          await appendAudit(tx, actor, {
            action: "workflow.version.create",
            subjectType: "workflow",
            subjectId: wf.id,
            payload: { version: v.version, irHash, demoHistory: true },
          });
        }
      }
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
}

/** The demo flows as saved, compiled, each version from the time it was saved. */
async function storedFlows(db: Db, seed: number, startMs: number): Promise<StoredHistoryFlow[]> {
  const ids = HISTORY_FLOWS.map((f) => seededUuid(seed, `workflow:${f.name}`));
  const saved = await db.workflowVersion.findMany({
    where: { workflowId: { in: ids } },
    orderBy: { createdAt: "asc" },
    select: { workflowId: true, version: true, dsl: true, createdAt: true },
  });
  return HISTORY_FLOWS.map((f, i) => ({
    name: f.name,
    workflowId: ids[i]!,
    versions: saved
      .filter((v) => v.workflowId === ids[i])
      .map((v) => {
        const compiled = compileFlow(v.dsl);
        if (!compiled.ir) throw new Error(`demo flow ${f.name} ${v.version} does not compile`);
        return {
          version: v.version,
          fromMs: Math.max(startMs, v.createdAt.getTime()),
          ir: compiled.ir,
        };
      }),
  }));
}
