/**
 * The outline of a flow text: its top-level sections, its steps (id, `uses`, `needs`, where each
 * lies) and its declared inputs, read line by line (`yaml-structure.ts`), so it is there while
 * the text does not parse (a half-typed expression, an unclosed quote in another step).
 *
 * One pass over the lines of the `steps:` section, tokenizing only the lines at a step's own
 * indentation; the `inputs:` section and a step's `with.output` are parsed with eemeli/yaml on
 * their own (small) slices. The last outline is cached by text, so every request of one document
 * version shares it.
 */
import { parse as parseYaml } from "yaml";
import type { JsonSchema, Span } from "../types";
import {
  blockEnd,
  lineIndex,
  tokenizeLine,
  unquote,
  type KeyToken,
  type LineIndex,
} from "./yaml-structure";

/** One step of the outline. */
export interface StepOutline {
  /** The step's id (`""` when it has none yet). */
  id: string;
  idSpan?: Span;
  uses?: string;
  usesSpan?: Span;
  /** Line of the step's `- `. */
  line: number;
  /** Last line of the step. */
  endLine: number;
  /** Offsets of the step's first and last character. */
  start: number;
  end: number;
  /** Column of the step's keys. */
  keyCol: number;
  /** The step's own keys, in order. */
  keys: KeyToken[];
  /** Explicit `needs`, with where each id is written. */
  needs: Array<{ id: string; span: Span }>;
}

/** A declared flow input. */
export interface InputOutline {
  name: string;
  span: Span;
  schema: JsonSchema;
}

export interface FlowOutline {
  text: string;
  /** Top-level keys by name. */
  sections: Map<string, KeyToken>;
  steps: StepOutline[];
  byId: Map<string, StepOutline>;
  inputs: InputOutline[];
}

const STEP_REF = /\bsteps\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"'\n]+)["']\s*\])/g;

let cached: FlowOutline | undefined;

/**
 * The outline of `text`, cached: every request on one document version shares it. (Building it
 * costs about 1 ms for 500 steps; shifting the previous one across a one-line edit was tried and
 * measured slower than building anew.)
 */
export function flowOutline(text: string): FlowOutline {
  if (cached?.text === text) return cached;
  cached = buildOutline(text);
  refsCache = undefined;
  return cached;
}

/** Builds the outline of `text` (`flowOutline` caches it). */
export function buildOutline(text: string): FlowOutline {
  const index = lineIndex(text);
  const sections = new Map<string, KeyToken>();
  for (let i = 0; i < index.count; i++) {
    // Top-level keys start in column 0 (anything else there is a comment or a document marker).
    const c = text.charCodeAt(index.start(i));
    if (c === 32 || c === 35 || c === 10 || c === 13 || Number.isNaN(c)) continue;
    const tok = tokenizeLine(index, i)[0];
    if (tok?.kind === "key" && !sections.has(tok.name)) sections.set(tok.name, tok);
  }
  const stepsKey = sections.get("steps");
  const steps = stepsKey && stepsKey.value === undefined ? readSteps(index, stepsKey) : [];
  const byId = new Map<string, StepOutline>();
  for (const s of steps) if (s.id && !byId.has(s.id)) byId.set(s.id, s);
  const inputsKey = sections.get("inputs");
  const inputs = inputsKey ? readInputs(index, inputsKey) : [];
  return { text, sections, steps, byId, inputs };
}

function readSteps(index: LineIndex, stepsKey: KeyToken): StepOutline[] {
  const text = index.text;
  // Items sit at the key's column (`steps:\n- id: a`) or deeper; the first item decides.
  let itemCol = -1;
  const out: StepOutline[] = [];
  let cur: StepOutline | undefined;
  const finish = () => {
    if (!cur) return;
    cur.endLine = blockEnd(index, cur.line, itemCol);
    cur.end = index.end(cur.endLine);
    out.push(cur);
    cur = undefined;
  };
  for (let i = stepsKey.line + 1; i < index.count; i++) {
    const ind = index.indent(i);
    if (ind < 0) continue;
    if (itemCol < 0) {
      if (text[index.start(i) + ind] !== "-") break;
      itemCol = ind;
    }
    if (ind < itemCol) break;
    const ls = index.start(i);
    if (ind === itemCol) {
      if (text[ls + ind] !== "-") break; // the next top-level key at the same column
      finish();
      const toks = tokenizeLine(index, i);
      const firstKey = toks.find((t): t is KeyToken => t.kind === "key");
      cur = {
        id: "",
        line: i,
        endLine: i,
        start: ls + ind,
        end: index.end(i),
        keyCol: firstKey ? firstKey.col : -1,
        keys: [],
        needs: [],
      };
      if (firstKey) addKey(index, cur, firstKey);
      continue;
    }
    if (!cur) continue;
    if (cur.keyCol < 0) cur.keyCol = ind;
    if (ind !== cur.keyCol) continue;
    const tok = tokenizeLine(index, i)[0];
    if (tok?.kind === "key") addKey(index, cur, tok);
  }
  finish();
  for (const s of out) s.needs = readNeeds(index, s);
  return out;
}

function addKey(index: LineIndex, step: StepOutline, key: KeyToken) {
  step.keys.push(key);
  if (!key.value) return;
  const raw = index.text.slice(key.value.start, key.value.end);
  if (key.name === "id" && !step.idSpan) {
    step.id = unquote(raw);
    step.idSpan = key.value;
  } else if (key.name === "uses" && !step.usesSpan) {
    step.uses = unquote(raw);
    step.usesSpan = key.value;
  }
}

/** `needs: [a, b]`, `needs: a` or a block list under `needs:`. */
function readNeeds(index: LineIndex, step: StepOutline): Array<{ id: string; span: Span }> {
  const key = step.keys.find((k) => k.name === "needs");
  if (!key) return [];
  const text = index.text;
  if (key.value) return flowItems(text, key.value);
  const out: Array<{ id: string; span: Span }> = [];
  for (let i = key.line + 1; i <= step.endLine; i++) {
    const ind = index.indent(i);
    if (ind < 0) continue;
    if (ind < key.col) break;
    const toks = tokenizeLine(index, i);
    if (toks[0]?.kind !== "item") break;
    const v = toks[1];
    if (v?.kind === "scalar")
      out.push({ id: unquote(text.slice(v.value.start, v.value.end)), span: v.value });
  }
  return out;
}

/** The scalar items of a one-line flow sequence (`[a, "b"]`) or a single scalar, with spans. */
export function flowItems(text: string, span: Span): Array<{ id: string; span: Span }> {
  const raw = text.slice(span.start, span.end);
  if (!raw.startsWith("[")) return raw ? [{ id: unquote(raw), span }] : [];
  const out: Array<{ id: string; span: Span }> = [];
  const re = /"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s,[\]]+/g;
  const close = raw.indexOf("]");
  const body = close < 0 ? raw.slice(1) : raw.slice(1, close);
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const start = span.start + 1 + m.index;
    out.push({ id: unquote(m[0]), span: { start, end: start + m[0].length } });
  }
  return out;
}

function readInputs(index: LineIndex, key: KeyToken): InputOutline[] {
  const last = blockEnd(index, key.line, 0);
  if (last === key.line) return [];
  const slice = index.text.slice(index.start(key.line), index.end(last));
  let parsed: unknown;
  try {
    parsed = parseYaml(slice, { maxAliasCount: 100, prettyErrors: false });
  } catch {
    parsed = undefined;
  }
  const values = parsed && typeof parsed === "object" && (parsed as Record<string, unknown>).inputs;
  const schemas =
    values && typeof values === "object" && !Array.isArray(values)
      ? (values as Record<string, unknown>)
      : {};
  const out: InputOutline[] = [];
  let col = -1;
  for (let i = key.line + 1; i <= last; i++) {
    const ind = index.indent(i);
    if (ind < 0) continue;
    if (col < 0) col = ind;
    if (ind !== col) continue;
    const tok = tokenizeLine(index, i)[0];
    if (tok?.kind !== "key") continue;
    const s = schemas[tok.name];
    out.push({
      name: tok.name,
      span: tok.nameSpan,
      schema: s && typeof s === "object" && !Array.isArray(s) ? (s as JsonSchema) : {},
    });
  }
  return out;
}

/** The step whose lines contain `line`, if any. */
export function stepAtLine(outline: FlowOutline, line: number): StepOutline | undefined {
  const steps = outline.steps;
  let lo = 0;
  let hi = steps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = steps[mid]!;
    if (line < s.line) hi = mid - 1;
    else if (line > s.endLine) lo = mid + 1;
    else return s;
  }
  return undefined;
}

/** Step ids read (`steps.<id>`, `steps['<id>']`) or needed by each step, and the reverse. */
let refsCache:
  | { outline: FlowOutline; reads: Map<string, Set<string>>; readers: Map<string, string[]> }
  | undefined;

function readsOf(outline: FlowOutline): Map<string, Set<string>> {
  return graphOf(outline).reads;
}

function graphOf(outline: FlowOutline): NonNullable<typeof refsCache> {
  if (refsCache?.outline === outline) return refsCache;
  const reads = new Map<string, Set<string>>();
  for (const s of outline.steps) {
    if (!s.id) continue;
    const set = reads.get(s.id) ?? new Set<string>();
    for (const n of s.needs) set.add(n.id);
    const body = outline.text.slice(s.start, s.end);
    STEP_REF.lastIndex = 0;
    for (let m = STEP_REF.exec(body); m; m = STEP_REF.exec(body)) set.add(m[1] ?? m[2]!);
    set.delete(s.id);
    reads.set(s.id, set);
  }
  const readers = new Map<string, string[]>();
  for (const [from, tos] of reads) {
    for (const to of tos) {
      const list = readers.get(to);
      if (list) list.push(from);
      else readers.set(to, [from]);
    }
  }
  refsCache = { outline, reads, readers };
  return refsCache;
}

/** The ids of the steps that read or need `id`, directly or through others. */
export function dependentsOf(outline: FlowOutline, id: string): Set<string> {
  const readers = graphOf(outline).readers;
  const out = new Set<string>();
  const stack = [id];
  while (stack.length > 0) {
    for (const r of readers.get(stack.pop()!) ?? []) {
      if (!out.has(r)) {
        out.add(r);
        stack.push(r);
      }
    }
  }
  return out;
}

/** The steps that `id` reads or needs directly. */
export function directReads(outline: FlowOutline, id: string): string[] {
  return [...(readsOf(outline).get(id) ?? [])];
}

/** A step's `with:` mapping as data (parsed from the step's own lines), or undefined. */
export function stepWith(
  outline: FlowOutline,
  step: StepOutline,
): Record<string, unknown> | undefined {
  const index = lineIndex(outline.text);
  const slice = outline.text.slice(index.start(step.line), step.end);
  try {
    const v = parseYaml(slice, { maxAliasCount: 100, prettyErrors: false }) as unknown;
    const item = Array.isArray(v) ? (v[0] as unknown) : undefined;
    const w = item && typeof item === "object" ? (item as Record<string, unknown>).with : undefined;
    return w && typeof w === "object" && !Array.isArray(w)
      ? (w as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
