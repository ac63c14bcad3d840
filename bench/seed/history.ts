/**
 * `npm run bench:seed`: how long the first start spends generating the demo workspace's run
 * history (`server/domain/seed/history.ts`, issue 17 item 9) on the embedded PostgreSQL, as
 * `npm start` runs it: a cluster started in a temporary data directory, a fresh database per
 * repetition (migrated, demo workspace seeded; not timed), then `seedDemoHistory` timed whole,
 * with the part spent in the writer (bulk inserts and ledger) measured apart from the part spent
 * generating (the engine on its virtual clock, the fast path). Prints a markdown table (median
 * of the repetitions), the runs the engine executed and the load average.
 *   node --import tsx bench/seed/history.ts [--runs 20000] [--reps 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "@/server/adapters/embedded-postgres/cluster";
import { migrate, openDatabase } from "@/server/adapters/prisma";
import { sqlHistoryWriter } from "@/server/adapters/store/sql-demo-history";
import { verifyAudit } from "@/server/domain/audit/ledger";
import { seedDemoHistory, type HistoryWriter } from "@/server/domain/seed/history";
import { seedDemo } from "@/server/domain/seed/seed-demo";
import { irHashOf } from "@/server/domain/workflow/ir-hash";

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = opt("--runs", 20_000);
const reps = opt("--reps", 3);

const dataDir = mkdtempSync(path.join(os.tmpdir(), "trustflow-bench-seed-"));
const server = await startEmbeddedPostgres({ dataDir });
const results: Array<{ total: number; write: number; rows: number; ledgerOk: boolean }> = [];
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
      const inner = sqlHistoryWriter(db.driver);
      let write = 0;
      const timed: HistoryWriter = {
        async writeBatch(ws, batch, marker) {
          const t = performance.now();
          await inner.writeBatch(ws, batch, marker);
          write += performance.now() - t;
        },
      };
      const t0 = performance.now();
      await seedDemoHistory(db.prisma, timed, { runs });
      const total = performance.now() - t0;
      const ws = await db.prisma.workspace.findUniqueOrThrow({ where: { slug: "demo" } });
      const [row] = await db.driver.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM "Run" WHERE "workspaceId" = $1::uuid`,
        [ws.id],
      );
      const n = Number(row?.n ?? 0);
      const ledgerOk = (await verifyAudit(db.prisma, ws.id)).ok;
      results.push({ total, write, rows: n, ledgerOk });
      console.error(
        `rep ${r + 1}: ${(total / 1000).toFixed(2)} s (writes ${(write / 1000).toFixed(2)} s), ${n} runs, ledger ${ledgerOk ? "verifies" : "BROKEN"}`,
      );
    } finally {
      await db.close();
    }
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const total = median(results.map((x) => x.total));
const write = median(results.map((x) => x.write));
console.log(
  `| runs (stored) | repetitions | total (median) | generation | writes (inserts + ledger) | runs/s | ledger |`,
);
console.log(`| ---: | ---: | ---: | ---: | ---: | ---: | --- |`);
console.log(
  `| ${runs.toLocaleString("en")} (${median(results.map((x) => x.rows)).toLocaleString("en")}) | ${reps} | ${(total / 1000).toFixed(2)} s | ${((total - write) / 1000).toFixed(2)} s | ${(write / 1000).toFixed(2)} s | ${Math.round(runs / (total / 1000)).toLocaleString("en")} | ${results.every((x) => x.ledgerOk) ? "verifies" : "BROKEN"} |`,
);
console.log(
  `\nall: ${results.map((x) => (x.total / 1000).toFixed(2)).join(" s, ")} s; load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"})`,
);
