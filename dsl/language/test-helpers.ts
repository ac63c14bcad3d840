/** Shared fixtures of the language feature tests: real flows, a cursor marker, edits. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { getValue, parseFlow } from "../parse";
import { BlockRegistry } from "../registry/registry";
import { flowTemplates, type TemplateId } from "../templates/index";
import type { LanguageEnv } from "./context";
import type { TextEdit } from "./quick-fixes";

export const registry = BlockRegistry.withPrimitives();
export const env: LanguageEnv = { registry, secrets: ["STRIPE_KEY", "SLACK_WEBHOOK"] };

/** A template's text, as a new workflow starts from it. */
export function template(id: TemplateId): string {
  return flowTemplates.find((t) => t.id === id)!.text;
}

/** The reference example of the language (`dsl/testdata/quote-to-cash.yaml`). */
export const referenceExample = readFileSync(
  path.join(import.meta.dirname, "../testdata/quote-to-cash.yaml"),
  "utf8",
);

/** The cursor in test sources. */
export const CURSOR = "‸";

/**
 * Replaces the first `find` in `text` with `replace`, where `replace` holds the cursor marker;
 * returns the text without the marker and the cursor's offset.
 */
export function edit(
  text: string,
  find: string,
  replace: string,
): { text: string; offset: number } {
  const at = text.indexOf(find);
  if (at < 0) throw new Error(`not in the text: ${find}`);
  const next = text.slice(0, at) + replace + text.slice(at + find.length);
  const offset = next.indexOf(CURSOR);
  if (offset < 0) throw new Error("no cursor in the replacement");
  return { text: next.slice(0, offset) + next.slice(offset + 1), offset };
}

/** The offset just inside the first occurrence of `needle` (plus `delta`). */
export function offsetOf(text: string, needle: string, delta = 0): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`not in the text: ${needle}`);
  return at + delta;
}

/** Applies non-overlapping edits. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.span.start - a.span.start))
    out = out.slice(0, e.span.start) + e.text + out.slice(e.span.end);
  return out;
}

/** Adds a step at the end of the flow's `steps:` (before the sections that follow it). */
export function addStep(text: string, step: string): string {
  const m = /\n(policies|ui|outputs):/.exec(text.slice(text.indexOf("\nsteps:")));
  const at = m ? text.indexOf("\nsteps:") + m.index + 1 : text.length;
  const before = text.slice(0, at).replace(/\n*$/, "\n");
  return `${before}\n${step.replace(/\n*$/, "\n")}\n${text.slice(at)}`;
}

/** The input names the compiler's parser sees under `inputs:`. */
export function declaredInputs(text: string): string[] {
  const ast = parseFlow(text).ast;
  const inputs = ast && getValue(ast, "inputs");
  return inputs?.kind === "map" ? inputs.pairs.map((p) => p.key) : [];
}
