/**
 * `npm run bench:seed:first-start`: after the demo history is written (as in `history.ts`), how
 * long the background work of the first start takes until the Trust, Operations and anomaly
 * pages show it: the reconciler (only for runs written unreconciled), then the trust, rollup,
 * anomaly and guardian consumers, each through its batches until it is caught up (`--batch`
 * runs per batch: the consumers' catch-up size by default). One after the other: the server runs
 * them side by side on the same cores, so the sum is what the machine spends. Then what the
 * anomaly detector found against what the history planted (`history-detection.ts`).
 *   node --import tsx bench/seed/first-start.ts [--runs 20000] [--batch 2000]
 */
import { sqlHistoryWriter } from "@/server/adapters/store/sql-demo-history";
import { foldAnomalies } from "@/server/domain/anomaly/consumer";
import { foldRollupBatch } from "@/server/domain/dashboard/rollup-consumer";
import { CATCH_UP_BATCH } from "@/server/domain/finished-runs";
import { groupFailedRuns } from "@/server/domain/guardian/consumer";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import { seedDemoHistory } from "@/server/domain/seed/history";
import { detectionReport } from "@/server/domain/seed/history-detection";
import { foldFinishedRuns } from "@/server/domain/trust/consumer";
import { createServices } from "@/server/wiring/services";
import { machine, opt, withDemoDatabases } from "./setup";

const runs = opt("--runs", 20_000);
const batch = opt("--batch", CATCH_UP_BATCH);

await withDemoDatabases(1, async (db) => {
  const t0 = performance.now();
  await seedDemoHistory(db.prisma, sqlHistoryWriter(db.driver), { runs });
  const rows: Array<[string, number, number]> = [["history written", performance.now() - t0, 1]];
  const s = createServices(db);
  const loop = async (name: string, fold: () => Promise<{ more: boolean }>) => {
    const t = performance.now();
    let n = 0;
    for (let more = true; more; n++) more = (await fold()).more;
    rows.push([name, performance.now() - t, n]);
  };
  await loop("reconciler (200 per batch)", () =>
    reconcileEndedRuns(s.reconciliation, { limit: 200 }),
  );
  await loop("trust consumer", () => foldFinishedRuns(db.prisma, { now: Date.now(), batch }));
  await loop("rollup consumer", () => foldRollupBatch(db.prisma, { batch }));
  await loop("anomaly consumer", () => foldAnomalies(db.prisma, { now: Date.now(), batch }));
  await loop("guardian consumer", () => groupFailedRuns(db.prisma, { batch }));
  console.log(`| step | time | batches |\n| --- | ---: | ---: |`);
  for (const [name, ms, n] of rows) console.log(`| ${name} | ${(ms / 1000).toFixed(2)} s | ${n} |`);
  const total = rows.reduce((x, [, ms]) => x + ms, 0);
  console.log(`| **total** | **${(total / 1000).toFixed(2)} s** | |`);
  console.log(`\n${runs.toLocaleString("en")} runs, consumer batches of ${batch}; ${machine()}`);

  const ws = await db.prisma.workspace.findUniqueOrThrow({ where: { slug: "demo" } });
  const report = await detectionReport(db.prisma, ws.id);
  if (!report) return;
  console.log(
    `\n| planted | entity | metric | from day | found (rule, day, observed vs baseline, z) |`,
  );
  console.log(`| --- | --- | --- | ---: | --- |`);
  for (const p of report.planted) {
    const f = p.found;
    const found = f
      ? `${f.rule}, day ${f.day.toFixed(2)}, ${f.observed.toPrecision(3)} vs ${f.baseline?.toPrecision(3) ?? "–"}${f.score === null ? "" : `, z ${f.score.toFixed(1)}`}`
      : "**not found**";
    console.log(`| ${p.kind} | ${p.entity} | ${p.metric} | ${p.fromDay.toFixed(2)} | ${found} |`);
  }
  console.log(
    `\nother anomalies on the planted effects' blocks and flows: ${report.related.length}; unexplained: ${report.unexplained.length}`,
  );
  for (const a of report.unexplained)
    console.log(
      `  unexplained: ${a.kind} ${a.key} ${a.metric} (${a.rule}) day ${a.day.toFixed(2)}: ${a.observed.toPrecision(3)} vs ${a.baseline?.toPrecision(3) ?? "–"}`,
    );
});
