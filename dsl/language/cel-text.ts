/**
 * Reading CEL around a position: where the `${{ }}` around an offset is, the member chain before
 * a dot (`steps.contract.output.`), the token under the pointer. Works on incomplete sources (the
 * text being typed does not parse), so it reads characters, not the CEL parser's AST.
 */
import type { Span } from "../types";

/** A CEL source inside the flow text. */
export interface CelSite {
  /** Offset of the source's first character (after `${{` for a delimited expression). */
  start: number;
  /** Offset just after the source (before `}}`, or the end of the value). */
  end: number;
  delimited: boolean;
}

/** The `${{ ... }}` containing `offset` on its line (unclosed counts up to the line's end). */
export function delimitedSiteAt(
  text: string,
  offset: number,
  lineStart: number,
  lineEnd: number,
): CelSite | undefined {
  const line = text.slice(lineStart, lineEnd);
  if (line.trimStart().startsWith("#")) return undefined; // a comment
  const pos = offset - lineStart;
  const open = line.lastIndexOf("${{", pos - 3);
  if (open < 0) return undefined;
  const close = line.indexOf("}}", open + 3);
  if (close >= 0 && close < pos) return undefined;
  return {
    start: lineStart + open + 3,
    end: close >= 0 ? lineStart + close : lineEnd,
    delimited: true,
  };
}

/** One segment of a member chain: an identifier or a constant index (`['credit-check']`). */
export interface ChainSegment {
  name: string;
  span: Span;
  /** Written as an index (`[...]`) rather than a field. */
  index?: boolean;
}

export interface MemberChain {
  segments: ChainSegment[];
  /** The chain starts at something that is not a plain name (a call, a literal, a computed index). */
  opaque: boolean;
}

const isIdent = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

/**
 * The member chain ending at `end` (exclusive) in `src`, read backwards: `steps.a.output.x`,
 * `steps['a-b'].output`. Offsets in the segments are relative to `src` plus `base`.
 */
export function memberChain(src: string, end: number, base = 0): MemberChain {
  const segs: ChainSegment[] = [];
  let i = end;
  const skip = () => {
    while (i > 0 && /\s/.test(src[i - 1]!)) i--;
  };
  for (;;) {
    skip();
    const c = src[i - 1];
    if (isIdent(c)) {
      let s = i;
      while (s > 0 && isIdent(src[s - 1])) s--;
      const name = src.slice(s, i);
      if (/^[0-9]/.test(name)) return { segments: segs.reverse(), opaque: true };
      segs.push({ name, span: { start: base + s, end: base + i } });
      i = s;
      skip();
      if (src[i - 1] === ".") {
        i--;
        continue;
      }
      return { segments: segs.reverse(), opaque: false };
    }
    if (c === "]") {
      const close = i - 1;
      const open = src.lastIndexOf("[", close);
      if (open < 0) return { segments: segs.reverse(), opaque: true };
      const inner = src.slice(open + 1, close).trim();
      const m = /^(["'])(.*)\1$/.exec(inner);
      const name = m ? m[2]! : /^[0-9]+$/.test(inner) ? inner : undefined;
      if (name === undefined) return { segments: segs.reverse(), opaque: true };
      // The key without its quotes (what a hover or a rename is about).
      const q = m ? 1 : 0;
      const innerStart = src.indexOf(inner, open + 1) + q;
      segs.push({
        name,
        span: { start: base + innerStart, end: base + innerStart + name.length },
        index: true,
      });
      i = open;
      skip();
      if (src[i - 1] === ".") i--;
      continue;
    }
    // A call's result, a literal, or nothing at all before the dot.
    return { segments: segs.reverse(), opaque: c === ")" || c === '"' || c === "'" };
  }
}

/** Whether `prefix` ends inside a string literal; if so, where that literal starts. */
export function openString(prefix: string): number | undefined {
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      start = i;
    }
  }
  return quote ? start : undefined;
}

/** What is being typed at the end of a CEL prefix. */
export type CelCompletionPlace =
  /** A name at the top level (`word`: typed so far). */
  | { kind: "top"; word: Span }
  /** A member after `chain.` (`dot`: the dot's offset). */
  | { kind: "member"; chain: MemberChain; word: Span; dot: number }
  /** A key inside `chain['`. */
  | { kind: "index"; chain: MemberChain; word: Span; quote: string };

/**
 * Analyses the CEL text of `site` up to `offset`; undefined where nothing can be completed
 * (inside a string literal, right after a number).
 */
export function celPlace(
  text: string,
  site: CelSite,
  offset: number,
): CelCompletionPlace | undefined {
  if (offset < site.start) return undefined;
  const prefix = text.slice(site.start, offset);
  const inString = openString(prefix);
  if (inString !== undefined) {
    const before = prefix.slice(0, inString).trimEnd();
    if (!before.endsWith("[")) return undefined;
    const chain = memberChain(prefix, before.length - 1, site.start);
    if (chain.opaque || chain.segments.length === 0) return undefined;
    const wordStart = site.start + inString + 1;
    return {
      kind: "index",
      chain,
      word: { start: wordStart, end: offset },
      quote: prefix[inString]!,
    };
  }
  const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(prefix)?.[0] ?? "";
  const before = prefix.slice(0, prefix.length - word.length);
  if (isIdent(before[before.length - 1])) return undefined; // `12|`, `1e|`
  const wordSpan = { start: offset - word.length, end: offset };
  const trimmed = before.trimEnd();
  if (trimmed.endsWith(".")) {
    const dot = trimmed.length - 1;
    if (/[0-9]$/.test(trimmed.slice(0, dot)) && !/[A-Za-z_\]]\w*$/.test(trimmed.slice(0, dot)))
      return undefined; // `1.|`: a number, not a member
    const chain = memberChain(prefix, dot, site.start);
    return { kind: "member", chain, word: wordSpan, dot: site.start + dot };
  }
  return { kind: "top", word: wordSpan };
}

/** The token under `offset` inside a CEL source: an identifier or a quoted index key. */
export interface CelToken {
  span: Span;
  /** The chain up to and including this token (when it is part of one). */
  chain: MemberChain;
  /** The token is a name followed by `(`. */
  call: boolean;
  /** The token follows a `.` (a field or a method). */
  member: boolean;
}

export function celTokenAt(text: string, site: CelSite, offset: number): CelToken | undefined {
  if (offset < site.start || offset > site.end) return undefined;
  const src = text.slice(site.start, site.end);
  const rel = offset - site.start;
  const str = openString(src.slice(0, rel));
  if (str !== undefined) {
    // Inside a string: only an index key (`steps['credit-check']`) is a token.
    const q = src[str]!;
    const close = src.indexOf(q, rel);
    if (close < 0 || src.slice(close + 1).trimStart()[0] !== "]") return undefined;
    const bracket =
      close + 1 + (src.slice(close + 1).length - src.slice(close + 1).trimStart().length);
    const chain = memberChain(src, bracket + 1, site.start);
    if (chain.opaque) return undefined;
    return {
      span: { start: site.start + str + 1, end: site.start + close },
      chain,
      call: false,
      member: true,
    };
  }
  let s = rel;
  let e = rel;
  while (s > 0 && isIdent(src[s - 1])) s--;
  while (e < src.length && isIdent(src[e])) e++;
  if (s === e || /^[0-9]/.test(src.slice(s, e))) return undefined;
  const after = src.slice(e).trimStart();
  const beforeTok = src.slice(0, s).trimEnd();
  return {
    span: { start: site.start + s, end: site.start + e },
    chain: memberChain(src, e, site.start),
    call: after.startsWith("("),
    member: beforeTok.endsWith("."),
  };
}
