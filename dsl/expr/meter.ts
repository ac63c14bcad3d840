/**
 * Run-time bounds: the meter of the evaluation in progress (charged up front per comprehension
 * and by every metered function, sticky once tripped), the size caps, and {@link AppendList}.
 * `ARCHITECTURE.md` ("CEL, run time") explains why the bound is built this way.
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
  listType,
  type CelFunc,
  type CelList,
  type CelValue,
} from "@bufbuild/cel";
import { CEL_LIMITS } from "./limits";

/** A bound of {@link CEL_LIMITS} tripped while converting or evaluating. */
export class CelLimitError extends Error {}

/**
 * The budget of the evaluation in progress (evaluation is synchronous: one at a time). The
 * metered functions below charge it; once tripped it stays tripped, so every later charge fails
 * at once and {@link evaluateCel} reports the limit even when CEL's error-absorbing operators
 * (`true || error`) swallowed the failing call.
 */
export interface Meter {
  left: number;
  /** What running out of `left` means, for the message. */
  exhausted: string;
  /** The limit message, once a bound tripped. */
  tripped?: string;
  /** The error every metered call throws once tripped (one object: no allocation per call). */
  error?: Error;
}
let meter: Meter | undefined;

/** Makes `next` the meter of the evaluation starting (undefined: none); returns the previous one. */
export function swapMeter(next: Meter | undefined): Meter | undefined {
  const previous = meter;
  meter = next;
  return previous;
}

/** Throws the tripped meter's error, if a bound tripped: nothing more is computed. */
export function throwIfTripped(): void {
  if (meter?.tripped !== undefined) throw meter.error!;
}

export function trip(message: string): never {
  if (!meter) throw new CelLimitError(message);
  if (meter.tripped === undefined) {
    meter.tripped = message;
    // A CelError: @bufbuild/cel's call wrapper passes it on as is instead of wrapping it.
    meter.error = celError(message);
  }
  throw meter.error!;
}

export function charge(units: number): void {
  if (!meter) return;
  if (meter.tripped !== undefined) throw meter.error!;
  meter.left -= units;
  if (meter.left < 0) trip(meter.exhausted);
}

export const tooLongList = (n: number): string =>
  `a list or map of ${n} entries is over the limit of ${CEL_LIMITS.maxListLength}`;
export const tooLongString = (n: number): string =>
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
export function sizeProblem(v: unknown): string | undefined {
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
export function checkSize(v: unknown): void {
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

export function listConcat(l: CelList, r: CelList): CelList {
  const size = l.size + r.size;
  if (size > CEL_LIMITS.maxListLength) trip(tooLongList(size));
  const base =
    (l as unknown) instanceof AppendList ? (l as unknown as AppendList) : AppendList.of(l);
  return base.concat(r) as unknown as CelList;
}

/** Name of the range guard inserted into every comprehension (`@` keeps it out of user code). */
export const RANGE_GUARD = "@tf_range";

/**
 * The functions of the evaluation environment: every standard overload wrapped to charge the
 * meter (1 + the size of its arguments) and to check the size of its result; list `+` replaced
 * by {@link AppendList}; and the range guard, which charges a comprehension's whole iteration
 * count times its body cost *before* the loop runs.
 */
export function meteredFuncs(): CelFunc[] {
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
