/**
 * The "anomaly state" feature's data as plain numbers and strings (pure): the anomalies open at
 * each hour read, as `kind:key` entity keys. A training hands it to its worker thread (a function
 * does not cross threads); `anomalyCounter` turns it into the feature's counter on either side.
 */
import { HOUR_MS, type AnomalyCounter, type Subject } from "./features";

/** Per hour read (its start, epoch ms): the `kind:key`s of the anomalies open then. */
export type OpenAnomalyHours = Array<[hour: number, keys: string[]]>;

export const hourOf = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;

function entityKeys(s: Subject): Set<string> {
  const keys = new Set<string>();
  if (s.version) keys.add(`flow:${s.workflowId}@${s.version}`);
  for (const b of s.blocks) keys.add(`block:${b}`);
  for (const e of s.endpoints) keys.add(`endpoint:${e}`);
  return keys;
}

/** How many anomalies open at the hour of `t` concern the subject's entities (0 for hours not read). */
export function anomalyCounter(hours: OpenAnomalyHours): AnomalyCounter {
  const open = new Map(hours);
  return (subject, t) => {
    const list = open.get(hourOf(t));
    if (!list?.length) return 0;
    const keys = entityKeys(subject);
    return list.filter((k) => keys.has(k)).length;
  };
}
