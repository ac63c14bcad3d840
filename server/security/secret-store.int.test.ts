import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultKeyring } from "@/server/adapters/connectors/credentials";
import { keyringVault } from "@/server/adapters/connectors/vault";
import { serverEgressGuard } from "@/server/adapters/egress/server-guard";
import type { Database } from "@/server/adapters/prisma";
import { SECRETS_PER_WORKSPACE } from "@/server/domain/secret/schemas";
import { secretAad, workspaceSecretsLoader } from "@/server/domain/secret/secrets";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { REDACTED } from "@/server/engine/redact";
import { engineFor, runToEnd } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { captureLogs } from "@/server/testing/logs";
import { openTestDatabase } from "@/server/testing/test-database";

/**
 * The workspace secret store: `secrets.<name>` reaches the step that reads it, and the value is
 * stored and shown nowhere (attempts, outputs, errors, events, run, dead letters, ledger, logs,
 * the list API); viewers cannot set; another workspace cannot read.
 */
const SECRET = "sk_live_7Hq2mZ9vX4pL8rT1wN6y";

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
let receiver: Server;
let receiverUrl: string;
const received: { authorization?: string; body: string }[] = [];
const { logger: log, lines: logLines } = captureLogs();

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "secret-store");
  // A partner API that echoes what it was sent: /echo answers 200, /reject answers 400 with it.
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ authorization: req.headers.authorization, body });
      res.writeHead(req.url === "/reject" ? 400 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ echoed: req.headers.authorization ?? null, body }));
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, "127.0.0.1", ok));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((ok) => receiver?.close(ok));
  await db?.close();
});

/** Everything of a workspace a secret could leak into, as one text. */
async function everything(workspaceId: string): Promise<string> {
  const runs = await db.prisma.run.findMany({ where: { workspaceId } });
  const ids = runs.map((r) => r.id);
  return JSON.stringify(
    {
      runs,
      attempts: await db.prisma.stepAttempt.findMany({ where: { runId: { in: ids } } }),
      events: await db.prisma.runEvent.findMany({ where: { runId: { in: ids } } }),
      stepLogs: await db.prisma.runStepLog.findMany({ where: { runId: { in: ids } } }),
      tasks: await db.prisma.runTask.findMany({ where: { runId: { in: ids } } }),
      deadLetters: await db.prisma.deadLetter.findMany({ where: { runId: { in: ids } } }),
      audit: await db.prisma.auditEntry.findMany({ where: { workspaceId } }),
      secrets: await db.prisma.workspaceSecret.findMany({ where: { workspaceId } }),
      logs: logLines,
    },
    (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v),
  );
}

// The receiver's URL arrives as an input: a literal plain-http URL is refused at compile time.
const FLOW = `flow: uses-secret
version: 1.0.0
sla: T2
inputs:
  base: { type: string }
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields:
        auth: "'Bearer ' + secrets.apiKey"
        length: "size(secrets.apiKey)"
  - id: call
    uses: http.request@1
    needs: [shape]
    retry: { max: 0 }
    with:
      method: POST
      url: \${{ inputs.base + "/echo" }}
      headers: { authorization: "Bearer \${{ secrets.apiKey }}" }
      body: { token: "\${{ secrets.apiKey }}" }
  - id: refused
    uses: http.request@1
    needs: [call]
    retry: { max: 0 }
    with:
      method: POST
      url: \${{ inputs.base + "/reject" }}
      body: { token: "\${{ secrets.apiKey }}" }
outputs:
  auth: \${{ steps.shape.output.auth }}
  echoed: \${{ steps.call.output.body.echoed }}
`;

describe("secret store", () => {
  it("a secret reaches the step that reads it and is stored and shown nowhere", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const set = await api.secret.set({ name: "apiKey", value: SECRET });
    expect(set).toEqual({
      name: "apiKey",
      hint: `…${SECRET.slice(-4)}`,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    const listed = await api.secret.list();
    expect(listed).toEqual([set]);
    expect(JSON.stringify(listed)).not.toContain(SECRET.slice(0, -4));

    // The receiver is on loopback over plain http: an admin allow-lists it (as a real internal
    // API would be).
    await api.egress.allow({ host: "127.0.0.1", allowHttp: true, allowPrivate: true });
    const flow = compileFlow(FLOW);
    expect(flow.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const engine = engineFor(db, { logger: log, egress: serverEgressGuard(db.prisma) });
    const run = await runToEnd(engine, {
      workspaceId: owner.workspace.id,
      ir: flow.ir!,
      inputs: { base: receiverUrl },
      startedBy: owner.user.email,
      ticks: 50,
    });

    // The runtime got the real value.
    expect(received[0]).toEqual({
      authorization: `Bearer ${SECRET}`,
      body: JSON.stringify({ token: SECRET }),
    });
    // Read through the store: the pure step's attempt is recorded with its checkpoint.
    const attempts = await engine.deps.store.listAttempts(run.id);
    const byStep = Object.fromEntries(attempts.map((a) => [a.stepId, a]));
    // Evaluated with the real value (its length), stored redacted.
    expect(byStep.shape?.output).toEqual({ auth: `Bearer ${REDACTED}`, length: SECRET.length });
    expect(byStep.call?.inputs).toMatchObject({
      headers: { authorization: `Bearer ${REDACTED}` },
      body: { token: REDACTED },
    });
    expect(byStep.call?.output).toMatchObject({ body: { echoed: `Bearer ${REDACTED}` } });
    expect(byStep.refused?.status).toBe("failed");
    expect(byStep.refused?.inputs).toMatchObject({ body: { token: REDACTED } });

    const all = await everything(owner.workspace.id);
    expect(all).not.toContain(SECRET);
    expect(all).toContain(REDACTED);
    expect(logLines.length).toBeGreaterThan(0);

    // The ledger names the secret, never its value or hint.
    const entries = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectType: "secret" },
    });
    expect(entries.map((e) => [e.action, e.payload])).toEqual([
      ["secret.create", { name: "apiKey" }],
    ]);
  });

  it("viewers see names only and cannot set or delete; bad names and values are refused", async () => {
    const viewer = await makeUser(db.prisma, "secret-viewer");
    await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");
    const v = callerFor(db.prisma, viewer.user, owner.workspace.id);
    const before = await db.prisma.workspaceSecret.findMany({
      where: { workspaceId: owner.workspace.id },
    });
    await expect(v.secret.list()).resolves.toEqual([
      expect.objectContaining({ name: "apiKey", hint: `…${SECRET.slice(-4)}` }),
    ]);
    await expect(
      v.secret.set({ name: "apiKey", value: "viewer-overwrite-1" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(v.secret.set({ name: "mine", value: "viewer-new-secret" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(v.secret.delete({ name: "apiKey" })).rejects.toMatchObject({ code: "FORBIDDEN" });

    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    for (const name of ["1abc", "has-dash", "a.b", "x".repeat(65), ""]) {
      await expect(api.secret.set({ name, value: "long-enough-value" })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    }
    await expect(api.secret.set({ name: "short", value: "abc" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/at least 8 characters/),
    });
    await expect(
      api.secret.set({ name: "huge", value: "x".repeat(8 * 1024 + 1) }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/8 KiB/) });
    expect(
      await db.prisma.workspaceSecret.findMany({ where: { workspaceId: owner.workspace.id } }),
    ).toEqual(before);
  });

  it("a workspace holds a bounded number of secrets", async () => {
    const busy = await makeUser(db.prisma, "secret-busy");
    const api = callerFor(db.prisma, busy.user, busy.workspace.id);
    await api.secret.set({ name: "s0", value: "first-secret-value" });
    const sealed = await db.prisma.workspaceSecret.findFirstOrThrow({
      where: { workspaceId: busy.workspace.id },
      select: { ciphertext: true, iv: true, tag: true, keyId: true },
    });
    await db.prisma.workspaceSecret.createMany({
      data: Array.from({ length: SECRETS_PER_WORKSPACE - 1 }, (_, i) => ({
        ...sealed,
        workspaceId: busy.workspace.id,
        name: `s${i + 1}`,
      })),
    });
    await expect(
      api.secret.set({ name: "oneTooMany", value: "one-too-many-value" }),
    ).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/at most 100 secrets \(limit 100\)/),
    });
    expect(
      await db.prisma.workspaceSecret.count({ where: { workspaceId: busy.workspace.id } }),
    ).toBe(SECRETS_PER_WORKSPACE);
    // Replacing one that exists is still allowed.
    await expect(
      api.secret.set({ name: "s0", value: "replaced-secret-value" }),
    ).resolves.toMatchObject({ name: "s0" });
  });

  it("another workspace cannot read, replace or delete the secret", async () => {
    const other = await makeUser(db.prisma, "secret-other");
    const o = callerFor(db.prisma, other.user, other.workspace.id);
    await expect(o.secret.list()).resolves.toEqual([]);
    await expect(o.secret.delete({ name: "apiKey" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // The same name there is another secret.
    await o.secret.set({ name: "apiKey", value: "other-workspace-value" });
    const vault = () => keyringVault(defaultKeyring());
    await expect(workspaceSecretsLoader(db.prisma, vault)(other.workspace.id)).resolves.toEqual({
      apiKey: "other-workspace-value",
    });
    await expect(workspaceSecretsLoader(db.prisma, vault)(owner.workspace.id)).resolves.toEqual({
      apiKey: SECRET,
    });
    // Not through the owner's workspace id either: a member of another workspace is refused.
    await expect(
      callerFor(db.prisma, other.user, owner.workspace.id).secret.list(),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    // A ciphertext copied into another workspace does not decrypt (bound to workspace and name).
    const mine = await db.prisma.workspaceSecret.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, name: "apiKey" },
    });
    expect(() => vault().open(mine, secretAad(other.workspace.id, "apiKey"))).toThrow(
      /integrity check/,
    );
    expect(() => vault().open(mine, secretAad(owner.workspace.id, "otherName"))).toThrow(
      /integrity check/,
    );
    // Deleting is the owner's, and a ledger entry.
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    await expect(api.secret.delete({ name: "apiKey" })).resolves.toEqual({ name: "apiKey" });
    await expect(api.secret.list()).resolves.toEqual([]);
    await expect(o.secret.list()).resolves.toEqual([expect.objectContaining({ name: "apiKey" })]);
  });
});
