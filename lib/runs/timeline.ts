/**
 * The run view's timeline: the Gantt rows and bars derived from a run's attempts and events, and
 * where each bar sits on its track. Pure: no React, no clock (callers pass the run's end).
 */

import { baseStepId, isCompensation, type AttemptLike, type RunEventLike } from "./run-records";

export type BarKind = "succeeded" | "failed" | "running" | "waiting" | "skipped" | "retry-wait";

/** One bar of the timeline, in ms since the run's start. */
export interface TimelineBar {
  kind: BarKind;
  attempt: number;
  start: number;
  end: number;
  /** Whether the bar is still growing (running or waiting now). */
  open: boolean;
}

export interface TimelineRow {
  stepId: string;
  /** Indented under its IR step (fan-out child or compensation). */
  nested: boolean;
  /** The row of a compensation (`<step>~compensate`): drawn in the saga's colours. */
  compensation: boolean;
  bars: TimelineBar[];
}

export interface Timeline {
  /** Epoch ms of the time axis' origin. */
  origin: number;
  /** Length of the axis in ms (at least 1). */
  span: number;
  rows: TimelineRow[];
}

/**
 * The Gantt of a run: one row per IR step (children and compensations follow their step), one
 * bar per attempt coloured by outcome, a `retry-wait` bar from a failed attempt to its retry, and
 * waits (a person, a timer) as `waiting` bars from the park to the resume. Open bars end at `now`
 * (or the run's end).
 */
export function buildTimeline(input: {
  stepIds: readonly string[];
  attempts: readonly AttemptLike[];
  events: readonly RunEventLike[];
  origin: number;
  /** The run's end, or the current time while it runs. */
  end: number;
}): Timeline {
  const { origin } = input;
  const rel = (t: number) => Math.max(0, t - origin);
  const rows = new Map<string, TimelineRow>();
  for (const id of input.stepIds)
    rows.set(id, { stepId: id, nested: false, compensation: false, bars: [] });
  const extra = new Map<string, TimelineRow[]>();
  const rowFor = (stepId: string): TimelineRow => {
    const existing = rows.get(stepId);
    if (existing) return existing;
    const row: TimelineRow = {
      stepId,
      nested: true,
      compensation: isCompensation(stepId),
      bars: [],
    };
    rows.set(stepId, row);
    const base = baseStepId(stepId);
    extra.set(base, [...(extra.get(base) ?? []), row]);
    return row;
  };
  // Where each attempt parked and resumed, from the events (an attempt row keeps only its ends).
  const waits = new Map<string, Array<{ from: number; to: number | null }>>();
  for (const e of input.events) {
    if (!e.stepId) continue;
    const key = `${e.stepId}#${attemptOf(e.data) ?? 1}`;
    if (e.type === "step.waiting") {
      waits.set(key, [...(waits.get(key) ?? []), { from: e.at, to: null }]);
    } else if (
      e.type === "step.resumed" ||
      e.type === "step.succeeded" ||
      e.type === "step.failed"
    ) {
      const open = waits.get(key)?.find((w) => w.to === null);
      if (open) open.to = e.at;
    }
  }
  const sorted = [...input.attempts].sort(
    (a, b) => a.startedAt - b.startedAt || a.attempt - b.attempt,
  );
  for (const a of sorted) {
    const row = rowFor(a.stepId);
    const open = a.status === "running" || a.status === "waiting";
    const parks = waits.get(`${a.stepId}#${a.attempt}`) ?? [];
    const firstPark = parks[0]?.from;
    const end = open ? input.end : (a.finishedAt ?? a.startedAt + (a.durationMs ?? 0));
    // The working part of the attempt, up to its first park.
    const workEnd = firstPark !== undefined ? Math.min(firstPark, end) : end;
    const kind: BarKind = a.status === "waiting" ? "running" : a.status;
    row.bars.push({
      kind,
      attempt: a.attempt,
      start: rel(a.startedAt),
      end: rel(workEnd),
      open: open && firstPark === undefined,
    });
    for (const p of parks) {
      const to = p.to ?? (open ? input.end : end);
      row.bars.push({
        kind: "waiting",
        attempt: a.attempt,
        start: rel(p.from),
        end: rel(to),
        open: p.to === null && open,
      });
      if (p.to !== null && p.to < end && a.status !== "waiting") {
        row.bars.push({
          kind,
          attempt: a.attempt,
          start: rel(p.to),
          end: rel(end),
          open: false,
        });
      }
    }
    if (a.retryAt !== null && a.status === "failed") {
      row.bars.push({
        kind: "retry-wait",
        attempt: a.attempt,
        start: rel(end),
        end: rel(a.retryAt),
        open: false,
      });
    }
  }
  const ordered: TimelineRow[] = [];
  for (const id of input.stepIds) {
    ordered.push(rows.get(id)!);
    ordered.push(...(extra.get(id) ?? []));
  }
  for (const [base, list] of extra) if (!input.stepIds.includes(base)) ordered.push(...list);
  const maxEnd = Math.max(rel(input.end), ...ordered.flatMap((r) => r.bars.map((b) => b.end)), 1);
  return { origin, span: maxEnd, rows: ordered };
}

/** The smallest width a timeline bar is drawn with, so a 2 ms step stays visible and clickable. */
export const MIN_BAR_PX = 6;

/**
 * Where a bar sits on its track, as CSS: `left` and `width` in percent of the run's span, at
 * least {@link MIN_BAR_PX} wide, and never past the track's end (a short bar at the very end
 * moves left instead of overflowing).
 */
export function barPlacement(
  start: number,
  end: number,
  span: number,
): { left: string; width: string } {
  const s = span > 0 ? span : 1;
  const clamp = (v: number) => Math.min(100, Math.max(0, v));
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const left = round(clamp((start / s) * 100));
  const width = round(Math.min(clamp(((end - start) / s) * 100), 100 - left));
  return {
    left: `min(${left}%, calc(100% - ${MIN_BAR_PX}px))`,
    width: `max(${width}%, ${MIN_BAR_PX}px)`,
  };
}

function attemptOf(data: unknown): number | undefined {
  if (data && typeof data === "object" && "attempt" in data) {
    const n = (data as { attempt: unknown }).attempt;
    return typeof n === "number" ? n : undefined;
  }
  return undefined;
}
