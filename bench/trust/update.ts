/**
 * `npm run bench:trust`: what the trust consumer (`server/domain/trust/consumer.ts`) costs per
 * finished attempt it folds into the decayed counts (issue 17), and what a score read costs.
 * Seeds `--runs` reconciled runs of a 3-step flow straight into the tables (a pure step in the
 * run's `RunStepLog`, two connector steps as `StepAttempt` rows; every 10th run fails its
 * lookup twice, is dead-lettered and has a finding), then folds them all in batches of
 * `--batch` as the background loop does, timing each batch. Prints a markdown table and the
 * load average. PGlite (in-process, single-threaded WASM), so a floor for PostgreSQL.
 *   node --import tsx bench/trust/update.ts [--runs 5000] [--batch 200] [--anomaly]
 * With `--anomaly` the same runs are folded by the anomaly consumer instead
 * (`server/domain/anomaly/consumer.ts`: 5-minute metrics per entity, then the touched entities
 * judged): its cost per finished attempt.
 */
import os from "node:os";
import { foldAnomalies } from "@/server/domain/anomaly/consumer";
import { foldFinishedRuns } from "@/server/domain/trust/consumer";
import { listTrust } from "@/server/domain/trust/list-trust";
import { crmFlowText } from "@/server/testing/prediction-history";
import {
  benchArgs,
  foldAll,
  median,
  openBenchDb,
  seedBenchWorkspace,
  seedRunSideRows,
  seededAttempts,
} from "../support/bench-db";

const args = benchArgs();
const runs = args.num("--runs", 5000);
const batch = args.num("--batch", 200);
const anomaly = args.has("--anomaly");

const db = await openBenchDb();
const p = db.prisma;
const irKey = "bench-ir";
const { ws, workflows } = await seedBenchWorkspace(p, [
  { name: "Bench", text: crmFlowText("bench-trust"), irKey },
]);
const wf = workflows[0]!;

const t0 = performance.now();
await p.$executeRawUnsafe(
  `INSERT INTO "Run" (id, "workspaceId", "workflowId", version, "irHash", "irKey", status,
                      "createdAt", "finishedAt", "reconciledAt")
   SELECT gen_random_uuid(), $1::uuid, $2::uuid, '1.0.0', 'h', $3,
          (CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END)::"RunStatus",
          now(), now() - (($4::int - g) || ' ms')::interval, now() - (($4::int - g) || ' ms')::interval
     FROM generate_series(1, $4::int) g`,
  ws.id,
  wf.id,
  irKey,
  runs,
);
// Connector steps as rows: look (twice when the run fails), update (when it succeeds).
await p.$executeRawUnsafe(
  `INSERT INTO "StepAttempt" ("runId", "stepId", "attempt", "status", "blockId", "idempotencyKey",
                              "startedAt", "finishedAt", "durationMs", "error", "classification")
   SELECT r.id, s.step, s.attempt, s.status, s.block, r.id || s.step || s.attempt,
          r."finishedAt", r."finishedAt", s.ms,
          CASE WHEN s.status = 'failed' THEN '{"name":"EngineError","message":"down"}'::jsonb END,
          CASE WHEN s.status = 'failed' THEN '{"severity":"high","category":"integration"}'::jsonb END
     FROM "Run" r
     CROSS JOIN LATERAL (VALUES
       ('look', 1, CASE WHEN r.status = 'failed' THEN 'failed' ELSE 'succeeded' END, 'crm.contact.get', 120),
       ('look', 2, CASE WHEN r.status = 'failed' THEN 'failed' END, 'crm.contact.get', 6000),
       ('update', 1, CASE WHEN r.status = 'succeeded' THEN 'succeeded' END, 'crm.contact.update', 80)
     ) AS s(step, attempt, status, block, ms)
    WHERE s.status IS NOT NULL AND r."workspaceId" = $1::uuid`,
  ws.id,
);
// The pure step in the run's step log; a dead letter and a finding for each failed run.
await seedRunSideRows(p, ws.id);
const seedMs = performance.now() - t0;
const attemptsSeeded = await seededAttempts(p, runs);

const load0 = os.loadavg()[0]!.toFixed(2);
const {
  times: batchMs,
  folded,
  attempts,
  totalMs,
} = await foldAll(() =>
  anomaly
    ? foldAnomalies(p, { now: Date.now(), batch })
    : foldFinishedRuns(p, { now: Date.now(), batch }),
);
if (folded !== runs || attempts !== attemptsSeeded)
  throw new Error(
    `folded ${folded} runs / ${attempts} attempts, expected ${runs} / ${attemptsSeeded}`,
  );

// The read a request makes: every block score of the workspace, and a flow's.
const reads: number[] = [];
for (let i = 0; i < 50; i++) {
  const r0 = performance.now();
  await listTrust(p, ws.id, i % 2 ? "flow" : "block", Date.now());
  reads.push(performance.now() - r0);
}
const blocks = await listTrust(p, ws.id, "block", Date.now());
const load1 = os.loadavg()[0]!.toFixed(2);
await db.close();

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const p95 = (xs: number[]) => sorted(xs)[Math.floor(xs.length * 0.95)]!;
const fmt = (x: number, d = 1) => x.toFixed(d);

console.log(
  `${anomaly ? "Anomaly consumer" : "Trust consumer"}: PGlite, node ${process.version}, ${os.cpus().length} cores, load ${load0} → ${load1}; ` +
    `${runs} runs (${attemptsSeeded} attempts, 1 pure a run in RunStepLog) seeded in ${fmt(seedMs / 1000)} s`,
);
console.log("");
console.log("| measure | value |");
console.log("| --- | --- |");
console.log(`| batch size (runs) | ${batch} |`);
console.log(`| batches | ${batchMs.length} |`);
console.log(
  `| batch time, median / p95 / max | ${fmt(median(batchMs))} / ${fmt(p95(batchMs))} / ${fmt(Math.max(...batchMs))} ms |`,
);
console.log(`| total fold time | ${fmt(totalMs)} ms |`);
console.log(`| **per finished attempt** | **${fmt((totalMs * 1000) / attempts)} µs** |`);
console.log(`| per run | ${fmt((totalMs * 1000) / runs)} µs |`);
console.log(
  `| score read (list blocks or flows), median / p95 | ${fmt(median(reads), 2)} / ${fmt(p95(reads), 2)} ms |`,
);
console.log("");
console.log(
  "Scores: " +
    blocks
      .map((b) => `${b.key} ${b.score} [${b.interval.low}, ${b.interval.high}] n=${b.n}`)
      .join("; "),
);
