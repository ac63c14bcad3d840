/** The rewrite that meters comprehensions: each range goes through the range guard. */
import type { CelExpr } from "./cel-parse";
import { RANGE_GUARD } from "./meter";

/**
 * Rewrites a parsed expression for metered evaluation: each comprehension's range `r` becomes
 * `@tf_range(r, bodyCost)`. Returns the input unchanged when it has no comprehension.
 */
export function instrument(e: CelExpr): CelExpr {
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
