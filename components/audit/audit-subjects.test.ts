import { describe, expect, it } from "vitest";
import { subjectHistoryHref, subjectHref, subjectText } from "./audit-subjects";

const id = "0b8c7a52-6f0e-4d3e-9a51-2c1f2b7d9e10";

describe("audit subject links", () => {
  it("links workflows to the studio and runs to their run view", () => {
    expect(subjectHref({ type: "workflow", id, info: { name: "Q2C", exists: true } })).toBe(
      `/studio/${id}`,
    );
    expect(subjectHref({ type: "run", id, info: { name: "Q2C · 1.0.0", exists: true } })).toBe(
      `/runs/${id}`,
    );
  });

  it("links settings subjects to their section and connectors to their page", () => {
    expect(subjectHref({ type: "connector", id, info: null })).toBe("/connectors");
    expect(subjectHref({ type: "api-token", id, info: null })).toBe("/settings#tokens-heading");
    expect(subjectHref({ type: "membership", id, info: null })).toBe("/settings#members-heading");
    expect(subjectHref({ type: "secret", id, info: null })).toBe("/settings#secrets-heading");
    expect(subjectHref({ type: "group", id, info: null })).toBe("/settings#groups-heading");
    expect(subjectHref({ type: "egress_allow", id, info: null })).toBe("/settings#egress-heading");
  });

  it("does not link a subject that no longer exists or has no page", () => {
    expect(subjectHref({ type: "workflow", id, info: { name: "", exists: false } })).toBeNull();
    expect(subjectHref({ type: "user", id, info: null })).toBeNull();
    expect(subjectHref({ type: "something-new", id, info: null })).toBeNull();
  });

  it("encodes ids that are not uuids", () => {
    expect(subjectHref({ type: "run", id: "a/b?c", info: null })).toBe("/runs/a%2Fb%3Fc");
  });

  it("reads as the current name, else a short id", () => {
    expect(subjectText({ type: "workflow", id, info: { name: "Refunds", exists: true } })).toBe(
      "Refunds",
    );
    expect(subjectText({ type: "workflow", id, info: { name: "", exists: false } })).toBe(
      "0b8c7a52",
    );
    expect(subjectText({ type: "flow", id: "quote-to-cash", info: null })).toBe("quote-to-cash");
  });

  it("filters the audit page to one subject's history", () => {
    expect(subjectHistoryHref({ type: "workflow", id })).toBe(
      `/audit?subjectType=workflow&subjectId=${id}`,
    );
  });
});
