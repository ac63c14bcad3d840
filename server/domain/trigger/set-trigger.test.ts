import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { AppError } from "../errors";
import { setFlowTrigger } from "./set-trigger";
import { exampleInputs } from "./workflow-triggers";

const TEMPLATE = `# Quote-to-cash
flow: q2c
version: 0.1.0 # bump on save
sla: T1

trigger:
  webhook:
    event: clm.contract.signed # from the CLM

inputs:
  contractId: { type: string }

steps:
  - id: contract
    uses: clm.contract.get@1
`;

describe("setFlowTrigger", () => {
  it("replaces a block trigger with one line, leaving every other line as it was", () => {
    const out = setFlowTrigger(TEMPLATE, { type: "schedule", cron: "0 9 * * 1-5" });
    expect(out).toBe(
      TEMPLATE.replace(
        "trigger:\n  webhook:\n    event: clm.contract.signed # from the CLM\n",
        'trigger: { schedule: { cron: "0 9 * * 1-5" } }\n',
      ),
    );
    expect(parse(out).trigger).toEqual({ schedule: { cron: "0 9 * * 1-5" } });
  });

  it("replaces a flow-style trigger and keeps its comment", () => {
    const text = "flow: a\nversion: 1.0.0\ntrigger: { manual: {} } # who\nsteps: []\n";
    expect(setFlowTrigger(text, { type: "webhook" })).toBe(
      "flow: a\nversion: 1.0.0\ntrigger: { webhook: {} } # who\nsteps: []\n",
    );
  });

  it("adds a trigger before the steps when there is none", () => {
    const text = "flow: a\nversion: 1.0.0\n\nsteps: []\n";
    const out = setFlowTrigger(text, { type: "schedule", cron: "*/5 * * * *" });
    expect(out).toBe(
      'flow: a\nversion: 1.0.0\n\ntrigger: { schedule: { cron: "*/5 * * * *" } }\n\nsteps: []\n',
    );
    expect(setFlowTrigger("flow: a\nversion: 1.0.0", { type: "manual" })).toBe(
      "flow: a\nversion: 1.0.0\ntrigger: { manual: {} }\n",
    );
  });

  it("refuses a draft it cannot edit safely, naming why, and changes nothing", () => {
    const cases: Array<[string, RegExp]> = [
      ["flow: a\n  bad: [\n", /not valid YAML/],
      ["{ flow: a, steps: [] }", /not a block mapping/],
      ["- a\n- b\n", /not a block mapping/],
      [`${"[".repeat(300)}${"]".repeat(300)}`, /nests too deeply/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        setFlowTrigger(text, { type: "manual" });
      } catch (e) {
        error = e;
      }
      expect(error, text.slice(0, 20)).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe("PRECONDITION_FAILED");
      expect((error as AppError).message).toMatch(message);
      expect((error as AppError).message).toMatch(/Fix it in the studio first/);
    }
  });
});

describe("exampleInputs", () => {
  it("takes each input's example, else its default, else an empty value when required", () => {
    expect(
      exampleInputs({
        type: "object",
        required: ["contractId", "amount", "ok", "tier"],
        properties: {
          contractId: { type: "string", examples: ["CTR-1001"] },
          currency: { type: "string", default: "EUR" },
          amount: { type: "number" },
          ok: { type: "boolean" },
          tier: { type: "string", enum: ["gold", "silver"] },
          note: { type: "string" },
        },
      }),
    ).toEqual({ contractId: "CTR-1001", currency: "EUR", amount: 0, ok: false, tier: "gold" });
    expect(exampleInputs({ type: "object" })).toEqual({});
  });
});
