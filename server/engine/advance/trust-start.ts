/**
 * The trust check at a run's start (issue 17): the flow's gates checked on the scores earned
 * from run history (`EngineDeps.earnedTrust`, a cached lookup), before any step runs. Every start
 * path (studio, REST, webhook, schedule, sub-flow, replay) reaches it, since each run's first
 * advance does. Sandbox runs use the IR's baseline scores: they run against mocks, and the
 * workspace's history says nothing about them.
 *
 * A halting shortfall fails the run with a `TrustError` naming each entity, score, interval, n
 * and minimum; an approval shortfall lets the flow's compiled gate (`FlowIR.trustGate`, a
 * `human.approval`) park the run with a message saying why (the four-eyes guard refuses the
 * starter); a clear check passes the gate at once. The scores used are recorded with the run
 * (`run.trust_checked`) and a gate that holds the run is written to the ledger
 * (`run.trust_gate`).
 */
import { toErrorInfo } from "../errors";
import type { Node } from "../graph";
import {
  checkTrust,
  hasRiskGate,
  hasTrustGates,
  trustCheckError,
  type TrustCheck,
} from "../trust-gate";
import type { AdvanceContext } from "./context";
import { settle } from "./outcomes";
import { finishRun } from "./run-end";
import type { RunStatus } from "../types";

/**
 * Checks the run's trust gates when its flow has any: at a fresh start, or when the approval
 * gate has not been decided yet. Returns the run's final status when the check halted it.
 */
export async function checkTrustAtStart(
  ctx: AdvanceContext,
  fresh: boolean,
): Promise<RunStatus | undefined> {
  const ir = ctx.ir;
  if (!hasTrustGates(ir)) return undefined;
  const gate = ir.trustGate ? ctx.nodes.get(ir.trustGate) : undefined;
  if (!fresh && !(gate && gate.attempt === 0 && !gate.row)) return undefined;
  const sandbox = ctx.run.sandboxSessionId != null || ir.sandboxOnly;
  const lookup =
    sandbox || !ctx.deps.earnedTrust
      ? undefined
      : await ctx.deps.earnedTrust(ctx.run.workspaceId, ctx.run.workflowId);
  // A T0 flow with `risk.max`: the run's predicted risk (never for sandbox runs).
  const risk =
    hasRiskGate(ir) && !sandbox && ctx.deps.runRisk ? await ctx.deps.runRisk(ctx.run) : null;
  const check = checkTrust(ir, lookup, risk);
  ctx.trustCheck = check;
  ctx.event({ type: "run.trust_checked", key: "run.trust_checked", data: checkData(check) });
  if (check.decision !== "clear")
    await ctx.deps.audit.record(ctx.run, {
      action: "run.trust_gate",
      payload: {
        runId: ctx.run.id,
        flow: ir.name,
        irHash: ir.hash,
        decision: check.decision,
        shortfalls: check.shortfalls,
        ...(check.risk ? { risk: check.risk } : {}),
      },
    });
  const halt = fresh ? trustCheckError(check) : null;
  if (!halt) return undefined;
  ctx.event({ type: "run.trust_halted", key: "run.trust_halted", data: halt.detail ?? {} });
  return finishRun(ctx, "failed", null, toErrorInfo(halt));
}

function checkData(check: TrustCheck): Record<string, unknown> {
  return {
    decision: check.decision,
    earned: check.earned,
    flow: check.flow,
    steps: check.steps,
    shortfalls: check.shortfalls,
    ...(check.risk ? { risk: check.risk } : {}),
  };
}

/**
 * Passes the flow's approval gate without a person when the start's check found every score at
 * or above its minimum: the gate succeeds inline (buffered like a pure step) and the run goes on.
 * True when handled.
 */
export function passTrustGate(ctx: AdvanceContext, n: Node): boolean {
  const check = ctx.trustCheck;
  if (!check || check.decision !== "clear" || n.id !== ctx.ir.trustGate || n.attempt !== 0)
    return false;
  const now = ctx.now;
  const output = {
    approved: true,
    needed: false,
    decidedBy: [],
    reason: "every trust score meets its minimum",
  };
  n.status = "succeeded";
  n.attempt = 1;
  n.output = output;
  ctx.bufferAttempts.push(ctx.completedRow(n, 1, "succeeded", {}, output, null, now));
  ctx.event({
    type: "step.succeeded",
    stepId: n.id,
    key: `ok:${n.id}:1`,
    data: { attempt: 1, trustGate: "passed" },
  });
  settle(ctx, n);
  return true;
}
