/**
 * Trust gates at run time. The compiler records each step's trust score and minimum in the IR
 * (`StepIR.trust`, `trustMin`, `trustBelow`) and the flow's (`FlowIR.trust`, `trustMin`,
 * `trustBelow`); those scores are the blocks' baselines. At a run's start the engine checks the
 * gates again on the scores earned from run history ({@link EarnedTrustLookup}, issue 17): a
 * block with enough history (n ≥ 20) is judged on its earned score, any other on the IR's.
 *
 * A gate under its minimum either halts (`below: halt`, the default: the run fails before any
 * step, so before any side effect) or asks for an approval (`below: approval`): the compiler
 * adds a `human.approval` step that every other step waits for whenever a flow declares such a
 * gate (`FlowIR.trustGate`), so the engine's ordinary park/resume machinery is the wait point;
 * the check decides whether it waits or passes. The IR is never rewritten: the scores used are
 * recorded with the run (`run.trust_checked`) and, when a gate holds the run, in the ledger.
 */
import type { FlowIR, StepIR } from "@/dsl";
import { TrustError } from "./errors";
import type { EarnedTrust, EarnedTrustLookup, RunRiskAssessment } from "./ports";

/** Whether `step` may run past its trust minimum because the flow's approval gate covers it. */
export function gatedByApproval(ir: FlowIR, step: StepIR): boolean {
  return step.trustBelow === "approval" && typeof ir.trustGate === "string";
}

/** A score a check used: earned from run history, or the IR's (the baseline). */
export interface UsedScore {
  score: number;
  source: "earned" | "baseline";
  /** Decayed attempts behind an earned score (null for a baseline). */
  n: number | null;
  /** The earned score's credible interval (null for a baseline). */
  interval: { low: number; high: number; mass: number } | null;
}

/** A gate under its minimum. */
export interface TrustShortfall extends UsedScore {
  /** `flow`, or the step's id. */
  entity: string;
  /** The step whose score it is (for the flow: its lowest step). */
  stepId: string;
  /** The step's block, `id@version`. */
  block: string;
  min: number;
  below: "halt" | "approval";
}

/** What a run's trust check found. */
export interface TrustCheck {
  /** `halt` when any halting gate is short (or an approval gate has no wait point). */
  decision: "clear" | "approval" | "halt";
  /** Whether any earned score was used (else every score is the IR's). */
  earned: boolean;
  /** The flow's score: its lowest step's. */
  flow: UsedScore & { stepId: string | null; min: number | null };
  /** The scores of the steps with a minimum, by step id. */
  steps: Record<string, UsedScore & { min: number }>;
  shortfalls: TrustShortfall[];
  /** A T0 flow's risk gate (`risk.max`): the prediction and whether it asks for an approval. */
  risk?: RunRiskAssessment & { max: number; above: boolean };
}

/** Whether a T0 flow's runs are gated on their predicted risk (`risk.max`). */
export function hasRiskGate(ir: FlowIR): boolean {
  return ir.riskMax !== undefined && ir.sla === "T0";
}

/** Whether `ir` has any start gate: a trust minimum or a risk maximum (else no check at all). */
export function hasTrustGates(ir: FlowIR): boolean {
  return ir.trustMin !== null || ir.steps.some((s) => s.trustMin !== null) || hasRiskGate(ir);
}

function used(step: StepIR, earned: EarnedTrustLookup | undefined): UsedScore {
  const e: EarnedTrust | undefined = earned?.(step.block);
  if (e) return { score: e.score, source: "earned", n: e.n, interval: e.interval };
  return { score: step.trust, source: "baseline", n: null, interval: null };
}

/**
 * Checks the trust gates of `ir` on `earned` scores where a block has them, the IR's elsewhere.
 * Pure. Halting shortfalls win over approval ones; an approval shortfall without a compiled wait
 * point (an IR from an older compiler) halts, failing closed.
 *
 * @example
 * checkTrust(ir, (b) => (b.id === "crm.deal.update" ? { score: 0.41, n: 57, interval } : undefined));
 * // { decision: "halt", shortfalls: [{ entity: "charge", score: 0.41, source: "earned", n: 57, min: 0.8, ... }] }
 */
export function checkTrust(
  ir: FlowIR,
  earned?: EarnedTrustLookup,
  risk?: RunRiskAssessment | null,
): TrustCheck {
  const scores = new Map<string, UsedScore>();
  let lowest: StepIR | null = null;
  for (const s of ir.steps) {
    if (s.id === ir.trustGate) continue;
    const u = used(s, earned);
    scores.set(s.id, u);
    if (!lowest || u.score < scores.get(lowest.id)!.score) lowest = s;
  }
  const shortfalls: TrustShortfall[] = [];
  const short = (entity: string, s: StepIR, min: number, below: "halt" | "approval") => {
    const u = scores.get(s.id)!;
    shortfalls.push({ entity, stepId: s.id, block: blockKey(s), min, below, ...u });
  };
  const flowUsed = lowest ? scores.get(lowest.id)! : baselineOne;
  if (ir.trustMin !== null && lowest && flowUsed.score < ir.trustMin)
    short("flow", lowest, ir.trustMin, ir.trustBelow === "approval" ? "approval" : "halt");
  const steps: TrustCheck["steps"] = {};
  for (const s of ir.steps) {
    const u = scores.get(s.id);
    if (s.trustMin === null || !u) continue;
    steps[s.id] = { ...u, min: s.trustMin };
    if (u.score < s.trustMin) short(s.id, s, s.trustMin, s.trustBelow ?? "halt");
  }
  const waits = typeof ir.trustGate === "string";
  // The risk gate: the prediction domain decides (`riskGateDecision`: T0, model may gate, risk
  // above the maximum); the engine asks only where the flow has the gate.
  const riskGate =
    risk && hasRiskGate(ir) ? { ...risk, max: ir.riskMax!, above: risk.ask } : undefined;
  const asks = shortfalls.length > 0 || riskGate?.above === true;
  const decision =
    shortfalls.some((f) => f.below === "halt") || (asks && !waits)
      ? "halt"
      : asks
        ? "approval"
        : "clear";
  const check: TrustCheck = {
    decision,
    earned: [...scores.values()].some((u) => u.source === "earned"),
    flow: { ...flowUsed, stepId: lowest?.id ?? null, min: ir.trustMin },
    steps,
    shortfalls,
  };
  if (riskGate) check.risk = riskGate;
  return check;
}

/** The risk gate in words, when it asks. */
function describeRisk(check: TrustCheck): string[] {
  const r = check.risk;
  if (!r?.above) return [];
  const why = r.reasons.length ? ` (${r.reasons.slice(0, 3).join("; ")})` : "";
  return [`${r.why}${why}`];
}

const baselineOne: UsedScore = { score: 1, source: "baseline", n: null, interval: null };

function blockKey(s: StepIR): string {
  return `${s.block.id}@${s.block.version}`;
}

/** One shortfall in words: entity, score (with its interval and n when earned) and minimum. */
export function describeShortfall(f: TrustShortfall): string {
  const earned =
    f.source === "earned" && f.interval
      ? `earned from run history: ${Math.round(f.interval.mass * 100)}% interval ${f.interval.low}–${f.interval.high}, n = ${Math.round((f.n ?? 0) * 10) / 10}, block ${f.block}`
      : "";
  if (f.entity === "flow")
    return `flow trust ${f.score}${earned ? ` (lowest step ${f.stepId}; ${earned})` : ""} is below its minimum ${f.min}`;
  return `step ${f.entity} has trust ${f.score}${earned ? ` (${earned})` : ""}, below its minimum ${f.min}`;
}

/** The shortfalls in words, a step's left out when the flow's names it with the same minimum. */
function describeAll(shortfalls: TrustShortfall[], extra: string[] = []): string {
  const flow = shortfalls.find((f) => f.entity === "flow");
  return [
    ...shortfalls
      .filter((f) => !(flow && f !== flow && f.stepId === flow.stepId && f.min === flow.min))
      .map(describeShortfall),
    ...extra,
  ].join("; ");
}

/** The error a halting check fails the run with, or null when the run may start. */
export function trustCheckError(check: TrustCheck): TrustError | null {
  if (check.decision !== "halt") return null;
  const halting = check.shortfalls.filter((f) => f.below === "halt");
  const parts = halting.length
    ? describeAll(halting)
    : describeAll(check.shortfalls, describeRisk(check));
  const noGate = halting.length
    ? ""
    : " (an approval gate without its wait point: recompile the flow)";
  return new TrustError(`trust gate halted the run before any step: ${parts}${noGate}`, {
    detail: {
      flow: { trust: check.flow.score, min: check.flow.min, source: check.flow.source },
      steps: check.shortfalls
        .filter((f) => f.entity !== "flow")
        .map((f) => ({ id: f.entity, trust: f.score, min: f.min, n: f.n, interval: f.interval })),
      shortfalls: check.shortfalls,
    },
  });
}

/** The approval's message for a check that asks for one. */
export function approvalMessage(check: TrustCheck): string {
  return `Trust gate: ${describeAll(check.shortfalls, describeRisk(check))}. Approve to run this flow anyway.`;
}

/**
 * The halting trust gates of `ir` under their minimum on the IR's own scores, as one
 * {@link TrustError}, or null. A compile refuses such flows (`TF3040`/`TF3041` are errors for
 * halting gates); the engine checks again, since a flow may have been compiled with other scores
 * or an older compiler.
 *
 * @example
 * const halt = trustHalt(run.ir);
 * if (halt) return finishRun("failed", null, toErrorInfo(halt));
 */
export function trustHalt(ir: FlowIR): TrustError | null {
  return trustCheckError(checkTrust(ir));
}
