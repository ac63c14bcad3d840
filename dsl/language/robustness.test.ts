import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../compile";
import { policyLibrary } from "../policies/library";
import { flowTemplates } from "../templates/index";
import { completionsAt } from "./completion";
import { definitionAt, hoverAt } from "./hover";
import { quickFixes } from "./quick-fixes";
import { env, registry } from "./test-helpers";

const dir = path.join(import.meta.dirname, "../testdata");
const texts: Array<[string, string]> = [
  ...flowTemplates.map((t): [string, string] => [t.id, t.text]),
  ...readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f): [string, string] => [f, readFileSync(path.join(dir, f), "utf8")]),
  ["empty", ""],
  [
    "json",
    '{"flow": "x", "version": "1.0.0", "steps": [{"id": "a", "uses": "crm.deal.update@1"}]}',
  ],
  [
    "flow collections",
    "flow: x\ninputs: { n: { type: integer } }\nsteps:\n  - id: a\n    uses: control.switch@1\n    with:\n      cases: [{ label: a, when: \"inputs.n > 1\" }, { label: b, when: 'x' ]\n  - { id: b, uses: control.switch@1, with: { cases: [{ when: steps.a.output.case == 'a', label: c }] } }\n    needs: [a, { b: [c, ] }\n",
  ],
  [
    "tabs and CRLF",
    "flow: x\r\nsteps:\r\n\t- id: a\r\n  - uses: \r\n    with:\r\n      ${{ steps.\r\n",
  ],
];

describe("the language features on any text", () => {
  it.each(texts)("%s: answer at every position without throwing", (_name, text) => {
    for (let offset = 0; offset <= text.length; offset += text.length < 400 ? 1 : 4) {
      const r = completionsAt(text, offset, env);
      if (r) {
        expect(r.span.start).toBeGreaterThanOrEqual(0);
        expect(r.span.end).toBeLessThanOrEqual(text.length);
        expect(r.span.start).toBeLessThanOrEqual(offset);
      }
      const h = hoverAt(text, offset, env);
      if (h) expect(h.span.end).toBeLessThanOrEqual(text.length);
      const d = definitionAt(text, offset, env);
      if (d) expect(d.span.end).toBeLessThanOrEqual(text.length);
    }
    const diagnostics = compile(text, { registry, policies: policyLibrary }).diagnostics;
    for (const fix of quickFixes(text, diagnostics, env))
      for (const e of fix.edits) expect(e.span.end).toBeLessThanOrEqual(text.length);
  });
});
