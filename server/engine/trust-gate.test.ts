import { describe, expect, it } from "vitest";
import { compile, type CompileOptions, BlockRegistry } from "@/dsl";
import type { FlowIR } from "@/dsl";
import type { BlockRuntime, RuntimeRequest } from "./ports";
import { harness, TEST_BLOCKS } from "./testing/harness";
import { trustHalt } from "./trust-gate";

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
    expect(events.map((e) => e.type)).toEqual(["run.started", "run.trust_halted", "run.failed"]);
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
