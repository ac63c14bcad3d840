/** The edits, their results, and what every part of the editor shares. */

/** A step as the canvas creates it. */
export interface NewStep {
  id: string;
  uses: string;
  with?: Record<string, unknown>;
  needs?: string[];
}

/** An edit made on the canvas (or any structured editor), tagged by `type`. */
export type FlowEdit =
  | { type: "add-step"; step: NewStep; after?: string; position?: [number, number] }
  | { type: "remove-step"; id: string }
  | { type: "rename-step"; from: string; to: string }
  | { type: "connect"; from: string; to: string }
  | { type: "disconnect"; from: string; to: string }
  | { type: "move"; id: string; position: [number, number] }
  | { type: "set-input"; id: string; key: string; value: unknown }
  | { type: "set-field"; id: string; path: readonly string[]; value: unknown }
  | { type: "insert-between"; step: NewStep; from: string; to: string }
  /**
   * Sets (value null: removes) `path` inside the JSON Schema of the flow's input `name`; an
   * empty path replaces the whole schema (or adds the input).
   */
  | { type: "set-flow-input"; name: string; path: readonly string[]; value: unknown };

/** The edited text, or an error with the text unchanged. */
export type ApplyEditResult =
  { ok: true; text: string } | { ok: false; error: string; text: string };

/** Input names: a letter or underscore, then letters, digits or `_`. */
export const INPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Step ids: a letter or underscore, then letters, digits, `_` or `-`. */
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Keys whose whole string value is a CEL expression (not only its `${{ }}` parts). */
export const CEL_VALUE_KEYS = new Set(["rule", "condition", "when", "if"]);

export const RENDER = { lineWidth: 0, flowCollectionPadding: false } as const;

export class EditError extends Error {}
