/**
 * Starting a run from a trigger (webhook delivery, schedule fire): the trigger's own record
 * (delivery, fire), the run and its `run.start` ledger entry commit in ONE transaction, so a
 * delivery is never accepted without its run, nor a run started without its record.
 */
import type { FlowIR } from "@/dsl";
import type { Engine } from "@/server/engine/engine";
import { keepLease } from "@/server/engine/lease";
import { withBindings, type RunStore } from "@/server/engine/ports";
import type { NewRun, RunRecord } from "@/server/engine/types";
import { runLedgerEntry } from "../audit/chain";
import { ClaimRefused, type RunDeps, type TriggerClaim, type TriggerDeps } from "../run/ports";
import { reconcileWholeRun, reportFindings } from "../run/reconcile-runs";

/** What a trigger starts. */
export interface TriggeredRun {
  runId: string;
  workspaceId: string;
  workflowId: string;
  version: string | null;
  ir: FlowIR;
  inputs: Record<string, unknown>;
  /** `webhook:<flow>` or `schedule:<flow>`: the run's `startedBy` and the ledger's actor. */
  startedBy: string;
  /** Ledger payload details (delivery id, fire time). */
  trigger: Record<string, unknown>;
  /** Deduplicates the run itself (e.g. `schedule:<workflow>:<fireAt>`). */
  idempotencyKey?: string;
}

/** The `run.start` ledger record of a triggered run. */
function startRecord(t: TriggeredRun) {
  return {
    action: "run.start",
    subjectType: "run",
    subjectId: t.runId,
    payload: {
      workflowId: t.workflowId,
      flow: t.ir.name,
      version: t.version,
      irHash: t.ir.hash,
      draft: t.version === null,
      trigger: t.trigger,
    },
  };
}

function newRunOf(t: TriggeredRun, now: number): NewRun {
  return {
    id: t.runId,
    workspaceId: t.workspaceId,
    workflowId: t.workflowId,
    version: t.version,
    ir: t.ir,
    inputs: t.inputs,
    startedBy: t.startedBy,
    idempotencyKey: t.idempotencyKey ?? null,
    now,
  };
}

/**
 * Runs `claim` (the trigger's own unique record; it returns false when the trigger already
 * fired), then creates the run and writes the ledger, all in one transaction. Returns null
 * when `claim` refused (the event was already claimed).
 */
export function startTriggeredRun(
  deps: RunDeps,
  t: TriggeredRun,
  claim: TriggerClaim,
): Promise<RunRecord | null> {
  // Admission control: a slot of the process's gate (or RATE_LIMITED), the workspace's cap.
  // Schedule fires are paced by the scheduler itself (one per flow and fire time, retried on
  // its next tick): they skip the gate, not the cap.
  if (t.trigger.type === "schedule") return startAdmittedTriggeredRun(deps, t, claim);
  return deps.admission.gate.run(() => startAdmittedTriggeredRun(deps, t, claim));
}

async function startAdmittedTriggeredRun(
  deps: RunDeps,
  t: TriggeredRun,
  claim: TriggerClaim,
): Promise<RunRecord | null> {
  const actor = { workspaceId: t.workspaceId, label: t.startedBy, userId: null };
  const run = await deps.transactor.transaction(async (tx) => {
    // In the transaction, before the claim: a refused start leaves no delivery or fire behind.
    await deps.admission.assertActiveRunCapacity(tx.runs, t.workspaceId);
    if (!(await tx.claim(claim))) return null;
    const { run } = await tx.runs.createRun(newRunOf(t, Date.now()));
    await tx.audit.append(actor, startRecord(t));
    return run;
  });
  if (run) deps.notifier.runDue(run.id);
  return run;
}

// ---------------------------------------------------------------------------------------------
// Inline: a synchronous webhook's run advanced by the receiving process itself

/** What runs triggered runs inline: the embedded worker's engine. */
export interface InlineExecution {
  engine: Engine;
  /** Inline runs per workspace at once in this process; beyond it they queue. Default 16. */
  perWorkspaceLimit?: number;
  /** Lease length of an inline run (renewed while it advances). Default 30 s. */
  leaseMs?: number;
}

const inlineActive = new Map<string, number>();

/**
 * Starts a triggered run and advances it in this process until it ends or parks (then the
 * worker takes over), instead of queueing it for the worker: no queue hop, no claim, no state
 * load. The run is created already leased by the engine's worker id, and not before its first
 * checkpoint: that checkpoint commits in ONE transaction with the trigger's record, the run,
 * its `run.start` ledger entry and, for a run that ends there (all steps pure), its steps and
 * the `run.<end>` entry. The engine takes that checkpoint before any side effect, so nothing
 * happens outside for a delivery that is not recorded; a crash before it loses nothing but
 * pure computation (the sender gets no answer and retries).
 *
 * Returns null when `claim` refused (replay), "busy" when the workspace has
 * `perWorkspaceLimit` inline runs in flight (the caller queues the run instead).
 */
export async function runTriggeredInline(
  deps: TriggerDeps,
  t: TriggeredRun,
  claim: TriggerClaim,
  inline: InlineExecution,
): Promise<RunRecord | null | "busy"> {
  // Admission control: an inline execution holds a slot of the process's gate until it ends or
  // parks, waiting in the gate's queue when every slot is taken (handing it to the worker would
  // add the worker's polling delay to every run past the slots); a full queue refuses it (503).
  const slot = await deps.admission.gate.enter();
  try {
    // The hot path: a workspace far below its cap is admitted on this process's view of its
    // active runs (a count at most 200 ms old plus the starts since), not a count per delivery.
    await deps.admission.assertActiveRunCapacityCached(deps.runs, t.workspaceId);
    return await runAdmittedInline(deps, t, claim, inline);
  } finally {
    slot();
  }
}

async function runAdmittedInline(
  deps: TriggerDeps,
  t: TriggeredRun,
  claim: TriggerClaim,
  inline: InlineExecution,
): Promise<RunRecord | null | "busy"> {
  const active = inlineActive.get(t.workspaceId) ?? 0;
  if (active >= (inline.perWorkspaceLimit ?? 16)) return "busy";
  inlineActive.set(t.workspaceId, active + 1);
  const { engine } = inline;
  const { clock, workerId, store } = engine.deps;
  const now = clock.now();
  const leaseMs = inline.leaseMs ?? 30_000;
  const newRun = {
    ...newRunOf(t, now),
    lease: { owner: workerId, expiresAt: now + leaseMs },
  };
  const run: RunRecord = {
    ...newRun,
    irHash: t.ir.hash,
    status: "running",
    output: null,
    error: null,
    parentRunId: null,
    parentStepId: null,
    idempotencyKey: newRun.idempotencyKey ?? null,
    startedBy: t.startedBy,
    leaseOwner: workerId,
    leaseExpiresAt: now + leaseMs,
    dueAt: null,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    updatedAt: now,
  };
  let recorded = false;
  const recordingStore: RunStore = Object.create(store) as RunStore;
  recordingStore.commit = async (runId, owner, cp) => {
    if (recorded || runId !== t.runId) return store.commit(runId, owner, cp);
    // A run that ends in this first checkpoint is whole in it: reconciled now, recorded with it.
    const findings = deps.reconciliation && reconcileWholeRun(deps.reconciliation, newRun, cp);
    const res = await deps.inlineRecorder.recordInline({
      newRun,
      claim,
      checkpoint: cp,
      entries: [
        { actor: { label: t.startedBy, userId: null }, record: startRecord(t) },
        ...(cp.audit ?? []).map((e) => runLedgerEntry(run, e)),
      ],
      ...(findings && { reconciled: { at: clock.now(), findings } }),
    });
    recorded = true;
    if (findings && deps.reconciliation) reportFindings(deps.reconciliation, t.runId, findings);
    return res;
  };
  const log = withBindings(engine.deps.logger, { runId: t.runId });
  const release = keepLease(store, t.runId, workerId, clock, leaseMs, log);
  try {
    await engine.advance(run, { unrecorded: true, store: recordingStore });
    return run;
  } catch (err) {
    if (err instanceof ClaimRefused) return null;
    // Not recorded: nothing happened. Recorded: the lease expires and a worker recovers it.
    if (!recorded) throw err;
    log.error({ err: String(err) }, "inline advance failed");
    return run;
  } finally {
    release();
    const n = (inlineActive.get(t.workspaceId) ?? 1) - 1;
    if (n > 0) inlineActive.set(t.workspaceId, n);
    else inlineActive.delete(t.workspaceId);
  }
}
