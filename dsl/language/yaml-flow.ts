/**
 * The inside of a one-line flow collection (`{ label: a, when: x }`, `[a, b]`) for the editor's
 * language features: which keys lead to an offset and whether it is in a key or a value. Block
 * structure is `yaml-structure.ts`'s; this reads only the line the collection is written on.
 */
import type { Span } from "../types";

import { isBlank, quotedEnd, unquote } from "./yaml-line-tokens";

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
