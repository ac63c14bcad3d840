import { describe, expect, it } from "vitest";
import { BlockRegistry, compile, type BlockDefinition, type FlowIR } from "@/dsl";
import { registryLookup } from "@/server/engine/engine";
import type { BlockRuntime, Checkpoint } from "@/server/engine/ports";
import { harness, TEST_BLOCKS, type Harness } from "@/server/engine/testing/harness";
import type {
  AttemptRecord,
  AttemptStart,
  DeadLetterRecord,
  NewRun,
  RunEventRecord,
} from "@/server/engine/types";
import {
  knownStepId,
  literalValue,
  MAX_FINDINGS,
  reconcileRun,
  type ReconcileInput,
} from "./reconcile";
import { reconcileWholeRun, registryContracts } from "./reconcile-runs";

/** A write block whose output contract is strict: `{ id: string }`, nothing else. */
const STRICT: BlockDefinition = {
  id: "test.strict",
  version: "1.0.0",
  kind: "connector",
  title: "Strict write",
  docs: "Test block with a strict output.",
  inputSchema: { type: "object", additionalProperties: true },
  outputSchema: {
    type: "object",
    required: ["id"],
    properties: { id: { type: "string" } },
    additionalProperties: false,
  },
  sideEffect: "write",
  baselineTrust: 0.99,
  system: "test",
  example: {},
};
const registry = BlockRegistry.withPrimitives([...TEST_BLOCKS, STRICT]);
const blocks = registryContracts(registry);

function compileFlow(text: string): FlowIR {
  const r = compile(text, { registry });
  if (!r.ok || !r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.ir;
}

const FLOW = compileFlow(`
flow: recon
version: 1.0.0
inputs:
  amount: { type: number }
steps:
  - id: br
    uses: control.branch@1
    with: { condition: inputs.amount > 10.0 }
  - id: big
    uses: test.strict@1
    if: \${{ steps.br.output.taken == 'then' }}
    with: { x: 1 }
  - id: small
    uses: test.write@1
    compensate: test.undo@1
    if: \${{ steps.br.output.taken == 'else' }}
    with: { x: 2 }
  - id: each
    uses: control.foreach@1
    needs: [big]
    with:
      items: [a, b]
      do:
        uses: test.write@1
        with:
          item: \${{ item }}
outputs:
  id: \${{ steps.big.output.id }}
`);

const RUN_ID = "run-1";

/** The records of a clean succeeded run of {@link FLOW} (amount 50: `small` skipped). */
function cleanRecords(): ReconcileInput {
  let seq = 0;
  const attempt = (stepId: string, blockId: string, over: Partial<AttemptRecord> = {}) =>
    ({
      runId: RUN_ID,
      stepId,
      attempt: 1,
      status: "succeeded",
      blockId,
      inputs: {},
      output: {},
      error: null,
      classification: null,
      idempotencyKey: `${RUN_ID}:${stepId}`,
      consentId: null,
      startedAt: 1,
      finishedAt: 2,
      durationMs: 1,
      retryAt: null,
      finishSeq: ++seq,
      workerId: "w",
      ...over,
    }) satisfies AttemptRecord;
  const event = (type: string, stepId: string | null, data: unknown = {}): RunEventRecord => ({
    runId: RUN_ID,
    seq: ++seq,
    type,
    stepId,
    data,
    at: 1,
  });
  return {
    run: { id: RUN_ID, status: "succeeded", ir: FLOW },
    attempts: [
      attempt("br", "control.branch", { output: { taken: "then", value: true } }),
      attempt("big", "test.strict", { output: { id: "deal-1" } }),
      attempt("small", "test.write", { status: "skipped", output: null }),
      attempt("each", "control.foreach", { output: { results: [{}, {}], failed: 0 } }),
      attempt("each[0]", "test.write"),
      attempt("each[1]", "test.write"),
    ],
    events: [
      event("run.started", null),
      event("step.succeeded", "br"),
      event("step.skipped", "small", { reason: "condition is false" }),
      event("step.succeeded", "big"),
      event("step.succeeded", "each[0]"),
      event("step.succeeded", "each[1]"),
      event("step.succeeded", "each"),
      event("run.succeeded", null),
    ],
    eventsComplete: true,
    deadLetters: [],
    blocks,
  };
}

function with_(over: Partial<ReconcileInput>): ReconcileInput {
  return { ...cleanRecords(), ...over };
}

const kinds = (input: ReconcileInput) => reconcileRun(input).map((f) => [f.kind, f.stepId]);

describe("reconcileRun: hand-built records", () => {
  it("finds nothing in a clean run (a skip with its reason, fan-out children)", () => {
    expect(reconcileRun(cleanRecords())).toEqual([]);
  });

  it("unknown_step: an attempt, an event or a dead letter naming no step of the flow", () => {
    const base = cleanRecords();
    const stray = { ...base.attempts[1]!, stepId: "ghost", idempotencyKey: `${RUN_ID}:ghost` };
    const findings = reconcileRun({
      ...base,
      attempts: [...base.attempts, stray],
      events: [...base.events, { ...base.events[1]!, seq: 99, stepId: "big[0]" }],
    });
    expect(findings).toContainEqual({
      kind: "unknown_step",
      stepId: "ghost",
      detail: { records: ["attempt"] },
    });
    // `big` is no fan-out: it has no children.
    expect(findings).toContainEqual({
      kind: "unknown_step",
      stepId: "big[0]",
      detail: { records: ["event"] },
    });
  });

  it("step_unaccounted: a succeeded run with a step missing, still waiting or failed (on_error fail)", () => {
    const base = cleanRecords();
    expect(kinds(with_({ attempts: base.attempts.filter((a) => a.stepId !== "each") }))).toEqual([
      ["step_unaccounted", "each"],
    ]);
    const waiting = base.attempts.map((a) =>
      a.stepId === "big" ? { ...a, status: "waiting" as const } : a,
    );
    expect(reconcileRun(with_({ attempts: waiting }))).toEqual([
      {
        kind: "step_unaccounted",
        stepId: "big",
        detail: { status: "waiting", onError: "fail", run: "succeeded" },
      },
    ]);
    const failed = base.attempts.map((a) =>
      a.stepId === "big" ? { ...a, status: "failed" as const, output: null } : a,
    );
    expect(kinds(with_({ attempts: failed }))).toEqual([["step_unaccounted", "big"]]);
  });

  it("a failed or cancelled run may leave steps unreached", () => {
    const base = cleanRecords();
    const reached = base.attempts.filter((a) => a.stepId === "br");
    for (const status of ["failed", "cancelled"] as const)
      expect(reconcileRun(with_({ run: { ...base.run, status }, attempts: reached }))).toEqual([]);
  });

  it("skip_unexplained: a skipped step without the reason of its skip", () => {
    const base = cleanRecords();
    const events = base.events.filter((e) => e.type !== "step.skipped");
    expect(kinds(with_({ events }))).toEqual([["skip_unexplained", "small"]]);
    // Events read up to a limit may miss it: no finding then.
    expect(reconcileRun(with_({ events, eventsComplete: false }))).toEqual([]);
  });

  it("output_invalid: a succeeded output outside its step's contract", () => {
    const base = cleanRecords();
    const attempts = base.attempts.map((a) =>
      a.stepId === "big" ? { ...a, output: { id: 42, extra: true } } : a,
    );
    const [finding, ...rest] = reconcileRun(with_({ attempts }));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      kind: "output_invalid",
      stepId: "big",
      detail: { attempt: 1 },
    });
    const errors = (finding!.detail as { errors: Array<{ path: string }> }).errors;
    expect(errors.map((e) => e.path)).toContain("/id");
  });

  it("an agent step's literal output schema is its contract", () => {
    const ir = compileFlow(`
flow: ag
version: 1.0.0
steps:
  - id: think
    uses: test.agent@1
    with:
      output: { type: object, required: [score], properties: { score: { type: number } } }
`);
    const records = (output: unknown): ReconcileInput => ({
      run: { id: RUN_ID, status: "succeeded", ir },
      attempts: [
        { ...cleanRecords().attempts[1]!, stepId: "think", blockId: "test.agent", output },
      ],
      events: [],
      eventsComplete: true,
      deadLetters: [],
      blocks,
    });
    expect(reconcileRun(records({ score: 0.5 }))).toEqual([]);
    expect(kinds(records({ score: "high" }))).toEqual([["output_invalid", "think"]]);
  });

  it("duplicate_effect: two succeeded side-effect attempts of one step under different keys", () => {
    const base = cleanRecords();
    const big = base.attempts.find((a) => a.stepId === "big")!;
    const again = { ...big, attempt: 2, idempotencyKey: "other-run:big" };
    expect(reconcileRun(with_({ attempts: [...base.attempts, again] }))).toEqual([
      {
        kind: "duplicate_effect",
        stepId: "big",
        detail: { keys: ["other-run:big", `${RUN_ID}:big`], attempts: [1, 2] },
      },
    ]);
    // A retry under the same key is one effect.
    const retry = base.attempts.map((a) =>
      a.stepId === "big" ? { ...a, status: "failed" as const, output: null } : a,
    );
    expect(reconcileRun(with_({ attempts: [...retry, { ...big, attempt: 2 }] }))).toEqual([]);
  });

  it("key_shared: one idempotency key recorded by two steps", () => {
    const base = cleanRecords();
    const attempts = base.attempts.map((a) =>
      a.stepId === "each[1]" ? { ...a, idempotencyKey: `${RUN_ID}:each[0]` } : a,
    );
    expect(reconcileRun(with_({ attempts }))).toEqual([
      {
        kind: "key_shared",
        stepId: null,
        detail: { key: `${RUN_ID}:each[0]`, steps: ["each[0]", "each[1]"] },
      },
    ]);
  });

  it("compensation_missing: a compensated run whose completed write was not undone", () => {
    const base = cleanRecords();
    const small = base.attempts.map((a) =>
      a.stepId === "small" ? { ...a, status: "succeeded" as const, output: {} } : a,
    );
    const events = base.events.filter((e) => e.type !== "step.skipped");
    const run = { ...base.run, status: "compensated" as const };
    expect(reconcileRun(with_({ run, attempts: small, events }))).toEqual([
      {
        kind: "compensation_missing",
        stepId: "small",
        detail: { compensation: "test.undo@1", status: "missing" },
      },
    ]);
    const undone = {
      ...small[2]!,
      stepId: "small~compensate",
      blockId: "test.undo",
      idempotencyKey: `${RUN_ID}:small~compensate`,
    };
    expect(reconcileRun(with_({ run, attempts: [...small, undone], events }))).toEqual([]);
  });

  it("dead_letter_mismatch: a dead letter of a step whose last attempt did not fail", () => {
    const dead: DeadLetterRecord = {
      id: "dl-1",
      runId: RUN_ID,
      workspaceId: "ws",
      stepId: "big",
      blockId: "test.strict",
      error: {
        name: "Error",
        message: "boom",
        retryable: false,
        classification: { severity: "high", category: "system" },
      },
      inputs: {},
      attempts: 3,
      classification: { severity: "high", category: "system" },
      createdAt: 1,
    };
    expect(reconcileRun(with_({ deadLetters: [dead] }))).toEqual([
      { kind: "dead_letter_mismatch", stepId: "big", detail: { status: "succeeded" } },
    ]);
  });

  it("bounds the findings of a broken run", () => {
    const base = cleanRecords();
    const strays = Array.from({ length: MAX_FINDINGS + 50 }, (_, i) => ({
      ...base.attempts[0]!,
      stepId: `ghost-${i}`,
      idempotencyKey: `k-${i}`,
    }));
    expect(reconcileRun(with_({ attempts: [...base.attempts, ...strays] }))).toHaveLength(
      MAX_FINDINGS,
    );
  });

  it("knows step ids: steps, fan-out children, compensations", () => {
    const steps = new Map(FLOW.steps.map((s) => [s.id, s]));
    expect(knownStepId("each[3]", steps)).toBe(true);
    expect(knownStepId("each[3]~compensate", steps)).toBe(true);
    expect(knownStepId("small~compensate", steps)).toBe(true);
    expect(knownStepId("big~compensate", steps)).toBe(false);
    expect(knownStepId("br[0]", steps)).toBe(false);
    expect(knownStepId("nope", steps)).toBe(false);
  });

  it("reads literal inputs and refuses expressions", () => {
    expect(
      literalValue({
        kind: "object",
        entries: { a: { kind: "array", items: [{ kind: "literal", value: 1 }] } },
      }),
    ).toEqual({ a: [1] });
    expect(literalValue({ kind: "expr", source: "inputs.x", refs: [] })).toBeUndefined();
  });
});

/** Runs `ir` on the engine's harness and reconciles what the memory store recorded. */
async function runAndReconcile(h: Harness, ir: FlowIR, inputs: Record<string, unknown> = {}) {
  const id = await h.start(ir, inputs);
  await h.drain();
  const run = (await h.store.getRun(id))!;
  const records: ReconcileInput = {
    run,
    attempts: await h.store.listAttempts(id),
    events: await h.store.listEvents(id, 0, 10_000),
    eventsComplete: true,
    deadLetters: await h.store.listDeadLetters({ runId: id }),
    blocks,
  };
  return { run, records, findings: reconcileRun(records) };
}

describe("reconcileRun: runs of the engine come out clean", () => {
  const strictOk: BlockRuntime = { execute: (req) => ({ id: `deal-${req.attempt}` }) };
  const write: BlockRuntime = { execute: (req) => ({ ok: req.step.id }) };

  it("succeeded, with a skip and a fan-out", async () => {
    const h = harness({ blocks: registryLookup(registry) });
    h.runtimes.register("test.strict", strictOk);
    h.runtimes.register("test.write", write);
    const { run, records, findings } = await runAndReconcile(h, FLOW, { amount: 50 });
    expect(run.status).toBe("succeeded");
    expect(findings).toEqual([]);
    expect(records.attempts.map((a) => [a.stepId, a.status]).sort()).toEqual([
      ["big", "succeeded"],
      ["br", "succeeded"],
      ["each", "succeeded"],
      ["each[0]", "succeeded"],
      ["each[1]", "succeeded"],
      ["small", "skipped"],
    ]);
  });

  it("compensated, and failed with a dead letter", async () => {
    const h = harness({ blocks: registryLookup(registry) });
    h.runtimes.register("test.write", write);
    h.runtimes.register("test.undo", { execute: () => ({ undone: true }) });
    h.runtimes.register("test.read", {
      execute() {
        throw new Error("boom");
      },
    });
    const saga = compileFlow(`
flow: saga
version: 1.0.0
steps:
  - { id: one, uses: test.write@1, compensate: test.undo@1, with: { x: 1 } }
  - { id: two, uses: test.read@1, needs: [one], on_error: compensate, retry: { max: 0 }, with: {} }
`);
    const compensated = await runAndReconcile(h, saga);
    expect(compensated.run.status).toBe("compensated");
    expect(compensated.findings).toEqual([]);
    // The same records without their compensation are a finding.
    const { records } = compensated;
    expect(records.attempts.map((a) => a.stepId)).toContain("one~compensate");
    const uncompensated = records.attempts.filter((a) => a.stepId !== "one~compensate");
    expect(kinds({ ...records, attempts: uncompensated })).toEqual([
      ["compensation_missing", "one"],
    ]);

    const failing = compileFlow(`
flow: fails
version: 1.0.0
steps:
  - { id: one, uses: test.write@1, with: { x: 1 } }
  - { id: two, uses: test.read@1, needs: [one], retry: { max: 0 }, with: {} }
  - { id: three, uses: test.write@1, needs: [two], with: {} }
`);
    const failed = await runAndReconcile(h, failing);
    expect(failed.run.status).toBe("failed");
    expect(failed.findings).toEqual([]);
  });

  it("built-in blocks' outputs meet their contracts: approval, switch, join, transform", async () => {
    const h = harness({ blocks: registryLookup(registry) });
    const ir = compileFlow(`
flow: builtins
version: 1.0.0
inputs:
  seats: { type: integer }
steps:
  - id: s
    uses: control.switch@1
    with:
      cases:
        - { label: enterprise, when: inputs.seats >= 500 }
        - { label: smb, when: inputs.seats < 500 }
  - id: ok
    uses: human.approval@1
    needs: [s]
    with: { message: "Ship it?", approvers: { role: approver } }
  - id: shape
    uses: data.transform@1
    needs: [ok]
    with:
      fields: { by: "steps.ok.output.decidedBy[0]" }
  - id: j
    uses: control.join@1
    needs: [shape, s]
    with: { mode: all }
`);
    const id = await h.start(ir, { seats: 20 });
    await h.drain();
    await h.engine.resumeStep(id, "ok", { approved: true, by: "cfo@example.com", comment: "go" });
    await h.drain();
    const run = (await h.store.getRun(id))!;
    expect(run.status).toBe("succeeded");
    const attempts = await h.store.listAttempts(id);
    expect(attempts.filter((a) => a.status === "succeeded")).toHaveLength(4);
    expect(
      reconcileRun({
        run,
        attempts,
        events: await h.store.listEvents(id, 0, 10_000),
        eventsComplete: true,
        deadLetters: [],
        blocks,
      }),
    ).toEqual([]);
  });

  it("cancelled while a step waits", async () => {
    const h = harness({ blocks: registryLookup(registry) });
    h.runtimes.register("test.write", write);
    const ir = compileFlow(`
flow: cancel
version: 1.0.0
steps:
  - { id: ask, uses: human.approval@1, with: { message: "ok?", approvers: { role: approver } } }
  - { id: after, uses: test.write@1, needs: [ask], with: {} }
`);
    const id = await h.start(ir);
    await h.drain();
    await h.engine.cancelRun(id, "test");
    await h.drain();
    const run = (await h.store.getRun(id))!;
    expect(run.status).toBe("cancelled");
    expect(
      reconcileRun({
        run,
        attempts: await h.store.listAttempts(id),
        events: await h.store.listEvents(id, 0, 10_000),
        eventsComplete: true,
        deadLetters: [],
        blocks,
      }),
    ).toEqual([]);
  });
});

describe("reconcileWholeRun: a run whole in the checkpoint that creates it", () => {
  const newRun: NewRun = {
    id: RUN_ID,
    workspaceId: "ws-1",
    workflowId: null,
    version: null,
    ir: FLOW,
    inputs: {},
    now: 1,
  };
  const clean = cleanRecords();
  const checkpoint = (over: Partial<Checkpoint> = {}): Checkpoint => ({
    attempts: [...clean.attempts],
    events: clean.events.map((e) => ({ type: e.type, stepId: e.stepId, data: e.data, at: e.at })),
    run: { status: "succeeded", finishedAt: 3 },
    ...over,
  });
  const deps = { blocks };
  const whole = (cp: Checkpoint) =>
    reconcileWholeRun(deps, newRun, cp)?.map((f) => [f.kind, f.stepId]);

  it("finds what reconcileRun finds in the same records", () => {
    expect(whole(checkpoint())).toEqual([]);
    const broken = clean.attempts.map((a) =>
      a.stepId === "big" ? { ...a, output: { id: 7 } } : a,
    );
    expect(whole(checkpoint({ attempts: broken }))).toEqual(kinds(with_({ attempts: broken })));
    expect(whole(checkpoint({ attempts: broken }))).toEqual([["output_invalid", "big"]]);
    // A skip without its reason, and an attempt of a step the flow does not have.
    const events = checkpoint().events!.filter((e) => e.type !== "step.skipped");
    const ghost = { ...clean.attempts[0]!, stepId: "ghost" };
    expect(whole(checkpoint({ events, attempts: [...clean.attempts, ghost] }))).toEqual([
      ["unknown_step", "ghost"],
      ["skip_unexplained", "small"],
    ]);
  });

  it("reads duplicates as the store does: the first attempt and the first keyed event win", () => {
    const first = clean.attempts.find((a) => a.stepId === "big")!;
    const dup = { ...first, output: { id: 7 } };
    expect(whole(checkpoint({ attempts: [...clean.attempts, dup] }))).toEqual([]);
    const skip = { type: "step.skipped", stepId: "small", data: {}, at: 1, key: "skip:small" };
    const events = checkpoint().events!.filter((e) => e.type !== "step.skipped");
    // The reason-less duplicate comes second: dropped, the reasoned skip counts.
    expect(
      whole(
        checkpoint({
          events: [...events, { ...skip, data: { reason: "condition is false" } }, skip],
        }),
      ),
    ).toEqual([]);
    expect(
      whole(
        checkpoint({
          events: [...events, skip, { ...skip, data: { reason: "condition is false" } }],
        }),
      ),
    ).toEqual([["skip_unexplained", "small"]]);
  });

  it("leaves to the background reconciler a run the checkpoint does not hold whole", () => {
    // Not ended here.
    expect(reconcileWholeRun(deps, newRun, checkpoint({ run: {} }))).toBeUndefined();
    expect(
      reconcileWholeRun(deps, newRun, checkpoint({ run: { status: "running" } })),
    ).toBeUndefined();
    // An attempt started or finished in it: its stored row is composed by the store.
    const start: AttemptStart = {
      runId: RUN_ID,
      stepId: "small",
      attempt: 1,
      blockId: "test.write",
      inputs: {},
      idempotencyKey: "k",
      consentId: null,
      startedAt: 1,
      workerId: "w",
    };
    expect(reconcileWholeRun(deps, newRun, checkpoint({ start }))).toBeUndefined();
  });
});
