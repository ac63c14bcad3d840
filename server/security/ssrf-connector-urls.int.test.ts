import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockService } from "@/server/adapters/connectors/mock/mock-service";
import { createConnectorRuntime } from "@/server/adapters/connectors/runtime";
import { dbConnectorResolver } from "@/server/adapters/connectors/store";
import { execution } from "@/server/adapters/connectors/testing/harness";
import { createKeyring } from "@/server/adapters/connectors/credentials";
import { keyringVault } from "@/server/adapters/connectors/vault";
import type { EgressLookup } from "@/server/adapters/egress/guard";
import { serverEgressGuard } from "@/server/adapters/egress/server-guard";
import type { Database } from "@/server/adapters/prisma";
import { setCredential } from "@/server/domain/connector/connectors";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Actor } from "@/server/domain/types";
import { adminActor, callerFor, makeUser } from "@/server/testing/fixtures";
import { engineFor, runToEnd } from "@/server/testing/engine";
import { openTestDatabase } from "@/server/testing/test-database";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * SSRF through connector and token URLs: a workspace admin (or a stolen admin token) points a
 * connector's base URL or its OAuth2 token URL at loopback, a private network or the cloud
 * metadata endpoint, and every run then calls it from inside. Refused at save time for address
 * literals, and at run time on the resolved address, for the base URL and the token URL alike.
 */

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
let actor: Actor;
let hits: string[] = [];
let port = 0;
let close: () => Promise<void>;
const keyring = createKeyring(randomBytes(32));

const DNS: Record<string, string> = {
  "crm.attacker.example": "127.0.0.1",
  "token.attacker.example": "169.254.169.254",
  "crm.partner.example": "127.0.0.1",
};
const lookup: EgressLookup = async (host) => {
  const address = DNS[host];
  if (!address) throw new Error(`ENOTFOUND ${host}`);
  return [{ address, family: 4 }];
};
const guard = () => serverEgressGuard(db.prisma, { lookup });

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "ssrf-connectors");
  actor = adminActor(owner);
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.headers.host} ${req.url}`);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(req.url?.includes("token") ? '{"access_token":"t","expires_in":60}' : '{"id":"CON-1"}');
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  port = (server.address() as AddressInfo).port;
  close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
});
afterAll(async () => {
  await close?.();
  await db?.close();
});

async function ledgerAndConnectors() {
  return JSON.stringify([
    await db.prisma.connector.findMany({
      where: { workspaceId: owner.workspace.id },
      orderBy: { id: "asc" },
    }),
    await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id },
      orderBy: { seq: "asc" },
    }),
  ]);
}

describe("SSRF through connector and token URLs", () => {
  it("refuses forbidden address literals as base URL or token URL at save time, changing nothing", async () => {
    const c = callerFor(db.prisma, owner.user);
    const before = await ledgerAndConnectors();
    const bases = [
      `https://127.0.0.1:${port}/crm`,
      "https://[::1]/crm",
      "https://169.254.169.254/latest/meta-data/",
      "https://10.0.0.8/crm",
      "https://100.64.1.1/crm",
      "https://[fd12::1]/crm",
      "https://[::ffff:169.254.169.254]/",
      `http://127.0.0.1:${port}/crm`,
    ];
    for (const baseUrl of bases) {
      const err = (await c.connector
        .create({ name: "crm-evil", system: "crm", baseUrl })
        .catch((e: unknown) => e)) as Error & { code: string; cause?: { details?: unknown } };
      expect(err.name, baseUrl).toBe("TRPCError");
      expect(err.code, baseUrl).toBe("BAD_REQUEST");
      expect(err.message, baseUrl).toMatch(/^The base URL is refused: outbound call to .* refused/);
    }
    const token = (await c.connector
      .create({
        name: "billing-evil",
        system: "billing",
        baseUrl: "https://billing.partner.example/v1",
        authScheme: "oauth2_client_credentials",
        tokenUrl: "https://169.254.169.254/token",
      })
      .catch((e: unknown) => e)) as Error & { code: string };
    expect(token).toMatchObject({ code: "BAD_REQUEST" });
    expect(token.message).toMatch(/^The token URL is refused: .*a cloud metadata endpoint/);
    expect(await ledgerAndConnectors()).toBe(before);

    // The same on update, and through the OpenAPI import's base URL.
    const ok = await c.connector.create({
      name: "crm-ok",
      system: "crm",
      baseUrl: "https://crm.partner.example/v1",
    });
    const mid = await ledgerAndConnectors();
    await expect(
      c.connector.update({ id: ok.id, baseUrl: "https://192.168.0.10/v1" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("private") });
    await expect(
      c.connector.update({
        id: ok.id,
        authScheme: "oauth2_client_credentials",
        tokenUrl: "https://[fe80::1]/token",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("linkLocal") });
    expect(await ledgerAndConnectors()).toBe(mid);
    await c.connector.delete({ id: ok.id });
  });

  it("a workspace admin's allow-list opens a private host, as a ledger entry", async () => {
    const c = callerFor(db.prisma, owner.user);
    await expect(
      c.connector.create({ name: "crm-internal", system: "crm", baseUrl: "https://10.0.0.8/crm" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const entry = await c.egress.allow({ host: "10.0.0.8", reason: "ERP behind the VPN" });
    expect(entry).toMatchObject({ host: "10.0.0.8", allowPrivate: true, allowHttp: false });
    const created = await c.connector.create({
      name: "crm-internal",
      system: "crm",
      baseUrl: "https://10.0.0.8/crm",
    });
    const audit = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, action: "egress.allow" },
    });
    expect(audit.map((a) => a.payload)).toEqual([
      expect.objectContaining({
        host: "10.0.0.8",
        allowPrivate: true,
        reason: "ERP behind the VPN",
      }),
    ]);
    await c.connector.delete({ id: created.id });
    await c.egress.remove({ id: entry.id });
  });

  it("checks the resolved address of a base URL at run time, in a real flow run", async () => {
    // A host name passes the save-time check; it resolves to loopback when the run calls it.
    await db.prisma.connector.deleteMany({ where: { workspaceId: owner.workspace.id } });
    const c = callerFor(db.prisma, owner.user);
    await c.connector.create({
      name: "crm-rebind",
      system: "crm",
      baseUrl: `https://crm.attacker.example:${port}/crm`,
    });
    const flow = compileFlow(`flow: connector-ssrf
version: 1.0.0
sla: T2
steps:
  - id: get
    uses: crm.contact.get@1
    retry: { max: 0 }
    with: { id: CON-1042 }
`);
    expect(flow.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const engine = engineFor(db, { egress: guard() });
    const run = await runToEnd(engine, { workspaceId: owner.workspace.id, ir: flow.ir! });
    const attempts = await db.prisma.stepAttempt.findMany({ where: { runId: run.id } });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.status).toBe("failed");
    expect(attempts[0]!.error).toMatchObject({
      name: "EgressError",
      retryable: false,
      classification: { category: "authz" },
      detail: { egress: "forbidden_address", range: "loopback" },
    });
    expect(hits).toEqual([]);
    await db.prisma.connector.deleteMany({ where: { workspaceId: owner.workspace.id } });
  });

  it("refuses a literal loopback base URL stored before the save-time check, at run time", async () => {
    await db.prisma.connector.create({
      data: {
        workspaceId: owner.workspace.id,
        name: "crm-legacy",
        system: "crm",
        baseUrl: `http://127.0.0.1:${port}/crm`,
      },
    });
    const runtime = createConnectorRuntime({
      resolveConnector: dbConnectorResolver(db.prisma),
      fetchFor: guard().fetchFor,
    });
    const err = await runtime
      .execute(execution("crm.contact.get@1", { id: "CON-1" }, { workspaceId: owner.workspace.id }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "EgressError", code: "scheme_not_allowed" });
    expect(hits).toEqual([]);
    await db.prisma.connector.deleteMany({ where: { workspaceId: owner.workspace.id } });
  });

  it("checks the OAuth2 token URL on its resolved address: no token request, no API call", async () => {
    // The API host is an allowed internal receiver; the token host resolves to the metadata IP.
    await db.prisma.egressAllow.create({
      data: {
        workspaceId: owner.workspace.id,
        host: "crm.partner.example",
        allowHttp: true,
        allowPrivate: true,
      },
    });
    const row = await db.prisma.connector.create({
      data: {
        workspaceId: owner.workspace.id,
        name: "crm-oauth",
        system: "crm",
        baseUrl: `http://crm.partner.example:${port}/crm`,
        authScheme: "oauth2_client_credentials",
        authConfig: { tokenUrl: `https://token.attacker.example:${port}/oauth/token` },
      },
    });
    await setCredential(
      db.prisma,
      actor,
      { connectorId: row.id, secret: "client-secret-value", clientId: "client-1" },
      { vault: keyringVault(keyring) },
    );
    const runtime = createConnectorRuntime({
      resolveConnector: dbConnectorResolver(db.prisma, { keyring }),
      fetchFor: guard().fetchFor,
    });
    const err = await runtime
      .execute(execution("crm.contact.get@1", { id: "CON-1" }, { workspaceId: owner.workspace.id }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: "EgressError",
      code: "forbidden_address",
      message: expect.stringMatching(
        /169\.254\.169\.254 \(token\.attacker\.example resolves to it\) refused: a cloud metadata endpoint/,
      ),
    });
    expect(hits).toEqual([]);
    // The allowed API host itself is reachable: the guard pins the checked address.
    const ok = await guard()
      .fetchFor(owner.workspace.id)(`http://crm.partner.example:${port}/crm/contacts/CON-1`)
      .then((r) => r.json());
    expect(ok).toEqual({ id: "CON-1" });
    expect(hits).toEqual([`GET crm.partner.example:${port} /crm/contacts/CON-1`]);
    hits = [];
    await db.prisma.connector.deleteMany({ where: { workspaceId: owner.workspace.id } });
  });

  it("fetches an OpenAPI document by URL through the guard: refused until allow-listed", async () => {
    const petstore = readFileSync(
      path.join(process.cwd(), "server/adapters/connectors/testdata/petstore.yaml"),
      "utf8",
    );
    const docs = createServer((req, res) => {
      hits.push(`${req.method} ${req.headers.host} ${req.url}`);
      if (req.url === "/to-metadata") {
        res.writeHead(302, { location: "https://169.254.169.254/latest/meta-data/" });
        res.end();
      } else {
        res.writeHead(200, { "content-type": "application/yaml" });
        res.end(petstore);
      }
    });
    await new Promise<void>((ok) => docs.listen(0, "127.0.0.1", ok));
    const origin = `http://127.0.0.1:${(docs.address() as AddressInfo).port}`;
    try {
      const c = callerFor(db.prisma, owner.user);
      const before = await ledgerAndConnectors();
      const refused = (await c.connector
        .importOpenApi({ name: "petstore", url: `${origin}/openapi.yaml` })
        .catch((e: unknown) => e)) as Error & { code: string };
      expect(refused).toMatchObject({ code: "BAD_REQUEST" });
      expect(refused.message).toMatch(
        /could not be fetched: plain http to 127\.0\.0\.1:\d+ is refused/,
      );
      expect(hits).toEqual([]);
      expect(await ledgerAndConnectors()).toBe(before);

      const entry = await c.egress.allow({ host: "127.0.0.1", allowHttp: true });
      const imported = await c.connector.importOpenApi({
        name: "petstore",
        url: `${origin}/openapi.yaml`,
      });
      expect(imported).toMatchObject({ kind: "openapi", system: "petstore" });
      expect(imported.blocks.map((b) => b.id)).toContain("petstore.list-pets");
      // A redirect from the allowed host to the metadata endpoint is refused at the hop.
      const hop = (await c.connector
        .importOpenApi({ name: "petstore2", url: `${origin}/to-metadata` })
        .catch((e: unknown) => e)) as Error & { code: string };
      expect(hop).toMatchObject({ code: "BAD_REQUEST" });
      expect(hop.message).toMatch(/169\.254\.169\.254 refused: a cloud metadata endpoint/);
      expect(hits.map((h) => h.split(" ")[2])).toEqual(["/openapi.yaml", "/to-metadata"]);
      hits = [];
      await c.egress.remove({ id: entry.id });
      await db.prisma.connector.deleteMany({ where: { workspaceId: owner.workspace.id } });
    } finally {
      docs.closeAllConnections();
      await new Promise<void>((ok) => docs.close(() => ok()));
    }
  });

  it("reaches the built-in mocks in-process, with the run's workspace as tenant, whatever the URL says", async () => {
    const other = await makeUser(db.prisma, "ssrf-mock-other");
    await db.prisma.connector.create({
      data: {
        workspaceId: owner.workspace.id,
        name: "crm-mock",
        system: "crm",
        // A tenant prefix naming another workspace is ignored: the tenant is the caller's.
        baseUrl: `mock://crm/t/${other.workspace.id}`,
      },
    });
    const runtime = createConnectorRuntime({
      resolveConnector: dbConnectorResolver(db.prisma),
      fetchFor: guard().fetchFor,
    });
    const out = await runtime.execute(
      execution("crm.contact.get@1", { id: "CON-1042" }, { workspaceId: owner.workspace.id }),
    );
    expect(out).toMatchObject({ id: "CON-1042" });
    expect(mockService().stats("crm", owner.workspace.id).requests["contact.get"]).toBe(1);
    expect(mockService().stats("crm", other.workspace.id).requests["contact.get"]).toBeUndefined();
    expect(hits).toEqual([]);
    // No allow-list entry was needed: mock:// never touches the network.
    expect(
      await db.prisma.egressAllow.count({
        where: { workspaceId: owner.workspace.id, host: "crm" },
      }),
    ).toBe(0);
  });
});
