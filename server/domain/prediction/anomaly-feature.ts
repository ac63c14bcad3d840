/**
 * The "anomaly state" feature: how many anomalies (anomaly detection's `openAnomalies`) are open
 * on a run's flow version, blocks and endpoints, as of the start of the hour the run starts in.
 * The hour (not the exact start) lets training read the anomalies once per hour of history
 * instead of once per run; it is read the same way at run start, so training and scoring agree,
 * and it only ever looks earlier than the run.
 */
import { OPEN_MS, openAnomalies } from "../anomaly";
import type { Db } from "../types";
import { anomalyCounter, hourOf, type OpenAnomalyHours } from "./anomaly-hours";
import type { AnomalyCounter } from "./features";

export { hourOf };

/** Distinct hours read per training, at most (15 days of history is 360). */
export const MAX_ANOMALY_HOURS = 400;

/**
 * The anomalies open at each hour of `times` (the latest hours if too many), as plain data: none
 * when no anomaly could be open in the span.
 */
export async function loadOpenAnomalyHours(
  db: Pick<Db, "$queryRawUnsafe">,
  workspaceId: string,
  times: readonly number[],
): Promise<OpenAnomalyHours> {
  const hours = [...new Set(times.map(hourOf))].sort((a, b) => b - a).slice(0, MAX_ANOMALY_HOURS);
  if (!hours.length) return [];
  // Most histories have long quiet stretches: one read finds whether any anomaly could be open
  // in the span at all before asking hour by hour.
  const [any] = await db.$queryRawUnsafe<Array<{ one: number }>>(
    `SELECT 1 AS one FROM "Anomaly" WHERE "workspaceId" = $1::uuid AND "lastSeenAt" >= $2
        AND "detectedAt" <= $3 LIMIT 1`,
    workspaceId,
    new Date(hours[hours.length - 1]! - OPEN_MS),
    new Date(hours[0]!),
  );
  if (!any) return [];
  const out: OpenAnomalyHours = [];
  for (const h of hours) {
    const open = await openAnomalies(db, workspaceId, { at: h });
    out.push([h, open.map((a) => `${a.kind}:${a.key}`)]);
  }
  return out;
}

/** A counter over the anomalies open at each hour of `times` (the latest hours if too many). */
export async function loadAnomalyCounter(
  db: Pick<Db, "$queryRawUnsafe">,
  workspaceId: string,
  times: readonly number[],
): Promise<AnomalyCounter> {
  return anomalyCounter(await loadOpenAnomalyHours(db, workspaceId, times));
}
