/**
 * Alias bomb ("billion laughs"): a few hundred bytes of YAML whose anchors each alias the previous
 * one ten times. Before the fix, compiling a 381-byte text froze the server for 12 s and each
 * extra level cost ten times more. Now the expanded size of every anchor is known before any
 * alias is expanded, and the alias that would pass `MAX_ALIAS_NODES` is reported (`TF1016`, at
 * the alias) without building anything. Deeply nested texts (`TF1017`) never reach the recursive
 * YAML composer.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  compile,
  BlockRegistry,
  parseFlow,
  policyLibrary,
  applyEdit,
  MAX_ALIAS_NODES,
} from "@/dsl";
import { main } from "@/cli/main";
import { compileFlow } from "@/server/domain/workflow/compile-flow";

/** A flow whose extra key holds `levels` anchors, each a list of ten aliases of the previous. */
function billionLaughs(levels: number): string {
  let s =
    "flow: lol\nversion: 1.0.0\nsteps:\n  - id: a\n    uses: crm.contact.get@1\n    with:\n      id: CON-1\n" +
    "lol:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (let i = 1; i < levels; i++)
    s += `  l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(", ")}]\n`;
  return s;
}

/** The offset of the `n`-th (1-based) `*l{level}` on the line of anchor `l{level + 1}`. */
function aliasOffset(text: string, level: number, n: number): number {
  let at = text.indexOf(`&l${level + 1} [`);
  for (let i = 0; i < n; i++) at = text.indexOf(`*l${level}`, at + 1);
  return at;
}

const options = { registry: BlockRegistry.withPrimitives(), policies: policyLibrary };

describe("alias bomb", () => {
  // Each `*l2` stands for 1,111 nodes: after lines l1 (110) and l2 (1,110), the eighth alias on
  // line l3 passes the 10,000-node cap (1,220 + 8 x 1,111), whatever the depth of the text.
  const expectedAlias = (text: string) => aliasOffset(text, 2, 8);

  it.each([5, 9, 20, 50])(
    "refuses a %i-level billion-laughs text at the alias, without expanding it",
    (levels) => {
      const text = billionLaughs(levels);
      const r = compileFlow(text);
      expect(r.ok).toBe(false);
      expect(r.ir).toBeUndefined();
      // Nothing was built: no AST (the later phases never ran), one diagnostic.
      expect(r.ast).toBeUndefined();
      expect(r.diagnostics).toHaveLength(1);
      const d = r.diagnostics[0]!;
      expect(d.code).toBe("TF1016");
      expect(d.message).toContain(String(MAX_ALIAS_NODES));
      const at = expectedAlias(text);
      expect(d.span).toEqual({ start: at, end: at + 3 });
      expect(text.slice(d.span.start, d.span.end)).toBe("*l2");
      // The same alias for every depth: the work done before refusing does not grow with it.
    },
  );

  it("refuses an alias that contains itself (endless expansion)", () => {
    const text =
      "flow: lol\nversion: 1.0.0\nsteps: &s\n  - id: a\n    uses: crm.contact.get@1\n    with: { id: CON-1, again: *s }\n";
    const r = compile(text, options);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TF1016"]);
    expect(text.slice(r.diagnostics[0]!.span.start, r.diagnostics[0]!.span.end)).toBe("*s");
  });

  it("still expands aliases within the cap", () => {
    const text = billionLaughs(3); // 110 + 1,110 nodes from aliases
    const r = parseFlow(text);
    expect(r.diagnostics).toEqual([]);
    const lol = r.ast?.kind === "map" ? r.ast.pairs.find((p) => p.key === "lol")?.value : undefined;
    const l2 = lol?.kind === "map" ? lol.pairs.find((p) => p.key === "l2")?.value : undefined;
    expect(l2?.kind === "seq" && l2.items.length).toBe(10);
  });

  it("refuses the bomb through the CLI (validate --json), exit 1", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "alias-bomb-"));
    try {
      const file = path.join(dir, "bomb.yaml");
      const text = billionLaughs(20);
      writeFileSync(file, text);
      let out = "";
      const code = await main(["validate", "--json", file], {
        out: (s) => (out += s),
        err: () => {},
      });
      expect(code).toBe(1);
      const diagnostics = JSON.parse(out) as Array<{
        code: string;
        range: { start: { line: number; column: number } };
      }>;
      expect(diagnostics.map((d) => d.code)).toEqual(["TF1016"]);
      const at = expectedAlias(text);
      const line = text.slice(0, at).split("\n").length;
      const column = at - text.lastIndexOf("\n", at - 1);
      expect(diagnostics[0]!.range.start).toEqual({ line, column });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses 100,000 nested brackets without recursing into them (TF1017)", () => {
    const text = `flow: deep\nversion: 1.0.0\nsteps: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    const r = compileFlow(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TF1017"]);
    expect(r.ast).toBeUndefined();
    // At the bracket where the estimate passes 250 levels (the `steps:` line is one of them).
    expect(r.diagnostics[0]!.span.start).toBe(text.indexOf("[") + 249);
  });

  it("refuses deep block nesting (`- - - ...`) the same way", () => {
    const text = `flow: deep\nversion: 1.0.0\nsteps:\n  ${"- ".repeat(50_000)}x\n`;
    const r = compileFlow(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TF1017"]);
  });

  it("canvas edits on a bomb neither expand it nor parse deep nesting", () => {
    const bomb = billionLaughs(50);
    const renamed = applyEdit(bomb, { type: "rename-step", from: "a", to: "b" });
    expect(renamed.ok).toBe(true);
    // Aliases stay aliases in the edited text: nothing was expanded.
    expect(renamed.text.length).toBeLessThan(bomb.length + 10);
    expect(renamed.text).toContain("*l48");

    const deep = `flow: deep\nsteps: ${"[".repeat(100_000)}\n`;
    const r = applyEdit(deep, { type: "remove-step", id: "a" });
    expect(r).toMatchObject({ ok: false, text: deep });
    expect(r.ok === false && r.error).toContain("250 levels");
  });
});
