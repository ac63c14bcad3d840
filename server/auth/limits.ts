import { Authenticator } from "@/server/domain/auth/authenticate";
import { SignUpThrottle } from "@/server/domain/auth/sign-up-throttle";
import type { Db } from "@/server/domain/types";
import { env } from "@/server/env";
import { processSingleton } from "@/server/process-state";
import { parseTrustProxy, type TrustProxy } from "./client-address";

/**
 * The process's sign-in and sign-up limiters, configured from the environment (SIGNIN_*,
 * SIGNUP_MAX_PER_HOUR). In memory: with several web processes each counts its own attempts.
 * Kept in the process's state (`server/process-state.ts`): next-auth's route and the tRPC route
 * are separate bundles and must count the same attempts.
 */
const limits = () =>
  processSingleton(
    "auth-limits",
    (): {
      authenticator?: Authenticator;
      signUpThrottle?: SignUpThrottle;
      trustProxy?: TrustProxy;
    } => ({}),
  );

export function authenticator(db: Db): Authenticator {
  const e = env();
  return (limits().authenticator ??= new Authenticator(db, {
    freeAttempts: e.SIGNIN_MAX_ATTEMPTS,
    maxDelaySeconds: e.SIGNIN_MAX_DELAY_SECONDS,
    addressMaxFailures: e.SIGNIN_ADDRESS_MAX_FAILURES,
    windowSeconds: e.SIGNIN_WINDOW_SECONDS,
  }));
}

export function signUpThrottle(): SignUpThrottle {
  return (limits().signUpThrottle ??= new SignUpThrottle(env().SIGNUP_MAX_PER_HOUR));
}

/** `TRUST_PROXY`, parsed once. */
export function trustProxy(): TrustProxy {
  return (limits().trustProxy ??= parseTrustProxy(env().TRUST_PROXY));
}
