import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { schemaFileText } from "./scripts/write-schema";

const root = path.join(import.meta.dirname, "..");

describe("published JSON Schema", () => {
  const file = readFileSync(path.join(root, "public/schemas/flow.schema.json"), "utf8");

  it("is up to date (run `npx tsx dsl/scripts/write-schema.ts`)", () => {
    expect(file).toBe(schemaFileText());
  });

  it("compiles with ajv 2020 and accepts the quote-to-cash example", () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(JSON.parse(file) as object);
    const example = parse(
      readFileSync(path.join(root, "dsl/testdata/quote-to-cash.yaml"), "utf8"),
    ) as unknown;
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ flow: "x", version: "1", steps: [] })).toBe(false);
  });

  it("documents every property with a title and description", () => {
    const missing: string[] = [];
    const walk = (s: unknown, at: string) => {
      if (!s || typeof s !== "object") return;
      const o = s as Record<string, unknown>;
      for (const [k, v] of Object.entries(
        (o.properties ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        if (!v.description) missing.push(`${at}.${k}`);
        walk(v, `${at}.${k}`);
      }
      if (o.items) walk(o.items, `${at}[]`);
      if (o.additionalProperties) walk(o.additionalProperties, `${at}.*`);
      for (const k of ["anyOf", "oneOf"])
        for (const x of (o[k] as unknown[] | undefined) ?? []) walk(x, at);
    };
    walk(JSON.parse(file), "$");
    expect(missing).toEqual([]);
  });
});
