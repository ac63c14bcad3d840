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
import { sqlHistoryWriter } from "@/server/adapters/store/sql-demo-history";
import { verifyAudit } from "@/server/domain/audit/ledger";
import { seedDemoHistory, type HistoryWriter } from "@/server/domain/seed/history";
import { machine, median, opt, withDemoDatabases } from "./setup";

const runs = opt("--runs", 20_000);
const reps = opt("--reps", 3);

const results: Array<{ total: number; write: number; rows: number; ledgerOk: boolean }> = [];
await withDemoDatabases(reps, async (db, r) => {
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
});

const total = median(results.map((x) => x.total));
const write = median(results.map((x) => x.write));
// Batch n+1 is generated while batch n is written: "writes" is the time spent waiting on the
// writer, "generation" the rest.
console.log(
  `| runs (stored) | repetitions | total (median) | generation | writes (inserts + ledger) | runs/s | ledger |`,
);
console.log(`| ---: | ---: | ---: | ---: | ---: | ---: | --- |`);
console.log(
  `| ${runs.toLocaleString("en")} (${median(results.map((x) => x.rows)).toLocaleString("en")}) | ${reps} | ${(total / 1000).toFixed(2)} s | ${((total - write) / 1000).toFixed(2)} s | ${(write / 1000).toFixed(2)} s | ${Math.round(runs / (total / 1000)).toLocaleString("en")} | ${results.every((x) => x.ledgerOk) ? "verifies" : "BROKEN"} |`,
);
console.log(
  `\nall: ${results.map((x) => (x.total / 1000).toFixed(2)).join(" s, ")} s; ${machine()}`,
);
