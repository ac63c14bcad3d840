/**
 * Expressions: `${{ ... }}` holds CEL over `inputs`, `steps.<id>.output`, `secrets`, `run` (and
 * `item`, `index` inside foreach). A string that is exactly one `${{ }}` is a typed expression;
 * text around `${{ }}` makes a template (a string). Compile time parses every expression with
 * @bufbuild/cel and extracts its references; run time evaluates precompiled programs from a cache.
 */
import {
  CelScalar,
  celEnv,
  celError,
  celFunc,
  celMethod,
  isCelError,
  isCelList,
  isCelMap,
  isCelType,
  isCelUint,
  listType,
  parse,
  plan,
  unparse,
  type CelEnv,
  type CelFunc,
  type CelInput,
  type CelList,
  type CelValue,
} from "@bufbuild/cel";
import { RE2JS } from "@bufbuild/re2";
import type { CompiledExpr, CompiledValue, ExprRef } from "./ir";
import type { JsonSchema } from "./types";

type CelExpr = ReturnType<typeof parse>["expr"];
type ParsedCel = ReturnType<typeof parse>;

/** The variables an expression may read. */
export const EXPR_ROOTS = ["inputs", "steps", "secrets", "run", "item", "index"] as const;

/** CEL identifiers that are type names, usable as values (`type(x) == string`). */
const TYPE_IDENTS = new Set([
  "int",
  "uint",
  "double",
  "bool",
  "string",
  "bytes",
  "list",
  "map",
  "null_type",
  "type",
  "dyn",
]);

/** One `${{ }}` or text part of a string, with offsets into that string. */
export type StringSegment =
  | { kind: "text"; value: string; start: number; end: number }
  | {
      kind: "expr";
      /** CEL source between the delimiters. */
      source: string;
      /** Offset of the `${{`. */
      start: number;
      /** Offset just after `}}`. */
      end: number;
      /** Offset of the first character of `source`. */
      sourceStart: number;
    };

/** Result of {@link scanString}. */
export interface ScannedString {
  segments: StringSegment[];
  /** Offset of an unterminated `${{`, if any. */
  unterminated?: number;
}

/**
 * Splits a string into text and `${{ }}` segments.
 *
 * @example
 * scanString("Hi ${{ inputs.name }}!").segments.length; // 3
 */
export function scanString(value: string): ScannedString {
  const segments: StringSegment[] = [];
  let i = 0;
  let textStart = 0;
  while (i < value.length) {
    const open = value.indexOf("${{", i);
    if (open === -1) break;
    const close = value.indexOf("}}", open + 3);
    if (close === -1) {
      if (open > textStart)
        segments.push({
          kind: "text",
          value: value.slice(textStart, open),
          start: textStart,
          end: open,
        });
      segments.push({ kind: "text", value: value.slice(open), start: open, end: value.length });
      return { segments, unterminated: open };
    }
    if (open > textStart)
      segments.push({
        kind: "text",
        value: value.slice(textStart, open),
        start: textStart,
        end: open,
      });
    segments.push({
      kind: "expr",
      source: value.slice(open + 3, close),
      start: open,
      end: close + 2,
      sourceStart: open + 3,
    });
    i = close + 2;
    textStart = i;
  }
  if (textStart < value.length)
    segments.push({
      kind: "text",
      value: value.slice(textStart),
      start: textStart,
      end: value.length,
    });
  return { segments };
}

/** Whether a string contains `${{`. */
export function hasExpression(value: string): boolean {
  return value.includes("${{");
}

/** A CEL syntax error, `offset` relative to the CEL source. */
export interface CelSyntaxError {
  offset: number;
  message: string;
}

/** A reference with its offsets into the CEL source. */
export interface LocatedRef extends ExprRef {
  start: number;
  end: number;
  /** Offsets of the step id part (for `steps.<id>`), for precise "unknown step" spans. */
  stepStart?: number;
  stepEnd?: number;
  /** True when `steps.<id>` is not followed by `.output`. */
  notOutput?: boolean;
  /** True when the expression is exactly this path (no operators): its type is the field's. */
  whole: boolean;
}

/** Result of {@link analyzeCel}. */
export interface CelAnalysis {
  ok: boolean;
  error?: CelSyntaxError;
  refs: LocatedRef[];
  /** Identifiers that are neither roots, bound variables nor type names. */
  unknownIdents: Array<{ name: string; start: number; end: number }>;
  /** Set when the expression is over the static cost budget ({@link CEL_LIMITS}): `TF2011`. */
  costly?: { detail: string; hint?: string };
}

/**
 * The bounds on CEL work, at compile time (static cost) and at run time (per evaluation of one
 * expression). `dsl/README.md` documents them; `dsl/ARCHITECTURE.md` explains how they are kept.
 */
export const CEL_LIMITS = {
  /** Longest expression source, in characters. */
  maxSourceLength: 10_000,
  /** Deepest expression AST (operators, calls, selections, literals nest). */
  maxDepth: 250,
  /** Static cost (AST nodes, loop bodies times literal list sizes) above which `TF2011`. */
  maxStaticCost: 1_000_000,
  /**
   * Cost units one evaluation may spend: one per AST node evaluated (a comprehension's body once
   * per item), plus one per 8 entries of a list or map and per 64 characters of a string that a
   * function reads whole (`matches` also pays for compiling its pattern). Used up in about 0.1 to
   * 0.5 s of CPU (measured on 2 shared cores).
   */
  maxSteps: 500_000,
  /** Largest estimated size of a regular expression (`matches`, see `regexSize`). */
  maxRegexSize: 20_000,
  /** Steps all policy evaluations of one compile may spend together (`policies/evaluate.ts`). */
  maxPolicySteps: 4_000_000,
  /** Most elements of a list (or entries of a map) read, built or returned. */
  maxListLength: 100_000,
  /** Longest string (UTF-16 code units) or bytes value read, built or returned. */
  maxStringLength: 1_048_576,
} as const;

const parseCache = new Map<string, ParsedCel | CelSyntaxError>();
const PARSE_CACHE_MAX = 20_000;

function cachedParse(source: string): ParsedCel | CelSyntaxError {
  let r = parseCache.get(source);
  if (r) return r;
  try {
    r = parse(source);
  } catch (e) {
    const loc = (e as { location?: { start?: { offset?: number } } }).location;
    const raw = (e as { rawMessage?: unknown }).rawMessage;
    const message =
      typeof raw === "string"
        ? raw
        : String((e as Error).message ?? e).replace(/^<input>:\d+:\d+: /, "");
    r = { offset: typeof loc?.start?.offset === "number" ? loc.start.offset : 0, message };
  }
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
  parseCache.set(source, r);
  return r;
}

function isSyntaxError(r: ParsedCel | CelSyntaxError): r is CelSyntaxError {
  return (r as CelSyntaxError).message !== undefined && (r as ParsedCel).expr === undefined;
}

const analysisCache = new Map<string, CelAnalysis>();

/**
 * Parses CEL and extracts its references. Never throws. Results are cached per source (flows
 * repeat the same expressions): treat the returned analysis as read-only.
 *
 * @example
 * analyzeCel("steps.account.output.creditLimit <= 50000.0").refs[0]?.stepId; // "account"
 */
export function analyzeCel(source: string): CelAnalysis {
  let a = analysisCache.get(source);
  if (a) return a;
  a = analyzeCelUncached(source);
  if (analysisCache.size >= PARSE_CACHE_MAX) analysisCache.clear();
  analysisCache.set(source, a);
  return a;
}

function analyzeCelUncached(source: string): CelAnalysis {
  if (source.trim() === "")
    return {
      ok: false,
      error: { offset: 0, message: "empty expression" },
      refs: [],
      unknownIdents: [],
    };
  if (source.length > CEL_LIMITS.maxSourceLength)
    return {
      ok: true,
      refs: [],
      unknownIdents: [],
      costly: {
        detail: `it is ${source.length} characters long, over the limit of ${CEL_LIMITS.maxSourceLength}`,
        hint: "split it into smaller expressions or steps",
      },
    };
  const parsed = cachedParse(source);
  if (isSyntaxError(parsed)) return { ok: false, error: parsed, refs: [], unknownIdents: [] };
  const costly = staticCost(parsed.expr).problem;
  if (costly?.tooDeep) return { ok: true, refs: [], unknownIdents: [], costly };
  const positions = parsed.sourceInfo?.positions ?? {};
  const pos = (id: bigint): number => positions[String(id)] ?? 0;
  const refs: LocatedRef[] = [];
  const unknownIdents: CelAnalysis["unknownIdents"] = [];
  const root = parsed.expr;
  try {
    walk(root, new Set(), true);
  } catch {
    // Defensive: a malformed AST only loses references, never crashes the compiler.
  }
  return costly ? { ok: true, refs, unknownIdents, costly } : { ok: true, refs, unknownIdents };

  function walk(e: CelExpr | undefined, bound: ReadonlySet<string>, whole: boolean): void {
    if (!e) return;
    const k = e.exprKind;
    switch (k.case) {
      case "identExpr": {
        const name = k.value.name;
        if (bound.has(name)) return;
        if ((EXPR_ROOTS as readonly string[]).includes(name)) {
          refs.push({
            root: name as ExprRef["root"],
            path: [],
            start: pos(e.id),
            end: pos(e.id) + name.length,
            whole,
          });
        } else if (!TYPE_IDENTS.has(name)) {
          unknownIdents.push({ name, start: pos(e.id), end: pos(e.id) + name.length });
        }
        return;
      }
      case "selectExpr":
      case "callExpr": {
        if (k.case === "callExpr" && !(k.value.function === "_[_]" && !k.value.target)) {
          walk(k.value.target, bound, false);
          for (const a of k.value.args) walk(a, bound, false);
          return;
        }
        // A chain of field selections / indexing: flatten it down to its base.
        const segs: Array<{ name?: string; start: number; end: number; dynamic?: CelExpr }> = [];
        let cur: CelExpr | undefined = e;
        for (;;) {
          if (!cur) break;
          const ck: CelExpr["exprKind"] = cur.exprKind;
          if (ck.case === "selectExpr") {
            const start = pos(cur.id) + 1;
            segs.push({ name: ck.value.field, start, end: start + ck.value.field.length });
            cur = ck.value.operand;
          } else if (
            ck.case === "callExpr" &&
            ck.value.function === "_[_]" &&
            !ck.value.target &&
            ck.value.args.length === 2
          ) {
            const idx = ck.value.args[1];
            const ik = idx?.exprKind;
            if (
              idx &&
              ik?.case === "constExpr" &&
              (ik.value.constantKind.case === "stringValue" ||
                ik.value.constantKind.case === "int64Value")
            ) {
              const name = String(ik.value.constantKind.value);
              const start = pos(idx.id);
              const len =
                ik.value.constantKind.case === "stringValue" ? name.length + 2 : name.length;
              segs.push({ name, start, end: start + len });
            } else {
              segs.push({ start: pos(cur.id), end: pos(cur.id) + 1, dynamic: idx });
            }
            cur = ck.value.args[0];
          } else {
            break;
          }
        }
        segs.reverse();
        for (const s of segs) if (s.dynamic) walk(s.dynamic, bound, false);
        const base = cur;
        if (base && base.exprKind.case === "identExpr" && !bound.has(base.exprKind.value.name)) {
          const name = base.exprKind.value.name;
          if (!(EXPR_ROOTS as readonly string[]).includes(name)) {
            if (!TYPE_IDENTS.has(name))
              unknownIdents.push({ name, start: pos(base.id), end: pos(base.id) + name.length });
            return;
          }
          const start = pos(base.id);
          const path: string[] = [];
          let end = start + name.length;
          let stepId: string | undefined;
          let stepStart: number | undefined;
          let stepEnd: number | undefined;
          let notOutput = false;
          let i = 0;
          let allStatic = true;
          if (name === "steps") {
            const s0 = segs[0];
            if (!s0 || s0.name === undefined) {
              refs.push({ root: "steps", path: [], start, end, whole: false });
              return;
            }
            stepId = s0.name;
            stepStart = s0.start;
            stepEnd = s0.end;
            end = s0.end;
            const s1 = segs[1];
            if (!s1 || s1.name !== "output") notOutput = true;
            else end = s1.end;
            i = 2;
          }
          for (; i < segs.length; i++) {
            const s = segs[i]!;
            if (s.name === undefined) {
              allStatic = false;
              break;
            }
            path.push(s.name);
            end = s.end;
          }
          const ref: LocatedRef = {
            root: name as ExprRef["root"],
            path,
            start,
            end,
            whole: whole && allStatic && !notOutput,
          };
          if (stepId !== undefined) {
            ref.stepId = stepId;
            ref.stepStart = stepStart;
            ref.stepEnd = stepEnd;
          }
          if (notOutput) ref.notOutput = true;
          refs.push(ref);
        } else {
          walk(base, bound, false);
        }
        return;
      }
      case "listExpr":
        for (const x of k.value.elements) walk(x, bound, false);
        return;
      case "structExpr":
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === "mapKey") walk(entry.keyKind.value, bound, false);
          walk(entry.value, bound, false);
        }
        return;
      case "comprehensionExpr": {
        const c = k.value;
        walk(c.iterRange, bound, false);
        walk(c.accuInit, bound, false);
        const inner = new Set(bound);
        inner.add(c.iterVar);
        if (c.iterVar2) inner.add(c.iterVar2);
        inner.add(c.accuVar);
        walk(c.loopCondition, inner, false);
        walk(c.loopStep, inner, false);
        walk(c.result, inner, false);
        return;
      }
      default:
        return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Static cost

/**
 * A cost as a polynomial in L, the (unknown) length of the lists and maps an expression reads:
 * `[c0, c1, c2]` is c0 + c1·L + c2·L². Degree 2 or more means comprehensions nested over lists of
 * unbounded size.
 */
type Poly = number[];

const polyAdd = (a: Poly, b: Poly): Poly => {
  const out = a.length >= b.length ? a.slice() : b.slice();
  const other = a.length >= b.length ? b : a;
  for (let i = 0; i < other.length; i++) out[i]! += other[i]!;
  return out;
};

/** A problem found by {@link staticCost}. */
interface CostProblem {
  detail: string;
  hint?: string;
  tooDeep?: boolean;
}

/** Literal size of a comprehension range (`[a, b]`, `{k: v}`), or undefined when unbounded. */
function literalSize(e: CelExpr | undefined): number | undefined {
  const k = e?.exprKind;
  if (k?.case === "listExpr") return k.value.elements.length;
  if (k?.case === "structExpr" && k.value.messageName === "") return k.value.entries.length;
  return undefined;
}

function shortSource(e: CelExpr): string {
  let t: string;
  try {
    t = unparse(e);
  } catch {
    t = "?";
  }
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/**
 * Estimates the cost of a parsed expression from its AST, without evaluating it: one unit per
 * node, a comprehension's loop body (condition and step) multiplied by its range's size (the
 * literal size of a list/map literal, else L). Finds the problems {@link analyzeCel} reports as
 * `TF2011`: an AST deeper than {@link CEL_LIMITS}.maxDepth, comprehensions nested over unbounded
 * lists (degree >= 2 in L: quadratic or worse), a constant cost over `maxStaticCost`. Also
 * returns the node count, charged once per evaluation at run time.
 */
export function staticCost(root: CelExpr): { nodes: number; problem?: CostProblem } {
  let problem: CostProblem | undefined;
  let nodes = 0;
  const walk = (e: CelExpr | undefined, depth: number): Poly => {
    if (!e || problem?.tooDeep) return [0];
    if (depth > CEL_LIMITS.maxDepth) {
      problem = {
        detail: `it is nested more than ${CEL_LIMITS.maxDepth} levels deep`,
        tooDeep: true,
      };
      return [0];
    }
    nodes++;
    const k = e.exprKind;
    let cost: Poly = [1];
    switch (k.case) {
      case "selectExpr":
        return polyAdd(cost, walk(k.value.operand, depth + 1));
      case "callExpr":
        cost = polyAdd(cost, walk(k.value.target, depth + 1));
        for (const a of k.value.args) cost = polyAdd(cost, walk(a, depth + 1));
        return cost;
      case "listExpr":
        for (const x of k.value.elements) cost = polyAdd(cost, walk(x, depth + 1));
        return cost;
      case "structExpr":
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === "mapKey")
            cost = polyAdd(cost, walk(entry.keyKind.value, depth + 1));
          cost = polyAdd(cost, walk(entry.value, depth + 1));
        }
        return cost;
      case "comprehensionExpr": {
        const c = k.value;
        cost = polyAdd(cost, walk(c.iterRange, depth + 1));
        cost = polyAdd(cost, walk(c.accuInit, depth + 1));
        cost = polyAdd(cost, walk(c.result, depth + 1));
        // Each iteration also costs its own step (the range charge at run time).
        const body = polyAdd(
          [1],
          polyAdd(walk(c.loopCondition, depth + 1), walk(c.loopStep, depth + 1)),
        );
        const n = literalSize(c.iterRange);
        if (n !== undefined)
          return polyAdd(
            cost,
            body.map((x) => x * n),
          );
        if (body.length >= 2 && body.slice(1).some((x) => x > 0) && !problem) {
          problem = {
            detail:
              `it iterates a list inside an iteration over \`${shortSource(c.iterRange!)}\`, ` +
              "both of unbounded size (the work grows with the square of the list length)",
            hint: "iterate once (e.g. build the set to compare with outside the loop), or iterate a literal list inside",
          };
        }
        return polyAdd(cost, [0, ...body]);
      }
      default:
        return cost;
    }
  };
  const total = walk(root, 0);
  if (!problem) {
    const constant = (total[0] ?? 0) + (total[1] ?? 0);
    if (constant > CEL_LIMITS.maxStaticCost)
      problem = {
        detail: `its estimated cost ${Math.round(constant)} is over the limit of ${CEL_LIMITS.maxStaticCost}`,
        hint: "iterate smaller literal lists, or fewer of them nested",
      };
  }
  return problem ? { nodes, problem } : { nodes };
}

/** The JSON Schema at a field path; `open` when the schema allows anything there. */
export type SchemaLookup =
  | { kind: "found"; schema: JsonSchema }
  | { kind: "open" }
  | { kind: "unknown"; at: number; known: string[] };

/**
 * Follows `path` through a JSON Schema: `properties`, `additionalProperties`, `items`. An object
 * with `properties` and no `additionalProperties` is treated as closed (its fields are the
 * documented ones); an untyped object, `additionalProperties`, or combinators allow anything.
 */
export function schemaAtPath(
  schema: JsonSchema | undefined,
  path: readonly string[],
): SchemaLookup {
  let cur: JsonSchema | undefined = schema;
  for (let i = 0; i < path.length; i++) {
    if (!cur || typeof cur !== "object") return { kind: "open" };
    if (cur.anyOf || cur.oneOf || cur.allOf || cur.$ref) return { kind: "open" };
    const seg = path[i]!;
    const type = cur.type;
    if (type === "array" || (Array.isArray(type) && type.includes("array") && !cur.properties)) {
      if (!/^\d+$/.test(seg)) {
        // `list.size()` and friends are calls, not fields; a named field on a list is unknown.
        return { kind: "unknown", at: i, known: [] };
      }
      const items = cur.items;
      if (!items || typeof items !== "object") return { kind: "open" };
      cur = items as JsonSchema;
      continue;
    }
    const props = cur.properties as Record<string, JsonSchema> | undefined;
    if (props && Object.prototype.hasOwnProperty.call(props, seg)) {
      cur = props[seg];
      continue;
    }
    const ap = cur.additionalProperties;
    if (ap && typeof ap === "object") {
      cur = ap as JsonSchema;
      continue;
    }
    if (ap === true || !props) return { kind: "open" };
    if (
      type !== undefined &&
      type !== "object" &&
      !(Array.isArray(type) && type.includes("object"))
    ) {
      return { kind: "unknown", at: i, known: [] };
    }
    return { kind: "unknown", at: i, known: Object.keys(props) };
  }
  return cur ? { kind: "found", schema: cur } : { kind: "open" };
}

/** The JSON Schema type names of a schema (empty when untyped). */
export function schemaTypes(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  const t = schema.type;
  if (typeof t === "string") return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === "string");
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const kinds = new Set(
      schema.enum.map((v) =>
        v === null
          ? "null"
          : Array.isArray(v)
            ? "array"
            : typeof v === "number"
              ? "number"
              : typeof v,
      ),
    );
    return [...kinds];
  }
  if (schema.const !== undefined)
    return [typeof schema.const === "number" ? "number" : typeof schema.const];
  return [];
}

/**
 * Whether a value of type `source` may flow into a slot of type `target` (both JSON Schema
 * type lists; an empty list means unknown and is always compatible).
 */
export function typesCompatible(source: string[], target: string[]): boolean {
  if (source.length === 0 || target.length === 0) return true;
  return source.some(
    (s) =>
      target.includes(s) ||
      (s === "integer" && target.includes("number")) ||
      (s === "number" && target.includes("integer")) ||
      s === "null",
  );
}

// ---------------------------------------------------------------------------------------------
// Run time

/** The variables an expression sees at run time. */
export interface EvalContext {
  inputs?: Record<string, unknown>;
  steps?: Record<string, { output: unknown } | undefined>;
  secrets?: Record<string, unknown>;
  run?: Record<string, unknown>;
  item?: unknown;
  index?: number;
}

/** Raised by {@link evaluate} when an expression fails at run time. */
export class ExpressionError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${message} (in \`${source.trim()}\`)`);
    this.name = "ExpressionError";
  }
}

// ---------------------------------------------------------------------------------------------
// Run-time bounds

/** A bound of {@link CEL_LIMITS} tripped while converting or evaluating. */
class CelLimitError extends Error {}

/**
 * The budget of the evaluation in progress (evaluation is synchronous: one at a time). The
 * metered functions below charge it; once tripped it stays tripped, so every later charge fails
 * at once and {@link evaluateCel} reports the limit even when CEL's error-absorbing operators
 * (`true || error`) swallowed the failing call.
 */
interface Meter {
  left: number;
  /** What running out of `left` means, for the message. */
  exhausted: string;
  /** The limit message, once a bound tripped. */
  tripped?: string;
  /** The error every metered call throws once tripped (one object: no allocation per call). */
  error?: Error;
}
let meter: Meter | undefined;

function trip(message: string): never {
  if (!meter) throw new CelLimitError(message);
  if (meter.tripped === undefined) {
    meter.tripped = message;
    // A CelError: @bufbuild/cel's call wrapper passes it on as is instead of wrapping it.
    meter.error = celError(message);
  }
  throw meter.error!;
}

function charge(units: number): void {
  if (!meter) return;
  if (meter.tripped !== undefined) throw meter.error!;
  meter.left -= units;
  if (meter.left < 0) trip(meter.exhausted);
}

const tooLongList = (n: number): string =>
  `a list or map of ${n} entries is over the limit of ${CEL_LIMITS.maxListLength}`;
const tooLongString = (n: number): string =>
  `a string or bytes value of ${n} characters is over the limit of ${CEL_LIMITS.maxStringLength}`;

/**
 * Cost units of reading a value whole (an argument a function may scan: `in`, `contains`, `==`,
 * `+`, ...): 1 per 8 entries of a list or map, 1 per 64 characters of a string or bytes.
 */
function valueUnits(v: unknown): number {
  if (typeof v === "string") return v.length >>> 6;
  if (typeof v !== "object" || v === null) return 0;
  if (v instanceof Uint8Array) return v.length >>> 6;
  if (isCelList(v) || isCelMap(v)) return v.size >>> 3;
  return 0;
}

/** Why a value is over the size caps, if it is (its own size: nested values are checked when built or read). */
function sizeProblem(v: unknown): string | undefined {
  if (typeof v === "string")
    return v.length > CEL_LIMITS.maxStringLength ? tooLongString(v.length) : undefined;
  if (typeof v !== "object" || v === null) return undefined;
  if (v instanceof Uint8Array)
    return v.length > CEL_LIMITS.maxStringLength ? tooLongString(v.length) : undefined;
  if ((isCelList(v) || isCelMap(v)) && v.size > CEL_LIMITS.maxListLength)
    return tooLongList(v.size);
  return undefined;
}

/** Checks a value a function produced against the size caps. */
function checkSize(v: unknown): void {
  const problem = sizeProblem(v);
  if (problem !== undefined) trip(problem);
}

const CEL_LIST_BRAND = Symbol.for("@bufbuild/cel/list");

/**
 * A CEL list that appends in amortised O(1): a fixed-size view over an append-only array. `a + b`
 * reuses `a`'s array when `a` is its latest view (as the `map`/`filter` accumulator always is),
 * else copies. @bufbuild/cel's own concatenation nests a view per `+`: a `map` over n items
 * then reads in O(n²) and overflows the stack past ~10,000 items.
 */
class AppendList {
  readonly [CEL_LIST_BRAND] = {};
  constructor(
    private readonly items: CelValue[],
    readonly size: number,
  ) {}
  get(index: number): CelValue | undefined {
    return index >= 0 && index < this.size ? this.items[index] : undefined;
  }
  *values(): IterableIterator<CelValue> {
    for (let i = 0; i < this.size; i++) yield this.items[i]!;
  }
  [Symbol.iterator](): IterableIterator<CelValue> {
    return this.values();
  }
  /** `this + other`, size-checked before anything is built. */
  concat(other: CelList): AppendList {
    const size = this.size + other.size;
    if (size > CEL_LIMITS.maxListLength) trip(tooLongList(size));
    charge(other.size);
    if (this.size === this.items.length) {
      for (const v of other) this.items.push(v);
      return new AppendList(this.items, size);
    }
    return AppendList.of(this as unknown as CelList).concat(other);
  }
  static of(list: CelList): AppendList {
    charge(list.size);
    const items = [...list];
    return new AppendList(items, items.length);
  }
}

function listConcat(l: CelList, r: CelList): CelList {
  const size = l.size + r.size;
  if (size > CEL_LIMITS.maxListLength) trip(tooLongList(size));
  const base =
    (l as unknown) instanceof AppendList ? (l as unknown as AppendList) : AppendList.of(l);
  return base.concat(r) as unknown as CelList;
}

/**
 * An estimate of the size of the program RE2 compiles a pattern into: literals 1, `.` and Perl
 * classes 4, a bracket class 1 + its length, a Unicode class (`\p{..}`) 256, groups the sum of
 * their contents, a counted repetition `{n,m}` multiplying what it repeats by max(n, m). (RE2
 * expands counted repetitions: `\pL{1000}` is 14 characters and takes 0.2 s to compile.)
 */
export function regexSize(pattern: string): number {
  const stack: number[] = [0];
  let last = 0;
  const n = pattern.length;
  for (let i = 0; i < n; i++) {
    const c = pattern[i]!;
    let atom: number;
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      i++;
      if (next === "p" || next === "P") {
        atom = 256;
        if (pattern[i + 1] === "{") {
          const close = pattern.indexOf("}", i + 1);
          i = close === -1 ? n : close;
        } else i++;
      } else atom = "dDwWsS".includes(next) ? 4 : 1;
    } else if (c === "[") {
      let j = i + 1;
      if (pattern[j] === "^") j++;
      if (pattern[j] === "]") j++;
      while (j < n && pattern[j] !== "]") j += pattern[j] === "\\" ? 2 : 1;
      const body = pattern.slice(i + 1, j);
      atom = 1 + body.length * (/\\[pP]/.test(body) ? 256 : 1);
      i = j;
    } else if (c === "(") {
      stack.push(0);
      last = 0;
      continue;
    } else if (c === ")") {
      atom = (stack.length > 1 ? stack.pop()! : 0) + 1;
    } else if (c === "{") {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i, i + 24));
      if (m) {
        const k = Math.max(Number(m[1]), m[2] ? Number(m[2]) : 0, 1);
        stack[stack.length - 1]! += last * (k - 1);
        last *= k;
        i += m[0].length - 1;
        continue;
      }
      atom = 1;
    } else if (c === "*" || c === "+" || c === "?") {
      continue;
    } else atom = c === "." ? 4 : 1;
    stack[stack.length - 1]! += atom;
    last = atom;
  }
  return stack.reduce((x, y) => x + y, 0);
}

/** Compiled patterns with their estimated size, most recently used last. */
const regexCache = new Map<string, { re: RE2JS; size: number; test(text: string): boolean }>();
const REGEX_CACHE_MAX = 256;

/**
 * The RE2 engine of the evaluation environment (`matches`): @bufbuild/cel compiles the pattern on
 * every call; here each distinct pattern is compiled once (an LRU of 256), a pattern whose
 * {@link regexSize} is over `maxRegexSize` is refused, a compile costs 16 + 8 x its size in
 * steps, and a match 1 step per 16 (characters of the text x size of the pattern).
 */
const cachedRe2 = {
  compile(pattern: string): { test(text: string): boolean } {
    // Once tripped, nothing more is compiled or matched.
    if (meter?.tripped !== undefined) throw meter.error!;
    let entry = regexCache.get(pattern);
    if (entry) {
      regexCache.delete(pattern);
    } else {
      const size = regexSize(pattern);
      if (size > CEL_LIMITS.maxRegexSize)
        trip(
          `the regular expression's estimated size ${size} is over the limit of ${CEL_LIMITS.maxRegexSize}`,
        );
      charge(16 + size * 8);
      const re = RE2JS.compile(pattern);
      entry = {
        re,
        size,
        test(text: string): boolean {
          // Linear in the text, with the program's size as the factor (NFA simulation).
          charge((text.length * size) >>> 4);
          return re.test(text);
        },
      };
      if (regexCache.size >= REGEX_CACHE_MAX) regexCache.delete(regexCache.keys().next().value!);
    }
    regexCache.set(pattern, entry);
    return entry;
  },
};

/** Name of the range guard inserted into every comprehension (`@` keeps it out of user code). */
const RANGE_GUARD = "@tf_range";

/**
 * The functions of the evaluation environment: every standard overload wrapped to charge the
 * meter (1 + the size of its arguments) and to check the size of its result; list `+` replaced
 * by {@link AppendList}; and the range guard, which charges a comprehension's whole iteration
 * count times its body cost *before* the loop runs.
 */
function meteredFuncs(): CelFunc[] {
  const out: CelFunc[] = [];
  const { DYN, INT } = CelScalar;
  const LIST = listType(DYN);
  /** Whether values of a type can be large (strings, bytes, lists, maps, or anything). */
  const sized = (t: CelFunc["result"] | undefined): boolean =>
    t !== undefined &&
    (t.kind === "list" ||
      t.kind === "map" ||
      (t.kind === "scalar" &&
        (t.scalar === "string" || t.scalar === "bytes" || t.scalar === "dyn")));
  for (const f of celEnv().funcs) {
    // Overloads over numbers, booleans, times and durations only stay as they are: their work
    // does not depend on data size (the call is charged as an AST node).
    if (!sized(f.target) && !sized(f.result) && !f.arguments.some(sized)) {
      out.push(f);
      continue;
    }
    const orig = f;
    const impl = function (this: unknown, ...args: unknown[]): unknown {
      // The call itself is one AST node, charged with the others; here what depends on data.
      let units = valueUnits(this);
      for (const a of args) units += valueUnits(a);
      if (units > 0 || meter?.tripped !== undefined) charge(units);
      const r = orig.call(0, this as CelValue | undefined, args as CelValue[]);
      if (r === undefined) throw new Error(`no matching overload for '${orig.name}'`);
      if (isCelError(r)) throw r;
      checkSize(r);
      return r;
    };
    if (
      f.name === "_+_" &&
      f.target === undefined &&
      f.arguments.length === 2 &&
      f.arguments.every((a) => a.kind === "list")
    )
      out.push(
        celFunc(f.name, [LIST, LIST], f.result, (l: CelList, r: CelList) => listConcat(l, r)),
      );
    else if (f.target !== undefined)
      out.push(celMethod(f.name, f.target, f.arguments, f.result, impl as never));
    else out.push(celFunc(f.name, f.arguments, f.result, impl as never));
  }
  out.push(
    celFunc(RANGE_GUARD, [DYN, INT], DYN, (range, body) => {
      if (isCelList(range) || isCelMap(range)) {
        if (range.size > CEL_LIMITS.maxListLength) trip(tooLongList(range.size));
        charge(range.size * Number(body));
      }
      return range;
    }),
  );
  return out;
}

/**
 * Rewrites a parsed expression for metered evaluation: each comprehension's range `r` becomes
 * `@tf_range(r, bodyCost)`. Returns the input unchanged when it has no comprehension.
 */
function instrument(e: CelExpr): CelExpr {
  const k = e.exprKind;
  const sub = (x: CelExpr | undefined): CelExpr | undefined => (x ? instrument(x) : x);
  switch (k.case) {
    case "selectExpr": {
      const operand = sub(k.value.operand);
      return operand === k.value.operand
        ? e
        : { ...e, exprKind: { case: k.case, value: { ...k.value, operand } } };
    }
    case "callExpr": {
      const target = sub(k.value.target);
      const args = k.value.args.map(instrument);
      return target === k.value.target && args.every((a, i) => a === k.value.args[i])
        ? e
        : { ...e, exprKind: { case: k.case, value: { ...k.value, target, args } } };
    }
    case "listExpr": {
      const elements = k.value.elements.map(instrument);
      return elements.every((a, i) => a === k.value.elements[i])
        ? e
        : { ...e, exprKind: { case: k.case, value: { ...k.value, elements } } };
    }
    case "structExpr": {
      let changed = false;
      const entries = k.value.entries.map((entry) => {
        const value = sub(entry.value);
        const key = entry.keyKind.case === "mapKey" ? instrument(entry.keyKind.value) : undefined;
        if (value === entry.value && (key === undefined || key === entry.keyKind.value))
          return entry;
        changed = true;
        return key !== undefined
          ? { ...entry, value, keyKind: { case: "mapKey" as const, value: key } }
          : { ...entry, value };
      });
      return changed ? { ...e, exprKind: { case: k.case, value: { ...k.value, entries } } } : e;
    }
    case "comprehensionExpr": {
      const c = k.value;
      const loopCondition = sub(c.loopCondition);
      const loopStep = sub(c.loopStep);
      // What one iteration costs, nested comprehensions counted once (they charge themselves).
      const body = 1 + countNodes(c.loopCondition) + countNodes(c.loopStep);
      const range = sub(c.iterRange)!;
      const guarded: CelExpr = {
        ...range,
        exprKind: {
          case: "callExpr",
          value: {
            $typeName: "cel.expr.Expr.Call",
            function: RANGE_GUARD,
            target: undefined,
            args: [
              range,
              {
                ...range,
                exprKind: {
                  case: "constExpr",
                  value: {
                    $typeName: "cel.expr.Constant",
                    constantKind: { case: "int64Value", value: BigInt(body) },
                  },
                },
              },
            ],
          },
        },
      } as CelExpr;
      return {
        ...e,
        exprKind: {
          case: k.case,
          value: {
            ...c,
            iterRange: guarded,
            accuInit: sub(c.accuInit),
            loopCondition,
            loopStep,
            result: sub(c.result),
          },
        },
      };
    }
    default:
      return e;
  }
}

/** AST nodes of an expression, stopping at nested comprehensions' loop bodies. */
function countNodes(e: CelExpr | undefined): number {
  if (!e) return 0;
  const k = e.exprKind;
  switch (k.case) {
    case "selectExpr":
      return 1 + countNodes(k.value.operand);
    case "callExpr": {
      let n = 1 + countNodes(k.value.target);
      for (const a of k.value.args) n += countNodes(a);
      return n;
    }
    case "listExpr": {
      let n = 1;
      for (const x of k.value.elements) n += countNodes(x);
      return n;
    }
    case "structExpr": {
      let n = 1;
      for (const entry of k.value.entries)
        n +=
          countNodes(entry.value) +
          (entry.keyKind.case === "mapKey" ? countNodes(entry.keyKind.value) : 0);
      return n;
    }
    case "comprehensionExpr":
      return (
        1 +
        countNodes(k.value.iterRange) +
        countNodes(k.value.accuInit) +
        countNodes(k.value.result)
      );
    default:
      return 1;
  }
}

/** A planned program and the cost charged up front for one evaluation (its node count). */
interface Program {
  run: (ctx: Record<string, CelInput>) => unknown;
  nodes: number;
}
/** Why a source has no program: a syntax error, or a static bound (`limit`). */
interface ProgramError extends CelSyntaxError {
  limit?: boolean;
}
const programCache = new Map<string, Program | ProgramError>();
let env: CelEnv | undefined;

/**
 * The planned, metered program of a CEL source, cached (parse and plan happen once per distinct
 * source). Sources over the length or depth bound get no program (`limit: true`).
 */
export function program(source: string): Program | ProgramError {
  let p = programCache.get(source);
  if (p) return p;
  if (source.length > CEL_LIMITS.maxSourceLength) {
    p = {
      offset: 0,
      limit: true,
      message: `it is ${source.length} characters long, over the limit of ${CEL_LIMITS.maxSourceLength}`,
    };
  } else {
    const parsed = cachedParse(source);
    if (isSyntaxError(parsed)) {
      p = parsed;
    } else {
      const cost = staticCost(parsed.expr!);
      if (cost.problem?.tooDeep) {
        p = { offset: 0, limit: true, message: cost.problem.detail };
      } else {
        env ??= celEnv({ funcs: meteredFuncs(), re2: cachedRe2 });
        const run = plan(env, instrument(parsed.expr!)) as unknown as Program["run"];
        p = { run, nodes: cost.nodes };
      }
    }
  }
  if (programCache.size >= PARSE_CACHE_MAX) programCache.clear();
  programCache.set(source, p);
  return p;
}

/**
 * JS -> CEL: integral numbers become CEL `int` (so `inputs.count + 1` works), objects and arrays
 * are converted deeply. Non-integral numbers stay `double`. Lists and objects longer than
 * {@link CEL_LIMITS}.maxListLength and strings longer than `maxStringLength` throw (callers turn
 * that into an {@link ExpressionError} naming the expression); nesting beyond 100 levels is cut
 * to null.
 */
export function toCelInput(v: unknown, depth = 0): CelInput {
  if (depth > 100) return null;
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof v === "string") {
    if (v.length > CEL_LIMITS.maxStringLength) throw new CelLimitError(tooLongString(v.length));
    return v;
  }
  if (typeof v === "boolean" || typeof v === "bigint") return v;
  if (v instanceof Uint8Array) {
    if (v.length > CEL_LIMITS.maxStringLength) throw new CelLimitError(tooLongString(v.length));
    return v;
  }
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) {
    if (v.length > CEL_LIMITS.maxListLength) throw new CelLimitError(tooLongList(v.length));
    return v.map((x) => toCelInput(x, depth + 1));
  }
  if (v instanceof Map) {
    if (v.size > CEL_LIMITS.maxListLength) throw new CelLimitError(tooLongList(v.size));
    const m = new Map<string, CelInput>();
    for (const [k, x] of v) m.set(String(k), toCelInput(x, depth + 1));
    return m;
  }
  if (typeof v === "object") {
    const out: Record<string, CelInput> = {};
    let n = 0;
    for (const k in v as Record<string, unknown>) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      if (++n > CEL_LIMITS.maxListLength) throw new CelLimitError(tooLongList(n));
      out[k] = toCelInput((v as Record<string, unknown>)[k], depth + 1);
    }
    return out;
  }
  return String(v);
}

/** CEL -> JS: `int`/`uint` become numbers (bigint beyond 2^53), lists arrays, maps objects. */
export function fromCel(v: unknown, depth = 0): unknown {
  if (depth > 100) return null;
  if (typeof v === "bigint")
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  if (v === null || typeof v !== "object") return v;
  if (isCelUint(v)) return fromCel(v.value, depth);
  if (isCelList(v)) return [...v].map((x) => fromCel(x, depth + 1));
  if (isCelMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v.entries())
      out[String(isCelUint(k) ? k.value : k)] = fromCel(x, depth + 1);
    return out;
  }
  if (isCelType(v)) return String((v as { name?: string }).name ?? v);
  if (v instanceof Uint8Array) return v;
  return String(v);
}

function bindings(ctx: EvalContext): Record<string, CelInput> {
  const b: Record<string, CelInput> = {
    inputs: toCelInput(ctx.inputs ?? {}),
    steps: toCelInput(ctx.steps ?? {}),
    secrets: toCelInput(ctx.secrets ?? {}),
    run: toCelInput(ctx.run ?? {}),
  };
  if (ctx.item !== undefined) b.item = toCelInput(ctx.item);
  if (ctx.index !== undefined) b.index = toCelInput(ctx.index);
  return b;
}

/**
 * A budget of evaluation steps shared by several {@link evaluateCel} calls (e.g. every policy
 * evaluation of one compile): each call spends from it, within its own per-expression limit.
 */
export interface CelBudget {
  left: number;
  readonly limit: number;
  /** What the budget is for, completing "the steps left to ...". */
  readonly what: string;
}

/**
 * Evaluates a CEL source against raw CEL bindings, returning JS values. Throws
 * {@link ExpressionError}: on a syntax error, a failing expression, or a tripped bound of
 * {@link CEL_LIMITS} (steps, list length, string size), the message naming the limit. Used by
 * {@link evaluate} and the policy evaluator.
 */
export function evaluateCel(
  source: string,
  celBindings: Record<string, CelInput>,
  budget?: CelBudget,
): unknown {
  const p = program(source);
  if ("message" in p)
    throw new ExpressionError(source, p.limit ? p.message : `syntax error: ${p.message}`);
  const shared = budget !== undefined && budget.left < CEL_LIMITS.maxSteps;
  const start = shared ? budget.left : CEL_LIMITS.maxSteps;
  const m: Meter = {
    left: start - p.nodes,
    exhausted: shared
      ? `it needs more than the ${budget.limit} evaluation steps left to ${budget.what}`
      : `it needs more than ${CEL_LIMITS.maxSteps} evaluation steps (the limit per expression)`,
  };
  if (budget) budget.left = Math.max(0, budget.left - p.nodes);
  if (m.left < 0) throw new ExpressionError(source, m.exhausted);
  const outer = meter;
  // CEL reports failures as Error objects, several per iteration once a bound tripped inside a
  // loop (each `||` merges them into a new one): without stack traces they cost next to nothing.
  const traces = Error.stackTraceLimit; // V8; elsewhere undefined and left alone
  meter = m;
  if (typeof traces === "number") Error.stackTraceLimit = 0;
  let r: unknown;
  let failure: string | undefined;
  try {
    r = p.run(celBindings);
  } catch (e) {
    failure = (e as Error).message;
  } finally {
    meter = outer;
    if (typeof traces === "number") Error.stackTraceLimit = traces;
    if (budget) budget.left = Math.max(0, budget.left - Math.max(0, start - p.nodes - m.left));
  }
  failure = m.tripped ?? failure;
  if (failure !== undefined) throw new ExpressionError(source, failure);
  if (isCelError(r)) throw new ExpressionError(source, r.message);
  const tooBig = sizeProblem(r);
  if (tooBig !== undefined) throw new ExpressionError(source, tooBig);
  return fromCel(r);
}

function stringify(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (typeof v === "object")
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : x));
  return String(v);
}

/** The first expression source in a compiled value (to name it in errors), if any. */
function firstSource(v: CompiledValue): string | undefined {
  switch (v.kind) {
    case "expr":
      return v.source;
    case "template":
      return v.parts.find((p) => p.kind !== "text")?.source;
    case "object":
      for (const x of Object.values(v.entries)) {
        const s = firstSource(x);
        if (s !== undefined) return s;
      }
      return undefined;
    case "array":
      for (const x of v.items) {
        const s = firstSource(x);
        if (s !== undefined) return s;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Evaluates a compiled value (expression, template, literal or nested object/array) with the
 * run's context. Programs are parsed and planned once per distinct source and cached.
 * Throws {@link ExpressionError} when an expression fails (missing field, no overload, a bound of
 * {@link CEL_LIMITS}: the context it reads holds a list or string over the caps, ...).
 *
 * @example
 * evaluate(step.inputs, { inputs: { contractId: "CTR-1" }, steps: { contract: { output } } });
 */
export function evaluate(compiled: CompiledValue, context: EvalContext): unknown {
  let b: Record<string, CelInput>;
  try {
    b = bindings(context);
  } catch (e) {
    if (!(e instanceof CelLimitError)) throw e;
    throw new ExpressionError(firstSource(compiled) ?? "(value)", `its context holds ${e.message}`);
  }
  return evalValue(compiled, b);
}

function evalValue(v: CompiledValue, b: Record<string, CelInput>): unknown {
  switch (v.kind) {
    case "literal":
      return v.value;
    case "expr":
      return evaluateCel(v.source, b);
    case "template":
      return v.parts
        .map((p) => (p.kind === "text" ? p.value : stringify(evaluateCel(p.source, b))))
        .join("");
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v.entries)) out[k] = evalValue(x, b);
      return out;
    }
    case "array":
      return v.items.map((x) => evalValue(x, b));
  }
}

/**
 * Compiles a standalone CEL source (e.g. a `policy.check` rule at run time) into a
 * {@link CompiledExpr}; undefined on a syntax error.
 */
export function compileCel(source: string): CompiledExpr | undefined {
  const a = analyzeCel(source);
  if (!a.ok) return undefined;
  return {
    kind: "expr",
    source,
    refs: a.refs.map(({ root, stepId, path }) =>
      stepId === undefined ? { root, path: path.slice() } : { root, stepId, path: path.slice() },
    ),
  };
}
