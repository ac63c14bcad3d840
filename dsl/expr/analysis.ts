/**
 * Compile time: a CEL source parsed and analysed once (cached by source): syntax errors, the
 * references it reads (`inputs.*`, `steps.<id>.output.*`, ...) with their offsets, unknown
 * names, and its static cost.
 */
import type { ExprRef } from "../ir";
import {
  cachedParse,
  isSyntaxError,
  PARSE_CACHE_MAX,
  type CelExpr,
  type CelSyntaxError,
} from "./cel-parse";
import { staticCost } from "./cost";
import { CEL_LIMITS } from "./limits";

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
  /** Set when the syntax tree could not be walked whole: `refs` may miss references. */
  partial?: true;
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
  let partial = false;
  try {
    walk(root, new Set(), true);
  } catch {
    // Defensive: a malformed AST only loses references, never crashes the compiler.
    partial = true;
  }
  return {
    ok: true,
    refs,
    unknownIdents,
    ...(costly && { costly }),
    ...(partial && { partial: true as const }),
  };

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
