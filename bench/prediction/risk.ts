/**
 * `node --import tsx bench/prediction/risk.ts`: what failure prediction costs a run start
 * (`assessRunRisk`: the version, the stored model, the last 2 days of history read and indexed
 * once per workspace every 10 s, the features, a dot product) cold (history read) and warm (the
 * 10 s cache), and what one training (history read, features, 7-window backtest, final fit,
 * store) costs. Seeds `--days` of a 3-step flow's history (a run every `--every` minutes) on
 * PGlite (in-process, single-threaded WASM: a floor for PostgreSQL).
 *   node --import tsx bench/prediction/risk.ts [--days 15] [--every 2] [--repeat 50]
 */
import os from "node:os";
import { assessRunRisk, trainWorkspaceModel } from "@/server/domain/prediction";
import { crmFlowText, seedSyntheticHistory } from "@/server/testing/prediction-history";
import { benchArgs, median, openBenchDb, seedBenchWorkspace } from "../support/bench-db";

const args = benchArgs();
const days = args.num("--days", 15);
const every = args.num("--every", 2);
const repeat = args.num("--repeat", 50);

const FLOW = crmFlowText("bench-risk");
const db = await openBenchDb();
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
const load = os.loadavg()[0]!.toFixed(2);

const trainMs: number[] = [];
let m;
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  m = await trainWorkspaceModel(p, ws.id, { now });
  trainMs.push(performance.now() - t0);
}
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
console.log(
  `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, load ${load} at start, ${new Date().toISOString()}, PGlite`,
);
console.log(
  `history: ${h.runs.length} runs, ${h.attempts.length} attempts over ${days} days (model v${m!.version}: AUC ${m!.figures.auc?.toFixed(3) ?? "n/a"} vs baseline ${m!.figures.baselineAuc?.toFixed(3) ?? "n/a"}, gate ${m!.gateEnabled})`,
);
console.log("| measure | median ms | runs |");
console.log("|---|---|---|");
console.log(
  `| training (read, features, 7-window backtest, fit, store) | ${median(trainMs).toFixed(0)} | 3 |`,
);
console.log(
  `| assessRunRisk, cold (history read and indexed) | ${median(cold).toFixed(1)} | ${repeat} |`,
);
console.log(
  `| assessRunRisk, warm (10 s history cache) | ${median(warm).toFixed(2)} | ${repeat} |`,
);
await db.close();
