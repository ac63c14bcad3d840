/**
 * Flow collections for the YAML fast path (`fast-yaml.ts`): `[a, b]` and `{ k: v }` written on one
 * line, nested or not, with plain and quoted scalars. A collection that spans lines, an empty
 * entry, a duplicate key or a key without a value declines: the full parser handles those.
 */
import type { AstMap, AstNode, AstPair, AstSeq } from "./ast";
import * as scan from "./fast-yaml-scan";
import * as schema from "./yaml-core-schema";

// Bound once and declared here rather than imported, like the block parser's (`fast-yaml.ts`).
const { DECLINE, isBadPlainStart, isFlowIndicator, quotedScalar } = scan;
const { resolvePlain } = schema;
/** Deeper nesting than this declines: the same bound as the block parser's. */
const MAX_DEPTH = 100;
const SP = 0x20;
const NL = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const COMMA = 0x2c;
const DASH = 0x2d;
const SQ = 0x27;
const DQ = 0x22;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** A flow collection or scalar at `p`, on one line. */
export function flowNode(t: string, p: number, depth: number): AstNode {
  if (depth > MAX_DEPTH) throw DECLINE;
  const c = t.charCodeAt(p);
  if (c === LBRACK) return flowSeq(t, p, depth);
  if (c === LBRACE) return flowMap(t, p, depth);
  if (c === SQ || c === DQ) return quotedScalar(t, p);
  if (isBadPlainStart(c)) throw DECLINE;
  if (c === DASH) {
    const d = t.charCodeAt(p + 1);
    if (d === SP || d === NL || isFlowIndicator(d) || p + 1 >= t.length) throw DECLINE;
  }
  const end = plainFlowEnd(t, p);
  return {
    kind: "scalar",
    value: resolvePlain(t.slice(p, end)),
    span: { start: p, end },
    quoted: false,
  };
}

/** End of a plain scalar in flow context (single line); declines on an adjacent `:`. */
function plainFlowEnd(t: string, p: number): number {
  const len = t.length;
  let q = p;
  let end = p;
  while (q < len) {
    const c = t.charCodeAt(q);
    if (c === NL || isFlowIndicator(c)) break;
    if (c === SP) {
      q++;
      continue;
    }
    if (c === HASH && t.charCodeAt(q - 1) === SP) break;
    if (c === COLON) {
      const d = q + 1 < len ? t.charCodeAt(q + 1) : NL;
      if (d === SP || d === NL || isFlowIndicator(d)) break;
      throw DECLINE;
    }
    q++;
    end = q;
  }
  return end;
}

/** Skips spaces on the line from `q`; declines at its end (a collection spanning lines). */
function skipInlineSpaces(t: string, q: number): number {
  while (q < t.length && t.charCodeAt(q) === SP) q++;
  if (q >= t.length) throw DECLINE;
  const c = t.charCodeAt(q);
  if (c === NL || c === HASH) throw DECLINE; // multi-line flow collections: full parser
  return q;
}

function flowSeq(t: string, start: number, depth: number): AstSeq {
  const items: AstNode[] = [];
  let q = skipInlineSpaces(t, start + 1);
  while (t.charCodeAt(q) !== RBRACK) {
    if (t.charCodeAt(q) === COMMA) throw DECLINE; // empty entry
    const item = flowNode(t, q, depth + 1);
    items.push(item);
    q = skipInlineSpaces(t, item.span.end);
    const c = t.charCodeAt(q);
    if (c === COMMA) q = skipInlineSpaces(t, q + 1);
    else if (c !== RBRACK) throw DECLINE; // includes `[a: b]`
  }
  return { kind: "seq", items, span: { start, end: q + 1 } };
}

function flowMap(t: string, start: number, depth: number): AstMap {
  const pairs: AstPair[] = [];
  let q = skipInlineSpaces(t, start + 1);
  while (t.charCodeAt(q) !== RBRACE) {
    const c = t.charCodeAt(q);
    let key: string;
    let keyEnd: number;
    if (c === SQ || c === DQ) {
      const k = quotedScalar(t, q);
      key = k.value as string;
      keyEnd = k.span.end;
    } else {
      if (isBadPlainStart(c) || c === DASH) throw DECLINE;
      keyEnd = plainFlowEnd(t, q);
      const raw = t.slice(q, keyEnd);
      if (raw === "<<") throw DECLINE;
      key = String(resolvePlain(raw));
    }
    for (const x of pairs) if (x.key === key) throw DECLINE;
    const keySpan = { start: q, end: keyEnd };
    let r = skipInlineSpaces(t, keyEnd);
    if (t.charCodeAt(r) !== COLON) throw DECLINE; // `{a, b}`: keys without values
    const afterColon = t.charCodeAt(r + 1);
    if (c !== SQ && c !== DQ && afterColon !== SP && !isFlowIndicator(afterColon)) throw DECLINE;
    r = skipInlineSpaces(t, r + 1);
    let value: AstNode;
    const v = t.charCodeAt(r);
    if (v === COMMA || v === RBRACE) {
      value = {
        kind: "scalar",
        value: null,
        span: { start: keyEnd, end: keyEnd },
        quoted: false,
      };
    } else {
      value = flowNode(t, r, depth + 1);
      r = skipInlineSpaces(t, value.span.end);
    }
    pairs.push({
      key,
      keySpan,
      value,
      span: { start: q, end: Math.max(keyEnd, value.span.end) },
    });
    const d = t.charCodeAt(r);
    if (d === COMMA) q = skipInlineSpaces(t, r + 1);
    else if (d === RBRACE) q = r;
    else throw DECLINE;
  }
  return { kind: "map", pairs, span: { start, end: q + 1 } };
}
