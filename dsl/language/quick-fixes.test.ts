import { describe, expect, it } from "vitest";
import { compile } from "../compile";
import { policyLibrary } from "../policies/library";
import type { Diagnostic } from "../types";
import { quickFixes } from "./quick-fixes";
import { applyEdits, env, referenceExample, registry, template } from "./test-helpers";

const q2c = template("quote-to-cash");
const diagnose = (text: string) => compile(text, { registry, policies: policyLibrary }).diagnostics;

/**
 * Breaks `text`, compiles it, takes the fix for the diagnostic `code`, applies it and compiles
 * again: the diagnostic is gone and the text is the original one.
 */
function roundTrip(text: string, find: string, broken: string, code: string) {
  const bad = text.replace(find, broken);
  expect(bad).not.toBe(text);
  const before = diagnose(bad).filter((d) => d.code === code);
  expect(before, `${code} expected`).toHaveLength(1);
  const fixes = quickFixes(bad, before, env);
  expect(fixes).toHaveLength(1);
  const fixed = applyEdits(bad, fixes[0]!.edits);
  const after = diagnose(fixed).filter((d) => d.code === code);
  return { fix: fixes[0]!, fixed, after };
}

describe("quick fixes for 'did you mean'", () => {
  it.each([
    [
      "TF1003 unknown step key",
      "    needs: [invoice]\n",
      "    neds: [invoice]\n",
      "TF1003",
      "needs",
    ],
    ["TF3010 unknown input", "stage: closed_won", "stge: closed_won", "TF3010", "stage"],
    [
      "TF2004 unknown step in an expression",
      "accountId: ${{ steps.account.output.accountId }}",
      "accountId: ${{ steps.acount.output.accountId }}",
      "TF2004",
      "account",
    ],
    ["TF3021 unknown need", "needs: [invoice]", "needs: [invoic]", "TF3021", "invoice"],
    [
      "TF4002 unknown policy",
      "t1-requires-dead-letter@1",
      "t1-requires-dead-leter@1",
      "TF4002",
      "t1-requires-dead-letter@1",
    ],
  ])("%s: replaces the name with the suggestion", (_label, find, broken, code, replacement) => {
    const { fix, fixed, after } = roundTrip(q2c, find, broken, code);
    expect(fix.title).toBe(`Change to \`${replacement}\``);
    expect(fix.preferred).toBe(true);
    expect(after).toEqual([]);
    expect(fixed).toBe(q2c);
  });

  it("TF3001 unknown block: keeps the pinned major the suggested block has", () => {
    const { fix, fixed, after } = roundTrip(
      q2c,
      "uses: crm.deal.update@1",
      "uses: crm.deal.updat@1",
      "TF3001",
    );
    expect(fix.title).toBe("Change to `crm.deal.update@1`");
    expect(after).toEqual([]);
    expect(fixed).toBe(q2c);
    // A major the suggested block lacks becomes its newest.
    const bad = q2c.replace("uses: billing.invoice.create@4", "uses: biling.invoice.create@7");
    const d = diagnose(bad).filter((x) => x.code === "TF3001");
    const [f] = quickFixes(bad, d, env);
    expect(applyEdits(bad, f!.edits)).toBe(q2c);
  });

  it("keeps the quotes of a quoted value", () => {
    const quoted = q2c.replace("uses: crm.deal.update@1", 'uses: "crm.deal.update@1"');
    const { fixed, after } = roundTrip(
      quoted,
      '"crm.deal.update@1"',
      '"crm.deal.updat@1"',
      "TF3001",
    );
    expect(after).toEqual([]);
    expect(fixed).toBe(quoted);
  });
});

describe("quick fixes for block versions", () => {
  it("TF3002 pins an existing major", () => {
    const { fix, fixed, after } = roundTrip(
      q2c,
      "uses: crm.deal.update@1",
      "uses: crm.deal.update@9",
      "TF3002",
    );
    expect(fix.title).toBe("Pin to `crm.deal.update@1`");
    expect(after).toEqual([]);
    expect(fixed).toBe(q2c);
  });

  it("TF3003 upgrades a major that is no longer supported", () => {
    const { fix, fixed, after } = roundTrip(
      q2c,
      "uses: billing.invoice.create@4",
      "uses: billing.invoice.create@1",
      "TF3003",
    );
    expect(fix.title).toBe("Upgrade to `billing.invoice.create@4`");
    expect(fix.preferred).toBe(false); // the inputs may need changes too
    expect(after).toEqual([]);
    expect(fixed).toBe(q2c);
  });

  it("TF3004 migrates a deprecated major to the newest", () => {
    const { fix, fixed, after } = roundTrip(
      q2c,
      "uses: billing.account.upsert@2",
      "uses: billing.account.upsert@1",
      "TF3004",
    );
    expect(fix.title).toBe("Migrate to `billing.account.upsert@2`");
    expect(after).toEqual([]);
    expect(fixed).toBe(q2c);
  });
});

describe("quick fix for missing required inputs", () => {
  it("TF3011 adds the missing input with the block's example value", () => {
    const { fix, fixed, after } = roundTrip(
      q2c,
      "      id: ${{ steps.contract.output.dealId }}\n",
      "",
      "TF3011",
    );
    const example = registry.get("crm.deal.update", 1)!.example.id as string;
    expect(fix.title).toBe("Add the required input `id`");
    expect(after).toEqual([]);
    expect(fixed).toContain(`      note: Invoiced on signature\n      id: ${example}\n`);
  });

  it("adds `with:` to a step that has none", () => {
    const text = referenceExample.replace(
      "  - id: deal\n    uses: crm.deal.update@1\n",
      "  - id: extra\n    uses: crm.contact.get@1\n\n  - id: deal\n    uses: crm.deal.update@1\n",
    );
    const d = diagnose(text).filter((x) => x.code === "TF3011");
    expect(d).toHaveLength(1);
    const [fix] = quickFixes(text, d, env);
    const fixed = applyEdits(text, fix!.edits);
    expect(fixed).toContain(
      "  - id: extra\n    uses: crm.contact.get@1\n    with:\n      id: CON-1042\n",
    );
    expect(diagnose(fixed).filter((x) => x.code === "TF3011")).toEqual([]);
  });
});

describe("diagnostics without a fix", () => {
  it("offers nothing for a diagnostic that carries no suggestion", () => {
    const bad = q2c.replace("stage: closed_won", "stage: closed");
    const d = diagnose(bad).filter((x) => x.severity === "error");
    expect(d.length).toBeGreaterThan(0);
    expect(quickFixes(bad, d, env)).toEqual([]);
  });

  it("ignores a stale diagnostic whose span is past the text", () => {
    const stale: Diagnostic = {
      code: "TF3010",
      severity: "error",
      message: "x",
      span: { start: q2c.length + 10, end: q2c.length + 14 },
      hint: "did you mean `stage`?",
    };
    expect(quickFixes(q2c, [stale], env)).toEqual([]);
  });
});
