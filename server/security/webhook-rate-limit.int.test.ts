import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { WebhookRateLimiter } from "@/server/domain/trigger/webhook-rate-limit";
import { receiveWebhook } from "@/server/domain/trigger/webhooks";
import { parseEnv } from "@/server/env";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import {
  seedWebhookFlow,
  signedDelivery,
  testVault,
  type WebhookFlow,
} from "@/server/testing/webhooks";
import { servicesFor } from "@/server/testing/services";

let db: Database;
const vault = testVault();

const flowText = (name: string) => `flow: ${name}
version: 1.0.0
sla: T2
trigger:
  webhook: {}
inputs:
  n: { type: number }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { n: inputs.n }
`;

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

async function workspaceWithFlows(label: string, names: string[]) {
  const owner = await makeUser(db.prisma, label);
  const flows: Record<string, WebhookFlow> = {};
  for (const name of names)
    flows[name] = await seedWebhookFlow(db.prisma, vault, owner, { name, dsl: flowText(name) });
  return { flows };
}

describe("webhook rate limit", () => {
  it("answers 429 with Retry-After past a flow's limit, starts nothing, and spares other flows", async () => {
    // A clock the test moves: 2 requests per second per flow, bursts of 3.
    let ms = 0;
    const limiter = new WebhookRateLimiter({ perSecond: 2, burst: 3 }, () => ms);
    const a = await workspaceWithFlows("rate-a", ["busy-flow", "quiet-flow"]);
    const b = await workspaceWithFlows("rate-b", ["busy-flow"]);
    const T = Math.floor(Date.now() / 1000);
    let n = 0;
    const send = (
      w: { flows: Record<string, WebhookFlow> },
      flow: string,
      sign: "good" | "bad" = "good",
    ) => {
      const hook = w.flows[flow]!;
      return receiveWebhook(
        servicesFor(db),
        signedDelivery(
          sign === "good" ? hook : { ...hook, secret: "whsec_bad" },
          JSON.stringify({ n: n++ }),
          { at: T },
        ),
        { vault, cacheMs: 0, now: () => T, rateLimiter: limiter },
      );
    };
    const runsOf = (workflowId: string) => db.prisma.run.count({ where: { workflowId } });
    const deliveriesOf = (workflowId: string) =>
      db.prisma.webhookDelivery.count({ where: { workflowId } });

    // The burst passes, the next request of the same flow is refused with Retry-After.
    for (let i = 0; i < 3; i++) expect((await send(a, "busy-flow")).status).toBe(202);
    const refused = await send(a, "busy-flow");
    expect(refused).toEqual({
      status: 429,
      headers: { "Retry-After": "1" },
      body: { error: expect.stringMatching(/limit 2 per second.*retry after 1 s/) },
    });
    // A flood of badly signed requests is limited before any signature work: 429, not 401.
    for (let i = 0; i < 5; i++) expect((await send(a, "busy-flow", "bad")).status).toBe(429);

    // Nothing was started or recorded for the refused requests.
    await expect(runsOf(a.flows["busy-flow"]!.id)).resolves.toBe(3);
    await expect(deliveriesOf(a.flows["busy-flow"]!.id)).resolves.toBe(3);

    // Another flow of the same workspace, and the same flow name in another workspace: unaffected.
    for (let i = 0; i < 3; i++) {
      expect((await send(a, "quiet-flow")).status).toBe(202);
      expect((await send(b, "busy-flow")).status).toBe(202);
    }
    await expect(runsOf(a.flows["quiet-flow"]!.id)).resolves.toBe(3);
    await expect(runsOf(b.flows["busy-flow"]!.id)).resolves.toBe(3);

    // Once the bucket refills (one second: two tokens), the flow is served again.
    ms += 1000;
    expect((await send(a, "busy-flow")).status).toBe(202);
    expect((await send(a, "busy-flow")).status).toBe(202);
    expect((await send(a, "busy-flow")).status).toBe(429);
    await expect(runsOf(a.flows["busy-flow"]!.id)).resolves.toBe(5);
  });

  it("computes Retry-After from the refill rate", () => {
    let ms = 0;
    const slow = new WebhookRateLimiter({ perSecond: 0.25, burst: 1 }, () => ms);
    expect(slow.take("w", "f")).toEqual({ ok: true });
    expect(slow.take("w", "f")).toEqual({ ok: false, retryAfterS: 4 });
    ms += 2000;
    expect(slow.take("w", "f")).toEqual({ ok: false, retryAfterS: 2 });
    ms += 2000;
    expect(slow.take("w", "f")).toEqual({ ok: true });
  });

  it("is configured by WEBHOOK_RATE_LIMIT, validated at boot", () => {
    expect(parseEnv({}).WEBHOOK_RATE_LIMIT).toBe(1000);
    expect(parseEnv({ WEBHOOK_RATE_LIMIT: "50" }).WEBHOOK_RATE_LIMIT).toBe(50);
    expect(() => parseEnv({ WEBHOOK_RATE_LIMIT: "0" })).toThrow(/WEBHOOK_RATE_LIMIT/);
    expect(() => parseEnv({ WEBHOOK_RATE_LIMIT: "lots" })).toThrow(/WEBHOOK_RATE_LIMIT/);
  });
});
