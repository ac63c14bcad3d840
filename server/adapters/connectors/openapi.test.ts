import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BlockRegistry, validateBlockDefinition } from "@/dsl";
import { importOpenApi, kebab, OpenApiImportError } from "./openapi";
import { execution, runtimeFor } from "./testing/harness";

const petstore = readFileSync(path.join(import.meta.dirname, "testdata", "petstore.yaml"), "utf8");

describe("OpenAPI import", () => {
  const imported = importOpenApi("petstore", petstore);
  const byId = Object.fromEntries(imported.blocks.map((b) => [b.id, b]));

  it("turns every operation into a valid connector block", () => {
    expect(imported.blocks.map((b) => b.id).sort()).toEqual([
      "petstore.create-pet",
      "petstore.delete-pets-pet-id",
      "petstore.list-pets",
      "petstore.show-pet-by-id",
    ]);
    for (const b of imported.blocks) {
      expect(validateBlockDefinition(b)).toMatchObject({ ok: true });
      expect(b).toMatchObject({ kind: "connector", system: "petstore", version: "2.1.0" });
    }
    expect(imported.baseUrl).toBe("https://petstore.example.com/v2");
    // The blocks register next to the primitives.
    expect(BlockRegistry.withPrimitives(imported.blocks).resolve("petstore.list-pets@2").ok).toBe(
      true,
    );
  });

  it("maps parameters, bodies, responses and side effects", () => {
    const list = byId["petstore.list-pets"]!;
    expect(list.sideEffect).toBe("read");
    expect(list.inputSchema).toMatchObject({
      properties: {
        limit: { type: "integer", minimum: 1, maximum: 100 },
        "X-Request-Id": { type: "string", format: "uuid" },
      },
      required: [],
    });
    expect((list.inputSchema.properties as Record<string, unknown>).limit).not.toHaveProperty(
      "format",
    );
    expect(list.inputSchema.properties).not.toHaveProperty("session");
    // An array response is wrapped: block outputs are objects.
    expect(list.outputSchema).toMatchObject({
      type: "object",
      required: ["data"],
      properties: { data: { type: "array" } },
    });
    const create = byId["petstore.create-pet"]!;
    expect(create.sideEffect).toBe("write");
    expect(create.inputSchema.required).toEqual(["body"]);
    expect(create.inputSchema.properties).toMatchObject({
      body: {
        type: "object",
        required: ["name"],
        properties: { tag: { type: ["string", "null"] } },
      },
    });
    expect(create.example).toEqual({ body: { name: "Rex" } });
    const show = byId["petstore.show-pet-by-id"]!;
    expect(show.inputSchema.required).toEqual(["petId"]);
    expect(JSON.stringify(show.outputSchema)).toContain('"exclusiveMinimum":0');
    expect(JSON.stringify(imported.blocks.map((b) => [b.inputSchema, b.outputSchema]))).not.toMatch(
      /x-vendor|x-internal|nullable|"example"/,
    );
    expect(imported.warnings.join("\n")).toMatch(/cookie parameter "session"/);
  });

  it("derives kebab-case ids", () => {
    expect(kebab("getPetById")).toBe("get-pet-by-id");
    expect(kebab("HTTPStatusCheck")).toBe("http-status-check");
    expect(kebab("delete /pets/{petId}")).toBe("delete-pets-pet-id");
    expect(kebab("2fa_enable")).toBe("op-2fa-enable");
  });

  it("executes imported operations over HTTP (path, query, header, body, wrapped output)", async () => {
    const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] =
      [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json" });
        if (req.url?.startsWith("/v2/pets?")) res.end(JSON.stringify([{ id: 1, name: "Rex" }]));
        else if (req.method === "DELETE") res.end("");
        else res.end(JSON.stringify({ id: 7, name: "Fido", tag: null }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2`;
    const runtime = runtimeFor({
      petstore: { baseUrl: origin, auth: { type: "none" }, operations: imported.operations },
    });
    const rid = "00000000-0000-4000-8000-000000000001";
    expect(
      await runtime.execute(execution("petstore.list-pets@2", { limit: 5, "X-Request-Id": rid })),
    ).toEqual({
      data: [{ id: 1, name: "Rex" }],
    });
    expect(
      await runtime.execute(
        execution("petstore.create-pet@2", { body: { name: "Fido", tag: null } }),
      ),
    ).toMatchObject({ id: 7 });
    expect(
      await runtime.execute(execution("petstore.show-pet-by-id@2", { petId: "7" })),
    ).toMatchObject({ name: "Fido" });
    expect(
      await runtime.execute(execution("petstore.delete-pets-pet-id@2", { petId: "7" })),
    ).toEqual({});
    expect(seen[0]).toMatchObject({
      method: "GET",
      url: "/v2/pets?limit=5",
      headers: { "x-request-id": rid },
    });
    expect(seen[1]).toMatchObject({
      method: "POST",
      url: "/v2/pets",
      body: '{"name":"Fido","tag":null}',
    });
    expect(seen[2]).toMatchObject({ method: "GET", url: "/v2/pets/7" });
    expect(seen[3]).toMatchObject({ method: "DELETE", url: "/v2/pets/7" });
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("accepts OpenAPI 3.1 JSON", () => {
    const doc = {
      openapi: "3.1.0",
      info: { title: "Status", version: "1.0" },
      paths: {
        "/status": {
          get: {
            operationId: "getStatus",
            responses: {
              "200": {
                description: "ok",
                content: {
                  "application/json": {
                    schema: { type: "object", properties: { up: { type: ["boolean"] } } },
                  },
                },
              },
            },
          },
        },
      },
    };
    const r = importOpenApi("status_api", JSON.stringify(doc));
    expect(r.blocks[0]).toMatchObject({
      id: "status_api.get-status",
      version: "1.0.0",
      sideEffect: "read",
    });
  });

  it.each([
    ["not a document at all: [", /neither valid JSON nor YAML|must be an object/],
    ["swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}", /Swagger 2.0 is not supported/],
    ["openapi: 3.2.0\npaths: {}", /expected a version 3.0.x or 3.1.x/],
    ["openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths: {}", /no operations/],
  ])("refuses an invalid document clearly (%#)", (doc, message) => {
    expect(() => importOpenApi("bad", doc)).toThrow(message);
  });

  it("names the place of an unsupported or broken $ref", () => {
    const doc = (ref: string) => `openapi: 3.0.0
info: {title: x, version: '1'}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '${ref}'
components:
  schemas:
    Node:
      type: object
      properties:
        child: { $ref: '#/components/schemas/Node' }
`;
    const err = (ref: string) => {
      try {
        importOpenApi("things", doc(ref));
      } catch (e) {
        return e as OpenApiImportError;
      }
      throw new Error("expected an error");
    };
    expect(err("other.yaml#/components/schemas/Thing").message).toMatch(
      /paths\.\/things\.get\.responses\.200\.content\.application\/json\.schema: unsupported \$ref "other\.yaml#\/components\/schemas\/Thing"/,
    );
    expect(err("#/components/schemas/Missing").message).toMatch(/does not resolve/);
    expect(err("#/components/schemas/Node").message).toMatch(
      /recursive \$ref "#\/components\/schemas\/Node"/,
    );
  });

  it("refuses connector names that are invalid or taken by built-in blocks", () => {
    expect(() => importOpenApi("Pet-Store", petstore)).toThrow(/lower-case/);
    expect(() => importOpenApi("crm", petstore)).toThrow(/taken by built-in blocks/);
  });
});
