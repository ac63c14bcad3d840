import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors";
import { formatWait } from "./authenticate";

/**
 * Sign-ups per client address per hour: each costs a scrypt hash and, for a new email, an account
 * and a workspace, and each answer is a chance to probe. Every attempt that reaches the domain
 * counts, whatever its outcome, so probing and mass account creation cost the same.
 */
export class SignUpThrottle {
  private readonly limiter: RateLimiterMemory;

  constructor(perHour: number) {
    this.limiter = new RateLimiterMemory({ keyPrefix: "signup", points: perHour, duration: 3600 });
  }

  async consume(address: string): Promise<void> {
    try {
      await this.limiter.consume(address);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      throw new AppError("RATE_LIMITED", {
        message: `Too many sign-ups from your network (at most ${this.limiter.points} an hour). Try again in ${formatWait(res.msBeforeNext)}.`,
        details: { retryAfterMs: res.msBeforeNext },
      });
    }
  }
}
