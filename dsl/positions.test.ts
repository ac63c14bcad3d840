import { describe, expect, it } from "vitest";
import { offsetToPosition } from "./positions";

describe("offsetToPosition", () => {
  it("is 1-based and clamps", () => {
    expect(offsetToPosition("a\nbc", 0)).toEqual({ line: 1, column: 1 });
    expect(offsetToPosition("a\nbc", 3)).toEqual({ line: 2, column: 2 });
    expect(offsetToPosition("a\nbc", 99)).toEqual({ line: 2, column: 3 });
    expect(offsetToPosition("a\nbc", -5)).toEqual({ line: 1, column: 1 });
  });
});
