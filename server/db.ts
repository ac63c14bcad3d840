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
  }
  log.info({ database: db.kind, location: db.location }, "database ready");
  return db;
}
