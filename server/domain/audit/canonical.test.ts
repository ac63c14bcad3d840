import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson as writeCanonical } from "@/dsl";
import { canonicalJson } from "./canonical";

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"z":1}]},"b":1}',
    );
  });
  it("is the same for equal values built in different orders", () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
  it("writes dates as ISO strings", () => {
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
});

/** The ledger's canonical JSON as it was written before the compiler's writer took over. */
function formerCanonicalJson(value: unknown): string {
  const normalise = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : normalise(x)));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[key];
      if (x !== undefined) out[key] = normalise(x);
    }
    return out;
  };
  return JSON.stringify(normalise(value));
}

describe("canonicalJson keeps the form stored chains were hashed with", () => {
  it("on integer-like keys, dates, functions, __proto__ and holes", () => {
    const values: unknown[] = [
      {
        b: 1,
        10: "ten",
        2: "two",
        a: { "01": 1, 1: 2, "-1": 3, "4294967295": 4, "4294967294": 5 },
      },
      { at: new Date(0), list: [new Date(1), undefined, () => 1, Symbol("s")], f: () => 1 },
      JSON.parse('{"__proto__": {"x": 1}, "y": [1, {"__proto__": 2}]}'),
      { sparse: [1, , 3], nested: { deeper: { z: null, y: -0, x: 1e21, w: "é☃\u0000" } } },
      { bytes: new Uint8Array([3, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]), map: new Map([[1, 2]]) },
      JSON.parse('{"__proto__": 1}'),
      JSON.parse('{"__proto__": 1, "a": 2}'),
    ];
    // Twice: the second time each key list's order comes from the writer's cache of shapes.
    for (const v of [...values, ...values]) expect(canonicalJson(v)).toBe(formerCanonicalJson(v));
  });

  it("orders a key list by each form's rule, whichever form saw it first", () => {
    const keys = () => ({ b: 1, 10: 2, 2: 3, a: 4 });
    expect(writeCanonical(keys(), undefined, "ir")).toBe('{"10":2,"2":3,"a":4,"b":1}');
    expect(canonicalJson(keys())).toBe('{"2":3,"10":2,"a":4,"b":1}');
    expect(writeCanonical(keys(), undefined, "ir")).toBe('{"10":2,"2":3,"a":4,"b":1}');
  });

  it("on arbitrary JSON and objects (500 runs)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.object(), fc.dictionary(fc.string(), fc.date())),
        (v) => {
          expect(canonicalJson(v)).toBe(formerCanonicalJson(v));
        },
      ),
      { numRuns: 500, seed: 14 },
    );
  });
});
