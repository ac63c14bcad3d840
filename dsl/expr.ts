/**
 * Expressions: `${{ ... }}` holds CEL over `inputs`, `steps.<id>.output`, `secrets`, `run` (and
 * `item`, `index` inside foreach). A string that is exactly one `${{ }}` is a typed expression;
 * text around `${{ }}` makes a template (a string). Compile time parses every expression with
 * @bufbuild/cel and extracts its references; run time evaluates precompiled programs from a cache.
 */
import {
  celEnv,
  isCelError,
  isCelList,
  isCelMap,
  isCelType,
  isCelUint,
  parse,
  plan,
  type CelEnv,
  type CelInput,
} from "@bufbuild/cel";
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
}

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
  const parsed = cachedParse(source);
  if (isSyntaxError(parsed)) return { ok: false, error: parsed, refs: [], unknownIdents: [] };
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
  return { ok: true, refs, unknownIdents };

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

type Program = (ctx: Record<string, CelInput>) => unknown;
const programCache = new Map<string, Program | CelSyntaxError>();
let env: CelEnv | undefined;

/**
 * The planned program of a CEL source, cached (parse and plan happen once per distinct source).
 */
export function program(source: string): Program | CelSyntaxError {
  let p = programCache.get(source);
  if (p) return p;
  const parsed = cachedParse(source);
  if (isSyntaxError(parsed)) {
    p = parsed;
  } else {
    env ??= celEnv();
    p = plan(env, parsed) as unknown as Program;
  }
  if (programCache.size >= PARSE_CACHE_MAX) programCache.clear();
  programCache.set(source, p);
  return p;
}

/**
 * JS -> CEL: integral numbers become CEL `int` (so `inputs.count + 1` works), objects and arrays
 * are converted deeply. Non-integral numbers stay `double`.
 */
export function toCelInput(v: unknown, depth = 0): CelInput {
  if (depth > 100) return null;
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof v === "string" || typeof v === "boolean" || typeof v === "bigint") return v;
  if (v instanceof Uint8Array) return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => toCelInput(x, depth + 1));
  if (v instanceof Map) {
    const m = new Map<string, CelInput>();
    for (const [k, x] of v) m.set(String(k), toCelInput(x, depth + 1));
    return m;
  }
  if (typeof v === "object") {
    const out: Record<string, CelInput> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      out[k] = toCelInput(x, depth + 1);
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
 * Evaluates a CEL source against raw CEL bindings, returning JS values. Throws
 * {@link ExpressionError}. Used by {@link evaluate} and the policy evaluator.
 */
export function evaluateCel(source: string, celBindings: Record<string, CelInput>): unknown {
  const p = program(source);
  if (typeof p !== "function") throw new ExpressionError(source, `syntax error: ${p.message}`);
  let r: unknown;
  try {
    r = p(celBindings);
  } catch (e) {
    throw new ExpressionError(source, (e as Error).message);
  }
  if (isCelError(r)) throw new ExpressionError(source, r.message);
  return fromCel(r);
}

function stringify(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (typeof v === "object")
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : x));
  return String(v);
}

/**
 * Evaluates a compiled value (expression, template, literal or nested object/array) with the
 * run's context. Programs are parsed and planned once per distinct source and cached.
 * Throws {@link ExpressionError} when an expression fails (missing field, no overload, ...).
 *
 * @example
 * evaluate(step.inputs, { inputs: { contractId: "CTR-1" }, steps: { contract: { output } } });
 */
export function evaluate(compiled: CompiledValue, context: EvalContext): unknown {
  const b = bindings(context);
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
