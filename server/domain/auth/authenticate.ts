import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors";
import type { Db } from "../types";
import { dummyHash, verifyPassword } from "./password";

export interface SignInLimits {
  maxAttempts: number;
  lockoutSeconds: number;
}

/**
 * Credentials check with rate limiting: failed attempts are counted per email and per client
 * address; after `maxAttempts` failures the key is locked for `lockoutSeconds` and the user is
 * told how long to wait. A success clears the per-email counter.
 */
export class Authenticator {
  private readonly byEmail: RateLimiterMemory;
  private readonly byIp: RateLimiterMemory;

  constructor(
    private readonly db: Db,
    limits: SignInLimits,
  ) {
    this.byEmail = new RateLimiterMemory({
      keyPrefix: "signin-email",
      points: limits.maxAttempts,
      duration: limits.lockoutSeconds,
      blockDuration: limits.lockoutSeconds,
    });
    this.byIp = new RateLimiterMemory({
      keyPrefix: "signin-ip",
      points: limits.maxAttempts * 4,
      duration: limits.lockoutSeconds,
      blockDuration: limits.lockoutSeconds,
    });
  }

  async authenticate(email: string, password: string, ip = "unknown") {
    const [emailState, ipState] = await Promise.all([this.byEmail.get(email), this.byIp.get(ip)]);
    for (const [state, limiter] of [
      [emailState, this.byEmail],
      [ipState, this.byIp],
    ] as const) {
      if (state && state.consumedPoints >= limiter.points) throw lockedOut(state);
    }
    const user = await this.db.user.findUnique({ where: { email } });
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !ok) {
      await Promise.all([this.byEmail.penalty(email, 1), this.byIp.penalty(ip, 1)]);
      const after = await this.byEmail.get(email);
      if (after && after.consumedPoints >= this.byEmail.points) {
        await this.byEmail.block(email, this.byEmail.blockDuration);
        throw lockedOut((await this.byEmail.get(email)) ?? after);
      }
      throw new AppError("UNAUTHENTICATED", { message: "Wrong email or password." });
    }
    await this.byEmail.delete(email);
    return { id: user.id, email: user.email, name: user.name };
  }
}

function lockedOut(state: RateLimiterRes) {
  const minutes = Math.max(1, Math.ceil(state.msBeforeNext / 60_000));
  return new AppError("RATE_LIMITED", {
    message: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
    details: { retryAfterMs: state.msBeforeNext },
  });
}
