import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redact, storedPayload } from "./chain";

/** What the ledger stored of a payload before `storedPayload` walked plain data itself. */
const former = (payload: unknown) => redact(JSON.parse(JSON.stringify(payload)));

/**
 * Same stored value, same key order (the entry's hash covers the canonical form, the stored row
 * the text); or the same failure, where JSON cannot write the value.
 */
function expectSameAsFormer(payload: unknown) {
  let before: unknown;
  try {
    before = former(payload);
  } catch (err) {
    expect(() => storedPayload(payload)).toThrow((err as Error).constructor as typeof Error);
    return;
  }
  const now = storedPayload(payload);
  expect(now).toStrictEqual(before);
  expect(JSON.stringify(now)).toBe(JSON.stringify(before));
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("storedPayload", () => {
  it("redacts secret-named keys at any depth and credentials inside URLs", () => {
    expect(
      storedPayload({
        flow: "noop",
        apiKey: "k-123",
        nested: [{ password: "hunter2", url: "https://bob:pw@api.example.com/x?token=abc" }],
      }),
    ).toStrictEqual({
      flow: "noop",
      apiKey: "[redacted]",
      nested: [
        { password: "[redacted]", url: "https://[redacted]@api.example.com/x?token=[redacted]" },
      ],
    });
  });

  it("stores what JSON stores, on every kind of value JSON treats specially", () => {
    const withToJson = { a: 1, toJSON: () => ({ replaced: true }) };
    const nullProto = Object.assign(Object.create(null) as object, { b: 2, secret: "s" });
    const protoKey = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as unknown;
    const cases: unknown[] = [
      {},
      { at: new Date(0), nested: { when: new Date(86_400_000) } },
      { n: -0, inf: Infinity, nan: NaN, list: [-0, NaN, -Infinity] },
      { u: undefined, f: () => 1, s: Symbol("x"), list: [undefined, () => 1, Symbol("y"), 3] },
      { withToJson },
      { nullProto },
      protoKey,
      { point: new Point(1, 2), map: new Map([["a", 1]]), set: new Set([1]) },
      { "10": "ten", "2": "two", b: "bee", a: "ay" },
      { token: undefined, password: () => "x", authorization: null, credential: 0 },
      { deep: [[[{ secretValue: [1, 2], ok: "https://x:y@h/" }]]] },
      { s: new String("boxed"), n: new Number(3), b: new Boolean(false) },
    ];
    for (const c of cases) expectSameAsFormer(c);
  });

  it("fails as JSON does on values JSON cannot write", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => storedPayload(cyclic)).toThrow(TypeError);
    expect(() => storedPayload({ big: 10n })).toThrow(TypeError);
  });

  it("stores what JSON stores, on generated values", () => {
    const key = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom("password", "apiKey", "token", "__proto__", "toJSON", "10", "2"),
    );
    const leaf = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom("https://u:p@example.com/a?api_key=1&x=2", "see ?secret=abc"),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.date({ noInvalidDate: true }),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(key, tie("node"), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => expectSameAsFormer(v)),
      { numRuns: 300 },
    );
  });
});
