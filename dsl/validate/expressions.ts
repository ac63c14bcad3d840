/**
 * Values and expressions: `with:`, `outputs:`, `if:` and bare-CEL inputs compiled to IR values;
 * every `${{ }}` (and bare CEL) parsed and analysed (`expr/analysis.ts#analyzeCel`), its syntax errors,
 * unknown names and cost reported at their exact span, and its references recorded as an
 * {@link ExprSite} for the reference pass (`references.ts`), once every step is known.
 */
import { analyzeCel, scanString, schemaTypes, type CelAnalysis, type LocatedRef } from "../expr";
import type { CompiledExpr, CompiledValue, ExprRef } from "../ir";
import { getValue, type AstNode, type AstScalar } from "../parse";
import type { BlockDefinition, JsonSchema, Span } from "../types";
import { BARE_CEL_IN_LISTS } from "./bare-cel";
import type { Analysis } from "./context";
import { lookupFound } from "./inputs";

/** Where a value sits: its step (-1: flow outputs), the schema it must fit, its path. */
export interface ValueContext {
  owner: number;
  target?: JsonSchema;
  targetPath: string;
  allowItem: boolean;
}

/** A URL with user info (`scheme://user[:password]@host`) anywhere in a string. */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@]+@/i;

/** IR refs: fresh objects and arrays (the analyses they come from are cached and shared). */
function plainRefs(refs: LocatedRef[]): ExprRef[] {
  return refs.map(({ root, stepId, path }) =>
    stepId === undefined ? { root, path: path.slice() } : { root, stepId, path: path.slice() },
  );
}

/** A value taken as it is written (bare-CEL inputs: the block evaluates them). */
export function literalOf(node: AstNode): CompiledValue {
  if (node.kind === "scalar") return { kind: "literal", value: node.value };
  if (node.kind === "seq") return { kind: "array", items: node.items.map(literalOf) };
  const entries: Record<string, CompiledValue> = {};
  for (const p of node.pairs) entries[p.key] = literalOf(p.value);
  return { kind: "object", entries };
}

/** `TF2011` for an expression over the static cost budget (`expr/cost.ts#staticCost`). */
function costly(
  a: Analysis,
  c: CelAnalysis,
  source: string,
  base: number | undefined,
  fallback: Span,
): void {
  if (!c.costly) return;
  const shown = source.trim();
  a.report("TF2011", a.span(base, fallback, 0, source.length), {
    source: shown.length > 80 ? `${shown.slice(0, 77)}...` : shown,
    detail: c.costly.detail,
    hint: c.costly.hint,
  });
}

function syntaxError(
  a: Analysis,
  offset: number,
  message: string,
  base: number | undefined,
  fallback: Span,
  length: number,
): void {
  const o = Math.max(0, Math.min(offset, length));
  a.report("TF2001", a.span(base, fallback, o, Math.min(o + 1, Math.max(length, o))), {
    detail: message,
  });
}

/**
 * The text offset where `value.slice(offset)` starts, when the scalar's source shows it
 * verbatim (plain scalars, quoted strings without escapes in the expression); else undefined.
 */
function locate(
  a: Analysis,
  node: AstScalar,
  value: string,
  offset: number,
  piece?: string,
): number | undefined {
  const raw = a.text.slice(node.span.start, node.span.end);
  if (!node.quoted && raw === value) return node.span.start + offset;
  const needle = piece ?? value;
  if (needle === "") return undefined;
  const i = raw.indexOf(needle);
  if (i === -1) return undefined;
  return node.span.start + i + (offset - (piece === undefined ? 0 : offset));
}

/** A `policy.check` rule: bare CEL (no `${{ }}`), validated and scanned for references. */
export function compileRule(a: Analysis, node: AstNode, owner: number): void {
  if (node.kind !== "scalar" || typeof node.value !== "string") return;
  if (node.value.includes("${{")) {
    compileValue(a, node, { owner, target: undefined, targetPath: "with.rule", allowItem: false });
    return;
  }
  compileBareCel(a, node, owner);
}

/**
 * Bare CEL in the items of a list input (`control.switch`'s `cases[].when`): checked like
 * `if:` (syntax, names, references, cost); the value stays the literal string the block
 * evaluates. A `${{ }}` there was compiled with the list's other values.
 */
export function compileBareCelInList(
  a: Analysis,
  block: BlockDefinition,
  key: string,
  list: AstNode,
  owner: number,
): void {
  if (list.kind !== "seq") return;
  for (const [listKey, itemKey] of BARE_CEL_IN_LISTS[block.id] ?? []) {
    if (listKey !== key) continue;
    list.items.forEach((item, i) => {
      const v = item.kind === "map" ? getValue(item, itemKey) : undefined;
      if (v?.kind === "scalar" && typeof v.value === "string" && !v.value.includes("${{"))
        compileBareCel(a, v, owner, `with.${key}.${i}.${itemKey}`);
    });
  }
}

/** A string holding CEL without delimiters (`if:` shorthand, policy rules). */
export function compileBareCel(
  a: Analysis,
  node: AstScalar,
  owner: number,
  targetPath = "if",
): CompiledExpr | undefined {
  const source = String(node.value);
  const base = locate(a, node, source, 0);
  const c = analyzeCel(source);
  if (!c.ok) {
    syntaxError(a, c.error!.offset, c.error!.message, base, node.span, source.length);
    return undefined;
  }
  const compiled: CompiledExpr = {
    kind: "expr",
    source,
    refs: plainRefs(c.refs),
    span: base !== undefined ? { start: base, end: base + source.length } : node.span,
  };
  a.sites.push({
    compiled,
    refs: c.refs,
    base,
    fallback: node.span,
    owner,
    targetPath,
    whole: false,
    allowItem: false,
  });
  for (const u of c.unknownIdents)
    a.report("TF2003", a.span(base, node.span, u.start, u.end), { name: u.name });
  costly(a, c, source, base, node.span);
  return compiled;
}

/** Compiles a `with:`/`outputs:` value, recording expression sites for reference checks. */
export function compileValue(a: Analysis, node: AstNode, ctx: ValueContext): CompiledValue {
  if (node.kind === "map") {
    const entries: Record<string, CompiledValue> = {};
    for (const p of node.pairs) {
      entries[p.key] = compileValue(a, p.value, {
        ...ctx,
        target: ctx.target ? lookupFound(ctx.target, [p.key]) : undefined,
        targetPath: `${ctx.targetPath}.${p.key}`,
      });
    }
    return { kind: "object", entries };
  }
  if (node.kind === "seq") {
    return {
      kind: "array",
      items: node.items.map((x, i) =>
        compileValue(a, x, {
          ...ctx,
          target: ctx.target ? lookupFound(ctx.target, [String(i)]) : undefined,
          targetPath: `${ctx.targetPath}.${i}`,
        }),
      ),
    };
  }
  const v = node.value;
  // `https://user:pass@host` written into a flow would be stored in every version and run: the
  // egress guard refuses it at run time; here the author learns it at the keystroke.
  if (typeof v === "string" && URL_CREDENTIALS.test(v))
    a.report("TF3052", node.span, { path: ctx.targetPath });
  if (typeof v !== "string" || !v.includes("${{")) return { kind: "literal", value: v };
  const scanned = scanString(v);
  if (scanned.unterminated !== undefined) {
    const at = locate(a, node, v, scanned.unterminated, v.slice(scanned.unterminated));
    a.report("TF2002", at !== undefined ? { start: at, end: at + 3 } : node.span);
  }
  const exprSegs = scanned.segments.filter((s) => s.kind === "expr");
  const whole = scanned.segments.length === 1 && exprSegs.length === 1;
  const parts: Array<{ kind: "text"; value: string } | CompiledExpr> = [];
  for (const seg of scanned.segments) {
    if (seg.kind === "text") {
      parts.push({ kind: "text", value: seg.value });
      continue;
    }
    const segStart = locate(a, node, v, seg.start, v.slice(seg.start, seg.end));
    const base = segStart !== undefined ? segStart + 3 : undefined;
    const c = analyzeCel(seg.source);
    if (!c.ok) {
      syntaxError(a, c.error!.offset, c.error!.message, base, node.span, seg.source.length);
      parts.push({ kind: "expr", source: seg.source, refs: [] });
      continue;
    }
    for (const u of c.unknownIdents)
      a.report("TF2003", a.span(base, node.span, u.start, u.end), { name: u.name });
    costly(a, c, seg.source, base, node.span);
    const compiled: CompiledExpr = {
      kind: "expr",
      source: seg.source,
      refs: plainRefs(c.refs),
      span: base !== undefined ? { start: base, end: base + seg.source.length } : node.span,
    };
    a.sites.push({
      compiled,
      refs: c.refs,
      base,
      fallback: node.span,
      owner: ctx.owner,
      target: ctx.target,
      targetPath: ctx.targetPath,
      whole,
      allowItem: ctx.allowItem,
    });
    parts.push(compiled);
  }
  if (whole) return parts[0] as CompiledExpr;
  if (ctx.target) {
    const t = schemaTypes(ctx.target);
    if (t.length > 0 && !t.includes("string")) {
      a.report("TF2007", node.span, {
        source: "template",
        got: "a string",
        target: ctx.targetPath,
        expected: t.join(" | "),
      });
    }
  }
  return { kind: "template", parts };
}
