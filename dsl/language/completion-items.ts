/** What completion returns, and the helpers its parts share (step candidates, `steps.<id>`). */
import type { Span } from "../types";
import type { LanguageContext } from "./context";
import { dependentsOf, type FlowOutline, type StepOutline } from "./outline";

export type CompletionKind =
  | "block"
  | "input"
  | "value"
  | "step"
  | "field"
  | "variable"
  | "secret"
  | "function"
  | "method"
  | "keyword"
  | "snippet";

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  /** One line beside the label (type, block title). */
  detail?: string;
  /**
   * Markdown shown in the details pane; a function when it costs something to build (a step's
   * output fields): the editor calls it for the item the user looks at.
   */
  documentation?: string | (() => string);
  /** What is inserted in place of the result's span (or the item's own `span`). */
  insertText: string;
  /** `insertText` is a snippet (`$1`, `${1:default}`, `${1|a,b|}`). */
  snippet?: boolean;
  /** Replaces this span instead of the result's (e.g. from the `.` before a quoted step id). */
  span?: Span;
  filterText?: string;
  sortText?: string;
  deprecated?: boolean;
  /** Open the suggestions again after inserting (the item ends where more can be chosen). */
  retrigger?: boolean;
}

export interface CompletionResult {
  /** The text the items replace (what has been typed of the word so far). */
  span: Span;
  items: CompletionItem[];
  /** What was completed (an editor may, say, not open CEL suggestions on a typed space). */
  context: LanguageContext["kind"];
  /**
   * The list is cut (a flow with more steps than {@link STEP_LIST_LIMIT}): ask again as more
   * is typed, rather than filtering these items.
   */
  incomplete?: boolean;
}

/**
 * Most steps listed at once: the nearest ones, narrowed by what has been typed. Listing every
 * step of a 500-step flow cost the studio ~100 ms per `steps.` (the editor scores, sorts and
 * lays out each item) on a shared 2-core machine.
 */
export const STEP_LIST_LIMIT = 50;

/** Whether the letters of `typed` appear in `id` in order (case-insensitive). */
export function fuzzy(typed: string, id: string): boolean {
  let j = 0;
  const t = typed.toLowerCase();
  const s = id.toLowerCase();
  for (let i = 0; i < s.length && j < t.length; i++) if (s[i] === t[j]) j++;
  return j === t.length;
}

/** The candidates to list for what has been typed, and whether that is all of them. */
export function limitSteps(
  steps: StepOutline[],
  typed: string,
): { steps: StepOutline[]; cut: boolean } {
  if (steps.length <= STEP_LIST_LIMIT) return { steps, cut: false };
  const word = typed.replace(/^[.'"[]+/, "").toLowerCase();
  if (!word) return { steps: steps.slice(0, STEP_LIST_LIMIT), cut: true };
  // Ids starting with what was typed first, then those containing its letters in order.
  const prefix = steps.filter((s) => s.id.toLowerCase().startsWith(word));
  const rest = steps.filter((s) => !s.id.toLowerCase().startsWith(word) && fuzzy(word, s.id));
  return { steps: [...prefix, ...rest].slice(0, STEP_LIST_LIMIT), cut: true };
}

export const CEL_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const pad = (n: number) => String(n).padStart(4, "0");

/**
 * Steps an expression of `self` may read: every other step except those that depend on it
 * (reading them would close a cycle). Nearest above first, then the ones below.
 */
export function candidateSteps(outline: FlowOutline, self: StepOutline | undefined): StepOutline[] {
  const steps = outline.steps.filter((s) => s.id && s !== self);
  if (!self?.id) return steps;
  const after = dependentsOf(outline, self.id);
  const ok = steps.filter((s) => !after.has(s.id));
  const above = ok.filter((s) => s.line < self.line).reverse();
  const below = ok.filter((s) => s.line > self.line);
  return [...above, ...below];
}

/** `steps.<id>` as CEL writes it (`steps['credit-check']` when the id is not an identifier). */
export function stepRef(id: string): string {
  return CEL_IDENT.test(id) ? `steps.${id}` : `steps['${id}']`;
}
