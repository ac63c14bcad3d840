import { Authenticator } from "@/server/domain/auth/authenticate";
import { SignUpThrottle } from "@/server/domain/auth/sign-up-throttle";
import type { Db } from "@/server/domain/types";
import { env } from "@/server/env";
import { parseTrustProxy, type TrustProxy } from "./client-address";

/**
 * The process's sign-in and sign-up limiters, configured from the environment (SIGNIN_*,
 * SIGNUP_MAX_PER_HOUR). In memory: with several web processes each counts its own attempts.
 */
const g = globalThis as unknown as {
  __trustflowAuthenticator?: Authenticator;
  __trustflowSignUpThrottle?: SignUpThrottle;
  __trustflowTrustProxy?: TrustProxy;
};

export function authenticator(db: Db): Authenticator {
  const e = env();
  g.__trustflowAuthenticator ??= new Authenticator(db, {
    freeAttempts: e.SIGNIN_MAX_ATTEMPTS,
    maxDelaySeconds: e.SIGNIN_MAX_DELAY_SECONDS,
    addressMaxFailures: e.SIGNIN_ADDRESS_MAX_FAILURES,
    windowSeconds: e.SIGNIN_WINDOW_SECONDS,
  });
  return g.__trustflowAuthenticator;
}

export function signUpThrottle(): SignUpThrottle {
  g.__trustflowSignUpThrottle ??= new SignUpThrottle(env().SIGNUP_MAX_PER_HOUR);
  return g.__trustflowSignUpThrottle;
}

/** `TRUST_PROXY`, parsed once. */
export function trustProxy(): TrustProxy {
  g.__trustflowTrustProxy ??= parseTrustProxy(env().TRUST_PROXY);
  return g.__trustflowTrustProxy;
}
