import { describe, expect, it } from "vitest";
import type { BlockRuntime, RuntimeRequest } from "./ports";
import { pinCheckpoint, pinsForFlow } from "./pins";
import { compileFlow, harness } from "./testing/harness";

const WS = "00000000-0000-4000-8000-00000000beef";
const SESSION = "00000000-0000-4000-8000-0000000005e5";

const ir = compileFlow(`
flow: chain
version: 1.0.0
steps:
  - { id: a, uses: test.write@1, with: { x: 1 } }
  - { id: b, uses: test.write@1, needs: [a], with: { x: "\${{ steps.a.output.did }}" } }
outputs:
  b: \${{ steps.b.output.did }}
`);

function recorder() {
  const calls: RuntimeRequest[] = [];
  const rt: BlockRuntime = {
    execute(req) {
      calls.push(req);
      return { did: `ran-${req.step.id}-${String(req.inputs.x)}` };
    },
  };
  return { rt, calls };
}

describe("engine: pinned outputs", () => {
  it("records a pinned step as succeeded, never executes it, and feeds its output onward", async () => {
    const h = harness();
    const w = recorder();
    h.runtimes.register("test.write", w.rt);
    const { run } = await h.store.createRun({
      id: "run-1",
      workspaceId: WS,
      workflowId: null,
      version: "draft",
      ir,
      inputs: {},
      sandboxSessionId: SESSION,
      now: h.clock.now(),
    });
    const pins = [
      { stepId: "a", output: { did: "pinned-a" }, fromRunId: "src" },
      { stepId: "gone", output: 1, fromRunId: null },
    ];
    await h.store.commit(run.id, null, pinCheckpoint(run, ir, pins, h.clock.now()));
    await h.drain();
    const after = await h.store.getRun(run.id);
    expect(after).toMatchObject({ status: "succeeded", output: { b: "ran-b-pinned-a" } });
    expect(w.calls.map((c) => c.step.id)).toEqual(["b"]);
    const events = await h.store.listEvents(run.id, 0, 100);
    expect(events.filter((e) => e.type === "step.pinned")).toMatchObject([
      { stepId: "a", data: { fromRunId: "src" } },
    ]);
  });

  it("refuses pins for a run outside a sandbox session", () => {
    expect(() =>
      pinCheckpoint(
        { id: "r", sandboxSessionId: null },
        ir,
        [{ stepId: "a", output: 1, fromRunId: null }],
        0,
      ),
    ).toThrow(/sandbox session/);
  });

  it("ignores pins of steps the flow does not have", () => {
    expect(pinsForFlow(ir, [{ stepId: "x", output: 1, fromRunId: null }])).toEqual([]);
  });
});
