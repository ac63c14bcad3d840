/**
 * Prometheus metrics of the engine (prom-client), on their own registry so the later
 * `/api/metrics` route can expose them: `engineRegistry.metrics()`.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { BreakerState } from "./breaker";
import type { MetricsSink } from "./ports";
import type { RunStatus } from "./types";

/** The registry holding every engine metric. */
export const engineRegistry = new Registry();

const runs = new Counter({
  name: "trustflow_runs_total",
  help: "Run status transitions",
  labelNames: ["status"],
  registers: [engineRegistry],
});
const runDuration = new Histogram({
  name: "trustflow_run_duration_seconds",
  help: "Run duration from start to finish",
  labelNames: ["status"],
  buckets: [0.01, 0.1, 0.5, 1, 5, 30, 120, 600, 3600, 86400],
  registers: [engineRegistry],
});
const steps = new Counter({
  name: "trustflow_steps_total",
  help: "Finished step attempts",
  labelNames: ["block", "status"],
  registers: [engineRegistry],
});
const stepDuration = new Histogram({
  name: "trustflow_step_duration_seconds",
  help: "Step attempt duration",
  labelNames: ["block"],
  buckets: [0.0001, 0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60],
  registers: [engineRegistry],
});
const retries = new Counter({
  name: "trustflow_step_retries_total",
  help: "Retries scheduled",
  labelNames: ["block"],
  registers: [engineRegistry],
});
/** Dead letters written (the worker sets it from the store at start, then counts). */
export const deadLetterSize = new Gauge({
  name: "trustflow_dead_letters",
  help: "Dead-letter records",
  registers: [engineRegistry],
});
const breakers = new Gauge({
  name: "trustflow_breaker_state",
  help: "Circuit breaker state (0 closed, 1 half-open, 2 open)",
  labelNames: ["key"],
  registers: [engineRegistry],
});
const queueLag = new Histogram({
  name: "trustflow_queue_lag_seconds",
  help: "Delay between a run becoming due and a worker claiming it",
  buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  registers: [engineRegistry],
});

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/** The {@link MetricsSink} writing to {@link engineRegistry}. */
export const promMetrics: MetricsSink = {
  runStatus: (status: RunStatus) => runs.inc({ status }),
  runFinished: (status, durationMs) => runDuration.observe({ status }, durationMs / 1000),
  stepFinished: (block, status, durationMs) => {
    steps.inc({ block, status });
    if (status !== "skipped") stepDuration.observe({ block }, durationMs / 1000);
  },
  retryScheduled: (block) => retries.inc({ block }),
  deadLettered: () => deadLetterSize.inc(),
  breakerState: (key, state) => breakers.set({ key }, BREAKER_VALUE[state]),
  queueLag: (ms) => queueLag.observe(ms / 1000),
};
