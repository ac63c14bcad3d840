import { describe, expect, it } from "vitest";
import { parseCron } from "@/dsl";
import {
  explainedStart,
  MAX_SCHEDULE_WINDOW_MS,
  MIN_SCHEDULE_WINDOW_MS,
  outsideSchedule,
  scheduleWindowMs,
  withinSchedule,
  type ScheduledRunIn,
} from "./schedule";

/** Monday 2 November 2026, 00:00 UTC. */
const MON = Date.UTC(2026, 10, 2);
const H = 3_600_000;
const M = 60_000;
/** Weekdays at 09:00 UTC. */
const CRON = "0 9 * * mon-fri";

function run(over: Partial<ScheduledRunIn> = {}): ScheduledRunIn {
  return {
    id: "00000000-0000-4000-8000-000000000001",
    workspaceId: "ws",
    workflowId: "wf",
    flowName: "nightly-sync",
    cron: CRON,
    startedAt: MON + 9 * H,
    startedBy: "schedule:nightly-sync",
    startedByUserId: null,
    parentRunId: null,
    replayOfRunId: null,
    calls: [{ endpoint: "crm:crm.deal.update", at: MON + 9 * H + 2 * M, write: true }],
    parked: [],
    ...over,
  };
}

describe("calls outside the flow's schedule", () => {
  it("knows a fire time's window", () => {
    const c = parseCron(CRON);
    expect(withinSchedule(c, MON + 9 * H, 30 * M)).toBe(true);
    expect(withinSchedule(c, MON + 9 * H + 30 * M, 30 * M)).toBe(true);
    expect(withinSchedule(c, MON + 9 * H + 30 * M + 1, 30 * M)).toBe(false);
    expect(withinSchedule(c, MON + 9 * H - 1, 30 * M)).toBe(false);
    // Saturday 09:05: no fire that day.
    expect(withinSchedule(c, MON + 5 * 24 * H + 9 * H + 5 * M, 30 * M)).toBe(false);
  });

  it("sizes the window from the flow's usual run duration, within bounds", () => {
    expect(scheduleWindowMs(null)).toBe(MIN_SCHEDULE_WINDOW_MS);
    expect(scheduleWindowMs(5_000)).toBe(MIN_SCHEDULE_WINDOW_MS);
    expect(scheduleWindowMs(H)).toBe(2 * H);
    expect(scheduleWindowMs(100 * H)).toBe(MAX_SCHEDULE_WINDOW_MS);
    expect(scheduleWindowMs(Number.NaN)).toBe(MIN_SCHEDULE_WINDOW_MS);
  });

  it("finds nothing in a run on its schedule", () => {
    expect(outsideSchedule([run()])).toEqual([]);
  });

  it("flags a run started at 03:00 and its calls, stating the schedule, the time and the rule", () => {
    const at = MON + 3 * H;
    const found = outsideSchedule([
      run({ startedAt: at, calls: [{ endpoint: "crm:crm.deal.update", at: at + M, write: true }] }),
    ]);
    expect(found.map((f) => [f.kind, f.key, f.metric, f.rule, f.observed])).toEqual([
      ["flow", "wf", "outside_schedule", "outside-schedule", 1],
      ["endpoint", "crm:crm.deal.update", "outside_schedule", "outside-schedule", 1],
    ]);
    const [flow, call] = found;
    expect(flow!.explanation).toContain('"0 9 * * mon-fri"');
    expect(flow!.explanation).toContain("2026-11-02T03:00:00Z");
    expect(flow!.explanation).toContain("outside-schedule");
    expect(flow!.explanation).toContain("30 min");
    expect(call!.explanation).toContain(
      "write call to crm:crm.deal.update at 2026-11-02T03:01:00Z",
    );
    expect(call!.at).toBe(at + M);
  });

  it("flags calls a scheduled run still makes long after its fire time", () => {
    const late = MON + 9 * H + 3 * H;
    const found = outsideSchedule([
      run({
        calls: [
          { endpoint: "crm:crm.contact.get", at: MON + 9 * H + M, write: false },
          { endpoint: "crm:crm.deal.update", at: late, write: true },
          { endpoint: "crm:crm.deal.update", at: late + M, write: true },
        ],
      }),
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: "endpoint", key: "crm:crm.deal.update", observed: 2 });
    expect(found[0]!.explanation).toMatch(/^2 times since 2026-11-02T12:00:00Z\. One of them: /);
  });

  it("does not count time parked on a person, and a slow flow has a longer window", () => {
    const late = MON + 9 * H + 3 * H;
    const calls = [{ endpoint: "crm:crm.deal.update", at: late, write: true }];
    const parked = [{ from: MON + 9 * H + M, to: late - M }];
    expect(outsideSchedule([run({ calls, parked })])).toEqual([]);
    // A flow whose p95 run lasts two hours may call three hours after its fire time.
    expect(outsideSchedule([run({ calls })], () => 2 * H)).toEqual([]);
    expect(outsideSchedule([run({ calls })], () => 60_000)).toHaveLength(1);
  });

  it("leaves runs a person, a webhook, a parent run or a replay explains", () => {
    const at = MON + 3 * H;
    const odd = { startedAt: at, calls: [{ endpoint: "crm:x", at, write: true }] };
    expect(explainedStart(run())).toBeNull();
    for (const why of [
      { startedByUserId: "00000000-0000-4000-8000-0000000000aa", startedBy: "ann@example.com" },
      { startedBy: "webhook:nightly-sync" },
      { startedBy: "run:00000000-0000-4000-8000-000000000009" },
      { parentRunId: "00000000-0000-4000-8000-000000000009" },
      { replayOfRunId: "00000000-0000-4000-8000-000000000009" },
    ]) {
      expect(explainedStart(run(why))).not.toBeNull();
      expect(outsideSchedule([run({ ...odd, ...why })])).toEqual([]);
    }
    // Nobody accounts for a run without a person, a webhook or a parent: it is judged.
    expect(outsideSchedule([run({ ...odd, startedBy: null })]).length).toBe(2);
  });

  it("skips a schedule that does not parse", () => {
    expect(outsideSchedule([run({ cron: "99 * * * *", startedAt: MON + 3 * H })])).toEqual([]);
  });
});
