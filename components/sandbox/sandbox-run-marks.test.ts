import { describe, expect, it } from "vitest";
import { marksOfRun, SandboxRunMarks } from "./sandbox-run-marks";

describe("sandbox run marks", () => {
  it("takes each step's last attempt, leaves children to their parent, marks pinned steps", () => {
    const marks = marksOfRun({
      attempts: [
        { stepId: "a", attempt: 1, status: "succeeded" },
        { stepId: "b", attempt: 1, status: "failed" },
        { stepId: "b", attempt: 2, status: "succeeded" },
        { stepId: "each", attempt: 1, status: "running" },
        { stepId: "each[0]", attempt: 1, status: "failed" },
      ],
      events: [
        { type: "step.pinned", stepId: "a" },
        { type: "step.started", stepId: "b" },
      ],
    });
    expect(marks).toEqual({
      a: { status: "succeeded", pinned: true },
      b: { status: "succeeded", pinned: false },
      each: { status: "running", pinned: false },
    });
  });

  it("notifies subscribers only when the marks change", () => {
    const store = new SandboxRunMarks();
    let calls = 0;
    const off = store.subscribe(() => calls++);
    store.set({ a: { status: "running", pinned: false } });
    store.set({ a: { status: "running", pinned: false } });
    store.set({ a: { status: "succeeded", pinned: false } });
    store.set(null);
    off();
    store.set({ a: { status: "failed", pinned: false } });
    expect(calls).toBe(3);
    expect(store.get()).toEqual({ a: { status: "failed", pinned: false } });
  });
});
