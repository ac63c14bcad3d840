/**
 * Inputs that hold bare CEL (no `${{ }}`), evaluated by the block at run time: validated for
 * syntax and scanned for references at compile time, passed to the block as literal strings.
 * A block opts in with `format: "cel"` on the input's schema; three primitives are known by name.
 */
import type { BlockDefinition, JsonSchema } from "../types";

const BARE_CEL_INPUTS: Record<string, string[]> = {
  "control.branch": ["condition"],
  "policy.check": ["rule"],
  "data.transform": ["fields.*"],
};

/**
 * Bare CEL in the items of a list input: `[list, key]` pairs, so `cases[].when` of
 * `control.switch` (the block evaluates each case's `when` in order).
 */
export const BARE_CEL_IN_LISTS: Record<string, ReadonlyArray<readonly [string, string]>> = {
  "control.switch": [["cases", "when"]],
};

/** Whether the input at `path` (`*` for any key of a map input) of `block` holds bare CEL. */
export function isBareCel(
  block: BlockDefinition,
  path: string[],
  schema: JsonSchema | undefined,
): boolean {
  if (schema?.format === "cel") return true;
  return BARE_CEL_INPUTS[block.id]?.includes(path.join(".")) ?? false;
}
