/**
 * The demo model's own JSON Schema validators: the same Ajv options as the agent runtime
 * (`tasks.ts`: draft 2020-12, all errors, lenient about unknown keywords and formats), so an
 * answer the demo model checks is an answer the runtime accepts. Its own instance and a small
 * LRU, because the endpoint is reachable over HTTP: Ajv keeps every compiled schema until it is
 * removed, so evicted schemas are removed from Ajv too and memory stays bounded.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020";
import { canonical } from "./canonical";

/** Compiled validators kept, at most. */
const MAX_CACHED = 64;

const options = { allErrors: true, strict: false, validateFormats: false } as const;
const ajv = new Ajv2020(options);
const cache = new Map<string, { schema: object | boolean; validate: ValidateFunction }>();

/** A validator of `schema` (cached by content); throws when the schema does not compile. */
export function demoValidatorFor(schema: unknown): ValidateFunction {
  const key = canonical(schema);
  const hit = cache.get(key);
  if (hit) {
    // Most recently used last.
    cache.delete(key);
    cache.set(key, hit);
    return hit.validate;
  }
  const copy = structuredClone(schema) as object | boolean;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(copy);
  } catch (err) {
    // Another cached schema with the same `$id`: compile this one on its own.
    if (!/already exists/.test((err as Error).message)) throw err;
    return new Ajv2020(options).compile(copy);
  }
  cache.set(key, { schema: copy, validate });
  while (cache.size > MAX_CACHED) {
    const [oldKey, old] = cache.entries().next().value!;
    cache.delete(oldKey);
    if (typeof old.schema === "object") ajv.removeSchema(old.schema);
  }
  return validate;
}
