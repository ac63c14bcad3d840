import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BlockRegistry, compile, policyLibrary } from "../index";
import { flowTemplates, TEMPLATE_IDS } from "./index";

const dir = import.meta.dirname;
const registry = BlockRegistry.withPrimitives();

describe("flow templates", () => {
  it("has at least six, one per .flow.yaml file", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".flow.yaml"));
    expect(flowTemplates.length).toBeGreaterThanOrEqual(6);
    expect(files.map((f) => f.replace(".flow.yaml", "")).sort()).toEqual([...TEMPLATE_IDS].sort());
  });

  it("index.ts is up to date with the files (npx tsx dsl/templates/write-index.ts)", () => {
    for (const t of flowTemplates) {
      expect(t.text, t.id).toBe(readFileSync(path.join(dir, `${t.id}.flow.yaml`), "utf8"));
    }
  });

  for (const t of flowTemplates) {
    it(`${t.id} compiles with no errors and no warnings`, () => {
      const r = compile(t.text, { registry, policies: policyLibrary });
      expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.ir?.name).toBe(t.id);
    });
  }
});
