/**
 * From a flow's input schema (JSON Schema, as the compiler emits `inputsSchema`) to the fields of
 * the Run form: one field per input, typed, with what the form shows as help (description,
 * examples, default, constraints). Pure data, no React: `schema-fields.test.ts` checks the
 * mapping.
 */
import type { JsonSchema } from "@/dsl";

interface Common {
  /** The input's name, or the property's; `""` for an array item. */
  name: string;
  /** What the form labels it: the schema's `title`, else the name. */
  label: string;
  required: boolean;
  description?: string;
  examples: unknown[];
  /** The schema's `default`, when it has one (prefilled). */
  default?: unknown;
  hasDefault: boolean;
}

export interface StringField extends Common {
  kind: "string";
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
}

export interface NumberField extends Common {
  kind: "number" | "integer";
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
}

export interface BooleanField extends Common {
  kind: "boolean";
}

export interface EnumField extends Common {
  kind: "enum";
  options: unknown[];
}

export interface ArrayField extends Common {
  kind: "array";
  item: Field;
  minItems?: number;
  maxItems?: number;
  uniqueItems: boolean;
}

export interface ObjectField extends Common {
  kind: "object";
  fields: Field[];
}

/** A value the form cannot break down (unions, free maps, too deep): edited as JSON text. */
export interface JsonField extends Common {
  kind: "json";
}

export type Field =
  StringField | NumberField | BooleanField | EnumField | ArrayField | ObjectField | JsonField;

/** Deeper values are edited as JSON: a form nested further helps nobody. */
export const MAX_FORM_DEPTH = 4;

const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;
const count = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined;

/** The one type a schema names (`["string", "null"]` counts as string), or undefined. */
function typeOf(schema: JsonSchema): string | undefined {
  const t = schema.type;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t.filter((x): x is string => typeof x === "string" && x !== "null");
    return named.length === 1 ? named[0] : undefined;
  }
  if (schema.properties && typeof schema.properties === "object") return "object";
  if (schema.items && typeof schema.items === "object") return "array";
  return undefined;
}

function common(name: string, schema: JsonSchema, required: boolean): Common {
  const examples = Array.isArray(schema.examples) ? schema.examples : [];
  const c: Common = {
    name,
    label: typeof schema.title === "string" && schema.title.trim() ? schema.title.trim() : name,
    required,
    examples,
    hasDefault: Object.hasOwn(schema, "default"),
  };
  if (typeof schema.description === "string" && schema.description.trim())
    c.description = schema.description.trim();
  if (c.hasDefault) c.default = schema.default;
  return c;
}

/** The field of one schema (`name` its property name; `required` as its parent says). */
export function fieldOf(name: string, schema: JsonSchema, required: boolean, depth = 0): Field {
  const base = common(name, schema, required);
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return { ...base, kind: "enum", options: schema.enum };
  if (Object.hasOwn(schema, "const")) return { ...base, kind: "enum", options: [schema.const] };
  if (depth >= MAX_FORM_DEPTH) return { ...base, kind: "json" };
  switch (typeOf(schema)) {
    case "string": {
      const f: StringField = { ...base, kind: "string" };
      if (typeof schema.pattern === "string") f.pattern = schema.pattern;
      if (count(schema.minLength) !== undefined) f.minLength = count(schema.minLength);
      if (count(schema.maxLength) !== undefined) f.maxLength = count(schema.maxLength);
      if (typeof schema.format === "string") f.format = schema.format;
      return f;
    }
    case "number":
    case "integer": {
      const f: NumberField = { ...base, kind: typeOf(schema) as "number" | "integer" };
      for (const k of [
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
      ] as const) {
        const v = num(schema[k]);
        if (v !== undefined) f[k] = v;
      }
      return f;
    }
    case "boolean":
      return { ...base, kind: "boolean" };
    case "array": {
      const items = schema.items;
      // Tuples (`prefixItems`, `items: [...]`) and untyped items are edited as JSON.
      if (!items || typeof items !== "object" || Array.isArray(items) || schema.prefixItems)
        return { ...base, kind: "json" };
      const f: ArrayField = {
        ...base,
        kind: "array",
        item: fieldOf("", items as JsonSchema, true, depth + 1),
        uniqueItems: schema.uniqueItems === true,
      };
      if (count(schema.minItems) !== undefined) f.minItems = count(schema.minItems);
      if (count(schema.maxItems) !== undefined) f.maxItems = count(schema.maxItems);
      return f;
    }
    case "object": {
      const props = schema.properties;
      // A free map (no properties, or open to any key) has no fields to show.
      if (!props || typeof props !== "object" || Object.keys(props).length === 0)
        return { ...base, kind: "json" };
      return { ...base, kind: "object", fields: fieldsOf(schema, depth + 1) };
    }
    default:
      return { ...base, kind: "json" };
  }
}

/** The fields of an object schema (a flow's `inputsSchema`), in declaration order. */
export function fieldsOf(schema: JsonSchema, depth = 0): Field[] {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(props)
    .filter(([, s]) => s !== null && typeof s === "object" && !Array.isArray(s))
    .map(([name, s]) => fieldOf(name, s, required.has(name), depth));
}

/** Shows a schema value in help text and options: strings as they are, the rest as JSON. */
export function showValue(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The constraints of a field as one line of help ("Pattern ^CTR-[0-9]+$ · 1 to 10"). */
export function constraintsOf(f: Field): string[] {
  const out: string[] = [];
  if (f.kind === "string") {
    if (f.pattern) out.push(`Pattern ${f.pattern}`);
    if (f.minLength !== undefined && f.maxLength !== undefined)
      out.push(`${f.minLength} to ${f.maxLength} characters`);
    else if (f.minLength !== undefined) out.push(`At least ${f.minLength} characters`);
    else if (f.maxLength !== undefined) out.push(`At most ${f.maxLength} characters`);
    if (f.format) out.push(`Format ${f.format}`);
  }
  if (f.kind === "number" || f.kind === "integer") {
    if (f.kind === "integer") out.push("A whole number");
    const low =
      f.minimum !== undefined
        ? `≥ ${f.minimum}`
        : f.exclusiveMinimum !== undefined
          ? `> ${f.exclusiveMinimum}`
          : null;
    const high =
      f.maximum !== undefined
        ? `≤ ${f.maximum}`
        : f.exclusiveMaximum !== undefined
          ? `< ${f.exclusiveMaximum}`
          : null;
    if (low || high) out.push([low, high].filter(Boolean).join(" and "));
    if (f.multipleOf !== undefined) out.push(`A multiple of ${f.multipleOf}`);
  }
  if (f.kind === "array") {
    if (f.minItems !== undefined)
      out.push(`At least ${f.minItems} item${f.minItems === 1 ? "" : "s"}`);
    if (f.maxItems !== undefined)
      out.push(`At most ${f.maxItems} item${f.maxItems === 1 ? "" : "s"}`);
    if (f.uniqueItems) out.push("No duplicates");
  }
  return out;
}
