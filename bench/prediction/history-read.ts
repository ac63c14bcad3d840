/**
 * `node --import tsx bench/prediction/history-read.ts [--pg]`: how long reading a workspace's
 * run history for failure prediction (`readHistory`, `server/domain/prediction/history.ts`)
 * holds the event loop in one go: what webhooks and studio requests wait behind.
 * - The training's read (the backtest's 15-day span, capped at 20,000 runs) and the run start's
 *   (2 days, capped at 5,000), in pages (`readHistory`) and as before, in one statement
 *   (`server/testing/history-in-one-statement.ts`), interleaved so both see the same load: the whole read's time,
 *   the event loop's busy time meanwhile (`eventLoopUtilization`) and the longest stall (a 1 ms
 *   `setInterval` probe: the longest gap between its ticks, so ~1 ms is no stall at all). Both
 *   reads must give the same history, or the script fails.
 * - What a stall is made of: the runs statement alone for 20,000 runs at once and for a page of
 *   2,000, through Prisma's `$queryRawUnsafe` (what the domain is given) and through the raw
 *   driver under it (`pg` or PGlite); one attempts statement (`readFinishedAttempts`) of 2,000
 *   runs; and the probe's floor under the machine's load (500 ms of nothing).
 * Seeds `--days` of a 3-step flow's history (a run every `--every` minutes: 8 days at 0.5 give
 * ~23,000 runs, ~72,000 attempts) on PGlite (in-process, single-threaded WASM: its queries
 * block the event loop too), or with `--pg` on a PostgreSQL database of its own (`--db`, dropped
 * and created, dropped at the end), as the server runs. Medians of `--repeat` rounds.
 *   node --import tsx bench/prediction/history-read.ts [--days 8] [--every 0.5] [--repeat 7] [--pg]
 */
import os from "node:os";
import { performance as perf } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";
import { readFinishedAttempts } from "@/server/domain/finished-runs";
import { MAX_RECENT_RUNS } from "@/server/domain/prediction/assess";
import { DEFAULT_BACKTEST } from "@/server/domain/prediction/backtest";
import { DAY_MS } from "@/server/domain/prediction/features";
import { readHistory, runsPageQuery, type RunHistory } from "@/server/domain/prediction/history";
import { historySpanMs } from "@/server/domain/prediction/train";
import { crmFlowText, seedSyntheticHistory } from "@/server/testing/prediction-history";
import { readHistoryInOneStatement } from "@/server/testing/history-in-one-statement";
import {
  benchArgs,
  dropBenchDb,
  loadAvg,
  median,
  openBenchDb,
  seedBenchWorkspace,
} from "../support/bench-db";

const args = benchArgs();
const days = args.num("--days", 8);
const every = args.num("--every", 0.5);
const repeat = args.num("--repeat", 7);
const pg = args.has("--pg")
  ? {
      server: args.str("--server", "postgres://postgres@127.0.0.1:55432"),
      name: args.str("--db", "trustflow_bench_history_read"),
    }
  : undefined;

const FLOW = crmFlowText("bench-history-read");
const db = await openBenchDb(pg);
const p = db.prisma;
const { ws, workflows } = await seedBenchWorkspace(p, [{ name: "Bench", text: FLOW, version: {} }]);
const now = Date.now();
const seeded = await seedSyntheticHistory(p, {
  workspaceId: ws.id,
  workflowId: workflows[0]!.id,
  version: "1.0.0",
  flowText: FLOW,
  end: now,
  days,
  everyMinutes: every,
  degrading: "crm:crm.contact.get",
});
await p.$executeRawUnsafe(`ANALYZE`);
const load0 = loadAvg();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Timed {
  ms: number;
  busy: number;
  stall: number;
}

/** Runs `work` under a 1 ms interval probe: its time, the loop's busy time, the longest gap. */
async function probed<T>(work: () => Promise<T>): Promise<Timed & { value: T }> {
  let last = performance.now();
  let stall = 0;
  const probe = setInterval(() => {
    const t = performance.now();
    stall = Math.max(stall, t - last);
    last = t;
  }, 1);
  await sleep(20); // the probe ticking before the work starts
  stall = 0;
  last = performance.now();
  const elu0 = perf.eventLoopUtilization();
  const t0 = performance.now();
  const value = await work();
  const ms = performance.now() - t0;
  const busy = perf.eventLoopUtilization(elu0).active;
  // One more tick, so a stall at the very end is counted too.
  await sleep(5);
  clearInterval(probe);
  return { value, ms, busy, stall };
}

const training = { from: now - historySpanMs(DEFAULT_BACKTEST), to: now };
const runStart = { from: now - 2 * DAY_MS, to: now, limit: MAX_RECENT_RUNS };
// The read's own runs statement (`runsPageQuery`), for n rows from the newest.
const runsOf = (n: number) => runsPageQuery(ws.id, training, n);
const first = runsOf(2_000);
const firstIds = (await p.$queryRawUnsafe<Array<{ id: string }>>(first.text, ...first.values)).map(
  (r) => r.id,
);

const cases: Array<[string, () => Promise<unknown>]> = [
  ["the training's read (15 days, ≤ 20,000 runs), in pages", () => readHistory(p, ws.id, training)],
  ["— before: in one statement", () => readHistoryInOneStatement(p, ws.id, training)],
  ["the run start's read (2 days, ≤ 5,000 runs), in pages", () => readHistory(p, ws.id, runStart)],
  ["— before: in one statement", () => readHistoryInOneStatement(p, ws.id, runStart)],
  // The runs statement alone, through Prisma and through the raw driver, at both sizes.
  ...[20_000, 2_000].flatMap((n): Array<[string, () => Promise<unknown>]> => {
    const rows = n.toLocaleString("en-US");
    return [
      [
        `runs statement, ${rows} rows, Prisma`,
        () => {
          const q = runsOf(n);
          return p.$queryRawUnsafe(q.text, ...q.values);
        },
      ],
      [
        `runs statement, ${rows} rows, raw driver`,
        () => {
          const q = runsOf(n);
          return db.driver.query(q.text, q.values);
        },
      ],
    ];
  }),
  ["attempts of 2,000 runs (readFinishedAttempts)", () => readFinishedAttempts(p, firstIds)],
  ["nothing, 500 ms (the probe's floor under this load)", () => sleep(500)],
];
// Each round runs every case once, so before and after see the same load.
const results = cases.map((): Timed[] => []);
for (let i = 0; i < repeat; i++)
  for (const [k, [, work]] of cases.entries()) results[k]!.push(await probed(work));
const read = await readHistory(p, ws.id, training);
// The figures compare like with like only if both reads give the same history. The read in one
// statement left runs of the same `createdAt` in no particular order (the pages order them by
// id): both are compared with their runs sorted by start and id, their attempts by content.
const canonical = (h: RunHistory) => ({
  ...h,
  runs: [...h.runs].sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id)),
  attempts: h.attempts.map((a) => JSON.stringify(a)).sort(),
});
const before = await readHistoryInOneStatement(p, ws.id, training);
if (!isDeepStrictEqual(canonical(read), canonical(before)))
  throw new Error("the paged read differs from the read in one statement");

console.log(
  `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, load ${load0} at start, ${loadAvg()} at the end, ${new Date().toISOString()}, ${pg ? "PostgreSQL" : "PGlite"}`,
);
console.log(
  `history: ${seeded.runs.length} runs, ${seeded.attempts.length} attempts over ${days} days; the training reads ${read.runs.length} runs${read.truncated ? " (cut)" : ""}, ${read.attempts.length} attempts`,
);
console.log("");
console.log(`| read (median of ${repeat}) | time ms | event loop busy ms | longest stall ms |`);
console.log("|---|---:|---:|---:|");
for (const [k, [label]] of cases.entries()) {
  const xs = results[k]!;
  const m = (f: (t: Timed) => number) => median(xs.map(f)).toFixed(1);
  console.log(
    `| ${label} | ${m((t) => t.ms)} | ${m((t) => t.busy)} | ${m((t) => t.stall)} (${xs.map((t) => t.stall.toFixed(0)).join(", ")}) |`,
  );
}
await db.close();
if (pg) await dropBenchDb(pg);
process.exit(0);
