/**
 * What the demo history's benchmarks share: the embedded PostgreSQL as `npm start` runs it (a
 * cluster in a temporary data directory) and, per repetition, a fresh database migrated with
 * the demo workspace seeded (not timed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "@/server/adapters/embedded-postgres/cluster";
import { migrate, openDatabase, type Database } from "@/server/adapters/prisma";
import { seedDemo } from "@/server/domain/seed/seed-demo";
import { irHashOf } from "@/server/domain/workflow/ir-hash";

/** The `--name value` options of the command line. */
export const opt = (name: string, fallback: number) => {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const machine = () =>
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"})`;

/** Runs `each` on `reps` fresh demo databases of one embedded cluster, then stops it. */
export async function withDemoDatabases(
  reps: number,
  each: (db: Database, rep: number) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "trustflow-bench-seed-"));
  const server = await startEmbeddedPostgres({ dataDir });
  try {
    for (let r = 0; r < reps; r++) {
      const name = `bench_seed_${r}`;
      const admin = new pg.Client({ connectionString: server.adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const db = await openDatabase({ kind: "postgres", url: server.urlFor(name) });
      try {
        await migrate(db.driver);
        await seedDemo(db.prisma, { irHashOf });
        await each(db, r);
      } finally {
        await db.close();
      }
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
