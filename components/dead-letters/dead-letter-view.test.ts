import { describe, expect, it } from "vitest";
import {
  DEFAULT_FILTERS,
  DEFAULT_REPROCESS_FORM,
  filterOf,
  filterText,
  jobActions,
  listInputOf,
  matchingProblem,
  progressPercent,
  progressText,
  reprocessInputOf,
  reprocessProblems,
  reprocessSummary,
} from "./dead-letter-view";

const WF = "00000000-0000-4000-8000-000000000001";

describe("filters", () => {
  it("sends only what is set, trimmed, with times as ISO", () => {
    expect(listInputOf(DEFAULT_FILTERS, 25)).toEqual({ status: "open", limit: 25 });
    const f = {
      ...DEFAULT_FILTERS,
      workflowId: WF,
      connector: " crm ",
      errorClass: "TimeoutError",
      block: "",
      from: "2026-12-05T10:00",
      status: "" as const,
    };
    const input = listInputOf(f, 25, "c");
    expect(input).toMatchObject({
      workflowId: WF,
      connector: "crm",
      errorClass: "TimeoutError",
      limit: 25,
      cursor: "c",
    });
    expect(input).not.toHaveProperty("status");
    expect(input).not.toHaveProperty("block");
    expect(new Date(input.from!).getTime()).toBe(new Date("2026-12-05T10:00").getTime());
    expect(filterOf({ ...f, to: "not a time" })).not.toHaveProperty("to");
  });

  it("reprocesses every match only from the open dead letters", () => {
    expect(matchingProblem(DEFAULT_FILTERS)).toBeNull();
    expect(matchingProblem({ ...DEFAULT_FILTERS, status: "" })).toMatch(/Status: open/);
  });

  it("says the filter in words", () => {
    expect(filterText({}, () => undefined)).toMatch(/every open dead letter/);
    expect(
      filterText({ workflowId: WF, connector: "crm" }, (id) => (id === WF ? "Billing" : undefined)),
    ).toBe("flow Billing, connector crm");
  });
});

describe("reprocess form", () => {
  it("checks the canary and the rate before sending", () => {
    expect(reprocessProblems(DEFAULT_REPROCESS_FORM)).toEqual({});
    expect(reprocessProblems({ ...DEFAULT_REPROCESS_FORM, canary: "-1" })).toHaveProperty("canary");
    expect(reprocessProblems({ ...DEFAULT_REPROCESS_FORM, canary: "51" })).toHaveProperty("canary");
    expect(reprocessProblems({ ...DEFAULT_REPROCESS_FORM, ratePerMinute: "0" })).toHaveProperty(
      "ratePerMinute",
    );
    expect(reprocessProblems({ ...DEFAULT_REPROCESS_FORM, ratePerMinute: "2.5" })).toHaveProperty(
      "ratePerMinute",
    );
  });

  it("sends the ids or the filter with the pace, and summarises what the approvers decide", () => {
    expect(reprocessInputOf({ ids: ["a"] }, { ...DEFAULT_REPROCESS_FORM, canary: "0" })).toEqual({
      ids: ["a"],
      canary: 0,
      ratePerMinute: 60,
      stopOnFailure: true,
    });
    expect(
      reprocessInputOf({ filter: { connector: "crm" } }, DEFAULT_REPROCESS_FORM),
    ).toMatchObject({ filter: { connector: "crm" }, canary: 1 });
    const lines = reprocessSummary("3 selected dead letters", {
      canary: 1,
      ratePerMinute: 30,
      stopOnFailure: false,
    });
    expect(lines[0]).toBe("3 selected dead letters");
    expect(lines.join("\n")).toMatch(/first 1 alone/);
    expect(lines.join("\n")).toMatch(/at most 30 started per minute/);
    expect(lines.join("\n")).toMatch(/does not stop the job/);
  });
});

describe("jobs", () => {
  it("words a job's progress", () => {
    const p = { total: 10, done: 3, succeeded: 2, failed: 1, skipped: 0, running: 1, pending: 6 };
    expect(progressText(p)).toBe("3 of 10 done: 2 succeeded, 1 failed, 0 skipped; 1 running");
    expect(progressPercent(p)).toBe(30);
    expect(progressPercent({ done: 0, total: 0 })).toBe(0);
  });

  it("offers what a job's state allows", () => {
    expect(jobActions("running")).toEqual(["pause", "cancel"]);
    expect(jobActions("paused")).toEqual(["resume", "cancel"]);
    expect(jobActions("pending-approval")).toEqual(["cancel"]);
    expect(jobActions("completed")).toEqual([]);
  });
});
