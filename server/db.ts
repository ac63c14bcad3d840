import "server-only";
import path from "node:path";
import { migrate, openDatabase, type Database } from "@/server/adapters/prisma";
import { seedDemo } from "@/server/domain/seed/seed-demo";
import { env } from "./env";
import { logger } from "./logger";

/**
 * The process-wide database: PGlite under `.data/` unless `DATABASE_URL` is set. Opened once per
 * process (kept on globalThis across Next's module reloads), migrated and seeded before first use.
 */
const g = globalThis as unknown as { __trustflowDb?: Promise<Database> };

export function database(): Promise<Database> {
  g.__trustflowDb ??= boot().catch((err) => {
    g.__trustflowDb = undefined;
    throw err;
  });
  return g.__trustflowDb;
}

async function boot(): Promise<Database> {
  const e = env();
  const db = await openDatabase(
    e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "pglite", dataDir: path.join(e.TRUSTFLOW_DATA_DIR, "pglite") },
  );
  const log = logger();
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
      const { appOrigin } = await import("@/server/adapters/connectors/store");
      await ensureDemoConnectors(db.prisma, demo.id, appOrigin());
    }
  }
  log.info({ database: db.kind, location: db.location }, "database ready");
  return db;
}

const w = globalThis as unknown as {
  __trustflowWorker?: Promise<{ stop(): Promise<void> } | null>;
};

/**
 * Starts the embedded worker in this process (default; `TRUSTFLOW_EMBEDDED_WORKER=off` when
 * separate worker processes execute runs). Started once per process.
 */
export function startWorker(): Promise<{ stop(): Promise<void> } | null> {
  w.__trustflowWorker ??= (async () => {
    if (env().TRUSTFLOW_EMBEDDED_WORKER === "off") return null;
    const db = await database();
    const { startEmbeddedWorker } = await import("@/server/adapters/queue/embedded-worker");
    const worker = startEmbeddedWorker(db.prisma);
    logger().info("embedded worker started");
    return worker;
  })();
  return w.__trustflowWorker;
}
