/** Primitive splices: one node replaced, inserted or removed, everything else kept byte for byte. */
import {
  Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  visit,
  type Node,
  type Pair,
  type YAMLMap,
} from "yaml";
import { CEL_VALUE_KEYS, EditError, RENDER } from "./types";
import {
  column,
  contentEnd,
  indent,
  insertLines,
  isObjectLike,
  isScalarArray,
  lineStart,
  makeDoc,
  renderInline,
  renderPair,
  splice,
} from "./text";
import { load, stepsSeq } from "./document";

/** Inserts a step as a new item of `steps`, after item `afterIndex` (default: at the end). */
export function insertStepItem(
  text: string,
  doc: Document.Parsed,
  step: Record<string, unknown>,
  afterIndex?: number,
): string {
  const seq = stepsSeq(doc);
  if (!seq || seq.flow || seq.items.length === 0) {
    const current = (seq?.toJSON() as unknown[] | undefined) ?? [];
    const list = [...current];
    list.splice(afterIndex === undefined ? list.length : afterIndex + 1, 0, step);
    return setIn(text, ["steps"], list);
  }
  const first = seq.items[0] as Node;
  const dashColumn = Math.max(0, column(text, text.lastIndexOf("-", first.range![0])));
  const anchor = seq.items[afterIndex ?? seq.items.length - 1] as Node;
  const itemText = indent(makeDoc([step], false).toString(RENDER).replace(/\n$/, ""), dashColumn);
  // Follow the file's layout: when steps are separated by blank lines, so is the new one.
  const spaced = seq.items.slice(1).some((i) => (i as Node).spaceBefore === true);
  return insertLines(text, contentEnd(text, anchor), (spaced ? "\n" : "") + itemText);
}

export type PathKey = string | number;

/**
 * Sets (or, with `value === undefined`, removes) the value at `path` from the document root,
 * splicing only the affected lines. Missing maps along the path are created; a map emptied by a
 * removal is removed too (up to, not including, a step or the root).
 */
export function setIn(text: string, path: PathKey[], value: unknown): string {
  const doc = load(text);
  let node: unknown = doc.contents;
  if (node === null || node === undefined) {
    if (value === undefined) return text;
    const lines = renderPair(String(path[0]), nest(path.slice(1), value), 0);
    return insertLines(text, text.length, lines);
  }
  // Block maps walked so far, with the pair that leads out of each (removal climbs this chain).
  const chain: { map: YAMLMap; pair: Pair; removable: boolean }[] = [];
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    if (typeof key === "number") {
      if (!isSeq(node) || !node.items[key])
        throw new EditError(`Nothing at ${path.slice(0, i + 1).join(".")}`);
      node = node.items[key];
      continue;
    }
    if (!isMap(node) || node.flow)
      throw new EditError(`Cannot edit inside ${path.slice(0, i).join(".")}`);
    const map: YAMLMap = node;
    const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    const rest = path.slice(i + 1);
    // The step map itself and the root are never removed; maps below them may be.
    const removable = i > 0 && typeof path[i - 1] !== "number";
    if (!pair) {
      if (value === undefined) return text;
      return insertPair(text, map, key, nest(rest, value));
    }
    chain.push({ map, pair, removable });
    const child = pair.value as Node | null;
    if (rest.length === 0) {
      if (value === undefined) return removePairClimbing(text, chain);
      return replaceValue(text, pair, value);
    }
    if (isMap(child) && !child.flow && typeof rest[0] === "string") {
      node = child;
      continue;
    }
    if (isSeq(child) && typeof rest[0] === "number") {
      node = child;
      continue;
    }
    // A scalar, flow collection or empty value on the way: rebuild that value as a whole.
    const current: unknown =
      child && "toJSON" in child ? (child as { toJSON(): unknown }).toJSON() : null;
    if (value === undefined && !isPlainObject(current)) return text;
    const updated = setNested(isPlainObject(current) ? current : {}, rest as string[], value);
    if (updated === undefined) return removePairClimbing(text, chain);
    return replaceValue(text, pair, updated, isMap(child) && child.flow === true);
  }
  return text;
}

export function nest(path: PathKey[], value: unknown): unknown {
  return path.reduceRight<unknown>((acc, key) => ({ [String(key)]: acc }), value);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Sets a nested key in a plain object; removing the last key of a map removes the map. */
export function setNested(
  obj: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> | undefined {
  const [head, ...rest] = path;
  const copy = { ...obj };
  if (head === undefined) return copy;
  if (rest.length === 0) {
    if (value === undefined) delete copy[head];
    else copy[head] = value;
  } else {
    const child = isPlainObject(copy[head]) ? (copy[head] as Record<string, unknown>) : {};
    if (value === undefined && !(head in copy)) return copy;
    const updated = setNested(child, rest, value);
    if (updated === undefined) delete copy[head];
    else copy[head] = updated;
  }
  return Object.keys(copy).length > 0 ? copy : undefined;
}

export function insertPair(text: string, map: YAMLMap, key: string, value: unknown): string {
  const firstKey = (map.items[0] as Pair<Node, Node>).key;
  const spaces = column(text, firstKey.range![0]);
  const last = map.items[map.items.length - 1] as Pair<Node, Node | null>;
  const end = contentEnd(text, last.value ?? last.key);
  return insertLines(text, end, renderPair(key, value, spaces));
}

export function replaceValue(text: string, pair: Pair, value: unknown, preferFlow = false): string {
  const key = pair.key as Node;
  const old = pair.value as Node | null;
  const keepInline =
    old !== null && old.range && (isScalar(old) || ((isMap(old) || isSeq(old)) && old.flow));
  const isEmptyNull = isScalar(old) && old.value === null && old.range![0] === old.range![1];
  if (keepInline && !isEmptyNull) {
    const inline =
      isObjectLike(value) && !preferFlow && !isScalarArray(value)
        ? undefined
        : renderInline(value, preferFlow);
    if (inline !== undefined) {
      // Splice only the value: a comment after it on the same line survives.
      const [start, end] = old.range!;
      const tail = text[end - 1] === "\n" ? "\n" : "";
      return splice(text, start, end, inline + tail);
    }
  }
  const spaces = column(text, key.range![0]);
  const start = pairStart(text, key);
  const end = contentEnd(text, old ?? key);
  const lines = renderPair(String(isScalar(key) ? key.value : key), value, spaces, preferFlow);
  // A key sharing its line with a sequence dash keeps the dash: drop the first line's indent.
  const body = start === lineStart(text, start) ? lines : lines.slice(spaces);
  return splice(text, start, end, body + "\n");
}

/** Where a pair's lines begin: its line, or just the key when it shares the line with a `- `. */
export function pairStart(text: string, key: Node): number {
  const ls = lineStart(text, key.range![0]);
  return /^\s*$/.test(text.slice(ls, key.range![0])) ? ls : key.range![0];
}

export function removePairClimbing(
  text: string,
  chain: { map: YAMLMap; pair: Pair; removable: boolean }[],
): string {
  let i = chain.length - 1;
  while (i > 0 && chain[i]!.map.items.length === 1 && chain[i]!.removable) i--;
  const { map, pair } = chain[i]!;
  const key = pair.key as Node;
  const start = pairStart(text, key);
  if (start !== lineStart(text, start)) {
    // The pair shares its line with the sequence dash: keep the dash, pull up the next pair.
    const next = map.items[map.items.indexOf(pair) + 1] as Pair<Node> | undefined;
    if (!next) throw new EditError("Cannot remove the only field of a step");
    return splice(text, start, pairStart(text, next.key), "");
  }
  return splice(text, start, contentEnd(text, (pair.value as Node | null) ?? key), "");
}

export function renamePositionKey(text: string, from: string, to: string): string {
  const positions = load(text).getIn(["ui", "positions"], true);
  if (!isMap(positions)) return text;
  const pair = positions.items.find((p) => isScalar(p.key) && p.key.value === from);
  if (!pair) return text;
  const key = pair.key as Node;
  return splice(text, key.range![0], key.range![1], renderInline(to, false)!);
}

/** Rewrites `steps.<from>` references to `steps.<to>` in expressions, in place. */
export function rewriteReferences(text: string, from: string, to: string): string {
  const doc = load(text);
  const edits: { start: number; end: number; text: string }[] = [];
  const ref = new RegExp(
    String.raw`\bsteps\.${escapeRe(from)}(?![A-Za-z0-9_-])|\bsteps\[\s*(["'])${escapeRe(from)}\1\s*\]`,
    "g",
  );
  const rewrite = (s: string) =>
    s.replace(ref, (m, quote: string | undefined) =>
      quote ? m.replace(`${quote}${from}${quote}`, `${quote}${to}${quote}`) : `steps.${to}`,
    );
  visit(doc, {
    Pair(_, pair) {
      const v = pair.value;
      if (!isScalar(v) || typeof v.value !== "string" || !v.range) return;
      const source = text.slice(v.range[0], v.range[1]);
      const keyName = isScalar(pair.key) ? String(pair.key.value) : "";
      const next = CEL_VALUE_KEYS.has(keyName)
        ? rewrite(source)
        : source.replace(/\$\{\{[\s\S]*?\}\}/g, (expr) => rewrite(expr));
      if (next !== source) edits.push({ start: v.range[0], end: v.range[1], text: next });
    },
    Seq(_, seq) {
      for (const item of seq.items) {
        if (!isScalar(item) || typeof item.value !== "string" || !item.range) continue;
        const source = text.slice(item.range[0], item.range[1]);
        const next = source.replace(/\$\{\{[\s\S]*?\}\}/g, (expr) => rewrite(expr));
        if (next !== source) edits.push({ start: item.range[0], end: item.range[1], text: next });
      }
    },
  });
  return edits
    .sort((a, b) => b.start - a.start)
    .reduce((acc, e) => splice(acc, e.start, e.end, e.text), text);
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
}
