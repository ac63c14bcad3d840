/**
 * `npm run bench:prediction`: the failure model's rolling-origin backtest on a seeded synthetic
 * history (`server/testing/prediction-history.ts`: a degrading connector with outages, a
 * time-of-day effect, large inputs, a bad release, 1 % noise), against the baseline "recent
 * failure rate of the flow". Prints ROC-AUC, PR-AUC and Brier of both, the windows, whether the
 * gate rule would enable gating, and the time and memory of the backtest (median of `--repeat`).
 * The same history with the effects off (`clean`) and with a planted future-only signal shows
 * what a leak-free pipeline must give: AUC near 0.5, and no gain from the leak.
 *   node --import tsx bench/prediction/backtest.ts [--days 14] [--every 3] [--seeds 1,2,3] [--repeat 3]
 */
import os from "node:os";
import { backtest, gateRule } from "@/server/domain/prediction/backtest";
import { syntheticHistory, type SyntheticOptions } from "@/server/testing/prediction-history";
import { benchArgs, median } from "../support/bench-db";

const args = benchArgs();
const days = args.num("--days", 14);
const every = args.num("--every", 3);
const seeds = args.str("--seeds", "1,2,3").split(",").map(Number);
const repeat = args.num("--repeat", 3);

const f3 = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));

function run(label: string, o: SyntheticOptions) {
  const h = syntheticHistory({ days, everyMinutes: every, ...o });
  const times: number[] = [];
  let result = backtest(h.runs, h.attempts);
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    result = backtest(h.runs, h.attempts);
    times.push(performance.now() - t0);
  }
  const heapAfter = process.memoryUsage().heapUsed;
  const f = result.figures;
  console.log(
    `| ${label} | ${h.runs.length} | ${h.attempts.length} | ${f.n} / ${f.positives} | ${f3(f.auc)} | ${f3(f.baselineAuc)} | ${f3(f.prAuc)} | ${f3(f.baselinePrAuc)} | ${f3(f.brier)} | ${f3(f.baselineBrier)} | ${gateRule(f).enabled ? "yes" : "no"} | ${median(times).toFixed(0)} | ${((heapAfter - heapBefore) / 2 ** 20).toFixed(0)} |`,
  );
  return result;
}

console.log(
  `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(
      " ",
    )}, ${new Date().toISOString()}; ${days} days, a run per flow every ${every} min on average, 4 flows`,
);
console.log(
  "| history | runs | attempts | test runs / failures | AUC | baseline AUC | PR-AUC | baseline PR-AUC | Brier | baseline Brier | gate | backtest ms (median) | heap Δ MB |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
let last;
for (const seed of seeds) last = run(`effects, seed ${seed}`, { seed });
run(`clean (noise only), seed ${seeds[0]}`, { seed: seeds[0], clean: true });
run(`clean + planted future signal, seed ${seeds[0]}`, {
  seed: seeds[0],
  clean: true,
  futureSignal: true,
});
run(`effects + planted future signal, seed ${seeds[0]}`, { seed: seeds[0], futureSignal: true });
if (last) {
  const p = last.protocol;
  console.log(
    `\nProtocol: ${p.kind}, ${p.folds} windows of ${p.horizonMs / 3_600_000} h, warm-up ${p.lookbackMs / 3_600_000} h, ≤ ${p.trainCap} training rows (seeded sample), ${p.fitSteps} gradient steps; features: ${p.features.join(", ")}; baseline: ${p.baseline}.`,
  );
  for (const w of p.windows)
    console.log(
      `  window ${w.origin} .. ${w.testTo}: train ${w.trainRows}/${w.trainEligible}, test ${w.testRows} (${w.testFailures} failed), AUC ${f3(w.auc)} vs baseline ${f3(w.baselineAuc)}`,
    );
}
