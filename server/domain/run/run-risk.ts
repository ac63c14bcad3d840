/**
 * The start gate's risk port (issue 17): a T0 run of a flow with `risk.max` is assessed by the
 * failure-prediction model (`../prediction`, `assessRunRisk`) before any step; the engine asks
 * for an approval when the risk is above the maximum and the model passed its backtest
 * (`server/engine/advance/trust-start.ts`). Draft runs have no saved version, so no history to
 * predict from: they are not assessed.
 */
import type { RunRecord } from "@/server/engine/types";
import type { RunRiskAssessment } from "@/server/engine/ports";
import { isDraftRun } from "@/server/engine/run-kind";
import { assessRunRisk, riskGateDecision } from "../prediction";
import type { Db } from "../types";

/**
 * The predicted risk of `run` (its saved version, inputs and start time), or null for a draft
 * run or a version that no longer exists.
 *
 * @example
 * const engine = new Engine({ ..., runRisk: (run) => runRiskOf(db, run) });
 */
export async function runRiskOf(db: Db, run: RunRecord): Promise<RunRiskAssessment | null> {
  if (!run.workflowId || !run.version || isDraftRun(run)) return null;
  const v = await db.workflowVersion.findFirst({
    where: { workflowId: run.workflowId, version: run.version },
    select: { id: true },
  });
  if (!v) return null;
  const r = await assessRunRisk(db, {
    workspaceId: run.workspaceId,
    workflowVersionId: v.id,
    inputs: run.inputs,
    at: run.createdAt,
  });
  const decision = riskGateDecision(run.ir, r);
  return {
    risk: r.risk,
    gateEnabled: r.gateEnabled,
    reasons: r.reasons,
    modelVersion: r.modelVersion,
    ask: decision.ask,
    why: decision.why,
  };
}
