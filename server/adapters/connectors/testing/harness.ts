/**
 * Test helpers: a connector runtime pointed at a mock server, executions with fresh keys, and a
 * small retry loop that applies an SLA profile with the engine's own schedule functions
 * (`server/engine/retry.ts`) on a fake clock: delays advance the clock instead of sleeping.
 */
import type { ResilienceProfile } from "@/dsl";
import { createEgressGuard } from "@/server/adapters/egress/guard";
import { BreakerBoard } from "@/server/engine/breaker";
import { toErrorInfo, type ErrorInfo } from "@/server/engine/errors";
import { retryDelay, shouldRetry } from "@/server/engine/retry";
import { Prng } from "../mock/prng";
import {
  createConnectorRuntime,
  type BlockExecution,
  type ConnectorRuntime,
  type ResolvedConnector,
} from "../runtime";

let n = 0;

/** A fake clock: `sleep` moves time forward at once. */
export class FakeClock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now = () => this.t;
  sleep = (ms: number) => {
    this.t += ms;
    return Promise.resolve();
  };
}

export function execution(
  block: string,
  inputs: Record<string, unknown>,
  extra: Partial<BlockExecution> = {},
): BlockExecution {
  const [id, major] = block.split("@") as [string, string];
  return {
    block: { id, version: `${major}.0.0`, major: Number(major) },
    inputs,
    idempotencyKey: `test-${process.pid}-${++n}`,
    attempt: 1,
    signal: AbortSignal.timeout(10_000),
    workspaceId: "ws-test",
    runId: "run-1",
    stepId: `step-${n}`,
    ...extra,
  };
}

/**
 * The egress guard as the server builds it, with an allow-list that lets 127.0.0.1 (the mock
 * server, fake receivers) be reached over plain http, as a workspace admin would allow it.
 */
export const loopbackEgress = createEgressGuard({
  allowList: async () => [{ host: "127.0.0.1", allowHttp: true, allowPrivate: true }],
});

/** A connector runtime over `endpoints`; real HTTP goes through {@link loopbackEgress}. */
export function runtimeFor(
  endpoints: Record<string, Omit<ResolvedConnector, "system">>,
  opts: { clock?: FakeClock; breakers?: BreakerBoard | null; fetch?: typeof fetch } = {},
): ConnectorRuntime {
  return createConnectorRuntime({
    resolveConnector: async (_ws, system) =>
      endpoints[system] ? { system, ...endpoints[system] } : null,
    ...(opts.clock ? { now: opts.clock.now } : {}),
    ...(opts.breakers !== undefined ? { breakers: opts.breakers } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : { fetchFor: loopbackEgress.fetchFor }),
  });
}

export interface StepOutcome {
  ok: boolean;
  output?: Record<string, unknown>;
  error?: ErrorInfo;
  attempts: number;
  /** Delays waited before each retry (fake time). */
  delays: number[];
}

/**
 * Runs one step the way the engine does: attempts with the profile's per-attempt timeout, and
 * retries retryable failures after `retryDelay` (a server's Retry-After wins, an open breaker
 * says when to come back), until the retries run out.
 */
export async function runStep(
  runtime: ConnectorRuntime,
  exec: BlockExecution,
  profile: ResilienceProfile,
  clock: FakeClock,
  opts: { seed?: number; attemptTimeoutMs?: number } = {},
): Promise<StepOutcome> {
  const rand = new Prng(opts.seed ?? 1);
  const delays: number[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      const output = await runtime.execute({
        ...exec,
        attempt,
        signal: AbortSignal.timeout(opts.attemptTimeoutMs ?? profile.timeoutMs),
      });
      return { ok: true, output, attempts: attempt, delays };
    } catch (err) {
      const info = toErrorInfo(err);
      if (!shouldRetry(profile, attempt, info))
        return { ok: false, error: info, attempts: attempt, delays };
      const retryIn = (err as { retryInMs?: number }).retryInMs;
      const delay = retryDelay(profile, attempt, rand.next(), info.retryAfterMs ?? retryIn);
      delays.push(delay);
      await clock.sleep(delay);
    }
  }
}
