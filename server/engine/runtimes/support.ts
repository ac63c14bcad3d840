/** Helpers shared by the built-in runtimes: durations, JSON Schema validation (ajv 2020). */
import type { ValidateFunction } from "ajv/dist/2020";
import { validatorFor as compiledValidator } from "@/dsl";
import { NonRetryableError } from "../errors";

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `500ms`, `30s`, `15m`, `48h`, `2d` in milliseconds; throws a non-retryable error otherwise.
 *
 * @example
 * durationMs("15m"); // 900000
 */
export function durationMs(text: unknown): number {
  const m = typeof text === "string" ? DURATION.exec(text.trim()) : null;
  if (!m)
    throw new NonRetryableError(
      `invalid duration ${JSON.stringify(text)}: use e.g. 30s, 15m, 48h, 2d`,
    );
  return Math.round(Number(m[1]) * UNIT[m[2]!]!);
}

/**
 * A compiled JSON Schema (draft 2020-12) validator from the project's one Ajv and cache
 * (`@/dsl`'s `validatorFor`); a schema that does not compile is a non-retryable error.
 */
export function validatorFor(schema: unknown): ValidateFunction {
  try {
    return compiledValidator(schema as object);
  } catch (e) {
    throw new NonRetryableError(`invalid JSON Schema: ${(e as Error).message}`);
  }
}

/** Validation errors as `{ path, message }` (JSON Pointer paths). */
export function schemaErrors(
  schema: unknown,
  value: unknown,
): Array<{ path: string; message: string }> {
  const v = validatorFor(schema);
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => ({
    path: e.instancePath || "/",
    message: e.message ?? "is invalid",
  }));
}

/** A plain object or `{}`. */
export function asObject(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}
