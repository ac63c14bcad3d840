/**
 * Side-effecting attempts: consent and trust checks, the breaker, the runtime call with its
 * timeout, and ONE durable write per side effect (the start rides with the finish). A fan-out
 * parent, and the first side effect of a run the store does not hold yet, write their start
 * first; an attempt still running after `lateStartMs` writes its start meanwhile (live view).
 */
import { evaluate } from "@/dsl";
import { buildContext, referencedSteps } from "../context";
import { DeferredStart } from "../deferred-start";
import { BreakerOpenError, ConsentError, TrustError, toErrorInfo } from "../errors";
import type { Node } from "../graph";
import { attemptTimeout, breakerKey, invokeWithTimeout } from "../invoke";
import { isPark, type BlockRuntime, type Checkpoint } from "../ports";
import { answerCollector, buildAnswer, recordedAnswerKind } from "../recorded-answer";
import { missingRuntimeError } from "../runtimes/registry";
import { approvalMessage, gatedByApproval } from "../trust-gate";
import type { AdvanceContext } from "./context";
import { startFan } from "./fan-out";
import { adopt, failFinal, finishFailure, finishSuccess, flushFailure } from "./outcomes";
import { evaluateNodeInputs, stepRequest } from "./step-request";

/** Runs one attempt of a side-effecting step (or recovers a crashed one) and records it. */
export async function runAttempt(
  ctx: AdvanceContext,
  n: Node,
  rt: BlockRuntime | undefined,
): Promise<void> {
  const attempt = n.recover ? n.attempt : n.attempt + 1;
  const recovering = n.recover;
  n.recover = false;
  n.attempt = attempt;
  n.status = "running";
  const log = ctx.log.child({ stepId: n.id, attempt });
  const startedAt = ctx.now;
  let inputs: Record<string, unknown>;
  let consentId: string | null = null;
  try {
    if (!rt) throw missingRuntimeError(n.block);
    inputs =
      recovering && n.row && n.row.attempt === attempt
        ? ((n.row.inputs ?? {}) as Record<string, unknown>)
        : evaluateNodeInputs(ctx, n);
    // The flow's trust gate asks with the reasons the start's check found (earned scores).
    if (n.id === ctx.ir.trustGate && ctx.trustCheck?.decision === "approval")
      inputs = { ...inputs, message: approvalMessage(ctx.trustCheck) };
    if (
      n.kind === "step" &&
      n.source.trustMin !== null &&
      n.source.trust < n.source.trustMin &&
      !gatedByApproval(ctx.ir, n.source)
    ) {
      throw new TrustError(
        `trust score ${n.source.trust} is below the step's minimum ${n.source.trustMin}`,
      );
    }
    consentId = consentIdFor(ctx, n, inputs);
  } catch (e) {
    if (e instanceof ConsentError)
      await auditConsent(ctx, n, attempt, null, "run.consent.missing").catch(() => undefined);
    failFinal(ctx, n, attempt, null, { ...toErrorInfo(e), retryable: false }, startedAt, true);
    await flushFailure(ctx);
    return;
  }
  const fanKind = rt.fanout;
  const start: Checkpoint = {
    start: {
      runId: ctx.run.id,
      stepId: n.id,
      attempt,
      blockId: n.block.id,
      inputs,
      idempotencyKey: ctx.idempotencyKey(n),
      consentId,
      startedAt,
      workerId: ctx.deps.workerId,
    },
    consumeTasks: n.retryTaskId ? [n.retryTaskId] : undefined,
    events: [
      {
        type: "step.started",
        stepId: n.id,
        key: `start:${n.id}:${attempt}`,
        data: { attempt, recovered: recovering },
        at: startedAt,
      },
    ],
  };
  n.retryTaskId = undefined;
  // One durable write per side effect: the start rides with the finish (a crash in between
  // re-runs the attempt under the same number and idempotency key). A fan-out's parent, and
  // the first side effect of a run the store does not hold yet, are recorded before they run;
  // an attempt still running after `lateStartMs` is recorded as started meanwhile (live view).
  const starter = new DeferredStart(start);
  if (fanKind || ctx.unrecorded()) {
    const started = await ctx.commit(starter.take()!);
    if (ctx.halt === "lease-lost" || ctx.halt === "cancelled") return;
    const row = started.started!;
    if (!started.startedFresh && row.status !== "running") {
      // Another worker finished (or parked) this attempt: adopt its result, run nothing.
      adopt(ctx, n, row);
      return;
    }
    if (fanKind) {
      await startFan(ctx, n, fanKind, inputs, row);
      return;
    }
  } else {
    // Never a side effect for a run the store does not hold (its recording may still fail).
    if (!(await ctx.recorded())) return;
    starter.lateAfter(ctx.deps.clock, ctx.deps.lateStartMs, (cp) => ctx.commit(cp));
  }
  /** The start to merge into the finish; "adopted" when a late start found another's result. */
  const takeStart = async (): Promise<Checkpoint | undefined | "adopted"> => {
    const late = await starter.settle();
    if (late === undefined) return starter.take();
    if (!late.startedFresh && late.started && late.started.status !== "running") {
      adopt(ctx, n, late.started);
      return "adopted";
    }
    return undefined;
  };
  // Connector and model steps keep the answer each attempt got (issue 16, recorded-answer.ts).
  const answerKind = recordedAnswerKind(n.block);
  const collected = answerKind ? answerCollector() : undefined;
  const fail = async (e: unknown, called = false) => {
    const pending = await takeStart();
    if (pending !== "adopted")
      await finishFailure(
        ctx,
        n,
        attempt,
        inputs,
        e,
        startedAt,
        log,
        undefined,
        pending,
        called && answerKind
          ? (error) => buildAnswer(answerKind, { ok: false, error }, collected)
          : undefined,
      );
  };
  if (consentId) {
    try {
      await auditConsent(ctx, n, attempt, consentId, "run.consent.used");
    } catch (e) {
      await fail(e);
      return;
    }
  }
  // A sandbox run's calls reach its own mocks: their failures never open the workspace's breakers.
  const breakerScope = ctx.run.sandboxSessionId
    ? `${ctx.run.workspaceId}/sandbox:${ctx.run.sandboxSessionId}`
    : ctx.ir.sandboxOnly
      ? `${ctx.run.workspaceId}/sandbox-run:${ctx.run.id}`
      : ctx.run.workspaceId;
  const key = breakerKey(breakerScope, n.block, n.source, inputs);
  let probe = false;
  if (key) {
    const d = ctx.deps.breakers.acquire(key, ctx.now, n.resilience.breaker);
    if (!d.allowed) {
      await fail(new BreakerOpenError(key, d.retryInMs));
      return;
    }
    probe = d.probe;
  }
  let out: unknown;
  try {
    out = await invokeWithTimeout(
      (signal) => {
        const req = stepRequest(ctx, n, inputs, attempt, signal, consentId);
        if (collected) req.answers = collected;
        return rt.execute(req);
      },
      attemptTimeout(n.resilience.timeoutMs, inputs, rt.deadlineGraceMs),
      ctx.deps.clock,
      ctx.abort.signal,
    );
  } catch (e) {
    if (key) breakerVerdict(ctx, key, n, e, probe);
    const h = ctx.halted();
    if (h === "shutdown" || h === "cancelled" || h === "lease-lost") {
      // Abandoned, not failed: recovery re-runs the attempt with the same idempotency key.
      await starter.settle().catch(() => undefined);
      return;
    }
    await fail(e, true);
    return;
  }
  if (key) breakerVerdict(ctx, key, n, undefined, probe);
  const pending = await takeStart();
  if (pending !== "adopted")
    await finishSuccess(
      ctx,
      n,
      attempt,
      out,
      startedAt,
      undefined,
      pending,
      answerKind && !isPark(out)
        ? buildAnswer(answerKind, { ok: true, output: out }, collected)
        : undefined,
    );
}

/** Tells the breaker how the call went (validation and auth errors are the caller's fault). */
function breakerVerdict(
  ctx: AdvanceContext,
  key: string,
  n: Node,
  err: unknown,
  probe: boolean,
): void {
  if (err === undefined) {
    ctx.deps.breakers.success(key);
    return;
  }
  const info = toErrorInfo(err);
  if (
    info.classification.category === "validation" ||
    info.classification.category === "auth" ||
    info.classification.category === "authz"
  ) {
    ctx.deps.breakers.success(key);
  } else {
    ctx.deps.breakers.failure(key, ctx.now, n.resilience.breaker);
  }
  if (probe && info.name === "AbortError") ctx.deps.breakers.release(key);
}

/**
 * The consent id of a step that needs consent: its `consent.id` evaluated, else the field
 * `require` (default `consentId` / `consent_id`) of its inputs, then of the run's. None: the
 * step fails closed with a {@link ConsentError}.
 */
function consentIdFor(
  ctx: AdvanceContext,
  n: Node,
  inputs: Record<string, unknown>,
): string | null {
  const consent = n.kind === "step" ? n.source.consent : undefined;
  if (!consent) return null;
  if (consent.id) {
    let v: unknown;
    try {
      v = evaluate(consent.id, buildContext(ctx.ctxSource, referencedSteps([consent.id])));
    } catch (e) {
      throw new ConsentError(
        `step ${n.id} needs consent for "${consent.purpose}" but its consent id could not be read: ${(e as Error).message}`,
        { detail: { purpose: consent.purpose, source: "consent.id" }, cause: e },
      );
    }
    if (typeof v === "string" && v.trim() !== "") return v;
    throw new ConsentError(
      `step ${n.id} needs consent for "${consent.purpose}" but its consent id (consent.id) is ${v === null || v === undefined || v === "" ? "empty" : `not a string: ${JSON.stringify(v)}`}`,
      { detail: { purpose: consent.purpose, source: "consent.id" } },
    );
  }
  const fields = consent.require ? [consent.require] : ["consentId", "consent_id"];
  for (const f of fields) {
    for (const src of [inputs, ctx.info.inputs]) {
      const v = src[f];
      if (typeof v === "string" && v.trim() !== "") return v;
    }
  }
  throw new ConsentError(
    `step ${n.id} needs consent for "${consent.purpose}" but no consent id was given (field ${fields.join(" or ")})`,
    {
      detail: { purpose: consent.purpose, field: fields[0] },
    },
  );
}

function auditConsent(
  ctx: AdvanceContext,
  n: Node,
  attempt: number,
  consentId: string | null,
  action: string,
): Promise<void> {
  return ctx.deps.audit.record(ctx.run, {
    action,
    payload: {
      runId: ctx.run.id,
      stepId: n.id,
      attempt,
      block: n.block.id,
      purpose: n.source.consent?.purpose ?? null,
      consentId,
    },
  });
}
