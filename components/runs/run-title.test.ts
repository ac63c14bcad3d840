import { describe, expect, it } from "vitest";
import { runTitle } from "./run-title";

describe("run titles", () => {
  it("show the workflow's name with the version, or that a draft ran", () => {
    expect(runTitle({ workflowName: "Quote to cash", version: "1.4.0", draft: false })).toBe(
      "Quote to cash v1.4.0",
    );
    expect(runTitle({ workflowName: "Quote to cash", version: "draft", draft: true })).toBe(
      "Quote to cash (draft)",
    );
    expect(runTitle({ workflowName: null, flowName: "q2c", version: null, draft: true })).toBe(
      "q2c (draft)",
    );
  });
});
