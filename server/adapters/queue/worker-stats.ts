/**
 * What separate worker processes tell `/api/metrics`: each worker keeps its breaker states and
 * recent queue lag in memory (a {@link MetricsSink} wrapper), and writes them to its
 * `WorkerHeartbeat` row every few seconds. The web process's registry reads those rows, plus
 * the database's own view of the queue (runs due and not yet claimed, oldest due age), at scrape.
 */
import { Gauge } from "prom-client";
import { breakerLabels, type BreakerState } from "@/server/engine/breaker";
import { engineRegistry } from "@/server/adapters/metrics/prom-metrics";
import type { MetricsSink } from "@/server/engine/ports";
import type { SqlQuery } from "../store/sql-run-store";

/** A worker's in-memory view: breaker states and the queue lag of its last claims. */
export interface WorkerStats {
  /**
   * Breaker states by `<workspaceId>:<endpoint>` as metrics label them (hosts and model routes
   * collapsed to their kind, see `breakerLabels`), the worst state of the breakers under each.
   */
  breakers: Record<string, BreakerState>;
  /** Queue lag of the claims since the previous heartbeat: max and last, ms. */
  queueLagMaxMs: number;
  queueLagLastMs: number | null;
  runsAdvanced: number;
}

/** Wraps `inner`, recording breaker states and queue lag into `stats`. */
export function trackingMetrics(inner: MetricsSink): { sink: MetricsSink; stats: WorkerStats } {
  const stats: WorkerStats = {
    breakers: {},
    queueLagMaxMs: 0,
    queueLagLastMs: null,
    runsAdvanced: 0,
  };
  // Breakers not closed, by full key, grouped by label: the heartbeat carries the labels only.
  const open = new Map<string, Map<string, BreakerState>>();
  return {
    stats,
    sink: {
      ...inner,
      breakerState(key, state) {
        const { workspace, endpoint } = breakerLabels(key);
        const label = `${workspace}:${endpoint}`;
        const keys = open.get(label) ?? new Map<string, BreakerState>();
        if (state === "closed") keys.delete(key);
        else keys.set(key, state);
        if (keys.size) open.set(label, keys);
        else open.delete(label);
        stats.breakers[label] = worstState(keys.values());
        inner.breakerState(key, state);
      },
      queueLag(ms) {
        stats.queueLagMaxMs = Math.max(stats.queueLagMaxMs, ms);
        stats.queueLagLastMs = ms;
        stats.runsAdvanced++;
        inner.queueLag(ms);
      },
    },
  };
}

/** Writes the worker's heartbeat row every `everyMs` (and once at start); returns the stop. */
export function startHeartbeat(
  sql: SqlQuery,
  worker: { id: string; kind: "embedded" | "pgboss" },
  stats: WorkerStats,
  onError: (err: unknown) => void,
  everyMs = 5_000,
): { stop(): Promise<void> } {
  const startedAt = Date.now();
  const beat = async () => {
    const snapshot = { ...stats, breakers: { ...stats.breakers } };
    stats.queueLagMaxMs = 0;
    await sql.query(
      `INSERT INTO "WorkerHeartbeat" ("workerId", "kind", "startedAt", "seenAt", "stats")
       VALUES ($1, $2, to_timestamp($3::float8 / 1000), now(), $4::jsonb)
       ON CONFLICT ("workerId") DO UPDATE SET "seenAt" = now(), "stats" = EXCLUDED."stats"`,
      [worker.id, worker.kind, startedAt, JSON.stringify(snapshot)],
    );
  };
  void beat().catch(onError);
  const timer = setInterval(() => void beat().catch(onError), everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await sql
        .query(`DELETE FROM "WorkerHeartbeat" WHERE "workerId" = $1`, [worker.id])
        .catch(onError);
    },
  };
}

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

function worstState(states: Iterable<BreakerState>): BreakerState {
  let worst: BreakerState = "closed";
  for (const s of states) if (BREAKER_VALUE[s] > BREAKER_VALUE[worst]) worst = s;
  return worst;
}

/**
 * Registers gauges on the engine registry that read the cluster's state from the database at
 * scrape time: `trustflow_queue_due_runs`, `trustflow_queue_oldest_due_seconds` (queue lag as
 * the store sees it), `trustflow_workers{kind}` (heartbeat within 30 s), and per worker
 * `trustflow_worker_breaker_state{worker,workspace,endpoint}` and
 * `trustflow_worker_queue_lag_seconds{worker}`. Once per process (the registry is process-wide).
 */
export function registerClusterMetrics(sql: () => Promise<SqlQuery>): void {
  if (engineRegistry.getSingleMetric("trustflow_queue_due_runs")) return;
  type Beat = { workerId: string; kind: string; stats: string };
  let cache:
    { at: number; value: Promise<{ due: number; oldest: number; beats: Beat[] }> } | undefined;
  // One database read per scrape, shared by the gauges below.
  const read = () => {
    if (cache && Date.now() - cache.at < 500) return cache.value;
    const value = (async () => {
      const q = await sql();
      const [due] = await q.query<{ n: number; oldest: number | null }>(
        `SELECT count(*)::int AS n, extract(epoch from (now() - min("dueAt")))::float8 AS oldest
         FROM "Run" WHERE "status" IN ('queued', 'running', 'waiting') AND "dueAt" <= now()
           AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= now())`,
      );
      const beats = await q.query<Beat>(
        `SELECT "workerId", "kind", "stats"::text AS stats FROM "WorkerHeartbeat"
         WHERE "seenAt" > now() - interval '30 seconds'`,
      );
      return { due: Number(due?.n ?? 0), oldest: Math.max(0, Number(due?.oldest ?? 0)), beats };
    })();
    cache = { at: Date.now(), value };
    value.catch(() => (cache = undefined));
    return value;
  };
  new Gauge({
    name: "trustflow_queue_due_runs",
    help: "Runs due now and not claimed by any worker",
    registers: [engineRegistry],
    async collect() {
      this.set((await read()).due);
    },
  });
  new Gauge({
    name: "trustflow_queue_oldest_due_seconds",
    help: "Age of the oldest due, unclaimed run (queue lag as the store sees it)",
    registers: [engineRegistry],
    async collect() {
      this.set((await read()).oldest);
    },
  });
  new Gauge({
    name: "trustflow_workers",
    help: "Worker processes with a heartbeat in the last 30 s",
    labelNames: ["kind"],
    registers: [engineRegistry],
    async collect() {
      this.reset();
      for (const b of (await read()).beats) this.inc({ kind: b.kind });
    },
  });
  new Gauge({
    name: "trustflow_worker_breaker_state",
    help: "Circuit breaker state per worker process (0 closed, 1 half-open, 2 open)",
    labelNames: ["worker", "workspace", "endpoint"],
    registers: [engineRegistry],
    async collect() {
      this.reset();
      for (const b of (await read()).beats) {
        const s = JSON.parse(b.stats) as Partial<WorkerStats>;
        for (const [key, state] of Object.entries(s.breakers ?? {})) {
          const { workspace, endpoint } = breakerLabels(key);
          const value = BREAKER_VALUE[state];
          if (value !== undefined) this.set({ worker: b.workerId, workspace, endpoint }, value);
        }
      }
    },
  });
  new Gauge({
    name: "trustflow_worker_queue_lag_seconds",
    help: "Largest queue lag a worker process saw since its previous heartbeat",
    labelNames: ["worker"],
    registers: [engineRegistry],
    async collect() {
      this.reset();
      for (const b of (await read()).beats) {
        const s = JSON.parse(b.stats) as Partial<WorkerStats>;
        this.set({ worker: b.workerId }, (s.queueLagMaxMs ?? 0) / 1000);
      }
    },
  });
}
