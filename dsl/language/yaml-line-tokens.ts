/**
 * The lines of flow YAML as the editor's structure reader sees them (`yaml-structure.ts`): line
 * starts and indentation ({@link LineIndex}), and one line's structural tokens (`- `, `key:` with
 * its inline value, a scalar), read without looking at any other line. Quoted keys and values,
 * trailing comments and block scalar indicators are recognised; what a value means is not.
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
/** A space or a tab. */
export const isBlank = (c: number) => c === SPACE || c === TAB;

/** End of a quoted scalar starting at `p` (just after the closing quote), or `end` if unclosed. */
export function quotedEnd(text: string, p: number, end: number): number {
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
