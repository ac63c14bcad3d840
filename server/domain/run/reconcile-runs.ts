/**
 * The reconciliation use case: checks the ended runs not reconciled yet (`reconcile.ts`), in a
 * bounded batch, and records each run's findings with its `reconciledAt` (once, whichever
 * process gets there first). The background loop (`reconciler.ts`) calls it after run ends and
 * on a timer, so runs that ended while no reconciler ran are caught up after a restart.
 */
import type { BlockRegistry } from "@/dsl";
import type { Checkpoint, EngineLogger, RunStore } from "@/server/engine/ports";
import type { AttemptRecord, NewRun, RunEventRecord, RunRecord } from "@/server/engine/types";
import { isTerminalRun } from "@/server/engine/types";
import { serverRegistry } from "../workflow/compile-flow";
import type { FindingStore, ReconcileSubject, ReconciliationMetrics, RunFinding } from "./ports";
import { reconcileRun, type ContractLookup, type ReconcileInput } from "./reconcile";

/** A run's events read for its reconciliation (skip reasons, unknown steps), at most. */
export const RECONCILE_EVENT_LIMIT = 10_000;

/** What the reconciliation needs. */
export interface ReconcileDeps {
  runs: Pick<RunStore, "getRun" | "listAttempts" | "listEvents" | "listDeadLetters">;
  findings: FindingStore;
  metrics: ReconciliationMetrics;
  clock: { now(): number };
  /** Block contracts. Default: the server's registry (the blocks runs compile against). */
  blocks?: ContractLookup;
  logger?: Pick<EngineLogger, "warn" | "error">;
}

/** The contracts of a block registry: the exact version a step resolved to, else the newest. */
export function registryContracts(registry: BlockRegistry): ContractLookup {
  return (id, version) =>
    (version !== undefined
      ? registry.versions(id).find((b) => b.version === version)
      : undefined) ?? registry.get(id);
}

let defaultBlocks: ContractLookup | undefined;

/**
 * Reconciles up to `limit` ended runs not reconciled yet. `more`: the batch was full (call again).
 * The batch is read and recorded set-based (`FindingStore.load`, `recordMany`: five statements
 * for the batch); when its records cannot be read together, each run is read on its own, so one
 * unreadable run does not hold back the others.
 */
export async function reconcileEndedRuns(
  deps: ReconcileDeps,
  { limit }: { limit: number },
): Promise<{ checked: number; findings: number; more: boolean; read: number; records: number }> {
  const ids = await deps.findings.unreconciled(limit);
  let subjects: Array<ReconcileSubject | Unreadable>;
  try {
    subjects = await deps.findings.load(ids, RECONCILE_EVENT_LIMIT);
  } catch (err) {
    deps.logger?.warn(
      { runs: ids.length, err: String(err) },
      "reading a reconciliation batch failed",
    );
    subjects = [];
    for (const id of ids) {
      try {
        const subject = await loadOne(deps, id);
        if (subject) subjects.push(subject);
      } catch (e) {
        // The run itself could not be read: left for the next batch, the others go on.
        deps.logger?.error({ runId: id, err: String(e) }, "reconciliation of a run failed");
      }
    }
  }
  const checkedRuns = subjects.map((s) => ({ run: s.run, findings: check(deps, s) }));
  // What was read: the runs, and their attempts and events (the next batch is sized by them).
  const records = subjects.reduce(
    (n, s) => n + ("unreadable" in s ? 0 : s.attempts.length + s.events.length),
    0,
  );
  const read = { read: subjects.length, records };
  let claimed: Set<string>;
  try {
    claimed = await deps.findings.recordMany(checkedRuns, deps.clock.now());
  } catch (err) {
    deps.logger?.error(
      { runs: checkedRuns.length, err: String(err) },
      "recording reconciliations failed",
    );
    return { checked: 0, findings: 0, more: ids.length >= limit, ...read };
  }
  let checked = 0;
  let findings = 0;
  for (const { run, findings: list } of checkedRuns) {
    if (!claimed.has(run.id)) continue;
    checked++;
    findings += list.length;
    reportFindings(deps, run.id, list);
  }
  return { checked, findings, more: ids.length >= limit, ...read };
}

/** Counts and logs a run's recorded findings (whoever reconciled it). */
export function reportFindings(
  deps: Pick<ReconcileDeps, "metrics" | "logger">,
  runId: string,
  list: RunFinding[],
): void {
  for (const f of list) deps.metrics.findingRecorded(f.kind);
  if (list.length)
    deps.logger?.warn(
      { runId, kinds: [...new Set(list.map((f) => f.kind))] },
      "reconciliation findings",
    );
}

/**
 * The findings of a run that a checkpoint creates AND ends, reconciled from that checkpoint
 * (an inline run whose steps were all pure: its attempts, events and dead letters are all in
 * it). The caller records them with the checkpoint, in the same statement, so the run is not
 * written a second time to be marked reconciled, nor read back to be checked. Undefined when
 * the checkpoint may not hold the whole run: it does not end the run, or it starts or finishes
 * an attempt (whose stored row the store composes; the background reconciler checks that run).
 *
 * The records are taken as the store reads them back: the first of duplicate attempts (same
 * step and attempt) and of duplicate events (same key) wins, attempts in start order.
 */
export function reconcileWholeRun(
  deps: Pick<ReconcileDeps, "blocks" | "logger">,
  newRun: NewRun,
  cp: Checkpoint,
): RunFinding[] | undefined {
  const status = cp.run?.status;
  if (!status || !isTerminalRun(status) || cp.start || cp.finish) return undefined;
  const attempts: AttemptRecord[] = [];
  const seenAttempts = new Set<string>();
  for (const a of cp.attempts ?? []) {
    const key = `${a.stepId}#${a.attempt}`;
    if (seenAttempts.has(key)) continue;
    seenAttempts.add(key);
    attempts.push(a);
  }
  attempts.sort(
    (a, b) =>
      a.startedAt - b.startedAt ||
      (a.stepId < b.stepId ? -1 : a.stepId > b.stepId ? 1 : 0) ||
      a.attempt - b.attempt,
  );
  const events: RunEventRecord[] = [];
  const seenEvents = new Set<string>();
  for (const e of cp.events ?? []) {
    if (e.key != null) {
      if (seenEvents.has(e.key)) continue;
      seenEvents.add(e.key);
    }
    events.push({
      runId: newRun.id,
      seq: events.length + 1,
      type: e.type,
      stepId: e.stepId ?? null,
      data: e.data ?? null,
      at: e.at,
    });
  }
  const run = { id: newRun.id, status, ir: newRun.ir };
  return check(deps, { run, attempts, events, deadLetters: cp.deadLetters ?? [] });
}

/** A run whose attempts, events or dead letters could not be read. */
interface Unreadable {
  run: RunRecord;
  unreadable: unknown;
}

/** One ended run read on its own (the fallback when its batch cannot be read together). */
async function loadOne(
  deps: ReconcileDeps,
  runId: string,
): Promise<ReconcileSubject | Unreadable | null> {
  const run = await deps.runs.getRun(runId);
  if (!run || !isTerminalRun(run.status)) return null;
  try {
    const [attempts, events, deadLetters] = await Promise.all([
      deps.runs.listAttempts(run.id),
      deps.runs.listEvents(run.id, 0, RECONCILE_EVENT_LIMIT),
      deps.runs.listDeadLetters({ runId: run.id }),
    ]);
    return { run, attempts, events, deadLetters };
  } catch (err) {
    return { run, unreadable: err };
  }
}

/**
 * A run's findings; a run whose records cannot be read or checked is reported (`check_failed`),
 * not retried forever.
 */
function check(
  deps: Pick<ReconcileDeps, "blocks" | "logger">,
  s: (Omit<ReconcileSubject, "run"> & { run: ReconcileInput["run"] }) | Unreadable,
): RunFinding[] {
  try {
    if ("unreadable" in s) throw s.unreadable;
    return reconcileRun({
      ...s,
      eventsComplete: s.events.length < RECONCILE_EVENT_LIMIT,
      blocks: deps.blocks ?? (defaultBlocks ??= registryContracts(serverRegistry())),
    });
  } catch (err) {
    deps.logger?.error({ runId: s.run.id, err: String(err) }, "reconciliation failed");
    return [
      {
        kind: "check_failed",
        stepId: null,
        detail: { message: String((err as Error)?.message ?? err) },
      },
    ];
  }
}
