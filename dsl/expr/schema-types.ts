/** JSON Schema lookups for reference and type checks: the schema at a path, its types. */
import type { JsonSchema } from "../types";

/** The JSON Schema at a field path; `open` when the schema allows anything there. */
export type SchemaLookup =
  | { kind: "found"; schema: JsonSchema }
  | { kind: "open" }
  | { kind: "unknown"; at: number; known: string[] };

/**
 * Follows `path` through a JSON Schema: `properties`, `additionalProperties`, `items`. An object
 * with `properties` and no `additionalProperties` is treated as closed (its fields are the
 * documented ones); an untyped object, `additionalProperties`, or combinators allow anything.
 */
export function schemaAtPath(
  schema: JsonSchema | undefined,
  path: readonly string[],
): SchemaLookup {
  let cur: JsonSchema | undefined = schema;
  for (let i = 0; i < path.length; i++) {
    if (!cur || typeof cur !== "object") return { kind: "open" };
    if (cur.anyOf || cur.oneOf || cur.allOf || cur.$ref) return { kind: "open" };
    const seg = path[i]!;
    const type = cur.type;
    if (type === "array" || (Array.isArray(type) && type.includes("array") && !cur.properties)) {
      if (!/^\d+$/.test(seg)) {
        // `list.size()` and friends are calls, not fields; a named field on a list is unknown.
        return { kind: "unknown", at: i, known: [] };
      }
      const items = cur.items;
      if (!items || typeof items !== "object") return { kind: "open" };
      cur = items as JsonSchema;
      continue;
    }
    const props = cur.properties as Record<string, JsonSchema> | undefined;
    if (props && Object.prototype.hasOwnProperty.call(props, seg)) {
      cur = props[seg];
      continue;
    }
    const ap = cur.additionalProperties;
    if (ap && typeof ap === "object") {
      cur = ap as JsonSchema;
      continue;
    }
    if (ap === true || !props) return { kind: "open" };
    if (
      type !== undefined &&
      type !== "object" &&
      !(Array.isArray(type) && type.includes("object"))
    ) {
      return { kind: "unknown", at: i, known: [] };
    }
    return { kind: "unknown", at: i, known: Object.keys(props) };
  }
  return cur ? { kind: "found", schema: cur } : { kind: "open" };
}

/** The JSON Schema type names of a schema (empty when untyped). */
export function schemaTypes(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  const t = schema.type;
  if (typeof t === "string") return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === "string");
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const kinds = new Set(
      schema.enum.map((v) =>
        v === null
          ? "null"
          : Array.isArray(v)
            ? "array"
            : typeof v === "number"
              ? "number"
              : typeof v,
      ),
    );
    return [...kinds];
  }
  if (schema.const !== undefined)
    return [typeof schema.const === "number" ? "number" : typeof schema.const];
  return [];
}

/**
 * Whether a value of type `source` may flow into a slot of type `target` (both JSON Schema
 * type lists; an empty list means unknown and is always compatible).
 */
export function typesCompatible(source: string[], target: string[]): boolean {
  if (source.length === 0 || target.length === 0) return true;
  return source.some(
    (s) =>
      target.includes(s) ||
      (s === "integer" && target.includes("number")) ||
      (s === "number" && target.includes("integer")) ||
      s === "null",
  );
}
