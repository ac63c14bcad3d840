import { describe, expect, it } from "vitest";
import { configurePasswordHashing, hashPassword, verifyPassword } from "./password";

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

  it("hashes new passwords at the configured N; a hash keeps its own", async () => {
    const production = await hashPassword("correct horse battery");
    for (const bad of [1000, 512, 2 ** 21, 2 ** 15 + 1, Number.NaN]) {
      expect(() => configurePasswordHashing({ N: bad })).toThrow(/power of two from 1024/);
    }
    expect(await hashPassword("x")).toMatch(/^scrypt\$32768\$/);
    configurePasswordHashing({ N: 2 ** 10 });
    try {
      const cheap = await hashPassword("correct horse battery");
      expect(cheap).toMatch(/^scrypt\$1024\$8\$1\$/);
      expect(await verifyPassword("correct horse battery", cheap)).toBe(true);
      expect(await verifyPassword("correct horse batterY", cheap)).toBe(false);
      // A hash made at the default cost still verifies at its own.
      expect(await verifyPassword("correct horse battery", production)).toBe(true);
    } finally {
      configurePasswordHashing({ N: 2 ** 15 });
    }
    expect(await hashPassword("x")).toMatch(/^scrypt\$32768\$/);
  });
});
