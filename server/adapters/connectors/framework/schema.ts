/**
 * JSON Schema checks of inputs and outputs (the compiler's one Ajv 2020-12 and schema cache), and the projection of a response onto a closed output schema.
 */
import { ajv, validatorFor, type JsonSchema } from "@/dsl";

/** Validates `value` against `schema` (the one Ajv); returns the Ajv error text, or null when valid. */
export function schemaErrors(schema: JsonSchema, value: unknown, dataVar: string): string | null {
  const validate = validatorFor(schema);
  return validate(value) ? null : ajv.errorsText(validate.errors, { dataVar });
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Drops the properties a closed object schema (`additionalProperties: false`) does not list,
 * recursively through `properties` and `items`. REST APIs add fields over time; a block's
 * output stays exactly its schema. Required fields and types are still checked afterwards.
 */
export function projectToSchema(schema: JsonSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return isPlainObject(items) ? value.map((v) => projectToSchema(items, v)) : value;
  }
  if (!isPlainObject(value)) return value;
  const props = isPlainObject(schema.properties)
    ? (schema.properties as Record<string, JsonSchema>)
    : undefined;
  if (!props) return value;
  const closed = schema.additionalProperties === false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const sub = props[k];
    if (sub) out[k] = projectToSchema(sub, v);
    else if (!closed) out[k] = v;
  }
  return out;
}
