import { RateLimiterMemory } from "rate-limiter-flexible";
import { AppError } from "../errors";
import type { Db } from "../types";
import { dummyHash, verifyPassword } from "./password";

export interface SignInLimits {
  /** Failures per (email, address) answered at once; the back-off starts after them. */
  freeAttempts: number;
  /** The longest wait the back-off imposes. */
  maxDelaySeconds: number;
  /** Failures from one address, across every email, before that address waits out the window. */
  addressMaxFailures: number;
  /** How long failures are counted. */
  windowSeconds: number;
}

export const DEFAULT_SIGNIN_LIMITS: SignInLimits = {
  freeAttempts: 5,
  maxDelaySeconds: 600,
  addressMaxFailures: 100,
  windowSeconds: 900,
};

/** Seconds to wait after the `failures`-th failure of one (email, address): 0,…,0, 1, 2, 4, … */
export function backoffSeconds(failures: number, limits: SignInLimits): number {
  const over = failures - limits.freeAttempts;
  if (over <= 0) return 0;
  return Math.min(2 ** Math.min(over - 1, 30), limits.maxDelaySeconds);
}

/**
 * Credentials check with an exponential back-off instead of a lockout. Failures are counted per
 * (email, client address): after `freeAttempts` of them that pair waits 1, 2, 4, … seconds
 * (up to `maxDelaySeconds`) before it may try again, so guessing from one address slows to a
 * crawl while the owner, signing in from anywhere else, gets in at once. A second limit counts
 * failures per address across every email (credential stuffing: many emails, one address).
 * A success clears its pair.
 */
export class Authenticator {
  private readonly pairFailures: RateLimiterMemory;
  private readonly pairDelay: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(
    private readonly db: Db,
    private readonly limits: SignInLimits = DEFAULT_SIGNIN_LIMITS,
  ) {
    this.pairFailures = new RateLimiterMemory({
      keyPrefix: "signin-pair",
      points: Number.MAX_SAFE_INTEGER,
      duration: limits.windowSeconds,
    });
    // Only `block()` writes here: a blocked key is the pair's current wait.
    this.pairDelay = new RateLimiterMemory({
      keyPrefix: "signin-delay",
      points: 1,
      duration: limits.maxDelaySeconds,
    });
    this.byAddress = new RateLimiterMemory({
      keyPrefix: "signin-address",
      points: limits.addressMaxFailures,
      duration: limits.windowSeconds,
      blockDuration: limits.windowSeconds,
    });
  }

  async authenticate(email: string, password: string, address = "unknown") {
    const pair = JSON.stringify([email, address]);
    const [delay, fromAddress] = await Promise.all([
      this.pairDelay.get(pair),
      this.byAddress.get(address),
    ]);
    if (fromAddress && fromAddress.consumedPoints >= this.byAddress.points) {
      throw tooMany(
        fromAddress.msBeforeNext,
        "Too many failed sign-ins from your network",
        "address",
      );
    }
    if (delay && delay.consumedPoints > this.pairDelay.points && delay.msBeforeNext > 0) {
      throw tooMany(delay.msBeforeNext, "Too many failed sign-in attempts", "pair");
    }
    const user = await this.db.user.findUnique({ where: { email } });
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !ok) {
      const [failures] = await Promise.all([
        this.pairFailures.penalty(pair, 1),
        this.byAddress.penalty(address, 1),
      ]);
      const wait = backoffSeconds(failures.consumedPoints, this.limits);
      if (wait > 0) await this.pairDelay.block(pair, wait);
      throw new AppError("UNAUTHENTICATED", {
        message:
          wait > 0
            ? `Wrong email or password. Try again in ${formatWait(wait * 1000)}.`
            : "Wrong email or password.",
        details: wait > 0 ? { retryAfterMs: wait * 1000 } : undefined,
      });
    }
    await Promise.all([this.pairFailures.delete(pair), this.pairDelay.delete(pair)]);
    return { id: user.id, email: user.email, name: user.name };
  }
}

/** "7 s" under two minutes, else whole minutes (rounded up). */
export function formatWait(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.ceil(s / 60);
  return `${m} minutes`;
}

function tooMany(msBeforeNext: number, what: string, scope: "pair" | "address") {
  return new AppError("RATE_LIMITED", {
    message: `${what}. Try again in ${formatWait(msBeforeNext)}.`,
    details: { retryAfterMs: msBeforeNext, scope },
  });
}
