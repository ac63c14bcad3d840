/**
 * Circuit breakers, one per key: `<workspaceId>:<endpoint>` ({@link workspaceBreakerKey}), the
 * endpoint a connector block `system:block`, an HTTP host `http:<host>` or a model
 * `model:<route>`. Keyed by workspace first: one workspace's failing endpoint never opens another
 * workspace's breaker for the same system.
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

/**
 * The key of a workspace's breaker for `endpoint`.
 *
 * @example workspaceBreakerKey(run.workspaceId, "crm:crm.deal.update") // "<uuid>:crm:crm.deal.update"
 */
export function workspaceBreakerKey(workspaceId: string, endpoint: string): string {
  return `${workspaceId}:${endpoint}`;
}

/**
 * The metric labels of a breaker key: the workspace id and the endpoint with every value a
 * tenant typed (an HTTP host, a model route, a base URL) collapsed to its kind, so metrics carry
 * ids only. `http:<host>` -> `http`, `model:<route>` -> `model`, `crm:crm.deal.update` stays.
 */
export function breakerLabels(key: string): { workspace: string; endpoint: string } {
  const i = key.indexOf(":");
  const workspace = i < 0 ? "" : key.slice(0, i);
  const endpoint = i < 0 ? key : key.slice(i + 1);
  const kind = /^(http|model):/.exec(endpoint)?.[1];
  // The connector runtime's own keys are `system base-url`: keep the system only.
  const system = /^([^\s:]+)\s/.exec(endpoint)?.[1];
  return { workspace, endpoint: kind ?? system ?? endpoint };
}

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

/** Breakers kept per board (every workspace together); the least recently used go first. */
export const MAX_BREAKERS = 10_000;

/** Decision for one call. */
export type BreakerDecision =
  { allowed: true; probe: boolean } | { allowed: false; retryInMs: number };

/** Breakers by key, with a listener for state changes (metrics). */
export class BreakerBoard {
  private entries = new Map<string, Entry>();
  /** `<workspaceId>:` for a {@link forWorkspace} view, "" for the board itself. */
  private prefix = "";

  constructor(private readonly onChange?: (key: string, state: BreakerState) => void) {}

  /**
   * A view of this board for one workspace: the same breakers and listener, every key given to
   * it stored as `<workspaceId>:<key>` (for callers whose keys name only the endpoint).
   */
  forWorkspace(workspaceId: string): BreakerBoard {
    const view = new BreakerBoard(this.onChange);
    view.entries = this.entries;
    view.prefix = `${this.prefix}${workspaceBreakerKey(workspaceId, "")}`;
    return view;
  }

  private entry(key: string): Entry {
    const full = this.prefix + key;
    let e = this.entries.get(full);
    if (e) {
      // Re-insert: Map order is the least-recently-used order eviction follows.
      this.entries.delete(full);
    } else {
      e = { state: "closed", failures: 0, openedAt: 0, probing: false };
      if (this.entries.size >= MAX_BREAKERS) this.evictOldest();
    }
    this.entries.set(full, e);
    return e;
  }

  /**
   * Forgets the least recently used breaker: keys include hosts a flow builds at run time, so
   * the board is bounded. A forgotten breaker is closed again (at worst a few probe calls).
   */
  private evictOldest(): void {
    const [oldest, e] = this.entries.entries().next().value!;
    this.entries.delete(oldest);
    if (e.state !== "closed") this.onChange?.(oldest, "closed");
  }

  private set(key: string, e: Entry, state: BreakerState): void {
    if (e.state !== state) {
      e.state = state;
      this.onChange?.(this.prefix + key, state);
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

  /** Every breaker's state by full key (every workspace's, also from a view), for metrics and tests. */
  snapshot(): Record<string, BreakerState> {
    return Object.fromEntries([...this.entries].map(([k, e]) => [k, e.state]));
  }
}
