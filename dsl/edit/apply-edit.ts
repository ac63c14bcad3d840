/**
 * Canvas edits applied to flow YAML text, keeping everything the edit does not touch byte for byte.
 *
 * The canvas never rewrites the whole file: each edit parses the text with eemeli/yaml
 * (`parseDocument`, which records every node's source range), locates the nodes to change, and
 * splices freshly rendered YAML into just those ranges. Re-printing the whole document with
 * `doc.toString()` would realign trailing comments and re-pad flow collections (`[a]` becomes
 * `[ a ]`) all over the file on every drag; splicing keeps comments, alignment, quoting and
 * flow/block styles of untouched nodes exactly as the author wrote them.
 *
 * Compound edits (rename, remove, insert-between) run as a sequence of primitive splices,
 * re-parsing in between; the result is parsed once more before it is returned, so an edit can
 * never hand back YAML that does not parse. A bad edit changes nothing and says why.
 */
import {
  Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { MAX_SCANNED_NESTING, scanNesting } from "../parse";

/** A step as the canvas creates it. */
export interface NewStep {
  id: string;
  uses: string;
  with?: Record<string, unknown>;
  needs?: string[];
}

/** An edit made on the canvas (or any structured editor), tagged by `type`. */
export type FlowEdit =
  | { type: "add-step"; step: NewStep; after?: string; position?: [number, number] }
  | { type: "remove-step"; id: string }
  | { type: "rename-step"; from: string; to: string }
  | { type: "connect"; from: string; to: string }
  | { type: "disconnect"; from: string; to: string }
  | { type: "move"; id: string; position: [number, number] }
  | { type: "set-input"; id: string; key: string; value: unknown }
  | { type: "set-field"; id: string; path: readonly string[]; value: unknown }
  | { type: "insert-between"; step: NewStep; from: string; to: string };

/** The edited text, or an error with the text unchanged. */
export type ApplyEditResult =
  { ok: true; text: string } | { ok: false; error: string; text: string };

/** Step ids: a letter or underscore, then letters, digits, `_` or `-`. */
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Keys whose whole string value is a CEL expression (not only its `${{ }}` parts). */
const CEL_VALUE_KEYS = new Set(["rule", "condition", "when", "if"]);

const RENDER = { lineWidth: 0, flowCollectionPadding: false } as const;

class EditError extends Error {}

/**
 * Applies one edit to flow YAML text.
 *
 * @example
 * const r = applyEdit(text, { type: "connect", from: "contract", to: "deal" });
 * if (r.ok) editor.setValue(r.text); else toast(r.error);
 */
export function applyEdit(text: string, edit: FlowEdit): ApplyEditResult {
  try {
    // Kept away from eemeli/yaml's recursive composer (as `parseFlow` does). Aliases are never
    // expanded here: `toJSON()` without a context leaves them as references.
    if (scanNesting(text, MAX_SCANNED_NESTING) !== undefined)
      throw new EditError(`The flow is nested more than ${MAX_SCANNED_NESTING} levels deep`);
    const out = run(text, edit);
    const check = parseDocument(out);
    if (check.errors.length > 0) {
      throw new EditError(
        `internal error: the edit produced invalid YAML (${check.errors[0]!.message})`,
      );
    }
    return { ok: true, text: out };
  } catch (e) {
    if (e instanceof EditError) return { ok: false, error: e.message, text };
    throw e;
  }
}

/**
 * Moves a step's canvas position from the `ui.positions` key `from` to `to`, in place: what a
 * step renamed by typing in the text needs (the `rename-step` edit does it itself). The text is
 * unchanged when there is no `from` key or `to` already has a position.
 *
 * @example
 * renamePosition(text, "deal", "deal_closed"); // `deal: [0, 280]` becomes `deal_closed: [0, 280]`
 */
export function renamePosition(text: string, from: string, to: string): ApplyEditResult {
  try {
    if (scanNesting(text, MAX_SCANNED_NESTING) !== undefined)
      throw new EditError(`The flow is nested more than ${MAX_SCANNED_NESTING} levels deep`);
    const doc = load(text);
    if (from === to || !hasPosition(doc, from) || hasPosition(doc, to)) return { ok: true, text };
    const out = renamePositionKey(text, from, to);
    if (parseDocument(out).errors.length > 0)
      throw new EditError("internal error: renaming the position produced invalid YAML");
    return { ok: true, text: out };
  } catch (e) {
    if (e instanceof EditError) return { ok: false, error: e.message, text };
    throw e;
  }
}

function run(text: string, edit: FlowEdit): string {
  switch (edit.type) {
    case "add-step":
      return addStep(text, edit.step, edit.after, edit.position);
    case "remove-step":
      return removeStep(text, edit.id);
    case "rename-step":
      return renameStep(text, edit.from, edit.to);
    case "connect":
      return connect(text, edit.from, edit.to);
    case "disconnect":
      return disconnect(text, edit.from, edit.to);
    case "move":
      requireStep(load(text), edit.id);
      checkPosition(edit.position);
      return setIn(text, ["ui", "positions", edit.id], [...edit.position]);
    case "set-input": {
      const { index } = requireStep(load(text), edit.id);
      const keys = edit.key.split(".");
      if (keys.some((k) => k === "")) throw new EditError(`Invalid input key "${edit.key}"`);
      return setIn(text, ["steps", index, "with", ...keys], edit.value ?? undefined);
    }
    case "set-field": {
      const { index } = requireStep(load(text), edit.id);
      if (edit.path.length === 0 || edit.path.some((k) => k === "")) {
        throw new EditError("set-field needs a non-empty path");
      }
      if (edit.path[0] === "id") throw new EditError("Use rename-step to change a step id");
      if (edit.path[0] === "needs")
        throw new EditError("Use connect or disconnect to change needs");
      return setIn(text, ["steps", index, ...edit.path], edit.value ?? undefined);
    }
    case "insert-between":
      return insertBetween(text, edit.step, edit.from, edit.to);
    default: {
      const unknown: never = edit;
      throw new EditError(
        `Unknown edit type ${JSON.stringify((unknown as { type: unknown }).type)}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The edits

function addStep(text: string, step: NewStep, after?: string, position?: [number, number]): string {
  const doc = load(text);
  checkNewStep(doc, step);
  if (position) checkPosition(position);
  let afterIndex: number | undefined;
  if (after !== undefined) afterIndex = requireStep(doc, after).index;
  let out = insertStepItem(text, doc, stepValue(step), afterIndex);
  if (position) out = setIn(out, ["ui", "positions", step.id], [...position]);
  return out;
}

function removeStep(text: string, id: string): string {
  const doc = load(text);
  const { index } = requireStep(doc, id);
  const seq = stepsSeq(doc)!;
  let out: string;
  const item = seq.items[index] as YAMLMap;
  out = splice(text, itemStart(text, item), contentEnd(text, item), "");
  if (seq.items.length === 1) {
    // Leave `steps: []` rather than a null, keeping any comment lines that followed the key.
    const pair = (load(out).contents as YAMLMap).items.find(
      (p) => isScalar(p.key) && p.key.value === "steps",
    )!;
    const colon = out.indexOf(":", (pair.key as Node).range![1]);
    out = splice(out, colon + 1, colon + 1, " []");
  }
  for (const other of stepIds(load(out))) {
    const needs = stepNeeds(load(out), other);
    if (needs.includes(id)) {
      const rest = needs.filter((n) => n !== id);
      out = setIn(
        out,
        ["steps", requireStep(load(out), other).index, "needs"],
        rest.length ? rest : undefined,
      );
    }
  }
  if (hasPosition(load(out), id)) out = setIn(out, ["ui", "positions", id], undefined);
  return out;
}

function renameStep(text: string, from: string, to: string): string {
  const doc = load(text);
  const { index } = requireStep(doc, from);
  if (from === to) return text;
  checkId(to);
  if (findStep(doc, to)) throw new EditError(`A step with id "${to}" already exists`);
  let out = setIn(text, ["steps", index, "id"], to);
  for (const other of stepIds(load(out))) {
    const needs = stepNeeds(load(out), other);
    if (needs.includes(from)) {
      out = setIn(
        out,
        ["steps", requireStep(load(out), other).index, "needs"],
        needs.map((n) => (n === from ? to : n)),
      );
    }
  }
  out = renamePositionKey(out, from, to);
  return rewriteReferences(out, from, to);
}

function connect(text: string, from: string, to: string): string {
  const doc = load(text);
  requireStep(doc, from);
  const { index } = requireStep(doc, to);
  if (from === to) throw new EditError(`A step cannot need itself ("${from}")`);
  const needs = stepNeeds(doc, to);
  if (needs.includes(from)) return text;
  if (dependsOn(doc, from, to)) {
    throw new EditError(
      `Connecting "${from}" to "${to}" would create a cycle ("${from}" already depends on "${to}")`,
    );
  }
  return setIn(text, ["steps", index, "needs"], [...needs, from]);
}

function disconnect(text: string, from: string, to: string): string {
  const doc = load(text);
  requireStep(doc, from);
  const { index } = requireStep(doc, to);
  const needs = stepNeeds(doc, to);
  if (!needs.includes(from)) throw new EditError(`Step "${to}" does not list "${from}" in needs`);
  const rest = needs.filter((n) => n !== from);
  return setIn(text, ["steps", index, "needs"], rest.length ? rest : undefined);
}

function insertBetween(text: string, step: NewStep, from: string, to: string): string {
  const doc = load(text);
  const fromIndex = requireStep(doc, from).index;
  requireStep(doc, to);
  if (!stepNeeds(doc, to).includes(from)) {
    throw new EditError(`Step "${to}" does not need "${from}": nothing to insert between`);
  }
  const needs = [from, ...(step.needs ?? []).filter((n) => n !== from)];
  const withFrom = { ...step, needs };
  checkNewStep(doc, withFrom);
  let out = insertStepItem(text, doc, stepValue(withFrom), fromIndex);
  const after = load(out);
  out = setIn(
    out,
    ["steps", requireStep(after, to).index, "needs"],
    stepNeeds(after, to).map((n) => (n === from ? step.id : n)),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading the document

function load(text: string): Document.Parsed {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0];
    throw new EditError(
      `The flow has a YAML syntax error${line ? ` at line ${line.line}, column ${line.col}` : ""}: ${e.message.split("\n")[0]}`,
    );
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new EditError("The flow must be a YAML mapping at the top level");
  }
  const steps = doc.get("steps", true);
  if (
    steps !== undefined &&
    steps !== null &&
    !isSeq(steps) &&
    !(isScalar(steps) && steps.value === null)
  ) {
    throw new EditError("`steps` must be a list");
  }
  return doc;
}

function stepsSeq(doc: Document.Parsed): YAMLSeq | undefined {
  const steps = doc.get("steps", true);
  return isSeq(steps) ? steps : undefined;
}

function findStep(doc: Document.Parsed, id: string): { item: YAMLMap; index: number } | undefined {
  const items = stepsSeq(doc)?.items ?? [];
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    if (isMap(item) && item.get("id") === id) return { item, index };
  }
  return undefined;
}

function requireStep(doc: Document.Parsed, id: string): { item: YAMLMap; index: number } {
  const found = findStep(doc, id);
  if (!found) throw new EditError(`Unknown step "${id}"`);
  return found;
}

function stepIds(doc: Document.Parsed): string[] {
  return (stepsSeq(doc)?.items ?? []).flatMap((item) => {
    const id = isMap(item) ? item.get("id") : undefined;
    return typeof id === "string" ? [id] : [];
  });
}

/** The ids a step lists in `needs` (a list or a single string). */
function stepNeeds(doc: Document.Parsed, id: string): string[] {
  const { item } = requireStep(doc, id);
  const node = item.get("needs", true);
  if (isSeq(node)) return node.items.map((n) => String(isScalar(n) ? n.value : n));
  if (isScalar(node) && typeof node.value === "string") return [node.value];
  return [];
}

/** Whether `a` needs `b`, directly or transitively. */
function dependsOn(doc: Document.Parsed, a: string, b: string): boolean {
  const seen = new Set<string>();
  const stack = [a];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    if (cur === b) return true;
    if (seen.has(cur)) continue;
    seen.add(cur);
    if (findStep(doc, cur)) stack.push(...stepNeeds(doc, cur));
  }
  return false;
}

function hasPosition(doc: Document.Parsed, id: string): boolean {
  const positions = doc.getIn(["ui", "positions"], true);
  return isMap(positions) && positions.has(id);
}

function checkId(id: unknown): asserts id is string {
  if (typeof id !== "string" || !STEP_ID_PATTERN.test(id)) {
    throw new EditError(
      `Invalid step id ${JSON.stringify(id)}: use letters, digits, "_" or "-", starting with a letter or "_"`,
    );
  }
}

function checkNewStep(doc: Document.Parsed, step: NewStep): void {
  checkId(step.id);
  if (findStep(doc, step.id)) throw new EditError(`A step with id "${step.id}" already exists`);
  if (typeof step.uses !== "string" || step.uses.trim() === "") {
    throw new EditError(`Step "${step.id}" needs a block in uses`);
  }
  for (const n of step.needs ?? []) requireStep(doc, n);
}

function checkPosition(p: unknown): void {
  if (
    !Array.isArray(p) ||
    p.length !== 2 ||
    !p.every((v) => typeof v === "number" && Number.isFinite(v))
  ) {
    throw new EditError("A position is [x, y] with finite numbers");
  }
}

function stepValue(step: NewStep): Record<string, unknown> {
  const v: Record<string, unknown> = { id: step.id, uses: step.uses };
  if (step.needs && step.needs.length > 0) v.needs = [...new Set(step.needs)];
  if (step.with && Object.keys(step.with).length > 0) v.with = step.with;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Text positions

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf("\n", pos - 1) + 1;
}

function lineEndAfter(text: string, pos: number): number {
  const i = text.indexOf("\n", pos);
  return i < 0 ? text.length : i + 1;
}

/** End of the node's last line (past its newline and any comment on that line). */
function contentEnd(text: string, node: Node): number {
  const p = node.range![1];
  return p > 0 && text[p - 1] === "\n" ? p : lineEndAfter(text, p);
}

function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

/** Start of the line holding a sequence item's `-`. */
function itemStart(text: string, item: Node): number {
  return lineStart(text, item.range![0]);
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** Inserts whole lines at a line boundary `pos` (adding the missing final newline if needed). */
function insertLines(text: string, pos: number, lines: string): string {
  if (pos === text.length && text.length > 0 && !text.endsWith("\n")) {
    return text + "\n" + lines + "\n";
  }
  return splice(text, pos, pos, lines + "\n");
}

function indent(block: string, spaces: number): string {
  const pad = " ".repeat(spaces);
  return block
    .split("\n")
    .map((l) => (l.length > 0 ? pad + l : l))
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// Rendering new YAML

function makeDoc(value: unknown, flowTop: boolean): Document {
  const doc = new Document();
  const node = doc.createNode(value);
  // House style: short lists of scalars (needs, positions, purposes) stay in flow style.
  visit(node, {
    Seq(_, seq) {
      if (seq.items.every((i) => isScalar(i))) seq.flow = true;
    },
  });
  if (flowTop && (isMap(node) || isSeq(node))) node.flow = true;
  doc.contents = node;
  return doc;
}

/** The value on one line, or undefined when it needs several lines. */
function renderInline(value: unknown, flowTop: boolean): string | undefined {
  const s = makeDoc(value, flowTop).toString(RENDER).replace(/\n$/, "");
  return s.includes("\n") ? undefined : s;
}

/** `key: value` as block YAML lines without a final newline, at `spaces` indentation. */
function renderPair(key: string, value: unknown, spaces: number, flowTop = false): string {
  const inline = renderInline(value, flowTop);
  const keyText = makeDoc(key, false).toString(RENDER).replace(/\n$/, "");
  if (inline !== undefined && !(isObjectLike(value) && !flowTop && !isScalarArray(value))) {
    return indent(`${keyText}: ${inline}`, spaces);
  }
  return indent(
    makeDoc({ [key]: value }, false)
      .toString(RENDER)
      .replace(/\n$/, ""),
    spaces,
  );
}

function isObjectLike(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)
  );
}

function isScalarArray(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => x === null || typeof x !== "object");
}

// ---------------------------------------------------------------------------------------------
// Primitive splices

/** Inserts a step as a new item of `steps`, after item `afterIndex` (default: at the end). */
function insertStepItem(
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

type PathKey = string | number;

/**
 * Sets (or, with `value === undefined`, removes) the value at `path` from the document root,
 * splicing only the affected lines. Missing maps along the path are created; a map emptied by a
 * removal is removed too (up to, not including, a step or the root).
 */
function setIn(text: string, path: PathKey[], value: unknown): string {
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

function nest(path: PathKey[], value: unknown): unknown {
  return path.reduceRight<unknown>((acc, key) => ({ [String(key)]: acc }), value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Sets a nested key in a plain object; removing the last key of a map removes the map. */
function setNested(
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

function insertPair(text: string, map: YAMLMap, key: string, value: unknown): string {
  const firstKey = (map.items[0] as Pair<Node, Node>).key;
  const spaces = column(text, firstKey.range![0]);
  const last = map.items[map.items.length - 1] as Pair<Node, Node | null>;
  const end = contentEnd(text, last.value ?? last.key);
  return insertLines(text, end, renderPair(key, value, spaces));
}

function replaceValue(text: string, pair: Pair, value: unknown, preferFlow = false): string {
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
function pairStart(text: string, key: Node): number {
  const ls = lineStart(text, key.range![0]);
  return /^\s*$/.test(text.slice(ls, key.range![0])) ? ls : key.range![0];
}

function removePairClimbing(
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

function renamePositionKey(text: string, from: string, to: string): string {
  const positions = load(text).getIn(["ui", "positions"], true);
  if (!isMap(positions)) return text;
  const pair = positions.items.find((p) => isScalar(p.key) && p.key.value === from);
  if (!pair) return text;
  const key = pair.key as Node;
  return splice(text, key.range![0], key.range![1], renderInline(to, false)!);
}

/** Rewrites `steps.<from>` references to `steps.<to>` in expressions, in place. */
function rewriteReferences(text: string, from: string, to: string): string {
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

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
}
