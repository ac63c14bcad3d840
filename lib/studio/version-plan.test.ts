import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, policyLibrary } from "@/dsl";
import { studioRegistry } from "@/lib/studio/registry";
import { planVersion, versionBlocker } from "./version-plan";

const flow = readFileSync(
  new URL("../../prisma/samples/quote-to-cash.flow.yaml", import.meta.url),
  "utf8",
);
const diagnose = (text: string) =>
  compile(text, { registry: studioRegistry(), policies: policyLibrary }).diagnostics;
const plan = (draft: string, latest: { version: string; text: string } | null) =>
  planVersion(draft, diagnose(draft), latest);

describe("planVersion", () => {
  it("refuses a draft that does not parse, and suggests nothing (no diff from a failed parse)", () => {
    const broken = flow.replace("steps:\n", "steps:\n  - id: [unclosed\n");
    const p = plan(broken, { version: "1.4.0", text: flow });
    expect(p.kind).toBe("blocked");
    if (p.kind !== "blocked") return;
    expect(p.reason).toMatch(
      /^The YAML does not parse \(line \d+: .+\): fix it to save a version\.$/,
    );
    // Not "2.0.0 because every step was removed".
    expect(p.reason).not.toMatch(/2\.0\.0|removed/);
  });

  it("refuses a draft with errors, naming how many and the first", () => {
    const p = plan(flow.replace("uses: crm.deal.update@1", "uses: crm.deal.update@9"), null);
    expect(p).toEqual({
      kind: "blocked",
      reason: expect.stringMatching(
        /^The draft has 1 error \(first: TF\d{4} .+\): fix it to save a version\.$/,
      ),
    });
  });

  it("suggests the declared version first, then the next one from what changed", () => {
    expect(plan(flow, null)).toEqual({ kind: "first", suggested: "1.4.0" });
    const added = flow.replace(
      "policies:\n",
      "  - id: notify\n    uses: crm.deal.get@1\n    with:\n      id: DEAL-1\n\npolicies:\n",
    );
    const p = plan(added, { version: "1.4.0", text: flow });
    expect(p.kind).toBe("next");
    if (p.kind !== "next") return;
    expect(p.suggested).toBe("1.5.0");
    expect(p.diff.changes.map((c) => c.reason)).toContain("step `notify` added");
  });

  it("has nothing to save when nothing changed", () => {
    expect(plan(flow, { version: "1.4.0", text: flow })).toEqual({
      kind: "blocked",
      reason: "No changes since 1.4.0: nothing to save.",
    });
  });
});

describe("versionBlocker", () => {
  it("lets a draft with warnings only through", () => {
    expect(diagnose(flow).some((d) => d.severity === "warning")).toBe(true);
    expect(versionBlocker(flow, diagnose(flow))).toBeNull();
  });

  it("says it in a few words for the toolbar too", () => {
    const broken = "flow: x\nsteps: [\n";
    expect(versionBlocker(broken, diagnose(broken))?.short).toBe("The YAML does not parse");
    const two = flow
      .replace("uses: crm.deal.update@1", "uses: crm.deal.update@9")
      .replace("uses: clm.contract.get@1", "uses: clm.contract.get@9");
    expect(versionBlocker(two, diagnose(two))?.short).toBe("Fix 2 errors first");
  });
});
