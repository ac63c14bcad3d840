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
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node,
} from "yaml";
import { diag } from "./diagnostics";
import { fastParseAst } from "./fast-yaml";
import type { Diagnostic, Span } from "./types";

export type ScalarValue = string | number | boolean | null;

/** A scalar: string, number, boolean or null. `span` covers its source (quotes included). */
export interface AstScalar {
  kind: "scalar";
  value: ScalarValue;
  span: Span;
  /** True for quoted and block scalars: their source differs from their value. */
  quoted: boolean;
}

/** A `key: value` entry. `keySpan` for "unknown key" diagnostics, `value.span` for value errors. */
export interface AstPair {
  key: string;
  keySpan: Span;
  value: AstNode;
  span: Span;
}

export interface AstMap {
  kind: "map";
  pairs: AstPair[];
  span: Span;
}

export interface AstSeq {
  kind: "seq";
  items: AstNode[];
  span: Span;
}

export type AstNode = AstScalar | AstMap | AstSeq;

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

const MAX_DEPTH = 200;

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
    const ast = toAst(document.contents as Node, document, text.length, 0);
    return { document, ast, diagnostics };
  } catch (e) {
    // Defensive: conversion only fails on pathological input (e.g. alias nesting too deep).
    diagnostics.push(
      diag("TF1001", { start: 0, end: text.length }, { detail: (e as Error).message }),
    );
    return { document, diagnostics };
  }
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

function toAst(node: Node | null, doc: Document.Parsed, len: number, depth: number): AstNode {
  if (depth > MAX_DEPTH) throw new Error("document nested too deeply");
  if (node === null || node === undefined)
    return { kind: "scalar", value: null, span: { start: 0, end: 0 }, quoted: false };
  if (isAlias(node)) {
    const target = node.resolve(doc) as Node | undefined;
    const resolved = toAst(target ?? null, doc, len, depth + 1);
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
        value = toAst(item.value as Node, doc, len, depth + 1);
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
    for (const item of node.items) items.push(toAst(item as Node, doc, len, depth + 1));
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
