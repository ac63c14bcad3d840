import { describe, expect, it } from "vitest";
import { compile, type CompileOptions, BlockRegistry } from "@/dsl";
import type { FlowIR } from "@/dsl";
import type { BlockRuntime, RuntimeRequest } from "./ports";
import { harness, TEST_BLOCKS } from "./testing/harness";
import { checkTrust, trustHalt } from "./trust-gate";
import type { EarnedTrustLookup } from "./ports";

/** `test.shaky`: a write whose baseline trust is 0.5. */
const registry = BlockRegistry.withPrimitives([
  ...TEST_BLOCKS,
  {
    ...TEST_BLOCKS.find((b) => b.id === "test.write")!,
    id: "test.shaky",
    baselineTrust: 0.5,
    compensation: undefined,
  },
]);

function ir(text: string, extra: Partial<CompileOptions> = {}): FlowIR {
  const r = compile(text, { registry, ...extra });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.ir;
}

/** Records every call: a side effect the gate must keep from happening. */
function recording() {
  const calls: RuntimeRequest[] = [];
  const rt: BlockRuntime = {
    execute(req) {
      calls.push(req);
      return { ok: req.step.id };
    },
  };
  return { rt, calls };
}

const FLOW = (trust: string) => `
flow: gated
version: 1.0.0
steps:
  - id: first
    uses: test.write@1
    with: { x: 1 }
  - id: shaky
    uses: test.shaky@1
    needs: [first]
    with: { x: 2 }
    trust: ${trust}
`;

describe("trust gates at run time", () => {
  it("a halting gate under its minimum stops the run before any step runs", async () => {
    // Only a lenient compile (or other scores) lets such a flow through: the engine checks again.
    const flow = ir(FLOW("{ min: 0.9 }"), { trustSeverity: "warning" });
    expect(trustHalt(flow)?.message).toBe(
      "trust gate halted the run before any step: step shaky has trust 0.5, below its minimum 0.9",
    );
    const h = harness();
    const rec = recording();
    h.runtimes.register("test.write", rec.rt).register("test.shaky", rec.rt);
    const id = await h.start(flow);
    await h.drain();
    expect(await h.store.getRun(id)).toMatchObject({
      status: "failed",
      error: { name: "TrustError", retryable: false, classification: { category: "authz" } },
    });
    expect(rec.calls).toEqual([]);
    expect(await h.store.listAttempts(id)).toEqual([]);
    const events = await h.store.listEvents(id, 0, 100);
    expect(events.map((e) => e.type)).toEqual([
      "run.started",
      "run.trust_checked",
      "run.trust_halted",
      "run.failed",
    ]);
  });

  it("the flow's halting minimum halts too", () => {
    const flow = ir(
      `flow: f\nversion: 1.0.0\ntrust: { min: 0.6 }\nsteps:\n  - { id: s, uses: test.shaky@1, with: { x: 1 } }\n`,
      { trustSeverity: "warning" },
    );
    expect(trustHalt(flow)?.message).toContain("flow trust 0.5 is below its minimum 0.6");
  });

  it("`below: approval` waits for an approver at the start; approved, the flow runs", async () => {
    const flow = ir(FLOW("{ min: 0.9, below: approval }"));
    expect(flow.trustGate).toBe("trust-gate");
    expect(trustHalt(flow)).toBeNull();
    const h = harness();
    const rec = recording();
    h.runtimes.register("test.write", rec.rt).register("test.shaky", rec.rt);
    const id = await h.start(flow);
    await h.drain();
    expect(await h.store.getRun(id)).toMatchObject({ status: "waiting" });
    expect(rec.calls).toEqual([]);
    const gate = (await h.store.listAttempts(id)).find((a) => a.stepId === "trust-gate");
    expect(gate).toMatchObject({ status: "waiting", blockId: "human.approval" });
    const waiting = (await h.store.listEvents(id, 0, 100)).find((e) => e.type === "step.waiting");
    expect(waiting?.data).toMatchObject({
      reason: "approval",
      approvers: { role: "approver" },
      message: expect.stringContaining("step shaky has trust 0.5, below its minimum 0.9"),
    });

    await h.engine.resumeStep(id, "trust-gate", { approved: true, by: "approver@example.com" });
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
    expect(rec.calls.map((c) => c.step.id)).toEqual(["first", "shaky"]);
  });

  it("rejected, the run fails and nothing ran", async () => {
    const flow = ir(FLOW("{ min: 0.9, below: approval }"));
    const h = harness();
    const rec = recording();
    h.runtimes.register("test.write", rec.rt).register("test.shaky", rec.rt);
    const id = await h.start(flow);
    await h.drain();
    await h.engine.resumeStep(id, "trust-gate", {
      approved: false,
      by: "approver@example.com",
      comment: "not today",
    });
    await h.drain();
    expect(await h.store.getRun(id)).toMatchObject({
      status: "failed",
      error: { message: "approval rejected by approver@example.com: not today" },
    });
    expect(rec.calls).toEqual([]);
  });
});

const round2 = (x: number) => Math.round(x * 100) / 100;

/** An earned score for `test.shaky` (every other block has too little history). */
function shakyEarns(score: number, n = 57): EarnedTrustLookup {
  return (b) =>
    b.id === "test.shaky"
      ? { score, n, interval: { low: round2(score - 0.08), high: round2(score + 0.07), mass: 0.9 } }
      : undefined;
}

describe("trust gates on earned scores at the run's start", () => {
  it("the decision: earned where there is enough history, the IR's baseline elsewhere", () => {
    const flow = ir(FLOW("{ min: 0.4 }"));
    expect(checkTrust(flow).decision).toBe("clear");
    const low = checkTrust(flow, shakyEarns(0.31));
    expect(low).toMatchObject({
      decision: "halt",
      earned: true,
      flow: { score: 0.31, stepId: "shaky", source: "earned", n: 57 },
      steps: { shaky: { score: 0.31, min: 0.4, source: "earned" } },
      shortfalls: [{ entity: "shaky", block: "test.shaky@1.0.0", score: 0.31, n: 57, min: 0.4 }],
    });
    // Earned above the baseline lifts a gate the baseline is under.
    const approval = ir(FLOW("{ min: 0.9, below: approval }"));
    expect(checkTrust(approval).decision).toBe("approval");
    expect(checkTrust(approval, shakyEarns(0.95)).decision).toBe("clear");
    // An approval gate without its wait point (an older compile) fails closed.
    const { trustGate: _gate, ...noGate } = approval;
    expect(checkTrust({ ...noGate, steps: approval.steps.slice(1) }).decision).toBe("halt");
  });

  it("halts before any step with the entity, score, interval, n and minimum, in the ledger", async () => {
    const flow = ir(FLOW("{ min: 0.4 }"));
    const h = harness({ earnedTrust: () => shakyEarns(0.31) });
    const rec = recording();
    h.runtimes.register("test.write", rec.rt).register("test.shaky", rec.rt);
    const id = await h.start(flow);
    await h.drain();
    const run = await h.store.getRun(id);
    expect(run?.status).toBe("failed");
    expect(run?.error?.message).toBe(
      "trust gate halted the run before any step: step shaky has trust 0.31 (earned from run history: 90% interval 0.23–0.38, n = 57, block test.shaky@1.0.0), below its minimum 0.4",
    );
    expect(rec.calls).toEqual([]);
    const gate = h.audit.entries.find((e) => e.action === "run.trust_gate");
    expect(gate?.payload).toMatchObject({ decision: "halt", shortfalls: [{ entity: "shaky" }] });
    const checked = (await h.store.listEvents(id, 0, 100)).find(
      (e) => e.type === "run.trust_checked",
    );
    expect(checked?.data).toMatchObject({ decision: "halt", earned: true });
  });

  it("`below: approval` on an earned shortfall parks on the gate with the earned reasons", async () => {
    // The baseline (0.5) meets 0.45: the compiler's scores see no shortfall, history does.
    const flow = ir(FLOW("{ min: 0.45, below: approval }"));
    expect(flow.trustGate).toBe("trust-gate");
    const h = harness({ earnedTrust: () => shakyEarns(0.3) });
    const rec = recording();
    h.runtimes.register("test.write", rec.rt).register("test.shaky", rec.rt);
    const id = await h.start(flow);
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("waiting");
    expect(rec.calls).toEqual([]);
    const waiting = (await h.store.listEvents(id, 0, 100)).find((e) => e.type === "step.waiting");
    expect(waiting?.data).toMatchObject({
      reason: "approval",
      message: expect.stringContaining("step shaky has trust 0.3 (earned from run history"),
    });
    expect(h.audit.entries.find((e) => e.action === "run.trust_gate")?.payload).toMatchObject({
      decision: "approval",
    });
    await h.engine.resumeStep(id, "trust-gate", { approved: true, by: "approver@example.com" });
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
    expect(rec.calls.map((c) => c.step.id)).toEqual(["first", "shaky"]);
  });

  it("a clear check passes the gate at once; nothing reaches the ledger", async () => {
    const flow = ir(FLOW("{ min: 0.9, below: approval }"));
    const h = harness({ earnedTrust: () => shakyEarns(0.96) });
    const rec = recording();
    h.runtimes.register("test.write", rec.rt).register("test.shaky", rec.rt);
    const id = await h.start(flow);
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
    const gate = (await h.store.listAttempts(id)).find((a) => a.stepId === "trust-gate");
    expect(gate).toMatchObject({ status: "succeeded", output: { approved: true, needed: false } });
    expect(rec.calls.map((c) => c.step.id)).toEqual(["first", "shaky"]);
    expect(h.audit.entries.filter((e) => e.action === "run.trust_gate")).toEqual([]);
  });

  it("sandbox-only flows keep the baseline scores (history is the workspace's, not the mocks')", async () => {
    const flow = { ...ir(FLOW("{ min: 0.4 }")), sandboxOnly: true };
    const h = harness({ earnedTrust: () => shakyEarns(0.1) });
    const rec = recording();
    h.runtimes.register("test.write", rec.rt).register("test.shaky", rec.rt);
    const id = await h.start(flow);
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
  });

  it("flows without a minimum never ask for scores", async () => {
    let asked = 0;
    const h = harness({ earnedTrust: () => (asked++, shakyEarns(0.1)) });
    h.runtimes.register("test.write", recording().rt).register("test.shaky", recording().rt);
    const id = await h.start(ir(FLOW("{ min: 0.4 }").replace(/\n    trust: .*\n/, "\n")));
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
    expect(asked).toBe(0);
  });
});

describe("the risk gate of a T0 flow (`risk.max`)", () => {
  const RISKY = `
flow: risky
version: 1.0.0
sla: T0
risk: { max: 0.3 }
steps:
  - id: read
    uses: test.read@1
    with: { x: 1 }
`;
  // As the prediction domain's rule (`riskGateDecision`) answers: it asks above 0.3 while the
  // model may gate.
  const assessed = (risk: number, gateEnabled = true) => ({
    risk,
    gateEnabled,
    reasons: ["recent failure rate of test.read: 40 %"],
    modelVersion: 3,
    ask: gateEnabled && risk > 0.3,
    why: `predicted risk ${(risk * 100).toFixed(1)} % is above the flow's maximum 30.0 % (model v3)`,
  });

  it("asks for an approval above the maximum only while the model may gate", () => {
    const flow = ir(RISKY);
    expect(flow.trustGate).toBe("trust-gate");
    expect(checkTrust(flow, undefined, assessed(0.45)).decision).toBe("approval");
    expect(checkTrust(flow, undefined, assessed(0.45, false)).decision).toBe("clear");
    expect(checkTrust(flow, undefined, assessed(0.2)).decision).toBe("clear");
    expect(checkTrust(flow, undefined, null).decision).toBe("clear");
    // A T1 flow's `risk.max` has no wait point and does not gate.
    const t1 = ir(RISKY.replace("sla: T0", "sla: T1"));
    expect(checkTrust(t1, undefined, assessed(0.9)).decision).toBe("clear");
  });

  it("parks a risky T0 run on the gate with the prediction in the message; a safe one runs", async () => {
    const flow = ir(RISKY);
    let risk = 0.45;
    const h = harness({ runRisk: () => Promise.resolve(assessed(risk)) });
    const rec = recording();
    h.runtimes.register("test.read", rec.rt);
    const id = await h.start(flow);
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("waiting");
    const waiting = (await h.store.listEvents(id, 0, 100)).find((e) => e.type === "step.waiting");
    expect(waiting?.data).toMatchObject({
      message: expect.stringContaining(
        "predicted risk 45.0 % is above the flow's maximum 30.0 % (model v3) (recent failure rate of test.read: 40 %)",
      ),
    });
    expect(h.audit.entries.find((e) => e.action === "run.trust_gate")?.payload).toMatchObject({
      decision: "approval",
      risk: { risk: 0.45, max: 0.3, above: true, modelVersion: 3 },
    });
    expect(rec.calls).toEqual([]);
    risk = 0.1;
    const safe = await h.start(flow);
    await h.drain();
    expect((await h.store.getRun(safe))?.status).toBe("succeeded");
  });
});
