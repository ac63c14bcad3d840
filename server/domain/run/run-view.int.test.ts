/**
 * What the run view and the workflows list read, end to end on a database with the embedded
 * worker: a success that dead-lettered a step reads "succeeded with dead letters" everywhere
 * (run.get, run.list and its filter, the webhook's answer), a decision names who decided, and
 * the workflows list has each workflow's publish state, trigger and last run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import { signWebhook } from "@/server/domain/trigger/signature";
import { receiveWebhook, rotateWebhookSecret } from "@/server/domain/trigger/webhooks";
import { engineFor, watchRunEnds } from "@/server/testing/engine";
import { addMembership, adminActor, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { testVault } from "@/server/testing/webhooks";
import { servicesFor } from "@/server/testing/services";

let db: Database;
let worker: EmbeddedWorker;
let owner: Awaited<ReturnType<typeof makeUser>>;
let ends: ReturnType<typeof watchRunEnds>;
const vault = testVault();

/** T1 dead-letters a step that fails for good; `on_error: continue` lets the run go on. */
const DLQ = `flow: over-limit
version: 1.0.0
sla: T1
trigger:
  webhook: {}
inputs:
  amount: { type: number, examples: [500] }
steps:
  - id: limit
    uses: policy.check@1
    on_error: continue
    with:
      rule: double(inputs.amount) < 100.0
      message: The amount is over the limit.
      otherwise: fail
  - id: record
    uses: data.transform@1
    needs: [limit]
    with:
      fields: { ok: "true" }
outputs:
  ok: \${{ steps.record.output.ok }}
`;

const APPROVAL = `flow: approve-view
version: 1.0.0
sla: T2
trigger:
  manual: {}
steps:
  - id: ok
    uses: human.approval@1
    with:
      approvers: { role: approver }
      message: Approve the refund of 120 EUR?
`;

beforeAll(async () => {
  ends = watchRunEnds();
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "viewer-of-runs");
  worker = startEmbeddedWorker(servicesFor(db), {
    engine: engineFor(db),
    pollMs: 20,
  });
});
afterAll(async () => {
  ends?.stop();
  await worker?.stop();
  await db?.close();
});

/** Reads the run once the worker has ended it (the notification follows its final checkpoint). */
async function ended<T>(runId: string, read: () => Promise<T>): Promise<T> {
  await ends.ended(runId);
  return read();
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not reached");
}

describe("a success that dead-lettered a step", () => {
  it("reads 'succeeded with dead letters' in run.get, run.list, its filter and the webhook", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Over limit", dsl: DLQ });

    const over = await api.run.start({ workflowId: wf.id, inputs: { amount: 500 } });
    const clean = await api.run.start({ workflowId: wf.id, inputs: { amount: 5 } });
    const done = await ended(over.id, () => api.run.get({ id: over.id }));
    expect(done.status).toBe("succeeded");
    expect(done.outcome).toBe("succeeded_with_dead_letters");
    expect(done.deadLetters.map((d) => [d.stepId, d.error.message])).toEqual([
      ["limit", "The amount is over the limit."],
    ]);
    expect(done.events.map((e) => e.type)).toContain("step.dead_lettered");
    const ok = await ended(clean.id, () => api.run.get({ id: clean.id }));
    expect(ok.status).toBe("succeeded");
    expect(ok).toMatchObject({ outcome: "succeeded", deadLetters: [] });

    const list = await api.run.list({ workflowId: wf.id });
    expect(
      Object.fromEntries(list.items.map((r) => [r.id, [r.status, r.outcome, r.deadLetters]])),
    ).toEqual({
      [over.id]: ["succeeded", "succeeded_with_dead_letters", 1],
      [clean.id]: ["succeeded", "succeeded", 0],
    });
    // "succeeded" lists clean successes only; the other outcome lists the rest.
    const dead = await api.run.list({ outcome: "succeeded_with_dead_letters" });
    expect(dead.items.map((r) => r.id)).toEqual([over.id]);
    const succeeded = await api.run.list({ workflowId: wf.id, outcome: "succeeded" });
    expect(succeeded.items.map((r) => r.id)).toEqual([clean.id]);
    await expect(api.run.list({ outcome: "partly" as never })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });

    // The webhook's answer says so too.
    const { secret } = await rotateWebhookSecret({ ...servicesFor(db), vault }, adminActor(owner), {
      workflowId: wf.id,
    });
    const body = JSON.stringify({ amount: 700 });
    const answer = await receiveWebhook(
      servicesFor(db),
      {
        workspaceSlug: owner.workspace.slug,
        flowName: "over-limit",
        body,
        signature: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
        deliveryId: "view-1",
        wait: true,
      },
      { vault, cacheMs: 0 },
    );
    expect(answer).toMatchObject({
      status: 200,
      body: {
        status: "succeeded",
        outcome: "succeeded_with_dead_letters",
        deadLetters: 1,
        output: { ok: true },
      },
    });

    // The workflows list: published state, trigger and last run.
    const row = (await api.workflow.list()).find((w) => w.id === wf.id)!;
    expect(row).toMatchObject({
      state: "draft",
      latestVersion: null,
      trigger: { type: "webhook" },
      lastRun: { id: answer.body.runId, outcome: "succeeded_with_dead_letters" },
    });
  });
});

describe("a decision", () => {
  it("names who decided, when, and their comment on the step's resume event", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const approver = await makeUser(db.prisma, "approver");
    await addMembership(db.prisma, approver.user.id, owner.workspace.id, "approver");
    const asApprover = callerFor(db.prisma, approver.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Approve view", dsl: APPROVAL });
    const run = await api.run.start({ workflowId: wf.id });
    const waiting = await until(
      () => api.run.get({ id: run.id }),
      (r) => r.status === "waiting",
    );
    // The banner's message is the waiting attempt's park data.
    expect(waiting.attempts.find((a) => a.stepId === "ok")?.output).toMatchObject({
      message: "Approve the refund of 120 EUR?",
      approvers: { role: "approver" },
    });
    const before = Date.now();
    await asApprover.run.resume({
      runId: run.id,
      stepId: "ok",
      decision: "approve",
      comment: "within budget",
    });
    const done = await ended(run.id, () => api.run.get({ id: run.id }));
    expect(done.status).toBe("succeeded");
    const resumed = done.events.find((e) => e.type === "step.resumed");
    expect(resumed?.data).toMatchObject({
      by: "decision",
      approved: true,
      decidedBy: approver.user.email,
      comment: "within budget",
    });
    expect((resumed?.data as { decidedAt: number }).decidedAt).toBeGreaterThanOrEqual(before);
  });
});

describe("the workflows list", () => {
  it("has the publish state, the current trigger and the last run of each workflow", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({
      name: "States",
      dsl: APPROVAL.replace("approve-view", "states"),
    });
    let row = (await api.workflow.list()).find((w) => w.id === wf.id)!;
    expect(row).toMatchObject({ state: "draft", trigger: { type: "manual" }, lastRun: null });

    const { draft } = await api.workflow.get({ id: wf.id });
    await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: draft });
    row = (await api.workflow.list()).find((w) => w.id === wf.id)!;
    expect(row).toMatchObject({ state: "published", latestVersion: { version: "1.0.0" } });

    // A draft that differs from the version: "changed"; the trigger stays the version's.
    await api.workflow.saveDraft({
      id: wf.id,
      dsl: draft.replace("manual: {}", 'schedule: { cron: "0 9 * * *" }'),
    });
    row = (await api.workflow.list()).find((w) => w.id === wf.id)!;
    expect(row).toMatchObject({ state: "changed", trigger: { type: "manual" } });

    const run = await api.run.start({ workflowId: wf.id });
    row = (await api.workflow.list()).find((w) => w.id === wf.id)!;
    expect(row.lastRun).toMatchObject({ id: run.id, version: "1.0.0" });

    // A draft-only workflow that does not compile says so instead of a trigger.
    const broken = await api.workflow.create({ name: "Broken list", dsl: "flow: [" });
    row = (await api.workflow.list()).find((w) => w.id === broken.id)!;
    expect(row.trigger).toMatchObject({ type: "invalid" });
  });
});
