import { describe, expect, it } from "vitest";
import {
  barPlacement,
  buildTimeline,
  compensationsAt,
  deadLetteredAt,
  decisionOf,
  describeApprovers,
  MIN_BAR_PX,
  OUTCOME_LABEL,
  pendingDecisionOf,
  runOutcomeAt,
  stepStatusesAt,
  type AttemptLike,
  type DecisionAttemptLike,
  type RunEventLike,
} from "./run-state";
import { COMPENSATION_GAP, layoutRunGraph, placeCompensations, RUN_NODE_WIDTH } from "./run-layout";

let seq = 0;
const ev = (type: string, stepId: string | null, at: number, data: unknown = {}): RunEventLike => ({
  seq: ++seq,
  type,
  stepId,
  data,
  at,
});

describe("run outcome", () => {
  it("a success that dead-lettered a step is never a plain success", () => {
    seq = 0;
    const events = [
      ev("run.started", null, 0),
      ev("step.failed", "notify", 5, { attempt: 3, final: true }),
      ev("step.dead_lettered", "notify", 5, { attempts: 3 }),
      ev("step.succeeded", "record", 6, { attempt: 1 }),
      ev("run.succeeded", null, 7),
    ];
    expect(runOutcomeAt(events)).toBe("succeeded_with_dead_letters");
    expect(OUTCOME_LABEL[runOutcomeAt(events)]).toBe("succeeded with dead letters");
    // Before the end the run is running, whatever was dead-lettered.
    expect(runOutcomeAt(events, 4)).toBe("running");
    expect([...deadLetteredAt(events)]).toEqual(["notify"]);
    expect(deadLetteredAt(events, 2).size).toBe(0);
  });

  it("a clean success stays a success; a failure stays a failure", () => {
    seq = 0;
    const clean = [ev("run.started", null, 0), ev("run.succeeded", null, 1)];
    expect(runOutcomeAt(clean)).toBe("succeeded");
    seq = 0;
    const failed = [
      ev("run.started", null, 0),
      ev("step.dead_lettered", "charge", 1),
      ev("run.failed", null, 2),
    ];
    expect(runOutcomeAt(failed)).toBe("failed");
  });

  it("a fan-out child's dead letter counts for its step", () => {
    seq = 0;
    expect([...deadLetteredAt([ev("step.dead_lettered", "each[2]", 1)])]).toEqual(["each"]);
  });
});

describe("compensations", () => {
  const steps = [
    { id: "account", compensate: { uses: "billing.account.archive@1" } },
    { id: "invoice", compensate: { uses: "billing.invoice.void@1" } },
    { id: "deal" },
  ];

  it("lists the compensations that ran, in the order they ran, with their status", () => {
    seq = 0;
    const events = [
      ev("step.succeeded", "account", 1),
      ev("step.succeeded", "invoice", 2),
      ev("step.failed", "deal", 3, { final: true }),
      ev("run.compensating", null, 3),
      ev("step.started", "invoice~compensate", 4),
      ev("step.succeeded", "invoice~compensate", 5),
      ev("step.started", "account~compensate", 6),
      ev("step.retry_scheduled", "account~compensate", 7),
      ev("step.failed", "account~compensate", 9),
      ev("run.failed", null, 9),
    ];
    expect(compensationsAt(steps, events, 4)).toEqual([]);
    expect(compensationsAt(steps, events, 7)).toEqual([
      {
        id: "invoice~compensate",
        stepId: "invoice",
        uses: "billing.invoice.void@1",
        status: "succeeded",
      },
      {
        id: "account~compensate",
        stepId: "account",
        uses: "billing.account.archive@1",
        status: "running",
      },
    ]);
    expect(compensationsAt(steps, events).map((c) => [c.id, c.status])).toEqual([
      ["invoice~compensate", "succeeded"],
      ["account~compensate", "failed"],
    ]);
    // The steps themselves: the undone one is compensated; the failed undo fails its step.
    expect(stepStatusesAt(["account", "invoice", "deal"], events)).toEqual({
      account: "failed",
      invoice: "compensated",
      deal: "failed",
    });
  });

  it("draws them in a lane right of the flow, level with their step, never overlapping", () => {
    const pos = layoutRunGraph([
      { id: "a", needs: [] },
      { id: "b", needs: ["a"] },
      { id: "c", needs: ["a"] },
    ]);
    const lane = placeCompensations(pos, [
      { id: "b~compensate", stepId: "b" },
      { id: "c~compensate", stepId: "c" },
      { id: "a~compensate", stepId: "a" },
    ]);
    const right = Math.max(...Object.values(pos).map((p) => p.x)) + RUN_NODE_WIDTH;
    for (const p of Object.values(lane)) expect(p.x).toBe(right + COMPENSATION_GAP);
    // b and c share a row: the second is stacked below the first.
    expect(lane["b~compensate"]!.y).toBe(pos.b!.y);
    expect(lane["c~compensate"]!.y).toBeGreaterThan(pos.c!.y);
    expect(lane["a~compensate"]!.y).toBe(pos.a!.y);
  });

  it("gets rows of their own on the timeline, marked as compensations", () => {
    const attempts: AttemptLike[] = [
      {
        stepId: "invoice",
        attempt: 1,
        status: "succeeded",
        startedAt: 1000,
        finishedAt: 1010,
        durationMs: 10,
        retryAt: null,
      },
      {
        stepId: "invoice~compensate",
        attempt: 1,
        status: "succeeded",
        startedAt: 1020,
        finishedAt: 1021,
        durationMs: 1,
        retryAt: null,
      },
    ];
    const t = buildTimeline({
      stepIds: ["invoice", "deal"],
      attempts,
      events: [],
      origin: 1000,
      end: 1030,
    });
    expect(t.rows.map((r) => [r.stepId, r.nested, r.compensation])).toEqual([
      ["invoice", false, false],
      ["invoice~compensate", true, true],
      ["deal", false, false],
    ]);
    expect(t.rows[1]!.bars).toMatchObject([{ kind: "succeeded", start: 20, end: 21 }]);
  });
});

describe("barPlacement", () => {
  it("places a bar in percent of the span", () => {
    expect(barPlacement(250, 750, 1000)).toEqual({
      left: `min(25%, calc(100% - ${MIN_BAR_PX}px))`,
      width: `max(50%, ${MIN_BAR_PX}px)`,
    });
  });

  it("gives a 1 ms step in a minute-long run its minimum width", () => {
    expect(barPlacement(30_000, 30_001, 60_000).width).toBe(`max(0.002%, ${MIN_BAR_PX}px)`);
  });

  it("never lets a bar run past the track", () => {
    // A zero-length bar at the very end moves left by its minimum width.
    expect(barPlacement(1000, 1000, 1000)).toEqual({
      left: `min(100%, calc(100% - ${MIN_BAR_PX}px))`,
      width: `max(0%, ${MIN_BAR_PX}px)`,
    });
    // A bar longer than the span (an open bar past `end`) is cut at the track's end.
    expect(barPlacement(600, 2000, 1000).width).toBe(`max(40%, ${MIN_BAR_PX}px)`);
    // Degenerate spans do not divide by zero.
    expect(barPlacement(0, 0, 0).left).toBe(`min(0%, calc(100% - ${MIN_BAR_PX}px))`);
  });
});

describe("human decisions", () => {
  const waiting: DecisionAttemptLike = {
    stepId: "approve",
    attempt: 1,
    status: "waiting",
    finishedAt: 10,
    output: {
      approvers: { group: "finance" },
      message: "Approve a credit limit above 50k EUR?",
    },
    error: null,
  };

  it("a waiting approval's banner has its message and who decides", () => {
    expect(pendingDecisionOf("approve", [waiting])).toEqual({
      stepId: "approve",
      reason: "approval",
      message: "Approve a credit limit above 50k EUR?",
      approvers: "group finance",
    });
    seq = 0;
    // A form asks with its title; the park reason comes from the step.waiting event.
    const form: DecisionAttemptLike = {
      ...waiting,
      stepId: "form",
      output: { title: "Confirm the billing contact", schema: {} },
    };
    expect(
      pendingDecisionOf("form", [form], [ev("step.waiting", "form", 10, { reason: "form" })]),
    ).toMatchObject({ reason: "form", message: "Confirm the billing contact", approvers: null });
    expect(pendingDecisionOf("approve", [{ ...waiting, status: "succeeded" }])).toBeNull();
    expect(describeApprovers({ users: ["a@x.dev", "b@x.dev"] })).toBe("a@x.dev, b@x.dev");
    expect(describeApprovers({ role: "approver" })).toBe("role approver");
  });

  it("names who decided, when, and their comment, from the resume event", () => {
    seq = 0;
    const events = [
      ev("step.waiting", "approve", 10, { reason: "approval" }),
      ev("step.resumed", "approve", 50, {
        attempt: 1,
        by: "decision",
        approved: true,
        decidedBy: "Arun Approver <approver@demo.trustflow.dev>",
        decidedAt: 49,
        comment: "within budget",
      }),
      ev("step.succeeded", "approve", 51),
    ];
    const done = {
      ...waiting,
      status: "succeeded",
      output: { approved: true, decidedBy: ["x"], decidedAt: "1970-01-01T00:00:00.049Z" },
    };
    expect(decisionOf("approve", [done], events)).toEqual({
      outcome: "approved",
      by: ["Arun Approver <approver@demo.trustflow.dev>"],
      at: 49,
      comment: "within budget",
    });
  });

  it("falls back on what the step recorded: approval output, rejection detail, timeout", () => {
    const approved = {
      ...waiting,
      status: "succeeded",
      output: {
        approved: true,
        decidedBy: ["Bea Approver"],
        decidedAt: "2026-12-05T10:00:00.000Z",
        comment: "ok",
      },
    };
    expect(decisionOf("approve", [approved], [])).toEqual({
      outcome: "approved",
      by: ["Bea Approver"],
      at: Date.parse("2026-12-05T10:00:00.000Z"),
      comment: "ok",
    });
    const rejected = {
      ...waiting,
      status: "failed",
      finishedAt: 99,
      output: null,
      error: { message: "approval rejected by Bea", detail: { decidedBy: "Bea", comment: null } },
    };
    expect(decisionOf("approve", [rejected], [])).toEqual({
      outcome: "rejected",
      by: ["Bea"],
      at: 99,
      comment: null,
    });
    const timedOut = {
      ...waiting,
      status: "succeeded",
      output: {
        approved: true,
        decidedBy: [],
        decidedAt: "2026-12-05T10:00:00.000Z",
        timedOut: true,
      },
    };
    expect(decisionOf("approve", [timedOut], [])?.outcome).toBe("timed out");
    const form = {
      ...waiting,
      status: "succeeded",
      output: { values: {}, submittedBy: "ops@x.dev", submittedAt: "2026-12-05T10:00:00.000Z" },
    };
    expect(decisionOf("approve", [form], [])).toMatchObject({
      outcome: "submitted",
      by: ["ops@x.dev"],
    });
    expect(decisionOf("approve", [waiting], [])).toBeNull();
    expect(decisionOf("approve", [], [])).toBeNull();
  });
});
