import { describe, expect, it } from "vitest";
import { riskGateDecision } from "./risk-gate";

const risk = (r: number, gateEnabled = true) => ({ risk: r, gateEnabled, modelVersion: 3 });

describe("riskGateDecision", () => {
  it("asks for an approval only above the maximum of a T0 flow, with a model that may gate", () => {
    expect(riskGateDecision({ sla: "T0", riskMax: 0.3 }, risk(0.45))).toEqual({
      ask: true,
      why: "predicted risk 45.0 % is above the flow's maximum 30.0 % (model v3)",
    });
    expect(riskGateDecision({ sla: "T0", riskMax: 0.3 }, risk(0.3)).ask).toBe(false);
    expect(riskGateDecision({ sla: "T0", riskMax: 0.3 }, risk(0.1)).why).toMatch(/within/);
  });

  it("never gates on a model that failed its backtest, a non-T0 flow or a flow without the field", () => {
    expect(riskGateDecision({ sla: "T0", riskMax: 0.3 }, risk(0.9, false))).toEqual({
      ask: false,
      why: "predicted risk 90.0 %: not reliable enough to gate (see the prediction quality)",
    });
    expect(riskGateDecision({ sla: "T1", riskMax: 0.3 }, risk(0.9)).why).toMatch(/T0 flows/);
    expect(riskGateDecision({ sla: "T0" }, risk(0.9)).ask).toBe(false);
  });
});
