/**
 * Admission control: the one door every run start of this process goes through (`run.start`,
 * webhook deliveries queued or executed inline; schedule fires, paced by the scheduler, only
 * meet the active-run cap).
 *
 * - **Concurrency gate.** At most `concurrency` starts (a queued start's transaction, or an
 *   inline webhook execution from its start to its first park or end) are in progress at once;
 *   up to `queue` more wait for a slot in arrival order; beyond that a start is refused at once
 *   with `RATE_LIMITED` (`details.status` 503, `details.retryAfterSeconds`). A burst therefore
 *   costs bounded memory and bounded database work in flight, so the embedded database (one
 *   connection, executed on this thread) and the event loop stay free for other requests
 *   (`/api/health`, the studio). A refused start wrote nothing. With the embedded database a
 *   start never waits for I/O, so starts run one after the other and rarely contend for a slot:
 *   there the event loop's lag shows the queue instead — with `maxLagMs` set (off by default),
 *   once the loop is that late a turn of it admits at most `concurrency` starts and refuses the
 *   rest (503) at once. Off by default: any long synchronous task (a migration at boot) makes
 *   the loop late too, and starts issued one after the other in one task would be refused.
 * - **Active runs per workspace.** A workspace with `maxActiveRuns` queued, running or waiting
 *   runs cannot start another (`RATE_LIMITED`, `details.status` 429); sub-flows are refused by
 *   the engine with the same limit (`server/engine/subflow-limits.ts`). The count is an
 *   index-only count on the partial index of active runs, bounded by the cap.
 *
 * Limits come from the environment (`TRUSTFLOW_ADMISSION_SLOTS`, `TRUSTFLOW_ADMISSION_QUEUE`,
 * `TRUSTFLOW_ADMISSION_MAX_LAG_MS`, `TRUSTFLOW_MAX_ACTIVE_RUNS`, `TRUSTFLOW_MAX_SUBFLOW_DEPTH`,
 * read by {@link admissionLimitsOf}); the process's one {@link Admission} is built by the
 * composition root (`server/wiring/services.ts`); tests and benchmarks replace its limits with
 * {@link Admission.configure}.
 */
import type { RunStore } from "@/server/engine/ports";
import { AppError } from "../errors";

/** The limits of this process. */
export interface AdmissionLimits {
  /** Starts in progress at once. */
  concurrency: number;
  /** Starts waiting for a slot; beyond it a start is refused. */
  queue: number;
  /** Active (queued, running, waiting) runs per workspace. */
  maxActiveRuns: number;
  /** Sub-flow nesting depth. */
  maxSubflowDepth: number;
  /**
   * Event-loop lag beyond which a turn admits no more than `concurrency` starts (0: off). With the
   * embedded database a start never waits for I/O, so starts run one after the other and never
   * contend for a slot: the lag is what shows that a burst is queueing in front of the process.
   */
  maxLagMs: number;
  /** The `Retry-After` of a refusal for load, in seconds. */
  retryAfterSeconds: number;
}

/** How late this process's event loop is (a timer's drift), and which turn of the timer it is. */
export interface LoopClock {
  /** Milliseconds the loop is behind (0 when it is on time). */
  lagMs(): number;
  /** Changes every time the timer runs, i.e. whenever the loop got round to timers. */
  turn(): number;
}

const TICK_MS = 20;

/** The process's loop clock: a 20 ms timer (unref'd: it never keeps the process alive). */
export function processLoopClock(): LoopClock {
  let last = performance.now();
  let turn = 0;
  const timer = setInterval(() => {
    last = performance.now();
    turn += 1;
  }, TICK_MS);
  timer.unref?.();
  return {
    lagMs: () => Math.max(0, performance.now() - last - TICK_MS),
    turn: () => turn,
  };
}

/** Why a start was refused (`AppError.details.limit`). */
export type AdmissionLimitName = "admission" | "active-runs";

/** The details every admission refusal carries (`AppError.details`). */
export interface AdmissionRefusal {
  limit: AdmissionLimitName;
  /** The HTTP status a front end answers with: 503 (the process is busy) or 429 (the tenant's cap). */
  status: 503 | 429;
  retryAfterSeconds: number;
  max: number;
}

/** A concurrency gate with a bounded FIFO wait queue. */
export class AdmissionGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private refusedCount = 0;
  private turnSeen = -1;
  private admittedThisTurn = 0;

  constructor(
    readonly limits: Pick<
      AdmissionLimits,
      "concurrency" | "queue" | "retryAfterSeconds" | "maxLagMs"
    >,
    private readonly loop: LoopClock | null = null,
  ) {}

  /**
   * True when the event loop is more than `maxLagMs` late and has already admitted
   * `concurrency` starts since its timer last ran: the rest of this burst is refused, so the
   * loop gets back to other requests (health checks, the studio) instead of working through it.
   */
  private saturated(): boolean {
    if (!this.loop || !this.limits.maxLagMs) return false;
    const turn = this.loop.turn();
    if (turn !== this.turnSeen) {
      this.turnSeen = turn;
      this.admittedThisTurn = 0;
    }
    return (
      this.admittedThisTurn >= this.limits.concurrency && this.loop.lagMs() > this.limits.maxLagMs
    );
  }

  /** A slot now (its release function), or null when every slot is taken. Never waits. */
  tryEnter(): (() => void) | null {
    if (this.saturated() || this.active >= this.limits.concurrency) return null;
    this.active += 1;
    this.admittedThisTurn += 1;
    return this.releaser();
  }

  /**
   * A slot, waiting in the queue when every slot is taken; throws `RATE_LIMITED` (503) without
   * waiting when the queue is full too, or when the event loop is saturated.
   */
  async enter(): Promise<() => void> {
    if (this.saturated()) {
      this.refusedCount += 1;
      throw overloaded(this.limits, Math.round(this.loop!.lagMs()));
    }
    const now = this.tryEnter();
    if (now) return now;
    if (this.waiting.length >= this.limits.queue) {
      this.refusedCount += 1;
      throw overloaded(this.limits);
    }
    // The slot is handed over by the release (`active` stays counted), so no one jumps the queue.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser();
  }

  /** Runs `fn` in a slot (see {@link enter}). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.enter();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** In progress, waiting, refused so far. */
  stats(): { active: number; waiting: number; refused: number } {
    return { active: this.active, waiting: this.waiting.length, refused: this.refusedCount };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    };
  }
}

function overloaded(
  limits: Pick<AdmissionLimits, "concurrency" | "queue" | "retryAfterSeconds" | "maxLagMs">,
  lagMs?: number,
) {
  const details: AdmissionRefusal = {
    limit: "admission",
    status: 503,
    retryAfterSeconds: limits.retryAfterSeconds,
    max: limits.concurrency + limits.queue,
  };
  return new AppError("RATE_LIMITED", {
    message:
      lagMs === undefined
        ? `The server is busy: ${limits.concurrency} run starts are in progress and ${limits.queue} waiting (TRUSTFLOW_ADMISSION_SLOTS, TRUSTFLOW_ADMISSION_QUEUE). Nothing was started; retry after ${limits.retryAfterSeconds} s.`
        : `The server is busy: it is ${lagMs} ms behind and already started ${limits.concurrency} runs in this burst (TRUSTFLOW_ADMISSION_MAX_LAG_MS is ${limits.maxLagMs}, TRUSTFLOW_ADMISSION_SLOTS ${limits.concurrency}). Nothing was started; retry after ${limits.retryAfterSeconds} s.`,
    details: { ...details },
  });
}

/** The environment variables the limits come from (validated by `server/env.ts`). */
export interface AdmissionEnv {
  TRUSTFLOW_ADMISSION_SLOTS: number;
  TRUSTFLOW_ADMISSION_QUEUE: number;
  TRUSTFLOW_MAX_ACTIVE_RUNS: number;
  TRUSTFLOW_MAX_SUBFLOW_DEPTH: number;
  TRUSTFLOW_ADMISSION_MAX_LAG_MS: number;
}

/** The limits the environment sets. */
export function admissionLimitsOf(e: AdmissionEnv): AdmissionLimits {
  return {
    concurrency: e.TRUSTFLOW_ADMISSION_SLOTS,
    queue: e.TRUSTFLOW_ADMISSION_QUEUE,
    maxActiveRuns: e.TRUSTFLOW_MAX_ACTIVE_RUNS,
    maxSubflowDepth: e.TRUSTFLOW_MAX_SUBFLOW_DEPTH,
    maxLagMs: e.TRUSTFLOW_ADMISSION_MAX_LAG_MS,
    retryAfterSeconds: 1,
  };
}

/**
 * A process's admission control: its limits and its gate (one per process, shared by every
 * front end: the composition root holds it).
 */
export class Admission {
  private current: { limits: AdmissionLimits; gate: AdmissionGate };

  /**
   * This process's view of each workspace's active runs for the inline webhook path
   * ({@link assertActiveRunCapacityCached}): the last count, when it was taken, and the starts
   * admitted through the view since.
   */
  private readonly views = new Map<string, { counted: number; at: number; since: number }>();

  constructor(
    /** The limits {@link configure} starts from (the environment's). */
    private readonly base: AdmissionLimits,
    private readonly loop: LoopClock | null = null,
    /** Milliseconds, monotonic (the views' age). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.current = { limits: base, gate: new AdmissionGate(base, loop) };
  }

  /** The limits in force. */
  get limits(): AdmissionLimits {
    return this.current.limits;
  }

  /** The gate in force. */
  get gate(): AdmissionGate {
    return this.current.gate;
  }

  /**
   * Replaces the limits (tests, benchmarks) and returns the new gate; starts already admitted
   * by the previous gate finish under it. `loop` replaces the event-loop clock (tests).
   */
  configure(
    limits: Partial<AdmissionLimits> = {},
    loop: LoopClock | null = this.loop,
  ): AdmissionGate {
    const merged = { ...this.base, ...limits };
    this.current = { limits: merged, gate: new AdmissionGate(merged, loop) };
    return this.current.gate;
  }

  /** The engine's sub-flow limits (`EngineDeps.maxSubflowDepth`, `maxActiveRuns`). */
  engineLimits(): { maxSubflowDepth: number; maxActiveRuns: number } {
    const l = this.limits;
    return { maxSubflowDepth: l.maxSubflowDepth, maxActiveRuns: l.maxActiveRuns };
  }

  /**
   * Throws `RATE_LIMITED` (429) when the workspace already has `maxActiveRuns` active runs. One
   * indexed count, bounded by the cap (kept as this process's view of the workspace, see
   * {@link assertActiveRunCapacityCached}).
   */
  async assertActiveRunCapacity(
    runs: Pick<RunStore, "countActiveRuns">,
    workspaceId: string,
  ): Promise<void> {
    const cap = this.limits.maxActiveRuns;
    const active = await runs.countActiveRuns(workspaceId, cap);
    if (active < cap) {
      // The count, and this start (about to be made) counted in the view.
      this.views.set(workspaceId, { counted: active, at: this.now(), since: 1 });
      return;
    }
    this.views.delete(workspaceId);
    throw activeRunsRefusal(active, cap);
  }

  /**
   * {@link assertActiveRunCapacity} for a hot path (synchronous webhooks): a workspace far
   * below its cap is admitted on this process's view of it, without a count per start. The
   * view is the last count (at most {@link VIEW_MS} old) plus every start admitted through it
   * since (runs that ended since are not subtracted: the view only over-estimates this
   * process's own starts); it is used only while it stays under half the cap, so starts that
   * other processes or paths made since the count would have to fill the other half within
   * {@link VIEW_MS} to pass the cap. Near the cap, or with a stale view, the start counts as
   * {@link assertActiveRunCapacity} does and is refused the same way.
   */
  async assertActiveRunCapacityCached(
    runs: Pick<RunStore, "countActiveRuns">,
    workspaceId: string,
  ): Promise<void> {
    const view = this.views.get(workspaceId);
    if (
      view &&
      this.now() - view.at < VIEW_MS &&
      (view.counted + view.since + 1) * 2 <= this.limits.maxActiveRuns
    ) {
      view.since += 1;
      return;
    }
    // Stale views of quiet workspaces are not kept (the map stays as small as the busy set).
    if (this.views.size >= MAX_VIEWS) this.views.clear();
    await this.assertActiveRunCapacity(runs, workspaceId);
  }
}

/** How long a workspace's counted active runs are trusted (plus this process's own starts). */
const VIEW_MS = 200;
/** Workspaces whose views are kept at once. */
const MAX_VIEWS = 10_000;

function activeRunsRefusal(active: number, cap: number): AppError {
  const details: AdmissionRefusal = {
    limit: "active-runs",
    status: 429,
    retryAfterSeconds: 5,
    max: cap,
  };
  return new AppError("RATE_LIMITED", {
    message: `This workspace has ${active} active runs, the limit of active runs per workspace (TRUSTFLOW_MAX_ACTIVE_RUNS is ${cap}). Nothing was started; retry when some have finished.`,
    details: { ...details },
  });
}

/**
 * The admission refusal an error carries (for the HTTP front ends: status and `Retry-After`),
 * or null when it is not one. Follows `cause` (tRPC wraps domain errors).
 */
export function admissionRefusalOf(err: unknown): (AdmissionRefusal & { message: string }) | null {
  for (let e = err, i = 0; e && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof AppError && e.code === "RATE_LIMITED") {
      const d = e.details as Partial<AdmissionRefusal> | undefined;
      if (d?.limit === "admission" || d?.limit === "active-runs")
        return {
          limit: d.limit,
          status: d.status === 429 ? 429 : 503,
          retryAfterSeconds: d.retryAfterSeconds ?? 1,
          max: d.max ?? 0,
          message: e.userMessage,
        };
    }
  }
  return null;
}

/**
 * tRPC `responseMeta` of the HTTP handler: a refused start answers with the refusal's status
 * (503 or 429) and `Retry-After`.
 */
export function admissionResponseMeta(opts: { errors: readonly unknown[] }): {
  status?: number;
  headers?: Record<string, string>;
} {
  for (const e of opts.errors) {
    const refusal = admissionRefusalOf(e);
    if (refusal)
      return {
        status: refusal.status,
        headers: { "Retry-After": String(refusal.retryAfterSeconds) },
      };
  }
  return {};
}

/**
 * The HTTP answer to a refused start for the webhook front ends (`server/webhook-endpoint.ts`):
 * 503 or 429 with `Retry-After` and the message naming the limit; null when `err` is not a
 * refusal.
 */
export function admissionRefusalAnswer(err: unknown): {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
} | null {
  const refusal = admissionRefusalOf(err);
  if (!refusal) return null;
  return {
    status: refusal.status,
    headers: { "Retry-After": String(refusal.retryAfterSeconds) },
    body: { error: refusal.message, limit: refusal.limit },
  };
}
