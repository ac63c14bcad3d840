/**
 * Run time: CEL programs planned once per source (metered, `meter.ts`), JS <-> CEL values, and
 * the evaluation of compiled values (expressions, templates, literals) against a run's context.
 */
import {
  celEnv,
  isCelError,
  isCelList,
  isCelMap,
  isCelType,
  isCelUint,
  plan,
  type CelEnv,
  type CelInput,
} from "@bufbuild/cel";
import type { CompiledExpr, CompiledValue } from "../ir";
import { analyzeCel } from "./analysis";
import { cachedParse, isSyntaxError, PARSE_CACHE_MAX, type CelSyntaxError } from "./cel-parse";
import { staticCost } from "./cost";
import { instrument } from "./instrument";
import { CEL_LIMITS } from "./limits";
import {
  CelLimitError,
  meteredFuncs,
  sizeProblem,
  swapMeter,
  tooLongList,
  tooLongString,
  type Meter,
} from "./meter";
import { cachedRe2 } from "./regex";

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

/**
 * The context's roots (`inputs`, `steps`, ...) that `value`'s expressions read, from their
 * analysis (cached per compiled value); null when that is not known for certain (an expression
 * that does not parse, is over a static bound, or whose tree was not walked whole): then every
 * root is bound.
 */
const rootsCache = new WeakMap<CompiledValue, ReadonlySet<string> | null>();
function rootsOf(value: CompiledValue): ReadonlySet<string> | null {
  let roots = rootsCache.get(value);
  if (roots !== undefined) return roots;
  const found = new Set<string>();
  const visit = (v: CompiledValue): boolean => {
    switch (v.kind) {
      case "literal":
        return true;
      case "expr": {
        const a = analyzeCel(v.source);
        if (!a.ok || a.costly || a.partial) return false;
        for (const r of a.refs) found.add(r.root);
        return true;
      }
      case "template":
        return v.parts.every((p) => p.kind === "text" || visit(p));
      case "object":
        return Object.values(v.entries).every(visit);
      case "array":
        return v.items.every(visit);
    }
  };
  roots = visit(value) ? found : null;
  rootsCache.set(value, roots);
  return roots;
}

/**
 * The CEL variables of `ctx` (all of them, or only `roots`): each converted to CEL values, so
 * a value that reads no root (literals, `'text'`) converts nothing.
 */
function bindings(ctx: EvalContext, roots: ReadonlySet<string> | null): Record<string, CelInput> {
  const b: Record<string, CelInput> = {};
  const reads = (root: string) => roots === null || roots.has(root);
  if (reads("inputs")) b.inputs = toCelInput(ctx.inputs ?? {});
  if (reads("steps")) b.steps = toCelInput(ctx.steps ?? {});
  if (reads("secrets")) b.secrets = toCelInput(ctx.secrets ?? {});
  if (reads("run")) b.run = toCelInput(ctx.run ?? {});
  if (ctx.item !== undefined && reads("item")) b.item = toCelInput(ctx.item);
  if (ctx.index !== undefined && reads("index")) b.index = toCelInput(ctx.index);
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
  // CEL reports failures as Error objects, several per iteration once a bound tripped inside a
  // loop (each `||` merges them into a new one): without stack traces they cost next to nothing.
  const traces = Error.stackTraceLimit; // V8; elsewhere undefined and left alone
  const outer = swapMeter(m);
  if (typeof traces === "number") Error.stackTraceLimit = 0;
  let r: unknown;
  let failure: string | undefined;
  try {
    r = p.run(celBindings);
  } catch (e) {
    failure = (e as Error).message;
  } finally {
    swapMeter(outer);
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
    b = bindings(context, rootsOf(compiled));
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
