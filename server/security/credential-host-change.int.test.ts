import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultKeyring } from "@/server/adapters/connectors/credentials";
import { keyringVault } from "@/server/adapters/connectors/vault";
import type { Database } from "@/server/adapters/prisma";
import { openCredential } from "@/server/domain/connector/types";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
let api: ReturnType<typeof callerFor>;
const SECRET = "sk_live_for_crm_example_com";
const petstore = readFileSync(
  path.join(process.cwd(), "server/adapters/connectors/testdata/petstore.yaml"),
  "utf8",
);

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "host-change");
  api = callerFor(db.prisma, owner.user, owner.workspace.id);
});
afterAll(async () => {
  await db?.close();
});

const snapshot = async (connectorId: string) => ({
  connector: await db.prisma.connector.findUniqueOrThrow({ where: { id: connectorId } }),
  credential: await db.prisma.credential.findUnique({ where: { connectorId } }),
  audit: await db.prisma.auditEntry.count({ where: { workspaceId: owner.workspace.id } }),
});

/**
 * Stores `credential` for the connector `saved` resolves to; returns the connector and the
 * {@link snapshot} a refused move must leave unchanged.
 */
async function holdingCredential<C extends { id: string }>(
  saved: Promise<C>,
  credential: { secret: string; clientId?: string },
) {
  const connector = await saved;
  await api.connector.setCredential({ connectorId: connector.id, ...credential });
  return { connector, before: await snapshot(connector.id) };
}

describe("credential kept when the host changes", () => {
  it("refuses to move a connector with a credential to another host unless the credential is entered again", async () => {
    const { connector: crm, before } = await holdingCredential(
      api.connector.create({
        name: "crm-real",
        system: "crm",
        baseUrl: "https://crm.example.com/v1",
        authScheme: "bearer",
      }),
      { secret: SECRET },
    );

    // The attack: an admin (or a stolen admin session) repoints the connector at a host it
    // controls, and the next run sends the stored token there.
    for (const baseUrl of [
      "https://attacker.example.net/v1",
      "https://crm.example.com:8443/v1", // another port is another origin
      "http://crm.example.com/v1", // and plain http would send it in clear text
    ]) {
      await expect(api.connector.update({ id: crm.id, baseUrl })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(
          /base URL moves from https:\/\/crm\.example\.com to .*enter the credential again/,
        ),
      });
    }
    expect(await snapshot(crm.id)).toEqual(before);

    // The same host (another path) needs nothing new.
    const samePlace = await api.connector.update({
      id: crm.id,
      baseUrl: "https://crm.example.com/v2",
    });
    expect(samePlace.credential?.hint).toBe(before.credential?.hint);

    // Moving with the credential given again in the same change works and replaces it.
    const moved = await api.connector.update({
      id: crm.id,
      baseUrl: "https://crm.newvendor.example/v1",
      credential: { secret: "sk_live_for_the_new_vendor" },
    });
    expect(moved.baseUrl).toBe("https://crm.newvendor.example/v1");
    expect(moved.credential?.hint).toBe("…ndor");
    const row = await db.prisma.credential.findUniqueOrThrow({ where: { connectorId: crm.id } });
    expect(openCredential(keyringVault(defaultKeyring()), owner.workspace.id, row).secret).toBe(
      "sk_live_for_the_new_vendor",
    );
    const entries = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: crm.id },
      orderBy: { seq: "asc" },
    });
    expect(entries.map((e) => e.action).slice(-2)).toEqual([
      "connector.update",
      "connector.credential.set",
    ]);
    expect(JSON.stringify(entries)).not.toContain("sk_live");
  });

  it("refuses to move the OAuth2 token URL to another host without the client secret", async () => {
    const { connector: billing, before } = await holdingCredential(
      api.connector.create({
        name: "billing-oauth",
        system: "billing",
        baseUrl: "https://billing.example.com",
        authScheme: "oauth2_client_credentials",
        tokenUrl: "https://auth.example.com/oauth/token",
      }),
      { clientId: "trustflow", secret: "client-secret-0123456789" },
    );
    await expect(
      api.connector.update({ id: billing.id, tokenUrl: "https://evil.example.org/token" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/token URL moves from https:\/\/auth\.example\.com/),
    });
    expect(await snapshot(billing.id)).toEqual(before);
  });

  it("a re-import that moves an imported connector to another host is refused while it holds a credential", async () => {
    const { connector: imported, before } = await holdingCredential(
      api.connector.importOpenApi({ name: "petstore", document: petstore, authScheme: "bearer" }),
      { secret: SECRET },
    );
    await expect(
      api.connector.importOpenApi({
        name: "petstore",
        document: petstore,
        baseUrl: "https://pets.attacker.example",
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/base URL moves from https:\/\/petstore\.example\.com/),
    });
    expect(await snapshot(imported.id)).toEqual(before);
    // Re-importing to the same host is fine.
    await expect(
      api.connector.importOpenApi({ name: "petstore", document: petstore }),
    ).resolves.toMatchObject({ baseUrl: "https://petstore.example.com/v2" });
  });

  it("a connector without a credential moves freely", async () => {
    const clm = await api.connector.create({
      name: "clm-open",
      system: "clm",
      baseUrl: "https://clm.example.com",
    });
    await expect(
      api.connector.update({ id: clm.id, baseUrl: "https://clm.other.example" }),
    ).resolves.toMatchObject({ baseUrl: "https://clm.other.example", credential: null });
  });
});
