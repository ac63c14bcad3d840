import "server-only";
import type { EmbeddedPostgres } from "@/server/adapters/embedded-postgres/cluster";
import { migrate, openDatabase, type Database } from "@/server/adapters/prisma";
import { seedDemo } from "@/server/domain/seed/seed-demo";
import type { InlineExecution } from "@/server/domain/trigger/start-triggered-run";
import { openEmbeddedDatabase } from "./embedded-database";
import { env } from "./env";
import { logger } from "./logger";
import { processSingleton } from "./process-state";
import { createServices, type Services } from "./wiring/services";
import { partsOf, stopProcess, type StopPart } from "./wiring/stop-in-order";

/**
 * The composition root of the web process: its services (database, run store, transactor,
 * audit, engine, vault, model router, clock, ids, notifier, metrics, egress guard, admission;
 * built by `createServices`, `server/wiring/services.ts`) opened once, with run execution.
 * tRPC's context (`server/trpc/context.ts`), the routes, the webhook and mock endpoints and
 * `instrumentation.ts` all get them from {@link services}; `npm run worker` builds its own
 * with the same `createServices` (a separate process).
 *
 * Why on globalThis (the process's one key, `server/process-state.ts`): Next.js bundles
 * `instrumentation.ts` (which starts the embedded worker) and each route separately, so this
 * module is evaluated several times per process. A module-level memo would give each bundle its
 * own database pool, notifier, admission gate, webhook secret cache and ledger heads: a route's
 * run start would never wake the worker of instrumentation's bundle, and a rotated webhook
 * secret would go on verifying in the bundle that receives deliveries.
 */
interface Composition {
  services?: Promise<Services>;
  databaseUrl?: string;
  embedded?: EmbeddedPostgres;
  /** Run execution's parts, in the order they stop (what starts runs first). */
  worker?: Promise<StopPart[]>;
  inline?: InlineExecution;
  /** The webhook handler `scripts/serve.mjs` answers with before Next.js (plain JS reads it). */
  webhookFrontEnd?: WebhookFrontEnd;
}

/** What `scripts/serve.mjs` needs to answer webhooks itself (`server/webhook-endpoint.ts`). */
export interface WebhookFrontEnd {
  answer: (r: never) => Promise<unknown>;
  tooLarge: () => unknown;
  maxBodyBytes: number;
}

/** Hands the webhook handler to `scripts/serve.mjs` (one handler, two front ends). */
export function exposeWebhookFrontEnd(front: WebhookFrontEnd): void {
  root().webhookFrontEnd = front;
}

const root = (): Composition => processSingleton<Composition>("composition", () => ({}));

/** The process's services: the database opened, migrated and seeded at first use. */
export function services(): Promise<Services> {
  const c = root();
  c.services ??= boot().catch((err) => {
    c.services = undefined;
    throw err;
  });
  return c.services;
}

/** The process's database (the embedded PostgreSQL unless `DATABASE_URL` is set). */
export async function database(): Promise<Database> {
  return (await services()).database;
}

/** The URL of the process's database (DATABASE_URL or the embedded server's), once opened. */
export async function databaseUrl(): Promise<string> {
  await services();
  return root().databaseUrl!;
}

/**
 * Closes the database and stops the embedded server when this process started it (after the
 * worker has stopped): the end of a graceful shutdown.
 */
export async function closeDatabase(): Promise<void> {
  const c = root();
  const open = c.services;
  c.services = undefined;
  if (open) await (await open.catch(() => null))?.database.close();
  await c.embedded?.stop();
}

async function boot(): Promise<Services> {
  const e = env();
  const log = logger();
  const { configurePasswordHashing, SCRYPT_N_RANGE } =
    await import("@/server/domain/auth/password");
  configurePasswordHashing({ N: e.PASSWORD_SCRYPT_N });
  if (e.PASSWORD_SCRYPT_N < SCRYPT_N_RANGE.default) {
    log.warn(
      { PASSWORD_SCRYPT_N: e.PASSWORD_SCRYPT_N, default: SCRYPT_N_RANGE.default },
      "new passwords are hashed below the default scrypt cost: for test servers only",
    );
  }
  const c = root();
  let url = e.DATABASE_URL;
  let location: string | undefined;
  /** Writes the demo history (set below when the demo is seeded and the history is wanted). */
  let seedHistory: (() => Promise<void>) | undefined;
  if (!url) {
    const embedded = await openEmbeddedDatabase({
      dataDir: e.TRUSTFLOW_DATA_DIR,
      port: e.TRUSTFLOW_EMBEDDED_PG_PORT,
      log: (msg, fields) => log.info(fields ?? {}, msg),
    });
    c.embedded = embedded.server;
    url = embedded.url;
    location = embedded.location;
  }
  c.databaseUrl = url;
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
    // 30 days of run history for the Trust and Operations pages, once (docs/demo-history.md),
    // written in the background once the server is up: a first start does not wait for it.
    if (e.TRUSTFLOW_DEMO_HISTORY_RUNS > 0) {
      const runs = e.TRUSTFLOW_DEMO_HISTORY_RUNS;
      seedHistory = async () => {
        const { seedDemoHistory } = await import("@/server/domain/seed/history");
        const { sqlHistoryWriter } = await import("@/server/adapters/store/sql-demo-history");
        const startedAt = Date.now();
        const history = await seedDemoHistory(db.prisma, sqlHistoryWriter(db.driver), { runs });
        if (history.created)
          log.info({ runs: history.runs, ms: Date.now() - startedAt }, "demo history seeded");
      };
    }
  }
  log.info({ database: db.kind, location: db.location }, "database ready");
  const { configureTrust } = await import("@/server/domain/trust/score");
  configureTrust({ halfLifeMs: e.TRUST_SCORE_HALF_LIFE_DAYS * 86_400_000 });
  const services = createServices(db);
  if (seedHistory) {
    // The demo's history is not worth failing a start for: an interrupted one is continued by
    // the next start (its batches are committed one by one).
    void seedHistory().catch((err: unknown) =>
      log.warn({ err: String(err) }, "demo history could not be seeded"),
    );
  }
  return services;
}

/**
 * The embedded worker's engine for runs started inline (synchronous webhooks), when this
 * process executes runs; undefined in scale-out mode (the web app only enqueues).
 */
export function inlineExecution(): InlineExecution | undefined {
  return root().inline;
}

/**
 * Starts run execution for this process, once. Default: the embedded worker (claim loop) and the
 * cron scheduler run here. With `TRUSTFLOW_EMBEDDED_WORKER=off` (scale-out on PostgreSQL) this
 * process only enqueues pg-boss jobs for `npm run worker` processes and listens for run ends
 * (synchronous webhooks). Both modes expose the cluster's queue and worker gauges on /api/metrics.
 */
export function startWorker(opts: { stopOnSignals?: boolean } = {}): Promise<StopPart[]> {
  const c = root();
  c.worker ??= (async () => {
    const s = await services();
    const e = env();
    const log = logger();
    const { registerClusterMetrics } = await import("@/server/adapters/queue/worker-stats");
    registerClusterMetrics(async () => (await services()).sql);
    const onError = (err: unknown) => log.warn({ err: String(err) }, "queue background error");
    // Eval runs a stopped server left running continue here (or fail with the reason): at once,
    // then every minute. Their runners live in the web process in both modes.
    const { startEvalResumeLoop } = await import("@/server/domain/sandbox/evals-sweep");
    const { loadDatasetVersion } = await import("@/server/domain/sandbox/datasets");
    const evalResume = startEvalResumeLoop(
      { ...s, datasets: loadDatasetVersion },
      log.child({ component: "evals" }),
    );
    // New guardian fix proposals proved in sandbox sessions (issue 18), two at a time; their
    // runs execute wherever runs execute (this process or `npm run worker`).
    const { startProofLoop } = await import("@/server/domain/guardian/proof-loop");
    const proofs = startProofLoop(s, log.child({ component: "guardian-proofs" }));
    // Model-written fix proposals (issue 18) for groups the rules could not fix, in workspaces
    // whose admin chose a guardian model; a few groups per turn, within a daily cap.
    const { startModelProposalLoop } = await import("@/server/domain/guardian/model-loop");
    const modelProposals = startModelProposalLoop(s, log.child({ component: "guardian-model" }));
    // The code.python sandbox (snapshot, warm pool) prepared in the background after the start,
    // so the first Python step (here, or an eval's in either mode) does not pay it.
    const { startPythonPrewarm } = await import("@/server/wiring/python-prewarm");
    const pythonPrewarm = startPythonPrewarm(
      s.python,
      log.child({ component: "python" }),
      e.TRUSTFLOW_PYTHON_PREWARM === "on" ? undefined : null,
    );
    if (e.TRUSTFLOW_EMBEDDED_WORKER === "off") {
      // On a PostgreSQL server or the embedded one alike: `npm run worker` processes execute.
      const url = await databaseUrl();
      const { startPgBossProducer } = await import("@/server/adapters/queue/pgboss-queue");
      const { listenRunEnds } = await import("@/server/adapters/queue/run-end-relay");
      const producer = await startPgBossProducer(url, s.notifier, onError);
      const listener = listenRunEnds(url, s.notifier, onError);
      log.info("run queue: pg-boss (runs execute in `npm run worker` processes)");
      return partsOf({
        proofs,
        modelProposals,
        pythonPrewarm,
        evalResume,
        listener,
        producer,
      });
    }
    const { startEmbeddedWorker } = await import("@/server/adapters/queue/embedded-worker");
    const { startScheduler } = await import("@/server/adapters/queue/scheduler");
    const engine = s.engine();
    const worker = startEmbeddedWorker(s, { engine });
    const scheduler = startScheduler(s.fireDueSchedules, log.child({ component: "scheduler" }));
    // The reprocessor and what reads finished runs (the same list as `npm run worker`'s).
    const { startRunFollowers } = await import("@/server/wiring/run-followers");
    const { reprocessor, readers } = startRunFollowers(
      s,
      log,
      e,
      e.TRUSTFLOW_FOLD_THREAD === "on" ? { foldThreadUrl: c.databaseUrl! } : {},
    );
    // Sandbox sessions past their expiry closed and their mock state (kept in this process)
    // dropped, every minute (at once again while a full batch was closed).
    const { startBackgroundLoop } = await import("@/server/domain/background-loop");
    const { sweepExpiredSessions } = await import("@/server/domain/sandbox/sessions");
    const sessions = startBackgroundLoop(() =>
      sweepExpiredSessions(s.db, s.sandbox).then(
        (closed) => (closed.length > 0 ? 1_000 : 60_000),
        (err: unknown) => {
          log.warn({ err: String(err) }, "sandbox session sweep failed");
          return 60_000;
        },
      ),
    );
    c.inline = { engine };
    log.info("embedded worker started");
    // What starts runs stops first (a proof waits for its runs: it is abandoned and queued
    // again), then run execution (runs reach a checkpoint), then what reads finished runs.
    return partsOf({
      inline: { stop: () => void (c.inline = undefined) },
      scheduler,
      proofs,
      modelProposals,
      evalResume,
      reprocessor,
      worker,
      sessions,
      ...readers,
      pythonPrewarm,
    });
  })();
  if (opts.stopOnSignals) {
    // The worker stops first (runs reach a checkpoint), then the database (and the embedded
    // server, when this process started it).
    void c.worker.then((parts) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        void stopProcess(parts, closeDatabase, logger(), env().TRUSTFLOW_STOP_TIMEOUT_MS).then(
          (status) => process.exit(status),
          () => process.exit(1),
        );
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
  }
  return c.worker;
}

/**
 * The server process's start (instrumentation.ts): the services, then run execution (stopped
 * gracefully on SIGTERM/SIGINT). Next.js would log a failure here and serve on, unhealthy
 * forever: a server that cannot open its database exits instead, so `npm start`, the tests and
 * supervisors see it.
 */
export async function startServerProcess(): Promise<void> {
  try {
    await services();
    await startWorker({ stopOnSignals: true });
  } catch (err) {
    console.error(`Trustflow could not start: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
}
