import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import type { Database } from "@/server/adapters/prisma";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { servicesFor } from "@/server/testing/services";
import { engineFor, watchRunEnds } from "@/server/testing/engine";

let db: Database;
let worker: EmbeddedWorker;
let owner: Awaited<ReturnType<typeof makeUser>>;
/** A member of group finance: decides the owner's runs (the owner never decides their own). */
let decider: Awaited<ReturnType<typeof makeUser>>;
let ends: ReturnType<typeof watchRunEnds>;

const FLOW = `flow: approve-it
version: 1.0.0
sla: T2
trigger:
  manual: {}
inputs:
  amount: { type: number }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { double: double(inputs.amount) * 2.0 }
  - id: ok
    uses: human.approval@1
    needs: [calc]
    with:
      approvers: { group: finance }
      message: Approve?
outputs:
  double: \${{ steps.calc.output.double }}
`;

beforeAll(async () => {
  ends = watchRunEnds();
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "runner");
  // FLOW addresses `group: finance`: draft runs are checked against the workspace's groups.
  const finance = await callerFor(db.prisma, owner.user, owner.workspace.id).group.create({
    name: "finance",
  });
  decider = await makeUser(db.prisma, "decider");
  await addMembership(db.prisma, decider.user.id, owner.workspace.id, "approver");
  await callerFor(db.prisma, owner.user, owner.workspace.id).group.addMember({
    groupId: finance.id,
    userId: decider.user.id,
  });
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

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not reached");
}

describe("runs through tRPC and the embedded worker", () => {
  it("starts a run, parks on an approval, resumes it, and writes the ledger", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Approve it", dsl: FLOW });
    const started = await api.run.start({ workflowId: wf.id, draft: true, inputs: { amount: 21 } });
    expect(started).toMatchObject({ status: "queued", version: "draft" });
    const waiting = await until(
      () => api.run.get({ id: started.id }),
      (r) => r.status === "waiting",
    );
    expect(waiting.attempts.map((a) => [a.stepId, a.status])).toEqual([
      ["calc", "succeeded"],
      ["ok", "waiting"],
    ]);
    const asDecider = callerFor(db.prisma, decider.user, owner.workspace.id);
    await asDecider.run.resume({
      runId: started.id,
      stepId: "ok",
      decision: "approve",
      comment: "fine",
    });
    // The run-end notification comes after the final checkpoint and the ledger entry.
    expect((await ends.ended(started.id)).status).toBe("succeeded");
    const done = await api.run.get({ id: started.id });
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ double: 42 });
    expect(done.events.map((e) => e.type)).toContain("step.resumed");
    const list = await api.run.list({ workflowId: wf.id });
    expect(list.items.map((r) => r.id)).toEqual([started.id]);
    // The run's end reaches the ledger right after the run's final checkpoint.
    const actions = (
      await db.prisma.auditEntry.findMany({
        where: { workspaceId: owner.workspace.id },
        orderBy: { seq: "asc" },
      })
    ).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(["run.start", "run.step.approve", "run.succeeded"]),
    );
    await expect(api.audit.verify()).resolves.toMatchObject({ ok: true });
  });

  it("refuses flows that do not compile and inputs that do not match", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const bad = await api.workflow.create({
      name: "Broken",
      dsl: "flow: x\nversion: 1.0.0\nsteps:\n  - id: a\n    uses: nope.block@1\n",
    });
    await expect(api.run.start({ workflowId: bad.id, draft: true })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/does not compile/),
    });
    const good = await api.workflow.create({
      name: "Typed",
      dsl: FLOW.replace("approve-it", "typed"),
    });
    await expect(
      api.run.start({ workflowId: good.id, draft: true, inputs: { amount: "lots" } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("returns the agent usage of each attempt with the run", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({
      name: "Usage",
      dsl: FLOW.replace("approve-it", "usage"),
    });
    const started = await api.run.start({ workflowId: wf.id, draft: true, inputs: { amount: 2 } });
    await db.prisma.agentUsage.create({
      data: {
        workspaceId: owner.workspace.id,
        runId: started.id,
        stepId: "calc",
        attempt: 1,
        flowName: "usage",
        model: "small",
        tokensIn: 10,
        tokensOut: 5,
        costUsd: "0.0015",
      },
    });
    const run = await api.run.get({ id: started.id });
    expect(run.agentUsage).toEqual([
      {
        stepId: "calc",
        attempt: 1,
        model: "small",
        label: "small",
        tokensIn: 10,
        tokensOut: 5,
        costUsd: 0.0015,
      },
    ]);
    await api.run.cancel({ id: started.id });
  });

  it("cancels a waiting run", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({
      name: "Cancel me",
      dsl: FLOW.replace("approve-it", "cancel-me"),
    });
    const started = await api.run.start({ workflowId: wf.id, draft: true, inputs: { amount: 1 } });
    await until(
      () => api.run.get({ id: started.id }),
      (r) => r.status === "waiting",
    );
    await expect(api.run.cancel({ id: started.id })).resolves.toMatchObject({
      status: "cancelled",
    });
    await expect(api.run.cancel({ id: started.id })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      api.run.resume({ runId: started.id, stepId: "ok", decision: "approve" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
