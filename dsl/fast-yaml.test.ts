/**
 * Guards the YAML fast path (`fast-yaml.ts`): for every input it either declines (the full
 * parser runs) or returns an AST deep-equal, values, kinds and spans included, to the one built
 * from eemeli/yaml's Document (`parseFlowFull`). Inputs: the golden files, hand-written edge
 * cases (comments, empty values, flow collections, core-schema scalars), and mutations of both.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "./compile";
import { fastParseAst } from "./fast-yaml";
import { parseFlow, parseFlowFull, parseYamlDocument } from "./parse";
import { policyLibrary } from "./policies/library";
import { BlockRegistry } from "./registry/registry";

const dir = path.join(import.meta.dirname, "testdata");
const golden = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(path.join(dir, f), "utf8") }));

/** Edge cases of the subset's boundary (accepted or declined, both are fine). */
const EDGE_CASES: string[] = [
  // Comments deeper than the next line belong to the closing collection at their column.
  "a:\n- x\n# c\n",
  "a:\n- x\n  # c\n",
  "a:\n  - x\n  # c\n",
  "s:\n  - id: a\n    u: x\n    # c\n  - id: b\n",
  "s:\n  - id: a\n    u: x\n    # c\n",
  "s:\n  - id: a\n    u: x\n    # c\n\n",
  "s:\n  - id: a\n    u: x\n\n    # c\n  # d\n",
  "s:\n  - id: a\n    u: [x]\n    # c\nz: 1\n",
  "s:\n  - id: a\n    u:\n      v: 1\n    # c\n",
  "r:\n  a:\n  - x\n  # c\nz: 1\n",
  "r:\n  a:\n  - x\n  # c\n",
  "a:\n    # c\n  b: 1\n",
  "a:\n  b:\n    c: 1\n      # c\n",
  "a:\n  b:   \n# x\nc: 1\n",
  "a:\n  b:\n  # x\n  c: 1\n",
  "a:\n  b:   # 1a:\n\n",
  "a:\n  b:   # x\n\nc: 1\n",
  "a:\n  b:\n\nc: 1\n",
  "a: 1\nb: 2\n",
  "a: 1  \nb:   x y  # c\n\n# tail\n",
  "a:\n  - x\n  - y\n\nb: [1, 2 , 'q']\n",
  "a:\n- x\n- y\nc: {}\n",
  "a:\nb: \"s\"\nc: ''\n",
  "- a\n- b: 1\n  c: 2\n-\n  - z\n",
  "a: { x: 1 }  # hi\n",
  "a: b\n  # comment\nc: d",
  "a: [ ]\nb: [a,b]\nc: {a: [1,{b: 2}]}\n",
  "a:\n  b: 1\n  # c\nd: 2\n",
  "a:\n  b: 1\n# c\nd: 2\n",
  "a:\n  b:\nc: 1\n",
  "a:\n  b:   # x\nc: 1\n",
  "a:\n  b:   \n# x\nc: 1\n",
  "a:\n  b:\n  # x\n  c: 1\n",
  "a:\n  b:   \nc: 1\n",
  "a:\n  b:",
  "a:\n  b:   ",
  "a:\n  b:  # c",
  "a : 1\n'b' : 2\n\"c\": 3\n",
  "a: [1, 2] # c\n",
  "a: 1",
  "a:\n  # c\n  b: 1\nd: 2\n",
  "steps:\n  # c\n  - id: 1\n  # c\n  - id: 2\n    # c\n    x: 1\n# top\nz: 1\n",
  "a:\n- x\n# c\nb: 1\n",
  "a:\n- x\n\n# c\n\nb: 1\n",
  "a: [1, 2, ]\n",
  "a: {x: 1, }\n",
  "a: {\"x\":1, 'y': 2}\n",
  "a: {x: , y: 2}\n",
  "a: {x:}\n",
  "a: [{x: 1}, [2]]\n",
  "- # c\n  a: 1\n",
  "-\n  a: 1\n- b\n",
  "- a: 1\n  b:\n  - x\n  - y\n- c\n",
  "a: -1\nb: +1\nc: 0o17\nd: 0x1F\ne: .5\nf: 5.\ng: 1e3\nh: .inf\ni: -.Inf\nj: .nan\nk: ~\nl: Null\nm: TRUE\nn: False\no: 1_000\np: 012\nq: -0\nr: 1.0.0\n",
  "true: 1\n1: 2\n1.0: 3\nnull: 4\n",
  "a: x#y\nb: x #y\nc: 'x'#y\n",
  "a: 'it''s'\nb: \"q\"\n",
  "a: b:c\nb: http://x.y/z\n",
  "a: ${{ steps.x.output }}\nb: Hi ${{ inputs.a }} there\n",
  "a:\n    - x\n    - y\nb: 1\n",
  "  a: 1\n",
  "a: 1\n  b: 2\n",
  "- a\n- b\n# end\n",
  "a:\n  - b\n  # c\n",
  "a: [a, b]\n\n\n",
  "a: 'x'  \n",
  'a: ""\n',
  "a:   \n",
  "k: v\n---\nk: 2\n",
  "\u00e9: \u00fc\nb: [\u00e9]\n",
  "a: {b: {c: {d: [1, 2, {e: f}]}}}\n",
  "a: [ 'x' , \"y\" ]\n",
  "- [a, b]\n- {c: d}\n",
  "a: -x\n-b: 2\n",
  "a:\n  -\n    - x\n",
  "a: - x\n",
  "a:\n  b: 1\n\n  # c\n\nd: 2\n",
  "a:\n  b: 1\n    # c\nd: 2\n",
];

/** A generated flow in the benchmark's shape (many steps, needs, expressions). */
function bigFlow(n: number): string {
  const lines = ["flow: big", "version: 1.0.0", "sla: T1", "trigger:", "  manual: {}", "steps:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  - id: s${i}`, "    uses: crm.contact.get@1");
    if (i > 0) lines.push(`    needs: [s${i - 1}]`);
    lines.push("    with:", `      id: \${{ steps.s${Math.max(0, i - 1)}.output.id }}`);
    if (i % 3 === 0) lines.push("    # a comment", "    retry: { max: 3 }", "    timeout: 20s");
  }
  return `${lines.join("\n")}\n`;
}

const seeds = [...golden.map((g) => g.text), ...EDGE_CASES, bigFlow(12)];

/** Asserts the fast path declines or agrees with the full parser. Returns whether it accepted. */
function agrees(text: string): boolean {
  const fast = fastParseAst(text);
  if (fast === undefined) return false;
  const full = parseFlowFull(text);
  expect(full.diagnostics, JSON.stringify(text)).toEqual([]);
  expect(fast, JSON.stringify(text)).toEqual(full.ast);
  return true;
}

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(
        ": ",
        ":",
        "- ",
        "-",
        "\n",
        "\n  ",
        "\n    ",
        "\n  # c\n",
        "\n# c\n",
        " # c",
        "#",
        "[",
        "]",
        "{",
        "}",
        ",",
        "'",
        '"',
        "''",
        "\\",
        "&a ",
        "*a",
        "!t ",
        "|",
        ">",
        "? ",
        "\t",
        "\r\n",
        " ",
        "  ",
        "~",
        "null",
        "true",
        "1",
        "-1",
        "0x1F",
        "0o7",
        "1e3",
        ".inf",
        "1.5",
        "1.0.0",
        "---\n",
        "...",
        "${{ ",
        " }}",
        "\u00e9",
        "\ud83d\ude00",
        "\u2028",
      ),
    ),
  }),
  fc.record({
    kind: fc.constant("copy" as const),
    at: fc.nat(),
    from: fc.nat(),
    len: fc.integer({ min: 1, max: 12 }),
  }),
);

function mutate(text: string, muts: ReadonlyArray<Record<string, unknown>>): string {
  let t = text;
  for (const m of muts) {
    const at = (m.at as number) % (t.length + 1);
    if (m.kind === "delete") t = t.slice(0, at) + t.slice(at + (m.len as number));
    else if (m.kind === "insert") t = t.slice(0, at) + (m.text as string) + t.slice(at);
    else {
      const from = (m.from as number) % (t.length + 1);
      t = t.slice(0, at) + t.slice(from, from + (m.len as number)) + t.slice(at);
    }
  }
  return t;
}

describe("YAML fast path", () => {
  it("agrees with the full parser on every golden file it accepts", () => {
    const accepted = golden.filter((g) => agrees(g.text)).map((g) => g.name);
    // Most flows are in the subset; errors, anchors and JSON go to the full parser.
    expect(accepted.length).toBeGreaterThan(golden.length * 0.8);
    expect(accepted).toContain("quote-to-cash.yaml");
  });

  it("agrees with the full parser on the edge cases", () => {
    let accepted = 0;
    for (const t of EDGE_CASES) if (agrees(t)) accepted++;
    expect(accepted).toBeGreaterThan(EDGE_CASES.length / 2);
  });

  it("accepts large generated flows (the benchmark's shape)", () => {
    expect(agrees(bigFlow(300))).toBe(true);
  });

  it("declines or agrees on mutated inputs (6,000 runs)", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (i, muts) => {
          agrees(mutate(seeds[i]!, muts as Array<Record<string, unknown>>));
        },
      ),
      { numRuns: 6_000, seed: 7 },
    );
  });

  it("declines or agrees with comment and blank lines at any indentation (4,000 runs)", () => {
    const line = fc.oneof(
      fc.nat({ max: 8 }).map((n) => `${" ".repeat(n)}# c`),
      fc.nat({ max: 8 }).map((n) => " ".repeat(n)),
    );
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), line), { minLength: 1, maxLength: 4 }),
        (i, inserts) => {
          const lines = seeds[i]!.split("\n");
          for (const [at, text] of inserts) lines.splice(at % (lines.length + 1), 0, text);
          agrees(lines.join("\n"));
        },
      ),
      { numRuns: 4_000, seed: 9 },
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (t) => {
        agrees(t);
      }),
      { numRuns: 2_000, seed: 8 },
    );
  });

  it("builds the Document lazily, equal to the full parser's", () => {
    const text = golden.find((g) => g.name === "quote-to-cash.yaml")!.text;
    const parsed = parseFlow(text);
    expect(Object.keys(parsed)).toContain("document");
    expect(parsed.document.toJS()).toEqual(parseYamlDocument(text).toJS());
    expect(parsed.document).toBe(parsed.document); // memoised
    const r = compile(text, {
      registry: BlockRegistry.withPrimitives(),
      policies: policyLibrary,
    });
    expect(r.document?.toString()).toBe(parseYamlDocument(text).toString());
  });
});
