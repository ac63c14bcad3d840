/**
 * The reconciliation use case: checks the ended runs not reconciled yet (`reconcile.ts`), in a
 * bounded batch, and records each run's findings with its `reconciledAt` (once, whichever
 * process gets there first). The background loop (`reconciler.ts`) calls it after run ends and
 * on a timer, so runs that ended while no reconciler ran are caught up after a restart.
 */
import type { BlockRegistry } from "@/dsl";
import type { EngineLogger, RunStore } from "@/server/engine/ports";
import { isTerminalRun } from "@/server/engine/types";
import { serverRegistry } from "../workflow/compile-flow";
import type { FindingStore, ReconciliationMetrics, RunFinding } from "./ports";
import { reconcileRun, type ContractLookup } from "./reconcile";

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
 */
export async function reconcileEndedRuns(
  deps: ReconcileDeps,
  { limit }: { limit: number },
): Promise<{ checked: number; findings: number; more: boolean }> {
  const ids = await deps.findings.unreconciled(limit);
  let checked = 0;
  let findings = 0;
  for (const id of ids) {
    let n: number | null;
    try {
      n = await reconcileOne(deps, id);
    } catch (err) {
      // The run could not be read or recorded: left for the next batch, the others go on.
      deps.logger?.error({ runId: id, err: String(err) }, "reconciliation of a run failed");
      continue;
    }
    if (n === null) continue;
    checked++;
    findings += n;
  }
  return { checked, findings, more: ids.length >= limit };
}

/** Checks and records one run; its number of findings, or null when someone else recorded it. */
async function reconcileOne(deps: ReconcileDeps, runId: string): Promise<number | null> {
  const run = await deps.runs.getRun(runId);
  if (!run || !isTerminalRun(run.status)) return null;
  let findings: RunFinding[];
  try {
    const [attempts, events, deadLetters] = await Promise.all([
      deps.runs.listAttempts(run.id),
      deps.runs.listEvents(run.id, 0, RECONCILE_EVENT_LIMIT),
      deps.runs.listDeadLetters({ runId: run.id }),
    ]);
    findings = reconcileRun({
      run,
      attempts,
      events,
      eventsComplete: events.length < RECONCILE_EVENT_LIMIT,
      deadLetters,
      blocks: deps.blocks ?? (defaultBlocks ??= registryContracts(serverRegistry())),
    });
  } catch (err) {
    // A run whose records cannot be read or checked is reported, not retried forever.
    deps.logger?.error({ runId, err: String(err) }, "reconciliation failed");
    findings = [
      {
        kind: "check_failed",
        stepId: null,
        detail: { message: String((err as Error)?.message ?? err) },
      },
    ];
  }
  const recorded = await deps.findings.record(run, findings, deps.clock.now());
  if (!recorded) return null;
  for (const f of findings) deps.metrics.findingRecorded(f.kind);
  if (findings.length)
    deps.logger?.warn(
      { runId, kinds: [...new Set(findings.map((f) => f.kind))] },
      "reconciliation findings",
    );
  return findings.length;
}
