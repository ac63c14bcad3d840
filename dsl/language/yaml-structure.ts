/**
 * The block structure of flow YAML read line by line, for the editor's language features.
 *
 * The compiler's parser needs a whole, valid document; the editor asks about text being typed
 * (`uses: ` with nothing after it, a `with:` key half written, an unclosed quote elsewhere). So
 * this reads only the lines it needs: a line's tokens (`- `, `key:`, a scalar), and the chain of
 * containers above a position, found by walking up to lines with less indentation. Lines that
 * are more indented than the container being looked for are skipped without being tokenized, so
 * a lookup costs the lines between the position and its ancestors, not the document.
 *
 * What it understands: block mappings and sequences (`- ` items, `- key: v` items, a sequence at
 * its key's indentation), plain and quoted keys, inline values with trailing comments, block
 * scalars (`|`, `>`) and multi-line plain scalars (any line more indented than a key with an
 * inline value is that value's text). Flow collections (`{ a: 1 }`) are values, not structure;
 * `flowPlaceAt` reads a one-line flow collection when a feature needs its inside.
 */
import { lineStarts } from "../positions";
import type { Span } from "../types";

/** `- ` opening a sequence item. */
export interface ItemToken {
  kind: "item";
  /** Column (0-based) of the dash. */
  col: number;
  start: number;
  line: number;
}

/** `key:` with its inline value, if any. */
export interface KeyToken {
  kind: "key";
  col: number;
  /** Unquoted key. */
  name: string;
  /** The key as written (quotes included). */
  nameSpan: Span;
  /** Offset just after the `:`. */
  colon: number;
  /** The inline value, comment and surrounding blanks excluded; absent when empty. */
  value?: Span;
  /** True when the inline value is a block scalar indicator (`|`, `>-`, ...). */
  block?: boolean;
  line: number;
}

/** A scalar that is a sequence item's whole content (`- invoice`) or a bare word on a line. */
export interface ScalarToken {
  kind: "scalar";
  col: number;
  value: Span;
  line: number;
}

export type LineToken = ItemToken | KeyToken | ScalarToken;

/** Line starts of a text, with a one-entry cache (the editor asks many questions per version). */
export class LineIndex {
  readonly starts: number[];
  constructor(readonly text: string) {
    this.starts = lineStarts(text);
  }

  get count(): number {
    return this.starts.length;
  }

  start(line: number): number {
    return this.starts[line]!;
  }

  /** End of a line's content (before `\r\n` or `\n`). */
  end(line: number): number {
    let e = line + 1 < this.starts.length ? this.starts[line + 1]! - 1 : this.text.length;
    if (e > this.starts[line]! && this.text.charCodeAt(e - 1) === 13) e--;
    return e;
  }

  /** The 0-based line of an offset (binary search). */
  lineOf(offset: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Indentation of a line (spaces), or -1 when it is blank or only a comment. */
  indent(line: number): number {
    const t = this.text;
    const start = this.starts[line]!;
    const end = this.end(line);
    let p = start;
    while (p < end && t.charCodeAt(p) === 32) p++;
    if (p >= end) return -1;
    const c = t.charCodeAt(p);
    if (c === 35 /* # */ || c === 9 /* tab */) return -1;
    return p - start;
  }
}

let cachedIndex: LineIndex | undefined;

/** The {@link LineIndex} of a text (the last one is kept: one per document version). */
export function lineIndex(text: string): LineIndex {
  if (cachedIndex?.text !== text) cachedIndex = new LineIndex(text);
  return cachedIndex;
}

const SPACE = 32;
const TAB = 9;
const isBlank = (c: number) => c === SPACE || c === TAB;

/** End of a quoted scalar starting at `p` (just after the closing quote), or `end` if unclosed. */
function quotedEnd(text: string, p: number, end: number): number {
  const q = text[p];
  let i = p + 1;
  while (i < end) {
    const c = text[i];
    if (q === '"' && c === "\\") {
      i += 2;
      continue;
    }
    if (c === q) {
      if (q === "'" && text[i + 1] === "'") {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return end;
}

/** The value starting at `p` without a trailing comment and blanks. */
function valueSpan(text: string, p: number, end: number): Span | undefined {
  if (p >= end || text[p] === "#") return undefined;
  let i = p;
  let last = p;
  while (i < end) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      // Quotes open a quoted scalar only where a token starts (not `it's` inside plain text).
      const prev = i === p ? " " : text[i - 1]!;
      if (i === p || prev === " " || prev === "[" || prev === "{" || prev === ",") {
        i = quotedEnd(text, i, end);
        last = i;
        continue;
      }
    }
    if (c === "#" && i > p && isBlank(text.charCodeAt(i - 1))) break;
    if (!isBlank(c.charCodeAt(0))) last = i + 1;
    i++;
  }
  return { start: p, end: last };
}

/** `key:` at `p`: the key's end (exclusive) and the colon's offset, or undefined. */
function matchKey(
  text: string,
  p: number,
  end: number,
): { nameEnd: number; colon: number } | undefined {
  const c = text[p]!;
  if (c === '"' || c === "'") {
    const qe = quotedEnd(text, p, end);
    let i = qe;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (text[i] === ":" && (i + 1 >= end || isBlank(text.charCodeAt(i + 1))))
      return { nameEnd: qe, colon: i };
    return undefined;
  }
  if ("[{|>!&*%@`#".includes(c)) return undefined;
  for (let i = p; i < end; i++) {
    const ch = text[i];
    if (ch === ":" && (i + 1 >= end || isBlank(text.charCodeAt(i + 1)))) {
      let e = i;
      while (e > p && isBlank(text.charCodeAt(e - 1))) e--;
      const name = text.slice(p, e);
      if (name.includes("${{")) return undefined;
      return { nameEnd: e, colon: i };
    }
    if (ch === "#" && i > p && isBlank(text.charCodeAt(i - 1))) return undefined;
  }
  return undefined;
}

/** Unquotes a key or scalar as written (single and double quotes; common escapes). */
export function unquote(raw: string): string {
  if (raw.length >= 2 && raw[0] === "'" && raw[raw.length - 1] === "'")
    return raw.slice(1, -1).replace(/''/g, "'");
  if (raw.length >= 2 && raw[0] === '"' && raw[raw.length - 1] === '"') {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw.slice(1, -1);
    }
  }
  return raw;
}

/** The structural tokens of one line, left to right (empty for blank and comment lines). */
export function tokenizeLine(index: LineIndex, line: number): LineToken[] {
  const text = index.text;
  const start = index.start(line);
  const end = index.end(line);
  const out: LineToken[] = [];
  let p = start;
  for (;;) {
    while (p < end && text.charCodeAt(p) === SPACE) p++;
    if (p >= end || text[p] === "#") return out;
    if (text[p] === "-" && (p + 1 >= end || isBlank(text.charCodeAt(p + 1)))) {
      out.push({ kind: "item", col: p - start, start: p, line });
      p++;
      continue;
    }
    const key = matchKey(text, p, end);
    if (key) {
      let v = key.colon + 1;
      while (v < end && isBlank(text.charCodeAt(v))) v++;
      const value = valueSpan(text, v, end);
      const tok: KeyToken = {
        kind: "key",
        col: p - start,
        name: unquote(text.slice(p, key.nameEnd)),
        nameSpan: { start: p, end: key.nameEnd },
        colon: key.colon + 1,
        line,
      };
      if (value) {
        tok.value = value;
        if (/^[|>][0-9+-]*$/.test(text.slice(value.start, value.end))) tok.block = true;
      }
      out.push(tok);
      return out;
    }
    const value = valueSpan(text, p, end);
    if (value) out.push({ kind: "scalar", col: p - start, value, line });
    return out;
  }
}

/** A container above a position: a key whose value is below it, or a sequence item. */
export type PathNode = ItemToken | KeyToken | ScalarToken;

/** Where a position is, relative to the YAML structure. */
export type YamlPosition =
  /** Writing a key (or nothing yet) in the innermost container: `span` is the partial key. */
  | { kind: "key"; span: Span; col: number }
  /** In the inline value of `key` (`span`: the whole value as written, possibly empty). */
  | { kind: "value"; key: KeyToken; span: Span }
  /** A scalar sequence item (`- inv|`), which may also be a key being written. */
  | { kind: "item-value"; span: Span; col: number }
  /** Inside the text of a block scalar or a multi-line value, owned by `owner`. */
  | { kind: "text"; owner: KeyToken | ScalarToken };

export interface YamlPath {
  /** Containers from the root down (keys with their value below, sequence items). */
  chain: PathNode[];
  position: YamlPosition;
}

/** The path of a chain as strings: keys by name, sequence items as `-`. */
export function chainKeys(chain: readonly PathNode[]): string[] {
  return chain.map((n) => (n.kind === "key" ? n.name : "-"));
}

/**
 * Walks up from `line` (exclusive) collecting the containers of something at column `col`
 * (`isItem`: that something is a `- ` item, whose parent may be a key at the same column).
 */
function ancestors(index: LineIndex, line: number, col: number, isItem: boolean): PathNode[] {
  const out: PathNode[] = [];
  let cur = col;
  let item = isItem;
  for (let i = line - 1; i >= 0; i--) {
    if (cur === 0 && !item) break;
    const ind = index.indent(i);
    if (ind < 0 || ind > cur || (ind === cur && !item)) continue;
    // A sibling item (`- ...` at the item's own column) is not its parent key.
    const at = index.start(i) + ind;
    if (ind === cur && index.text[at] === "-" && /[ \t\r\n]|^$/.test(index.text[at + 1] ?? ""))
      continue;
    const toks = tokenizeLine(index, i);
    for (let t = toks.length - 1; t >= 0; t--) {
      const tok = toks[t]!;
      const isParent =
        tok.col < cur || (item && tok.kind === "key" && tok.col === cur && tok.value === undefined);
      if (!isParent) continue;
      out.push(tok);
      cur = tok.col;
      item = tok.kind === "item";
    }
  }
  return out.reverse();
}

/**
 * Cuts a chain at its outermost node that holds an inline value: whatever is below such a key
 * (or scalar item) is its text (block scalar, multi-line plain scalar), not structure.
 */
function textOwner(chain: PathNode[]): { chain: PathNode[]; owner?: KeyToken | ScalarToken } {
  for (let i = 0; i < chain.length; i++) {
    const n = chain[i]!;
    if (n.kind === "scalar" || (n.kind === "key" && n.value !== undefined))
      return { chain: chain.slice(0, i), owner: n };
  }
  return { chain };
}

/** The containers and the kind of position at `offset`. */
export function pathAt(text: string, offset: number): YamlPath {
  const index = lineIndex(text);
  const line = index.lineOf(offset);
  const ls = index.start(line);
  const toks = tokenizeLine(index, line);
  const onLine: PathNode[] = [];
  let position: Exclude<YamlPosition, { kind: "text" }> | undefined;
  for (const tok of toks) {
    if (tok.kind === "item") {
      if (tok.start >= offset) break;
      onLine.push(tok);
      continue;
    }
    if (tok.kind === "key") {
      if (offset >= tok.colon) {
        const v = tok.value;
        // Before the value (in the blanks after the colon) nothing of it is replaced.
        const span =
          !v || offset < v.start
            ? { start: offset, end: offset }
            : offset > v.end
              ? { start: v.start, end: offset }
              : v;
        position = { kind: "value", key: tok, span };
        onLine.push(tok);
      } else if (offset >= tok.nameSpan.start) {
        position = { kind: "key", span: { start: tok.nameSpan.start, end: offset }, col: tok.col };
      }
      break;
    }
    if (offset >= tok.value.start) {
      // After `- `: a scalar item (or the key of a new mapping item); alone: a key being typed.
      position =
        onLine.length > 0
          ? {
              kind: "item-value",
              span: { start: tok.value.start, end: Math.max(offset, tok.value.end) },
              col: tok.col,
            }
          : { kind: "key", span: { start: tok.value.start, end: offset }, col: tok.col };
    }
    break;
  }
  if (!position)
    position =
      onLine.length > 0
        ? { kind: "item-value", span: { start: offset, end: offset }, col: offset - ls }
        : { kind: "key", span: { start: offset, end: offset }, col: offset - ls };
  const first = onLine[0];
  const startCol =
    first !== undefined ? first.col : position.kind === "value" ? position.key.col : position.col;
  const above = ancestors(index, line, startCol, first?.kind === "item");
  const chain = [...above, ...onLine.filter((n) => n.kind === "item")];
  const cut = textOwner(chain);
  if (cut.owner) return { chain: cut.chain, position: { kind: "text", owner: cut.owner } };
  return { chain, position };
}

/** The containers of the key token `key` (which lies on its own line). */
export function keyChain(text: string, key: KeyToken): PathNode[] {
  const index = lineIndex(text);
  const toks = tokenizeLine(index, key.line);
  const items = toks.filter((t): t is ItemToken => t.kind === "item");
  const first = items[0];
  const above = ancestors(index, key.line, first ? first.col : key.col, first !== undefined);
  return textOwner([...above, ...items]).owner ? [] : [...above, ...items];
}

/**
 * The last line of the block that starts on `line` with a token at column `col`: the lines
 * below it that are more indented (blank and comment lines in between belong to it only when
 * more content of the block follows).
 */
export function blockEnd(index: LineIndex, line: number, col: number): number {
  let last = line;
  for (let i = line + 1; i < index.count; i++) {
    const ind = index.indent(i);
    if (ind < 0) continue;
    if (ind <= col) break;
    last = i;
  }
  return last;
}

/**
 * The keys directly inside the container `node` (a key with its value below, or a sequence
 * item), in order: a mapping's entries at the indentation of its first entry.
 */
export function childKeys(text: string, node: KeyToken | ItemToken): KeyToken[] {
  const index = lineIndex(text);
  const out: KeyToken[] = [];
  let keyCol = -1;
  if (node.kind === "item") {
    const own = tokenizeLine(index, node.line);
    const at = own.findIndex((t) => t.kind === "item" && t.col === node.col);
    const next = own[at + 1];
    if (next?.kind === "key") {
      out.push(next);
      keyCol = next.col;
    }
  }
  const last = blockEnd(index, node.line, node.col);
  for (let i = node.line + 1; i <= last; i++) {
    const ind = index.indent(i);
    if (ind < 0) continue;
    if (keyCol < 0) keyCol = ind;
    if (ind !== keyCol) continue;
    const tok = tokenizeLine(index, i)[0];
    if (tok?.kind === "key") out.push(tok);
  }
  return out;
}

/** Where an offset is inside a one-line flow collection (`{ label: a, when: x }`, `[a, b]`). */
export interface FlowPlace {
  /** Keys from the collection down to the entry (`-` for a sequence's items). */
  keys: string[];
  /**
   * `value`: in a scalar value, `span` being the value as written (quotes included; from its
   * start to the offset when the offset is past it). `key`: writing a mapping's key, `span` the
   * part typed.
   */
  kind: "key" | "value";
  span: Span;
}

/** The end of a scalar in a flow collection starting at `p`: its closing quote, or a `,[]{}`. */
function flowScalarEnd(text: string, p: number, end: number, stopAtColon: boolean): number {
  if (text[p] === '"' || text[p] === "'") return quotedEnd(text, p, end);
  let e = p;
  while (e < end && !",[]{}".includes(text[e]!)) {
    if (stopAtColon && text[e] === ":" && (e + 1 >= end || /[ \t,\]}]/.test(text[e + 1]!))) break;
    e++;
  }
  while (e > p && isBlank(text.charCodeAt(e - 1))) e--;
  return e;
}

/**
 * The place of `offset` inside the flow collection that starts at `start` (a `{` or `[`), read on
 * the line up to `end` (an unclosed collection runs to it). Plain scalars in a flow collection
 * cannot hold `,`, `[`, `]`, `{` or `}`, so an entry ends at the first of those outside quotes.
 * Only the line is read: a flow collection over several lines is not understood.
 */
export function flowPlaceAt(
  text: string,
  start: number,
  end: number,
  offset: number,
): FlowPlace | undefined {
  const keys: string[] = [];
  let p = start;
  for (;;) {
    // `p` is at the opening bracket of a collection that holds the offset.
    if (offset <= p || offset > end) return undefined;
    const isMap = text[p] === "{";
    if (!isMap && text[p] !== "[") return undefined;
    p++;
    let descend = false;
    while (!descend) {
      while (p < end && isBlank(text.charCodeAt(p))) p++;
      if (offset < p) {
        // In the blanks before an entry: a new key, or a new item.
        const empty = { start: offset, end: offset };
        return isMap
          ? { keys, kind: "key", span: empty }
          : { keys: [...keys, "-"], kind: "value", span: empty };
      }
      const entryStart = p;
      // `key:` (a mapping's entries; a sequence item may be a single pair too).
      const keyEnd = text[p] === "{" || text[p] === "[" ? p : flowScalarEnd(text, p, end, true);
      let c = keyEnd;
      while (c < end && isBlank(text.charCodeAt(c))) c++;
      const hasColon = text[c] === ":" && keyEnd > entryStart;
      if (isMap && offset <= (hasColon ? c : keyEnd))
        return { keys, kind: "key", span: { start: entryStart, end: offset } };
      const entryKeys = isMap ? [] : ["-"];
      let v = entryStart;
      if (hasColon) {
        entryKeys.push(unquote(text.slice(entryStart, keyEnd)));
        v = c + 1;
        while (v < end && isBlank(text.charCodeAt(v))) v++;
      } else if (isMap) {
        // A key without a value; the offset is past it.
        p = keyEnd;
        v = -1;
      }
      if (v >= 0 && (text[v] === "{" || text[v] === "[")) {
        const close = flowEnd(text, v, end);
        if (offset > v && offset < close + (close === end ? 1 : 0)) {
          keys.push(...entryKeys);
          p = v;
          descend = true;
          continue;
        }
        p = close;
      } else if (v >= 0) {
        if (offset < v) {
          // In the blanks after the colon: an empty value, or before one.
          const empty = v >= end || ",]}".includes(text[v]!);
          return empty
            ? { keys: [...keys, ...entryKeys], kind: "value", span: { start: offset, end: offset } }
            : undefined;
        }
        const e = flowScalarEnd(text, v, end, false);
        const quoted = text[v] === '"' || text[v] === "'";
        // Past a closed quoted scalar: outside the value.
        if (quoted && offset >= e && e - v >= 2 && text[e - 1] === text[v]) return undefined;
        let next = e;
        while (next < end && isBlank(text.charCodeAt(next))) next++;
        if (offset <= next && (next >= end || ",]}".includes(text[next]!) || offset <= e))
          return {
            keys: [...keys, ...entryKeys],
            kind: "value",
            span: { start: v, end: Math.max(e, offset) },
          };
        p = e;
      }
      while (p < end && isBlank(text.charCodeAt(p))) p++;
      if (text[p] !== ",") return undefined; // the collection closes before the offset
      p++;
    }
  }
}

/** Just after the flow collection starting at `p` (its closing bracket), or `end` if unclosed. */
function flowEnd(text: string, p: number, end: number): number {
  let depth = 0;
  for (let i = p; i < end; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = quotedEnd(text, i, end) - 1;
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return end;
}
