/**
 * What a runtime is handed: the step's evaluated inputs, the request (idempotency key, attempt,
 * abort signal, run info, consent id) and the engine's services (CEL over the step's context,
 * other steps' status, starting a sub-flow as a child run within the depth and active-run
 * bounds).
 */
import { compileCel, evaluate } from "@/dsl";
import { buildContext, evaluateInputs, referencedSteps } from "../context";
import { NonRetryableError } from "../errors";
import { fanoutParentInputs } from "../fanout";
import type { Node } from "../graph";
import type { RuntimeRequest, RuntimeServices } from "../ports";
import { validatorFor } from "../runtimes/support";
import { assertSubflowAllowed } from "../subflow-limits";
import type { AdvanceContext } from "./context";

/** The node's inputs evaluated over the run's context (children see `item` and `index`). */
export function evaluateNodeInputs(ctx: AdvanceContext, n: Node): Record<string, unknown> {
  if (n.fixedInputs) return n.fixedInputs;
  const extra = n.kind === "child" ? { item: n.item, index: n.childIndex } : undefined;
  const value = ctx.fanKind(n) && n.kind === "step" ? fanoutParentInputs(n) : n.inputs;
  return evaluateInputs(value, buildContext(ctx.ctxSource, n.refs, extra));
}

/** One call of a node's runtime. */
export function stepRequest(
  ctx: AdvanceContext,
  n: Node,
  inputs: Record<string, unknown>,
  attempt: number,
  /** The step's signal, or how to get it when the step asks (a pure step seldom does). */
  signal: AbortSignal | (() => AbortSignal),
  consentId: string | null,
): RuntimeRequest {
  return {
    step: { id: n.id, block: n.block, source: n.source },
    block: n.block,
    inputs,
    idempotencyKey: ctx.idempotencyKey(n),
    attempt,
    get signal() {
      return typeof signal === "function" ? signal() : signal;
    },
    run: ctx.info,
    consentId,
    services: services(ctx, n),
  };
}

function services(ctx: AdvanceContext, n: Node): RuntimeServices {
  return {
    now: () => ctx.now,
    evaluate: (source) => {
      const compiled = compileCel(source);
      if (!compiled) throw new NonRetryableError(`invalid CEL expression \`${source}\``);
      const extra = n.kind === "child" ? { item: n.item, index: n.childIndex } : undefined;
      return evaluate(compiled, buildContext(ctx.ctxSource, referencedSteps([compiled]), extra));
    },
    stepStatus: (id) => {
      const s = ctx.nodes.get(id)?.status;
      return s === "succeeded" || s === "failed" || s === "skipped" ? s : "pending";
    },
    startChildRun: (ref, inputs) => startChildRun(ctx, n, ref, inputs),
  };
}

async function startChildRun(
  ctx: AdvanceContext,
  n: Node,
  ref: string,
  inputs: Record<string, unknown>,
): Promise<{ runId: string; created: boolean }> {
  const flow = await ctx.deps.flows?.resolve(ctx.run.workspaceId, ref);
  if (!flow) throw new NonRetryableError(`subflow ${ref} was not found in this workspace`);
  const validate = validatorFor(flow.ir.inputsSchema);
  if (!validate(inputs)) {
    const e = validate.errors?.[0];
    throw new NonRetryableError(
      `subflow ${ref} inputs are invalid: ${e?.instancePath || "/"} ${e?.message ?? ""}`.trim(),
    );
  }
  // Depth and active-run bounds: a refused child is a non-retryable failure, nothing written.
  await assertSubflowAllowed(ctx.store, ctx.run, ref, ctx.deps);
  const { run, created } = await ctx.store.createRun({
    id: ctx.deps.ids.next(),
    workspaceId: ctx.run.workspaceId,
    workflowId: flow.workflowId,
    version: flow.version,
    ir: flow.ir,
    inputs,
    parentRunId: ctx.run.id,
    parentStepId: n.id,
    idempotencyKey: `${ctx.run.id}:${n.id}`,
    startedBy: `run:${ctx.run.id}`,
    // The parent's requester stays the requester: who started a run never approves its sub-flow.
    startedByUserId: ctx.run.startedByUserId ?? null,
    // A sub-flow of a sandbox run stays in its session (issue 16).
    sandboxSessionId: ctx.run.sandboxSessionId ?? null,
    now: ctx.now,
  });
  if (created) ctx.deps.onRunQueued?.(run.id);
  return { runId: run.id, created };
}
