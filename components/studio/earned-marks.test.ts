import { describe, expect, it } from "vitest";
import { BlockRegistry } from "@/dsl";
import {
  earnedMarks,
  flowMark,
  formulaText,
  type EarnedEntry,
  type TrustModel,
} from "./earned-marks";

const registry = BlockRegistry.withPrimitives();
const model: TrustModel = {
  halfLifeMs: 14 * 86_400_000,
  priorStrength: 10,
  minN: 20,
  credibility: 0.9,
  weights: { slaMisses: 0.5, retries: 0.25 },
};
const transform = registry.resolve("data.transform@1");
if (!transform.ok) throw new Error("data.transform@1 must resolve");
const key = `data.transform@${transform.block.version}`;

function entry(over: Partial<EarnedEntry>): EarnedEntry {
  return {
    key,
    score: 0.41,
    posterior: 0.41,
    interval: { low: 0.33, high: 0.49, mass: 0.9 },
    n: 57,
    enoughData: true,
    baseline: transform.ok ? transform.block.baselineTrust : 1,
    why: "",
    ...over,
  };
}

describe("earned marks on the canvas", () => {
  const steps = [
    { stepId: "a", uses: "data.transform@1" },
    { stepId: "b", uses: "control.join@1" },
    { stepId: "c", uses: "nope.block@1" },
  ];

  it("shows the earned score with interval and n, the formula on hover", () => {
    const marks = earnedMarks(registry, steps, [entry({})], model);
    expect(marks.a).toMatchObject({ key, enoughData: true, score: 0.41, n: 57 });
    expect(marks.a!.title).toContain("90% interval 0.33–0.49, n = 57.0");
    expect(marks.a!.title).toContain(formulaText(model));
    expect(formulaText(model)).toContain("counts halve every 14 days");
    // A block without history: not enough data, its baseline stands in; an unknown block: none.
    expect(marks.b).toMatchObject({ key: null, enoughData: false, n: 0 });
    expect(marks.b!.title).toMatch(/^Not enough data: no finished runs/);
    expect(marks.c).toBeUndefined();
    expect(flowMark(marks)).toMatchObject({ stepId: "a", score: 0.41 });
  });

  it("below n = 20 reads not enough data and uses the baseline", () => {
    const marks = earnedMarks(
      registry,
      steps.slice(0, 1),
      [entry({ n: 7, enoughData: false, score: 0.2 })],
      model,
    );
    expect(marks.a).toMatchObject({ enoughData: false, n: 7 });
    expect(marks.a!.score).toBe(transform.ok ? transform.block.baselineTrust : 1);
    expect(marks.a!.title).toMatch(/^Not enough data: n = 7\.0 of 20/);
  });

  it("falls back to another version of the block with enough data", () => {
    const marks = earnedMarks(
      registry,
      steps.slice(0, 1),
      [entry({ key: "data.transform@0.9.0" })],
      model,
    );
    expect(marks.a).toMatchObject({ key: "data.transform@0.9.0", enoughData: true });
  });
});
