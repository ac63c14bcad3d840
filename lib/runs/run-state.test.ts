import { describe, expect, it } from "vitest";
import {
  baseStepId,
  buildTimeline,
  formatDuration,
  mergeEvents,
  runStatusAt,
  stepStatusesAt,
  waitingSteps,
  type AttemptLike,
  type RunEventLike,
} from "./run-state";

let seq = 0;
const ev = (type: string, stepId: string | null, at: number, data: unknown = {}): RunEventLike => ({
  seq: ++seq,
  type,
  stepId,
  data,
  at,
});

const STEPS = ["a", "b", "ok", "c"];
seq = 0;
const EVENTS = [
  ev("run.started", null, 0),
  ev("step.succeeded", "a", 5, { attempt: 1 }),
  ev("step.started", "b", 6, { attempt: 1 }),
  ev("step.retry_scheduled", "b", 10, { attempt: 1 }),
  ev("step.started", "b", 20, { attempt: 2 }),
  ev("step.succeeded", "b", 25, { attempt: 2 }),
  ev("step.started", "ok", 26, { attempt: 1 }),
  ev("step.waiting", "ok", 27, { attempt: 1, reason: "approval" }),
  ev("run.waiting", null, 27),
  ev("step.resumed", "ok", 100, { attempt: 1 }),
  ev("step.succeeded", "ok", 101, { attempt: 1 }),
  ev("step.skipped", "c", 102),
  ev("run.succeeded", null, 103),
];

describe("stepStatusesAt", () => {
  it("replays events up to a seq", () => {
    expect(stepStatusesAt(STEPS, EVENTS, 0)).toEqual({
      a: "pending",
      b: "pending",
      ok: "pending",
      c: "pending",
    });
    expect(stepStatusesAt(STEPS, EVENTS, 4)).toMatchObject({ a: "succeeded", b: "running" });
    expect(stepStatusesAt(STEPS, EVENTS, 9)).toMatchObject({ b: "succeeded", ok: "waiting" });
    expect(stepStatusesAt(STEPS, EVENTS)).toEqual({
      a: "succeeded",
      b: "succeeded",
      ok: "succeeded",
      c: "skipped",
    });
  });

  it("maps fan-out children and compensations to their step", () => {
    expect(baseStepId("each[3]")).toBe("each");
    expect(baseStepId("each[3][1]")).toBe("each");
    expect(baseStepId("pay~compensate")).toBe("pay");
    seq = 100;
    const events = [
      ev("step.started", "each[0]", 1),
      ev("step.succeeded", "pay", 2),
      ev("step.failed", "ship", 3, { final: true }),
      ev("step.succeeded", "pay~compensate", 4),
    ];
    expect(stepStatusesAt(["each", "pay", "ship"], events)).toEqual({
      each: "running",
      pay: "compensated",
      ship: "failed",
    });
  });

  it("shows a replay run's reused steps as succeeded", () => {
    seq = 200;
    const events = [
      ev("step.reused", "fetch", 1, { fromRunId: "r1", attempt: 1 }),
      ev("step.started", "write", 2),
    ];
    expect(stepStatusesAt(["fetch", "write", "notify"], events)).toEqual({
      fetch: "succeeded",
      write: "running",
      notify: "pending",
    });
  });

  it("shows a sandbox run's pinned steps as succeeded", () => {
    seq = 300;
    const events = [
      ev("step.pinned", "fetch", 1, { fromRunId: null }),
      ev("step.started", "write", 2),
    ];
    expect(stepStatusesAt(["fetch", "write"], events)).toEqual({
      fetch: "succeeded",
      write: "running",
    });
  });
});

describe("runStatusAt", () => {
  it("follows the run's lifecycle", () => {
    expect(runStatusAt(EVENTS, 0)).toBe("queued");
    expect(runStatusAt(EVENTS, 3)).toBe("running");
    expect(runStatusAt(EVENTS, 9)).toBe("waiting");
    expect(runStatusAt(EVENTS, 10)).toBe("running");
    expect(runStatusAt(EVENTS)).toBe("succeeded");
  });
});

describe("buildTimeline", () => {
  const attempts: AttemptLike[] = [
    {
      stepId: "a",
      attempt: 1,
      status: "succeeded",
      startedAt: 1000,
      finishedAt: 1005,
      durationMs: 5,
      retryAt: null,
    },
    {
      stepId: "b",
      attempt: 1,
      status: "failed",
      startedAt: 1006,
      finishedAt: 1010,
      durationMs: 4,
      retryAt: 1020,
    },
    {
      stepId: "b",
      attempt: 2,
      status: "succeeded",
      startedAt: 1020,
      finishedAt: 1025,
      durationMs: 5,
      retryAt: null,
    },
    {
      stepId: "ok",
      attempt: 1,
      status: "waiting",
      startedAt: 1026,
      finishedAt: 1027,
      durationMs: null,
      retryAt: null,
    },
  ];
  const events = EVENTS.slice(0, 9).map((e) => ({ ...e, at: e.at + 1000 }));

  it("draws attempts, the wait before a retry and a person's wait", () => {
    const t = buildTimeline({ stepIds: STEPS, attempts, events, origin: 1000, end: 1050 });
    expect(t.span).toBe(50);
    const row = (id: string) => t.rows.find((r) => r.stepId === id)!;
    expect(row("a").bars).toEqual([
      { kind: "succeeded", attempt: 1, start: 0, end: 5, open: false },
    ]);
    expect(row("b").bars.map((b) => [b.kind, b.attempt, b.start, b.end])).toEqual([
      ["failed", 1, 6, 10],
      ["retry-wait", 1, 10, 20],
      ["succeeded", 2, 20, 25],
    ]);
    expect(row("ok").bars.map((b) => [b.kind, b.start, b.end, b.open])).toEqual([
      ["running", 26, 27, false],
      ["waiting", 27, 50, true],
    ]);
    expect(row("c").bars).toEqual([]);
  });

  it("puts children and compensations under their step", () => {
    const t = buildTimeline({
      stepIds: ["each", "next"],
      attempts: [
        {
          stepId: "each[1]",
          attempt: 1,
          status: "succeeded",
          startedAt: 3,
          finishedAt: 4,
          durationMs: 1,
          retryAt: null,
        },
        {
          stepId: "each",
          attempt: 1,
          status: "succeeded",
          startedAt: 1,
          finishedAt: 5,
          durationMs: 4,
          retryAt: null,
        },
      ],
      events: [],
      origin: 0,
      end: 10,
    });
    expect(t.rows.map((r) => [r.stepId, r.nested])).toEqual([
      ["each", false],
      ["each[1]", true],
      ["next", false],
    ]);
  });
});

describe("helpers", () => {
  it("merges events by seq and finds waiting steps", () => {
    expect(mergeEvents(EVENTS.slice(0, 3), EVENTS.slice(2, 5)).map((e) => e.seq)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(
      waitingSteps([
        {
          stepId: "x",
          attempt: 1,
          status: "waiting",
          startedAt: 0,
          finishedAt: null,
          durationMs: null,
          retryAt: null,
        },
        {
          stepId: "y",
          attempt: 1,
          status: "waiting",
          startedAt: 0,
          finishedAt: null,
          durationMs: null,
          retryAt: null,
        },
        {
          stepId: "y",
          attempt: 2,
          status: "succeeded",
          startedAt: 0,
          finishedAt: 1,
          durationMs: 1,
          retryAt: null,
        },
      ]),
    ).toEqual(["x"]);
  });

  it("formats durations", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_400)).toBe("12 s");
    expect(formatDuration(4_200)).toBe("4.2 s");
    expect(formatDuration(185_000)).toBe("3 min 5 s");
    expect(formatDuration(null)).toBe("—");
  });
});
