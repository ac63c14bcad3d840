/**
 * Static cost, at compile time: a walk of the parsed CEL (depth-bounded) that computes the cost
 * as a polynomial in L, the unknown length of the lists read (`TF2011` past the bounds).
 */
import { unparse } from "@bufbuild/cel";
import type { CelExpr } from "./cel-parse";
import { CEL_LIMITS } from "./limits";

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
export interface CostProblem {
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
