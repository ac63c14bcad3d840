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
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { foldAnomalies } from "@/server/domain/anomaly/consumer";
import { foldFinishedRuns } from "@/server/domain/trust/consumer";
import { listTrust } from "@/server/domain/trust/list-trust";

const { migrate, openDatabase } = await import("@/server/adapters/prisma");

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = opt("--runs", 5000);
const batch = opt("--batch", 200);
const anomaly = args.includes("--anomaly");

const FLOW = `flow: bench-trust
version: 1.0.0
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields: { id: "'CON-1'" }
  - id: look
    uses: crm.contact.get@1
    needs: [shape]
    with: { id: CON-1 }
  - id: update
    uses: crm.contact.update@1
    needs: [look]
    with: { id: CON-1, lifecycle: customer }
`;

const compiled = compileFlow(FLOW);
if (!compiled.ir) throw new Error("the bench flow does not compile");
const db = await openDatabase({ kind: "pglite" });
await migrate(db.driver);
const p = db.prisma;
const user = await p.user.create({
  data: { email: "bench@example.com", name: "Bench", passwordHash: "x" },
});
const ws = await p.workspace.create({ data: { slug: "bench", name: "Bench" } });
const wf = await p.workflow.create({
  data: { workspaceId: ws.id, name: "Bench", draft: FLOW, createdById: user.id },
});
const irKey = "bench-ir";
await p.$executeRawUnsafe(
  `INSERT INTO "FlowIr" ("key", "ir") VALUES ($1, $2)`,
  irKey,
  JSON.stringify(compiled.ir),
);

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
// The pure step, compactly in the run's step log.
await p.$executeRawUnsafe(
  `INSERT INTO "RunStepLog" ("runId", "firstSeq", "attempts", "finishSeqs")
   SELECT r.id, 1, json_build_array(json_build_object('i', 1, 'stepId', 'shape', 'attempt', 1,
            'status', 'succeeded', 'blockId', 'data.transform', 'durationMs', 0,
            'finishedAt', extract(epoch FROM r."finishedAt") * 1000)), '{1}'
     FROM "Run" r WHERE r."workspaceId" = $1::uuid`,
  ws.id,
);
await p.$executeRawUnsafe(
  `INSERT INTO "DeadLetter" (id, "runId", "workspaceId", "stepId", "blockId", error, attempts, classification, "createdAt")
   SELECT gen_random_uuid(), r.id, r."workspaceId", 'look', 'crm.contact.get', '{}'::jsonb, 2, '{}'::jsonb, r."finishedAt"
     FROM "Run" r WHERE r.status = 'failed'`,
);
await p.$executeRawUnsafe(
  `INSERT INTO "RunFinding" (id, "runId", "workspaceId", kind, "stepId", "createdAt")
   SELECT gen_random_uuid(), r.id, r."workspaceId", 'output_invalid', 'look', r."finishedAt"
     FROM "Run" r WHERE r.status = 'failed'`,
);
const seedMs = performance.now() - t0;
const attemptsSeeded =
  Number(
    (await p.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT count(*) AS n FROM "StepAttempt"`))[0]!
      .n,
  ) + runs;

const load0 = os.loadavg()[0]!.toFixed(2);
const batchMs: number[] = [];
let folded = 0;
let attempts = 0;
const f0 = performance.now();
for (;;) {
  const b0 = performance.now();
  const r = anomaly
    ? await foldAnomalies(p, { now: Date.now(), batch })
    : await foldFinishedRuns(p, { now: Date.now(), batch });
  if (!r.runs) break;
  batchMs.push(performance.now() - b0);
  folded += r.runs;
  attempts += r.attempts;
}
const totalMs = performance.now() - f0;
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
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
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
