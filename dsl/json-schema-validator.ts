/**
 * The project's one Ajv (JSON Schema draft 2020-12) instance and compiled-schema cache. Pure:
 * the editor, the compiler, the engine's runtimes and the LLM adapters validate with it alike.
 *
 * Options: all errors; lenient about unknown keywords (`strict: false`) and formats (known
 * formats are never asserted: `ajv-formats` is not a dependency, and an answer a model gives for
 * `format: email` is not judged by a regex here); `addUsedSchema: false`, so schemas from
 * different flows or blocks that share an `$id` do not collide, and a compiled schema is not kept
 * by Ajv once the cache below drops it.
 *
 * The registry's *definition check* (is this block schema strict, well-formed JSON Schema?) is a
 * different question with different options; {@link strictSchemaErrors} answers it, and its
 * compiled schemas are discarded at once.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { canonicalJson } from "./hash";

/** The `format` values block schemas may use (known to the strict check, never asserted). */
export const SCHEMA_FORMATS: readonly string[] = [
  "email",
  "date",
  "date-time",
  "time",
  "duration",
  "uri",
  "uri-reference",
  "uuid",
  "hostname",
  "ipv4",
  "ipv6",
  "regex",
];

/**
 * The options of the one Ajv instance ({@link ajv}). Validators generated ahead of time for it
 * (the CLI's bundle: {@link usePrecompiledValidator}) are compiled with these options too.
 */
export const AJV_OPTIONS = {
  allErrors: true,
  strict: false,
  validateFormats: false,
  addUsedSchema: false,
} as const;

/** The one Ajv instance that validates data against a JSON Schema. */
export const ajv: Ajv2020 = new Ajv2020({ ...AJV_OPTIONS });

/** Compiled validators kept by schema text, at most (least recently used dropped first). */
export const MAX_CACHED_SCHEMAS = 500;

const byObject = new WeakMap<object, ValidateFunction>();

/** Schemas known to be valid JSON Schema 2020-12: see {@link markSchemaChecked}. */
const checkedSchemas = new WeakSet<object>();

/**
 * Records that `schema` is known to be valid JSON Schema 2020-12: it passed
 * {@link strictSchemaErrors} (which checks it against the meta-schema, and more), or it is a
 * built-in block's, which the registry's tests check so. {@link validatorFor} then compiles it
 * without checking it against the meta-schema again: compiling the 2020-12 meta-schema is most of
 * a short process's first validation (the CLI's `validate`), and a schema that was never checked
 * still is, with Ajv's `schema is invalid: ...` error. The schema must not change afterwards (the
 * registry's definitions do not).
 */
export function markSchemaChecked(schema: object | boolean): void {
  if (typeof schema === "object" && schema !== null) checkedSchemas.add(schema);
}

/**
 * Compiles a schema already checked ({@link markSchemaChecked}) on the one instance, without the
 * meta-schema check (Ajv reads the option at each compile; nothing runs in between).
 */
function compileChecked(schema: object): ValidateFunction {
  const { opts } = ajv;
  const before = opts.validateSchema;
  opts.validateSchema = false;
  try {
    return ajv.compile(schema);
  } finally {
    opts.validateSchema = before;
  }
}
const byText = new Map<string, { schema: object | boolean; validate: ValidateFunction }>();

/**
 * Makes {@link validatorFor} return `validate` for this very schema object (by identity), instead
 * of compiling it: `validate` must be Ajv's code for `schema` compiled with {@link AJV_OPTIONS},
 * generated ahead of time (Ajv's standalone code). The CLI's bundle does so for the built-in
 * primitives' input schemas, so a short process does not run Ajv's compiler for them. The schema
 * must not change afterwards (the registry's definitions do not).
 */
export function usePrecompiledValidator(schema: object, validate: ValidateFunction): void {
  byObject.set(schema, neverThrows(validate, schema));
}

/**
 * A compiled validator of `schema`, cached by object identity and, for equal schemas built
 * separately, by canonical JSON text (bounded: the least recently used is dropped, from Ajv too).
 * Throws Ajv's error when the schema does not compile.
 *
 * @example
 * const v = validatorFor({ type: "object", required: ["id"] });
 * v({}); // false; v.errors lists `must have required property 'id'`
 */
export function validatorFor(schema: object | boolean): ValidateFunction {
  const isObject = typeof schema === "object";
  const known = isObject ? byObject.get(schema) : undefined;
  if (known) return known;
  const key = canonicalJson(schema);
  const hit = byText.get(key);
  if (hit) {
    byText.delete(key);
    byText.set(key, hit);
    if (isObject) byObject.set(schema, hit.validate);
    return hit.validate;
  }
  // A private copy: the caller may mutate its object later; the cache keys stay true.
  const copy = structuredClone(schema);
  const validate = neverThrows(
    isObject && checkedSchemas.has(schema) ? compileChecked(copy as object) : ajv.compile(copy),
  );
  byText.set(key, { schema: copy, validate });
  if (isObject) byObject.set(schema, validate);
  while (byText.size > MAX_CACHED_SCHEMAS) {
    const [oldKey, old] = byText.entries().next().value!;
    byText.delete(oldKey);
    if (typeof old.schema === "object") ajv.removeSchema(old.schema);
  }
  return validate;
}

let strictAjv: Ajv2020 | undefined;

/**
 * The errors of a JSON Schema under strict mode (unknown keywords, unknown formats, ignored
 * `additionalItems` and the like are errors; types and `required` are not checked strictly), or
 * `null` when it compiles. The registry checks block definitions with it.
 *
 * @example
 * strictSchemaErrors({ type: "string", frmat: "email" }); // 'strict mode: unknown keyword: "frmat"'
 */
export function strictSchemaErrors(schema: object | boolean): string | null {
  if (!strictAjv) {
    strictAjv = new Ajv2020({
      allErrors: true,
      strict: true,
      strictTypes: false,
      strictRequired: false,
      addUsedSchema: false,
    });
    for (const format of SCHEMA_FORMATS) strictAjv.addFormat(format, true);
  }
  // A copy compiled and dropped, so nothing of it stays in the strict instance.
  const copy = structuredClone(schema);
  try {
    strictAjv.compile(copy);
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    if (typeof copy === "object") strictAjv.removeSchema(copy);
  }
}

/**
 * `validate`, made total: an exception inside Ajv while it checks a value becomes a failed check
 * with one error saying why, instead of escaping into the caller. Ajv's deep equality (`const`,
 * `enum`, `uniqueItems`: fast-deep-equal) calls an object's own `valueOf` when it is not
 * Object.prototype's, so `{ "valueOf": false }` in a schema's `const` and in the data throws
 * "a.valueOf is not a function" — data from a model or a request must never crash a step.
 */
function neverThrows(validate: ValidateFunction, schema?: object): ValidateFunction {
  const total = ((data: unknown) => {
    try {
      const ok = validate(data) as boolean;
      total.errors = validate.errors;
      return ok;
    } catch (err) {
      total.errors = [
        {
          instancePath: "",
          schemaPath: "#",
          keyword: "validator",
          params: {},
          message: `could not be checked against the schema: ${(err as Error).message}`,
        },
      ];
      return false;
    }
  }) as ValidateFunction;
  total.schema = validate.schema ?? schema;
  total.schemaEnv = validate.schemaEnv;
  return total;
}
