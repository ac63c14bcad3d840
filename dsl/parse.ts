/**
 * Phase 1: text -> YAML Document (eemeli/yaml keeps offsets and comments) -> AST whose every
 * node carries a `span`. JSON is YAML, so JSON flows parse too. A syntax error is reported with
 * its exact span and the AST is withheld: later phases would only add misleading errors.
 *
 * Fast path: text within the common subset (`fast-yaml.ts`) gets the very same AST from a
 * single-pass parser; the Document is then built only when someone reads `document`.
 */
import {
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  type Alias,
  type Document,
  type Node,
} from "yaml";
import { diag } from "./diagnostics";
import type { AstNode, AstPair, ScalarValue } from "./ast";
import { fastParseAst } from "./fast-yaml";
import type { Diagnostic, Span } from "./types";

export type { AstMap, AstNode, AstPair, AstScalar, AstSeq, ScalarValue } from "./ast";

/** The result of {@link parseFlow}. */
export interface ParseResult {
  /**
   * The YAML document (kept for comment-preserving edits). When the fast path produced the AST,
   * this is a lazy getter: the first read parses the text with eemeli/yaml (same options as the
   * full path), later reads return the same Document.
   */
  document: Document.Parsed;
  /**
   * The AST, or undefined when the text has syntax errors or is empty. A defined AST implies
   * `document.errors` is empty: check `ast`, not `document.errors` (that forces the lazy parse).
   */
  ast?: AstNode;
  diagnostics: Diagnostic[];
}

/** Deepest AST the compiler builds (alias hops included); deeper is `TF1017` at the node. */
export const MAX_NESTING_DEPTH = 200;
/**
 * Before eemeli/yaml (whose composer recurses once per level) sees a text, a linear scan
 * estimates its nesting; beyond this it is refused with `TF1017` and never parsed. Looser than
 * {@link MAX_NESTING_DEPTH}: the scan over-counts indentation inside multi-line scalars.
 */
export const MAX_SCANNED_NESTING = 250;
/**
 * How many AST nodes YAML aliases may produce in one document (like eemeli/yaml's
 * `maxAliasCount`, but counted in nodes): an alias whose expansion would pass it is `TF1016`.
 * Sizes are computed once per anchor before anything is expanded.
 */
export const MAX_ALIAS_NODES = 10_000;

/** The options every Document of a flow is parsed with. */
const YAML_OPTIONS = { prettyErrors: false, keepSourceTokens: false } as const;

/** Parses flow text into an eemeli/yaml Document, with the options {@link parseFlow} uses. */
export function parseYamlDocument(text: string): Document.Parsed {
  return parseDocument(text, YAML_OPTIONS);
}

/**
 * Defines `target.document` as an enumerable, memoised getter (assignable, like a plain field).
 * Used where the Document is only needed by some callers (comment-preserving edits).
 */
export function defineLazyDocument<T extends object>(
  target: T,
  load: () => Document.Parsed,
): T & { document: Document.Parsed } {
  let doc: Document.Parsed | undefined;
  Object.defineProperty(target, "document", {
    enumerable: true,
    configurable: true,
    get: () => (doc ??= load()),
    set: (v: Document.Parsed) => {
      doc = v;
    },
  });
  return target as T & { document: Document.Parsed };
}

/**
 * Parses flow text (YAML or JSON) into a Document and an AST. Never throws. Text within the fast
 * subset (`fast-yaml.ts`) skips eemeli/yaml: the AST is identical, `document` is lazy.
 *
 * @example
 * const { ast, diagnostics } = parseFlow("flow: x\nversion: 1.0.0\nsteps: []\n");
 */
export function parseFlow(text: string): ParseResult {
  const ast = fastParseAst(text);
  if (ast) return defineLazyDocument({ ast, diagnostics: [] }, () => parseYamlDocument(text));
  return parseFlowFull(text);
}

/**
 * {@link parseFlow} without the fast path: always eemeli/yaml (the reference the fast path is
 * tested against, and the only path for errors and exotic YAML). Never throws.
 */
export function parseFlowFull(text: string): ParseResult {
  const tooDeep = scanNesting(text, MAX_SCANNED_NESTING);
  if (tooDeep !== undefined) {
    // Never handed to eemeli/yaml: its recursion would exhaust the stack (slowly). The Document
    // stays lazy: nobody reading it, nothing is parsed.
    const diagnostics = [
      diag(
        "TF1017",
        { start: tooDeep, end: Math.min(tooDeep + 1, text.length) },
        { limit: MAX_SCANNED_NESTING },
      ),
    ];
    return defineLazyDocument({ diagnostics }, () => parseYamlDocument(text));
  }
  const document = parseYamlDocument(text);
  const diagnostics: Diagnostic[] = [];
  for (const e of document.errors) {
    const start = clamp(e.pos[0], text.length);
    // A zero-width error still underlines one character, when there is one.
    const end = Math.max(Math.min(start + 1, text.length), clamp(e.pos[1], text.length));
    diagnostics.push(diag("TF1001", { start, end }, { detail: firstLine(e.message) }));
  }
  if (diagnostics.length > 0) return { document, diagnostics };
  if (document.contents === null || document.contents === undefined) {
    diagnostics.push(diag("TF1013", { start: 0, end: text.length }));
    return { document, diagnostics };
  }
  try {
    const ctx = resolveAliases(document.contents as Node, text.length);
    const ast = toAst(document.contents as Node, ctx, 0);
    return { document, ast, diagnostics };
  } catch (e) {
    if (e instanceof LimitExceeded) diagnostics.push(e.diagnostic);
    // Defensive: conversion fails on nothing else we know of.
    else
      diagnostics.push(
        diag("TF1001", { start: 0, end: text.length }, { detail: (e as Error).message }),
      );
    return { document, diagnostics };
  }
}

/** Thrown while building the AST when a bound trips; becomes its diagnostic. */
class LimitExceeded extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/** What {@link toAst} needs to expand aliases within {@link MAX_ALIAS_NODES}. */
interface AliasContext {
  len: number;
  /** The anchored node each alias stands for (the last one with its name before it). */
  targets: Map<Alias, Node>;
  /** Expanded size (AST nodes) of each anchored node; Infinity when it contains its own alias. */
  sizes: Map<Node, number>;
  /** Nodes produced by aliases so far. */
  produced: number;
  /** > 0 while inside an alias expansion (its nodes were counted when it started). */
  inAlias: number;
}

/**
 * One pass over the Document, in eemeli/yaml's `visit` order (pre-order, keys before values):
 * binds each alias to its anchor (as `Alias.resolve` does, without a document walk per alias)
 * and computes the expanded size of every anchored node bottom-up, an alias counting as its
 * target's size. A target still being walked when its alias is met contains that alias: its
 * size is Infinity. Nothing is expanded here.
 */
function resolveAliases(root: Node | null, len: number): AliasContext {
  const ctx: AliasContext = { len, targets: new Map(), sizes: new Map(), produced: 0, inAlias: 0 };
  const anchors = new Map<string, Node>();
  const walk = (node: unknown, depth: number): number => {
    if (depth > MAX_NESTING_DEPTH) throw tooDeep(node as Node, len);
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return 1;
      ctx.targets.set(node, target);
      return ctx.sizes.get(target) ?? Number.POSITIVE_INFINITY;
    }
    if (!isNode(node)) return 1;
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node);
    let size = 1;
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue;
        walk(item.key, depth + 1); // keys become strings: only their anchors matter
        size += walk(item.value, depth + 1);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) size += walk(item, depth + 1);
    }
    if (anchor) ctx.sizes.set(node, size);
    return size;
  };
  walk(root, 0);
  return ctx;
}

function tooDeep(node: Node | null | undefined, len: number): LimitExceeded {
  return new LimitExceeded(diag("TF1017", spanOf(node, len), { limit: MAX_NESTING_DEPTH }));
}

/**
 * Estimates, in one linear pass, how deeply a YAML text nests (block indentation levels,
 * compact `- ` items and flow brackets, outside quotes and comments). Returns the offset where
 * the estimate first exceeds `limit`, or undefined. An estimate (it does not parse), used only to
 * keep pathological texts away from recursive parsers; the exact bound is {@link toAst}'s.
 */
export function scanNesting(text: string, limit: number): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let quote = 0; // 0, or the char code of the open quote
  let lineStart = true;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === 0x5c && quote === 0x22)
        i++; // escape in a double-quoted scalar
      else if (c === quote) {
        if (quote === 0x27 && text.charCodeAt(i + 1) === 0x27)
          i++; // '' in single quotes
        else quote = 0;
      }
      continue;
    }
    if (c === 0x0a) {
      lineStart = true;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      let j = i;
      while (j < n && (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x09)) j++;
      const cj = text.charCodeAt(j);
      if (j >= n || cj === 0x0a || cj === 0x0d || cj === 0x23) {
        i = j - 1; // blank or comment line: the loop reads the comment normally
        continue;
      }
      if (flow === 0) {
        const indent = j - i;
        while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
        // Compact nested items on one line: `- - - x`, `? - x`.
        while (
          (text.charCodeAt(j) === 0x2d || text.charCodeAt(j) === 0x3f) &&
          (text.charCodeAt(j + 1) === 0x20 || text.charCodeAt(j + 1) === 0x09)
        ) {
          j += 2;
          while (j < n && text.charCodeAt(j) === 0x20) j++;
          indents.push(j - i);
          if (indents.length > limit) return j;
        }
        if (indents.length > limit) return j;
      }
      i = j;
      c = text.charCodeAt(i);
    }
    const prev = i === 0 ? 0x0a : text.charCodeAt(i - 1);
    const tokenStart =
      prev === 0x20 ||
      prev === 0x09 ||
      prev === 0x0a ||
      prev === 0x5b ||
      prev === 0x7b ||
      prev === 0x2c ||
      prev === 0x3a ||
      prev === 0x2d ||
      prev === 0x3f;
    if (
      flow === 0 &&
      tokenStart &&
      c !== 0x20 &&
      c !== 0x09 &&
      c !== 0x0d &&
      c !== 0x23 &&
      c !== 0x22 &&
      c !== 0x27 &&
      c !== 0x5b &&
      c !== 0x7b &&
      c !== 0x2d &&
      c !== 0x3f &&
      c !== 0x3a
    ) {
      // A plain scalar in block context: brackets in it are text. It ends at `: `, ` #` or EOL.
      while (i + 1 < n) {
        const d = text.charCodeAt(i + 1);
        if (d === 0x0a) break;
        if (d === 0x3a) {
          const e = text.charCodeAt(i + 2);
          if (i + 2 >= n || e === 0x20 || e === 0x0a || e === 0x09) break;
        }
        if (d === 0x23 && text.charCodeAt(i) === 0x20) break;
        i++;
      }
    } else if (c === 0x23 && (prev === 0x20 || prev === 0x09 || prev === 0x0a)) {
      while (i + 1 < n && text.charCodeAt(i + 1) !== 0x0a) i++; // comment
    } else if ((c === 0x22 || c === 0x27) && (tokenStart || flow > 0)) {
      quote = c;
    } else if ((c === 0x5b || c === 0x7b) && (tokenStart || flow > 0)) {
      flow++;
      if (flow + indents.length > limit) return i;
    } else if ((c === 0x5d || c === 0x7d) && flow > 0) {
      flow--;
    }
  }
  return undefined;
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return (i === -1 ? s : s.slice(0, i)).trim();
}

function clamp(n: number | undefined, len: number): number {
  if (n === undefined || !Number.isFinite(n)) return 0;
  return Math.max(0, Math.min(n, len));
}

function spanOf(
  node: { range?: [number, number, number] | null } | null | undefined,
  len: number,
): Span {
  const r = node?.range;
  if (!r) return { start: 0, end: 0 };
  const start = clamp(r[0], len);
  return { start, end: Math.max(start, clamp(r[1], len)) };
}

function toAst(node: Node | null, ctx: AliasContext, depth: number): AstNode {
  const len = ctx.len;
  if (depth > MAX_NESTING_DEPTH) throw tooDeep(node, len);
  if (node === null || node === undefined)
    return { kind: "scalar", value: null, span: { start: 0, end: 0 }, quoted: false };
  if (isAlias(node)) {
    const target = ctx.targets.get(node);
    if (target && ctx.inAlias === 0) {
      // Checked before expanding: the size of what the alias stands for is already known.
      const size = ctx.sizes.get(target) ?? Number.POSITIVE_INFINITY;
      if (!Number.isFinite(size) || ctx.produced + size > MAX_ALIAS_NODES) {
        throw new LimitExceeded(
          diag(
            "TF1016",
            spanOf(node, len),
            Number.isFinite(size)
              ? { alias: node.source, limit: MAX_ALIAS_NODES }
              : { alias: node.source, cycle: "yes" },
          ),
        );
      }
      ctx.produced += size;
    }
    ctx.inAlias++;
    const resolved = toAst(target ?? null, ctx, depth + 1);
    ctx.inAlias--;
    return relocate(resolved, spanOf(node, len));
  }
  if (isScalar(node)) {
    const v = node.value;
    let value: ScalarValue;
    if (v === null || typeof v === "string" || typeof v === "boolean") value = v;
    else if (typeof v === "number") value = v;
    else if (typeof v === "bigint") value = Number(v);
    else if (v instanceof Date) value = v.toISOString();
    else value = String(v);
    const type = node.type;
    return {
      kind: "scalar",
      value,
      span: spanOf(node, len),
      quoted: type !== undefined && type !== "PLAIN",
    };
  }
  if (isMap(node)) {
    const pairs: AstPair[] = [];
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const keyNode = item.key as Node | null;
      const keySpan = spanOf(keyNode, len);
      const key = isScalar(keyNode)
        ? String(keyNode.value)
        : keyNode
          ? String(keyNode.toJSON?.() ?? "")
          : "";
      let value: AstNode;
      if (item.value === null || item.value === undefined) {
        value = {
          kind: "scalar",
          value: null,
          span: { start: keySpan.end, end: keySpan.end },
          quoted: false,
        };
      } else {
        value = toAst(item.value as Node, ctx, depth + 1);
      }
      if (
        isScalar(item.value) &&
        item.value.range &&
        item.value.range[0] === item.value.range[1] &&
        value.kind === "scalar" &&
        value.value === null
      ) {
        // An empty value (`key:`) sits where the key ends.
        value.span = { start: keySpan.end, end: keySpan.end };
      }
      pairs.push({
        key,
        keySpan,
        value,
        span: { start: keySpan.start, end: Math.max(keySpan.end, value.span.end) },
      });
    }
    return { kind: "map", pairs, span: spanOf(node, len) };
  }
  if (isSeq(node)) {
    const items: AstNode[] = [];
    for (const item of node.items) items.push(toAst(item as Node, ctx, depth + 1));
    return { kind: "seq", items, span: spanOf(node, len) };
  }
  return { kind: "scalar", value: null, span: spanOf(node as Node, len), quoted: false };
}

function relocate(node: AstNode, span: Span): AstNode {
  // Values reached through an alias are reported at the alias.
  return { ...node, span };
}

/** The pair with `key` in a map node, if any. */
export function getPair(node: AstNode | undefined, key: string): AstPair | undefined {
  if (!node || node.kind !== "map") return undefined;
  for (const p of node.pairs) if (p.key === key) return p;
  return undefined;
}

/** The value node of `key` in a map node, if any. */
export function getValue(node: AstNode | undefined, key: string): AstNode | undefined {
  return getPair(node, key)?.value;
}

/** Converts an AST node to plain JS data. */
export function astToJs(node: AstNode): unknown {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(astToJs);
    case "map": {
      const out: Record<string, unknown> = {};
      for (const p of node.pairs) out[p.key] = astToJs(p.value);
      return out;
    }
  }
}

/**
 * Finds the node at a path of keys and indices. With `preferKey`, a final string key returns the
 * span of the key rather than of the value. Returns the deepest node reached and its span.
 */
export function spanAtPath(
  root: AstNode,
  path: ReadonlyArray<PropertyKey>,
  preferKey = false,
): Span {
  let node: AstNode = root;
  let span = root.span;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (node.kind === "map" && typeof seg === "string") {
      const p = getPair(node, seg);
      if (!p) return span;
      if (preferKey && i === path.length - 1) return p.keySpan;
      node = p.value;
      span = node.span;
    } else if (node.kind === "seq" && typeof seg === "number") {
      const item = node.items[seg];
      if (!item) return span;
      node = item;
      span = item.span;
    } else {
      return span;
    }
  }
  return span;
}
