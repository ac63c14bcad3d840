/**
 * The plan of a replay (pure): which steps of the target flow version reuse the recorded output
 * of the source run, which are executed again and which are expected to be skipped, with each
 * step's side effect and idempotency key, the edited inputs (an RFC 6902 patch) and a hash over
 * the canonical plan. A replay's approval is bound to that hash: any change of version, patch
 * or steps gives another hash and voids it.
 *
 * Modes:
 * - `resume`: the failed (or dead-lettered) steps, everything downstream of them, and every step
 *   that did not succeed are executed; what succeeded before is reused.
 * - `from-step`: the chosen step and everything downstream are executed; upstream is reused.
 * - `full`: everything is executed again.
 *
 * In every mode a completed write (`sideEffect: write` that succeeded in the source) is never
 * done again unless `redo` names it: it is reused instead (its output carried over), or the
 * plan is refused when its output cannot be carried to the target version. A step in `redo`
 * (and the chosen step of `from-step`) is listed as `execute` with `redoesSideEffect: true` and
 * a fresh idempotency key, so the remote system does it again.
 *
 * Idempotency keys: a step executed again keeps its recorded key (a write that happened before
 * its answer was lost is deduplicated, not repeated) unless its request may differ (another
 * block, other `with:`, edited inputs, a compensated write): then a key derived from the plan.
 */
import { applyPatch, type Operation } from "rfc6902";
import {
  canonicalJson,
  sha256Hex,
  validatorFor,
  type FlowIR,
  type JsonSchema,
  type SideEffect,
  type StepIR,
} from "@/dsl";
import type { ReusedStep } from "@/server/engine/replay";
import type { AttemptRecord, RunStatus } from "@/server/engine/types";
import { AppError } from "../errors";
import { ZInputsPatch, type PatchOperation } from "./schemas";

export type ReplayMode = "resume" | "from-step" | "full";

/** The run replayed, as the plan reads it. */
export interface ReplaySource {
  id: string;
  status: RunStatus;
  version: string | null;
  ir: FlowIR;
  inputs: Record<string, unknown>;
}

/** The flow version the replay runs. */
export interface ReplayTarget {
  version: string | null;
  ir: FlowIR;
  /** The output schema of a step of `ir` (its block's, or an agent step's own), if known. */
  outputSchemaOf?: (step: StepIR) => JsonSchema | undefined;
}

export interface ReplayOptions {
  mode: ReplayMode;
  fromStep?: string;
  inputsPatch?: PatchOperation[];
  /** Completed write steps to do again, explicitly. */
  redo?: string[];
}

export type PlannedAction = "reuse" | "execute" | "skip";

export interface PlannedStep {
  id: string;
  /** `id@version` of the target's block. */
  block: string;
  action: PlannedAction;
  sideEffect: SideEffect;
  idempotencyKey: string;
  /** Why this action (always set when the step is not simply reused or re-executed). */
  reason: string | null;
  /** Executed although it completed a write in the source run (named in `redo`). */
  redoesSideEffect: boolean;
  /** The recorded attempt a reused step's output comes from. */
  reusedFrom: { runId: string; attempt: number } | null;
}

export interface ReplayPlan {
  mode: ReplayMode;
  sourceRunId: string;
  fromStep: string | null;
  /** The target version (`1.4.0`), or null/`draft` for a draft. */
  version: string | null;
  irHash: string;
  inputsPatch: PatchOperation[];
  /** The replay's inputs: the source's with the patch applied. */
  inputs: Record<string, unknown>;
  redo: string[];
  steps: PlannedStep[];
  warnings: string[];
  /** SHA-256 of the canonical plan without `hash`. */
  hash: string;
}

const invalid = (message: string, field: string, details: Record<string, unknown> = {}) =>
  new AppError("INVALID_INPUT", { message, details: { field, ...details } });

/** The source's inputs with the patch applied and checked against the target's input schema. */
export function patchedInputs(
  inputs: Record<string, unknown>,
  patch: unknown,
  schema: JsonSchema,
): Record<string, unknown> {
  const parsed = ZInputsPatch.safeParse(patch);
  if (!parsed.success)
    throw invalid(
      `The inputs patch is not an RFC 6902 patch: ${parsed.error.issues[0]?.message ?? "invalid"}.`,
      "inputsPatch",
    );
  const doc = structuredClone(inputs);
  const errors = applyPatch(doc, parsed.data as Operation[]);
  const i = errors.findIndex((e) => e !== null);
  if (i >= 0)
    throw invalid(
      `Patch operation ${i + 1} (${parsed.data[i]!.op} ${parsed.data[i]!.path}) cannot be applied: ${errors[i]!.message}.`,
      "inputsPatch",
      { operation: i },
    );
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw invalid("The patched inputs must stay an object.", "inputsPatch");
  const validate = validatorFor(schema);
  if (!validate(doc)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || "inputs"} ${e.message ?? "is invalid"}`);
    throw invalid(
      `The patched inputs do not match the flow's inputs: ${problems.join("; ")}.`,
      "inputsPatch",
    );
  }
  return doc;
}

/** The latest attempt of each flow step and the steps whose write was compensated. */
function latestAttempts(attempts: AttemptRecord[]) {
  const latest = new Map<string, AttemptRecord>();
  const compensated = new Set<string>();
  for (const a of attempts) {
    if (a.stepId.endsWith("~compensate")) {
      if (a.status === "succeeded") compensated.add(a.stepId.slice(0, -"~compensate".length));
      continue;
    }
    const prev = latest.get(a.stepId);
    if (!prev || a.attempt > prev.attempt) latest.set(a.stepId, a);
  }
  return { latest, compensated };
}

/** `ids` and every step of `ir` downstream of them. */
function downstream(ir: FlowIR, ids: Set<string>): Set<string> {
  const out = new Set(ids);
  // Steps are in topological order: one pass sees every need before its dependents.
  for (const s of ir.steps) if (s.needs.some((n) => out.has(n))) out.add(s.id);
  return out;
}

/** Why `recorded` cannot be carried to `step` of the target, or null when it can. */
function carryRefusal(
  step: StepIR,
  source: StepIR | undefined,
  recorded: AttemptRecord,
  target: ReplayTarget,
): string | null {
  if (!source) return null;
  if (source.block.id !== step.block.id || source.block.major !== step.block.major)
    return `the step runs ${step.block.id}@${step.block.major} in this version, not ${source.block.id}@${source.block.major}`;
  if (source.block.version === step.block.version) return null;
  const schema = target.outputSchemaOf?.(step);
  if (!schema) return null;
  const validate = validatorFor(schema);
  if (validate(recorded.output)) return null;
  const e = validate.errors?.[0];
  return `its recorded output does not match the output schema of ${step.block.id}@${step.block.version} (${e?.instancePath || "output"} ${e?.message ?? "is invalid"})`;
}

const short = (v: unknown) => sha256Hex(canonicalJson(v)).slice(0, 12);

/**
 * Plans a replay of `source` (its recorded `attempts`) on `target`. Throws an `AppError` when the
 * replay cannot be planned: nothing to resume, an unknown step, an invalid patch, or a completed
 * write that can neither be reused nor, without `redo`, done again.
 */
export function planReplay(
  source: ReplaySource,
  attempts: AttemptRecord[],
  target: ReplayTarget,
  opts: ReplayOptions,
): ReplayPlan {
  const ir = target.ir;
  const targetIds = new Set(ir.steps.map((s) => s.id));
  const sourceSteps = new Map(source.ir.steps.map((s) => [s.id, s]));
  const { latest, compensated } = latestAttempts(attempts.filter((a) => a.runId === source.id));
  const patch = opts.inputsPatch ?? [];
  const inputs = patchedInputs(source.inputs, patch, ir.inputsSchema);
  const redo = [...new Set(opts.redo ?? [])].sort();
  for (const id of redo) {
    if (!targetIds.has(id))
      throw invalid(`Step "${id}" (redo) is not a step of the flow's version.`, "redo");
    const a = latest.get(id);
    const s = ir.steps.find((x) => x.id === id)!;
    if (s.block.sideEffect !== "write" || a?.status !== "succeeded" || compensated.has(id))
      throw invalid(
        `Step "${id}" (redo) did not complete a write in the run: only completed writes are redone.`,
        "redo",
      );
  }
  const succeeded = (id: string) => latest.get(id)?.status === "succeeded" && !compensated.has(id);
  const failedFinal = [...latest.values()].filter(
    (a) => a.status === "failed" && a.retryAt === null,
  );
  const warnings: string[] = [];

  // The steps executed again because of the mode; the others are reused when they succeeded.
  // A step that neither succeeded nor was skipped (failed, never ran, left waiting or retrying,
  // compensated) runs again in every mode, and so does everything downstream of it.
  const settled = (id: string) => succeeded(id) || latest.get(id)?.status === "skipped";
  const unfinished = ir.steps.filter((s) => !settled(s.id)).map((s) => s.id);
  let rerun: Set<string>;
  if (opts.mode === "resume") {
    const failed = failedFinal.map((a) => a.stepId).filter((id) => targetIds.has(id));
    if (failed.length === 0 && unfinished.length === 0)
      throw new AppError("CONFLICT", {
        message: "Nothing to resume: no step of this run failed. Replay it in full instead.",
        details: { field: "mode" },
      });
    rerun = downstream(ir, new Set([...failed, ...unfinished]));
  } else if (opts.mode === "from-step") {
    const from = opts.fromStep ?? "";
    if (!targetIds.has(from))
      throw invalid(`Step "${from}" is not a step of the flow's version.`, "fromStep");
    rerun = downstream(ir, new Set([from, ...unfinished]));
  } else {
    rerun = new Set(targetIds);
  }
  const explicit = new Set(redo);
  if (opts.mode === "from-step" && opts.fromStep) explicit.add(opts.fromStep);

  const discriminator = short({ version: target.version, irHash: ir.hash, patch });
  const steps: PlannedStep[] = [];
  for (const step of ir.steps) {
    const recorded = latest.get(step.id);
    const src = sourceSteps.get(step.id);
    const block = `${step.block.id}@${step.block.version}`;
    const sideEffect = step.block.sideEffect;
    const completedWrite = sideEffect === "write" && succeeded(step.id);
    const base: Omit<PlannedStep, "action" | "idempotencyKey" | "reason" | "redoesSideEffect"> = {
      id: step.id,
      block,
      sideEffect,
      reusedFrom: null,
    };
    const refusal =
      recorded && succeeded(step.id) ? carryRefusal(step, src, recorded, target) : null;
    const canReuse = recorded !== undefined && succeeded(step.id) && refusal === null;
    const reuse = (reason: string | null): PlannedStep => ({
      ...base,
      action: "reuse",
      idempotencyKey: recorded!.idempotencyKey,
      reason,
      redoesSideEffect: false,
      reusedFrom: { runId: source.id, attempt: recorded!.attempt },
    });

    if (completedWrite && explicit.has(step.id)) {
      steps.push({
        ...base,
        action: "execute",
        idempotencyKey: `${recorded!.idempotencyKey}~redo-${discriminator}`,
        reason: "completed a write in the source run: done again, as the plan asks",
        redoesSideEffect: true,
      });
      continue;
    }
    if (completedWrite) {
      if (!canReuse)
        throw new AppError("CONFLICT", {
          message: `Step "${step.id}" completed a write in the run, but its output cannot be carried to this version: ${refusal}. Name it in redo to do the write again, or choose another version.`,
          details: { field: "redo", stepId: step.id },
        });
      steps.push(
        reuse(
          rerun.has(step.id)
            ? "completed a write in the source run: not done again (name it in redo to redo it)"
            : null,
        ),
      );
      continue;
    }
    if (!rerun.has(step.id) && canReuse) {
      steps.push(reuse(null));
      continue;
    }
    // Executed: say why, and pick the key.
    let reason: string | null = null;
    if (!rerun.has(step.id)) {
      if (recorded?.status === "skipped" && patch.length === 0) {
        steps.push({
          ...base,
          action: "skip",
          idempotencyKey: recorded.idempotencyKey,
          reason: "skipped in the source run; its condition is evaluated again on the same data",
          redoesSideEffect: false,
        });
        continue;
      }
      reason = refusal
        ? `its output cannot be reused: ${refusal}`
        : recorded?.status === "skipped"
          ? "skipped in the source run; its condition is evaluated again on the edited inputs"
          : "did not run in the source run";
    } else if (refusal && succeeded(step.id)) {
      reason = `its output cannot be reused: ${refusal}`;
    } else if (compensated.has(step.id)) {
      reason = "its write was compensated in the source run";
    } else if (recorded?.status === "failed") {
      reason = "failed in the source run";
    } else if (!recorded) {
      reason = "did not run in the source run";
    }
    const sameRequest =
      recorded !== undefined &&
      src !== undefined &&
      src.block.id === step.block.id &&
      src.block.major === step.block.major &&
      canonicalJson(src.inputs) === canonicalJson(step.inputs) &&
      patch.length === 0 &&
      !compensated.has(step.id);
    const idempotencyKey = !recorded
      ? `${source.id}:${step.id}`
      : sameRequest
        ? recorded.idempotencyKey
        : `${recorded.idempotencyKey}~${discriminator}`;
    steps.push({ ...base, action: "execute", idempotencyKey, reason, redoesSideEffect: false });
  }

  for (const s of source.ir.steps) {
    if (targetIds.has(s.id)) continue;
    if (succeeded(s.id))
      warnings.push(
        s.block.sideEffect === "write"
          ? `Step "${s.id}" completed a write in the source run and is not in this version: its write stays, its output is dropped.`
          : `Step "${s.id}" is not in this version: its output is dropped.`,
      );
  }
  if (patch.length > 0 && failedFinal.some((a) => targetIds.has(a.stepId)))
    warnings.push(
      "With edited inputs, a failed write is executed under a new idempotency key: if its first attempt reached the remote system, the remote system sees it twice.",
    );
  const executed = new Set(steps.filter((s) => s.action === "execute").map((s) => s.id));
  const needsOf = new Map(ir.steps.map((s) => [s.id, s.needs]));
  for (const s of steps)
    if (
      s.action === "reuse" &&
      s.sideEffect === "write" &&
      needsOf.get(s.id)!.some((n) => executed.has(n))
    )
      warnings.push(
        `Step "${s.id}" is reused although steps it depends on run again: its write keeps the data it was done with.`,
      );

  const body = {
    mode: opts.mode,
    sourceRunId: source.id,
    fromStep: opts.mode === "from-step" ? (opts.fromStep ?? null) : null,
    version: target.version,
    irHash: ir.hash,
    inputsPatch: patch,
    inputs,
    redo,
    steps,
    warnings,
  };
  return { ...body, hash: sha256Hex(canonicalJson(body)) };
}

/** The replay's step keys for the engine (`RunReplay.keys`): every step's planned key. */
export function plannedKeys(plan: ReplayPlan): Record<string, string> {
  return Object.fromEntries(plan.steps.map((s) => [s.id, s.idempotencyKey]));
}

/**
 * The engine's reused steps of a plan (`createRun({ reuse })`): each `reuse` step with the
 * recorded attempt it names, read from the source run's `attempts`. Throws when a named attempt
 * is missing or did not succeed (the source changed: the plan no longer holds).
 */
export function reusedSteps(plan: ReplayPlan, attempts: AttemptRecord[]): ReusedStep[] {
  const byKey = new Map(attempts.map((a) => [`${a.runId}\u0000${a.stepId}\u0000${a.attempt}`, a]));
  return plan.steps
    .filter((s) => s.action === "reuse")
    .map((s) => {
      const from = s.reusedFrom!;
      const a = byKey.get(`${from.runId}\u0000${s.id}\u0000${from.attempt}`);
      if (!a || a.status !== "succeeded")
        throw new AppError("CONFLICT", {
          message: `The replay's plan no longer holds: attempt ${from.attempt} of step "${s.id}" in run ${from.runId} is not a success.`,
        });
      return {
        stepId: s.id,
        blockId: a.blockId,
        inputs: a.inputs,
        output: a.output,
        idempotencyKey: a.idempotencyKey,
        fromRunId: from.runId,
        fromAttempt: a.attempt,
      };
    });
}
