/**
 * Prometheus metrics of the engine (prom-client), implementing the engine's `MetricsSink` port,
 * on ONE registry per process, served by `/api/metrics` (web process and its embedded worker)
 * and by the worker metrics server (`npm run worker`, `WORKER_METRICS_PORT`).
 *
 * Why process state: Next.js bundles the route handlers and `instrumentation.ts` (which starts
 * the embedded worker) separately, so this module is evaluated more than once per process. A
 * registry made at module level would give the route one instance and the worker another, and
 * the route would report zero runs after hundreds. The registry and its metrics are therefore
 * created once and kept on the process's one globalThis key (`server/process-state.ts`); every
 * copy of the module uses that one.
 *
 * Labels carry ids only: a status, a block id, a workspace id. Never a host, URL or name a tenant
 * typed (breaker keys go through {@link breakerLabels}).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { processSingleton } from "@/server/process-state";
import { breakerLabels, type BreakerState } from "@/server/engine/breaker";
import type { ReconciliationMetrics } from "@/server/domain/run/ports";
import type { MetricsSink } from "@/server/engine/ports";
import type { RunStatus } from "@/server/engine/types";

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/** Breaker states by full key, grouped by their metric labels (`workspace\nendpoint`). */
type BreakerSeries = Map<
  string,
  { workspace: string; endpoint: string; keys: Map<string, number> }
>;

interface ProcessMetrics {
  registry: Registry;
  runs: Counter<"status">;
  runDuration: Histogram<"status">;
  steps: Counter<"block" | "status">;
  stepDuration: Histogram<"block">;
  retries: Counter<"block">;
  deadLetters: Gauge;
  queueLag: Histogram;
  breakerSeries: BreakerSeries;
}

function createProcessMetrics(): ProcessMetrics {
  const registry = new Registry();
  const registers = [registry];
  const breakerSeries: BreakerSeries = new Map();
  new Gauge({
    name: "trustflow_breaker_state",
    help: "Circuit breaker state per workspace and endpoint, the worst of its breakers (0 closed, 1 half-open, 2 open)",
    labelNames: ["workspace", "endpoint"],
    registers,
    collect() {
      this.reset();
      for (const s of breakerSeries.values()) {
        let worst = 0;
        for (const v of s.keys.values()) worst = Math.max(worst, v);
        this.set({ workspace: s.workspace, endpoint: s.endpoint }, worst);
      }
    },
  });
  return {
    registry,
    breakerSeries,
    runs: new Counter({
      name: "trustflow_runs_total",
      help: "Run status transitions",
      labelNames: ["status"],
      registers,
    }),
    runDuration: new Histogram({
      name: "trustflow_run_duration_seconds",
      help: "Run duration from start to finish",
      labelNames: ["status"],
      buckets: [0.01, 0.1, 0.5, 1, 5, 30, 120, 600, 3600, 86400],
      registers,
    }),
    steps: new Counter({
      name: "trustflow_steps_total",
      help: "Finished step attempts",
      labelNames: ["block", "status"],
      registers,
    }),
    stepDuration: new Histogram({
      name: "trustflow_step_duration_seconds",
      help: "Step attempt duration",
      labelNames: ["block"],
      buckets: [0.0001, 0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60],
      registers,
    }),
    retries: new Counter({
      name: "trustflow_step_retries_total",
      help: "Retries scheduled",
      labelNames: ["block"],
      registers,
    }),
    deadLetters: new Gauge({
      name: "trustflow_dead_letters",
      help: "Dead-letter records",
      registers,
    }),
    queueLag: new Histogram({
      name: "trustflow_queue_lag_seconds",
      help: "Delay between a run becoming due and a worker claiming it",
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    }),
  };
}

/** The process's metrics, created on first use and shared by every copy of this module. */
function processMetrics(): ProcessMetrics {
  return processSingleton("metrics", createProcessMetrics);
}

const m = processMetrics();

/** The registry holding every metric of this process (engine, cluster gauges). */
export const engineRegistry: Registry = m.registry;

/** Dead letters written (the worker sets it from the store at start, then counts). */
export const deadLetterSize: Gauge = m.deadLetters;

/** Records a breaker's state under its labels (workspace id, endpoint kind); closed ones are dropped. */
function recordBreaker(key: string, state: BreakerState): void {
  const { workspace, endpoint } = breakerLabels(key);
  const id = `${workspace}\n${endpoint}`;
  let s = m.breakerSeries.get(id);
  if (!s) {
    s = { workspace, endpoint, keys: new Map() };
    m.breakerSeries.set(id, s);
  }
  // A closed breaker is the default: forgetting it keeps the map as small as the open ones,
  // while the series stays (at 0) once seen.
  if (state === "closed") s.keys.delete(key);
  else s.keys.set(key, BREAKER_VALUE[state]);
}

/** The {@link MetricsSink} writing to {@link engineRegistry}. */
export const promMetrics: MetricsSink = {
  runStatus: (status: RunStatus) => m.runs.inc({ status }),
  runFinished: (status, durationMs) => m.runDuration.observe({ status }, durationMs / 1000),
  stepFinished: (block, status, durationMs) => {
    m.steps.inc({ block, status });
    if (status !== "skipped") m.stepDuration.observe({ block }, durationMs / 1000);
  },
  retryScheduled: (block) => m.retries.inc({ block }),
  deadLettered: () => m.deadLetters.inc(),
  breakerState: recordBreaker,
  queueLag: (ms) => m.queueLag.observe(ms / 1000),
};

/** Findings of the reconciliation (its own key: a process's first registry may predate it). */
const reconciliationFindings = processSingleton(
  "metrics.reconciliation",
  () =>
    new Counter({
      name: "trustflow_reconciliation_findings_total",
      help: "Findings of the reconciliation of finished runs against their flows, by kind",
      labelNames: ["kind"],
      registers: [m.registry],
    }),
);

/** The reconciler's {@link ReconciliationMetrics} on {@link engineRegistry}. */
export const promReconciliationMetrics: ReconciliationMetrics = {
  findingRecorded: (kind) => reconciliationFindings.inc({ kind }),
};
