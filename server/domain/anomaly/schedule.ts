/**
 * The rogue-block rule "calls outside the flow's schedule" (pure). A flow triggered by a cron
 * schedule runs in windows: each fire time `f` opens `[f, f + W]`, W the flow's run window
 * ({@link scheduleWindowMs}: 30 minutes, or twice the flow's usual p95 run duration when that is
 * longer, at most 12 hours). Time a run spent parked on a person (its human steps' attempts)
 * does not count against it.
 *
 * A run whose start is explained by something other than the schedule — a person or an API
 * token started it, it is a sub-flow of another run, or a replay — is left alone. Any other run
 * of a scheduled flow (the scheduler's own, or one nobody accounts for) is judged:
 *
 * - its **start** outside every window flags the flow (`runs outside the schedule`);
 * - each **connector call** (an attempt of a step with a connector endpoint) outside every
 *   window flags that endpoint (`calls outside the schedule`): a block still calling long after
 *   the schedule fired.
 *
 * One finding per entity and batch, with the count, the first time observed, the schedule and
 * the window in its explanation; the detector's cooldown turns a continuing one into repeats.
 * A cron expression that does not parse is skipped (the editor reports it).
 */
import { CronError, parseCron, type Cron } from "@/dsl";
import type { Finding } from "./detector";

/** The shortest run window after a fire time. */
export const MIN_SCHEDULE_WINDOW_MS = 30 * 60_000;
/** The longest. */
export const MAX_SCHEDULE_WINDOW_MS = 12 * 3_600_000;
/** The rule's name, as anomalies carry it. */
export const OUTSIDE_SCHEDULE_RULE = "outside-schedule";

/** A run of a scheduled flow, as the rule reads it (times epoch ms). */
export interface ScheduledRunIn {
  id: string;
  workspaceId: string;
  workflowId: string;
  flowName: string;
  cron: string;
  /** When it started (its creation when it never started). */
  startedAt: number;
  startedBy: string | null;
  startedByUserId: string | null;
  parentRunId: string | null;
  replayOfRunId: string | null;
  /** Its connector calls: attempts of steps with an endpoint. */
  calls: Array<{ endpoint: string; at: number; write: boolean }>;
  /** Its human steps' attempts (time parked on a person). */
  parked: Array<{ from: number; to: number }>;
}

/** Why a run of a scheduled flow is not the schedule's to explain, or null. */
export function explainedStart(
  r: Pick<ScheduledRunIn, "startedBy" | "startedByUserId" | "parentRunId" | "replayOfRunId">,
): string | null {
  if (r.startedByUserId) return "a person started it";
  if (r.replayOfRunId) return "it replays another run";
  if (r.parentRunId || r.startedBy?.startsWith("run:")) return "another run started it";
  if (r.startedBy?.startsWith("webhook:")) return "a webhook started it";
  return null;
}

/** A flow's run window: twice its usual p95 run duration, within the bounds above. */
export function scheduleWindowMs(p95RunMs: number | null | undefined): number {
  const usual = p95RunMs && Number.isFinite(p95RunMs) ? 2 * p95RunMs : 0;
  return Math.min(MAX_SCHEDULE_WINDOW_MS, Math.max(MIN_SCHEDULE_WINDOW_MS, usual));
}

/** Whether `at` lies within `windowMs` after one of `cron`'s fire times. */
export function withinSchedule(cron: Cron, at: number, windowMs: number): boolean {
  const fire = cron.next(at - windowMs - 1);
  return fire !== null && fire <= at;
}

const crons = new Map<string, Cron | null>();
function cronOf(source: string): Cron | null {
  let c = crons.get(source);
  if (c === undefined) {
    try {
      c = parseCron(source);
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      c = null;
    }
    if (crons.size >= 1000) crons.clear();
    crons.set(source, c);
  }
  return c;
}

const iso = (t: number) => new Date(t).toISOString().replace(".000Z", "Z");
const minutes = (ms: number) =>
  ms >= 3_600_000 ? `${+(ms / 3_600_000).toFixed(1)} h` : `${Math.round(ms / 60_000)} min`;

/**
 * The findings of a batch's runs of scheduled flows; `p95RunMs` gives a flow's (workflow id)
 * usual p95 run duration, when its baseline knows it.
 */
export function outsideSchedule(
  runs: readonly ScheduledRunIn[],
  p95RunMs: (workflowId: string) => number | null = () => null,
): Finding[] {
  const found = new Map<string, Finding & { first: number }>();
  const flag = (
    r: ScheduledRunIn,
    kind: "flow" | "endpoint",
    key: string,
    label: string,
    at: number,
    what: string,
    windowMs: number,
  ) => {
    const id = `${r.workspaceId}\u0000${kind}\u0000${key}`;
    const f = found.get(id);
    if (f) {
      f.observed++;
      f.n++;
      f.first = Math.min(f.first, at);
      f.windowStart = Math.min(f.windowStart, at);
      f.at = Math.max(f.at, at);
      return;
    }
    found.set(id, {
      workspaceId: r.workspaceId,
      kind,
      key,
      label,
      metric: "outside_schedule",
      rule: OUTSIDE_SCHEDULE_RULE,
      baseline: 0,
      observed: 1,
      n: 1,
      score: null,
      threshold: null,
      explanation: `${what}: outside the schedule "${r.cron}" (UTC) of flow ${r.flowName}. Rule ${OUTSIDE_SCHEDULE_RULE}: a scheduled run may start and call within ${minutes(windowMs)} of a fire time (time waiting on people aside) unless a person, a webhook or another run started it.`,
      windowStart: at,
      at,
      first: at,
    });
  };
  for (const r of runs) {
    if (explainedStart(r)) continue;
    const cron = cronOf(r.cron);
    if (!cron) continue;
    const windowMs = scheduleWindowMs(p95RunMs(r.workflowId));
    if (!withinSchedule(cron, r.startedAt, windowMs))
      flag(
        r,
        "flow",
        r.workflowId,
        r.flowName,
        r.startedAt,
        `Run ${r.id} started at ${iso(r.startedAt)}`,
        windowMs,
      );
    for (const c of r.calls) {
      // Time parked on a person before the call does not count against the run.
      let parked = 0;
      for (const p of r.parked) if (p.to <= c.at) parked += Math.max(0, p.to - p.from);
      if (withinSchedule(cron, c.at - parked, windowMs)) continue;
      flag(
        r,
        "endpoint",
        c.endpoint,
        c.endpoint,
        c.at,
        `A ${c.write ? "write " : ""}call to ${c.endpoint} at ${iso(c.at)} (run ${r.id})`,
        windowMs,
      );
    }
  }
  return [...found.values()].map(({ first, ...f }) => {
    if (f.observed > 1)
      f.explanation = `${f.observed} times since ${iso(first)}. One of them: ${f.explanation}`;
    return f;
  });
}
