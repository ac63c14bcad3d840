/**
 * Property test: 10,000 generated and mutated inputs never make the compiler throw, and every
 * diagnostic span lies within the text.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "./compile";
import { policyLibrary } from "./policies/library";
import { BlockRegistry } from "./registry/registry";

const dir = path.join(import.meta.dirname, "testdata");
const seeds = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => readFileSync(path.join(dir, f), "utf8"));
const options = { registry: BlockRegistry.withPrimitives(), policies: policyLibrary };

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(
        "${{",
        "}}",
        ":",
        "- ",
        "\n  ",
        "[",
        "{",
        "'",
        '"',
        "&a ",
        "*a",
        "steps.",
        "@1",
        "\t",
        "#",
      ),
    ),
  }),
  fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
  fc.record({
    kind: fc.constant("unicode" as const),
    at: fc.nat(),
    text: fc.string({ unit: "binary", maxLength: 4 }),
  }),
);

function mutate(
  text: string,
  muts: Array<fc.Arbitrary<unknown> extends never ? never : Record<string, unknown>>,
): string {
  let t = text;
  for (const m of muts) {
    const at = t.length === 0 ? 0 : (m.at as number) % (t.length + 1);
    if (m.kind === "delete") t = t.slice(0, at) + t.slice(at + (m.len as number));
    else if (m.kind === "insert" || m.kind === "unicode")
      t = t.slice(0, at) + (m.text as string) + t.slice(at);
    else {
      const lines = t.split("\n");
      const i = at % lines.length;
      const j = (m.with as number) % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      t = lines.join("\n");
    }
  }
  return t;
}

function check(text: string): void {
  const r = compile(text, options);
  for (const d of r.diagnostics) {
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
    expect(d.span.end).toBeLessThanOrEqual(text.length);
  }
  if (r.ok) expect(r.ir).toBeDefined();
}

describe("fuzz", () => {
  it("never throws on mutated flows (8,000 runs)", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (i, muts) => {
          check(mutate(seeds[i]!, muts as Array<Record<string, unknown>>));
        },
      ),
      { numRuns: 8_000, seed: 1 },
    );
  });
  it("never throws on random YAML-ish text (2,000 runs)", () => {
    const token = fc.constantFrom(
      "flow: x\n",
      "version: 1.0.0\n",
      "steps:\n",
      "  - id: a\n",
      "    uses: crm.contact.get@1\n",
      "    with:\n",
      "      id: ${{ steps.a.output.x }}\n",
      "    needs: [a]\n",
      "- ",
      ": ",
      "{",
      "}",
      "[",
      "]",
      "\n",
      "  ",
      "'",
      '"',
      "${{ ",
      " }}",
      "&x ",
      "*x",
      "? ",
      "!!str ",
      "---\n",
      "%YAML 1.2\n",
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(token, fc.string({ maxLength: 6 })), { maxLength: 30 }),
        (parts) => {
          check(parts.join(""));
        },
      ),
      { numRuns: 2_000, seed: 2 },
    );
  });
});
