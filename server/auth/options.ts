import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { Authenticator } from "@/server/domain/auth/authenticate";
import { ZSignInInput } from "@/server/domain/auth/schemas";
import {
  checkSession,
  openSession,
  revokeSession,
  type SessionLimits,
} from "@/server/domain/auth/sessions";
import { AppError } from "@/server/domain/errors";
import type { Db } from "@/server/domain/types";
import { database } from "@/server/composition";
import { env } from "@/server/env";
import { logger } from "@/server/logger";
import { clientAddress, type TrustProxy } from "./client-address";
import { authenticator, trustProxy } from "./limits";

export interface AuthDeps {
  db: () => Promise<Db>;
  authenticator: (db: Db) => Authenticator;
  trustProxy: () => TrustProxy;
  /** Read per request (not at import: `next build` imports this module). */
  sessionLimits: () => SessionLimits;
  now?: () => Date;
}

/** Thrown by the `jwt` callback when the cookie's session has ended: next-auth then answers no
 * session and clears the cookie. */
class SessionEnded extends Error {
  override name = "SessionEnded";
}

function header(headers: Record<string, unknown> | undefined, name: string): string {
  const v = headers?.[name];
  return typeof v === "string" ? v : "";
}

/**
 * next-auth's configuration. Sessions are JWT cookies that carry the id of a `UserSession` row
 * (`sid`); every read of the session (`getServerSession` in pages, route handlers and the tRPC
 * context) runs the `jwt` callback, which checks that row: a signed-out, revoked, idle or expired
 * session is no session, even if someone kept a copy of its cookie.
 */
export function createAuthOptions(deps: AuthDeps): NextAuthOptions {
  const now = deps.now ?? (() => new Date());
  return {
    session: {
      strategy: "jwt",
      // next-auth spreads this object per request, so the getter runs then.
      get maxAge() {
        return deps.sessionLimits().maxHours * 3600;
      },
    },
    pages: { signIn: "/sign-in", signOut: "/sign-out", error: "/sign-in" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials, req) {
          const parsed = ZSignInInput.safeParse(credentials ?? {});
          if (!parsed.success) throw new Error("Enter your email and password.");
          const headers = req?.headers as Record<string, unknown> | undefined;
          const address = clientAddress(headers, deps.trustProxy());
          try {
            const db = await deps.db();
            const user = await deps
              .authenticator(db)
              .authenticate(parsed.data.email, parsed.data.password, address);
            const session = await openSession(
              db,
              { userId: user.id, address, userAgent: header(headers, "user-agent") },
              deps.sessionLimits(),
              now(),
            );
            return { ...user, sessionId: session.id };
          } catch (err) {
            // next-auth passes the message of a thrown Error to the sign-in page.
            if (err instanceof AppError) throw new Error(err.userMessage);
            logger().error({ err }, "sign-in failed");
            throw new Error("Sign-in is unavailable right now. Try again shortly.");
          }
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          token.sub = user.id;
          token.email = user.email;
          token.name = user.name;
          token.sid = (user as { sessionId?: string }).sessionId;
          return token;
        }
        const sid = typeof token.sid === "string" ? token.sid : null;
        // Cookies from before revocable sessions carry no `sid`: they end too.
        if (!sid || !token.sub) throw new SessionEnded("no session id");
        const check = await checkSession(
          await deps.db(),
          sid,
          token.sub,
          deps.sessionLimits(),
          now(),
        );
        if (!check.ok) throw new SessionEnded(check.reason);
        return token;
      },
      session({ session, token }) {
        if (session.user && token.sub) (session.user as { id?: string }).id = token.sub;
        if (typeof token.sid === "string")
          (session as { sessionId?: string }).sessionId = token.sid;
        return session;
      },
    },
    events: {
      async signOut({ token }) {
        const sid = typeof token?.sid === "string" ? token.sid : null;
        if (sid && token.sub) await revokeSession(await deps.db(), token.sub, sid, now());
      },
    },
    logger: {
      error: (code, metadata) => {
        const err = metadata instanceof Error ? metadata : (metadata as { error?: unknown })?.error;
        if (err instanceof SessionEnded) return; // an ended session is not a fault
        logger().warn({ code, metadata }, "next-auth");
      },
      warn: (code) => logger().warn({ code }, "next-auth"),
      debug: () => undefined,
    },
  };
}

export const authOptions: NextAuthOptions = createAuthOptions({
  db: async () => (await database()).prisma,
  authenticator,
  trustProxy,
  sessionLimits: () => ({
    idleMinutes: env().SESSION_IDLE_MINUTES,
    maxHours: env().SESSION_MAX_HOURS,
  }),
});
