import { Ajv2020 } from "ajv/dist/2020";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agentBlock, buildTaskPrompt } from "../tasks";
import { seededRng } from "./rng";
import { answerForSchema, valueForSchema, type PromptHints } from "./schema-values";

/**
 * An independent judge: a fresh Ajv (draft 2020-12) that also checks formats (the runtime's Ajv
 * ignores them), with the usual definitions of each format the demo model writes.
 */
const judge = new Ajv2020({ allErrors: true, strict: false });
const FORMATS: Record<string, RegExp> = {
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  date: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/,
  "date-time":
    /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  time: /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  uri: /^[a-z][a-z0-9+.-]*:[^\s]*$/i,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i,
  hostname:
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i,
  ipv4: /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/,
  ipv6: /^[0-9a-f:]+$/i,
  duration: /^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$/,
};
for (const [name, re] of Object.entries(FORMATS)) judge.addFormat(name, re);

function check(schema: unknown, value: unknown): string[] {
  const copy = structuredClone(schema) as object;
  const v = judge.compile(copy);
  const errors = v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  judge.removeSchema(copy);
  return errors;
}

const hints: PromptHints = {
  data: "Please bill ACME GmbH in EUR. Amount: 1200. The customer asked for a refund of the duplicate charge on invoice INV-2041.",
  context: "You extract structured data from text.",
};

// ---------------------------------------------------------------- arbitrary schemas

const PATTERNS = [
  "^[A-Z]{3}$",
  "^CTR-[0-9]+$",
  "^INV-\\d{4,6}$",
  "^[a-z][a-z0-9_-]{2,15}$",
  "^\\+?[1-9]\\d{6,14}$",
  "^(low|medium|high)$",
  "^[A-Z]{2}[0-9]{2}[A-Z0-9]{4,10}$",
  "^\\d{5}(-\\d{4})?$",
  "[a-z]+@[a-z]+\\.com",
  "^#[0-9a-fA-F]{6}$",
  "^v\\d+\\.\\d+\\.\\d+$",
  "^[^\\s]{4,8}$",
];
const FORMAT_NAMES = Object.keys(FORMATS);

/** Whether a JSON value has, at any depth, an object key that names an Object.prototype member. */
function hasPrototypeKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasPrototypeKey);
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([k, v]) => k in Object.prototype || hasPrototypeKey(v));
}
const key = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/);
const small = fc.integer({ min: 0, max: 6 });

const stringSchema = fc.oneof(
  fc.tuple(small, small).map(([a, b]) => ({
    type: "string",
    minLength: Math.min(a, b),
    maxLength: Math.max(a, b) + 1,
  })),
  fc.constantFrom(...PATTERNS).map((pattern) => ({ type: "string", pattern })),
  fc.constantFrom(...FORMAT_NAMES).map((format) => ({ type: "string", format })),
  fc.constant({ type: "string" }),
  fc.integer({ min: 20, max: 80 }).map((minLength) => ({ type: "string", minLength })),
);

const MULTIPLES = [1, 2, 5, 0.5, 0.25, 0.1, 0.01, 3];
const numberSchema = fc
  .record({
    type: fc.constantFrom("number", "integer"),
    lo: fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: undefined }),
    span: fc.integer({ min: 10, max: 1000 }),
    hasMax: fc.boolean(),
    exclusive: fc.boolean(),
    multipleOf: fc.option(fc.constantFrom(...MULTIPLES), { nil: undefined }),
  })
  .map(({ type, lo, span, hasMax, exclusive, multipleOf }) => {
    const s: Record<string, unknown> = { type };
    if (lo !== undefined) s[exclusive ? "exclusiveMinimum" : "minimum"] = lo;
    if (hasMax) s[exclusive ? "exclusiveMaximum" : "maximum"] = (lo ?? 0) + span;
    if (multipleOf !== undefined)
      s.multipleOf = type === "integer" ? Math.ceil(multipleOf) : multipleOf;
    return s;
  });

const scalar = fc.oneof(
  stringSchema,
  numberSchema,
  fc.constant({ type: "boolean" }),
  fc.constant({ type: "null" }),
  fc.constant({ type: ["string", "null"] }),
  fc
    .uniqueArray(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)), {
      minLength: 1,
      maxLength: 5,
      selector: (v) => JSON.stringify(v),
    })
    .map((values) => ({ enum: values })),
  // Keys named like Object.prototype's methods (`{ "toString": [] }`) are left out: Ajv's deep
  // equality calls them, and such a `const` is answered "could not be checked against the
  // schema" by design (dsl/json-schema-validator.test.ts covers that case on its own).
  fc
    .jsonValue({ maxDepth: 2 })
    .filter((value) => !hasPrototypeKey(value))
    .map((value) => ({ const: value })),
  fc.constant({ type: "number", minimum: 0, maximum: 1 }),
);

const { schema: anySchema } = fc.letrec<{ schema: Record<string, unknown> }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "xsmall", withCrossShrink: true },
    scalar,
    // Objects: required is a subset of the properties; extra keys from additionalProperties.
    fc
      .record({
        props: fc.dictionary(key, tie("schema"), { maxKeys: 4 }),
        requiredMask: fc.array(fc.boolean(), { maxLength: 5 }),
        additional: fc.oneof(fc.constant(undefined), fc.constant(false), tie("schema")),
        minProperties: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      })
      .map(({ props, requiredMask, additional, minProperties }) => {
        const names = Object.keys(props);
        const s: Record<string, unknown> = {
          type: "object",
          properties: props,
          required: names.filter((_, i) => requiredMask[i]),
        };
        if (additional !== undefined) s.additionalProperties = additional;
        if (minProperties !== undefined) {
          s.minProperties =
            additional === false ? Math.min(minProperties, names.length) : minProperties;
        }
        return s;
      }),
    // Arrays, optionally unique (of items that have room for distinct values).
    fc
      .record({
        items: tie("schema"),
        a: fc.integer({ min: 0, max: 4 }),
        b: fc.integer({ min: 0, max: 4 }),
        unique: fc.boolean(),
      })
      .map(({ items, a, b, unique }) => ({
        type: "array",
        items: unique ? { type: "string", minLength: 3 } : items,
        minItems: Math.min(a, b),
        maxItems: Math.max(a, b),
        ...(unique ? { uniqueItems: true } : {}),
      })),
    // Tuples (2020-12 prefixItems) and contains.
    fc
      .tuple(tie("schema"), tie("schema"))
      .map(([a, b]) => ({ type: "array", prefixItems: [a, b], minItems: 2 })),
    fc.constant({
      type: "array",
      items: { type: "integer" },
      contains: { type: "integer", minimum: 100, maximum: 200 },
    }),
    // Branches of distinct types, so exactly one matches (oneOf) or any (anyOf).
    fc
      .tuple(fc.constantFrom("oneOf", "anyOf"), stringSchema, fc.constant({ type: "boolean" }))
      .map(([k, a, b]) => ({ [k]: [a, b] })),
    fc.tuple(tie("schema"), tie("schema")).map(([a, b]) => ({
      allOf: [
        { type: "object", properties: { first: a }, required: ["first"] },
        { properties: { second: b }, required: ["second"] },
      ],
    })),
  ),
}));

/** Root schemas: any of the above, or one of them as a leaf of a recursive `$defs` tree. */
const rootSchema = fc.oneof(
  anySchema,
  anySchema.map((leaf) => ({
    $defs: {
      leaf,
      node: {
        type: "object",
        properties: {
          value: { $ref: "#/$defs/leaf" },
          children: { type: "array", items: { $ref: "#/$defs/node" }, maxItems: 2 },
        },
        required: ["value"],
      },
    },
    $ref: "#/$defs/node",
  })),
);

const hintsArb = fc.record({
  data: fc.string({ maxLength: 200 }),
  context: fc.string({ maxLength: 80 }),
});

// ---------------------------------------------------------------- tests

describe("the demo model's answers are valid against the schema", () => {
  it("for arbitrary schemas of the supported keywords (formats checked too)", () => {
    fc.assert(
      fc.property(rootSchema, hintsArb, fc.string({ maxLength: 16 }), (schema, h, seed) => {
        const a = answerForSchema(schema, h, seededRng(seed));
        expect(a.errors).toEqual([]);
        expect(a.valid).toBe(true);
        expect(check(schema, a.value)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("for the answer schema of every agent block, with realistic inputs", () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      [
        "agent.classify",
        { text: "I was charged twice", labels: ["billing", "technical", "sales"] },
      ],
      ["agent.classify", { text: "charged twice", labels: ["billing", "technical"], multi: true }],
      [
        "agent.extract",
        {
          text: hints.data,
          schema: {
            type: "object",
            properties: {
              company: { type: "string" },
              currency: { type: "string", enum: ["EUR", "USD", "GBP"] },
              amount: { type: "number", minimum: 0 },
              invoice: { type: "string", pattern: "^INV-[0-9]+$" },
              dueDate: { type: "string", format: "date" },
              lines: {
                type: "array",
                minItems: 1,
                items: {
                  type: "object",
                  properties: { sku: { type: "string" }, qty: { type: "integer", minimum: 1 } },
                  required: ["sku", "qty"],
                  additionalProperties: false,
                },
              },
            },
            required: ["company", "amount"],
          },
        },
      ],
      ["agent.summarize", { text: hints.data, maxWords: 12, style: "bullets" }],
      [
        "agent.draft",
        {
          prompt: "Write a short welcome email for ACME GmbH.",
          output: {
            type: "object",
            required: ["subject", "body"],
            properties: { subject: { type: "string", maxLength: 30 }, body: { type: "string" } },
          },
        },
      ],
      [
        "agent.route",
        {
          text: "Can we get pricing for 40 seats?",
          routes: [
            { name: "sales", description: "Buying interest, pricing, demos" },
            { name: "support", description: "Problems with the product" },
          ],
          fallbackRoute: "sales",
        },
      ],
    ];
    for (const [id, inputs] of cases) {
      const prompt = buildTaskPrompt(agentBlock(id)!, inputs);
      const h = { data: String(inputs.text ?? inputs.prompt), context: prompt.system };
      const a = answerForSchema(prompt.answerSchema, h, seededRng(id));
      expect(check(prompt.answerSchema, a.value), id).toEqual([]);
    }
  });
});

describe("the demo model's answers are deterministic", () => {
  it("the same schema, prompt and seed give the same value; the seed decides", () => {
    fc.assert(
      fc.property(rootSchema, hintsArb, fc.string({ maxLength: 16 }), (schema, h, seed) => {
        const one = answerForSchema(schema, h, seededRng(seed)).value;
        const two = answerForSchema(structuredClone(schema), { ...h }, seededRng(seed)).value;
        expect(two).toEqual(one);
      }),
      { numRuns: 100 },
    );
  });

  it("another seed gives another answer for a schema with room for one", () => {
    const schema = {
      type: "object",
      properties: { id: { type: "string", format: "uuid" }, n: { type: "integer" } },
      required: ["id", "n"],
    };
    const values = new Set(
      ["a", "b", "c", "d"].map((s) =>
        JSON.stringify(answerForSchema(schema, hints, seededRng(s)).value),
      ),
    );
    expect(values.size).toBe(4);
  });
});

describe("the demo model builds values from the prompt", () => {
  const rng = () => seededRng("fixed");

  it("picks the enum value the text names, else the one whose description matches", () => {
    expect(
      valueForSchema(
        { type: "string", enum: ["technical", "billing", "sales"] },
        { data: "My BILLING address is wrong", context: "" },
        rng(),
      ),
    ).toBe("billing");
    const routes =
      "Routes:\n- sales: Buying interest, pricing, demos\n- support: Problems with the product";
    expect(
      valueForSchema(
        { type: "string", enum: ["support", "sales"] },
        { data: "What is the pricing for a demo of 40 seats?", context: routes },
        rng(),
      ),
    ).toBe("sales");
    expect(
      valueForSchema(
        { type: "string", enum: ["support", "sales"] },
        { data: "The product shows problems at login", context: routes },
        rng(),
      ),
    ).toBe("support");
  });

  it("reads `field: value` from the text and uses its words for strings", () => {
    const v = valueForSchema(
      {
        type: "object",
        properties: {
          amount: { type: "number" },
          company: { type: "string" },
          summary: { type: "string" },
          missing: { type: "array", items: { type: "string" } },
          keyPoints: { type: "array", items: { type: "string" }, minItems: 2 },
        },
      },
      hints,
      rng(),
    ) as Record<string, unknown>;
    expect(v.amount).toBe(1200);
    expect(v.company).toBe("ACME GmbH");
    expect(String(v.summary).startsWith("Please bill ACME GmbH in EUR.")).toBe(true);
    expect(v.missing).toEqual([]);
    expect(v.keyPoints).toEqual(["Please bill ACME GmbH in EUR.", "Amount: 1200."]);
  });

  it("keeps long texts within an 'at most N words' of the prompt", () => {
    const v = valueForSchema(
      { type: "object", properties: { summary: { type: "string" } }, required: ["summary"] },
      { data: hints.data, context: "Write `summary` of at most 5 words." },
      rng(),
    ) as { summary: string };
    expect(v.summary.split(/\s+/)).toHaveLength(5);
  });

  it("gives a value for keywords it cannot meet, and says the answer is not valid", () => {
    const a = answerForSchema({ type: "string", not: { type: "string" } }, hints, rng());
    expect(a.valid).toBe(false);
    expect(a.errors.length).toBeGreaterThan(0);
  });

  it("stays bounded for schemas that ask for huge answers", () => {
    const schema = {
      type: "array",
      minItems: 1_000_000,
      items: { type: "string", minLength: 1_000_000 },
    };
    const v = valueForSchema(schema, hints, rng()) as string[];
    expect(JSON.stringify(v).length).toBeLessThan(300_000);
    expect(v.length).toBeLessThanOrEqual(2000);
  });
});
