import { describe, expect, it } from "vitest";
import { allPass, checkAssertion, rubricText, valueAt } from "./evals-assertions";
import { ZAssertion, ZCreateSuiteInput } from "./evals-schemas";

/** A parsed assertion (defaults applied), as the runner holds it. */
const a = (raw: unknown) => {
  const parsed = ZAssertion.parse(raw);
  if (parsed.kind === "rubric") throw new Error("not a deterministic check");
  return parsed;
};

const output = {
  label: "billing",
  labels: ["billing", "Sales"],
  confidence: 0.82,
  amount: "41.5",
  data: { items: [{ id: "INV-1" }, { id: "INV-2" }] },
  rationale: "The customer mentions a Double Charge.",
};
const row = { expected: "billing", total: "42", id: "INV-2", flag: "true" };

describe("valueAt", () => {
  it("walks keys and array indices, and says when nothing is there", () => {
    expect(valueAt(output, "")).toBe(output);
    expect(valueAt(output, "data.items.1.id")).toBe("INV-2");
    expect(typeof valueAt(output, "data.items.2.id")).toBe("symbol");
    expect(typeof valueAt(output, "label.length")).toBe("symbol");
    expect(typeof valueAt({ a: null }, "a.b")).toBe("symbol");
  });
});

describe("exact", () => {
  it("compares as canonical JSON, from a literal or a row's column", () => {
    expect(
      checkAssertion(
        a({ kind: "exact", path: "label", expected: { value: "billing" } }),
        output,
        row,
      ).pass,
    ).toBe(true);
    expect(
      checkAssertion(
        a({ kind: "exact", path: "label", expected: { column: "expected" } }),
        output,
        row,
      ).pass,
    ).toBe(true);
    expect(
      checkAssertion(
        a({
          kind: "exact",
          path: "data",
          expected: { value: { items: [{ id: "INV-1" }, { id: "INV-2" }] } },
        }),
        output,
        row,
      ).pass,
    ).toBe(true);
    const miss = checkAssertion(
      a({ kind: "exact", path: "label", expected: { value: "sales" } }),
      output,
      row,
    );
    expect(miss).toEqual({
      kind: "exact",
      path: "label",
      pass: false,
      message: 'expected "sales", got "billing"',
    });
  });

  it("lets a CSV string match the number or boolean it spells", () => {
    expect(
      checkAssertion(a({ kind: "exact", path: "n", expected: { column: "total" } }), { n: 42 }, row)
        .pass,
    ).toBe(true);
    expect(
      checkAssertion(
        a({ kind: "exact", path: "b", expected: { column: "flag" } }),
        { b: true },
        row,
      ).pass,
    ).toBe(true);
    expect(
      checkAssertion(a({ kind: "exact", path: "n", expected: { value: 42 } }), { n: "42" }, row)
        .pass,
    ).toBe(false);
  });

  it("fails clearly on a missing path or a missing column", () => {
    expect(
      checkAssertion(a({ kind: "exact", path: "nope", expected: { value: 1 } }), output, row),
    ).toMatchObject({
      pass: false,
      message: "no value at nope",
    });
    expect(
      checkAssertion(
        a({ kind: "exact", path: "label", expected: { column: "gone" } }),
        output,
        row,
      ),
    ).toMatchObject({
      pass: false,
      message: 'the row has no column "gone"',
    });
  });
});

describe("contains", () => {
  it("finds text in strings (case as asked) and elements in arrays", () => {
    const c = (raw: object) => checkAssertion(a({ kind: "contains", ...raw }), output, row).pass;
    expect(c({ path: "rationale", expected: { value: "Double Charge" } })).toBe(true);
    expect(c({ path: "rationale", expected: { value: "double charge" } })).toBe(false);
    expect(c({ path: "rationale", expected: { value: "double charge" }, ignoreCase: true })).toBe(
      true,
    );
    expect(c({ path: "labels", expected: { column: "expected" } })).toBe(true);
    expect(c({ path: "labels", expected: { value: "sales" } })).toBe(false);
    expect(c({ path: "labels", expected: { value: "sales" }, ignoreCase: true })).toBe(true);
    expect(c({ path: "data.items", expected: { value: { id: "INV-1" } } })).toBe(true);
    expect(
      checkAssertion(
        a({ kind: "contains", path: "confidence", expected: { value: "8" } }),
        output,
        row,
      ),
    ).toMatchObject({
      pass: false,
      message: "expected a string or an array, got 0.82",
    });
  });
});

describe("json_schema", () => {
  it("validates the value at the path and lists the first errors", () => {
    const schema = {
      type: "object",
      required: ["label", "confidence"],
      properties: { confidence: { type: "number", maximum: 1 } },
    };
    expect(checkAssertion(a({ kind: "json_schema", schema }), output, row).pass).toBe(true);
    const bad = checkAssertion(
      a({ kind: "json_schema", path: "data", schema: { type: "object", required: ["total"] } }),
      output,
      row,
    );
    expect(bad.pass).toBe(false);
    expect(bad.message).toContain("must have required property 'total'");
  });

  it("fails, without throwing, on a schema that does not compile", () => {
    const r = checkAssertion(
      a({ kind: "json_schema", schema: { type: "no-such-type" } }),
      output,
      row,
    );
    expect(r.pass).toBe(false);
    expect(r.message).toMatch(/does not compile/);
  });
});

describe("numeric", () => {
  it("accepts within an absolute or relative tolerance, numeric strings included", () => {
    const n = (raw: object, out: unknown = output) =>
      checkAssertion(a({ kind: "numeric", ...raw }), out, row);
    expect(n({ path: "amount", expected: { column: "total" }, tolerance: 0.5 }).pass).toBe(true);
    expect(n({ path: "amount", expected: { column: "total" }, tolerance: 0.4 })).toMatchObject({
      pass: false,
      message: "41.5 is 0.5 away from 42, more than the tolerance 0.4",
    });
    expect(
      n({ path: "amount", expected: { value: 40 }, tolerance: 0.05, relative: true }).pass,
    ).toBe(true);
    expect(
      n({ path: "amount", expected: { value: 40 }, tolerance: 0.01, relative: true }).pass,
    ).toBe(false);
    expect(n({ path: "label", expected: { value: 1 }, tolerance: 1 }).message).toBe(
      'expected a number, got "billing"',
    );
    expect(n({ path: "amount", expected: { column: "expected" }, tolerance: 1 }).message).toBe(
      'the expected value "billing" is no number',
    );
  });
});

describe("rubric and verdicts", () => {
  it("quotes the graded value under the rubric, capped", () => {
    expect(rubricText("Names the product.", output, "label")).toBe(
      'Rubric:\nNames the product.\n\nAnswer to grade:\n"billing"',
    );
    const long = rubricText("r", { text: "x".repeat(20_000) }, "");
    expect(long.length).toBeLessThan(16_200);
    expect(long.endsWith("…(cut)")).toBe(true);
  });

  it("passes a sample only when every check passes", () => {
    const yes = { kind: "exact" as const, path: "", pass: true, message: "" };
    expect(allPass([yes, yes])).toBe(true);
    expect(allPass([yes, { ...yes, pass: false }])).toBe(false);
    expect(allPass([])).toBe(false);
  });
});

describe("suite input", () => {
  const base = {
    name: "s",
    datasetVersionId: "7d0e3b4e-3f43-4b8e-9d35-1f0a3d1d7a11",
    target: { kind: "block", block: "agent.classify", with: { labels: ["a", "b"] } },
    assertions: [{ kind: "exact", path: "label", expected: { column: "expected" } }],
  };
  it("takes at least 3 repetitions, bounded assertions and known blocks", () => {
    expect(ZCreateSuiteInput.parse(base).repetitions).toBe(3);
    expect(ZCreateSuiteInput.safeParse({ ...base, repetitions: 2 }).success).toBe(false);
    expect(ZCreateSuiteInput.safeParse({ ...base, repetitions: 11 }).success).toBe(false);
    expect(ZCreateSuiteInput.safeParse({ ...base, assertions: [] }).success).toBe(false);
    expect(
      ZCreateSuiteInput.safeParse({ ...base, target: { kind: "block", block: "http.request" } })
        .success,
    ).toBe(false);
    expect(
      ZCreateSuiteInput.safeParse({
        ...base,
        assertions: [{ kind: "exact", path: "a..b", expected: { value: 1 } }],
      }).success,
    ).toBe(false);
    expect(
      ZCreateSuiteInput.safeParse({
        ...base,
        assertions: [{ kind: "exact", expected: { value: "x".repeat(40_000) } }],
      }).success,
    ).toBe(false);
    expect(
      ZCreateSuiteInput.safeParse({ ...base, assertions: [{ kind: "exact", expected: {} }] })
        .success,
    ).toBe(false);
    expect(
      ZCreateSuiteInput.safeParse({ ...base, assertions: [{ kind: "rubric", rubric: "" }] })
        .success,
    ).toBe(false);
  });
});
