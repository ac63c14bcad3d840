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
import { seedSyntheticHistory } from "@/server/testing/prediction-history";

const { migrate, openDatabase } = await import("@/server/adapters/prisma");

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const days = opt("--days", 15);
const every = opt("--every", 2);
const repeat = opt("--repeat", 50);

const FLOW = `flow: bench-risk
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

const db = await openDatabase({ kind: "pglite" });
await migrate(db.driver);
const p = db.prisma;
const user = await p.user.create({
  data: { email: "bench@example.com", name: "B", passwordHash: "x" },
});
const ws = await p.workspace.create({ data: { slug: "bench", name: "Bench" } });
const wf = await p.workflow.create({
  data: { workspaceId: ws.id, name: "Bench", draft: FLOW, createdById: user.id },
});
const v = await p.workflowVersion.create({
  data: { workflowId: wf.id, version: "1.0.0", dsl: FLOW, authorId: user.id },
});
const now = Date.now();
const h = await seedSyntheticHistory(p, {
  workspaceId: ws.id,
  workflowId: wf.id,
  version: "1.0.0",
  flowText: FLOW,
  end: now,
  days,
  everyMinutes: every,
  degrading: "crm:crm.contact.get",
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = os.loadavg()[0]!.toFixed(2);

const trainMs: number[] = [];
let m;
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  m = await trainWorkspaceModel(p, ws.id, { now });
  trainMs.push(performance.now() - t0);
}
const input = { workspaceId: ws.id, workflowVersionId: v.id, inputs: { id: "CON-1" } };
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
