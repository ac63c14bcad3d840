import type { ValidateFunction } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
  ajv,
  markSchemaChecked,
  MAX_CACHED_SCHEMAS,
  strictSchemaErrors,
  usePrecompiledValidator,
  validatorFor,
} from "./json-schema-validator";

describe("validatorFor", () => {
  it("validates data with all errors and ignores formats and unknown keywords", () => {
    const v = validatorFor({
      type: "object",
      required: ["a", "b"],
      properties: { e: { type: "string", format: "email" } },
      "x-ui": { widget: "text" },
    });
    expect(v({ e: "not an email" })).toBe(false);
    expect(v.errors?.map((e) => e.params)).toEqual([
      { missingProperty: "a" },
      { missingProperty: "b" },
    ]);
    expect(v({ a: 1, b: 2, e: "not an email" })).toBe(true);
  });

  it("returns the same validator for the same object and for an equal schema built apart", () => {
    const a = { type: "object", properties: { x: { type: "number" }, y: { type: "string" } } };
    const b = { properties: { y: { type: "string" }, x: { type: "number" } }, type: "object" };
    expect(validatorFor(a)).toBe(validatorFor(a));
    expect(validatorFor(b)).toBe(validatorFor(a));
  });

  it("keeps its answer when the caller mutates the schema afterwards", () => {
    const s: Record<string, unknown> = { type: "string" };
    const v = validatorFor(s);
    s.type = "number";
    expect(v("text")).toBe(true);
  });

  it("compiles schemas that share an $id without collisions, each with its own rules", () => {
    const one = validatorFor({ $id: "https://example.test/s", type: "string" });
    const two = validatorFor({ $id: "https://example.test/s", type: "number" });
    expect(one("a")).toBe(true);
    expect(two("a")).toBe(false);
    expect(two(1)).toBe(true);
  });

  it("resolves a schema's references to itself", () => {
    const v = validatorFor({
      $id: "https://example.test/tree",
      type: "object",
      properties: { children: { type: "array", items: { $ref: "#" } } },
      additionalProperties: false,
    });
    expect(v({ children: [{ children: [] }] })).toBe(true);
    expect(v({ children: [{ other: 1 }] })).toBe(false);
  });

  it("throws Ajv's error for a schema that does not compile", () => {
    expect(() => validatorFor({ type: "no-such-type" })).toThrow(/type/);
  });

  it("checks a schema against the meta-schema, unless it is marked as checked already", () => {
    // `minLength: -1` breaks the meta-schema only: Ajv's code generator would accept it.
    expect(() => validatorFor({ type: "string", minLength: -1 })).toThrow(
      /schema is invalid: data\/minLength must be >= 0/,
    );
    const checked = { type: "string", minLength: -2 };
    markSchemaChecked(checked);
    const v = validatorFor(checked);
    expect(v("ab")).toBe(true);
    expect(v(3)).toBe(false);
    // Another schema, not marked, is still checked.
    expect(() => validatorFor({ type: "string", minLength: -3 })).toThrow(/schema is invalid/);
  });

  it("stays bounded: old schemas leave the cache and Ajv", () => {
    for (let i = 0; i < MAX_CACHED_SCHEMAS + 50; i++) validatorFor({ const: `bounded-${i}` });
    const cached = (ajv as unknown as { _cache: Map<unknown, unknown> })._cache;
    expect(cached.size).toBeLessThan(MAX_CACHED_SCHEMAS + 50);
    expect(validatorFor({ const: "bounded-0" })({ x: 1 })).toBe(false);
    expect(validatorFor({ const: "bounded-0" })("bounded-0")).toBe(true);
  });
});

describe("validatorFor never throws while checking a value", () => {
  it("turns Ajv's crash on an own `valueOf` into a failed check that says why", () => {
    const v = validatorFor({ const: { valueOf: false } });
    expect(v({ valueOf: false })).toBe(false);
    expect(v.errors?.[0]?.message).toMatch(/could not be checked against the schema/);
    expect(v({ other: 1 })).toBe(false);
    expect(v.errors?.[0]?.message).toMatch(/constant/);
  });
});

describe("strictSchemaErrors", () => {
  it("accepts a well-formed schema with known formats", () => {
    expect(strictSchemaErrors({ type: "string", format: "email" })).toBeNull();
  });

  it("names unknown keywords and unknown formats", () => {
    expect(strictSchemaErrors({ type: "string", frmat: "email" })).toMatch(/unknown keyword/);
    expect(strictSchemaErrors({ type: "string", format: "phone" })).toMatch(/unknown format/);
  });

  it("rejects a schema that is not JSON Schema", () => {
    expect(strictSchemaErrors({ type: 12 })).toMatch(/must be/);
  });
});

describe("usePrecompiledValidator", () => {
  it("makes validatorFor answer with the given code for that schema object only", () => {
    const schema = { type: "object", required: ["id"] };
    const calls: unknown[] = [];
    const pre = ((data: unknown) => {
      calls.push(data);
      pre.errors = [
        { instancePath: "", schemaPath: "#/required", keyword: "required", params: {} },
      ];
      return false;
    }) as unknown as ValidateFunction;
    usePrecompiledValidator(schema, pre);
    const v = validatorFor(schema);
    expect(v({ x: 1 })).toBe(false);
    expect(calls).toEqual([{ x: 1 }]);
    expect(v.errors?.map((e) => e.keyword)).toEqual(["required"]);
    expect(v.schema).toBe(schema);
    // An equal schema built apart is compiled by Ajv, not answered by the given code.
    const compiled = validatorFor({ type: "object", required: ["id"] });
    expect(compiled({ id: 1 })).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it("keeps the given code from throwing, as a compiled validator", () => {
    const schema = { type: "string" };
    usePrecompiledValidator(schema, (() => {
      throw new Error("boom");
    }) as unknown as ValidateFunction);
    const v = validatorFor(schema);
    expect(v("x")).toBe(false);
    expect(v.errors?.[0]?.message).toMatch(/could not be checked against the schema: boom/);
  });
});
