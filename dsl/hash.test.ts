import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "./hash";

describe("sha256Hex", () => {
  it("matches node:crypto", () => {
    for (const s of ["", "abc", "a".repeat(55), "a".repeat(64), "héllo ☃ 𝄞".repeat(50)]) {
      expect(sha256Hex(s)).toBe(createHash("sha256").update(s).digest("hex"));
    }
  });
  it("canonical JSON sorts keys and drops omitted ones", () => {
    expect(canonicalJson({ b: 1, a: { span: 1, c: [1, undefined] } }, new Set(["span"]))).toBe(
      '{"a":{"c":[1,null]},"b":1}',
    );
  });
});
