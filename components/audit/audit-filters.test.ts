import { describe, expect, it } from "vitest";
import { exportHref, filtersFromParams, filtersQuery, NO_FILTERS } from "./audit-filters";

describe("audit filters", () => {
  it("round-trips through the URL, leaving out what is unset", () => {
    const f = { ...NO_FILTERS, action: "run.", subjectType: "run" };
    const q = filtersQuery(f);
    expect(q).toBe("action=run.&subjectType=run");
    expect(filtersFromParams(new URLSearchParams(q))).toEqual(f);
    expect(filtersQuery(NO_FILTERS)).toBe("");
  });

  it("trims values and ignores unknown parameters", () => {
    expect(filtersFromParams(new URLSearchParams("actor=%20ada%20&limit=9"))).toEqual({
      ...NO_FILTERS,
      actor: "ada",
    });
  });

  it("builds the export link with the format, the filters and the workspace", () => {
    expect(exportHref("csv", { ...NO_FILTERS, subjectType: "connector" }, "ws-1")).toBe(
      "/api/audit/export?format=csv&subjectType=connector&workspace=ws-1",
    );
    expect(exportHref("jsonl", NO_FILTERS, undefined)).toBe("/api/audit/export?format=jsonl");
  });
});
