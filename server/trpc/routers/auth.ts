import { z } from "zod";
import { authenticator, signUpThrottle } from "@/server/auth/limits";
import { changePassword } from "@/server/domain/auth/change-password";
import { ZChangePasswordInput, ZSignUpInput } from "@/server/domain/auth/schemas";
import {
  listMySessions,
  revokeAllSessions,
  revokeSession,
  type SessionLimits,
} from "@/server/domain/auth/sessions";
import { signUp } from "@/server/domain/auth/sign-up";
import { env } from "@/server/env";
import { publicProcedure, router, userProcedure } from "../init";

const sessionLimits = (): SessionLimits => ({
  idleMinutes: env().SESSION_IDLE_MINUTES,
  maxHours: env().SESSION_MAX_HOURS,
});

export const authRouter = router({
  /**
   * Creates an account and its own workspace when the email is new; answers the same either way
   * (no account enumeration), throttled per client address. The client then signs in.
   * In-process callers (no HTTP, `address` unset) are not throttled.
   */
  signUp: publicProcedure.input(ZSignUpInput).mutation(async ({ ctx, input }) => {
    if (ctx.address !== undefined) await signUpThrottle().consume(ctx.address);
    return signUp(ctx.db, input);
  }),
  me: publicProcedure.query(({ ctx }) => ctx.user),
  /** Needs the current password; ends every session of the user, this one included. */
  changePassword: userProcedure
    .input(ZChangePasswordInput)
    .mutation(({ ctx, input }) =>
      changePassword(ctx.db, authenticator(ctx.db), ctx.user, input, ctx.address ?? "unknown"),
    ),
  /** Where the user is signed in (browser sessions still alive). */
  sessions: userProcedure.query(({ ctx }) =>
    listMySessions(ctx.db, ctx.user.id, ctx.sessionId ?? null, sessionLimits()),
  ),
  revokeSession: userProcedure
    .input(z.object({ sessionId: z.uuid() }))
    .mutation(async ({ ctx, input }) => ({
      revoked: await revokeSession(ctx.db, ctx.user.id, input.sessionId),
    })),
  /** Ends every browser session of the user, this one included. */
  signOutEverywhere: userProcedure.mutation(async ({ ctx }) => ({
    revoked: await revokeAllSessions(ctx.db, ctx.user.id),
  })),
});
