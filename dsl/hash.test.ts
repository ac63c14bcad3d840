import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalSha256, sha256Hex } from "./hash";

const nodeSha = (s: string | Uint8Array) => createHash("sha256").update(s).digest("hex");

describe("sha256Hex", () => {
  it("matches node:crypto (native and pure-JS paths)", () => {
    for (const s of ["", "abc", "a".repeat(55), "a".repeat(64), "héllo ☃ 𝄞".repeat(50)]) {
      expect(sha256Hex(s)).toBe(nodeSha(s));
      expect(sha256Hex(s, "js")).toBe(nodeSha(s));
    }
    // Every padding boundary.
    for (let n = 0; n < 200; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(sha256Hex(bytes, "js")).toBe(nodeSha(bytes));
    }
  });
  it("canonical JSON sorts keys and drops omitted ones", () => {
    expect(canonicalJson({ b: 1, a: { span: 1, c: [1, undefined] } }, new Set(["span"]))).toBe(
      '{"a":{"c":[1,null]},"b":1}',
    );
  });
});

describe("canonicalSha256", () => {
  const omit = new Set(["span"]);
  const same = (v: unknown) => {
    const expected = sha256Hex(canonicalJson(v, omit), "js");
    expect(canonicalSha256(v, omit)).toBe(expected);
    expect(canonicalSha256(v, omit, "js")).toBe(expected);
  };

  it("equals sha256Hex(canonicalJson(...)) on edge values", () => {
    same({ b: 1, a: { span: 1, c: [1, undefined, null, -0, 0.1, 1e21, -5, 2 ** 53] } });
    same({ é: "☃", "\u0000": "\ud800", q: '"\\\n', long: "x".repeat(40_000) });
    same([true, false, null, "", {}, [], { z: { y: { x: [1, "2", [3]] } } }]);
    same({ f: () => 1, u: undefined, d: new Date(0), n: Number.NaN, i: Infinity });
    // Objects of the same shape, and of shapes sharing a first key.
    same(Array.from({ length: 50 }, (_, i) => (i % 2 ? { a: i, b: i } : { a: i, c: String(i) })));
  });

  it("equals sha256Hex(canonicalJson(...)) on arbitrary JSON (500 runs)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => same(v)),
      { numRuns: 500, seed: 3 },
    );
  });
});
