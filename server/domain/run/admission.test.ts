/**
 * The active-run cap's view for the inline webhook path: far below the cap a start is admitted
 * without a count; a stale view, or one near the cap, counts again and refuses as the counted
 * check does.
 */
import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { Admission, admissionRefusalOf, type AdmissionLimits } from "./admission";

const limits = (maxActiveRuns: number): AdmissionLimits => ({
  concurrency: 8,
  queue: 8,
  maxActiveRuns,
  maxSubflowDepth: 4,
  maxLagMs: 0,
  retryAfterSeconds: 1,
});

/** A store whose active runs the test sets; counts how often it was asked. */
function store(active: number) {
  const s = {
    active,
    counts: 0,
    countActiveRuns: async (_ws: string, cap: number) => {
      s.counts += 1;
      return Math.min(s.active, cap);
    },
  };
  return s;
}

describe("Admission.assertActiveRunCapacityCached", () => {
  it("counts once, then admits on the view while it is fresh and far below the cap", async () => {
    let now = 0;
    const a = new Admission(limits(100), null, () => now);
    const runs = store(10);
    for (let i = 0; i < 20; i++) await a.assertActiveRunCapacityCached(runs, "ws");
    expect(runs.counts).toBe(1);
    now += 250; // stale: counted again
    await a.assertActiveRunCapacityCached(runs, "ws");
    expect(runs.counts).toBe(2);
    // Views are per workspace.
    await a.assertActiveRunCapacityCached(runs, "other");
    expect(runs.counts).toBe(3);
  });

  it("counts every start once the view reaches half the cap, and refuses at the cap", async () => {
    const a = new Admission(limits(10), null, () => 0);
    const runs = store(3);
    // 3 counted + starts since: admitted on the view while (3 + since + 1) * 2 <= 10.
    await a.assertActiveRunCapacityCached(runs, "ws"); // counts (3), then 3 + 1
    await a.assertActiveRunCapacityCached(runs, "ws"); // view: (3 + 1 + 1) * 2 = 10
    expect(runs.counts).toBe(1);
    await a.assertActiveRunCapacityCached(runs, "ws"); // (3 + 2 + 1) * 2 > 10: counts
    expect(runs.counts).toBe(2);
    // Runs started elsewhere fill the workspace: the view (3 + 1) still admits one to half the
    // cap; the next start counts and is refused.
    runs.active = 10;
    await a.assertActiveRunCapacityCached(runs, "ws");
    expect(runs.counts).toBe(2);
    const refused = await a.assertActiveRunCapacityCached(runs, "ws").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(admissionRefusalOf(refused)).toMatchObject({
      limit: "active-runs",
      status: 429,
      max: 10,
    });
    // A refusal keeps no view: the next start counts again.
    runs.active = 0;
    await a.assertActiveRunCapacityCached(runs, "ws");
    expect(runs.counts).toBe(4);
  });

  it("never admits on the view with a cap of 1", async () => {
    const a = new Admission(limits(1), null, () => 0);
    const runs = store(0);
    await a.assertActiveRunCapacityCached(runs, "ws");
    runs.active = 1;
    await expect(a.assertActiveRunCapacityCached(runs, "ws")).rejects.toThrow(
      /TRUSTFLOW_MAX_ACTIVE_RUNS is 1/,
    );
    expect(runs.counts).toBe(2);
  });
});
