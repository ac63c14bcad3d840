import { describe, expect, it } from "vitest";
import { searchWorkflows, stateLabel, triggerLabel, type WorkflowRow } from "./workflow-search";

const row = (over: Partial<WorkflowRow>): WorkflowRow =>
  ({
    id: over.name ?? "x",
    name: "x",
    description: "",
    createdAt: new Date(0),
    updatedAt: new Date(0),
    deletedAt: null,
    _count: { versions: 0 },
    state: "draft",
    latestVersion: null,
    trigger: { type: "manual" },
    lastRun: null,
    ...over,
  }) as WorkflowRow;

const LIST = [
  row({ name: "Quote to cash", trigger: { type: "webhook", event: "clm.contract.signed" } }),
  row({
    name: "Nightly sync",
    description: "Copies CRM deals to billing",
    trigger: { type: "schedule", cron: "0 2 * * *" },
    state: "changed",
    latestVersion: { version: "1.2.0", createdAt: new Date(0) },
  }),
  row({
    name: "Refund",
    lastRun: {
      id: "r",
      status: "succeeded",
      outcome: "succeeded_with_dead_letters",
      version: null,
      createdAt: new Date(0),
      finishedAt: null,
    },
  }),
];

describe("workflow search", () => {
  it("matches every word in the name, description, trigger, state or last run", () => {
    const names = (q: string) => searchWorkflows(LIST, q).map((w) => w.name);
    expect(names("")).toEqual(["Quote to cash", "Nightly sync", "Refund"]);
    expect(names("webhook")).toEqual(["Quote to cash"]);
    expect(names("SCHEDULE crm")).toEqual(["Nightly sync"]);
    expect(names("draft changes")).toEqual(["Nightly sync"]);
    expect(names("dead letters")).toEqual(["Refund"]);
    expect(names("manual")).toEqual(["Refund"]);
    expect(names("webhook refund")).toEqual([]);
  });

  it("words a trigger and a publish state", () => {
    expect(triggerLabel({ type: "schedule", cron: "*/5 * * * *" })).toBe("Schedule */5 * * * *");
    expect(triggerLabel({ type: "invalid", problem: "TF1001" })).toBe("Does not compile");
    expect(triggerLabel(null)).toBe("—");
    expect(stateLabel(LIST[1]!)).toBe("v1.2.0 + draft changes");
    expect(stateLabel(LIST[0]!)).toBe("draft");
  });
});
