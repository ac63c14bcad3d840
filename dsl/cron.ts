/**
 * Cron expressions, one parser for the editor, the compiler and the scheduler: `croner` computes
 * the fire times; this module fixes the dialect the product promises and names what is wrong.
 *
 * The dialect: five fields (minute hour day-of-month month day-of-week), or six with a leading
 * seconds field. Each field takes `*` (or `?`), numbers, names (`jan`–`dec`, `sun`–`sat`), ranges
 * (`1-5`, `mon-fri`), steps (`*\/15`, `10-50/10`, `7/20` = from 7 on) and lists (`1,15,30`).
 * Day-of-week 0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted a day
 * matches if EITHER matches. Times are UTC. croner's extensions (`L`, `W`, `#`, nicknames such as
 * `@daily`, a seventh year field) are refused: the scheduler promised five or six plain fields,
 * and an expression keeps meaning what it meant. Pure: no clock, no I/O, no timers.
 *
 * @example
 * const c = parseCron("*\/15 9-17 * * mon-fri");
 * c.next(Date.UTC(2026, 0, 5, 9, 7)); // 09:15 that Monday, epoch ms
 * cronProblem("99 99 * * *"); // "minute 99 is out of range 0-59"
 */
import { Cron as Croner } from "croner";

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

/** How far {@link Cron.next} looks ahead: about five years (`0 0 29 2 *` fires every four). */
export const CRON_HORIZON_MS = 5 * 366 * 86_400_000;

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The number of the first name (months count from 1). */
  firstName?: number;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const SECOND: FieldSpec = { name: "second", min: 0, max: 59 };
const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, firstName: 1 },
  { name: "day of week", min: 0, max: 7, names: DAYS, firstName: 0 },
];

/** Checks one value (a number or, where the field has them, a name); returns its number. */
function checkValue(text: string, spec: FieldSpec): number {
  if (spec.names) {
    const i = spec.names.indexOf(text.toLowerCase());
    if (i >= 0) return i + (spec.firstName ?? 0);
  }
  if (!/^\d+$/.test(text)) throw new CronError(`"${text}" is not a valid ${spec.name}`);
  const n = Number(text);
  if (n < spec.min || n > spec.max)
    throw new CronError(`${spec.name} ${n} is out of range ${spec.min}-${spec.max}`);
  return n;
}

/** Checks one field of the dialect, naming the problem; returns it as croner reads it. */
function checkField(text: string, spec: FieldSpec): string {
  const parts: string[] = [];
  for (const part of text.split(",")) {
    if (part === "") throw new CronError(`empty list item in ${spec.name} "${text}"`);
    const [range, stepText, extra] = part.split("/") as [string, string?, string?];
    if (extra !== undefined) throw new CronError(`"${part}" has two steps`);
    if (stepText !== undefined && (!/^\d+$/.test(stepText) || Number(stepText) === 0))
      throw new CronError(`step "${stepText}" in ${spec.name} must be a positive number`);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") {
      if (stepText === undefined) {
        parts.push("*");
        continue;
      }
      lo = spec.min;
      hi = spec.max;
    } else if (range.includes("-")) {
      const [a, b, more] = range.split("-") as [string, string, string?];
      lo = checkValue(a, spec);
      hi = checkValue(b, spec);
      if (more !== undefined) throw new CronError(`"${range}" in ${spec.name} is not a range`);
      if (lo > hi) throw new CronError(`range "${range}" in ${spec.name} runs backwards`);
    } else {
      lo = checkValue(range, spec);
      hi = stepText === undefined ? lo : spec.max;
    }
    // A step past the range's end leaves its first value (`*/90` minutes: minute 0), as cron
    // has always read it; croner refuses such steps, so it is given that value.
    if (stepText !== undefined && Number(stepText) > hi - lo) parts.push(String(lo));
    else parts.push(range === "?" ? `*/${stepText}` : part);
  }
  return parts.join(",");
}

/** Reads croner's message without its class prefix. */
function cronerMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/^CronPattern: /, "").replace(/\.$/, "");
}

/** Parses a cron expression; throws {@link CronError} with a message naming the bad field. */
export function parseCron(source: string): Cron {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6)
    throw new CronError(`expected 5 fields (minute hour day month weekday), found ${parts.length}`);
  const specs = parts.length === 6 ? [SECOND, ...FIELDS] : FIELDS;
  const pattern = parts.map((p, i) => checkField(p, specs[i]!)).join(" ");
  let croner: Croner;
  try {
    croner = new Croner(pattern, {
      utcOffset: 0,
      // Vixie cron: restricted day-of-month and day-of-week fields are OR-ed.
      domAndDow: false,
      mode: "5-or-6-parts",
      // `7/20`: from 7 on, every 20 (Vixie cron reads it so; croner calls it sloppy).
      sloppyRanges: true,
      // A pattern to compute with, never a job: no timer is ever started.
      paused: true,
    });
  } catch (e) {
    throw new CronError(cronerMessage(e));
  }
  // croner answers null only when nothing matches before the year 10000 (`0 0 31 2 *`): that
  // stays so, and the search is not repeated at every scheduler tick.
  let never = false;
  const next = (after: number): number | null => {
    if (never) return null;
    const t = croner.nextRun(new Date(after))?.getTime();
    if (t === undefined) never = true;
    return t === undefined || t - after > CRON_HORIZON_MS ? null : t;
  };
  return {
    source,
    next,
    matches: (at) => croner.match(new Date(Math.floor(at / 1000) * 1000)),
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

/** What is wrong with a cron expression, or undefined when it parses. */
export function cronProblem(source: string): string | undefined {
  try {
    parseCron(source);
    return undefined;
  } catch (e) {
    return e instanceof CronError ? e.message : String(e);
  }
}

/** The next `count` fire times strictly after `after` (fewer when the horizon ends first). */
export function nextCronFires(cron: Cron, after: number, count: number): number[] {
  const out: number[] = [];
  for (let t = cron.next(after); t !== null && out.length < count; t = cron.next(t)) out.push(t);
  return out;
}
