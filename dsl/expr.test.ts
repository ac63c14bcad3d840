import { describe, expect, it } from "vitest";
import { analyzeCel, evaluate, ExpressionError, scanString, schemaAtPath } from "./expr";

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
