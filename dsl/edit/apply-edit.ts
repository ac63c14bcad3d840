/**
 * Canvas edits applied to flow YAML text, keeping everything the edit does not touch byte for byte.
 *
 * The canvas never rewrites the whole file: each edit parses the text with eemeli/yaml
 * (`parseDocument`, which records every node's source range), locates the nodes to change, and
 * splices freshly rendered YAML into just those ranges. Re-printing the whole document with
 * `doc.toString()` would realign trailing comments and re-pad flow collections (`[a]` becomes
 * `[ a ]`) all over the file on every drag; splicing keeps comments, alignment, quoting and
 * flow/block styles of untouched nodes exactly as the author wrote them.
 *
 * Compound edits (rename, remove, insert-between) run as a sequence of primitive splices,
 * re-parsing in between; the result is parsed once more before it is returned, so an edit can
 * never hand back YAML that does not parse. A bad edit changes nothing and says why.
 */
import { isMap, parseDocument } from "yaml";
import { MAX_SCANNED_NESTING, scanNesting } from "../parse";
import { EditError, INPUT_NAME_PATTERN, type ApplyEditResult, type FlowEdit } from "./types";
import { checkPosition, hasPosition, load, requireStep } from "./document";
import { renamePositionKey, setIn } from "./splices";
import { addStep, connect, disconnect, insertBetween, removeStep, renameStep } from "./edits";

export { STEP_ID_PATTERN, type ApplyEditResult, type FlowEdit, type NewStep } from "./types";

/**
 * Applies one edit to flow YAML text.
 *
 * @example
 * const r = applyEdit(text, { type: "connect", from: "contract", to: "deal" });
 * if (r.ok) editor.setValue(r.text); else toast(r.error);
 */
export function applyEdit(text: string, edit: FlowEdit): ApplyEditResult {
  try {
    // Kept away from eemeli/yaml's recursive composer (as `parseFlow` does). Aliases are never
    // expanded here: `toJSON()` without a context leaves them as references.
    if (scanNesting(text, MAX_SCANNED_NESTING) !== undefined)
      throw new EditError(`The flow is nested more than ${MAX_SCANNED_NESTING} levels deep`);
    const out = run(text, edit);
    const check = parseDocument(out);
    if (check.errors.length > 0) {
      throw new EditError(
        `internal error: the edit produced invalid YAML (${check.errors[0]!.message})`,
      );
    }
    return { ok: true, text: out };
  } catch (e) {
    if (e instanceof EditError) return { ok: false, error: e.message, text };
    throw e;
  }
}

/**
 * Moves a step's canvas position from the `ui.positions` key `from` to `to`, in place: what a
 * step renamed by typing in the text needs (the `rename-step` edit does it itself). The text is
 * unchanged when there is no `from` key or `to` already has a position.
 *
 * @example
 * renamePosition(text, "deal", "deal_closed"); // `deal: [0, 280]` becomes `deal_closed: [0, 280]`
 */
export function renamePosition(text: string, from: string, to: string): ApplyEditResult {
  try {
    if (scanNesting(text, MAX_SCANNED_NESTING) !== undefined)
      throw new EditError(`The flow is nested more than ${MAX_SCANNED_NESTING} levels deep`);
    const doc = load(text);
    if (from === to || !hasPosition(doc, from) || hasPosition(doc, to)) return { ok: true, text };
    const out = renamePositionKey(text, from, to);
    if (parseDocument(out).errors.length > 0)
      throw new EditError("internal error: renaming the position produced invalid YAML");
    return { ok: true, text: out };
  } catch (e) {
    if (e instanceof EditError) return { ok: false, error: e.message, text };
    throw e;
  }
}

/**
 * The flow-input edit: a key of an existing input's schema (the guardian's stricter input
 * schema), or a whole schema. Only the edited input's value is re-rendered; an inline schema
 * (`{ type: string }`) stays inline.
 */
function setFlowInput(text: string, name: string, path: readonly string[], value: unknown): string {
  if (typeof name !== "string" || !INPUT_NAME_PATTERN.test(name))
    throw new EditError(`Invalid input name ${JSON.stringify(name)}`);
  if (!Array.isArray(path) || path.some((k) => typeof k !== "string" || k === ""))
    throw new EditError("set-flow-input needs a path of non-empty keys");
  const inputs = load(text).get("inputs", true);
  const exists = isMap(inputs) && inputs.has(name);
  if (path.length === 0) {
    const remove = value === null || value === undefined;
    if (!remove && (typeof value !== "object" || Array.isArray(value)))
      throw new EditError(`The schema of input "${name}" must be an object`);
    if (remove && !exists) throw new EditError(`No input "${name}"`);
  } else if (!exists) throw new EditError(`No input "${name}"`);
  return setIn(text, ["inputs", name, ...path], value ?? undefined);
}

function run(text: string, edit: FlowEdit): string {
  switch (edit.type) {
    case "add-step":
      return addStep(text, edit.step, edit.after, edit.position);
    case "remove-step":
      return removeStep(text, edit.id);
    case "rename-step":
      return renameStep(text, edit.from, edit.to);
    case "connect":
      return connect(text, edit.from, edit.to);
    case "disconnect":
      return disconnect(text, edit.from, edit.to);
    case "move":
      requireStep(load(text), edit.id);
      checkPosition(edit.position);
      return setIn(text, ["ui", "positions", edit.id], [...edit.position]);
    case "set-input": {
      const { index } = requireStep(load(text), edit.id);
      const keys = edit.key.split(".");
      if (keys.some((k) => k === "")) throw new EditError(`Invalid input key "${edit.key}"`);
      return setIn(text, ["steps", index, "with", ...keys], edit.value ?? undefined);
    }
    case "set-field": {
      const { index } = requireStep(load(text), edit.id);
      if (edit.path.length === 0 || edit.path.some((k) => k === "")) {
        throw new EditError("set-field needs a non-empty path");
      }
      if (edit.path[0] === "id") throw new EditError("Use rename-step to change a step id");
      if (edit.path[0] === "needs")
        throw new EditError("Use connect or disconnect to change needs");
      return setIn(text, ["steps", index, ...edit.path], edit.value ?? undefined);
    }
    case "insert-between":
      return insertBetween(text, edit.step, edit.from, edit.to);
    case "set-flow-input":
      return setFlowInput(text, edit.name, edit.path, edit.value);
    default: {
      const unknown: never = edit;
      throw new EditError(
        `Unknown edit type ${JSON.stringify((unknown as { type: unknown }).type)}`,
      );
    }
  }
}
