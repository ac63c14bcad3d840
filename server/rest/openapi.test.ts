import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/domain/errors";
import { openApiDocument } from "./openapi";
import { problemOf, PROBLEM_TYPES } from "./problem";
import { ROUTES } from "./routes";

const doc = openApiDocument(ROUTES);
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Every `$ref` of `value`, with where it was found. */
function refs(value: unknown, at = "#", out: Array<[string, string]> = []) {
  if (Array.isArray(value)) value.forEach((v, i) => refs(v, `${at}/${i}`, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") out.push([at, v]);
      else refs(v, `${at}/${k}`, out);
    }
  }
  return out;
}

function resolve(ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!node || typeof node !== "object" || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 with info, a bearer security scheme and paths", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes).toMatchObject({
      bearerToken: { type: "http", scheme: "bearer" },
    });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
  });

  it("gives every operation responses, an operationId and security", () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(METHODS, `${method} ${path}`).toContain(method);
        const responses = op.responses as Record<string, unknown>;
        expect(Object.keys(responses).length, `${method} ${path}`).toBeGreaterThan(1);
        expect(Object.keys(responses).some((s) => s.startsWith("2"))).toBe(true);
        expect(op.security).toEqual([{ bearerToken: [] }]);
        expect(ids.has(op.operationId as string)).toBe(false);
        ids.add(op.operationId as string);
        // Every `{param}` of the path is a declared path parameter.
        const declared = ((op.parameters as Array<{ in: string; name: string }>) ?? [])
          .filter((p) => p.in === "path")
          .map((p) => p.name);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect(declared.sort(), `${method} ${path}`).toEqual(inPath.sort());
      }
    }
  });

  it("resolves every $ref", () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(10);
    for (const [at, ref] of all) expect(resolve(ref), `${ref} at ${at}`).toBeDefined();
  });

  it("lists every route of the table with its role, scope and problems", () => {
    for (const r of ROUTES) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op).toMatchObject({
        operationId: r.operationId,
        "x-trustflow-role": r.role,
        "x-trustflow-scope": r.scope,
        tags: [r.tag],
      });
      expect(op!.description).toContain(`the ${r.role} role`);
      expect(op!.description).toContain(`${r.scope} `);
      expect(Boolean(op!["x-trustflow-approves"])).toBe(Boolean(r.approves));
      const responses = op!.responses as Record<string, unknown>;
      for (const s of [r.success.status, ...r.problems, 401, 403])
        expect(responses[s]).toBeDefined();
      if (r.body) expect(op!.requestBody).toBeDefined();
    }
    expect(ROUTES.some((r) => r.approves)).toBe(true);
  });

  it("documents every problem type's response as application/problem+json", () => {
    for (const t of Object.values(PROBLEM_TYPES)) {
      const res = doc.components.responses[`Problem${t.status}`] as {
        content: Record<string, unknown>;
      };
      expect(Object.keys(res.content)).toEqual(["application/problem+json"]);
    }
  });
});

describe("the README's REST API section", () => {
  it("lists every operation with its role and scope", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    const section = readme.slice(
      readme.indexOf("## REST API"),
      readme.indexOf("\n## ", readme.indexOf("## REST API") + 5),
    );
    const rows = section.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows).toHaveLength(ROUTES.length);
    for (const r of ROUTES) {
      const row = rows.find((l) => l.startsWith(`| \`${r.method} ${r.path}\``));
      expect(row, `${r.method} ${r.path}`).toBeDefined();
      const [, , role, scope] = row!.split(/(?<!\\)\|/).map((c) => c.trim());
      expect(role!.split(" ")[0]).toBe(r.role);
      expect(scope).toBe(r.scope);
    }
  });
});

describe("problems of domain errors", () => {
  it("answers a refused start with its status and Retry-After", async () => {
    const err = new AppError("RATE_LIMITED", {
      message: "This workspace has 5 active runs.",
      details: { limit: "active-runs", status: 429, retryAfterSeconds: 5, max: 5 },
    });
    const res = problemOf(err, "/api/v1/workflows/x/runs");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({
      status: 429,
      detail: "This workspace has 5 active runs.",
    });
    const busy = problemOf(
      new AppError("RATE_LIMITED", {
        message: "Busy.",
        details: { limit: "admission", status: 503, retryAfterSeconds: 2, max: 8 },
      }),
      "/api/v1/x",
    );
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("2");
  });

  it("maps each domain code to its status", () => {
    const status = (code: ConstructorParameters<typeof AppError>[0]) =>
      problemOf(new AppError(code, { message: "m" }), "/api/v1/x").status;
    expect(status("INVALID_INPUT")).toBe(422);
    expect(status("NOT_FOUND")).toBe(404);
    expect(status("FORBIDDEN")).toBe(403);
    expect(status("CONFLICT")).toBe(409);
    expect(status("PRECONDITION_FAILED")).toBe(409);
    expect(status("UNAUTHENTICATED")).toBe(401);
    expect(status("RATE_LIMITED")).toBe(429);
  });
});
