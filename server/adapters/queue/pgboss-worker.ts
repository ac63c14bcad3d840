/**
 * A scale-out worker (`npm run worker`): takes "run.advance" jobs from pg-boss and advances due
 * runs, several at a time, on the shared PostgreSQL database. Under the jobs sits the embedded
 * worker's claim loop: a job wakes it, the store's `claimRuns` (FOR UPDATE SKIP LOCKED, leases
 * renewed by heartbeat) decides which runs this process advances, and its poll is the safety
 * net for timers, expired leases and lost jobs. Also runs the cron scheduler, relays run ends
 * to the web process (NOTIFY) and writes its heartbeat (breakers, queue lag) for /api/metrics.
 */
import { hostname } from "node:os";
import type { RunNotifier } from "@/server/domain/run/ports";
import type { Engine } from "@/server/engine/engine";
import type { MetricsSink, RuntimeRegistry } from "@/server/engine/ports";
import { isTerminalRun } from "@/server/engine/types";
import { logger } from "@/server/logger";
import { promMetrics } from "../metrics/prom-metrics";
import type { SqlQuery } from "../store/sql-run-store";
import { startEmbeddedWorker } from "./embedded-worker";
import { uuidIds } from "./embedded-ports";
import { enqueueRun, openBoss, RUN_ADVANCE_QUEUE } from "./pgboss-queue";
import { publishRunEnds } from "./run-end-relay";
import { startScheduler, type FireDueSchedules } from "./scheduler";

/**
 * What a worker runs on, built by the composition root (`server/wiring/services.ts`): the raw
 * SQL of the database (heartbeats, run-end NOTIFY), the process's notifier, an engine per worker
 * and the schedules' use case.
 */
export interface PgBossWorkerHost {
  sql: SqlQuery;
  notifier: Pick<RunNotifier, "onRunDue" | "onRunFinished">;
  /** A new engine with this worker's id and metrics (and runtimes, when given). */
  newEngine(opts: { workerId: string; metrics: MetricsSink; runtimes?: RuntimeRegistry }): Engine;
  fireDueSchedules: FireDueSchedules;
}
import { startHeartbeat, trackingMetrics } from "./worker-stats";

/** Options of {@link startPgBossWorker}. */
export interface PgBossWorkerOptions {
  /** PostgreSQL URL (the same database as `db`). */
  connectionString: string;
  /** Runtimes to use instead of the server's (tests: a recording test double). */
  runtimes?: RuntimeRegistry;
  /** Lease length; renewed every third of it. Default 30 s. */
  leaseMs?: number;
  /** Safety-net claim poll. Default 1 s. */
  pollMs?: number;
  /** Runs advanced at once. Default 8. */
  concurrency?: number;
  perWorkspaceLimit?: number;
  /** Run the cron scheduler in this process. Default true. */
  schedule?: boolean;
  heartbeatMs?: number;
  workerId?: string;
  /** pg-boss's own connection pool. Default 4. */
  bossPoolSize?: number;
  /** How long `stop()` lets advances reach a checkpoint. Default 10 s. */
  stopTimeoutMs?: number;
}

/** A running scale-out worker. */
export interface PgBossWorker {
  workerId: string;
  stop(): Promise<void>;
}

/** Starts a worker on `host`'s database. */
export async function startPgBossWorker(
  host: PgBossWorkerHost,
  opts: PgBossWorkerOptions,
): Promise<PgBossWorker> {
  const workerId =
    opts.workerId ?? `worker-${hostname()}-${process.pid}-${uuidIds.next().slice(0, 6)}`;
  const log = logger().child({ workerId });
  const onError = (err: unknown) => log.warn({ err: String(err) }, "worker background error");
  const sql = host.sql;
  const tracked = trackingMetrics(promMetrics);
  const engine = host.newEngine({
    workerId,
    metrics: tracked.sink,
    ...(opts.runtimes ? { runtimes: opts.runtimes } : {}),
  });
  const boss = await openBoss(opts.connectionString, onError, { max: opts.bossPoolSize });
  const worker = startEmbeddedWorker(host, {
    engine,
    leaseMs: opts.leaseMs,
    pollMs: opts.pollMs ?? 1_000,
    concurrency: opts.concurrency,
    perWorkspaceLimit: opts.perWorkspaceLimit,
    stopTimeoutMs: opts.stopTimeoutMs,
    onAdvanced: (runId, result) => {
      if (isTerminalRun(result.status)) return;
      // A parked run (timer, retry) gets a job for its next due time; a person's decision
      // enqueues its own job when it arrives.
      void engine.deps.store
        .getRun(runId)
        .then((run) => (run?.dueAt != null ? enqueueRun(boss, runId, run.dueAt) : null))
        .catch(onError);
    },
  });
  await boss.work(
    RUN_ADVANCE_QUEUE,
    { batchSize: opts.concurrency ?? 8, pollingIntervalSeconds: 0.5 },
    async () => {
      worker.wake();
    },
  );
  const unpublish = publishRunEnds(sql, host.notifier, onError);
  const heartbeat = startHeartbeat(
    sql,
    { id: workerId, kind: "pgboss" },
    tracked.stats,
    onError,
    opts.heartbeatMs,
  );
  const scheduler = opts.schedule === false ? null : startScheduler(host.fireDueSchedules, log);
  log.info({ leaseMs: opts.leaseMs ?? 30_000 }, "pg-boss worker started");
  return {
    workerId,
    async stop() {
      await boss.offWork(RUN_ADVANCE_QUEUE).catch(onError);
      await scheduler?.stop();
      await worker.stop();
      unpublish();
      await heartbeat.stop();
      await boss.stop({ graceful: true, wait: true, timeout: 5_000 }).catch(onError);
      log.info("pg-boss worker stopped");
    },
  };
}
