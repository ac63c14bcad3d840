import { describe, expect, it } from "vitest";
import { NonRetryableError, RetryAfterError } from "./errors";
import type { BlockRuntime, RuntimeRequest } from "./ports";
import { compileFlow, harness } from "./testing/harness";
import { settle } from "./testing/fakes";

/** Test double: a write connector that records its calls and answers from a script. */
function fakeWrite(script: Array<"ok" | Error | ((req: RuntimeRequest) => unknown)> = []) {
  const calls: RuntimeRequest[] = [];
  const rt: BlockRuntime = {
    async execute(req) {
      calls.push(req);
      const next = script[calls.length - 1] ?? "ok";
      if (next instanceof Error) throw next;
      if (typeof next === "function") return next(req);
      return { id: `${req.step.id}-${calls.length}`, key: req.idempotencyKey };
    },
  };
  return { rt, calls };
}

const chain = `
flow: chain
version: 1.0.0
inputs:
  n: { type: integer }
steps:
  - id: a
    uses: data.transform@1
    with:
      fields:
        x: inputs.n + 1
  - id: b
    uses: data.transform@1
    with:
      fields:
        y: steps.a.output.x * 2
outputs:
  y: \${{ steps.b.output.y }}
`;

describe("engine: basics", () => {
  it("runs a pure chain and computes outputs, checkpointing once at the end", async () => {
    const h = harness();
    const id = await h.start(compileFlow(chain), { n: 2 });
    await h.drain();
    const run = await h.store.getRun(id);
    expect(run?.status).toBe("succeeded");
    expect(run?.output).toEqual({ y: 6 });
    const attempts = await h.store.listAttempts(id);
    expect(attempts.map((a) => [a.stepId, a.attempt, a.status])).toEqual([
      ["a", 1, "succeeded"],
      ["b", 1, "succeeded"],
    ]);
    expect(h.store.commits).toBe(1);
    const events = await h.store.listEvents(id);
    expect(events.map((e) => e.type)).toEqual([
      "run.started",
      "step.succeeded",
      "step.succeeded",
      "run.succeeded",
    ]);
  });

  it("fails a step without runtime with a clear non-retryable error", async () => {
    const h = harness();
    const ir = compileFlow(`
flow: nort
version: 1.0.0
steps:
  - id: w
    uses: test.plain@1
    with: { a: 1 }
`);
    const id = await h.start(ir);
    await h.drain();
    const run = await h.store.getRun(id);
    expect(run?.status).toBe("failed");
    expect(run?.error?.message).toMatch(
      /no runtime for test.plain; it arrives with the test connector/,
    );
    const [a] = await h.store.listAttempts(id);
    expect(a?.classification).toEqual({ severity: "high", category: "system" });
  });

  it("retries a write step durably with backoff, honouring Retry-After", async () => {
    const h = harness();
    const w = fakeWrite([new Error("boom"), new RetryAfterError(7_000), "ok"]);
    h.runtimes.register("test.write", w.rt);
    const ir = compileFlow(`
flow: retry
version: 1.0.0
steps:
  - id: w
    uses: test.write@1
    with: { a: 1 }
    retry: { max: 3, backoff: fixed, jitter: none, initial_delay: 1s }
`);
    const id = await h.start(ir);
    await h.drain();
    expect(w.calls).toHaveLength(1);
    let tasks = await h.store.listTasks(id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.dueAt).toBe(h.clock.now() + 1_000);
    await h.clock.advance(999);
    await h.drain();
    expect(w.calls).toHaveLength(1);
    await h.clock.advance(1);
    await h.drain();
    expect(w.calls).toHaveLength(2);
    tasks = await h.store.listTasks(id);
    expect(tasks.at(-1)?.dueAt).toBe(h.clock.now() + 7_000);
    await h.clock.advance(7_000);
    await h.drain();
    expect(w.calls).toHaveLength(3);
    expect(new Set(w.calls.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(w.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
  });

  it("dead-letters a step when retries run out", async () => {
    const h = harness();
    const w = fakeWrite([new Error("a"), new Error("b")]);
    h.runtimes.register("test.write", w.rt);
    const ir = compileFlow(`
flow: dlq
version: 1.0.0
sla: T1
steps:
  - id: w
    uses: test.write@1
    with: { a: 1 }
    retry: { max: 1, backoff: fixed, jitter: none, initial_delay: 1s }
`);
    const id = await h.start(ir);
    await h.drain();
    await h.clock.advance(1_000);
    await h.drain();
    const run = await h.store.getRun(id);
    expect(run?.status).toBe("failed");
    const dl = await h.store.listDeadLetters({ runId: id });
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({
      stepId: "w",
      attempts: 2,
      inputs: { a: 1 },
      classification: { category: "system", severity: "high" },
    });
  });

  it("does not retry a NonRetryableError", async () => {
    const h = harness();
    const w = fakeWrite([new NonRetryableError("bad input")]);
    h.runtimes.register("test.write", w.rt);
    const id = await h.start(
      compileFlow(`
flow: nr
version: 1.0.0
steps:
  - id: w
    uses: test.write@1
    with: { a: 1 }
`),
    );
    await h.drain();
    await settle();
    expect(w.calls).toHaveLength(1);
    expect((await h.store.getRun(id))?.status).toBe("failed");
  });
});
