import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { createKeyring } from "@/server/adapters/connectors/credentials";
import { keyringVault } from "@/server/adapters/connectors/vault";
import type { Database } from "@/server/adapters/prisma";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import { sqlFromDriver } from "@/server/adapters/store/sql-run-store";
import { createRunEngine } from "@/server/domain/run/run-engine";
import type { Actor } from "@/server/domain/types";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { fireDueSchedules, listSchedules } from "./schedules";
import { signWebhook } from "./signature";
import { getWebhook, receiveWebhook, revokeWebhook, rotateWebhookSecret } from "./webhooks";

let db: Database;
let worker: EmbeddedWorker;
let owner: Awaited<ReturnType<typeof makeUser>>;
let actor: Actor;
const vault = keyringVault(createKeyring(randomBytes(32)));

const HOOK = `flow: order-hook
version: 1.0.0
sla: T2
trigger:
  webhook: {}
inputs:
  amount: { type: number }
  customer: { type: string }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { double: double(inputs.amount) * 2.0 }
outputs:
  double: \${{ steps.calc.output.double }}
  customer: \${{ inputs.customer }}
`;

const CRON = `flow: every-minute
version: 1.0.0
sla: T2
trigger:
  schedule: { cron: "* * * * *" }
steps:
  - id: noop
    uses: data.transform@1
    with:
      fields: { ok: "'yes'" }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "hooks");
  actor = {
    userId: owner.user.id,
    label: owner.user.email,
    workspaceId: owner.workspace.id,
    role: "admin",
    via: "session",
  };
  worker = startEmbeddedWorker(db.prisma, {
    engine: createRunEngine(db.prisma, { sql: sqlFromDriver(db.driver), driver: db.driver }),
    pollMs: 20,
  });
});
afterAll(async () => {
  await worker?.stop();
  await db?.close();
});

const now = () => Math.floor(Date.now() / 1000);

describe("webhook triggers", () => {
  it("manages the secret, verifies signatures, refuses replays and bad inputs, answers with the output", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Order hook", dsl: HOOK });
    const manual = await api.workflow.create({
      name: "Manual",
      dsl: CRON.replace('schedule: { cron: "* * * * *" }', "manual: {}").replace(
        "every-minute",
        "manual-one",
      ),
    });
    await expect(
      rotateWebhookSecret(db.prisma, vault, actor, { workflowId: manual.id }),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await expect(getWebhook(db.prisma, actor, { workflowId: wf.id })).resolves.toEqual({
      configured: false,
    });

    const { secret, path, hint } = await rotateWebhookSecret(db.prisma, vault, actor, {
      workflowId: wf.id,
    });
    expect(path).toBe(`/api/hooks/${owner.workspace.slug}/order-hook`);
    expect(secret.endsWith(hint)).toBe(true);
    await expect(getWebhook(db.prisma, actor, { workflowId: wf.id })).resolves.toMatchObject({
      configured: true,
      hint,
    });

    const deliver = (body: string, o: { sig?: string | null; id?: string; wait?: boolean } = {}) =>
      receiveWebhook(
        db.prisma,
        {
          workspaceSlug: owner.workspace.slug,
          flowName: "order-hook",
          body,
          signature: o.sig === undefined ? signWebhook(secret, body, now()) : o.sig,
          deliveryId: o.id ?? null,
          wait: o.wait ?? false,
        },
        // The raw driver: the hot path's ledger appends interleave with Prisma's (rotation).
        { vault, cacheMs: 0, driver: db.driver },
      );

    const body = JSON.stringify({ amount: 21, customer: "ACME" });
    const sync = await deliver(body, { id: "d-1", wait: true });
    expect(sync).toMatchObject({
      status: 200,
      body: { status: "succeeded", output: { double: 42, customer: "ACME" } },
    });
    // The same delivery id again: refused, no second run.
    await expect(deliver(body, { id: "d-1" })).resolves.toMatchObject({ status: 409 });
    // Without a delivery id the signature itself is the replay key.
    const sig = signWebhook(secret, body, now());
    await expect(deliver(body, { sig })).resolves.toMatchObject({ status: 202 });
    await expect(deliver(body, { sig })).resolves.toMatchObject({ status: 409 });

    await expect(deliver(body, { sig: null })).resolves.toMatchObject({ status: 401 });
    await expect(
      deliver(body, { sig: signWebhook(secret, body, now() - 600) }),
    ).resolves.toMatchObject({ status: 401, body: { error: expect.stringMatching(/5 minutes/) } });
    await expect(
      deliver(body, { sig: signWebhook("whsec_wrong", body, now()) }),
    ).resolves.toMatchObject({ status: 401 });
    await expect(deliver(JSON.stringify({ amount: "lots" }))).resolves.toMatchObject({
      status: 400,
      body: { fieldErrors: { amount: [expect.any(String)], customer: [expect.any(String)] } },
    });
    await expect(deliver("not json")).resolves.toMatchObject({ status: 400 });

    const runs = await db.prisma.run.findMany({ where: { workflowId: wf.id } });
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.startedBy === "webhook:order-hook")).toBe(true);
    const starts = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, action: "run.start" },
    });
    expect(starts.map((s) => s.actorLabel)).toEqual(["webhook:order-hook", "webhook:order-hook"]);
    await expect(api.audit.verify()).resolves.toMatchObject({ ok: true });

    // A rotated secret replaces the old one at once; a revoked webhook is gone.
    const rotated = await rotateWebhookSecret(db.prisma, vault, actor, { workflowId: wf.id });
    expect(rotated.secret).not.toBe(secret);
    await expect(deliver(body, { id: "d-2" })).resolves.toMatchObject({ status: 401 });
    await revokeWebhook(db.prisma, actor, { workflowId: wf.id });
    await expect(deliver(body, { id: "d-3" })).resolves.toMatchObject({ status: 404 });
  });
});

describe("cron schedules", () => {
  it("fires each due minute exactly once, whatever the number of schedulers", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Every minute", dsl: CRON });
    const list = await listSchedules(db.prisma, actor, {});
    expect(list).toEqual([
      expect.objectContaining({ workflowId: wf.id, cron: "* * * * *", valid: true }),
    ]);
    const t = Date.UTC(2030, 0, 1, 12, 0, 30);
    // Three schedulers tick at once over the same window: 12:00 and 11:59 are due.
    const ticks = await Promise.all(
      [0, 1, 2].map(() => fireDueSchedules(db.prisma, t, { lookbackMs: 100_000 })),
    );
    const started = ticks.flatMap((k) => k.started);
    expect(started.map((s) => new Date(s.fireAt).toISOString()).sort()).toEqual([
      "2030-01-01T11:59:00.000Z",
      "2030-01-01T12:00:00.000Z",
    ]);
    expect(ticks.reduce((n, k) => n + k.skipped, 0)).toBe(4);
    const again = await fireDueSchedules(db.prisma, t + 1_000, { lookbackMs: 100_000 });
    expect(again.started).toHaveLength(0);
    const runs = await db.prisma.run.findMany({ where: { workflowId: wf.id } });
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.startedBy === "schedule:every-minute")).toBe(true);
  });
});
