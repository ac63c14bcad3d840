import { describe, expect, it } from "vitest";
import { hashPassword, lowerHashCostForTests, verifyPassword } from "./password";

describe("password hashing (scrypt)", () => {
  it("verifies the right password only, with a per-hash salt", async () => {
    const h1 = await hashPassword("correct horse battery");
    const h2 = await hashPassword("correct horse battery");
    expect(h1).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(h1).not.toBe(h2);
    expect(await verifyPassword("correct horse battery", h1)).toBe(true);
    expect(await verifyPassword("correct horse batterY", h1)).toBe(false);
    expect(await verifyPassword("x", "garbage")).toBe(false);
  });

  it("lowers the cost of new hashes only in tests; a hash keeps its own cost", async () => {
    const production = await hashPassword("correct horse battery");
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      expect(() => lowerHashCostForTests(2 ** 10)).toThrow(/test suite only/);
    } finally {
      process.env.NODE_ENV = env;
    }
    expect(await hashPassword("x")).toMatch(/^scrypt\$32768\$/);
    lowerHashCostForTests(2 ** 10);
    try {
      const cheap = await hashPassword("correct horse battery");
      expect(cheap).toMatch(/^scrypt\$1024\$8\$1\$/);
      expect(await verifyPassword("correct horse battery", cheap)).toBe(true);
      expect(await verifyPassword("correct horse batterY", cheap)).toBe(false);
      // A production hash still verifies at its own cost.
      expect(await verifyPassword("correct horse battery", production)).toBe(true);
    } finally {
      lowerHashCostForTests(2 ** 15);
    }
    expect(await hashPassword("x")).toMatch(/^scrypt\$32768\$/);
  });
});
