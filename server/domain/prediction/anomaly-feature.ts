/**
 * The "anomaly state" feature: how many anomalies (anomaly detection's `openAnomalies`) are open
 * on a run's flow version, blocks and endpoints, as of the start of the hour the run starts in.
 * The hour (not the exact start) lets training read the anomalies once per hour of history
 * instead of once per run; it is read the same way at run start, so training and scoring agree,
 * and it only ever looks earlier than the run.
 */
import { OPEN_MS, openAnomalies, type OpenAnomaly } from "../anomaly";
import type { Db } from "../types";
import { HOUR_MS, type AnomalyCounter, type Subject } from "./features";

/** Distinct hours read per training, at most (15 days of history is 360). */
export const MAX_ANOMALY_HOURS = 400;

export const hourOf = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;

function entityKeys(s: Subject): Set<string> {
  const keys = new Set<string>();
  if (s.version) keys.add(`flow:${s.workflowId}@${s.version}`);
  for (const b of s.blocks) keys.add(`block:${b}`);
  for (const e of s.endpoints) keys.add(`endpoint:${e}`);
  return keys;
}

/** A counter over the anomalies open at each hour of `times` (the latest hours if too many). */
export async function loadAnomalyCounter(
  db: Pick<Db, "$queryRawUnsafe">,
  workspaceId: string,
  times: readonly number[],
): Promise<AnomalyCounter> {
  const hours = [...new Set(times.map(hourOf))].sort((a, b) => b - a).slice(0, MAX_ANOMALY_HOURS);
  if (!hours.length) return () => 0;
  // Most histories have long quiet stretches: one read finds whether any anomaly could be open
  // in the span at all before asking hour by hour.
  const [any] = await db.$queryRawUnsafe<Array<{ one: number }>>(
    `SELECT 1 AS one FROM "Anomaly" WHERE "workspaceId" = $1::uuid AND "lastSeenAt" >= $2
        AND "detectedAt" <= $3 LIMIT 1`,
    workspaceId,
    new Date(hours[hours.length - 1]! - OPEN_MS),
    new Date(hours[0]!),
  );
  if (!any) return () => 0;
  const open = new Map<number, OpenAnomaly[]>();
  for (const h of hours) open.set(h, await openAnomalies(db, workspaceId, { at: h }));
  return (subject, t) => {
    const list = open.get(hourOf(t));
    if (!list?.length) return 0;
    const keys = entityKeys(subject);
    return list.filter((a) => keys.has(`${a.kind}:${a.key}`)).length;
  };
}
