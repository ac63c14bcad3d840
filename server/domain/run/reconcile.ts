/**
 * Reconciliation of a finished run against its compiled flow (issue 15): a pure function of the
 * run's IR, attempts, events and dead letters that lists what does not add up. It reads only
 * records (no store, no clock), so it is tested from hand-built records and run by the
 * background reconciler (`reconciler.ts`) after every run's end, off the request path.
 *
 * What is checked:
 * - every step is accounted for: in a succeeded run each step of the IR ended succeeded,
 *   skipped (with the reason the engine records in its `step.skipped` event) or failed under
 *   `on_error: continue`; in a compensated run each completed write with a `compensate:` block
 *   was undone; a dead letter belongs to a step whose last attempt failed. A failed or cancelled
 *   run may leave steps unreached: they are not findings.
 * - no unknown step: every attempt, event and dead letter names a step of the IR, a fan-out
 *   child of one (`<step>[<i>]`) or a compensation (`<step>~compensate`).
 * - outputs are valid against their contracts: the output of each succeeded attempt of a flow
 *   step against its step's output schema (`stepOutputSchemaOf`: the block's, or an agent
 *   step's literal `output`), with the project's one Ajv (`validatorFor`).
 * - one effect per side-effect attempt, as recorded by idempotency keys: no step has two
 *   succeeded side-effect attempts under different keys, and no key is used by two steps.
 */
import {
  stepOutputSchemaOf,
  validatorFor,
  type BlockDefinition,
  type CompiledValue,
  type FlowIR,
  type StepIR,
} from "@/dsl";
import type {
  AttemptRecord,
  DeadLetterRecord,
  RunEventRecord,
  RunRecord,
} from "@/server/engine/types";
import type { RunFinding } from "./ports";

export type { RunFinding } from "./ports";

/** The contract of a block version (`id`, full SemVer); undefined when the registry lacks it. */
export type ContractLookup = (
  blockId: string,
  version: string | undefined,
) => Pick<BlockDefinition, "kind" | "outputSchema" | "sideEffect"> | undefined;

/** What a run's reconciliation reads. */
export interface ReconcileInput {
  run: Pick<RunRecord, "id" | "status"> & { ir: Pick<FlowIR, "steps"> };
  attempts: readonly AttemptRecord[];
  events: readonly RunEventRecord[];
  /** False when the events were read up to a limit: missing skip reasons are then not findings. */
  eventsComplete: boolean;
  deadLetters: readonly DeadLetterRecord[];
  blocks: ContractLookup;
}

/** At most this many findings per run (a broken run does not write an unbounded list). */
export const MAX_FINDINGS = 100;
/** Schema errors kept per invalid output. */
const MAX_SCHEMA_ERRORS = 5;

const FAN_OUT_BLOCKS: ReadonlySet<string> = new Set(["control.foreach", "control.parallel"]);
const COMPENSATION_SUFFIX = "~compensate";

/**
 * The findings of a finished run; empty when it is clean.
 *
 * @example
 * reconcileRun({ run, attempts, events, eventsComplete: true, deadLetters: [], blocks });
 * // [] or [{ kind: "output_invalid", stepId: "update", detail: { errors: [...] } }]
 */
export function reconcileRun(input: ReconcileInput): RunFinding[] {
  const { run, attempts } = input;
  const steps = new Map(run.ir.steps.map((s) => [s.id, s]));
  const findings: RunFinding[] = [];
  const add = (f: RunFinding) => {
    if (findings.length < MAX_FINDINGS) findings.push(f);
  };

  // Unknown steps: attempts, events and dead letters naming nothing of the IR.
  const unknown = new Map<string, string[]>();
  const note = (stepId: string | null, where: string) => {
    if (stepId === null || knownStepId(stepId, steps)) return;
    const list = unknown.get(stepId) ?? [];
    if (!list.includes(where)) list.push(where);
    unknown.set(stepId, list);
  };
  for (const a of attempts) note(a.stepId, "attempt");
  for (const e of input.events) note(e.stepId, "event");
  for (const d of input.deadLetters) note(d.stepId, "dead letter");
  for (const [stepId, records] of unknown)
    add({ kind: "unknown_step", stepId, detail: { records } });

  const byStep = new Map<string, AttemptRecord[]>();
  for (const a of attempts) {
    const list = byStep.get(a.stepId) ?? [];
    list.push(a);
    byStep.set(a.stepId, list);
  }
  const last = (stepId: string): AttemptRecord | undefined =>
    byStep.get(stepId)?.reduce((a, b) => (b.attempt > a.attempt ? b : a));

  // Accounting: every step of a succeeded run settled; skips with their reason.
  const skipReasons = new Set(
    input.events
      .filter((e) => e.type === "step.skipped" && e.stepId !== null && hasReason(e.data))
      .map((e) => e.stepId!),
  );
  for (const step of run.ir.steps) {
    const final = last(step.id);
    if (run.status === "succeeded" && !accounted(step, final)) {
      add({
        kind: "step_unaccounted",
        stepId: step.id,
        detail: { status: final?.status ?? "missing", onError: step.onError, run: run.status },
      });
    }
    if (final?.status === "skipped" && input.eventsComplete && !skipReasons.has(step.id))
      add({ kind: "skip_unexplained", stepId: step.id, detail: {} });
    if (
      run.status === "compensated" &&
      final?.status === "succeeded" &&
      step.compensate &&
      step.block.sideEffect === "write" &&
      last(step.id + COMPENSATION_SUFFIX)?.status !== "succeeded"
    ) {
      add({
        kind: "compensation_missing",
        stepId: step.id,
        detail: {
          compensation: step.compensate.uses,
          status: last(step.id + COMPENSATION_SUFFIX)?.status ?? "missing",
        },
      });
    }
  }
  for (const d of input.deadLetters) {
    const final = last(d.stepId);
    if (final?.status !== "failed" && knownStepId(d.stepId, steps))
      add({
        kind: "dead_letter_mismatch",
        stepId: d.stepId,
        detail: { status: final?.status ?? "missing" },
      });
  }

  // Contracts: every succeeded attempt of a flow step against its step's output schema.
  for (const a of attempts) {
    if (a.status !== "succeeded") continue;
    const step = steps.get(a.stepId);
    if (!step || a.blockId !== step.block.id) continue;
    const errors = outputErrors(step, a.output, input.blocks);
    if (errors)
      add({ kind: "output_invalid", stepId: a.stepId, detail: { attempt: a.attempt, errors } });
  }

  // Effects: one succeeded side-effect attempt's key per step, one step per key.
  const stepsOfKey = new Map<string, Set<string>>();
  for (const [stepId, list] of byStep) {
    const effects = list.filter((a) => sideEffecting(a, steps, input.blocks));
    const keys = new Set(
      effects.filter((a) => a.status === "succeeded").map((a) => a.idempotencyKey),
    );
    if (keys.size > 1)
      add({
        kind: "duplicate_effect",
        stepId,
        detail: {
          keys: [...keys].sort(),
          attempts: effects.filter((a) => a.status === "succeeded").map((a) => a.attempt),
        },
      });
    for (const a of effects) {
      const owners = stepsOfKey.get(a.idempotencyKey) ?? new Set<string>();
      owners.add(stepId);
      stepsOfKey.set(a.idempotencyKey, owners);
    }
  }
  for (const [key, owners] of stepsOfKey) {
    if (owners.size > 1)
      add({ kind: "key_shared", stepId: null, detail: { key, steps: [...owners].sort() } });
  }
  return findings;
}

/**
 * Whether `stepId` is a step of the IR, a fan-out child of a fan-out step (`each[3]`), or the
 * compensation of a step that has one (`charge~compensate`, `each[3]~compensate`).
 */
export function knownStepId(stepId: string, steps: ReadonlyMap<string, StepIR>): boolean {
  const compensation = stepId.endsWith(COMPENSATION_SUFFIX);
  const id = compensation ? stepId.slice(0, -COMPENSATION_SUFFIX.length) : stepId;
  const base = id.replace(/(\[\d+\])+$/, "");
  const step = steps.get(base);
  if (!step) return false;
  if (base !== id) return FAN_OUT_BLOCKS.has(step.block.id);
  return compensation ? step.compensate !== undefined : true;
}

/** A settled final attempt of a succeeded run's step. */
function accounted(step: StepIR, final: AttemptRecord | undefined): boolean {
  if (!final) return false;
  if (final.status === "succeeded" || final.status === "skipped") return true;
  return final.status === "failed" && step.onError === "continue";
}

function hasReason(data: unknown): boolean {
  const reason = (data as { reason?: unknown } | null)?.reason;
  return typeof reason === "string" && reason.length > 0;
}

/** Whether an attempt is a side effect: its flow step's block, else its own block's contract. */
function sideEffecting(
  a: AttemptRecord,
  steps: ReadonlyMap<string, StepIR>,
  blocks: ContractLookup,
): boolean {
  const step = steps.get(a.stepId);
  if (step && step.block.id === a.blockId) return step.block.sideEffect !== "none";
  // A child or compensation: its block's newest contract; unknown blocks count as effects.
  return (blocks(a.blockId, undefined)?.sideEffect ?? "write") !== "none";
}

/** The schema errors of a step's output, or null when it is valid (or has no known contract). */
function outputErrors(
  step: StepIR,
  output: unknown,
  blocks: ContractLookup,
): Array<{ path: string; message: string }> | null {
  const block = blocks(step.block.id, step.block.version);
  if (!block) return null;
  const schema = stepOutputSchemaOf(block, literalValue(step.inputs.entries.output));
  if (!schema) return null;
  let validate: ReturnType<typeof validatorFor>;
  try {
    validate = validatorFor(schema);
  } catch {
    // A contract that does not compile was refused when the block was registered; nothing to
    // check the output against.
    return null;
  }
  if (validate(output)) return null;
  return (validate.errors ?? []).slice(0, MAX_SCHEMA_ERRORS).map((e) => ({
    path: e.instancePath || "/",
    message: e.message ?? "is invalid",
  }));
}

/** The value of a compiled input made of literals only; undefined when it holds an expression. */
export function literalValue(v: CompiledValue | undefined): unknown {
  if (!v) return undefined;
  switch (v.kind) {
    case "literal":
      return v.value;
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(v.entries)) {
        const value = literalValue(e);
        if (value === undefined) return undefined;
        out[k] = value;
      }
      return out;
    }
    case "array": {
      const out: unknown[] = [];
      for (const item of v.items) {
        const value = literalValue(item);
        if (value === undefined) return undefined;
        out.push(value);
      }
      return out;
    }
    default:
      return undefined;
  }
}
