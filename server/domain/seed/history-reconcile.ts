/**
 * The demo history's runs reconciled as they are generated: the reconciler's own check
 * (`reconcileRun`, the same contracts) on the records the engine produced, so the writer stores
 * each run with its findings and `reconciledAt` in the batch's transaction, and the consumers of
 * finished runs (trust, anomalies, rollups, guardian) can fold the history at once, instead of
 * waiting for the background reconciler to work through 20,000 runs in batches of 200.
 */
import type { RunEventRecord } from "@/server/engine/types";
import { reconcileRun, type ContractLookup } from "../run/reconcile";
import { registryContracts } from "../run/reconcile-runs";
import type { RunFinding } from "../run/ports";
import { serverRegistry } from "../workflow/compile-flow";
import type { SimulatedRun } from "./ports";

let contracts: ContractLookup | undefined;

/** A run's events as the run store reads them back (sequence numbers from its checkpoints). */
export function simulatedEvents(sim: SimulatedRun): RunEventRecord[] {
  return sim.logs.flatMap((l) =>
    l.events.map((e, i) => ({
      runId: sim.run.id,
      seq: l.firstSeq + i,
      type: e.type,
      stepId: e.stepId ?? null,
      data: e.data ?? null,
      at: e.at,
    })),
  );
}

/** The findings of a generated run, as the background reconciler would record them. */
export function reconcileSimulated(sim: SimulatedRun, blocks?: ContractLookup): RunFinding[] {
  return reconcileRun({
    run: { id: sim.run.id, status: sim.run.status, ir: sim.ir },
    attempts: [...sim.rows, ...sim.logs.flatMap((l) => l.attempts)],
    events: simulatedEvents(sim),
    eventsComplete: true,
    deadLetters: sim.deadLetters,
    blocks: blocks ?? (contracts ??= registryContracts(serverRegistry())),
  });
}
