import { describe, expect, it } from "vitest";
import { RUN_STATUSES } from "@/server/engine/types";
import { RUN_OUTCOMES, runOutcome } from "./outcome";

describe("runOutcome", () => {
  it("is the status, except a success with dead letters", () => {
    expect(runOutcome("succeeded", 0)).toBe("succeeded");
    expect(runOutcome("succeeded", 2)).toBe("succeeded_with_dead_letters");
    // Any other end keeps its status: a failed run's dead letter is part of its failure.
    for (const s of RUN_STATUSES.filter((x) => x !== "succeeded")) expect(runOutcome(s, 1)).toBe(s);
    expect(RUN_OUTCOMES).toEqual([...RUN_STATUSES, "succeeded_with_dead_letters"]);
  });
});
