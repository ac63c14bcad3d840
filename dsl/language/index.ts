/**
 * The flow language's editor features, independent of any editor: completion, hover, go to
 * definition and quick fixes, computed from the text, an offset, the block registry and the
 * compiler's diagnostics. `components/editor/` adapts them to Monaco; `ARCHITECTURE.md` here
 * explains how they stay cheap on large flows.
 *
 * @example
 * const r = completionsAt(text, text.indexOf("uses: ") + 6, { registry });
 * r?.items.map((i) => i.label); // ["trigger.webhook@1", ..., "billing.invoice.create@4", ...]
 */
export {
  completionsAt,
  type CompletionItem,
  type CompletionKind,
  type CompletionResult,
} from "./completion";
export { hoverAt, definitionAt, type Hover, type Definition } from "./hover";
export { quickFixes, type QuickFix, type TextEdit } from "./quick-fixes";
export { contextAt, type LanguageContext, type LanguageEnv } from "./context";
export { CEL_FUNCTIONS, type CelFunctionDoc } from "./cel-functions";
export { flowOutline, type FlowOutline, type StepOutline } from "./outline";
