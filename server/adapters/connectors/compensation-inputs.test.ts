/**
 * Every compensation a connector block names, run the way the engine runs a saga's
 * compensation (`{ original: { stepId, inputs, output } }`) against the mock services: the
 * write is made with the block's own example, then undone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockRefOf, primitiveRegistry } from "./framework/connector";
import { compensationInputs, isCompensationRequest } from "./compensation-inputs";
import { startMockServer, type RunningMockServer } from "./mock/node-server";
import type { ConnectorRuntime } from "./runtime";
import { execution, runtimeFor } from "./testing/harness";

let server: RunningMockServer;
let runtime: ConnectorRuntime;

beforeAll(async () => {
  server = await startMockServer();
  const auth = { type: "none" } as const;
  runtime = runtimeFor({
    crm: { baseUrl: server.baseUrl("crm"), auth },
    billing: { baseUrl: server.baseUrl("billing"), auth },
    clm: { baseUrl: server.baseUrl("clm"), auth },
  });
});
afterAll(() => server?.close());

const run = (block: string, inputs: Record<string, unknown>) =>
  runtime.execute(execution(block, inputs));

describe("compensations of connector writes", () => {
  const writes = primitiveRegistry()
    .list()
    .filter((b) => b.kind === "connector" && b.compensation)
    .flatMap((b) => primitiveRegistry().versions(b.id))
    .filter((b) => b.compensation && b.example);

  it("covers every write that names a compensation", () => {
    expect(writes.map(blockRefOf)).toEqual(
      expect.arrayContaining([
        "billing.account.upsert@2",
        "billing.invoice.create@4",
        "billing.charge.create@1",
        "crm.contact.create@1",
        "crm.deal.create@1",
        "clm.contract.create@1",
        "clm.signature.request@1",
      ]),
    );
  });

  it("undoes each write from the engine's `{ original }` request", async () => {
    for (const write of writes) {
      const ref = blockRefOf(write);
      // The upserts' examples name a seeded customer with an open balance, which archiving
      // refuses (rightly): a new customer's account is what a saga would have created.
      const inputs: Record<string, unknown> = ref.startsWith("billing.account.upsert@2")
        ? {
            customer: { id: "CUS-saga-1", name: "Saga", email: "saga@example.test" },
            currency: "EUR",
          }
        : ref.startsWith("billing.account.upsert@1")
          ? { customerId: "CUS-saga-2", name: "Saga", email: "saga2@example.test", currency: "EUR" }
          : { ...(write.example as Record<string, unknown>) };
      // A signature goes out for a draft contract (the example's is active already).
      if (ref === "clm.signature.request@1") {
        const draft = await run("clm.contract.create@1", {
          template: "msa",
          customer: { id: "CUS-saga-3", name: "Saga", email: "saga3@example.test" },
          currency: "EUR",
          amount: 1000,
        });
        inputs.contractId = draft.id;
      }
      const output = await run(ref, inputs);
      const undone = await run(write.compensation!, {
        original: { stepId: "write", inputs, output },
      });
      expect(undone, `${ref} -> ${write.compensation}`).toBeTruthy();
    }
  });

  it("maps ids from the output, then the inputs, and says why when a reason is asked", () => {
    const def = {
      inputSchema: {
        type: "object",
        properties: {
          chargeId: { type: "string" },
          amount: {},
          reason: { type: "string" },
          idempotencyKey: { type: "string" },
        },
      },
    };
    expect(
      compensationInputs(
        {
          stepId: "charge",
          inputs: { amount: 5, chargeId: "CH-in", idempotencyKey: "charge-key" },
          output: { chargeId: "CH-1" },
        },
        def,
      ),
    ).toEqual({
      chargeId: "CH-1",
      amount: 5,
      reason: "compensation of step charge (saga rollback)",
    });
    const closed = {
      inputSchema: {
        properties: { chargeId: {}, reason: { type: "string", enum: ["x", "saga_rollback"] } },
      },
    };
    expect(
      compensationInputs({ stepId: "c", inputs: {}, output: { chargeId: "CH-1" } }, closed),
    ).toEqual({ chargeId: "CH-1", reason: "saga_rollback" });
    expect(isCompensationRequest({ original: { stepId: "a" } }, def)).toBe(true);
    expect(isCompensationRequest({ original: { stepId: "a" }, chargeId: "x" }, def)).toBe(false);
    expect(isCompensationRequest({ chargeId: "x" }, def)).toBe(false);
  });
});
