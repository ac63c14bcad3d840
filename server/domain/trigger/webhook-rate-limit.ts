/**
 * The per-flow webhook rate limit: a token bucket per (workspace, flow) in this process's memory.
 * A flow's bucket holds up to `burst` tokens and refills at `perSecond`; every request to the
 * flow's URL takes one before its signature is checked, so a flood of badly signed requests is
 * limited too. Synchronous and allocation-free on the hot path (no promise, no timer): a delivery
 * costs one map lookup and a little arithmetic.
 */

/** The limit of one flow's webhook. */
export interface WebhookRateLimit {
  /** Sustained requests per second per flow. */
  perSecond: number;
  /** Requests a quiet flow may receive at once (default twice `perSecond`). */
  burst?: number;
}

/** The default: far above what one flow's runs cost, low enough to stop a runaway sender. */
export const DEFAULT_WEBHOOK_RATE_LIMIT = 1000;

interface Bucket {
  tokens: number;
  /** Milliseconds (monotonic) of the last refill. */
  at: number;
}

/** Buckets kept before idle (full) ones are dropped; only configured webhooks get one. */
const MAX_BUCKETS = 10_000;

/** Token buckets keyed by workspace first, then flow. */
export class WebhookRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Sustained requests per second per flow. */
  readonly perSecond: number;
  /** Tokens of a full bucket. */
  readonly burst: number;

  constructor(
    limit: WebhookRateLimit,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.perSecond = limit.perSecond;
    this.burst = Math.max(1, limit.burst ?? limit.perSecond * 2);
  }

  /**
   * Takes a token for one request to the flow: `{ ok: true }`, or the whole seconds after which
   * a token is available again (the `Retry-After`).
   */
  take(workspaceId: string, workflowId: string): { ok: true } | { ok: false; retryAfterS: number } {
    const key = `${workspaceId}:${workflowId}`;
    const now = this.nowMs();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) this.prune(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond)) };
  }

  /** Drops buckets that have refilled completely (they start full again when next used). */
  private prune(now: number) {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
    // Every bucket busy: forget the oldest rather than grow without bound.
    if (this.buckets.size >= MAX_BUCKETS) {
      const first = this.buckets.keys().next();
      if (!first.done) this.buckets.delete(first.value);
    }
  }
}
