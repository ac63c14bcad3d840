/**
 * `npm run worker`: a scale-out worker process. Needs DATABASE_URL (PostgreSQL, shared with the
 * web app, which runs with TRUSTFLOW_EMBEDDED_WORKER=off and only enqueues). Applies pending
 * migrations, then takes "run.advance" jobs from pg-boss until SIGTERM/SIGINT, when it stops
 * claiming, lets running advances reach a checkpoint and releases their leases.
 *
 * Tunables: WORKER_CONCURRENCY (runs at once, 8), WORKER_LEASE_MS (30000), WORKER_POLL_MS (1000),
 * WORKER_WORKSPACE_LIMIT (leased runs per workspace across all workers, 4), WORKER_SCHEDULER=off
 * (no cron scheduler in this process). WORKER_METRICS_PORT: serve this process's metrics on
 * `GET /metrics` (bearer METRICS_TOKEN, as `/api/metrics`).
 */
import { migrate, openDatabase } from "@/server/adapters/prisma";
import { startPgBossWorker } from "@/server/adapters/queue/pgboss-worker";
import { env } from "@/server/env";
import { logger } from "@/server/logger";
import { startWorkerMetricsServer, type WorkerMetricsServer } from "@/server/metrics-endpoint";

const int = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`${name} must be a positive integer (got "${v}").`);
    process.exit(2);
  }
  return n;
};

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      "npm run worker needs DATABASE_URL=postgres://… (the web app's PostgreSQL database).\n" +
        "Separate workers cannot share the embedded PGlite database: without DATABASE_URL, runs\n" +
        "execute in the web process (TRUSTFLOW_EMBEDDED_WORKER=on, the default).",
    );
    process.exit(2);
  }
  const e = env();
  const log = logger();
  const db = await openDatabase({ kind: "postgres", url, poolSize: 10 });
  const report = await migrate(db.driver);
  if (report.applied.length) log.info({ applied: report.applied }, "migrations applied");
  const worker = await startPgBossWorker(db, {
    connectionString: url,
    concurrency: int("WORKER_CONCURRENCY", 8),
    leaseMs: int("WORKER_LEASE_MS", 30_000),
    pollMs: int("WORKER_POLL_MS", 1_000),
    perWorkspaceLimit: int("WORKER_WORKSPACE_LIMIT", 4),
    schedule: process.env.WORKER_SCHEDULER !== "off",
  });
  // This process's runs are counted in its own registry, not the web process's: serve it.
  let metrics: WorkerMetricsServer | null = null;
  if (e.WORKER_METRICS_PORT && !e.METRICS_TOKEN) {
    log.warn("WORKER_METRICS_PORT is set without METRICS_TOKEN: worker metrics stay off");
  } else if (e.WORKER_METRICS_PORT) {
    metrics = await startWorkerMetricsServer({
      port: e.WORKER_METRICS_PORT,
      token: e.METRICS_TOKEN,
    });
    log.info({ port: metrics.port }, "worker metrics on GET /metrics");
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping worker");
    void worker
      .stop()
      .then(() => metrics?.close())
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err: String(err) }, "worker stop failed");
          process.exit(1);
        },
      );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
