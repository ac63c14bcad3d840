import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  importOpenApi,
  isOpenApiSpec,
  OPENAPI_LIMITS,
  OpenApiLimitError,
} from "@/server/adapters/connectors/openapi";
import { dbConnectorResolver } from "@/server/adapters/connectors/store";
import { connectorDeps } from "@/server/adapters/connectors/vault";
import type { Database } from "@/server/adapters/prisma";
import { getConnector } from "@/server/domain/connector/connectors";
import type { ConnectorDeps } from "@/server/domain/connector/ports";
import type { Actor } from "@/server/domain/types";
import { adminActor, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

const petstore = readFileSync(
  path.join(process.cwd(), "server/adapters/connectors/testdata/petstore.yaml"),
  "utf8",
);

/**
 * A document of ~2 KB whose 30 schemas each refer to the next one twice: inlined, it would be
 * 2^30 (a billion) schema nodes.
 */
function refBomb(levels = 30): string {
  const schemas: Record<string, unknown> = {
    L0: { type: "object", properties: { leaf: { type: "string" } } },
  };
  for (let i = 1; i <= levels; i++) {
    schemas[`L${i}`] = {
      type: "object",
      properties: {
        a: { $ref: `#/components/schemas/L${i - 1}` },
        b: { $ref: `#/components/schemas/L${i - 1}` },
      },
    };
  }
  return JSON.stringify({
    openapi: "3.0.3",
    info: { title: "bomb", version: "1.0.0" },
    servers: [{ url: "https://bomb.example.com" }],
    paths: {
      "/boom": {
        get: {
          operationId: "boom",
          responses: {
            "200": {
              description: "ok",
              content: {
                "application/json": { schema: { $ref: `#/components/schemas/L${levels}` } },
              },
            },
          },
        },
      },
    },
    components: { schemas },
  });
}

/** Billion laughs in YAML: nine levels of ten aliases each. */
function aliasBomb(): string {
  const lines = ["openapi: 3.0.3", "info: { title: laughs, version: '1' }", "x-lol:"];
  lines.push('  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]');
  for (let i = 1; i <= 9; i++) {
    lines.push(`  a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(",")}]`);
  }
  lines.push("paths: { /x: { get: { responses: { '200': { description: ok } } } } }");
  return lines.join("\n");
}

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
let actor: Actor;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "ref-bomb");
  actor = adminActor(owner);
});
afterAll(async () => {
  await db?.close();
});

/** The real dependencies with a counter on the parser. */
function countingDeps(): Pick<ConnectorDeps, "parseOpenApi" | "readOpenApiSpec"> & {
  calls: number;
} {
  const real = connectorDeps();
  const deps = {
    calls: 0,
    parseOpenApi: (name: string, document: string) => {
      deps.calls++;
      return real.parseOpenApi(name, document);
    },
    readOpenApiSpec: real.readOpenApiSpec,
  };
  return deps;
}

describe("$ref bomb", () => {
  it("a document whose $refs expand exponentially is refused with the limit named, nothing stored", async () => {
    const bomb = refBomb();
    expect(bomb.length).toBeLessThan(4_000);
    // The importer stops at the node budget: it never expands first.
    let error: unknown;
    try {
      importOpenApi("bomb", bomb);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OpenApiLimitError);
    expect(error).toMatchObject({ limit: "schemaNodes" });
    expect((error as Error).message).toMatch(/limit schemaNodes = 50000/);

    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const connectorsBefore = await db.prisma.connector.count();
    const auditBefore = await db.prisma.auditEntry.count({
      where: { workspaceId: owner.workspace.id },
    });
    await expect(
      api.connector.importOpenApi({ name: "bomb", document: bomb }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/limit schemaNodes/),
    });
    expect(await db.prisma.connector.count()).toBe(connectorsBefore);
    expect(await db.prisma.auditEntry.count({ where: { workspaceId: owner.workspace.id } })).toBe(
      auditBefore,
    );
    // The server still answers.
    await expect(api.connector.list()).resolves.toEqual(expect.any(Array));
  });

  it("long $ref chains, YAML alias bombs and oversized documents are refused with their limits", async () => {
    const chain: Record<string, unknown> = { C0: { type: "string" } };
    for (let i = 1; i <= 40; i++) chain[`C${i}`] = { $ref: `#/components/schemas/C${i - 1}` };
    const deep = JSON.stringify({
      openapi: "3.1.0",
      info: { title: "deep", version: "1.0.0" },
      paths: {
        "/d": {
          get: {
            responses: {
              "200": {
                description: "ok",
                content: { "application/json": { schema: { $ref: "#/components/schemas/C40" } } },
              },
            },
          },
        },
      },
      components: { schemas: chain },
    });
    expect(() => importOpenApi("deep", deep)).toThrow(/limit refDepth = 32/);
    expect(() => importOpenApi("laughs", aliasBomb())).toThrow(/limit yamlAliasCount = 100/);
    const huge = `${petstore}\n# ${"x".repeat(OPENAPI_LIMITS.documentChars)}`;
    expect(() => importOpenApi("huge", huge)).toThrow(/limit documentChars/);
    // 100,000 nested brackets, as JSON and as YAML flow: refused by a linear scan, never parsed.
    const brackets = "[".repeat(100_000);
    expect(() => importOpenApi("nested_json", `{"a":${brackets}`)).toThrow(/limit nesting/);
    expect(() => importOpenApi("nested_yaml", `openapi: ${brackets}`)).toThrow(/limit nesting/);

    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    await expect(
      api.connector.importOpenApi({ name: "laughs", document: aliasBomb() }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/yamlAliasCount/),
    });
    expect(await db.prisma.connector.count({ where: { name: "laughs" } })).toBe(0);
  });

  it("a petstore import stores its parse once; connector.get and runs never parse again", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const imported = await api.connector.importOpenApi({ name: "petstore", document: petstore });
    expect(imported.blocks.map((b) => b.id)).toContain("petstore.list-pets");
    const row = await db.prisma.connector.findUniqueOrThrow({ where: { id: imported.id } });
    expect(isOpenApiSpec(row.openapiSpec)).toBe(true);

    const deps = countingDeps();
    const got = await getConnector(db.prisma, actor, { id: imported.id }, deps);
    const again = await getConnector(db.prisma, actor, { id: imported.id }, deps);
    expect(deps.calls).toBe(0);
    expect(got.blocks).toEqual(imported.blocks);
    expect(again.blocks).toEqual(imported.blocks);
    // Through the API too (the procedure reads the stored parse).
    await expect(api.connector.get({ id: imported.id })).resolves.toMatchObject({
      blocks: imported.blocks,
    });

    let runParses = 0;
    const resolve = dbConnectorResolver(db.prisma, {
      parseOpenApi: (n, d) => {
        runParses++;
        return importOpenApi(n, d);
      },
    });
    const resolved = await resolve(owner.workspace.id, "petstore");
    expect(resolved?.operations?.has("petstore.list-pets@2")).toBe(true);
    expect(runParses).toBe(0);
  });

  it("a connector imported before the parse was stored is parsed once, then never again", async () => {
    const legacy = await db.prisma.connector.create({
      data: {
        workspaceId: owner.workspace.id,
        name: "legacy_pets",
        system: "legacy_pets",
        baseUrl: "https://petstore.example.com/v2",
        openapi: petstore,
      },
    });
    const deps = countingDeps();
    const first = await getConnector(db.prisma, actor, { id: legacy.id }, deps);
    expect(first.blocks.map((b) => b.id)).toContain("legacy_pets.list-pets");
    expect(deps.calls).toBe(1);
    const row = await db.prisma.connector.findUniqueOrThrow({ where: { id: legacy.id } });
    expect(isOpenApiSpec(row.openapiSpec)).toBe(true);
    expect(row.updatedAt).toEqual(legacy.updatedAt);
    await getConnector(db.prisma, actor, { id: legacy.id }, deps);
    expect(deps.calls).toBe(1);

    // The run-time resolver parses a legacy row once and writes it back as well.
    const older = await db.prisma.connector.create({
      data: {
        workspaceId: owner.workspace.id,
        name: "older_pets",
        system: "older_pets",
        baseUrl: "https://petstore.example.com/v2",
        openapi: petstore,
      },
    });
    let runParses = 0;
    const options = {
      parseOpenApi: (n: string, d: string) => {
        runParses++;
        return importOpenApi(n, d);
      },
    };
    await dbConnectorResolver(db.prisma, options)(owner.workspace.id, "older_pets");
    await dbConnectorResolver(db.prisma, options)(owner.workspace.id, "older_pets");
    expect(runParses).toBe(1);
    const stored = await db.prisma.connector.findUniqueOrThrow({ where: { id: older.id } });
    expect(isOpenApiSpec(stored.openapiSpec)).toBe(true);
  });
});
