/**
 * The planted-anomaly benchmark (issue 17): `npm run bench:anomaly [-- --seeds 1,2,3]`. Runs the
 * corpus with planted effects and the clean corpus for each seed and prints precision, recall,
 * false alerts per entity-week on clean data, alerts below minimum history, and the detector's
 * cost. Targets: precision ≥ 0.8, recall ≥ 0.8, ≤ 1 false alert per entity per week, none young.
 */
import os from "node:os";
import { runCorpus, score } from "./corpus";

const arg = process.argv.indexOf("--seeds");
const seeds = (arg > 0 ? process.argv[arg + 1]! : "1,2,3").split(",").map(Number);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

console.log(
  `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
for (const seed of seeds) {
  const t0 = performance.now();
  const res = runCorpus({ seed });
  const s = score(res);
  const clean = runCorpus({ seed, plant: false });
  const entityWeeks = (clean.blocks * clean.days) / 7;
  const falsePerEntity = new Map<string, number>();
  for (const a of clean.alerts) falsePerEntity.set(a.key, (falsePerEntity.get(a.key) ?? 0) + 1);
  const worst = Math.max(0, ...falsePerEntity.values());
  console.log(
    JSON.stringify({
      seed,
      events: s.events,
      found: s.found,
      recall: +s.recall.toFixed(3),
      alerts: s.alerts,
      trueAlerts: s.trueAlerts,
      precision: +s.precision.toFixed(3),
      byKind: s.byKind,
      detectionMinutesMedian: s.latencyMin.length ? median(s.latencyMin) : null,
      youngAlerts: res.youngAlerts,
      youngPlanted: res.planted.filter((p) => p.young).length,
      cleanFalseAlerts: clean.alerts.length,
      cleanFalsePerEntityWeek: +(clean.alerts.length / entityWeeks).toFixed(3),
      cleanWorstEntityPerWeek: +((worst * 7) / clean.days).toFixed(2),
      cleanFalseByMetric: clean.alerts.reduce<Record<string, number>>(
        (m, a) => ((m[a.metric] = (m[a.metric] ?? 0) + 1), m),
        {},
      ),
      falseByMetric: res.alerts
        .filter(
          (a) =>
            !res.planted.some(
              (p) =>
                a.key === p.key &&
                a.metric === p.metric &&
                a.at >= p.start &&
                a.at <= p.end + 900_000,
            ),
        )
        .reduce<Record<string, number>>((m, a) => ((m[a.metric] = (m[a.metric] ?? 0) + 1), m), {}),
      judgeUsPerWindow: +((res.judgeMs * 1000) / res.windowsJudged).toFixed(1),
      baselineMsPerRun: +(res.baselineMs / res.baselineRuns).toFixed(2),
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    }),
  );
}
