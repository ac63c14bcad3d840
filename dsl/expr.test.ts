import { parse, type CelInput } from "@bufbuild/cel";
import { describe, expect, it } from "vitest";
import {
  analyzeCel,
  CEL_LIMITS,
  evaluate,
  evaluateCel,
  ExpressionError,
  regexSize,
  scanString,
  schemaAtPath,
  staticCost,
  toCelInput,
} from "./expr";

describe("scanString", () => {
  it("splits text and expressions", () => {
    const s = scanString("Hi ${{ inputs.name }}!");
    expect(s.segments.map((x) => x.kind)).toEqual(["text", "expr", "text"]);
    expect(s.unterminated).toBeUndefined();
  });
  it("finds an unterminated expression", () => {
    expect(scanString("a ${{ b").unterminated).toBe(2);
  });
});

describe("analyzeCel", () => {
  it("extracts step references with their spans", () => {
    const a = analyzeCel("steps.account.output.creditLimit <= 50000.0");
    expect(a.refs).toHaveLength(1);
    expect(a.refs[0]).toMatchObject({
      root: "steps",
      stepId: "account",
      path: ["creditLimit"],
      start: 0,
      end: 32,
    });
  });
  it("understands bracket step ids and comprehension variables", () => {
    const a = analyzeCel("steps['credit-check'].output.items.all(i, i.ok) && foo");
    expect(a.refs[0]?.stepId).toBe("credit-check");
    expect(a.unknownIdents.map((u) => u.name)).toEqual(["foo"]);
  });
  it("reports syntax errors with an offset", () => {
    const a = analyzeCel("a +");
    expect(a.ok).toBe(false);
    expect(a.error?.offset).toBe(2);
  });
});

describe("schemaAtPath", () => {
  const schema = {
    type: "object",
    properties: {
      a: { type: "object", properties: { b: { type: "string" } } },
      m: { type: "object" },
    },
  };
  it("finds fields, treats untyped objects as open and reports unknown ones", () => {
    expect(schemaAtPath(schema, ["a", "b"])).toEqual({ kind: "found", schema: { type: "string" } });
    expect(schemaAtPath(schema, ["m", "x"]).kind).toBe("open");
    expect(schemaAtPath(schema, ["a", "c"])).toMatchObject({
      kind: "unknown",
      at: 1,
      known: ["b"],
    });
  });
});

describe("evaluate", () => {
  it("evaluates expressions, templates and nested values", () => {
    const ctx = { inputs: { n: 2 }, steps: { a: { output: { name: "Ada", tags: ["x"] } } } };
    expect(evaluate({ kind: "expr", source: "inputs.n + 1", refs: [] }, ctx)).toBe(3);
    expect(
      evaluate(
        {
          kind: "template",
          parts: [
            { kind: "text", value: "Hi " },
            { kind: "expr", source: "steps.a.output.name", refs: [] },
          ],
        },
        ctx,
      ),
    ).toBe("Hi Ada");
    expect(
      evaluate(
        {
          kind: "object",
          entries: {
            t: { kind: "expr", source: "steps.a.output.tags", refs: [] },
            l: { kind: "literal", value: 1 },
          },
        },
        ctx,
      ),
    ).toEqual({ t: ["x"], l: 1 });
  });
  it("throws ExpressionError on a missing field", () => {
    expect(() => evaluate({ kind: "expr", source: "inputs.missing.x", refs: [] }, {})).toThrow(
      ExpressionError,
    );
  });
});

describe("static cost (TF2011)", () => {
  it("flags comprehensions nested over unbounded lists, naming the outer range", () => {
    const a = analyzeCel("inputs.a.all(x, inputs.b.exists(y, y == x))");
    expect(a.ok).toBe(true);
    expect(a.costly?.detail).toContain("`inputs.a`");
    // Also through a comprehension variable, and three levels deep.
    expect(analyzeCel("inputs.a.exists(x, x.items.exists(y, y == 1))").costly).toBeDefined();
    expect(analyzeCel("inputs.a.map(x, inputs.a.map(y, inputs.a.map(z, 1)))").costly).toBeDefined();
  });
  it("accepts single comprehensions, chains and nesting over literal lists", () => {
    for (const s of [
      "inputs.a.all(x, x > 0)",
      "inputs.a.filter(x, x > 1).map(y, y * 2)",
      "inputs.a.map(x, [1, 2, 3].exists(y, y == x))",
      "[1, 2, 3].all(x, [1, 2].all(y, x != y || true))",
    ])
      expect(analyzeCel(s).costly, s).toBeUndefined();
  });
  it("bounds literal nesting by the static cost, and sources by length and depth", () => {
    const list = `[${Array.from({ length: 200 }, (_, i) => i).join(",")}]`;
    expect(
      analyzeCel(`${list}.all(x, ${list}.all(y, ${list}.all(z, true)))`).costly?.detail,
    ).toContain(String(CEL_LIMITS.maxStaticCost));
    expect(analyzeCel(`1${" + 1".repeat(3_000)}`).costly?.detail).toContain("characters long");
    expect(analyzeCel(`inputs${".x".repeat(300)}`).costly?.detail).toContain("levels deep");
    expect(staticCost(parse("a + b").expr!).nodes).toBe(3);
  });
});

describe("run-time bounds", () => {
  const nums = (n: number) => Array.from({ length: n }, (_, i) => i);
  it("charges a comprehension's iterations before it runs", () => {
    const ctx = { inputs: toCelInput({ a: nums(50_000), b: nums(50_000) }) } as Record<
      string,
      CelInput
    >;
    expect(() => evaluateCel("inputs.a.exists(x, inputs.b.exists(y, y < 0))", ctx)).toThrow(
      new RegExp(`${CEL_LIMITS.maxSteps} evaluation steps`),
    );
    expect(evaluateCel("inputs.a.exists(x, x < 0)", ctx)).toBe(false);
  });
  it("keeps the limit when CEL's `||` absorbs the failing call", () => {
    const ctx = { inputs: toCelInput({ a: nums(50_000) }) } as Record<string, CelInput>;
    expect(() =>
      evaluateCel("true || inputs.a.exists(x, inputs.a.exists(y, y < 0))", ctx),
    ).not.toThrow(); // short-circuit: never evaluated
    expect(() => evaluateCel("inputs.a.exists(x, inputs.a.exists(y, y < 0)) || true", ctx)).toThrow(
      /evaluation steps/,
    );
  });
  it("spends a shared budget across evaluations", () => {
    const budget = { left: 400, limit: 400, what: "the test" };
    const ctx = { inputs: toCelInput({ a: nums(30) }) } as Record<string, CelInput>;
    expect(evaluateCel("inputs.a.all(x, x >= 0)", ctx, budget)).toBe(true);
    expect(() => evaluateCel("inputs.a.all(x, x >= 0)", ctx, budget)).toThrow(
      /evaluation steps left to the test/,
    );
  });
  it("appends to lists in place without breaking earlier values", () => {
    expect(evaluateCel("[[1] + [2]].map(l, [l + [3], l, l + [4]])", {})).toEqual([
      [
        [1, 2, 3],
        [1, 2],
        [1, 2, 4],
      ],
    ]);
    expect(evaluateCel("([1] + [2] + [3]).map(x, x * 2) + [9]", {})).toEqual([2, 4, 6, 9]);
    expect(
      evaluateCel("[1, 2] + [3] == [1, 2, 3] && 2 in [1] + [2] && size([1] + [2]) == 2", {}),
    ).toBe(true);
    // A `map` over 20,000 items: @bufbuild/cel's nested concatenation overflowed the stack.
    const ctx = { inputs: toCelInput({ a: nums(20_000) }) } as Record<string, CelInput>;
    expect((evaluateCel("inputs.a.map(x, x + 1)", ctx) as number[])[19_999]).toBe(20_000);
  });
  it("caps the size of strings and lists that functions build", () => {
    const ctx = {
      inputs: toCelInput({ s: "x".repeat(600_000), a: nums(60_000) }),
    } as Record<string, CelInput>;
    expect(() => evaluateCel("size(inputs.s + inputs.s)", ctx)).toThrow(/1048576/);
    expect(() => evaluateCel("size(inputs.a + inputs.a)", ctx)).toThrow(/100000/);
    expect(evaluateCel("size(inputs.s + 'y')", ctx)).toBe(600_001);
  });
  it("refuses inputs over the caps", () => {
    expect(() => toCelInput({ a: nums(CEL_LIMITS.maxListLength + 1) })).toThrow(/100000/);
    expect(() => toCelInput("x".repeat(CEL_LIMITS.maxStringLength + 1))).toThrow(/1048576/);
    expect(() =>
      evaluate({ kind: "expr", source: "inputs.a", refs: [] }, { inputs: { a: nums(100_001) } }),
    ).toThrow(/in `inputs.a`/);
  });
  it("converts only the context's roots that a value's expressions read", () => {
    // Over the caps: converting `inputs` fails, so a value that reads it fails and one that
    // does not read it never converts it.
    const big = { inputs: { a: nums(CEL_LIMITS.maxListLength + 1) }, steps: { s: { output: 2 } } };
    const expr = (source: string) => ({ kind: "expr" as const, source, refs: [] });
    expect(() => evaluate(expr("size(inputs.a)"), big)).toThrow(/its context holds/);
    expect(() =>
      evaluate({ kind: "template", parts: [{ kind: "text", value: "n=" }, expr("inputs.b")] }, big),
    ).toThrow(/its context holds/);
    expect(evaluate(expr("steps.s.output + 1"), big)).toBe(3);
    expect(evaluate(expr("'s1'"), big)).toBe("s1");
    expect(
      evaluate(
        {
          kind: "object",
          entries: { a: { kind: "literal", value: 1 }, b: { kind: "array", items: [expr("2")] } },
        },
        big,
      ),
    ).toEqual({ a: 1, b: [2] });
    // Inside a comprehension and behind a dynamic index, the roots are still found.
    expect(() => evaluate(expr("[1].exists(x, x in inputs.a)"), big)).toThrow(/its context/);
    expect(() => evaluate(expr("steps[['s'][0]].output + size(inputs)"), big)).toThrow(
      /its context/,
    );
    // A value whose expression does not parse binds everything, as before: the context's
    // failure comes first.
    expect(() => evaluate(expr("1 +"), big)).toThrow(/its context holds/);
    expect(() => evaluate(expr("1 +"), { inputs: {} })).toThrow(/syntax error/);
  });
  it("estimates regular expression sizes", () => {
    expect(regexSize("abc")).toBe(3);
    expect(regexSize("a{10}")).toBe(10);
    expect(regexSize("(a{10}){10}")).toBe(110); // a group counts one more
    expect(regexSize("\\pL{1000}")).toBe(256_000);
    expect(regexSize("[a-z]{2}")).toBe(8);
    expect(() => evaluateCel("'a'.matches('(a{1000}){1000}')", {})).toThrow(/estimated size/);
    expect(evaluateCel("'CON-1'.matches('^CON-[0-9]+$')", {})).toBe(true);
  });
  it("reports syntax errors and static bounds distinctly", () => {
    expect(() => evaluateCel("a +", {})).toThrow(/syntax error/);
    expect(() => evaluateCel(`1${" + 1".repeat(3_000)}`, {})).toThrow(/characters long/);
  });
});
