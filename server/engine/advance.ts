/**
 * Advancing one leased run: rebuild its state from the store, apply due tasks (timers,
 * decisions, subflow completions), run every ready step (pure ones inline, side-effecting ones
 * concurrently up to the limits), record results, then conclude: succeed, fail, compensate or
 * park until the next due task. One instance per advance; the store is the truth between them.
 *
 * The jobs live next to this file, as functions of the advance's state (`advance/context.ts`):
 * `restore`, the checkpoint buffer (the context), `pure-steps`, `attempts`, `outcomes`,
 * `fan-out`, `signals` (due tasks), `run-end` and `saga` (compensation). This file wires them
 * into the loop.
 */
import { isSettled, type Node } from "./graph";
import { isPureRuntime } from "./invoke";
import { secretValuesOf, usesSecrets } from "./secret-redaction";
import type { RunRecord } from "./types";
import { runAttempt } from "./advance/attempts";
import {
  AdvanceContext,
  type AdvanceDeps,
  type AdvanceOptions,
  type AdvanceResult,
} from "./advance/context";
import { childSettled, finishFan, finishStoppedFans } from "./advance/fan-out";
import { decideSkip, runPure } from "./advance/pure-steps";
import { restore } from "./advance/restore";
import { conclude } from "./advance/run-end";
import { applyDueTasks } from "./advance/signals";
import { checkTrustAtStart, passTrustGate } from "./advance/trust-start";

export type { AdvanceOptions, AdvanceResult, Halt } from "./advance/context";

/** The engine's state machine for one run during one lease. */
export class RunAdvance {
  private readonly ctx: AdvanceContext;

  constructor(deps: AdvanceDeps, run: RunRecord, opts: AdvanceOptions = {}) {
    this.ctx = new AdvanceContext(deps, run, opts);
    this.ctx.childSettled = (c) => childSettled(this.ctx, c);
  }

  private readonly onShutdown = () => this.ctx.stop("shutdown");

  /** Runs the advance to its conclusion. */
  async execute(): Promise<AdvanceResult> {
    const signal = this.ctx.opts.signal;
    // Removed at the end: the worker's shutdown signal outlives thousands of advances.
    signal?.addEventListener("abort", this.onShutdown, { once: true });
    try {
      return await this.executeLeased();
    } finally {
      signal?.removeEventListener("abort", this.onShutdown);
    }
  }

  private async executeLeased(): Promise<AdvanceResult> {
    const ctx = this.ctx;
    // Only a flow that reads `secrets` loads (and decrypts) them.
    if (ctx.deps.secrets && usesSecrets(ctx.ir)) {
      ctx.secrets = await ctx.deps.secrets(ctx.run.workspaceId);
      ctx.ctxSource.secrets = ctx.secrets;
      ctx.secretValues = secretValuesOf(ctx.secrets);
    }
    const state = ctx.opts.unrecorded
      ? { attempts: [], tasks: [] }
      : await ctx.store.loadState(ctx.run.id);
    restore(ctx, state.attempts, state.tasks);
    if (ctx.run.startedAt === null) {
      ctx.event({
        type: "run.started",
        key: "run.started",
        data: { flow: ctx.ir.name, version: ctx.run.version },
      });
    }
    // A halting trust gate under its minimum stops a fresh run before any step runs (a replay
    // run starts with its reused steps recorded, a sandbox run with its pinned ones: fresh until
    // its first advance).
    const fresh =
      ctx.rows.size === 0 ||
      ((ctx.run.replay != null || ctx.run.sandboxSessionId != null) && ctx.run.startedAt === null);
    // The check uses the scores earned from run history where a block has enough of it.
    const halted = await checkTrustAtStart(ctx, fresh);
    if (halted) return { status: halted, commits: ctx.commits, halted: ctx.halt };
    await applyDueTasks(ctx, state.tasks);
    // A fan-out whose children all finished before a crash: finish the parent now.
    for (const n of ctx.nodes.values()) {
      if (
        n.fan &&
        n.status === "running" &&
        n.fan.children.every((c) => isSettled(c) || c.status === "failed")
      )
        await finishFan(ctx, n);
    }
    await this.loop();
    const status = await conclude(ctx);
    return { status, commits: ctx.commits, halted: ctx.halt };
  }

  /** Starts every launchable step (pure ones inline) until nothing is ready or in flight. */
  private async loop(): Promise<void> {
    const ctx = this.ctx;
    for (;;) {
      while (!ctx.halted()) {
        const n = this.takeLaunchable();
        if (!n) break;
        const rt = ctx.deps.runtimes.get(n.block.id);
        if (n.kind === "step" && n.attempt === 0 && !n.recover && decideSkip(ctx, n)) continue;
        if (n.kind === "step" && passTrustGate(ctx, n)) continue;
        if (n.status !== "ready") continue;
        if (isPureRuntime(rt, n.block) && !n.recover && n.attempt === 0) {
          runPure(ctx, n, rt!);
          continue;
        }
        const p = runAttempt(ctx, n, rt).finally(() => {
          ctx.inFlight.delete(n);
          if (n.parent?.fan) n.parent.fan.inFlight--;
        });
        if (n.parent?.fan) n.parent.fan.inFlight++;
        ctx.inFlight.set(n, p);
      }
      if (ctx.inFlight.size === 0 && (ctx.halted() || !finishStoppedFans(ctx))) return;
      await Promise.race(ctx.inFlight.values());
    }
  }

  /** The first ready node the limits let start (children respect their parent's concurrency). */
  private takeLaunchable(): Node | undefined {
    const ctx = this.ctx;
    const max = ctx.deps.maxParallelSteps;
    for (let i = 0; i < ctx.ready.length; i++) {
      const n = ctx.ready[i]!;
      const rt = ctx.deps.runtimes.get(n.block.id);
      const pure = isPureRuntime(rt, n.block) && !n.recover && n.attempt === 0;
      if (!pure && ctx.inFlight.size >= max) continue;
      if (n.parent?.fan) {
        if (n.parent.fan.failed) continue;
        if (n.parent.fan.inFlight >= n.parent.fan.concurrency) continue;
      }
      ctx.ready.splice(i, 1);
      return n;
    }
    return undefined;
  }
}
