/**
 * The records the engine writes for a clean run, as the fast path (`history-fastpath.ts`)
 * builds them: attempt rows, events (with the engine's keys and data), and each step's plan
 * (its needs, references, runtime kind and breaker), computed once per compiled flow.
 */
import { compileCel, evaluate, type CompiledExpr, type FlowIR, type StepIR } from "@/dsl";
import { buildContext, referencedSteps, type ContextSource } from "@/server/engine/context";
import type { RuntimeRegistry, RuntimeServices } from "@/server/engine/ports";
import type { AttemptRecord, NewEvent } from "@/server/engine/types";
import { BEHAVIOUR, HISTORY_WORKER } from "./history-plan";

/** An attempt row of the history's worker, as the engine's `completedRow` makes it. */
export function attemptRow(
  runId: string,
  stepId: string,
  blockId: string,
  status: AttemptRecord["status"],
  inputs: unknown,
  output: unknown,
  startedAt: number,
  finishedAt: number | null,
): AttemptRecord {
  return {
    runId,
    stepId,
    attempt: 1,
    status,
    blockId,
    inputs,
    output,
    error: null,
    classification: null,
    idempotencyKey: `${runId}:${stepId}`,
    consentId: null,
    startedAt,
    finishedAt,
    durationMs: finishedAt === null ? null : finishedAt - startedAt,
    retryAt: null,
    finishSeq: null,
    workerId: HISTORY_WORKER,
  };
}

/** The engine's events of a first attempt (keys and data as `attempts.ts`/`outcomes.ts`). */
export const events = {
  started: (stepId: string, at: number): NewEvent => ({
    type: "step.started",
    stepId,
    key: `start:${stepId}:1`,
    data: { attempt: 1, recovered: false },
    at,
  }),
  succeeded: (stepId: string, at: number, durationMs?: number): NewEvent => ({
    type: "step.succeeded",
    stepId,
    key: `ok:${stepId}:1`,
    data: durationMs === undefined ? { attempt: 1 } : { attempt: 1, durationMs },
    at,
  }),
  skipped: (stepId: string, reason: string, at: number): NewEvent => ({
    type: "step.skipped",
    stepId,
    key: `skip:${stepId}`,
    data: { reason },
    at,
  }),
  run: (type: "run.started" | "run.succeeded", data: unknown, at: number): NewEvent => ({
    type,
    key: type,
    data,
    at,
  }),
};

/** A branch of a `control.parallel` step: its block and compiled inputs. */
export interface BranchPlan {
  blockId: string;
  with: StepIR["inputs"] | undefined;
  refs: ReturnType<typeof referencedSteps>;
}

/** What the fast path needs of a step, computed once per compiled flow. */
export interface StepPlan {
  step: StepIR;
  needs: number[];
  refs: ReturnType<typeof referencedSteps>;
  kind: "pure" | "call" | "parallel";
  /** `control.parallel`: its branches; the parent's inputs without them. */
  branches?: BranchPlan[];
  parentInputs?: StepIR["inputs"];
}

const plans = new WeakMap<FlowIR, StepPlan[] | null>();

/** The steps' plans of a flow, or null when a step is of a shape the fast path leaves alone. */
export function planOf(ir: FlowIR, runtimes: RuntimeRegistry): StepPlan[] | null {
  if (plans.has(ir)) return plans.get(ir)!;
  const index = new Map(ir.steps.map((s, i) => [s.id, i]));
  let out: StepPlan[] | null = [];
  for (const step of ir.steps) {
    const rt = runtimes.get(step.block.id);
    const base = {
      step,
      needs: step.needs.map((id) => index.get(id)!),
      refs: referencedSteps([step.inputs, step.condition]),
    };
    if (rt?.fanout === "parallel") {
      const { branches, ...rest } = step.inputs.entries;
      const list: BranchPlan[] = [];
      for (const b of branches?.kind === "array" ? branches.items : []) {
        const uses = b.kind === "object" ? b.entries.uses : undefined;
        const blockId = uses?.kind === "literal" ? String(uses.value).split("@")[0]! : "";
        if (!(blockId in BEHAVIOUR) || b.kind !== "object") list.length = 0;
        else {
          const w = b.entries.with as StepIR["inputs"] | undefined;
          list.push({ blockId, with: w, refs: referencedSteps([w]) });
        }
      }
      if (list.length === 0) out = null;
      else
        out?.push({
          ...base,
          kind: "parallel",
          branches: list,
          parentInputs: { kind: "object", entries: rest },
        });
    } else if (rt?.pure && step.block.sideEffect === "none") out?.push({ ...base, kind: "pure" });
    else if (step.block.id in BEHAVIOUR) out?.push({ ...base, kind: "call" });
    else out = null;
    if (!out) break;
  }
  plans.set(ir, out);
  return out;
}

const cel = new Map<string, CompiledExpr | null>();

/** The services a pure runtime uses: CEL over the run's context (compiled once per source). */
export function pureServices(src: ContextSource): RuntimeServices {
  return {
    now: () => 0,
    evaluate: (source) => {
      let compiled = cel.get(source);
      if (compiled === undefined) cel.set(source, (compiled = compileCel(source) ?? null));
      if (!compiled) throw new Error(`invalid CEL expression \`${source}\``);
      return evaluate(compiled, buildContext(src, referencedSteps([compiled])));
    },
    stepStatus: () => "pending",
    startChildRun: () => Promise.reject(new Error("no sub-flows in the demo history")),
  };
}
