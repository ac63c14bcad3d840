/**
 * The example of an imported block: a value that satisfies its input schema in the common cases,
 * derived from `examples`, `default`, `const`, `enum`, formats and bounds. Small whatever the
 * schema asks (bounded items, characters and depth).
 */
import type { JsonSchema } from "@/dsl";
import { isObj } from "./document";

const EXAMPLE_MAX_ITEMS = 100;
const EXAMPLE_MAX_CHARS = 1_000;

export function exampleOf(schema: JsonSchema, depth = 0): unknown {
  if (depth > 6) return null;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const k of ["oneOf", "anyOf"]) {
    const list = schema[k];
    if (Array.isArray(list) && list.length > 0) return exampleOf(list[0] as JsonSchema, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign(
      {},
      ...schema.allOf.map((s) => exampleOf(s as JsonSchema, depth + 1)).filter(isObj),
    );
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const props = isObj(schema.properties)
        ? (schema.properties as Record<string, JsonSchema>)
        : {};
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      return Object.fromEntries(
        required.filter((k) => props[k]).map((k) => [k, exampleOf(props[k]!, depth + 1)]),
      );
    }
    case "array": {
      const min = typeof schema.minItems === "number" ? schema.minItems : 0;
      // A derived example stays small whatever the schema asks (minItems: 1e9 must not allocate).
      return min > 0 && min <= EXAMPLE_MAX_ITEMS && isObj(schema.items)
        ? Array.from({ length: min }, () => exampleOf(schema.items as JsonSchema, depth + 1))
        : [];
    }
    case "integer":
    case "number":
      return typeof schema.minimum === "number"
        ? Math.max(schema.minimum, type === "integer" ? Math.ceil(schema.minimum) : schema.minimum)
        : 1;
    case "boolean":
      return false;
    case "string": {
      const byFormat: Record<string, string> = {
        email: "user@example.com",
        date: "2025-01-31",
        "date-time": "2025-01-31T12:00:00Z",
        uuid: "00000000-0000-4000-8000-000000000000",
        uri: "https://example.com",
      };
      const s = byFormat[String(schema.format)] ?? "example";
      const min = typeof schema.minLength === "number" ? schema.minLength : 0;
      return s.padEnd(Math.min(min, EXAMPLE_MAX_CHARS), "x");
    }
    default:
      return isObj(schema.properties) ? exampleOf({ ...schema, type: "object" }, depth) : "example";
  }
}
