import http from "node:http";
import https from "node:https";
import net from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { mockService } from "@/server/adapters/connectors/mock/mock-service";
import { runTenant, sessionTenant } from "@/server/adapters/connectors/mock/sandbox";
import type { Database } from "@/server/adapters/prisma";
import { ensureDemoConnectors } from "@/server/domain/connector/connectors";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine } from "@/server/engine/engine";
import { allowLoopback } from "@/server/testing/egress";
import { engineFor, runToEnd, tickToEnd, type FlowIr } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { sweepExpiredSessions } from "./sessions";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let stranger: Awaited<ReturnType<typeof makeUser>>;
/** A loopback TCP server counting every connection made to it. */
let server: net.Server;
let port = 0;
let connections = 0;
const sockets = new Set<net.Socket>();

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const strangerApi = () => callerFor(db.prisma, stranger.user, owner.workspace.id);

/** Writes one contact to the CRM and reads a seeded contact and billing account. */
const WRITES = (email: string) => `flow: sbx-writes
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: create
    uses: crm.contact.create@1
    retry: { max: 0 }
    with: { email: ${email}, firstName: Ada, lastName: Lovelace }
  - id: contact
    uses: crm.contact.get@1
    needs: [create]
    retry: { max: 0 }
    with: { id: CON-1042 }
  - id: account
    uses: billing.account.get@1
    needs: [create]
    retry: { max: 0 }
    with: { accountId: ACC-5521 }
`;

/** Every kind of outbound step: CRM, Billing, http.request and an agent. */
const EVERYTHING = (
  url: string,
  sandbox: boolean,
  email = "everything@example.com",
) => `flow: sbx-everything
version: 1.0.0
${sandbox ? "sandbox: true\n" : ""}trigger:
  manual: {}
steps:
  - id: crm
    uses: crm.contact.create@1
    retry: { max: 0 }
    with: { email: ${email} }
  - id: billing
    uses: billing.account.get@1
    retry: { max: 0 }
    with: { accountId: ACC-5521 }
  - id: web
    uses: http.request@1
    retry: { max: 0 }
    with: { url: "${url}", method: GET }
  - id: triage
    uses: agent.classify@1
    retry: { max: 0 }
    with:
      text: My invoice was charged twice
      labels: [billing, technical, sales]
`;

function ir(text: string): FlowIr {
  const r = compileFlow(text);
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.ir;
}

/** The run `runId` ticked to its end by this file's engine. */
const untilEnd = (runId: string) => tickToEnd(engine, runId);

/** Each step's final status, output and error message, ids and timestamps masked. */
async function stepsOf(runId: string) {
  const attempts = await engine.deps.store.listAttempts(runId);
  const last = new Map<string, (typeof attempts)[number]>();
  for (const a of attempts) {
    const prior = last.get(a.stepId);
    if (!prior || a.attempt > prior.attempt) last.set(a.stepId, a);
  }
  const masked = JSON.stringify(
    [...last.values()]
      .sort((a, b) => a.stepId.localeCompare(b.stepId))
      .map((a) => ({
        step: a.stepId,
        status: a.status,
        output: a.output,
        error: a.error?.message,
      })),
  )
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>");
  return JSON.parse(masked) as { step: string; status: string; output: unknown; error?: string }[];
}

async function startIn(sessionId: string | undefined, dsl: string) {
  const wf = await api().workflow.create({ name: `Flow ${Math.random()}`, dsl });
  const started = await api().run.start({
    workflowId: wf.id,
    draft: true,
    ...(sessionId ? { sandboxSessionId: sessionId } : {}),
  });
  return untilEnd(started.id);
}

const crmEmails = (tenant: string) =>
  [...mockService().state("crm", tenant).contacts.values()].map((c) => c.email);

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "sandboxer");
  stranger = await makeUser(db.prisma, "stranger");
  await addMembership(db.prisma, stranger.user.id, owner.workspace.id, "editor");
  // The workspace has real connectors: the demo ones (its own mock tenant) and a billing
  // connector to the loopback server, which an ordinary run would reach.
  await ensureDemoConnectors(db.prisma, owner.workspace.id);
  server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.end("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
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
beforeEach(() => {
  connections = 0;
});

describe("sandbox sessions", () => {
  it("keeps each session's mock writes to itself, away from the workspace's tenant", async () => {
    const a = await api().sandbox.create({ name: "A" });
    const b = await api().sandbox.create({ name: "B" });
    expect(a).toMatchObject({ status: "open", seed: 20261122, sharedWith: [] });
    const runA = await startIn(a.id, WRITES("in-a@example.com"));
    const runB = await startIn(b.id, WRITES("in-b@example.com"));
    expect(runA.status).toBe("succeeded");
    expect(runB.status).toBe("succeeded");
    expect(runA.sandboxSessionId).toBe(a.id);
    expect(crmEmails(sessionTenant(a.id))).toContain("in-a@example.com");
    expect(crmEmails(sessionTenant(a.id))).not.toContain("in-b@example.com");
    expect(crmEmails(sessionTenant(b.id))).toContain("in-b@example.com");
    expect(crmEmails(sessionTenant(b.id))).not.toContain("in-a@example.com");
    const workspace = crmEmails(owner.workspace.id);
    expect(workspace).not.toContain("in-a@example.com");
    expect(workspace).not.toContain("in-b@example.com");
    // Billing went to the session's mock, not to the configured loopback connector.
    expect(connections).toBe(0);
    const entries = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: a.id },
      select: { action: true },
    });
    expect(entries.map((e) => e.action)).toEqual(["sandbox.create"]);
  });

  it("gives byte-identical step outputs for the same seed and fault profile", async () => {
    const faultProfile = { billing: [{ operation: "account.get", latencyMs: 1 }] };
    const one = await api().sandbox.create({ name: "one", seed: 99, faultProfile });
    const two = await api().sandbox.create({ name: "two", seed: 99, faultProfile });
    const other = await api().sandbox.create({ name: "other", seed: 100, faultProfile });
    const r1 = await startIn(one.id, WRITES("same@example.com"));
    const r2 = await startIn(two.id, WRITES("same@example.com"));
    const r3 = await startIn(other.id, WRITES("same@example.com"));
    const s1 = await stepsOf(r1.id);
    expect(s1.map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(await stepsOf(r2.id)).toEqual(s1);
    // Another seed is another dataset: the seeded records differ.
    expect(await stepsOf(r3.id)).not.toEqual(s1);
  });

  it("fails the run of the session whose fault profile says so, not the other's", async () => {
    const faulty = await api().sandbox.create({
      name: "faulty",
      faultProfile: { crm: [{ operation: "crm.contact.create", errorRate: 1, status: 500 }] },
    });
    const healthy = await api().sandbox.create({ name: "healthy" });
    const bad = await startIn(faulty.id, WRITES("fault@example.com"));
    const good = await startIn(healthy.id, WRITES("fault@example.com"));
    expect(bad.status).toBe("failed");
    expect((await stepsOf(bad.id)).find((s) => s.step === "create")).toMatchObject({
      status: "failed",
    });
    expect(good.status).toBe("succeeded");
    expect(crmEmails(sessionTenant(healthy.id))).toContain("fault@example.com");
  });

  describe("no call leaves the process", () => {
    function spyOnEverything() {
      const calls: string[] = [];
      const record =
        (name: string) =>
        (...args: unknown[]) => {
          calls.push(
            `${name} ${String(args[0] instanceof Object ? JSON.stringify(args[0]) : args[0])}`,
          );
          throw new Error(`${name} was called by a sandbox run`);
        };
      const spies = [
        vi.spyOn(globalThis, "fetch").mockImplementation(record("fetch") as typeof fetch),
        vi.spyOn(http, "request").mockImplementation(record("http.request") as never),
        vi.spyOn(http, "get").mockImplementation(record("http.get") as never),
        vi.spyOn(https, "request").mockImplementation(record("https.request") as never),
        vi.spyOn(https, "get").mockImplementation(record("https.get") as never),
        vi.spyOn(net, "connect").mockImplementation(record("net.connect") as never),
        vi
          .spyOn(net, "createConnection")
          .mockImplementation(record("net.createConnection") as never),
      ];
      return { calls, restore: () => spies.forEach((s) => s.mockRestore()) };
    }

    it("an ordinary run of the same flow does reach the loopback server (the control)", async () => {
      await startIn(
        undefined,
        EVERYTHING(`https://127.0.0.1:${port}/x`, false, "control@example.com"),
      );
      // The billing connector (plain http) and http.request (a TLS handshake that fails) both
      // connected: the counter sees what a sandbox run must not do.
      expect(connections).toBeGreaterThanOrEqual(2);
      // The ordinary run wrote to the workspace's own mock tenant (its demo CRM connector).
      expect(crmEmails(owner.workspace.id)).toContain("control@example.com");
    });

    it("a run in a session: mocks and the demo model only, http.request refused", async () => {
      const session = await api().sandbox.create({ name: "sealed" });
      const spy = spyOnEverything();
      let run;
      try {
        run = await startIn(session.id, EVERYTHING(`https://127.0.0.1:${port}/x`, false));
      } finally {
        spy.restore();
      }
      expect(spy.calls).toEqual([]);
      expect(connections).toBe(0);
      const steps = await stepsOf(run.id);
      const by = Object.fromEntries(steps.map((s) => [s.step, s]));
      expect(by.crm).toMatchObject({ status: "succeeded", output: { created: true } });
      expect(by.billing).toMatchObject({ status: "succeeded", output: { accountId: "ACC-5521" } });
      expect(by.triage?.status).toBe("succeeded");
      expect(by.web).toMatchObject({ status: "failed" });
      expect(by.web?.error).toContain("a sandbox run makes no outbound calls");
      // Refused once: the error is not retryable.
      const attempts = await engine.deps.store.listAttempts(run.id);
      expect(attempts.filter((a) => a.stepId === "web")).toHaveLength(1);
      expect(crmEmails(sessionTenant(session.id))).toContain("everything@example.com");
    });

    it("a `sandbox: true` flow without a session runs on its own tenant the same way", async () => {
      const spy = spyOnEverything();
      let run;
      try {
        run = await runToEnd(engine, {
          workspaceId: owner.workspace.id,
          ir: ir(EVERYTHING(`https://127.0.0.1:${port}/x`, true)),
          ticks: 60,
        });
      } finally {
        spy.restore();
      }
      expect(spy.calls).toEqual([]);
      expect(connections).toBe(0);
      const by = Object.fromEntries((await stepsOf(run.id)).map((s) => [s.step, s]));
      expect(by.crm?.status).toBe("succeeded");
      expect(by.billing?.status).toBe("succeeded");
      expect(by.triage?.status).toBe("succeeded");
      expect(by.web?.error).toContain("a sandbox run makes no outbound calls");
      expect(crmEmails(runTenant(run.id))).toContain("everything@example.com");
      expect(crmEmails(owner.workspace.id)).not.toContain("everything@example.com");
    });
  });

  it("keeps sub-flows in the sandbox of their parent (a session, or a `sandbox: true` run)", async () => {
    const child = `flow: sbx-child
version: 1.0.0
trigger:
  manual: {}
inputs:
  email: { type: string }
steps:
  - id: write
    uses: crm.contact.create@1
    retry: { max: 0 }
    with:
      email: \${{ inputs.email }}
`;
    const wf = await api().workflow.create({ name: "sbx-child", dsl: child });
    await api().workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: child });
    const parent = (sandbox: boolean, email: string) => `flow: sbx-parent
version: 1.0.0
${sandbox ? "sandbox: true\n" : ""}trigger:
  manual: {}
steps:
  - id: call
    uses: control.subflow@1
    with:
      flow: sbx-child@1
      inputs: { email: ${email} }
`;
    const session = await api().sandbox.create({ name: "nested" });
    const inSession = await startIn(session.id, parent(false, "child-in-session@example.com"));
    expect(inSession.status).toBe("succeeded");
    expect(crmEmails(sessionTenant(session.id))).toContain("child-in-session@example.com");

    const flagged = await runToEnd(engine, {
      workspaceId: owner.workspace.id,
      ir: ir(parent(true, "child-of-flagged@example.com")),
      ticks: 60,
    });
    expect(flagged.status).toBe("succeeded");
    expect(crmEmails(runTenant(flagged.id))).toContain("child-of-flagged@example.com");
    const workspace = crmEmails(owner.workspace.id);
    expect(workspace).not.toContain("child-in-session@example.com");
    expect(workspace).not.toContain("child-of-flagged@example.com");
  });

  it("hides a session from members it is not shared with, until it is shared", async () => {
    const session = await api().sandbox.create({ name: "mine" });
    await expect(strangerApi().sandbox.get({ id: session.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect((await strangerApi().sandbox.list()).map((s) => s.id)).not.toContain(session.id);
    const wf = await strangerApi().workflow.create({ name: "Stranger", dsl: WRITES("s@x.io") });
    await expect(
      strangerApi().run.start({ workflowId: wf.id, draft: true, sandboxSessionId: session.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(strangerApi().sandbox.close({ id: session.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // Only members of the workspace can be named.
    await expect(
      api().sandbox.share({ id: session.id, sharedWith: [owner.user.id, stranger.workspace.id] }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });

    await api().sandbox.share({ id: session.id, sharedWith: [stranger.user.id] });
    expect((await strangerApi().sandbox.get({ id: session.id })).name).toBe("mine");
    const started = await strangerApi().run.start({
      workflowId: wf.id,
      draft: true,
      sandboxSessionId: session.id,
    });
    expect((await untilEnd(started.id)).status).toBe("succeeded");
    // Shared is not owned: the stranger cannot re-share or close it.
    await expect(
      strangerApi().sandbox.share({ id: session.id, sharedWith: "workspace" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    const actions = await db.prisma.auditEntry.findMany({
      where: { subjectId: session.id },
      orderBy: { seq: "asc" },
      select: { action: true },
    });
    expect(actions.map((a) => a.action)).toEqual(["sandbox.create", "sandbox.share"]);
  });

  it("closing or expiring a session drops its mock state and refuses new runs", async () => {
    const closing = await api().sandbox.create({ name: "closing" });
    const expiring = await api().sandbox.create({ name: "expiring", ttlMs: 60_000 });
    await startIn(closing.id, WRITES("gone@example.com"));
    await startIn(expiring.id, WRITES("gone@example.com"));
    expect(mockService().hasTenant(sessionTenant(closing.id))).toBe(true);
    expect(mockService().hasTenant(sessionTenant(expiring.id))).toBe(true);

    expect((await api().sandbox.close({ id: closing.id })).status).toBe("closed");
    expect(mockService().hasTenant(sessionTenant(closing.id))).toBe(false);

    const swept = await sweepExpiredSessions(db.prisma, {
      ...servicesFor(db).sandbox,
      now: () => Date.now() + 120_000,
    });
    expect(swept).toContain(expiring.id);
    expect(swept).not.toContain(closing.id);
    expect(mockService().hasTenant(sessionTenant(expiring.id))).toBe(false);

    const wf = await api().workflow.create({ name: "After", dsl: WRITES("late@example.com") });
    for (const id of [closing.id, expiring.id]) {
      await expect(
        api().run.start({ workflowId: wf.id, draft: true, sandboxSessionId: id }),
      ).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    }
    expect(mockService().hasTenant(sessionTenant(closing.id))).toBe(false);
    const listed = await api().sandbox.list({ includeClosed: true });
    expect(listed.find((s) => s.id === expiring.id)?.status).toBe("closed");
    expect((await api().sandbox.list()).map((s) => s.id)).not.toContain(closing.id);
  });
});
