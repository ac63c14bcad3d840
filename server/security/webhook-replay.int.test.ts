import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { signWebhook } from "@/server/domain/trigger/signature";
import { receiveWebhook } from "@/server/domain/trigger/webhooks";
import { engineFor } from "@/server/testing/engine";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { seedWebhookFlow, signedDelivery, testVault } from "@/server/testing/webhooks";
import { servicesFor } from "@/server/testing/services";

let db: Database;
const vault = testVault();

const flowText = (name: string) => `flow: ${name}
version: 1.0.0
sla: T2
trigger:
  webhook: {}
inputs:
  amount: { type: number }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { double: double(inputs.amount) * 2.0 }
outputs:
  double: \${{ steps.calc.output.double }}
`;

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

/** A workspace with one webhook flow; `send` delivers a request as an attacker would replay it. */
async function setup(label: string, flow: string, mode: "inline" | "queued" | "prisma") {
  const owner = await makeUser(db.prisma, label);
  const hook = await seedWebhookFlow(db.prisma, vault, owner, { name: flow, dsl: flowText(flow) });
  const engine = engineFor(db);
  const T = Math.floor(Date.now() / 1000);
  const send = (body: string, signature: string, deliveryId: string | null) =>
    receiveWebhook(
      servicesFor(db),
      // Inline: the benchmarked one-statement path; queued (and "prisma", kept from when a
      // Prisma transaction was a second path): the transactor's transaction on the raw driver.
      signedDelivery(hook, body, { signature, deliveryId, wait: mode === "inline" }),
      {
        vault,
        cacheMs: 0,
        now: () => T,
        rateLimiter: null,
        inline: mode === "inline" ? { engine } : undefined,
      },
    );
  const runs = () => db.prisma.run.count({ where: { workflowId: hook.id } });
  const deliveries = () =>
    db.prisma.webhookDelivery.findMany({
      where: { workflowId: hook.id },
      select: { deliveryId: true, signature: true },
      orderBy: { id: "asc" },
    });
  const starts = () =>
    db.prisma.auditEntry.count({
      where: { workspaceId: owner.workspace.id, action: "run.start" },
    });
  return { secret: hook.secret, T, send, runs, deliveries, starts };
}

describe("webhook replay bypass", () => {
  for (const mode of ["inline", "queued", "prisma"] as const) {
    it(`refuses a captured request whatever its delivery header or extra v1 entries (${mode})`, async () => {
      const h = await setup(`replay-${mode}`, `replay-${mode}`, mode);
      const body = JSON.stringify({ amount: 21 });
      const captured = signWebhook(h.secret, body, h.T);
      const hmac = captured.split("v1=")[1]!;
      const junk = "0".repeat(64);

      const first = await h.send(body, captured, "evt-1");
      expect(first.status).toBe(mode === "inline" ? 200 : 202);

      // The attacker replays the captured body and signature with headers of their own.
      for (const [signature, deliveryId] of [
        [captured, "evt-2"], // a new delivery id
        [captured, null], // no delivery id at all
        [`t=${h.T},v1=${hmac},v1=${junk}`, "evt-3"], // an extra v1 entry
        [`t=${h.T},v1=${junk},v1=${hmac}`, "evt-4"], // the two v1 entries reordered
        [`v1=${hmac.toUpperCase()},t=0${h.T}`, "evt-5"], // the same content spelled otherwise
      ] as const) {
        const again = await h.send(body, signature, deliveryId);
        expect(again, `${signature} / ${deliveryId}`).toMatchObject({
          status: 409,
          body: { error: expect.stringMatching(/replay refused/) },
        });
      }
      // Several at once: still one run.
      const burst = await Promise.all(
        ["evt-6", "evt-7", "evt-8"].map((id) => h.send(body, captured, id)),
      );
      expect(burst.map((a) => a.status)).toEqual([409, 409, 409]);

      // Exactly one run, one ledger entry and one delivery row, keyed by the signed content.
      await expect(h.runs()).resolves.toBe(1);
      await expect(h.starts()).resolves.toBe(1);
      await expect(h.deliveries()).resolves.toEqual([
        { deliveryId: "evt-1", signature: `${h.T}.${hmac}` },
      ]);

      // The sender's own retry of the delivery id, freshly signed: idempotent, refused too.
      const retry = await h.send(body, signWebhook(h.secret, body, h.T - 1), "evt-1");
      expect(retry.status).toBe(409);
      await expect(h.runs()).resolves.toBe(1);

      // A fresh signature (a new timestamp) on the same body is a new delivery: accepted.
      const fresh = await h.send(body, signWebhook(h.secret, body, h.T + 1), "evt-9");
      expect(fresh.status).toBe(mode === "inline" ? 200 : 202);
      const freshNoId = await h.send(body, signWebhook(h.secret, body, h.T + 2), null);
      expect(freshNoId.status).toBe(mode === "inline" ? 200 : 202);
      await expect(h.runs()).resolves.toBe(3);
      await expect(h.starts()).resolves.toBe(3);
    });
  }
});
