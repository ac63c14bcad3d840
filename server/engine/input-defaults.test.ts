import { describe, expect, it } from "vitest";
import { applyInputDefaults } from "./input-defaults";
import { compileFlow, harness } from "./testing/harness";

const schema = {
  type: "object",
  properties: {
    companyId: { type: "string" },
    currency: { type: "string", default: "EUR" },
    limits: { type: "object", default: { max: 10 } },
    options: {
      type: "object",
      properties: { channel: { type: "string", default: "email" }, urgent: { type: "boolean" } },
    },
    note: { type: ["string", "null"], default: "none" },
  },
};

describe("applyInputDefaults", () => {
  it("fills missing inputs with their defaults and keeps given ones", () => {
    const inputs = { companyId: "COM-77", options: { urgent: true } };
    const out = applyInputDefaults(schema, inputs);
    expect(out).toEqual({
      companyId: "COM-77",
      currency: "EUR",
      limits: { max: 10 },
      options: { urgent: true, channel: "email" },
      note: "none",
    });
    // The caller's object and the schema's defaults are never shared or modified.
    expect(inputs).toEqual({ companyId: "COM-77", options: { urgent: true } });
    (out.limits as { max: number }).max = 99;
    expect(applyInputDefaults(schema, {}).limits).toEqual({ max: 10 });
  });

  it("never replaces a given value, null included", () => {
    expect(
      applyInputDefaults(schema, { currency: "USD", note: null, options: { channel: "portal" } }),
    ).toMatchObject({ currency: "USD", note: null, options: { channel: "portal" } });
  });

  it("returns the same object when nothing is missing, and ignores schemas without properties", () => {
    const full = {
      companyId: "C",
      currency: "USD",
      limits: {},
      options: { channel: "x" },
      note: "n",
    };
    expect(applyInputDefaults(schema, full)).toBe(full);
    const bare = { a: 1 };
    expect(applyInputDefaults({ type: "object" }, bare)).toBe(bare);
  });
});

describe("input defaults in runs", () => {
  it("expressions and outputs see an omitted input's default", async () => {
    const h = harness();
    const id = await h.start(
      compileFlow(`
flow: defaults
version: 1.0.0
inputs:
  companyId: { type: string }
  currency: { type: string, default: EUR }
  termMonths: { type: integer, default: 12 }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields:
        label: "inputs.companyId + ' in ' + inputs.currency"
        months: inputs.termMonths + 1
  - id: check
    uses: policy.check@1
    if: \${{ inputs.currency == 'EUR' }}
    with: { rule: "inputs.termMonths == 12", otherwise: fail }
outputs:
  currency: \${{ inputs.currency }}
  label: \${{ steps.calc.output.label }}
  months: \${{ steps.calc.output.months }}
`),
      { companyId: "COM-77" },
    );
    await h.drain();
    expect(await h.store.getRun(id)).toMatchObject({
      status: "succeeded",
      output: { currency: "EUR", label: "COM-77 in EUR", months: 13 },
    });
    expect((await h.store.listAttempts(id)).find((a) => a.stepId === "check")?.status).toBe(
      "succeeded",
    );
  });
});
