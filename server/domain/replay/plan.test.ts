import { describe, expect, it } from "vitest";
import type { FlowIR } from "@/dsl";
import { compileFlow } from "@/server/engine/testing/harness";
import type { AttemptRecord } from "@/server/engine/types";
import { planReplay, plannedKeys, reusedSteps, type ReplaySource } from "./plan";

const RUN = "11111111-1111-4111-8111-111111111111";

const flow = (version: string, extra = "") =>
  compileFlow(`
flow: orders
version: ${version}
inputs:
  amount: { type: number, minimum: 0 }
steps:
  - { id: a, uses: test.write@1, with: { amount: "\${{ inputs.amount }}" } }
  - id: b
    uses: data.transform@1
    needs: [a]
    with:
      fields: { total: "inputs.amount * 2.0" }
  - id: c
    uses: test.write@1
    needs: [b]
    with: { total: "\${{ steps.b.output.total }}" }
  - { id: d, uses: test.write@1, needs: [c], with: { x: 1 } }
${extra}`);

const v1 = flow("1.0.0");

function attempt(
  stepId: string,
  status: AttemptRecord["status"],
  extra: Partial<AttemptRecord> = {},
): AttemptRecord {
  return {
    runId: RUN,
    stepId,
    attempt: 1,
    status,
    blockId: v1.steps.find((s) => s.id === stepId)?.block.id ?? "test.write",
    inputs: {},
    output: status === "succeeded" ? { ok: stepId } : null,
    error:
      status === "failed" ? ({ name: "Error", message: "boom", retryable: false } as never) : null,
    classification: null,
    idempotencyKey: `${RUN}:${stepId}`,
    consentId: null,
    startedAt: 1,
    finishedAt: 2,
    durationMs: 1,
    retryAt: null,
    finishSeq: null,
    workerId: "w",
    ...extra,
  };
}

const source = (ir: FlowIR = v1, status: ReplaySource["status"] = "failed"): ReplaySource => ({
  id: RUN,
  status,
  version: ir.version,
  ir,
  inputs: { amount: 5 },
});

/** a and b succeeded, c failed for good (2 attempts), d never ran. */
const failedAtC = [
  attempt("a", "succeeded"),
  attempt("b", "succeeded"),
  attempt("c", "failed", { retryAt: 10 }),
  attempt("c", "failed", { attempt: 2 }),
];

const target = (ir: FlowIR) => ({ version: ir.version, ir });
const actions = (p: { steps: Array<{ id: string; action: string }> }) =>
  Object.fromEntries(p.steps.map((s) => [s.id, s.action]));

describe("planReplay: modes", () => {
  it("resume reuses what succeeded before the failed step and executes it and what follows", () => {
    const plan = planReplay(source(), failedAtC, target(v1), { mode: "resume" });
    expect(actions(plan)).toEqual({ a: "reuse", b: "reuse", c: "execute", d: "execute" });
    const [a, , c, d] = plan.steps;
    expect(a).toMatchObject({
      sideEffect: "write",
      idempotencyKey: `${RUN}:a`,
      reusedFrom: { runId: RUN, attempt: 1 },
      redoesSideEffect: false,
    });
    // The failed write keeps its key: an effect that happened before the answer was lost is
    // deduplicated by the remote system.
    expect(c).toMatchObject({ idempotencyKey: `${RUN}:c`, reason: "failed in the source run" });
    expect(d).toMatchObject({
      idempotencyKey: `${RUN}:d`,
      reason: "did not run in the source run",
    });
    expect(plan).toMatchObject({
      mode: "resume",
      sourceRunId: RUN,
      version: "1.0.0",
      irHash: v1.hash,
    });
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(plannedKeys(plan)).toEqual({
      a: `${RUN}:a`,
      b: `${RUN}:b`,
      c: `${RUN}:c`,
      d: `${RUN}:d`,
    });
    expect(reusedSteps(plan, failedAtC).map((r) => [r.stepId, r.output, r.fromRunId])).toEqual([
      ["a", { ok: "a" }, RUN],
      ["b", { ok: "b" }, RUN],
    ]);
  });

  it("resume starts from a dead-lettered step too and refuses a run where nothing failed", () => {
    const dead = [
      attempt("a", "succeeded"),
      attempt("b", "failed"),
      attempt("c", "succeeded"),
      attempt("d", "succeeded"),
    ];
    const plan = planReplay(source(v1, "succeeded"), dead, target(v1), { mode: "resume" });
    // c and d completed writes: reused, never done again without redo.
    expect(actions(plan)).toEqual({ a: "reuse", b: "execute", c: "reuse", d: "reuse" });
    expect(plan.steps[2]!.reason).toMatch(/not done again/);
    const ok = ["a", "b", "c", "d"].map((s) => attempt(s, "succeeded"));
    expect(() => planReplay(source(v1, "succeeded"), ok, target(v1), { mode: "resume" })).toThrow(
      /Nothing to resume/,
    );
  });

  it("from-step re-executes the chosen step and everything downstream, reusing upstream", () => {
    const plan = planReplay(source(), failedAtC, target(v1), { mode: "from-step", fromStep: "b" });
    expect(actions(plan)).toEqual({ a: "reuse", b: "execute", c: "execute", d: "execute" });
    expect(plan.fromStep).toBe("b");
    // Restarting from a completed write redoes it explicitly, under a fresh key.
    const fromA = planReplay(source(), failedAtC, target(v1), { mode: "from-step", fromStep: "a" });
    expect(fromA.steps[0]).toMatchObject({ action: "execute", redoesSideEffect: true });
    expect(fromA.steps[0]!.idempotencyKey).not.toBe(`${RUN}:a`);
    expect(() =>
      planReplay(source(), failedAtC, target(v1), { mode: "from-step", fromStep: "zz" }),
    ).toThrow(/not a step/);
  });

  it("full reruns everything but the completed writes, unless redo names them", () => {
    const plan = planReplay(source(), failedAtC, target(v1), { mode: "full" });
    expect(actions(plan)).toEqual({ a: "reuse", b: "execute", c: "execute", d: "execute" });
    expect(plan.steps[0]).toMatchObject({
      redoesSideEffect: false,
      reason: expect.stringMatching(/redo/),
    });
    const redo = planReplay(source(), failedAtC, target(v1), { mode: "full", redo: ["a"] });
    expect(redo.steps[0]).toMatchObject({
      action: "execute",
      redoesSideEffect: true,
      reusedFrom: null,
    });
    expect(redo.steps[0]!.idempotencyKey).toMatch(new RegExp(`^${RUN}:a~redo-`));
    expect(redo.hash).not.toBe(plan.hash);
    // Only a completed write can be redone.
    expect(() =>
      planReplay(source(), failedAtC, target(v1), { mode: "full", redo: ["c"] }),
    ).toThrow(/only completed writes/);
    expect(() =>
      planReplay(source(), failedAtC, target(v1), { mode: "full", redo: ["b"] }),
    ).toThrow(/only completed writes/);
  });

  it("never redoes a completed write silently, whatever the mode and step", () => {
    const runs = [
      failedAtC,
      [
        attempt("a", "succeeded"),
        attempt("b", "succeeded"),
        attempt("c", "succeeded"),
        attempt("d", "failed"),
      ],
      [attempt("a", "succeeded"), attempt("b", "failed")],
    ];
    for (const attempts of runs) {
      const completed = new Set(
        attempts.filter((a) => a.status === "succeeded").map((a) => a.stepId),
      );
      const plans = [
        planReplay(source(), attempts, target(v1), { mode: "resume" }),
        planReplay(source(), attempts, target(v1), { mode: "full" }),
        ...["a", "b", "c", "d"].map((s) =>
          planReplay(source(), attempts, target(v1), { mode: "from-step", fromStep: s }),
        ),
      ];
      for (const plan of plans)
        for (const s of plan.steps) {
          if (s.sideEffect !== "write" || !completed.has(s.id) || s.action === "reuse") continue;
          expect(s).toMatchObject({ action: "execute", redoesSideEffect: true });
          expect(plan.mode === "from-step" && plan.fromStep === s.id).toBe(true);
        }
    }
  });

  it("a compensated write is executed again under a new key, not reused", () => {
    const attempts = [
      attempt("a", "succeeded"),
      attempt("b", "succeeded"),
      attempt("c", "failed"),
      attempt("a~compensate", "succeeded", { blockId: "test.undo" }),
    ];
    const plan = planReplay(source(v1, "compensated"), attempts, target(v1), { mode: "resume" });
    expect(plan.steps[0]).toMatchObject({
      action: "execute",
      redoesSideEffect: false,
      reason: "its write was compensated in the source run",
    });
    expect(plan.steps[0]!.idempotencyKey).not.toBe(`${RUN}:a`);
  });
});

describe("planReplay: versions", () => {
  it("carries reused outputs to another version when the step keeps its block", () => {
    const v2 = flow("1.1.0", `  - { id: e, uses: test.read@1, needs: [d], with: { y: 2 } }`);
    const plan = planReplay(source(), failedAtC, target(v2), { mode: "resume" });
    expect(actions(plan)).toEqual({
      a: "reuse",
      b: "reuse",
      c: "execute",
      d: "execute",
      e: "execute",
    });
    expect(plan).toMatchObject({ version: "1.1.0", irHash: v2.hash });
  });

  it("says why an output cannot be carried over and re-executes the step", () => {
    const v2 = compileFlow(`
flow: orders
version: 2.0.0
inputs:
  amount: { type: number, minimum: 0 }
steps:
  - { id: a, uses: test.write@1, with: { amount: "\${{ inputs.amount }}" } }
  - { id: b, uses: test.read@1, needs: [a], with: { q: 1 } }
  - { id: c, uses: test.write@1, needs: [b], with: { total: 1 } }
`);
    const plan = planReplay(source(), failedAtC, target(v2), { mode: "resume" });
    expect(actions(plan)).toEqual({ a: "reuse", b: "execute", c: "execute" });
    expect(plan.steps[1]!.reason).toBe(
      "its output cannot be reused: the step runs test.read@1 in this version, not data.transform@1",
    );
    // c's `with:` changed: its request differs, so its key does too.
    expect(plan.steps[2]!.idempotencyKey).not.toBe(`${RUN}:c`);
    // d never ran: nothing is lost by leaving it out.
    expect(plan.warnings).toEqual([]);
    const allDone = ["a", "b", "c", "d"].map((id) => attempt(id, "succeeded"));
    const full = planReplay(source(v1, "succeeded"), allDone, target(v2), { mode: "full" });
    expect(full.warnings).toEqual([
      'Step "d" completed a write in the source run and is not in this version: its write stays, its output is dropped.',
      'Step "c" is reused although steps it depends on run again: its write keeps the data it was done with.',
    ]);
  });

  it("checks a carried output against the target block's output schema", () => {
    const v2 = structuredClone(flow("1.2.0"));
    for (const s of v2.steps) s.block = { ...s.block, version: `${s.block.major}.9.0` };
    const strict = { type: "object", required: ["id"] };
    const t = { version: "1.2.0", ir: v2, outputSchemaOf: () => strict };
    // a completed a write whose output cannot be carried: refused unless redone explicitly.
    expect(() => planReplay(source(), failedAtC, t, { mode: "resume" })).toThrow(
      /Step "a" completed a write.*cannot be carried.*output schema of test.write@1.9.0/,
    );
    const plan = planReplay(source(), failedAtC, t, { mode: "resume", redo: ["a"] });
    expect(plan.steps[0]).toMatchObject({ action: "execute", redoesSideEffect: true });
    expect(plan.steps[1]).toMatchObject({ action: "execute" });
    expect(plan.steps[1]!.reason).toMatch(
      /does not match the output schema of data.transform@1.9.0/,
    );
    // A compatible schema carries them.
    const lax = { ...t, outputSchemaOf: () => ({ type: "object" }) };
    expect(actions(planReplay(source(), failedAtC, lax, { mode: "resume" }))).toMatchObject({
      a: "reuse",
      b: "reuse",
    });
  });
});

describe("planReplay: edited inputs", () => {
  it("applies an RFC 6902 patch and checks the result against the flow's inputs", () => {
    const plan = planReplay(source(), failedAtC, target(v1), {
      mode: "resume",
      inputsPatch: [{ op: "replace", path: "/amount", value: 7 }],
    });
    expect(plan.inputs).toEqual({ amount: 7 });
    expect(plan.inputsPatch).toEqual([{ op: "replace", path: "/amount", value: 7 }]);
    expect(plan.steps[2]!.idempotencyKey).not.toBe(`${RUN}:c`);
    expect(plan.warnings.join(" ")).toMatch(/new idempotency key/);
    expect(() =>
      planReplay(source(), failedAtC, target(v1), {
        mode: "resume",
        inputsPatch: [{ op: "replace", path: "/amount", value: -1 }],
      }),
    ).toThrow(/do not match the flow's inputs: \/amount must be >= 0/);
    expect(() =>
      planReplay(source(), failedAtC, target(v1), {
        mode: "resume",
        inputsPatch: [{ op: "remove", path: "/nope" }],
      }),
    ).toThrow(/Patch operation 1 \(remove \/nope\) cannot be applied/);
    expect(() =>
      planReplay(source(), failedAtC, target(v1), {
        mode: "resume",
        inputsPatch: [{ op: "jump", path: "/amount" }] as never,
      }),
    ).toThrow(/not an RFC 6902 patch/);
    for (const bad of [
      [{ op: "add", path: "/__proto__/polluted", value: 1 }],
      [{ op: "add", path: "/x" }],
      [{ op: "replace", path: "", value: {} }],
    ])
      expect(() =>
        planReplay(source(), failedAtC, target(v1), { mode: "resume", inputsPatch: bad as never }),
      ).toThrow(/not an RFC 6902 patch/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("planReplay: hash", () => {
  it("is stable for the same plan and changes with version, patch and steps", () => {
    const base = planReplay(source(), failedAtC, target(v1), { mode: "resume" });
    expect(planReplay(source(), failedAtC, target(v1), { mode: "resume" }).hash).toBe(base.hash);
    const other = [
      planReplay(source(), failedAtC, target(flow("1.0.1")), { mode: "resume" }),
      planReplay(source(), failedAtC, target(v1), {
        mode: "resume",
        inputsPatch: [{ op: "replace", path: "/amount", value: 6 }],
      }),
      planReplay(source(), failedAtC, target(v1), { mode: "from-step", fromStep: "b" }),
      planReplay(source(), failedAtC, target(v1), { mode: "full" }),
      planReplay(source(), failedAtC.slice(0, 1).concat(attempt("b", "failed")), target(v1), {
        mode: "resume",
      }),
    ];
    const hashes = new Set([base.hash, ...other.map((p) => p.hash)]);
    expect(hashes.size).toBe(other.length + 1);
  });
});
