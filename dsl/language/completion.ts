/**
 * Completion for flow YAML: block ids after `uses:`, a block's inputs inside `with:` (types,
 * defaults, allowed values), step ids in `needs`, and inside `${{ }}` (or bare-CEL inputs) the
 * flow's inputs, `steps.<id>.output.<field>` from the blocks' output schemas, the workspace's
 * secrets, `run` and the CEL functions the runtime supports.
 */
import type { Span } from "../types";
import { celPlace } from "./cel-text";
import { contextAt, type LanguageEnv } from "./context";
import { flowOutline, stepAtLine } from "./outline";
import { lineIndex } from "./yaml-structure";
import type { CompletionItem, CompletionResult } from "./completion-items";
import { blockItems, inputKeyItems, inputValueItems, needsItems } from "./completion-yaml";
import { celItems } from "./completion-cel";

export {
  STEP_LIST_LIMIT,
  type CompletionItem,
  type CompletionKind,
  type CompletionResult,
} from "./completion-items";

/** Completion items at `offset`, or undefined where the flow language has nothing to offer. */
export function completionsAt(
  text: string,
  offset: number,
  env: LanguageEnv,
): CompletionResult | undefined {
  const ctx = contextAt(text, offset, env);
  if (!ctx) return undefined;
  const done = (span: Span, items: CompletionItem[], incomplete = false): CompletionResult =>
    incomplete
      ? { span, items, context: ctx.kind, incomplete }
      : { span, items, context: ctx.kind };
  switch (ctx.kind) {
    case "block":
      return done(ctx.span, blockItems(env, ctx.purpose));
    case "input-key":
      return done(
        ctx.span,
        inputKeyItems(text, ctx.block, ctx.keys, ctx.container, lineIndex(text).lineOf(offset)),
      );
    case "input-value":
      return done(ctx.span, inputValueItems(text, ctx.block, ctx.keys, ctx.stepItem, env));
    case "needs": {
      const r = needsItems(text, ctx.stepItem, ctx.bracket, ctx.span);
      return done(ctx.span, r.items, r.incomplete);
    }
    case "cel": {
      const place = celPlace(text, ctx.site, offset);
      if (!place) return undefined;
      const outline = flowOutline(text);
      const step = ctx.stepItem ? stepAtLine(outline, ctx.stepItem.line) : undefined;
      const r = celItems(place, { outline, step, allowItem: ctx.allowItem, env, text });
      return done(r.span, r.items, r.incomplete);
    }
  }
}
