/**
 * The risk gate's rule (pure), for the run-start gate: a run waits for an approval when its flow
 * is T0 and declares `risk: { max }` (`FlowIR.riskMax`), the workspace's model may gate (its
 * backtest passed `gateRule`), and the predicted risk is above the maximum. Otherwise the run
 * starts, and `why` says what was decided, for the ledger and the run view.
 */
import type { FlowIR } from "@/dsl";
import type { RunRisk } from "./types";

export interface RiskGateDecision {
  ask: boolean;
  why: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * @example
 * const risk = await assessRunRisk(db, { workspaceId, workflowVersionId, inputs, at: Date.now() });
 * if (riskGateDecision(ir, risk).ask) { ... park the run on an approval ... }
 */
export function riskGateDecision(
  ir: Pick<FlowIR, "sla" | "riskMax">,
  risk: Pick<RunRisk, "risk" | "gateEnabled" | "modelVersion">,
): RiskGateDecision {
  if (ir.riskMax === undefined) return { ask: false, why: "the flow declares no risk gate" };
  if (ir.sla !== "T0")
    return { ask: false, why: `the risk gate applies to T0 flows; this flow is ${ir.sla}` };
  if (!risk.gateEnabled)
    return {
      ask: false,
      why: `predicted risk ${pct(risk.risk)}: not reliable enough to gate (see the prediction quality)`,
    };
  return risk.risk > ir.riskMax
    ? {
        ask: true,
        why: `predicted risk ${pct(risk.risk)} is above the flow's maximum ${pct(ir.riskMax)} (model v${risk.modelVersion})`,
      }
    : {
        ask: false,
        why: `predicted risk ${pct(risk.risk)} is within the flow's maximum ${pct(ir.riskMax)}`,
      };
}
