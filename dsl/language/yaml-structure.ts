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
 * `flowPlaceAt` (`yaml-flow.ts`) reads a one-line flow collection when a feature needs its inside.
 *
 * The line reader (`yaml-line-tokens.ts`: line index, one line's tokens) and the flow reader are
 * re-exported here, so the language features import this one module.
 */
import type { Span } from "../types";

import {
  lineIndex,
  tokenizeLine,
  type ItemToken,
  type KeyToken,
  type LineIndex,
  type ScalarToken,
} from "./yaml-line-tokens";

export {
  LineIndex,
  lineIndex,
  tokenizeLine,
  unquote,
  type ItemToken,
  type KeyToken,
  type LineToken,
  type ScalarToken,
} from "./yaml-line-tokens";
export { flowPlaceAt, type FlowPlace } from "./yaml-flow";

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
