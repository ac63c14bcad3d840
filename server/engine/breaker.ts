/**
 * Circuit breakers, one per key (a connector endpoint `system:block`, an HTTP host, a model).
 *
 * closed --(failureThreshold consecutive failures)--> open
 * open --(halfOpenAfterMs elapsed)--> half-open: one probe call is let through
 * half-open --(probe succeeds)--> closed; --(probe fails)--> open again
 *
 * Clock-driven (every method takes `now`), no timers. State is kept per worker, in memory:
 * a breaker protects the endpoint from this process's traffic, and losing it on restart only
 * costs a few probe calls. (Persisting it would add a write to every failure on the hot path;
 * part 2 may share state through the store when several workers hammer one endpoint.)
 */

/** The state of one breaker. */
export type BreakerState = "closed" | "open" | "half-open";

/** Thresholds (from the step's resilience profile). */
export interface BreakerOptions {
  failureThreshold: number;
  halfOpenAfterMs: number;
}

interface Entry {
  state: BreakerState;
  failures: number;
  openedAt: number;
  probing: boolean;
}

/** Decision for one call. */
export type BreakerDecision =
  { allowed: true; probe: boolean } | { allowed: false; retryInMs: number };

/** Breakers by key, with a listener for state changes (metrics). */
export class BreakerBoard {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly onChange?: (key: string, state: BreakerState) => void) {}

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { state: "closed", failures: 0, openedAt: 0, probing: false };
      this.entries.set(key, e);
    }
    return e;
  }

  private set(key: string, e: Entry, state: BreakerState): void {
    if (e.state !== state) {
      e.state = state;
      this.onChange?.(key, state);
    }
  }

  /** The current state, moving open to half-open when the wait is over. */
  state(key: string, now: number, opts: BreakerOptions): BreakerState {
    const e = this.entry(key);
    if (e.state === "open" && now - e.openedAt >= opts.halfOpenAfterMs)
      this.set(key, e, "half-open");
    return e.state;
  }

  /** Asks to make a call. In half-open state only one probe is in flight at a time. */
  acquire(key: string, now: number, opts: BreakerOptions): BreakerDecision {
    const e = this.entry(key);
    const s = this.state(key, now, opts);
    if (s === "closed") return { allowed: true, probe: false };
    if (s === "half-open" && !e.probing) {
      e.probing = true;
      return { allowed: true, probe: true };
    }
    const retryInMs =
      s === "open"
        ? Math.max(0, e.openedAt + opts.halfOpenAfterMs - now)
        : Math.max(1, Math.floor(opts.halfOpenAfterMs / 10));
    return { allowed: false, retryInMs };
  }

  /** Records a successful call: closes the breaker. */
  success(key: string): void {
    const e = this.entry(key);
    e.failures = 0;
    e.probing = false;
    this.set(key, e, "closed");
  }

  /** Records a failed call (an integration/performance failure, not a validation error). */
  failure(key: string, now: number, opts: BreakerOptions): void {
    const e = this.entry(key);
    e.failures++;
    if (e.state === "half-open" || e.failures >= Math.max(1, opts.failureThreshold)) {
      e.openedAt = now;
      e.probing = false;
      this.set(key, e, "open");
    }
  }

  /** Releases a probe slot without a verdict (the call was abandoned). */
  release(key: string): void {
    this.entry(key).probing = false;
  }

  /** Every breaker's state, for metrics and the run view. */
  snapshot(): Record<string, BreakerState> {
    return Object.fromEntries([...this.entries].map(([k, e]) => [k, e.state]));
  }
}
