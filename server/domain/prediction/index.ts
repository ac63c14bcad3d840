/**
 * Failure prediction (issue 17 item 4): the public surface other domains read (the run-start
 * gate, alerts, the API). See `README.md` in this folder for the features, the model, the
 * backtest, the leakage test and the gate rule.
 */
export { assessFlowRisk, assessRunRisk, highRiskFlows } from "./assess";
export { gateRule, GATE_MIN_AUC, GATE_MIN_LIFT } from "./backtest";
export { predictionQuality, type PredictionQuality } from "./quality";
export { riskGateDecision, type RiskGateDecision } from "./risk-gate";
export { startPredictionTrainer, trainWorkspaceModel } from "./train";
export type { HighRiskFlow, QualityFigures, RiskSource, RunRisk } from "./types";
