import { describe, expect, it } from "vitest";
import type { BlockRuntime, RuntimeRequest } from "./ports";
import { compileFlow, harness } from "./testing/harness";

const WS = "00000000-0000-4000-8000-00000000beef";

function recorder() {
  const calls: RuntimeRequest[] = [];
  const rt: BlockRuntime = {
    execute(req) {
      calls.push(req);
      return { did: req.step.id };
    },
  };
  return { rt, calls };
}

const ir = compileFlow(`
flow: chain
version: 1.0.0
steps:
  - { id: a, uses: test.write@1, with: { x: 1 } }
  - id: b
    uses: data.transform@1
    needs: [a]
    with:
      fields: { from: "steps.a.output.did" }
  - { id: c, uses: test.write@1, needs: [b], with: { x: "\${{ steps.b.output.from }}" } }
  - { id: each, uses: control.foreach@1, needs: [c], with: { items: [1, 2], do: { uses: test.write@1, with: { x: 1 } } } }
outputs:
  a: \${{ steps.a.output.did }}
  c: \${{ steps.c.output.did }}
`);

describe("engine: replay runs", () => {
  it("starts with reused steps recorded, never executes them, and uses the planned keys", async () => {
    const h = harness();
    const w = recorder();
    h.runtimes.register("test.write", w.rt);
    const run = await h.engine.createRun({
      workspaceId: WS,
      workflowId: null,
      version: "1.0.0",
      ir,
      inputs: {},
      replay: {
        ofRunId: "src",
        planHash: "h",
        keys: { a: "src:a", b: "src:b", c: "src:c", each: "src:each" },
      },
      reuse: [
        {
          stepId: "a",
          blockId: "test.write",
          inputs: { x: 1 },
          output: { did: "recorded-a" },
          idempotencyKey: "src:a",
          fromRunId: "src",
          fromAttempt: 2,
        },
      ],
    });
    await h.drain();
    const after = await h.store.getRun(run.id);
    expect(after).toMatchObject({
      status: "succeeded",
      output: { a: "recorded-a", c: "c" },
      replay: { ofRunId: "src", planHash: "h" },
    });
    // a was reused: not executed; c runs under the planned key, the children extend theirs.
    expect(w.calls.map((c) => [c.step.id, c.idempotencyKey, c.inputs.x])).toEqual([
      ["c", "src:c", "recorded-a"],
      ["each[0]", "src:each[0]", 1],
      ["each[1]", "src:each[1]", 1],
    ]);
    const attempts = await h.store.listAttempts(run.id);
    expect(attempts.find((a) => a.stepId === "a")).toMatchObject({
      status: "succeeded",
      attempt: 1,
      output: { did: "recorded-a" },
      idempotencyKey: "src:a",
    });
    const events = await h.store.listEvents(run.id);
    expect(events.filter((e) => e.type === "step.reused")).toEqual([
      expect.objectContaining({ stepId: "a", data: { fromRunId: "src", attempt: 2 } }),
    ]);
    expect(events.some((e) => e.type === "step.started" && e.stepId === "a")).toBe(false);
  });

  it("a run without a replay keeps <runId>:<stepId> keys", async () => {
    const h = harness();
    const w = recorder();
    h.runtimes.register("test.write", w.rt);
    const id = await h.start(ir);
    await h.drain();
    expect(w.calls.map((c) => c.idempotencyKey)).toEqual([
      `${id}:a`,
      `${id}:c`,
      `${id}:each[0]`,
      `${id}:each[1]`,
    ]);
  });
});
