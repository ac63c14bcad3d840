/**
 * The engine's public face. It creates runs, advances leased runs (see `advance.ts`), claims and
 * advances due runs in one call (`tick`, used by workers and tests), resumes parked human steps
 * and cancels runs. Everything it touches goes through the ports in `ports.ts`.
 *
 * @example
 * const engine = new Engine({ store, clock, ids, random, runtimes: builtinRuntimes(), workerId: "w1" });
 * const run = await engine.createRun({ workspaceId, workflowId: null, version: null, ir, inputs: {} });
 * await engine.tick();
 */
import { BlockRegistry, type FlowIR, blockRef } from "@/dsl";
import { BreakerBoard } from "./breaker";
import { RunAdvance, type AdvanceOptions, type AdvanceResult } from "./advance";
import { NonRetryableError } from "./errors";
import { reuseCheckpoint, type ReusedStep } from "./replay";
import {
  noopAudit,
  noopLogger,
  noopMetrics,
  type BlockLookup,
  type Decision,
  type EngineDeps,
} from "./ports";
import { isTerminalRun, type RunRecord, type RunReplay } from "./types";

export type { EngineDeps, RunEnd } from "./ports";

/** Engine options: the required ports plus optional ones. */
export type EngineOptions = Pick<
  EngineDeps,
  "store" | "clock" | "ids" | "random" | "runtimes" | "workerId"
> &
  Partial<Omit<EngineDeps, "store" | "clock" | "ids" | "random" | "runtimes" | "workerId">> & {
    breakers?: BreakerBoard;
  };

/** Options for {@link Engine.tick}. */
export interface TickOptions {
  /** Runs to claim at most. Default 10. */
  limit?: number;
  /** Lease length. Default 30 s. */
  leaseMs?: number;
  perWorkspaceLimit?: number;
  signal?: AbortSignal;
}

/** A {@link BlockLookup} over a DSL block registry. */
export function registryLookup(registry: BlockRegistry): BlockLookup {
  const ref = (uses: string) => {
    const r = registry.resolve(uses);
    return r.ok ? blockRef(r.block) : undefined;
  };
  return {
    resolve: ref,
    compensationOf(uses) {
      const r = registry.resolve(uses);
      return r.ok && r.block.compensation ? ref(r.block.compensation) : undefined;
    },
  };
}

let defaultLookup: BlockLookup | undefined;

/** The durable execution engine. */
export class Engine {
  readonly deps: EngineDeps & { breakers: BreakerBoard };

  constructor(opts: EngineOptions) {
    const metrics = opts.metrics ?? noopMetrics;
    defaultLookup ??= registryLookup(BlockRegistry.withPrimitives());
    this.deps = {
      blocks: defaultLookup,
      audit: noopAudit,
      logger: noopLogger,
      maxParallelSteps: 16,
      lateStartMs: 250,
      maxSubflowDepth: 10,
      maxActiveRuns: 1000,
      ...opts,
      metrics,
      breakers: opts.breakers ?? new BreakerBoard((key, state) => metrics.breakerState(key, state)),
    };
  }

  /**
   * Creates a queued run of `ir` and wakes the worker. A replay run (`replay`) starts with the
   * `reuse`d steps recorded as succeeded (see `replay.ts`): they are never executed.
   */
  async createRun(input: {
    id?: string;
    workspaceId: string;
    workflowId: string | null;
    version: string | null;
    ir: FlowIR;
    inputs: Record<string, unknown>;
    startedBy?: string | null;
    /** The person who started it (the four-eyes guard's requester); null for triggers. */
    startedByUserId?: string | null;
    idempotencyKey?: string | null;
    replay?: RunReplay | null;
    reuse?: ReusedStep[];
  }): Promise<RunRecord> {
    const { reuse, ...fields } = input;
    const now = this.deps.clock.now();
    const { run, created } = await this.deps.store.createRun({
      ...fields,
      id: input.id ?? this.deps.ids.next(),
      now,
    });
    // Single-process stores only: a shared store must record both in one transaction (the
    // replay use case does), or a worker could claim the run before its reused steps exist.
    if (created && reuse?.length)
      await this.deps.store.commit(run.id, null, reuseCheckpoint(run.id, reuse, now));
    if (created) {
      this.deps.metrics.runStatus("queued");
      this.deps.onRunQueued?.(run.id);
    }
    return run;
  }

  /** Advances a run this worker has leased (from `claimRuns`). */
  async advance(run: RunRecord, opts: AdvanceOptions = {}): Promise<AdvanceResult> {
    const result = await new RunAdvance(this.deps, run, opts).execute();
    if (result.status === "waiting" && this.deps.onRunParked) {
      try {
        await this.deps.onRunParked({ runId: run.id, workspaceId: run.workspaceId });
      } catch (err) {
        this.deps.logger.warn({ runId: run.id, err: String(err) }, "run-parked hook failed");
      }
    }
    return result;
  }

  /** Claims due runs and advances them concurrently. Returns the runs advanced. */
  async tick(opts: TickOptions = {}): Promise<Array<{ runId: string } & AdvanceResult>> {
    const now = this.deps.clock.now();
    const runs = await this.deps.store.claimRuns({
      owner: this.deps.workerId,
      now,
      leaseMs: opts.leaseMs ?? 30_000,
      limit: opts.limit ?? 10,
      perWorkspaceLimit: opts.perWorkspaceLimit,
    });
    return Promise.all(
      runs.map(async (run) => {
        if (run.dueAt !== null) this.deps.metrics.queueLag(Math.max(0, now - run.dueAt));
        return { runId: run.id, ...(await this.advance(run, { signal: opts.signal })) };
      }),
    );
  }

  /**
   * Delivers a person's decision to a parked human step (approval, form, policy exception).
   * Throws a non-retryable error when the step is not waiting.
   */
  async resumeStep(runId: string, stepId: string, decision: Omit<Decision, "at">): Promise<void> {
    const run = await this.deps.store.getRun(runId);
    if (!run || isTerminalRun(run.status))
      throw new NonRetryableError(`run ${runId} is not active`);
    const attempts = await this.deps.store.listAttempts(runId);
    const latest = attempts
      .filter((a) => a.stepId === stepId)
      .sort((a, b) => b.attempt - a.attempt)[0];
    if (!latest || latest.status !== "waiting")
      throw new NonRetryableError(`step ${stepId} is not waiting for a decision`);
    const now = this.deps.clock.now();
    await this.deps.store.signal(runId, {
      id: this.deps.ids.next(),
      runId,
      stepId,
      kind: "resume",
      dueAt: now,
      payload: { ...decision, at: now },
      createdAt: now,
    });
    this.deps.onRunQueued?.(runId);
  }

  /** Cancels a run that has not finished; a worker advancing it stops at its next checkpoint. */
  async cancelRun(runId: string, reason: string): Promise<RunRecord | null> {
    const run = await this.deps.store.cancelRun(runId, this.deps.clock.now(), reason);
    if (run?.status === "cancelled") {
      this.deps.metrics.runStatus("cancelled");
      if (run.parentRunId && run.parentStepId) {
        const now = this.deps.clock.now();
        await this.deps.store.signal(run.parentRunId, {
          id: this.deps.ids.next(),
          runId: run.parentRunId,
          stepId: run.parentStepId,
          kind: "child",
          dueAt: now,
          payload: { runId, status: "cancelled", output: null, error: run.error },
          createdAt: now,
        });
      }
    }
    return run;
  }
}
