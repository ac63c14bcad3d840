import { describe, expect, it } from "vitest";
import { BlockRegistry, compile, policyLibrary, type JsonSchema } from "@/dsl";
import { constraintsOf, fieldOf, fieldsOf, MAX_FORM_DEPTH } from "./schema-fields";

const registry = BlockRegistry.withPrimitives();

/** The inputs schema the compiler emits for a flow with these `inputs:` lines. */
function inputsSchema(inputs: string): JsonSchema {
  const r = compile(
    `flow: form\nversion: 1.0.0\ninputs:\n${inputs}\nsteps:\n  - id: a\n    uses: data.transform@1\n    with:\n      fields: { x: "1" }\n`,
    { registry, policies: policyLibrary },
  );
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.ir!.inputsSchema;
}

describe("schema → fields", () => {
  it("maps a flow's inputs to typed fields with their help, required unless defaulted", () => {
    const fields = fieldsOf(
      inputsSchema(`  contractId:
    type: string
    title: Contract
    description: The signed contract
    pattern: "^CTR-[0-9]+$"
    examples: [CTR-1001]
  termMonths:
    type: integer
    default: 12
    minimum: 1
    maximum: 60
  amount: { type: number, exclusiveMinimum: 0, multipleOf: 0.01 }
  notify: { type: boolean, required: false }
  reason:
    type: string
    enum: [duplicate, fraudulent]
  note: { type: string, required: false, maxLength: 200 }`),
    );
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ["contractId", "string", true],
      ["termMonths", "integer", false],
      ["amount", "number", true],
      ["notify", "boolean", false],
      ["reason", "enum", true],
      ["note", "string", false],
    ]);
    expect(fields[0]).toMatchObject({
      label: "Contract",
      description: "The signed contract",
      pattern: "^CTR-[0-9]+$",
      examples: ["CTR-1001"],
      hasDefault: false,
    });
    expect(fields[1]).toMatchObject({
      label: "termMonths",
      default: 12,
      hasDefault: true,
      minimum: 1,
      maximum: 60,
    });
    expect(fields[2]).toMatchObject({ exclusiveMinimum: 0, multipleOf: 0.01 });
    expect(fields[4]).toMatchObject({ options: ["duplicate", "fraudulent"] });
    expect(constraintsOf(fields[0]!)).toEqual(["Pattern ^CTR-[0-9]+$"]);
    expect(constraintsOf(fields[1]!)).toEqual(["A whole number", "≥ 1 and ≤ 60"]);
    expect(constraintsOf(fields[2]!)).toEqual(["> 0", "A multiple of 0.01"]);
    expect(constraintsOf(fields[5]!)).toEqual(["At most 200 characters"]);
  });

  it("breaks arrays and objects down into item and property fields", () => {
    // (The DSL's own `required:` on an input is a boolean, so an object input's inner required
    // list is written in JSON Schema as nested properties cannot be; this is the schema shape.)
    const [ids, customer] = fieldsOf({
      type: "object",
      properties: {
        invoiceIds: {
          type: "array",
          items: { type: "string", pattern: "^INV-[0-9]+$" },
          minItems: 1,
          uniqueItems: true,
        },
        customer: {
          type: "object",
          required: ["name"],
          properties: { name: { type: "string" }, email: { type: "string", format: "email" } },
        },
      },
      required: ["invoiceIds", "customer"],
    });
    expect(ids).toMatchObject({
      kind: "array",
      minItems: 1,
      uniqueItems: true,
      item: { kind: "string", name: "", required: true, pattern: "^INV-[0-9]+$" },
    });
    expect(constraintsOf(ids!)).toEqual(["At least 1 item", "No duplicates"]);
    expect(customer).toMatchObject({ kind: "object", required: true });
    expect(customer?.kind === "object" && customer.fields.map((f) => [f.name, f.required])).toEqual(
      [
        ["name", true],
        ["email", false],
      ],
    );
  });

  it("edits what a form cannot break down as JSON", () => {
    const json = (s: JsonSchema) => fieldOf("x", s, false).kind;
    expect(json({})).toBe("json");
    expect(json({ type: ["string", "number"] })).toBe("json");
    expect(json({ oneOf: [{ type: "string" }, { type: "number" }] })).toBe("json");
    expect(json({ type: "object" })).toBe("json");
    expect(json({ type: "object", additionalProperties: { type: "string" } })).toBe("json");
    expect(json({ type: "array" })).toBe("json");
    expect(
      json({ type: "array", prefixItems: [{ type: "string" }], items: { type: "number" } }),
    ).toBe("json");
    // Nullable types keep their one type; `const` is an enum of one.
    expect(json({ type: ["string", "null"] })).toBe("string");
    expect(fieldOf("x", { const: "fixed" }, true)).toMatchObject({
      kind: "enum",
      options: ["fixed"],
    });
    // Nesting stops at MAX_FORM_DEPTH.
    let deep: JsonSchema = { type: "string" };
    for (let i = 0; i < MAX_FORM_DEPTH + 1; i++) deep = { type: "array", items: deep };
    let f = fieldOf("deep", deep, true);
    let depth = 0;
    while (f.kind === "array") {
      f = f.item;
      depth++;
    }
    expect(f.kind).toBe("json");
    expect(depth).toBe(MAX_FORM_DEPTH);
  });

  it("ignores malformed constraint values instead of trusting them", () => {
    expect(
      fieldOf("x", { type: "string", minLength: -1, maxLength: "3", pattern: 5 }, true),
    ).toEqual({
      name: "x",
      label: "x",
      required: true,
      examples: [],
      hasDefault: false,
      kind: "string",
    });
  });
});
