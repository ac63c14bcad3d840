/**
 * The Triggers panel's API through tRPC: one workflow's triggers (webhook URL, secret hint,
 * example body; schedule with its next five fire times), the schedule preview, and setting the
 * draft's trigger (editors only; bad cron refused, nothing changed).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { addMembership, adminActor, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { testVault } from "@/server/testing/webhooks";
import { signWebhook } from "./signature";
import { rotateWebhookSecret } from "./webhooks";
import { servicesFor } from "@/server/testing/services";

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;

const HOOK = `flow: hooked
version: 1.0.0
sla: T2
trigger:
  webhook: {}
inputs:
  contractId: { type: string, examples: [CTR-1001] }
  currency: { type: string, default: EUR }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { id: inputs.contractId }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "triggers");
});
afterAll(async () => {
  await db?.close();
});

describe("trigger.forWorkflow", () => {
  it("gives the webhook's URL, whether it receives, and a body the flow accepts", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Hooked", dsl: HOOK });
    const before = await api.trigger.forWorkflow({ workflowId: wf.id });
    expect(before).toMatchObject({
      flowName: "hooked",
      version: null,
      trigger: { type: "webhook" },
      draftTrigger: null,
      webhook: {
        configured: false,
        hint: null,
        path: `/api/hooks/${owner.workspace.slug}/hooked`,
        stale: false,
        exampleBody: JSON.stringify({ contractId: "CTR-1001", currency: "EUR" }),
        exampleValid: true,
      },
      schedule: null,
    });
    const { hint } = await api.trigger.rotateWebhookSecret({ workflowId: wf.id });
    const after = await api.trigger.forWorkflow({ workflowId: wf.id });
    expect(after.webhook).toMatchObject({ configured: true, hint });
    expect(JSON.stringify(after)).not.toContain("whsec_");

    // Renamed in a new version: the secret still names the old flow, so it says to rotate.
    await api.workflow.createVersion({
      id: wf.id,
      version: "1.0.0",
      dsl: HOOK.replace("flow: hooked", "flow: hooked-v2"),
    });
    expect((await api.trigger.forWorkflow({ workflowId: wf.id })).webhook).toMatchObject({
      stale: true,
      path: `/api/hooks/${owner.workspace.slug}/hooked`,
    });
  });

  it("gives a schedule's next five fire times, and says when its fires are refused", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({
      name: "Nightly",
      dsl: HOOK.replace("flow: hooked", "flow: nightly")
        .replace("webhook: {}", 'schedule: { cron: "0 2 * * *" }')
        .replace(
          "contractId: { type: string, examples: [CTR-1001] }",
          "contractId: { type: string, required: false }",
        ),
    });
    const t = await api.trigger.forWorkflow({ workflowId: wf.id });
    expect(t.trigger).toEqual({ type: "schedule", cron: "0 2 * * *" });
    expect(t.schedule?.fires).toHaveLength(5);
    const fires = t.schedule!.fires.map((f) => Date.parse(f));
    expect(fires[0]).toBeGreaterThan(Date.now());
    expect(fires.every((f) => new Date(f).getUTCHours() === 2)).toBe(true);
    // No required input: the scheduler can start it.
    expect(t.schedule).toMatchObject({ valid: true, error: null, refused: null, lastFireAt: null });

    // A required input (inputs are required unless `required: false`): every fire is refused.
    const strict = await api.workflow.create({
      name: "Needs input",
      dsl: HOOK.replace("flow: hooked", "flow: needs-input").replace(
        "webhook: {}",
        'schedule: { cron: "0 2 * * *" }',
      ),
    });
    const s = await api.trigger.forWorkflow({ workflowId: strict.id });
    expect(s.schedule?.refused).toMatch(/requires inputs a schedule cannot give/);
  });

  it("is refused for another workspace's workflow", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({
      name: "Mine",
      dsl: HOOK.replace("flow: hooked", "flow: mine"),
    });
    const stranger = await makeUser(db.prisma, "stranger");
    const theirs = callerFor(db.prisma, stranger.user, stranger.workspace.id);
    await expect(theirs.trigger.forWorkflow({ workflowId: wf.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("trigger.previewSchedule", () => {
  it("gives five UTC fire times, or a BAD_REQUEST naming the problem", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const p = await api.trigger.previewSchedule({ cron: "*/10 * * * *" });
    expect(p.fires).toHaveLength(5);
    expect(p.fires.every((f) => /^\d{4}-\d\d-\d\dT\d\d:\d0:00\.000Z$/.test(f))).toBe(true);
    await expect(api.trigger.previewSchedule({ cron: "0 25 * * *" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/hour 25 is out of range 0-23/),
    });
    await expect(api.trigger.previewSchedule({ cron: "x".repeat(201) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});

describe("trigger.setTrigger", () => {
  it("writes the draft's trigger for editors; bad cron and viewers change nothing", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({
      name: "Switch",
      dsl: HOOK.replace("flow: hooked", "flow: switch"),
    });
    const saved = await api.trigger.setTrigger({
      workflowId: wf.id,
      trigger: { type: "schedule", cron: " 30 6 * * mon-fri " },
    });
    expect(saved).toEqual({
      changed: true,
      live: true,
      trigger: { type: "schedule", cron: "30 6 * * mon-fri" },
    });
    const { draft } = await api.workflow.get({ id: wf.id });
    expect(draft).toContain('trigger: { schedule: { cron: "30 6 * * mon-fri" } }\n');
    expect(draft).toContain("  contractId: { type: string, examples: [CTR-1001] }");
    expect((await api.trigger.forWorkflow({ workflowId: wf.id })).trigger).toEqual({
      type: "schedule",
      cron: "30 6 * * mon-fri",
    });
    const audit = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: wf.id },
      orderBy: { seq: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["workflow.draft.save", "workflow.trigger.set"]),
    );
    expect(audit.find((a) => a.action === "workflow.trigger.set")?.payload).toEqual({
      trigger: { type: "schedule", cron: "30 6 * * mon-fri" },
      live: true,
    });

    await expect(
      api.trigger.setTrigger({
        workflowId: wf.id,
        trigger: { type: "schedule", cron: "0 0 L * *" },
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/"L"/) });
    expect((await api.workflow.get({ id: wf.id })).draft).toBe(draft);

    // With a saved version, the change waits for the next one.
    await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: draft });
    const again = await api.trigger.setTrigger({ workflowId: wf.id, trigger: { type: "webhook" } });
    expect(again.live).toBe(false);
    const t = await api.trigger.forWorkflow({ workflowId: wf.id });
    expect(t).toMatchObject({
      version: "1.0.0",
      trigger: { type: "schedule" },
      draftTrigger: { type: "webhook" },
    });

    const viewer = await makeUser(db.prisma, "viewer");
    await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");
    const asViewer = callerFor(db.prisma, viewer.user, owner.workspace.id);
    await expect(asViewer.trigger.forWorkflow({ workflowId: wf.id })).resolves.toBeTruthy();
    await expect(
      asViewer.trigger.setTrigger({ workflowId: wf.id, trigger: { type: "manual" } }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("secret rotation", () => {
  it("takes effect at once in its process, whichever bundle of the module checks deliveries", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({
      name: "Rotated",
      dsl: HOOK.replace("flow: hooked", "flow: rotated"),
    });
    const vault = testVault();
    // Next.js bundles webhooks.ts twice (the tRPC route rotates, the webhook endpoint checks):
    // a second module instance stands for the endpoint's.
    vi.resetModules();
    const endpoint = await import("./webhooks");
    const deliver = (secret: string, body: string) =>
      endpoint.receiveWebhook(
        servicesFor(db),
        {
          workspaceSlug: owner.workspace.slug,
          flowName: "rotated",
          body,
          signature: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
          deliveryId: null,
          wait: false,
        },
        { vault },
      );
    const first = await rotateWebhookSecret({ ...servicesFor(db), vault }, adminActor(owner), {
      workflowId: wf.id,
    });
    await expect(deliver(first.secret, '{"contractId":"CTR-1"}')).resolves.toMatchObject({
      status: 202,
    });
    const second = await rotateWebhookSecret({ ...servicesFor(db), vault }, adminActor(owner), {
      workflowId: wf.id,
    });
    // Within the cache's 2 s: the old secret is refused, the new one accepted.
    await expect(deliver(first.secret, '{"contractId":"CTR-2"}')).resolves.toMatchObject({
      status: 401,
    });
    await expect(deliver(second.secret, '{"contractId":"CTR-3"}')).resolves.toMatchObject({
      status: 202,
    });
  });
});
