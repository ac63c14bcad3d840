/**
 * The guardian on its labelled corpus (issue 18, item 4): several hundred seeded failures over a
 * dozen flows and seven planted classes. The figures are in bench/RESULTS.md ("Guardian").
 */
import { describe, expect, it } from "vitest";
import { compileFlow } from "../workflow/compile-flow";
import { buildCorpus, PLANTED } from "./corpus";
import { scoreCorpus } from "./corpus-score";

describe("the guardian's labelled corpus", () => {
  const score = scoreCorpus(18);

  it("is several hundred failures over a dozen flows, every planted class present", () => {
    const { flows, failures } = buildCorpus(18);
    expect(flows).toHaveLength(12);
    expect(failures.length).toBeGreaterThanOrEqual(300);
    for (const p of PLANTED) expect(score.perClass[p].failures).toBeGreaterThan(0);
    for (const f of flows) expect(compileFlow(f.text).ok).toBe(true);
  });

  it("groups with purity ≥ 0.95 and never mixes planted classes in a group", () => {
    expect(score.purity).toBeGreaterThanOrEqual(0.95);
    expect(score.mixedGroups).toBe(0);
    // Grouping groups: far fewer groups than failures.
    expect(score.groups).toBeLessThan(score.failures / 5);
  });

  it("triages ≥ 90% of the failures into the expected class", () => {
    expect(score.triageCorrect).toBeGreaterThanOrEqual(0.9);
    for (const p of PLANTED) {
      const c = score.perClass[p];
      expect(c.triaged / c.failures, p).toBeGreaterThanOrEqual(0.9);
    }
  });

  it("proposes patches for the patchable classes and none for external, policy or transient", () => {
    for (const p of [
      "schema-drift",
      "timeout",
      "rate-limit-storm",
      "bad-mapping",
      "bad-input",
    ] as const)
      expect(score.perClass[p].withProposal / score.perClass[p].failures, p).toBeGreaterThanOrEqual(
        0.9,
      );
    for (const p of ["expired-credential", "policy-refusal", "flaky-network"] as const)
      expect(score.perClass[p].proposals, p).toBe(0);
  });

  it("makes the recorded failing inputs of the data classes evaluate under the patched mapping", () => {
    expect(score.dataFixed.of).toBeGreaterThan(0);
    expect(score.dataFixed.fixed / score.dataFixed.of).toBeGreaterThanOrEqual(0.9);
  });

  it("refuses the bad inputs with the stricter input schema, and only them", () => {
    expect(score.inputFixed.of).toBeGreaterThan(0);
    expect(score.inputFixed.fixed / score.inputFixed.of).toBeGreaterThanOrEqual(0.9);
  });

  it("is deterministic for a seed", () => {
    const again = scoreCorpus(18);
    expect({ ...again, sample: [] }).toEqual({ ...score, sample: [] });
  });
});
