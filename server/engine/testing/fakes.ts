/**
 * Deterministic ports for tests: a clock that moves only when told, sequential ids and seeded
 * randomness. Test support, never used in production.
 */
import type { Clock, IdGen, Random } from "../ports";

interface Timer {
  at: number;
  resolve: () => void;
}

/** A clock that moves only when {@link FakeClock.advance} is called. */
export class FakeClock implements Clock {
  private timers: Timer[] = [];

  constructor(private current = Date.UTC(2026, 10, 22, 12, 0, 0)) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const t: Timer = { at: this.current + Math.max(0, ms), resolve };
      this.timers.push(t);
      signal?.addEventListener("abort", () => {
        this.timers = this.timers.filter((x) => x !== t);
        resolve();
      });
    });
  }

  /** Moves time forward, firing due sleeps in time order, letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      this.timers = this.timers.filter((t) => t !== next);
      next.resolve();
      await settle();
    }
    this.current = target;
    await settle();
  }

  /** Number of pending sleeps (timeouts armed). */
  pending(): number {
    return this.timers.length;
  }
}

/** Lets pending promise callbacks run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Ids `<prefix>-1`, `<prefix>-2`, ... as UUID-shaped strings. */
export class SeqIds implements IdGen {
  private n = 0;
  next(): string {
    this.n++;
    return `00000000-0000-4000-8000-${this.n.toString(16).padStart(12, "0")}`;
  }
}

/** mulberry32: a tiny seeded PRNG, good enough for jitter in tests. */
export class SeededRandom implements Random {
  constructor(private seed = 42) {}
  next(): number {
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
