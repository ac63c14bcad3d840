import { describe, expect, it } from "vitest";
import type { BlockRuntime, RuntimeRequest } from "./ports";
import { compileFlow, harness } from "./testing/harness";
import { settle } from "./testing/fakes";
import { MemoryRunStore } from "./memory-store";
import { NonRetryableError } from "./errors";

/** Test double: a connector whose calls are recorded and may be held open by the test. */
/** Runs a flow's text to its end on a fresh harness: its stored run. */
async function runToEnd(text: string, inputs: Record<string, unknown> = {}) {
  const h = harness();
  const id = await h.start(compileFlow(text), inputs);
  await h.drain();
  return h.store.getRun(id);
}

function controllable() {
  const calls: RuntimeRequest[] = [];
  const pending: Array<{
    req: RuntimeRequest;
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  }> = [];
  let auto = true;
  const rt: BlockRuntime = {
    execute(req) {
      calls.push(req);
      if (auto) return { ok: req.step.id, item: req.inputs.item ?? null };
      return new Promise((resolve, reject) => pending.push({ req, resolve, reject }));
    },
  };
  return {
    rt,
    calls,
    pending,
    hold() {
      auto = false;
    },
  };
}

describe("engine: DAG", () => {
  it("runs independent branches concurrently, within the per-run limit", async () => {
    const h = harness({ maxParallelSteps: 2 });
    const c = controllable();
    c.hold();
    h.runtimes.register("test.write", c.rt);
    const ir = compileFlow(`
flow: par
version: 1.0.0
steps:
  - { id: a, uses: test.write@1, with: { x: 1 } }
  - { id: b, uses: test.write@1, with: { x: 2 } }
  - { id: c, uses: test.write@1, with: { x: 3 } }
  - id: d
    uses: test.write@1
    needs: [a, b, c]
    with: { x: 4 }
`);
    const id = await h.start(ir);
    const tick = h.engine.tick();
    await settle();
    expect(c.pending.map((p) => p.req.step.id)).toEqual(["a", "b"]);
    c.pending.shift()!.resolve({ ok: "b-first" });
    await settle();
    expect(c.pending.map((p) => p.req.step.id)).toEqual(["b", "c"]);
    c.pending.shift()!.resolve({});
    c.pending.shift()!.resolve({});
    await settle();
    expect(c.pending.map((p) => p.req.step.id)).toEqual(["d"]);
    c.pending.shift()!.resolve({});
    await tick;
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
  });

  it("skips the untaken side of a branch and the steps that depend on it; join runs", async () => {
    const h = harness();
    const c = controllable();
    h.runtimes.register("test.write", c.rt);
    const ir = compileFlow(`
flow: br
version: 1.0.0
inputs:
  amount: { type: number }
steps:
  - id: br
    uses: control.branch@1
    with: { condition: inputs.amount > 10.0 }
  - id: big
    uses: test.write@1
    if: \${{ steps.br.output.taken == 'then' }}
    with: { x: 1 }
  - id: small
    uses: test.write@1
    if: \${{ steps.br.output.taken == 'else' }}
    with: { x: 2 }
  - id: after-small
    uses: test.write@1
    needs: [small]
    with: { x: 3 }
  - id: j
    uses: control.join@1
    needs: [big, small]
    with: { mode: all }
outputs:
  done: \${{ steps.j.output.completed }}
`);
    const id = await h.start(ir, { amount: 50 });
    await h.drain();
    expect(c.calls.map((x) => x.step.id)).toEqual(["big"]);
    const run = await h.store.getRun(id);
    expect(run).toMatchObject({ status: "succeeded", output: { done: ["big"] } });
    const rows = await h.store.listAttempts(id);
    expect(
      rows
        .filter((r) => r.status === "skipped")
        .map((r) => r.stepId)
        .sort(),
    ).toEqual(["after-small", "small"]);
  });

  it("switch picks a case", async () => {
    const run = await runToEnd(
      `
flow: sw
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
outputs:
  c: \${{ steps.s.output.case }}
`,
      { seats: 20 },
    );
    expect(run?.output).toEqual({ c: "smb" });
  });

  it("evaluates the flow's outputs over the steps they read, or all when one reads `steps` whole", async () => {
    const run = await runToEnd(
      `
flow: outs
version: 1.0.0
inputs:
  n: { type: integer }
steps:
  - id: a
    uses: data.transform@1
    with: { fields: { v: "inputs.n + 1" } }
  - id: b
    uses: data.transform@1
    needs: [a]
    with: { fields: { v: "steps.a.output.v * 10" } }
  - id: c
    uses: data.transform@1
    needs: [b]
    with: { fields: { v: "'last'" } }
outputs:
  last: \${{ steps.c.output.v }}
  sum: \${{ steps.a.output.v + steps.b.output.v }}
  seen: \${{ size(steps) }}
  text: "a=\${{ steps.a.output.v }}, n=\${{ inputs.n }}"
`,
      { n: 1 },
    );
    expect(run?.output).toEqual({
      last: "last",
      sum: 22,
      seen: 3,
      text: "a=2, n=1",
    });
  });

  it("fans foreach out with its concurrency limit and keeps item order", async () => {
    const h = harness();
    const c = controllable();
    c.hold();
    h.runtimes.register("test.write", c.rt);
    const ir = compileFlow(`
flow: fe
version: 1.0.0
steps:
  - id: each
    uses: control.foreach@1
    with:
      items: [a, b, c, d, e]
      concurrency: 2
      do:
        uses: test.write@1
        with:
          item: \${{ item }}
          i: \${{ index }}
outputs:
  r: \${{ steps.each.output.results }}
`);
    const id = await h.start(ir);
    const tick = h.engine.tick();
    let max = 0;
    for (let i = 0; i < 20 && c.calls.length + c.pending.length < 100; i++) {
      await settle();
      max = Math.max(max, c.pending.length);
      const p = c.pending.pop();
      if (!p) break;
      p.resolve({ v: p.req.inputs.item });
    }
    await tick;
    expect(max).toBe(2);
    expect(c.calls.map((x) => x.step.id).sort()).toEqual([
      "each[0]",
      "each[1]",
      "each[2]",
      "each[3]",
      "each[4]",
    ]);
    expect((await h.store.getRun(id))?.output).toEqual({
      r: ["a", "b", "c", "d", "e"].map((v) => ({ v })),
    });
  });
});

describe("engine: durable waits and people", () => {
  it("parks on control.wait and resumes when the clock reaches the timer", async () => {
    const h = harness();
    const ir = compileFlow(`
flow: wait
version: 1.0.0
steps:
  - id: w
    uses: control.wait@1
    with: { duration: 15m }
  - id: after
    uses: data.transform@1
    needs: [w]
    with:
      fields: { done: "true" }
`);
    const t0 = h.clock.now();
    const id = await h.start(ir);
    await h.drain();
    expect(await h.store.getRun(id)).toMatchObject({
      status: "waiting",
      dueAt: t0 + 15 * 60_000,
      leaseOwner: null,
    });
    await h.clock.advance(15 * 60_000 - 1);
    expect(await h.drain()).toBe(0);
    expect((await h.store.getRun(id))?.status).toBe("waiting");
    await h.clock.advance(1);
    await h.drain();
    const run = await h.store.getRun(id);
    expect(run?.status).toBe("succeeded");
    const w = (await h.store.listAttempts(id)).find((a) => a.stepId === "w");
    expect(w?.output).toEqual({ resumedAt: new Date(t0 + 15 * 60_000).toISOString() });
  });

  it("parks a human approval until resumeStep; a rejection fails the run", async () => {
    const h = harness();
    const flow = compileFlow(`
flow: approve
version: 1.0.0
steps:
  - id: ok
    uses: human.approval@1
    with:
      approvers: { group: finance }
      message: Ship it?
  - id: next
    uses: data.transform@1
    needs: [ok]
    with:
      fields: { by: "steps.ok.output.decidedBy[0]" }
outputs:
  by: \${{ steps.next.output.by }}
`);
    const id = await h.start(flow);
    await h.drain();
    expect(await h.store.getRun(id)).toMatchObject({ status: "waiting", dueAt: null });
    await h.clock.advance(3_600_000);
    expect(await h.drain()).toBe(0);
    await h.engine.resumeStep(id, "ok", { approved: true, by: "cfo@example.com" });
    await h.drain();
    expect(await h.store.getRun(id)).toMatchObject({
      status: "succeeded",
      output: { by: "cfo@example.com" },
    });

    const id2 = await h.start(flow);
    await h.drain();
    await h.engine.resumeStep(id2, "ok", { approved: false, by: "cfo@example.com", comment: "no" });
    await h.drain();
    expect(await h.store.getRun(id2)).toMatchObject({
      status: "failed",
      error: { message: "approval rejected by cfo@example.com: no" },
    });
    await expect(h.engine.resumeStep(id2, "ok", { approved: true, by: "x" })).rejects.toThrow(
      /not active/,
    );
  });

  it("policy.check with otherwise: approval parks and continues when approved", async () => {
    const h = harness();
    const id = await h.start(
      compileFlow(`
flow: pc
version: 1.0.0
inputs:
  limit: { type: number }
steps:
  - id: credit
    uses: policy.check@1
    with: { rule: inputs.limit <= 50000.0, otherwise: approval }
outputs:
  d: \${{ steps.credit.output.decision }}
`),
      { limit: 90000 },
    );
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("waiting");
    // Without `approvers`, the exception is addressed to the workspace's approvers.
    const waiting = (await h.store.listEvents(id, 0, 100)).find((e) => e.type === "step.waiting");
    expect(waiting?.data).toMatchObject({ reason: "approval", approvers: { role: "approver" } });
    await h.engine.resumeStep(id, "credit", { approved: true, by: "risk@example.com" });
    await h.drain();
    expect(await h.store.getRun(id)).toMatchObject({
      status: "succeeded",
      output: { d: "approved" },
    });
  });
});

describe("engine: consent", () => {
  const flow = `
flow: consent
version: 1.0.0
consent:
  purposes: [marketing]
inputs:
  consent_id: { type: string }
steps:
  - id: mail
    uses: test.write@1
    consent:
      purpose: marketing
      require: consent_id
    with:
      consent_id: \${{ inputs.consent_id }}
`;

  it("fails closed when the consent id is missing, and logs it", async () => {
    const h = harness();
    const c = controllable();
    h.runtimes.register("test.write", c.rt);
    const id = await h.start(compileFlow(flow), { consent_id: "" });
    await h.drain();
    expect(c.calls).toHaveLength(0);
    const run = await h.store.getRun(id);
    expect(run).toMatchObject({
      status: "failed",
      error: { name: "ConsentError", classification: { category: "authz", severity: "high" } },
    });
    expect(h.audit.entries.map((e) => e.action)).toContain("run.consent.missing");
  });

  it("logs the consent id on the attempt and in the audit ledger", async () => {
    const h = harness();
    const c = controllable();
    h.runtimes.register("test.write", c.rt);
    const id = await h.start(compileFlow(flow), { consent_id: "CNS-42" });
    await h.drain();
    expect(c.calls[0]?.consentId).toBe("CNS-42");
    const [a] = await h.store.listAttempts(id);
    expect(a?.consentId).toBe("CNS-42");
    expect(h.audit.entries.find((e) => e.action === "run.consent.used")?.payload).toMatchObject({
      consentId: "CNS-42",
      stepId: "mail",
      purpose: "marketing",
    });
  });
});

describe("engine: consent ids bound by `consent.id`", () => {
  const flow = `
flow: consent-id
version: 1.0.0
consent:
  purposes: [billing]
inputs:
  contactId: { type: string }
  billingConsent: { type: string, required: false }
steps:
  - id: lookup
    uses: policy.consent@1
    with:
      subjectId: \${{ inputs.contactId }}
      purpose: billing
      require: false
  - id: charge
    uses: test.write@1
    with:
      contact: \${{ inputs.contactId }}
    consent:
      purpose: billing
      id: \${{ inputs.billingConsent }}
  - id: invoice
    uses: test.write@1
    needs: [charge]
    with:
      contact: \${{ inputs.contactId }}
    consent:
      purpose: billing
      id: "\${{ steps.lookup.output.consentId == null ? inputs.billingConsent : steps.lookup.output.consentId }}"
`;

  it("evaluates the expression: a declared input gives the consent id, logged on the attempt", async () => {
    const h = harness();
    const c = controllable();
    h.runtimes.register("test.write", c.rt);
    const id = await h.start(compileFlow(flow), { contactId: "CON-1", billingConsent: "CNS-7" });
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
    expect(c.calls.map((x) => [x.step.id, x.consentId])).toEqual([
      ["charge", "CNS-7"],
      ["invoice", "CNS-7"],
    ]);
    const used = h.audit.entries.filter((e) => e.action === "run.consent.used");
    expect(used.map((e) => e.payload.consentId)).toEqual(["CNS-7", "CNS-7"]);
  });

  it("an omitted optional input fails the step closed, before its side effect", async () => {
    const h = harness();
    const c = controllable();
    h.runtimes.register("test.write", c.rt);
    const id = await h.start(compileFlow(flow), { contactId: "CON-1" });
    await h.drain();
    expect(c.calls).toHaveLength(0);
    expect(await h.store.getRun(id)).toMatchObject({
      status: "failed",
      error: {
        name: "ConsentError",
        message: expect.stringContaining("step charge needs consent"),
      },
    });
    expect(h.audit.entries.map((e) => e.action)).toContain("run.consent.missing");
  });
});

describe("engine: saga compensation", () => {
  it("undoes completed writes in reverse completion order and ends compensated", async () => {
    const h = harness();
    const c = controllable();
    const undo = controllable();
    h.runtimes.register("test.write", c.rt);
    h.runtimes.register("test.undo", undo.rt);
    h.runtimes.register("test.read", {
      execute() {
        throw new Error("boom");
      },
    });
    const ir = compileFlow(`
flow: saga
version: 1.0.0
steps:
  - { id: one, uses: test.write@1, compensate: test.undo@1, with: { x: 1 } }
  - { id: two, uses: test.write@1, compensate: test.undo@1, needs: [one], with: { x: 2 } }
  - id: three
    uses: test.read@1
    needs: [two]
    on_error: compensate
    retry: { max: 0 }
    with: { x: 3 }
`);
    const id = await h.start(ir);
    await h.drain();
    expect(undo.calls.map((x) => (x.inputs.original as { stepId: string }).stepId)).toEqual([
      "two",
      "one",
    ]);
    expect(undo.calls[0]?.inputs.original).toMatchObject({
      inputs: { x: 2 },
      output: { ok: "two" },
    });
    const run = await h.store.getRun(id);
    expect(run?.status).toBe("compensated");
    const ids = (await h.store.listAttempts(id)).map((a) => a.stepId);
    expect(ids).toContain("two~compensate");
  });
});

describe("engine: crashes and leases", () => {
  it("a worker dying mid-step: another resumes after the lease, no step recorded twice", async () => {
    const h = harness();
    const c = controllable();
    c.hold();
    h.runtimes.register("test.write", c.rt);
    const ir = compileFlow(`
flow: crash
version: 1.0.0
steps:
  - id: p
    uses: data.transform@1
    with: { fields: { v: "1 + 1" } }
  - id: w
    uses: test.write@1
    with:
      v: \${{ steps.p.output.v }}
`);
    const id = await h.start(ir);
    // Worker 1 claims with a 1 s lease and hangs inside the write (it "dies").
    void h.engine.tick({ leaseMs: 1_000 });
    await settle();
    expect(c.pending).toHaveLength(1);
    const w2 = h.worker("worker-2");
    expect(await w2.tick()).toEqual([]);
    await h.clock.advance(1_000);
    const recovered = w2.tick();
    await settle();
    expect(c.pending).toHaveLength(2);
    expect(c.pending[1]!.req.idempotencyKey).toBe(c.pending[0]!.req.idempotencyKey);
    c.pending[1]!.resolve({ id: "from-2" });
    await recovered;
    // The dead worker's call returns late: its completion is a no-op.
    c.pending[0]!.resolve({ id: "from-1" });
    await settle();
    const rows = await h.store.listAttempts(id);
    expect(rows.map((r) => [r.stepId, r.attempt, r.status])).toEqual([
      ["p", 1, "succeeded"],
      ["w", 1, "succeeded"],
    ]);
    expect(rows[1]?.output).toEqual({ id: "from-2" });
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
  });

  it("recomputes pure steps lost in a crash, recording each once", async () => {
    const store = new MemoryRunStore();
    let failNext = true;
    const flaky = Object.create(store) as MemoryRunStore;
    flaky.commit = async (...args) => {
      if (failNext) {
        failNext = false;
        throw new Error("process died before the checkpoint");
      }
      return store.commit(...args);
    };
    const h = harness({ store: flaky });
    const ir = compileFlow(`
flow: pure
version: 1.0.0
steps:
  - { id: a, uses: data.transform@1, with: { fields: { v: "1" } } }
  - { id: b, uses: data.transform@1, with: { fields: { v: "steps.a.output.v + 1" } } }
outputs:
  v: \${{ steps.b.output.v }}
`);
    const id = await h.start(ir);
    await expect(h.engine.tick({ leaseMs: 1_000 })).rejects.toThrow(/process died/);
    expect(await store.listAttempts(id)).toEqual([]);
    await h.clock.advance(1_000);
    await h.drain(h.worker("worker-2"));
    expect((await store.getRun(id))?.output).toEqual({ v: 2 });
    expect((await store.listAttempts(id)).map((a) => a.stepId)).toEqual(["a", "b"]);
  });
});

describe("engine: timeouts and breakers", () => {
  it("times an attempt out through the clock and retries it", async () => {
    const h = harness();
    const c = controllable();
    c.hold();
    h.runtimes.register("test.write", c.rt);
    const id = await h.start(
      compileFlow(`
flow: to
version: 1.0.0
steps:
  - id: w
    uses: test.write@1
    timeout: 2s
    retry: { max: 1, backoff: fixed, jitter: none, initial_delay: 1s }
    with: { x: 1 }
`),
    );
    const t = h.engine.tick();
    await settle();
    expect(c.pending[0]?.req.signal.aborted).toBe(false);
    await h.clock.advance(2_000);
    await t;
    expect(c.pending[0]?.req.signal.aborted).toBe(true);
    const [a] = await h.store.listAttempts(id);
    expect(a).toMatchObject({
      status: "failed",
      error: { name: "TimeoutError" },
      classification: { category: "performance" },
    });
    expect(a?.retryAt).toBe(h.clock.now() + 1_000);
  });

  it("opens the breaker after consecutive failures and fails fast without calling", async () => {
    const h = harness();
    let calls = 0;
    h.runtimes.register("test.write", {
      execute() {
        calls++;
        throw new Error("503");
      },
    });
    const ir = compileFlow(`
flow: br
version: 1.0.0
sla: T2
steps:
  - id: w
    uses: test.write@1
    retry: { max: 0 }
    with: { x: 1 }
`);
    for (let i = 0; i < 21; i++) {
      await h.start(ir);
      await h.drain();
    }
    expect(calls).toBe(20);
    expect(h.engine.deps.breakers.snapshot()).toEqual({
      "00000000-0000-4000-8000-00000000beef:test:test.write": "open",
    });
    const dl = await h.store.listDeadLetters({ limit: 100 });
    expect(dl).toHaveLength(0);
  });
});

describe("engine: a fan-out that fails while a child waits for its retry", () => {
  it("fails the fan and the run at once, instead of leaving the run running", async () => {
    const h = harness();
    const c = controllable();
    c.hold();
    h.runtimes.register("test.write", c.rt);
    const ir = compileFlow(`
flow: fan-fail
version: 1.0.0
steps:
  - id: each
    uses: control.foreach@1
    retry: { max: 3, backoff: fixed, jitter: none, initial_delay: 60s }
    with:
      items: [a, b]
      concurrency: 2
      do:
        uses: test.write@1
        with:
          item: \${{ item }}
`);
    const id = await h.start(ir);
    const tick = h.engine.tick();
    await settle();
    expect(c.pending.map((p) => p.req.step.id)).toEqual(["each[0]", "each[1]"]);
    // each[0] fails for good while each[1] is still in flight; then each[1] fails in a way that
    // schedules a retry. Nothing is in flight any more and the fan has failed: it must finish.
    c.pending.shift()!.reject(new NonRetryableError("bad item"));
    await settle();
    c.pending.shift()!.reject(new Error("socket hang up"));
    await tick;
    await h.drain();
    const run = await h.store.getRun(id);
    expect(run?.status).toBe("failed");
    expect(run?.error?.message).toMatch(/each\[0\] failed: bad item/);
    expect(c.calls.map((x) => x.step.id)).toEqual(["each[0]", "each[1]"]);
  });
});
