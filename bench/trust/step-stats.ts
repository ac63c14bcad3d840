/**
 * `npm run bench:step-stats`: the studio's per-step statistics (`run.stepStats`,
 * `server/domain/run/step-stats.ts`) on PostgreSQL, at volume. Fills its own database (`--db`,
 * default `trustflow_bench_stepstats` on postgres://postgres@127.0.0.1:55432, dropped and
 * created): `--runs` runs of 8 flows over the last 30 days, 5 steps each (a pure step in the
 * run's `RunStepLog`, four connector steps as `StepAttempt` rows; one run in ten fails a step
 * twice). Then times the query for one flow over 7 and 30 days, `--reps` times each: as shipped
 * (the window's latest 2,000 runs) and, as the baseline, over every run of the window.
 *   node --import tsx bench/trust/step-stats.ts [--runs 200000] [--reps 20]
 */
import { stepStats } from "@/server/domain/run/step-stats";
import type { Actor } from "@/server/domain/types";
import {
  benchArgs,
  dropBenchDb,
  loadAvg,
  median,
  openBenchDb,
  seedBenchWorkspace,
} from "../support/bench-db";

const args = benchArgs();
const runs = args.num("--runs", 200000);
const reps = args.num("--reps", 20);
const server = args.str("--server", "postgres://postgres@127.0.0.1:55432");
const dbName = args.str("--db", "trustflow_bench_stepstats");
const FLOWS = 8;
const DAY = 86_400_000;

const db = await openBenchDb({ server, name: dbName });
const p = db.prisma;
const { user, ws, workflows } = await seedBenchWorkspace(
  p,
  Array.from({ length: FLOWS }, (_, i) => ({ name: `Bench ${i}`, text: "flow: x" })),
);
const flows = workflows.map((w) => w.id);
const now = Date.now();
const t0 = performance.now();
await p.$executeRawUnsafe(
  `INSERT INTO "Run" (id, "workspaceId", "workflowId", version, "irHash", status, "createdAt",
                      "startedAt", "finishedAt")
   SELECT gen_random_uuid(), $1::uuid, ($2::uuid[])[1 + g % $4], '1.0.0', 'h',
          (CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END)::"RunStatus", t, t, t + interval '2 s'
     FROM generate_series(1, $3::int) g,
          LATERAL (SELECT to_timestamp(($5::float8 - ${30 * DAY}::float8 * ($3::int - g) / $3::int) / 1000) AS t) x`,
  ws.id,
  flows,
  runs,
  FLOWS,
  now,
);
await p.$executeRawUnsafe(
  `INSERT INTO "StepAttempt" ("runId", "stepId", "attempt", "status", "blockId", "idempotencyKey",
                              "startedAt", "finishedAt", "durationMs", "error")
   SELECT r.id, s.step, a.n, CASE WHEN r.status = 'failed' AND s.step = 'look' THEN 'failed' ELSE 'succeeded' END,
          'crm.contact.get', r.id || s.step || a.n, r."startedAt", r."finishedAt",
          (abs(hashtext(r.id::text || s.step)) % 900) + 20,
          CASE WHEN r.status = 'failed' AND s.step = 'look' THEN '{"name":"NonRetryableError","message":"CRM down"}'::jsonb END
     FROM "Run" r
     CROSS JOIN (VALUES ('look'), ('classify'), ('update'), ('bill')) s(step)
     CROSS JOIN LATERAL generate_series(1, CASE WHEN r.status = 'failed' AND s.step = 'look' THEN 2 ELSE 1 END) a(n)
    WHERE r."workspaceId" = $1::uuid`,
  ws.id,
);
await p.$executeRawUnsafe(
  `INSERT INTO "RunStepLog" ("runId", "firstSeq", "attempts", "finishSeqs")
   SELECT r.id, 1, json_build_array(json_build_object('stepId', 'shape', 'attempt', 1,
            'status', 'succeeded', 'blockId', 'data.transform', 'durationMs', 0,
            'finishedAt', extract(epoch FROM r."finishedAt") * 1000)), '{1}'
     FROM "Run" r WHERE r."workspaceId" = $1::uuid`,
  ws.id,
);
await p.$executeRawUnsafe(`ANALYZE`);
const seeded = (performance.now() - t0) / 1000;
const [counted] = await p.$queryRawUnsafe<Array<{ n: number }>>(
  `SELECT count(*)::int AS n FROM "StepAttempt"`,
);
const attempts = counted?.n ?? 0;

const actor: Actor = {
  userId: user.id,
  label: user.email,
  workspaceId: ws.id,
  role: "admin",
  via: "session",
};
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const p95 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
async function time(days: 7 | 30, maxRuns: number) {
  const ms: number[] = [];
  let answer: Awaited<ReturnType<typeof stepStats>> | undefined;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    answer = await stepStats(p, actor, { workflowId: flows[0]!, days }, now, maxRuns);
    ms.push(performance.now() - t);
  }
  return { ms, answer: answer! };
}

console.log(
  `seeded ${runs} runs, ${attempts} attempt rows and ${runs} step logs in ${seeded.toFixed(1)} s\n`,
);
console.log("| query | runs read | median | p95 |");
console.log("| --- | --- | --- | --- |");
for (const days of [7, 30] as const) {
  for (const [label, max] of [
    ["latest 2,000 of the window (shipped)", 2000],
    ["every run of the window (baseline)", 1_000_000_000],
  ] as const) {
    const { ms, answer } = await time(days, max);
    console.log(
      `| ${days} days, ${label} | ${answer.runs} | ${median(ms).toFixed(1)} ms | ${p95(ms).toFixed(1)} ms |`,
    );
  }
}
console.log(`\nreps ${reps}; load average ${loadAvg()}; node ${process.version}`);
await db.close();
await dropBenchDb({ server, name: dbName });
