import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyring } from "@/server/adapters/connectors/credentials";
import {
  startMockServer,
  type RunningMockServer,
} from "@/server/adapters/connectors/mock/node-server";
import { createConnectorRuntime } from "@/server/adapters/connectors/runtime";
import { dbConnectorResolver } from "@/server/adapters/connectors/store";
import { execution } from "@/server/adapters/connectors/testing/harness";
import { keyringVault } from "@/server/adapters/connectors/vault";
import type { Database } from "@/server/adapters/prisma";
import { serverEgressGuard } from "@/server/adapters/egress/server-guard";
import { allowLoopback } from "@/server/testing/egress";
import { addMembership, makeUser } from "@/server/testing/fixtures";
import { callProcedure, generateInputs } from "@/server/testing/procedures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createCallerFactory, createContextInner, router } from "@/server/trpc/init";
import { connectorRouter } from "@/server/trpc/routers/connector";
import type { Actor } from "../types";
import { ensureDemoConnectors, rotateCredentials, setCredential } from "./connectors";

// Mounted here as in root.ts (`connector: connectorRouter`), so the suite runs before it is.
const testRouter = router({ connector: connectorRouter });
const createCaller = createCallerFactory(testRouter);
const callerFor = (
  db: Database,
  user: { id: string; email: string; name: string },
  workspaceId?: string,
) => createCaller(createContextInner({ db: db.prisma, user, workspaceId: workspaceId ?? null }));

let db: Database;
let mock: RunningMockServer;
let admin: Awaited<ReturnType<typeof makeUser>>;
const petstore = readFileSync(
  path.join(process.cwd(), "server/adapters/connectors/testdata/petstore.yaml"),
  "utf8",
);
const SECRET = "sk_live_9f8e7d6c5b4a3210";

beforeAll(async () => {
  db = await openTestDatabase();
  mock = await startMockServer();
  admin = await makeUser(db.prisma, "conn-admin");
  // The mock and the fake servers listen on 127.0.0.1: allowed as an admin would allow a host.
  await allowLoopback(db.prisma, admin.workspace.id);
});
afterAll(async () => {
  await mock?.close();
  await db?.close();
});

const actorOf = (u: typeof admin): Actor => ({
  userId: u.user.id,
  label: u.user.email,
  workspaceId: u.workspace.id,
  role: "admin",
  via: "session",
});

describe("connector procedures", () => {
  it("admins create, update, list and delete; every change is in the ledger", async () => {
    const c = callerFor(db, admin.user);
    const crm = await c.connector.create({
      name: "crm-main",
      system: "crm",
      baseUrl: mock.baseUrl("crm"),
    });
    expect(crm).toMatchObject({
      name: "crm-main",
      system: "crm",
      kind: "builtin",
      authScheme: "none",
      credential: null,
    });
    const updated = await c.connector.update({
      id: crm.id,
      authScheme: "api_key",
      authHeader: "X-Api-Key",
    });
    expect(updated).toMatchObject({ authScheme: "api_key", authSettings: { header: "X-Api-Key" } });
    expect((await c.connector.list()).map((x) => x.name)).toContain("crm-main");
    const tmp = await c.connector.create({
      name: "clm-tmp",
      system: "clm",
      baseUrl: mock.baseUrl("clm"),
    });
    await c.connector.delete({ id: tmp.id });
    const actions = (
      await db.prisma.auditEntry.findMany({
        where: { workspaceId: admin.workspace.id },
        orderBy: { seq: "asc" },
      })
    ).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(["connector.create", "connector.update", "connector.delete"]),
    );
  });

  it("refuses bad input with clear messages and changes nothing", async () => {
    const c = callerFor(db, admin.user);
    const before = await db.prisma.connector.count();
    const err = await c.connector
      .create({ name: "Bad Name", system: "crm", baseUrl: "ftp://x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("BAD_REQUEST");
    expect((err as TRPCError).message).toMatch(/lower-case letters/);
    await expect(
      c.connector.create({ name: "crm-second", system: "crm", baseUrl: mock.baseUrl("crm") }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("already has a crm connector"),
    });
    await expect(
      c.connector.create({
        name: "billing-oauth",
        system: "billing",
        baseUrl: mock.baseUrl("billing"),
        authScheme: "oauth2_client_credentials",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("token URL") });
    expect(await db.prisma.connector.count()).toBe(before);
  });

  it("viewers list but cannot manage", async () => {
    const viewer = await makeUser(db.prisma, "conn-viewer");
    await addMembership(db.prisma, viewer.user.id, admin.workspace.id, "viewer");
    const v = callerFor(db, viewer.user, admin.workspace.id);
    expect((await v.connector.list()).length).toBeGreaterThan(0);
    await expect(
      v.connector.create({ name: "nope", system: "clm", baseUrl: mock.baseUrl("clm") }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(v.connector.rotateCredentials()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("credentials are write-only: encrypted at rest, never listed, never in the ledger", async () => {
    const c = callerFor(db, admin.user);
    const crm = (await c.connector.list()).find((x) => x.name === "crm-main")!;
    const set = await c.connector.setCredential({ connectorId: crm.id, secret: SECRET });
    expect(set).toEqual({ connectorId: crm.id, hint: "…3210", updatedAt: expect.any(Date) });
    const listed =
      JSON.stringify(await c.connector.list()) +
      JSON.stringify(await c.connector.get({ id: crm.id }));
    expect(listed).not.toContain(SECRET);
    expect(listed).toContain("…3210");
    const row = await db.prisma.credential.findUniqueOrThrow({ where: { connectorId: crm.id } });
    expect(row.ciphertext).not.toContain("sk_live");
    expect(Buffer.from(row.ciphertext, "base64").toString("latin1")).not.toContain("sk_live");
    const audit = JSON.stringify(
      await db.prisma.auditEntry.findMany({ where: { workspaceId: admin.workspace.id } }),
    );
    expect(audit).toContain("connector.credential.set");
    for (const leak of [SECRET, row.ciphertext, "3210"]) expect(audit).not.toContain(leak);
    await expect(
      c.connector.setCredential({ connectorId: crm.id, secret: "" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("the runtime resolves the connector from the database and authenticates with the decrypted key", async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers["x-api-key"] as string | undefined);
      // A careless server that echoes the key in its error.
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { code: "bad_key", message: `key ${String(req.headers["x-api-key"])} is revoked` },
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const c = callerFor(db, admin.user);
    const crm = (await c.connector.list()).find((x) => x.name === "crm-main")!;
    // Another host: the credential is entered again with the move (never carried along).
    await c.connector.update({
      id: crm.id,
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credential: { secret: SECRET },
    });
    const runtime = createConnectorRuntime({
      resolveConnector: dbConnectorResolver(db.prisma),
      fetchFor: serverEgressGuard(db.prisma).fetchFor,
    });
    const err = (await runtime
      .execute(
        execution("crm.contact.get@1", { id: "CON-1042" }, { workspaceId: admin.workspace.id }),
      )
      .catch((e: unknown) => e)) as Error & { classification: unknown };
    expect(seen).toEqual([SECRET]);
    expect(err).toMatchObject({ name: "NonRetryableError", classification: { category: "auth" } });
    expect(err.message).not.toContain(SECRET);
    expect(err.message).toContain("[redacted]");
    await c.connector.update({
      id: crm.id,
      baseUrl: mock.baseUrl("crm"),
      credential: { secret: SECRET },
    });
    expect(
      await runtime.execute(
        execution("crm.contact.get@1", { id: "CON-1042" }, { workspaceId: admin.workspace.id }),
      ),
    ).toMatchObject({ id: "CON-1042" });
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("imports an OpenAPI document; the runtime executes its operations; bad documents are refused clearly", async () => {
    const c = callerFor(db, admin.user);
    const imported = await c.connector.importOpenApi({ name: "petstore", document: petstore });
    expect(imported).toMatchObject({
      kind: "openapi",
      system: "petstore",
      baseUrl: "https://petstore.example.com/v2",
    });
    expect(imported.blocks.map((b) => b.id)).toContain("petstore.list-pets");
    expect((await c.connector.get({ id: imported.id })).blocks).toHaveLength(4);
    const again = await c.connector.importOpenApi({
      name: "petstore",
      document: petstore,
      baseUrl: "https://pets.internal/v2",
    });
    expect(again).toMatchObject({ id: imported.id, baseUrl: "https://pets.internal/v2" });
    await expect(
      c.connector.importOpenApi({ name: "broken", document: "openapi: 3.0.0\npaths: {}" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("no operations"),
    });
    await expect(
      c.connector.importOpenApi({ name: "crm_main", document: "swagger: '2.0'" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Swagger 2.0"),
    });
    const resolved = await dbConnectorResolver(db.prisma)(admin.workspace.id, "petstore");
    expect(resolved?.operations?.has("petstore.list-pets@2")).toBe(true);
  });

  it("rotates credentials to the current key", async () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const owner = await makeUser(db.prisma, "conn-rotate");
    const actor = actorOf(owner);
    const conn = await db.prisma.connector.create({
      data: {
        workspaceId: owner.workspace.id,
        name: "billing",
        system: "billing",
        baseUrl: mock.baseUrl("billing"),
        authScheme: "bearer",
      },
    });
    await setCredential(
      db.prisma,
      actor,
      { connectorId: conn.id, secret: "bearer-token-value-1" },
      { vault: keyringVault(createKeyring(k1)) },
    );
    const ring2 = createKeyring(k2, [k1]);
    expect(await rotateCredentials(db.prisma, actor, { vault: keyringVault(ring2) })).toEqual({
      rotated: 1,
      total: 1,
    });
    expect(await rotateCredentials(db.prisma, actor, { vault: keyringVault(ring2) })).toEqual({
      rotated: 0,
      total: 1,
    });
    const row = await db.prisma.credential.findUniqueOrThrow({ where: { connectorId: conn.id } });
    expect(row.keyId).toBe(ring2.currentKeyId);
    const resolved = await dbConnectorResolver(db.prisma, { keyring: createKeyring(k2) })(
      owner.workspace.id,
      "billing",
    );
    expect(resolved?.auth).toEqual({ type: "bearer", token: "bearer-token-value-1" });
    await expect(
      rotateCredentials(db.prisma, actor, { vault: keyringVault(createKeyring(randomBytes(32))) }),
    ).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
  });

  it("the demo workspace's connectors point at the built-in mock services, in-process", async () => {
    const demo = await db.prisma.workspace.create({ data: { slug: "demo", name: "Demo" } });
    const origin = mock.origin.replace(/\/$/, "");
    // Without rows: the resolver falls back to the mock for the demo workspace only.
    const fallback = await dbConnectorResolver(db.prisma, { demoOrigin: "http://localhost:3000" })(
      demo.id,
      "crm",
    );
    expect(fallback?.baseUrl).toBe("mock://crm");
    expect(
      await dbConnectorResolver(db.prisma, { demoOrigin: origin })(admin.workspace.id, "clm"),
    ).toBeNull();
    expect(await ensureDemoConnectors(db.prisma, demo.id)).toEqual({
      created: ["crm", "billing", "clm"],
    });
    expect(await ensureDemoConnectors(db.prisma, demo.id)).toEqual({
      created: [],
    });
    const rows = await db.prisma.connector.findMany({
      where: { workspaceId: demo.id },
      orderBy: { system: "asc" },
    });
    expect(rows.map((r) => r.baseUrl)).toEqual(["mock://billing", "mock://clm", "mock://crm"]);
  });
});

describe("tenant isolation of the connector procedures", () => {
  it("A cannot read or change B's connectors or credentials, whatever ids it sends", async () => {
    const a = await makeUser(db.prisma, "iso-a");
    const b = await makeUser(db.prisma, "iso-b");
    await allowLoopback(db.prisma, b.workspace.id);
    const asB = callerFor(db, b.user);
    const bConn = await asB.connector.create({
      name: "b-secret-crm",
      system: "crm",
      baseUrl: mock.baseUrl("crm"),
      authScheme: "bearer",
    });
    await asB.connector.setCredential({ connectorId: bConn.id, secret: "b-secret-token-0001" });
    const snapshot = async () =>
      JSON.stringify([
        await db.prisma.connector.findMany({
          where: { workspaceId: b.workspace.id },
          orderBy: { id: "asc" },
        }),
        await db.prisma.credential.findMany({
          where: { workspaceId: b.workspace.id },
          orderBy: { id: "asc" },
        }),
        await db.prisma.auditEntry.findMany({
          where: { workspaceId: b.workspace.id },
          orderBy: { seq: "asc" },
        }),
      ]);
    const before = await snapshot();
    const procs = (
      testRouter as unknown as {
        _def: { procedures: Record<string, { _def: { type: string; inputs: z.ZodType[] } }> };
      }
    )._def.procedures;
    for (const [procPath, p] of Object.entries(procs)) {
      const schema = p._def.inputs[0];
      const info = {
        path: procPath,
        type: p._def.type as "query" | "mutation",
        input: schema ? (z.toJSONSchema(schema, { io: "input" }) as Record<string, unknown>) : null,
      };
      for (const workspaceId of [a.workspace.id, b.workspace.id]) {
        const caller = callerFor(db, a.user, workspaceId);
        for (const input of generateInputs(info, {
          uuids: { "*": [bConn.id] },
          email: b.user.email,
        })) {
          try {
            const out = JSON.stringify((await callProcedure(caller, procPath, input)) ?? null);
            for (const s of ["b-secret-crm", bConn.id, "b-secret-token"])
              expect(out.includes(s), `${procPath} leaked ${s}`).toBe(false);
          } catch (err) {
            expect(err, `${procPath}(${JSON.stringify(input)})`).toBeInstanceOf(TRPCError);
            expect([
              "NOT_FOUND",
              "FORBIDDEN",
              "CONFLICT",
              "PRECONDITION_FAILED",
              "BAD_REQUEST",
            ]).toContain((err as TRPCError).code);
          }
        }
      }
    }
    expect(await snapshot()).toBe(before);
  });
});
