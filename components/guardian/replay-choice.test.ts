import { describe, expect, it } from "vitest";
import { replayChoiceText } from "./guardian-view";

describe("replayChoiceText", () => {
  it("counts the runs replayed one by one and those reprocessed through their dead letters", () => {
    expect(replayChoiceText({ runs: 1, deadLetters: 2, deadLetterRuns: 2 }, "1.0.1")).toBe(
      "Also replay the 3 failed runs from their failing step on version 1.0.1 (2 dead letters of 2 runs reprocessed as one job); each is approved by another person",
    );
    expect(replayChoiceText({ runs: 0, deadLetters: 3, deadLetterRuns: 3 }, "2.0.0")).toBe(
      "Also replay the 3 failed runs from their failing step on version 2.0.0 (3 dead letters of them reprocessed as one job); each is approved by another person",
    );
    expect(replayChoiceText({ runs: 1, deadLetters: 0, deadLetterRuns: 0 }, "1.0.1")).toBe(
      "Also replay the 1 failed run from its failing step on version 1.0.1; each is approved by another person",
    );
  });

  it("says when nothing waits for a replay, and speaks without counts before they are known", () => {
    expect(replayChoiceText({ runs: 0, deadLetters: 0, deadLetterRuns: 0 }, "1.0.1")).toBe(
      "Also replay the failed runs on version 1.0.1 (none is waiting for one now)",
    );
    expect(replayChoiceText(null, "1.0.1")).toMatch(
      /^Also replay the failed runs from their failing step/,
    );
  });
});
