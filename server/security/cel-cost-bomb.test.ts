/**
 * CEL cost bomb: expressions whose work grows faster than their inputs (comprehensions nested
 * over lists of unbounded size, values that double at every nesting level, huge inputs). At
 * compile time the static cost is estimated from the AST and nested unbounded comprehensions are
 * refused (`TF2011`, at the expression); at run time every evaluation has a step budget and
 * caps on list and string sizes, each failing with an `ExpressionError` naming the expression
 * and the limit (the engine turns it into a step failure).
 */
import { describe, expect, it } from "vitest";
import {
  compileCel,
  evaluate,
  ExpressionError,
  type CompiledExpr,
  CEL_LIMITS,
  evaluateCel,
} from "@/dsl";
import { compileFlow } from "@/server/domain/workflow/compile-flow";

const flowWith = (condition: string) => `flow: cost
version: 1.0.0
inputs:
  ids:
    type: array
  blocked:
    type: array
steps:
  - id: a
    uses: crm.contact.get@1
    with:
      id: CON-1
    if: \${{ ${condition} }}
`;

function expr(source: string): CompiledExpr {
  const c = compileCel(source);
  if (!c) throw new Error(`does not parse: ${source}`);
  return c;
}

/** Runs `fn`, expecting an ExpressionError; returns it. */
function failure(fn: () => unknown): ExpressionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    return e as ExpressionError;
  }
  throw new Error("expected an ExpressionError");
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `CON-${i}`);

describe("CEL cost bomb", () => {
  it("refuses comprehensions nested over unbounded lists at compile time (TF2011)", () => {
    const condition = "inputs.ids.all(x, inputs.blocked.exists(b, b == x))";
    const text = flowWith(condition);
    const r = compileFlow(text);
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.code === "TF2011");
    expect(d?.severity).toBe("error");
    expect(d?.message).toContain(condition);
    // At the expression, between `${{` and `}}`.
    expect(text.slice(d!.span.start, d!.span.end).trim()).toBe(condition);
  });

  it("keeps single comprehensions, and nested ones over literal lists, compiling", () => {
    for (const condition of [
      "inputs.ids.all(x, x.startsWith('CON-'))",
      "inputs.ids.filter(x, x != 'CON-0').map(x, x + '!').size() > 0",
      "inputs.ids.all(x, ['CON-', 'ACC-'].exists(p, x.startsWith(p)))",
    ]) {
      const r = compileFlow(flowWith(condition));
      expect(
        r.diagnostics.filter((d) => d.severity === "error"),
        condition,
      ).toEqual([]);
    }
  });

  it("stops a quadratic expression at run time at the step budget", () => {
    // Reaches the engine without the compiler's check (e.g. a rule given to `policy.check`).
    const source = "inputs.ids.exists(x, inputs.blocked.exists(b, b == x + '?'))";
    const e = failure(() =>
      evaluate(expr(source), { inputs: { ids: ids(20_000), blocked: ids(20_000) } }),
    );
    expect(e.message).toContain(`${CEL_LIMITS.maxSteps} evaluation steps`);
    expect(e.message).toContain(source);
    // The inner loop's whole cost is charged before it runs: refused in its first outer rounds,
    // so the same budget trips however long the lists are.
    const bigger = failure(() =>
      evaluate(expr(source), { inputs: { ids: ids(90_000), blocked: ids(90_000) } }),
    );
    expect(bigger.message).toBe(e.message);
  });

  it("refuses a string that doubles at every nesting level, before building it", () => {
    let source = "inputs.s";
    for (let i = 0; i < 40; i++) source = `[${source}].map(v${i}, v${i} + v${i})[0]`;
    const e = failure(() => evaluate(expr(source), { inputs: { s: "lol" } }));
    expect(e.message).toContain(String(CEL_LIMITS.maxStringLength));
    expect(e.message).toContain("[[[[");
  });

  it("refuses a list that grows past the cap by concatenation", () => {
    const source = "[inputs.ids + inputs.ids].map(l, l + l)[0].size()";
    const e = failure(() => evaluate(expr(source), { inputs: { ids: ids(40_000) } }));
    expect(e.message).toContain(String(CEL_LIMITS.maxListLength));
  });

  it("refuses inputs over the list and string caps, naming the expression", () => {
    const list = failure(() =>
      evaluate(expr("inputs.ids.size()"), {
        inputs: { ids: ids(CEL_LIMITS.maxListLength + 1) },
      }),
    );
    expect(list.message).toContain(String(CEL_LIMITS.maxListLength));
    expect(list.message).toContain("inputs.ids.size()");
    const text = failure(() =>
      evaluate(expr("size(inputs.s)"), {
        inputs: { s: "x".repeat(CEL_LIMITS.maxStringLength + 1) },
      }),
    );
    expect(text.message).toContain(String(CEL_LIMITS.maxStringLength));
  });

  it("refuses over-long and over-deep sources without planning them", () => {
    const long = `1${" + 1".repeat(3_000)}`;
    expect(failure(() => evaluateCel(long, {})).message).toContain(
      String(CEL_LIMITS.maxSourceLength),
    );
    const deep = `inputs${".next".repeat(300)}`;
    expect(failure(() => evaluateCel(deep, {})).message).toContain(`${CEL_LIMITS.maxDepth} levels`);
  });

  it("refuses regular expressions that compile into huge programs, and compiles each pattern once", () => {
    // 14 characters that RE2 expands into a thousand Unicode classes (0.2 s per compile).
    const source = "inputs.ids.exists(x, x.matches(inputs.p))";
    const e = failure(() =>
      evaluate(expr(source), { inputs: { ids: ids(10), p: "(\\pL{1000})" } }),
    );
    expect(e.message).toContain(`limit of ${CEL_LIMITS.maxRegexSize}`);
    // A plain pattern over 20,000 items: compiled once, matched 20,000 times.
    const ok = evaluate(expr("inputs.ids.all(x, x.matches('^CON-[0-9]+$'))"), {
      inputs: { ids: ids(20_000) },
    });
    expect(ok).toBe(true);
  });

  it("still evaluates a single comprehension over 20,000 items", () => {
    const r = evaluate(expr("inputs.ids.filter(x, x != 'CON-1').map(x, x + '!').size()"), {
      inputs: { ids: ids(20_000) },
    });
    expect(r).toBe(19_999);
  });
});
