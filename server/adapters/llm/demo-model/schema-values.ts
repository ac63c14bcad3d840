/**
 * Values that satisfy a JSON Schema, built deterministically from the schema, the prompt and a
 * seeded generator: the demo model's answers. Supported: `type` (and type lists), `const`,
 * `enum`, `properties`/`required`/`additionalProperties`/`patternProperties`/`min|maxProperties`/
 * `dependentRequired`, `items`/`prefixItems`/`contains`/`min|maxItems`/`uniqueItems`,
 * `min|maxLength`/`pattern`/`format`, `minimum`/`maximum`/`exclusive*`/`multipleOf`, local
 * `$ref`s (`#/$defs/…`), `allOf` (merged), `anyOf`/`oneOf` (one branch). Anything else is left
 * to the final check: {@link answerForSchema} validates every answer with the agent runtime's
 * Ajv options and tries other seeds when one fails.
 *
 * How the prompt is used (never any AI):
 * - an `enum` value named in the text wins; else the one whose description in the prompt shares
 *   the most words with the text (`- sales: pricing, demos` for a text about pricing);
 * - a field `name: value` written in the text gives that field's value when it fits the schema;
 * - strings are made of the text's own words: long fields (`summary`, `body`, …) start at its
 *   beginning (within an "at most N words" of the prompt), headlines (`subject`, `title`) are its
 *   first sentence, names (`company`, `customer`, …) a capitalised phrase of it, lists of
 *   statements (`keyPoints`) its sentences, other strings a few of its words;
 * - explanations (`rationale`, `reason`) say that the demo model chose from the prompt's words;
 * - scores (`confidence`, `score`) lean to the top of their range, so demo flows take their main
 *   path; lists of problems (`missing`, `errors`, `warnings`) stay as short as the schema allows.
 *
 * Modules (under `schema-values/`): `context.ts` (hints, limits, the generation state),
 * `schema.ts` (`$ref`, `allOf`, types), `prompt.ts` (the prompt's words, names and `name: value`
 * pairs, enum ranking), `field-names.ts` (what a field's name says), `scalars.ts` (numbers and
 * strings), `generate.ts` (one value per schema node, arrays and objects). This file builds the
 * context and validates the answers.
 */
import { validatorFor } from "@/dsl";
import type { Rng } from "./rng";
import {
  DEFAULT_LIMITS,
  type Ctx,
  type GenerateLimits,
  type PromptHints,
} from "./schema-values/context";
import { gen } from "./schema-values/generate";
import { properNouns, splitWords } from "./schema-values/prompt";

export { DEFAULT_LIMITS, type GenerateLimits, type PromptHints } from "./schema-values/context";
export { canonical } from "./schema-values/schema";

/** Attempts with other seeds when an answer does not validate. */
const ATTEMPTS = 8;

/** One value for `schema` (not validated: see {@link answerForSchema}). */
export function valueForSchema(
  schema: unknown,
  hints: PromptHints,
  rng: Rng,
  opts: { compact?: boolean; limits?: Partial<GenerateLimits> } = {},
): unknown {
  const source = hints.data.trim() ? hints.data : hints.context;
  const words = splitWords(source);
  const maxWords = /at most (\d{1,5}) words/i.exec(hints.context)?.[1];
  const ctx: Ctx = {
    sentences: source
      .split(/(?<=[.!?])\s+|\n+/u)
      .map((x) => x.trim())
      .filter(Boolean),
    properNouns: properNouns(source),
    maxWords: maxWords ? Math.max(1, Number(maxWords)) : undefined,
    rng,
    hints,
    root: schema,
    compact: opts.compact ?? false,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    nodes: 0,
    chars: 0,
    words,
  };
  return gen(schema, ctx, undefined, 0);
}

export interface SchemaAnswer {
  value: unknown;
  /** Whether the value validates (false only for schemas beyond what the generator meets). */
  valid: boolean;
  /** Validation errors of the last attempt when not valid. */
  errors: string[];
}

/**
 * A value valid against `schema`, deterministic for (schema, hints, rng): up to 8 seeds are
 * tried, each answer checked with the agent runtime's Ajv (`@/dsl`'s `validatorFor`, the project's
 * one instance and bounded cache). Throws when the schema does not compile.
 */
export function answerForSchema(
  schema: unknown,
  hints: PromptHints,
  rng: Rng,
  opts: { compact?: boolean; limits?: Partial<GenerateLimits> } = {},
): SchemaAnswer {
  const validate = validatorFor(schema as object);
  let value: unknown = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    value = valueForSchema(
      schema,
      hints,
      attempt === 0 ? rng : rng.fork(`attempt-${attempt}`),
      opts,
    );
    if (validate(value)) return { value, valid: true, errors: [] };
  }
  return {
    value,
    valid: false,
    errors: (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""}`),
  };
}
