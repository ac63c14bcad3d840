import { describe, expect, it } from "vitest";
import { fastParseAst } from "./fast-yaml";
import {
  MAX_ALIAS_NODES,
  MAX_NESTING_DEPTH,
  MAX_SCANNED_NESTING,
  parseFlow,
  parseFlowFull,
  scanNesting,
} from "./parse";

describe("aliases (TF1016)", () => {
  it("expands aliases within the cap, spans at the alias", () => {
    const text = "a: &x {b: 1}\nc: *x\n";
    const r = parseFlow(text);
    expect(r.diagnostics).toEqual([]);
    const c = r.ast?.kind === "map" ? r.ast.pairs[1]!.value : undefined;
    expect(c).toMatchObject({ kind: "map", span: { start: 16, end: 18 } });
  });
  it("binds an alias to the last anchor of its name before it", () => {
    const r = parseFlow("a: &x 1\nb: *x\nc: &x 2\nd: *x\n");
    const values = r.ast?.kind === "map" ? r.ast.pairs.map((p) => p.value) : [];
    expect(values.map((v) => (v.kind === "scalar" ? v.value : undefined))).toEqual([1, 1, 2, 2]);
  });
  it("counts nested expansions once, at the outermost alias", () => {
    // 3 levels x 10: 110 + 1,110 + 11,110 nodes: the third level passes the cap.
    const level = (i: number) =>
      `l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(", ")}]\n`;
    const base = "l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n" + level(1) + level(2);
    expect(parseFlowFull(base).diagnostics).toEqual([]);
    const r = parseFlowFull(base + level(3));
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TF1016"]);
    expect(r.diagnostics[0]!.message).toContain(String(MAX_ALIAS_NODES));
    expect(r.ast).toBeUndefined();
  });
  it("refuses an alias inside its own anchor", () => {
    const text = "a: &x [1, *x]\n";
    const r = parseFlowFull(text);
    expect(r.diagnostics.map((d) => [d.code, text.slice(d.span.start, d.span.end)])).toEqual([
      ["TF1016", "*x"],
    ]);
  });
  it("leaves the fast path for the full parser", () => {
    for (const text of ["a: &x 1\nb: *x\n", "a: [*x]\n", "a: {b: *x}\n", "- *x\n", "a: [&x 1]\n"])
      expect(fastParseAst(text), text).toBeUndefined();
  });
});

describe("nesting (TF1017)", () => {
  it("refuses deep flow nesting before parsing, at the bracket", () => {
    const text = `a: ${"[".repeat(10_000)}`;
    expect(fastParseAst(text)).toBeUndefined();
    const r = parseFlowFull(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TF1017"]);
    expect(r.diagnostics[0]!.span.start).toBe(3 + MAX_SCANNED_NESTING - 1);
  });
  it("refuses an AST deeper than the exact bound, at the node", () => {
    // 220 levels of block mappings: under the scan's estimate, over the AST's bound.
    const text =
      Array.from({ length: 220 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " 1\n";
    const r = parseFlowFull(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TF1017"]);
    expect(r.diagnostics[0]!.message).toContain(String(MAX_NESTING_DEPTH));
  });
  it("does not count brackets in quotes, comments or plain words", () => {
    const deep = "[".repeat(400);
    for (const text of [
      `a: "${deep}"\n`,
      `a: '${deep}'\n`,
      `# ${deep}\na: 1\n`,
      `a: x${deep}\n`,
      `a: "esc \\" ${deep}"\n`,
      `a: 'it''s ${deep}'\n`,
    ])
      expect(scanNesting(text, MAX_SCANNED_NESTING), text.slice(0, 12)).toBeUndefined();
    expect(scanNesting(`a: ${deep}`, MAX_SCANNED_NESTING)).toBeDefined();
    expect(scanNesting(`a:\n  ${"- ".repeat(400)}x\n`, MAX_SCANNED_NESTING)).toBeDefined();
  });
});
