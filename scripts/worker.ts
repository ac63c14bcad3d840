/**
 * `npm run worker`: a worker process on the web app's database: DATABASE_URL, or without it the
 * embedded PostgreSQL that `npm start` runs under TRUSTFLOW_DATA_DIR (joined, never started). The
 * web app may keep its own embedded worker (runs are leased, one advancer each) or run with
 * TRUSTFLOW_EMBEDDED_WORKER=off and only enqueue. Applies pending
 * migrations, then takes "run.advance" jobs from pg-boss until SIGTERM/SIGINT, when it stops
 * claiming, lets running advances reach a checkpoint and releases their leases.
 *
 * Tunables: WORKER_CONCURRENCY (runs at once, 8), WORKER_LEASE_MS (30000), WORKER_POLL_MS (1000),
 * WORKER_WORKSPACE_LIMIT (leased runs per workspace across all workers, 4), WORKER_SCHEDULER=off
 * (no cron scheduler in this process). WORKER_METRICS_PORT: serve this process's metrics on
 * `GET /metrics` (bearer METRICS_TOKEN, as `/api/metrics`).
 */
import path from "node:path";
import { joinEmbeddedPostgres } from "@/server/adapters/embedded-postgres/cluster";
import { migrate, openDatabase } from "@/server/adapters/prisma";
import { startPgBossWorker } from "@/server/adapters/queue/pgboss-worker";
import { startPythonPrewarm } from "@/server/wiring/python-prewarm";
import { configureTrust } from "@/server/domain/trust/score";
import { EMBEDDED_DATABASE } from "@/server/embedded-database";
import { env } from "@/server/env";
import { logger } from "@/server/logger";
import { startWorkerMetricsServer, type WorkerMetricsServer } from "@/server/metrics-endpoint";
import { startRunFollowers } from "@/server/wiring/run-followers";
import { createServices } from "@/server/wiring/services";
import { partsOf, stopProcess } from "@/server/wiring/stop-in-order";

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
  const e = env();
  let url = e.DATABASE_URL;
  if (!url) {
    // The embedded PostgreSQL that `npm start` runs under the same data directory: joined, as
    // a PostgreSQL server is, never started or stopped from here.
    const embedded = await joinEmbeddedPostgres({ dataDir: e.TRUSTFLOW_DATA_DIR });
    if (!embedded) {
      console.error(
        `No embedded PostgreSQL runs under ${path.resolve(e.TRUSTFLOW_DATA_DIR)}: start the studio first\n` +
          "(npm start, with the same TRUSTFLOW_DATA_DIR), or set DATABASE_URL=postgres://… to join a server.",
      );
      process.exit(2);
    }
    url = embedded.urlFor(EMBEDDED_DATABASE);
  }
  const log = logger();
  const db = await openDatabase({ kind: "postgres", url, poolSize: 10 });
  const report = await migrate(db.driver);
  if (report.applied.length) log.info({ applied: report.applied }, "migrations applied");
  // This process's composition: the same builder as the web process's (server/composition.ts).
  const services = createServices(db);
  const worker = await startPgBossWorker(services, {
    connectionString: url,
    concurrency: int("WORKER_CONCURRENCY", 8),
    leaseMs: int("WORKER_LEASE_MS", 30_000),
    pollMs: int("WORKER_POLL_MS", 1_000),
    perWorkspaceLimit: int("WORKER_WORKSPACE_LIMIT", 4),
    schedule: process.env.WORKER_SCHEDULER !== "off",
  });
  // Earned trust's half-life, as the web process sets it.
  configureTrust({ halfLifeMs: e.TRUST_SCORE_HALF_LIFE_DAYS * 86_400_000 });
  // The reprocessor and what reads finished runs (the same list as the web process's): any
  // number of processes may run them, each run is taken once.
  const { reprocessor, readers } = startRunFollowers(
    services,
    log,
    e,
    e.TRUSTFLOW_FOLD_THREAD === "on" ? { foldThreadUrl: url } : {},
  );
  // The code.python sandbox (snapshot, warm pool) prepared in the background after the start.
  const pythonPrewarm = startPythonPrewarm(
    services.python,
    log.child({ component: "python" }),
    e.TRUSTFLOW_PYTHON_PREWARM === "on" ? undefined : null,
  );
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
    // Runs reach a checkpoint first, then what reads finished runs; the database last.
    const parts = [
      ...partsOf({ reprocessor, worker, ...readers, pythonPrewarm }),
      { name: "metrics", stop: () => metrics?.close() },
    ];
    void stopProcess(parts, () => db.close(), log, e.TRUSTFLOW_STOP_TIMEOUT_MS).then(
      (status) => process.exit(status),
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
