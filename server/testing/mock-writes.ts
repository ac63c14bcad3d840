/**
 * Test support (the replay tests): a write runtime backed by the mock billing
 * service (`server/adapters/connectors/mock/`), the same core the app serves at
 * `/api/mock/billing`, with its idempotency (a key's write is done once; the same key and body
 * replay the first answer) and its fault injection (`_faults`: injected errors answer before
 * the write, injected timeouts and malformed answers come after it). Every call creates a
 * charge; the runtime counts the writes the service really did per idempotency key and per
 * step, and can inject a fault into every call of one step of one run (a failure point).
 */
import { MockService } from "@/server/adapters/connectors/mock/mock-service";
import { NonRetryableError } from "@/server/engine/errors";
import type { BlockRuntime } from "@/server/engine/ports";

/** Where a failure is injected: before the write (an error answer) or after it (answer lost). */
export type FailureInstant = "before-write" | "timeout-after-write" | "malformed-after-write";

const RULES: Record<FailureInstant, Record<string, unknown>> = {
  "before-write": { errorRate: 1, status: 500 },
  "timeout-after-write": { timeoutRate: 1 },
  "malformed-after-write": { malformedRate: 1 },
};

export interface MockWrites {
  runtime: BlockRuntime;
  /** Writes the mock service did, per idempotency key and per step id. */
  effectsByKey: Map<string, number>;
  effectsByStep: Map<string, number>;
  /** Step ids called, per run id. */
  calls: Map<string, string[]>;
  /** Every call of `stepId` in `runId` fails at `instant` (null: no fault). */
  failAt(point: { runId: string; stepId: string; instant: FailureInstant } | null): void;
}

/** A mock-backed write runtime on `tenant`'s state of `service` (answers at once: `hangMs: 0`). */
export function mockWrites(tenant: string, service = new MockService({ hangMs: 0 })): MockWrites {
  const effectsByKey = new Map<string, number>();
  const effectsByStep = new Map<string, number>();
  const calls = new Map<string, string[]>();
  let point: { runId: string; stepId: string; instant: FailureInstant } | null = null;
  const headers = { "x-mock-tenant": tenant, "content-type": "application/json" };
  const control = (method: string, body?: unknown) =>
    service.handle("billing", {
      method,
      path: "/_faults",
      query: new URLSearchParams(),
      headers,
      body: body === undefined ? "" : JSON.stringify(body),
    });
  const runtime: BlockRuntime = {
    async execute(req) {
      const list = calls.get(req.run.id) ?? [];
      list.push(req.step.id);
      calls.set(req.run.id, list);
      const fault =
        point && point.runId === req.run.id && point.stepId === req.step.id ? point.instant : null;
      if (fault) await control("POST", { operation: "charge.create", ...RULES[fault] });
      const before = service.stats("billing", tenant).writes;
      const res = await service.handle("billing", {
        method: "POST",
        path: "/charges",
        query: new URLSearchParams(),
        headers: { ...headers, "idempotency-key": req.idempotencyKey },
        body: JSON.stringify({
          accountId: "ACC-5521",
          amount: Number(req.inputs.amount ?? 1),
          currency: "EUR",
          description: String(req.inputs.ref ?? req.inputs.note ?? ""),
        }),
      });
      if (fault) await control("DELETE");
      const wrote = service.stats("billing", tenant).writes - before;
      if (wrote) {
        effectsByKey.set(req.idempotencyKey, (effectsByKey.get(req.idempotencyKey) ?? 0) + wrote);
        effectsByStep.set(req.step.id, (effectsByStep.get(req.step.id) ?? 0) + wrote);
      }
      if (res.status >= 500) throw new Error(`billing answered ${res.status}`);
      if (res.status >= 400)
        throw new NonRetryableError(`billing answered ${res.status}: ${res.body}`);
      let body: { chargeId: string; amount: number };
      try {
        body = JSON.parse(res.body) as { chargeId: string; amount: number };
      } catch {
        throw new Error("billing answered malformed JSON");
      }
      return { id: body.chargeId, amount: body.amount };
    },
  };
  return { runtime, effectsByKey, effectsByStep, calls, failAt: (p) => (point = p) };
}

/** n writes w1..wn, each but the first fed by a pure step reading the previous write's output. */
/**
 * `block`: the engine tests' `test.write@1`, or the server registry's `crm.deal.update@1` (for
 * flows compiled by the server); either way the runtime above executes it.
 */
export function chainFlow(n: number, block: "test" | "crm" = "test"): string {
  const steps: string[] = [];
  for (let i = 1; i <= n; i++) {
    const needs = i > 1 ? `\n    needs: [t${i - 1}]` : "";
    const ref = i > 1 ? `"\${{ steps.t${i - 1}.output.prev }}"` : `"start"`;
    const w =
      block === "test"
        ? `uses: test.write@1${needs}\n    with: { amount: ${i}, ref: ${ref} }`
        : `uses: crm.deal.update@1${needs}\n    with: { id: DEAL-311, amount: ${i}, note: ${ref} }`;
    steps.push(`  - id: w${i}\n    ${w}\n    retry: { max: 1 }`);
    if (i < n)
      steps.push(`  - id: t${i}
    uses: data.transform@1
    needs: [w${i}]
    with:
      fields: { prev: "steps.w${i}.output.id" }`);
  }
  return `flow: chain-${n}\nversion: 1.0.0\nsteps:\n${steps.join("\n")}\n`;
}
