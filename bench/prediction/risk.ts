/**
 * `node --import tsx bench/prediction/risk.ts`: what failure prediction costs a run start and
 * the server's event loop.
 * - A run start (`assessRunRisk`: the version, the stored model, the last 2 days of history (at
 *   most 5,000 runs) read and indexed once per workspace every 10 s, the features, a dot product)
 *   cold (history read) and warm (the 10 s cache); and the score itself on a warm index (the
 *   features and the dot product), in µs.
 * - A training (history read, features, 7-window backtest, final fit, store) as the server runs
 *   it, in its worker thread (`train-pool.ts`), against the baseline of the same computation on
 *   the event loop: the time, and the event loop's delay meanwhile (max and p99, sampled every
 *   10 ms by `monitorEventLoopDelay`) and its busy time (`eventLoopUtilization`). The in-process
 *   baseline is reported whole (one block) and by the floor of its longest slice in the design
 *   before the thread (one feature pass over the history; the backtest's windows were yielded
 *   between).
 * Seeds `--days` of a 3-step flow's history (a run every `--every` minutes) on PGlite (in-process,
 * single-threaded WASM: its queries block the event loop too), or with `--pg` on a PostgreSQL
 * database of its own (`--db`, dropped and created, dropped at the end), as the server runs.
 *   node --import tsx bench/prediction/risk.ts [--days 15] [--every 2] [--repeat 50] [--pg]
 */
import os from "node:os";
import { monitorEventLoopDelay, performance as perf } from "node:perf_hooks";
import { assessRunRisk, trainWorkspaceModel } from "@/server/domain/prediction";
import { loadOpenAnomalyHours } from "@/server/domain/prediction/anomaly-feature";
import { anomalyCounter } from "@/server/domain/prediction/anomaly-hours";
import { DEFAULT_BACKTEST, featureRows } from "@/server/domain/prediction/backtest";
import { DAY_MS, featuresAt, indexHistory } from "@/server/domain/prediction/features";
import { readHistory } from "@/server/domain/prediction/history";
import { MAX_RECENT_RUNS } from "@/server/domain/prediction/assess";
import { scoreModel } from "@/server/domain/prediction/model";
import { historySpanMs } from "@/server/domain/prediction/train";
import { trainOnHistory } from "@/server/domain/prediction/train-work";
import { crmFlowText, seedSyntheticHistory } from "@/server/testing/prediction-history";
import {
  benchArgs,
  dropBenchDb,
  loadAvg,
  median,
  openBenchDb,
  seedBenchWorkspace,
} from "../support/bench-db";

const args = benchArgs();
const days = args.num("--days", 15);
const every = args.num("--every", 2);
const repeat = args.num("--repeat", 50);
// `--pg`: on a PostgreSQL database of its own (as the server runs, the database in another
// process) instead of PGlite (in this process: its queries block this event loop too).
const pg = args.has("--pg")
  ? {
      server: args.str("--server", "postgres://postgres@127.0.0.1:55432"),
      name: args.str("--db", "trustflow_bench_prediction"),
    }
  : undefined;

const FLOW = crmFlowText("bench-risk");
const db = await openBenchDb(pg);
const p = db.prisma;
const { ws, workflows } = await seedBenchWorkspace(p, [{ name: "Bench", text: FLOW, version: {} }]);
const { id: workflowId, versionId } = workflows[0]!;
const now = Date.now();
const h = await seedSyntheticHistory(p, {
  workspaceId: ws.id,
  workflowId,
  version: "1.0.0",
  flowText: FLOW,
  end: now,
  days,
  everyMinutes: every,
  degrading: "crm:crm.contact.get",
});
const load0 = loadAvg();

/** Runs `work` while sampling the event loop's delay; its time and the delay's max and p99 (ms). */
async function withLoopDelay<T>(work: () => Promise<T> | T) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  // The histogram skips its first sample: let it take one before the work starts.
  await new Promise((r) => setTimeout(r, 25));
  const t0 = performance.now();
  const elu0 = perf.eventLoopUtilization();
  const value = await work();
  const busy = perf.eventLoopUtilization(elu0).active;
  const ms = performance.now() - t0;
  // One more turn, so a block at the very end is sampled too.
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  return { value, ms, busy, max: h.max / 1e6, p99: h.percentile(99) / 1e6 };
}

// Trainings: in the worker thread (as the server trains), and the baseline on the event loop.
type Timed = { ms: number; busy: number; max: number; p99: number };
const inThread: Timed[] = [];
const whole: Timed[] = [];
const slice: Timed[] = [];
const reads: Timed[] = [];
let m;
for (let i = 0; i < 3; i++) {
  const t = await withLoopDelay(() => trainWorkspaceModel(p, ws.id, { now }));
  m = t.value;
  inThread.push(t);
  const read = await withLoopDelay(() =>
    readHistory(p, ws.id, { from: now - historySpanMs(DEFAULT_BACKTEST), to: now }),
  );
  reads.push(read);
  const history = read.value;
  const openAnomalies = await loadOpenAnomalyHours(
    p,
    ws.id,
    history.runs.map((r) => r.startedAt),
  );
  const input = { ...history, openAnomalies, settings: DEFAULT_BACKTEST, now };
  whole.push(await withLoopDelay(() => trainOnHistory(input)));
  const anomalies = anomalyCounter(openAnomalies);
  slice.push(await withLoopDelay(() => featureRows(history.runs, history.attempts, { anomalies })));
}

// Run starts.
const input = { workspaceId: ws.id, workflowVersionId: versionId!, inputs: { id: "CON-1" } };
const cold: number[] = [];
const warm: number[] = [];
for (let i = 0; i < repeat; i++) {
  // A time 10 s apart each round: the history cache misses (cold), then hits (warm).
  const at = now + (i + 1) * 11_000;
  let t0 = performance.now();
  await assessRunRisk(p, { ...input, at });
  cold.push(performance.now() - t0);
  t0 = performance.now();
  await assessRunRisk(p, { ...input, at: at + 1 });
  warm.push(performance.now() - t0);
}
// The score itself on a warm index: features as of now and the dot product.
const recent = await readHistory(p, ws.id, {
  from: now - 2 * DAY_MS,
  to: now,
  limit: MAX_RECENT_RUNS,
});
const index = indexHistory(recent.runs, recent.attempts);
const subject = recent.runs[recent.runs.length - 1]!;
const counter = anomalyCounter([]);
const fitted = m!.model!;
const names = m!.protocol.features;
const perScore: number[] = [];
const N = 20_000;
let sink = 0;
for (let r = 0; r < 7; r++) {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const all = featuresAt(index, subject, now + i, { anomalies: counter });
    sink += scoreModel(
      fitted,
      fitted.features.map((f) => all[names.indexOf(f)] ?? 0),
    );
  }
  perScore.push(((performance.now() - t0) * 1000) / N);
}
if (!(sink > 0)) throw new Error("no score");

const f = (x: number, d = 0) => x.toFixed(d);
const row = (label: string, xs: Timed[]) =>
  `| ${label} | ${f(median(xs.map((x) => x.ms)))} | ${f(median(xs.map((x) => x.busy)))} | ${f(median(xs.map((x) => x.max)))} | ${f(median(xs.map((x) => x.p99)))} |`;
console.log(
  `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, load ${load0} at start, ${loadAvg()} at the end, ${new Date().toISOString()}, ${pg ? "PostgreSQL" : "PGlite"}`,
);
console.log(
  `history: ${h.runs.length} runs, ${h.attempts.length} attempts over ${days} days; run-start index: ${recent.runs.length} runs${recent.truncated ? " (cut at " + MAX_RECENT_RUNS + ")" : ""}, ${recent.attempts.length} attempts (model v${m!.version}: AUC ${m!.figures.auc?.toFixed(3) ?? "n/a"} vs baseline ${m!.figures.baselineAuc?.toFixed(3) ?? "n/a"}, gate ${m!.gateEnabled})`,
);
console.log("");
console.log(
  "| training (median of 3) | time ms | event loop busy ms | event-loop delay max ms | p99 ms |",
);
console.log("|---|---:|---:|---:|---:|");
console.log(row("in the worker thread (read, features, backtest, fit, store)", inThread));
console.log(row("— of which the history read (rows parsed here, either way)", reads));
console.log(row("baseline: the computation on the event loop, whole", whole));
console.log(row("baseline: one feature pass (the floor of the old design's longest slice)", slice));
console.log("");
console.log("| run start | median | runs |");
console.log("|---|---:|---:|");
console.log(
  `| assessRunRisk, cold (history read and indexed) | ${median(cold).toFixed(1)} ms | ${repeat} |`,
);
console.log(
  `| assessRunRisk, warm (10 s history cache) | ${median(warm).toFixed(2)} ms | ${repeat} |`,
);
console.log(
  `| the score on a warm index (features + dot product) | ${median(perScore).toFixed(1)} µs | 7 × ${N} |`,
);
await db.close();
if (pg) await dropBenchDb(pg);
process.exit(0);
