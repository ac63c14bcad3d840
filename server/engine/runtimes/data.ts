/** Data runtimes: pure transformations (deterministic, recomputed after a crash). */
import { NonRetryableError } from "../errors";
import type { BlockRuntime } from "../ports";
import { repairJson as repairJsonText } from "./json-repair";
import { asObject, schemaErrors } from "./support";

/** `data.transform`: each key of `fields` is a CEL expression; the output holds the results. */
export const transformRuntime: BlockRuntime = {
  pure: true,
  execute({ inputs, services }) {
    const out: Record<string, unknown> = {};
    for (const [k, src] of Object.entries(asObject(inputs.fields)))
      out[k] = services.evaluate(String(src));
    return out;
  },
};

/**
 * Repairs almost-JSON with the one structural repair ({@link repairJsonText}): code fences,
 * prose around the value, single quotes, trailing or missing commas, comments, unquoted keys,
 * Python literals and truncated output. Returns the value and the changes; text that cannot be
 * repaired is a non-retryable error naming why.
 *
 * @example
 * repairJson("```json\n{'a': 1,}\n```").value; // { a: 1 }
 */
export function repairJson(text: string): { value: unknown; repaired: boolean; changes: string[] } {
  const r = repairJsonText(text.trim());
  if (!r.ok) {
    throw new NonRetryableError(`text could not be repaired into JSON: ${r.error}`, {
      detail: { changes: r.changes },
    });
  }
  return { value: r.value, repaired: r.repaired, changes: r.changes };
}

/** `data.json.repair`: {@link repairJson}, then an optional schema check. */
export const jsonRepairRuntime: BlockRuntime = {
  pure: true,
  execute({ inputs }) {
    const result = repairJson(String(inputs.text ?? ""));
    if (inputs.schema !== undefined) {
      const errors = schemaErrors(inputs.schema, result.value);
      if (errors.length) {
        throw new NonRetryableError(
          `repaired JSON does not match the schema: ${errors[0]!.path} ${errors[0]!.message}`,
          {
            detail: { errors },
          },
        );
      }
    }
    return result;
  },
};

/** `data.schema.validate`: ajv (draft 2020-12); `mode: fail` fails the step on errors. */
export const schemaValidateRuntime: BlockRuntime = {
  pure: true,
  execute({ inputs }) {
    const errors = schemaErrors(inputs.schema, inputs.value);
    if (errors.length && inputs.mode !== "report") {
      throw new NonRetryableError(
        `value does not match the schema: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
        {
          detail: { errors },
        },
      );
    }
    return { valid: errors.length === 0, errors };
  },
};
