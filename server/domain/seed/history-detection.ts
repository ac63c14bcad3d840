/**
 * What the anomaly detector found in the demo history, against what the plan planted
 * (`history-plan.ts`): for each planted effect, the first anomaly naming its entity and metric
 * from its start on (to a day after its end), and every other anomaly, said to be on the
 * planted effects' surroundings (their blocks and flows) or unexplained. Read by the history's
 * int test and `bench/seed/detection.ts` (`npm run bench:seed -- --detect`).
 */
import type { Db } from "../types";
import { HISTORY_START } from "./history";
import { seededUuid } from "./history-random";
import { compileFlow } from "../workflow/compile-flow";
import { HISTORY_FLOWS } from "./history-flows";
import { historyDayZero } from "./history-generate";
import { DAY_MS, PLANTED, type PlantedEffect, type PlantedKind } from "./history-plan";

/** The detector's metric for a planted effect's. */
const METRIC: Record<PlantedEffect["metric"], string> = {
  "error rate": "error_rate",
  "p95 latency": "p95_latency",
  "calls per run": "calls_per_run",
  "new endpoint": "new_endpoint",
  cost: "cost",
};

export interface DetectedAnomaly {
  kind: string;
  key: string;
  metric: string;
  rule: string;
  observed: number;
  baseline: number | null;
  score: number | null;
  /** Data time of the detection (epoch ms), and in days from the history's start. */
  at: number;
  day: number;
}

export interface DetectionReport {
  planted: Array<{
    kind: PlantedKind;
    entity: string;
    metric: string;
    fromDay: number;
    found: DetectedAnomaly | null;
  }>;
  /** Anomalies on a planted effect's block, endpoint, model or flow outside the match above. */
  related: DetectedAnomaly[];
  /** Anomalies on nothing planted. */
  unexplained: DetectedAnomaly[];
}

/** Compares the workspace's anomalies with the plan of its history (null: no history). */
export async function detectionReport(
  db: Db,
  workspaceId: string,
): Promise<DetectionReport | null> {
  const start = await db.auditEntry.findFirst({
    where: { workspaceId, action: HISTORY_START },
    select: { payload: true },
  });
  if (!start) return null;
  const plan = start.payload as { seed: number; endAt: string };
  const startMs = historyDayZero(Date.parse(plan.endAt));
  const rows = await db.anomaly.findMany({
    where: { workspaceId },
    orderBy: { detectedAt: "asc" },
    take: 10_000,
  });
  const all: DetectedAnomaly[] = rows.map((r) => ({
    kind: r.kind,
    key: r.key,
    metric: r.metric,
    rule: r.rule,
    observed: r.observed,
    baseline: r.baseline,
    score: r.score,
    at: r.detectedAt.getTime(),
    day: (r.detectedAt.getTime() - startMs) / DAY_MS,
  }));
  const used = new Set<DetectedAnomaly>();
  const planted = PLANTED.map((p) => {
    const metric = METRIC[p.metric];
    const found =
      all.find(
        (a) =>
          a.key === p.entity && a.metric === metric && a.day >= p.fromDay && a.day <= p.toDay + 1,
      ) ?? null;
    if (found) used.add(found);
    return { kind: p.kind, entity: p.entity, metric, fromDay: p.fromDay, found };
  });
  const near = new Set<string>();
  for (const p of PLANTED) {
    near.add(p.entity);
    near.add(seededUuid(plan.seed, `workflow:${p.flow}`));
  }
  // The planted blocks, and the block of each planted step (a fan-out's parent for the calls
  // made in its branches).
  const blockIds = new Set(PLANTED.map((p) => p.block.split("@")[0]!));
  for (const p of PLANTED) {
    const text = HISTORY_FLOWS.find((f) => f.name === p.flow)?.versions.at(-1)?.text;
    const step = text ? compileFlow(text).ir?.steps.find((s) => s.id === p.step) : undefined;
    if (step) blockIds.add(step.block.id);
  }
  const related: DetectedAnomaly[] = [];
  const unexplained: DetectedAnomaly[] = [];
  for (const a of all) {
    if (used.has(a)) continue;
    const onPlanted =
      near.has(a.key) ||
      [...blockIds].some((b) => a.key.startsWith(`${b}@`) || a.key.endsWith(`:${b}`));
    (onPlanted ? related : unexplained).push(a);
  }
  return { planted, related, unexplained };
}
