/**
 * A small cron parser: five fields (minute hour day-of-month month day-of-week), or six with a
 * leading seconds field. Each field takes `*`, numbers, names (`jan`–`dec`, `sun`–`sat`), ranges
 * (`1-5`, `mon-fri`), steps (`*\/15`, `10-50/10`) and lists (`1,15,30`). Day-of-week 0 and 7 are
 * Sunday. As in Vixie cron, when both day fields are restricted a day matches if EITHER matches.
 * Times are UTC. Pure: no clock, no I/O.
 *
 * @example
 * const c = parseCron("*\/15 9-17 * * mon-fri");
 * c.next(Date.UTC(2026, 0, 5, 9, 7)); // 09:15 that Monday, epoch ms
 */

/** A parsed cron expression. */
export interface Cron {
  readonly source: string;
  /** The first fire time strictly after `after` (epoch ms), or null within ~5 years. */
  next(after: number): number | null;
  /** Every fire time in (`from`, `to`], at most `limit` of them. */
  between(from: number, to: number, limit?: number): number[];
  matches(at: number): boolean;
}

/** A cron expression that does not parse. */
export class CronError extends Error {
  override name = "CronError";
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const SECOND: FieldSpec = { name: "second", min: 0, max: 59 };
const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day of week", min: 0, max: 7, names: DAYS },
];

function value(text: string, spec: FieldSpec): number {
  const lower = text.toLowerCase();
  if (spec.names) {
    const i = spec.names.indexOf(lower);
    if (i >= 0) return spec === FIELDS[3] ? i + 1 : i;
  }
  if (!/^\d+$/.test(text)) throw new CronError(`"${text}" is not a valid ${spec.name}`);
  const n = Number(text);
  if (n < spec.min || n > spec.max)
    throw new CronError(`${spec.name} ${n} is out of range ${spec.min}-${spec.max}`);
  return n;
}

function parseField(text: string, spec: FieldSpec): { set: Set<number>; any: boolean } {
  const set = new Set<number>();
  let any = false;
  for (const part of text.split(",")) {
    if (part === "") throw new CronError(`empty list item in ${spec.name} "${text}"`);
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined) throw new CronError(`"${part}" has two steps`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0)
        throw new CronError(`step "${stepText}" in ${spec.name} must be a positive number`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") {
      lo = spec.min;
      hi = spec.max;
      if (stepText === undefined) any = true;
    } else if (range!.includes("-")) {
      const [a, b] = range!.split("-");
      lo = value(a!, spec);
      hi = value(b!, spec);
      if (lo > hi) throw new CronError(`range "${range}" in ${spec.name} runs backwards`);
    } else {
      lo = value(range!, spec);
      hi = stepText === undefined ? lo : spec.max;
    }
    for (let v = lo; v <= hi; v += step) set.add(v);
  }
  return { set, any };
}

/** Parses a cron expression; throws {@link CronError} with a message naming the bad field. */
export function parseCron(source: string): Cron {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6)
    throw new CronError(`expected 5 fields (minute hour day month weekday), found ${parts.length}`);
  const withSeconds = parts.length === 6;
  const seconds = withSeconds ? parseField(parts[0]!, SECOND).set : new Set([0]);
  const f = (withSeconds ? parts.slice(1) : parts).map((p, i) => parseField(p, FIELDS[i]!));
  const [minute, hour, dom, month, dow] = f as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  if (dow.set.has(7)) dow.set.add(0);
  const sortedSeconds = [...seconds].sort((a, b) => a - b);

  const dayMatches = (d: Date) => {
    const domOk = dom.set.has(d.getUTCDate());
    const dowOk = dow.set.has(d.getUTCDay());
    if (dom.any && dow.any) return true;
    if (dom.any) return dowOk;
    if (dow.any) return domOk;
    return domOk || dowOk;
  };

  const matches = (at: number) => {
    const d = new Date(at);
    return (
      seconds.has(d.getUTCSeconds()) &&
      minute.set.has(d.getUTCMinutes()) &&
      hour.set.has(d.getUTCHours()) &&
      month.set.has(d.getUTCMonth() + 1) &&
      dayMatches(d)
    );
  };

  const next = (after: number): number | null => {
    // Walk coarse to fine: skip whole months, days, hours and minutes that cannot match.
    const d = new Date(Math.floor(after / 1000) * 1000 + 1000);
    const limit = after + 5 * 366 * 86_400_000;
    while (d.getTime() <= limit) {
      if (!month.set.has(d.getUTCMonth() + 1)) {
        d.setUTCMonth(d.getUTCMonth() + 1, 1);
        d.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!dayMatches(d)) {
        d.setUTCDate(d.getUTCDate() + 1);
        d.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!hour.set.has(d.getUTCHours())) {
        d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
        continue;
      }
      if (!minute.set.has(d.getUTCMinutes())) {
        d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
        continue;
      }
      const s = sortedSeconds.find((x) => x >= d.getUTCSeconds());
      if (s === undefined) {
        d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
        continue;
      }
      d.setUTCSeconds(s, 0);
      return d.getTime();
    }
    return null;
  };

  return {
    source,
    next,
    matches,
    between(from, to, limit = 100) {
      const out: number[] = [];
      let t = next(from);
      while (t !== null && t <= to && out.length < limit) {
        out.push(t);
        t = next(t);
      }
      return out;
    },
  };
}
