import http from "node:http";
import https from "node:https";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mockService } from "@/server/adapters/connectors/mock/mock-service";
import { sessionTenant } from "@/server/adapters/connectors/mock/sandbox";
import type { Database } from "@/server/adapters/prisma";
import { ensureDemoConnectors } from "@/server/domain/connector/connectors";
import type { Engine } from "@/server/engine/engine";
import { allowLoopback } from "@/server/testing/egress";
import { engineFor, tickToEnd } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let viewer: Awaited<ReturnType<typeof makeUser>>;
let outsider: Awaited<ReturnType<typeof makeUser>>;
/** A failing "real" billing system: every request answered 500, each connection counted. */
let server: net.Server;
let port = 0;
let connections = 0;
const sockets = new Set<net.Socket>();

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);

const FLOW = `flow: from-run
version: 1.0.0
trigger:
  manual: {}
inputs:
  email: { type: string }
steps:
  - id: create
    uses: crm.contact.create@1
    retry: { max: 0 }
    with: { email: "\${{ inputs.email }}", firstName: Ada }
  - id: triage
    uses: agent.classify@1
    needs: [create]
    retry: { max: 0 }
    with:
      text: My invoice was charged twice
      labels: [billing, technical, sales]
  - id: account
    uses: billing.account.get@1
    needs: [triage]
    retry: { max: 0 }
    with: { accountId: ACC-5521 }
`;

/** The run `runId` ticked to its end by this file's engine. */
const untilEnd = (runId: string) => tickToEnd(engine, runId);

async function stepsOf(runId: string) {
  const attempts = await engine.deps.store.listAttempts(runId);
  return Object.fromEntries(attempts.map((a) => [a.stepId, a]));
}

const crmEmails = (tenant: string) =>
  [...mockService().state("crm", tenant).contacts.values()].map((c) => c.email);

function spyOnEverything() {
  const calls: string[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push(`${name} ${String(args[0])}`);
      throw new Error(`${name} was called by a sandbox run`);
    };
  const spies = [
    vi.spyOn(globalThis, "fetch").mockImplementation(record("fetch") as typeof fetch),
    vi.spyOn(http, "request").mockImplementation(record("http.request") as never),
    vi.spyOn(https, "request").mockImplementation(record("https.request") as never),
    vi.spyOn(net, "connect").mockImplementation(record("net.connect") as never),
    vi.spyOn(net, "createConnection").mockImplementation(record("net.createConnection") as never),
  ];
  return { calls, restore: () => spies.forEach((s) => s.mockRestore()) };
}

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "from-run");
  viewer = await makeUser(db.prisma, "from-run-viewer");
  outsider = await makeUser(db.prisma, "from-run-outsider");
  await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");
  await ensureDemoConnectors(db.prisma, owner.workspace.id);
  server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const body = '{"error":"billing is down"}';
    socket.end(
      `HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as net.AddressInfo).port;
  await allowLoopback(db.prisma, owner.workspace.id);
  await db.prisma.connector.updateMany({
    where: { workspaceId: owner.workspace.id, system: "billing" },
    data: { baseUrl: `http://127.0.0.1:${port}` },
  });
  engine = engineFor(db);
});
afterAll(async () => {
  vi.restoreAllMocks();
  for (const socket of sockets) socket.destroy();
  await new Promise((r) => server?.close(r));
  await db?.close();
});

describe("sandbox.fromRun: a failed run copied into a session", () => {
  it("re-runs with the run's recorded answers, and no call leaves the process", async () => {
    // 1. An ordinary run that fails at the real (failing) billing system.
    const wf = await api().workflow.create({ name: "from-run", dsl: FLOW });
    const email = "copied@example.com";
    const started = await api().run.start({ workflowId: wf.id, draft: true, inputs: { email } });
    const failed = await untilEnd(started.id);
    expect(failed.status).toBe("failed");
    expect(connections).toBeGreaterThan(0);
    const original = await stepsOf(failed.id);
    expect(original.create?.status).toBe("succeeded");
    expect(original.triage?.status).toBe("succeeded");
    expect(original.account?.status).toBe("failed");
    expect(crmEmails(owner.workspace.id)).toContain(email);

    // 2. Copied into a new session: inputs, connector answers, model answers.
    const copied = await api().sandbox.fromRun({ runId: failed.id });
    expect(copied).toMatchObject({
      workflowId: wf.id,
      version: failed.version,
      inputs: { email },
      answers: { connector: 2, model: 1, skipped: 0 },
    });
    const session = await api().sandbox.get({ id: copied.sessionId });
    expect(session).toMatchObject({ status: "open", createdBy: owner.user.id });
    const script = await api().scriptedModel.get({ id: copied.scriptedModelId! });
    expect(script.recorded).toHaveLength(1);
    expect(script.recorded[0]).toMatchObject({ repetition: 1, model: "trustflow-demo" });
    // Changing the recorded model answer shows that the session's agent step is answered
    // from the script (the demo model would answer as before).
    const answer = JSON.parse(script.recorded[0]!.content) as { label: string };
    const other = ["billing", "technical", "sales"].find((l) => l !== answer.label)!;
    await api().scriptedModel.update({
      id: script.id,
      recorded: [{ ...script.recorded[0]!, content: JSON.stringify({ ...answer, label: other }) }],
    });

    // 3. Re-run in the session: the same connector answers, nothing leaves the process.
    connections = 0;
    const spy = spyOnEverything();
    let rerun;
    try {
      const again = await api().run.start({
        workflowId: copied.workflowId!,
        draft: true,
        inputs: copied.inputs,
        sandboxSessionId: copied.sessionId,
      });
      rerun = await untilEnd(again.id);
    } finally {
      spy.restore();
    }
    expect(spy.calls).toEqual([]);
    expect(connections).toBe(0);
    expect(rerun.status).toBe("failed");
    expect(rerun.sandboxSessionId).toBe(copied.sessionId);
    const replayed = await stepsOf(rerun.id);
    // The CRM write was answered from the record: the same output, the session's mock untouched.
    expect(replayed.create?.status).toBe("succeeded");
    expect(replayed.create?.output).toEqual(original.create?.output);
    expect(crmEmails(sessionTenant(copied.sessionId))).not.toContain(email);
    // The billing failure is the same error (the session's own mock would have succeeded).
    expect(replayed.account?.status).toBe("failed");
    expect(replayed.account?.error?.message).toBe(original.account?.error?.message);
    expect(replayed.account?.error?.classification).toEqual(
      original.account?.error?.classification,
    );
    expect(replayed.account?.error?.detail).toMatchObject({ replayed: true });
    // The agent step was answered by the session's scripted model.
    expect(replayed.triage?.status).toBe("succeeded");
    expect((replayed.triage?.output as { label: string }).label).toBe(other);

    // 4. A call no answer matches (another email) goes to the session's mocks, as usual.
    const third = await api().run.start({
      workflowId: wf.id,
      draft: true,
      inputs: { email: "fresh@example.com" },
      sandboxSessionId: copied.sessionId,
    });
    const fresh = await untilEnd(third.id);
    expect(crmEmails(sessionTenant(copied.sessionId))).toContain("fresh@example.com");
    expect((await stepsOf(fresh.id)).account?.error?.message).toBe(
      original.account?.error?.message,
    );
    const ledger = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: copied.sessionId },
      select: { action: true },
      orderBy: { seq: "asc" },
    });
    expect(ledger.map((e) => e.action)).toEqual(["sandbox.create", "sandbox.from_run"]);
  });

  it("refuses viewers, other workspaces' runs and bad ids, creating nothing", async () => {
    const wf = await api().workflow.create({ name: "from-run-refused", dsl: FLOW });
    const started = await api().run.start({
      workflowId: wf.id,
      draft: true,
      inputs: { email: "refused@example.com" },
    });
    const run = await untilEnd(started.id);
    const before = await db.prisma.sandboxSession.count();
    await expect(
      callerFor(db.prisma, viewer.user, owner.workspace.id).sandbox.fromRun({ runId: run.id }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      callerFor(db.prisma, outsider.user, outsider.workspace.id).sandbox.fromRun({
        runId: run.id,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api().sandbox.fromRun({ runId: "not-a-uuid" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await db.prisma.sandboxSession.count()).toBe(before);
  });
});
