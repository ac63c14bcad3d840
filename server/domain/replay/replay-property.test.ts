/**
 * The replay property (issue 15), on the engine's memory store: at random failure points (a
 * write step, and the instant it fails: before its write, or after it with the answer lost as a
 * timeout or a malformed body), a run fails; its resume replay, planned by `planReplay` and run
 * by the engine, succeeds, executes none of the reused steps, and the mock billing service has
 * done exactly one write per write step of the flow over both runs (and at most one per
 * idempotency key). The same property on PGlite/PostgreSQL: `replays.int.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "@/server/adapters/connectors/mock/prng";
import { compileFlow, harness, type Harness } from "@/server/engine/testing/harness";
import { isTerminalRun, type RunRecord } from "@/server/engine/types";
import { chainFlow, mockWrites, type FailureInstant } from "@/server/testing/mock-writes";
import { planReplay, plannedKeys, reusedSteps } from "./plan";

const WS = "00000000-0000-4000-8000-00000000beef";
const CASES = 240;
const INSTANTS: FailureInstant[] = ["before-write", "timeout-after-write", "malformed-after-write"];

async function runToEnd(h: Harness, id: string): Promise<RunRecord> {
  for (let i = 0; i < 30; i++) {
    await h.drain();
    const run = (await h.store.getRun(id))!;
    if (isTerminalRun(run.status)) return run;
    // A retry is due later: move the fake clock past it.
    await h.clock.advance(10 * 60_000);
  }
  throw new Error(`run ${id} did not end`);
}

describe("replay property: one effect per completed write after a resume replay", () => {
  it(`holds at ${CASES} random failure points (step and instant)`, async () => {
    const prng = new Prng(1515);
    const flows = new Map([2, 3, 4, 5, 6].map((n) => [n, compileFlow(chainFlow(n))]));
    const seen = { instants: new Map<string, number>(), steps: 0, reused: 0, executed: 0 };
    for (let c = 0; c < CASES; c++) {
      const n = prng.int(2, 6);
      const k = prng.int(1, n);
      const instant = prng.pick(INSTANTS);
      const ir = flows.get(n)!;
      const h = harness();
      const mock = mockWrites(`case-${c}`);
      h.runtimes.register("test.write", mock.runtime);
      const source = (await h.engine.createRun({
        workspaceId: WS,
        workflowId: null,
        version: "1.0.0",
        ir,
        inputs: {},
      }))!;
      mock.failAt({ runId: source.id, stepId: `w${k}`, instant });
      const failed = await runToEnd(h, source.id);
      expect(failed.status, `case ${c}`).toBe("failed");

      const attempts = await h.store.listAttempts(source.id);
      const plan = planReplay(failed, attempts, { version: "1.0.0", ir }, { mode: "resume" });
      const reuse = reusedSteps(plan, attempts);
      // Everything before the failed write is reused; it and everything after are executed.
      const expectedReused = ir.steps.slice(0, 2 * (k - 1)).map((s) => s.id);
      expect(reuse.map((r) => r.stepId)).toEqual(expectedReused);
      const replay = await h.engine.createRun({
        workspaceId: WS,
        workflowId: null,
        version: "1.0.0",
        ir,
        inputs: plan.inputs,
        replay: { ofRunId: source.id, planHash: plan.hash, keys: plannedKeys(plan) },
        reuse,
      });
      const done = await runToEnd(h, replay.id);
      expect(done.status, `case ${c}: ${n} writes, w${k} ${instant}`).toBe("succeeded");
      // Reused steps were not executed by the replay.
      const replayCalls = mock.calls.get(replay.id) ?? [];
      expect(replayCalls.filter((s) => expectedReused.includes(s))).toEqual([]);
      // Exactly one write per write step over both runs, at most one per key.
      for (let i = 1; i <= n; i++)
        expect(mock.effectsByStep.get(`w${i}`), `case ${c} w${i}`).toBe(1);
      for (const [key, count] of mock.effectsByKey) expect(count, key).toBe(1);
      seen.instants.set(instant, (seen.instants.get(instant) ?? 0) + 1);
      seen.steps += ir.steps.length;
      seen.reused += reuse.length;
      seen.executed += plan.steps.filter((s) => s.action === "execute").length;
    }
    // Every instant was drawn.
    expect([...seen.instants.keys()].sort()).toEqual([...INSTANTS].sort());
    console.info(
      `replay property: ${CASES} cases, instants ${JSON.stringify(Object.fromEntries(seen.instants))}, ` +
        `${seen.steps} steps planned, ${seen.reused} reused, ${seen.executed} executed`,
    );
  });
});
