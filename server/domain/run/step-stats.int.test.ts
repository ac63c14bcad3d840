/**
 * Per-step statistics on PGlite: runs of a flow with a pure step and a CRM read that fails once
 * before it succeeds (a retry) or fails for good (the last failure, with its run); the studio's
 * query answers runs, success rate, p50/p95, retries and the last failure per step, leaves out
 * other flows' and other workspaces' runs, and refuses a workflow outside the workspace.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { NonRetryableError } from "@/server/engine/errors";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { FakeClock } from "@/server/engine/testing/fakes";
import { runOnClock } from "@/server/testing/approvals";
import { engineFor } from "@/server/testing/engine";
import { callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
let owner: TestUser;
let workflowId: string;

const FLOW = `flow: stats-look
version: 1.0.0
sla: T2
inputs:
  id: { type: string }
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields: { id: inputs.id }
  - id: look
    uses: crm.contact.get@1
    needs: [shape]
    retry: { max: 2 }
    with:
      id: \${{ steps.shape.output.id }}
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "stats");
  const seen = new Set<string>();
  const clock = new FakeClock(Date.now() + 1000);
  const engine = engineFor(db, {
    clock,
    runtimes: builtinRuntimes().register("crm.contact.get", {
      execute(req) {
        const id = String(req.inputs.id);
        if (id === "BAD") throw new NonRetryableError(`no contact ${id}`);
        // Each run's first call fails (a retry follows); the second succeeds.
        if (!seen.has(req.run.id)) {
          seen.add(req.run.id);
          throw new Error("the CRM timed out");
        }
        return { id };
      },
    }),
  });
  const api = callerFor(db.prisma, owner.user, owner.workspace.id);
  const wf = await api.workflow.create({ name: "Stats", dsl: FLOW });
  workflowId = wf.id;
  for (const id of ["CON-1", "CON-2", "BAD"]) {
    const r = await api.run.start({ workflowId, draft: true, inputs: { id } });
    await runOnClock(engine, clock, r.id);
  }
});
afterAll(() => db?.close());

describe("per-step statistics", () => {
  it("answers runs, success rate, latency, retries and the last failure per step", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const stats = await api.run.stepStats({ workflowId, days: 7 });
    expect(stats).toMatchObject({ days: 7, runs: 3, capped: false });
    const bad = await db.prisma.run.findFirstOrThrow({
      where: { workflowId, status: "failed" },
    });
    const [look, shape] = [...stats.steps].sort((a, b) => a.stepId.localeCompare(b.stepId));
    expect(shape).toMatchObject({ stepId: "shape", runs: 3, successRate: 1, retries: 0 });
    expect(shape!.lastFailure).toBeNull();
    expect(look).toMatchObject({
      stepId: "look",
      runs: 3,
      successRate: 0.667,
      retries: 2,
      lastFailure: { runId: bad.id, message: "no contact BAD" },
    });
    expect(look!.p50Ms).toBeGreaterThanOrEqual(0);
    expect(look!.p95Ms).toBeGreaterThanOrEqual(look!.p50Ms!);
  });

  it("is the workspace's own: another workspace gets NOT_FOUND, a bad window a clear error", async () => {
    const other = await makeUser(db.prisma, "stats-other");
    const api = callerFor(db.prisma, other.user, other.workspace.id);
    await expect(api.run.stepStats({ workflowId, days: 7 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      callerFor(db.prisma, owner.user, owner.workspace.id).run.stepStats({
        workflowId,
        days: 12 as 7,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const empty = await callerFor(db.prisma, owner.user, owner.workspace.id).workflow.create({
      name: "Never ran",
      dsl: FLOW.replace("stats-look", "never-ran"),
    });
    expect(
      await callerFor(db.prisma, owner.user, owner.workspace.id).run.stepStats({
        workflowId: empty.id,
        days: 30,
      }),
    ).toMatchObject({ runs: 0, steps: [] });
  });
});
