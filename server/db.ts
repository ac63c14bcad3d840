import "server-only";
import type { EmbeddedPostgres } from "@/server/adapters/embedded-postgres/cluster";
import { migrate, openDatabase, type Database } from "@/server/adapters/prisma";
import { seedDemo } from "@/server/domain/seed/seed-demo";
import type { InlineExecution } from "@/server/domain/trigger/start-triggered-run";
import { openEmbeddedDatabase } from "./embedded-database";
import { env } from "./env";
import { logger } from "./logger";

/**
 * The process-wide database: the embedded PostgreSQL under `.data/` (server/embedded-database.ts)
 * unless `DATABASE_URL` is set. Opened once per process (kept on globalThis across Next's module
 * reloads), migrated and seeded before first use.
 */
const g = globalThis as unknown as {
  __trustflowDb?: Promise<Database>;
  __trustflowDbUrl?: string;
  __trustflowEmbedded?: EmbeddedPostgres;
};

/** The URL of the process's database (DATABASE_URL or the embedded server's), once opened. */
export async function databaseUrl(): Promise<string> {
  await database();
  return g.__trustflowDbUrl!;
}

/**
 * Closes the database and stops the embedded server when this process started it (after the
 * worker has stopped): the end of a graceful shutdown.
 */
export async function closeDatabase(): Promise<void> {
  const open = g.__trustflowDb;
  g.__trustflowDb = undefined;
  if (open) await (await open.catch(() => null))?.close();
  await g.__trustflowEmbedded?.stop();
}

export function database(): Promise<Database> {
  g.__trustflowDb ??= boot().catch((err) => {
    g.__trustflowDb = undefined;
    throw err;
  });
  return g.__trustflowDb;
}

async function boot(): Promise<Database> {
  const e = env();
  const log = logger();
  let url = e.DATABASE_URL;
  let location: string | undefined;
  if (!url) {
    const embedded = await openEmbeddedDatabase({
      dataDir: e.TRUSTFLOW_DATA_DIR,
      port: e.TRUSTFLOW_EMBEDDED_PG_PORT,
      log: (msg, fields) => log.info(fields ?? {}, msg),
    });
    g.__trustflowEmbedded = embedded.server;
    url = embedded.url;
    location = embedded.location;
  }
  g.__trustflowDbUrl = url;
  const opened = await openDatabase({ kind: "postgres", url });
  const db = location ? { ...opened, location } : opened;
  const report = await migrate(db.driver);
  if (report.applied.length) log.info({ applied: report.applied }, "migrations applied");
  if (e.TRUSTFLOW_SEED === "demo") {
    const { irHashOf } = await import("@/server/domain/workflow/ir-hash");
    const seeded = await seedDemo(db.prisma, { irHashOf });
    if (seeded.created) log.info("demo workspace seeded");
    // The demo workspace's connectors point at the built-in mock services.
    const demo = await db.prisma.workspace.findUnique({ where: { slug: "demo" } });
    if (demo) {
      const { ensureDemoConnectors } = await import("@/server/domain/connector/connectors");
      await ensureDemoConnectors(db.prisma, demo.id);
    }
  }
  log.info({ database: db.kind, location: db.location }, "database ready");
  return db;
}

const w = globalThis as unknown as {
  __trustflowWorker?: Promise<{ stop(): Promise<void> } | null>;
  __trustflowInline?: InlineExecution;
};

/**
 * The embedded worker's engine for runs started inline (synchronous webhooks), when this
 * process executes runs; undefined in scale-out mode (the web app only enqueues).
 */
export function inlineExecution(): InlineExecution | undefined {
  return w.__trustflowInline;
}

/**
 * Starts run execution for this process, once. Default: the embedded worker (claim loop) and the
 * cron scheduler run here. With `TRUSTFLOW_EMBEDDED_WORKER=off` (scale-out on PostgreSQL) this
 * process only enqueues pg-boss jobs for `npm run worker` processes and listens for run ends
 * (synchronous webhooks). Both modes expose the cluster's queue and worker gauges on /api/metrics.
 */
export function startWorker(
  opts: { stopOnSignals?: boolean } = {},
): Promise<{ stop(): Promise<void> } | null> {
  w.__trustflowWorker ??= (async () => {
    const db = await database();
    const e = env();
    const log = logger();
    const { sqlFromDriver } = await import("@/server/adapters/store/sql-run-store");
    const { registerClusterMetrics } = await import("@/server/adapters/queue/worker-stats");
    registerClusterMetrics(async () => sqlFromDriver((await database()).driver));
    const onError = (err: unknown) => log.warn({ err: String(err) }, "queue background error");
    if (e.TRUSTFLOW_EMBEDDED_WORKER === "off") {
      // On a PostgreSQL server or the embedded one alike: `npm run worker` processes execute.
      const url = await databaseUrl();
      const { startPgBossProducer } = await import("@/server/adapters/queue/pgboss-queue");
      const { listenRunEnds } = await import("@/server/adapters/queue/run-end-relay");
      const producer = await startPgBossProducer(url, onError);
      const listener = listenRunEnds(url, onError);
      log.info("run queue: pg-boss (runs execute in `npm run worker` processes)");
      return {
        async stop() {
          await listener.stop();
          await producer.stop();
        },
      };
    }
    const { startEmbeddedWorker } = await import("@/server/adapters/queue/embedded-worker");
    const { createRunEngine } = await import("@/server/domain/run/run-engine");
    const { startScheduler } = await import("@/server/adapters/queue/scheduler");
    // The raw driver: the engine's checkpoints skip Prisma's query engine (hot path).
    const engine = createRunEngine(db.prisma, { sql: sqlFromDriver(db.driver), driver: db.driver });
    const worker = startEmbeddedWorker(db.prisma, { engine });
    const scheduler = startScheduler(db.prisma, log.child({ component: "scheduler" }));
    w.__trustflowInline = { engine, driver: db.driver };
    log.info("embedded worker started");
    return {
      async stop() {
        w.__trustflowInline = undefined;
        await scheduler.stop();
        await worker.stop();
      },
    };
  })();
  if (opts.stopOnSignals) {
    // The worker stops first (runs reach a checkpoint), then the database (and the embedded
    // server, when this process started it).
    void w.__trustflowWorker.then((worker) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        void Promise.resolve(worker?.stop())
          .then(closeDatabase)
          .finally(() => process.exit(0));
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
  }
  return w.__trustflowWorker;
}

/**
 * The server process's start (instrumentation.ts): the database, then run execution (stopped
 * gracefully on SIGTERM/SIGINT). Next.js would log a failure here and serve on, unhealthy
 * forever: a server that cannot open its database exits instead, so `npm start`, the tests and
 * supervisors see it.
 */
export async function startServerProcess(): Promise<void> {
  try {
    await database();
    await startWorker({ stopOnSignals: true });
  } catch (err) {
    console.error(`Trustflow could not start: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
}
