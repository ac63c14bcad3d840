/**
 * `npm run bench:dashboard`: the Trust and Operations pages' queries at 1,000,000 attempts on
 * PostgreSQL (issue 17, item 5), and what the rollup consumer costs per finished attempt.
 *
 * Fills its own database (`--db`, default `trustflow_bench_dashboard` on the local server
 * postgres://postgres@127.0.0.1:55432, dropped and created) through the real tables: `--runs`
 * reconciled runs of 8 flows over the last 30 days (5 steps: a pure step in the run's
 * `RunStepLog`, four connector and agent steps as `StepAttempt` rows with agent usage; one run
 * in ten fails its lookup twice, is dead-lettered and has a finding), then folds them all with
 * the real consumers (rollups and trust, batches of `--batch`), timing each batch, then times
 * every query each page makes (`--reps` times each): the Operations page per range, the Trust
 * page's list and one entity's trend and drill-down. A direct query of the history (the same
 * numbers without rollups) is timed beside them as the baseline. Prints markdown.
 *   node --import tsx bench/dashboard/bench.ts [--runs 210000] [--batch 1000] [--reps 30] [--reuse]
 * (`--reuse`: time the queries again on the database the previous run filled.)
 */
import os from "node:os";
import { foldRollupBatch } from "@/server/domain/dashboard/rollup-consumer";
import { getOperations } from "@/server/domain/dashboard/operations";
import { getTrustEntity } from "@/server/domain/dashboard/trust-trend";
import { foldFinishedRuns } from "@/server/domain/trust/consumer";
import { listTrust } from "@/server/domain/trust/list-trust";
import { DASHBOARD_RANGES } from "@/server/domain/dashboard/schemas";
import {
  benchArgs,
  foldAll,
  loadAvg as load,
  median,
  openBenchDb,
  seedBenchWorkspace,
  seedRunSideRows,
  seededAttempts,
} from "../support/bench-db";

const args = benchArgs();
const runs = args.num("--runs", 210000);
const batch = args.num("--batch", 1000);
const reps = args.num("--reps", 30);
const server = args.str("--server", "postgres://postgres@127.0.0.1:55432");
const dbName = args.str("--db", "trustflow_bench_dashboard");
const FLOWS = 8;
const DAY = 86_400_000;

const reuse = args.has("--reuse");
const db = await openBenchDb({ server, name: dbName, reuse });
const p = db.prisma;

const flowText = (i: number) => `flow: bench-dash-${i}
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
  - id: classify
    uses: agent.classify@1
    needs: [look]
    with: { text: "hello", labels: [a, b] }
  - id: update
    uses: crm.contact.update@1
    needs: [classify]
    with: { id: CON-1, lifecycle: customer }
  - id: bill
    uses: billing.account.get@1
    needs: [update]
    sla: T0
    with: { accountId: ACC-1 }
`;

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const p95 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
const fmt = (x: number, d = 1) => x.toFixed(d);

/** Seeds the history and folds it with the real consumers (skipped with `--reuse`). */
async function seedAndFold() {
  const { ws, workflows } = await seedBenchWorkspace(
    p,
    Array.from({ length: FLOWS }, (_, i) => ({
      name: `Bench ${i}`,
      text: flowText(i),
      irKey: `bench-ir-${i}`,
    })),
  );
  const flows = workflows.map((w) => w.id);

  // Runs over the last 30 days (newest last), one flow in turn; a run takes 1–4 s; it is
  // reconciled half a second after its end.
  const now = Date.now();
  const t0 = performance.now();
  const CHUNK = 30_000;
  for (let lo = 1; lo <= runs; lo += CHUNK) {
    const hi = Math.min(runs, lo + CHUNK - 1);
    await p.$executeRawUnsafe(
      `INSERT INTO "Run" (id, "workspaceId", "workflowId", version, "irHash", "irKey", status,
                          "createdAt", "startedAt", "finishedAt", "reconciledAt")
       SELECT gen_random_uuid(), $1::uuid, ($2::uuid[])[1 + g % $6], '1.0.0', 'h', 'bench-ir-' || (g % $6),
              (CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END)::"RunStatus",
              t - interval '4 s', t - ((1000 + (g * 7919) % 3000) || ' ms')::interval, t, t + interval '500 ms'
         FROM generate_series($3::int, $4::int) g,
              LATERAL (SELECT to_timestamp(($5::float8 - (${30 * DAY}::float8 * ($7::int - g)) / $7::int) / 1000) AS t) x`,
      ws.id,
      flows,
      lo,
      hi,
      now,
      FLOWS,
      runs,
    );
  }
  // The connector and agent steps as rows (the lookup twice when the run fails), durations
  // spread by a hash of the run; the billing step (T0, budget 1 s) is sometimes over budget.
  await p.$executeRawUnsafe(
    `INSERT INTO "StepAttempt" ("runId", "stepId", "attempt", "status", "blockId", "idempotencyKey",
                                "startedAt", "finishedAt", "durationMs", "error", "classification")
     SELECT r.id, s.step, s.attempt, s.status, s.block, r.id || s.step || s.attempt,
            r."finishedAt", r."finishedAt", s.ms,
            CASE WHEN s.status = 'failed' THEN '{"name":"EngineError","message":"down"}'::jsonb END,
            CASE WHEN s.status = 'failed' THEN '{"severity":"high","category":"integration"}'::jsonb END
       FROM "Run" r
       CROSS JOIN LATERAL (SELECT abs(hashtext(r.id::text)) AS h) hh
       CROSS JOIN LATERAL (VALUES
         ('look', 1, CASE WHEN r.status = 'failed' THEN 'failed' ELSE 'succeeded' END, 'crm.contact.get', 50 + hh.h % 450),
         ('look', 2, CASE WHEN r.status = 'failed' THEN 'failed' END, 'crm.contact.get', 6000),
         ('classify', 1, CASE WHEN r.status = 'succeeded' THEN 'succeeded' END, 'agent.classify', 800 + hh.h % 2200),
         ('update', 1, CASE WHEN r.status = 'succeeded' THEN 'succeeded' END, 'crm.contact.update', 60 + hh.h % 60),
         ('bill', 1, CASE WHEN r.status = 'succeeded' THEN 'succeeded' END, 'billing.account.get', 100 + hh.h % 1200)
       ) AS s(step, attempt, status, block, ms)
      WHERE s.status IS NOT NULL`,
  );
  await p.$executeRawUnsafe(
    `INSERT INTO "AgentUsage" ("workspaceId", "runId", "stepId", "attempt", "flowName", "model",
                               "tokensIn", "tokensOut", "costUsd", "at")
     SELECT r."workspaceId", r.id::text, 'classify', 1, 'bench',
            CASE WHEN abs(hashtext(r.id::text)) % 4 = 0 THEN 'large' ELSE 'small' END,
            400, 40, 0.0006, r."finishedAt"
       FROM "Run" r WHERE r.status = 'succeeded'`,
  );
  // The pure step in the run's step log; a dead letter and a finding for each failed run.
  await seedRunSideRows(p);
  await p.$executeRawUnsafe(`ANALYZE`);
  const seedMs = performance.now() - t0;
  const attemptsSeeded = await seededAttempts(p, runs);

  // Fold with the real consumers, as their loops do.
  const loadBefore = load();
  const rollup = await foldAll(() => foldRollupBatch(p, { batch }));
  const trust = await foldAll(() => foldFinishedRuns(p, { now: Date.now(), batch }));
  if (rollup.folded !== runs || rollup.attempts !== attemptsSeeded)
    throw new Error(`rollups folded ${rollup.folded} runs / ${rollup.attempts} attempts`);
  await p.$executeRawUnsafe(`ANALYZE "Rollup"`);
  const rollupRows = Number(
    (await p.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT count(*) AS n FROM "Rollup"`))[0]!.n,
  );

  return { ws, flows, seedMs, attemptsSeeded, rollup, trust, rollupRows, loadBefore };
}
const seeded = reuse ? null : await seedAndFold();
const ws = seeded?.ws ?? (await p.workspace.findFirstOrThrow({ where: { slug: "bench" } }));
const flows =
  seeded?.flows ??
  (await p.workflow.findMany({ where: { workspaceId: ws.id }, orderBy: { name: "asc" } })).map(
    (w) => w.id,
  );
const loadBefore = seeded?.loadBefore ?? load();
// Each page's queries, as the procedures run them.
async function time(fn: () => Promise<unknown>, n = reps) {
  await fn(); // warm: plan cache, pool
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    xs.push(performance.now() - s);
  }
  return xs;
}
const blocks = await listTrust(p, ws.id, "block", Date.now());
const worst = blocks[0]!;
const flowKey = `${flows[0]}@1.0.0`;
const pages: Array<[string, number[]]> = [];
for (const range of DASHBOARD_RANGES)
  pages.push([
    `Operations, ${range}`,
    await time(() => getOperations(p, ws.id, range, Date.now())),
  ]);
pages.push(["Trust, list of blocks", await time(() => listTrust(p, ws.id, "block", Date.now()))]);
pages.push(["Trust, list of flows", await time(() => listTrust(p, ws.id, "flow", Date.now()))]);
pages.push([
  "Trust, a block's trend + flows (30 d)",
  await time(() =>
    getTrustEntity(p, ws.id, { kind: "block", key: worst.key, range: "30d" }, Date.now()),
  ),
]);
pages.push([
  "Trust, a flow's trend + runs (7 d)",
  await time(() =>
    getTrustEntity(p, ws.id, { kind: "flow", key: flowKey, range: "7d" }, Date.now()),
  ),
]);
// The baseline: the 30-day success rate and p95 by flow, and SLA misses, straight from history.
const baseline = await time(
  () =>
    p.$queryRawUnsafe(
      `SELECT r."workflowId", count(*) AS runs, count(*) FILTER (WHERE r.status = 'succeeded') AS ok,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r."finishedAt" - r."startedAt"))
         FROM "Run" r WHERE r."workspaceId" = $1::uuid AND r."finishedAt" >= $2 GROUP BY 1`,
      ws.id,
      new Date(Date.now() - 30 * DAY),
    ),
  5,
);
const baselineAttempts = await time(
  () =>
    p.$queryRawUnsafe(
      `SELECT a."blockId", count(*), count(*) FILTER (WHERE a."durationMs" > 1000)
         FROM "StepAttempt" a JOIN "Run" r ON r.id = a."runId"
        WHERE r."workspaceId" = $1::uuid AND a."finishedAt" >= $2 GROUP BY 1`,
      ws.id,
      new Date(Date.now() - 30 * DAY),
    ),
  5,
);
const loadAfter = load();
await db.close();

const history = seeded
  ? `${runs} runs over 30 days, ${FLOWS} flows, ${seeded.attemptsSeeded} attempts (${runs} pure in RunStepLog) seeded in ${fmt(seeded.seedMs / 1000)} s; ${seeded.rollupRows} rollup rows`
  : "the history of the previous run (--reuse)";
console.log(
  `PostgreSQL (${server.replace(/\/\/[^@]*@/, "//")}), node ${process.version}, ${os.cpus().length} cores, ` +
    `load (1/5/15 min) ${loadBefore} → ${loadAfter}; ${history}`,
);
if (seeded) {
  console.log("");
  console.log("| fold | batches (runs each) | batch median / p95 | total | per finished attempt |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const [name, f] of [
    ["rollups", seeded.rollup],
    ["trust (beside it)", seeded.trust],
  ] as const)
    console.log(
      `| ${name} | ${f.times.length} (${batch}) | ${fmt(median(f.times))} / ${fmt(p95(f.times))} ms | ${fmt(f.totalMs / 1000)} s | **${fmt((f.totalMs * 1000) / Math.max(1, f.attempts))} µs** |`,
    );
}
console.log("");
console.log(`| page query (${reps} runs each) | median | p95 | max |`);
console.log("| --- | --- | --- | --- |");
for (const [name, xs] of pages)
  console.log(
    `| ${name} | ${fmt(median(xs))} ms | **${fmt(p95(xs))} ms** | ${fmt(Math.max(...xs))} ms |`,
  );
console.log(
  `| baseline without rollups: success rate and p95 by flow, 30 d (5 runs) | ${fmt(median(baseline))} ms | ${fmt(p95(baseline))} ms | ${fmt(Math.max(...baseline))} ms |`,
);
console.log(
  `| baseline without rollups: attempts and SLA misses by block, 30 d (5 runs) | ${fmt(median(baselineAttempts))} ms | ${fmt(p95(baselineAttempts))} ms | ${fmt(Math.max(...baselineAttempts))} ms |`,
);
