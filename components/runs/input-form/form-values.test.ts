import { describe, expect, it } from "vitest";
import {
  draftAt,
  draftsFromValue,
  fillExamples,
  initialDrafts,
  parseInputsJson,
  readDrafts,
  setDraftAt,
  type Drafts,
} from "./form-values";
import { fieldsOf } from "./schema-fields";

const schema = {
  type: "object",
  properties: {
    contractId: { type: "string", pattern: "^CTR-[0-9]+$", examples: ["CTR-1001"] },
    termMonths: { type: "integer", default: 12, minimum: 1, maximum: 60 },
    amount: { type: "number", exclusiveMinimum: 0, multipleOf: 0.5 },
    notify: { type: "boolean", default: true },
    reason: { enum: ["duplicate", "fraudulent", 3] },
    tags: {
      type: "array",
      items: { type: "string", minLength: 2 },
      maxItems: 2,
      uniqueItems: true,
    },
    address: {
      type: "object",
      required: ["city"],
      properties: { city: { type: "string" }, zip: { type: "string", maxLength: 5 } },
    },
    extra: { type: "object", additionalProperties: true },
  },
  required: ["contractId", "amount", "reason"],
  additionalProperties: false,
};
const fields = fieldsOf(schema);

describe("form values", () => {
  it("prefills defaults and reads unset optional fields as left out", () => {
    const drafts = initialDrafts(fields);
    expect(drafts).toEqual({
      contractId: "",
      termMonths: "12",
      amount: "",
      notify: "true",
      reason: "",
      tags: [],
      address: { city: "", zip: "" },
      extra: "",
    });
    const r = readDrafts(fields, drafts);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual({
      contractId: ["Required."],
      amount: ["Required."],
      reason: ["Required."],
    });
    expect(r.value).toEqual({ termMonths: 12, notify: true });
  });

  it("checks patterns, lengths, ranges, whole numbers and items with messages per field", () => {
    let d = initialDrafts(fields);
    d = { ...d, contractId: "C-1", termMonths: "2.5", amount: "0.7", reason: "1" };
    d = { ...d, tags: ["a", "bb", "bb"], address: { city: "", zip: "123456" } };
    expect(readDrafts(fields, d).errors).toEqual({
      contractId: ["Does not match the pattern ^CTR-[0-9]+$ (e.g. CTR-1001)."],
      termMonths: ["Enter a whole number."],
      amount: ["Must be a multiple of 0.5."],
      "tags/0": ["Use at least 2 characters."],
      tags: ["Use at most 2 items.", "Items must differ."],
      "address/city": ["Required."],
      "address/zip": ["Use at most 5 characters."],
    });
    const bounds = readDrafts(fields, { ...d, termMonths: "61", amount: "0", tags: [] });
    expect(bounds.errors.termMonths).toEqual(["Must be at most 60."]);
    expect(bounds.errors.amount).toEqual(["Must be more than 0."]);
    const typo = readDrafts(fields, { ...d, amount: "12abc" });
    expect(typo.errors.amount).toEqual(["Enter a number."]);
    // What was typed is kept, so JSON mode shows it rather than dropping it.
    expect(typo.value.amount).toBe("12abc");
    expect(readDrafts(fields, { ...d, extra: "{ nope" }).errors.extra?.[0]).toMatch(
      /^Not valid JSON/,
    );
  });

  it("reads a filled form into the run's inputs", () => {
    const d: Drafts = {
      ...initialDrafts(fields),
      contractId: "CTR-1001",
      amount: " 2.5 ",
      notify: "false",
      reason: "2",
      tags: ["vip", "eu"],
      address: { city: "Lyon", zip: "" },
      extra: '{ "a": [1, 2] }',
    };
    expect(readDrafts(fields, d)).toEqual({
      ok: true,
      errors: {},
      value: {
        contractId: "CTR-1001",
        termMonths: 12,
        amount: 2.5,
        notify: false,
        reason: 3,
        tags: ["vip", "eu"],
        address: { city: "Lyon" },
        extra: { a: [1, 2] },
      },
    });
  });

  it("round-trips form → JSON → form → JSON without changing a value", () => {
    const d: Drafts = {
      ...initialDrafts(fields),
      contractId: "CTR-7",
      amount: "1e1",
      reason: "0",
      tags: ["xx"],
      address: { city: "Oslo", zip: "0150" },
    };
    const first = readDrafts(fields, d).value;
    const json = JSON.stringify(first, null, 2);
    const parsed = parseInputsJson(json);
    if (!parsed.ok) throw new Error(parsed.error);
    const back = draftsFromValue(fields, parsed.value);
    if (!back.ok) throw new Error(back.problems.join("; "));
    expect(readDrafts(fields, back.drafts).value).toEqual(first);
    // And a value typed as JSON comes back the same through the form.
    const typed = {
      contractId: "CTR-9",
      amount: 4,
      reason: "fraudulent",
      extra: { deep: { x: 1 } },
    };
    const viaForm = draftsFromValue(fields, typed);
    expect(viaForm.ok && readDrafts(fields, viaForm.drafts).value).toEqual(typed);
  });

  it("refuses to show as a form what it would change, naming each problem", () => {
    expect(
      draftsFromValue(fields, {
        contractId: 42,
        amount: "lots",
        reason: "other",
        notify: "yes",
        tags: "a",
        address: { city: "X", planet: "Mars" },
        surprise: 1,
      }),
    ).toEqual({
      ok: false,
      problems: [
        "surprise: not an input of this flow",
        "contractId: expected text, got 42",
        "amount: expected a number, got lots",
        "notify: expected true or false, got yes",
        "reason: other is not one of the choices",
        "tags: expected a list, got a",
        "address/planet: not an input of this object",
      ],
    });
    expect(draftsFromValue(fields, [1])).toEqual({
      ok: false,
      problems: ["The inputs must be a JSON object."],
    });
    expect(parseInputsJson("{ nope")).toMatchObject({ ok: false, error: /^Not valid JSON/ });
    expect(parseInputsJson("[]")).toMatchObject({ ok: false, error: /must be a JSON object/ });
    expect(parseInputsJson("  ")).toEqual({ ok: true, value: {} });
  });

  it("sets and reads drafts by path without touching the original", () => {
    const d = initialDrafts(fields);
    const next = setDraftAt(setDraftAt(d, ["tags", 0], "ab"), ["address", "city"], "Rome");
    expect(draftAt(next, ["tags", 0])).toBe("ab");
    expect(draftAt(next, ["address", "city"])).toBe("Rome");
    expect(draftAt(d, ["address", "city"])).toBe("");
    expect(d.tags).toEqual([]);
    expect(draftAt(next, ["nope", 3])).toBeUndefined();
  });

  it("fills unset fields with their first example, leaving typed values and defaults", () => {
    const fields = fieldsOf({
      type: "object",
      required: ["contractId", "ids"],
      properties: {
        contractId: { type: "string", examples: ["CTR-1001", "CTR-1002"] },
        ids: { type: "array", items: { type: "string" }, examples: [["INV-1", "INV-2"]] },
        owner: { type: "string", examples: ["ada"] },
        termMonths: { type: "integer", default: 12, examples: [24] },
        level: { enum: ["a", "b"], examples: ["c"] },
      },
    });
    const start = setDraftAt(initialDrafts(fields), ["owner"], "bob");
    const { drafts, filled } = fillExamples(fields, start);
    expect(filled).toEqual(["contractId", "ids"]);
    const read = readDrafts(fields, drafts);
    expect(read.ok).toBe(true);
    // termMonths keeps its default; `level`'s example is not one of its options: skipped.
    expect(read.value).toEqual({
      contractId: "CTR-1001",
      ids: ["INV-1", "INV-2"],
      owner: "bob",
      termMonths: 12,
    });
    // Filling again changes nothing.
    expect(fillExamples(fields, drafts).filled).toEqual([]);
  });
});
