/**
 * Trust gates at run time. The compiler records each step's trust score and minimum in the IR
 * (`StepIR.trust`, `trustMin`, `trustBelow`) and the flow's (`FlowIR.trust`, `trustMin`,
 * `trustBelow`). A gate under its minimum either halts (`below: halt`, the default) or asks for
 * an approval (`below: approval`): the compiler then adds a `human.approval` step that every
 * other step waits for (`FlowIR.trustGate`), so the engine's ordinary park/resume machinery is
 * the wait point. This module finds the halting gates, which the engine enforces at the run's
 * start, before any step (and so any side effect) runs.
 */
import type { FlowIR, StepIR } from "@/dsl";
import { TrustError } from "./errors";

/** Whether `step` may run past its trust minimum because the flow's approval gate covers it. */
export function gatedByApproval(ir: FlowIR, step: StepIR): boolean {
  return step.trustBelow === "approval" && typeof ir.trustGate === "string";
}

/** A step under its trust minimum, as `{ id, trust, min }`. */
interface Shortfall {
  id: string;
  trust: number;
  min: number;
}

/**
 * The halting trust gates of `ir` that are under their minimum, as one {@link TrustError}, or
 * null when the run may start. A compile refuses such flows (`TF3040`/`TF3041` are errors for
 * halting gates); the engine checks again, since a flow may have been compiled with other scores
 * or an older compiler.
 *
 * @example
 * const halt = trustHalt(run.ir);
 * if (halt) return finishRun("failed", null, toErrorInfo(halt));
 */
export function trustHalt(ir: FlowIR): TrustError | null {
  const steps: Shortfall[] = [];
  for (const s of ir.steps) {
    if (s.trustMin === null || !(s.trust < s.trustMin) || gatedByApproval(ir, s)) continue;
    steps.push({ id: s.id, trust: s.trust, min: s.trustMin });
  }
  const flowGateHalts =
    ir.trustMin !== null &&
    ir.trust < ir.trustMin &&
    !(ir.trustBelow === "approval" && typeof ir.trustGate === "string");
  if (!steps.length && !flowGateHalts) return null;
  const parts = steps.map((s) => `step ${s.id} has trust ${s.trust}, below its minimum ${s.min}`);
  if (flowGateHalts) parts.unshift(`flow trust ${ir.trust} is below its minimum ${ir.trustMin}`);
  return new TrustError(`trust gate halted the run before any step: ${parts.join("; ")}`, {
    detail: { flow: { trust: ir.trust, min: ir.trustMin }, steps },
  });
}
