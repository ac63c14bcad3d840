import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockService } from "@/server/adapters/connectors/mock/mock-service";
import { sessionTenant } from "@/server/adapters/connectors/mock/sandbox";
import type { Database } from "@/server/adapters/prisma";
import type { Engine } from "@/server/engine/engine";
import { engineFor, tickToEnd } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { MAX_PIN_BYTES } from "./pins";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let colleague: Awaited<ReturnType<typeof makeUser>>;

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const colleagueApi = () => callerFor(db.prisma, colleague.user, owner.workspace.id);

/** Creates a CRM contact, then echoes its id through a pure step. */
const FLOW = `flow: sbx-pins
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: create
    uses: crm.contact.create@1
    retry: { max: 0 }
    with: { email: pinned@example.com }
  - id: echo
    uses: data.transform@1
    needs: [create]
    with:
      fields: { id: "steps.create.output.id" }
`;

/** The run `runId` ticked to its end by this file's engine. */
const untilEnd = (runId: string) => tickToEnd(engine, runId);

const crmEmails = (sessionId: string) =>
  [...mockService().state("crm", sessionTenant(sessionId)).contacts.values()].map((c) => c.email);

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "pinner");
  colleague = await makeUser(db.prisma, "colleague");
  await addMembership(db.prisma, colleague.user.id, owner.workspace.id, "editor");
  engine = engineFor(db);
});
afterAll(async () => {
  await db?.close();
});

describe("sandbox: pinned outputs in draft runs", () => {
  it("records a pinned step without executing it, only for the pinner, only when asked", async () => {
    const wf = await api().workflow.create({ name: "Pins", dsl: FLOW });
    const first = await api().sandbox.create({ name: "record" });
    const recorded = await untilEnd(
      (await api().run.start({ workflowId: wf.id, dsl: FLOW, sandboxSessionId: first.id })).id,
    );
    expect(recorded.status).toBe("succeeded");
    const attempts = await engine.deps.store.listAttempts(recorded.id);
    const createdId = (attempts.find((a) => a.stepId === "create")!.output as { id: string }).id;
    expect(createdId).toMatch(/^CON-/);

    const pin = await api().sandbox.pinFromRun({
      workflowId: wf.id,
      stepId: "create",
      runId: recorded.id,
    });
    expect(pin).toMatchObject({
      stepId: "create",
      fromRunId: recorded.id,
      output: { id: createdId },
    });
    expect(await api().sandbox.pins({ workflowId: wf.id })).toHaveLength(1);
    // Pins are per user.
    expect(await colleagueApi().sandbox.pins({ workflowId: wf.id })).toEqual([]);

    // A fresh session with the pin: `create` is recorded, not executed (no contact written).
    const second = await api().sandbox.create({ name: "pinned" });
    const pinned = await untilEnd(
      (
        await api().run.start({
          workflowId: wf.id,
          dsl: FLOW,
          sandboxSessionId: second.id,
          usePins: true,
        })
      ).id,
    );
    expect(pinned.status).toBe("succeeded");
    const pinnedAttempts = await engine.deps.store.listAttempts(pinned.id);
    expect(pinnedAttempts.find((a) => a.stepId === "create")).toMatchObject({
      status: "succeeded",
      output: { id: createdId },
      workerId: null,
    });
    expect(pinnedAttempts.find((a) => a.stepId === "echo")?.output).toEqual({ id: createdId });
    expect(crmEmails(second.id)).not.toContain("pinned@example.com");
    const events = await engine.deps.store.listEvents(pinned.id, 0, 200);
    expect(events.filter((e) => e.type === "step.pinned")).toMatchObject([
      { stepId: "create", data: { fromRunId: recorded.id } },
    ]);
    const view = await api().run.get({ id: pinned.id });
    expect(view.events.some((e) => e.type === "step.pinned" && e.stepId === "create")).toBe(true);

    // Without `usePins` the step runs.
    const unpinned = await untilEnd(
      (await api().run.start({ workflowId: wf.id, dsl: FLOW, sandboxSessionId: second.id })).id,
    );
    expect(unpinned.status).toBe("succeeded");
    expect(crmEmails(second.id)).toContain("pinned@example.com");

    // The colleague's draft run with `usePins` has none of the owner's pins: it executes.
    const third = await colleagueApi().sandbox.create({ name: "colleague" });
    const theirs = await untilEnd(
      (
        await colleagueApi().run.start({
          workflowId: wf.id,
          dsl: FLOW,
          sandboxSessionId: third.id,
          usePins: true,
        })
      ).id,
    );
    const theirEvents = await engine.deps.store.listEvents(theirs.id, 0, 200);
    expect(theirEvents.some((e) => e.type === "step.pinned")).toBe(false);
    expect(crmEmails(third.id)).toContain("pinned@example.com");
  });

  it("never pins a real run or a saved version, and refuses bad pins without storing them", async () => {
    const wf = await api().workflow.create({ name: "Pins 2", dsl: FLOW });
    await api().sandbox.setPin({ workflowId: wf.id, stepId: "create", json: '{"id":"CON-1"}' });
    await expect(
      api().run.start({ workflowId: wf.id, dsl: FLOW, usePins: true }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/sandbox session/),
    });
    const session = await api().sandbox.create({ name: "versions" });
    await api().workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: FLOW });
    await expect(
      api().run.start({
        workflowId: wf.id,
        version: "1.0.0",
        sandboxSessionId: session.id,
        usePins: true,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/draft runs/) });
    const before = await db.prisma.run.count({ where: { workflowId: wf.id } });
    expect(before).toBe(0);

    await expect(
      api().sandbox.setPin({
        workflowId: wf.id,
        stepId: "create",
        json: JSON.stringify({ big: "x".repeat(MAX_PIN_BYTES) }),
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/256 KB/) });
    await expect(
      api().sandbox.setPin({ workflowId: wf.id, stepId: "create", json: "{not json" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/not valid JSON/),
    });
    expect(await api().sandbox.pins({ workflowId: wf.id })).toMatchObject([
      { stepId: "create", output: { id: "CON-1" } },
    ]);
    await expect(
      api().sandbox.pinFromRun({
        workflowId: wf.id,
        stepId: "create",
        runId: "00000000-0000-4000-8000-000000000001",
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await api().sandbox.unpin({ workflowId: wf.id, stepId: "create" })).toEqual({
      removed: true,
    });
    expect(await api().sandbox.pins({ workflowId: wf.id })).toEqual([]);
  });
});

describe("sandbox: a session's fault profile and runs", () => {
  it("applies new faults to the session's next call, keeps its data, and lists its runs", async () => {
    const wf = await api().workflow.create({ name: "Faults", dsl: FLOW });
    const session = await api().sandbox.create({ name: "faults" });
    const ok = await untilEnd(
      (await api().run.start({ workflowId: wf.id, dsl: FLOW, sandboxSessionId: session.id })).id,
    );
    expect(ok.status).toBe("succeeded");

    const updated = await api().sandbox.setFaults({
      id: session.id,
      faultProfile: { crm: [{ operation: "contact.create", errorRate: 1, status: 500 }] },
    });
    expect(updated.faultProfile).toEqual({
      crm: [{ operation: "contact.create", errorRate: 1, status: 500 }],
    });
    const failed = await untilEnd(
      (await api().run.start({ workflowId: wf.id, dsl: FLOW, sandboxSessionId: session.id })).id,
    );
    expect(failed.status).toBe("failed");
    // The session's data is kept across the change.
    expect(crmEmails(session.id)).toContain("pinned@example.com");

    // Bad rules and other members are refused; the profile stays.
    await expect(
      api().sandbox.setFaults({
        id: session.id,
        faultProfile: { crm: [{ operation: "*", errorRate: 2 }] },
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await api().sandbox.share({ id: session.id, sharedWith: "workspace" });
    await expect(
      colleagueApi().sandbox.setFaults({ id: session.id, faultProfile: {} }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await api().sandbox.get({ id: session.id })).faultProfile).toEqual(
      updated.faultProfile,
    );

    // Clearing the faults: the next call succeeds.
    await api().sandbox.setFaults({ id: session.id, faultProfile: {} });
    const again = await untilEnd(
      (await api().run.start({ workflowId: wf.id, dsl: FLOW, sandboxSessionId: session.id })).id,
    );
    expect(again.status).toBe("succeeded");

    const runs = await colleagueApi().sandbox.runs({ id: session.id });
    expect(runs.map((r) => r.id)).toEqual([again.id, failed.id, ok.id]);
    expect(runs[0]).toMatchObject({ workflowName: "Faults", draft: true, status: "succeeded" });
    const entries = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: session.id, action: "sandbox.faults" },
    });
    expect(entries).toHaveLength(2);
  });
});
