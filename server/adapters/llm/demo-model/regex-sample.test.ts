import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sampleRegex } from "./regex-sample";
import { seededRng } from "./rng";

/** Patterns seen in real schemas (ids, codes, phone numbers, versions, colours, …). */
const SUPPORTED = [
  "^CTR-[0-9]+$",
  "^[A-Z]{3}$",
  "^[a-z]{2,3}(-[A-Z]{2})?$",
  "^INV-\\d{4,6}$",
  "^\\+?[1-9]\\d{6,14}$",
  "^[A-Z]{2}[0-9]{2}[A-Z0-9]{4,30}$",
  "^\\d{5}(?:-\\d{4})?$",
  "^#(?:[0-9a-fA-F]{3}){1,2}$",
  "^v\\d+\\.\\d+\\.\\d+(-[a-z0-9.]+)?$",
  "^(low|medium|high|critical)$",
  "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$",
  "^\\S+$",
  "^[\\w.-]{3,20}$",
  "^(?<year>\\d{4})-(?<month>0[1-9]|1[0-2])$",
  "[a-z]+",
  "^\\p{Lu}\\p{Ll}+$",
  "^[^,;]{1,40}$",
  "^\\u00e9t\\u00e9$",
  "^a|b$",
  "^[\\d\\-]{3,}$",
  "^[A-Za-z0-9+/]+={0,2}$",
];

/** Beyond the sampler (lookarounds, back-references): it answers null, never a wrong string. */
const UNSUPPORTED = ["^(?=.*\\d)[a-z\\d]{6}$", "^(a)\\1$", "^(?!x).+$", "\\Bfoo"];

describe("sampleRegex", () => {
  it("samples strings that match common patterns, deterministically", () => {
    for (const p of SUPPORTED) {
      const a = sampleRegex(p, seededRng(p));
      expect(a, p).not.toBeNull();
      expect(new RegExp(p, "u").test(a!), `${p} -> ${a}`).toBe(true);
      expect(sampleRegex(p, seededRng(p))).toBe(a);
    }
  });

  it("whatever it returns matches, and keeps within minLength and maxLength", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SUPPORTED, ...UNSUPPORTED),
        fc.string({ maxLength: 8 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 30 }),
        (p, seed, a, b) => {
          const [min, max] = [Math.min(a, b), Math.max(a, b)];
          const s = sampleRegex(p, seededRng(seed), { minLength: min, maxLength: max });
          if (s === null) return;
          expect(new RegExp(p, "u").test(s)).toBe(true);
          expect([...s].length).toBeGreaterThanOrEqual(min);
          expect([...s].length).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("prefers the prompt's own words when they match", () => {
    expect(sampleRegex("^CTR-[0-9]+$", seededRng("x"), { prefer: ["hello", "CTR-1042"] })).toBe(
      "CTR-1042",
    );
  });

  it("answers null for what it does not support or cannot meet", () => {
    expect(sampleRegex("^(a)\\1$", seededRng("x"))).toBeNull();
    expect(sampleRegex("(unclosed", seededRng("x"))).toBeNull();
    expect(sampleRegex("^[A-Z]{3}$", seededRng("x"), { minLength: 5 })).toBeNull();
  });

  it("stays bounded on patterns that ask for huge strings", () => {
    const t0 = performance.now();
    expect(sampleRegex("^(a{1000}){1000}$", seededRng("x"))).toBeNull();
    expect(sampleRegex("^a{100000}$", seededRng("x"))).toBeNull();
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
