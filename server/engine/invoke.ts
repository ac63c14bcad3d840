/**
 * Calling a runtime for one attempt: the per-attempt timeout (an AbortSignal plus a clock
 * sleep, so a fake clock drives it in tests), and the circuit-breaker key of the call.
 */
import type { BlockRef, StepIR } from "@/dsl";
import { workspaceBreakerKey } from "./breaker";
import { TimeoutError } from "./errors";
import type { BlockRuntime, Clock } from "./ports";

const TIMED_OUT = Symbol("timed-out");

/**
 * Runs `runtime.execute` (or `resume`) with a timeout. On timeout the request's signal is aborted
 * and a {@link TimeoutError} is thrown; a late result is ignored.
 */
export async function invokeWithTimeout(
  call: (signal: AbortSignal) => unknown,
  timeoutMs: number,
  clock: Clock,
  outer: AbortSignal,
): Promise<unknown> {
  const attemptAbort = new AbortController();
  const onOuter = () => attemptAbort.abort(outer.reason);
  if (outer.aborted) attemptAbort.abort(outer.reason);
  else outer.addEventListener("abort", onOuter, { once: true });
  const sleeper = new AbortController();
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => call(attemptAbort.signal)),
      clock
        .sleep(timeoutMs, sleeper.signal)
        .then(() => (sleeper.signal.aborted ? undefined : TIMED_OUT)),
    ]);
    if (result === TIMED_OUT) {
      const err = new TimeoutError(timeoutMs);
      attemptAbort.abort(err);
      throw err;
    }
    return result;
  } finally {
    sleeper.abort();
    outer.removeEventListener("abort", onOuter);
  }
}

/**
 * The effective timeout: the profile's, lowered by an explicit `timeoutMs` input (http.request,
 * code.js). A runtime that keeps that deadline itself and answers with its own error
 * (`BlockRuntime.deadlineGraceMs`, the code sandbox) is given that much longer before the
 * engine's timeout takes over.
 */
export function attemptTimeout(
  profileMs: number,
  inputs: Record<string, unknown>,
  graceMs = 0,
): number {
  const t = inputs.timeoutMs;
  return typeof t === "number" && t > 0 ? Math.min(profileMs, t + graceMs) : profileMs;
}

/**
 * The breaker key of a call, or null when the block needs none (pure, human, control): the
 * run's workspace first, then `http:<host>` for http.request, `model:<route>` for agents,
 * `<system>:<block>` for connectors. Keyed by workspace so one tenant's failing endpoint never
 * opens another tenant's breaker.
 */
export function breakerKey(
  workspaceId: string,
  block: BlockRef,
  step: StepIR,
  inputs: Record<string, unknown>,
): string | null {
  const endpoint = breakerEndpoint(block, step, inputs);
  return endpoint === null ? null : workspaceBreakerKey(workspaceId, endpoint);
}

function breakerEndpoint(
  block: BlockRef,
  step: StepIR,
  inputs: Record<string, unknown>,
): string | null {
  if (block.id === "http.request") {
    try {
      return `http:${new URL(String(inputs.url)).host}`;
    } catch {
      return "http:invalid";
    }
  }
  if (block.kind === "agent") return `model:${step.model?.route ?? block.id}`;
  if (block.kind === "connector" || block.kind === "code")
    return `${block.system || block.kind}:${block.id}`;
  return null;
}

/** Whether a runtime is usable as pure (deterministic, no side effects, never parks). */
export function isPureRuntime(rt: BlockRuntime | undefined, block: BlockRef): boolean {
  return Boolean(rt?.pure) && block.sideEffect === "none" && !rt?.fanout;
}
