/**
 * A sandbox session's mock state after a restart (issue 16): the state lives in the process's
 * mock services, so a restart loses it. A session whose runs changed it is then marked "state
 * lost" (API, run error) and refuses new runs with "fork again"; a session whose runs only read
 * goes on (its state forks again identically). The restart is played by dropping the session's
 * tenant from the mock services, as a fresh process would not hold it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockService } from "@/server/adapters/connectors/mock/mock-service";
import { sessionTenant } from "@/server/adapters/connectors/mock/sandbox";
import type { Database } from "@/server/adapters/prisma";
import type { Engine } from "@/server/engine/engine";
import { engineFor, tickToEnd } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { STATE_LOST_MESSAGE } from "./session-state";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);

const WRITE = `flow: sbx-state-write
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: create
    uses: crm.contact.create@1
    retry: { max: 0 }
    with: { email: kept@example.com, firstName: Ada }
`;
const READ = `flow: sbx-state-read
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: account
    uses: billing.account.get@1
    retry: { max: 0 }
    with: { accountId: ACC-5521 }
`;

async function startIn(sessionId: string, dsl: string) {
  const wf = await api().workflow.create({ name: `Flow ${crypto.randomUUID()}`, dsl });
  const started = await api().run.start({
    workflowId: wf.id,
    draft: true,
    sandboxSessionId: sessionId,
  });
  return tickToEnd(engine, started.id);
}

/** What a restarted process holds of a session's mock state: nothing. */
const restart = (sessionId: string) => mockService().dropTenant(sessionTenant(sessionId));

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "state-keeper");
  engine = engineFor(db);
});
afterAll(async () => {
  await db?.close();
});

describe("a sandbox session's mock state after a restart", () => {
  it("is said to be lost when the session's runs had changed it: runs refused, fork again", async () => {
    const s = await api().sandbox.create({ name: "changed" });
    expect((await startIn(s.id, READ)).status).toBe("succeeded");
    // Reads change nothing: no record yet.
    expect(await db.prisma.sandboxSessionState.count({ where: { sessionId: s.id } })).toBe(0);
    expect((await startIn(s.id, WRITE)).status).toBe("succeeded");
    const row = await db.prisma.sandboxSessionState.findUniqueOrThrow({
      where: { sessionId: s.id },
    });
    expect(row.dirtyAt).not.toBeNull();
    expect(row.lostAt).toBeNull();

    // A run started before the restart reaches the new process: its connector step fails, saying so.
    const wf = await api().workflow.create({ name: "after restart", dsl: READ });
    const started = await api().run.start({
      workflowId: wf.id,
      draft: true,
      sandboxSessionId: s.id,
    });
    restart(s.id);
    const run = await tickToEnd(engine, started.id);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toBe(STATE_LOST_MESSAGE);
    // The session was not quietly forked again.
    expect(mockService().hasTenant(sessionTenant(s.id))).toBe(false);

    const view = await api().sandbox.get({ id: s.id });
    expect(view.stateLostAt).not.toBeNull();
    expect((await api().sandbox.list()).find((x) => x.id === s.id)?.stateLostAt).not.toBeNull();
    // New runs (and suites) in it are refused with the same message, nothing started.
    const runsBefore = await db.prisma.run.count({ where: { sandboxSessionId: s.id } });
    await expect(
      api().run.start({ workflowId: wf.id, draft: true, sandboxSessionId: s.id }),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED", message: STATE_LOST_MESSAGE });
    expect(await db.prisma.run.count({ where: { sandboxSessionId: s.id } })).toBe(runsBefore);

    // A fresh copy (same seed) starts clean and runs.
    const copy = await api().sandbox.create({ name: "changed (fresh copy)", seed: view.seed });
    expect(copy.stateLostAt).toBeNull();
    expect((await startIn(copy.id, WRITE)).status).toBe("succeeded");
  });

  it("goes on when the session's runs only read: its state forks again identically", async () => {
    const s = await api().sandbox.create({ name: "read only" });
    const first = await startIn(s.id, READ);
    restart(s.id);
    const second = await startIn(s.id, READ);
    expect(second.status).toBe("succeeded");
    expect(second.output).toEqual(first.output);
    expect((await api().sandbox.get({ id: s.id })).stateLostAt).toBeNull();
  });
});
